"""Every action of the services whose policies sqsguard reads (KMS and SQS), for expanding
wildcards in key, queue and IAM policies. Keep the lists here, only here.

KMS: the 56 operations of the KMS API in botocore 1.44.8
(`botocore/data/kms/2014-11-01/service-2.json`), as IAM authorises them: `ReEncrypt` is
`kms:ReEncryptFrom` and `kms:ReEncryptTo`, and IAM adds `kms:SynchronizeMultiRegionKey`.
Recorded 2026-11 (design/KMS-ACTIONS.md). A new KMS action appears every year or so.

SQS: the 23 operations of the SQS API in botocore 1.35.99
(`botocore/data/sqs/2012-11-05/service-2.json`), as IAM authorises them: the three batch
operations (`SendMessageBatch`, `DeleteMessageBatch`, `ChangeMessageVisibilityBatch`) are
authorised as their single-message action, so 20 actions. Recorded 2026-12.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache


def _names(text: str) -> tuple[str, ...]:
    return tuple(sorted(text.split()))


KMS: tuple[str, ...] = _names(
    """
    CancelKeyDeletion ConnectCustomKeyStore CreateAlias CreateCustomKeyStore CreateGrant CreateKey
    Decapsulate Decrypt DeleteAlias DeleteCustomKeyStore DeleteImportedKeyMaterial
    DeriveSharedSecret DescribeCustomKeyStores DescribeKey DisableKey DisableKeyRotation
    DisconnectCustomKeyStore EnableKey EnableKeyRotation Encapsulate Encrypt GenerateDataKey
    GenerateDataKeyPair GenerateDataKeyPairWithoutPlaintext GenerateDataKeyWithoutPlaintext
    GenerateMac GenerateRandom GetKeyLastUsage GetKeyPolicy GetKeyRotationStatus
    GetParametersForImport GetPublicKey ImportKeyMaterial ListAliases ListGrants ListKeyPolicies
    ListKeyRotations ListKeys ListResourceTags ListRetirableGrants PutKeyPolicy
    ReEncryptFrom ReEncryptTo ReplicateKey RetireGrant RevokeGrant RotateKeyOnDemand
    ScheduleKeyDeletion Sign SynchronizeMultiRegionKey TagResource UntagResource UpdateAlias
    UpdateCustomKeyStore UpdateKeyDescription UpdatePrimaryRegion Verify VerifyMac
    """
)
SQS: tuple[str, ...] = _names(
    """
    AddPermission CancelMessageMoveTask ChangeMessageVisibility CreateQueue DeleteMessage
    DeleteQueue GetQueueAttributes GetQueueUrl ListDeadLetterSourceQueues ListMessageMoveTasks
    ListQueueTags ListQueues PurgeQueue ReceiveMessage RemovePermission SendMessage
    SetQueueAttributes StartMessageMoveTask TagQueue UntagQueue
    """
)
SERVICES: dict[str, frozenset[str]] = {"kms": frozenset(KMS), "sqs": frozenset(SQS)}
_BY_LOWER = {service: {a.lower(): a for a in names} for service, names in SERVICES.items()}

KMS_ALL: frozenset[str] = SERVICES["kms"]
# Cryptographic use (RULES.md): Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*.
KMS_CRYPTO: frozenset[str] = frozenset(
    a for a in KMS if a in ("Encrypt", "Decrypt") or a.startswith(("ReEncrypt", "GenerateDataKey"))
)
# Administration: the mutating part of the console's key-administrator set.
KMS_ADMIN: frozenset[str] = frozenset(
    a
    for a in KMS
    if a.startswith(("Create", "Enable", "Put", "Update", "Revoke", "Disable", "Delete"))
    or a in ("TagResource", "UntagResource", "ScheduleKeyDeletion", "CancelKeyDeletion")
)
KMS_GRANT_ACTIONS: frozenset[str] = frozenset({"CreateGrant", "ListGrants", "RevokeGrant", "RetireGrant"})


def everything(service: str) -> frozenset[str]:
    """Every action of a service sqsguard knows."""
    return SERVICES[service]


@lru_cache(maxsize=8192)
def expand(pattern: str, service: str = "kms") -> tuple[frozenset[str], bool]:
    """The actions of `service` an IAM action pattern matches, and whether it was understood.

    `*` and `kms:*` match everything; `kms:Create*`, `kms:*Grant`, `sqs:*Message` match by
    wildcard, case-insensitively. A pattern for another service matches nothing (understood);
    a name of the service its list does not have (a typo) matches nothing and is not understood.
    """
    names = SERVICES[service]
    text = pattern.strip()
    if text == "*":
        return names, True
    prefix, sep, name = text.partition(":")
    if not sep:
        return frozenset(), False
    if prefix.lower() != service:
        return frozenset(), True
    if "*" in name or "?" in name:
        rx = re.compile(fnmatch.translate(name.lower()))
        return frozenset(a for a in names if rx.match(a.lower())), True
    found = _BY_LOWER[service].get(name.lower())
    return (frozenset({found}), True) if found else (frozenset(), False)
