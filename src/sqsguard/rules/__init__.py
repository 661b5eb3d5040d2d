"""Rule functions, one module per family. Listed here explicitly: nothing registers itself."""

from __future__ import annotations

from . import data_flow, key_hygiene, key_policy, kms_cost, queue_encryption
from .base import Hit, RuleFunction, rule

MODULES = (queue_encryption, key_policy, key_hygiene, data_flow, kms_cost)


def implemented() -> dict[str, RuleFunction]:
    """Every rule function by id."""
    found: dict[str, RuleFunction] = {}
    for module in MODULES:
        for value in vars(module).values():
            rule_id = getattr(value, "rule_id", None)
            if isinstance(rule_id, str) and callable(value):
                if rule_id in found:
                    raise RuntimeError("rule %s is implemented twice" % rule_id)
                found[rule_id] = value
    return dict(sorted(found.items()))


__all__ = ["Hit", "RuleFunction", "rule", "implemented"]
