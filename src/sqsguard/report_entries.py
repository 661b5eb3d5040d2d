"""A whole scan's report, kept in the result cache beside the job entries, so a scan of code that
has not changed since the last one (the next pre-commit run, a CI job on a restored cache)
neither decodes the job outcomes nor links the model nor runs the rules.

- The key is a digest of everything after parsing that decides the report: sqsguard's code and
  rule catalog, the working directory, the scan paths and what discovery found wrong with them,
  every job's key with the state of the entry it used (the digest of that entry's bytes: its
  reads and its outcome), the options, the rule selection and the filters (configuration
  ignores, severity overrides, excludes, the baseline's path).
- The entry's reads are those the stages after parsing made: the baseline file, the files
  searched for `sqsguard:ignore` comments, the `.git` lookups that make paths
  repository-relative. The entry holds while each still gives its answer.
- Only scans that write nothing else reuse a report: not `--write-baseline`, not the inventory
  and cost views (which read the model).
- The report is written as rows of its records' fields and read back by checking each field's
  type (and a finding's severity) before the record is made: a hostile entry is a miss.
"""

from __future__ import annotations

import os
from dataclasses import fields
from typing import Any

from .findings import SEVERITIES, BaselineSummary, Checked, Finding, Report, ScanError, Skipped

MAGIC = "sqsguard-report"


class BadReport(Exception):
    """A body that is not one `encode` writes."""


def report_key(paths: list[str], problems: list, jobs: list[tuple[str, str]], options: Any, select, ignore, filters: Any) -> str:
    """`jobs`: (key, state) of every job, in order."""
    import marshal

    from .result_cache import _canonical, _digest, code_fingerprint

    settings = tuple((f.name, _canonical(getattr(options, f.name))) for f in fields(options))
    filtering = tuple((f.name, _canonical(getattr(filters, f.name))) for f in fields(filters))
    material = (MAGIC, code_fingerprint(), os.getcwd(), tuple(paths), tuple(os.path.abspath(p) for p in paths),
                tuple((p.path, p.message) for p in problems), tuple(jobs), settings,
                tuple(select), tuple(ignore), filtering)
    return _digest(marshal.dumps(material))


# --- the body -----------------------------------------------------------------------------------

_RECORDS = (Finding, ScanError, Skipped, Checked, BaselineSummary)


def _row(record: Any) -> list:
    out = []
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, dict):
            value = [[k, v] for k, v in value.items()]
        elif isinstance(value, tuple):
            value = list(value)
        out.append(value)
    return out


def encode(report: Report) -> list:
    if report.inventory is not None or report.cost is not None:
        raise ValueError("a report with views is not kept")
    return [
        [_row(f) for f in report.findings],
        [_row(e) for e in report.errors],
        [_row(s) for s in report.skipped],
        [report.files_scanned, report.queues, report.keys, report.tool_version],
        [_row(c) for c in report.checked],
        list(report.rules_run),
        _row(report.baseline) if report.baseline is not None else None,
    ]


# What each annotation of the records' fields accepts, and how its JSON form becomes the value.
_FIELD_TYPES = {
    "str": (lambda v: type(v) is str, None),
    "int": (lambda v: type(v) is int, None),
    "bool": (lambda v: type(v) is bool, None),
    "str | None": (lambda v: v is None or type(v) is str, None),
    "int | None": (lambda v: v is None or type(v) is int, None),
    # a suppression: {"kind": ..., "reason": ...}, text only
    "dict | None": (lambda v: v is None or (type(v) is list and all(
        type(p) is list and len(p) == 2 and type(p[0]) is str and type(p[1]) is str for p in v)),
        lambda v: None if v is None else {k: x for k, x in v}),
    "tuple[str, ...]": (lambda v: type(v) is list and all(type(x) is str for x in v), tuple),
}
_SHAPES: dict[type, list] = {}


def _shape(cls: type) -> list:
    if cls not in _SHAPES:
        _SHAPES[cls] = [_FIELD_TYPES[f.type] for f in fields(cls)]  # a KeyError here is a new field type to add
    return _SHAPES[cls]


def _record(cls: type, row: Any) -> Any:
    shape = _shape(cls)
    if type(row) is not list or len(row) != len(shape):
        raise BadReport("a %s row of another shape" % cls.__name__)
    values = []
    for value, (accepts, convert) in zip(row, shape):
        if not accepts(value):
            raise BadReport("a %s field of another type" % cls.__name__)
        values.append(convert(value) if convert is not None else value)
    return cls(*values)


def sound_record(record: Any, cls: type) -> bool:
    """A record that decoding made (plain_data), of a class whose fields are all scalars (ScanError,
    Skipped): exactly its fields, each of the type its annotation says (the engine sorts them and
    puts them in sets)."""
    state = record.__dict__ if type(record) is cls else None
    shape = _shape(cls)
    return state is not None and set(state) == {f.name for f in fields(cls)} and all(
        accepts(state[f.name]) for f, (accepts, _) in zip(fields(cls), shape))


def _records(cls: type, rows: Any) -> list:
    if type(rows) is not list:
        raise BadReport("records that are not a list")
    return [_record(cls, row) for row in rows]


def decode(body: Any, version: str) -> Report:
    """The report `encode` wrote, or BadReport."""
    if type(body) is not list or len(body) != 7:
        raise BadReport("not a report")
    findings, errors, skipped, counts, checked, rules_run, baseline = body
    if type(counts) is not list or len(counts) != 4 or not all(type(c) is int for c in counts[:3]) or counts[3] != version:
        raise BadReport("counts of another shape")
    if type(rules_run) is not list or not all(type(r) is str for r in rules_run):
        raise BadReport("rules that are not names")
    report = Report(
        findings=_records(Finding, findings), errors=_records(ScanError, errors), skipped=_records(Skipped, skipped),
        files_scanned=counts[0], queues=counts[1], keys=counts[2], tool_version=version,
        checked=_records(Checked, checked), rules_run=tuple(rules_run),
        baseline=_record(BaselineSummary, baseline) if baseline is not None else None,
    )
    if any(f.severity not in SEVERITIES for f in report.findings):
        raise BadReport("a severity sqsguard does not have")
    from .catalog import load_catalog

    known = load_catalog()
    if any(f.rule_id not in known for f in report.findings) or any(r not in known for r in report.rules_run):
        raise BadReport("a rule sqsguard does not have")
    return report


def load(cache: Any, key: str) -> Report | None:
    """The report kept for this key while its reads hold, or None."""
    from . import __version__
    from .result_cache import _body

    entry = cache.lookup(key, MAGIC)
    if entry is None:
        return None
    try:
        report = decode(_body(entry.body), __version__)
    except BadReport:
        return None
    cache.stats.reports_reused += 1
    return report


def store(cache: Any, key: str, report: Report, reads: list) -> None:
    cache.write(key, MAGIC, reads, encode(report))


def records_match_encoding() -> bool:
    """Every field of the records is of a type this module reads (tested)."""
    return all(f.type in _FIELD_TYPES for cls in _RECORDS for f in fields(cls))
