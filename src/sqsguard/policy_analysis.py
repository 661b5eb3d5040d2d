"""Policy documents as AWS evaluates them: who may do what, under which conditions.

One reading for every policy sqsguard judges — key policies (KMS actions), queue policies (SQS
actions) and IAM identity policies (either) — done once, at link time. `analyze(policy_value,
context, service=...)` normalises a policy document (a model value: a dict, a JSON string,
`Unresolved`, or a dict with `Conditional`s inside) into statements, expands action wildcards
against every action of the service (`actions.py`), classifies principals (wildcard, the own
account root, another account, a role or user, a service), keeps the resources as written,
decides which conditions constrain (RULES.md), subtracts Deny statements, and derives the
facts the rules read.

Deny semantics (static and conservative): an unconditional Deny removes its actions from the
principals it names; a Deny to everyone whose only conditions are negated pins
(`StringNotEquals aws:PrincipalOrgID`, ...) restricts every Allow it covers to the pinned
accounts or organisation — the "deny everyone outside" pattern. Any other conditional Deny
subtracts nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import field
from typing import Any, Iterable

from .dataclass_methods import dataclass
from . import actions as service_actions
from .model import (
    OWN_ACCOUNT,
    PARTITION,
    REGION,
    Concat,
    Conditional,
    Location,
    ResourceRef,
    Unresolved,
    assignments,
    choose,
    describe_assignment,
    render,
)

OWN = "<own>"

# Condition keys that pin who or from where (RULES.md), lower-cased.
ACCOUNT_KEYS = {"aws:principalaccount", "kms:calleraccount", "aws:sourceaccount", "aws:sourceowner"}
ARN_KEYS = {"aws:principalarn", "aws:sourcearn"}
ORG_KEYS = {"aws:principalorgid", "aws:principalorgpaths"}
SOURCE_KEYS = {"aws:sourcearn", "aws:sourceaccount"}
VIA_SERVICE = "kms:viaservice"
GRANT_FOR_AWS = "kms:grantisforawsresource"
_POSITIVE_OPS = {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"}
_NEGATED_OPS = {"stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals", "arnnotlike"}
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_VARIABLE = re.compile(r"\$\{(?!AWS::)[^}]*\}")


# --- normalised pieces ------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """One principal of a statement. `kind`: wildcard, root, iam (a role, user or session),
    service, federated, unknown. `account` is OWN for the key's own account."""

    kind: str
    text: str
    account: str | None = None
    address: str | None = None  # a role or user of the same code, by reference

    @property
    def is_own_root(self) -> bool:
        return self.kind == "root" and self.account == OWN


@dataclass(frozen=True)
class Condition:
    operator: str  # as written, e.g. "ForAnyValue:StringEqualsIfExists"
    base: str  # lower-case operator without prefix/suffix, e.g. "stringequals"
    key: str  # lower-case condition key
    values: tuple[str, ...]
    if_exists: bool
    set_operator: str | None  # "forallvalues" | "foranyvalue" | None

    @property
    def positive(self) -> bool:
        return self.base in _POSITIVE_OPS and not self.if_exists and self.set_operator != "forallvalues"

    @property
    def negated(self) -> bool:
        return self.base in _NEGATED_OPS and not self.if_exists


@dataclass(frozen=True)
class Scope:
    """What a statement's conditions pin down."""

    accounts: frozenset[str] | None = None  # pinned accounts (OWN for the own account)
    org: bool = False  # pinned to an organisation (or org path)
    resource: bool = False  # pinned to a resource ARN that names no account (S3 bucket)
    principal_arn: bool = False  # pinned to principal ARNs
    via_service: bool = False
    source: bool = False  # aws:SourceArn / aws:SourceAccount pin (confused-deputy protection)
    grant_for_aws: bool = False

    @property
    def constrains(self) -> bool:
        return bool(self.accounts) or self.org or self.resource or self.principal_arn

    def merge(self, other: "Scope") -> "Scope":
        accounts = self.accounts
        if other.accounts:
            accounts = other.accounts if accounts is None else accounts & other.accounts
        return Scope(
            accounts=accounts,
            org=self.org or other.org,
            resource=self.resource or other.resource,
            principal_arn=self.principal_arn or other.principal_arn,
            via_service=self.via_service or other.via_service,
            source=self.source or other.source,
            grant_for_aws=self.grant_for_aws or other.grant_for_aws,
        )


