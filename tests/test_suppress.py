"""The filter stage: inline comments, Metadata, configuration entries; SQG001 and SQG002."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sqsguard.cli import main
from sqsguard.engine import scan
from sqsguard.options import Options
from sqsguard.suppress import parse_comment

QUEUE_SSE = 'resource "aws_sqs_queue" "%s" {\n  name = "%s"\n  sqs_managed_sse_enabled = true\n}\n'


def _scan(path, **kwargs):
    return scan([str(path)], Options(), jobs=1, **kwargs)


def _rows(report):
    return [(f.rule_id, f.resource, f.line, f.suppressed, (f.suppression or {}).get("kind")) for f in report.findings]


@pytest.mark.parametrize(
    "line, expected",
    [
        ("# sqsguard:ignore SQG102 legacy queue", (("SQG102",), "legacy queue")),
        ("  // sqsguard:ignore SQG102,SQG301 - reviewed in SEC-1", (("SQG102", "SQG301"), "reviewed in SEC-1")),
        ("# sqsguard:ignore sqg102, SQG3: accepted", (("SQG102", "SQG3"), "accepted")),
        ("# sqsguard:ignore queue-sqs-owned-key", (("queue-sqs-owned-key",), "")),
        ("name = 1 # sqsguard:ignore SQG102 — because", (("SQG102",), "because")),
        ("# sqsguard:ignore because we said so", ((), "because we said so")),
        ("# sqsguard:ignore SQG999 no such rule", (("SQG999",), "no such rule")),
        ("# sqsguard:ignored SQG102", None),
        ("# just a comment", None),
    ],
)
def test_comment_syntax(line, expected):
    assert parse_comment(line) == expected


def test_comment_above_or_inside_a_block_applies_to_that_block_only(tmp_path):
    (tmp_path / "main.tf").write_text(
        "# sqsguard:ignore SQG102 accepted for a\n" + QUEUE_SSE % ("a", "a") + "\n"
        + (QUEUE_SSE % ("b", "b")).replace('name = "b"', 'name = "b" # sqsguard:ignore SQG102 accepted for b')
        + "\n" + QUEUE_SSE % ("c", "c")
    )
    report = _scan(tmp_path)
    assert _rows(report) == [
        ("SQG102", "aws_sqs_queue.a", 4, True, "inline"),
        ("SQG102", "aws_sqs_queue.b", 9, True, "inline"),
        ("SQG102", "aws_sqs_queue.c", 14, False, None),
    ]
    assert report.findings[0].suppression == {"kind": "inline", "reason": "accepted for a"}


def test_a_comment_separated_by_a_blank_line_is_not_above_the_block(tmp_path):
    (tmp_path / "main.tf").write_text("# sqsguard:ignore SQG102 stray\n\n" + QUEUE_SSE % ("a", "a"))
    assert _rows(_scan(tmp_path)) == [("SQG102", "aws_sqs_queue.a", 5, False, None)]


def test_a_comment_in_a_module_applies_to_every_instance_and_is_used_once(tmp_path):
    module = tmp_path / "modules" / "queue"
    module.mkdir(parents=True)
    (module / "main.tf").write_text(
        'variable "name" {\n  type = string\n}\n\n# sqsguard:ignore SQG102 reviewed\n'
        'resource "aws_sqs_queue" "this" {\n  name = var.name\n}\n'
    )
    (tmp_path / "main.tf").write_text(
        'module "a" {\n  source = "./modules/queue"\n  name = "a"\n}\n\nmodule "b" {\n  source = "./modules/queue"\n  name = "b"\n}\n'
    )
    report = _scan(tmp_path)
    assert _rows(report) == [
        ("SQG102", "module.a.aws_sqs_queue.this", 6, True, "inline"),
        ("SQG102", "module.b.aws_sqs_queue.this", 6, True, "inline"),
    ]


def test_suppressed_findings_never_fail_and_are_counted(tmp_path):
    (tmp_path / "main.tf").write_text("# sqsguard:ignore SQG102 accepted\n" + QUEUE_SSE % ("a", "a"))
    result = CliRunner().invoke(main, ["scan", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "aws_sqs_queue.a" not in result.output
    assert "0 findings, 1 suppressed (1 inline)" in result.output
    shown = CliRunner().invoke(main, ["scan", str(tmp_path), "--show-suppressed"])
    assert "suppressed (inline): accepted" in shown.output
    data = json.loads(CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"]).output)
    assert [(f["rule_id"], f["suppressed"], f["suppression"]) for f in data["findings"]] == [
        ("SQG102", True, {"kind": "inline", "reason": "accepted"})
    ]
    assert data["summary"]["by_severity"]["medium"] == 0


def test_without_a_reason_the_suppression_still_applies_and_sqg001_says_so(tmp_path):
    (tmp_path / "main.tf").write_text("# sqsguard:ignore SQG102\n" + QUEUE_SSE % ("a", "a"))
    report = _scan(tmp_path)
    assert _rows(report) == [("SQG001", "aws_sqs_queue.a", 1, False, None), ("SQG102", "aws_sqs_queue.a", 4, True, "inline")]
    assert report.findings[0].severity == "info"


def test_suppression_of_a_rule_that_did_not_run_is_not_called_unused(tmp_path):
    (tmp_path / "main.tf").write_text("# sqsguard:ignore SQG102 accepted\n" + QUEUE_SSE % ("a", "a"))
    assert _rows(scan([str(tmp_path)], Options(), select=["SQG2", "SQG0"], jobs=1)) == []
    assert _rows(scan([str(tmp_path)], Options(), ignore=["SQG102"], jobs=1)) == []


def test_sqg0_rules_follow_the_selection(tmp_path):
    (tmp_path / "main.tf").write_text("# sqsguard:ignore SQG102\n" + QUEUE_SSE % ("a", "a"))
    report = scan([str(tmp_path)], Options(), ignore=["SQG001"], jobs=1)
    assert _rows(report) == [("SQG102", "aws_sqs_queue.a", 4, True, "inline")]


def _config_scan(tmp_path, config_text, name="pyproject.toml"):
    (tmp_path / name).write_text(config_text)
    runner = CliRunner()
    result = runner.invoke(main, ["scan", str(tmp_path), "--format", "json"])
    return result, (json.loads(result.output) if result.output.startswith("{") else None)


def test_config_ignore_and_per_path_ignore(tmp_path):
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "main.tf").write_text(QUEUE_SSE % ("old", "old"))
    (tmp_path / "main.tf").write_text(QUEUE_SSE % ("new", "new") + 'resource "aws_kms_key" "k" {\n  enable_key_rotation = true\n}\n')
    result, data = _config_scan(
        tmp_path,
        '[tool.sqsguard]\nignore = [{ id = "SQG204", reason = "IAM-managed on purpose" }]\n\n'
        '[tool.sqsguard.per_path_ignore]\n"legacy/**" = [{ id = "queue-sqs-owned-key", reason = "retired in Q3" }]\n',
    )
    rows = [(f["rule_id"], f["resource"], f["suppressed"], f["suppression"]) for f in data["findings"]]
    assert ("SQG102", "aws_sqs_queue.old", True, {"kind": "config", "reason": "retired in Q3"}) in rows
    assert ("SQG102", "aws_sqs_queue.new", False, None) in rows
    assert ("SQG204", "aws_kms_key.k", True, {"kind": "config", "reason": "IAM-managed on purpose"}) in rows


def test_config_entries_without_reason_or_matching_nothing(tmp_path):
    (tmp_path / "main.tf").write_text(QUEUE_SSE % ("a", "a"))
    result, data = _config_scan(tmp_path, "ignore:\n  - SQG102\n  - id: SQG301\n    reason: no keys here\n", ".sqsguard.yaml")
    rows = [(f["rule_id"], f["file"].rsplit("/", 1)[-1], f["line"], f["resource"], f["suppressed"]) for f in data["findings"]]
    assert rows == [
        ("SQG001", ".sqsguard.yaml", 2, "ignore", False),
        ("SQG002", ".sqsguard.yaml", 3, "ignore", False),
        ("SQG102", "main.tf", 3, "aws_sqs_queue.a", True),
    ]
    assert "SQG301" in data["findings"][1]["message"] and data["findings"][1]["format"] == "config"


def test_config_can_silence_the_scan_rules_themselves(tmp_path):
    (tmp_path / "main.tf").write_text("# sqsguard:ignore SQG102\n" + QUEUE_SSE % ("a", "a"))
    result, data = _config_scan(tmp_path, 'ignore = [{ id = "SQG001", reason = "we do not require reasons" }]\n', ".sqsguard.yaml")
    assert result.exit_code == 2  # YAML, not TOML: the line is not a mapping
    result, data = _config_scan(tmp_path, "ignore:\n  - id: SQG0\n    reason: not for this repository\n", ".sqsguard.yaml")
    assert [(f["rule_id"], f["suppressed"]) for f in data["findings"]] == [("SQG001", True), ("SQG102", True)]


def test_cloudformation_metadata_and_comment_suppressions(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n"
        "  # sqsguard:ignore SQG102 test data only\n"
        "  A:\n    Type: AWS::SQS::Queue\n"
        "  B:\n    Type: AWS::SQS::Queue\n    Metadata:\n      sqsguard:\n        ignore:\n"
        "          - id: [SQG101, SQG102]\n            reason: replaced next sprint\n"
        "  C:\n    Type: AWS::SQS::Queue\n    Metadata:\n      sqsguard: {ignore: [{reason: no id}]}\n"
    )
    report = _scan(template)
    assert _rows(report) == [
        ("SQG102", "A", 3, True, "inline"),
        ("SQG102", "B", 5, True, "metadata"),
        ("SQG102", "C", 12, False, None),
        ("SQG002", "C", 15, False, None),
    ]
    assert "its entry 1 has no rule id" in report.findings[3].message


def test_comments_in_json_are_not_read(tmp_path):
    template = tmp_path / "t.json"
    template.write_text(json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "# sqsguard:ignore SQG102 x"}}}}, indent=1))
    assert _rows(_scan(template)) == [("SQG102", "Q", 3, False, None)]


def test_inline_suppression_of_sqg0_rules_is_not_a_thing(tmp_path):
    """A comment cannot hide the report about itself; only the configuration can."""
    (tmp_path / "main.tf").write_text("# sqsguard:ignore SQG102,SQG001\n" + QUEUE_SSE % ("a", "a"))
    rows = _rows(_scan(tmp_path))
    assert ("SQG001", "aws_sqs_queue.a", 1, False, None) in rows
