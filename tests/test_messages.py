"""Messages speak the file's language."""

from __future__ import annotations

from pathlib import Path

from sqsguard.engine import scan
from sqsguard.options import Options

ROOT = Path(__file__).resolve().parents[1]


def test_terraform_messages_spell_this_account_as_terraform_does():
    report = scan([str(ROOT / "examples" / "terraform")], Options(), jobs=1)
    messages = [f.message for f in report.findings if f.format == "terraform"]
    assert any("${data.aws_caller_identity.current.account_id}" in m for m in messages)
    assert not any("${AWS::" in m for m in messages)


def test_cloudformation_messages_keep_the_pseudo_parameters():
    report = scan([str(ROOT / "tests" / "fixtures" / "cloudformation" / "SQG203" / "bad.yaml")], Options(), jobs=1)
    assert any("${AWS::AccountId}" in f.message or "AWS::AccountId" in f.message for f in report.findings)
