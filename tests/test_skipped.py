"""Honest unknowns (issue 13, item 6): a file that declares SQS or KMS resources in a form
sqsguard does not read is listed in the report's `skipped` section with the reason, in every
output format; `--strict` (or `strict: true`) makes it exit 2. Files that only mention the
types stay quiet, and a broken file of a supported format stays an error."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from sarif_schema import assert_valid_sarif
from fixture_scan import run_cli
from sqsguard.engine import scan
from sqsguard.findings import Report, Skipped
from sqsguard.options import Options
from sqsguard.parsers.unsupported import reason, worth_a_look
from sqsguard.report import render
from sqsguard.report.jsonreport import SCHEMA_PATH

SKIPPED = Path(__file__).parent / "fixtures" / "skipped"

NOT_READ = "not a format sqsguard reads"
EXPECTED = [
    ("ack-queue.yaml", "Kubernetes manifest (sqs.services.k8s.aws/v1alpha1, AWS Controllers for Kubernetes (ACK)): " + NOT_READ),
    ("guard-tests.yaml", "declares AWS::SQS::Queue, but is not a CloudFormation template (the document is a list): " + NOT_READ),
    ("lookalike.json", "declares AWS::SQS::Queue, but is not a CloudFormation template (there is no top-level Resources section): " + NOT_READ),
    ("main.json", "Terraform JSON syntax (aws_sqs_queue), but Terraform reads JSON only from files named *.tf.json: "
                  "not read as Terraform (rename it main.tf.json if it is one)"),
    ("override/override.tf", "Terraform override file: Terraform merges its blocks into the module's blocks of the same name, "
                             "which sqsguard does not do; the module was read without it"),
    ("pulumi/Pulumi.yaml", "Pulumi YAML program (aws:sqs:Queue): " + NOT_READ),
    ("queue.tf.template", 'Terraform code (resource "aws_sqs_queue") in a file Terraform does not read (only *.tf and *.tf.json): '
                          "not read as Terraform"),
    ("queues.template", "a Jinja-style template source ({{ }} / {% %} markup) that declares AWS::SQS::Queue: "
                        "sqsguard reads the rendered template, not its source (render it first, or scan the rendered output)"),
]


def run(*args: str, cwd: Path = SKIPPED):
    return run_cli(args, cwd)


def json_report(*args: str, cwd: Path = SKIPPED) -> tuple[int, dict]:
    result = run("scan", "--format", "json", "--no-cache", *args, cwd=cwd)
    data = json.loads(result.stdout)
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
    return result.exit_code, data


def test_each_unsupported_declaration_is_listed_with_its_reason():
    code, data = json_report(".")
    assert [(s["file"], s["reason"]) for s in data["skipped"]] == EXPECTED
    assert data["summary"]["files_skipped"] == len(EXPECTED)
    assert data["errors"] == []
    # The override file is not read as an ordinary file: one queue, judged without it.
    assert data["summary"]["queues"] == 1
    assert [(f["rule_id"], f["file"]) for f in data["findings"]] == [("SQG101", "override/main.tf")]
    assert code == 1  # the finding; skipped files alone do not change the exit code


def test_near_misses_stay_quiet():
    """A CI workflow, a README-like JSON, a policy, package files, cfn-lint and Checkov
    configuration and reports, sqsguard's own JSON and SARIF, CloudFormation API output, a
    Pulumi stack configuration: they mention the types, they declare nothing."""
    names = sorted(str(p.relative_to(SKIPPED / "near")) for p in (SKIPPED / "near").rglob("*") if p.is_file())
    assert len(names) == 12
    code, data = json_report("near")
    assert (code, data["skipped"], data["errors"], data["summary"]["files_scanned"]) == (0, [], [], 0)
    assert "skipped" not in run("scan", "near", "--no-cache").stdout


def test_strict_makes_a_skipped_file_exit_2():
    assert run("scan", "pulumi", "--no-cache").exit_code == 0
    assert run("scan", "pulumi", "--no-cache", "--strict").exit_code == 2
    assert run("scan", "near", "--no-cache", "--strict").exit_code == 0  # nothing skipped there
    assert run("inventory", "pulumi", "--no-cache").exit_code == 0
    assert run("inventory", "pulumi", "--no-cache", "--strict").exit_code == 2
    assert run("cost", "pulumi", "--no-cache", "--strict").exit_code == 2


def test_strict_from_the_configuration(tmp_path: Path):
    shutil.copytree(SKIPPED / "pulumi", tmp_path / "pulumi")
    (tmp_path / ".sqsguard.yaml").write_text("strict: true\n")
    assert run("scan", "pulumi", "--no-cache", cwd=tmp_path).exit_code == 2
    (tmp_path / ".sqsguard.yaml").write_text("strict: false\n")
    assert run("scan", "pulumi", "--no-cache", cwd=tmp_path).exit_code == 0
    assert run("scan", "pulumi", "--no-cache", "--strict", cwd=tmp_path).exit_code == 2
    (tmp_path / ".sqsguard.yaml").write_text("strict: yes please\n")
    assert run("scan", "pulumi", "--no-cache", cwd=tmp_path).exit_code == 2  # an invalid value


def test_a_broken_template_stays_an_error(tmp_path: Path):
    (tmp_path / "broken.yaml").write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {a: [\n")
    code, data = json_report(".", cwd=tmp_path)
    assert code == 2 and data["skipped"] == []
    assert [(e["file"], e["line"]) for e in data["errors"]] == [("broken.yaml", 4)]


def test_text_lists_them_and_the_summary_counts_them():
    result = run("scan", "pulumi", "lookalike.json", "--no-cache")
    assert result.stdout.splitlines() == [
        "skipped: lookalike.json: " + EXPECTED[2][1],
        "skipped: pulumi/Pulumi.yaml: " + EXPECTED[5][1],
        "",
        "0 findings in 0 files scanned: 0 queues, 0 keys; 2 files skipped (they declare SQS or KMS resources "
        "in a form sqsguard does not read).",
    ]
    one = run("scan", "pulumi", "--no-cache").stdout.splitlines()[-1]
    assert one.endswith("; 1 file skipped (it declares SQS or KMS resources in a form sqsguard does not read).")


def test_sarif_has_a_warning_notification_per_skipped_file():
    result = run("scan", ".", "--format", "sarif", "--no-cache")
    log = assert_valid_sarif(json.loads(result.stdout))
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True  # skipped is not a failed execution
    notes = invocation["toolExecutionNotifications"]
    assert [(n["level"], n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], n["message"]["text"]) for n in notes] == [
        ("warning", "tests/fixtures/skipped/" + file, "not read: " + why) for file, why in EXPECTED
    ]
    assert {n["properties"]["sqsguardKind"] for n in notes} == {"skipped"}


def _report() -> Report:
    return Report(tool_version="0.1.0", skipped=[Skipped("infra/Pulumi.yaml", "Pulumi YAML program (aws:sqs:Queue): " + NOT_READ,
                                                         "infra/Pulumi.yaml")])


def test_markdown_github_junit_and_html():
    report = _report()
    md = render("markdown", report)
    assert md.splitlines()[0] == "### ⚠️ sqsguard: no findings; 1 file not read"
    assert "- `infra/Pulumi.yaml`: Pulumi YAML program (aws:sqs:Queue): not a format sqsguard reads" in md
    assert render("markdown", report, strict=True).startswith("### ❌ sqsguard: no findings; 1 file not read")
    notice = "::notice file=infra/Pulumi.yaml,title=sqsguard%3A file not read::Pulumi YAML program (aws:sqs:Queue): not a format sqsguard reads"
    assert notice in render("github", report).splitlines()
    assert notice.replace("::notice", "::error") in render("github", report, strict=True).splitlines()
    root = ET.fromstring(render("junit", report))
    suite = root.find("testsuite[@name='SQG0 scan']")
    assert (suite.get("tests"), suite.get("skipped"), root.get("skipped")) == ("1", "1", "1")
    case = suite.find("testcase")
    assert (case.get("name"), case.find("skipped").get("message")) == (
        "infra/Pulumi.yaml", "not read: Pulumi YAML program (aws:sqs:Queue): not a format sqsguard reads")
    page = render("html", report)
    assert '<a href="#skipped">Skipped files</a>' in page
    assert '<span class="warn">1 file skipped</span>' in page
    assert "<li><code>infra/Pulumi.yaml</code>: Pulumi YAML program (aws:sqs:Queue): not a format sqsguard reads</li>" in page


def test_a_report_without_skipped_files_is_unchanged_in_text_and_markdown():
    report = Report(tool_version="0.1.0")
    assert "skipped" not in render("text", report) and "not read" not in render("markdown", report)
    assert render("markdown", report).startswith("### ✅")


def test_the_skipped_list_is_the_same_with_the_cache_cold_and_warm(tmp_path: Path):
    cache = str(tmp_path / "cache")
    cold = run("scan", ".", "--format", "json", "--cache-dir", cache)
    assert os.listdir(cache)
    warm = run("scan", ".", "--format", "json", "--cache-dir", cache)
    uncached = run("scan", ".", "--format", "json", "--no-cache")
    assert cold.stdout == warm.stdout == uncached.stdout
    assert len(json.loads(warm.stdout)["skipped"]) == len(EXPECTED)


def test_the_engine_reports_repository_relative_paths():
    report = scan([str(SKIPPED / "pulumi")], Options(), jobs=1)
    assert [s.repo_path for s in report.skipped] == ["tests/fixtures/skipped/pulumi/Pulumi.yaml"]


def test_the_cheap_test_tells_pulumi_types_from_arns():
    assert worth_a_look(b"type: aws:sqs:Queue")
    assert worth_a_look(b'"type": "aws:sqs/queue:Queue"')
    assert worth_a_look(b"type: aws-native:kms:Key")
    assert worth_a_look(b"apiVersion: kms.services.k8s.aws/v1alpha1")
    assert not worth_a_look(b"arn:aws:sqs:us-east-1:111122223333:orders")
    assert not worth_a_look(b"arn:aws:kms:${AWS::Region}:111122223333:key/x")
    assert not worth_a_look(b"aws:region: us-east-1")


def test_reasons_for_other_declarations():
    crossplane = "apiVersion: sqs.aws.upbound.io/v1beta1\nkind: Queue\nmetadata: {name: orders}\n"
    assert reason(crossplane, False, "q.yaml") == (
        "Kubernetes manifest (sqs.aws.upbound.io/v1beta1 Queue, Crossplane (Upbound AWS provider)): " + NOT_READ)
    state = '{"deployment": {"resources": [{"urn": "urn:pulumi:dev::orders::aws:kms/key:Key::k", "type": "aws:kms/key:Key"}]}}'
    assert reason(state, True, "stack.json") == "Pulumi resources in JSON (aws:kms/key:Key): " + NOT_READ
    nested = "Outer:\n  Resources:\n    K:\n      Type: AWS::KMS::Key\n"
    assert reason(nested, False, "x.yaml") == (
        "declares AWS::KMS::Key, but is not a CloudFormation template (there is no top-level Resources section): " + NOT_READ)
    assert reason("Resources: {}\nOther:\n  Type: AWS::SQS::QueuePolicy\n", False, "x.yaml") == (
        "declares AWS::SQS::QueuePolicy, but is not a CloudFormation template (it is not in the top-level Resources section): " + NOT_READ)
    assert reason("Description: uses AWS::SQS::Queue\n", False, "x.yaml") is None
    assert reason('{"resource_type": "aws_sqs_queue", "Type": "AWS::SQS::Queue "}', True, "x.json") is None


JINJA_TEMPLATES = {
    # markup before the first key: would be read as JSON
    "header.template": '{% set env = "prod" %}\nResources:\n  Orders:\n    Type: AWS::SQS::Queue\n',
    # markup in a value of an otherwise YAML template
    "value.template": "Resources:\n  Orders:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: {{ name }}-q\n      Tags: [{Key: a, Value: {{ x }}}]\n",
}


@pytest.mark.parametrize("name", sorted(JINJA_TEMPLATES))
def test_a_jinja_template_source_is_skipped_not_an_error(tmp_path, name):
    (tmp_path / name).write_text(JINJA_TEMPLATES[name])
    report = scan([str(tmp_path)], Options())
    assert report.errors == []
    assert [s.reason for s in report.skipped] == [
        "a Jinja-style template source ({{ }} / {% %} markup) that declares AWS::SQS::Queue: sqsguard reads the "
        "rendered template, not its source (render it first, or scan the rendered output)"]


def test_a_broken_template_with_a_dynamic_reference_is_still_an_error(tmp_path):
    (tmp_path / "t.yaml").write_text("Resources:\n  Orders:\n    Type: AWS::SQS::Queue\n    Properties:\n"
                                     "      KmsMasterKeyId: '{{resolve:ssm:/keys/orders}}'\n    : broken\n")
    report = scan([str(tmp_path)], Options())
    assert report.skipped == [] and [(e.file.endswith("t.yaml"), e.line) for e in report.errors] == [(True, 6)]


def test_terraform_state_json_is_skipped_with_its_reason(tmp_path):
    state = {"format_version": "1.0", "terraform_version": "1.9.0", "values": {"root_module": {"resources": [
        {"address": "aws_sqs_queue.orders", "mode": "managed", "type": "aws_sqs_queue", "name": "orders",
         "provider_name": "registry.terraform.io/hashicorp/aws", "values": {"kms_master_key_id": "alias/aws/sqs"}}]}}}
    (tmp_path / "state.json").write_text(json.dumps(state, indent=2))
    report = scan([str(tmp_path)], Options())
    assert report.errors == [] and report.queues == 0
    assert [s.reason for s in report.skipped] == [
        "Terraform state (aws_sqs_queue), as `terraform show -json` prints it without a plan: sqsguard reads the "
        "configuration and plans (terraform show -json of a saved plan), not state"]
