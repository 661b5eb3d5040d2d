"""The KMS cost model of SQS encryption, from AWS's documented bound (AWS-FACTS.md §4).

Each principal caches a data key for the queue's reuse period D. After each period a producing
principal calls GenerateDataKey and Decrypt, a consuming principal Decrypt, so over a billing
period of B seconds a queue makes at most R = B / D × (2P + C) KMS requests (P producing and C
consuming principals). AWS adds that real costs can be higher because of SQS's distributed
nature. Requests cost $0.03 per 10,000; a customer-managed key (and each multi-Region replica)
$1 a month. The free tier (20,000 requests a month) is the account's, so it is not subtracted.

One model for SQG501 and `sqsguard cost`. Works on a linked model (link.py).
"""

from __future__ import annotations

import math
from dataclasses import field
from typing import Any

from .dataclass_methods import dataclass
from .model import (Encryption, EncryptionChoice, Key, Model, Queue, Unresolved, assignments, choose, describe_assignment, render,
                    resource_fields)
from .queue_users import flows

DEFAULT_REUSE = 300  # seconds: SQS's default data key reuse period
MIN_REUSE, MAX_REUSE = 60, 86_400
PRICE_PER_10K_REQUESTS = 0.03  # USD, symmetric-key requests
KEY_MONTHLY_FEE = 1.0  # USD per customer-managed key (and per replica)
SECONDS_PER_DAY = 86_400
DEFAULT_MONTH_DAYS = 30

KMS_MODES = (Encryption.CUSTOMER_KEY, Encryption.AWS_MANAGED, Encryption.UNRESOLVED)


def month_seconds(days: float = DEFAULT_MONTH_DAYS) -> int:
    return int(round(days * SECONDS_PER_DAY))


def kms_requests(seconds: float, reuse: float, producers: int, consumers: int) -> int:
    """AWS's bound R = B / D × (2P + C), rounded up to whole requests."""
    exact = seconds / reuse * (2 * producers + consumers)
    return int(math.ceil(exact - 1e-9))


def request_cost(requests: float) -> float:
    return requests * PRICE_PER_10K_REQUESTS / 10_000


@dataclass(frozen=True)
class Reuse:
    """A queue's data key reuse period, as the bound uses it: the shortest period any branch
    can deploy; an unreadable one is taken as the 60-second minimum (the bound stays a bound)."""

    seconds: int
    known: bool  # every branch's period is read
    set: bool  # the code sets the period (else AWS's default)
    text: str = ""  # the setting as written
    when: str = ""  # the conditions under which the shortest period holds
    unknown: str = ""  # why it cannot be read
    note: str = ""  # a period outside what SQS accepts: what the bound used instead


def reuse_period(queue: Queue) -> Reuse:
    attr = queue.data_key_reuse
    if attr is None or attr.value is None:
        return Reuse(DEFAULT_REUSE, True, False)
    shortest: tuple[int, str] | None = None
    unknown = ""
    for assignment in assignments(attr.value):
        seconds = _seconds(choose(attr.value, assignment))
        if seconds is None:
            unknown = unknown or _why(choose(attr.value, assignment))
            continue
        if shortest is None or seconds < shortest[0]:
            shortest = (seconds, describe_assignment(assignment))
    if unknown:
        return Reuse(MIN_REUSE, False, True, attr.text, unknown=unknown)
    if shortest is None:  # pragma: no cover - assignments yields at least one combination
        return Reuse(DEFAULT_REUSE, True, False)
    seconds = min(max(shortest[0], MIN_REUSE), MAX_REUSE)
    note = "" if seconds == shortest[0] else (
        "%d seconds is outside the %d to %s seconds SQS accepts (the deployment fails); the bound uses %d"
        % (shortest[0], MIN_REUSE, format(MAX_REUSE, ","), seconds))
    return Reuse(seconds, True, True, attr.text, shortest[1], note=note)


def _seconds(value: Any) -> int | None:
    if value is None:
        return DEFAULT_REUSE
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value.strip())
    return None


def _why(value: Any) -> str:
    if isinstance(value, Unresolved):
        return "%s (%s)" % (value.expr, value.reason)
    return "%s is not a number of seconds" % (render(value) or repr(value))


