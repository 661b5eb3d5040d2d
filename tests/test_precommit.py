"""The pre-commit hooks, for real: pre-commit installs this checkout as a hook repository into
its own environment and runs the hooks in a temporary git repository, as a user's would.

The hook repository is a snapshot of the working tree (tracked and untracked files, as
`pre-commit try-repo` takes it), committed once per test session, so every case below shares
one hook installation (the first run installs sqsguard and its dependencies: tens of seconds).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """A git repository holding the working tree of this checkout, and its commit."""
    target = tmp_path_factory.mktemp("hook-repo")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    _git(target, "init", "-q")
    _git(target, "add", "-A")
    _git(target, "commit", "-q", "-m", "snapshot")
    return target, _git(target, "rev-parse", "HEAD")


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def user_repo(tmp_path, hook_repo) -> Path:
    """A user's repository whose .pre-commit-config.yaml points at the hook repository."""
    repo = tmp_path / "user"
    repo.mkdir()
    _git(repo, "init", "-q")
    path, rev = hook_repo
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: %s\n    rev: %s\n    hooks:\n      - id: sqsguard\n      - id: sqsguard-cdk\n        stages: [manual]\n" % (path, rev)
    )
    return repo


def _run(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([*PRE_COMMIT, "run", "--color", "never", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=900)


def _write(repo: Path, name: str, text: str) -> None:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text)
    _git(repo, "add", name)


CHILD = """variable "name" {
  type = string
}

variable "kms_key_arn" {
  type = string
}

resource "aws_sqs_queue" "this" {
  name              = var.name
  kms_master_key_id = var.kms_key_arn
}
"""

ROOT_MODULE = """module "orders" {
  source      = "../modules/queue"
  name        = "orders"
  kms_key_arn = "alias/aws/sqs"
}

resource "aws_sqs_queue" "unrelated" {
  name = "unrelated"
}
"""


def test_bad_template_fails_the_hook_and_good_passes(user_repo, pre_commit_home):
    _write(user_repo, "bad.yaml", (FIXTURES / "cloudformation" / "SQG103" / "bad.yaml").read_text())
    _write(user_repo, "good.yaml", (ROOT / "examples" / "cloudformation" / "orders-compliant.yaml").read_text())
    bad = _run(user_repo, pre_commit_home, "sqsguard", "--files", "bad.yaml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout and "bad.yaml:" in bad.stdout and "SQG103 queue-aws-managed-key" in bad.stdout
    good = _run(user_repo, pre_commit_home, "sqsguard", "--files", "good.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout


def test_a_child_module_file_is_read_through_its_caller(user_repo, pre_commit_home):
    _write(user_repo, "modules/queue/main.tf", CHILD)
    _write(user_repo, "prod/main.tf", ROOT_MODULE)
    result = _run(user_repo, pre_commit_home, "sqsguard", "--files", "modules/queue/main.tf")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "modules/queue/main.tf:11: medium SQG103 queue-aws-managed-key  module.orders.aws_sqs_queue.this" in result.stdout
    assert "SQG104" not in result.stdout  # its inputs are known from the caller
    assert "unrelated" not in result.stdout  # only findings in the changed files


def test_a_suppression_with_a_reason_lets_the_hook_pass(user_repo, pre_commit_home):
    text = (FIXTURES / "cloudformation" / "SQG001" / "good.yaml").read_text()
    _write(user_repo, "legacy.yaml", text)
    result = _run(user_repo, pre_commit_home, "sqsguard", "--files", "legacy.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_unrelated_yaml_and_json_pass(user_repo, pre_commit_home):
    _write(user_repo, ".github/workflows/ci.yml", "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps: []\n")
    _write(user_repo, "package.json", '{"name": "x", "version": "1.0.0"}\n')
    result = _run(user_repo, pre_commit_home, "sqsguard", "--files", ".github/workflows/ci.yml", "package.json")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_template_is_reported_with_its_line(user_repo, pre_commit_home):
    _write(user_repo, "broken.yaml", "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: [unclosed\n")
    result = _run(user_repo, pre_commit_home, "sqsguard", "--files", "broken.yaml")
    assert result.returncode == 1  # pre-commit reports any non-zero hook exit as 1
    assert "broken.yaml:" in result.stdout and "Traceback" not in result.stdout + result.stderr


def test_cdk_hook_scans_the_last_synth(user_repo, pre_commit_home):
    shutil.copytree(FIXTURES / "cdk" / "SQG102" / "bad" / "cdk.out", user_repo / "cdk.out")
    result = _run(user_repo, pre_commit_home, "--hook-stage", "manual", "sqsguard-cdk")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SQG102 queue-sqs-owned-key" in result.stdout and "OrdersStack/DefaultQueue" in result.stdout
