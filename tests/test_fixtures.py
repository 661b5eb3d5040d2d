"""Every rule fixture, every format: the findings are exactly the reviewed snapshot beside it.

Layout: tests/fixtures/<format>/<RULE>/bad.* and good.* (CDK: <RULE>/{bad,good}/cdk.out).
A bad fixture must produce its rule; a good one must not. Snapshots are refreshed with
`pytest --update-snapshots` and reviewed like code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixture_scan import FIXTURES, check_snapshot, scan_fixture, snapshot_rows


def _fixtures() -> list[Path]:
    found = []
    for rule_dir in sorted(FIXTURES.glob("*/SQG[0-9][0-9][0-9]")):
        for entry in sorted(rule_dir.iterdir()):
            outcome = entry.name.split(".")[0].split("-")[0]
            if outcome not in ("bad", "good") or entry.name.endswith(".expected.json"):
                continue
            if (entry / "cdk.out").is_dir():
                found.append(entry / "cdk.out")
            else:
                found.append(entry)  # a template file, or a Terraform module directory
    return found


def _outcome(fixture: Path) -> str:
    name = fixture.parent.name if fixture.name == "cdk.out" else fixture.name
    return "bad" if name.startswith("bad") else "good"


def _rule(fixture: Path) -> str:
    for part in fixture.parts[::-1]:
        if part.startswith("SQG"):
            return part
    raise AssertionError(fixture)


FIXTURE_LIST = _fixtures()


@pytest.mark.parametrize("fixture", FIXTURE_LIST, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_findings(fixture: Path, update_snapshots: bool) -> None:
    report = scan_fixture(fixture)
    assert report.errors == []
    rows = snapshot_rows(report)
    check_snapshot(fixture, rows, update_snapshots)
    rule = _rule(fixture)
    fired = [r for r in rows if r["rule_id"] == rule]
    if _outcome(fixture) == "bad":
        assert fired, "%s: the bad fixture does not trigger %s" % (fixture, rule)
    else:
        assert not fired, "%s: the good fixture triggers %s" % (fixture, rule)


def _variant(fixture: Path) -> str:
    """The format folder, and for CloudFormation also the syntax (YAML and JSON both count)."""
    folder = fixture.relative_to(FIXTURES).parts[0]
    if folder == "cloudformation":
        return "cloudformation-" + fixture.suffix.lstrip(".")
    return folder


VARIANTS = {
    "cloudformation": ("cloudformation-yaml", "cloudformation-json"),
    "cdk": ("cdk",),
    "terraform": ("terraform",),
    "terraform-plan": ("terraform-plan",),
}


def test_every_implemented_rule_has_fixtures_in_every_format() -> None:
    from sqsguard.catalog import load_catalog
    from sqsguard.rules import implemented

    catalog = load_catalog()
    present = {(_variant(f), _rule(f), _outcome(f)) for f in FIXTURE_LIST}
    missing = [
        "%s %s %s" % (variant, rule_id, outcome)
        for rule_id in implemented()
        for fmt in catalog[rule_id].formats
        for variant in VARIANTS[fmt]
        for outcome in ("bad", "good")
        if (variant, rule_id, outcome) not in present
    ]
    assert missing == []
