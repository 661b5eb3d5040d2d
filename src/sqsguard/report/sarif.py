"""SARIF 2.1.0 as GitHub code scanning ingests it (and any other SARIF reader).

One run; the driver declares every catalog rule (so code scanning can tell "ran and found
nothing" from "unknown rule" and close fixed alerts); results point at the repository-relative
path under %SRCROOT%; suppressed findings stay in the log with a `suppressions` entry; scan
errors are tool execution notifications (level error), and so are skipped files (those that
declare SQS or KMS resources in a form sqsguard does not read: level warning; they do not make
the execution unsuccessful). Same report in, same bytes out.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from .. import HOMEPAGE as INFORMATION_URI
from ..catalog import RuleDoc, load_catalog
from ..findings import Finding, Report, ScanError, Skipped
from .presentation import (
    FAMILIES,
    PROBLEM_SEVERITY,
    SARIF_LEVEL,
    SECURITY_SEVERITY,
    family_of,
    one_line,
    region,
    shown_path,
)

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "sqsguard/v1"
DEFAULT_CATEGORY = "sqsguard/"
# inline comments and CloudFormation/CDK Metadata live in the scanned source; config ignores
# and baselines are kept outside it.
SUPPRESSION_KIND = {"inline": "inSource", "metadata": "inSource", "config": "external", "baseline": "external"}


def render(
    report: Report,
    category: str | None = None,
    severity_overrides: dict[str, str] | None = None,
    include_suppressed: bool = True,
    **_: object,
) -> str:
    log = to_sarif(report, category, severity_overrides, include_suppressed)
    return json.dumps(log, indent=2) + "\n"


def to_sarif(
    report: Report,
    category: str | None = None,
    severity_overrides: dict[str, str] | None = None,
    include_suppressed: bool = True,
) -> dict[str, Any]:
    """`include_suppressed=False` leaves suppressed findings out: GitHub code scanning does not
    read `suppressions` and opens alerts for them (github/codeql-action#1230)."""
    findings = sorted(report.findings, key=Finding.sort_key)
    if not include_suppressed:
        findings = [f for f in findings if not f.suppressed]
    rules = rule_descriptors(findings, severity_overrides or {})
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    driver: dict[str, Any] = {"name": "sqsguard"}
    if report.tool_version:
        driver["semanticVersion"] = report.tool_version
    driver["informationUri"] = INFORMATION_URI
    driver["rules"] = rules
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": automation_id(category)},
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The root of the repository that was scanned."}}
        },
        "invocations": [invocation(report.errors, report.skipped)],
        "results": [result(f, index[f.rule_id]) for f in findings],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def automation_id(category: str | None) -> str:
    """GitHub reads `category/run-id`; a category without the trailing slash would be a run id."""
    category = (category or "").strip()
    if not category:
        return DEFAULT_CATEGORY
    return category if category.endswith("/") else category + "/"


def rule_descriptors(findings: list[Finding], overrides: dict[str, str]) -> list[dict[str, Any]]:
    """Every catalog rule, plus any rule a finding names that the catalog lacks, by id."""
    catalog = load_catalog()
    rules = {
        rule_id: catalog_descriptor(entry, overrides.get(rule_id, entry.severity)) for rule_id, entry in catalog.items()
    }
    for finding in findings:
        if finding.rule_id not in rules:
            severity = overrides.get(finding.rule_id, finding.severity)
            rules[finding.rule_id] = finding_descriptor(finding, severity)
    return [rules[rule_id] for rule_id in sorted(rules)]


def catalog_descriptor(entry: RuleDoc, severity: str) -> dict[str, Any]:
    body = entry.body.strip() or entry.summary
    references = [url for _, url in entry.references if url]
    return {
        "id": entry.id,
        "name": entry.slug,
        "shortDescription": {"text": one_line(entry.title)},
        "fullDescription": {"text": one_line(entry.summary) or one_line(entry.title)},
        "help": {"text": body, "markdown": body},
        "helpUri": references[0] if references else INFORMATION_URI,
        "defaultConfiguration": {"level": SARIF_LEVEL.get(severity, "warning")},
        "properties": rule_properties(entry.family or FAMILIES.get(family_of(entry.id), ""), severity, entry.meta),
    }


