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


def test_a_remote_module_given_the_aws_managed_key_says_so(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "key" {\n  default = "alias/aws/sqs"\n}\n\nmodule "events" {\n'
        '  source            = "git::https://example.com/queues.git"\n  kms_master_key_id = var.key\n}\n'
    )
    (finding,) = scan([str(tmp_path)], Options(), jobs=1).findings
    assert finding.rule_id == "SQG104"
    assert finding.message.endswith(
        "It is given the AWS-managed key alias/aws/sqs (kms_master_key_id = var.key): a queue it encrypts with that is not on a customer-managed key."
    )


def test_the_place_that_set_a_value_is_named(tmp_path):
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text(
        'variable "rotate" {\n  type = bool\n}\n\nresource "aws_kms_key" "k" {\n  enable_key_rotation = var.rotate\n}\n\n'
        'resource "aws_sqs_queue" "q" {\n  kms_master_key_id = aws_kms_key.k.arn\n}\n'
    )
    (tmp_path / "main.tf").write_text('module "m" {\n  source = "./mod"\n  rotate = var.rotate\n}\n\nvariable "rotate" {\n  type = bool\n}\n')
    (tmp_path / "terraform.tfvars").write_text("rotate = false\n")
    report = scan([str(tmp_path)], Options(), jobs=1)
    (rotation,) = [f for f in report.findings if f.rule_id == "SQG301"]
    assert "(enable_key_rotation: var.rotate, set by %s:1)" % (tmp_path / "terraform.tfvars") in rotation.message
