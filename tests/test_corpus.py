"""Public IaC from ../shared/corpus (beside the checkout; skipped where absent).

Every file must scan without a crash, and our template reader must agree with cfn-lint's
decoder (an independent oracle) on every CloudFormation template.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqsguard.engine import scan
from sqsguard.options import Options
from sqsguard.parsers.cloudformation import is_template
from sqsguard.parsers.documents import ParseError, load_json, load_yaml

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="scans the public IaC samples in ../shared/corpus, which are not beside this checkout")


def _templates() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    found = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix in (".yaml", ".yml", ".json", ".template") and path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if "AWS::" in text and "Resources" in text:
                found.append(path)
    return found


def _plain(value):
    return json.loads(json.dumps(value, default=str))


def _as_cfn_lint_names_tags(value):
    """We keep an unknown tag as `{"!Rain::Embed": x}`; cfn-lint writes `{"Fn::Rain::Embed": x}`."""
    if isinstance(value, dict):
        return {("Fn::" + k[1:] if k.startswith("!") else k): _as_cfn_lint_names_tags(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_cfn_lint_names_tags(v) for v in value]
    return value


def test_whole_corpus_scans_without_crashing():
    report = scan([str(CORPUS)], Options(), jobs=1)
    assert report.files_scanned > 100
    assert report.queues > 100
    # The corpus holds parts of repositories: a local module or a policy file they use may not
    # have come along, and that is reported as the error it is. Nothing else may fail.
    missing = [
        e for e in report.errors
        if ("the source directory" in e.message and e.message.endswith(("does not exist", "holds no .tf files")))
        or "does not exist (looked in" in e.message
    ]
    assert [(e.file, e.message) for e in report.errors if e not in missing] == []
    assert all(e.line for e in missing)


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_reader_agrees_with_cfn_lint(path: Path):
    decode = pytest.importorskip("cfnlint.decode")
    text = path.read_text(encoding="utf-8")
    theirs, matches = decode.decode_str(text)
    if theirs is None:
        pytest.skip("cfn-lint cannot read this sample either, so there is nothing to compare: %s" % (matches[0] if matches else "?"))
    try:
        ours = load_json(text) if text.lstrip().startswith("{") else load_yaml(text)
    except ParseError as exc:
        pytest.fail("cfn-lint reads it, we do not: %s (line %s)" % (exc.message, exc.line))
    if not is_template(_plain(theirs)):
        pytest.skip("this sample is not a CloudFormation template, so there is nothing to compare with cfn-lint")
    assert _as_cfn_lint_names_tags(_plain(ours)["Resources"]) == _plain(theirs)["Resources"]
