"""Key policies written in Terraform become IAM JSON documents whose statements keep their lines."""

from __future__ import annotations

import json

from sqsguard.model import OWN_ACCOUNT, PARTITION, Conditional, Unresolved, render
from test_terraform_support import key, read, write_tree


def policy_of(tmp_path, files: dict, address: str = "aws_kms_key.k"):
    write_tree(tmp_path, files)
    outcome = read(tmp_path)
    assert outcome.errors == []
    return key(outcome, address).policy


def test_jsonencode_statements_have_their_own_lines(tmp_path):
    policy = policy_of(
        tmp_path,
        {
            "main.tf": """
            data "aws_caller_identity" "current" {}

            resource "aws_kms_key" "k" {
              policy = jsonencode({
                Version = "2012-10-17"
                Statement = [
                  {
                    Sid       = "Root"
                    Effect    = "Allow"
                    Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
                    Action    = "kms:*"
                    Resource  = "*"
                  },
                  {
                    Sid       = "Sns"
                    Effect    = "Allow"
                    Principal = { Service = "sns.amazonaws.com" }
                    Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
                    Resource  = "*"
                  },
                ]
              })
            }
            """
        },
    )
    assert policy.location.line == 4
    statements = policy.value["Statement"]
    assert [(s["Sid"], s.line, s.end_line) for s in statements] == [("Root", 7, 13), ("Sns", 14, 20)]
    assert statements[0]["Principal"] == {"AWS": "arn:aws:iam::%s:root" % OWN_ACCOUNT}
    assert statements[1].key_lines["Action"] == (18, 18)
    assert json.loads(json.dumps(policy.value))["Version"] == "2012-10-17"


def test_heredoc_json_is_parsed_with_lines_in_the_tf_file(tmp_path):
    policy = policy_of(
        tmp_path,
        {
            "main.tf": """
            resource "aws_kms_key" "k" {
              description = "x"
              policy      = <<-POLICY
                {
                  "Version": "2012-10-17",
                  "Statement": [
                    {
                      "Sid": "Root",
                      "Effect": "Allow",
                      "Principal": {"AWS": "arn:${data.aws_partition.p.partition}:iam::${var.account}:root"},
                      "Action": "kms:*",
                      "Resource": "*"
                    }
                  ]
                }
              POLICY
            }
            data "aws_partition" "p" {}
            variable "account" {}
            """
        },
    )
    statement = policy.value["Statement"][0]
    assert (statement.line, statement.end_line) == (7, 13)
    principal = statement["Principal"]["AWS"]
    assert render(principal) == "arn:%s:iam::${var.account}:root" % PARTITION


def test_policy_document_data_source(tmp_path):
    policy = policy_of(
        tmp_path,
        {
            "main.tf": """
            data "aws_iam_policy_document" "key" {
              statement {
                sid       = "Root"
                actions   = ["kms:*"]
                resources = ["*"]
                principals {
                  type        = "AWS"
                  identifiers = ["arn:aws:iam::111122223333:root"]
                }
              }
              statement {
                sid     = "Sns"
                effect  = "Allow"
                actions = ["kms:Decrypt", "kms:GenerateDataKey*"]
                principals {
                  type        = "Service"
                  identifiers = ["sns.amazonaws.com"]
                }
                condition {
                  test     = "ArnEquals"
                  variable = "aws:SourceArn"
                  values   = [aws_sns_topic.t.arn]
                }
                condition {
                  test     = "StringEquals"
                  variable = "aws:SourceAccount"
                  values   = ["111122223333"]
                }
              }
              statement {
                sid       = "Public"
                actions   = ["kms:Decrypt"]
                resources = ["*"]
                principals {
                  type        = "*"
                  identifiers = ["*"]
                }
              }
            }
            resource "aws_sns_topic" "t" {}
            resource "aws_kms_key" "k" {
              policy = data.aws_iam_policy_document.key.json
            }
            """
        },
    )
    statements = policy.value["Statement"]
    assert policy.value["Version"] == "2012-10-17"
    assert [(s["Sid"], s.line) for s in statements] == [("Root", 2), ("Sns", 11), ("Public", 30)]
    assert statements[0]["Effect"] == "Allow"
    assert statements[0]["Principal"] == {"AWS": ["arn:aws:iam::111122223333:root"]}
    assert statements[1]["Principal"] == {"Service": ["sns.amazonaws.com"]}
    condition = statements[1]["Condition"]
    assert list(condition) == ["ArnEquals", "StringEquals"]
    assert condition["StringEquals"] == {"aws:SourceAccount": ["111122223333"]}
    assert condition["ArnEquals"]["aws:SourceArn"][0].address == "aws_sns_topic.t"
    assert statements[2]["Principal"] == "*"


