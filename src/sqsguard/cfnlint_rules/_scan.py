"""One sqsguard scan per template cfn-lint checks, shared by every sqsguard rule class.

cfn-lint asks each rule separately; the first sqsguard rule to ask scans the template file
(`sqsguard.engine.scan`, in process, one job) and the others read the answer from a small cache
keyed by the file, a hash of its bytes, the parameter values cfn-lint was given and the working
directory. The scan is the one `sqsguard scan FILE` runs: the sqsguard configuration found upward
from the template applies (accounts, parameters, key tags, `select`, `ignore` and
`per_path_ignore`, `exclude`, the baseline), and findings sqsguard suppresses (inline comments,
`Metadata.sqsguard.ignore`, configuration, baseline) are accepted, so cfn-lint never sees them.

Nothing here raises: a template sqsguard cannot check gives an `Outcome` with a `problem`,
which the E9000 rule reports.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from dataclasses import field
from typing import Any

from sqsguard.dataclass_methods import dataclass

# Enough for every rule of one template, and for a parameter file run that checks one template
# with several parameter sets; cfn-lint checks templates one after the other.
CACHE_SIZE = 8

STDIN_PROBLEM = (
    "sqsguard checks template files and did not check this template, which came from standard "
    "input: give cfn-lint the template's path instead"
)


@dataclass(frozen=True)
class Outcome:
    """What sqsguard says about one template: its unsuppressed findings in that file (each with
    its message, which says which parameter sets give it when cfn-lint has several), or why it
    could not check it."""

    findings: tuple[tuple[Any, str], ...] = ()  # (sqsguard Finding, message)
    problem: str | None = None
    problem_line: int = 1
    lines: tuple[str, ...] = field(default=(), repr=False)  # the template's text, for columns


_cache: OrderedDict[tuple, Outcome] = OrderedDict()
scans = 0  # how many scans this process ran (the tests read it)


def outcome_for(cfn: Any) -> Outcome:
    """The sqsguard outcome for the template of a cfn-lint `Template`, scanned at most once."""
    global scans
    filename = getattr(cfn, "filename", None)
    if not filename or filename == "-":
        return Outcome(problem=STDIN_PROBLEM)
    try:
        with open(filename, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        return Outcome(problem="sqsguard cannot read %s: %s" % (filename, exc.strerror or exc))
    parameter_sets = _parameter_sets(cfn)
    key = (os.path.abspath(filename), hashlib.sha256(raw).hexdigest(), repr(parameter_sets), os.getcwd())
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    scans += 1
    lines = tuple(raw.decode("utf-8", errors="replace").splitlines())
    try:
        outcome = _scan(filename, raw, parameter_sets)
    except Exception as exc:  # never a traceback in cfn-lint's output, never a silent pass
        outcome = Outcome(problem="sqsguard failed on this template (internal error %s: %s); please report it" % (type(exc).__name__, exc))
    outcome = Outcome(outcome.findings, outcome.problem, outcome.problem_line, lines)
    _cache[key] = outcome
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return outcome


def _parameter_sets(cfn: Any) -> list[tuple[str, dict[str, str]]]:
    """cfn-lint's `--parameters` / `--parameter-files` values: (source, {name: text}) per set."""
    context = getattr(cfn, "context", None)
    found = []
    for index, parameter_set in enumerate(getattr(context, "parameter_sets", None) or ()):
        values = getattr(parameter_set, "parameters", None)
        if not isinstance(values, dict):
            continue
        source = getattr(parameter_set, "source", None) or "parameter set %d" % (index + 1)
        found.append((str(source), {str(k): _parameter_text(v) for k, v in sorted(values.items(), key=lambda kv: str(kv[0]))}))
    return found


def _parameter_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_parameter_text(v) for v in value)  # a CommaDelimitedList value
    return str(value)


