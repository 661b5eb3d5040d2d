"""The terraform-aws-modules sqs and kms modules, modelled from their inputs and defaults."""

from __future__ import annotations

import pytest

from sqsguard.model import Encryption, ResourceRef, Unresolved
from sqsguard.parsers.terraform.registry import MODELLED, registry_kind
from test_terraform_support import key, queue, read, write_tree


@pytest.mark.parametrize(
    "source, kind",
    [
        ("terraform-aws-modules/sqs/aws", "sqs"),
        ("registry.terraform.io/terraform-aws-modules/sqs/aws", "sqs"),
        ("git::https://github.com/terraform-aws-modules/terraform-aws-sqs.git?ref=v4.2.0", "sqs"),
        ("github.com/terraform-aws-modules/terraform-aws-kms", "kms"),
        ("terraform-aws-modules/kms/aws", "kms"),
        ("terraform-aws-modules/sqs/aws//wrappers", None),
        ("terraform-aws-modules/sns/aws", None),
        ("cloudposse/sqs-queue/aws", None),
    ],
)
def test_registry_kind(source, kind):
    assert registry_kind(source) == kind


def test_each_modelled_module_is_a_module_of_its_own_behind_one_interface():
    assert sorted(MODELLED) == ["kms", "sqs"]
    for kind, cls in MODELLED.items():
        assert registry_kind(cls.source_name) == kind
        assert cls.__module__ == "sqsguard.parsers.terraform.registry.%s" % kind
        assert "create" in vars(cls) and "outputs" in vars(cls)


def module_tree(tmp_path, body: str):
    write_tree(tmp_path, {"main.tf": body})
    outcome = read(tmp_path)
    assert outcome.errors == []
    return outcome


def test_sqs_module_defaults_to_sse_sqs(tmp_path):
    outcome = module_tree(tmp_path, 'module "orders" {\n  source = "terraform-aws-modules/sqs/aws"\n  name = "orders"\n}\n')
    q = queue(outcome, "module.orders.aws_sqs_queue.this")
    assert q.sse.value is True and q.kms_key is None
    assert q.encryption.mode is Encryption.SQS_OWNED and q.encryption.explicit
    assert q.location.line == 1  # the call block
    assert [x.address for x in outcome.model.queues] == ["module.orders.aws_sqs_queue.this"]


def test_sqs_module_with_the_aws_managed_key(tmp_path):
    outcome = module_tree(
        tmp_path,
        """
        module "orders" {
          source            = "terraform-aws-modules/sqs/aws"
          name              = "orders"
          kms_master_key_id = "alias/aws/sqs"
        }
        """,
    )
    q = queue(outcome, "module.orders.aws_sqs_queue.this")
    assert q.encryption.mode is Encryption.AWS_MANAGED
    assert q.kms_key.location.line == 4 and q.kms_key.text == '"alias/aws/sqs"'
    assert q.sse is None  # the module drops the flag when a key is given: never SQG105
    assert not any(c.sse_conflict for c in q.choices)


def test_sqs_module_dead_letter_queue_inherits_the_key(tmp_path):
    outcome = module_tree(
        tmp_path,
        """
        resource "aws_kms_key" "k" {}
        module "orders" {
          source            = "terraform-aws-modules/sqs/aws"
          name              = "orders"
          kms_master_key_id = aws_kms_key.k.arn
          create_dlq        = true
          dlq_tags          = { tier = "dlq" }
          tags              = { team = "payments" }
        }
        """,
    )
    main = queue(outcome, "module.orders.aws_sqs_queue.this")
    dlq = queue(outcome, "module.orders.aws_sqs_queue.dlq")
    for q in (main, dlq):
        assert q.encryption.mode is Encryption.CUSTOMER_KEY
        assert q.encryption.key_address == "aws_kms_key.k"
    assert main.dead_letter_target == ResourceRef(".", "module.orders.aws_sqs_queue.dlq", "arn", "module.orders.aws_sqs_queue.dlq.arn")
    assert dlq.tags == {"team": "payments", "tier": "dlq"}
    assert dlq.attr_name("kms_key") == "dlq_kms_master_key_id"


def test_sqs_module_dead_letter_queue_with_its_own_settings(tmp_path):
    outcome = module_tree(
        tmp_path,
        """
        module "orders" {
          source                      = "terraform-aws-modules/sqs/aws"
          create_dlq                  = true
          dlq_sqs_managed_sse_enabled = false
        }
        """,
    )
    assert queue(outcome, "module.orders.aws_sqs_queue.this").encryption.mode is Encryption.SQS_OWNED
    dlq = queue(outcome, "module.orders.aws_sqs_queue.dlq")
    assert dlq.encryption.mode is Encryption.NONE
    assert dlq.sse.location.line == 4


def test_sqs_module_create_false_creates_nothing(tmp_path):
    outcome = module_tree(tmp_path, 'module "q" {\n  source = "terraform-aws-modules/sqs/aws"\n  create = false\n}\n')
    assert outcome.model.queues == []


def test_sqs_module_outputs(tmp_path):
    outcome = module_tree(
        tmp_path,
        """
        module "dlq" {
          source = "terraform-aws-modules/sqs/aws"
        }
        resource "aws_sqs_queue" "q" {
          redrive_policy = jsonencode({ deadLetterTargetArn = module.dlq.queue_arn })
        }
        """,
    )
    assert queue(outcome, "aws_sqs_queue.q").dead_letter_target == ResourceRef(
        ".", "module.dlq.aws_sqs_queue.this", "arn", "module.dlq.queue_arn"
    )


