"""CloudFormation nested stacks on disk, SAM applications and StackSet bodies (nested_templates).

Each fixture under tests/fixtures/nested/ has its findings snapshot beside it
(`<name>.expected.json`, refreshed with `pytest --update-snapshots` and reviewed); the tests
below check what the snapshots cannot say on their own: errors, what is read once, the cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixture_scan import FIXTURES, check_snapshot, scan_fixture, snapshot_rows

NESTED = FIXTURES / "nested"
SRC = Path(__file__).resolve().parents[1] / "src"

SNAPSHOTS = [
    "local-key/good.yaml",
    "local-key/bad.yaml",
    "outputs/template.yaml",
    "sam-app/template.yaml",
    "packaged/packaged.yaml",
    "stackset/stackset.yaml",
    "stackset/stackset.json",
    "sam-build",
    "sam-build/.aws-sam/build",
]


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_nested_fixture_findings(name: str, update_snapshots: bool) -> None:
    fixture = NESTED / name
    report = scan_fixture(fixture)
    assert report.errors == []
    check_snapshot(fixture, snapshot_rows(report), update_snapshots)


def _short(report, prefix: str = "SQG") -> list[tuple]:
    return [(f.rule_id, f.resource, f.file, f.line, f.construct_path, f.severity)
            for f in report.findings if f.rule_id.startswith(prefix)]


def _errors(report) -> list[tuple]:
    return [(e.file, e.line, e.message) for e in report.errors]


def test_a_key_the_parent_creates_is_linked_to_the_child_queue() -> None:
    assert _short(scan_fixture(NESTED / "local-key" / "good.yaml"), "SQG1") == []
    assert _short(scan_fixture(NESTED / "local-key" / "bad.yaml"), "SQG1") == [
        ("SQG103", "OrdersQueue", "queues/queue.yaml", 10, "Queues/OrdersQueue", "medium")
    ]


def test_the_child_queue_links_to_the_parent_key_object() -> None:
    from sqsguard.discover import discover
    from sqsguard.link import link
    from sqsguard.model import Model
    from sqsguard.options import Options
    from sqsguard.parsers import jobs_for, parse_job

    targets, _ = discover([str(NESTED / "local-key" / "good.yaml")])
    model = Model()
    for job in jobs_for(targets):
        model.extend(parse_job(job, Options()).model)
    link(model, Options())
    (queue,) = model.queues
    (key,) = model.keys
    assert queue.unit.endswith("good.yaml#Queues") and key.unit.endswith("good.yaml")
    assert queue.location.file.endswith("local-key/queues/queue.yaml") and queue.location.line == 7
    assert (queue.encryption.mode.name, queue.encryption.key_unit, queue.encryption.key_address) == (
        "CUSTOMER_KEY", key.unit, "OrdersKey")


def test_an_output_of_one_child_passed_to_another_links_its_key() -> None:
    assert _short(scan_fixture(NESTED / "outputs" / "template.yaml"), "SQG1") == []


def test_unreadable_children_are_errors_at_the_template_url_line() -> None:
    missing = scan_fixture(NESTED / "broken" / "missing.yaml")
    assert _errors(missing) == [
        ("missing.yaml", 6, "nested stack Queues: TemplateURL queues/not-there.yaml does not exist")
    ]
    cycle = scan_fixture(NESTED / "broken" / "cycle.yaml")
    assert _errors(cycle) == [
        ("cycle.yaml", 8, "nested stack Again: TemplateURL ./cycle.yaml is a template this one is nested in (a cycle); not read again")
    ]
    assert _short(cycle) == [("SQG102", "Scratch", "cycle.yaml", 3, None, "medium")]  # read once


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _stack(template_url: str, extra: str = "") -> str:
    return (
        "Resources:\n"
        "  Child:\n"
        "    Type: AWS::CloudFormation::Stack\n"
        "    Properties:\n"
        "      TemplateURL: %s\n" % template_url
    ) + extra


QUEUE = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"


def test_a_child_that_is_not_utf8_names_its_own_line(tmp_path: Path) -> None:
    _write(tmp_path, {"parent.yaml": _stack("child.yaml")})
    (tmp_path / "child.yaml").write_bytes(b"Resources:\n  Q:\n    Type: AWS::SQS::Queue # caf\xe9\n")
    report = scan_fixture(tmp_path / "parent.yaml")
    assert _errors(report) == [("parent.yaml", 5, "nested stack Child: TemplateURL child.yaml cannot be read: "
                                                  "not UTF-8 text (byte 47) at line 3")]


def test_a_child_that_does_not_parse_names_its_own_line(tmp_path: Path) -> None:
    _write(tmp_path, {"parent.yaml": _stack("child.yaml"), "child.yaml": "Resources:\n  Q:\n    Type: [AWS::SQS::Queue\n"})
    report = scan_fixture(tmp_path / "parent.yaml")
    ((file, line, message),) = _errors(report)
    assert (file, line) == ("parent.yaml", 5)
    assert message.startswith("nested stack Child: TemplateURL child.yaml cannot be read: invalid YAML") and message.endswith("at line 3")


def test_a_child_that_is_not_a_template_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path, {"parent.yaml": _stack("child.yaml"), "child.yaml": "name: not a template\n", "dir.yaml": _stack("sub")})
    (tmp_path / "sub").mkdir()
    assert _errors(scan_fixture(tmp_path / "parent.yaml")) == [
        ("parent.yaml", 5, "nested stack Child: TemplateURL child.yaml is not a CloudFormation template (no Resources)")
    ]
    assert _errors(scan_fixture(tmp_path / "dir.yaml")) == [
        ("dir.yaml", 5, "nested stack Child: TemplateURL sub is not a file")
    ]


def test_nesting_too_deep_is_an_error(tmp_path: Path) -> None:
    files = {"s%d.yaml" % i: _stack("s%d.yaml" % (i + 1)) for i in range(10)}
    files["s10.yaml"] = QUEUE
    _write(tmp_path, files)
    report = scan_fixture(tmp_path / "s0.yaml")
    assert _errors(report) == [
        ("s8.yaml", 5, "nested stack Child: TemplateURL s9.yaml is nested more than 8 stacks deep; not read")
    ]


def test_a_child_found_by_the_directory_scan_is_reported_through_its_parents_only() -> None:
    report = scan_fixture(NESTED / "local-key")
    assert _errors(report) == []
    assert _short(report, "SQG1") == [
        ("SQG103", "OrdersQueue", "local-key/queues/queue.yaml", 10, "Queues/OrdersQueue", "medium")
    ]


def test_a_child_named_on_the_command_line_is_read_alone() -> None:
    report = scan_fixture(NESTED / "local-key" / "queues" / "queue.yaml")
    assert _short(report, "SQG1") == [("SQG104", "OrdersQueue", "queue.yaml", 10, None, "info")]


def test_a_named_parent_reports_its_children_findings() -> None:
    report = scan_fixture(NESTED / "sam-app" / "template.yaml")
    assert [(f.rule_id, f.file) for f in report.findings] == [
        ("SQG103", "app/template.yaml"), ("SQG104", "template.yaml")
    ]


def test_a_two_file_cycle_found_by_the_directory_scan_is_not_dropped(tmp_path: Path) -> None:
    _write(tmp_path, {"a.yaml": _stack("b.yaml", QUEUE.replace("Resources:\n", "")), "b.yaml": _stack("a.yaml")})
    report = scan_fixture(tmp_path)
    assert sorted(_errors(report)) == [
        (str(Path(tmp_path.name, "a.yaml")), 5, "nested stack Child: TemplateURL b.yaml (%s/b.yaml) is a template this one is nested in (a cycle); not read again" % tmp_path.name),
        (str(Path(tmp_path.name, "b.yaml")), 5, "nested stack Child: TemplateURL a.yaml (%s/a.yaml) is a template this one is nested in (a cycle); not read again" % tmp_path.name),
    ]
    assert {f.rule_id for f in report.findings} == {"SQG102"}


def test_sam_build_output_is_skipped_beside_its_source_and_read_without_it(tmp_path: Path) -> None:
    report = scan_fixture(NESTED / "sam-build")
    assert [f.file for f in report.findings] == ["sam-build/nested/orders.yaml"]
    shutil.copytree(NESTED / "sam-build" / ".aws-sam", tmp_path / "project" / ".aws-sam")
    alone = scan_fixture(tmp_path / "project")
    assert _errors(alone) == []
    assert _short(alone) == [
        ("SQG103", "OrdersQueue", "project/.aws-sam/build/Orders/template.yaml", 10, "Orders/OrdersQueue", "medium")
    ]


def test_stack_instance_groups_with_other_values_are_read_once_each(tmp_path: Path) -> None:
    _write(tmp_path, {"set.yaml": (
        "Resources:\n"
        "  Baseline:\n"
        "    Type: AWS::CloudFormation::StackSet\n"
        "    Properties:\n"
        "      Parameters:\n"
        "        - {ParameterKey: QueueKey, ParameterValue: alias/aws/sqs}\n"
        "      StackInstancesGroup:\n"
        "        - Regions: [eu-west-1]\n"
        "        - Regions: [us-east-1]\n"
        "          ParameterOverrides:\n"
        "            - {ParameterKey: QueueKey, ParameterValue: ''}\n"
        "      TemplateBody: |-\n"
        "        Parameters:\n"
        "          QueueKey: {Type: String}\n"
        "        Conditions:\n"
        "          HasKey: !Not [!Equals [!Ref QueueKey, '']]\n"
        "        Resources:\n"
        "          Audit:\n"
        "            Type: AWS::SQS::Queue\n"
        "            Properties:\n"
        "              KmsMasterKeyId: !If [HasKey, !Ref QueueKey, !Ref AWS::NoValue]\n"
    )})
    report = scan_fixture(tmp_path / "set.yaml")
    assert _errors(report) == []
    assert _short(report) == [
        ("SQG102", "Audit", "set.yaml", 21, "Baseline[1]/Audit", "medium"),
        ("SQG103", "Audit", "set.yaml", 21, "Baseline[0]/Audit", "medium"),
    ]


def test_a_stack_set_body_that_does_not_parse_is_an_error_on_its_line(tmp_path: Path) -> None:
    _write(tmp_path, {"set.yaml": (
        "Resources:\n"
        "  Baseline:\n"
        "    Type: AWS::CloudFormation::StackSet\n"
        "    Properties:\n"
        "      TemplateBody: |\n"
        "        Resources:\n"
        "          Q: [\n"
    )})
    ((file, line, message),) = _errors(scan_fixture(tmp_path / "set.yaml"))
    assert (file, line) == ("set.yaml", 7)
    assert message.startswith("StackSet Baseline: its TemplateBody cannot be read: invalid YAML")


def _cli(args: list[str], cwd: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    done = subprocess.run([sys.executable, "-m", "sqsguard", "scan", "--format", "json", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout)


def test_changing_a_child_template_changes_the_cached_report(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(NESTED / "local-key", project)
    cache = tmp_path / "cache"
    args = ["--cache-dir", str(cache), "good.yaml"]

    def rules() -> list[tuple]:
        return sorted((f["rule_id"], f["file"], f["line"]) for f in _cli(args, project)["findings"])

    before = rules()
    assert before == rules()  # the second run is served from the cache, identically
    assert not any(r[0].startswith("SQG1") for r in before)
    child = project / "queues" / "queue.yaml"
    child.write_text(child.read_text().replace("KmsMasterKeyId: !Ref KeyArn", "SqsManagedSseEnabled: false"))
    assert ("SQG101", "queues/queue.yaml", 10) in rules()


def test_the_cache_serves_a_tree_while_its_child_is_unchanged(tmp_path: Path) -> None:
    from sqsguard.engine import scan
    from sqsguard.options import Options
    from sqsguard.result_cache import ResultCache

    project = tmp_path / "project"
    shutil.copytree(NESTED / "local-key", project)
    previous = os.getcwd()
    os.chdir(project)
    try:
        def run() -> tuple[ResultCache, list]:
            cache = ResultCache(tmp_path / "cache")
            report = scan(["."], Options(), jobs=1, cache=cache)
            return cache, sorted((f.rule_id, f.file, f.line) for f in report.findings)

        cold, first = run()
        warm, second = run()
        assert (cold.stats.hits, warm.stats.misses, first) == (0, 0, second)
        child = project / "queues" / "queue.yaml"
        child.write_text(child.read_text().replace("KmsMasterKeyId: !Ref KeyArn", "SqsManagedSseEnabled: false"))
        stale, third = run()
        assert stale.stats.misses == 3  # both parents and the child's own job read it
        assert [r for r in third if r[0] == "SQG101"] == [("SQG101", "queues/queue.yaml", 10)] * 2
    finally:
        os.chdir(previous)


def test_a_cdk_template_read_alone_follows_its_asset_path_metadata(tmp_path: Path) -> None:
    source = FIXTURES / "cdk" / "nested" / "cdk.out"
    for name in ("ParentStack.template.json", "ParentStackWorkers59BCE5BF.nested.template.json"):
        shutil.copy(source / name, tmp_path / name)
    parent = tmp_path / "ParentStack.template.json"
    data = json.loads(parent.read_text())
    (stack,) = [r for r in data["Resources"].values() if r["Type"] == "AWS::CloudFormation::Stack"]
    without = scan_fixture(parent)
    assert [f.rule_id for f in without.findings if f.resource_type == "AWS::CloudFormation::Stack"] == ["SQG104"]
    stack["Metadata"] = {"aws:asset:path": "ParentStackWorkers59BCE5BF.nested.template.json", "aws:asset:property": "TemplateURL"}
    parent.write_text(json.dumps(data, indent=1))
    report = scan_fixture(parent)
    assert _errors(report) == []
    assert [(f.rule_id, f.resource, f.file) for f in report.findings if f.rule_id.startswith("SQG1")] == [
        ("SQG102", "ScratchQueue6D3A44B6", "ParentStackWorkers59BCE5BF.nested.template.json"),
        ("SQG103", "ReportsQueue3E7B859E", "ParentStackWorkers59BCE5BF.nested.template.json"),
    ]


def test_a_template_used_many_times_at_every_level_is_read_up_to_a_limit(tmp_path: Path) -> None:
    def level(n: int) -> str:
        return "Resources:\n" + "".join(
            "  S%d:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: l%d.yaml\n" % (i, n + 1)
            for i in range(4)
        )

    files = {"l%d.yaml" % n: level(n) for n in range(6)}
    files["l6.yaml"] = QUEUE
    _write(tmp_path, files)
    report = scan_fixture(tmp_path / "l0.yaml")
    assert report.errors and all(e.message.endswith(": more than 250 nested stacks under l0.yaml; not read") for e in report.errors)
    assert len(report.errors) <= 4 * 6  # one per stack resource line, however often it was met
    assert report.files_scanned == 7  # each file parsed once


def test_a_child_named_with_its_parent_is_read_through_the_parent_only() -> None:
    """What a pre-commit run passes when both changed: no second, contradicting reading of the
    child with its own defaults."""
    from sqsguard.engine import scan
    from sqsguard.options import Options

    previous = os.getcwd()
    os.chdir(NESTED / "local-key")
    try:
        report = scan(["bad.yaml", "queues/queue.yaml"], Options(), jobs=1)
    finally:
        os.chdir(previous)
    through_parent = scan_fixture(NESTED / "local-key" / "bad.yaml")
    assert [(f.rule_id, f.file, f.line) for f in report.findings] == [(f.rule_id, f.file, f.line) for f in through_parent.findings]
    assert ("SQG103", "queues/queue.yaml") in [(f.rule_id, f.file) for f in report.findings]  # the child, with the parent's values
    assert report.queues == through_parent.queues == 1


def test_sam_build_run_from_above_its_template_reads_the_source_not_the_copy(tmp_path: Path) -> None:
    """`sam build -t infra/template.yaml` writes .aws-sam where it runs, not beside the template."""
    project = tmp_path / "project"
    shutil.copytree(NESTED / "sam-build", project / "infra", ignore=shutil.ignore_patterns(".aws-sam"))
    shutil.copytree(NESTED / "sam-build" / ".aws-sam", project / ".aws-sam")
    report = scan_fixture(project)
    assert [f.file for f in report.findings] == ["project/infra/nested/orders.yaml"]
    named = scan_fixture(project / ".aws-sam")  # named: the copy is what was asked for
    assert [f.file for f in named.findings] == [".aws-sam/build/Orders/template.yaml"]
