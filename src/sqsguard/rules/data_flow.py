"""SQG401–SQG402: AWS services that deliver to a queue must be able to use its key.

A producer (an SNS subscription, an S3 event notification, an EventBridge rule target) encrypts
what it delivers with the queue's key under its own service principal, which has no IAM policy:
only the key policy can allow it. Findings attach to the queue and name the producers.
"""

from __future__ import annotations

from typing import Iterator

from ..model import Encryption, EncryptionChoice, Key, Model, Producer, Queue
from ..options import Options
from ..policy import Analysis, Grant
from .base import Hit, rule
from .key_policy import analyses

NEEDED = ("GenerateDataKey", "Decrypt")


def _producers_by_queue(model: Model) -> dict[int, tuple[Queue, list[Producer]]]:
    found: dict[int, tuple[Queue, list[Producer]]] = {}
    for producer in model.producers:
        if producer.queue is not None:
            found.setdefault(id(producer.queue), (producer.queue, []))[1].append(producer)
    return found


def _names(producers: list[Producer]) -> str:
    shown = ["%s %s (%s)" % (p.kind, p.address, p.source) for p in producers[:3]]
    if len(producers) > 3:
        shown.append("%d more" % (len(producers) - 3))
    return _and(shown)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "%s and %s" % (", ".join(items[:-1]), items[-1])


def _when(choice: EncryptionChoice) -> str:
    return " when %s" % choice.when if choice.when else ""


def _where(queue: Queue):
    return queue.kms_key.location if queue.kms_key is not None else None


@rule("SQG401")
def producer_blocked_by_aws_managed_key(model: Model, options: Options) -> Iterator[Hit]:
    for queue, producers in _producers_by_queue(model).values():
        managed = next((c for c in queue.choices if c.mode is Encryption.AWS_MANAGED), None)
        if managed is None:
            continue
        services = _and(sorted({p.service for p in producers}))
        yield Hit(
            queue,
            "%s deliver%s to queue %s, which is encrypted with the AWS-managed key alias/aws/sqs%s: %s "
            "cannot use that key, so the messages are dropped — encrypt the queue with a customer-managed "
            "key whose policy allows %s kms:GenerateDataKey* and kms:Decrypt, with aws:SourceArn set to "
            "the producing resource."
            % (
                _names(producers),
                "s" if len(producers) == 1 else "",
                queue.address,
                _when(managed),
                services,
                services,
            ),
            _where(queue),
        )


def _allowed(analysis: Analysis, service: str) -> set[str]:
    """The KMS actions the key policy lets the service principal use."""
    allowed: set[str] = set()
    for grant in analysis.grants:
        if _reaches(grant, service):
            allowed |= grant.actions
    return allowed


def _reaches(grant: Grant, service: str) -> bool:
    principal, scope = grant.principal, grant.scope
    if principal.kind == "service":
        text = principal.text.strip().lower()
        return text == service or text.startswith(service + ".")  # sns.amazonaws.com.cn
    if principal.kind == "wildcard":
        # "*" reaches a service unless a condition pins who the caller is (a service is no
        # organisation member, account principal or ARN); a source pin is what a service sends
        return not (scope.org or scope.principal_arn or scope.via_service) and (not scope.constrains or scope.source)
    return False


def _keys(model: Model) -> dict[tuple[str, str], Key]:
    return {(k.unit, k.address): k for k in model.keys}


@rule("SQG402")
def producer_missing_key_grant(model: Model, options: Options) -> Iterator[Hit]:
    keys = _keys(model)
    for queue, producers in _producers_by_queue(model).values():
        found = None
        for choice in queue.choices:
            key = keys.get((choice.key_unit, choice.key_address)) if choice.mode is Encryption.CUSTOMER_KEY else None
            if key is None:
                continue
            for analysis in analyses(key, model, options):
                if analysis.unresolved is not None or analysis.parse_problem is not None or analysis.unknown_statements:
                    continue  # a policy that cannot be read is SQG208's, never a guess
                if any(s.unreadable for s in analysis.statements):
                    continue
                for producer in producers:
                    missing = [a for a in NEEDED if a not in _allowed(analysis, producer.service)]
                    if missing:
                        found = (key, choice, analysis, producer, missing)
                        break
                if found:
                    break
            if found:
                break
        if found is None:
            continue
        key, choice, analysis, producer, missing = found
        when = [w for w in (choice.when, analysis.when) if w]
        yield Hit(
            queue,
            "%s %s (%s) delivers to queue %s, but the policy of its key %s does not allow %s %s%s: every "
            "delivery fails with a KMS access error — add a key policy statement that allows %s "
            "kms:GenerateDataKey* and kms:Decrypt, with aws:SourceArn set to the %s."
            % (
                producer.kind,
                producer.address,
                producer.source,
                queue.address,
                key.address,
                producer.service,
                " and ".join("kms:" + a for a in missing),
                " when %s" % ", ".join(when) if when else "",
                producer.service,
                producer.source.split(" ")[0],
            ),
            _where(queue),
        )
