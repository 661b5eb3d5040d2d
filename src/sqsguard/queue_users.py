"""Who uses each queue, as the code shows it: the services that deliver to it (SNS, S3,
EventBridge), the consumers and pipes linked to it, and the roles whose IAM policy allows
sending to or receiving from it by name.

Read by the data-flow rules (does each of them reach the key?), by the cost model (how many
principals ask KMS for data keys) and by the inventory (who produces and who consumes).
Works on a linked model only (link.py).
"""

from __future__ import annotations

from typing import Any

from .dataclass_methods import dataclass
from . import identity_policies
from .model import IamRole, Model, Queue

SEND, RECEIVE = "sqs:SendMessage", "sqs:ReceiveMessage"


@dataclass(frozen=True)
class User:
    """A principal of the code that sends to or receives from a queue."""

    queue: Queue
    how: str  # "Lambda event source mapping aws_lambda_event_source_mapping.orders", "role aws_iam_role.app (...)"
    role: IamRole | None  # the role it acts as, when the code says which one
    where: Any  # the consumer, or the role whose policy names the queue
    principal: tuple  # what tells principals apart: KMS caches data keys per principal


def users(model: Model, action: str) -> list[User]:
    """Every principal of the code that uses a queue by `action` (SEND or RECEIVE): consumers
    and pipes (a pipe sends to its target), and roles whose IAM policy allows the action on a
    queue it names. Computed once per linked model."""
    cached = model.derived.get(("users", action))
    if cached is not None:
        return cached
    found = []
    for consumer in model.consumers:
        if consumer.queue is None or consumer.sends != (action == SEND):
            continue
        role = consumer.role
        principal = ("role", role.unit, role.address) if role is not None else ("consumer", consumer.unit, consumer.address)
        found.append(User(consumer.queue, "%s %s" % (consumer.kind, consumer.address), role, consumer, principal))
    queues = {(q.unit, q.address): q for q in model.queues}
    names: dict[str, dict[str, tuple[str, str]]] = {}
    for queue in model.queues:
        if queue.name is not None and isinstance(queue.name.value, str):
            names.setdefault(queue.unit, {})[queue.name.value] = (queue.unit, queue.address)
    for role in model.roles:
        if role.unknown:
            continue
        for identity in identity_policies.named_targets(role.statements.get("sqs", []), action.partition(":")[2], names.get(role.unit, {})):
            queue = queues.get(identity)
            if queue is not None:
                how = "%s %s (allowed %s by its IAM policy)" % ("user" if role.user else "role", role.address, action)
                found.append(User(queue, how, role, role, ("role", role.unit, role.address)))
    model.derived[("users", action)] = found
    return found


@dataclass
class Flow:
    """One queue's producing and consuming principals: principal -> description, one per
    principal however many resources show it; and how many deployed principals each stands for
    (a role block with `for_each` over three keys is three roles)."""

    producers: dict
    consumers: dict
    counts: dict

    def number(self, side: dict) -> int:
        return sum(self.counts.get(principal, 1) for principal in side)


def flows(model: Model) -> dict[int, Flow]:
    """By `id(queue)`: the queue's producers (delivering services, senders) and consumers.
    Computed once per linked model."""
    if "flows" in model.derived:
        return model.derived["flows"]
    found: dict[int, Flow] = {}

    def flow(queue: Queue) -> Flow:
        return found.setdefault(id(queue), Flow({}, {}, {}))

    def add(queue: Queue, side: str, principal: tuple, how: str, instances: int) -> None:
        entry = flow(queue)
        getattr(entry, side).setdefault(principal, how if instances == 1 else "%s, %d instances" % (how, instances))
        entry.counts[principal] = max(entry.counts.get(principal, 1), instances)

    for producer in model.producers:
        if producer.queue is not None:
            source = producer.source_address or producer.source
            add(producer.queue, "producers", ("service", producer.service, producer.unit, source),
                "%s %s (%s)" % (producer.kind, producer.address, producer.source), producer.instances)
    for side, action in (("producers", SEND), ("consumers", RECEIVE)):
        for user in users(model, action):
            add(user.queue, side, user.principal, user.how, user.role.instances if user.role is not None else user.where.instances)
    model.derived["flows"] = found
    return found
