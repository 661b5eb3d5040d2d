"""Drafts into model objects: the same Queue / Key / Alias / ... the CloudFormation parser makes.

Shared by the HCL parser and the plan parser (`tfplan.py`), which differ only in how they
get to drafts.
"""

from __future__ import annotations

from typing import Any

from ...model import (
    Alias,
    Format,
    Key,
    KeyPolicyAttachment,
    Location,
    Model,
    Queue,
    ResourceRef,
    UnreadModule,
    Unresolved,
)
from ..attributes import as_bool, common_tags
from ..attributes import dead_letter_target as shared_dead_letter_target
from .drafts import Draft, policy_setting, setting, value_of
from .iam import IAM_TYPES, queue_policy
from .iam import add as add_iam
from .sources import SOURCE_TYPES, producers
from .values import JsonDoc, lift, strip_json
from .resources import KEY_TYPES

QUEUE_NAMES = {
    "sse": "sqs_managed_sse_enabled",
    "kms_key": "kms_master_key_id",
    "data_key_reuse": "kms_data_key_reuse_period_seconds",
}
KEY_NAMES = {
    "policy": "policy",
    "rotation": "enable_key_rotation",
    "enabled": "is_enabled",
    "key_spec": "customer_master_key_spec",
    "key_usage": "key_usage",
    "bypass_lockout": "bypass_policy_lockout_safety_check",
}



def _names_key_store(value: Any) -> bool:
    """A custom key store the key is created in: an id, or a reference to a store of the code.
    A value sqsguard cannot read (a variable without a value) is taken as none, the usual case."""
    return (isinstance(value, str) and value.strip() != "") or isinstance(value, ResourceRef)

def build_model(drafts: list[Draft], fmt: Format = Format.TERRAFORM) -> Model:
    model = Model()
    queues: dict[tuple[str, str], Queue] = {}
    redrives: list[Draft] = []
    for draft in drafts:
        common = dict(
            address=draft.address,
            resource_type=draft.rtype,
            format=fmt,
            location=draft.location,
            unit=draft.unit,
            instances=draft.count,
            construct_path=draft.construct_path,
        )
        a = draft.attrs
        if draft.rtype == "module":
            model.unread_modules.append(UnreadModule(**common, source=draft.source, managed_key_inputs=draft.notes))
        elif draft.rtype == "aws_sqs_queue":
            names = draft.names or QUEUE_NAMES
            queue = Queue(
                **common,
                names=dict(names),
                name=setting(a, "name"),
                sse=setting(a, "sqs_managed_sse_enabled", names["sse"]),
                kms_key=setting(a, "kms_master_key_id", names["kms_key"]),
                data_key_reuse=setting(a, "kms_data_key_reuse_period_seconds", names["data_key_reuse"]),
                dead_letter_target=dead_letter_target(value_of(a, "redrive_policy")),
                tags=_tags(value_of(a, "tags")),
                fifo=as_bool(value_of(a, "fifo_queue")),
                sse_conflicts_when="set",
            )
            model.queues.append(queue)
            queues.setdefault((queue.unit, queue.address), queue)
            queue_policy(model, common, a)
        elif draft.rtype in KEY_TYPES:
            model.keys.append(
                Key(
                    **common,
                    names=dict(KEY_NAMES),
                    policy=policy_setting(a, "policy"),
                    rotation=setting(a, "enable_key_rotation"),
                    enabled=setting(a, "is_enabled") or setting(a, "enabled", "enabled"),
                    key_spec=setting(a, "customer_master_key_spec") or setting(a, "key_spec", "key_spec"),
                    key_usage=setting(a, "key_usage"),
                    bypass_lockout=setting(a, "bypass_policy_lockout_safety_check"),
                    tags=_tags(value_of(a, "tags")),
                    replica=draft.rtype in ("aws_kms_replica_key", "aws_kms_replica_external_key"),
                    primary=setting(a, "primary_key_arn"),
                    material=(
                        "imported" if draft.rtype in ("aws_kms_external_key", "aws_kms_replica_external_key")
                        else "custom key store" if _names_key_store(value_of(a, "custom_key_store_id")) else "generated"
                    ),
                )
            )
        elif draft.rtype == "aws_kms_alias":
            model.aliases.append(
                Alias(
                    **common,
                    names={"name": "name", "target": "target_key_id"},
                    name=setting(a, "name") or setting(a, "name_prefix", "name_prefix"),
                    target=setting(a, "target_key_id"),
                )
            )
        elif draft.rtype == "aws_kms_key_policy":
            model.key_policies.append(
                KeyPolicyAttachment(
                    **common,
                    names={"key": "key_id", "policy": "policy", "bypass_lockout": "bypass_policy_lockout_safety_check"},
                    key=setting(a, "key_id"),
                    policy=policy_setting(a, "policy"),
                    bypass_lockout=setting(a, "bypass_policy_lockout_safety_check"),
                )
            )
        elif draft.rtype == "aws_sqs_queue_redrive_policy":
            redrives.append(draft)
        elif draft.rtype in SOURCE_TYPES:
            model.producers.extend(producers(draft, common))
        elif draft.rtype in IAM_TYPES:
            add_iam(model, draft, common)
    for draft in redrives:
        target = value_of(draft.attrs, "queue_url")
        if isinstance(target, ResourceRef):
            queue = queues.get((target.unit, target.address))
            if queue is not None and queue.dead_letter_target is None:
                queue.dead_letter_target = dead_letter_target(value_of(draft.attrs, "redrive_policy"))
    return model


def _tags(value: Any) -> dict | Unresolved:
    """Tags as a dict (a map in Terraform); see `attributes.common_tags`."""

    def read(items: Any) -> dict:
        if isinstance(items, JsonDoc):
            items = items.value
        if isinstance(items, dict):
            return {str(k): strip_json(v) for k, v in items.items()}
        return {}

    return common_tags(value.value if isinstance(value, JsonDoc) else value, read)


def dead_letter_target(redrive: Any) -> Any:
    return lift(redrive, lambda value: shared_dead_letter_target(value.value if isinstance(value, JsonDoc) else value))


__all__ = ["build_model", "Location", "dead_letter_target"]
