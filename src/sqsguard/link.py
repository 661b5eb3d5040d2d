"""Resolve references between model objects, and read every policy once.

Queue -> key, alias -> key, producers and consumers -> queues, roles -> the policies that apply;
key, queue and identity policies are normalised here (policy_analysis), not in the rules.

Runs once over the whole scan's model, after every parser, so references work across files
where the format allows it (a Terraform module spans files; an alias name is account-wide).
"""

from __future__ import annotations

from typing import Any

from . import encryption
from .model import Alias, Concat, Conditional, Function, IamPolicy, IamRole, Key, Model, Queue, QueuePolicy, ResourceRef, render


class References:
    def __init__(self, model: Model):
        self.by_address: dict[tuple[str, str], Any] = {}
        for obj in [*model.keys, *model.aliases, *model.queues, *model.roles, *model.iam_policies, *model.functions]:
            self.by_address.setdefault((obj.unit, obj.address), obj)
        self.aliases_by_name: dict[str, list[Alias]] = {}
        for alias in model.aliases:
            name = render(alias.name.value) if alias.name else ""
            if name:
                self.aliases_by_name.setdefault(name, []).append(alias)

    def resolve(self, ref: ResourceRef) -> Any:
        return self.by_address.get((ref.unit, ref.address))

    def alias_named(self, text: str, unit: str) -> Alias | None:
        """The alias a name or alias ARN refers to: in the same unit first, else the only one."""
        name = text.strip()
        if ":alias/" in name:
            name = "alias/" + name.split(":alias/", 1)[1]
        if not name.startswith("alias/"):
            return None
        candidates = self.aliases_by_name.get(name, [])
        same_unit = [a for a in candidates if a.unit == unit]
        if same_unit:
            return same_unit[0]
        if len(candidates) == 1:
            return candidates[0]
        return None

    def key_of_alias(self, alias: Alias) -> Key | None:
        target = alias.target.value if alias.target else None
        if isinstance(target, ResourceRef):
            found = self.resolve(target)
            return found if isinstance(found, Key) else None
        return None


def unit_context(unit: str, model: Model, options: Any, address: str | None = None) -> Any:
    """Which accounts are a scan unit's own (or, with `address`, that resource's: its own
    account where the code gives one) and which are trusted (policy_analysis.Context)."""
    from .policy_analysis import Context

    own = set(options.own_accounts)
    account = model.resource_accounts.get((unit, address)) if address is not None else None
    account = account or model.unit_accounts.get(unit)
    if account:
        own.add(account)
    return Context(own_accounts=frozenset(own), trusted_accounts=frozenset(options.trusted_accounts))


def key_context(key: Key, model: Model, options: Any) -> Any:
    """Which accounts are this key's own and which are trusted."""
    return unit_context(key.unit, model, options, key.address)


def analyse_key(key: Key, model: Model, options: Any) -> list:
    """The key's policy as KMS reads it, analysed once per set of accounts and kept on the key."""
    from .policy_analysis import analyze

    context = key_context(key, model, options)
    if context not in key.analyses:
        owner = key.policy_attachment or key
        key.analyses[context] = analyze(key.policy.value if key.policy is not None else None, context, owner.location.file)
    return key.analyses[context]


def analyse_queue_policy(policy: QueuePolicy, model: Model, options: Any) -> list:
    """The queue policy read for SQS actions, once per set of accounts and kept on it."""
    from .policy_analysis import analyze

    if policy.document is None:
        return []
    context = unit_context(policy.unit, model, options, policy.address)
    if context not in policy.analyses:
        policy.analyses[context] = analyze(policy.document.value, context, policy.location.file, "sqs")
    return policy.analyses[context]


IDENTITY_SERVICES = ("kms", "sqs")  # whose actions the rules ask identity policies about


def read_identity_policies(role: IamRole) -> None:
    """The statements of every document that applies to a role, read once per service."""
    from .policy_analysis import Context, analyze

    role.statements = {service: [] for service in IDENTITY_SERVICES}
    for label, value in role.documents:
        if value is None:
            continue
        for service in IDENTITY_SERVICES:
            analyses = analyze(value, Context(), "", service)
            if len(analyses) != 1:
                if service == IDENTITY_SERVICES[0]:
                    role.unknown.append("%s differs by condition (%s)" % (label, " or ".join(a.when for a in analyses)))
                continue
            (analysis,) = analyses
            if analysis.unreadable is not None and service == IDENTITY_SERVICES[0]:
                role.unknown.append("%s: %s" % (label, analysis.unreadable))
            role.statements[service].extend(analysis.statements)


