"""Modules: local calls, nesting, outputs, count / for_each, roots and units, bad input."""

from __future__ import annotations

from pathlib import Path

from sqsguard.model import Conditional, Encryption, ResourceRef, Unresolved
from test_terraform_support import key, queue, read, write_tree

QUEUE_MODULE = """
variable "name" {
  type = string
}

variable "kms_key" {
  type    = string
  default = null
}

resource "aws_sqs_queue" "this" {
  name              = var.name
  kms_master_key_id = var.kms_key
}

output "arn" {
  value = aws_sqs_queue.this.arn
}
"""


def test_a_local_module_is_evaluated_with_the_calls_inputs(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            module "orders" {
              source  = "./modules/queue"
              name    = "orders"
              kms_key = aws_kms_key.main.arn
            }
            module "audit" {
              source = "./modules/queue"
              name   = "audit"
            }
            resource "aws_kms_key" "main" {}
            """,
            "modules/queue/main.tf": QUEUE_MODULE,
        },
    )
    outcome = read(tmp_path)
    assert outcome.errors == []
    orders = queue(outcome, "module.orders.aws_sqs_queue.this")
    assert orders.kms_key.value == ResourceRef(".", "aws_kms_key.main", "arn", "aws_kms_key.main.arn")
    assert orders.encryption.mode is Encryption.CUSTOMER_KEY
    assert orders.encryption.key_address == "aws_kms_key.main"
    assert orders.location.file == "modules/queue/main.tf"
    assert orders.kms_key.location.line == 12
    assert orders.unit == "."
    audit = queue(outcome, "module.audit.aws_sqs_queue.this")
    assert audit.kms_key is None and audit.encryption.mode is Encryption.SQS_OWNED
    # the module directory is read through its callers, not again as a root of its own
    assert sorted(q.address for q in outcome.model.queues) == [
        "module.audit.aws_sqs_queue.this",
        "module.orders.aws_sqs_queue.this",
    ]


def test_a_called_module_named_on_the_command_line_is_also_a_root(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": 'module "orders" {\n  source = "./modules/queue"\n  name = "orders"\n}\n',
            "modules/queue/main.tf": QUEUE_MODULE,
        },
    )
    outcome = read(tmp_path, [".", "modules/queue"])
    assert sorted((q.unit, q.address) for q in outcome.model.queues) == [
        (".", "module.orders.aws_sqs_queue.this"),
        ("modules/queue", "aws_sqs_queue.this"),
    ]


def test_nested_modules_and_outputs(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            module "platform" {
              source = "./platform"
            }
            resource "aws_sqs_queue" "q" {
              kms_master_key_id = module.platform.key_arn
            }
            """,
            "platform/main.tf": """
            module "keys" {
              source = "../keys"
            }
            output "key_arn" {
              value = module.keys.arn
            }
            """,
            "keys/main.tf": """
            resource "aws_kms_key" "this" {}
            output "arn" {
              value = aws_kms_key.this.arn
            }
            """,
        },
    )
    outcome = read(tmp_path)
    q = queue(outcome, "aws_sqs_queue.q")
    assert q.kms_key.value == ResourceRef(".", "module.platform.module.keys.aws_kms_key.this", "arn", "module.platform.module.keys.aws_kms_key.this.arn")
    assert q.encryption.mode is Encryption.CUSTOMER_KEY
    assert key(outcome, "module.platform.module.keys.aws_kms_key.this").location.file == "keys/main.tf"


