"""What the Checkov plugin costs: Checkov on a folder with and without sqsguard's external checks,
run alternately, medians.

    python benchmarks/checkov_plugin.py --checkov /path/to/checkov-venv/bin/checkov [--runs 5] [DIR]

sqsguard is taken from SQSGUARD_BIN, else from this interpreter's environment (the checkout's
venv). DIR defaults to examples/. Checkov runs with --skip-download and both frameworks.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit("failed: %s\n%s" % (" ".join(command), done.stderr[-2000:]))
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkov", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("directory", nargs="?", default=str(ROOT / "examples"))
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("SQSGUARD_BIN", str(Path(sys.executable).with_name("sqsguard")))
    base = [args.checkov, "-d", args.directory, "--framework", "terraform", "cloudformation", "--skip-download", "--quiet", "--compact"]
    plugin = base + ["--external-checks-dir", str(ROOT / "checkov_plugin")]
    without, with_plugin = [], []
    timed(plugin, env)  # warm the file cache and Python's bytecode
    for _ in range(args.runs):
        without.append(timed(base, env))
        with_plugin.append(timed(plugin, env))
    a, b = statistics.median(without), statistics.median(with_plugin)
    print("Checkov alone:        %.2f s (median of %d)" % (a, args.runs))
    print("Checkov + sqsguard:   %.2f s" % b)
    print("overhead:             %+.2f s (%+.0f%%)" % (b - a, 100 * (b - a) / a))


if __name__ == "__main__":
    main()
