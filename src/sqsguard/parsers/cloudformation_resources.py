"""The CloudFormation resource table: which resource types become which model objects, and the
property each model setting is read from. The template builder (`cloudformation.py`, which CDK
assemblies go through too) reads it; the prefilter's tokens (`discover.DOCUMENT_TOKENS`) are held
to it by a test. Producers and principals are built by their own modules, which list their
types (`cloudformation_sources.py`, `cloudformation_iam.py`).
"""

from __future__ import annotations

from .cloudformation_iam import IAM_TYPES
from .cloudformation_sources import SOURCE_TYPES

QUEUE = "AWS::SQS::Queue"
KEY = "AWS::KMS::Key"
REPLICA_KEY = "AWS::KMS::ReplicaKey"
ALIAS = "AWS::KMS::Alias"

# model setting -> property, per kind. Messages name a setting by its property (`names=`).
QUEUE_PROPERTIES = {
    "name": "QueueName",
    "sse": "SqsManagedSseEnabled",
    "kms_key": "KmsMasterKeyId",
    "data_key_reuse": "KmsDataKeyReusePeriodSeconds",
    "redrive": "RedrivePolicy",
    "tags": "Tags",
    "fifo": "FifoQueue",
}
KEY_PROPERTIES = {
    "policy": "KeyPolicy",
    "rotation": "EnableKeyRotation",
    "enabled": "Enabled",
    "key_spec": "KeySpec",
    "key_usage": "KeyUsage",
    "bypass_lockout": "BypassPolicyLockoutSafetyCheck",
    "tags": "Tags",
    "origin": "Origin",
    "primary": "PrimaryKeyArn",
}
ALIAS_PROPERTIES = {"name": "AliasName", "target": "TargetKeyId"}

# The settings the rules judge, as messages name them (CDK: with the construct's own spelling).
QUEUE_NAMES = {n: QUEUE_PROPERTIES[n] for n in ("sse", "kms_key", "data_key_reuse")}
CDK_QUEUE_NAMES = {
    "sse": "SqsManagedSseEnabled (CDK: encryption)",
    "kms_key": "KmsMasterKeyId (CDK: encryptionMasterKey)",
    "data_key_reuse": "KmsDataKeyReusePeriodSeconds (CDK: dataKeyReuse)",
}
KEY_NAMES = {n: KEY_PROPERTIES[n] for n in ("policy", "rotation", "enabled", "key_spec", "key_usage", "bypass_lockout")}

# type -> the kind of model object it becomes
TABLE: dict[str, str] = {
    QUEUE: "queue",
    KEY: "key",
    REPLICA_KEY: "key",
    ALIAS: "alias",
    **{t: "producer" for t in SOURCE_TYPES},
    **{t: "principal" for t in IAM_TYPES},
}
