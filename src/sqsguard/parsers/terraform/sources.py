"""Terraform resources that deliver to queues, as the model's `Producer`s: SNS subscriptions
with protocol `sqs`, the `queue` blocks of S3 bucket notifications, EventBridge targets (a target
that is not a queue is left out by link.py). Shared by the HCL and the plan parser."""

from __future__ import annotations

from typing import Any

from ...model import SERVICE_PRINCIPALS, Attr, Conditional, Producer, ResourceRef, render
from .drafts import Draft, setting
from .values import strip_json

SOURCE_TYPES = frozenset({"aws_sns_topic_subscription", "aws_s3_bucket_notification", "aws_cloudwatch_event_target"})


def producers(draft: Draft, common: dict) -> list[Producer]:
    attrs = draft.attrs

    def text(name: str) -> str:
        attr = attrs.get(name)
        if attr is None:
            return "?"
        if isinstance(attr.value, ResourceRef):
            return attr.value.address  # the topic, bucket or rule, not its attribute
        if isinstance(attr.value, str):
            return attr.value
        return attr.text or render(attr.value)

    def address(name: str) -> str | None:
        attr = attrs.get(name)
        return attr.value.address if attr is not None and isinstance(attr.value, ResourceRef) else None

    def make(kind: str, service: str, source: str, target: Attr) -> Producer:
        by = {"sns": "topic_arn", "events": "rule", "s3": "bucket"}[service]
        return Producer(**common, kind=kind, service=SERVICE_PRINCIPALS[service], source=source, target=target,
                        source_address=address(by))

    if draft.rtype == "aws_sns_topic_subscription":
        protocol = attrs.get("protocol")
        target = setting(attrs, "endpoint")
        if protocol is None or target is None or not _is(protocol.value, "sqs"):
            return []
        return [make("SNS subscription", "sns", "topic %s" % text("topic_arn"), target)]
    if draft.rtype == "aws_cloudwatch_event_target":
        target = setting(attrs, "arn")
        if target is None:
            return []
        return [make("EventBridge rule target", "events", "rule %s" % text("rule"), target)]
    if draft.rtype == "aws_s3_bucket_notification":
        blocks = attrs.get("queue")
        if blocks is None or not isinstance(blocks.value, list):
            return []
        found = []
        for block in blocks.value:
            if isinstance(block, dict) and block.get("queue_arn") is not None:
                target = Attr("queue_arn", strip_json(block["queue_arn"]), render(block["queue_arn"]), blocks.location)
                found.append(make("S3 event notification", "s3", "bucket %s" % text("bucket"), target))
        return found
    return []


def _is(value: Any, wanted: str) -> bool:
    """Equal to `wanted` in some branch (a protocol chosen by a condition counts)."""
    if isinstance(value, Conditional):
        return _is(value.if_true, wanted) or _is(value.if_false, wanted)
    return isinstance(value, str) and value.strip().lower() == wanted
