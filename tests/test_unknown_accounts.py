"""A principal whose account cannot be known is neither this account nor a foreign one: the
key-policy rules that need to know stay silent, and SQG208 says so once."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqsguard.engine import scan
from sqsguard.options import Options

FIXTURES = Path(__file__).parent / "fixtures" / "accounts"


def _rows(path):
    report = scan([str(path)], Options(), jobs=1)
    assert report.errors == []
    return [(f.rule_id, f.line) for f in report.findings], {f.rule_id: f.message for f in report.findings}


def test_cloudformation_unknown_accounts_get_sqg208_once_and_a_known_foreign_root_sqg202_once():
    rows, messages = _rows(FIXTURES / "unknown-account.yaml")
    assert rows == [("SQG208", 20), ("SQG202", 28)]  # no SQG203/SQG207 for the unknown root or role
    assert "statement #3 names arn:aws:iam::${OtherAccount}:root (parameter OtherAccount has no Default" in messages["SQG208"]
    assert "2 statements of the key policy cannot be judged" in messages["SQG208"]
    assert "the one finding for this root" in messages["SQG202"]


def test_terraform_variable_account_without_a_value(tmp_path):
    shutil.copy(FIXTURES / "unknown-account.tf", tmp_path / "main.tf")
    rows, messages = _rows(tmp_path)
    assert rows == [("SQG208", 12)]
    assert "names arn:aws:iam::${var.account_id}:root (variable account_id has no default" in messages["SQG208"]


def test_once_the_account_is_known_the_ordinary_rules_judge_it(tmp_path):
    shutil.copy(FIXTURES / "unknown-account.tf", tmp_path / "main.tf")
    report = scan([str(tmp_path)], Options(variables={"account_id": "444455556666"}), jobs=1)
    assert [f.rule_id for f in report.findings] == ["SQG202"]