@dataclass(frozen=True)
class Statement:
    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny" | anything else as written
    principals: tuple[Principal, ...]
    not_principal: bool
    actions: frozenset[str]  # the service's actions covered (NotAction already complemented)
    action_text: str
    not_action: bool
    conditions: tuple[Condition, ...]
    scope: Scope
    location: Location | None
    unknown_actions: tuple[str, ...] = ()
    has_resource: bool = True
    # Expressions in the statement that cannot be read statically (a parameter or variable
    # without a value inside a principal, an action or a condition), as written.
    unreadable: tuple[str, ...] = ()
    # Resource (or NotResource) values as written: strings, references, `Concat`s.
    resources: tuple[Any, ...] = ()
    not_resource: bool = False
    # An action pattern is a value not known statically (a parameter without a value).
    opaque_actions: bool = False
    # A condition value is not known statically: the condition may pin what it allows.
    opaque_conditions: bool = False

    @property
    def label(self) -> str:
        return "statement %s" % (repr(self.sid) if self.sid else "#%d" % (self.index + 1))


@dataclass(frozen=True)
class Grant:
    """What one Allow statement effectively gives one principal, after Deny statements."""

    statement: Statement
    principal: Principal
    actions: frozenset[str]
    scope: Scope


@dataclass
class Analysis:
    """The facts the key-policy rules read, for one possible policy (one `Fn::If` branch)."""

    statements: list[Statement] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    when: str = ""
    is_default: bool = False  # no policy at all: AWS's default key policy
    unresolved: Unresolved | None = None
    parse_problem: str | None = None
    # Statements that cannot be read statically (a `dynamic` block over an unknown collection):
    # they may grant anything, so rules about what is *missing* must not fire.
    unknown_statements: list[str] = field(default_factory=list)
    service: str = "kms"  # whose actions `Statement.actions` and `Grant.actions` hold

    @property
    def fully_read(self) -> bool:
        """The policy and every statement of it were read statically: rules about what is
        *missing* may speak (an unread part may grant exactly that)."""
        return self.unreadable is None and not any(s.unreadable for s in self.statements)

    @property
    def unreadable(self) -> str | None:
        """Why the policy as a whole cannot be read statically, or None."""
        if self.unresolved is not None:
            return "%s is not known statically (%s)" % (render(self.unresolved), self.unresolved.reason)
        if self.parse_problem is not None:
            return self.parse_problem
        if self.unknown_statements:
            return "a statement is not known statically (%s)" % self.unknown_statements[0][:120]
        return None


@dataclass(frozen=True)
class Context:
    own_accounts: frozenset[str] = frozenset()
    trusted_accounts: frozenset[str] = frozenset()
    # Logical ids / addresses of IAM roles and users defined in the same scan unit.
    local_principals: frozenset[str] = frozenset()

    def is_own(self, account: str | None) -> bool:
        return account == OWN or (account is not None and account in self.own_accounts)

    def is_trusted(self, account: str | None) -> bool:
        return account is not None and account in self.trusted_accounts

    def is_foreign(self, account: str | None) -> bool:
        return (
            account is not None
            and _ACCOUNT_ID.match(account) is not None
            and not self.is_own(account)
            and not self.is_trusted(account)
        )


DEFAULT_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::%s:root" % OWN_ACCOUNT},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


# --- entry point ------------------------------------------------------------------------------


def analyze(policy: Any, context: Context, file: str = "", service: str = "kms") -> list[Analysis]:
    """One Analysis per combination of the conditions (`Fn::If`, `a ? b : c`) in the policy.

    `service` ("kms", "sqs") is whose actions the statements are read for. No policy at all is
    a key's default key policy (only meaningful for "kms")."""
    if policy is None:
        result = _analyze_document(DEFAULT_POLICY, context, file, service)
        result.is_default = True
        return [result]
    results = []
    for assignment in assignments(policy):
        chosen = choose(policy, assignment)
        result = _analyze_value(chosen, context, file, service)
        result.when = describe_assignment(assignment)
        results.append(result)
    return results


