"""Registry modules people really use, modelled from their documented inputs and defaults.

sqsguard does not download modules. For the two most used SQS/KMS modules it knows what a
call creates, following the modules' own logic (terraform-aws-modules, Apache-2.0; read from
their `main.tf` / `variables.tf`, v4/v5 for sqs, v3/v4 for kms):

- `terraform-aws-modules/sqs/aws` creates `aws_sqs_queue.this` and, with `create_dlq`,
  `aws_sqs_queue.dlq`. `sqs_managed_sse_enabled` defaults to true and the module sends it
  only when `kms_master_key_id` is null (`var.kms_master_key_id != null ? null :
  var.sqs_managed_sse_enabled`), so a call can never produce SQG105. The DLQ takes
  `dlq_kms_master_key_id`, else the queue's `kms_master_key_id`; `dlq_sqs_managed_sse_enabled`
  (default true) applies when neither is set. `create_queue_policy` adds
  `aws_sqs_queue_policy.this` from `queue_policy_statements`.
- `terraform-aws-modules/kms/aws` creates `aws_kms_key.this` (or the external / replica key
  its `create_*` inputs select) with `enable_key_rotation` default true, and the key policy the
  module builds: the account-root `Default` statement (`enable_default_policy`, default true),
  `key_owners`, `key_administrators`, `key_users`, `key_service_users` (grants only with
  `kms:GrantIsForAWSResource`), the other `key_*_users` lists, `key_statements`, merged with
  `source_policy_documents` / `override_policy_documents`; `policy` replaces it all. Each
  alias in `aliases` / `computed_aliases` is an `aws_kms_alias.this` whose target is the key.

Objects a call creates are located at the call block; a setting at the input that gives it
(the call block when it is the module's default). A module's outputs (`module.kms.key_arn`)
are references to those objects.
"""

from __future__ import annotations

import re
from typing import Any

from ...model import (
    OWN_ACCOUNT,
    PARTITION,
    REGION,
    Conditional,
    Location,
    ResourceRef,
    Unresolved,
    render,
)
from ..documents import Node, NodeList
from .drafts import Draft, DraftAttr
from .policy_documents import documents, merge_statements
from .values import JsonDoc, lift, mark

SQS = "sqs"
KMS = "kms"

_REGISTRY = re.compile(r"^(?:registry\.terraform\.io/|app\.terraform\.io/[^/]+/)?terraform-aws-modules/(sqs|kms)/aws$")
_GITHUB = re.compile(r"^(?:git::)?(?:https://|ssh://git@|git@)?github\.com[/:]terraform-aws-modules/terraform-aws-(sqs|kms)(?:\.git)?$")


def registry_kind(source: str) -> str | None:
    """"sqs" / "kms" for the modelled modules (registry or GitHub source, any version)."""
    text = source.strip().lower()
    text = text.split("?", 1)[0]
    if "//" in text.replace("://", ""):
        return None  # a submodule (wrappers, ...) is not the module itself
    m = _REGISTRY.match(text) or _GITHUB.match(text)
    return m.group(1) if m else None


DEFAULT = object()

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


