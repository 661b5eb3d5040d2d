"""Catalog and code agree: every id of RULES.md has an entry, every entry is well formed, every
implemented rule has an entry, and the documentation the CLI and README show comes from it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sqsguard.catalog import catalog_dir, fix_examples, load_catalog, problems
from sqsguard.rules import implemented

ROOT = Path(__file__).resolve().parents[1]
DESIGN_RULES = ROOT.parent / "shared" / "design" / "RULES.md"
SCHEMA = json.loads((ROOT / "rules" / "catalog.schema.json").read_text())


def test_catalog_is_read_from_the_source_rules_folder():
    assert catalog_dir().resolve() == (ROOT / "rules").resolve()


@pytest.mark.parametrize("rule_id", list(load_catalog()))
def test_entry_is_well_formed(rule_id):
    assert problems(load_catalog()[rule_id], SCHEMA) == []


def test_every_implemented_rule_is_in_the_catalog():
    assert set(implemented()) <= set(load_catalog())


def test_catalog_holds_the_contract_ids():
    expected = {
        "SQG001": "suppression-without-reason", "SQG002": "suppression-unused",
        "SQG101": "queue-unencrypted", "SQG102": "queue-sqs-owned-key", "SQG103": "queue-aws-managed-key",
        "SQG104": "queue-key-unverifiable", "SQG105": "queue-encryption-conflict",
        "SQG201": "key-policy-public", "SQG202": "key-policy-cross-account", "SQG203": "key-policy-admin-and-use",
        "SQG204": "key-policy-iam-only", "SQG205": "key-policy-lockout", "SQG206": "key-policy-service-unscoped",
        "SQG207": "key-policy-grant-unrestricted", "SQG208": "key-policy-unverifiable",
        "SQG301": "key-rotation-disabled",
        "SQG302": "key-missing-ownership-tags", "SQG303": "key-shared-across-tenants",
        "SQG304": "key-unusable-for-sqs", "SQG401": "producer-blocked-by-aws-managed-key",
        "SQG402": "producer-missing-key-grant", "SQG403": "cross-account-queue-without-key-access",
        "SQG404": "consumer-missing-key-grant", "SQG405": "sender-missing-key-grant",
        "SQG501": "kms-reuse-period-short",
    }
    assert {i: r.slug for i, r in load_catalog().items()} == expected


@pytest.mark.skipif(not DESIGN_RULES.exists(), reason="compares the catalog with the design's rule table, ../shared/design/RULES.md, which is not beside this checkout")
def test_catalog_matches_the_design_rule_table():
    rows = re.findall(r"^\| (SQG\d{3}) \| ([a-z0-9-]+) \| (\w+) \|", DESIGN_RULES.read_text(), re.M)
    assert rows
    assert {i: (s, sev) for i, s, sev in rows} == {i: (r.slug, r.severity) for i, r in load_catalog().items()}


def test_readme_rule_table_is_generated_from_the_catalog():
    from sqsguard.cli import rules_table

    readme = (ROOT / "README.md").read_text()
    assert rules_table(load_catalog().values()) in readme, "refresh README: sqsguard rules --format markdown"


def test_fix_examples_are_extracted_per_format():
    examples = fix_examples(load_catalog()["SQG103"])
    assert set(examples) == {"Terraform", "CloudFormation", "CDK"}
    assert examples["CloudFormation"]["after"][0] == "yaml"
    assert "AWS::SQS::Queue" in examples["CloudFormation"]["after"][1]


@pytest.mark.parametrize("rule_id", list(load_catalog()))
def test_cloudformation_fix_examples_scan_clean(rule_id, tmp_path):
    """The After example a rule's documentation recommends must itself pass every rule: no
    finding is left that it does not suppress."""
    from sqsguard.engine import scan
    from sqsguard.options import Options

    lang, code = fix_examples(load_catalog()[rule_id])["CloudFormation"]["after"]
    path = tmp_path / "after.yaml"
    path.write_text(code)
    report = scan([str(path)], Options(), jobs=1)
    assert report.errors == []
    assert [(f.rule_id, f.resource, f.message) for f in report.findings if not f.suppressed] == []


@pytest.mark.parametrize("rule_id", [r for r, e in load_catalog().items() if "cloudformation" in e.formats])
def test_cloudformation_before_example_shows_its_rule(rule_id, tmp_path):
    """The Before a rule's documentation shows must be what the rule finds (when it runs)."""
    from sqsguard.engine import rules_run, scan
    from sqsguard.options import Options

    if rule_id not in rules_run():
        pytest.skip("%s is documented but not implemented yet" % rule_id)
    lang, code = fix_examples(load_catalog()[rule_id])["CloudFormation"]["before"]
    path = tmp_path / "before.yaml"
    path.write_text(code)
    report = scan([str(path)], Options(), jobs=1)
    assert report.errors == []
    assert rule_id in {f.rule_id for f in report.findings}
