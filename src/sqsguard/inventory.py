"""The inventory: every queue with its encryption, key and compliance, as plain data
(report/inventory-v1.schema.json). Built from a linked model and the scan's findings (after
suppressions), so compliance means exactly what the findings say; `merge` combines the
inventories of many repositories into one.

A queue is compliant when no unsuppressed finding of SQG1xx, SQG2xx, SQG304 or SQG4xx is on
the queue or on its key (or the key's aws_kms_key_policy): a customer-managed key in the scan
whose policy is least-privilege (RULES.md). Rotation (SQG301), ownership tags (SQG302), keys
shared across tenants (SQG303) and cost (SQG501) are reported, but do not decide it.
"""

from __future__ import annotations

from typing import Any, Iterable

from . import cost
from .findings import Finding
from .model import Encryption, EncryptionChoice, Key, Model, Queue, Unresolved, render, resource_fields
from .queue_users import flows

MODES = ("none", "sqs-owned", "aws-managed", "customer-key", "unverifiable")
COMPLIANCE_PREFIXES = ("SQG1", "SQG2", "SQG304", "SQG4")


def decides_compliance(rule_id: str) -> bool:
    return rule_id.startswith(COMPLIANCE_PREFIXES)


def mode_of(choice: EncryptionChoice | None) -> str:
    if choice is None or choice.mode is Encryption.UNRESOLVED:
        return "unverifiable"
    if choice.mode is Encryption.CUSTOMER_KEY and choice.external:
        return "unverifiable"  # a customer key named literally, outside the scanned code
    return choice.mode.value


def rotation_of(key: Key | None) -> bool | None:
    """As the code sets it; unset is KMS's default (off); None when it cannot be read."""
    if key is None:
        return None
    if key.replica:
        return rotation_of(key.replica_of) if key.replica_of is not None else None
    value = key.rotation.value if key.rotation is not None else None
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def owner_tags(key: Key | None, required: Iterable[str]) -> dict[str, str] | None:
    if key is None or isinstance(key.tags, Unresolved):
        return None
    return {name: render(key.tags[name]) for name in required if name in key.tags}


def build(
    model: Model,
    findings: list[Finding],
    relative,
    options: Any,
    label: str | None = None,
    version: str = "",
    files_scanned: int = 0,
    errors: Iterable[Any] = (),
    covers=None,
) -> dict[str, Any]:
    """`relative`: a scan unit as the findings' `anchor` has it (RepoPaths.relative); `covers`:
    (file, unit) -> bool, the files named alone when a scan was given files."""
    on: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        on.setdefault((finding.anchor, finding.resource), []).append(finding)

    def found(unit: str, address: str) -> list[Finding]:
        return on.get((relative(unit), address), [])

    keys = {(k.unit, k.address): k for k in model.keys}
    users = flows(model)
    costs = cost.costs(model, options.producers, options.consumers, options.month_days, users)
    by_queue = {id(item.queue): item for item in costs.queues}
    rows = []
    for queue in model.queues:
        if covers is not None and not covers(queue.location.file, queue.unit):
            continue
        choice = queue.encryption
        key = keys.get((choice.key_unit, choice.key_address)) if choice is not None and choice.key_address else None
        item = by_queue.get(id(queue))
        if key is None and item is not None and item.choice.key_address:
            key = keys.get((item.choice.key_unit, item.choice.key_address))
        on_queue = found(queue.unit, queue.address)
        if key is not None:
            on_queue = on_queue + found(key.unit, key.address)
            if key.policy_attachment is not None:
                on_queue = on_queue + found(key.policy_attachment.unit, key.policy_attachment.address)
        judged = [f for f in on_queue if decides_compliance(f.rule_id)]
        rules = sorted({f.rule_id for f in judged if not f.suppressed})
        accepted = sorted({f.rule_id for f in judged if f.suppressed} - set(rules))
        row = _queue_row(queue, choice, key, item, users.get(id(queue)), rules, accepted, label, options)
        rows.append({"root": relative(queue.unit) or ".", **row})
    rows.sort(key=lambda r: (r["file"], r["line"], r["resource"]))
    shown = {r["resource"] for r in rows}
    kept = [entry for entry in costs.keys
            if entry.replica_of is not None or any(q.queue.address in shown for q in entry.queues)]
    key_rows = [_key_row(entry, label, options) for entry in kept]
    exact = sum((entry.fee or 0.0) + entry.cost for entry in kept)  # rounded once, as `cost` does
    error_rows = [{"file": e.file, "line": e.line, "message": e.message} for e in errors]
    doc = {
        "version": 1,
        "kind": "inventory",
        "tool": {"name": "sqsguard", "version": version},
        "label": label,
        "queues": rows,
        "keys": key_rows,
        "repositories": [],
        "errors": error_rows,
        "summary": {},
    }
    doc["summary"] = summarise(rows, key_rows, files_scanned, 1, exact)
    doc["repositories"] = [repository_entry(doc)]
    return doc