def _analyze_value(value: Any, context: Context, file: str, service: str) -> Analysis:
    if isinstance(value, Unresolved):
        return Analysis(unresolved=value, service=service)
    if isinstance(value, (Concat, ResourceRef, Conditional)):
        why = "the policy is assembled from values not known statically"
        return Analysis(unresolved=Unresolved(render(value), why), service=service)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            return Analysis(parse_problem="the policy is not valid JSON: %s" % exc, service=service)
    if not isinstance(value, dict):
        return Analysis(parse_problem="the policy is not a JSON object", service=service)
    return _analyze_document(value, context, file, service)


def _analyze_document(document: dict, context: Context, file: str, service: str) -> Analysis:
    raw = document.get("Statement")
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        return Analysis(parse_problem="the policy has no Statement list", service=service)
    statements = [
        _statement(i, s, context, file, service) for i, s in enumerate(raw) if isinstance(s, dict)
    ]
    analysis = Analysis(statements=statements, service=service)
    analysis.unknown_statements = [render(s) for s in raw if s is not None and not isinstance(s, dict)]
    analysis.grants = _grants(statements)
    return analysis


# --- statements -------------------------------------------------------------------------------


def _location(node: Any, file: str) -> Location | None:
    """Where a statement is written (a statement may carry its own file: Terraform locals)."""
    line = getattr(node, "line", 0)
    file = getattr(node, "file", None) or file
    if not line or not file:
        return None
    return Location(file, line, max(getattr(node, "end_line", line), line))


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else render(value)


def _statement(index: int, node: dict, context: Context, file: str, service: str) -> Statement:
    effect = _text(node.get("Effect", "")).strip()
    effect = effect[:1].upper() + effect[1:].lower() if effect else ""
    not_principal = "NotPrincipal" in node
    principals = tuple(_principals(node.get("NotPrincipal" if not_principal else "Principal"), context))
    not_action = "NotAction" in node and "Action" not in node
    written = _as_list(node.get("NotAction" if not_action else "Action"))
    patterns = [_text(a) for a in written]
    matched: set[str] = set()
    unknown = []
    for pattern in patterns:
        actions, understood = service_actions.expand(pattern, service)
        matched |= actions
        if not understood:
            unknown.append(pattern)
    actions = frozenset(service_actions.everything(service) - matched) if not_action else frozenset(matched)
    conditions = tuple(_conditions(node.get("Condition")))
    not_resource = "NotResource" in node and "Resource" not in node
    return Statement(
        index=index,
        sid=_text(node["Sid"]) if isinstance(node.get("Sid"), str) else None,
        effect=effect,
        principals=principals,
        not_principal=not_principal,
        actions=actions,
        action_text=", ".join(patterns) if patterns else "(none)",
        not_action=not_action,
        conditions=conditions,
        scope=_scope(conditions, context),
        location=_location(node, file),
        unknown_actions=tuple(unknown),
        has_resource="Resource" in node or "NotResource" in node,
        unreadable=tuple(dict.fromkeys(_unreadable(node))),
        resources=tuple(_as_list(node.get("NotResource" if not_resource else "Resource"))),
        not_resource=not_resource,
        opaque_actions=any(not isinstance(a, str) for a in written),
        opaque_conditions=any(True for _ in _unreadable(node.get("Condition"))),
    )


