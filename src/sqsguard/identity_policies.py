"""IAM identity policies (of roles and users): does a policy allow an action on a resource?

The policies are read once, at link time, by `policy_analysis.analyze` (the same reading as key
and queue policies), for each service whose actions matter ("kms", "sqs"); these functions
evaluate those statements. Answers are three-valued: True (an Allow statement covers the action
and the resource, and no Deny takes it away), False (nothing allows it, or a Deny removes it),
None (a part that decides it cannot be read statically). Resources are matched against a target
that is a resource of the scan: `"*"`, a reference to it (`aws_kms_key.k.arn`, `!GetAtt Key.Arn`,
`!Ref Key` inside a `!Sub`), or an ARN pattern whose variable part is a wildcard
(`arn:aws:kms:*:*:key/*`). A literal ARN cannot name a resource the same code creates (its id is
known only after deployment). Conditions on an Allow are taken as met (they narrow when, not
whether, the grant exists); a Deny with conditions takes nothing away.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from .dataclass_methods import dataclass
from .model import Concat, ResourceRef, Unresolved, render
from .policy_analysis import Statement, normalise_arn


@dataclass(frozen=True)
class Target:
    """A resource of the scan a policy may name: its identity and its ARN's service/type."""

    unit: str
    address: str
    service: str  # "kms", "sqs"
    name: str | None = None  # the resource's name, when known (an SQS queue's name)


def _resource_matches(pattern: Any, target: Target) -> bool | None:
    if isinstance(pattern, ResourceRef):
        return (pattern.unit, pattern.address) == (target.unit, target.address)
    if isinstance(pattern, Concat):
        if any(isinstance(p, ResourceRef) and (p.unit, p.address) == (target.unit, target.address) for p in pattern.parts):
            return True
        if any(isinstance(p, Unresolved) for p in pattern.parts):
            return None
        return _wildcard_arn(render(pattern), target)
    if isinstance(pattern, str):
        return _wildcard_arn(pattern, target)
    return None


def _wildcard_arn(text: str, target: Target) -> bool:
    text = normalise_arn(text.strip())  # ${AWS::AccountId}, ${AWS::Region}: the target's own
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


def _any(values: list) -> bool | None:
    seen_unknown = False
    for value in values:
        if value is True:
            return True
        if value is None:
            seen_unknown = True
    return None if seen_unknown else False


def _action_covered(statement: Statement, action: str) -> bool | None:
    if action in statement.actions:
        return True
    return None if statement.opaque_actions else False


def _covers(statement: Statement, action: str, target: Target) -> bool | None:
    actions = _action_covered(statement, action)
    if actions is False:
        return False
    resources = _any([_resource_matches(r, target) for r in statement.resources])
    if statement.not_resource and resources is not None:
        resources = not resources
    if resources is False:
        return False
    if actions is None or resources is None:
        return None
    return True


def allows(statements: list[Statement], action: str, target: Target) -> bool | None:
    """Whether the statements (read for the target's service) allow `action` ("Decrypt") on it."""
    allowed: bool | None = False
    for statement in statements:
        if statement.effect not in ("Allow", "Deny"):
            return None
        covered = _covers(statement, action, target)
        if statement.effect == "Deny":
            if covered is True and not statement.conditions:
                return False
        elif covered is True:
            allowed = True if allowed is not None else None
        elif covered is None and allowed is False:
            allowed = None
    return allowed


def denies(statements: list[Statement], action: str, target: Target) -> bool:
    """Whether an unconditional Deny of the statements removes `action` on the target."""
    return any(s.effect == "Deny" and not s.conditions and _covers(s, action, target) is True for s in statements)


def named_targets(statements: list[Statement], action: str, names: dict[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """The resources of the scan that Allow statements granting `action` ("ReceiveMessage") name,
    as (unit, address): by a reference, or by an ARN that ends in one of `names`
    (name -> identity). `"*"` names none."""
    found: list[tuple[str, str]] = []
    for statement in statements:
        if statement.effect != "Allow" or statement.not_action or statement.not_resource:
            continue
        if action not in statement.actions:
            continue
        for pattern in statement.resources:
            identities = [(p.unit, p.address) for p in (pattern.parts if isinstance(pattern, Concat) else [pattern]) if isinstance(p, ResourceRef)]
            if isinstance(pattern, (str, Concat)):
                named = names.get(render(pattern).rsplit(":", 1)[-1])
                if named is not None:
                    identities.append(named)
            for identity in identities:
                if identity not in found:
                    found.append(identity)
    return found