def _queue_row(queue: Queue, choice: EncryptionChoice | None, key: Key | None, item: Any, flow: Any,
               rules: list[str], accepted: list[str], label: str | None, options: Any) -> dict[str, Any]:
    key_text = (choice.key_text if choice is not None else None) or (item.choice.key_text if item is not None else None)
    key_row = None
    if key_text or key is not None:
        key_row = {
            "resource": key.address if key is not None else None,
            "expression": key_text or key.address,
            "file": key.location.file if key is not None else None,
            "line": max(key.location.line, 1) if key is not None else None,
            "rotation": rotation_of(key),
            "tags": owner_tags(key, options.required_key_tags),
        }
    return {
        **resource_fields(queue),
        "repository": label,
        "encryption": mode_of(choice),
        "explicit": bool(choice.explicit) if choice is not None else True,
        "when": choice.when if choice is not None else "",
        "key": key_row,
        "reuse_period_seconds": item.reuse.seconds if item is not None else None,
        "producers": list(flow.producers.values()) if flow is not None else [],
        "consumers": list(flow.consumers.values()) if flow is not None else [],
        "producing_principals": flow.number(flow.producers) if flow is not None else 0,
        "consuming_principals": flow.number(flow.consumers) if flow is not None else 0,
        "compliant": not rules,
        "rules": rules,
        "accepted": accepted,
        "kms_requests_per_month": item.requests if item is not None else None,
        "monthly_cost_usd": round(item.cost, 4) if item is not None else None,
    }


def _key_row(entry: Any, label: str | None, options: Any) -> dict[str, Any]:
    key = entry.key
    return {
        "resource": entry.label,
        "resource_type": key.resource_type if key is not None else None,
        "file": key.location.file if key is not None else None,
        "line": max(key.location.line, 1) if key is not None else None,
        "repository": label,
        "kind": entry.kind,
        "rotation": rotation_of(key),
        "tags": owner_tags(key, options.required_key_tags),
        "replica_of": entry.replica_of,
        "queues": [q.queue.address for q in entry.queues],
        "monthly_fee_usd": entry.fee,
        "kms_requests_per_month": entry.requests,
        "monthly_cost_usd": round((entry.fee or 0.0) + entry.cost, 4),
    }


def summarise(rows: list[dict], key_rows: list[dict], files_scanned: int, repositories: int,
              kms_cost: float | None = None) -> dict[str, Any]:
    """`kms_cost`: the exact total when the caller has it (else the sum of the keys' rounded costs)."""
    compliant = sum(1 for r in rows if r["compliant"])
    by_mode = {mode: 0 for mode in MODES}
    for row in rows:
        by_mode[row["encryption"]] += 1
    return {
        "queues": len(rows),
        "compliant": compliant,
        "non_compliant": len(rows) - compliant,
        "compliant_share": round(compliant / len(rows), 4) if rows else None,
        "by_mode": by_mode,
        "keys": len(key_rows),
        "files_scanned": files_scanned,
        "repositories": repositories,
        "kms_monthly_cost_usd": round(kms_cost if kms_cost is not None else sum(k["monthly_cost_usd"] for k in key_rows), 4),
    }


