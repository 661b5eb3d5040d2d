"""SQG101–SQG105: how each queue is encrypted.

Every queue is judged once by `encryption.judge` (the weakest known choice), so exactly one of
SQG101–SQG104 fires for a queue without a verified customer-managed key in the scan; SQG105
is independent of the judgement.
"""

from __future__ import annotations

from typing import Iterator

from ..model import Attr, Encryption, EncryptionChoice, Location, Model, Queue
from ..options import Options
from .base import Hit, rule, set_by


def _when(choice: EncryptionChoice) -> str:
    return " when %s" % choice.when if choice.when else ""


def _at(attr: Attr | None) -> Location | None:
    return attr.location if attr is not None else None


def _written(attr: Attr | None, resolved: str | None) -> str:
    """The setting as written, with what it resolved to when that differs."""
    if attr is None:
        return resolved or ""
    if resolved and resolved != attr.text:
        return "%s: %s, which resolves to %s%s" % (attr.name, attr.text, resolved, set_by(attr))
    return "%s: %s%s" % (attr.name, attr.text, set_by(attr))


def _judged(model: Model, mode: Encryption) -> Iterator[tuple[Queue, EncryptionChoice]]:
    for queue in model.queues:
        if queue.encryption is not None and queue.encryption.mode is mode:
            yield queue, queue.encryption


@rule("SQG101")
def queue_unencrypted(model: Model, options: Options) -> Iterator[Hit]:
    for queue, choice in _judged(model, Encryption.NONE):
        yield Hit(
            queue,
            "Queue %s is not encrypted at rest: %s is false and no %s is set%s; set %s to a "
            "customer-managed KMS key."
            % (
                queue.address,
                queue.attr_name("sse"),
                queue.attr_name("kms_key"),
                _when(choice),
                queue.attr_name("kms_key"),
            ),
            _at(queue.sse),
        )


@rule("SQG102")
def queue_sqs_owned_key(model: Model, options: Options) -> Iterator[Hit]:
    for queue, choice in _judged(model, Encryption.SQS_OWNED):
        kms = queue.attr_name("kms_key")
        if choice.reason:
            how = "uses at best the SQS-owned key (SSE-SQS): %s" % choice.reason
            where = _at(queue.sse)
        elif choice.explicit:
            how = "uses the SQS-owned key (SSE-SQS) because %s is true" % queue.attr_name("sse")
            where = _at(queue.sse)
        elif queue.kms_key is not None:
            how = "sets no KMS key (%s: %s), so it gets AWS's default, the SQS-owned key (SSE-SQS)" % (
                queue.kms_key.name,
                queue.kms_key.text,
            )
            where = _at(queue.kms_key)
        else:
            how = "sets no encryption, so it gets AWS's default for new queues, the SQS-owned key (SSE-SQS)"
            where = None
        yield Hit(
            queue,
            "Queue %s %s%s; nobody can control or audit access to that key — set %s to a "
            "customer-managed KMS key." % (queue.address, how, _when(choice), kms),
            where,
        )


@rule("SQG103")
def queue_aws_managed_key(model: Model, options: Options) -> Iterator[Hit]:
    for queue, choice in _judged(model, Encryption.AWS_MANAGED):
        yield Hit(
            queue,
            "Queue %s is encrypted with the AWS-managed key alias/aws/sqs (%s)%s; its key policy "
            "cannot be changed, so SNS, S3 and EventBridge cannot deliver and access cannot be "
            "narrowed — use a customer-managed KMS key."
            % (queue.address, _written(queue.kms_key, choice.key_text), _when(choice)),
            _at(queue.kms_key),
        )


@rule("SQG104")
def queue_key_unverifiable(model: Model, options: Options) -> Iterator[Hit]:
    for queue in model.queues:
        choice = queue.encryption
        if choice is None:
            continue
        if choice.mode is Encryption.UNRESOLVED and choice.reported:
            continue  # the scan reports it as an error already
        if choice.mode is Encryption.UNRESOLVED:
            message = (
                "Queue %s uses a key that cannot be resolved statically (%s; %s)%s; sqsguard "
                "cannot verify it is a customer-managed key — pass the value (--parameter or "
                "--var) or scan the code that defines it."
                % (queue.address, _written(queue.kms_key, choice.key_text), choice.reason, _when(choice))
            )
        elif choice.mode is Encryption.CUSTOMER_KEY and choice.external:
            message = (
                "Queue %s uses the customer key %s, defined outside the scanned code (%s)%s; its "
                "key policy cannot be checked here — scan the code that defines it."
                % (queue.address, choice.key_text, _written(queue.kms_key, None), _when(choice))
            )
        else:
            continue
        yield Hit(queue, message, _at(queue.kms_key))
    for module in model.unread_modules:
        given = ""
        if module.managed_key_inputs:
            given = (
                " It is given the AWS-managed key alias/aws/sqs (%s): a queue it encrypts with that is "
                "not on a customer-managed key." % "; ".join(module.managed_key_inputs)
            )
        yield Hit(
            module,
            "%s %s (source %s) was not read: %s, so the queues and keys it may create cannot be "
            "verified — %s.%s" % (module.kind, module.address, module.source, module.reason, module.advice, given),
        )


@rule("SQG105")
def queue_encryption_conflict(model: Model, options: Options) -> Iterator[Hit]:
    for queue in model.queues:
        conflicting = [c for c in queue.choices if c.sse_conflict]
        if not conflicting:
            continue
        sse, kms = queue.attr_name("sse"), queue.attr_name("kms_key")
        if queue.sse_conflicts_when == "set":
            consequence = "the AWS provider rejects the pair at plan time"
        else:
            consequence = "SQS allows one server-side encryption option per queue"
        yield Hit(
            queue,
            "Queue %s sets %s together with %s%s; %s — remove %s and keep the customer-managed key."
            % (queue.address, sse, kms, _when(conflicting[0]), consequence, sse),
            _at(queue.sse),
        )
