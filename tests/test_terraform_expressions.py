"""Expression evaluation: what a Terraform expression becomes in the model."""

from __future__ import annotations

import pytest

from sqsguard.model import OWN_ACCOUNT, PARTITION, REGION, Concat, Conditional, ResourceRef, Unresolved, render
from sqsguard.parsers.terraform.values import JsonDoc
from test_terraform_support import evaluate, queue, read, write_tree


@pytest.mark.parametrize(
    "expression, expected",
    [
        ('"alias/aws/sqs"', "alias/aws/sqs"),
        ("null", None),
        ("true", True),
        ("42", 42),
        ("1.5", 1.5),
        ('"a\\tb\\"c\\u00e9"', 'a\tb"c\u00e9'),
        ('"$${literal}"', "${literal}"),
        ('"x-${1 + 2}"', "x-3"),
        ('"${true}"', True),  # a lone interpolation is the value itself
        ("[1, 2][1]", 2),
        ('{ a = 1, "b" = 2 }.b', 2),
        ('upper("abc")', "ABC"),
        ('lower("ABC")', "abc"),
        ('coalesce(null, "", "x")', "x"),
        ('try(local.missing, "fallback")', "fallback"),
        ('try(tostring(null), "n")', None),
        ('lookup({ a = "1" }, "b", "d")', "d"),
        ('lookup({ a = "1" }, "a")', "1"),
        ('merge({ a = 1 }, null, { b = 2 })', {"a": 1, "b": 2}),
        ('format("%s-%d-%q", "a", 3, "q")', 'a-3-"q"'),
        ('toset(["b", "a", "b"])', ["a", "b"]),
        ("tostring(12)", "12"),
        ('tonumber("12")', 12),
        ('tobool("true")', True),
        ('jsondecode("{\\"k\\": [1]}")', {"k": [1]}),
        ('length(["a", "b"])', 2),
        ('element(["a", "b"], 3)', "b"),
        ('join("/", ["alias", "aws", "sqs"])', "alias/aws/sqs"),
        ('split(",", "a,b")', ["a", "b"]),
        ('replace("alias/x", "x", "aws/sqs")', "alias/aws/sqs"),
        ('replace("a1b22", "/[0-9]+/", "-")', "a-b-"),
        ('trimsuffix("q.fifo", ".fifo")', "q"),
        ('one(["x"])', "x"),
        ('concat(["a"], ["b"])', ["a", "b"]),
        ('flatten([["a"], ["b", ["c"]]])', ["a", "b", "c"]),
        ('compact(["a", "", null])', ["a"]),
        ('keys({ b = 1, a = 2 })', ["a", "b"]),
        ('values({ b = 1, a = 2 })', [2, 1]),
        ('contains(["a"], "a")', True),
        ('[for s in ["a", "b"] : upper(s) if s != "b"]', ["A"]),
        ('{ for k, v in { a = 1, b = 2 } : v => k }', {"1": "a", "2": "b"}),
        ('{ for s in ["a", "a", "b"] : s => s... }', {"a": ["a", "a"], "b": ["b"]}),
        ('[{ n = "x" }, { n = "y" }][*].n', ["x", "y"]),
        ("!false", True),
        ("-(3)", -3),
        ("5 % 3 == 2 && 2 > 1", True),
        ('"a" == "b" || 1 < 2', True),
        ("true ? 1 : 2", 1),
        ("sensitive(\"s\")", "s"),
        ('can(local.missing)', False),
        ('can("x")', True),
        ('range(3)', [0, 1, 2]),
        ('zipmap(["a"], [1])', {"a": 1}),
    ],
)
def test_known_values(tmp_path, expression, expected):
    value = evaluate(tmp_path, expression)
    if isinstance(value, JsonDoc):
        value = value.value
    assert value == expected


def test_variables_locals_and_interpolation(tmp_path):
    value = evaluate(
        tmp_path,
        '"arn:${data.aws_partition.p.partition}:kms:${local.region}:${data.aws_caller_identity.me.account_id}:alias/${var.name}"',
        """
        variable "name" {
          default = "aws/sqs"
        }
        locals {
          region = data.aws_region.here.name
        }
        data "aws_partition" "p" {}
        data "aws_caller_identity" "me" {}
        data "aws_region" "here" {}
        """,
    )
    assert value == "arn:%s:kms:%s:%s:alias/aws/sqs" % (PARTITION, REGION, OWN_ACCOUNT)


