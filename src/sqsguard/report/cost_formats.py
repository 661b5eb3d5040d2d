"""The KMS cost report as text, JSON and CSV (the plain data cost.to_document builds)."""

from __future__ import annotations

import json
from typing import Any

from .presentation import usd
from .tables import csv_text, table

CSV_COLUMNS = (
    "resource", "resource_type", "format", "file", "line", "key", "key_kind", "reuse_period_seconds",
    "reuse_period_known", "producers", "consumers", "producers_from", "consumers_from",
    "kms_requests_per_month", "monthly_cost_usd",
)


def render(fmt: str, doc: dict[str, Any], width: int | None = None) -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2) + "\n"
    if fmt == "csv":
        return csv_text(CSV_COLUMNS, ([_cell(q[c]) for c in CSV_COLUMNS] for q in doc["queues"]))
    return text(doc, width)


def _where(key: dict[str, Any]) -> str:
    """Where a key is: its file and line, or, outside the code, (the queue that names it)."""
    if key.get("file"):
        return "%s:%d" % (key["file"], key["line"] or 1)
    queues = key.get("queues") or []
    if not queues:
        return "-"
    return "(%s%s)" % (queues[0], " +%d" % (len(queues) - 1) if len(queues) > 1 else "")


def _cell(value: Any) -> Any:
    """CSV cells as the inventory's: yes/no for booleans."""
    return ("yes" if value else "no") if isinstance(value, bool) else value


def _reuse(q: dict[str, Any]) -> str:
    if not q["reuse_period_known"]:
        return "unknown (60 s used)"
    if q.get("reuse_period_note"):
        return "%d s (out of range)" % q["reuse_period_seconds"]
    when = " when %s" % q["reuse_period_when"] if q["reuse_period_when"] else ""
    return "%d s%s%s" % (q["reuse_period_seconds"], "" if q["reuse_period_set"] else " (default)", when)


def text(doc: dict[str, Any], width: int | None = None) -> str:
    t = doc["totals"]
    out = []
    if doc["queues"]:
        out.append(table(
            ("QUEUE", "FILE:LINE", "KEY", "REUSE", "P", "C", "REQUESTS/MONTH", "COST/MONTH"),
            ((q["resource"], "%s:%d" % (q["file"], q["line"]), q["key"], _reuse(q), q["producers"], q["consumers"],
              format(q["kms_requests_per_month"], ","), usd(q["monthly_cost_usd"])) for q in doc["queues"]),
            shrink=(2, 0, 1), width=width, tails=(1,),
        ))
        out.append(table(
            ("KEY", "WHERE", "KIND", "QUEUES", "FEE/MONTH", "REQUESTS/MONTH", "TOTAL/MONTH"),
            ((k["resource"] + (" (replica of %s)" % k["replica_of"] if k["replica_of"] else ""), _where(k), k["kind"], len(k["queues"]),
              usd(k["monthly_fee_usd"]), format(k["kms_requests_per_month"], ","), usd(k["monthly_cost_usd"])) for k in doc["keys"]),
            shrink=(1, 0), width=width, tails=(1,),
        ))
    elif doc.get("queues_scanned"):
        out.append("No queue uses a KMS key: SQS-owned encryption has no KMS cost.")
    else:
        out.append("No queues found.")
    out.append(
        "Total: %s KMS requests a month (%s) and %s in key fees: %s a month, in a %g-day month (%s s)."
        % (format(t["kms_requests_per_month"], ","), usd(t["request_cost_usd"]), usd(t["key_fees_usd"]),
           usd(t["monthly_cost_usd"]), doc["month_days"], format(doc["month_seconds"], ","))
    )
    if t["keys_with_unknown_fee"]:
        out.append("%d key%s outside the scanned code: %s fee is not counted." % (
            t["keys_with_unknown_fee"], "" if t["keys_with_unknown_fee"] == 1 else "s", "its" if t["keys_with_unknown_fee"] == 1 else "their"))
    out.append(
        "AWS's bound: R = B / D x (2P + C) requests per queue (B seconds in the month, D the reuse period, "
        "P producing and C consuming principals), at $0.03 per 10,000 requests; real costs can be higher "
        "because of SQS's distributed nature, and the free tier (20,000 requests) is the account's."
    )
    return "\n".join(out) + "\n"
