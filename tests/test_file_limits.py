"""Files over the size limit are not read and are said, never a silent pass; the limit is
configurable (max_file_mb), and the other files are still scanned."""

from __future__ import annotations

import json
import os

from click.testing import CliRunner

from sqsguard.cli import main

QUEUE = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n"


def scan(path, *args):
    previous = os.getcwd()
    os.chdir(path)
    try:
        return CliRunner().invoke(main, ["scan", ".", "--format", "json", *args], catch_exceptions=False)
    finally:
        os.chdir(previous)


def test_a_large_template_is_reported_and_the_rest_is_scanned(tmp_path):
    (tmp_path / "big.yaml").write_text(QUEUE + "# padding\n" * 120_000)  # about 1.2 MB
    (tmp_path / "small.yaml").write_text(QUEUE.replace("Q:", "Small:"))
    (tmp_path / "unrelated.json").write_text(json.dumps({"data": "x" * 1_300_000}))
    (tmp_path / ".sqsguard.yaml").write_text("max_file_mb: 1\n")
    result = scan(tmp_path)
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["errors"] == [{"file": "big.yaml", "line": None,
                                 "message": "larger than the 1 MB limit, not read (max_file_mb in the configuration raises it)"}]
    assert {f["resource"] for f in report["findings"]} == {"Small"}  # unrelated large files stay quiet
    (tmp_path / ".sqsguard.yaml").write_text("max_file_mb: 2\n")
    result = scan(tmp_path)
    assert result.exit_code == 1 and {f["resource"] for f in json.loads(result.stdout)["findings"]} == {"Q", "Small"}


def test_a_large_terraform_file_is_reported(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_sqs_queue" "q" {}\n' + "# padding\n" * 120_000)
    (tmp_path / ".sqsguard.yaml").write_text("max_file_mb: 1\n")
    result = scan(tmp_path)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["errors"][0]["message"] == "larger than the 1 MB limit for Terraform files, not read"


def test_a_100_mb_template_is_refused_at_the_default_limit_without_reading_it_all(tmp_path):
    big = tmp_path / "huge.yaml"
    with open(big, "w") as handle:
        handle.write(QUEUE)
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB on paper, nothing on disk
    (tmp_path / "small.yaml").write_text(QUEUE.replace("Q:", "Small:"))
    result = scan(tmp_path, "--no-cache")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["errors"] == [{"file": "huge.yaml", "line": None,
                                 "message": "larger than the 50 MB limit, not read (max_file_mb in the configuration raises it)"}]
    assert {f["resource"] for f in report["findings"]} == {"Small"}


def test_a_large_pulumi_program_is_reported_not_dropped(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: q\nruntime: yaml\nresources:\n  orders:\n    type: aws:sqs:Queue\n"
                                          + "# padding\n" * 120_000)
    (tmp_path / ".sqsguard.yaml").write_text("max_file_mb: 1\n")
    result = scan(tmp_path)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["errors"] == [
        {"file": "Pulumi.yaml", "line": None, "message": "larger than the 1 MB limit, not read (max_file_mb in the configuration raises it)"}]
