"""The JSON report, version 1 (CLI.md; schema in report-v1.schema.json beside this module)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..findings import Finding, Report

SCHEMA_PATH = Path(__file__).with_name("report-v1.schema.json")


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "slug": finding.slug,
        "severity": finding.severity,
        "message": finding.message,
        "file": finding.file,
        "line": finding.line,
        "end_line": finding.end_line,
        "resource": finding.resource,
        "resource_type": finding.resource_type,
        "format": finding.format,
        "construct_path": finding.construct_path,
        "root": finding.root,
        "fingerprint": finding.fingerprint,
        "suppressed": finding.suppressed,
        "suppression": finding.suppression,
    }


def to_dict(report: Report) -> dict[str, Any]:
    return {
        "version": 1,
        "tool": {"name": "sqsguard", "version": report.tool_version},
        "findings": [finding_to_dict(f) for f in report.findings],
        "errors": [{"file": e.file, "line": e.line, "message": e.message} for e in report.errors],
        "skipped": [{"file": s.file, "reason": s.reason} for s in report.skipped],
        "rules_run": list(report.rules_run),
        "checked": [
            {"resource": c.address, "resource_type": c.resource_type, "format": c.format, "file": c.file, "line": c.line}
            for c in report.checked
        ],
        "summary": {
            "files_scanned": report.files_scanned,
            "queues": report.queues,
            "keys": report.keys,
            "files_skipped": len(report.skipped),
            "by_severity": report.by_severity(),
            "suppressed": report.suppressed_by_kind(),
            **({"baseline": _baseline(report)} if report.baseline is not None else {}),
        },
    }


def _baseline(report: Report) -> dict[str, Any]:
    b = report.baseline
    return {"file": b.path, "entries": b.entries, "accepted": b.matched, "new": b.new, "fixed": b.fixed, "written": b.written}


def render(report: Report, **_: object) -> str:
    return json.dumps(to_dict(report), indent=2, sort_keys=False) + "\n"
