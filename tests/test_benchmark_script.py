"""The benchmark script still runs end to end on tiny corpora (it is never timed here: speed is
measured by running it by hand, see benchmarks/README.md), and puts back the file it edits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_runs_on_tiny_corpora_and_restores_what_it_edits(tmp_path):
    keep = tmp_path / "corpora"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--files", "6", "--templates", "2", "--assemblies", "1",
         "--rounds", "1", "--checkov", "", "--keep", str(keep)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("one Terraform file", "Terraform corpus, --jobs 1", "CloudFormation and CDK corpus"):
        assert name in done.stdout
    assert done.stdout.count("sqsguard warm, one file edited") >= 4
    edited = [p for p in keep.rglob("*") if p.is_file() and b"# benchmark edit" in p.read_bytes()]
    assert edited == []