def test_policy_document_dynamic_statements_and_merging(tmp_path):
    policy = policy_of(
        tmp_path,
        {
            "main.tf": """
            locals {
              users = { app = "arn:aws:iam::111122223333:role/app", ops = "arn:aws:iam::111122223333:role/ops" }
            }
            data "aws_iam_policy_document" "base" {
              statement {
                sid       = "Root"
                actions   = ["kms:*"]
                resources = ["*"]
              }
              statement {
                sid     = "use-app"
                actions = ["kms:Encrypt"]
              }
            }
            data "aws_iam_policy_document" "key" {
              source_policy_documents = [data.aws_iam_policy_document.base.json]
              dynamic "statement" {
                for_each = local.users
                content {
                  sid     = "use-${statement.key}"
                  actions = ["kms:Decrypt"]
                  principals {
                    type        = "AWS"
                    identifiers = [statement.value]
                  }
                }
              }
              override_policy_documents = [jsonencode({
                Statement = [{ Sid = "Root", Effect = "Allow", Action = "kms:Describe*", Resource = "*" }]
              })]
            }
            resource "aws_kms_key" "k" {
              policy = coalesce(var.policy, data.aws_iam_policy_document.key.json)
            }
            variable "policy" {
              default = null
            }
            """
        },
    )
    statements = policy.value["Statement"]
    assert [(s["Sid"], s["Action"]) for s in statements] == [
        ("Root", "kms:Describe*"),
        ("use-app", ["kms:Decrypt"]),
        ("use-ops", ["kms:Decrypt"]),
    ]
    assert statements[1]["Principal"] == {"AWS": ["arn:aws:iam::111122223333:role/app"]}
    assert statements[1].line == 19  # the content block


def test_unknown_dynamic_statements_stay_visible(tmp_path):
    policy = policy_of(
        tmp_path,
        {
            "main.tf": """
            variable "statements" {}
            data "aws_iam_policy_document" "key" {
              statement {
                sid     = "Root"
                actions = ["kms:*"]
              }
              dynamic "statement" {
                for_each = var.statements
                content {
                  actions = statement.value.actions
                }
              }
            }
            resource "aws_kms_key" "k" {
              policy = data.aws_iam_policy_document.key.json
            }
            """
        },
    )
    statements = policy.value["Statement"]
    assert statements[0]["Sid"] == "Root"
    assert isinstance(statements[1], Unresolved) and "for_each is not known" in statements[1].reason


