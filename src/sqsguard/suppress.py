"""The filter stage, between rules and reporters: suppressions written in the code and in the
configuration. Rules never see it; reporters only see `Finding.suppressed` / `suppression`.

Where suppressions come from:

- inline comments `# sqsguard:ignore SQG102,SQG301 reason` (or `//`) inside a resource's span or
  in the comment lines directly above it, in Terraform files and YAML templates (JSON has no
  comments). They apply to that resource only;
- resource metadata (CloudFormation, SAM and CDK `Metadata: {sqsguard: {ignore: [...]}}`),
  which the parsers read into `Resource.ignores`;
- the configuration: `ignore` (everywhere) and `per_path_ignore` (glob -> entries).

Ids may be rule ids, families (`SQG1`) or slugs. What the stage reports about suppressions
themselves (SQG001 a suppression without a reason that suppresses something, SQG002 a
suppression that matches nothing) comes back as `Notice`s for the engine to turn into findings.
"""

from __future__ import annotations

import os
import re
from dataclasses import field, replace
from typing import TYPE_CHECKING, Iterable

from .dataclass_methods import dataclass
from .catalog import rules_matching
from .findings import Finding

if TYPE_CHECKING:
    from .model import Model, Resource

KINDS = ("inline", "metadata", "config", "baseline")

_COMMENT = re.compile(r"(?:#|//)\s*sqsguard:ignore\b(?P<rest>.*)$")
_ID_LIST = re.compile(r"\s*(?P<ids>[A-Za-z0-9-]+(?:\s*,\s*[A-Za-z0-9-]+)*)")
_ID_LIKE = re.compile(r"^SQG\d{1,3}$", re.IGNORECASE)
_REASON_LEAD = " \t-:–—"
_COMMENT_LINE = re.compile(r"^\s*(?:#|//)")


@dataclass
class Suppression:
    kind: str  # inline | metadata | config
    ids: tuple[str, ...]  # selectors as written
    reason: str
    file: str  # the place, as shown: the source file, or the configuration file
    line: int
    end_line: int
    address: str  # the resource it sits on; for config entries, the entry ("ignore[1]")
    resource_type: str
    format: str
    glob: str | None = None  # per_path_ignore: the pattern; config paths are relative to `base`
    base: str = ""
    construct_path: str | None = None
    problem: str = ""  # why it cannot suppress anything ("" when it is well formed)
    used: bool = False
    rules: tuple[str, ...] = field(default=(), init=False)  # the rule ids the selectors name

    def __post_init__(self) -> None:
        found: list[str] = []
        for selector in self.ids:
            for rule_id in rules_matching(selector):
                if rule_id not in found:
                    found.append(rule_id)
        self.rules = tuple(found)

    @property
    def unknown_ids(self) -> list[str]:
        return [s for s in self.ids if not rules_matching(s)]

    def covers(self, rule_id: str) -> bool:
        return not self.problem and rule_id in self.rules

    def record(self) -> dict:
        return {"kind": self.kind, "reason": self.reason}

    @property
    def names(self) -> str:
        return ", ".join(self.ids) if self.ids else "(no rule id)"


@dataclass(frozen=True)
class Notice:
    """Something the filter stage reports about a suppression (becomes an SQG0xx finding)."""

    rule_id: str
    message: str
    file: str
    line: int
    end_line: int
    address: str
    resource_type: str
    format: str
    detail: str  # tells several suppressions on one resource apart
    construct_path: str | None = None


# --- reading inline comments ------------------------------------------------------------------


class _Lines:
    """Source lines, read once per file; only files that mention `sqsguard:ignore`."""

    def __init__(self) -> None:
        self._files: dict[str, list[str] | None] = {}

    def get(self, file: str) -> list[str] | None:
        if file not in self._files:
            lines = None
            if file and not file.endswith(".json"):  # JSON has no comments
                try:
                    from .inputs import read_bytes

                    text = read_bytes(file, 50 * 1024 * 1024).decode("utf-8-sig", errors="replace")
                except OSError:
                    text = ""
                if "sqsguard:ignore" in text:
                    lines = text.splitlines()
            self._files[file] = lines
        return self._files[file]


def parse_comment(line: str) -> tuple[tuple[str, ...], str] | None:
    """(ids, reason) of a `sqsguard:ignore` comment on this line, or None."""
    match = _COMMENT.search(line)
    if match is None:
        return None
    rest = match.group("rest")
    ids: tuple[str, ...] = ()
    listed = _ID_LIST.match(rest)
    if listed:
        candidates = [part.strip() for part in listed.group("ids").split(",")]
        taken = []
        for candidate in candidates:
            if not (_ID_LIKE.match(candidate) or (candidate.islower() and rules_matching(candidate))):
                break
            taken.append(candidate.upper() if _ID_LIKE.match(candidate) else candidate)
        if taken:
            ids = tuple(taken)
            rest = ", ".join(candidates[len(taken) :]) + rest[listed.end() :]
    return ids, rest.strip().lstrip(_REASON_LEAD).strip()


def _span_with_comments_above(lines: list[str], start: int, end: int) -> range:
    first = start
    while first > 1 and _COMMENT_LINE.match(lines[first - 2]):
        first -= 1
    return range(first, min(end, len(lines)) + 1)


