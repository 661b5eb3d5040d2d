"""Reproducible output: the report does not depend on hash seeds, and the fixture generators
reproduce the committed fixtures (no hand edit drifts away from its generator)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def _scan(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-m", "sqsguard", "scan", "examples", "tests/fixtures/cloudformation", "--format", "json", "--fail-on", "never", "--jobs", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_report_does_not_depend_on_the_hash_seed():
    assert _scan("1") == _scan("4242")


def test_yaml_to_json_reproduces_the_json_fixtures(tmp_path):
    copy = tmp_path / "cloudformation"
    shutil.copytree(FIXTURES / "cloudformation", copy)
    subprocess.run([sys.executable, str(copy / "yaml_to_json.py")], check=True, capture_output=True)
    for path in sorted((FIXTURES / "cloudformation").glob("SQG*/*.json")):
        if path.name.endswith(".expected.json"):
            continue
        assert (copy / path.relative_to(FIXTURES / "cloudformation")).read_text() == path.read_text(), path


def test_make_plans_reproduces_the_plan_fixtures(tmp_path):
    copy = tmp_path / "terraform-plan"
    copy.mkdir()
    shutil.copy(FIXTURES / "terraform-plan" / "make_plans.py", copy)
    subprocess.run([sys.executable, str(copy / "make_plans.py")], check=True, capture_output=True)
    made = sorted(p.relative_to(copy) for p in copy.glob("SQG*/*.json"))
    committed = sorted(p.relative_to(FIXTURES / "terraform-plan") for p in (FIXTURES / "terraform-plan").glob("SQG*/*.json") if not p.name.endswith(".expected.json"))
    assert made == committed
    for relative in made:
        assert (copy / relative).read_text() == (FIXTURES / "terraform-plan" / relative).read_text(), relative
