"""SQG401–SQG405: whoever delivers to, sends to or receives from a queue must be able to use its key.

A producer (an SNS subscription, an S3 event notification, an EventBridge rule target) encrypts
what it delivers with the queue's key under its own service principal, which has no IAM policy:
only the key policy can allow it. Findings attach to the queue and name the producers.
"""

from __future__ import annotations

from typing import Iterator

from .. import identity_policies, queue_users
from ..model import Encryption, EncryptionChoice, IamRole, Key, Model, Producer, Queue, QueuePolicy
from ..options import Options
from ..policy_analysis import OWN, Analysis, Grant, resource_address
from .base import Hit, rule
from ..link import analyse_key as analyses
from ..link import key_context

NEEDED = ("GenerateDataKey", "Decrypt")


def _producers_by_queue(model: Model) -> dict[int, tuple[Queue, list[Producer]]]:
    found: dict[int, tuple[Queue, list[Producer]]] = {}
    for producer in model.producers:
        if producer.queue is not None:
            found.setdefault(id(producer.queue), (producer.queue, []))[1].append(producer)
    return found


def _names(producers: list[Producer]) -> str:
    shown = ["%s %s (%s)" % (p.kind, p.address, p.source) for p in producers[:3]]
    if len(producers) > 3:
        shown.append("%d more" % (len(producers) - 3))
    return _and(shown)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "%s and %s" % (", ".join(items[:-1]), items[-1])


def _when(choice: EncryptionChoice) -> str:
    return " when %s" % choice.when if choice.when else ""


def _where(queue: Queue):
    return queue.kms_key.location if queue.kms_key is not None else None


@rule("SQG401")
def producer_blocked_by_aws_managed_key(model: Model, options: Options) -> Iterator[Hit]:
    for queue, producers in _producers_by_queue(model).values():
        managed = next((c for c in queue.choices if c.mode is Encryption.AWS_MANAGED), None)
        if managed is None:
            continue
        services = _and(sorted({p.service for p in producers}))
        yield Hit(
            queue,
            "%s deliver%s to queue %s, which is encrypted with the AWS-managed key alias/aws/sqs%s: %s "
            "cannot use that key, so the messages are dropped — encrypt the queue with a customer-managed "
            "key whose policy allows %s kms:GenerateDataKey* and kms:Decrypt, with aws:SourceArn set to "
            "the producing resource."
            % (
                _names(producers),
                "s" if len(producers) == 1 else "",
                queue.address,
                _when(managed),
                services,
                services,
            ),
            _where(queue),
        )


def _allowed(analysis: Analysis, producer: Producer) -> tuple[set[str], list[str]]:
    """The KMS actions the key policy lets the producer's service principal use on its behalf,
    and the resources of the code that grants to the service are pinned to instead (aws:SourceArn
    naming another topic, bucket or rule: KMS refuses this producer)."""
    allowed: set[str] = set()
    elsewhere: list[str] = []
    for grant in analysis.grants:
        if not _reaches(grant, producer.service):
            continue
        pinned = _source_addresses(grant)
        if pinned is not None and producer.source_address is not None and producer.source_address not in pinned:
            elsewhere.extend(a for a in pinned if a not in elsewhere)
            continue
        allowed |= grant.actions
    return allowed, elsewhere


def _source_addresses(grant: Grant) -> list[str] | None:
    """The resources of the code an aws:SourceArn condition names, when every value names one."""
    found = None
    for condition in grant.statement.conditions:
        if condition.key != "aws:sourcearn" or not condition.positive:
            continue
        addresses = [resource_address(v) for v in condition.values]
        if not addresses or any(a is None for a in addresses):
            return None  # a literal ARN or a pattern: it may name the producer
        found = (found or []) + [a for a in addresses if a is not None]
    return found


def _reaches(grant: Grant, service: str) -> bool:
    principal, scope = grant.principal, grant.scope
    if principal.kind == "service":
        text = principal.text.strip().lower()
        return text == service or text.startswith(service + ".")  # sns.amazonaws.com.cn
    if principal.kind == "wildcard":
        # "*" reaches a service unless a condition pins who the caller is (a service is no
        # organisation member, account principal or ARN); a source pin is what a service sends
        return not (scope.org or scope.principal_arn or scope.via_service) and (not scope.constrains or scope.source)
    return False


def _keys(model: Model) -> dict[tuple[str, str], Key]:
    return {(k.unit, k.address): k for k in model.keys}