def test_unknown_parts_keep_the_known_text(tmp_path):
    value = evaluate(tmp_path, '"arn:aws:kms:${var.region}:111122223333:alias/aws/sqs"', 'variable "region" {}')
    assert isinstance(value, Concat)
    assert render(value) == "arn:aws:kms:${var.region}:111122223333:alias/aws/sqs"


def test_a_variable_without_a_value_is_unresolved_and_says_how_to_give_one(tmp_path):
    value = evaluate(tmp_path, "var.key", 'variable "key" {\n  type = string\n}')
    assert isinstance(value, Unresolved)
    assert value.expr == "var.key"
    assert "--var key=VALUE" in value.reason


def test_default_null_means_not_set(tmp_path):
    assert evaluate(tmp_path, "var.key", 'variable "key" {\n  default = null\n}') is None


def test_unknown_condition_keeps_both_branches_named_by_the_condition(tmp_path):
    value = evaluate(
        tmp_path,
        'var.use_cmk ? aws_kms_key.k.arn : "alias/aws/sqs"',
        'variable "use_cmk" {}\nresource "aws_kms_key" "k" {}',
    )
    assert value == Conditional(
        "var.use_cmk", ResourceRef(".", "aws_kms_key.k", "arn", "aws_kms_key.k.arn"), "alias/aws/sqs"
    )


def test_negation_and_not_equal_correlate_with_the_plain_condition(tmp_path):
    value = evaluate(tmp_path, '!var.use_cmk ? "alias/aws/sqs" : "alias/mine"', 'variable "use_cmk" {}')
    assert value == Conditional("var.use_cmk", "alias/mine", "alias/aws/sqs")
    value = evaluate(tmp_path, 'var.env != "prod" ? "alias/aws/sqs" : "alias/mine"', 'variable "env" {}')
    assert value == Conditional('var.env == "prod"', "alias/mine", "alias/aws/sqs")


def test_a_known_condition_picks_its_branch(tmp_path):
    value = evaluate(tmp_path, 'var.env == "prod" ? "alias/mine" : "alias/aws/sqs"', 'variable "env" {\n  default = "dev"\n}')
    assert value == "alias/aws/sqs"


def test_an_unknown_value_is_assumed_set_when_compared_with_null(tmp_path):
    value = evaluate(tmp_path, 'var.key != null ? var.key : "alias/aws/sqs"', 'variable "key" {}')
    assert isinstance(value, Unresolved) and value.expr == "var.key"


def test_conditionals_lift_through_functions_and_templates(tmp_path):
    value = evaluate(tmp_path, '"${var.c ? "alias" : "ALIAS"}/aws/sqs"', 'variable "c" {}')
    assert value == Conditional("var.c", "alias/aws/sqs", "ALIAS/aws/sqs")
    value = evaluate(tmp_path, 'lower(var.c ? "A" : "B")', 'variable "c" {}')
    assert value == Conditional("var.c", "a", "b")


def test_references_to_resources_and_aliases(tmp_path):
    extra = 'resource "aws_kms_key" "k" {\n  count = 1\n}\nresource "aws_kms_alias" "a" {\n  name = "alias/x"\n  target_key_id = aws_kms_key.k[0].key_id\n}'
    assert evaluate(tmp_path, "aws_kms_key.k[0].arn", extra) == ResourceRef(".", "aws_kms_key.k", "arn", "aws_kms_key.k[0].arn")
    assert evaluate(tmp_path, "aws_kms_alias.a.name", extra) == ResourceRef(".", "aws_kms_alias.a", "name", "aws_kms_alias.a.name")
    assert evaluate(tmp_path, "element(concat(aws_kms_key.k.*.arn, [\"\"]), 0)", extra) == ResourceRef(
        ".", "aws_kms_key.k", "arn", "aws_kms_key.k.*.arn"
    )


def test_a_reference_to_an_undeclared_resource_is_unresolved(tmp_path):
    value = evaluate(tmp_path, "aws_kms_key.nowhere.arn")
    assert isinstance(value, Unresolved) and "no resource aws_kms_key.nowhere" in value.reason


