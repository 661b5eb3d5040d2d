"""IAM identity policies (of roles and users): does a policy allow an action on a resource?

Answers are three-valued: True (an Allow statement covers the action and the resource, and no
Deny takes it away), False (nothing allows it, or a Deny removes it), None (a part that decides
it cannot be read statically). Resources are matched against a target that is a resource of
the scan: `"*"`, a reference to it (`aws_kms_key.k.arn`, `!GetAtt Key.Arn`, `!Ref Key` inside a
`!Sub`), or an ARN pattern whose variable part is a wildcard (`arn:aws:kms:*:*:key/*`). A literal
ARN cannot name a resource the same code creates (its id is known only after deployment).
Conditions on an Allow are taken as met (they narrow when, not whether, the grant exists).
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

from .model import Concat, Conditional, ResourceRef, Unresolved, render


@dataclass(frozen=True)
class Target:
    """A resource of the scan a policy may name: its identity and its ARN's service/type."""

    unit: str
    address: str
    service: str  # "kms", "sqs"
    name: str | None = None  # the resource's name, when known (an SQS queue's name)


def document(value: Any) -> tuple[list[dict], str | None]:
    """The statements of a policy document model value, and why it cannot be read (or None)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [], "the policy is not valid JSON"
    if isinstance(value, (Unresolved, Concat, ResourceRef, Conditional)):
        return [], "the policy %s is not known statically" % render(value)[:120]
    if not isinstance(value, dict):
        return [], "the policy is not a JSON object"
    statements = value.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return [], "the policy has no Statement list"
    if any(not isinstance(s, dict) for s in statements):
        return [s for s in statements if isinstance(s, dict)], "a statement is not known statically"
    return statements, None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _action_matches(pattern: Any, action: str) -> bool | None:
    if not isinstance(pattern, str):
        return None
    return fnmatch.fnmatchcase(action.lower(), pattern.strip().lower())


def _resource_matches(pattern: Any, target: Target) -> bool | None:
    if isinstance(pattern, ResourceRef):
        return (pattern.unit, pattern.address) == (target.unit, target.address)
    if isinstance(pattern, Concat):
        if any(isinstance(p, ResourceRef) and (p.unit, p.address) == (target.unit, target.address) for p in pattern.parts):
            return True
        text = render(pattern)
        if any(isinstance(p, Unresolved) for p in pattern.parts):
            return None
        return _wildcard_arn(text, target)
    if isinstance(pattern, str):
        return _wildcard_arn(pattern, target)
    return None


def _wildcard_arn(text: str, target: Target) -> bool:
    text = text.strip()
    if text == "*":
        return True
    parts = text.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not fnmatch.fnmatchcase(target.service, parts[2] or "-"):
        return False
    resource = parts[5]
    if target.service == "kms":
        return resource in ("*", "key/*")
    if target.service == "sqs":
        return resource == "*" or (target.name is not None and fnmatch.fnmatchcase(target.name, resource))
    return resource == "*"


def allows(statements: list[dict], action: str, target: Target) -> bool | None:
    """Whether the statements allow `action` ("kms:Decrypt") on the target."""
    allowed: bool | None = False
    for statement in statements:
        effect = statement.get("Effect")
        if not isinstance(effect, str):
            return None
        if "NotAction" in statement or "NotResource" in statement:
            covered = _covers_negated(statement, action, target)
        else:
            covered = _covers(statement, action, target)
        if effect.lower() == "deny" and covered is True and "Condition" not in statement:
            return False
        if effect.lower() == "allow":
            if covered is True:
                allowed = True if allowed is not None else None
            elif covered is None and allowed is False:
                allowed = None
    return allowed


def _any(values: list) -> bool | None:
    seen_unknown = False
    for value in values:
        if value is True:
            return True
        if value is None:
            seen_unknown = True
    return None if seen_unknown else False


def _covers(statement: dict, action: str, target: Target) -> bool | None:
    actions = _any([_action_matches(a, action) for a in _as_list(statement.get("Action"))])
    if actions is False:
        return False
    resources = _any([_resource_matches(r, target) for r in _as_list(statement.get("Resource"))])
    if actions is None or resources is None:
        return None if resources is not False else False
    return resources


def _covers_negated(statement: dict, action: str, target: Target) -> bool | None:
    if "NotAction" in statement:
        excluded = _any([_action_matches(a, action) for a in _as_list(statement.get("NotAction"))])
        actions = None if excluded is None else not excluded
    else:
        actions = _any([_action_matches(a, action) for a in _as_list(statement.get("Action"))])
    if "NotResource" in statement:
        excluded = _any([_resource_matches(r, target) for r in _as_list(statement.get("NotResource"))])
        resources = None if excluded is None else not excluded
    else:
        resources = _any([_resource_matches(r, target) for r in _as_list(statement.get("Resource"))])
    if actions is False or resources is False:
        return False
    if actions is None or resources is None:
        return None
    return True


def named_targets(statements: list[dict], action: str, names: dict[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """The resources of the scan that Allow statements granting `action` name, as (unit, address):
    by a reference, or by an ARN that ends in one of `names` (name -> identity). `"*"` names none."""
    found: list[tuple[str, str]] = []
    for statement in statements:
        if str(statement.get("Effect", "")).lower() != "allow" or "NotAction" in statement:
            continue
        if _any([_action_matches(a, action) for a in _as_list(statement.get("Action"))]) is not True:
            continue
        for pattern in _as_list(statement.get("Resource")):
            identities = [(p.unit, p.address) for p in (pattern.parts if isinstance(pattern, Concat) else [pattern]) if isinstance(p, ResourceRef)]
            if isinstance(pattern, (str, Concat)):
                named = names.get(render(pattern).rsplit(":", 1)[-1])
                if named is not None:
                    identities.append(named)
            for identity in identities:
                if identity not in found:
                    found.append(identity)
    return found
