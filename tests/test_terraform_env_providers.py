"""Issue 13, items 4 and 5: Terraform variables from `TF_VAR_name` environment variables, and
provider configurations chosen per resource (`provider = aws.x`, a module call's `providers`).

TF_VAR_ values are read once by the CLI into `Options.env_vars` (never by the parser), and
take Terraform's place in the precedence: after defaults, before terraform.tfvars.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqsguard.cli import main, terraform_environment
from sqsguard.model import Unresolved
from test_terraform_support import key, queue, read, write_tree

FIXTURES = Path(__file__).parent / "fixtures"
TF_VAR_FIXTURE = FIXTURES / "tf_var_env"


# --- TF_VAR_ in the parser (Options.env_vars) -------------------------------------------------

TYPED = """
variable "key" {
  type    = string
  default = "from-default"
}
variable "period" {
  type    = number
  default = 300
}
variable "tenants" {
  type    = list(string)
  default = []
}
variable "tags" {
  type    = map(string)
  default = {}
}
variable "untyped" {
  default = "x"
}
resource "aws_sqs_queue" "q" {
  kms_master_key_id                 = var.key
  kms_data_key_reuse_period_seconds = var.period
  tags                              = merge(var.tags, { tenants = join(",", var.tenants), untyped = var.untyped })
}
"""


def test_tf_var_values_are_converted_to_the_declared_type(tmp_path):
    write_tree(tmp_path, {"main.tf": TYPED})
    env = {"key": "alias/aws/sqs", "period": "60", "tenants": '["acme", "globex"]', "tags": '{ team = "orders" }',
           "untyped": '["not", "a", "list"]'}
    q = queue(read(tmp_path, env_vars=env), "aws_sqs_queue.q")
    assert q.kms_key.value == "alias/aws/sqs"
    assert q.data_key_reuse.value == 60
    # a list or map is read as HCL; an untyped (or string) variable takes the text as it is
    assert q.tags == {"team": "orders", "tenants": "acme,globex", "untyped": '["not", "a", "list"]'}


@pytest.mark.parametrize(
    "files, options, expected",
    [
        ({}, {}, "from-default"),
        ({}, {"env_vars": {"key": "from-env"}}, "from-env"),
        ({"terraform.tfvars": 'key = "from-tfvars"\n'}, {"env_vars": {"key": "from-env"}}, "from-tfvars"),
        ({"terraform.tfvars.json": '{"key": "from-json"}'}, {"env_vars": {"key": "from-env"}}, "from-json"),
        ({"a.auto.tfvars": 'key = "from-auto"\n'}, {"env_vars": {"key": "from-env"}}, "from-auto"),
        ({"one.tfvars": 'key = "from-file"\n'}, {"env_vars": {"key": "from-env"}, "var_files": ("one.tfvars",)}, "from-file"),
        ({}, {"env_vars": {"key": "from-env"}, "variables": {"key": "from-cli"}}, "from-cli"),
    ],
    ids=["default", "env-over-default", "tfvars-over-env", "tfvars-json-over-env", "auto-over-env",
         "var-file-over-env", "var-over-env"],
)
def test_tf_var_precedence(tmp_path, files, options, expected):
    write_tree(tmp_path, {"main.tf": TYPED, **files})
    outcome = read(tmp_path, **options)
    assert outcome.errors == []
    assert queue(outcome, "aws_sqs_queue.q").kms_key.value == expected


def test_tf_var_origin_is_named(tmp_path):
    write_tree(tmp_path, {"main.tf": TYPED})
    q = queue(read(tmp_path, env_vars={"key": "alias/aws/sqs"}), "aws_sqs_queue.q")
    assert q.kms_key.origin == "TF_VAR_key (environment)"


def test_tf_var_sets_only_root_module_variables(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": 'module "m" {\n  source = "./m"\n}\n',
            "m/main.tf": 'variable "key" {\n  default = "alias/orders"\n}\nresource "aws_sqs_queue" "q" {\n  kms_master_key_id = var.key\n}\n',
        },
    )
    q = queue(read(tmp_path, env_vars={"key": "alias/aws/sqs"}), "module.m.aws_sqs_queue.q")
    assert q.kms_key.value == "alias/orders"


def test_tf_var_of_an_undeclared_variable_is_ignored(tmp_path):
    write_tree(tmp_path, {"main.tf": 'resource "aws_sqs_queue" "q" {\n  kms_master_key_id = var.nope\n}\n'})
    value = queue(read(tmp_path, env_vars={"nope": "alias/aws/sqs"}), "aws_sqs_queue.q").kms_key.value
    assert isinstance(value, Unresolved)


def test_terraform_environment_reads_the_prefix_case_sensitively():
    environ = {"TF_VAR_queue_key": "a", "TF_VAR_Queue_Key": "b", "tf_var_lower": "c", "TF_VAR_": "d", "PATH": "/bin"}
    assert terraform_environment(environ) == {"queue_key": "a", "Queue_Key": "b"}


# --- TF_VAR_ through the command line --------------------------------------------------------

ENV = {
    "TF_VAR_queue_key": "alias/aws/sqs",
    "TF_VAR_reuse_period": "60",
    "TF_VAR_tenants": '["acme"]',
    "TF_VAR_queue_tags": '{ team = "orders" }',
    "TF_VAR_dlq_key": "alias/aws/sqs",  # terraform.tfvars wins
}
DLQ = {
    "rule_id": "SQG104",
    "resource": "aws_sqs_queue.orders_dlq",
    "line": 38,
    "severity": "info",
    "message": "Queue aws_sqs_queue.orders_dlq uses the customer key "
    "arn:aws:kms:eu-west-1:111122223333:key/0b6a1c2d-1111-2222-3333-444455556666, defined outside the scanned code "
    "(kms_master_key_id: var.dlq_key, set by tf_var_env/terraform.tfvars:1); its key policy cannot be checked here — "
    "scan the code that defines it.",
}
WITH_ENV = [
    {
        "rule_id": "SQG103",
        "resource": "aws_sqs_queue.orders",
        "line": 31,
        "severity": "medium",
        "message": "Queue aws_sqs_queue.orders is encrypted with the AWS-managed key alias/aws/sqs (kms_master_key_id: "
        "var.queue_key, which resolves to alias/aws/sqs, set by TF_VAR_queue_key (environment)); its key policy cannot "
        "be changed, so SNS, S3 and EventBridge cannot deliver and access cannot be narrowed — use a customer-managed "
        "KMS key.",
    },
    {
        "rule_id": "SQG501",
        "resource": "aws_sqs_queue.orders",
        "line": 32,
        "severity": "info",
        "message": "Queue aws_sqs_queue.orders sets kms_data_key_reuse_period_seconds: var.reuse_period (60 seconds), set "
        "by TF_VAR_reuse_period (environment), below the 300-second default: with 1 producing principal (the code shows "
        "none; 1 assumed) and 1 consuming principal (the code shows none; 1 assumed), AWS's bound is 129,600 KMS requests "
        "in a 30-day month (about $0.39 at $0.03 per 10,000), against 25,920 at 300 seconds — remove the setting or raise "
        "it to at least 300 seconds, or suppress this finding with the reason if the shorter period is deliberate.",
    },
    DLQ,
    {
        "rule_id": "SQG101",
        "resource": "aws_sqs_queue.tenant",
        "line": 45,
        "severity": "high",
        "message": "Queue aws_sqs_queue.tenant is not encrypted at rest: sqs_managed_sse_enabled is false and no "
        "kms_master_key_id is set; set kms_master_key_id to a customer-managed KMS key.",
    },
]
WITHOUT_ENV = [
    {
        "rule_id": "SQG104",
        "resource": "aws_sqs_queue.orders",
        "line": 31,
        "severity": "info",
        "message": "Queue aws_sqs_queue.orders uses a key that cannot be resolved statically (kms_master_key_id: "
        "var.queue_key; variable queue_key has no default and no value here (pass --var queue_key=VALUE or a tfvars "
        "file)); sqsguard cannot verify it is a customer-managed key — pass the value (--parameter or --var) or scan "
        "the code that defines it.",
    },
    DLQ,
]


def scan_rows(*args: str, env: dict | None = None, command: str = "scan", cwd: Path = FIXTURES) -> tuple[int, list]:
    environ = {name: None for name in os.environ if name.startswith("TF_VAR_")}  # the suite's own, if any
    environ.update(env or {})
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, [command, "--format", "json", *args], env=environ, catch_exceptions=False)
    finally:
        os.chdir(previous)
    data = json.loads(result.output)
    if command != "scan":
        return result.exit_code, data
    rows = [{k: f[k] for k in ("rule_id", "resource", "line", "severity", "message")} for f in data["findings"]]
    return result.exit_code, rows


def test_scan_reads_tf_var_from_the_environment():
    code, rows = scan_rows("tf_var_env", "--no-cache", env=ENV)
    assert (code, rows) == (1, WITH_ENV)


def test_no_env_ignores_the_environment():
    assert scan_rows("tf_var_env", "--no-cache", "--no-env", env=ENV)[1] == WITHOUT_ENV
    assert scan_rows("tf_var_env", "--no-cache")[1] == WITHOUT_ENV


def test_configuration_env_false_ignores_the_environment(tmp_path):
    config = tmp_path / "sqsguard.yaml"
    config.write_text("env: false\n", encoding="utf-8")
    assert scan_rows("tf_var_env", "--no-cache", "--config", str(config), env=ENV)[1] == WITHOUT_ENV


def test_the_result_cache_sees_tf_var_changes(tmp_path):
    cache = str(tmp_path / "cache")
    assert scan_rows("tf_var_env", "--cache-dir", cache, env=ENV)[1] == WITH_ENV
    changed = {**ENV, "TF_VAR_queue_key": "arn:aws:kms:eu-west-1:111122223333:alias/orders"}
    rows = scan_rows("tf_var_env", "--cache-dir", cache, env=changed)[1]
    assert [r["rule_id"] for r in rows if r["resource"] == "aws_sqs_queue.orders"] == ["SQG104", "SQG501"]
    assert "set by TF_VAR_queue_key (environment)" in rows[0]["message"]
    assert scan_rows("tf_var_env", "--cache-dir", cache, "--no-env", env=changed)[1] == WITHOUT_ENV
    assert scan_rows("tf_var_env", "--cache-dir", cache, env=ENV)[1] == WITH_ENV  # the first entry, again


def test_inventory_and_cost_take_no_env():
    def modes(data: dict) -> dict:
        return {row["resource"]: row["encryption"] for row in data["queues"]}

    _, inventory = scan_rows("tf_var_env", "--no-cache", env=ENV, command="inventory")
    _, ignored = scan_rows("tf_var_env", "--no-cache", "--no-env", env=ENV, command="inventory")
    assert modes(inventory)["aws_sqs_queue.orders"] == "aws-managed"
    assert modes(ignored)["aws_sqs_queue.orders"] == "unverifiable"
    _, cost = scan_rows("tf_var_env", "--no-cache", env=ENV, command="cost")
    _, cost_ignored = scan_rows("tf_var_env", "--no-cache", "--no-env", env=ENV, command="cost")
    orders = {q["resource"]: q for q in cost["queues"]}["aws_sqs_queue.orders"]
    ignored_orders = {q["resource"]: q for q in cost_ignored["queues"]}["aws_sqs_queue.orders"]
    # the environment's key and reuse period: alias/aws/sqs at 60 s; without it, unknown at 300 s
    assert (orders["key"], orders["reuse_period_seconds"], orders["kms_requests_per_month"]) == ("alias/aws/sqs", 60, 129600)
    assert (ignored_orders["key"], ignored_orders["reuse_period_seconds"], ignored_orders["kms_requests_per_month"]) == (
        "var.queue_key", 300, 25920)


# --- provider configurations -----------------------------------------------------------------

PROVIDERS = """
provider "aws" {
  allowed_account_ids = ["111111111111"]
  default_tags {
    tags = { owner = "platform", workload = "orders" }
  }
}
provider "aws" {
  alias               = "secondary"
  allowed_account_ids = ["222222222222"]
  default_tags {
    tags = { owner = "dr-team" }
  }
}
"""


def test_a_resource_takes_the_default_tags_of_its_own_provider(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": PROVIDERS + """
            resource "aws_kms_key" "primary" {}
            resource "aws_kms_key" "replica" {
              provider = aws.secondary
              tags     = { workload = "replica" }
            }
            resource "aws_sqs_queue" "replica" {
              provider = "aws.secondary" # the quoted form of Terraform 0.11 and 0.12
            }
            """
        },
    )
    outcome = read(tmp_path)
    assert key(outcome, "aws_kms_key.primary").tags == {"owner": "platform", "workload": "orders"}
    assert key(outcome, "aws_kms_key.replica").tags == {"owner": "dr-team", "workload": "replica"}
    assert queue(outcome, "aws_sqs_queue.replica").tags == {"owner": "dr-team"}


def test_an_unknown_provider_alias_makes_the_tags_unknown_not_wrong(tmp_path):
    write_tree(tmp_path, {"main.tf": PROVIDERS + 'resource "aws_kms_key" "k" {\n  provider = aws.nowhere\n}\n'})
    outcome = read(tmp_path)
    tags = key(outcome, "aws_kms_key.k").tags
    assert isinstance(tags, Unresolved)
    assert tags.reason == 'no provider "aws" block with alias "nowhere" in ., so the default_tags it adds are unknown'
    assert outcome.model.resource_accounts == {}  # the default configuration's account stands


def test_modules_take_the_providers_their_call_passes(tmp_path):
    child = """
    terraform {
      required_providers {
        aws = {
          source                = "hashicorp/aws"
          configuration_aliases = [aws.src]
        }
      }
    }
    resource "aws_kms_key" "default" {}
    resource "aws_kms_key" "src" {
      provider = aws.src
    }
    """
    write_tree(
        tmp_path,
        {
            "main.tf": PROVIDERS + """
            module "passed" {
              source = "./child"
              providers = {
                aws     = aws.secondary # was: aws = aws
                aws.src = aws
              }
            }
            module "only_alias" {
              source    = "./child"
              providers = { aws.src = aws.secondary }
            }
            module "inherited" {
              source = "./child"
            }
            """,
            "child/main.tf": child,
        },
    )
    outcome = read(tmp_path)
    primary, dr = {"owner": "platform", "workload": "orders"}, {"owner": "dr-team"}
    assert key(outcome, "module.passed.aws_kms_key.default").tags == dr
    assert key(outcome, "module.passed.aws_kms_key.src").tags == primary
    # a providers map without `aws` still passes the default configuration down
    assert key(outcome, "module.only_alias.aws_kms_key.default").tags == primary
    assert key(outcome, "module.only_alias.aws_kms_key.src").tags == dr
    assert key(outcome, "module.inherited.aws_kms_key.default").tags == primary
    unknown = key(outcome, "module.inherited.aws_kms_key.src").tags
    assert isinstance(unknown, Unresolved) and "does not pass aws.src" in unknown.reason
    assert outcome.model.unit_accounts == {".": "111111111111"}
    assert outcome.model.resource_accounts == {
        (".", "module.passed.aws_kms_key.default"): "222222222222",
        (".", "module.only_alias.aws_kms_key.src"): "222222222222",
    }


def test_nested_modules_pass_providers_on(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": PROVIDERS + 'module "outer" {\n  source    = "./outer"\n  providers = { aws = aws.secondary }\n}\n',
            "outer/main.tf": 'module "inner" {\n  source = "../inner"\n}\n',
            "inner/main.tf": 'resource "aws_sqs_queue" "q" {}\n',
        },
    )
    assert queue(read(tmp_path), "module.outer.module.inner.aws_sqs_queue.q").tags == {"owner": "dr-team"}


def test_a_registry_module_takes_the_provider_its_call_passes(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": PROVIDERS + """
            module "queue" {
              source    = "terraform-aws-modules/sqs/aws"
              name      = "orders"
              providers = { aws = aws.secondary }
            }
            """
        },
    )
    assert queue(read(tmp_path), "module.queue.aws_sqs_queue.this").tags == {"owner": "dr-team"}


def test_the_json_syntax_names_providers_in_strings(tmp_path):
    write_tree(
        tmp_path,
        {
            "providers.tf": PROVIDERS,
            "main.tf.json": json.dumps(
                {
                    "resource": {"aws_kms_key": {"replica": {"provider": "aws.secondary"}}},
                    "module": {"m": {"source": "./m", "providers": {"aws": "aws.secondary"}}},
                }
            ),
            "m/main.tf": 'resource "aws_sqs_queue" "q" {}\n',
        },
    )
    outcome = read(tmp_path)
    assert key(outcome, "aws_kms_key.replica").tags == {"owner": "dr-team"}
    assert queue(outcome, "module.m.aws_sqs_queue.q").tags == {"owner": "dr-team"}
    assert outcome.model.resource_accounts == {
        (".", "aws_kms_key.replica"): "222222222222",
        (".", "module.m.aws_sqs_queue.q"): "222222222222",
    }


def test_the_units_account_is_the_default_configurations(tmp_path):
    # before issue 13 an alias's allowed_account_ids could name the account of every resource
    write_tree(
        tmp_path,
        {
            "main.tf": """
            provider "aws" {
              alias               = "other"
              allowed_account_ids = ["222222222222"]
            }
            resource "aws_kms_key" "k" {}
            resource "aws_kms_key" "o" {
              provider = aws.other
            }
            """
        },
    )
    model = read(tmp_path).model
    assert model.unit_accounts == {}
    assert model.resource_accounts == {(".", "aws_kms_key.o"): "222222222222"}


def test_a_childs_own_provider_block_configures_its_resources(tmp_path):
    # legacy: a module with its own (non-empty) provider block; a block with only `alias` is a proxy
    write_tree(
        tmp_path,
        {
            "main.tf": PROVIDERS + 'module "m" {\n  source = "./m"\n}\n',
            "m/main.tf": """
            provider "aws" {
              region = "us-west-2"
              default_tags {
                tags = { owner = "legacy" }
              }
            }
            provider "aws" {
              alias = "proxy"
            }
            resource "aws_sqs_queue" "own" {}
            resource "aws_sqs_queue" "proxied" {
              provider = aws.proxy
            }
            """,
        },
    )
    outcome = read(tmp_path)
    assert queue(outcome, "module.m.aws_sqs_queue.own").tags == {"owner": "legacy"}
    assert isinstance(queue(outcome, "module.m.aws_sqs_queue.proxied").tags, Unresolved)


def test_provider_default_tags_may_come_from_tf_var(tmp_path):
    write_tree(
        tmp_path,
        {
            "main.tf": """
            variable "dr_owner" {
              type = string
            }
            provider "aws" {
              alias = "dr"
              default_tags {
                tags = { owner = var.dr_owner }
              }
            }
            resource "aws_kms_key" "k" {
              provider = aws.dr
            }
            """
        },
    )
    assert key(read(tmp_path, env_vars={"dr_owner": "dr-team"}), "aws_kms_key.k").tags == {"owner": "dr-team"}
