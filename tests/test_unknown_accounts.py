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
    assert "statement #3 uses arn:aws:iam::${OtherAccount}:root (parameter OtherAccount has no Default" in messages["SQG208"]
    assert "2 statements of the key policy cannot be judged" in messages["SQG208"]
    assert "the one finding for this root" in messages["SQG202"]


def test_terraform_variable_account_without_a_value(tmp_path):
    shutil.copy(FIXTURES / "unknown-account.tf", tmp_path / "main.tf")
    rows, messages = _rows(tmp_path)
    assert rows == [("SQG208", 12)]
    assert "uses arn:aws:iam::${var.account_id}:root (variable account_id has no default" in messages["SQG208"]


def test_once_the_account_is_known_the_ordinary_rules_judge_it(tmp_path):
    shutil.copy(FIXTURES / "unknown-account.tf", tmp_path / "main.tf")
    report = scan([str(tmp_path)], Options(variables={"account_id": "444455556666"}), jobs=1)
    assert [f.rule_id for f in report.findings] == ["SQG202"]


KEY_WITH = """\
Parameters:
  Unknown:
    Type: String
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      Tags: [{Key: owner, Value: a}, {Key: workload, Value: b}, {Key: data-sensitivity, Value: c}]
      KeyPolicy:
        Statement:
          - Sid: Root
            Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
%s
"""


def _only(tmp_path, statement):
    (tmp_path / "t.yaml").write_text(KEY_WITH % statement)
    return [rule for rule, _ in _rows(tmp_path / "t.yaml")[0]]


def test_a_condition_value_that_cannot_be_read_is_not_a_missing_condition(tmp_path):
    service = """\
          - Sid: Sns
            Effect: Allow
            Principal: {Service: sns.amazonaws.com}
            Action: [kms:GenerateDataKey*, kms:Decrypt]
            Resource: "*"
            Condition: {ArnEquals: {"aws:SourceArn": !Ref Unknown}}"""
    assert _only(tmp_path, service) == ["SQG208"]  # not SQG206 "without an aws:SourceArn condition"
    public = service.replace("{Service: sns.amazonaws.com}", '"*"').replace("aws:SourceArn", "aws:PrincipalOrgID")
    assert _only(tmp_path, public) == ["SQG208"]  # the condition may pin "*": not SQG201
    assert _only(tmp_path, public.replace("!Ref Unknown", "o-abcdefghij")) == []  # pinned, readable


def test_an_allow_statement_that_cannot_be_read_may_be_the_one_that_is_missing(tmp_path):
    users = """\
          - Sid: Users
            Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:role/app"}
            Action: !Ref Unknown
            Resource: "*\""""
    assert _only(tmp_path, users) == ["SQG208"]  # not SQG204 "the only Allow statement gives the root"


def test_an_unknown_value_outside_the_conditions_leaves_the_verdict_standing(tmp_path):
    """A service principal whose region part cannot be read is still a service without a source
    condition: SQG206 holds, beside SQG208 for the unreadable part."""
    regional = """\
          - Sid: Logs
            Effect: Allow
            Principal: {Service: !Sub "logs.${Unknown}.amazonaws.com"}
            Action: [kms:Encrypt*, kms:Decrypt*]
            Resource: "*\""""
    assert _only(tmp_path, regional) == ["SQG206", "SQG208"]
