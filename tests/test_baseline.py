"""Baselines: written once on a legacy repository, the scan passes until something new appears;
fingerprints survive moved code and other working directories."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from sqsguard.cli import main
from sqsguard.report.jsonreport import SCHEMA_PATH

ROOT = Path(__file__).resolve().parents[1]


def _invoke(args, cwd):
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args)
    finally:
        os.chdir(previous)


def _legacy(tmp_path) -> Path:
    repo = tmp_path / "legacy"
    shutil.copytree(ROOT / "examples", repo / "infra")
    (repo / ".git").mkdir()
    return repo


def _report(result) -> dict:
    data = json.loads(result.stdout)
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
    return data


def test_round_trip_from_another_directory_after_moving_code(tmp_path):
    repo = _legacy(tmp_path)
    written = _invoke(["scan", "infra", "--write-baseline", ".sqsguard-baseline.json", "--format", "json"], repo)
    assert written.exit_code == 0, written.output
    summary = _report(written)["summary"]
    assert summary["baseline"]["written"] is True and summary["baseline"]["entries"] == 21
    assert summary["by_severity"] == {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0}

    baseline = json.loads((repo / ".sqsguard-baseline.json").read_text())
    assert baseline["version"] == 1 and len(baseline["findings"]) == 21
    assert all(set(e) == {"fingerprint", "rule_id", "resource", "unit", "file"} for e in baseline["findings"])
    assert all(not e["file"].startswith(("/", "..")) and e["file"].startswith("infra/") for e in baseline["findings"])
    assert baseline["findings"] == sorted(baseline["findings"], key=lambda e: (e["file"], e["rule_id"], e["resource"], e["fingerprint"]))

    # Move things: lines shift in a template, a Terraform block moves to another file of its module.
    template = repo / "infra" / "cloudformation" / "payments-needs-work.yaml"
    template.write_text("# moved down by a comment\n\n" + template.read_text())
    main_tf = repo / "infra" / "terraform" / "orders-insecure" / "main.tf"
    text = main_tf.read_text()
    start = text.index('resource "aws_sqs_queue"')
    end = text.index("\n}\n", start) + 3
    (main_tf.parent / "moved.tf").write_text(text[start:end])
    main_tf.write_text(text[:start] + text[end:])

    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    rerun = _invoke(["scan", str(repo / "infra"), "--baseline", str(repo / ".sqsguard-baseline.json"), "--format", "json"], elsewhere)
    assert rerun.exit_code == 0, rerun.output
    data = _report(rerun)
    assert data["summary"]["baseline"] == {"file": str(repo / ".sqsguard-baseline.json"), "entries": 21, "accepted": 21, "new": 0, "fixed": 0, "written": False}
    assert all(f["suppressed"] and f["suppression"]["kind"] == "baseline" for f in data["findings"])


def test_new_findings_fail_and_fixed_entries_are_counted(tmp_path):
    repo = _legacy(tmp_path)
    assert _invoke(["scan", "infra", "--write-baseline", "b.json"], repo).exit_code == 0
    template = repo / "infra" / "cloudformation" / "payments-needs-work.yaml"
    text = template.read_text()
    # Fix one queue (LegacyQueue turns SSE off) and add a new weak queue.
    fixed = text.replace("SqsManagedSseEnabled: false", "SqsManagedSseEnabled: true")
    assert fixed != text
    template.write_text(fixed + "  NewQueue:\n    Type: AWS::SQS::Queue\n")
    result = _invoke(["scan", "infra", "--baseline", "b.json"], repo)
    assert result.exit_code == 1
    assert "NewQueue" in result.output and "LegacyQueue" in result.output  # LegacyQueue is now SQG102: new
    last = result.output.strip().splitlines()[-1]
    assert "Baseline b.json: 2 new findings, 20 accepted, 1 of its 21 entries fixed." in last


def test_an_unusable_baseline_is_exit_2_with_one_line(tmp_path):
    repo = _legacy(tmp_path)
    (repo / "b.json").write_text("{not json")
    result = _invoke(["scan", "infra", "--baseline", "b.json"], repo)
    assert result.exit_code == 2
    assert result.output.strip() == "error: b.json:1: not a baseline file (invalid JSON: Expecting property name enclosed in double quotes)"
    result = _invoke(["scan", "infra", "--baseline", "missing.json"], repo)
    assert result.exit_code == 2 and "no such baseline file" in result.output


def test_the_baseline_file_is_byte_identical_when_nothing_changed(tmp_path):
    repo = _legacy(tmp_path)
    _invoke(["scan", "infra", "--write-baseline", "a.json"], repo)
    _invoke(["scan", ".", "--write-baseline", "b.json"], repo / "infra" / "..")
    assert (repo / "a.json").read_bytes() == (repo / "b.json").read_bytes()


def test_baseline_from_the_configuration(tmp_path):
    repo = _legacy(tmp_path)
    (repo / "ci").mkdir()
    _invoke(["scan", "infra", "--write-baseline", "ci/baseline.json"], repo)
    (repo / ".sqsguard.yaml").write_text("baseline: ci/baseline.json\n")
    result = _invoke(["scan", "."], repo / "infra")
    assert result.exit_code == 0, result.output
    assert "21 accepted" in result.output
