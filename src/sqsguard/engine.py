"""The scan: discover -> look up the cache -> parse -> judge (`judge.py`: link, rules, filters), and
rule selection. What a scan of unchanged code does not need (the model, the parsers, the rules) is
imported only when it is needed."""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import field
from typing import TYPE_CHECKING, Iterable

from .dataclass_methods import dataclass
from .catalog import RuleDoc, load_catalog, matches, rules_matching
from .discover import Target, discover
from .findings import Report
from .options import Options

if TYPE_CHECKING:
    from .parsers import ParseOutcome

# Below this many targets, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 16


def selected(rule: RuleDoc, select: Iterable[str], ignore: Iterable[str]) -> bool:
    select = [s for s in select if s.strip()]
    if select and not any(matches(rule, p) for p in select):
        return False
    return not any(matches(rule, p) for p in ignore if p.strip())


def unknown_selectors(patterns: Iterable[str]) -> list[str]:
    return [p for p in patterns if p.strip() and not rules_matching(p)]


def rules_run(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> set[str]:
    """The rules a run with this selection checks: the implemented ones, and the scan's own
    SQG0xx rules (the filter stage)."""
    from .rules import implemented

    catalog = load_catalog()
    done = set(implemented()) | {r for r in catalog if r.startswith("SQG0")}
    return {r for r in done if selected(catalog[r], select, ignore)}


def job_size(job: tuple[str, list[Target]]) -> int:
    """Bytes a parsing job reads, roughly: its documents, or its Terraform directories' .tf files."""
    kind, targets = job
    total = 0
    for target in targets:
        try:
            if kind == "terraform":
                with os.scandir(target.path) as entries:
                    total += sum(e.stat().st_size for e in entries if e.name.endswith((".tf", ".tf.json")) and e.is_file())
            elif os.path.isfile(target.path):
                total += os.path.getsize(target.path)
            else:
                total += 64 * 1024  # a cloud assembly: its templates are read through its manifest
        except OSError:
            pass
    return total


@dataclass
class Lookup:
    """The cache's answer for each job of a scan: its key, the entry that still holds (not yet
    decoded), and, once parsed or read back, the state of the entry behind its outcome."""

    work: list
    keys: dict[int, str] = field(default_factory=dict)
    entries: dict = field(default_factory=dict)
    states: dict[int, str] = field(default_factory=dict)

    def complete(self) -> bool:
        return len(self.states) == len(self.work)

    def jobs(self) -> list[tuple[str, str]]:
        return [(self.keys[i], self.states[i]) for i in range(len(self.work))]


def look_up(work: list, options: Options, cache=None, progress=None) -> Lookup:
    """Each job's entry that still holds, when there is a cache (`progress` after each found)."""
    lookup = Lookup(work)
    if cache is None:
        return lookup
    from .result_cache import job_key

    for index, job in enumerate(work):
        lookup.keys[index] = job_key(job, options)
        entry = cache.lookup(lookup.keys[index])
        if entry is None:
            cache.stats.misses += 1
            continue
        cache.stats.hits += 1
        lookup.entries[index] = entry
        lookup.states[index] = entry.state
        if progress is not None:
            progress(len(lookup.entries), len(work), job[1][0].display)
    return lookup


def parse_all(targets: list[Target], options: Options, jobs: int | None, progress=None, cache=None,
              lookup: Lookup | None = None) -> list[ParseOutcome]:
    """Every job's outcome, in the jobs' order (the report does not depend on --jobs or the
    cache); a child template found alone that its parent reads gets an empty one. With a `cache` (result_cache.ResultCache), jobs whose entry still holds are not
    parsed (`lookup`: the entries already looked up), and the others' outcomes are stored. The jobs left to parse go to a process pool
    only when there are enough of them; the largest go first, one at a time, so no process is
    left with a tail of big ones. `progress(done, total, display)` after each job."""
    from .parsers import jobs_for, parse_job, parse_recorded, without_read_children

    report = progress or (lambda done, total, display: None)
    lookup = lookup or look_up(jobs_for(targets), options, cache, report)
    work = lookup.work
    workers = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    outcomes: list = [None] * len(work)
    pending = []
    for index in range(len(work)):
        entry = lookup.entries.get(index)
        outcomes[index] = cache.outcome(entry) if entry is not None else None
        if outcomes[index] is None:
            lookup.states.pop(index, None)
            pending.append(index)
    done = len(work) - len(pending)
    if any(work[index][0] == "terraform" for index in pending):
        require_terraform_parser()
    parse = parse_recorded if cache is not None else parse_job

    def finish(index: int, result) -> None:
        nonlocal done
        if cache is not None:
            result, reads = result
            state = cache.store(lookup.keys[index], result, reads)
            if state is not None:
                lookup.states[index] = state
        outcomes[index] = result
        done += 1
        report(done, len(work), work[index][1][0].display)

    if workers > 1 and len(pending) >= PARALLEL_THRESHOLD:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        order = sorted(pending, key=lambda i: -job_size(work[i]))
        from . import cache_paths

        # workers started by spawn (macOS, Windows) do not inherit the chosen cache directory
        with ProcessPoolExecutor(max_workers=workers, initializer=cache_paths.choose, initargs=(cache_paths.chosen,)) as pool:
            futures = {pool.submit(parse, work[i], options): i for i in order}
            for future in as_completed(futures):
                finish(futures[future], future.result())
    else:
        for index in pending:
            finish(index, parse(work[index], options))
    return without_read_children(work, outcomes)


class ScanAbort(Exception):
    """The scan cannot run at all in this environment (one line: the cause and the fix)."""


def require_terraform_parser() -> None:
    """Raises ScanAbort when python-hcl2 is not the one sqsguard needs (asked only when some
    Terraform is to be parsed: importing it is a third of a warm scan's time)."""
    from .parsers.terraform.hcl import environment_problem

    problem = environment_problem()
    if problem:
        raise ScanAbort(
            "cannot read Terraform: %s. sqsguard and Checkov must not share a Python environment "
            "(both install a top-level hcl2 package); install sqsguard in its own: "
            "pipx install sqsguard, or python3 -m venv ~/.sqsguard && ~/.sqsguard/bin/pip install sqsguard" % problem
        )


@dataclass
class Filters:
    """What the filter stage applies after the rules (from the configuration and flags)."""

    config_ignores: list = field(default_factory=list)  # suppress.Suppression entries
    severity: dict[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    base: str | None = None  # the configuration's directory: exclude globs start there
    baseline: str | None = None  # --baseline FILE
    write_baseline: str | None = None  # --write-baseline FILE


def scan(
    paths: list[str],
    options: Options,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    jobs: int | None = None,
    filters: Filters | None = None,
    views: Iterable[str] = (),
    label=None,
    progress=None,
    cache=None,
) -> Report:
    """discover -> parse -> link -> rules -> filter. Raises BaselineError for an unusable
    --baseline file (before any work). `views`: "inventory" and/or "cost", the plain-data views
    of the model that `report.inventory` / `report.cost` then hold (`label`: the repository's name, or a function of a file giving it)."""
    from . import baseline as baselines
    from . import inputs

    filters = filters or Filters()
    reusable = cache is not None and not views and not filters.write_baseline  # a report kept and used again
    # what the stages around parsing read is written down only for a report that is kept
    # (recording digests every file read)
    recording = inputs.recording if reusable else (lambda: nullcontext([]))
    with recording() as reads:
        accepted = baselines.load(filters.baseline) if filters.baseline else None
    targets, problems = discover(paths, filters.exclude, filters.base)
    from .parsers import jobs_for

    lookup = look_up(jobs_for(targets), options, cache, progress)
    if reusable and lookup.complete():
        from . import report_entries

        kept = report_entries.load(cache, report_entries.report_key(paths, problems, lookup.jobs(), options, select, ignore, filters))
        if kept is not None:
            return kept
    outcomes = parse_all(targets, options, jobs, progress, cache, lookup)
    key = None
    if reusable and lookup.complete():  # before judging, which marks the suppressions it uses
        from . import report_entries

        key = report_entries.report_key(paths, problems, lookup.jobs(), options, select, ignore, filters)
    from .judge import judge, views_of

    with recording() as later:
        report, read = judge(paths, problems, outcomes, options, select, ignore, filters, accepted)
    if key is not None:
        report_entries.store(cache, key, report, reads + later)
    if cache is not None and (cache.stats.written or cache.stats.reports_written):
        cache.prune()
    if views:
        views_of(report, set(views), paths, read, options, label)
    return report