KMS_CALL = """
data "aws_caller_identity" "current" {}

module "kms" {
  source  = "terraform-aws-modules/kms/aws"
  version = "~> 3.0"

  description        = "queues"
  key_administrators = ["arn:aws:iam::111122223333:role/admin"]
  key_users          = ["arn:aws:iam::111122223333:role/app"]
  key_service_users  = ["arn:aws:iam::111122223333:role/svc"]
  key_statements = [
    {
      sid        = "SNS"
      actions    = ["kms:GenerateDataKey*", "kms:Decrypt"]
      resources  = ["*"]
      principals = [{ type = "Service", identifiers = ["sns.amazonaws.com"] }]
      condition  = [{ test = "ArnLike", variable = "aws:SourceArn", values = ["arn:aws:sns:*:111122223333:orders"] }]
    }
  ]
  aliases = ["orders", "alias/orders-legacy"]
  tags    = { owner = "me" }
}

resource "aws_sqs_queue" "by_arn" {
  kms_master_key_id = module.kms.key_arn
}

resource "aws_sqs_queue" "by_alias" {
  kms_master_key_id = "alias/orders"
}

resource "aws_sqs_queue" "by_alias_output" {
  kms_master_key_id = module.kms.aliases["orders"].arn
}
"""


def test_kms_module_key_policy_aliases_and_outputs(tmp_path):
    outcome = module_tree(tmp_path, KMS_CALL)
    k = key(outcome, "module.kms.aws_kms_key.this")
    assert k.rotation.value is True and k.rotation.location.line == 3  # the module's default
    assert k.tags == {"owner": "me"}
    statements = k.policy.value["Statement"]
    assert [s.get("Sid") for s in statements] == ["Default", "KeyAdministration", "KeyUsage", "KeyServiceUsage", "SNS"]
    default = statements[0]
    assert default["Principal"] == {"AWS": ["arn:${AWS::Partition}:iam::${AWS::AccountId}:root"]}
    assert default["Action"] == ["kms:*"]
    assert statements[1].line == 8 and statements[2].line == 9  # the inputs that made them
    assert statements[3]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": [True]}}
    assert statements[4].line == 12 and statements[4]["Condition"] == {
        "ArnLike": {"aws:SourceArn": ["arn:aws:sns:*:111122223333:orders"]}
    }
    assert sorted(render_name(a) for a in outcome.model.aliases) == ["alias/orders", "alias/orders-legacy"]
    for name in ("by_arn", "by_alias", "by_alias_output"):
        q = queue(outcome, "aws_sqs_queue.%s" % name)
        assert q.encryption.mode is Encryption.CUSTOMER_KEY, name
        assert q.encryption.key_address == "module.kms.aws_kms_key.this", name


def render_name(alias):
    return alias.name.value


def test_kms_module_policy_input_replaces_the_built_policy(tmp_path):
    outcome = module_tree(
        tmp_path,
        """
        module "kms" {
          source              = "terraform-aws-modules/kms/aws"
          enable_key_rotation = false
          policy = jsonencode({
            Version   = "2012-10-17"
            Statement = [{ Sid = "Mine", Effect = "Allow", Principal = "*", Action = "kms:*", Resource = "*" }]
          })
        }
        """,
    )
    k = key(outcome, "module.kms.aws_kms_key.this")
    assert [s["Sid"] for s in k.policy.value["Statement"]] == ["Mine"]
    assert k.policy.value["Statement"][0].line == 6
    assert k.rotation.value is False and k.rotation.location.line == 3


def test_kms_module_source_and_override_documents(tmp_path):
    outcome = module_tree(
        tmp_path,
        """
        module "kms" {
          source                 = "terraform-aws-modules/kms/aws"
          enable_default_policy  = false
          key_users              = ["arn:aws:iam::111122223333:role/app"]
          source_policy_documents = [jsonencode({
            Statement = [{ Sid = "FromSource", Effect = "Allow", Principal = { AWS = "x" }, Action = "kms:Decrypt" }]
          })]
          override_policy_documents = [jsonencode({
            Statement = [{ Sid = "KeyUsage", Effect = "Deny", Principal = { AWS = "y" }, Action = "kms:*" }]
          })]
        }
        """,
    )
    statements = key(outcome, "module.kms.aws_kms_key.this").policy.value["Statement"]
    assert [(s["Sid"], s["Effect"]) for s in statements] == [("FromSource", "Allow"), ("KeyUsage", "Deny")]


def test_kms_module_external_key_and_unknown_statements(tmp_path):
    outcome = module_tree(
        tmp_path,
        """
        variable "statements" {}
        module "kms" {
          source          = "terraform-aws-modules/kms/aws"
          create_external = true
          key_statements  = var.statements
        }
        """,
    )
    k = key(outcome, "module.kms.aws_kms_external_key.this")
    assert k.resource_type == "aws_kms_external_key"
    assert k.rotation is None
    last = k.policy.value["Statement"][-1]
    assert isinstance(last, Unresolved) and "not known" in last.reason
