"""The common model every parser produces and every rule reads.

Parsers reduce each format's spelling of a setting to the values defined here; rules never see
HCL, YAML or JSON. Values are plain Python data (str, int, bool, list, dict, None for "not
set") or one of the small value types below for what static reading cannot fully know.
"""

from __future__ import annotations

import enum
import re
from dataclasses import field, replace
from typing import Any, Iterator

from sqsguard.dataclass_methods import dataclass

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
    SERVERLESS = "serverless"


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
    # Already reported as an error of the scan (a file() of a file that does not exist): the
    # rules that would say "cannot verify" stay silent, so it is said once.
    reported: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Conditional:
    """One of two values, chosen at deploy time (`Fn::If`, `a ? b : c`).

    `space`, when the format knows how its conditions relate (CloudFormation: formulas over
    parameters), says which combinations of conditions can happen at all; see `assignments`."""

    condition: str
    if_true: Any
    if_false: Any
    space: Any = field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class ResourceRef:
    """A reference to a resource of the same scan unit (template, stack, module instance).

    `attribute` is None for CloudFormation `Ref`; `Arn`, `KeyId`, `arn`, `key_id`, ... otherwise.
    """

    unit: str
    address: str
    attribute: str | None
    expr: str
    # The instance key written after a Terraform block's name (`aws_lambda_function.w["a"]`),
    # when it is known; one model object stands for every instance, so it is not compared.
    instance: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Concat:
    """A string assembled from known text and values that are not plain strings."""

    parts: tuple


# Attributes known only after deployment that are never empty: identifiers, ARNs, names
# (Terraform `arn`, `id`, `key_id`; CloudFormation `Arn`, `KeyId`, `QueueUrl`). Guards such as
# `x != "" ? x : null`, `length(x) > 0` or `!Not [!Equals [!Ref KeyArn, ""]]` are true for them.
NON_EMPTY_ATTRIBUTES = frozenset(
    ("arn", "id", "key_id", "keyid", "name", "url", "target_key_arn", "target_key_id", "alias_arn",
     "key_arn", "queue_arn", "queue_url", "queueurl", "queuename", "aliasname")
)