def test_count_zero_creates_nothing_and_count_n_one_object(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            variable "enabled" {
              default = false
            }
            resource "aws_sqs_queue" "off" {
              count = var.enabled ? 1 : 0
            }
            resource "aws_sqs_queue" "many" {
              count             = 3
              kms_master_key_id = count.index == 2 ? "alias/aws/sqs" : null
            }
            resource "aws_sqs_queue" "unknown" {
              count = length(var.names)
              name  = var.names[count.index]
            }
            variable "names" {}
            """
        },
    )
    outcome = read(tmp_path)
    assert sorted(q.address for q in outcome.model.queues) == ["aws_sqs_queue.many", "aws_sqs_queue.unknown"]
    many = queue(outcome, "aws_sqs_queue.many")
    assert many.kms_key.value == Conditional("count.index in [0, 1]", None, "alias/aws/sqs")
    assert many.encryption.mode is Encryption.SQS_OWNED  # the weakest instance


def test_for_each_instances_that_differ_are_judged_by_the_weakest(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            locals {
              queues = {
                orders  = { sse = true, key = "alias/orders" }
                refunds = { sse = false, key = null }
                audit   = { sse = true, key = "alias/orders" }
              }
            }
            resource "aws_sqs_queue" "q" {
              for_each                = local.queues
              name                    = each.key
              sqs_managed_sse_enabled = each.value.key == null ? each.value.sse : null
              kms_master_key_id       = each.value.key
            }
            """
        },
    )
    q = queue(read(tmp_path), "aws_sqs_queue.q")
    assert q.encryption.mode is Encryption.NONE
    assert q.encryption.when == 'each.key is "refunds"'  # the instances left, by name
    assert not any(c.sse_conflict for c in q.choices)  # settings of one instance stay together


def test_module_for_each(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            module "q" {
              for_each = { a = "alias/aws/sqs", b = "alias/mine" }
              source   = "./m"
              name     = each.key
              kms_key  = each.value
            }
            """,
            "m/main.tf": QUEUE_MODULE,
        },
    )
    q = queue(read(tmp_path), "module.q.aws_sqs_queue.this")
    assert q.encryption.mode is Encryption.AWS_MANAGED
    assert q.encryption.when == 'module.q: each.key is "a"'


def test_a_missing_local_module_is_an_error_once_not_an_unread_module(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            module "queue" {
              source = "./modules/sqs-queue"
            }
            module "bucket" {
              source = "./modules/bucket"
            }
            """
        },
    )
    outcome = read(tmp_path)
    assert outcome.model.unread_modules == []
    assert [(Path(e.file).name, e.line, e.message) for e in outcome.errors] == [
        ("main.tf", 2, "module queue: the source directory modules/sqs-queue does not exist"),
        ("main.tf", 5, "module bucket: the source directory modules/bucket does not exist"),
    ]


def test_remote_modules_are_reported_only_when_they_may_hold_queues_or_keys(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            module "events" {
              source = "git::https://example.com/queues.git?ref=v1"
            }
            module "vpc" {
              source = "terraform-aws-modules/vpc/aws"
              name   = "main"
            }
            module "lambda" {
              source     = "terraform-aws-modules/lambda/aws"
              kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/x"
            }
            """
        },
    )
    outcome = read(tmp_path)
    assert sorted(m.address for m in outcome.model.unread_modules) == ["module.events", "module.lambda"]
    assert all(m.resource_type == "module" for m in outcome.model.unread_modules)


def test_a_module_that_calls_itself_does_not_loop(tmp_path):
    write_tree(tmp_path, {"main.tf": 'module "me" {\n  source = "./"\n}\nresource "aws_sqs_queue" "q" {}\n'})
    outcome = read(tmp_path)
    assert [q.address for q in outcome.model.queues] == ["aws_sqs_queue.q"]
    assert [(m.address, m.source) for m in outcome.model.unread_modules] == [("module.me", "./ (it calls itself)")]


def test_circular_locals_and_outputs_are_unresolved(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            locals {
              a = local.b
              b = local.a
            }
            resource "aws_sqs_queue" "q" {
              kms_master_key_id = local.a
            }
            """
        },
    )
    value = queue(read(tmp_path), "aws_sqs_queue.q").kms_key.value
    assert isinstance(value, Unresolved)


def test_a_folder_of_independent_examples_reads_each_file_on_its_own(tmp_path):
    write_tree(
        tmp_path,
        {
            "variables.tf": 'variable "key" {\n  default = "alias/aws/sqs"\n}\n',
            "bad.tf": 'resource "aws_sqs_queue" "example" {\n  kms_master_key_id = var.key\n}\n',
            "good.tf": 'resource "aws_sqs_queue" "example" {\n  kms_master_key_id = "alias/mine"\n}\n',
        },
    )
    outcome = read(tmp_path)
    found = sorted((q.unit, q.address, q.kms_key.value) for q in outcome.model.queues)
    assert found == [
        ("bad.tf", "aws_sqs_queue.example", "alias/aws/sqs"),
        ("good.tf", "aws_sqs_queue.example", "alias/mine"),
    ]