def _scan(filename: str, raw: bytes, parameter_sets: list[tuple[str, dict[str, str]]]) -> Outcome:
    from ..discover import DOCUMENT_SUFFIXES, worth_reading

    if not filename.endswith(DOCUMENT_SUFFIXES):
        if worth_reading(raw):
            return Outcome(
                problem="sqsguard reads templates named *%s and did not check %s: rename it, or run `sqsguard scan` on a copy"
                % (", *".join(DOCUMENT_SUFFIXES), os.path.basename(filename))
            )
        return Outcome()  # no SQS queue or KMS key in it: nothing for sqsguard to check
    if not parameter_sets:
        return _scan_once(filename, raw, None)
    runs = [_scan_once(filename, raw, values) for _, values in parameter_sets]
    if len(runs) == 1:
        return runs[0]
    # Several parameter sets (cfn-lint checks the template once with all of them): every finding
    # once, saying which sets give it when not all do.
    merged: dict[tuple, tuple[Any, list[str]]] = {}
    for (source, _), outcome in zip(parameter_sets, runs):
        for finding, message in outcome.findings:
            key = (finding.rule_id, finding.resource, finding.line, message)
            merged.setdefault(key, (finding, []))[1].append(source)
    findings = []
    for (_, _, _, message), (finding, sources) in merged.items():
        if len(sources) < len(runs):
            message = "%s (with the parameters of %s)" % (message, ", ".join(sources))
        findings.append((finding, message))
    problem = next((o for o in runs if o.problem is not None), None)
    if problem is None:
        return Outcome(tuple(findings))
    return Outcome(tuple(findings), problem.problem, problem.problem_line)


def _scan_once(filename: str, raw: bytes, parameters: dict[str, str] | None) -> Outcome:
    """`sqsguard scan FILE` with its configuration, in process; cfn-lint's parameter values win
    over the configuration's, as `--parameter` does."""
    from .. import engine
    from ..baseline import BaselineError
    from ..cli import options_from
    from ..config import ConfigError, ignore_entries, load

    given = {"parameters": parameters} if parameters else {}
    try:
        settings = load([filename], None, given)
        config_ignores = ignore_entries(settings)
    except ConfigError as exc:
        return Outcome(problem="sqsguard cannot use its configuration: %s" % "; ".join(exc.problems))
    filters = engine.Filters(
        config_ignores=config_ignores,
        severity=dict(settings["severity"] or {}),
        exclude=tuple(settings["exclude"] or ()),
        base=settings.base,
        baseline=settings["baseline"],
    )
    try:
        report = engine.scan([filename], options_from(settings), settings["select"] or [], (), jobs=1, filters=filters)
    except BaselineError as exc:
        return Outcome(problem="sqsguard cannot use its baseline: %s" % exc)
    here = os.path.abspath(filename)
    findings = tuple((f, f.message) for f in report.active if os.path.abspath(f.file) == here)
    if report.errors:  # this template, or a file it needs (a nested stack's child template)
        problem, line = _errors(here, report.errors)
        return Outcome(findings, problem, line)
    if report.files_scanned == 0 and _unread(filename, raw, filters):
        return Outcome(
            problem="sqsguard did not read this file as a template: it names SQS or KMS resource types, but sqsguard "
            "found no Resources mapping of typed resources in it (a Fn::ForEach of resources, for example), so no "
            "sqsguard rule checked it"
        )
    return Outcome(findings)


def _unread(filename: str, raw: bytes, filters: Any) -> bool:
    """A file that could hold queues or keys, that the configuration does not exclude, and that
    the scan still did not read."""
    from ..discover import discover, worth_reading

    if not worth_reading(raw):
        return False
    targets, _ = discover([filename], filters.exclude, filters.base)
    return bool(targets)


def _errors(here: str, errors: list) -> tuple[str, int]:
    """One message for every error of the scan, and the line to show it at."""
    parts = []
    line = None
    for error in errors:
        mine = os.path.abspath(error.file) == here
        if mine:
            line = line or error.line
            where = "line %d: " % error.line if error.line else ""
        else:
            where = "%s%s: " % (error.file, ":%d" % error.line if error.line else "")
        parts.append(where + error.message)
    return "sqsguard could not check this template: %s" % "; ".join(parts), line or 1
