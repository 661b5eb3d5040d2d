"""CloudFormation conditions as one logic: only combinations some deployment can produce are
judged, and messages name only the conditions that decide a value."""

from __future__ import annotations

from pathlib import Path

from sqsguard.engine import scan
from sqsguard.model import Conditional, assignments, describe_assignment
from sqsguard.options import Options
from sqsguard.parsers.conditions import ConditionSpace

FIXTURES = Path(__file__).parent / "fixtures" / "conditions"


def _space(conditions, parameters=None, given=None):
    return ConditionSpace(conditions, parameters or {}, given or {}, lambda node: node if isinstance(node, str) else None)


def _findings(path, **parameters):
    report = scan([str(path)], Options(parameters=parameters), jobs=1)
    assert report.errors == []
    return [(f.rule_id, f.resource, f.message) for f in report.findings]


def test_equals_on_one_parameter_exclude_each_other():
    space = _space({"IsA": {"Fn::Equals": [{"Ref": "P"}, "a"]}, "IsB": {"Fn::Equals": [{"Ref": "P"}, "b"]}}, {"P": {"Type": "String"}})
    assert not space.feasible({"IsA": True, "IsB": True})
    assert space.feasible({"IsA": False, "IsB": False})  # P can be anything else
    assert space.feasible({"IsA": True, "IsB": False})


def test_allowed_values_are_exactly_the_values():
    conditions = {"IsA": {"Fn::Equals": [{"Ref": "P"}, "a"]}, "IsB": {"Fn::Equals": [{"Ref": "P"}, "b"]}}
    space = _space(conditions, {"P": {"Type": "String", "AllowedValues": ["a", "b"]}})
    assert not space.feasible({"IsA": False, "IsB": False})


def test_not_and_or_and_condition_references():
    space = _space(
        {
            "IsA": {"Fn::Equals": [{"Ref": "P"}, "a"]},
            "IsNotA": {"Fn::Not": [{"Condition": "IsA"}]},
            "Both": {"Fn::And": [{"Condition": "IsA"}, {"Fn::Equals": [{"Ref": "Q"}, "x"]}]},
            "Either": {"Fn::Or": [{"Condition": "IsA"}, {"Condition": "IsNotA"}]},
        },
        {"P": {}, "Q": {}},
    )
    assert not space.feasible({"IsA": True, "IsNotA": True})
    assert not space.feasible({"Both": True, "IsA": False})
    assert not space.feasible({"Either": False})
    assert space.feasible({"Both": False, "IsA": True})


def test_a_passed_parameter_has_one_value_and_a_default_is_not_a_restriction():
    conditions = {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}}
    parameters = {"Env": {"Type": "String", "Default": "dev"}}
    assert _space(conditions, parameters).feasible({"IsProd": True})
    assert not _space(conditions, parameters, {"Env": "dev"}).feasible({"IsProd": True})


def test_unknown_comparisons_are_free_but_agree_with_themselves():
    region = {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    space = ConditionSpace({"A": region, "B": dict(region)}, {}, {}, lambda node: "${AWS::Region}" if isinstance(node, dict) else node)
    assert space.feasible({"A": True}) and space.feasible({"A": False})
    assert not space.feasible({"A": True, "B": False})


def test_past_the_bound_nothing_is_ruled_out():
    conditions = {"C%d" % i: {"Fn::Equals": [{"Ref": "P%d" % i}, "x"]} for i in range(14)}
    conditions["Impossible"] = {"Fn::And": [{"Condition": "C0"}, {"Fn::Not": [{"Condition": "C0"}]}]}
    space = _space(conditions, {"P%d" % i: {} for i in range(14)})
    assert not space.feasible({"Impossible": True})  # one parameter: decided
    wide = {"C%d" % i: True for i in range(14)}
    assert space.feasible(wide)  # 2**14 valuations: too many to try, so never excluded


def test_assignments_name_only_the_conditions_on_the_path():
    value = Conditional("A", "x", Conditional("B", "y", "z"))
    assert [dict(a) for a in assignments(value)] == [{"A": True}, {"A": False, "B": True}, {"A": False, "B": False}]


def test_assignments_skip_impossible_combinations_and_leave_implied_conditions_unsaid():
    space = _space({"IsA": {"Fn::Equals": [{"Ref": "P"}, "a"]}, "IsNotA": {"Fn::Not": [{"Condition": "IsA"}]}}, {"P": {}})
    value = Conditional("IsA", "cmk", Conditional("IsNotA", "managed", "none", space), space)
    found = list(assignments(value))
    assert [dict(a) for a in found] == [{"IsA": True}, {"IsA": False, "IsNotA": True}]
    assert [describe_assignment(a) for a in found] == ["IsA is true", "IsA is false"]


def test_a_key_policy_where_each_service_adds_one_statement():
    findings = _findings(FIXTURES / "service-parameter.yaml")
    assert [(rule, resource) for rule, resource, _ in findings] == [("SQG204", "Key"), ("SQG206", "Key"), ("SQG103", "Q")]
    messages = {rule: message for rule, _, message in findings}
    assert messages["SQG204"].endswith("when IsSns is false, IsS3 is false, IsEvents is false.")
    assert messages["SQG206"].endswith("when IsS3 is true.")  # not "when IsSns is false, IsS3 is true"
    assert "when IsProd is false;" in messages["SQG103"]  # IsNotProd is implied, the NoValue branch impossible


def test_passed_parameters_decide_the_verdict():
    assert _findings(FIXTURES / "service-parameter.yaml", Service="sns", Environment="prod") == []
    dev = _findings(FIXTURES / "service-parameter.yaml", Service="sns", Environment="dev")
    assert [(rule, resource) for rule, resource, _ in dev] == [("SQG103", "Q")]
    assert " when " not in dev[0][2]  # always, for this deployment


def test_a_key_is_judged_with_the_queue_branch_that_uses_it():
    """Asymmetric, unrotated and unused exactly when the queue takes alias/aws/sqs: no SQG301,
    no SQG304, and no SQG102 for a branch no value of Mode reaches."""
    findings = _findings(FIXTURES / "correlated.yaml")
    assert [(rule, resource) for rule, resource, _ in findings if rule in ("SQG101", "SQG102", "SQG103", "SQG104", "SQG301", "SQG304")] == [("SQG103", "EventsQueue")]
