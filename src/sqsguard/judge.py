"""Judging parsed code: the job outcomes merged into one model, linked, the rules run, the
suppressions and the baseline applied, paths made repository-relative: the report. Every file
read here is read through `inputs`, so a kept report (`report_entries.py`) knows what it
depends on."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Iterable

from . import __version__
from .catalog import load_catalog
from .discover import stack_of
from .engine import rules_run, selected
from .findings import Checked, Finding, Report, ScanError
from .link import link
from .model import OWN_ACCOUNT, PARTITION, REGION, Format, Location, Model, Resource
from .options import Options
from .repository import RepoPaths


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
    from . import inputs

    unit = os.path.abspath(resource.unit or ".")
    root = unit if inputs.isdir(unit) else os.path.dirname(unit)
    where = os.path.abspath(resource.location.file)
    return resource.address.startswith("module.") and os.path.dirname(where) != root


def _shown_unit(unit: str) -> str:
    return "in the working directory" if unit in (".", "") else unit


def judge(paths, problems, outcomes, options, select, ignore, filters, accepted) -> tuple[Report, tuple]:
    """The report of the parsed outcomes, and (model, repository paths, focus) for the views."""
    from . import baseline as baselines
    from . import suppress
    from .discover import focus_of
    from .repository import repository_root

    repository_root.cache_clear()  # asked again, so the questions are recorded
    report = Report(tool_version=__version__)
    repo = RepoPaths(paths)
    report.errors.extend(ScanError(p.path, None, p.message) for p in problems)
    model = Model()
    for outcome in outcomes:
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
    return report, (model, repo, focus)


def views_of(report: Report, views: set, paths: list[str], read: tuple, options: Options, label) -> None:
    """The plain-data views of the model the command asked for (`read`: the model, the
    repository paths and the focus `judge` used)."""
    model, repo, focus = read
    covers = focus.covers if focus is not None else None
    if "inventory" in views:
        from . import inventory

        report.inventory = inventory.build(model, report.findings, repo, options, label, __version__,
                                           report.files_scanned, report.errors, covers, paths[0] if paths else None)
    if "cost" in views:
        from . import cost

        report.cost = cost.to_document(cost.costs(model, options.producers, options.consumers, options.month_days),
                                       __version__, covers)


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
