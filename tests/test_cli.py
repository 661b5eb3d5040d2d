"""The command line as users and CI meet it: exit codes, report shapes, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from sqsguard import __version__
from sqsguard.cli import main
from sqsguard.report.jsonreport import SCHEMA_PATH

FIXTURES = Path(__file__).parent / "fixtures"
CFN = FIXTURES / "cloudformation"


def run(*args: str, cwd: Path | None = None):
    runner = CliRunner()
    previous = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        return runner.invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(previous)


def report_of(*args: str, cwd: Path | None = None) -> tuple[int, dict]:
    result = run("scan", "--format", "json", *args, cwd=cwd)
    data = json.loads(result.output)
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
    return result.exit_code, data


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == "sqsguard %s" % __version__


def test_exit_codes_follow_fail_on():
    bad = str(CFN / "SQG103" / "bad.yaml")  # medium findings
    assert run("scan", bad).exit_code == 1
    assert run("scan", bad, "--fail-on", "medium").exit_code == 1
    assert run("scan", bad, "--fail-on", "high").exit_code == 0
    assert run("scan", bad, "--fail-on", "never").exit_code == 0
    assert run("scan", str(CFN / "SQG104" / "bad.yaml"), "--fail-on", "low").exit_code == 0  # info only
    assert run("scan", str(CFN / "SQG104" / "bad.yaml"), "--fail-on", "info").exit_code == 1


def test_json_report_shape_and_content():
    code, data = report_of("SQG103/bad.yaml", "--select", "SQG1", cwd=CFN)
    assert code == 1
    assert data["version"] == 1 and data["tool"] == {"name": "sqsguard", "version": __version__}
    assert data["errors"] == []
    first = data["findings"][0]
    assert first["file"] == "SQG103/bad.yaml"
    assert first["rule_id"] == "SQG103" and first["slug"] == "queue-aws-managed-key"
    assert first["resource"] == "AliasNameQueue" and first["resource_type"] == "AWS::SQS::Queue"
    assert first["format"] == "cloudformation" and first["construct_path"] is None
    assert first["suppressed"] is False and first["suppression"] is None
    assert data["summary"]["files_scanned"] == 1
    assert data["summary"]["queues"] == 6 and data["summary"]["keys"] == 1
    assert data["summary"]["by_severity"]["medium"] == 6
    lines = [(f["line"], f["rule_id"]) for f in data["findings"]]
    assert lines == sorted(lines)


def test_fingerprints_are_stable_when_lines_move(tmp_path):
    text = (CFN / "SQG102" / "bad.yaml").read_text()
    (tmp_path / "t.yaml").write_text(text)
    _, before = report_of("t.yaml", cwd=tmp_path)
    (tmp_path / "t.yaml").write_text(text.replace("Resources:\n", "Metadata:\n  Note: moved\nResources:\n"))
    _, after = report_of("t.yaml", cwd=tmp_path)
    assert [f["fingerprint"] for f in before["findings"]] == [f["fingerprint"] for f in after["findings"]]
    assert [f["line"] + 2 for f in before["findings"]] == [f["line"] for f in after["findings"]]


def test_output_is_deterministic():
    first = run("scan", "--format", "json", str(FIXTURES)).output
    second = run("scan", "--format", "json", str(FIXTURES)).output
    assert first == second


def test_select_and_ignore_by_id_family_and_slug():
    path = str(CFN / "SQG102" / "bad.yaml")
    _, data = report_of(path, "--select", "SQG103")
    assert data["findings"] == []
    _, data = report_of(path, "--select", "SQG1", "--ignore", "queue-sqs-owned-key")
    assert data["findings"] == []
    _, data = report_of(path, "--select", "SQG102,SQG101")
    assert {f["rule_id"] for f in data["findings"]} == {"SQG102"}


def test_unknown_rule_selector_is_a_usage_error():
    result = run("scan", str(CFN), "--select", "SQG999")
    assert result.exit_code == 2
    assert "SQG999" in result.output


def test_parameter_overrides_default():
    path = str(CFN / "SQG103" / "bad.yaml")
    _, data = report_of(path, "--select", "SQG1", "--parameter", "QueueKey=arn:aws:kms:eu-west-1:111122223333:key/abc")
    by_resource = {f["resource"]: f["rule_id"] for f in data["findings"]}
    assert by_resource["ParameterQueue"] == "SQG104"
    result = run("scan", path, "--parameter", "no-equals-sign")
    assert result.exit_code == 2 and "NAME=VALUE" in result.output


def test_unparseable_file_is_reported_and_the_rest_is_scanned(tmp_path):
    (tmp_path / "broken.yaml").write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: [oops\n")
    (tmp_path / "broken.json").write_text('{"Resources": {"Q": {"Type": "AWS::SQS::Queue",}}}\n')
    (tmp_path / "ok.yaml").write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    code, data = report_of(".", cwd=tmp_path)
    assert code == 2
    errors = {e["file"]: e for e in data["errors"]}
    assert set(errors) == {"broken.yaml", "broken.json"}
    assert errors["broken.yaml"]["line"] == 4 and "invalid YAML" in errors["broken.yaml"]["message"]
    assert errors["broken.json"]["line"] == 1 and "invalid JSON" in errors["broken.json"]["message"]
    assert [(f["file"], f["rule_id"]) for f in data["findings"]] == [("ok.yaml", "SQG102")]
    text = run("scan", ".", cwd=tmp_path)
    assert text.exit_code == 2
    assert "error: broken.yaml:4: invalid YAML" in text.output
    assert "Traceback" not in text.output


def test_missing_path_exits_2_with_a_message(tmp_path):
    result = run("scan", str(tmp_path / "missing"), str(CFN / "SQG101" / "good.yaml"))
    assert result.exit_code == 2
    assert "missing: path does not exist" in result.output


def test_unrelated_files_are_skipped_silently(tmp_path):
    (tmp_path / "ci.yml").write_text("jobs: {build: {runs-on: ubuntu-latest}}\n")
    (tmp_path / "package.json").write_text('{"name": "x"}\n')
    (tmp_path / "broken-but-unrelated.yaml").write_text("a: [\n")
    code, data = report_of(".", cwd=tmp_path)
    assert code == 0 and data["errors"] == [] and data["summary"]["files_scanned"] == 0


def test_text_output_is_grouped_and_clickable():
    result = run("scan", "SQG101/bad.yaml", "SQG102/bad.yaml", "--select", "SQG1", cwd=CFN)
    out = result.output
    assert "SQG101/bad.yaml\n  SQG101/bad.yaml:8: high SQG101 queue-unencrypted  OrdersQueue\n" in out
    assert "\033[" not in out  # no colour when not a terminal
    assert out.rstrip().splitlines()[-1].startswith("5 findings (2 high, 3 medium) in 2 files scanned")


def test_text_output_names_cdk_construct_paths():
    result = run("scan", str(FIXTURES / "cdk" / "nested" / "cdk.out"))
    assert "ScratchQueue6D3A44B6 (ParentStack/Workers/ScratchQueue)" in result.output


def test_json_to_file_and_text_to_stdout(tmp_path):
    out = tmp_path / "r.json"
    result = run("scan", str(CFN / "SQG101" / "bad.yaml"), "--format", "json", "--output", str(out), "--format", "text")
    assert result.exit_code == 1
    assert json.loads(out.read_text())["findings"]
    assert "queue-unencrypted" in result.output


def test_rules_lists_the_catalog_and_what_is_implemented():
    result = run("rules")
    assert result.exit_code == 0
    assert "SQG103  queue-aws-managed-key" in result.output
    from sqsguard.catalog import load_catalog
    from sqsguard.engine import rules_run

    total, done = len(load_catalog()), len(rules_run())
    assert "%d rules, %d implemented." % (total, done) in result.output
    assert result.output.count("(not implemented yet)") == total - done
    data = json.loads(run("rules", "--format", "json").output)
    assert {r["id"]: r["implemented"] for r in data}["SQG101"] is True


def test_explain_by_id_and_slug():
    by_id = run("explain", "SQG103", "--format", "markdown")
    by_slug = run("explain", "queue-aws-managed-key", "--format", "markdown")
    assert by_id.exit_code == 0 and by_id.output == by_slug.output
    for heading in ("## What it does", "## Why it matters", "## How to fix", "### Terraform", "### CloudFormation", "### CDK"):
        assert heading in by_id.output
    missing = run("explain", "SQG999")
    assert missing.exit_code == 2


def test_explain_renders_for_a_terminal():
    text = run("explain", "SQG103").output
    lines = text.splitlines()
    assert lines[0] == "SQG103 queue-aws-managed-key (medium)"
    assert "WHAT IT DOES" in lines and "HOW TO FIX" in lines and "Terraform" in lines
    assert "```" not in text
    assert '    resource "aws_sqs_queue" "orders" {' in lines  # code indented, without fences
    prose = [l for l in lines if l and not l.startswith("    ")]
    assert not any(l.startswith("#") or "`" in l for l in prose)
    assert max(len(l) for l in prose if " " in l.strip()) <= 100
    assert "\033[" not in text  # no colour when not on a terminal


def test_module_entry_point_reports_bad_input_without_a_traceback(tmp_path):
    (tmp_path / "bad.yaml").write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {\n")
    proc = subprocess.run(
        [sys.executable, "-m", "sqsguard", "scan", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "bad.yaml:4: invalid YAML" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_parallel_parsing_gives_the_same_report():
    serial = run("scan", "--format", "json", "--jobs", "1", str(FIXTURES)).output
    parallel = run("scan", "--format", "json", "--jobs", "2", str(FIXTURES)).output
    assert json.loads(serial)["summary"]["files_scanned"] > 16  # enough work for the pool to start
    assert serial == parallel


def test_readme_sample_output_is_what_the_command_prints():
    import shlex

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("```\n$ sqsguard scan ", 1)[1].split("```\n", 1)[0]
    command, expected = block.split("\n", 1)
    result = run(*shlex.split("scan " + command), cwd=Path(__file__).resolve().parents[1])
    assert result.output == expected


def test_selecting_an_unimplemented_rule_says_it_was_not_checked(monkeypatch):
    import sqsguard.rules

    every = sqsguard.rules.implemented()
    monkeypatch.setattr(sqsguard.rules, "implemented", lambda: {k: v for k, v in every.items() if k != "SQG501"})
    result = CliRunner().invoke(main, ["scan", str(CFN / "SQG101" / "good.yaml"), "--select", "SQG501"])
    assert "SQG501 is not implemented" in result.output  # CliRunner mixes stderr in
    assert "was not checked" in result.output


def test_help_lists_every_command_with_a_complete_summary():
    result = CliRunner().invoke(main, ["--help"], terminal_width=80)
    assert result.exit_code == 0
    commands = result.output.split("Commands:", 1)[1]
    assert "..." not in commands
    for name in ("scan", "rules", "explain", "config", "checkov-plugin-path", "cfn-lint-rules-path"):
        assert "\n  %s " % name in commands


def test_colour_follows_the_flag_and_no_color_force_color(monkeypatch):
    target = str(CFN / "SQG101" / "bad.yaml")
    assert "\033[" not in run("scan", target).output  # not a terminal
    assert "\033[" in run("scan", target, "--color", "always").output
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\033[" in run("scan", target).output
    assert "\033[" not in run("scan", target, "--color", "never").output
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in run("scan", target).output


def test_messages_wrap_to_a_width_only_when_asked():
    from sqsguard.engine import scan as run_scan
    from sqsguard.options import Options
    from sqsguard.report import render

    report = run_scan([str(CFN / "SQG103" / "bad.yaml")], Options(), jobs=1)
    plain = render("text", report)
    wrapped = render("text", report, width=60)
    assert max(len(l) for l in plain.splitlines()) > 60
    assert all(len(l) <= 60 or " " not in l.strip() for l in wrapped.splitlines() if l.startswith("      "))
    assert " ".join(wrapped.split()) == " ".join(plain.split())  # the same words
