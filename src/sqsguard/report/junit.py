"""JUnit XML for CI test reporters (GitLab, Jenkins, the GitHub test-reporter actions).

One <testsuite> per rule family that ran ("SQG1 queue-encryption"), one <testcase> per resource
that family judged (classname: the file; name: the resource address), and in it:

- one <failure> when unsuppressed findings hit the resource: type = the rule id (ids, comma
  separated, when several rules of the family hit it), message = one line, text = every finding.
  One element, not one per finding: the Ant/Jenkins schema allows a single failure per test case,
  and Jenkins and GitLab show only the first of several;
- <skipped> when every finding on it is suppressed (the reasons in its message);
- nothing when it passed.

Scan errors are test cases with an <error> in the "SQG0 scan" suite; a skipped file (it declares
SQS or KMS resources in a form sqsguard does not read) is a test case there with <skipped>. A finding on a resource
the report did not list as checked (a suppression problem, say) still gets its test case.
Counts on every suite and on <testsuites> are counts of test cases.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import field

from ..dataclass_methods import dataclass
from ..findings import Finding, Report, ScanError, Skipped
from .presentation import family_label, family_of, one_line, region, rule_label, shown_path, xml_text


@dataclass
class Case:
    family: str
    classname: str
    name: str
    line: int
    findings: list[Finding] = field(default_factory=list)
    error: ScanError | None = None
    not_read: Skipped | None = None

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]

    @property
    def outcome(self) -> str:
        if self.error is not None:
            return "error"
        if self.not_read is not None:
            return "skipped"
        if self.active:
            return "failure"
        if self.findings:
            return "skipped"
        return "passed"


def render(report: Report, **_: object) -> str:
    root = to_xml(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def to_xml(report: Report) -> ET.Element:
    cases = collect(report)
    families = families_run(report, cases)
    root = ET.Element("testsuites", name="sqsguard")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for family in sorted(families):
        members = sorted((c for c in cases if c.family == family), key=lambda c: (c.classname, c.line, c.name))
        suite = ET.SubElement(root, "testsuite", name=family_label(family))
        counts = tally(members)
        for key, value in counts.items():
            totals[key] += value
        set_counts(suite, counts)
        for case in members:
            suite.append(testcase(case))
    set_counts(root, totals)
    return root


def collect(report: Report) -> list[Case]:
    cases: list[Case] = []
    by_path: dict[tuple[str, str, str], Case] = {}
    by_file: dict[tuple[str, str, str], Case] = {}
    for checked in report.checked:
        for family in checked.families:
            key = (family, shown_path(checked), checked.address)
            if key in by_path:
                continue
            case = Case(family, shown_path(checked), checked.address, checked.line)
            cases.append(case)
            by_path[key] = case
            by_file.setdefault((family, checked.file, checked.address), case)
    for finding in sorted(report.findings, key=Finding.sort_key):
        family = family_of(finding.rule_id)
        key = (family, shown_path(finding), finding.resource)
        case = by_path.get(key) or by_file.get((family, finding.file, finding.resource))
        if case is None:
            case = Case(family, shown_path(finding), finding.resource or finding.rule_id, finding.line)
            cases.append(case)
            by_path[key] = case
        case.findings.append(finding)
    for error in report.errors:
        path = shown_path(error) or "?"
        name = "%s:%d" % (path, error.line) if error.line else path
        cases.append(Case("SQG0", path, name, error.line or 0, error=error))
    for entry in report.skipped:
        path = shown_path(entry) or "?"
        cases.append(Case("SQG0", path, path, 0, not_read=entry))
    return cases


def families_run(report: Report, cases: list[Case]) -> set[str]:
    """Families of the rules that ran, of the resources checked, and of every test case."""
    families = {family_of(rule_id) for rule_id in report.rules_run}
    families.update(family for checked in report.checked for family in checked.families)
    families.update(case.family for case in cases)
    return families


def tally(cases: list[Case]) -> dict[str, int]:
    outcomes = [case.outcome for case in cases]
    return {
        "tests": len(cases),
        "failures": outcomes.count("failure"),
        "errors": outcomes.count("error"),
        "skipped": outcomes.count("skipped"),
    }


def set_counts(element: ET.Element, counts: dict[str, int]) -> None:
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(counts[key]))
    element.set("time", "0")


def testcase(case: Case) -> ET.Element:
    element = ET.Element(
        "testcase",
        name=xml_text(case.name),
        classname=xml_text(case.classname),
        file=xml_text(case.classname),
        line=str(max(1, case.line)),
        time="0",
    )
    if case.error is not None:
        error = ET.SubElement(
            element, "error", type="scan-error", message=xml_text(one_line(case.error.message))
        )
        error.text = xml_text(case.error.message)
    elif case.not_read is not None:
        ET.SubElement(element, "skipped", message=xml_text("not read: " + one_line(case.not_read.reason)))
    elif case.active:
        active = case.active
        if len(active) == 1:
            message = "%s: %s" % (rule_label(active[0]), one_line(active[0].message))
        else:
            message = "%d findings: %s" % (len(active), ", ".join(rule_label(f) for f in active))
        failure = ET.SubElement(
            element,
            "failure",
            type=",".join(dict.fromkeys(f.rule_id for f in active)),
            message=xml_text(message),
        )
        failure.text = xml_text("\n\n".join(details(f) for f in case.findings))
    elif case.findings:
        reasons = "; ".join("%s (%s)" % (rule_label(f), suppressed_by(f)) for f in case.findings)
        ET.SubElement(element, "skipped", message=xml_text("suppressed: " + reasons))
    return element


def details(finding: Finding) -> str:
    start, end = region(finding.line, finding.end_line)
    where = "%s:%d" % (shown_path(finding), start) + ("-%d" % end if end > start else "")
    resource = finding.resource + (" (%s)" % finding.construct_path if finding.construct_path else "")
    lines = ["%s (%s)" % (rule_label(finding), finding.severity), "%s  %s" % (where, resource), finding.message]
    if finding.suppressed:
        lines.append("suppressed: " + suppressed_by(finding))
    lines.append("How to fix: sqsguard explain %s" % finding.rule_id)
    return "\n".join(lines)


def suppressed_by(finding: Finding) -> str:
    details_ = finding.suppression or {}
    kind = details_.get("kind") or "inline"
    reason = one_line(details_.get("reason") or "")
    return "%s: %s" % (kind, reason) if reason else kind