def _unreadable(value: Any) -> Iterable[str]:
    """The values static reading could not know, anywhere in a statement."""
    if isinstance(value, Unresolved):
        if not value.reported:  # an error of the scan already
            yield "%s (%s)" % (render(value), value.reason)
    elif isinstance(value, Concat):
        unknown = [p for p in value.parts if isinstance(p, Unresolved)]
        if unknown:
            yield "%s (%s)" % (render(value), unknown[0].reason)
    elif isinstance(value, Conditional):
        yield render(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _unreadable(item)
    elif isinstance(value, list):
        for item in value:
            yield from _unreadable(item)


def normalise_arn(text: str) -> str:
    return text.replace(OWN_ACCOUNT, OWN).replace(PARTITION, "aws").replace(REGION, "region")


def account_of(text: str) -> str | None:
    """The account an AWS principal string names (an account id, a root ARN, an IAM ARN)."""
    text = normalise_arn(text.strip())
    if _ACCOUNT_ID.match(text) or text == OWN:
        return text
    parts = text.split(":")
    if len(parts) >= 6 and parts[0] == "arn":
        return parts[4] or None
    return None


def _principals(value: Any, context: Context) -> Iterable[Principal]:
    if value is None:
        return
    if isinstance(value, str) or not isinstance(value, dict):
        for item in _as_list(value):
            yield _aws_principal(item, context)
        return
    for kind, items in value.items():
        kind_text = str(kind)
        for item in _as_list(items):
            if kind_text == "AWS":
                yield _aws_principal(item, context)
            elif kind_text == "Service":
                text = _text(item)
                yield Principal("wildcard" if text.strip() == "*" else "service", text)
            elif kind_text == "Federated":
                yield Principal("federated", _text(item))
            elif kind_text == "CanonicalUser":
                yield Principal("unknown", _text(item))
            else:
                yield Principal("unknown", _text(item))


def _aws_principal(item: Any, context: Context) -> Principal:
    if isinstance(item, ResourceRef):
        # A role or user defined in the same template/module: the same account.
        return Principal("iam", item.expr, OWN, item.address)
    text = _text(item)
    if text.strip() == "*":
        return Principal("wildcard", "*")
    if isinstance(item, (Unresolved, Concat)) and _unknown_account(item):
        return Principal("unknown", text)
    account = account_of(text)
    normal = normalise_arn(text.strip())
    if account is None:
        return Principal("unknown", text)
    if _ACCOUNT_ID.match(normal) or normal == OWN or normal.endswith(":root"):
        return Principal("root", text, OWN if context.is_own(account) else account)
    return Principal("iam", text, OWN if context.is_own(account) else account)


def _unknown_account(value: Any) -> bool:
    """A principal ARN whose account part is not known (a variable without a value)."""
    account = account_of(render(value))
    return account is None or "${" in account


# --- conditions -------------------------------------------------------------------------------


def _conditions(value: Any) -> Iterable[Condition]:
    if not isinstance(value, dict):
        return
    for operator, block in value.items():
        op = str(operator)
        set_operator = None
        base = op
        if ":" in op:
            prefix, base = op.split(":", 1)
            set_operator = prefix.lower()
        lower = base.lower()
        if_exists = lower.endswith("ifexists")
        if if_exists:
            lower = lower[: -len("ifexists")]
        if not isinstance(block, dict):
            continue
        for key, values in block.items():
            yield Condition(
                operator=op,
                base=lower,
                key=str(key).lower(),
                values=tuple(_condition_value(v) for v in _as_list(values)),
                if_exists=if_exists,
                set_operator=set_operator,
            )


def _condition_value(value: Any) -> str:
    """Condition values as text; a reference to a resource of the same template or module is
    that resource's ARN in the key's own account (`!Ref Topic`, `aws_sns_topic.t.arn`)."""
    if isinstance(value, ResourceRef):
        return _RESOURCE_ARN + value.address
    return _text(value)


_RESOURCE_ARN = "arn:aws:resource:%s:%s:" % (REGION, OWN_ACCOUNT)


def resource_address(value: str) -> str | None:
    """The resource of the code a condition value references (see `_condition_value`), or None."""
    return value[len(_RESOURCE_ARN):] if value.startswith(_RESOURCE_ARN) else None


def _concrete(value: str) -> bool:
    return bool(value) and "*" not in value and "?" not in value and not _VARIABLE.search(value)


def _pin(condition: Condition) -> Scope | None:
    """What one condition pins, read as if it held (positive form)."""
    key, values = condition.key, condition.values
    if not values:
        return None
    if key in ACCOUNT_KEYS:
        accounts = [normalise_arn(v) for v in values]
        if all(_concrete(a) for a in accounts):
            return Scope(accounts=frozenset(accounts), source=key in SOURCE_KEYS)
        return None
    if key in ARN_KEYS:
        accounts = set()
        resource_only = True
        for value in values:
            arn = normalise_arn(value)
            parts = arn.split(":")
            if len(parts) < 6 or parts[0] != "arn":
                return None
            if parts[4]:
                if not _concrete(parts[4]):
                    return None
                accounts.add(parts[4])
                resource_only = False
            elif not _concrete(":".join(parts[5:])):
                return None
        source = key == "aws:sourcearn"
        if resource_only:
            return Scope(resource=True, source=source)
        return Scope(accounts=frozenset(accounts), principal_arn=key == "aws:principalarn", source=source)
    if key in ORG_KEYS:
        first = [v.split("/", 1)[0] for v in values]
        if all(_concrete(v) for v in first):
            return Scope(org=True)
        return None
    return None


def _scope(conditions: tuple[Condition, ...], context: Context) -> Scope:
    scope = Scope()
    for condition in conditions:
        if condition.key == GRANT_FOR_AWS and condition.base == "bool" and not condition.if_exists:
            if all(v.lower() == "true" for v in condition.values):
                scope = scope.merge(Scope(grant_for_aws=True))
            continue
        if not condition.positive:
            continue
        if condition.key == VIA_SERVICE:
            if all(_concrete(v) for v in condition.values):
                scope = scope.merge(Scope(via_service=True))
            continue
        pinned = _pin(condition)
        if pinned is not None:
            scope = scope.merge(pinned)
    return scope


def _deny_guard(statement: Statement) -> Scope | None:
    """A Deny to everyone whose conditions are all negated pins: everyone outside is denied,
    so the Allows it covers are restricted to what the conditions name."""
    if not statement.conditions or not all(c.negated for c in statement.conditions):
        return None
    if not any(p.kind == "wildcard" for p in statement.principals) or statement.not_principal:
        return None
    guard = Scope()
    for condition in statement.conditions:
        pinned = _pin(condition)
        if pinned is None:
            return None
        guard = guard.merge(pinned)
    return guard


# --- effective grants -------------------------------------------------------------------------


def _covers(deny: Statement, principal: Principal) -> bool:
    if deny.not_principal:
        return False  # "everyone except ..." — only a subtraction if we knew who is excepted
    for target in deny.principals:
        if target.kind == "wildcard":
            return True
        if target.kind == principal.kind and normalise_arn(target.text) == normalise_arn(principal.text):
            return True
    return False


def _grants(statements: list[Statement]) -> list[Grant]:
    denies = [s for s in statements if s.effect == "Deny"]
    grants = []
    for statement in statements:
        if statement.effect != "Allow" or not statement.actions:
            continue
        principals = statement.principals
        if statement.not_principal:
            excepted = ", ".join(p.text for p in principals) or "nobody"
            principals = (Principal("wildcard", "NotPrincipal (everyone except %s)" % excepted),)
        for principal in principals:
            # Segments of (actions, scope): a Deny removes actions or narrows the scope of some.
            segments = [(frozenset(statement.actions), statement.scope)]
            for deny in denies:
                if not _covers(deny, principal):
                    continue
                guard = None if not deny.conditions else _deny_guard(deny)
                if deny.conditions and guard is None:
                    continue  # a conditional Deny we cannot read statically subtracts nothing
                next_segments = []
                for actions, scope in segments:
                    hit, rest = actions & deny.actions, actions - deny.actions
                    if rest:
                        next_segments.append((rest, scope))
                    if hit and guard is not None:
                        next_segments.append((hit, scope.merge(guard)))
                segments = next_segments
            for actions, scope in segments:
                grants.append(Grant(statement, principal, actions, scope))
    return grants


# --- derived facts the rules read -------------------------------------------------------------


def administration(grant: Grant) -> frozenset[str]:
    """Administrative actions, not counting grant management that only an AWS service can use
    (kms:GrantIsForAWSResource, or kms:ViaService — the AWS-managed-key pattern)."""
    actions = grant.actions & service_actions.KMS_ADMIN
    if grant.scope.grant_for_aws or grant.scope.via_service:
        actions -= service_actions.KMS_GRANT_ACTIONS
    return actions


def crypto(grant: Grant) -> frozenset[str]:
    return grant.actions & service_actions.KMS_CRYPTO


def principal_id(principal: Principal) -> str:
    return "%s:%s" % (principal.kind, normalise_arn(principal.text.strip()))


def summarize(actions: Iterable[str], limit: int = 4, service: str = "kms") -> str:
    names = sorted(actions)
    if set(names) == set(service_actions.everything(service)):
        return "every %s action (%s:*)" % (service.upper(), service)
    shown = ", ".join("%s:%s" % (service, a) for a in names[:limit])
    return shown + (" and %d more" % (len(names) - limit) if len(names) > limit else "")
