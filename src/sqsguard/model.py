"""The common model every parser produces and every rule reads.

Parsers reduce each format's spelling of a setting to the values defined here; rules never see
HCL, YAML or JSON. Values are plain Python data (str, int, bool, list, dict, None for "not
set") or one of the small value types below for what static reading cannot fully know.
"""

from __future__ import annotations

import enum
import itertools
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

# Symbolic values. A CloudFormation pseudo parameter and Terraform's data.aws_caller_identity
# both become these strings, so `${AWS::AccountId}` means "the account this is deployed to"
# wherever it appears, including inside ARNs built by Fn::Sub or interpolation.
OWN_ACCOUNT = "${AWS::AccountId}"
PARTITION = "${AWS::Partition}"
REGION = "${AWS::Region}"


class Format(str, enum.Enum):
    TERRAFORM = "terraform"
    TERRAFORM_PLAN = "terraform-plan"
    CLOUDFORMATION = "cloudformation"
    CDK = "cdk"


@dataclass(frozen=True)
class Location:
    """A span in a file (1-based, inclusive)."""

    file: str
    line: int
    end_line: int


@dataclass(frozen=True)
class Unresolved:
    """A value static reading cannot know. `expr` is the expression as written."""

    expr: str
    reason: str


@dataclass(frozen=True)
class Conditional:
    """One of two values, chosen at deploy time (`Fn::If`, `a ? b : c`)."""

    condition: str
    if_true: Any
    if_false: Any


@dataclass(frozen=True)
class ResourceRef:
    """A reference to a resource of the same scan unit (template, stack, module instance).

    `attribute` is None for CloudFormation `Ref`; `Arn`, `KeyId`, `arn`, `key_id`, ... otherwise.
    """

    unit: str
    address: str
    attribute: str | None
    expr: str


@dataclass(frozen=True)
class Concat:
    """A string assembled from known text and values that are not plain strings."""

    parts: tuple


def render(value: Any) -> str:
    """Text of a value as a user would recognise it (known text kept, the rest as `${expr}`)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, ResourceRef):
        return "${%s}" % value.expr
    if isinstance(value, Unresolved):
        return "${%s}" % value.expr
    if isinstance(value, Concat):
        return "".join(render(p) for p in value.parts)
    if isinstance(value, Conditional):
        return "(%s ? %s : %s)" % (value.condition, render(value.if_true), render(value.if_false))
    return str(value)


def concat(parts: list) -> Any:
    """Join parts into one value: a str when every part is text, else a Concat.

    A single non-text part stands for itself (`!Sub "${Key.Arn}"` is the GetAtt).
    Conditionals are lifted out so the result is a Conditional of concatenations.
    """
    for i, part in enumerate(parts):
        if isinstance(part, Conditional):
            return Conditional(
                part.condition,
                concat(parts[:i] + [part.if_true] + parts[i + 1 :]),
                concat(parts[:i] + [part.if_false] + parts[i + 1 :]),
            )
    merged: list = []
    for part in parts:
        if part is None or part == "":
            continue
        if isinstance(part, (int, float)) and not isinstance(part, bool):
            part = str(part)
        if isinstance(part, bool):
            part = "true" if part else "false"
        if isinstance(part, Concat):
            for inner in part.parts:
                _append(merged, inner)
            continue
        _append(merged, part)
    if not merged:
        return ""
    if len(merged) == 1:
        return merged[0]
    return Concat(tuple(merged))


def _append(merged: list, part: Any) -> None:
    if isinstance(part, str) and merged and isinstance(merged[-1], str):
        merged[-1] = merged[-1] + part
    else:
        merged.append(part)


# --- choices: Fn::If / a ? b : c -------------------------------------------------------------

MAX_CONDITIONS = 8


def conditions_in(*values: Any) -> list[str]:
    """Condition names used anywhere in the values, in first-seen order."""
    seen: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, Conditional):
            if v.condition not in seen:
                seen.append(v.condition)
            walk(v.if_true)
            walk(v.if_false)
        elif isinstance(v, Concat):
            for p in v.parts:
                walk(p)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for value in values:
        walk(value)
    return seen


def choose(value: Any, assignment: dict[str, bool]) -> Any:
    """The value under one assignment of truth values to conditions."""
    if isinstance(value, Conditional):
        taken = assignment.get(value.condition)
        if taken is None:
            return value
        return choose(value.if_true if taken else value.if_false, assignment)
    if isinstance(value, Concat):
        return concat([choose(p, assignment) for p in value.parts])
    if isinstance(value, dict):
        out = type(value)()
        _copy_marks(value, out)
        for k, v in value.items():
            chosen = choose(v, assignment)
            if chosen is not None:
                out[k] = chosen
        return out
    if isinstance(value, list):
        out_list = type(value)()
        _copy_marks(value, out_list)
        out_list.extend(c for c in (choose(x, assignment) for x in value) if c is not None)
        return out_list
    return value


def _copy_marks(src: Any, dst: Any) -> None:
    for attr in ("line", "end_line", "key_lines"):
        if hasattr(src, attr):
            setattr(dst, attr, getattr(src, attr))


def assignments(*values: Any) -> Iterator[dict[str, bool]]:
    """Every combination of the conditions the values use (correlated by name).

    Only the first MAX_CONDITIONS conditions are enumerated; `choose` leaves any further
    `Conditional` in place, and the deciders then treat it as a value they cannot know
    (unverifiable, never a pass).
    """
    names = conditions_in(*values)
    if len(names) > MAX_CONDITIONS:
        names = names[:MAX_CONDITIONS]
    for combo in itertools.product((True, False), repeat=len(names)):
        yield dict(zip(names, combo))


def describe_assignment(assignment: dict[str, bool]) -> str:
    return ", ".join(
        "%s is %s" % (name, "true" if taken else "false") for name, taken in assignment.items()
    )


# --- resources -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attr:
    """A setting as written: its name, resolved value, expression text and location."""

    name: str
    value: Any
    text: str
    location: Location


class Encryption(str, enum.Enum):
    NONE = "none"
    SQS_OWNED = "sqs-owned"
    AWS_MANAGED = "aws-managed"
    CUSTOMER_KEY = "customer-key"
    UNRESOLVED = "unresolved"


# Weakest first: the order in which a queue with several possible settings is judged.
WEAKNESS = {
    Encryption.NONE: 0,
    Encryption.SQS_OWNED: 1,
    Encryption.AWS_MANAGED: 2,
    Encryption.UNRESOLVED: 3,
    Encryption.CUSTOMER_KEY: 4,
}


@dataclass(frozen=True)
class EncryptionChoice:
    """How a queue is encrypted under one combination of deploy-time conditions."""

    mode: Encryption
    explicit: bool
    key_text: str | None = None  # the key reference as written
    key_address: str | None = None  # the linked Key's address (a key in the scan)
    key_unit: str | None = None
    external: bool = False  # a customer key named literally, outside the scanned code
    reason: str = ""  # for UNRESOLVED: why it cannot be known
    when: str = ""  # the conditions under which this choice holds ("" = always)
    sse_conflict: bool = False


@dataclass(frozen=True)
class IgnoreEntry:
    """A suppression written into a resource's own metadata (CloudFormation and CDK
    `Metadata: {sqsguard: {ignore: [{id, reason}]}}`). `problem` says why an entry that is not
    well formed cannot suppress anything ("" when it is fine)."""

    ids: tuple[str, ...]
    reason: str
    location: Location
    problem: str = ""


@dataclass
class Resource:
    """What every model object shares: where it is and how a user names it."""

    address: str
    resource_type: str
    format: Format
    location: Location
    unit: str
    construct_path: str | None = None
    # Attribute names as the format spells them, for messages ("KmsMasterKeyId").
    names: dict[str, str] = field(default_factory=dict)
    # Suppressions in the resource's metadata (comments are read by the filter stage).
    ignores: tuple[IgnoreEntry, ...] = ()

    def attr_name(self, key: str) -> str:
        return self.names.get(key, key)


@dataclass
class Queue(Resource):
    sse: Attr | None = None
    kms_key: Attr | None = None
    data_key_reuse: Attr | None = None
    dead_letter_target: Any = None
    tags: "dict | Unresolved" = field(default_factory=dict)  # Unresolved: cannot be read statically
    fifo: bool | None = None
    # "set": any written value of the SSE-SQS flag conflicts with a key (Terraform);
    # "true": only an enabled flag does (CloudFormation).
    sse_conflicts_when: str = "true"
    # Filled by link.py: every possible encryption, and the one the queue is judged by.
    choices: tuple[EncryptionChoice, ...] = ()
    encryption: EncryptionChoice | None = None


@dataclass
class Key(Resource):
    policy: Attr | None = None
    rotation: Attr | None = None
    enabled: Attr | None = None
    key_spec: Attr | None = None
    key_usage: Attr | None = None
    bypass_lockout: Attr | None = None
    tags: "dict | Unresolved" = field(default_factory=dict)  # Unresolved: cannot be read statically
    aliases: list[str] = field(default_factory=list)
    # Set by link.py when an aws_kms_key_policy replaces this key's policy.
    policy_attachment: "KeyPolicyAttachment | None" = None


@dataclass
class KeyPolicyAttachment(Resource):
    """A key policy defined apart from its key (Terraform `aws_kms_key_policy`): it replaces the
    key's policy, and key-policy findings attach here."""

    key: Attr | None = None  # the key it applies to (a ResourceRef value when in the scan)
    policy: Attr | None = None
    bypass_lockout: Attr | None = None