@rule("SQG402")
def producer_missing_key_grant(model: Model, options: Options) -> Iterator[Hit]:
    keys = _keys(model)
    for queue, producers in _producers_by_queue(model).values():
        found = None
        for choice in queue.choices:
            key = keys.get((choice.key_unit, choice.key_address)) if choice.mode is Encryption.CUSTOMER_KEY else None
            if key is None:
                continue
            for analysis in analyses(key, model, options):
                if not analysis.fully_read:
                    continue  # a policy that cannot be read is SQG208's, never a guess
                for producer in producers:
                    allowed, elsewhere = _allowed(analysis, producer)
                    missing = [a for a in NEEDED if a not in allowed]
                    if missing:
                        found = (key, choice, analysis, producer, missing, elsewhere)
                        break
                if found:
                    break
            if found:
                break
        if found is None:
            continue
        key, choice, analysis, producer, missing, elsewhere = found
        when = " when %s" % ", ".join(w for w in (choice.when, analysis.when) if w) if (choice.when or analysis.when) else ""
        actions = " and ".join("kms:" + a for a in missing)
        what = producer.source.split(" ")[0]
        if elsewhere:
            why = "does not allow %s %s for it (it allows it only with aws:SourceArn naming %s)%s" % (
                producer.service, actions, _and(elsewhere), when)
            fix = "add the %s to that statement's aws:SourceArn values" % what
        else:
            why = "does not allow %s %s%s" % (producer.service, actions, when)
            fix = "add a key policy statement that allows %s kms:GenerateDataKey* and kms:Decrypt, with aws:SourceArn set to the %s" % (
                producer.service, what)
        yield Hit(
            queue,
            "%s %s (%s) delivers to queue %s, but the policy of its key %s %s: every delivery fails with a KMS "
            "access error — %s." % (producer.kind, producer.address, producer.source, queue.address, key.address, why, fix),
            _where(queue),
        )


# --- SQG404 / SQG405: principals of the code that receive from or send to the queue ----------


def _role_reached(grant: Grant, role: IamRole) -> bool:
    principal, scope = grant.principal, grant.scope
    if principal.kind == "iam":
        if principal.address is not None:
            return principal.address == role.address
        name = role.name.value if role.name is not None and isinstance(role.name.value, str) else None
        return name is not None and principal.account == OWN and principal.text.rstrip().endswith(("role/" + name, "user/" + name))
    if principal.kind == "wildcard":
        if scope.org or scope.principal_arn:
            return False
        return not scope.accounts or OWN in scope.accounts
    return False


def _key_access(key: Key, role: IamRole, actions: tuple[str, ...], model: Model, options: Options):
    """(missing actions, the side that lacks them, when), or None when the role can use the key
    or sqsguard cannot tell."""
    for analysis in analyses(key, model, options):
        if not analysis.fully_read:
            return None
        direct = set()
        delegated = set()
        for grant in analysis.grants:
            if _role_reached(grant, role):
                direct |= grant.actions
            if grant.principal.is_own_root:
                delegated |= grant.actions
        missing = [a for a in actions if a not in direct]
        if not missing:
            continue
        not_delegated = [a for a in missing if a not in delegated]
        if not_delegated:
            return not_delegated, "key", analysis.when
        if role.unknown:
            return None  # a policy of the role cannot be read: never a guess
        target = identity_policies.Target(key.unit, key.address, "kms")
        statements = role.statements.get("kms", [])
        lacking = []
        for action in missing:
            verdict = identity_policies.allows(statements, action, target)
            if verdict is None:
                return None
            if not verdict:
                lacking.append(action)
        if lacking:
            denied = all(identity_policies.denies(statements, a, target) for a in lacking)
            return lacking, "iam-deny" if denied else "iam", analysis.when
    return None


def _kind(role: IamRole) -> str:
    return "user" if role.user else "role"


_SIDES = {"key": "the key policy", "iam": "its IAM policy", "iam-deny": "a Deny in its IAM policy"}


def _principal_rule(model: Model, options: Options, action: str, needed: tuple[str, ...], verb: str) -> Iterator[Hit]:
    keys = _keys(model)
    problems: dict[int, list] = {}
    order: list[Queue] = []
    seen: set[tuple[int, int]] = set()
    for user in queue_users.users(model, action):
        queue, how, role = user.queue, user.how, user.role
        if role is None or (id(queue), id(role)) in seen:
            continue
        seen.add((id(queue), id(role)))
        for choice in queue.choices:
            key = keys.get((choice.key_unit, choice.key_address)) if choice.mode is Encryption.CUSTOMER_KEY else None
            problem = _key_access(key, role, needed, model, options) if key is not None else None
            if problem is not None:
                if id(queue) not in problems:
                    order.append(queue)
                problems.setdefault(id(queue), []).append((how, role, key, choice, problem))
                break
    for queue in order:
        (how, role, key, choice, (missing, side, when)), *others = problems[id(queue)]
        actions = " and ".join("kms:" + a for a in missing)
        conditions = [w for w in (choice.when, when) if w]
        if side == "key":
            why = "the key policy neither allows it nor delegates %s to the account root" % actions
            fix = "add a key policy statement that allows %s %s" % (role.address, actions)
        elif side == "iam-deny":
            why = "the key policy leaves the key to IAM, and a Deny statement in the IAM policy of %s removes %s on it" % (role.address, actions)
            fix = "narrow that Deny so it leaves %s on the key" % actions
        else:
            why = "the key policy leaves the key to IAM, and no policy of %s allows %s on it" % (role.address, actions)
            fix = "allow %s on the key's ARN in %s's IAM policy" % (actions, role.address)
        also = ""
        if others:
            also = " Also: %s." % "; ".join(
                "%s%s lacks %s (%s)" % (h, "" if r.address in h else " (%s %s)" % (_kind(r), r.address),
                                        " and ".join("kms:" + a for a in p[0]), _SIDES[p[1]])
                for h, r, _, _, p in others
            )
        yield Hit(
            queue,
            "%s %s queue %s, encrypted with key %s, but %s cannot %s with the key%s: %s, so every call fails with "
            "kms:AccessDenied — %s.%s"
            % (how[:1].upper() + how[1:], verb, queue.address, key.address, role.address, actions,
               " when %s" % ", ".join(conditions) if conditions else "", why, fix, also),
            _where(queue),
        )


