"""Terraform plan JSON (`terraform show -json`) into the model."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from sqsguard.engine import scan
from sqsguard.link import link
from sqsguard.model import Conditional, Encryption, Format, ResourceRef, Unresolved
from sqsguard.options import Options
from sqsguard.parsers.tfplan import base_address, is_plan, parse_plan

PLANS = Path(__file__).parent / "fixtures" / "terraform-plan"


def load(name: str) -> dict:
    return json.loads((PLANS / name).read_text())


def model_of(data: dict, display: str = "plan.json"):
    text = json.dumps(data, indent=2)
    model = parse_plan(data, text, display, Options())
    link(model)
    return model


def queue(model, address):
    (found,) = [q for q in model.queues if q.address == address]
    return found


def test_is_plan():
    assert is_plan(load("SQG101/bad.json"))
    assert not is_plan({"Resources": {}})
    assert not is_plan({"format_version": "1.0", "values": {}})  # a state, not a plan


def test_base_address():
    assert base_address('module.a["x"].module.b[0].aws_sqs_queue.q["k.1"]') == "module.a.module.b.aws_sqs_queue.q"


def test_resolved_values_and_instance_keys():
    model = model_of(load("SQG101/bad.json"))
    assert sorted(q.address for q in model.queues) == ["aws_sqs_queue.audit", "module.legacy.aws_sqs_queue.this"]
    legacy = queue(model, "module.legacy.aws_sqs_queue.this")
    assert legacy.format is Format.TERRAFORM_PLAN and legacy.unit == "plan.json"
    assert legacy.encryption.mode is Encryption.NONE
    assert legacy.location.line == 36


def test_unknown_key_follows_configuration_references():
    model = model_of(load("SQG101/good.json"))
    q = queue(model, "aws_sqs_queue.audit")
    assert q.kms_key.value == ResourceRef("plan.json", "aws_kms_key.orders", "arn", "aws_kms_key.orders.arn")
    assert q.encryption.mode is Encryption.CUSTOMER_KEY
    assert q.encryption.key_address == "aws_kms_key.orders"


def test_references_through_module_outputs():
    model = model_of(load("SQG104/good.json"))
    q = queue(model, "aws_sqs_queue.orders")
    assert q.encryption.mode is Encryption.CUSTOMER_KEY
    assert q.encryption.key_address == "module.kms.aws_kms_key.this"


def test_references_through_module_variables():
    data = load("SQG104/good.json")
    root = data["configuration"]["root_module"]
    root["module_calls"]["queues"] = {
        "source": "./queues",
        "expressions": {"key_arn": {"references": ["module.kms.key_arn", "module.kms"]}},
        "module": {
            "resources": [
                {
                    "address": "aws_sqs_queue.q",
                    "mode": "managed",
                    "type": "aws_sqs_queue",
                    "name": "q",
                    "expressions": {"kms_master_key_id": {"references": ["var.key_arn"]}},
                }
            ]
        },
    }
    planned = copy.deepcopy(data["planned_values"]["root_module"]["resources"][0])
    planned["address"] = "module.queues.aws_sqs_queue.q"
    planned["name"] = "q"
    data["planned_values"]["root_module"].setdefault("child_modules", []).append(
        {"address": "module.queues", "resources": [planned]}
    )
    data["resource_changes"].append(
        {
            "address": "module.queues.aws_sqs_queue.q",
            "module_address": "module.queues",
            "mode": "managed",
            "type": "aws_sqs_queue",
            "name": "q",
            "change": {"actions": ["create"], "after": planned["values"], "after_unknown": {"kms_master_key_id": True}},
        }
    )
    q = queue(model_of(data), "module.queues.aws_sqs_queue.q")
    assert q.encryption.key_address == "module.kms.aws_kms_key.this"


def test_known_key_arn_links_to_the_key_in_the_plan():
    model = model_of(load("SQG102/good.json"))
    q = queue(model, "aws_sqs_queue.orders")
    assert isinstance(q.kms_key.value, ResourceRef) and q.kms_key.value.address == "aws_kms_key.orders"
    assert q.sse is None  # the provider's computed flag is not a setting
    assert not any(c.sse_conflict for c in q.choices)


def test_unconfigured_sse_flag_is_the_aws_default_not_a_setting():
    model = model_of(load("SQG102/bad.json"))
    defaults = queue(model, "aws_sqs_queue.defaults")
    assert defaults.sse is None and defaults.encryption.mode is Encryption.SQS_OWNED
    assert not defaults.encryption.explicit
    assert queue(model, "aws_sqs_queue.explicit").encryption.explicit


def test_for_each_instances_fold_into_one_object():
    data = load("SQG102/bad.json")
    for resource in data["planned_values"]["root_module"]["resources"]:
        if resource["address"] == 'aws_sqs_queue.workers["shipping"]':
            resource["values"]["kms_master_key_id"] = "alias/aws/sqs"
    model = model_of(data)
    q = queue(model, "aws_sqs_queue.workers")
    assert isinstance(q.kms_key.value, Conditional)
    assert q.encryption.mode is Encryption.SQS_OWNED
    assert 'each.key is "billing"' in q.encryption.when


def test_aliases_and_policies():
    model = model_of(load("SQG103/good.json"))
    q = queue(model, "aws_sqs_queue.orders")
    assert q.encryption.mode is Encryption.CUSTOMER_KEY and q.encryption.key_address == "aws_kms_key.orders"
    (k,) = model.keys
    statements = k.policy.value["Statement"]
    assert [s["Sid"] for s in statements] == ["EnableIAMUserPermissions", "KeyAdministration", "KeyUse"]
    assert all(s.line == k.location.line for s in statements)
    assert model.unit_accounts == {"plan.json": "123456789012"}


def test_data_sources_and_external_keys_are_unverifiable():
    model = model_of(load("SQG104/bad.json"))
    from_data = queue(model, "aws_sqs_queue.from_data_source")
    assert isinstance(from_data.kms_key.value, Unresolved)
    assert from_data.encryption.mode is Encryption.UNRESOLVED
    external = queue(model, "aws_sqs_queue.external")
    assert external.encryption.mode is Encryption.CUSTOMER_KEY and external.encryption.external


def test_a_plan_is_recognised_by_content_whatever_its_name(tmp_path):
    (tmp_path / "tfplan.json").write_text((PLANS / "SQG103/bad.json").read_text())
    report = scan([str(tmp_path)], Options(), jobs=1)
    assert report.errors == []
    assert sorted(f.rule_id for f in report.findings) == ["SQG103", "SQG103", "SQG103"]


def test_a_single_line_plan_puts_findings_on_line_one(tmp_path):
    (tmp_path / "plan.json").write_text(json.dumps(load("SQG101/bad.json")))
    report = scan([str(tmp_path / "plan.json")], Options(), jobs=1)
    assert {(f.rule_id, f.line) for f in report.findings} == {("SQG101", 1)}


def test_malformed_plans_do_not_crash(tmp_path):
    broken = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [{"address": "aws_sqs_queue.q", "type": "aws_sqs_queue", "mode": "managed", "values": None}, "junk", {"no": "address"}]}},
        "resource_changes": ["junk", {"address": "aws_sqs_queue.q", "change": None}],
        "configuration": {"root_module": {"module_calls": None}},
    }
    model = model_of(broken)
    assert [q.address for q in model.queues] == ["aws_sqs_queue.q"]