def repository_entry(doc: dict[str, Any]) -> dict[str, Any]:
    s = doc["summary"]
    return {
        "label": doc.get("label"),
        "tool_version": doc["tool"]["version"],
        "queues": s["queues"],
        "compliant": s["compliant"],
        "compliant_share": s["compliant_share"],
        "by_mode": dict(s["by_mode"]),
        "keys": s["keys"],
        "errors": len(doc["errors"]),
        "kms_monthly_cost_usd": s["kms_monthly_cost_usd"],
    }


class MergeError(Exception):
    """An inventory report that cannot be merged (one line naming the file)."""


def _worst_first(entry: dict[str, Any]) -> tuple:
    share = entry["compliant_share"]
    return (share is None, share if share is not None else 0, -(entry["queues"] - entry["compliant"]), entry["label"] or "")


def merge(documents: list[tuple[str, dict[str, Any]]], version: str) -> dict[str, Any]:
    """One inventory from many (path, document): each repository's rows labelled with its
    label (the file's name when it has none), repositories worst first."""
    rows: list[dict] = []
    key_rows: list[dict] = []
    errors: list[dict] = []
    repositories: list[dict] = []
    seen: dict[str, str] = {}
    files = 0
    for path, doc in documents:
        parts = doc["repositories"] if doc.get("label") is None and doc.get("merged") else [repository_entry(doc)]
        fallback = _stem(path)
        for part in parts:
            label = part["label"] or fallback
            if label in seen:
                raise MergeError("%s and %s are both inventories of %s; give each repository's job its own --label" % (seen[label], path, label))
            seen[label] = path
            repositories.append(dict(part, label=label))
        own = doc.get("label") or (None if doc.get("merged") else fallback)
        for row in doc["queues"]:
            rows.append(dict(row, repository=row.get("repository") or own))
        for row in doc["keys"]:
            key_rows.append(dict(row, repository=row.get("repository") or own))
        for error in doc["errors"]:
            errors.append(dict(error, repository=error.get("repository") or own))
        files += doc["summary"]["files_scanned"]
    repositories.sort(key=_worst_first)
    order = {entry["label"]: index for index, entry in enumerate(repositories)}
    rows.sort(key=lambda r: (order.get(r["repository"], len(order)), r["file"], r["line"], r["resource"]))
    key_rows.sort(key=lambda k: (order.get(k["repository"], len(order)), k["file"] or "", k["line"] or 0, k["resource"]))
    summary = summarise(rows, key_rows, files, len(repositories))
    return {
        "version": 1,
        "kind": "inventory",
        "tool": {"name": "sqsguard", "version": version},
        "label": None,
        "merged": len(documents),
        "queues": rows,
        "keys": key_rows,
        "repositories": repositories,
        "errors": errors,
        "summary": summary,
    }


def _stem(path: str) -> str:
    import os

    name = os.path.basename(path)
    for suffix in (".inventory.json", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def load(path: str) -> dict[str, Any]:
    """An inventory JSON report, checked against its schema (MergeError naming the file)."""
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
    except OSError as exc:
        raise MergeError("cannot read %s: %s" % (path, exc.strerror or exc)) from None
    except UnicodeDecodeError:
        raise MergeError("%s: not UTF-8 text, so not an inventory report" % path) from None
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise MergeError("%s%s: not JSON (%s)" % (path, ":%d" % line if line else "", getattr(exc, "msg", exc))) from None
    problem = schema_problem(doc)
    if problem:
        raise MergeError("%s is not an sqsguard inventory report (sqsguard inventory --format json): %s" % (path, problem))
    return doc


def schema_problem(doc: Any) -> str | None:
    """Why a document is not a version-1 inventory, or None."""
    import json
    from pathlib import Path

    import jsonschema

    schema = json.loads((Path(__file__).parent / "report" / "inventory-v1.schema.json").read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return "%s%s" % ("at %s: " % where if where else "", error.message)
