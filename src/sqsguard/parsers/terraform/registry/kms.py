"""`terraform-aws-modules/kms/aws`, modelled from its `main.tf` / `variables.tf` (v3/v4;
Apache-2.0): what a call creates, and its outputs.

It creates `aws_kms_key.this` (or the external / replica key its `create_*` inputs select) with
`enable_key_rotation` default true, and the key policy the module builds: the account-root
`Default` statement (`enable_default_policy`, default true), `key_owners`,
`key_administrators`, `key_users`, `key_service_users` (grants only with
`kms:GrantIsForAWSResource`), the other `key_*_users` lists, `key_statements`, merged with
`source_policy_documents` / `override_policy_documents`; `policy` replaces it all. Each alias in
`aliases` / `computed_aliases` is an `aws_kms_alias.this` whose target is the key. Outputs
`key_arn`, `key_id`, `key_policy`, `aliases` (and the external/replica spellings) are modelled.
"""

from __future__ import annotations

from typing import Any

from ....model import (
    OWN_ACCOUNT,
    PARTITION,
    REGION,
    Location,
    Unresolved,
    render,
)
from ..drafts import Draft, DraftAttr
from ..values import lift
from .base import RegistryModule, build_statement

KEY_ADMIN_ACTIONS = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:ReplicateKey",
    "kms:ImportKeyMaterial",
]
KEY_USER_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
KEY_SERVICE_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
GRANT_FOR_AWS = [("Bool", "kms:GrantIsForAWSResource", [True])]
# (input, Sid, actions, condition): the statements the kms module builds from principal lists.
KMS_PRINCIPAL_STATEMENTS = [
    ("key_owners", "KeyOwner", ["kms:*"], None),
    ("key_administrators", "KeyAdministration", KEY_ADMIN_ACTIONS, None),
    ("key_users", "KeyUsage", KEY_USER_ACTIONS, None),
    ("key_service_users", "KeyServiceUsage", KEY_SERVICE_ACTIONS, GRANT_FOR_AWS),
    ("key_service_roles_for_autoscaling", "KeyServiceRolesASG", KEY_USER_ACTIONS, None),
    ("key_service_roles_for_autoscaling", "KeyServiceRolesASGPersistentVol", ["kms:CreateGrant"], GRANT_FOR_AWS),
    (
        "key_symmetric_encryption_users",
        "KeySymmetricEncryption",
        ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        None,
    ),
    ("key_hmac_users", "KeyHMAC", ["kms:DescribeKey", "kms:GenerateMac", "kms:VerifyMac"], None),
    (
        "key_asymmetric_public_encryption_users",
        "KeyAsymmetricPublicEncryption",
        ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:DescribeKey", "kms:GetPublicKey"],
        None,
    ),
    (
        "key_asymmetric_sign_verify_users",
        "KeyAsymmetricSignVerify",
        ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify"],
        None,
    ),
]


