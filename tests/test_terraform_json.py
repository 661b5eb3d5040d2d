"""Terraform's JSON syntax (`*.tf.json`) and CDK for Terraform's synthesized stacks.

Fixtures: tests/fixtures/terraform_json/ (hand-written) and tests/fixtures/cdktf/app/cdktf.out
(a real `cdktf` synth of app/main.js). Each scanned fixture has a reviewed snapshot beside it
(`<fixture>.expected.json`, refreshed with `pytest --update-snapshots`); the tests below also
spell the essentials out.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fixture_scan import FIXTURES, check_snapshot, scan_fixture, snapshot_rows
from sqsguard.cli import main
from sqsguard.discover import discover
from sqsguard.parsers.terraform.expressions import Evaluator
from sqsguard.parsers.terraform.hcl import HclError
from sqsguard.parsers.terraform.json_syntax import parse_json_text
from sqsguard.parsers.terraform.loading import LiteralContext

TF_JSON = FIXTURES / "terraform_json"
CDKTF = FIXTURES / "cdktf" / "app" / "cdktf.out"


def rows(path: Path) -> list[tuple]:
    report = scan_fixture(path)
    assert report.errors == []
    return [(f.rule_id, f.resource, f.file, f.line, f.severity, f.construct_path, f.format) for f in report.findings]


@pytest.mark.parametrize("fixture", [TF_JSON / "good", TF_JSON / "bad", TF_JSON / "mixed", CDKTF],
                         ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_snapshots(fixture: Path, update_snapshots: bool) -> None:
    report = scan_fixture(fixture)
    assert report.errors == []
    check_snapshot(fixture, snapshot_rows(report), update_snapshots)


def test_good_json_module_has_no_findings() -> None:
    report = scan_fixture(TF_JSON / "good")
    assert report.errors == [] and report.findings == []
    assert report.files_scanned == 1


def test_bad_json_queues() -> None:
    assert rows(TF_JSON / "bad") == [
        ("SQG101", "aws_sqs_queue.plain", "bad/main.tf.json", 8, "high", None, "terraform"),
        ("SQG103", "aws_sqs_queue.managed", "bad/main.tf.json", 12, "medium", None, "terraform"),
        ("SQG102", "aws_sqs_queue.owned", "bad/main.tf.json", 17, "medium", None, "terraform"),  # a body in an array
        ("SQG103", "module.legacy.aws_sqs_queue.this", "bad/main.tf.json", 27, "medium", None, "terraform"),
    ]


def test_module_directory_mixing_tf_and_tf_json() -> None:
    """Queues in main.tf use a local, variables and keys that keys.tf.json declares, and a
    value from events.auto.tfvars.json."""
    assert rows(TF_JSON / "mixed") == [
        ("SQG204", "aws_kms_key.orders", "mixed/keys.tf.json", 26, "low", None, "terraform"),
        ("SQG201", "aws_kms_key.inbox", "mixed/keys.tf.json", 33, "critical", None, "terraform"),
        ("SQG202", "aws_kms_key.inbox", "mixed/keys.tf.json", 33, "high", None, "terraform"),
        ("SQG103", "aws_sqs_queue.reports", "mixed/main.tf", 11, "medium", None, "terraform"),
        ("SQG103", "aws_sqs_queue.events", "mixed/main.tf", 16, "medium", None, "terraform"),
        ("SQG104", "aws_sqs_queue.unknown", "mixed/main.tf", 26, "info", None, "terraform"),
    ]
    messages = {f.resource: f.message for f in scan_fixture(TF_JSON / "mixed").findings if f.rule_id.startswith("SQG10")}
    assert "set by the default of variable reports_key, mixed/keys.tf.json:6" in messages["aws_sqs_queue.reports"]
    assert "set by mixed/events.auto.tfvars.json:2" in messages["aws_sqs_queue.events"]
    assert "variable unknown_key has no default and no value here" in messages["aws_sqs_queue.unknown"]


def test_cdktf_stacks_carry_construct_paths() -> None:
    assert rows(CDKTF) == [
        ("SQG201", "aws_kms_key.messaging_key_B0E22246", "cdktf.out/stacks/orders/cdk.tf.json", 48, "critical",
         "orders/messaging/key", "terraform"),
        ("SQG302", "aws_kms_key.messaging_key_B0E22246", "cdktf.out/stacks/orders/cdk.tf.json", 90, "low",
         "orders/messaging/key", "terraform"),
        ("SQG101", "aws_sqs_queue.audit", "cdktf.out/stacks/orders/cdk.tf.json", 111, "high", "orders/audit", "terraform"),
        ("SQG103", "aws_sqs_queue.legacy", "cdktf.out/stacks/orders/cdk.tf.json", 120, "medium", "orders/legacy",
         "terraform"),
        ("SQG104", "aws_sqs_queue.payments", "cdktf.out/stacks/payments/cdk.tf.json", 27, "info", "payments/payments",
         "terraform"),
        ("SQG102", "aws_sqs_queue.refunds", "cdktf.out/stacks/payments/cdk.tf.json", 38, "medium", "payments/refunds",
         "terraform"),
    ]


def test_cdktf_manifest_named_alone_scans_its_stacks() -> None:
    report = scan_fixture(CDKTF / "manifest.json")
    assert report.errors == []
    assert sorted({f.file for f in report.findings}) == ["stacks/orders/cdk.tf.json", "stacks/payments/cdk.tf.json"]


def test_cdktf_stack_listed_but_missing_is_a_problem(tmp_path: Path) -> None:
    out = tmp_path / "cdktf.out"
    shutil.copytree(CDKTF, out)
    shutil.rmtree(out / "stacks" / "payments")
    for paths in ([str(out)], [str(out / "manifest.json")]):
        targets, problems = discover(paths)
        assert [t.path for t in targets if t.kind == "terraform"] == [str(out / "stacks" / "orders")]
        assert [(Path(p.path).name, "but missing" in p.message) for p in problems] == [("cdk.tf.json", True)]


def test_text_report_names_the_construct_path() -> None:
    previous = os.getcwd()
    os.chdir(CDKTF.parent)
    try:
        result = CliRunner().invoke(main, ["scan", "cdktf.out", "--no-cache"])
    finally:
        os.chdir(previous)
    assert "cdktf.out/stacks/orders/cdk.tf.json:111: high SQG101 queue-unencrypted  aws_sqs_queue.audit (orders/audit)" in result.output


# --- files that cannot be read ----------------------------------------------------------------


@pytest.mark.parametrize("name, line, message", [
    ("broken_json", 6, "invalid JSON: Expecting property name enclosed in double quotes"),
    ("broken_template", 6, "an unclosed ${ in a string template"),
    ("broken_shape", 4, "resource 'aws_sqs_queue' 'q': a block must be a JSON object (or an array of objects), not a string"),
])
def test_broken_file_is_an_error_with_its_line(name: str, line: int, message: str) -> None:
    report = scan_fixture(TF_JSON / name)
    assert report.findings == []
    assert [(e.file, e.line, e.message) for e in report.errors] == [("%s/main.tf.json" % name, line, message)]


def test_unknown_block_type_and_bad_encoding_are_errors(tmp_path: Path) -> None:
    (tmp_path / "a.tf.json").write_text('{\n  "resources": {"aws_sqs_queue": {"q": {}}}\n}\n')
    (tmp_path / "b.tf.json").write_bytes(b'{"resource": {"aws_sqs_queue": {"q": {"name": "\xff"}}}}')
    report = scan_fixture(tmp_path)
    assert report.findings == []
    assert sorted((Path(e.file).name, e.line, e.message) for e in report.errors) == [
        ("a.tf.json", 2, "'resources' is not a Terraform block type (Terraform refuses this file)"),
        ("b.tf.json", 1, "not UTF-8 text (byte 47)"),
    ]


def test_invalid_expression_names_its_argument_and_line(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(
        '{\n  "resource": {"aws_sqs_queue": {\n    "q": {\n      "name": "q",\n      "kms_master_key_id": "${1 +}"\n    }\n  }}\n}\n'
    )
    report = scan_fixture(tmp_path)
    assert [(e.line, e.message) for e in report.errors] == [(5, "kms_master_key_id: invalid expression in this argument's value")]


# --- the JSON mapping itself ------------------------------------------------------------------


def parse(text: str):
    return parse_json_text(text, "/x/main.tf.json", "main.tf.json")


def values(block) -> dict:
    ev = Evaluator(LiteralContext())
    return {name: ev.evaluate(attr.expr, attr.seg) for name, attr in block.attributes.items()}


def test_literal_values_and_templates() -> None:
    parsed = parse(json.dumps({
        "//": "generated",
        "locals": {
            "number": 5, "negative": -2.5, "big": 1e20, "yes": True, "nothing": None,
            "list": [1, "a", [True]], "object": {"k": {"j": "v"}, "//": "a key like any other here"},
            "escaped": "$${not} %%{this}", "text": 'tab\there "quoted" back\\slash \u00e9\nnew line',
            "joined": "x-${upper(\"a\")}-${2 + 3}", "directive": "%{ if true }on%{ else }off%{ endif }",
            "whole": "${[1, 2]}",
        },
    }, indent=2))
    assert [b.type for b in parsed.blocks] == ["locals"]
    assert values(parsed.blocks[0]) == {
        "number": 5, "negative": -2.5, "big": 1e20, "yes": True, "nothing": None,
        "list": [1, "a", [True]], "object": {"k": {"j": "v"}, "//": "a key like any other here"},
        "escaped": "${not} %{this}", "text": 'tab\there "quoted" back\\slash \u00e9\nnew line',
        "joined": "x-A-5", "directive": "on", "whole": [1, 2],
    }


def test_blocks_labels_lines_and_comments() -> None:
    text = """{
  "//": {"metadata": {"stackName": "s"}},
  "resource": {
    "aws_sqs_queue": {
      "one": {
        "//": {"metadata": {"path": "s/one", "uniqueId": "one"}},
        "name": "one",
        "depends_on": ["aws_kms_key.k"],
        "lifecycle": {"ignore_changes": ["tags"]}
      }
    },
    "aws_instance": {"web": {"ami": "x"}}
  },
  "provider": {"aws": [{"region": "eu-west-1"}, {"alias": "us", "region": "us-east-1"}]},
  "module": {"m": {"source": "./${x}", "providers": {"aws": "aws.us"}, "count": 2}},
  "variable": {"v": {"type": "list(string)", "default": ["${not_a_template}"], "description": "${neither}"}},
  "terraform": {"required_version": ">= 1.0"}
}
"""
    from sqsguard.parsers.terraform.resources import KEEP

    parsed = parse_json_text(text, "/x/main.tf.json", "main.tf.json", KEEP)
    assert parsed.declared == {("managed", "aws_sqs_queue", "one"): 5, ("managed", "aws_instance", "web"): 12}
    queue, aws, aws_us, module, variable = parsed.blocks  # aws_instance is not kept, terraform is skipped
    assert (queue.type, queue.labels, queue.line, queue.end_line, queue.construct_path) == (
        "resource", ["aws_sqs_queue", "one"], 5, 10, "s/one")
    assert sorted(queue.attributes) == ["depends_on", "name"]
    assert [(b.type, b.line) for b in queue.blocks] == [("lifecycle", 9)]
    assert (queue.attributes["name"].line, queue.attributes["depends_on"].text) == (7, "[aws_kms_key.k,]")
    assert [(b.labels, values(b)) for b in (aws, aws_us)] == [
        (["aws"], {"region": "eu-west-1"}), (["aws"], {"alias": "us", "region": "us-east-1"})]
    assert module.attributes["source"].text == '"./$${x}"'  # a literal string, not a template
    assert module.attributes["providers"].text == "{aws = aws.us,}"
    assert variable.attributes["type"].text == "list(string)"
    ev = Evaluator(LiteralContext())
    assert ev.evaluate(variable.attributes["default"].expr, variable.attributes["default"].seg) == ["${not_a_template}"]
    assert ev.evaluate(variable.attributes["description"].expr, variable.attributes["description"].seg) == "${neither}"


def test_nested_blocks_follow_the_schema_and_dynamic_blocks() -> None:
    text = json.dumps({
        "data": {"aws_iam_policy_document": {"p": {
            "statement": [
                {"sid": "A", "actions": ["kms:*"], "principals": {"type": "AWS", "identifiers": ["*"]}},
                {"sid": "B", "condition": [{"test": "StringEquals", "variable": "x", "values": ["y"]}]},
            ],
            "dynamic": {"statement": {"for_each": "${[1]}", "content": {"sid": "C${statement.value}"}}},
        }}},
        "resource": {"aws_sqs_queue": {"q": {"tags": {"owner": "me"}}}},
    }, indent=2)
    data, queue = parse(text).blocks
    statements = data.children("statement")
    assert [s.attributes["sid"].text for s in statements] == ['"A"', '"B"']
    assert [b.type for b in statements[0].blocks] == ["principals"]
    assert [b.type for b in statements[1].blocks] == ["condition"]
    (dynamic,) = data.children("dynamic")
    assert dynamic.labels == ["statement"] and [b.type for b in dynamic.blocks] == ["content"]
    assert sorted(dynamic.attributes) == ["for_each"]
    assert queue.blocks == [] and values(queue) == {"tags": {"owner": "me"}}  # tags is an argument


def test_several_bodies_for_one_label_and_labels_in_arrays() -> None:
    parsed = parse('{"resource": [{"aws_sqs_queue": {"a": {}}}, {"aws_sqs_queue": [{"b": [{"name": "b"}]}]}]}')
    assert [b.labels for b in parsed.blocks] == [["aws_sqs_queue", "a"], ["aws_sqs_queue", "b"]]


@pytest.mark.parametrize("text, line, message", [
    ("[1]", 1, "a Terraform JSON file holds one JSON object (its top-level block types)"),
    ('{\n"resource": {"aws_sqs_queue": ["x"]}}', 2, "resource 'aws_sqs_queue': each element of this array must be a JSON object (a block body)"),
    ('{\n\n"locals": 3}', 3, "locals: a block must be a JSON object (or an array of objects), not a number"),
])
def test_shapes_terraform_refuses(text: str, line: int, message: str) -> None:
    with pytest.raises(HclError) as caught:
        parse(text)
    assert (caught.value.line, caught.value.message) == (line, message)


# --- discovery and the result cache -----------------------------------------------------------


def test_discovery_reads_tf_json_directories_and_not_as_documents(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text('{"resource": {"aws_sqs_queue": {"q": {}}}}')
    (tmp_path / "terraform.tfvars.json").write_text('{"x": "aws_sqs_"}')
    (tmp_path / "other.json").write_text("{}")
    targets, problems = discover([str(tmp_path)])
    assert problems == []
    assert sorted((t.kind, os.path.basename(t.path)) for t in targets) == [
        ("document", "other.json"), ("terraform", tmp_path.name)]
    targets, _ = discover([str(tmp_path / "main.tf.json")])
    assert [(t.kind, t.path, t.explicit) for t in targets] == [("terraform", str(tmp_path), True)]


def test_changing_a_tf_json_changes_the_cached_report(tmp_path: Path) -> None:
    module = tmp_path / "infra"
    module.mkdir()
    queue = module / "main.tf.json"
    cache = tmp_path / "cache"

    def scan() -> list:
        previous = os.getcwd()
        os.chdir(tmp_path)
        try:
            result = CliRunner().invoke(main, ["scan", "infra", "--format", "json", "--cache-dir", str(cache)])
        finally:
            os.chdir(previous)
        return [(f["rule_id"], f["line"]) for f in json.loads(result.output)["findings"]]

    queue.write_text('{"resource": {"aws_sqs_queue": {"q": {\n  "sqs_managed_sse_enabled": false\n}}}}\n')
    assert scan() == [("SQG101", 2)]
    assert scan() == [("SQG101", 2)]  # from the cache
    from sqsguard.result_cache import FORMAT

    assert any((cache / ("results-v%d" % FORMAT)).iterdir()), "the cache was not written"
    queue.write_text('{"resource": {"aws_sqs_queue": {"q": {\n\n  "kms_master_key_id": "alias/aws/sqs"\n}}}}\n')
    assert scan() == [("SQG103", 3)]
    (module / "keys.tf.json").write_text('{"variable": {"unused": {}}}')  # a new file in the module
    (module / "main.tf.json").write_text('{"resource": {"aws_sqs_queue": {"q": {"kms_master_key_id": "${var.k}"}}}}')
    (module / "vars.tf.json").write_text('{"variable": {"k": {"default": "alias/aws/sqs"}}}')
    assert scan() == [("SQG103", 1)]


def test_where_a_wrapped_reference_got_its_value_is_said(tmp_path):
    """`"${var.x}"` (how the JSON syntax and CDK for Terraform write references) names where the
    value was set, as `var.x` does."""
    from sqsguard.engine import scan
    from sqsguard.options import Options

    (tmp_path / "main.tf.json").write_text(json.dumps({
        "variable": {"events_key": {"type": "string"}},
        "resource": {"aws_sqs_queue": {"events": {"name": "events", "kms_master_key_id": "${var.events_key}"}}},
    }, indent=2))
    report = scan([str(tmp_path)], Options(env_vars={"events_key": "alias/aws/sqs"}), jobs=1)
    (finding,) = [f for f in report.findings if f.rule_id == "SQG103"]
    assert finding.line == 11  # the kms_master_key_id line of the indented JSON
    assert 'kms_master_key_id: "${var.events_key}", which resolves to alias/aws/sqs, set by TF_VAR_events_key (environment)' in finding.message


def test_blocks_of_a_cdktf_module_carry_the_module_construct_path(tmp_path):
    from sqsguard.engine import scan
    from sqsguard.options import Options

    (tmp_path / "cdk.tf.json").write_text(json.dumps({
        "module": {"kms_q": {
            "//": {"metadata": {"path": "mods/kms_q", "uniqueId": "kms_q"}},
            "source": "terraform-aws-modules/sqs/aws", "version": "4.2.0",
            "name": "orders", "kms_master_key_id": "alias/aws/sqs",
        }},
    }, indent=2))
    report = scan([str(tmp_path)], Options(), jobs=1)
    assert [(f.rule_id, f.resource, f.construct_path) for f in report.findings if f.rule_id.startswith("SQG1")] == [
        ("SQG103", "module.kms_q.aws_sqs_queue.this", "mods/kms_q")]


def test_an_expression_nested_too_deeply_in_a_tf_json_string_is_refused_with_its_line(tmp_path):
    from sqsguard.engine import scan
    from sqsguard.options import Options

    deep = "${" + "(" * 5000 + "1" + ")" * 5000 + "}"
    (tmp_path / "main.tf.json").write_text('{\n  "resource": {"aws_sqs_queue": {"q": {\n    "delay_seconds": "%s"\n  }}}\n}\n' % deep)
    report = scan([str(tmp_path)], Options(), jobs=1)
    assert [(e.line, e.message) for e in report.errors] == [
        (3, "invalid HCL: more than 200 brackets opened in a row (nested too deeply to read)")]


def test_a_module_input_named_dynamic_is_an_input_not_a_block(tmp_path):
    from sqsguard.engine import scan
    from sqsguard.options import Options

    (tmp_path / "main.tf.json").write_text(json.dumps({
        "module": {"queue": {"source": "terraform-aws-modules/sqs/aws", "name": "orders", "dynamic": {"x": 1},
                             "kms_master_key_id": "alias/aws/sqs"}},
    }, indent=2))
    report = scan([str(tmp_path)], Options(), jobs=1)
    assert report.errors == []
    assert [(f.rule_id, f.resource) for f in report.findings if f.rule_id.startswith("SQG1")] == [
        ("SQG103", "module.queue.aws_sqs_queue.this")]