@dataclass
class Alias(Resource):
    name: Attr | None = None
    target: Attr | None = None


@dataclass
class UnreadModule(Resource):
    """A module call whose source sqsguard does not read (a remote module it has no model of)."""

    source: str = ""


@dataclass
class OtherResource(Resource):
    """A resource kept for later stages (SNS, S3, EventBridge, Lambda, queue policies)."""

    properties: dict = field(default_factory=dict)


@dataclass
class Model:
    queues: list[Queue] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)
    key_policies: list[KeyPolicyAttachment] = field(default_factory=list)
    unread_modules: list[UnreadModule] = field(default_factory=list)
    others: list[OtherResource] = field(default_factory=list)
    # The AWS account a scan unit deploys to, where the code says (a CDK stack's environment).
    unit_accounts: dict[str, str] = field(default_factory=dict)
    # Facts rules derive from the linked model and share within one run (key-policy analyses).
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    def resources(self) -> Iterator[Resource]:
        """Every model object a finding can attach to, in a stable order."""
        yield from self.queues
        yield from self.keys
        yield from self.key_policies
        yield from self.aliases
        yield from self.unread_modules
        yield from self.others

    def extend(self, other: "Model") -> None:
        self.queues.extend(other.queues)
        self.keys.extend(other.keys)
        self.aliases.extend(other.aliases)
        self.key_policies.extend(other.key_policies)
        self.unread_modules.extend(other.unread_modules)
        self.others.extend(other.others)
        self.unit_accounts.update(other.unit_accounts)



# --- the AWS-managed key ---------------------------------------------------------------------

_AWS_MANAGED_SQS = re.compile(r"(?:^|:)alias/aws/sqs$", re.IGNORECASE)


def is_aws_managed_sqs_key(text: str) -> bool:
    """`alias/aws/sqs` as alias name or alias ARN, in any partition, region or account."""
    return bool(_AWS_MANAGED_SQS.search(text.strip()))
