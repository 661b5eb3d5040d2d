"""Public IaC from ../shared/corpus (beside the checkout; skipped where absent).

Every file must scan without a crash, our template reader must agree with cfn-lint's decoder
(an independent oracle) on every CloudFormation template, and every file that declares a queue
yields one, or is listed as an error or a skipped file with the reason (never a silent pass).
"""

from __future__ import annotations

import json
import os
import re
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


@pytest.fixture(scope="module")
def corpus_report():
    previous = os.getcwd()
    os.chdir(CORPUS)  # paths in the report relative to the corpus
    try:
        return scan(["."], Options(), jobs=1)
    finally:
        os.chdir(previous)


def test_whole_corpus_scans_without_crashing(corpus_report):
    report = corpus_report
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


# A queue declaration, as grep finds one: a Terraform resource block or a CloudFormation `Type`.
QUEUE_DECLARATION = re.compile(r'''resource\s+"aws_sqs_queue"|\bType["']?\s*:\s*["']?AWS::SQS::Queue\b''')
QUEUE_TYPES = ("aws_sqs_queue", "AWS::SQS::Queue")
# Files whose queues sqsguard does not read yet, each with the reason; a fix removes its entry.
KNOWN_GAPS: dict[str, str] = {}  # corpus files with a queue that yield neither a queue nor a listed reason


def _declaring_queues() -> list[str]:
    found = []
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and QUEUE_DECLARATION.search(path.read_text(encoding="utf-8", errors="replace")):
            found.append(path.relative_to(CORPUS).as_posix())
    return found


def test_every_file_declaring_a_queue_yields_one_or_says_why(corpus_report):
    report = corpus_report
    with_queue = {os.path.normpath(c.file) for c in report.checked if c.resource_type in QUEUE_TYPES}
    told = {os.path.normpath(e.file): e.message for e in report.errors}
    told.update({os.path.normpath(s.file): s.reason for s in report.skipped})
    declaring = _declaring_queues()
    assert len(declaring) > 150
    silent = [f for f in declaring if os.path.normpath(f) not in with_queue and os.path.normpath(f) not in told]
    assert sorted(set(silent) - set(KNOWN_GAPS)) == []
    assert sorted(set(KNOWN_GAPS) - set(silent)) == [], "no longer a gap: remove it from KNOWN_GAPS"
    assert all(told[os.path.normpath(f)] for f in declaring if os.path.normpath(f) in told and os.path.normpath(f) not in with_queue)


def test_the_skipped_corpus_files_are_the_cfn_guard_test_files(corpus_report):
    """Lists of test cases whose inputs are templates: declared, not a template, not read."""
    assert [(s.file, s.reason) for s in corpus_report.skipped] == [
        ("peers/guard-rules-registry/_tests_raw/%s_tests.yml" % name,
         "declares %s, but is not a CloudFormation template (the document is a list): not a format sqsguard reads" % kind)
        for name, kind in (
            ("cmk_backing_key_rotation_enabled", "AWS::KMS::Key"),
            ("kms_no_wildcard_principal", "AWS::KMS::Key"),
            ("sqs_queue_kms_master_key_id_rule", "AWS::SQS::Queue"),
            ("sqs_queuepolicy_no_allow_plus_not_action", "AWS::SQS::QueuePolicy"),
            ("sqs_queuepolicy_no_allow_plus_notprincipal", "AWS::SQS::QueuePolicy"),
            ("sqs_queuepolicy_no_wildcard_action", "AWS::SQS::QueuePolicy"),
            ("sqs_queuepolicy_no_wildcard_principal", "AWS::SQS::QueuePolicy"),
        )
    ]
