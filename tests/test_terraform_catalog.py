"""The catalog's Terraform fix examples: the After example scans clean (no finding it does not
suppress), the Before example shows the rule it documents."""

from __future__ import annotations

import pytest

from sqsguard.catalog import fix_examples, load_catalog
from sqsguard.engine import scan
from sqsguard.options import Options
from sqsguard.rules import implemented

TERRAFORM_RULES = [r for r, entry in load_catalog().items() if "terraform" in entry.formats]


def _scan(tmp_path, code: str):
    (tmp_path / "main.tf").write_text(code)
    return scan([str(tmp_path)], Options(), jobs=1)


@pytest.mark.parametrize("rule_id", TERRAFORM_RULES)
def test_terraform_after_example_scans_clean(rule_id, tmp_path):
    lang, code = fix_examples(load_catalog()[rule_id])["Terraform"]["after"]
    assert lang == "hcl"
    report = _scan(tmp_path, code)
    assert report.errors == []
    assert [(f.rule_id, f.resource, f.message) for f in report.findings if not f.suppressed] == []


@pytest.mark.parametrize("rule_id", [r for r in TERRAFORM_RULES if r in implemented()])
def test_terraform_before_example_shows_its_rule(rule_id, tmp_path):
    lang, code = fix_examples(load_catalog()[rule_id])["Terraform"]["before"]
    report = _scan(tmp_path, code)
    assert report.errors == []
    assert rule_id in {f.rule_id for f in report.findings}
