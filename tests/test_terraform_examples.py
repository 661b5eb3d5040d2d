"""The Terraform examples scan as their README says."""

from __future__ import annotations

from pathlib import Path

from sqsguard.engine import scan
from sqsguard.options import Options

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "terraform"


def test_the_secure_stack_is_clean():
    report = scan([str(EXAMPLES / "orders-secure")], Options(), jobs=1)
    assert report.errors == []
    assert report.findings == []
    assert (report.queues, report.keys) == (6, 1)


def test_the_insecure_stack_shows_what_is_wrong():
    report = scan([str(EXAMPLES / "orders-insecure")], Options(), jobs=1)
    assert report.errors == []
    assert sorted((f.rule_id, f.resource) for f in report.findings) == [
        ("SQG101", "aws_sqs_queue.invoice_uploads"),
        ("SQG102", "aws_sqs_queue.orders_dlq"),
        ("SQG102", "module.payments.aws_sqs_queue.dlq"),
        ("SQG102", "module.payments.aws_sqs_queue.this"),
        ("SQG103", "aws_sqs_queue.orders"),
        ("SQG203", "aws_kms_key.invoices"),
        ("SQG207", "aws_kms_key.invoices"),
        ("SQG301", "aws_kms_key.invoices"),
        ("SQG302", "aws_kms_key.invoices"),
        ("SQG401", "aws_sqs_queue.orders"),  # SNS delivers to it: the AWS-managed key drops its messages
    ]


def test_a_variable_on_the_command_line_changes_the_verdict():
    report = scan([str(EXAMPLES / "orders-insecure")], Options(variables={"queue_kms_key": "alias/orders"}), jobs=1)
    messages = {f.resource: f for f in report.findings}
    assert messages["aws_sqs_queue.orders"].rule_id == "SQG104"  # a customer alias outside the code
