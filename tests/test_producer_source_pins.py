"""SQG402 reads aws:SourceArn: a key statement for the service pinned to another resource of the
code does not let this producer use the key (the copy-pasted statement of another stack)."""

from __future__ import annotations

from sqsguard.engine import scan
from sqsguard.options import Options

TEMPLATE = """\
Resources:
  OrdersTopic:
    Type: AWS::SNS::Topic
  RefundsTopic:
    Type: AWS::SNS::Topic
  Key:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
          - Effect: Allow
            Principal: {Service: sns.amazonaws.com}
            Action: [kms:GenerateDataKey*, kms:Decrypt]
            Resource: "*"
            Condition: {ArnEquals: {"aws:SourceArn": %s}}
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      KmsMasterKeyId: !GetAtt Key.Arn
  Subscription:
    Type: AWS::SNS::Subscription
    Properties:
      Protocol: sqs
      TopicArn: !Ref RefundsTopic
      Endpoint: !GetAtt Queue.Arn
"""


def _sqg402(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    report = scan([str(tmp_path / name)], Options(), select=["SQG402"], jobs=1)
    assert report.errors == []
    return [(f.resource, f.line, f.message) for f in report.findings]


def test_cloudformation_source_arn_naming_another_topic(tmp_path):
    ((resource, line, message),) = _sqg402(tmp_path, "t.yaml", TEMPLATE % "!Ref OrdersTopic")
    assert (resource, line) == ("Queue", 24)  # its KmsMasterKeyId
    assert message == (
        "SNS subscription Subscription (topic RefundsTopic) delivers to queue Queue, but the policy of its key Key "
        "does not allow sns.amazonaws.com kms:GenerateDataKey and kms:Decrypt for it (it allows it only with "
        "aws:SourceArn naming OrdersTopic): every delivery fails with a KMS access error — add the topic to that "
        "statement's aws:SourceArn values."
    )


def test_cloudformation_source_arn_naming_the_producer_or_a_literal_arn(tmp_path):
    assert _sqg402(tmp_path, "t.yaml", TEMPLATE % "[!Ref OrdersTopic, !Ref RefundsTopic]") == []
    # a literal ARN may be the producer's: not a guess either way
    assert _sqg402(tmp_path, "t.yaml", TEMPLATE % '"arn:aws:sns:eu-west-1:111111111111:refunds"') == []


TERRAFORM = """\
data "aws_caller_identity" "current" {}

resource "aws_sns_topic" "orders" {
  name = "orders"
}

resource "aws_sns_topic" "refunds" {
  name = "refunds"
}

resource "aws_kms_key" "k" {
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }, Action = "kms:*", Resource = "*" },
      { Effect = "Allow", Principal = { Service = "sns.amazonaws.com" }, Action = ["kms:GenerateDataKey*", "kms:Decrypt"], Resource = "*",
        Condition = { ArnEquals = { "aws:SourceArn" = %s } } },
    ]
  })
}

resource "aws_sqs_queue" "q" {
  kms_master_key_id = aws_kms_key.k.arn
}

resource "aws_sns_topic_subscription" "s" {
  topic_arn = aws_sns_topic.refunds.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.q.arn
}
"""


def test_terraform_source_arn_naming_another_topic(tmp_path):
    ((resource, line, message),) = _sqg402(tmp_path, "main.tf", TERRAFORM % "aws_sns_topic.orders.arn")
    assert (resource, line) == ("aws_sqs_queue.q", 24)
    assert "(it allows it only with aws:SourceArn naming aws_sns_topic.orders)" in message
    assert _sqg402(tmp_path, "main.tf", TERRAFORM % "aws_sns_topic.refunds.arn") == []
