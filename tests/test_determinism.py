"""The same input gives byte-identical reports: across runs, --jobs values and hash seeds, each
in its own process (as users and CI run it). The scan covers more targets than the parallel
threshold, so --jobs 2 really uses a process pool."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["examples", "tests/fixtures/cloudformation", "tests/fixtures/terraform", "tests/fixtures/inventory"]


def _run(tmp_path: Path, name: str, seed: str, *args: str) -> dict[str, bytes]:
    out = tmp_path / name
    out.mkdir()
    env = dict(os.environ, PYTHONHASHSEED=seed)
    for command, outputs in (
        (["scan", *PATHS, *args, "--format", "json", "--output", str(out / "scan.json"),
          "--format", "sarif", "--output", str(out / "scan.sarif")], ("scan.json", "scan.sarif")),
        (["inventory", *PATHS, *args, "--label", "acme/x", "--format", "json", "--output", str(out / "inventory.json")], ("inventory.json",)),
        (["cost", *PATHS, *args, "--format", "json", "--output", str(out / "cost.json")], ("cost.json",)),
    ):
        done = subprocess.run([sys.executable, "-m", "sqsguard", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode in (0, 1), done.stderr
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("det"), "first", "0", "--jobs", "1", "--no-cache")


@pytest.mark.parametrize("seed, jobs, cache", [("0", "1", "none"), ("1", "2", "none"), ("12345", "2", "none"),
                                              ("random", "1", "none"), ("1", "2", "shared")])
def test_reports_are_byte_identical(first, tmp_path, seed, jobs, cache):
    """Parsed afresh under each hash seed and --jobs; and once from the suite's shared cache."""
    flags = ("--no-cache",) if cache == "none" else ()
    again = _run(tmp_path, "again", seed, "--jobs", jobs, *flags)
    assert list(again) == list(first)
    for name in first:
        assert again[name] == first[name], "%s differs with PYTHONHASHSEED=%s --jobs %s, cache %s" % (name, seed, jobs, cache)


def test_a_cache_written_under_one_hash_seed_is_read_under_another(first, tmp_path):
    cache = tmp_path / "cache"
    command = [sys.executable, "-m", "sqsguard", "scan", *PATHS, "--format", "json", "--cache-dir", str(cache)]
    stats = []
    for seed in ("0", "987"):
        env = dict(os.environ, PYTHONHASHSEED=seed, SQSGUARD_CACHE_STATS="1")
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode in (0, 1), done.stderr
        assert done.stdout.encode() == first["scan.json"]
        stats.append(done.stderr.strip().splitlines()[-1])
    assert ": 0 hits," in stats[0] and " 0 misses, 0 written" in stats[1], stats
