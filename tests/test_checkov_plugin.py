"""The Checkov plugin, with real Checkov in an environment of its own (never sqsguard's: both
install a top-level `hcl2` package). sqsguard runs out of process from this checkout's
environment (`SQSGUARD_BIN`), or from the wheel installed in a fresh venv.

Checkov is installed into a venv the test creates (pinned, from PyPI; a minute or two the
first time, then pip's cache), or taken from `CHECKOV_BIN` when set. Checkov itself runs
with `--skip-download`: no network.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
PLUGIN = ROOT / "checkov_plugin"
CHECKOV_VERSION = "3.3.30"
SQSGUARD = str(Path(sys.executable).with_name("sqsguard"))


def test_plugin_catalog_is_generated_from_the_catalog():
    from sqsguard.integrations import checkov_catalog_text

    assert (PLUGIN / "catalog.jsondata").read_text(encoding="utf-8") == checkov_catalog_text(), (
        "refresh it: python -m sqsguard.integrations"
    )


def test_plugin_imports_only_checkov_and_the_standard_library():
    for path in PLUGIN.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
                assert node.level == 0, "%s: relative import" % path.name
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top == "checkov" or top in sys.stdlib_module_names or top == "__future__", (path.name, name)
    assert not (PLUGIN / "sqsguard.py").exists()  # Checkov runs each file as a module named after it


def test_sqsguard_refuses_to_run_over_checkovs_hcl2(tmp_path):
    """Checkov's fork of hcl2 installed over python-hcl2: one line naming cause and fix, exit 2."""
    fake = tmp_path / "shadow" / "hcl2"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('__version__ = "0.4.3"\nSTART_LINE = "__start_line__"\n')
    (fake / "parser.py").write_text("hcl2 = None\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "shadow")}
    done = subprocess.run(
        [sys.executable, "-m", "sqsguard", "scan", str(ROOT / "examples" / "terraform")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "is version 0.4.3, not python-hcl2 8" in lines[0] and "pipx install sqsguard" in lines[0]


# --- with real Checkov ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def checkov(tmp_path_factory) -> str:
    given = os.environ.get("CHECKOV_BIN")
    if given:
        return given
    home = tmp_path_factory.mktemp("checkov-venv")
    venv.EnvBuilder(with_pip=True).create(home)
    python = home / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "checkov==%s" % CHECKOV_VERSION],
        capture_output=True, text=True, timeout=1500,
    )
    if done.returncode != 0:
        pytest.skip("Checkov %s could not be installed here: %s" % (CHECKOV_VERSION, done.stderr.strip().splitlines()[-1:]))
    return str(home / "bin" / "checkov")


def run_checkov(checkov: str, args: list[str], cwd: Path, sqsguard: str | None = SQSGUARD, plugin: Path = PLUGIN, path: str | None = None):
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "SQSGUARD_BIN", "PYTHONPATH")}
    env["PATH"] = path if path is not None else env.get("PATH", "")
    env["LOG_LEVEL"] = "WARNING"
    if sqsguard:
        env["SQSGUARD_BIN"] = sqsguard
    done = subprocess.run(
        [checkov, *args, "--external-checks-dir", str(plugin), "--skip-download", "-o", "json"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    data = json.loads(done.stdout)
    reports = data if isinstance(data, list) else [data]
    results = []
    for report in reports:
        for state in ("failed_checks", "passed_checks", "skipped_checks"):
            for check in report.get("results", {}).get(state, []):
                results.append(
                    {
                        "framework": report["check_type"],
                        "state": state.split("_")[0],
                        "id": check["check_id"],
                        "resource": check["resource"],
                        "file": check["file_path"],
                        "details": check.get("details") or [],
                        "severity": check.get("severity"),
                    }
                )
    return results, done.stderr


def verdicts(results, check_id=None):
    return sorted(
        (r["state"], r["id"], r["resource"])
        for r in results
        if r["id"].startswith("CKV_SQG_") and (check_id is None or r["id"] == check_id)
    )


@pytest.fixture
def terraform_repo(tmp_path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "terraform", repo / "terraform")
    (repo / ".git").mkdir()
    return repo


def test_terraform_resources_modules_and_skips(checkov, terraform_repo):
    main = terraform_repo / "terraform" / "orders-insecure" / "main.tf"
    text = main.read_text()
    marker = 'resource "aws_sqs_queue" "orders_dlq" {'
    assert marker in text
    main.write_text(text.replace(marker, marker + "\n  #checkov:skip=CKV_SQG_102:accepted for the demo"))
    results, stderr = run_checkov(checkov, ["-d", "terraform", "--framework", "terraform"], terraform_repo)
    failed = set(verdicts(results))
    assert ("failed", "CKV_SQG_103", "aws_sqs_queue.orders") in failed
    assert ("failed", "CKV_SQG_101", "aws_sqs_queue.invoice_uploads") in failed
    assert ("failed", "CKV_SQG_203", "aws_kms_key.invoices") in failed
    # a registry module sqsguard models: its queue's finding lands on the module block
    assert ("failed", "CKV_SQG_102", "payments") in failed
    # a local module: the child's resources, by address
    assert ("passed", "CKV_SQG_102", "module.orders_queue.aws_sqs_queue.this") in failed
    assert ("passed", "CKV_SQG_103", "aws_kms_key.orders") not in failed  # SQG103 is a queue rule
    assert ("passed", "CKV_SQG_301", "aws_kms_key.orders") in failed
    assert ("skipped", "CKV_SQG_102", "aws_sqs_queue.orders_dlq") in failed
    # FAILED carries sqsguard's message, and the severity and guideline from the catalog
    record = next(r for r in results if r["id"] == "CKV_SQG_103" and r["resource"] == "aws_sqs_queue.orders")
    assert record["details"] and "alias/aws/sqs" in record["details"][0] and record["severity"] == "MEDIUM"
    # exactly what sqsguard reports for the same code, no more
    from sqsguard.engine import scan
    from sqsguard.options import Options

    previous = os.getcwd()
    os.chdir(terraform_repo)
    try:
        report = scan(["terraform"], Options(), jobs=1)
    finally:
        os.chdir(previous)
    expected = {("CKV_SQG_%s" % f.rule_id[3:], f.resource) for f in report.findings if not f.resource.startswith("module.payments")}
    got = {(i, res) for state, i, res in verdicts(results) if state in ("failed", "skipped") and res != "payments"}
    assert got == expected
    # Checkov's own checks still run
    assert any(not r["id"].startswith("CKV_SQG_") for r in results)
    assert "sqsguard Checkov plugin" not in stderr


def test_cloudformation_yaml_json_and_metadata_skips(checkov, tmp_path):
    repo = tmp_path / "repo"
    (repo / "stacks").mkdir(parents=True)
    for name in ("bad.yaml", "good.yaml", "bad.json", "good.json"):
        shutil.copy(FIXTURES / "cloudformation" / "SQG102" / name, repo / "stacks" / ("sqg102-" + name))
    results, _ = run_checkov(checkov, ["-d", ".", "--framework", "cloudformation"], repo)
    ours = [r for r in results if r["id"] == "CKV_SQG_102"]
    failed = sorted((r["file"], r["resource"]) for r in ours if r["state"] == "failed")
    assert failed == sorted(
        (file, "AWS::SQS::Queue." + queue)
        for file in ("/stacks/sqg102-bad.json", "/stacks/sqg102-bad.yaml")
        for queue in ("ConditionalQueue", "DefaultQueue", "ExplicitQueue")
    )
    good = [r for r in ours if "good" in r["file"]]
    assert good and {r["state"] for r in good} == {"passed"}
    # Checkov's own Metadata skip works on our checks
    template = repo / "stacks" / "sqg102-bad.yaml"
    text = template.read_text()
    template.write_text(text.replace(
        "  DefaultQueue:\n    Type: AWS::SQS::Queue\n",
        "  DefaultQueue:\n    Type: AWS::SQS::Queue\n    Metadata:\n      checkov:\n        skip:\n          - id: CKV_SQG_102\n            comment: accepted\n",
    ))
    results, _ = run_checkov(checkov, ["-d", ".", "--framework", "cloudformation"], repo)
    states = {r["state"] for r in results if r["id"] == "CKV_SQG_102" and r["resource"] == "AWS::SQS::Queue.DefaultQueue" and "yaml" in r["file"]}
    assert states == {"skipped"}


def test_cdk_assembly_templates_are_answered_from_the_assembly(checkov, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "cdk" / "SQG102" / "bad" / "cdk.out", repo / "cdk.out")
    results, _ = run_checkov(checkov, ["-d", ".", "--framework", "cloudformation"], repo)
    got = verdicts(results, "CKV_SQG_102")
    assert ("failed", "CKV_SQG_102", "AWS::SQS::Queue.DefaultQueue67181671") in got
    assert ("failed", "CKV_SQG_102", "AWS::SQS::Queue.ManagedQueueE0FB8FA3") in got


def test_fails_closed_when_sqsguard_is_missing(checkov, terraform_repo):
    results, stderr = run_checkov(
        checkov, ["-d", "terraform", "--framework", "terraform"], terraform_repo, sqsguard=None, path="/usr/bin:/bin"
    )
    ours = [r for r in results if r["id"].startswith("CKV_SQG_")]
    assert ours and {r["state"] for r in ours} == {"failed"}
    assert all("sqsguard is not available" in r["details"][0] for r in ours)
    assert stderr.count("sqsguard Checkov plugin: sqsguard is not available") == 1
    assert "pipx install sqsguard" in stderr
    # Checkov's own checks are untouched
    assert any(not r["id"].startswith("CKV_SQG_") for r in results)


def _stand_in(tmp_path: Path, report: dict | None, stderr: str = "", code: int = 0) -> str:
    """An executable that answers like sqsguard with a given report (or none, and an error)."""
    script = tmp_path / "fake-sqsguard"
    payload = json.dumps(report) if report is not None else ""
    script.write_text(
        "#!%s\nimport sys\nsys.stdout.write(%r)\nsys.stderr.write(%r)\nsys.exit(%d)\n" % (sys.executable, payload, stderr, code)
    )
    script.chmod(0o755)
    return str(script)


def _queue_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n')
    return repo


def _one_verdict(results, check_id="CKV_SQG_102"):
    (record,) = [r for r in results if r["id"] == check_id and r["resource"] == "aws_sqs_queue.q"]
    return record["state"], record["details"][0] if record["details"] else ""


def test_a_file_sqsguard_could_not_read_fails(checkov, tmp_path):
    from sqsguard import __version__

    report = {"tool": {"name": "sqsguard", "version": __version__}, "findings": [], "checked": [],
              "errors": [{"file": "main.tf", "line": 2, "message": "invalid HCL: unexpected token"}], "rules_run": ["SQG102"]}
    results, _ = run_checkov(checkov, ["-d", ".", "--framework", "terraform"], _queue_repo(tmp_path), sqsguard=_stand_in(tmp_path, report, code=2))
    assert _one_verdict(results) == ("failed", "sqsguard could not read the file: main.tf:2: invalid HCL: unexpected token")


def test_a_resource_sqsguard_did_not_check_fails(checkov, tmp_path):
    from sqsguard import __version__

    report = {"tool": {"name": "sqsguard", "version": __version__}, "findings": [], "checked": [], "errors": [], "rules_run": ["SQG102"]}
    results, _ = run_checkov(checkov, ["-d", ".", "--framework", "terraform"], _queue_repo(tmp_path), sqsguard=_stand_in(tmp_path, report))
    state, details = _one_verdict(results)
    assert state == "failed" and details.startswith("sqsguard did not check aws_sqs_queue.q")


def test_an_old_or_failing_sqsguard_fails_closed(checkov, tmp_path):
    old = {"tool": {"name": "sqsguard", "version": "0.0.1"}, "findings": [], "checked": [], "errors": [], "rules_run": []}
    repo = _queue_repo(tmp_path)
    results, stderr = run_checkov(checkov, ["-d", ".", "--framework", "terraform"], repo, sqsguard=_stand_in(tmp_path, old))
    state, details = _one_verdict(results)
    assert state == "failed" and details.startswith("sqsguard 0.0.1 is older than this plugin")
    assert stderr.count("sqsguard Checkov plugin:") == 1
    broken = _stand_in(tmp_path, None, stderr="error: .sqsguard.yaml:1: unknown key 'fail-on'\n", code=2)
    results, stderr = run_checkov(checkov, ["-d", ".", "--framework", "terraform"], repo, sqsguard=broken)
    assert _one_verdict(results) == ("failed", "sqsguard failed: error: .sqsguard.yaml:1: unknown key 'fail-on'")


def test_findings_sqsguard_suppresses_are_skipped_with_the_reason(checkov, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.tf").write_text('# sqsguard:ignore SQG102 public catalogue data\nresource "aws_sqs_queue" "q" {\n  name = "q"\n}\n')
    results, _ = run_checkov(checkov, ["-d", ".", "--framework", "terraform"], repo)
    assert _one_verdict(results) == ("skipped", "suppressed in sqsguard (inline): public catalogue data")
    assert _one_verdict(results, "CKV_SQG_101")[0] == "passed"


def test_loads_from_the_installed_wheel(checkov, installed, terraform_repo):
    work, bindir = installed
    folder = subprocess.run([str(bindir / "sqsguard"), "checkov-plugin-path"], capture_output=True, text=True, check=True).stdout.strip()
    assert "_checkov_plugin" in folder
    results, _ = run_checkov(
        checkov, ["-d", "terraform", "--framework", "terraform"], terraform_repo, sqsguard=str(bindir / "sqsguard"), plugin=Path(folder)
    )
    assert ("failed", "CKV_SQG_103", "aws_sqs_queue.orders") in set(verdicts(results))
