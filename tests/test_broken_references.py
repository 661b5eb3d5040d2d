"""Broken local references are errors of the code: one line naming the file and line, exit 2,
and no "cannot verify" finding about the same thing."""

from __future__ import annotations

from click.testing import CliRunner

from sqsguard.cli import main


def _scan(tmp_path, *args):
    return CliRunner().invoke(main, ["scan", str(tmp_path), *args])


def test_a_file_that_does_not_exist_is_one_error_and_not_sqg208(tmp_path):
    (tmp_path / "main.tf").write_text(
        'resource "aws_kms_key" "k" {\n  enable_key_rotation = true\n  policy = file("${path.module}/policies/key.json")\n}\n'
    )
    result = _scan(tmp_path, "--select", "SQG2")
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "main.tf:3: file(): the file " in errors[0]
    assert errors[0].endswith("/policies/key.json does not exist (looked in %s)" % tmp_path)
    assert "SQG208" not in result.output


def test_try_around_a_missing_file_is_not_an_error(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n  policy = try(file("missing.json"), null)\n}\n')
    result = _scan(tmp_path)
    assert "error:" not in result.output and result.exit_code == 1  # SQG102 only


def test_a_missing_var_file_is_said_once_whatever_the_number_of_modules(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n}\n')
    result = _scan(tmp_path, "--var-file", "missing.tfvars", "--jobs", "1")
    assert result.exit_code == 2
    assert result.output.count("error: missing.tfvars: no such --var-file") == 1


def test_a_missing_local_module_is_an_error_with_its_line(tmp_path):
    (tmp_path / "main.tf").write_text('module "q" {\n  source = "./modules/queue"\n}\n')
    result = _scan(tmp_path)
    assert result.exit_code == 2
    assert "main.tf:2: module q: the source directory" in result.output and "does not exist" in result.output
    assert "SQG104" not in result.output
    assert "1 error." in result.output.splitlines()[-1]