def test_provider_allowed_account_ids_name_the_units_account(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            provider "aws" {
              region              = "eu-west-1"
              allowed_account_ids = ["123456789012"]
            }
            resource "aws_kms_key" "k" {}
            """
        },
    )
    assert read(tmp_path).model.unit_accounts == {".": "123456789012"}


def test_irrelevant_directories_are_not_parsed(tmp_path):
    write_tree(
        tmp_path,
        {
            "network/main.tf": 'resource "aws_vpc" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n',
            "broken/main.tf": 'resource "aws_instance" "i" {\n  ami = \n}\n',
            "queues/main.tf": 'resource "aws_sqs_queue" "q" {}\n',
        },
    )
    outcome = read(tmp_path)
    assert outcome.files_scanned == 1
    assert outcome.errors == []


def test_bad_hcl_is_an_error_with_file_and_line_and_the_rest_is_still_read(tmp_path):
    write_tree(
        tmp_path,
        {
            "a/main.tf": 'resource "aws_sqs_queue" "ok" {}\n',
            "a/broken.tf": 'resource "aws_sqs_queue" "bad" {\n  name = "x"\n  kms_master_key_id =\n}\n',
            "b/main.tf": 'resource "aws_sqs_queue" "unterminated" {\n  name = "x\n}\n',
            "c/main.tf": 'resource "aws_kms_key" "k" {\n  description = "x"\n',
            "d/main.tf": 'resource "aws_sqs_queue" "q" {}\n',
        },
    )
    outcome = read(tmp_path)
    errors = sorted((e.file, e.line) for e in outcome.errors)
    assert errors == [("a/broken.tf", 3), ("b/main.tf", 2), ("c/main.tf", 2)]
    assert all(e.message.startswith("invalid HCL") for e in outcome.errors)
    assert sorted(q.address for q in outcome.model.queues) == ["aws_sqs_queue.ok", "aws_sqs_queue.q"]


def test_a_file_that_is_not_utf8_is_an_error(tmp_path):
    (tmp_path / "main.tf").write_bytes(b'resource "aws_sqs_queue" "q" {\n  name = "\xff"\n}\n')
    outcome = read(tmp_path)
    assert [(e.file, e.message) for e in outcome.errors] == [("main.tf", "not UTF-8 text (byte 41)")]


def test_remote_modules_downloaded_by_terraform_init_are_read(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            module "events" {
              source  = "example-corp/queues/aws"
              version = "1.2.0"
              key     = "alias/aws/sqs"
            }
            module "other" {
              source = "example-corp/queue-not-downloaded/aws"
            }
            """,
            ".terraform/modules/modules.json": """
            {"Modules": [
              {"Key": "", "Source": "", "Dir": "."},
              {"Key": "events", "Source": "registry.terraform.io/example-corp/queues/aws", "Version": "1.2.0", "Dir": ".terraform/modules/events"},
              {"Key": "events.dlq", "Source": "./dlq", "Dir": ".terraform/modules/events/dlq"}
            ]}
            """,
            ".terraform/modules/events/main.tf": """
            variable "key" {}
            resource "aws_sqs_queue" "this" {
              kms_master_key_id = var.key
            }
            module "dlq" {
              source = "./dlq"
              key    = var.key
            }
            """,
            ".terraform/modules/events/dlq/main.tf": """
            variable "key" {}
            resource "aws_sqs_queue" "this" {
              kms_master_key_id = var.key
            }
            """,
        },
    )
    outcome = read(tmp_path)
    assert outcome.errors == []
    found = sorted((q.address, q.location.file, q.encryption.mode) for q in outcome.model.queues)
    assert found == [
        ("module.events.aws_sqs_queue.this", ".terraform/modules/events/main.tf", Encryption.AWS_MANAGED),
        ("module.events.module.dlq.aws_sqs_queue.this", ".terraform/modules/events/dlq/main.tf", Encryption.AWS_MANAGED),
    ]
    assert [m.address for m in outcome.model.unread_modules] == ["module.other"]