class KmsModule(RegistryModule):
    source_name = "terraform-aws-modules/kms/aws"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._policy: Any = None

    def outputs(self, name: str, text: str) -> Any:
        key = self._key_address()
        if name in ("key_arn", "key_id", "key_region", "external_key_arn", "external_key_id", "replica_key_arn", "replica_key_id"):
            attribute = name.split("_")[-1]
            return self.ref(key, "key_id" if attribute == "id" else attribute, text)
        if name == "key_policy":
            return self.policy()
        if name == "aliases":
            return self._alias_outputs(text)
        return None

    def _key_type(self) -> str:
        if self.value("create_replica", False) is True:
            return "aws_kms_replica_key"
        if self.value("create_replica_external", False) is True:
            return "aws_kms_replica_external_key"
        if self.value("create_external", False) is True:
            return "aws_kms_external_key"
        return "aws_kms_key"

    def _key_address(self) -> str:
        return "%s.this" % self._key_type()

    def policy(self) -> Any:
        if self._policy is None:
            given = self.value("policy")
            statements = self._kms_statements()
            built = self.document(statements, "key_statements", "source_policy_documents", "override_policy_documents")
            self._policy = lift(given, lambda g: built if g is None or g == "" else g)
        return self._policy

    def create(self) -> list[Draft]:
        rtype = self._key_type()
        attrs: dict[str, DraftAttr] = {}
        policy_text = "the key policy module %s builds from its inputs" % self.source
        attrs["policy"] = self.attr("policy", self.policy(), policy_text) if self.given("policy") else DraftAttr(self.policy(), policy_text, self.location)
        if rtype == "aws_kms_key":
            attrs["enable_key_rotation"] = self.attr("enable_key_rotation", self.value("enable_key_rotation", True))
        for name in ("is_enabled", "customer_master_key_spec", "key_usage", "bypass_policy_lockout_safety_check"):
            if self.given(name):
                attrs[name] = self.attr(name, self.value(name))
        attrs["tags"] = self.attr("tags", self.value("tags", {}) or {}, "")
        drafts = [Draft(rtype, "%s.%s" % (self.address, self._key_address()), self.unit, self.location, attrs)]
        for name, text, where in self._alias_names():
            alias_attrs = {
                "name": DraftAttr(name, text, where),
                "target_key_id": DraftAttr(self.ref(self._key_address(), "key_id", "%s.%s.key_id" % (self.address, self._key_address())), "", self.location),
            }
            drafts.append(Draft("aws_kms_alias", self.address + ".aws_kms_alias.this", self.unit, where, alias_attrs))
        return drafts

    def _alias_names(self) -> list[tuple[Any, str, Location]]:
        prefix_names = self.value("aliases_use_name_prefix", False) is True
        out = []
        found: list[tuple[Any, str]] = []
        aliases = self.value("aliases", [])
        if isinstance(aliases, list):
            found.extend((a, "aliases") for a in aliases)
        elif aliases is not None:
            found.append((aliases, "aliases"))
        computed = self.value("computed_aliases", {})
        if isinstance(computed, dict):
            for key in sorted(computed, key=str):
                entry = computed[key]
                found.append((entry.get("name") if isinstance(entry, dict) else entry, "computed_aliases"))
        for name, source in found:
            line, end = self.line_of(source)
            where = Location(self.file, line, end)
            if isinstance(name, str) and not prefix_names:
                value: Any = name if name.startswith("alias/") else "alias/" + name
                out.append((value, render(value), where))
            else:
                out.append((Unresolved(render(name) if name is not None else source, "the alias name is chosen when Terraform runs"), source, where))
        return out

    def _alias_outputs(self, text: str) -> Any:
        out: dict = {}
        for name, _, _ in self._alias_names():
            if not isinstance(name, str):
                continue
            short = name[len("alias/") :]
            arn = "arn:%s:kms:%s:%s:%s" % (PARTITION, REGION, OWN_ACCOUNT, name)
            key = self._key_address()
            out[short] = {
                "name": name,
                "arn": arn,
                "id": name,
                "target_key_arn": self.ref(key, "arn", "%s.%s.arn" % (self.address, key)),
                "target_key_id": self.ref(key, "key_id", "%s.%s.key_id" % (self.address, key)),
            }
        return out

    def _kms_statements(self) -> list:
        statements: list = []
        if self.value("enable_default_policy", True) is not False:
            line, end = self.line_of("enable_default_policy")
            statements.append(
                build_statement(
                    "Default",
                    ["kms:*"],
                    [("AWS", ["arn:%s:iam::%s:root" % (PARTITION, OWN_ACCOUNT)])],
                    None,
                    line,
                    end,
                    self.file,
                )
            )
        for name, sid, actions, condition in KMS_PRINCIPAL_STATEMENTS:
            principals = self.value(name, [])
            if isinstance(principals, list) and not principals:
                continue
            if principals is None:
                continue
            line, end = self.line_of(name)
            statements.append(build_statement(sid, list(actions), [("AWS", principals)], condition, line, end, self.file))
        if self.value("enable_route53_dnssec", False) is True:
            line, end = self.line_of("enable_route53_dnssec")
            service = [("Service", ["dnssec-route53.${AWS::URLSuffix}"])]
            statements.append(build_statement("Route53DnssecService", ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"], service, None, line, end, self.file))
            statements.append(build_statement("Route53DnssecGrant", ["kms:CreateGrant"], service, [("Bool", "kms:GrantIsForAWSResource", ["true"])], line, end, self.file))
        return statements