@dataclass(frozen=True)
class Principals:
    """How many principals produce to and consume from a queue, and where the numbers come from."""

    producers: int
    consumers: int
    producers_from: str  # "option" (a flag or the configuration), "code", or "assumed" (the code shows none: 1)
    consumers_from: str
    producer_names: tuple[str, ...] = ()
    consumer_names: tuple[str, ...] = ()


def principals(flow: Any, producers: int | None, consumers: int | None) -> Principals:
    """The counts given (`--producers`, `cost.producers`), else those the code shows, at least 1."""
    shown_p = tuple(flow.producers.values()) if flow is not None else ()
    shown_c = tuple(flow.consumers.values()) if flow is not None else ()
    return Principals(
        producers if producers is not None else max(1, flow.number(flow.producers) if flow is not None else 0),
        consumers if consumers is not None else max(1, flow.number(flow.consumers) if flow is not None else 0),
        "option" if producers is not None else ("code" if shown_p else "assumed"),
        "option" if consumers is not None else ("code" if shown_c else "assumed"),
        shown_p,
        shown_c,
    )


@dataclass(frozen=True)
class QueueCost:
    queue: Queue
    choice: EncryptionChoice  # the branch whose KMS key the queue uses
    reuse: Reuse
    principals: Principals
    requests: int
    cost: float


@dataclass
class KeyCost:
    """A key the scanned queues use (or a replica of one): its fee and its queues' requests."""

    label: str  # the key's address, or the reference as written when it is not in the scan
    kind: str  # "customer-managed", "aws-managed", "unverifiable"
    key: Key | None = None
    replica_of: str | None = None
    queues: list[QueueCost] = field(default_factory=list)
    fee: float | None = None  # None: not known (a key outside the scanned code)

    @property
    def requests(self) -> int:
        return sum(q.requests for q in self.queues)

    @property
    def cost(self) -> float:
        return request_cost(self.requests)


@dataclass
class Costs:
    month_days: float
    seconds: int
    queues: list[QueueCost]
    keys: list[KeyCost]
    queues_scanned: int = 0  # every queue of the scan, with a KMS key or not


def kms_choice(queue: Queue) -> EncryptionChoice | None:
    """The branch whose KMS key the queue is costed with: the one it is judged by when that
    uses a KMS key, else the first that does; None when no branch does."""
    if queue.encryption is not None and queue.encryption.mode in KMS_MODES:
        return queue.encryption
    return next((c for c in queue.choices if c.mode in KMS_MODES), None)


def queue_cost(queue: Queue, flow: Any, producers: int | None, consumers: int | None, seconds: int) -> QueueCost | None:
    choice = kms_choice(queue)
    if choice is None:
        return None
    reuse = reuse_period(queue)
    counted = principals(flow, producers, consumers)
    requests = kms_requests(seconds, reuse.seconds, counted.producers, counted.consumers)
    return QueueCost(queue, choice, reuse, counted, requests, request_cost(requests))


def costs(model: Model, producers: int | None = None, consumers: int | None = None,
          month_days: float = DEFAULT_MONTH_DAYS, by_queue: dict | None = None) -> Costs:
    """`by_queue`: queue_users.flows(model), when the caller has it already."""
    seconds = month_seconds(month_days)
    by_queue = flows(model) if by_queue is None else by_queue
    found: list[QueueCost] = []
    # (queues of the scan without a KMS key have no KMS cost and are not listed)
    keys: dict[tuple, KeyCost] = {}
    in_scan = {(k.unit, k.address): k for k in model.keys}
    for queue in model.queues:
        item = queue_cost(queue, by_queue.get(id(queue)), producers, consumers, seconds)
        if item is None:
            continue
        found.append(item)
        choice = item.choice
        key = in_scan.get((choice.key_unit, choice.key_address)) if choice.key_address else None
        if key is not None:
            entry = keys.setdefault(("key", key.unit, key.address), KeyCost(key.address, "customer-managed", key, fee=KEY_MONTHLY_FEE))
        elif choice.mode is Encryption.AWS_MANAGED:
            entry = keys.setdefault(("aws", queue.unit), KeyCost("alias/aws/sqs", "aws-managed", fee=0.0))
        else:
            label = choice.key_text or "(unknown)"
            entry = keys.setdefault(("text", queue.unit, label), KeyCost(label, "unverifiable"))
        entry.queues.append(item)
    used = {id(e.key) for e in keys.values() if e.key is not None}
    for key in model.keys:
        if key.replica_of is not None and id(key.replica_of) in used and id(key) not in used:
            keys[("key", key.unit, key.address)] = KeyCost(key.address, "customer-managed", key, key.replica_of.address, fee=KEY_MONTHLY_FEE)
    return Costs(month_days, seconds, found, list(keys.values()), len(model.queues))