def test_provider_default_tags_apply_under_the_resources_own(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            provider "aws" {
              default_tags {
                tags = { owner = "platform", workload = "orders" }
              }
            }
            provider "aws" {
              alias = "us"
              default_tags {
                tags = { owner = "someone-else" }
              }
            }
            resource "aws_kms_key" "k" {
              tags = { workload = "billing", "data-sensitivity" = "internal" }
            }
            module "q" {
              source = "./q"
            }
            """,
            "q/main.tf": 'resource "aws_sqs_queue" "this" {}\n',
        },
    )
    outcome = read(tmp_path)
    assert key(outcome, "aws_kms_key.k").tags == {"owner": "platform", "workload": "billing", "data-sensitivity": "internal"}
    assert queue(outcome, "module.q.aws_sqs_queue.this").tags == {"owner": "platform", "workload": "orders"}


def test_data_sources_that_read_a_key_of_the_scanned_code_link_to_it(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            resource "aws_kms_key" "k" {}
            resource "aws_kms_alias" "a" {
              name          = "alias/orders"
              target_key_id = aws_kms_key.k.key_id
            }
            data "aws_kms_alias" "a" {
              name = aws_kms_alias.a.name
            }
            resource "aws_sqs_queue" "q" {
              kms_master_key_id = data.aws_kms_alias.a.target_key_arn
            }
            """
        },
    )
    q = queue(read(tmp_path), "aws_sqs_queue.q")
    assert q.encryption.mode is Encryption.CUSTOMER_KEY and q.encryption.key_address == "aws_kms_key.k"


def test_tags_that_differ_between_instances_keep_what_all_have(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            variable "strict" {}
            resource "aws_kms_key" "k" {
              tags = var.strict ? { owner = "a", workload = "b" } : { owner = "a" }
            }
            """
        },
    )
    assert key(read(tmp_path), "aws_kms_key.k").tags == {"owner": "a"}


def test_three_groups_of_instances_name_their_conditions_in_order(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            resource "aws_kms_key" "k" {}
            resource "aws_sqs_queue" "q" {
              for_each = {
                a = aws_kms_key.k.arn
                b = "alias/aws/sqs"
                c = null
              }
              kms_master_key_id = each.value
            }
            """
        },
    )
    q = queue(read(tmp_path), "aws_sqs_queue.q")
    assert q.kms_key.value == Conditional(
        'each.key == "a"',
        ResourceRef(".", "aws_kms_key.k", "arn", "aws_kms_key.k.arn"),
        Conditional('each.key == "b" (if not each.key == "a")', "alias/aws/sqs", None),
    )
    assert q.encryption.mode is Encryption.SQS_OWNED
    assert q.encryption.when == 'each.key is "c"'  # not "each.key == \"a\" is false, each.key == \"b\" ... is false"


def test_optional_object_attributes_take_their_defaults(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            variable "queues" {
              type = map(object({
                kms  = optional(string)
                sse  = optional(bool, true)
                tags = optional(map(string), {})
              }))
              default = {
                orders = { kms = "alias/aws/sqs" }
                audit  = { sse = false }
              }
            }
            resource "aws_sqs_queue" "q" {
              for_each                = var.queues
              kms_master_key_id       = each.value.kms
              sqs_managed_sse_enabled = each.value.kms == null ? each.value.sse : null
              tags                    = each.value.tags
            }
            """
        },
    )
    q = queue(read(tmp_path), "aws_sqs_queue.q")
    assert q.encryption.mode is Encryption.NONE  # audit: sse = false, no key
    assert not isinstance(q.kms_key.value, Unresolved)
    assert {c.mode for c in q.choices} == {Encryption.NONE, Encryption.AWS_MANAGED}


def test_instance_choices_survive_the_trip_to_a_worker_process():
    import pickle

    from sqsguard.model import InstanceChoice, describe_assignment

    choice = pickle.loads(pickle.dumps(InstanceChoice('each.key == "a"', 'each.key is "a"', 'each.key is "b" or "c"')))
    assert (str(choice), choice.chosen, choice.otherwise) == ('each.key == "a"', 'each.key is "a"', 'each.key is "b" or "c"')
    assert describe_assignment({choice: True}) == 'each.key is "a"'
    assert describe_assignment({choice: False, "IsProd": True}) == 'IsProd is true, each.key is "b" or "c"'
