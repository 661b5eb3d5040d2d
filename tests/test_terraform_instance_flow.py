"""Data flow through Terraform instances: `for_each` over another block, and consumers that name
one instance of a function whose instances run as different roles."""

from __future__ import annotations

from sqsguard.engine import scan
from sqsguard.options import Options

ROOT = '"arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"'

KEYS = """
data "aws_caller_identity" "current" {}

resource "aws_kms_key" "open" {
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Root", Effect = "Allow", Principal = { AWS = %(root)s }, Action = "kms:*", Resource = "*" },
      { Sid = "Sns", Effect = "Allow", Principal = { Service = "sns.amazonaws.com" },
        Action = ["kms:GenerateDataKey*", "kms:Decrypt"], Resource = "*",
        Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.events.arn } } },
    ]
  })
}

resource "aws_kms_key" "closed" {
  enable_key_rotation = true
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "Root", Effect = "Allow", Principal = { AWS = %(root)s }, Action = "kms:*", Resource = "*" }]
  })
}
""" % {"root": ROOT}

FAN_OUT = KEYS + """
resource "aws_sns_topic" "events" {
  name = "events"
}

resource "aws_sqs_queue" "team" {
  for_each          = { billing = aws_kms_key.open.arn, analytics = aws_kms_key.closed.arn }
  name              = "${each.key}-events"
  kms_master_key_id = each.value
}

resource "aws_sqs_queue_policy" "team" {
  for_each  = aws_sqs_queue.team
  queue_url = each.value.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "sns.amazonaws.com" }, Action = "sqs:SendMessage", Resource = each.value.arn }]
  })
}

resource "aws_sns_topic_subscription" "team" {
  for_each  = aws_sqs_queue.team
  topic_arn = aws_sns_topic.events.arn
  protocol  = "sqs"
  endpoint  = each.value.arn
}
"""


def _scan(tmp_path, text, select):
    (tmp_path / "main.tf").write_text(text)
    report = scan([str(tmp_path)], Options(), select=[select], jobs=1)
    assert report.errors == []
    return [(f.rule_id, f.resource, f.line) for f in report.findings], report


def test_for_each_over_a_queue_block_delivers_to_each_of_its_instances(tmp_path):
    found, report = _scan(tmp_path, FAN_OUT, "SQG402")
    assert found == [("SQG402", "aws_sqs_queue.team", 32)]
    (finding,) = report.findings
    assert "key aws_kms_key.closed does not allow sns.amazonaws.com kms:GenerateDataKey and kms:Decrypt" in finding.message


def test_for_each_over_a_queue_block_with_a_known_key_everywhere_is_clean(tmp_path):
    found, _ = _scan(tmp_path, FAN_OUT.replace("analytics = aws_kms_key.closed.arn", "analytics = aws_kms_key.open.arn"), "SQG402")
    assert found == []


ROLES = """
resource "aws_iam_role" "reader" {
  name               = "reader"
  assume_role_policy = "{}"
}

resource "aws_iam_role" "bare" {
  name               = "bare"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "reader" {
  role = aws_iam_role.reader.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["sqs:ReceiveMessage", "sqs:DeleteMessage"], Resource = "*" },
      { Effect = "Allow", Action = "kms:Decrypt", Resource = "*" },
    ]
  })
}

resource "aws_iam_role_policy" "bare" {
  role = aws_iam_role.bare.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["sqs:ReceiveMessage", "sqs:DeleteMessage"], Resource = "*" }]
  })
}

resource "aws_sqs_queue" "jobs" {
  for_each          = toset(["reader", "bare"])
  name              = "${each.key}-jobs"
  kms_master_key_id = aws_kms_key.closed.arn
}

resource "aws_lambda_function" "worker" {
  for_each      = { reader = aws_iam_role.reader.arn, bare = aws_iam_role.bare.arn }
  function_name = "${each.key}-worker"
  role          = each.value
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = "worker.zip"
}
"""


def test_a_mapping_to_one_instance_of_a_function_uses_that_instance_s_role(tmp_path):
    text = KEYS + ROLES + """
resource "aws_lambda_event_source_mapping" "bare" {
  event_source_arn = aws_sqs_queue.jobs["bare"].arn
  function_name    = aws_lambda_function.worker["bare"].arn
}
"""
    found, report = _scan(tmp_path, text, "SQG404")
    assert found == [("SQG404", "aws_sqs_queue.jobs", 57)]
    assert "but aws_iam_role.bare cannot kms:Decrypt" in report.findings[0].message
    found, _ = _scan(tmp_path, text.replace('worker["bare"]', 'worker["reader"]'), "SQG404")
    assert found == []


def test_a_mapping_per_instance_joins_each_queue_to_its_own_function(tmp_path):
    text = KEYS + ROLES + """
resource "aws_lambda_event_source_mapping" "each" {
  for_each         = toset(["reader", "bare"])
  event_source_arn = aws_sqs_queue.jobs[each.key].arn
  function_name    = aws_lambda_function.worker[each.key].arn
}
"""
    found, report = _scan(tmp_path, text, "SQG404")
    assert found == [("SQG404", "aws_sqs_queue.jobs", 57)]
    message = report.findings[0].message
    assert message.startswith('Lambda event source mapping aws_lambda_event_source_mapping.each["bare"] receives from queue')
    assert "aws_iam_role.reader" not in message


def test_a_function_whose_instances_run_as_different_roles_is_not_guessed(tmp_path):
    text = KEYS + ROLES + """
resource "aws_lambda_event_source_mapping" "any" {
  event_source_arn = aws_sqs_queue.jobs["bare"].arn
  function_name    = aws_lambda_function.worker[var.which].arn
}

variable "which" {
  type = string
}
"""
    found, _ = _scan(tmp_path, text, "SQG404")
    assert found == []
