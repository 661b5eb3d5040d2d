"""SARIF, GitHub workflow commands, Markdown and JUnit: what GitHub, GitLab and CI tools read.

Reports are built by hand (every corner: suppressions of each kind, CDK construct paths, paths
that need escaping, scan errors, a baseline) and from a real scan of examples/.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from sarif_schema import assert_valid_sarif, validator
from sqsguard.catalog import load_catalog
from sqsguard.findings import SEVERITIES, BaselineSummary, Checked, Finding, Report, ScanError
from sqsguard.report import FORMATS, render, renderer
from sqsguard.report import github, markdown, sarif

ROOT = Path(__file__).resolve().parents[1]

# GitHub code scanning's security-severity bands.
BANDS = {"critical": (9.0, 10.0), "high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9)}


# --- building reports -------------------------------------------------------------------------


def finding(rule_id: str = "SQG103", **changes: object) -> Finding:
    entry = load_catalog().get(rule_id)
    values: dict = dict(
        rule_id=rule_id,
        message="Queue aws_sqs_queue.orders uses alias/aws/sqs — use a customer-managed key.",
        file="infra/main.tf",
        line=12,
        end_line=20,
        resource="aws_sqs_queue.orders",
        resource_type="aws_sqs_queue",
        format="terraform",
        slug=entry.slug if entry else "",
        severity=entry.severity if entry else "info",
        title=entry.title if entry else "",
        repo_path="infra/main.tf",
    )
    values.update(changes)
    return Finding(**values)


def suppressed(kind: str, reason: str = "accepted for the legacy stack", **changes: object) -> Finding:
    return finding(suppressed=True, suppression={"kind": kind, "reason": reason}, **changes)


def hand_report() -> Report:
    findings = [
        finding("SQG101", line=3, end_line=5, resource="aws_sqs_queue.plain"),
        finding("SQG103"),
        finding("SQG201", file="infra/keys.tf", repo_path="infra/keys.tf", line=40, end_line=38, resource="aws_kms_key.main",
                resource_type="aws_kms_key", severity="critical"),
        finding("SQG302", file="infra/keys.tf", repo_path="infra/keys.tf", line=0, end_line=0, resource="aws_kms_key.main",
                resource_type="aws_kms_key"),
        # CDK: construct path, a repository path that needs escaping, a display path that differs
        finding("SQG102", file="../cdk.out/Shop Stack.template.json", repo_path="apps/shop/cdk.out/Shop Stack.template.json",
                line=7, end_line=9, resource="AuditQueue1D3C234B", resource_type="AWS::SQS::Queue", format="cdk",
                construct_path="ShopStack/AuditQueue"),
        # no repository path: everything falls back to the display path
        finding("SQG104", file="stacks/ledger.yaml", repo_path="", line=41, end_line=41, resource="LedgerQueue",
                resource_type="AWS::SQS::Queue", format="cloudformation"),
        suppressed("inline", resource="aws_sqs_queue.legacy", line=60, end_line=64),
        suppressed("metadata", rule_id="SQG102", file="stacks/ledger.yaml", repo_path="stacks/ledger.yaml",
                   resource="OldQueue", resource_type="AWS::SQS::Queue", format="cloudformation", line=80, end_line=84),
        suppressed("config", rule_id="SQG301", file="infra/keys.tf", repo_path="infra/keys.tf", resource="aws_kms_key.main",
                   resource_type="aws_kms_key", line=40, end_line=52),
        suppressed("baseline", reason="", rule_id="SQG101", resource="aws_sqs_queue.old", line=90, end_line=92),
        # a scan-level finding on no checked resource
        finding("SQG001", message="The suppression of SQG102 on OldQueue gives no reason.", file="stacks/ledger.yaml",
                repo_path="stacks/ledger.yaml", line=79, end_line=79, resource="OldQueue", resource_type="AWS::SQS::Queue",
                format="cloudformation"),
    ]
    checked = [
        Checked("aws_sqs_queue.plain", "aws_sqs_queue", "terraform", "infra/main.tf", 3, ("SQG1", "SQG4", "SQG5"), "infra/main.tf"),
        Checked("aws_sqs_queue.orders", "aws_sqs_queue", "terraform", "infra/main.tf", 10, ("SQG1", "SQG4", "SQG5"), "infra/main.tf"),
        Checked("aws_sqs_queue.legacy", "aws_sqs_queue", "terraform", "infra/main.tf", 60, ("SQG1", "SQG4", "SQG5"), "infra/main.tf"),
        Checked("aws_sqs_queue.clean", "aws_sqs_queue", "terraform", "infra/main.tf", 70, ("SQG1", "SQG4", "SQG5"), "infra/main.tf"),
        Checked("aws_kms_key.main", "aws_kms_key", "terraform", "infra/keys.tf", 38, ("SQG2", "SQG3"), "infra/keys.tf"),
        Checked("AuditQueue1D3C234B", "AWS::SQS::Queue", "cdk", "../cdk.out/Shop Stack.template.json", 7,
                ("SQG1", "SQG4", "SQG5"), "apps/shop/cdk.out/Shop Stack.template.json"),
        Checked("LedgerQueue", "AWS::SQS::Queue", "cloudformation", "stacks/ledger.yaml", 38, ("SQG1",), ""),
        Checked("OldQueue", "AWS::SQS::Queue", "cloudformation", "stacks/ledger.yaml", 80, ("SQG1",), "stacks/ledger.yaml"),
    ]
    errors = [
        ScanError("broken/bad.yaml", 3, "mapping values are not allowed here", "broken/bad.yaml"),
        ScanError("broken/empty.tf", None, "not valid HCL", ""),
    ]
    return Report(
        findings=sorted(findings, key=Finding.sort_key),
        errors=errors,
        files_scanned=5,
        queues=6,
        keys=1,
        tool_version="0.1.0",
        checked=checked,
        rules_run=tuple(sorted(load_catalog())),
    )


@pytest.fixture(scope="module")
def real() -> Report:
    """A real scan of examples/, run from the repository root; some findings marked suppressed."""
    from sqsguard.engine import scan
    from sqsguard.options import Options

    here = os.getcwd()
    os.chdir(ROOT)
    try:
        report = scan(["examples/"], Options(), jobs=1)
    finally:
        os.chdir(here)
    assert report.findings, "examples/ should have findings"
    return report


@pytest.fixture(scope="module")
def real_with_suppressions(real: Report) -> Report:
    kinds = ["inline", "metadata", "config", "baseline"]
    findings = [
        dataclasses.replace(f, suppressed=True, suppression={"kind": kinds[i % 4], "reason": "reason %d" % i}) if i % 5 == 0 else f
        for i, f in enumerate(real.findings)
    ]
    return dataclasses.replace(real, findings=findings)


# --- SARIF ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    return validator()


@pytest.fixture
def sarif_of(sarif_validator):
    """Render SARIF, validate it against the official schema, return it parsed."""

    def produce(report: Report, **options: object) -> dict:
        text = render("sarif", report, **options)
        return assert_valid_sarif(json.loads(text))

    return produce


def test_sarif_log_and_driver(sarif_of):
    log = sarif_of(hand_report())
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "sqsguard"
    assert driver["semanticVersion"] == "0.1.0"
    assert driver["informationUri"] == "https://github.com/sqsguard/sqsguard"
    run = log["runs"][0]
    assert run["automationDetails"] == {"id": "sqsguard/"}
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]  # no machine path: deterministic


def test_sarif_declares_every_catalog_rule_in_id_order(sarif_of):
    catalog = load_catalog()
    rules = sarif_of(Report(tool_version="0.1.0"))["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(catalog)
    for rule in rules:
        entry = catalog[rule["id"]]
        assert rule["name"] == entry.slug
        assert rule["shortDescription"]["text"] == entry.title
        assert rule["fullDescription"]["text"] == " ".join(entry.summary.split())
        assert rule["help"]["text"] == entry.body.strip()
        assert rule["help"]["markdown"] == entry.body.strip()
        assert rule["helpUri"] == entry.references[0][1]
        assert rule["defaultConfiguration"]["level"] == sarif_level(entry.severity)
        properties = rule["properties"]
        assert "security" in properties["tags"] and entry.family in properties["tags"]
        assert properties["precision"] in ("very-high", "high", "medium", "low")
        score = float(properties["security-severity"])
        if entry.severity == "info":
            assert score == 0.0  # GitHub: no security severity
        else:
            low, high = BANDS[entry.severity]
            assert low <= score <= high, (rule["id"], score)


def sarif_level(severity: str) -> str:
    return {"critical": "error", "high": "error", "medium": "warning"}.get(severity, "note")


def test_sarif_security_severity_bands():
    for severity in ("critical", "high", "medium", "low"):
        low, high = BANDS[severity]
        score = float(sarif.SECURITY_SEVERITY[severity])
        assert low <= score <= high and (severity != "critical" or score > 9.0)
    assert set(sarif.SECURITY_SEVERITY) == set(SEVERITIES)


def test_sarif_severity_overrides_set_the_rule_default(sarif_of):
    log = sarif_of(Report(), severity_overrides={"SQG103": "critical", "SQG101": "low"})
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["SQG103"]["defaultConfiguration"]["level"] == "error"
    assert float(rules["SQG103"]["properties"]["security-severity"]) > 9.0
    assert rules["SQG101"]["defaultConfiguration"]["level"] == "note"
    assert rules["SQG101"]["properties"]["security-severity"] == sarif.SECURITY_SEVERITY["low"]


@pytest.mark.parametrize("which", ["hand", "real", "real_with_suppressions"])
def test_sarif_results_point_at_their_rule_and_location(sarif_of, real, real_with_suppressions, which):
    report = {"hand": hand_report(), "real": real, "real_with_suppressions": real_with_suppressions}[which]
    run = sarif_of(report)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    findings = sorted(report.findings, key=Finding.sort_key)
    assert len(run["results"]) == len(findings)
    for result, source in zip(run["results"], findings):
        assert result["ruleId"] == source.rule_id
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == sarif_level(source.severity)
        assert result["message"]["text"] == source.message
        location = result["locations"][0]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith(("/", "file:", "./"))
        assert artifact["uri"].replace("%20", " ") == (source.repo_path or source.file)
        area = location["physicalLocation"]["region"]
        assert area["startLine"] >= 1 and area["endLine"] >= area["startLine"]
        assert location["logicalLocations"][0]["fullyQualifiedName"] == source.resource
        if source.construct_path:
            assert location["logicalLocations"][1]["fullyQualifiedName"] == source.construct_path
        assert result["partialFingerprints"] == {"sqsguard/v1": source.fingerprint}
        if source.suppressed:
            assert len(result["suppressions"]) == 1
        else:
            assert result["suppressions"] == []


def test_sarif_uri_is_repo_relative_and_escaped(sarif_of):
    results = sarif_of(hand_report())["runs"][0]["results"]
    uris = {r["locations"][0]["logicalLocations"][0]["name"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in results}
    assert uris["AuditQueue1D3C234B"] == "apps/shop/cdk.out/Shop%20Stack.template.json"  # repo_path, not ../cdk.out
    assert uris["LedgerQueue"] == "stacks/ledger.yaml"  # no repo_path: the display path
    regions = {r["locations"][0]["logicalLocations"][0]["name"] + r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]
               for r in results}
    assert regions["aws_kms_key.mainSQG201"] == {"startLine": 40, "endLine": 40}  # end before start
    assert regions["aws_kms_key.mainSQG302"] == {"startLine": 1, "endLine": 1}  # line 0


def test_sarif_artifact_location_forms():
    assert sarif.artifact_location("a b/ü+x.tf") == {"uri": "a%20b/%C3%BC%2Bx.tf", "uriBaseId": "%SRCROOT%"}
    assert sarif.artifact_location("./infra/main.tf") == {"uri": "infra/main.tf", "uriBaseId": "%SRCROOT%"}
    assert sarif.artifact_location("/tmp/x y.tf") == {"uri": "file:///tmp/x%20y.tf"}
    assert sarif.artifact_location("C:/work/main.tf") == {"uri": "file:///C:/work/main.tf"}


def test_sarif_suppressions_by_kind(sarif_of):
    results = sarif_of(hand_report())["runs"][0]["results"]
    by_resource = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]): r for r in results}
    expected = {
        ("SQG103", "aws_sqs_queue.legacy"): ("inSource", "inline"),
        ("SQG102", "OldQueue"): ("inSource", "metadata"),
        ("SQG301", "aws_kms_key.main"): ("external", "config"),
        ("SQG101", "aws_sqs_queue.old"): ("external", "baseline"),
    }
    for key, (kind, ours) in expected.items():
        [entry] = by_resource[key]["suppressions"]
        assert entry["kind"] == kind and entry["status"] == "accepted"
        assert entry["properties"]["sqsguardKind"] == ours
        if ours == "baseline":
            assert "justification" not in entry  # no reason given: no empty justification
        else:
            assert entry["justification"] == "accepted for the legacy stack"
    unsuppressed = [r for key, r in by_resource.items() if key not in expected]
    assert unsuppressed and all(r["suppressions"] == [] for r in unsuppressed)


def test_sarif_can_leave_suppressed_findings_out(sarif_of):
    report = hand_report()
    results = sarif_of(report, include_suppressed=False)["runs"][0]["results"]
    assert len(results) == len(report.active)
    assert all(r["suppressions"] == [] for r in results)


def test_sarif_rule_outside_the_catalog_gets_a_descriptor(sarif_of):
    report = Report(findings=[finding("SQG099", slug="future-rule", title="A rule from the future", severity="low")])
    run = sarif_of(report)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids) and "SQG099" in ids
    result = run["results"][0]
    assert rules[result["ruleIndex"]]["id"] == "SQG099"
    assert rules[result["ruleIndex"]]["name"] == "future-rule"
    assert rules[result["ruleIndex"]]["defaultConfiguration"]["level"] == "note"


def test_sarif_scan_errors_are_notifications(sarif_of):
    invocation = sarif_of(hand_report())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    first, second = invocation["toolExecutionNotifications"]
    assert first["level"] == "error"
    assert first["message"]["text"] == "mapping values are not allowed here"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "broken/bad.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 3},
    }
    assert second["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "broken/empty.tf", "uriBaseId": "%SRCROOT%"}
    }


def test_sarif_clean_run_is_successful(sarif_of, real):
    invocation = sarif_of(dataclasses.replace(real, errors=[]))["runs"][0]["invocations"][0]
    assert invocation == {"executionSuccessful": True, "toolExecutionNotifications": []}


@pytest.mark.parametrize(("category", "expected"), [(None, "sqsguard/"), ("", "sqsguard/"),
                                                    ("iac/terraform", "iac/terraform/"), ("sqsguard-cfn/", "sqsguard-cfn/")])
def test_sarif_category(sarif_of, category, expected):
    assert sarif_of(Report(), category=category)["runs"][0]["automationDetails"]["id"] == expected


def test_sarif_is_byte_identical_whatever_the_input_order(real_with_suppressions):
    first = render("sarif", real_with_suppressions)
    assert render("sarif", real_with_suppressions) == first
    shuffled = list(real_with_suppressions.findings)
    random.Random(7).shuffle(shuffled)
    assert render("sarif", dataclasses.replace(real_with_suppressions, findings=shuffled)) == first


# --- GitHub workflow commands -------------------------------------------------------------------


def test_github_escapes_data_and_properties():
    report = Report(
        findings=[
            finding(
                "SQG103",
                message="100% sure:\nline two,\r\nthree ::set-env name=X::y",
                repo_path="dir,with:odd/100%/main.tf",
                line=4,
                end_line=6,
            )
        ]
    )
    first, summary = render("github", report).splitlines()
    assert first == (
        "::warning file=dir%2Cwith%3Aodd/100%25/main.tf,line=4,endLine=6,title=SQG103 queue-aws-managed-key"
        "::100%25 sure:%0Aline two,%0D%0Athree ::set-env name=X::y"
    )
    assert summary.startswith("sqsguard: 1 finding (1 medium)")


def test_github_escape_helpers_match_actions_core():
    assert github.escape_data("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f"
    assert github.escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"
    assert github.command("notice", [("file", ""), ("line", None), ("title", "t")], "m") == "::notice title=t::m"
    assert github.command("notice", [], "m") == "::notice::m"


def test_github_one_annotation_per_unsuppressed_finding(real_with_suppressions):
    report = real_with_suppressions
    lines = render("github", report).splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert len(commands) == len(report.active) + len(report.errors)
    assert not lines[-1].startswith("::") and lines[-1].startswith("sqsguard: ")
    expected = {"critical": "error", "high": "error", "medium": "warning", "low": "notice", "info": "notice"}
    pattern = re.compile(r"^::(\w+) file=([^,]+),line=(\d+),endLine=(\d+),title=(SQG\d+) [a-z0-9-]+::(.*)$")
    seen = []
    for line in commands:
        match = pattern.match(line)
        assert match, line
        level, path, start, end, rule_id, _ = match.groups()
        seen.append((rule_id, path, int(start)))
        source = next(f for f in report.active if f.rule_id == rule_id and (f.repo_path or f.file) == path and f.line == int(start))
        assert level == expected[source.severity]
        assert int(end) >= int(start)
    assert sorted(seen) == sorted((f.rule_id, f.repo_path or f.file, f.line) for f in report.active)
    # worst first: the runner shows a limited number of annotations per level
    ranks = [SEVERITIES.index(next(f for f in report.active if (f.rule_id, f.repo_path or f.file, f.line) == s).severity) for s in seen]
    assert ranks == sorted(ranks)


def test_github_scan_errors():
    lines = render("github", hand_report()).splitlines()
    assert "::error file=broken/bad.yaml,line=3,title=sqsguard scan error::mapping values are not allowed here" in lines
    assert "::error file=broken/empty.tf,title=sqsguard scan error::not valid HCL" in lines
    assert lines[-1].endswith("2 errors.")


def test_github_clean_report_is_just_the_summary():
    assert render("github", Report(files_scanned=2)) == "sqsguard: 0 findings in 2 files scanned: 0 queues, 0 keys.\n"


# --- JUnit --------------------------------------------------------------------------------------


def parse_junit(report: Report) -> ET.Element:
    text = render("junit", report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def outcome(case: ET.Element) -> str:
    children = [child.tag for child in case]
    assert len(children) <= 1, "one failure, error or skipped per test case"
    return children[0] if children else "passed"


def assert_counts_add_up(root: ET.Element) -> None:
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        outcomes = [outcome(c) for c in cases]
        counts = {"tests": len(cases), "failures": outcomes.count("failure"), "errors": outcomes.count("error"),
                  "skipped": outcomes.count("skipped")}
        for key, value in counts.items():
            assert int(suite.get(key)) == value, (suite.get("name"), key)
            totals[key] += value
    for key, value in totals.items():
        assert int(root.get(key)) == value, key


def test_junit_layout_and_counts():
    root = parse_junit(hand_report())
    assert root.tag == "testsuites" and root.get("name") == "sqsguard"
    assert_counts_add_up(root)
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["SQG0 scan", "SQG1 queue-encryption", "SQG2 key-policy", "SQG3 key-hygiene", "SQG4 data-flow", "SQG5 cost"]

    def case(suite: str, name: str) -> ET.Element:
        [found] = [c for c in suites[suite].findall("testcase") if c.get("name") == name]
        return found

    plain = case("SQG1 queue-encryption", "aws_sqs_queue.plain")
    assert plain.get("classname") == "infra/main.tf" and plain.get("line") == "3"
    failure = plain.find("failure")
    assert failure.get("type") == "SQG101"
    assert failure.get("message").startswith("SQG101 queue-unencrypted: ")
    assert "sqsguard explain SQG101" in failure.text
    assert outcome(case("SQG1 queue-encryption", "aws_sqs_queue.clean")) == "passed"
    assert outcome(case("SQG4 data-flow", "aws_sqs_queue.plain")) == "passed"
    skipped = case("SQG1 queue-encryption", "aws_sqs_queue.legacy").find("skipped")
    assert skipped.get("message") == "suppressed: SQG103 queue-aws-managed-key (inline: accepted for the legacy stack)"
    # a CDK resource: classname is the repository path
    assert case("SQG1 queue-encryption", "AuditQueue1D3C234B").get("classname") == "apps/shop/cdk.out/Shop Stack.template.json"
    # the key has an unsuppressed SQG201 and SQG302 in two families, and a suppressed SQG301
    assert case("SQG2 key-policy", "aws_kms_key.main").find("failure").get("type") == "SQG201"
    hygiene = case("SQG3 key-hygiene", "aws_kms_key.main").find("failure")
    assert hygiene.get("type") == "SQG302"  # the suppressed SQG301 is only mentioned in the text
    assert "suppressed: config: accepted for the legacy stack" in hygiene.text
    # a finding on a resource outside `checked` (SQG0), and the scan errors
    scan_cases = suites["SQG0 scan"].findall("testcase")
    assert {c.get("name") for c in scan_cases} == {"OldQueue", "broken/bad.yaml:3", "broken/empty.tf"}
    errors = [c.find("error") for c in scan_cases if c.find("error") is not None]
    assert {e.get("message") for e in errors} == {"mapping values are not allowed here", "not valid HCL"}
    assert case("SQG0 scan", "OldQueue").find("failure").get("type") == "SQG001"


def test_junit_real_scan(real_with_suppressions):
    report = real_with_suppressions
    root = parse_junit(report)
    assert_counts_add_up(root)
    failures = [c.find("failure") for s in root.findall("testsuite") for c in s.findall("testcase") if c.find("failure") is not None]
    mentioned = sorted(rule for f in failures for rule in f.get("type").split(","))
    assert mentioned == sorted(f.rule_id for f in report.active)
    expected_failing = {(f.rule_id[:4], f.repo_path or f.file, f.resource) for f in report.active}
    assert int(root.get("failures")) == len(expected_failing)
    tested = {(s.get("name").split()[0], c.get("classname"), c.get("name")) for s in root.findall("testsuite") for c in s.findall("testcase")}
    for checked in report.checked:
        for family in checked.families:
            assert (family, checked.repo_path or checked.file, checked.address) in tested


def test_junit_escapes_xml():
    report = Report(findings=[finding(message='<&> "quoted" \x01 bell\x07', resource='a<b>&"c"')])
    root = parse_junit(report)
    [case] = root.iter("testcase")
    assert case.get("name") == 'a<b>&"c"'
    assert case.find("failure").get("message").endswith('<&> "quoted"  bell')


def test_junit_is_byte_identical(real_with_suppressions):
    assert render("junit", real_with_suppressions) == render("junit", real_with_suppressions)


# --- Markdown -----------------------------------------------------------------------------------


def test_markdown_verdict_when_clean():
    text = render("markdown", Report(files_scanned=3, queues=2, keys=1))
    first = text.splitlines()[0]
    assert first == "### ✅ sqsguard: no findings"
    assert "3 files scanned · 2 queues · 1 key" in text
    assert "|" not in text  # no empty tables


def test_markdown_verdict_with_findings():
    report = Report(findings=[finding("SQG101"), finding("SQG103", line=30), finding("SQG102", line=40)])
    assert render("markdown", report).splitlines()[0] == "### ❌ sqsguard: 3 findings (1 high, 2 medium)"


def test_markdown_verdict_with_baseline_and_fail_on():
    report = Report(
        findings=[finding("SQG302"), suppressed("baseline", rule_id="SQG101", line=50)],
        baseline=BaselineSummary(path=".sqsguard-baseline.json", entries=4, matched=1, new=1, fixed=3),
    )
    text = render("markdown", report)
    assert text.splitlines()[0] == "### ❌ sqsguard: 1 new finding (1 low)"
    assert "**Baseline** `.sqsguard-baseline.json`: 4 entries, 1 matched in this run, 1 new, 3 fixed." in text
    assert "1 baselined" in text
    assert render("markdown", report, fail_on="high").splitlines()[0] == "### ⚠️ sqsguard: 1 new finding (1 low)"
    clean = dataclasses.replace(report, findings=report.findings[1:])
    assert render("markdown", clean).splitlines()[0] == "### ✅ sqsguard: no new findings"


def test_markdown_verdict_with_errors_only():
    report = Report(errors=[ScanError("bad.yaml", 2, "oops")])
    text = render("markdown", report)
    assert text.splitlines()[0] == "### ❌ sqsguard: no findings; 1 error"
    assert "- `bad.yaml:2`: oops" in text


def table_rows(text: str, header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


FINDINGS_HEADER = "| Severity | Location | Rule | Resource | Finding |"


def test_markdown_table_escapes_cells():
    report = Report(findings=[finding(message="a | b\nnext *line* <b>x</b> [link](http://x)", resource="aws_sqs_queue.a|b")])
    text = render("markdown", report)
    [row] = table_rows(text, FINDINGS_HEADER)
    assert len(row) == 5
    assert row[4] == r"a \| b next \*line\* \<b\>x\</b\> \[link\](http://x)"
    assert row[3] == r"`aws_sqs_queue.a\|b`"
    assert markdown.cell("x`y") == r"x\`y" and markdown.code("x`y") == r"x\`y"


def test_markdown_links_when_link_base_given():
    report = hand_report()
    base = "https://github.com/OWNER/REPO/blob/0123abc/"
    rows = table_rows(render("markdown", report, link_base=base), FINDINGS_HEADER)
    locations = [row[1] for row in rows]
    assert "[infra/main.tf:12](https://github.com/OWNER/REPO/blob/0123abc/infra/main.tf#L12-L20)" in locations
    assert ("[apps/shop/cdk.out/Shop Stack.template.json:7]"
            "(https://github.com/OWNER/REPO/blob/0123abc/apps/shop/cdk.out/Shop%20Stack.template.json#L7-L9)") in locations
    assert "[stacks/ledger.yaml:41](https://github.com/OWNER/REPO/blob/0123abc/stacks/ledger.yaml#L41)" in locations
    plain = [row[1] for row in table_rows(render("markdown", report), FINDINGS_HEADER)]
    assert "infra/main.tf:12" in plain and not any("](" in cell for cell in plain)
    # worst first
    severities = [row[0].strip("*") for row in rows]
    assert severities == sorted(severities, key=SEVERITIES.index)


def test_markdown_sections(real_with_suppressions):
    report = hand_report()
    text = render("markdown", report)
    assert text.splitlines()[0] == "### ❌ sqsguard: 7 findings (1 critical, 1 high, 2 medium, 1 low, 2 info); 2 errors"
    assert "| critical | high | medium | low | info |" in text
    assert "| 1 | 1 | 2 | 1 | 2 |" in text
    assert "3 suppressed (1 config, 1 inline, 1 metadata) · 1 baselined" in text
    assert "**2 errors**" in text
    assert "<details><summary>4 suppressed findings (not counted)</summary>\n\n| Location |" in text
    suppressed_rows = table_rows(text, "| Location | Rule | Resource | Suppressed by | Reason |")
    assert {row[3] for row in suppressed_rows} == {"inline", "metadata", "config", "baseline"}
    assert "no reason given" in {row[4] for row in suppressed_rows}
    assert render("markdown", real_with_suppressions) == render("markdown", real_with_suppressions)


def test_markdown_table_is_bounded():
    report = Report(findings=[finding("SQG102", line=n, resource="aws_sqs_queue.q%d" % n) for n in range(1, 61)])
    text = render("markdown", report)
    assert len(table_rows(text, FINDINGS_HEADER)) == 50
    assert "_… and 10 more._" in text
    assert len(table_rows(render("markdown", report, max_rows=5), FINDINGS_HEADER)) == 5


# --- the registry -------------------------------------------------------------------------------


def test_formats_registered_in_order(real_with_suppressions):
    assert FORMATS == ("text", "json", "sarif", "github", "markdown", "junit", "html")
    for name in FORMATS:
        out = renderer(name)(real_with_suppressions, colour=False, show_suppressed=True, category=None,
                             link_base=None, severity_overrides={}, unknown_option=1)
        assert out.endswith("\n") and out.strip()
    with pytest.raises(ValueError):
        renderer("html-deluxe")
