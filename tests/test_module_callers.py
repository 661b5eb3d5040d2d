"""A child module that two root modules call: one finding per root, each saying which."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from sqsguard.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "callers"


def _repo(tmp_path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    (repo / ".git").mkdir()
    return repo


def test_each_root_gets_its_own_finding_message_fingerprint_and_json_root(tmp_path):
    repo = _repo(tmp_path)
    result = CliRunner().invoke(main, ["scan", str(repo), "--format", "json"])
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule_id"], f["resource"], f["root"]) for f in findings] == [
        ("SQG103", "module.q.aws_sqs_queue.this", "dev"),
        ("SQG103", "module.q.aws_sqs_queue.this", "prod"),
    ]
    assert findings[0]["message"].endswith("Reached from the root module %s." % (repo / "dev"))
    assert findings[0]["fingerprint"] != findings[1]["fingerprint"]


def test_text_output_never_repeats_a_line(tmp_path):
    repo = _repo(tmp_path)
    lines = CliRunner().invoke(main, ["scan", str(repo)]).stdout.splitlines()
    body = [line for line in lines if line.strip()]
    assert len(body) == len(set(body))


def test_a_baseline_keeps_both(tmp_path):
    repo = _repo(tmp_path)
    runner = CliRunner()
    runner.invoke(main, ["scan", str(repo), "--write-baseline", str(tmp_path / "b.json")])
    entries = json.loads((tmp_path / "b.json").read_text())["findings"]
    assert sorted(e["unit"] for e in entries) == ["dev", "prod"]
    again = runner.invoke(main, ["scan", str(repo), "--baseline", str(tmp_path / "b.json")])
    assert again.exit_code == 0 and "2 accepted" in again.stdout
