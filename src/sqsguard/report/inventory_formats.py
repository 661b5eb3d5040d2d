"""The inventory as text (a table for a terminal), JSON (report/inventory-v1.schema.json) and
CSV (one row per queue). Plain data in: the document inventory.py builds or merges."""

from __future__ import annotations

import json
from typing import Any

from .presentation import percent, usd
from .tables import csv_text, table

MODE_LABELS = {
    "none": "none",
    "sqs-owned": "SQS-owned",
    "aws-managed": "AWS-managed",
    "customer-key": "customer key",
    "unverifiable": "unverifiable",
}

CSV_COLUMNS = (
    "repository", "root", "resource", "resource_type", "format", "file", "line", "construct_path", "encryption", "explicit",
    "when", "key", "key_expression", "key_rotation", "key_tags", "reuse_period_seconds", "producers", "consumers",
    "compliant", "rules", "accepted", "kms_requests_per_month", "monthly_cost_usd",
)


def render(fmt: str, doc: dict[str, Any], width: int | None = None) -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2, sort_keys=False) + "\n"
    if fmt == "csv":
        return csv_text(CSV_COLUMNS, (_csv_row(q) for q in doc["queues"]))
    return text(doc, width)


def _flag(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _csv_row(q: dict[str, Any]) -> list[Any]:
    key = q["key"] or {}
    tags = key.get("tags")
    return [
        q["repository"], q["root"], q["resource"], q["resource_type"], q["format"], q["file"], q["line"], q["construct_path"],
        q["encryption"], "yes" if q["explicit"] else "no", q["when"], key.get("resource"), key.get("expression"),
        _flag(key.get("rotation")) if key else None,
        None if tags is None else ";".join("%s=%s" % kv for kv in sorted(tags.items())),
        q["reuse_period_seconds"], ";".join(q["producers"]), ";".join(q["consumers"]),
        "yes" if q["compliant"] else "no", ";".join(q["rules"]), ";".join(q["accepted"]),
        q["kms_requests_per_month"], q["monthly_cost_usd"],
    ]


def _encryption(q: dict[str, Any]) -> str:
    label = MODE_LABELS[q["encryption"]]
    if not q["explicit"]:
        label += " (default)"
    if q["when"]:
        label += " when " + q["when"]
    return label


def _status(q: dict[str, Any]) -> str:
    if q["compliant"]:
        return "yes" + (" (accepted %s)" % ",".join(q["accepted"]) if q["accepted"] else "")
    return "no: " + ",".join(q["rules"])


def text(doc: dict[str, Any], width: int | None = None) -> str:
    s = doc["summary"]
    merged = len(doc["repositories"]) > 1 or doc.get("merged")
    out = []
    if merged:
        out.append(table(
            ("REPOSITORY", "QUEUES", "COMPLIANT", "SHARE", "KMS $/MONTH", "UNREADABLE FILES"),
            ((r["label"] or "-", r["queues"], r["compliant"], percent(r["compliant_share"]), usd(r["kms_monthly_cost_usd"]),
              r["errors"] or "") for r in doc["repositories"]),
            shrink=(0,), width=width,
        ))
    if doc["queues"]:
        headers = ["QUEUE", "FILE:LINE", "ENCRYPTION", "KEY", "ROTATION", "P/C", "COMPLIANT"]
        if merged:
            headers.insert(0, "REPOSITORY")
        rows = []
        for q in doc["queues"]:
            key = q["key"]
            row = [
                q["resource"], "%s:%d" % (q["file"], q["line"]), _encryption(q),
                ((key["resource"] or key["expression"]) + (" when " + key["when"] if key.get("when") else "")) if key else "-",
                _flag(key["rotation"]) if key and key["resource"] else "-",
                "%d/%d" % (q["producing_principals"], q["consuming_principals"]), _status(q),
            ]
            if merged:
                row.insert(0, q["repository"] or "-")
            rows.append(row)
        shift = 1 if merged else 0
        shrink = tuple(i + shift for i in (3, 0, 2, 1)) + ((0,) if merged else ())
        out.append(table(headers, rows, shrink=shrink, width=width, tails=(1 + shift,)))
    if s["queues"]:
        out.append("%d of %d queue%s compliant (%s)." % (s["compliant"], s["queues"], "" if s["queues"] == 1 else "s", percent(s["compliant_share"])))
    else:
        out.append("No queues found.")
    modes = ", ".join("%s %d" % (MODE_LABELS[m], n) for m, n in s["by_mode"].items() if n)
    if modes:
        out.append("Encryption: %s." % modes)
    kinds: dict[str, int] = {}
    for key in doc["keys"]:
        kinds[key["kind"]] = kinds.get(key["kind"], 0) + 1
    described = ", ".join("%d %s" % (kinds[k], label) for k, label in (
        ("customer-managed", "customer-managed in the code"), ("aws-managed", "AWS-managed"),
        ("unverifiable", "outside the scanned code")) if kinds.get(k))
    out.append("KMS: about %s a month for the keys the queues use (%s): key fees and AWS's request bound%s."
               % (usd(s["kms_monthly_cost_usd"]), described or "none",
                  "" if merged else "; `sqsguard cost` has the detail"))
    if doc["errors"]:
        count = len(doc["errors"])
        where = sorted({e.get("repository") or "-" for e in doc["errors"]}) if merged else []
        out.append("%d file%s could not be read%s; queues in %s are not listed." % (
            count, "" if count == 1 else "s", " (in %s)" % ", ".join(where) if where else "", "it" if count == 1 else "them"))
    return "\n".join(out) + "\n"
