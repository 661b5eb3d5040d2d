"""How a queue is encrypted: decided here, once, for every format.

Input is the model's view of a queue (its SSE-SQS flag and KMS key settings, already reduced
to model values by the parser) and a way to look up the resources a reference points to.
Output is one `EncryptionChoice` per combination of deploy-time conditions, and the one the
queue is judged by: the weakest *known* choice (no encryption, then the SQS-owned key, then
the AWS-managed key); an unverifiable key only when no choice is known to be weak.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from .model import (
    WEAKNESS,
    Alias,
    Concat,
    EncryptionChoice,
    Encryption,
    Key,
    Queue,
    ResourceRef,
    Unresolved,
    assignments,
    choose,
    describe_assignment,
    is_aws_managed_sqs_key,
    render,
)


class References(Protocol):
    def resolve(self, ref: ResourceRef) -> Any: ...

    def alias_named(self, text: str, unit: str) -> Alias | None: ...


def decide(queue: Queue, refs: References) -> tuple[EncryptionChoice, ...]:
    sse = queue.sse.value if queue.sse else None
    key = queue.kms_key.value if queue.kms_key else None
    choices = []
    for assignment in assignments(sse, key):
        choice = _decide_one(queue, choose(sse, assignment), choose(key, assignment), refs)
        choices.append(replace(choice, when=describe_assignment(assignment), assignment=dict(assignment)))
    return tuple(choices)


def judge(choices: tuple[EncryptionChoice, ...]) -> EncryptionChoice:
    """The choice a queue is judged by: the weakest, first among equals."""
    return min(choices, key=weakness)


def weakness(choice: EncryptionChoice) -> int:
    if choice.mode is Encryption.CUSTOMER_KEY and choice.external:
        return WEAKNESS[Encryption.UNRESOLVED]
    return WEAKNESS[choice.mode]


def _flag(value: Any) -> Any:
    """The SSE-SQS flag: True, False, None (not set), or the Unresolved value itself."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, Unresolved):
        return value
    return Unresolved(render(value), "not a boolean")


def _decide_one(queue: Queue, sse: Any, key: Any, refs: References) -> EncryptionChoice:
    flag = _flag(sse)
    key_set = key is not None and key != ""
    if key_set:
        conflict = flag is True or (queue.sse_conflicts_when == "set" and flag is not None)
        choice = classify_key(key, queue.unit, refs)
        return replace(choice, sse_conflict=conflict)
    if flag is False:
        return EncryptionChoice(Encryption.NONE, explicit=True)
    if flag is True:
        return EncryptionChoice(Encryption.SQS_OWNED, explicit=True)
    if flag is None:
        return EncryptionChoice(Encryption.SQS_OWNED, explicit=False)
    return EncryptionChoice(
        Encryption.SQS_OWNED,
        explicit=True,
        reason="%s cannot be known statically (%s); with no KMS key the queue is at best "
        "SSE-SQS" % (flag.expr, flag.reason),
    )


def classify_key(value: Any, unit: str, refs: References, depth: int = 0) -> EncryptionChoice:
    """What a KMS key reference (as a model value) points to."""
    text = _text(value)
    if depth > 8:
        return _unresolved(text, "the reference is circular")
    if isinstance(value, Unresolved):
        return replace(_unresolved(value.expr, value.reason), reported=value.reported)
    if isinstance(value, ResourceRef):
        return _from_resource(value, refs.resolve(value), text, unit, refs, depth)
    if isinstance(value, Concat):
        if is_aws_managed_sqs_key(render(value)):
            return EncryptionChoice(Encryption.AWS_MANAGED, True, key_text=text)
        for part in value.parts:
            if isinstance(part, ResourceRef):
                target = refs.resolve(part)
                if isinstance(target, (Key, Alias)):
                    return _from_resource(part, target, text, unit, refs, depth)
        unknown = [p for p in value.parts if isinstance(p, Unresolved)]
        if unknown:
            return _unresolved(text, unknown[0].reason)
        return _unresolved(text, "a key reference assembled from values that are not known")
    if isinstance(value, str):
        if is_aws_managed_sqs_key(value):
            return EncryptionChoice(Encryption.AWS_MANAGED, True, key_text=text)
        alias = refs.alias_named(value, unit)
        if alias is not None:
            return _from_resource(None, alias, text, unit, refs, depth)
        return EncryptionChoice(Encryption.CUSTOMER_KEY, True, key_text=text, external=True)
    return _unresolved(text, "the value is not a key id, ARN or alias")


def _from_resource(
    ref: ResourceRef | None,
    target: Any,
    text: str,
    unit: str,
    refs: References,
    depth: int,
) -> EncryptionChoice:
    if isinstance(target, Key):
        return EncryptionChoice(
            Encryption.CUSTOMER_KEY,
            True,
            key_text=text,
            key_address=target.address,
            key_unit=target.unit,
        )
    if isinstance(target, Alias):
        alias_target = target.target.value if target.target else None
        if alias_target is None:
            return _unresolved(text, "alias %s has no target key" % target.address)
        inner = classify_key(alias_target, target.unit, refs, depth + 1)
        return replace(inner, key_text=text)
    if target is None:
        name = ref.address if ref else text
        return _unresolved(text, "%s is not a resource in the scanned code" % name)
    return _unresolved(
        text, "%s is a %s, whose key cannot be read statically" % (target.address, target.resource_type)
    )


def _unresolved(text: str, reason: str) -> EncryptionChoice:
    return EncryptionChoice(Encryption.UNRESOLVED, True, key_text=text, reason=reason)


def _text(value: Any) -> str:
    if isinstance(value, (ResourceRef, Unresolved)):
        return value.expr
    return render(value)
