"""Drafts: resource blocks as evaluated, before they are model objects.

A draft is one per block, never per instance (`count` / `for_each`): `merge_instances`
folds the instances' settings into one, with a `Conditional` over groups of instances where
they differ, so a block is judged by its weakest instance.
"""

from __future__ import annotations

import json
from dataclasses import field
from typing import Any

from ...dataclass_methods import dataclass
from ...model import Attr, Conditional, InstanceChoice, Location
from .policy_documents import policy_value
from .values import freeze, strip_json

# --- drafts -----------------------------------------------------------------------------------


@dataclass
class DraftAttr:
    value: Any
    text: str
    location: Location
    origin: str = ""  # where a `var.x` got its value (see Instance.origin_of)


@dataclass
class Draft:
    """A resource block (or an unread module call) as evaluated, before it is a model object."""

    rtype: str
    address: str
    unit: str
    location: Location
    attrs: dict[str, DraftAttr] = field(default_factory=dict)
    source: str = ""  # unread module calls: their source
    names: dict[str, str] | None = None  # attribute display names, when not the block's own
    notes: tuple[str, ...] = ()  # unread module calls: inputs that are the AWS-managed key
    # Blocks with several instances: (instance key, attributes) of each, before merging.
    instances: tuple[tuple[Any, dict[str, DraftAttr]], ...] = ()
    count: int = 1  # how many instances the block has (count / for_each), when known
    construct_path: str | None = None  # CDK for Terraform's construct path of the block
    # The aws provider configuration the block uses (modules.ProviderConfig): its own `provider`
    # argument, else what its module was given or inherited; None for a default `aws`.
    provider: Any = None


def merge_instances(per_instance: list[tuple[Any, dict[str, DraftAttr]]], judged: tuple | None, prefix: str = "") -> dict[str, DraftAttr]:
    """One attribute set for a block from its instances' (label, attributes).

    Instances are grouped by the values of the judged attributes (all when `judged` is None);
    a setting that differs between groups becomes a chain of Conditionals, one condition per
    group but the last (`each.key == "a"`, `count.index in [0, 1]`). Tags keep the keys every
    instance has."""
    if len(per_instance) == 1:
        return per_instance[0][1]
    names: list[str] = []
    for _, attrs in per_instance:
        for name in attrs:
            if name not in names:
                names.append(name)
    keyed = judged if judged is not None else tuple(n for n in names if n != "tags")

    def fingerprint(attrs: dict[str, DraftAttr]) -> Any:
        return tuple(freeze(attrs[n].value) if n in attrs else ("absent",) for n in keyed)

    groups: list[tuple[Any, list]] = []
    for label, attrs in per_instance:
        key = fingerprint(attrs)
        for existing in groups:
            if existing[0] == key:
                existing[1].append((label, attrs))
                break
        else:
            groups.append((key, [(label, attrs)]))
    merged: dict[str, DraftAttr] = {}
    for name in names:
        present = [attrs[name] for _, attrs in per_instance if name in attrs]
        first = present[0]
        if name == "tags":
            merged[name] = DraftAttr(_common_tags([a.value for a in present], len(per_instance)), first.text, first.location)
            continue
        if len(groups) == 1 or name not in keyed:
            merged[name] = first
            continue
        values = [members[0][1][name].value if name in members[0][1] else None for _, members in groups]
        # A chain: the first group's condition, else the second's, ... else the last group.
        # Rules enumerate conditions one by one, so a later condition says it applies only
        # when the earlier ones do not.
        plain = [_condition(prefix, [label for label, _ in members]) for _, members in groups[:-1]]
        described = [_instances(prefix, [label for label, _ in members]) for _, members in groups]
        value = values[-1]
        for i in range(len(groups) - 2, -1, -1):
            condition = plain[i] if i == 0 else "%s (if not %s)" % (plain[i], ", ".join(plain[:i]))
            value = Conditional(InstanceChoice(condition, described[i], described[-1]), values[i], value)
        merged[name] = DraftAttr(value, first.text, first.location)
    return merged


def _common_tags(values: list, instances: int) -> Any:
    dicts = [v for v in values if isinstance(v, dict)]
    if len(dicts) != instances or not dicts:
        return dicts[0] if dicts else values[0]
    common = dict(dicts[0])
    for other in dicts[1:]:
        common = {k: v for k, v in common.items() if k in other}
    return common


def _instances(prefix: str, labels: list) -> str:
    """The instances of a group, for messages: `each.key is "a" or "b"`, `count.index is 0`."""
    labels = [label for label in labels if label is not None]
    if not labels:
        return prefix + "some instances"
    shown = [json.dumps(value) if isinstance(value, str) else str(value) for _, value in labels]
    return "%s%s is %s" % (prefix, labels[0][0], " or ".join(shown))


def _condition(prefix: str, labels: list) -> str:
    labels = [label for label in labels if label is not None]
    if not labels:
        return prefix + "instance"
    variable = labels[0][0]
    shown = [json.dumps(value) if isinstance(value, str) else str(value) for _, value in labels]
    if len(shown) == 1:
        return "%s%s == %s" % (prefix, variable, shown[0])
    return "%s%s in [%s]" % (prefix, variable, ", ".join(shown))


# --- from drafts to the model -----------------------------------------------------------------


def all_null(value: Any) -> bool:
    """Null in every branch: the setting is not set."""
    if isinstance(value, Conditional):
        return all_null(value.if_true) and all_null(value.if_false)
    return value is None


def value_of(attrs: dict[str, DraftAttr], name: str) -> Any:
    attr = attrs.get(name)
    return attr.value if attr is not None else None


def setting(attrs: dict[str, DraftAttr], name: str, shown: str | None = None) -> Attr | None:
    """A draft's setting as the model's `Attr` (JSON strings read as data), or None when it is
    absent or null in every branch."""
    attr = attrs.get(name)
    if attr is None or all_null(attr.value):
        return None
    return Attr(shown or name, strip_json(attr.value), attr.text, attr.location, attr.origin)


def policy_setting(attrs: dict[str, DraftAttr], name: str) -> Attr | None:
    """A `policy`-like setting as the model's policy value (see `policy_documents.policy_value`)."""
    attr = attrs.get(name)
    if attr is None or all_null(attr.value):
        return None
    where = attr.location
    return Attr(name, policy_value(attr.value, where.line, where.end_line, where.file), attr.text, where)
