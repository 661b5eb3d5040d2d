"""Time sqsguard against Checkov, side by side, on one file and on a generated corpus.

    python benchmarks/run.py [--files 300] [--rounds 3] [--checkov PATH] [--scale 1000,3000,10000] [--keep DIR]

The corpus comes from `make_corpus.py` (deterministic Terraform), written to a temporary
directory outside the repository unless --keep names one; `../shared/corpus/realworld` is timed
too when it is there. Each tool runs as a user runs it: a fresh process, imports included. The
tools alternate within each round (sqsguard, Checkov, sqsguard, ...), so a machine that slows
down slows both; the medians of wall time and of peak memory (RSS of the process and its
children) are printed with the ratio Checkov / sqsguard.

Every run is cold: sqsguard has no result cache yet (issue 12), so "warm" is not measured.
Checkov is `checkov` on PATH unless --checkov gives its path; install it in its own virtual
environment, never beside sqsguard (both ship a top-level `hcl2` package): `python -m venv
~/checkov-venv && ~/checkov-venv/bin/pip install checkov`. It runs with `--framework terraform
--skip-download` on the same files. `--scale` times sqsguard alone on larger corpora, to see
that time stays linear in the number of files.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from make_corpus import generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REALWORLD = ROOT.parent / "shared" / "corpus" / "realworld"
CHECKOV_ENV = {"CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"}


def measure(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB of the process and the children it waited for)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return wall, usage.ru_maxrss * scale / (1024 * 1024)


def sqsguard(target: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "sqsguard", "scan", str(target), "--format", "json", "--output", os.devnull,
            "--jobs", str(jobs), "--quiet"]


def checkov(binary: str, target: Path) -> list[str]:
    where = ["-f", str(target)] if target.is_file() else ["-d", str(target)]
    return [binary, *where, "--framework", "terraform", "--skip-download", "--quiet", "--compact", "-o", "json"]


def compare(name: str, commands: dict[str, tuple[list[str], dict | None]], rounds: int) -> None:
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for _ in range(rounds):
        for label, (command, env) in commands.items():
            samples[label].append(measure(command, env))
    print("\n%s (%d rounds, medians)" % (name, rounds))
    base = None
    for label, runs in samples.items():
        wall = statistics.median(w for w, _ in runs)
        rss = statistics.median(m for _, m in runs)
        if base is None:
            base = (wall, rss)
            ratio = ""
        else:
            ratio = "  %5.1fx the time, %4.1fx the memory of %s" % (wall / base[0], rss / base[1], next(iter(samples)))
        print("  %-34s %7.2f s %7.0f MiB%s" % (label, wall, rss, ratio))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checkov", default=shutil.which("checkov"))
    parser.add_argument("--scale", default="", help="comma-separated corpus sizes to time sqsguard on alone")
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    args = parser.parse_args()
    jobs = os.cpu_count() or 1
    checkov_env = dict(os.environ, **CHECKOV_ENV)

    work = Path(tempfile.mkdtemp(prefix="sqsguard-bench-"))
    out = args.keep or work / "corpus"
    try:
        if not any(out.rglob("*.tf")):
            files, lines = generate(out, args.files, args.seed)
        else:
            tf = list(out.rglob("*.tf"))
            files, lines = len(tf), sum(p.read_text().count("\n") for p in tf)
        if not (out / ".git").exists():  # a repository, as users scan: its root bounds the search for module callers
            subprocess.run(["git", "init", "-q", str(out)], check=True)
        print("corpus: %d files, %d lines (%s); %d CPUs; %s" % (files, lines, out, jobs, sys.version.split()[0]))
        one = sorted(p for p in out.rglob("main.tf"))[0]
        targets = [("one file (%s, its module read with it)" % one.relative_to(out), one, 1),
                   ("corpus, --jobs 1", out, 1), ("corpus, --jobs %d" % jobs, out, jobs)]
        if REALWORLD.is_dir():
            targets.append(("../shared/corpus/realworld", REALWORLD, jobs))
        for name, target, n in targets:
            commands = {"sqsguard": (sqsguard(target, n), None)}
            if args.checkov:
                commands["checkov"] = (checkov(args.checkov, target), checkov_env)
            compare(name, commands, args.rounds)
        if not args.checkov:
            print("\ncheckov: not found (pass --checkov PATH)")
        for size in [int(s) for s in args.scale.split(",") if s.strip()]:
            corpus = work / ("scale-%d" % size)
            count, _ = generate(corpus, size, args.seed)
            subprocess.run(["git", "init", "-q", str(corpus)], check=True)
            runs = [measure(sqsguard(corpus, jobs)) for _ in range(args.rounds)]
            wall = statistics.median(w for w, _ in runs)
            rss = statistics.median(m for _, m in runs)
            print("scale: %6d files  %7.2f s  %5.2f ms a file  %5.0f MiB" % (count, wall, wall * 1000 / count, rss))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
