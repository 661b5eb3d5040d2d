"""Findings: what rules produce and reporters consume. Reporters import only this module (and
the catalog, for rule documentation)."""

from __future__ import annotations

from dataclasses import field

from sqsguard.dataclass_methods import dataclass

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}  # info=0


@dataclass(frozen=True)
class Finding:
    rule_id: str
    message: str
    file: str  # as shown to the user: relative to the working directory when inside it
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
    suppression: dict | None = None  # {"kind": inline|metadata|config|baseline, "reason": str}
    repo_path: str = ""  # the file relative to its repository root (posix), for SARIF and links
    anchor: str = ""  # the scan unit relative to the repository root: root module, template, stack
    detail: str = ""  # what else tells two findings of one rule on one resource apart
    root: str | None = None  # Terraform: the root module the finding was reached from (repository-relative)

    @property
    def fingerprint(self) -> str:
        """Stable when lines move, when the file is reformatted, when a Terraform block moves to
        another file of its module, and whatever the working directory or scan path: the rule,
        the scan unit relative to the repository root, the resource address (and the detail)."""
        material = "\0".join((self.rule_id, self.anchor or self.repo_path or self.file, self.resource, self.detail))
        import hashlib

        return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]  # any text, a name that is not UTF-8 too

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.rule_id, self.resource, self.detail)


@dataclass(frozen=True)
class ScanError:
    """A file that could not be read: reported, never a traceback."""

    file: str
    line: int | None
    message: str
    repo_path: str = ""


@dataclass(frozen=True)
class Skipped:
    """A file that declares SQS or KMS resources in a form sqsguard does not read, and why: its
    queues and keys were not checked (listed, never a silent pass; `--strict` makes it exit 2)."""

    file: str
    reason: str
    repo_path: str = ""


@dataclass(frozen=True)
class Checked:
    """A resource the rules looked at, and the rule families that judged it (JUnit testcases)."""

    address: str
    resource_type: str
    format: str
    file: str
    line: int
    families: tuple[str, ...]  # "SQG1", "SQG2", ...
    repo_path: str = ""


@dataclass(frozen=True)
class BaselineSummary:
    path: str  # the baseline file, as given
    entries: int  # entries in the file
    matched: int  # findings of this run the baseline suppresses
    new: int  # unsuppressed findings the baseline does not hold
    fixed: int  # baseline entries no finding of this run matched
    written: bool = False  # --write-baseline wrote this file in this run


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files_scanned: int = 0
    queues: int = 0
    keys: int = 0
    tool_version: str = ""
    checked: list[Checked] = field(default_factory=list)
    rules_run: tuple[str, ...] = ()  # ids of the rules that ran, sorted
    baseline: BaselineSummary | None = None
    # Plain-data views of the scanned code, built when a command asks for them (engine.scan's
    # `views`): the inventory (report/inventory-v1.schema.json) and the KMS cost bound.
    inventory: dict | None = None
    cost: dict | None = None

    def by_severity(self) -> dict[str, int]:
        counts = {name: 0 for name in SEVERITIES}
        for finding in self.findings:
            if not finding.suppressed:
                counts[finding.severity] += 1
        return counts

    def suppressed_by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            if finding.suppressed:
                kind = (finding.suppression or {}).get("kind", "inline")
                counts[kind] = counts.get(kind, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def active(self) -> list[Finding]:
        """The findings that count: not suppressed."""
        return [f for f in self.findings if not f.suppressed]
