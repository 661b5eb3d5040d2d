"""Time sqsguard (and Checkov, when available) on a generated Terraform corpus.

    python benchmarks/run.py [--files 300] [--repeat 3] [--checkov PATH] [--keep DIR]

The corpus comes from `make_corpus.py` (deterministic), written to a temporary directory
outside the repository unless --keep names one. Each tool runs as a user runs it, in a fresh
process (imports included), `--repeat` times; the median wall-clock time is reported.
Checkov is looked up as `checkov` on PATH unless --checkov gives its path; install it in its
own virtual environment, outside this repository (`python -m venv ~/checkov-venv &&
~/checkov-venv/bin/pip install checkov`). It runs on Terraform only (`--framework
terraform`), all checks, and, for a like-for-like number, only its SQS/KMS checks.
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

# Checkov's checks about SQS queue encryption and KMS keys (Terraform).
CHECKOV_SQS_KMS = "CKV_AWS_27,CKV_AWS_7,CKV_AWS_33,CKV_AWS_227,CKV2_AWS_64"


def timed(command: list[str], repeat: int, env: dict | None = None) -> tuple[float, int]:
    times = []
    code = 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
        code = result.returncode
    return statistics.median(times), code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checkov", default=shutil.which("checkov"))
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    args = parser.parse_args()

    out = args.keep or Path(tempfile.mkdtemp(prefix="sqsguard-bench-"))
    try:
        if not any(out.rglob("*.tf")):
            files, lines = generate(out, args.files, args.seed)
        else:
            tf = list(out.rglob("*.tf"))
            files, lines = len(tf), sum(p.read_text().count("\n") for p in tf)
        print("corpus: %d files, %d lines (%s)" % (files, lines, out))
        rows = []
        sqsguard = [sys.executable, "-m", "sqsguard", "scan", str(out), "--format", "json", "--output", os.devnull]
        for jobs in ("1", str(os.cpu_count() or 1)):
            seconds, _ = timed(sqsguard + ["--jobs", jobs], args.repeat)
            rows.append(("sqsguard --jobs %s" % jobs, seconds))
        if args.checkov:
            base = [args.checkov, "-d", str(out), "--framework", "terraform", "--quiet", "--compact", "-o", "json"]
            env = dict(os.environ, CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false", BC_SKIP_MAPPING="TRUE")
            seconds, _ = timed(base + ["--skip-download"], args.repeat, env)
            rows.append(("checkov (all terraform checks)", seconds))
            seconds, _ = timed(base + ["--skip-download", "--check", CHECKOV_SQS_KMS], args.repeat, env)
            rows.append(("checkov (SQS/KMS checks only)", seconds))
        else:
            print("checkov: not found (pass --checkov PATH)")
        width = max(len(name) for name, _ in rows)
        for name, seconds in rows:
            print("%s  %6.2f s" % (name.ljust(width), seconds))
    finally:
        if args.keep is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
