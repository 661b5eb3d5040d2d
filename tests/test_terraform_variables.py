"""Root module variables, by Terraform's precedence: --var > --var-file (later files win) >
*.auto.tfvars (lexical order) > terraform.tfvars > default."""

from __future__ import annotations

import json

import pytest

from sqsguard.model import Unresolved
from test_terraform_support import queue, read, write_tree

MAIN = """
variable "key" {
  type    = string
  default = "from-default"
}

resource "aws_sqs_queue" "q" {
  kms_master_key_id = var.key
}
"""


def key_of(tmp_path, files: dict, **options) -> object:
    write_tree(tmp_path, {"main.tf": MAIN, **files})
    outcome = read(tmp_path, **options)
    assert outcome.errors == []
    return queue(outcome, "aws_sqs_queue.q").kms_key.value


def test_default(tmp_path):
    assert key_of(tmp_path, {}) == "from-default"


def test_terraform_tfvars_overrides_the_default(tmp_path):
    assert key_of(tmp_path, {"terraform.tfvars": 'key = "from-tfvars"\n'}) == "from-tfvars"


def test_terraform_tfvars_json(tmp_path):
    assert key_of(tmp_path, {"terraform.tfvars.json": json.dumps({"key": "from-json"})}) == "from-json"


def test_auto_tfvars_override_terraform_tfvars_in_lexical_order(tmp_path):
    files = {
        "terraform.tfvars": 'key = "from-tfvars"\n',
        "a.auto.tfvars": 'key = "from-a"\n',
        "b.auto.tfvars": 'key = "from-b"\n',
    }
    assert key_of(tmp_path, files) == "from-b"


def test_var_files_override_auto_tfvars_and_later_files_win(tmp_path):
    files = {
        "b.auto.tfvars": 'key = "from-auto"\n',
        "env/one.tfvars": 'key = "from-one"\n',
        "env/two.tfvars": 'key = "from-two"\n',
    }
    assert key_of(tmp_path, files, var_files=("env/one.tfvars",)) == "from-one"
    assert key_of(tmp_path, files, var_files=("env/one.tfvars", "env/two.tfvars")) == "from-two"
    assert key_of(tmp_path, files, var_files=("env/two.tfvars", "env/one.tfvars")) == "from-one"


def test_var_overrides_everything(tmp_path):
    files = {"terraform.tfvars": 'key = "from-tfvars"\n', "env/one.tfvars": 'key = "from-one"\n'}
    assert key_of(tmp_path, files, var_files=("env/one.tfvars",), variables={"key": "from-cli"}) == "from-cli"


def test_default_null_is_not_set_and_a_missing_value_is_unresolved(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            variable "none" {
              default = null
            }
            variable "required" {}
            resource "aws_sqs_queue" "a" {
              kms_master_key_id = var.none
            }
            resource "aws_sqs_queue" "b" {
              kms_master_key_id = var.required
            }
            """
        },
    )
    outcome = read(tmp_path)
    assert queue(outcome, "aws_sqs_queue.a").kms_key is None
    value = queue(outcome, "aws_sqs_queue.b").kms_key.value
    assert isinstance(value, Unresolved) and "--var required=VALUE" in value.reason


def test_values_are_converted_to_the_declared_type(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            variable "sse" {
              type = bool
            }
            variable "period" {
              type = number
            }
            variable "tenants" {
              type = list(string)
            }
            resource "aws_sqs_queue" "q" {
              sqs_managed_sse_enabled           = var.sse
              kms_data_key_reuse_period_seconds = var.period
              tags                              = { tenants = join(",", var.tenants) }
            }
            """
        },
    )
    outcome = read(tmp_path, variables={"sse": "false", "period": "600", "tenants": '["a", "b"]'})
    q = queue(outcome, "aws_sqs_queue.q")
    assert q.sse.value is False
    assert q.data_key_reuse.value == 600
    assert q.tags == {"tenants": "a,b"}


def test_a_missing_var_file_is_reported(tmp_path):
    write_tree(tmp_path, {"main.tf": MAIN})
    outcome = read(tmp_path, var_files=("nope.tfvars",))
    assert [(e.file, e.message) for e in outcome.errors] == [("nope.tfvars", "no such --var-file")]


def test_tfvars_values_must_be_constant(tmp_path):
    value = key_of(tmp_path, {"terraform.tfvars": "key = var.other\n"})
    assert isinstance(value, Unresolved)


@pytest.mark.parametrize("nullable, expected", [("false", "from-default"), ("true", None)])
def test_nullable_false_turns_a_null_input_into_the_default(tmp_path, nullable, expected):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            module "m" {
              source = "./m"
              key    = null
            }
            """,
            "m/main.tf": """
            variable "key" {
              default  = "from-default"
              nullable = %s
            }
            resource "aws_sqs_queue" "q" {
              kms_master_key_id = var.key
            }
            """
            % nullable,
        },
    )
    outcome = read(tmp_path)
    q = queue(outcome, "module.m.aws_sqs_queue.q")
    assert (q.kms_key.value if q.kms_key else None) == expected
