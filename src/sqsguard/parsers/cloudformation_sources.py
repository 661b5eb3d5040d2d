"""CloudFormation (and CDK) resources that deliver to queues, as the model's `Producer`s.

- `AWS::SNS::Subscription` with protocol `sqs`, and the `Subscription` list of `AWS::SNS::Topic`;
- S3 event notifications: `NotificationConfiguration.QueueConfigurations` of `AWS::S3::Bucket`,
  and of CDK's `Custom::S3BucketNotifications` (its `QueueArn` entries);
- `AWS::Events::Rule` `Targets` (a target that is not a queue is left out by link.py).
"""

from __future__ import annotations

from typing import Any, Callable

from ..model import SERVICE_PRINCIPALS, Producer, ResourceRef
from .documents import Node

SOURCE_TYPES = frozenset(
    {"AWS::SNS::Subscription", "AWS::SNS::Topic", "AWS::S3::Bucket", "Custom::S3BucketNotifications", "AWS::Events::Rule"}
)


def producers(logical_id: str, rtype: str, props: dict, reader: Callable[[Any], Any], common: dict) -> list[Producer]:
    """`reader(node)` gives an attribute reader for a mapping inside the resource."""
    found: list[Producer] = []
    here = reader(props)

    def add(kind: str, service: str, source: str, entry: Any, name: str, source_address: str | None, address: str | None = None) -> None:
        attr = reader(entry).get(name) if isinstance(entry, dict) else None
        if attr is None:
            return
        found.append(Producer(**{**common, "address": address or common["address"]}, kind=kind, service=SERVICE_PRINCIPALS[service],
                              source=source, target=attr, source_address=source_address))

    if rtype == "AWS::SNS::Subscription":
        if str(here.value("Protocol") or "").lower() == "sqs":
            topic = here.get("TopicArn")
            add("SNS subscription", "sns", "topic %s" % _named(topic), props, "Endpoint", _address(topic))
    elif rtype == "AWS::SNS::Topic":
        for entry in _entries(props.get("Subscription")):
            if str(reader(entry).value("Protocol") or "").lower() == "sqs":
                add("SNS subscription", "sns", "topic %s" % logical_id, entry, "Endpoint", logical_id)
    elif rtype in ("AWS::S3::Bucket", "Custom::S3BucketNotifications"):
        config = props.get("NotificationConfiguration")
        named = here.get("BucketName")
        bucket = logical_id if rtype == "AWS::S3::Bucket" else _named(named)
        address = logical_id if rtype == "AWS::S3::Bucket" else _address(named)
        for entry in _entries(config.get("QueueConfigurations") if isinstance(config, dict) else None):
            add("S3 event notification", "s3", "bucket %s" % bucket, entry, "Queue" if "Queue" in entry else "QueueArn", address)
    elif rtype == "AWS::Events::Rule":
        for entry in _entries(props.get("Targets")):
            target = entry.get("Id")
            named = "%s.Targets[%s]" % (logical_id, target) if isinstance(target, str) else None  # the target by its Id
            add("EventBridge rule target", "events", "rule %s" % logical_id, entry, "Arn", logical_id, named)
    return found


def _address(attr: Any) -> str | None:
    """The resource of the template a value references, if it does."""
    value = attr.value if attr is not None else None
    return value.address if isinstance(value, ResourceRef) else None


def _named(attr: Any) -> str:
    """The resource a reference names (`!Ref Topic` -> Topic), else the expression as written."""
    if attr is None:
        return "?"
    value = attr.value
    return value.address if isinstance(value, ResourceRef) else attr.text


def _entries(value: Any) -> list:
    return [v for v in value if isinstance(v, (dict, Node))] if isinstance(value, list) else []