def finding_descriptor(finding: Finding, severity: str) -> dict[str, Any]:
    """For a rule outside the catalog (such as a scan-level SQG0 rule)."""
    title = one_line(finding.title) or finding.rule_id
    return {
        "id": finding.rule_id,
        "name": finding.slug or finding.rule_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": title},
        "help": {"text": title, "markdown": title},
        "helpUri": INFORMATION_URI,
        "defaultConfiguration": {"level": SARIF_LEVEL.get(severity, "warning")},
        "properties": rule_properties(FAMILIES.get(family_of(finding.rule_id), ""), severity, {}),
    }


def rule_properties(family: str, severity: str, meta: dict) -> dict[str, Any]:
    tags = ["security"] + ([family] if family else [])
    return {
        "tags": tags,
        # The rules read declared configuration, not heuristics; a catalog entry may say otherwise.
        "precision": meta.get("precision", "high"),
        "security-severity": SECURITY_SEVERITY.get(severity, "0.0"),
        "problem.severity": PROBLEM_SEVERITY.get(severity, "warning"),
    }


def result(finding: Finding, rule_index: int) -> dict[str, Any]:
    logical: list[dict[str, str]] = []
    if finding.resource:
        logical.append({"name": finding.resource, "fullyQualifiedName": finding.resource, "kind": "resource"})
    if finding.construct_path:
        logical.append(
            {"name": finding.construct_path.rsplit("/", 1)[-1], "fullyQualifiedName": finding.construct_path}
        )
    start, end = region(finding.line, finding.end_line)
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": artifact_location(shown_path(finding)),
            "region": {"startLine": start, "endLine": end},
        }
    }
    if logical:
        location["logicalLocations"] = logical
    entry: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": SARIF_LEVEL.get(finding.severity, "warning"),
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        # Present on every result: suppression was evaluated for all of them (SARIF 3.27.23
        # wants all null or all non-null in a run; an empty array means "not suppressed").
        "suppressions": [suppression(finding)] if finding.suppressed else [],
        "properties": {
            "severity": finding.severity,
            "resourceType": finding.resource_type,
            "format": finding.format,
        },
    }
    return entry


def suppression(finding: Finding) -> dict[str, Any]:
    details = finding.suppression or {}
    kind = details.get("kind") or "inline"
    entry: dict[str, Any] = {"kind": SUPPRESSION_KIND.get(kind, "external"), "status": "accepted"}
    reason = one_line(details.get("reason") or "")
    if reason:
        entry["justification"] = reason
    entry["properties"] = {"sqsguardKind": kind}
    return entry


def invocation(errors: list[ScanError], skipped: list[Skipped] = ()) -> dict[str, Any]:
    return {
        "executionSuccessful": not errors,
        "toolExecutionNotifications": [notification(error) for error in errors]
        + [skipped_notification(entry) for entry in skipped],
    }


def skipped_notification(entry: Skipped) -> dict[str, Any]:
    return {
        "level": "warning",
        "message": {"text": "not read: %s" % entry.reason},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(shown_path(entry))}}],
        "properties": {"sqsguardKind": "skipped"},
    }


def notification(error: ScanError) -> dict[str, Any]:
    entry: dict[str, Any] = {"level": "error", "message": {"text": error.message or "could not be read"}}
    path = shown_path(error)
    if path:
        physical: dict[str, Any] = {"artifactLocation": artifact_location(path)}
        if error.line:
            physical["region"] = {"startLine": max(1, error.line)}
        entry["locations"] = [{"physicalLocation": physical}]
    return entry


def artifact_location(path: str) -> dict[str, str]:
    """A relative path becomes a percent-encoded URI under %SRCROOT%; an absolute one (a file
    outside the working directory with no repository path) a file: URI of its own."""
    if path.startswith("/"):
        return {"uri": "file://" + quote(path, safe="/", errors="surrogateescape")}
    if len(path) > 2 and path[1] == ":" and path[2] == "/":  # a Windows drive
        return {"uri": "file:///" + path[:2] + quote(path[2:], safe="/", errors="surrogateescape")}
    while path.startswith("./"):
        path = path[2:]
    # a name that is not UTF-8 (surrogate escapes) is percent-encoded as the bytes it is
    return {"uri": quote(path, safe="/", errors="surrogateescape"), "uriBaseId": SRCROOT}
