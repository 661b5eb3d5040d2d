"""Resolve references between model objects: queue -> key, alias -> key.

Runs once over the whole scan's model, after every parser, so references work across files
where the format allows it (a Terraform module spans files; an alias name is account-wide).
"""

from __future__ import annotations

from typing import Any

from . import encryption
from .model import Alias, Concat, Conditional, Key, Model, Queue, ResourceRef, render


class References:
    def __init__(self, model: Model):
        self.by_address: dict[tuple[str, str], Any] = {}
        for obj in [*model.keys, *model.aliases, *model.queues, *model.others]:
            self.by_address.setdefault((obj.unit, obj.address), obj)
        self.aliases_by_name: dict[str, list[Alias]] = {}
        for alias in model.aliases:
            name = render(alias.name.value) if alias.name else ""
            if name:
                self.aliases_by_name.setdefault(name, []).append(alias)

    def resolve(self, ref: ResourceRef) -> Any:
        return self.by_address.get((ref.unit, ref.address))

    def alias_named(self, text: str, unit: str) -> Alias | None:
        """The alias a name or alias ARN refers to: in the same unit first, else the only one."""
        name = text.strip()
        if ":alias/" in name:
            name = "alias/" + name.split(":alias/", 1)[1]
        if not name.startswith("alias/"):
            return None
        candidates = self.aliases_by_name.get(name, [])
        same_unit = [a for a in candidates if a.unit == unit]
        if same_unit:
            return same_unit[0]
        if len(candidates) == 1:
            return candidates[0]
        return None

    def key_of_alias(self, alias: Alias) -> Key | None:
        target = alias.target.value if alias.target else None
        if isinstance(target, ResourceRef):
            found = self.resolve(target)
            return found if isinstance(found, Key) else None
        return None


def link(model: Model) -> Model:
    refs = References(model)
    for attachment in model.key_policies:
        target = attachment.key.value if attachment.key else None
        key = refs.resolve(target) if isinstance(target, ResourceRef) else None
        if isinstance(key, Key):
            key.policy_attachment = attachment
            key.policy = attachment.policy
            if attachment.bypass_lockout is not None:
                key.bypass_lockout = attachment.bypass_lockout
    for alias in model.aliases:
        key = refs.key_of_alias(alias)
        if key is not None and alias.name is not None:
            name = render(alias.name.value)
            if name and name not in key.aliases:
                key.aliases.append(name)
    for queue in model.queues:
        queue.choices = encryption.decide(queue, refs)
        queue.encryption = encryption.judge(queue.choices)
    for producer in model.producers:
        producer.queue = _queue_of(producer.target.value if producer.target else None, refs)
    return model


def _queue_of(value: Any, refs: References) -> Queue | None:
    """The queue a delivery target names: a reference to a queue of the scan (in any branch)."""
    if isinstance(value, ResourceRef):
        found = refs.resolve(value)
        return found if isinstance(found, Queue) else None
    if isinstance(value, Conditional):
        return _queue_of(value.if_true, refs) or _queue_of(value.if_false, refs)
    if isinstance(value, Concat):
        for part in value.parts:
            found = _queue_of(part, refs)
            if found is not None:
                return found
    return None
