"""What the machine-readable reporters (SARIF, GitHub, Markdown, JUnit) show the same way: how a
severity is graded in each format, the rule families, the path a finding is shown at, and
one-line text. One place, so the formats never disagree about a finding."""

from __future__ import annotations

import re
from typing import Iterable

from ..findings import SEVERITY_RANK, Finding

# SARIF result / rule level (GitHub code scanning shows error, warning, note).
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}

# GitHub Actions workflow command that makes the annotation.
GITHUB_COMMAND = {"critical": "error", "high": "error", "medium": "warning", "low": "notice", "info": "notice"}

# GitHub code scanning `security-severity`: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium,
# 0.1-3.9 low. Each value sits inside its band, clear of the edges. `info` findings are
# "cannot verify" notes, not weaknesses: 0.0 is GitHub's documented "no security severity"
# (the alert then shows its level, note), and CVSS-style readers bucket 0.0 as none/info.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0", "info": "0.0"}

# GitHub's `problem.severity`, used for rules without a security severity (here: info).
PROBLEM_SEVERITY = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "recommendation",
    "info": "recommendation",
}

FAMILIES = {
    "SQG0": "scan",
    "SQG1": "queue-encryption",
    "SQG2": "key-policy",
    "SQG3": "key-hygiene",
    "SQG4": "data-flow",
    "SQG5": "cost",
}

_RULE_ID = re.compile(r"^SQG(\d)\d*$")
# Characters XML 1.0 cannot carry at all (ElementTree would write them and break the file).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def family_of(rule_id: str) -> str:
    """SQG103 -> SQG1; anything that is not an SQG id belongs to the scan family SQG0."""
    match = _RULE_ID.match(rule_id)
    return "SQG" + match.group(1) if match else "SQG0"


def family_label(family: str) -> str:
    """SQG1 -> "SQG1 queue-encryption"."""
    name = FAMILIES.get(family)
    return "%s %s" % (family, name) if name else family


def shown_path(item: object) -> str:
    """The path integrations need: relative to the repository root (posix), else the display path."""
    path = getattr(item, "repo_path", "") or getattr(item, "file", "")
    return path.replace("\\", "/")


def one_line(text: str) -> str:
    return " ".join((text or "").split())


def xml_text(text: str) -> str:
    """Text XML 1.0 can hold: control characters other than tab and newline dropped."""
    return _NOT_XML.sub("", text or "")


def worst_first(findings: Iterable[Finding]) -> list[Finding]:
    """Critical first; within a severity, the report's order (file, line, rule)."""
    ordered = sorted(findings, key=Finding.sort_key)
    return sorted(ordered, key=lambda f: -SEVERITY_RANK.get(f.severity, 0))


def rule_label(finding: Finding) -> str:
    return "%s %s" % (finding.rule_id, finding.slug) if finding.slug else finding.rule_id


def region(line: int | None, end_line: int | None) -> tuple[int, int]:
    """A 1-based line range that is never empty or reversed."""
    start = max(1, line or 1)
    return start, max(start, end_line or start)


def percent(share: float | None) -> str:
    """0.6154 -> "62%"; never 100% unless all, never 0% unless none; "n/a" without a share."""
    if share is None:
        return "n/a"
    value = int(share * 100 + 0.5)
    if value >= 100 and share < 1:
        return "99%"
    if value <= 0 < share:
        return "<1%"
    return "%d%%" % value


def usd(value: float | None) -> str:
    """Dollars as people read them: "$1,234.56", "<$0.01", "unknown" (None)."""
    if value is None:
        return "unknown"
    if 0 < value < 0.005:
        return "<$0.01"
    return "${:,.2f}".format(value)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """"1 queue", "3 queues", "2 repositories" (with `nouns`)."""
    return "%d %s" % (count, noun if count == 1 else (nouns or noun + "s"))
