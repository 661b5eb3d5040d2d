"""Findings: what rules produce and reporters consume. Reporters import only this module."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}  # info=0


@dataclass(frozen=True)
class Finding:
    rule_id: str
    message: str
    file: str
    line: int
    end_line: int
    resource: str
    resource_type: str
    format: str
    construct_path: str | None = None
    slug: str = ""
    severity: str = "info"
    title: str = ""
    suppressed: bool = False
    suppression: dict | None = None

    @property
    def fingerprint(self) -> str:
        """Stable across line moves: the rule, the file and the resource address."""
        material = "\0".join((self.rule_id, self.file, self.resource))
        return hashlib.sha256(material.encode()).hexdigest()[:32]

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.rule_id, self.resource)


@dataclass(frozen=True)
class ScanError:
    """A file that could not be read: reported, never a traceback."""

    file: str
    line: int | None
    message: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    files_scanned: int = 0
    queues: int = 0
    keys: int = 0
    tool_version: str = ""

    def by_severity(self) -> dict[str, int]:
        counts = {name: 0 for name in SEVERITIES}
        for finding in self.findings:
            if not finding.suppressed:
                counts[finding.severity] += 1
        return counts
