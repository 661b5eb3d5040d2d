"""cfn-lint rule classes generated from the sqsguard catalog: one per rule that applies to
CloudFormation and that sqsguard checks, plus E9000 for a template sqsguard could not check.

Ids use the range cfn-lint reserves for users' rules, (E|W|I)9xxx: the letter is the level of
the rule's catalog severity (cfn-lint derives a match's level from that letter), the digits
are the sqsguard number, so every family keeps its own hundred and no two rules share digits:

    critical, high -> E     SQG201 key-policy-public        -> E9201
    medium, low    -> W     SQG103 queue-aws-managed-key    -> W9103
    info           -> I     SQG001 suppression-without-reason -> I9001
                            (sqsguard could not check)      -> E9000

Rules the catalog documents but this sqsguard does not implement are not registered: a rule
cfn-lint lists, and an editor or SARIF report shows as run, would look like a pass.
"""

from __future__ import annotations

from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from . import _location, _scan

LEVEL = {"critical": "E", "high": "E", "medium": "W", "low": "W", "info": "I"}
SCAN_PROBLEM_ID = "E9000"
SOURCE_URL = "https://github.com/sqsguard/sqsguard#cfn-lint"


def cfn_lint_id(rule_id: str, severity: str) -> str:
    """SQG103 (medium) -> W9103."""
    return "%s9%s" % (LEVEL[severity], rule_id[len("SQG"):])


class _SqsguardRule(CloudFormationLintRule):
    """The shared behaviour; never registered itself (no id, and not in the loader's module)."""

    sqsguard_id = ""

    def match(self, cfn: Any) -> list[RuleMatch]:
        outcome = _scan.outcome_for(cfn)
        matches = []
        for finding, message in outcome.findings:
            if finding.rule_id != self.sqsguard_id:
                continue
            path, location = _location.place(cfn, finding.resource, finding.line, finding.end_line, outcome.lines)
            extra = {"location": location} if location is not None else {}
            matches.append(RuleMatch(path, "%s [sqsguard %s]" % (message, finding.rule_id), **extra))
        return matches


class SqsguardScanProblem(CloudFormationLintRule):
    id = SCAN_PROBLEM_ID
    shortdesc = "sqsguard could not check the template"
    description = (
        "The sqsguard rules (E9xxx, W9xxx, I9xxx) did not check this template: it is not a file "
        "sqsguard reads, sqsguard cannot parse it, its sqsguard configuration or baseline is "
        "unusable, or sqsguard failed. The message says which; none of the sqsguard rules passed."
    )
    source_url = SOURCE_URL
    tags = ["sqsguard", "scan"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        outcome = _scan.outcome_for(cfn)
        if outcome.problem is None:
            return []
        line = outcome.problem_line
        return [RuleMatch([], outcome.problem, location=_location.line_span(outcome.lines, line, line))]


def _class_name(rule_id: str, slug: str) -> str:
    return rule_id + "".join(part.capitalize() for part in slug.split("-"))


def _generate() -> dict[str, type]:
    from ..catalog import load_catalog
    from ..engine import rules_run

    checked = rules_run()
    classes: dict[str, type] = {"SqsguardScanProblem": SqsguardScanProblem}
    for entry in load_catalog().values():
        if "cloudformation" not in entry.formats or entry.id not in checked:
            continue
        name = _class_name(entry.id, entry.slug)
        classes[name] = type(
            name,
            (_SqsguardRule,),
            {
                "__module__": __name__,
                "__doc__": "sqsguard %s %s: %s" % (entry.id, entry.slug, entry.title),
                "id": cfn_lint_id(entry.id, entry.severity),
                "shortdesc": entry.title,
                "description": "%s (sqsguard %s; `sqsguard explain %s` shows the fix)" % (entry.summary, entry.id, entry.id),
                "source_url": next((url for _, url in entry.references if url), SOURCE_URL),
                "tags": ["sqsguard", entry.family, entry.slug],
                "sqsguard_id": entry.id,
            },
        )
    return classes


_classes: dict[str, type] | None = None


def rule_classes() -> dict[str, type]:
    """The rule classes by class name, made once per process."""
    global _classes
    if _classes is None:
        _classes = _generate()
    return dict(_classes)
