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

from dataclasses import replace
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


def accepted(finding: Finding) -> bool:
    """A suppressed finding the team accepted: suppressed with a reason, not only baselined
    (a baseline records debt; it does not make a queue compliant)."""
    suppression = finding.suppression or {}
    return finding.suppressed and suppression.get("kind") != "baseline" and bool((suppression.get("reason") or "").strip())


def build(
    model: Model,
    findings: list[Finding],
    repo,
    options: Any,
    label=None,
    version: str = "",
    files_scanned: int = 0,
    errors: Iterable[Any] = (),
    covers=None,
    fallback_path: str | None = None,
) -> dict[str, Any]:
    """`repo`: the scan's RepoPaths (a finding's scan unit is its repository and its `anchor`);
    `label`: the repository's name, or a function giving the repository of a file (a scan of
    several repositories); `covers`: (file, unit) -> bool, the files named alone when a scan was
    given files."""
    relative = repo.relative
    label_of = label if callable(label) else (lambda _file: label)
    on: dict[tuple[str, str, str], list[Finding]] = {}
    for finding in findings:
        # two repositories of one scan both have a root module ".": their repository tells them apart
        on.setdefault((repo.root_of(finding.file), finding.anchor, finding.resource), []).append(finding)

    def found(unit: str, address: str, file: str) -> list[Finding]:
        return on.get((repo.root_of(file), relative(unit), address), [])

    keys = {(k.unit, k.address): k for k in model.keys}
    users = flows(model)
    costs = cost.costs(model, options.producers, options.consumers, options.month_days, users)
    by_queue = {id(item.queue): item for item in costs.queues}
    rows = []
    for queue in model.queues:
        if covers is not None and not covers(queue.location.file, queue.unit):
            continue
        item = by_queue.get(id(queue))
        used = item.choice if item is not None else None  # the branch whose KMS key the queue uses
        key = keys.get((used.key_unit, used.key_address)) if used is not None and used.key_address else None
        on_queue = found(queue.unit, queue.address, queue.location.file)
        if key is not None:
            on_queue = on_queue + found(key.unit, key.address, key.location.file)
            attachment = key.policy_attachment
            if attachment is not None:
                on_queue = on_queue + found(attachment.unit, attachment.address, attachment.location.file)
        judged = [f for f in on_queue if decides_compliance(f.rule_id)]
        rules = sorted({f.rule_id for f in judged if not accepted(f)})
        taken = sorted({f.rule_id for f in judged if accepted(f)} - set(rules))
        row = _queue_row(queue, queue.encryption, key, item, users.get(id(queue)), rules, taken, label_of(queue.location.file), options)
        rows.append({"root": relative(queue.unit) or ".", **row})
    rows.sort(key=lambda r: (r["file"], r["line"], r["resource"]))
    shown = {(r["file"], r["resource"]) for r in rows}
    kept = [entry for entry in costs.keys
            if entry.replica_of is not None or any((q.queue.location.file, q.queue.address) in shown for q in entry.queues)]
    if covers is not None:  # files named alone: a key's requests are those of the queues listed
        kept = [replace(entry, queues=[q for q in entry.queues if (q.queue.location.file, q.queue.address) in shown]) for entry in kept]
    key_rows = [_key_row(entry, label_of(entry.key.location.file if entry.key is not None else entry.queues[0].queue.location.file), options)
                for entry in kept]
    exact = sum((entry.fee or 0.0) + entry.cost for entry in kept)  # rounded once, as `cost` does
    error_rows = [{"file": e.file, "line": e.line, "message": e.message, "repository": label_of(e.file)} for e in errors]
    labels = sorted({r["repository"] for r in rows} | {k["repository"] for k in key_rows} | {e["repository"] for e in error_rows},
                    key=lambda x: x or "")
    if not labels and callable(label):  # no queue, key or error: the repository of what was scanned
        labels = [label(fallback_path)] if fallback_path else []
    single = labels[0] if len(labels) == 1 else (label if not callable(label) else None)
    doc = {
        "version": 1,
        "kind": "inventory",
        "tool": {"name": "sqsguard", "version": version},
        "label": single,
        "queues": rows,
        "keys": key_rows,
        "repositories": [],
        "errors": error_rows,
        "summary": summarise(rows, key_rows, files_scanned, max(len(labels), 1), exact),
    }
    doc["repositories"] = repositories(doc, labels or [single])
    return doc


def repositories(doc: dict[str, Any], labels: list) -> list[dict[str, Any]]:
    """One entry per repository of a document's rows, worst first."""
    entries = []
    for name in labels:
        rows = [r for r in doc["queues"] if r["repository"] == name]
        key_rows = [k for k in doc["keys"] if k["repository"] == name]
        s = summarise(rows, key_rows, 0, 1) if len(labels) > 1 else doc["summary"]
        entries.append({
            "label": name,
            "tool_version": doc["tool"]["version"],
            "queues": s["queues"],
            "compliant": s["compliant"],
            "compliant_share": s["compliant_share"],
            "by_mode": dict(s["by_mode"]),
            "keys": s["keys"],
            "errors": sum(1 for e in doc["errors"] if e.get("repository") == name),
            "kms_monthly_cost_usd": s["kms_monthly_cost_usd"],
        })
    entries.sort(key=_worst_first)
    return entries


def _queue_row(queue: Queue, choice: EncryptionChoice | None, key: Key | None, item: Any, flow: Any,
               rules: list[str], accepted: list[str], label: str | None, options: Any) -> dict[str, Any]:
    key_row = None
    if item is not None:  # the queue uses a KMS key, in the judged branch or (`when`) another
        used = item.choice
        key_row = {
            "resource": key.address if key is not None else None,
            "expression": used.key_text or (key.address if key is not None else ""),
            "file": key.location.file if key is not None else None,
            "line": max(key.location.line, 1) if key is not None else None,
            "rotation": rotation_of(key),
            "tags": owner_tags(key, options.required_key_tags),
            "when": used.when if used is not choice else "",
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
        "keys": sum(1 for k in key_rows if k["kind"] == "customer-managed"),
        "files_scanned": files_scanned,
        "repositories": repositories,
        "kms_monthly_cost_usd": round(kms_cost if kms_cost is not None else sum(k["monthly_cost_usd"] for k in key_rows), 4),
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
        parts = doc["repositories"]
        fallback = _stem(path)
        for part in parts:
            label = part["label"] or fallback
            if label in seen and seen[label] == path:
                raise MergeError("%s is given twice" % path)
            if label in seen:
                raise MergeError("%s and %s are both inventories of %s; give each repository's job its own --label" % (seen[label], path, label))
            seen[label] = path
            repositories.append(dict(part, label=label))
        own = doc.get("label") or fallback
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
    if isinstance(doc, dict) and "findings" in doc and doc.get("kind") != "inventory":
        raise MergeError("%s is a scan report (sqsguard scan --format json), not an inventory: write one with "
                         "sqsguard inventory --format json" % path)
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
