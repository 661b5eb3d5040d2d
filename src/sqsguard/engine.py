"""The scan: discover -> parse -> link -> rules -> findings, and rule selection."""

from __future__ import annotations

import os
from typing import Iterable

from . import __version__
from .catalog import RuleDoc, load_catalog
from .discover import Target, discover
from .findings import Finding, Report, ScanError
from .link import link
from .model import Model
from .options import Options
from .parsers import ParseOutcome, jobs_for, parse_job

# Below this many targets, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 16


def _matches(rule: RuleDoc, pattern: str) -> bool:
    """A selector names a rule by id, id prefix (a family: SQG2) or slug."""
    pattern = pattern.strip()
    return rule.id.upper().startswith(pattern.upper()) or rule.slug == pattern.lower()


def selected(rule: RuleDoc, select: Iterable[str], ignore: Iterable[str]) -> bool:
    select = [s for s in select if s.strip()]
    if select and not any(_matches(rule, p) for p in select):
        return False
    return not any(_matches(rule, p) for p in ignore if p.strip())


def unknown_selectors(patterns: Iterable[str]) -> list[str]:
    catalog = load_catalog().values()
    return [p for p in patterns if p.strip() and not any(_matches(r, p) for r in catalog)]


def run_rules(
    model: Model,
    options: Options,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
) -> list[Finding]:
    from .rules import implemented

    catalog = load_catalog()
    findings: list[Finding] = []
    for rule_id, function in implemented().items():
        entry = catalog[rule_id]
        if not selected(entry, select, ignore):
            continue
        seen: set[tuple[str, str]] = set()
        for hit in function(model, options):
            resource = hit.resource
            identity = (resource.unit, resource.address)
            if identity in seen:
                continue  # one finding per rule per resource
            seen.add(identity)
            where = hit.location or resource.location
            findings.append(
                Finding(
                    rule_id=rule_id,
                    message=hit.message,
                    file=where.file,
                    line=where.line,
                    end_line=max(where.end_line, where.line),
                    resource=resource.address,
                    resource_type=resource.resource_type,
                    format=resource.format.value,
                    construct_path=resource.construct_path,
                    slug=entry.slug,
                    severity=entry.severity,
                    title=entry.title,
                )
            )
    findings.sort(key=Finding.sort_key)
    return findings


def parse_all(targets: list[Target], options: Options, jobs: int | None) -> list[ParseOutcome]:
    work = jobs_for(targets)
    workers = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    if workers > 1 and len(work) >= PARALLEL_THRESHOLD:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(parse_job, work, [options] * len(work), chunksize=4))
    return [parse_job(job, options) for job in work]


def scan(
    paths: list[str],
    options: Options,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    jobs: int | None = None,
) -> Report:
    targets, problems = discover(paths)
    report = Report(tool_version=__version__)
    report.errors.extend(ScanError(p.path, None, p.message) for p in problems)
    model = Model()
    for outcome in parse_all(targets, options, jobs):
        model.extend(outcome.model)
        report.errors.extend(outcome.errors)
        report.files_scanned += outcome.files_scanned
    link(model)
    report.findings = run_rules(model, options, select, ignore)
    report.queues = len(model.queues)
    report.keys = len(model.keys)
    report.errors.sort(key=lambda e: (e.file, e.line or 0, e.message))
    return report
