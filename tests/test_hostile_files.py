"""Hostile and broken files mixed into a repository: each is a diagnostic (file, and line where
known) or is skipped as unrelated; the other files are still scanned and judged; no traceback."""

from __future__ import annotations

import json
import os
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


def test_deeply_nested_hcl_is_refused_with_its_line_and_the_module_still_read(tmp_path):
    """HCL 50,000 brackets deep parsed in seconds and hundreds of MB (a million deep: 40 s,
    1.3 GB); like YAML and JSON that deep, it is refused with its line. The module's other file
    is still read (its finding proves it)."""
    (tmp_path / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n  tags = ' + "[ " * DEPTH + "]" * DEPTH + "\n}\n")
    (tmp_path / "after.tf").write_text('resource "aws_sqs_queue" "after" {\n  sqs_managed_sse_enabled = false\n}\n')
    done = subprocess.run([sys.executable, "-m", "sqsguard", "scan", str(tmp_path), "--format", "json", "--no-cache"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "Traceback" not in done.stderr and done.returncode == 2
    report = json.loads(done.stdout)
    assert report["errors"] == [{"file": "main.tf", "line": 2,
                                 "message": "invalid HCL: more than 200 brackets opened in a row (nested too deeply to read)"}]
    assert [(f["rule_id"], f["resource"], f["line"]) for f in report["findings"]] == [("SQG101", "aws_sqs_queue.after", 2)]  # the attribute at fault


def test_text_that_is_not_utf8_is_said_with_its_line(tmp_path):
    """Latin-1 in a template, a Terraform file and the configuration: the line of the first byte
    that is not UTF-8 (after a byte order mark, counted from the file's start)."""
    (tmp_path / "stack.yaml").write_bytes("Resources:\n  Q:\n    Type: AWS::SQS::Queue # caf\xe9\n".encode("latin-1"))
    (tmp_path / "main.tf").write_bytes(b'\xef\xbb\xbfresource "aws_sqs_queue" "q" {\n  name = "q"\n  # \xe9t\xe9\n}\n')
    done = subprocess.run([sys.executable, "-m", "sqsguard", "scan", ".", "--format", "json", "--no-cache"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "Traceback" not in done.stderr and done.returncode == 2
    assert sorted((e["file"], e["line"], e["message"]) for e in json.loads(done.stdout)["errors"]) == [
        ("main.tf", 3, "not UTF-8 text (byte 51)"), ("stack.yaml", 3, "not UTF-8 text (byte 47)")]
    (tmp_path / ".sqsguard.yaml").write_bytes(b"fail_on: high\n# caf\xe9\n")
    done = subprocess.run([sys.executable, "-m", "sqsguard", "scan", ".", "--no-cache"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 2 and ".sqsguard.yaml:2: not UTF-8 text (byte 19)" in done.stderr, done.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="needs FIFOs and /dev/zero")
def test_fifos_and_devices_never_hang_a_scan(tmp_path):
    """A FIFO blocks whoever opens it for reading, /dev/zero never ends: in a scanned folder,
    named on the command line, in another folder of the repository (searched for module
    callers) or in place of a cache entry, each is said or passed over, never waited on."""
    import os

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "mod").mkdir()
    (repo / "other").mkdir()
    (repo / "other" / "ok.tf").write_text('resource "aws_sqs_queue" "q" {}\n')
    os.mkfifo(repo / "mod" / "f.tf")
    os.mkfifo(repo / "mod" / "g.yaml")
    (repo / "mod" / "z.yaml").symlink_to("/dev/zero")
    cache = tmp_path / "cache"

    def run(*args):
        done = subprocess.run([sys.executable, "-m", "sqsguard", "scan", *args, "--format", "json", "--cache-dir", str(cache)],
                              capture_output=True, text=True, timeout=120, cwd=repo)
        assert "Traceback" not in done.stderr
        return done.returncode, json.loads(done.stdout)

    code, report = run(".")
    assert code == 2
    assert sorted((e["file"], e["message"]) for e in report["errors"]) == [
        ("mod/g.yaml", "cannot read: not a regular file (a FIFO)"),
        ("mod/z.yaml", "cannot read: not a regular file (a device)"),
    ]
    assert [f["resource"] for f in report["findings"]] == ["aws_sqs_queue.q"]
    code, report = run("mod/g.yaml")
    assert (code, report["errors"]) == (2, [{"file": "mod/g.yaml", "line": None,
                                             "message": "not a regular file or directory (a FIFO, a device or a socket), not read"}])
    code, report = run("other/ok.tf")  # the caller search walks past mod/f.tf
    assert (code, [f["resource"] for f in report["findings"]]) == (1, ["aws_sqs_queue.q"])
    from sqsguard.result_cache import FORMAT

    written = list((cache / ("results-v%d" % FORMAT)).iterdir())
    assert written
    for entry in written:
        entry.unlink()
        os.mkfifo(entry)
    code, again = run("other/ok.tf")
    assert again == report