@rule("SQG404")
def consumer_missing_key_grant(model: Model, options: Options) -> Iterator[Hit]:
    yield from _principal_rule(model, options, queue_users.RECEIVE, ("Decrypt",), "receives from")


@rule("SQG405")
def sender_missing_key_grant(model: Model, options: Options) -> Iterator[Hit]:
    yield from _principal_rule(model, options, queue_users.SEND, ("GenerateDataKey", "Decrypt"), "sends to")


# --- SQG403: a queue policy that opens the queue to another account ---------------------------

def _opened(policy: QueuePolicy, model: Model, options: Options, context) -> list[tuple[str, str, str]]:
    """(account, what, principal as written) for each foreign account the queue policy lets send
    or receive, after its Deny statements (read at link time for SQS actions)."""
    from ..link import analyse_queue_policy

    found = []
    for analysis in analyse_queue_policy(policy, model, options)[:1]:
        if analysis.unreadable is not None:
            return []
        for grant in analysis.grants:
            principal = grant.principal
            if principal.kind in ("root", "iam"):
                accounts = [(principal.account, principal.text)]
            elif principal.kind == "wildcard" and grant.scope.accounts and not grant.scope.source:
                # "*" pinned to accounts by aws:PrincipalAccount / kms:CallerAccount / aws:PrincipalArn
                accounts = [(a, "%s, pinned to that account by a condition" % principal.text) for a in sorted(grant.scope.accounts)]
            else:
                continue
            for account, written in accounts:
                if not account or context.is_own(account):
                    continue  # a trusted account is another account all the same: its key access counts
                for action, what in (("SendMessage", "send"), ("ReceiveMessage", "receive")):
                    if action in grant.actions and (account, what, written) not in found:
                        found.append((account, what, written))
    return found


def _account_allowed(analysis: Analysis, account: str, action: str) -> bool:
    for grant in analysis.grants:
        if action not in grant.actions:
            continue
        principal, scope = grant.principal, grant.scope
        if principal.kind in ("root", "iam") and principal.account == account:
            return True
        if principal.kind == "wildcard" and (not scope.constrains or (scope.accounts and account in scope.accounts)):
            return True
    return False


@rule("SQG403")
def cross_account_queue_without_key_access(model: Model, options: Options) -> Iterator[Hit]:
    keys = _keys(model)
    for policy in model.queue_policies:
        if policy.document is None:
            continue
        for queue in policy.queues:
            for choice in queue.choices:
                key = keys.get((choice.key_unit, choice.key_address)) if choice.mode is Encryption.CUSTOMER_KEY else None
                if key is None:
                    continue
                context = key_context(key, model, options)
                opened = _opened(policy, model, options, context)
                if not opened:
                    continue
                found = None
                for analysis in analyses(key, model, options):
                    if not analysis.fully_read:
                        break
                    for account, what, principal in opened:
                        needed = NEEDED if what == "send" else ("Decrypt",)
                        missing = [a for a in needed if not _account_allowed(analysis, account, a)]
                        if missing:
                            found = (account, what, principal, missing, analysis.when)
                            break
                    if found:
                        break
                if found is None:
                    continue
                account, what, principal, missing, when = found
                actions = " and ".join("kms:" + a for a in missing)
                yield Hit(
                    queue,
                    "The queue policy %s lets account %s (%s) %s %s queue %s, but the policy of its key %s does "
                    "not allow that account %s%s, so its calls fail with kms:AccessDenied — add a key policy "
                    "statement allowing arn:aws:iam::%s:root %s (the account's own IAM policy must allow it too)."
                    % (policy.address, account, principal, what, "to" if what == "send" else "from", queue.address,
                       key.address, actions, " when %s" % when if when else "", account, actions),
                    _where(queue),
                )
                break
