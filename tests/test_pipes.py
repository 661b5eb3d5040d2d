"""EventBridge Pipes: the pipe's role receives from its source queue and sends to its target."""

from __future__ import annotations

from pathlib import Path

from sqsguard.engine import scan
from sqsguard.options import Options

PIPES = Path(__file__).parent / "fixtures" / "pipes"


def _rows(path):
    report = scan([str(path)], Options(), select=["SQG4"], jobs=1)
    assert report.errors == []
    return [(f.rule_id, f.resource) for f in report.findings]


def test_terraform_pipe_role_without_key_grants():
    assert _rows(PIPES / "main.tf") == [("SQG404", "aws_sqs_queue.in"), ("SQG405", "aws_sqs_queue.out")]


def test_cloudformation_pipe_role_that_may_decrypt_its_source_but_not_encrypt_for_its_target():
    assert _rows(PIPES / "pipe.yaml") == [("SQG405", "Out")]
