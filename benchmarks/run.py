"""Time sqsguard against Checkov, side by side, cold and warm, on Terraform, CloudFormation and CDK.

    python benchmarks/run.py [--files 300] [--templates 150] [--rounds 5] [--checkov PATH]
                             [--scale 1000,3000,10000] [--keep DIR]

Corpora: `make_corpus.py` (deterministic Terraform modules), `make_templates.py`
(CloudFormation YAML and JSON templates with intrinsics, and CDK cloud assemblies), written to a
temporary directory outside the repository unless --keep names one, each made a git repository;
and `../shared/corpus/realworld` when it is there. Each tool runs as a user runs it: a fresh
process, imports included. Within each round the runs alternate (sqsguard cold, sqsguard warm,
Checkov), so a machine that slows down slows all; the medians of wall time and of peak memory
(RSS of the process and its children) are printed with the ratios Checkov / sqsguard.

- cold: `--no-cache`, every file parsed;
- warm: the result cache filled by one run before the rounds, nothing changed since (a
  pre-commit run or a CI job with a restored cache): the last report is read back;
- warm, one file edited: the same, after a comment was added to one file (another comment
  each round): that file's job is parsed again, the others are read back, and the model is
  linked and judged again (the pre-commit run after an edit). Not run on the realworld corpus,
  which is not this script's to change.

Checkov is `checkov` on PATH unless --checkov gives its path; install it in its own virtual
environment, never beside sqsguard (both ship a top-level `hcl2` package): `python -m venv
~/checkov-venv && ~/checkov-venv/bin/pip install checkov`. It runs with `--skip-download` and the
frameworks of the corpus on the same files. `--scale` times sqsguard alone (cold) on larger
Terraform corpora, to see that time stays linear in the number of files. Run it from an
installed wheel (`pip install .`): an editable install reads the rule catalog's Markdown on
every run, which a wheel has compiled.
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
from make_templates import generate as make_templates  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REALWORLD = ROOT.parent / "shared" / "corpus" / "realworld"
CHECKOV_ENV = {"CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"}


CRASHES: dict[str, str] = {}  # command -> the last line of a traceback a tolerated tool printed


def measure(command: list[str], env: dict | None = None, tolerate: bool = False) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB of the process and the children it waited for).
    `tolerate`: another tool's traceback is noted (CRASHES), not fatal; sqsguard's always is."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        said = errors.read().decode(errors="replace")
    # 0, findings (1), or files it could not read (2, the realworld corpus has some); a crash
    # would be timed as a fast run
    if tolerate and "Traceback" in said:
        CRASHES[" ".join(command[:3])] = said.strip().splitlines()[-1][:200]
    elif code not in (0, 1, 2) or "Traceback" in said:
        raise SystemExit("%s exited %d: %s" % (" ".join(command[:3]), code, said[-2000:]))
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return wall, usage.ru_maxrss * scale / (1024 * 1024)


def sqsguard(target: Path, jobs: int, cache: Path | None) -> list[str]:
    flags = ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    script = Path(sys.executable).with_name("sqsguard")  # the console script users run, beside this Python
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "sqsguard"]
    return [*command, "scan", str(target), "--format", "json", "--output", os.devnull,
            "--jobs", str(jobs), "--quiet", *flags]


def checkov(binary: str, target: Path, frameworks: list[str]) -> list[str]:
    where = ["-f", str(target)] if target.is_file() else ["-d", str(target)]
    return [binary, *where, "--framework", *frameworks, "--skip-download", "--quiet", "--compact", "-o", "json"]


def compare(name: str, commands: dict[str, tuple], rounds: int) -> None:
    """`commands`: label -> (command, env, a function to call before each run, untimed, or None)."""
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for _ in range(rounds):
        for label, (command, env, before) in commands.items():
            if before is not None:
                before()
            samples[label].append(measure(command, env, tolerate=label == "checkov"))
    print("\n%s (%d rounds, medians)" % (name, rounds))
    medians = {label: (statistics.median(w for w, _ in runs), statistics.median(m for _, m in runs))
               for label, runs in samples.items()}
    base = medians.get("checkov")
    for label, (wall, rss) in medians.items():
        ratio = ""
        if base is not None and label != "checkov":
            ratio = "  Checkov takes %5.1fx the time, %4.1fx the memory" % (base[0] / wall, base[1] / rss)
        print("  %-28s %7.2f s %7.0f MiB%s" % (label, wall, rss, ratio))
    for command, line in sorted(CRASHES.items()):
        print("  note: %s printed a traceback (%s); its time is that of the run up to it" % (command, line))
    CRASHES.clear()


class Editor:
    """Adds another comment to one file of a corpus each time it is called; `restore` puts the
    file back."""

    def __init__(self, target: Path):
        candidates = [target] if target.is_file() else sorted(target.rglob("*.tf")) or sorted(target.rglob("*.yaml"))
        self.path = candidates[0]
        self.original = self.path.read_bytes()
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        self.path.write_bytes(self.original + b"\n# benchmark edit %d\n" % self.count)

    def restore(self) -> None:
        self.path.write_bytes(self.original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--templates", type=int, default=150)
    parser.add_argument("--assemblies", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checkov", default=shutil.which("checkov"))
    parser.add_argument("--scale", default="", help="comma-separated corpus sizes to time sqsguard on alone")
    parser.add_argument("--keep", type=Path, help="write the corpora here and keep them")
    args = parser.parse_args()
    jobs = os.cpu_count() or 1
    checkov_env = dict(os.environ, **CHECKOV_ENV)

    work = Path(tempfile.mkdtemp(prefix="sqsguard-bench-"))
    base = args.keep or work
    terraform, templates = base / "corpus", base / "templates"
    try:
        if not any(terraform.rglob("*.tf")):
            files, lines = generate(terraform, args.files, args.seed)
        else:
            tf = list(terraform.rglob("*.tf"))
            files, lines = len(tf), sum(p.read_text().count("\n") for p in tf)
        if not any(templates.rglob("*.json")):
            template_files, template_lines = make_templates(templates, args.templates, args.assemblies, args.seed)
        else:
            template_files, template_lines = len(list(templates.rglob("*.*"))), 0
        for corpus in (terraform, templates):
            if not (corpus / ".git").exists():  # a repository, as users scan: its root bounds the search for module callers
                subprocess.run(["git", "init", "-q", str(corpus)], check=True)
        print("Terraform corpus: %d files, %d lines; templates corpus: %d files, %d template lines; %d CPUs; Python %s"
              % (files, lines, template_files, template_lines, jobs, sys.version.split()[0]))
        one = sorted(p for p in terraform.rglob("main.tf"))[0]
        targets = [
            ("one Terraform file (%s, its module read with it)" % one.relative_to(terraform), one, 1, ["terraform"]),
            ("Terraform corpus, --jobs 1", terraform, 1, ["terraform"]),
            ("Terraform corpus, --jobs %d" % jobs, terraform, jobs, ["terraform"]),
            ("CloudFormation and CDK corpus, --jobs %d" % jobs, templates, jobs, ["cloudformation"]),
        ]
        if REALWORLD.is_dir():
            targets.append(("../shared/corpus/realworld", REALWORLD, jobs, ["terraform", "cloudformation"]))
        for index, (name, target, n, frameworks) in enumerate(targets):
            cache = work / ("cache-%d" % index)
            measure(sqsguard(target, n, cache))  # fill it
            commands = {"sqsguard cold": (sqsguard(target, n, None), None, None),
                        "sqsguard warm": (sqsguard(target, n, cache), None, None)}
            editor = Editor(target) if target != REALWORLD else None
            if editor is not None:
                commands["sqsguard warm, one file edited"] = (sqsguard(target, n, cache), None, editor)
            if args.checkov:
                commands["checkov"] = (checkov(args.checkov, target, frameworks), checkov_env, None)
            try:
                compare(name, commands, args.rounds)
            finally:
                if editor is not None:
                    editor.restore()
        if not args.checkov:
            print("\ncheckov: not found (pass --checkov PATH)")
        for size in [int(s) for s in args.scale.split(",") if s.strip()]:
            corpus = work / ("scale-%d" % size)
            count, _ = generate(corpus, size, args.seed)
            subprocess.run(["git", "init", "-q", str(corpus)], check=True)
            runs = [measure(sqsguard(corpus, jobs, None)) for _ in range(args.rounds)]
            wall = statistics.median(w for w, _ in runs)
            rss = statistics.median(m for _, m in runs)
            print("scale: %6d files  %7.2f s  %5.2f ms a file  %5.0f MiB" % (count, wall, wall * 1000 / count, rss))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
