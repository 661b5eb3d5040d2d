"""The configuration file: where it is found, what it may say, how errors read, what wins."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from sqsguard.cli import main
from sqsguard.config import find, reference

ROOT = Path(__file__).resolve().parents[1]
FOREIGN_KEY = """Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: "kms:*"
            Resource: "*"
          - Effect: Allow
            Principal: {AWS: "arn:aws:iam::444455556666:role/reader"}
            Action: ["kms:Decrypt"]
            Resource: "*"
      Tags:
        - {Key: owner, Value: a}
        - {Key: workload, Value: b}
        - {Key: data-sensitivity, Value: c}
"""
QUEUE = 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n'


def _invoke(*args, cwd=None):
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, list(args))
    import os

    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, list(args))
    finally:
        os.chdir(previous)


def _json(result):
    assert result.stdout.startswith("{"), result.output
    return json.loads(result.stdout)


def test_found_upward_and_not_beyond_the_repository_root(tmp_path):
    (tmp_path / ".sqsguard.yaml").write_text("fail_on: never\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "infra").mkdir()
    assert find(str(repo / "infra")) is None  # the file above the repository is not ours
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find(str(repo / "infra")) is None  # a pyproject.toml without [tool.sqsguard]
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.sqsguard]\nfail_on = 'high'\n")
    assert find(str(repo / "infra")) == str(repo / "pyproject.toml")
    (repo / "infra" / ".sqsguard.yaml").write_text("fail_on: medium\n")
    assert find(str(repo / "infra" / "main.tf")) == str(repo / "infra" / ".sqsguard.yaml")


def test_yaml_wins_over_pyproject_in_the_same_directory(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.sqsguard]\nfail_on = 'high'\n")
    (tmp_path / ".sqsguard.yaml").write_text("fail_on: info\n")
    assert find(str(tmp_path)) == str(tmp_path / ".sqsguard.yaml")


def test_a_typo_in_a_key_is_one_line_with_file_line_and_suggestion(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "main.tf").write_text(QUEUE)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.sqsguard]\nfail-on = 'high'\n")
    result = _invoke("scan", str(tmp_path))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert re.match(r"^error: .*pyproject\.toml:5: unknown key 'fail-on' \(did you mean 'fail_on'\?\); known keys: select, ", lines[0])


def test_wrong_types_and_values_name_the_key_and_what_was_expected(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".sqsguard.yaml").write_text(
        "fail_on: hgh\nown_accounts: [123]\nrequired_key_tags: owner\nseverity:\n  SQG302: urgent\n"
    )
    result = _invoke("scan", str(tmp_path))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [
        'error: %s:1: fail_on: "hgh" is not allowed; expected one of critical, high, medium, low, info, never' % _shown(tmp_path),
        "error: %s:2: own_accounts[0]: 123 is not allowed; expected a string" % _shown(tmp_path),
        'error: %s:3: required_key_tags: "owner" is not allowed; expected a list' % _shown(tmp_path),
        'error: %s:4: severity.SQG302: "urgent" is not allowed; expected one of critical, high, medium, low, info' % _shown(tmp_path),
    ]


def _shown(directory: Path) -> str:
    from sqsguard.discover import display_path

    return display_path(directory / ".sqsguard.yaml")


def test_an_unknown_rule_in_the_config_is_an_error(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".sqsguard.yaml").write_text("select: [SQG1, SQG999]\n")
    result = _invoke("scan", str(tmp_path))
    assert result.exit_code == 2
    assert "select: 'SQG999' names no rule" in result.output


def test_invalid_toml_and_yaml_say_where(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "bad.toml").write_text("[tool.sqsguard]\nfail_on = \n")
    result = _invoke("scan", str(tmp_path), "--config", str(tmp_path / "bad.toml"))
    assert result.exit_code == 2 and "bad.toml:2: invalid TOML" in result.output
    (tmp_path / "bad.yaml").write_text("fail_on: [high\n")
    result = _invoke("scan", str(tmp_path), "--config", str(tmp_path / "bad.yaml"))
    assert result.exit_code == 2 and "bad.yaml" in result.output and "invalid YAML" in result.output
    result = _invoke("scan", str(tmp_path), "--config", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2 and "no such configuration file" in result.output
    assert "Traceback" not in result.output


def test_fail_on_severity_and_flags_override(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "main.tf").write_text(QUEUE)  # SQG102, medium
    (tmp_path / ".sqsguard.yaml").write_text("fail_on: high\n")
    assert _invoke("scan", str(tmp_path)).exit_code == 0
    assert _invoke("scan", str(tmp_path), "--fail-on", "medium").exit_code == 1
    (tmp_path / ".sqsguard.yaml").write_text("fail_on: high\nseverity:\n  SQG102: critical\n")
    result = _invoke("scan", str(tmp_path), "--format", "json")
    assert result.exit_code == 1
    assert [(f["rule_id"], f["severity"]) for f in _json(result)["findings"]] == [("SQG102", "critical")]


def test_accounts_and_select_from_the_config(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "key.yaml").write_text(FOREIGN_KEY)
    plain = _json(_invoke("scan", str(tmp_path), "--format", "json"))
    assert "SQG202" in {f["rule_id"] for f in plain["findings"]}
    (tmp_path / ".sqsguard.yaml").write_text("trusted_accounts: ['444455556666']\n")
    trusted = _json(_invoke("scan", str(tmp_path), "--format", "json"))
    assert "SQG202" not in {f["rule_id"] for f in trusted["findings"]}
    (tmp_path / ".sqsguard.yaml").write_text("select: [SQG3]\n")
    selected = _json(_invoke("scan", str(tmp_path), "--format", "json"))
    assert {f["rule_id"][:4] for f in selected["findings"]} <= {"SQG3"}
    overridden = _json(_invoke("scan", str(tmp_path), "--format", "json", "--select", "SQG2"))
    assert "SQG202" in {f["rule_id"] for f in overridden["findings"]}


def test_exclude_skips_paths(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "vendor" / "x").mkdir(parents=True)
    (tmp_path / "vendor" / "x" / "main.tf").write_text(QUEUE)
    (tmp_path / "t.yaml").write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    (tmp_path / ".sqsguard.yaml").write_text("exclude: [vendor, '*.yaml']\n")
    data = _json(_invoke("scan", str(tmp_path), "--format", "json"))
    assert data["findings"] == [] and data["summary"]["files_scanned"] == 0
    # the globs are relative to the configuration file, wherever the scan starts
    data = _json(_invoke("scan", ".", "--format", "json", cwd=tmp_path / "vendor"))
    assert data["findings"] == []


def test_variables_var_files_and_parameters_from_the_config(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "main.tf").write_text(
        'variable "key" {\n  type = string\n}\nvariable "sse" {\n  type = bool\n}\n'
        'resource "aws_sqs_queue" "q" {\n  kms_master_key_id = var.key\n}\n'
        'resource "aws_sqs_queue" "r" {\n  sqs_managed_sse_enabled = var.sse\n}\n'
    )
    (tmp_path / "vals").mkdir()
    (tmp_path / "vals" / "prod.tfvars").write_text('key = "alias/aws/sqs"\n')
    (tmp_path / "t.yaml").write_text(
        "Parameters:\n  Key:\n    Type: String\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      KmsMasterKeyId: !Ref Key\n"
    )
    (tmp_path / ".sqsguard.yaml").write_text("var_files: [vals/prod.tfvars]\nvars:\n  sse: false\nparameters:\n  Key: alias/aws/sqs\n")
    rows = {(f["rule_id"], f["resource"]) for f in _json(_invoke("scan", str(tmp_path), "--format", "json"))["findings"]}
    assert rows == {("SQG103", "aws_sqs_queue.q"), ("SQG101", "aws_sqs_queue.r"), ("SQG103", "Q")}
    # the command line wins per name
    rows = {(f["rule_id"], f["resource"]) for f in _json(_invoke("scan", str(tmp_path), "--format", "json", "--var", "sse=true", "--parameter", "Key=arn:aws:kms:eu-west-1:111122223333:key/1"))["findings"]}
    assert ("SQG102", "aws_sqs_queue.r") in rows and ("SQG104", "Q") in rows


def test_config_command_shows_values_and_sources(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.sqsguard]\nfail_on = 'high'\nown_accounts = ['111122223333']\n")
    result = _invoke("config", str(tmp_path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("configuration file: ") and lines[0].endswith("pyproject.toml")
    assert any(re.match(r'^fail_on +"high" +\(.*pyproject\.toml \[tool\.sqsguard\]\)$', l) for l in lines)
    assert any(re.match(r'^isolation_tags +\["tenant", "data-sensitivity"\] +\(default\)$', l) for l in lines)
    data = json.loads(_invoke("config", str(tmp_path), "--format", "json").output)
    assert data["values"]["own_accounts"] == ["111122223333"] and data["sources"]["fail_on"].endswith("[tool.sqsguard]")


def test_readme_configuration_reference_is_generated_from_the_schema():
    assert reference() in (ROOT / "README.md").read_text(), "refresh README: sqsguard config --reference"


def test_every_schema_key_reaches_the_scan():
    """A key the schema allows but nothing reads would be a silent no-op."""
    from sqsguard import cli
    from sqsguard.config import schema

    source = Path(cli.__file__).read_text()
    for key in schema()["properties"]:
        if key in ("ignore", "per_path_ignore"):
            continue  # read as suppressions by config.ignore_entries
        assert 'settings["%s"]' % key in source, key
