"""Serverless Framework services: what is read, how variables resolve, and what is an error.

The rule fixtures (tests/fixtures/serverless/SQG*/{bad,good}/serverless.yml) are checked by
test_fixtures.py like every other format's; the cases here have snapshots of their own beside
them (`<case>.expected.json`, refreshed with --update-snapshots), errors included.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from fixture_scan import FIXTURES, check_snapshot, scan_fixture, snapshot_rows
from sqsguard import inputs
from sqsguard.discover import discover
from sqsguard.link import link
from sqsguard.model import Format, ResourceRef, Unresolved
from sqsguard.options import Options
from sqsguard.parsers import jobs_for, parse_job, parse_recorded

SERVERLESS = FIXTURES / "serverless"
CASES = ["variables", "file-reference", "missing-file", "broken"]


def _rows(report) -> dict:
    return {
        "findings": snapshot_rows(report),
        "errors": [{"file": e.file, "line": e.line, "message": e.message} for e in report.errors],
    }


@pytest.mark.parametrize("case", CASES)
def test_case_snapshot(case: str, update_snapshots: bool) -> None:
    check_snapshot(SERVERLESS / case, _rows(scan_fixture(SERVERLESS / case)), update_snapshots)


def _model(directory: Path, **options):
    targets, problems = discover([str(directory)])
    assert problems == []
    model, errors = None, []
    from sqsguard.model import Model

    model = Model()
    for job in jobs_for(targets):
        outcome = parse_job(job, Options(**options))
        model.extend(outcome.model)
        errors.extend(outcome.errors)
    link(model, Options(**options))
    return model, errors


def test_static_variables_resolve() -> None:
    model, errors = _model(SERVERLESS / "variables")
    assert errors == []
    (queue,) = model.queues
    assert queue.format is Format.SERVERLESS
    assert queue.name.value == "catalog-dev-items"  # ${self:service}-${sls:stage}, stage from ${opt:stage, 'dev'}
    assert queue.kms_key.value == ResourceRef(queue.unit, "CatalogKey", None, "!Ref CatalogKey")  # nested ${self:custom.keys.${...}}
    assert queue.kms_key.origin == "custom.keyId at line 16"
    (key,) = model.keys
    assert key.tags == {"owner": "catalog-team", "workload": "catalog", "data-sensitivity": "internal"}  # ${file(...)}
    assert key.rotation.value is True  # ${strToBool(true)}
    (consumer,) = model.consumers
    assert consumer.address == "functions.index-items.events[0]"
    assert consumer.kind == "Serverless sqs event"
    assert consumer.queue is queue
    assert consumer.role is not None and consumer.role.address == "IamRoleLambdaExecution"
    (function,) = model.functions
    assert function.address == "IndexDashitemsLambdaFunction"  # Serverless's own logical id


def test_parameter_sets_cli_options() -> None:
    model, errors = _model(SERVERLESS / "variables", parameters={"stage": "prod"})
    assert errors == []
    assert model.queues[0].name.value == "catalog-prod-items"


def test_params_section_by_stage(tmp_path: Path) -> None:
    service = tmp_path / "serverless.yml"
    service.write_text(
        "service: s\nprovider: {name: aws, stage: prod}\n"
        "params:\n  default: {name: fallback}\n  prod: {name: production}\n"
        "resources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n      Properties:\n        QueueName: ${param:name}\n"
    )
    model, errors = _model(tmp_path)
    assert errors == [] and model.queues[0].name.value == "production"


def test_unverifiable_variables_are_unresolved() -> None:
    model, errors = _model(SERVERLESS / "SQG104" / "bad")
    assert errors == []
    keys = {q.address: q.kms_key.value for q in model.queues}
    assert all(isinstance(v, Unresolved) for v in keys.values()), keys
    assert keys["FromSsm"].expr == "${ssm:/ledger/queue-key-arn}"
    assert "JavaScript" in keys["FromJavaScript"].reason


def test_the_scanner_environment_is_never_read(monkeypatch) -> None:
    monkeypatch.setenv("LEDGER_KEY_ARN", "alias/aws/sqs")
    model, _ = _model(SERVERLESS / "SQG104" / "bad")
    queue = next(q for q in model.queues if q.address == "FromEnvironment")
    assert isinstance(queue.kms_key.value, Unresolved)


def test_file_reads_go_through_inputs_and_are_recorded(tmp_path: Path) -> None:
    """The result cache knows a parse is stale only from the reads it recorded."""
    service = tmp_path / "svc"
    shutil.copytree(SERVERLESS / "variables", service)
    targets, _ = discover([str(service)])
    (job,) = jobs_for(targets)
    outcome, reads = parse_recorded(job, Options())
    assert outcome.errors == []
    read_paths = {path for kind, path, _, _ in reads if kind == "read"}
    assert str(service / "shared.yml") in read_paths
    assert inputs.unchanged(reads)
    (service / "shared.yml").write_text("owner: someone-else\nsensitivity: internal\n")
    assert not inputs.unchanged(reads)


def test_included_files_are_read_through_the_service() -> None:
    targets, _ = discover([str(SERVERLESS / "file-reference")])
    names = sorted(os.path.relpath(t.path, SERVERLESS / "file-reference") for t in targets)
    # resources/queues.yml is read through it (config/${sls:stage}.yml names a
    # variable: found by walking, it holds no queue or key and is passed over)
    # iam.yml is taken in part (${file(./iam.yml):statements}): the rest of it is read on its own
    assert names == ["config/staging.yml", "iam.yml", "serverless.yml"]
    # named on the command line, a fragment is still read alone
    targets, _ = discover([str(SERVERLESS / "file-reference" / "resources" / "queues.yml")])
    assert len(targets) == 1
    # named with its service (a pre-commit run where both changed): read through the service only
    base = SERVERLESS / "file-reference"
    targets, _ = discover([str(base / "serverless.yml"), str(base / "resources" / "queues.yml")])
    assert [os.path.relpath(t.path, base) for t in targets] == ["serverless.yml"]


def test_role_per_function_and_short_form_event(tmp_path: Path) -> None:
    (tmp_path / "serverless.yml").write_text(
        "service: s\nprovider:\n  name: aws\nfunctions:\n"
        "  a:\n    handler: h.a\n    role: WorkerRole\n    events:\n      - sqs: !GetAtt Q.Arn\n"
        "  b:\n    handler: h.b\n    events:\n      - sqs: arn:aws:sqs:eu-west-1:111122223333:elsewhere\n"
        "resources:\n  Resources:\n"
        "    Q:\n      Type: AWS::SQS::Queue\n"
        "    WorkerRole:\n      Type: AWS::IAM::Role\n      Properties:\n        AssumeRolePolicyDocument: {}\n"
    )
    model, errors = _model(tmp_path)
    assert errors == []
    by_address = {c.address: c for c in model.consumers}
    assert by_address["functions.a.events[0]"].role.address == "WorkerRole"
    assert by_address["functions.a.events[0]"].queue is model.queues[0]
    assert by_address["functions.b.events[0]"].queue is None  # a queue outside the code
    assert by_address["functions.a.events[0]"].location.line == 9


def test_provider_role_arn_means_no_shared_role(tmp_path: Path) -> None:
    (tmp_path / "serverless.yml").write_text(
        "service: s\nprovider:\n  name: aws\n  iam:\n    role: arn:aws:iam::111122223333:role/given\n"
        "functions:\n  a:\n    handler: h.a\n    events:\n      - sqs: !GetAtt Q.Arn\n"
        "resources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n"
    )
    model, errors = _model(tmp_path)
    assert errors == [] and model.roles == []
    assert model.functions[0].role.value == "arn:aws:iam::111122223333:role/given"


def test_self_reference_cycle_is_unresolved(tmp_path: Path) -> None:
    (tmp_path / "serverless.yml").write_text(
        "service: s\nprovider: {name: aws}\ncustom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\n"
        "resources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n      Properties:\n        KmsMasterKeyId: ${self:custom.a}\n"
    )
    model, errors = _model(tmp_path)
    assert errors == []
    assert isinstance(model.queues[0].kms_key.value, Unresolved)
    assert "refers to itself" in model.queues[0].kms_key.value.reason


def test_unrelated_and_other_providers_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "serverless.yml").write_text("service: web\nprovider: {name: aws}\nfunctions:\n  api:\n    handler: h.api\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "serverless.yml").write_text("service: web\nprovider: {name: azure}\nresources:\n  Resources:\n    Q: {Type: 'AWS::SQS::Queue'}\n")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "serverless.yml").write_text("service: web\nprovider: [unclosed\n")  # broken, but no queue
    report = scan_fixture(tmp_path)
    assert report.errors == [] and report.findings == []


def test_a_service_file_by_another_name_is_read(tmp_path: Path) -> None:
    (tmp_path / "serverless.prod.yml").write_text(
        "service: s\nprovider:\n  name: aws\nresources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n"
    )
    report = scan_fixture(tmp_path)
    assert [(f.rule_id, f.file, f.line) for f in report.findings] == [("SQG102", "%s/serverless.prod.yml" % tmp_path.name, 6)]


def test_a_service_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "serverless.yml").write_text("- AWS::SQS::Queue\n")
    report = scan_fixture(tmp_path)
    assert [(e.line, e.message[:40]) for e in report.errors] == [(1, "a Serverless service file is a mapping (")]


def test_serverless_json(tmp_path: Path) -> None:
    (tmp_path / "serverless.json").write_text(json.dumps(
        {"service": "s", "provider": {"name": "aws"},
         "resources": {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": "${self:custom.k}"}}}},
         "custom": {"k": "alias/aws/sqs"}}, indent=1))
    report = scan_fixture(tmp_path)
    assert [f.rule_id for f in report.findings] == ["SQG103"]


def test_cli_scan_of_a_service(tmp_path: Path) -> None:
    """As a new user runs it: exit 1 with the data-flow finding, located in serverless.yml."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    result = subprocess.run([sys.executable, "-m", "sqsguard", "scan", "bad"], cwd=SERVERLESS / "SQG404",
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "bad/serverless.yml:70: high SQG404" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_file_only_mentioned_is_still_read_on_its_own(tmp_path: Path) -> None:
    """A ${file()} in a comment, or in a service sqsguard does not read (not on AWS), takes
    nothing in: the file is scanned, never silently dropped."""
    queue = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      SqsManagedSseEnabled: false\n"
    for name, service in (("commented", "service: s\nprovider:\n  name: aws\n# resources: ${file(./q.yml)}\n"),
                          ("azure", "service: s\nprovider:\n  name: azure\nresources: ${file(./q.yml)}\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "serverless.yml").write_text(service)
        (tmp_path / name / "q.yml").write_text(queue)
        targets, _ = discover([str(tmp_path / name)])
        assert sorted(os.path.basename(t.path) for t in targets) == ["q.yml", "serverless.yml"], name
