"""Hostile and broken files mixed into a repository: each is a diagnostic (file, and line where
known) or is skipped as unrelated; the other files are still scanned and judged; no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DEPTH = 50_000
GOOD = "Resources:\n  Kept:\n    Type: AWS::SQS::Queue\n"


def hostile(folder: Path, name: str) -> str | None:
    """Writes one hostile file; returns the start of the diagnostic expected for it (None: none)."""
    path = folder / name
    if name == "deep.json":
        path.write_text('{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"X": ' + "[" * DEPTH + "]" * DEPTH + "}}}}")
        return "invalid JSON: nested too deeply"
    if name == "deep.yaml":
        path.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      X: " + "[" * DEPTH + "]" * DEPTH + "\n")
        return "invalid YAML: exceeded maximum nesting depth"
    if name == "truncated.yaml":
        path.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags: [{Key: a, Value: \"b\n")
        return "invalid YAML"
    if name == "latin1.yaml":
        path.write_bytes("Resources:\n  Q:\n    Type: AWS::SQS::Queue # caf\xe9\n".encode("latin-1"))
        return "not UTF-8 text"
    if name == "random.json":
        path.write_bytes(bytes(range(256)) * 16)
        return None  # names no queue or key: not ours
    if name == "loop":
        path.mkdir()
        (path / "self").symlink_to(path, target_is_directory=True)
        return None
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["deep.json", "deep.yaml", "truncated.yaml", "latin1.yaml", "random.json", "loop"])
def test_a_hostile_file_is_said_and_the_rest_is_judged(tmp_path, name):
    (tmp_path / "good.yaml").write_text(GOOD)
    expected = hostile(tmp_path, name)
    done = subprocess.run([sys.executable, "-m", "sqsguard", "scan", str(tmp_path), "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert "Kept" in {f["resource"] for f in report["findings"]}
    if expected is None:
        assert report["errors"] == [] and done.returncode == 1
    else:
        assert done.returncode == 2
        assert [e["file"] for e in report["errors"]] == [name]
        assert report["errors"][0]["message"].startswith(expected)


def test_deeply_nested_hcl_is_read_in_bounded_time(tmp_path):
    """The deep list is read, and so is the block after it (its finding proves it)."""
    (tmp_path / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n  tags = ' + "[" * DEPTH + "]" * DEPTH + "\n}\n"
                                      'resource "aws_sqs_queue" "after" {\n  sqs_managed_sse_enabled = false\n}\n')
    done = subprocess.run([sys.executable, "-m", "sqsguard", "scan", str(tmp_path), "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "Traceback" not in done.stderr and done.returncode == 1
    report = json.loads(done.stdout)
    assert report["errors"] == []
    assert [(f["rule_id"], f["resource"], f["line"]) for f in report["findings"]] == [
        ("SQG102", "aws_sqs_queue.q", 1), ("SQG101", "aws_sqs_queue.after", 5)]