@pytest.mark.parametrize(
    "expression, why",
    [
        ("timestamp()", "function timestamp() is not evaluated"),
        ("data.aws_ssm_parameter.key.value", "read when Terraform runs"),
        ("data.terraform_remote_state.s.outputs.key", "read when Terraform runs"),
        ("terraform.workspace", "workspace"),
        ('provider::aws::arn_parse("x").account_id', "provider function"),
    ],
)
def test_what_cannot_be_known_is_unresolved_with_its_text(tmp_path, expression, why):
    extra = 'data "aws_ssm_parameter" "key" {\n  name = "k"\n}\ndata "terraform_remote_state" "s" {\n  backend = "s3"\n}'
    value = evaluate(tmp_path, expression, extra)
    assert isinstance(value, Unresolved), value
    assert why in value.reason
    assert value.expr.startswith(expression.split("(")[0].split(".")[0])


def test_an_error_terraform_would_report_is_unresolved_not_a_crash(tmp_path):
    value = evaluate(tmp_path, 'lookup({ a = 1 }, "b")')
    assert isinstance(value, Unresolved) and "no key" in value.reason
    value = evaluate(tmp_path, "local.missing")
    assert isinstance(value, Unresolved)


def test_data_kms_sources_are_external_unless_they_name_the_aws_managed_key(tmp_path):
    extra = """
    data "aws_kms_alias" "sqs" {
      name = "alias/aws/sqs"
    }
    data "aws_kms_key" "mine" {
      key_id = "alias/mine"
    }
    """
    assert render(evaluate(tmp_path, "data.aws_kms_alias.sqs.target_key_arn", extra)).endswith(":alias/aws/sqs")
    assert evaluate(tmp_path, "data.aws_kms_alias.sqs.name", extra) == "alias/aws/sqs"
    value = evaluate(tmp_path, "data.aws_kms_key.mine.arn", extra)
    assert isinstance(value, Unresolved) and "alias/mine" in value.reason


def test_heredoc_and_jsonencode_keep_json_structure_with_lines(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            resource "aws_sqs_queue" "q" {
              redrive_policy = <<-EOT
                {
                  "deadLetterTargetArn": "${aws_sqs_queue.dlq.arn}",
                  "maxReceiveCount": 3
                }
              EOT
            }
            resource "aws_sqs_queue" "dlq" {}
            resource "aws_sqs_queue" "r" {
              redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn })
            }
            """
        },
    )
    outcome = read(tmp_path)
    dlq_ref = ResourceRef(".", "aws_sqs_queue.dlq", "arn", "aws_sqs_queue.dlq.arn")
    assert queue(outcome, "aws_sqs_queue.q").dead_letter_target == dlq_ref
    assert queue(outcome, "aws_sqs_queue.r").dead_letter_target == dlq_ref


def test_file_and_templatefile_read_in_the_repository_and_nowhere_else(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("alias/aws/sqs")
    root = tmp_path / "stack"
    (root / ".git").mkdir(parents=True)  # the repository: file() reads nothing outside it
    write_tree(
        root,
        {
            "key.txt": "alias/aws/sqs",
            "key.tpl": "alias/${service}/${name}",
            "main.tf": """
            resource "aws_sqs_queue" "a" {
              kms_master_key_id = file("key.txt")
            }
            resource "aws_sqs_queue" "b" {
              kms_master_key_id = templatefile("${path.module}/key.tpl", { service = "aws", name = "sqs" })
            }
            resource "aws_sqs_queue" "c" {
              kms_master_key_id = file("../outside.txt")
            }
            resource "aws_sqs_queue" "d" {
              kms_master_key_id = file("/dev/zero")
            }
            """,
        },
    )
    outcome = read(root)
    assert queue(outcome, "aws_sqs_queue.a").kms_key.value == "alias/aws/sqs"
    assert queue(outcome, "aws_sqs_queue.b").kms_key.value == "alias/aws/sqs"
    for name in ("c", "d"):
        value = queue(outcome, "aws_sqs_queue.%s" % name).kms_key.value
        assert isinstance(value, Unresolved), value