def test_policies_from_files_strings_variables_and_conditionals(tmp_path):
    write_tree(
        tmp_path,
        {
            "policy.json": json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "FromFile", "Effect": "Allow"}]}),
            "policy.tpl": '{"Version": "2012-10-17", "Statement": [{"Sid": "${sid}", "Effect": "Allow"}]}',
            "main.tf": """
            variable "external_policy" {}
            variable "strict" {}
            resource "aws_kms_key" "from_file" {
              policy = file("${path.module}/policy.json")
            }
            resource "aws_kms_key" "from_template" {
              policy = templatefile("policy.tpl", { sid = "FromTemplate" })
            }
            resource "aws_kms_key" "from_string" {
              policy = "{\\"Statement\\": [{\\"Sid\\": \\"FromString\\"}]}"
            }
            resource "aws_kms_key" "from_variable" {
              policy = var.external_policy
            }
            resource "aws_kms_key" "switch" {
              policy = var.strict ? file("policy.json") : templatefile("policy.tpl", { sid = "Loose" })
            }
            resource "aws_kms_key" "none" {}
            """,
        },
    )
    outcome = read(tmp_path)
    assert outcome.errors == []
    assert key(outcome, "aws_kms_key.from_file").policy.value["Statement"][0]["Sid"] == "FromFile"
    # lines inside another file are not lines of the .tf file: the statements sit at the call
    assert key(outcome, "aws_kms_key.from_file").policy.value["Statement"][0].line == 4
    assert key(outcome, "aws_kms_key.from_template").policy.value["Statement"][0]["Sid"] == "FromTemplate"
    assert key(outcome, "aws_kms_key.from_string").policy.value["Statement"][0]["Sid"] == "FromString"
    unresolved = key(outcome, "aws_kms_key.from_variable").policy.value
    assert isinstance(unresolved, Unresolved) and unresolved.expr == "var.external_policy"
    switch = key(outcome, "aws_kms_key.switch").policy.value
    assert isinstance(switch, Conditional) and switch.condition == "var.strict"
    assert switch.if_false["Statement"][0]["Sid"] == "Loose"
    assert key(outcome, "aws_kms_key.none").policy is None


def test_key_policy_attachment_replaces_the_keys_policy(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            resource "aws_kms_key" "k" {
              description = "x"
            }
            resource "aws_kms_key_policy" "k" {
              key_id = aws_kms_key.k.id
              policy = jsonencode({
                Statement = [{ Sid = "Attached", Effect = "Allow", Principal = "*", Action = "kms:*" }]
              })
              bypass_policy_lockout_safety_check = true
            }
            """
        },
    )
    outcome = read(tmp_path)
    k = key(outcome, "aws_kms_key.k")
    assert k.policy_attachment is not None and k.policy_attachment.address == "aws_kms_key_policy.k"
    assert k.policy.value["Statement"][0]["Sid"] == "Attached"
    assert k.policy.value["Statement"][0].line == 7
    assert k.bypass_lockout.value is True


def test_producers_and_queue_policies_are_read_into_the_model(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            resource "aws_sqs_queue" "q" {}
            resource "aws_sns_topic" "t" {}
            resource "aws_sns_topic_subscription" "s" {
              topic_arn = aws_sns_topic.t.arn
              protocol  = "sqs"
              endpoint  = aws_sqs_queue.q.arn
            }
            resource "aws_s3_bucket_notification" "n" {
              bucket = "b"
              queue {
                queue_arn = aws_sqs_queue.q.arn
                events    = ["s3:ObjectCreated:*"]
              }
            }
            resource "aws_sqs_queue_policy" "p" {
              queue_url = aws_sqs_queue.q.id
              policy    = jsonencode({ Statement = [{ Effect = "Allow", Principal = { Service = "sns.amazonaws.com" }, Action = "sqs:SendMessage" }] })
            }
            resource "aws_instance" "ignored" {
              ami = "ami-1"
            }
            """
        },
    )
    model = read(tmp_path).model
    assert [(p.address, p.kind, p.service, p.source, p.queue.address) for p in model.producers] == [
        ("aws_sns_topic_subscription.s", "SNS subscription", "sns.amazonaws.com", "topic aws_sns_topic.t", "aws_sqs_queue.q"),
        ("aws_s3_bucket_notification.n", "S3 event notification", "s3.amazonaws.com", "bucket b", "aws_sqs_queue.q"),
    ]
    (queue_policy,) = model.queue_policies
    assert [q.address for q in queue_policy.queues] == ["aws_sqs_queue.q"]
    assert queue_policy.document.value["Statement"][0]["Principal"] == {"Service": "sns.amazonaws.com"}
    assert not any(r.address == "aws_instance.ignored" for r in model.resources())