class RegistryModule:
    """One instance of a call to a modelled registry module."""

    def __init__(self, kind: str, source: str, address: str, unit: str, block: Any, inputs: dict, location: Location):
        self.kind = kind
        self.source = source
        self.address = address
        self.unit = unit
        self.block = block
        self.inputs = inputs
        self.location = location
        self.file = location.file
        self._values: dict[str, Any] = {}
        self._drafts: list[Draft] | None = None
        self._policy: Any = None

    # -- inputs ------------------------------------------------------------------------------

    def given(self, name: str) -> bool:
        return name in self.inputs

    def value(self, name: str, default: Any = None) -> Any:
        if name not in self.inputs:
            return default
        if name not in self._values:
            attr, ev = self.inputs[name]
            self._values[name] = ev.evaluate(attr.expr, attr.seg)
        return self._values[name]

    def attr(self, name: str, value: Any, default_text: str | None = None) -> DraftAttr:
        """A setting that comes from input `name` (its text and line), or the module default."""
        if name in self.inputs:
            attr = self.inputs[name][0]
            return DraftAttr(value, attr.seg.text_of(attr.expr, 200), Location(attr.seg.file, attr.line, attr.end_line))
        text = default_text if default_text is not None else "%s (the default of module %s)" % (render(value), self.source)
        return DraftAttr(value, text, self.location)

    def line_of(self, name: str) -> tuple[int, int]:
        if name in self.inputs:
            attr = self.inputs[name][0]
            return attr.line, attr.end_line
        return self.location.line, self.location.end_line

    # -- what the call creates ---------------------------------------------------------------

    def drafts(self) -> list[Draft]:
        if self._drafts is None:
            if self.value("create", True) is False:
                self._drafts = []
            elif self.kind == SQS:
                self._drafts = self._sqs()
            else:
                self._drafts = self._kms()
        return self._drafts

    def ref(self, address: str, attribute: str, text: str) -> ResourceRef:
        return ResourceRef(self.unit, "%s.%s" % (self.address, address), attribute, text)

    def output(self, name: str, text: str) -> Any:
        if self.value("create", True) is False:
            return None
        if self.kind == SQS:
            for prefix, queue in (("dead_letter_queue_", "aws_sqs_queue.dlq"), ("queue_", "aws_sqs_queue.this")):
                if name.startswith(prefix):
                    attribute = name[len(prefix) :]
                    attribute = {"arn_static": "arn"}.get(attribute, attribute)
                    return self.ref(queue, attribute, text)
        else:
            key = self._key_address()
            if name in ("key_arn", "key_id", "key_region", "external_key_arn", "external_key_id", "replica_key_arn", "replica_key_id"):
                attribute = name.split("_")[-1]
                return self.ref(key, "key_id" if attribute == "id" else attribute, text)
            if name == "key_policy":
                return self.policy()
            if name == "aliases":
                return self._alias_outputs(text)
        return Unresolved(text, "output %s of module %s is not modelled by sqsguard" % (name, self.source))

    # -- terraform-aws-modules/sqs/aws ---------------------------------------------------------

    def _sqs(self) -> list[Draft]:
        key = self.value("kms_master_key_id")
        sse_input = self.value("sqs_managed_sse_enabled", True)
        sse = lift(key, lambda k: None if k is not None else sse_input)
        attrs: dict[str, DraftAttr] = {}
        if key is not None:
            attrs["kms_master_key_id"] = self.attr("kms_master_key_id", key)
        if _maybe_set(sse):
            attrs["sqs_managed_sse_enabled"] = self.attr("sqs_managed_sse_enabled", sse, "true (the default of module %s)" % self.source)
        reuse = self.value("kms_data_key_reuse_period_seconds")
        if reuse is not None:
            attrs["kms_data_key_reuse_period_seconds"] = self.attr("kms_data_key_reuse_period_seconds", reuse)
        tags = self.value("tags", {})
        attrs["tags"] = self.attr("tags", tags if tags is not None else {}, "")
        fifo = self.value("fifo_queue", False)
        attrs["fifo_queue"] = self.attr("fifo_queue", fifo, "")
        create_dlq = self.value("create_dlq", False)
        drafts = []
        if create_dlq is not False and create_dlq is not None:
            attrs["redrive_policy"] = DraftAttr(
                {"deadLetterTargetArn": self.ref("aws_sqs_queue.dlq", "arn", self.address + ".aws_sqs_queue.dlq.arn")},
                "",
                self.location,
            )
        elif self.given("redrive_policy"):
            attrs["redrive_policy"] = self.attr("redrive_policy", self.value("redrive_policy"))
        drafts.append(Draft("aws_sqs_queue", self.address + ".aws_sqs_queue.this", self.unit, self.location, attrs))
        if create_dlq is not False and create_dlq is not None:
            drafts.append(self._dlq(key, sse_input, reuse, tags))
        if self.value("create_queue_policy", False) is True:
            drafts.append(self._queue_policy("this", "queue_policy_statements", "source_queue_policy_documents", "override_queue_policy_documents"))
        if create_dlq is True and self.value("create_dlq_queue_policy", False) is True:
            drafts.append(self._queue_policy("dlq", "dlq_queue_policy_statements", "source_dlq_queue_policy_documents", "override_dlq_queue_policy_documents"))
        return drafts

    def _dlq(self, key: Any, sse_input: Any, reuse: Any, tags: Any) -> Draft:
        dlq_key_given = self.value("dlq_kms_master_key_id")
        dlq_key = _coalesce(dlq_key_given, key)
        dlq_sse_given = self.value("dlq_sqs_managed_sse_enabled", True)
        dlq_sse_input = _coalesce(dlq_sse_given, sse_input)
        dlq_sse = lift(dlq_key, lambda k: None if k is not None else dlq_sse_input)
        key_input = "dlq_kms_master_key_id" if dlq_key_given is not None else "kms_master_key_id"
        sse_name = "dlq_sqs_managed_sse_enabled" if dlq_sse_given is not None else "sqs_managed_sse_enabled"
        attrs: dict[str, DraftAttr] = {}
        if dlq_key is not None:
            attrs["kms_master_key_id"] = self.attr(key_input, dlq_key)
        if _maybe_set(dlq_sse):
            attrs["sqs_managed_sse_enabled"] = self.attr(sse_name, dlq_sse, "true (the default of module %s)" % self.source)
        dlq_reuse = _coalesce(self.value("dlq_kms_data_key_reuse_period_seconds"), reuse)
        if dlq_reuse is not None:
            name = "dlq_kms_data_key_reuse_period_seconds" if self.given("dlq_kms_data_key_reuse_period_seconds") else "kms_data_key_reuse_period_seconds"
            attrs["kms_data_key_reuse_period_seconds"] = self.attr(name, dlq_reuse)
        dlq_tags = self.value("dlq_tags", {})
        merged = dict(tags) if isinstance(tags, dict) else {}
        if isinstance(dlq_tags, dict):
            merged.update(dlq_tags)
        attrs["tags"] = DraftAttr(merged, "", self.location)
        attrs["fifo_queue"] = DraftAttr(self.value("fifo_queue", False), "", self.location)
        names = {
            "sse": sse_name,
            "kms_key": "dlq_kms_master_key_id",
            "data_key_reuse": "dlq_kms_data_key_reuse_period_seconds",
        }
        return Draft("aws_sqs_queue", self.address + ".aws_sqs_queue.dlq", self.unit, self.location, attrs, names=names)

    def _queue_policy(self, queue: str, statements_input: str, source_input: str, override_input: str) -> Draft:
        policy = self._document(
            [],
            statements_input,
            source_input,
            override_input,
            default_resources=[self.ref("aws_sqs_queue.%s" % queue, "arn", "%s.aws_sqs_queue.%s.arn" % (self.address, queue))],
        )
        attrs = {
            "queue_url": DraftAttr(self.ref("aws_sqs_queue.%s" % queue, "url", "%s.aws_sqs_queue.%s.url" % (self.address, queue)), "", self.location),
            "policy": self.attr(statements_input, policy, ""),
        }
        return Draft("aws_sqs_queue_policy", "%s.aws_sqs_queue_policy.%s" % (self.address, queue), self.unit, self.location, attrs)

    # -- terraform-aws-modules/kms/aws ---------------------------------------------------------

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
            built = self._document(statements, "key_statements", "source_policy_documents", "override_policy_documents")
            self._policy = lift(given, lambda g: built if g is None or g == "" else g)
        return self._policy

    def _kms(self) -> list[Draft]:
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
                _statement(
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
            statements.append(_statement(sid, list(actions), [("AWS", principals)], condition, line, end, self.file))
        if self.value("enable_route53_dnssec", False) is True:
            line, end = self.line_of("enable_route53_dnssec")
            service = [("Service", ["dnssec-route53.${AWS::URLSuffix}"])]
            statements.append(_statement("Route53DnssecService", ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"], service, None, line, end, self.file))
            statements.append(_statement("Route53DnssecGrant", ["kms:CreateGrant"], service, [("Bool", "kms:GrantIsForAWSResource", ["true"])], line, end, self.file))
        return statements

    def _document(self, statements: list, statements_input: str, source_input: str, override_input: str, default_resources: list | None = None) -> Any:
        merged: list = []
        line, end = self.line_of(source_input)
        for doc in documents(self.value(source_input), line, end, self.file):
            merge_statements(merged, doc, replace=False)
        own = list(statements)
        custom = self.value(statements_input)
        line, end = self.line_of(statements_input)
        own.extend(_custom_statements(custom, line, end, self.file, default_resources))
        merge_statements(merged, own, replace=True)
        line, end = self.line_of(override_input)
        for doc in documents(self.value(override_input), line, end, self.file):
            merge_statements(merged, doc, replace=True)
        document = Node()
        document["Version"] = "2012-10-17"
        document["Statement"] = mark(NodeList(merged), self.location.line, self.location.end_line, self.file)
        mark(document, self.location.line, self.location.end_line, self.file)
        document.key_lines = {"Version": (self.location.line, self.location.line), "Statement": (self.location.line, self.location.end_line)}
        return JsonDoc(document)


def _custom_statements(value: Any, line: int, end: int, file: str, default_resources: list | None) -> list:
    """`key_statements` / `queue_policy_statements`: a list or map of statement objects."""
    if value is None:
        return []
    if isinstance(value, Conditional) or isinstance(value, (Unresolved, ResourceRef)) or not isinstance(value, (list, dict)):
        reason = value.reason if isinstance(value, Unresolved) else "not known statically"
        return [Unresolved(render(value)[:200], "custom statements that are not known (%s)" % reason)]
    items = [value[k] for k in sorted(value, key=str)] if isinstance(value, dict) else list(value)
    keys = sorted(value, key=str) if isinstance(value, dict) else [None] * len(items)
    out = []
    for key, item in zip(keys, items):
        if not isinstance(item, dict):
            out.append(Unresolved(render(item)[:200], "a statement that is not an object"))
            continue
        item_line = getattr(item, "line", 0) or line
        item_end = getattr(item, "end_line", 0) or end
        sid = item.get("sid") if item.get("sid") is not None else key
        principals = [(p.get("type"), p.get("identifiers")) for p in (item.get("principals") or []) if isinstance(p, dict)]
        not_principals = [(p.get("type"), p.get("identifiers")) for p in (item.get("not_principals") or []) if isinstance(p, dict)]
        conditions = [
            (c.get("test"), c.get("variable"), c.get("values"))
            for c in list(item.get("condition") or []) + list(item.get("conditions") or [])
            if isinstance(c, dict)
        ]
        resources = item.get("resources")
        if resources is None and item.get("not_resources") is None and default_resources is not None:
            resources = default_resources
        statement = _statement(
            sid,
            item.get("actions"),
            principals,
            conditions or None,
            item_line,
            item_end,
            file,
            effect=item.get("effect") or "Allow",
            resources=resources,
            not_actions=item.get("not_actions"),
            not_resources=item.get("not_resources"),
            not_principals=not_principals,
        )
        out.append(statement)
    return out


def _statement(
    sid: Any,
    actions: Any,
    principals: list,
    conditions: list | None,
    line: int,
    end: int,
    file: str,
    effect: str = "Allow",
    resources: Any = ("*",),
    not_actions: Any = None,
    not_resources: Any = None,
    not_principals: list | None = None,
) -> Node:
    statement = Node()
    if sid not in (None, ""):
        statement["Sid"] = sid
    statement["Effect"] = effect
    for key, group in (("Principal", principals), ("NotPrincipal", not_principals or [])):
        if not group:
            continue
        principal = Node()
        for ptype, identifiers in group:
            if isinstance(identifiers, str):
                identifiers = [identifiers]
            if ptype == "*" and identifiers == ["*"]:
                principal = "*"  # type: ignore[assignment]
                break
            ptype = ptype if isinstance(ptype, str) else render(ptype)
            if isinstance(principal.get(ptype), list) and isinstance(identifiers, list):
                principal[ptype] = principal[ptype] + list(identifiers)
            else:
                principal[ptype] = mark(NodeList(identifiers), line, end, file) if isinstance(identifiers, list) else identifiers
        statement[key] = mark(principal, line, end, file) if isinstance(principal, Node) else principal
    if actions is not None:
        statement["Action"] = mark(NodeList(actions), line, end, file) if isinstance(actions, list) else actions
    if not_actions is not None:
        statement["NotAction"] = mark(NodeList(not_actions), line, end, file) if isinstance(not_actions, list) else not_actions
    if resources is not None:
        statement["Resource"] = mark(NodeList(resources), line, end, file) if isinstance(resources, (list, tuple)) else resources
    if not_resources is not None:
        statement["NotResource"] = not_resources
    if conditions:
        condition = Node()
        for test, variable, values in conditions:
            operator = condition.setdefault(test if isinstance(test, str) else render(test), mark(Node(), line, end, file))
            operator[variable if isinstance(variable, str) else render(variable)] = (
                mark(NodeList(values), line, end, file) if isinstance(values, list) else values
            )
        statement["Condition"] = mark(condition, line, end, file)
    mark(statement, line, end, file)
    statement.key_lines = {k: (line, end) for k in statement}
    return statement


def _coalesce(first: Any, second: Any) -> Any:
    """try(coalesce(a, b), null)."""
    return lift(first, lambda a: second if a is None or a == "" else a)


def _maybe_set(value: Any) -> bool:
    if isinstance(value, Conditional):
        return _maybe_set(value.if_true) or _maybe_set(value.if_false)
    return value is not None
