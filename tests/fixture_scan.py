"""Scan a fixture the way a user would and reduce findings to what snapshots record."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqsguard.engine import scan
from sqsguard.options import Options

FIXTURES = Path(__file__).parent / "fixtures"


def scan_fixture(path: Path, **option_values):
    """Findings and errors for one fixture, with file paths relative to the fixture's folder."""
    previous = os.getcwd()
    os.chdir(path.parent)
    try:
        report = scan([path.name], Options(**option_values), jobs=1)
    finally:
        os.chdir(previous)
    return report


def snapshot_rows(report) -> list[dict]:
    return [
        {
            "rule_id": f.rule_id,
            "resource": f.resource,
            "file": f.file,
            "line": f.line,
            "construct_path": f.construct_path,
            "severity": f.severity,
            "message": f.message,
            **({"suppression": f.suppression} if f.suppressed else {}),
        }
        for f in report.findings
    ]


def snapshot_path(fixture: Path) -> Path:
    return fixture.with_name(fixture.name + ".expected.json")


def read_snapshot(fixture: Path):
    path = snapshot_path(fixture)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def write_snapshot(fixture: Path, rows) -> None:
    snapshot_path(fixture).write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def check_snapshot(fixture: Path, rows, update: bool) -> None:
    """The rows equal the reviewed snapshot beside the fixture (written afresh with
    --update-snapshots, then reviewed like code)."""
    if update:
        write_snapshot(fixture, rows)
    expected = read_snapshot(fixture)
    assert expected is not None, "no snapshot for %s; run pytest --update-snapshots and review it" % fixture
    assert rows == expected


def run_cli(args, cwd: Path):
    """sqsguard's CLI in this process, from `cwd` (click's runner; exceptions propagate)."""
    from click.testing import CliRunner

    from sqsguard.cli import main

    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(previous)
