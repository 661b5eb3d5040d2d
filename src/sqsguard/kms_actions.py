"""Every KMS action, for expanding wildcards in key policies. Keep the list here, only here.

Source: the 56 operations of the KMS API in botocore 1.44.8
(`botocore/data/kms/2014-11-01/service-2.json`), as IAM authorises them: `ReEncrypt` is
`kms:ReEncryptFrom` and `kms:ReEncryptTo`, and IAM adds `kms:SynchronizeMultiRegionKey`.
Recorded 2026-11 (design/KMS-ACTIONS.md). A new KMS action appears every year or so.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache

ACTIONS: tuple[str, ...] = tuple(
    sorted(
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
        """.split()
    )
)
ALL: frozenset[str] = frozenset(ACTIONS)
_BY_LOWER = {a.lower(): a for a in ACTIONS}

# Cryptographic use (RULES.md): Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*.
CRYPTO: frozenset[str] = frozenset(
    a for a in ACTIONS if a in ("Encrypt", "Decrypt") or a.startswith(("ReEncrypt", "GenerateDataKey"))
)
# Administration: the mutating part of the console's key-administrator set.
ADMIN: frozenset[str] = frozenset(
    a
    for a in ACTIONS
    if a.startswith(("Create", "Enable", "Put", "Update", "Revoke", "Disable", "Delete"))
    or a in ("TagResource", "UntagResource", "ScheduleKeyDeletion", "CancelKeyDeletion")
)
GRANT_ACTIONS: frozenset[str] = frozenset({"CreateGrant", "ListGrants", "RevokeGrant", "RetireGrant"})


@lru_cache(maxsize=4096)
def expand(pattern: str) -> tuple[frozenset[str], bool]:
    """The KMS actions an IAM action pattern matches, and whether the pattern was understood.

    `*` and `kms:*` match everything; `kms:Create*`, `kms:*Grant`, `kms:Re?ncrypt*` match by
    wildcard, case-insensitively. A pattern for another service matches nothing (understood);
    a `kms:` name no list has (a typo) matches nothing and is not understood.
    """
    text = pattern.strip()
    if text == "*":
        return ALL, True
    service, sep, name = text.partition(":")
    if not sep:
        return frozenset(), False
    if service.lower() != "kms":
        return frozenset(), True
    if "*" in name or "?" in name:
        rx = re.compile(fnmatch.translate(name.lower()))
        return frozenset(a for a in ACTIONS if rx.match(a.lower())), True
    found = _BY_LOWER.get(name.lower())
    return (frozenset({found}), True) if found else (frozenset(), False)
