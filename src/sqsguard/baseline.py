"""Baselines: the findings a team accepts today, so that only new ones fail a check.

The file is sorted JSON, one entry per finding, readable in a diff. Findings are matched by
fingerprint alone (rule, the scan unit relative to the repository root, resource address), so
a baseline survives moved and reformatted code and scans started from another directory.
"""

from __future__ import annotations

import json
from dataclasses import replace

from .findings import BaselineSummary, Finding

VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be used: the message names the file and the problem."""


def load(path: str) -> dict[str, dict]:
    """Entries by fingerprint."""
    from .inputs import read_text

    try:
        data = json.loads(read_text(path))
    except FileNotFoundError:
        raise BaselineError("%s: no such baseline file (write one with --write-baseline %s)" % (path, path)) from None
    except OSError as exc:
        raise BaselineError("%s: cannot read the baseline: %s" % (path, exc.strerror)) from None
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise BaselineError("%s%s: not a baseline file (invalid JSON: %s)" % (path, ":%d" % line if line else "", getattr(exc, "msg", exc))) from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(entries, list):
        raise BaselineError("%s: not a sqsguard baseline file (expected {\"version\": 1, \"findings\": [...]})" % path)
    found: dict[str, dict] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise BaselineError("%s: baseline entry %d has no fingerprint" % (path, index + 1))
        found[entry["fingerprint"]] = entry
    return found


def entry_of(finding: Finding) -> dict:
    return {
        "fingerprint": finding.fingerprint,
        "rule_id": finding.rule_id,
        "resource": finding.resource,
        "unit": finding.anchor,
        "file": finding.repo_path or finding.file,
    }


def dump(findings: list[Finding]) -> str:
    entries = {f.fingerprint: entry_of(f) for f in findings if not f.suppressed}
    rows = sorted(entries.values(), key=lambda e: (e["file"], e["rule_id"], e["resource"], e["fingerprint"]))
    return json.dumps({"version": VERSION, "tool": "sqsguard", "findings": rows}, indent=2, sort_keys=True) + "\n"


def write(path: str, findings: list[Finding]) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(dump(findings))
    except OSError as exc:
        raise BaselineError("%s: cannot write the baseline: %s" % (path, exc.strerror)) from None


def apply(
    findings: list[Finding],
    entries: dict[str, dict],
    path: str,
    rules_run: set[str],
    units_read: set[str],
    written: bool = False,
) -> tuple[list[Finding], BaselineSummary]:
    """Suppress (kind `baseline`) the findings the baseline holds. An entry no finding matched
    counts as fixed only when this run could have found it: its rule ran and its unit was read."""
    out = []
    matched: set[str] = set()
    new = 0
    for finding in findings:
        if not finding.suppressed and finding.fingerprint in entries:
            matched.add(finding.fingerprint)
            finding = replace(finding, suppressed=True, suppression={"kind": "baseline", "reason": "accepted in the baseline %s" % path})
        elif not finding.suppressed:
            new += 1
        out.append(finding)
    fixed = sum(
        1
        for fingerprint, entry in entries.items()
        if fingerprint not in matched and entry.get("rule_id") in rules_run and entry.get("unit") in units_read
    )
    summary = BaselineSummary(path, len(entries), len(matched), new, fixed, written)
    return out, summary
