"""Values not known statically that are still known to be non-empty: a resource's ARN or id.
The guards public modules write around optional keys are true for them."""

from __future__ import annotations

from pathlib import Path

from sqsguard.engine import scan
from sqsguard.link import link
from sqsguard.model import Encryption, Format, ResourceRef
from sqsguard.options import Options
from sqsguard.parsers.cloudformation import build_model
from sqsguard.parsers.documents import load_yaml

GUARDS = Path(__file__).parent / "fixtures" / "guards"


def test_terraform_guards_around_a_key_of_the_code_are_true():
    report = scan([str(GUARDS / "terraform")], Options(), jobs=1)
    assert report.errors == []
    assert [(f.rule_id, f.resource) for f in report.findings if f.rule_id.startswith("SQG1")] == []


def test_the_same_module_alone_has_no_key_by_default():
    report = scan([str(GUARDS / "terraform" / "mod")], Options(), jobs=1)
    weak = sorted(f.resource for f in report.findings if f.rule_id == "SQG102")
    assert weak == ["aws_sqs_queue.a", "aws_sqs_queue.b", "aws_sqs_queue.d", "aws_sqs_queue.f"]


def test_terraform_length_and_comparisons_of_identifiers():
    from sqsguard.parsers.terraform.expressions import _positive_comparison
    from sqsguard.parsers.terraform.values import KnownPositive

    positive = KnownPositive("length(x)", "")
    assert _positive_comparison(">", positive, 0) is True
    assert _positive_comparison(">=", positive, 1) is True
    assert _positive_comparison("<", 0, positive) is True
    assert _positive_comparison("<", positive, 1) is False
    assert _positive_comparison(">", positive, 1) is None  # could be 1


def test_a_cloudformation_parameter_given_a_resource_identifier_is_not_empty():
    template = load_yaml((GUARDS / "child.yaml").read_text())
    model = build_model(template, "child.yaml", "child.yaml", Format.CLOUDFORMATION, {"KeyArn": ResourceRef("parent", "Key", "Arn", "!GetAtt Key.Arn")})
    link(model)
    (queue,) = model.queues
    assert [c.mode for c in queue.choices] == [Encryption.UNRESOLVED]  # never the SQS-owned key


def test_the_cloudformation_default_still_means_no_key():
    report = scan([str(GUARDS / "child.yaml")], Options(), jobs=1)
    assert [(f.rule_id, f.resource) for f in report.findings] == [("SQG102", "Q")]
