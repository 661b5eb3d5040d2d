"""The wheel carries the rule catalog: build it, install it in a fresh venv, use it there."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    pytest.importorskip("hatchling")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    wheels = list((work / "dist").glob("sqsguard-*.whl"))
    assert len(wheels) == 1
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    python = bindir / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheels[0])],
        check=True, capture_output=True, text=True, timeout=300,
    )
    # Dependencies come from the test environment; sqsguard itself only from the wheel
    # (a plain path entry: the test environment's own .pth files are not processed).
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    Path(purelib, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return work, bindir


def test_wheel_contains_the_catalog(installed):
    import zipfile

    work, _ = installed
    (wheel,) = (work / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "sqsguard/_catalog/SQG103-queue-aws-managed-key.md" in names
    assert "sqsguard/_catalog/catalog.schema.json" in names
    assert "sqsguard/report/report-v1.schema.json" in names


def test_installed_commands_work_outside_the_checkout(installed):
    work, bindir = installed
    where = subprocess.run(
        [str(bindir / "python"), "-c", "import sqsguard; print(sqsguard.__file__)"],
        cwd=work, check=True, capture_output=True, text=True,
    ).stdout
    assert str(work) in where
    rules = subprocess.run([str(bindir / "sqsguard"), "rules"], cwd=work, capture_output=True, text=True)
    assert rules.returncode == 0, rules.stderr
    assert "SQG103  queue-aws-managed-key" in rules.stdout
    explain = subprocess.run([str(bindir / "sqsguard"), "explain", "SQG103"], cwd=work, capture_output=True, text=True)
    assert explain.returncode == 0, explain.stderr
    assert "## How to fix" in explain.stdout and "alias/aws/sqs" in explain.stdout