def link(model: Model, options: Any = None) -> Model:
    """Resolve references; with `options`, also read every key policy for the run's accounts."""
    model.derived.clear()  # views of an earlier linking are stale
    refs = References(model)
    for attachment in model.key_policies:
        target = attachment.key.value if attachment.key else None
        key = refs.resolve(target) if isinstance(target, ResourceRef) else None
        if isinstance(key, Key):
            key.policy_attachment = attachment
            key.policy = attachment.policy
            if attachment.bypass_lockout is not None:
                key.bypass_lockout = attachment.bypass_lockout
    for key in model.keys:
        primary = key.primary.value if key.primary is not None else None
        found = refs.resolve(primary) if isinstance(primary, ResourceRef) else None
        key.replica_of = found if isinstance(found, Key) else None
    for alias in model.aliases:
        key = refs.key_of_alias(alias)
        if key is not None and alias.name is not None:
            name = render(alias.name.value)
            if name and name not in key.aliases:
                key.aliases.append(name)
    for queue in model.queues:
        queue.choices = encryption.decide(queue, refs)
        queue.encryption = encryption.judge(queue.choices)
    for producer in model.producers:
        producer.queue = _queue_of(producer.target.value if producer.target else None, refs)
    _link_iam(model, refs)
    for policy in model.queue_policies:
        policy.queues = [q for q in (_queue_of(v, refs) for v in policy.queue_refs) if q is not None]
    if options is not None:
        for key in model.keys:
            analyse_key(key, model, options)
        for policy in model.queue_policies:
            analyse_queue_policy(policy, model, options)
    for consumer in model.consumers:
        consumer.queue = _queue_of(consumer.queue_ref.value if consumer.queue_ref else None, refs)
        if isinstance(consumer.role_ref, ResourceRef):
            role = refs.resolve(consumer.role_ref)
            consumer.role = role if isinstance(role, IamRole) else None
        function = refs.resolve(consumer.function) if isinstance(consumer.function, ResourceRef) else None
        if isinstance(function, Function):
            if function.implicit_role is not None:
                consumer.role = function.implicit_role
            else:
                consumer.role = _role_of_function(function, consumer.function.instance, refs)
    return model


def _link_iam(model: Model, refs: References) -> None:
    """Every policy document that applies to each role of the code, and what cannot be known."""
    from .aws_policies import managed_policy

    by_name: dict[tuple[str, str], IamRole] = {}
    for role in model.roles:
        if role.name is not None and isinstance(role.name.value, str):
            by_name[(role.unit, role.name.value)] = role
        for attr in role.inline:
            role.documents.append(("an inline policy (%s)" % attr.text, attr.value))

    def role_of(value: Any, unit: str) -> IamRole | None | bool:
        """The role a value names; None when it names none of the code; False when unknown."""
        if isinstance(value, ResourceRef):
            found = refs.resolve(value)
            return found if isinstance(found, IamRole) else None
        if isinstance(value, str):
            return by_name.get((unit, value.rsplit("/", 1)[-1]))
        return False

    def managed(value: Any, role: IamRole, label: str) -> None:
        if isinstance(value, ResourceRef):
            found = refs.resolve(value)
            if isinstance(found, IamPolicy) and found.document is not None:
                role.documents.append(("the managed policy %s" % found.address, found.document.value))
            else:
                role.unknown.append("%s is not a policy sqsguard can read" % render(value))
            return
        document = managed_policy(value)
        if document is not None:
            role.documents.append(("the AWS managed policy %s" % render(value).rsplit("/", 1)[-1], document))
        else:
            role.unknown.append("the managed policy %s is outside the scanned code" % render(value))

    for role in model.roles:
        for attr in role.managed:
            managed(attr.value, role, attr.text)
    unknown_units: set[str] = set()
    for policy in model.iam_policies:
        for value in policy.roles:
            role = role_of(value, policy.unit)
            if role is False:
                unknown_units.add(policy.unit)
            elif isinstance(role, IamRole) and policy.document is not None:
                role.documents.append(("the policy %s" % policy.address, policy.document.value))
    for attachment in model.attachments:
        role = role_of(attachment.role, attachment.unit)
        if role is False:
            unknown_units.add(attachment.unit)
        elif isinstance(role, IamRole):
            managed(attachment.policy, role, attachment.address)
    for role in model.roles:
        if role.unit in unknown_units:
            role.unknown.append("a policy of the code is attached to a role sqsguard cannot tell")
        read_identity_policies(role)


def _role_of_function(function: Function, instance: Any, refs: References) -> IamRole | None:
    """The role a function (or the named instance of it) runs as, when the code says which one:
    the instance's own, else the one role every instance uses."""
    if instance is not None and instance in function.instance_roles:
        values = [function.instance_roles[instance]]
    elif function.instance_roles:
        values = list(function.instance_roles.values())
    else:
        values = [function.role.value] if function.role is not None else []
    roles = []
    for value in values:
        role = refs.resolve(value) if isinstance(value, ResourceRef) else None
        if not isinstance(role, IamRole):
            return None
        if role not in roles:
            roles.append(role)
    return roles[0] if len(roles) == 1 else None


def _queue_of(value: Any, refs: References) -> Queue | None:
    """The queue a delivery target names: a reference to a queue of the scan (in any branch)."""
    if isinstance(value, ResourceRef):
        found = refs.resolve(value)
        return found if isinstance(found, Queue) else None
    if isinstance(value, Conditional):
        return _queue_of(value.if_true, refs) or _queue_of(value.if_false, refs)
    if isinstance(value, Concat):
        for part in value.parts:
            found = _queue_of(part, refs)
            if found is not None:
                return found
    return None
