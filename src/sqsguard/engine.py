"""The scan: discover -> parse -> link -> rules -> findings, and rule selection."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Iterable

from . import __version__
from .catalog import RuleDoc, load_catalog, matches, rules_matching
from .discover import Target, discover, stack_of
from .findings import Checked, Finding, Report, ScanError
from .link import link
from .model import OWN_ACCOUNT, PARTITION, REGION, Format, Location, Model, Resource
from .options import Options
from .parsers import ParseOutcome, jobs_for, parse_job, parse_recorded, without_read_children
from .repository import RepoPaths

# Below this many targets, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 16


def selected(rule: RuleDoc, select: Iterable[str], ignore: Iterable[str]) -> bool:
    select = [s for s in select if s.strip()]
    if select and not any(matches(rule, p) for p in select):
        return False
    return not any(matches(rule, p) for p in ignore if p.strip())


def unknown_selectors(patterns: Iterable[str]) -> list[str]:
    return [p for p in patterns if p.strip() and not rules_matching(p)]


def run_rules(
    model: Model,
    options: Options,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    severity: dict[str, str] | None = None,
) -> list[tuple[Finding, Resource]]:
    """Every finding of the selected rules, with the resource it attaches to."""
    from .rules import implemented

    catalog = load_catalog()
    found: list[tuple[Finding, Resource]] = []
    for rule_id, function in implemented().items():
        if not selected(catalog[rule_id], select, ignore):
            continue
        seen: set[tuple[str, str]] = set()
        for hit in function(model, options):
            resource = hit.resource
            identity = (resource.unit, resource.address)
            if identity in seen:
                continue  # one finding per rule per resource
            seen.add(identity)
            where = hit.location or resource.location
            message = hit.message
            if resource.format is Format.TERRAFORM and _outside_root(resource):
                # a child module's block: say which caller, for a module several roots call
                message = message.rstrip() + " Reached from the root module %s." % _shown_unit(resource.unit)
            elif resource.format is Format.CLOUDFORMATION and "#" in resource.unit:
                stack = stack_of(resource.unit)
                if stack:  # a child stack's resource: say which parent, for a template several read
                    message = message.rstrip() + " Read through %s in %s." % (stack[1], stack[0])
            found.append(
                (
                    _finding(rule_id, message, where, resource.address, resource.resource_type,
                             resource.format.value, resource.construct_path, severity),
                    resource,
                )
            )
    return found


# The model's symbols for "this deployment's" account, partition and region, as each format
# writes them (CloudFormation's own spelling is the model's).
_SYMBOLS = {
    "terraform": (
        (OWN_ACCOUNT, "${data.aws_caller_identity.current.account_id}"),
        (PARTITION, "${data.aws_partition.current.partition}"),
        (REGION, "${data.aws_region.current.name}"),
    ),
}


def _in_format_language(message: str, fmt: str) -> str:
    for symbol, spelled in _SYMBOLS.get(fmt, ()):
        message = message.replace(symbol, spelled)
    return message


def _finding(rule_id: str, message: str, where: Location, address: str, resource_type: str,
             fmt: str, construct_path: str | None, severity: dict[str, str] | None, detail: str = "") -> Finding:
    entry = load_catalog()[rule_id]
    return Finding(
        rule_id=rule_id,
        message=_in_format_language(" ".join(message.split()), fmt),  # one line, in the file's language
        file=where.file,
        line=max(where.line, 1),
        end_line=max(where.end_line, where.line, 1),
        resource=address,
        resource_type=resource_type,
        format=fmt,
        construct_path=construct_path,
        slug=entry.slug,
        severity=(severity or {}).get(rule_id, entry.severity),
        title=entry.title,
        detail=detail,
    )


def _outside_root(resource: Resource) -> bool:
    """A Terraform block in a child module's directory, not in the root module's own files."""
    unit = os.path.abspath(resource.unit or ".")
    root = unit if os.path.isdir(unit) else os.path.dirname(unit)
    where = os.path.abspath(resource.location.file)
    return resource.address.startswith("module.") and os.path.dirname(where) != root


def _shown_unit(unit: str) -> str:
    return "in the working directory" if unit in (".", "") else unit


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


def parse_all(targets: list[Target], options: Options, jobs: int | None, progress=None, cache=None) -> list[ParseOutcome]:
    """Every job's outcome, in the jobs' order (the report does not depend on --jobs or the
    cache); a child template found alone that its parent reads gets an empty one. With a `cache` (result_cache.ResultCache), jobs whose entry still holds are not
    parsed, and the others' outcomes are stored. The jobs left to parse go to a process pool
    only when there are enough of them; the largest go first, one at a time, so no process is
    left with a tail of big ones. `progress(done, total, display)` after each job."""
    work = jobs_for(targets)
    workers = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    report = progress or (lambda done, total, display: None)
    outcomes: list = [None] * len(work)
    keys: dict[int, str] = {}
    pending = []
    done = 0
    if cache is not None:
        from .result_cache import job_key
    for index, job in enumerate(work):
        if cache is not None:
            keys[index] = job_key(job, options)
            found = cache.load(keys[index])
            if found is not None:
                outcomes[index] = found
                done += 1
                report(done, len(work), job[1][0].display)
                continue
        pending.append(index)
    if any(work[index][0] == "terraform" for index in pending):
        require_terraform_parser()
    parse = parse_recorded if cache is not None else parse_job

    def finish(index: int, result) -> None:
        nonlocal done
        if cache is not None:
            result, reads = result
            cache.store(keys[index], result, reads)
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
    if cache is not None and cache.stats.written:
        cache.prune()
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
    from . import suppress
    from .discover import focus_of

    filters = filters or Filters()
    accepted = baselines.load(filters.baseline) if filters.baseline else None
    targets, problems = discover(paths, filters.exclude, filters.base)
    report = Report(tool_version=__version__)
    repo = RepoPaths(paths)
    report.errors.extend(ScanError(p.path, None, p.message) for p in problems)
    model = Model()
    for outcome in parse_all(targets, options, jobs, progress, cache):
        model.extend(outcome.model)
        report.errors.extend(outcome.errors)
        report.skipped.extend(outcome.skipped)
        report.files_scanned += outcome.files_scanned
    link(model, options)
    ran = rules_run(select, ignore)
    pairs = run_rules(model, options, select, ignore, filters.severity)
    suppressions, by_resource = suppress.collect(model, filters.config_ignores)
    findings = suppress.apply(pairs, suppressions, by_resource)
    units = [resource.unit for _, resource in pairs]
    config_only = [s for s in suppressions if s.kind == "config"]
    for notice in suppress.notices(suppressions, ran):
        where = Location(notice.file, notice.line, notice.end_line)
        made = _finding(notice.rule_id, notice.message, where, notice.address, notice.resource_type,
                        notice.format, notice.construct_path, filters.severity, notice.detail)
        findings.extend(suppress.apply([(made, None)], config_only, {}))
        units.append(notice.file)  # anchored at the suppression's file
    findings = [
        replace(f, repo_path=repo.relative(f.file), anchor=repo.relative(u), root=repo.relative(u) if f.format == "terraform" else None)
        for f, u in zip(findings, units)
    ]
    focus = focus_of(paths)
    if focus is not None:
        findings = [f for f, u in zip(findings, units) if focus.covers(f.file, u)]
    units_read = {repo.relative(r.unit) for r in model.resources()}
    if filters.write_baseline:
        baselines.write(filters.write_baseline, findings)
        accepted = baselines.load(filters.write_baseline)
    if accepted is not None:
        findings, report.baseline = baselines.apply(
            findings, accepted, filters.write_baseline or filters.baseline or "", ran, units_read,
            written=bool(filters.write_baseline),
        )
    findings.sort(key=Finding.sort_key)
    report.findings = findings
    report.rules_run = tuple(sorted(ran))
    report.checked = _checked(model, repo, focus)
    report.queues = len(model.queues)
    report.keys = len(model.keys)
    report.errors = sorted(
        {replace(e, repo_path=repo.relative(e.file)) for e in report.errors},  # one per place, however many jobs met it
        key=lambda e: (e.file, e.line or 0, e.message),
    )
    report.skipped = sorted(
        {replace(s, repo_path=repo.relative(s.file)) for s in report.skipped}, key=lambda s: (s.file, s.reason)
    )
    views = set(views)
    if "inventory" in views:
        from . import inventory

        covers = focus.covers if focus is not None else None
        report.inventory = inventory.build(model, report.findings, repo, options, label, __version__,
                                           report.files_scanned, report.errors, covers, paths[0] if paths else None)
    if "cost" in views:
        from . import cost

        covers = focus.covers if focus is not None else None
        report.cost = cost.to_document(cost.costs(model, options.producers, options.consumers, options.month_days),
                                       __version__, covers)
    return report


# Which families judge which kind of resource (JUnit testcases).
_FAMILIES = (("queues", ("SQG1", "SQG4", "SQG5")), ("keys", ("SQG2", "SQG3")), ("key_policies", ("SQG2",)), ("unread_modules", ("SQG1",)))


def _checked(model: Model, repo: RepoPaths, focus) -> list[Checked]:
    out = []
    for kind, families in _FAMILIES:
        for resource in getattr(model, kind):
            where = resource.location
            if focus is not None and not focus.covers(where.file, resource.unit):
                continue
            out.append(
                Checked(resource.address, resource.resource_type, resource.format.value, where.file,
                        max(where.line, 1), families, repo.relative(where.file))
            )
    out.sort(key=lambda c: (c.file, c.line, c.address))
    return out