def collect(model: Model, config_entries: Iterable[Suppression] = ()) -> tuple[list[Suppression], dict[int, list[Suppression]]]:
    """Every suppression of the scan, and the inline and metadata ones of each resource (keyed
    by `id(resource)`). A comment is one suppression however many resources it covers (a module
    called twice, the resources a registry module call makes)."""
    lines = _Lines()
    places: dict[tuple, Suppression] = {}
    by_resource: dict[int, list[Suppression]] = {}
    for resource in model.resources():
        own: list[Suppression] = []
        where = resource.location
        text = lines.get(where.file)
        if text is not None and where.line >= 1:
            for number in _span_with_comments_above(text, where.line, max(where.end_line, where.line)):
                parsed = parse_comment(text[number - 1])
                if parsed is None:
                    continue
                key = ("inline", where.file, number)
                if key not in places:
                    ids, reason = parsed
                    places[key] = Suppression(
                        "inline", ids, reason, where.file, number, number, resource.address,
                        resource.resource_type, resource.format.value,
                        problem="" if ids else "it names no rule id (write `sqsguard:ignore SQG102 <reason>`)",
                        construct_path=resource.construct_path,
                    )
                own.append(places[key])
        for entry in resource.ignores:
            key = ("metadata", entry.location.file, entry.location.line, entry.ids)
            if key not in places:
                places[key] = Suppression(
                    "metadata", entry.ids, entry.reason, entry.location.file, entry.location.line,
                    max(entry.location.end_line, entry.location.line), resource.address,
                    resource.resource_type, resource.format.value, problem=entry.problem,
                    construct_path=resource.construct_path,
                )
            own.append(places[key])
        if own:
            by_resource[id(resource)] = own
    everything = list(places.values()) + list(config_entries)
    return everything, by_resource


# --- applying them ----------------------------------------------------------------------------


def _relative(path: str, base: str) -> str:
    return os.path.relpath(os.path.abspath(path), base).replace(os.sep, "/")


def _config_covers(entry: Suppression, finding: Finding) -> bool:
    if not entry.covers(finding.rule_id):
        return False
    if entry.glob is None:
        return True
    from .globs import matches

    relative = _relative(finding.file, entry.base)
    return not relative.startswith("../") and matches(entry.glob, relative)


def apply(
    pairs: list[tuple[Finding, Resource | None]],
    suppressions: list[Suppression],
    by_resource: dict[int, list[Suppression]],
) -> list[Finding]:
    """Mark the findings that a suppression covers (the first that applies: inline or metadata
    on the resource, then configuration) and record every suppression that matched."""
    config = [s for s in suppressions if s.kind == "config"]
    out = []
    for finding, resource in pairs:
        matched = [s for s in by_resource.get(id(resource), ()) if s.covers(finding.rule_id)] if resource is not None else []
        matched += [s for s in config if _config_covers(s, finding)]
        for suppression in matched:
            suppression.used = True
        if matched and not finding.suppressed:
            finding = replace(finding, suppressed=True, suppression=matched[0].record())
        out.append(finding)
    return out


def notices(suppressions: list[Suppression], rules_run: set[str]) -> list[Notice]:
    """SQG001 for a suppression that suppresses something without a reason, SQG002 for one that
    matches nothing, or names no rule. A suppression only of rules that did not run this time
    (not selected) is not called unused; nor is a configuration entry about SQG0xx itself."""
    out: list[Notice] = []
    for s in suppressions:
        detail = "%s:%s:%d:%s" % (s.kind, s.glob or "", s.line, ",".join(s.ids))
        where = _place(s)
        if s.used:
            if not s.reason and "SQG001" in rules_run:
                out.append(
                    Notice(
                        "SQG001",
                        "The %s suppression of %s %s gives no reason; say why the finding is accepted "
                        "(%s), so that reviewers and auditors can judge it."
                        % (_kind_text(s), s.names, where, _reason_hint(s)),
                        s.file, s.line, s.end_line, s.address, s.resource_type, s.format, detail, s.construct_path,
                    )
                )
            continue
        if "SQG002" not in rules_run:
            continue
        if s.problem or s.unknown_ids:
            why = s.problem or "%s %s no sqsguard rule (`sqsguard rules` lists them)" % (
                ", ".join(s.unknown_ids), "names" if len(s.unknown_ids) == 1 else "name")
            text = "The %s suppression %s cannot apply: %s; correct or remove it." % (_kind_text(s), where, why)
        elif s.kind == "config" and all(r.startswith("SQG0") for r in s.rules):
            continue
        elif not any(r in rules_run for r in s.rules):
            continue
        else:
            text = (
                "The %s suppression of %s %s matches no finding: the problem was fixed, or the id or "
                "the place is wrong; remove or correct it." % (_kind_text(s), s.names, where)
            )
        out.append(Notice("SQG002", text, s.file, s.line, s.end_line, s.address, s.resource_type, s.format, detail, s.construct_path))
    return out


def _kind_text(s: Suppression) -> str:
    return {"inline": "comment", "metadata": "Metadata", "config": "configuration"}[s.kind]


def _place(s: Suppression) -> str:
    if s.kind == "config":
        return "for %s in %s" % (s.glob, s.file) if s.glob else "in %s" % s.file
    return "on %s" % s.address


def _reason_hint(s: Suppression) -> str:
    first = s.ids[0] if s.ids else "SQG102"
    if s.kind == "inline":
        return "`sqsguard:ignore %s <reason>`" % ",".join(s.ids or (first,))
    if s.kind == "metadata":
        return "`{id: %s, reason: ...}`" % first
    return '`{id = "%s", reason = "..."}`' % first