def known_non_empty(value: Any) -> bool:
    """A value not known statically that is certainly a non-empty string: an identifier of a
    resource in the code (a CloudFormation `Ref` of a resource is its physical id), or text
    with a literal part."""
    if isinstance(value, ResourceRef):
        return value.attribute is None or value.attribute.lower() in NON_EMPTY_ATTRIBUTES
    if isinstance(value, Concat):
        return any((isinstance(p, str) and p) or known_non_empty(p) for p in value.parts)
    return False


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
        expr = value.expr[5:] if value.expr.startswith("!Ref ") else value.expr  # ${Param} as !Sub writes it
        return "${%s}" % expr
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
            return replace(
                part,
                if_true=concat(parts[:i] + [part.if_true] + parts[i + 1 :]),
                if_false=concat(parts[:i] + [part.if_false] + parts[i + 1 :]),
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



def choose(value: Any, assignment: dict[str, bool]) -> Any:
    """The value under one assignment of truth values to conditions. A dict or list that holds
    no choice and no None comes back as itself (callers only read what they are given), so a
    document without conditions is not copied for every reading."""
    if isinstance(value, Conditional):
        taken = assignment.get(value.condition)
        if taken is None:
            return value
        return choose(value.if_true if taken else value.if_false, assignment)
    if isinstance(value, Concat):
        return concat([choose(p, assignment) for p in value.parts])
    if isinstance(value, dict):
        pairs = [(k, v, choose(v, assignment)) for k, v in value.items()]
        if all(c is v and c is not None for _, v, c in pairs):
            return value
        out = type(value)()
        _copy_marks(value, out)
        out.update((k, c) for k, _, c in pairs if c is not None)
        return out
    if isinstance(value, list):
        chosen = [choose(x, assignment) for x in value]
        if all(c is x and c is not None for x, c in zip(value, chosen)):
            return value
        out_list = type(value)()
        _copy_marks(value, out_list)
        out_list.extend(c for c in chosen if c is not None)
        return out_list
    return value


def _copy_marks(src: Any, dst: Any) -> None:
    for attr in ("line", "end_line", "key_lines"):
        if hasattr(src, attr):
            setattr(dst, attr, getattr(src, attr))


class InstanceChoice(str):
    """The condition of a chain that tells a block's instances apart (`each.key == "a"`):
    `chosen` describes the instances it picks, `otherwise` those left when every condition of
    its chain is false, so a description names instances instead of listing falsehoods."""

    def __new__(cls, text: str, chosen: str, otherwise: str) -> "InstanceChoice":
        made = super().__new__(cls, text)
        made.chosen = chosen
        made.otherwise = otherwise
        return made

    def __getnewargs__(self) -> tuple:  # pickled across worker processes
        return (str(self), self.chosen, self.otherwise)


class Assignment(dict):
    """Truth values of the conditions that decide some values. `implied` holds the conditions
    whose value the others force (`IsB: !Not [!Condition IsA]`): they are not a choice, so
    descriptions leave them out."""

    implied: frozenset = frozenset()


MAX_BRANCHES = 256  # combinations enumerated per set of values, at most


def _first_open(value: Any) -> Conditional | None:
    """The first Conditional left in a value (depth first)."""
    if isinstance(value, Conditional):
        return value
    if isinstance(value, Concat):
        items: Any = value.parts
    elif isinstance(value, dict):
        items = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        found = _first_open(item)
        if found is not None:
            return found
    return None


def assignments(*values: Any, given: dict[str, bool] | None = None) -> Iterator[Assignment]:
    """The combinations of deploy-time conditions that decide the values, each naming only the
    conditions on its path through the choices: in `!If [A, x, !If [B, y, z]]`, B is asked
    only when A is false. Combinations the conditions' own logic rules out (a `Conditional`'s
    `space`) are never produced, and a condition the others force is marked implied.

    At most MAX_BRANCHES combinations; past that, `choose` leaves the remaining Conditionals
    in place and the deciders treat them as values they cannot know (never a pass).

    `given`: conditions already decided (the branch a queue uses a key on); the combinations
    extend it, and only those consistent with it are produced."""
    done: list[Assignment] = []
    pending = [Assignment(given or {})]
    spaces: dict[str, Any] = {}
    while pending:
        current = pending.pop()
        open_choice = None
        for value in values:
            open_choice = _first_open(choose(value, current))
            if open_choice is not None:
                break
        if open_choice is None or len(done) + len(pending) + 2 > MAX_BRANCHES:
            done.append(_mark_implied(current, spaces))
            continue
        space = open_choice.space
        spaces[open_choice.condition] = space
        branches = []
        for taken in (True, False):
            trial = {**current, open_choice.condition: taken}
            if space is None or space.feasible(trial):
                branches.append(taken)
        if not branches:  # the logic cannot tell (should not happen): keep both, honestly
            branches = [True, False]
        for taken in reversed(branches):
            following = Assignment({**current, open_choice.condition: taken})
            following.implied = current.implied | ({open_choice.condition} if len(branches) == 1 else set())
            pending.append(following)
    yield from done


def _mark_implied(assignment: Assignment, spaces: dict[str, Any]) -> Assignment:
    """Conditions the rest of the assignment forces (IsSns false when IsS3 is true and both test
    one parameter) are implied: the description names the others only."""
    implied = set(assignment.implied)
    for name, taken in assignment.items():
        space = spaces.get(name)
        if name in implied or space is None:
            continue
        others = {n: t for n, t in assignment.items() if n != name and n not in implied}
        if not space.feasible({**others, name: not taken}):
            implied.add(name)
    assignment.implied = frozenset(implied)
    return assignment


def describe_assignment(assignment: dict[str, bool]) -> str:
    implied = getattr(assignment, "implied", frozenset())
    parts = []
    passed_over: list[InstanceChoice] = []
    for name, taken in assignment.items():
        if name in implied:
            continue
        if isinstance(name, InstanceChoice):
            if taken:
                parts.append(name.chosen)
            else:
                passed_over.append(name)
            continue
        parts.append("%s is %s" % (name, "true" if taken else "false"))
    if passed_over and not any(isinstance(n, InstanceChoice) and t for n, t in assignment.items()):
        parts.append(passed_over[-1].otherwise)  # every condition of the chain false: the last group
    return ", ".join(parts)


# --- resources -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attr:
    """A setting as written: its name, resolved value, expression text and location."""

    name: str
    value: Any
    text: str
    location: Location
    # Where the value was set when that is not here: a module input, a tfvars file, a
    # variable's or parameter's default ("prod/main.tf:12", "the default of parameter KeyArn").
    origin: str = ""


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
    reported: bool = False  # for UNRESOLVED: already an error of the scan (say it once)
    when: str = ""  # the conditions under which this choice holds ("" = always)
    assignment: dict = field(default_factory=dict, compare=False, hash=False)  # the same, as values
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
    # Terraform `count` / `for_each`: how many deployed objects the block stands for (1 when
    # there is one, or when the number cannot be known)
    instances: int = field(default=1, compare=False)
    # Attribute names as the format spells them, for messages ("KmsMasterKeyId").
    names: dict[str, str] = field(default_factory=dict)
    # Suppressions in the resource's metadata (comments are read by the filter stage).
    ignores: tuple[IgnoreEntry, ...] = ()

    def attr_name(self, key: str) -> str:
        return self.names.get(key, key)


def resource_fields(resource: "Resource") -> dict:
    """How the inventory and cost reports name a resource: address, type, format, place."""
    return {
        "resource": resource.address,
        "resource_type": resource.resource_type,
        "format": resource.format.value,
        "file": resource.location.file,
        "line": max(resource.location.line, 1),
        "construct_path": resource.construct_path,
    }


@dataclass
class Queue(Resource):
    name: Attr | None = None  # QueueName / name, when the code sets it
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
    replica: bool = False  # a multi-Region replica: rotation and key spec follow its primary key
    primary: Attr | None = None  # a replica's primary key, as written
    replica_of: "Key | None" = field(default=None, repr=False, compare=False)  # set by link.py: that key, when in the scan
    # Where the key material comes from: "generated" by KMS, "imported" (Origin EXTERNAL,
    # aws_kms_external_key) or a "custom key store"; only generated material rotates automatically.
    material: str = "generated"
    # Set by link.py when an aws_kms_key_policy replaces this key's policy.
    policy_attachment: "KeyPolicyAttachment | None" = None
    # The policy as KMS reads it, one analysis per combination of conditions (policy.Analysis),
    # by the accounts it was read for: set by link.py, read by the rules.
    analyses: dict = field(default_factory=dict, repr=False, compare=False)


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
    """A module call whose source sqsguard does not read (a remote module it has no model of),
    or a child stack whose template is not on disk."""

    source: str = ""
    managed_key_inputs: tuple[str, ...] = ()  # its inputs that are alias/aws/sqs, as written
    # How messages name it, why it is not read, and what to do (the defaults: a Terraform module).
    kind: str = "Module"
    reason: str = "sqsguard has no model of it"
    advice: str = "scan its code or a plan (terraform show -json)"


# The services that deliver to queues, and the principal each encrypts under.
SERVICE_PRINCIPALS = {"sns": "sns.amazonaws.com", "s3": "s3.amazonaws.com", "events": "events.amazonaws.com"}


@dataclass
class Producer(Resource):
    """An AWS service that delivers messages to a queue and so encrypts them with the queue's
    key, under its own service principal: an SNS subscription, an S3 event notification, an
    EventBridge rule target."""

    kind: str = ""  # "SNS subscription", "S3 event notification", "EventBridge rule target"
    service: str = ""  # the service principal: sns.amazonaws.com, s3.amazonaws.com, events.amazonaws.com
    source: str = ""  # the producing resource as the user knows it (a topic, a bucket, a rule)
    source_address: str | None = None  # that resource's address, when the code references it
    target: Attr | None = None  # the queue it delivers to, as written (a reference or an ARN)
    queue: "Queue | None" = None  # set by link.py when the target is a queue of the scan


@dataclass
class IamRole(Resource):
    """An IAM role or user defined in the code, and the policies it has."""

    name: Attr | None = None  # its name, when the code sets one
    user: bool = False  # an IAM user, not a role
    inline: list[Attr] = field(default_factory=list)  # policy documents written on it
    managed: list[Attr] = field(default_factory=list)  # managed policies attached on it (ARNs, references)
    # Set by link.py: every policy document that applies (label, document value); their
    # statements, read once per service whose actions matter ("kms", "sqs"; policy_analysis
    # Statements); and why one that applies cannot be read (a managed policy outside the code, an
    # unknown attachment, a document not known statically).
    documents: list[tuple[str, Any]] = field(default_factory=list)
    statements: dict[str, list[Any]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


@dataclass
class IamPolicy(Resource):
    """A policy attached to roles apart from them: a role policy resource, a managed policy (and
    what attaches it), a CloudFormation AWS::IAM::Policy or ManagedPolicy."""

    document: Attr | None = None
    roles: list[Any] = field(default_factory=list)  # values naming the roles it applies to
    managed: bool = False  # attached elsewhere by its ARN


@dataclass
class PolicyAttachment(Resource):
    """A managed policy attached to a role by a resource of its own."""

    role: Any = None
    policy: Any = None  # a reference to a managed policy of the code, or an ARN


@dataclass
class Function(Resource):
    """A Lambda function: the role it runs as."""

    role: Attr | None = None
    implicit_role: "IamRole | None" = None  # SAM: the role it creates when none is given
    # Terraform for_each / count: each instance's role value, by instance key (the merged
    # `role` is a Conditional over them); a consumer naming one instance uses its role.
    instance_roles: dict[Any, Any] = field(default_factory=dict)


@dataclass
class Consumer(Resource):
    """Something that receives from or sends to a queue as a principal of the code: a Lambda
    event source mapping or a SAM SQS event (its function's role), an EventBridge Pipe (its role)."""

    kind: str = ""
    queue_ref: Attr | None = None
    function: Any = None  # a reference to the function
    role_ref: Any = None  # or the role it runs as, directly (an EventBridge Pipe)
    sends: bool = False  # it sends to the queue (a Pipe's target) rather than receiving
    # Set by link.py.
    queue: "Queue | None" = None
    role: "IamRole | None" = None


@dataclass
class QueuePolicy(Resource):
    """A queue policy and the queues it covers."""

    document: Attr | None = None
    queue_refs: list[Any] = field(default_factory=list)  # values naming the queues
    queues: list["Queue"] = field(default_factory=list)  # set by link.py
    # Set by link.py: the document read for SQS actions (policy_analysis), per account context.
    analyses: dict[Any, list[Any]] = field(default_factory=dict)


@dataclass
class Model:
    queues: list[Queue] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)
    key_policies: list[KeyPolicyAttachment] = field(default_factory=list)
    unread_modules: list[UnreadModule] = field(default_factory=list)
    producers: list[Producer] = field(default_factory=list)
    roles: list[IamRole] = field(default_factory=list)
    iam_policies: list[IamPolicy] = field(default_factory=list)
    attachments: list[PolicyAttachment] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    consumers: list[Consumer] = field(default_factory=list)
    queue_policies: list[QueuePolicy] = field(default_factory=list)
    # The AWS account a scan unit deploys to, where the code says (a CDK stack's environment).
    unit_accounts: dict[str, str] = field(default_factory=dict)
    # The account of a resource, by (unit, address), where it differs from its unit's (a
    # Terraform resource whose aliased provider configuration has its own allowed_account_ids).
    resource_accounts: dict[tuple[str, str], str] = field(default_factory=dict)
    # What is computed from the linked model and read by several rules and views (who uses
    # each queue: queue_users), kept once per scan; link.py empties it.
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    def resources(self) -> Iterator[Resource]:
        """Every model object a finding can attach to, in a stable order."""
        yield from self.queues
        yield from self.keys
        yield from self.key_policies
        yield from self.aliases
        yield from self.unread_modules
        yield from self.producers
        yield from self.roles
        yield from self.iam_policies
        yield from self.attachments
        yield from self.functions
        yield from self.consumers
        yield from self.queue_policies

    def extend(self, other: "Model") -> None:
        self.queues.extend(other.queues)
        self.keys.extend(other.keys)
        self.aliases.extend(other.aliases)
        self.key_policies.extend(other.key_policies)
        self.unread_modules.extend(other.unread_modules)
        self.producers.extend(other.producers)
        self.roles.extend(other.roles)
        self.iam_policies.extend(other.iam_policies)
        self.attachments.extend(other.attachments)
        self.functions.extend(other.functions)
        self.consumers.extend(other.consumers)
        self.queue_policies.extend(other.queue_policies)
        self.unit_accounts.update(other.unit_accounts)
        self.resource_accounts.update(other.resource_accounts)



# --- the AWS-managed key ---------------------------------------------------------------------

_AWS_MANAGED_SQS = re.compile(r"(?:^|:)alias/aws/sqs$", re.IGNORECASE)


def is_aws_managed_sqs_key(text: str) -> bool:
    """`alias/aws/sqs` as alias name or alias ARN, in any partition, region or account."""
    return bool(_AWS_MANAGED_SQS.search(text.strip()))