def to_document(found: Costs, version: str, covers=None) -> dict[str, Any]:
    """`sqsguard cost --format json`: plain data (`covers`: (file, unit) -> bool, the files a
    scan of named files reports)."""
    queues = []
    for item in found.queues:
        queue = item.queue
        if covers is not None and not covers(queue.location.file, queue.unit):
            continue
        p = item.principals
        queues.append({
            **resource_fields(queue),
            "key": item.choice.key_address or item.choice.key_text or "",
            "key_kind": _kind(item.choice),
            "when": item.choice.when,
            "reuse_period_seconds": item.reuse.seconds,
            "reuse_period_set": item.reuse.set,
            "reuse_period_known": item.reuse.known,
            "reuse_period_unknown": item.reuse.unknown or None,
            "reuse_period_when": item.reuse.when,
            "reuse_period_note": item.reuse.note or None,
            "producers": p.producers,
            "consumers": p.consumers,
            "producers_from": p.producers_from,
            "consumers_from": p.consumers_from,
            "producer_principals": list(p.producer_names),
            "consumer_principals": list(p.consumer_names),
            "kms_requests_per_month": item.requests,
            "monthly_cost_usd": round(item.cost, 4),
        })
    shown = {(q["file"], q["resource"]) for q in queues}
    keys = []
    for entry in found.keys:
        mine = [q for q in entry.queues if (q.queue.location.file, q.queue.address) in shown]
        if covers is not None and not mine and entry.replica_of is None:
            continue
        requests = sum(q.requests for q in mine)
        keys.append({
            "resource": entry.label,
            "kind": entry.kind,
            "file": entry.key.location.file if entry.key is not None else None,
            "line": max(entry.key.location.line, 1) if entry.key is not None else None,
            "replica_of": entry.replica_of,
            "queues": [q.queue.address for q in mine],
            "monthly_fee_usd": entry.fee,
            "kms_requests_per_month": requests,
            "request_cost_usd": round(request_cost(requests), 4),
            "monthly_cost_usd": round((entry.fee or 0.0) + request_cost(requests), 4),
        })
    requests = sum(q["kms_requests_per_month"] for q in queues)
    fees = sum(k["monthly_fee_usd"] or 0.0 for k in keys)
    return {
        "version": 1,
        "kind": "cost",
        "tool": {"name": "sqsguard", "version": version},
        "month_days": found.month_days,
        "month_seconds": found.seconds,
        "queues_scanned": found.queues_scanned,
        "price_per_10000_requests_usd": PRICE_PER_10K_REQUESTS,
        "key_monthly_fee_usd": KEY_MONTHLY_FEE,
        "queues": queues,
        "keys": keys,
        "totals": {
            "queues": len(queues),
            "keys": len(keys),
            "kms_requests_per_month": requests,
            "request_cost_usd": round(request_cost(requests), 4),
            "key_fees_usd": round(fees, 4),
            "keys_with_unknown_fee": sum(1 for k in keys if k["monthly_fee_usd"] is None),
            "monthly_cost_usd": round(fees + request_cost(requests), 4),
        },
    }


def _kind(choice: EncryptionChoice) -> str:
    if choice.mode is Encryption.AWS_MANAGED:
        return "aws-managed"
    if choice.mode is Encryption.CUSTOMER_KEY and not choice.external:
        return "customer-managed"
    return "unverifiable"
