"""Fuzzing the readers with hypothesis: whatever the text, a reader either reads it or raises
its own error (ParseError, HclError) with a line inside the text; the scan of a folder of such
files ends with a report, never a traceback."""

from __future__ import annotations

import os
import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqsguard.parsers.documents import ParseError, load_yaml, parse_json
from sqsguard.parsers.terraform.hcl import HclError, parse_text

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text made of the characters these formats are built from, so that many examples get past the
# first byte: brackets, quotes, interpolation, intrinsic tags, anchors, comments, newlines.
PIECES = st.sampled_from([
    "{", "}", "[", "]", "(", ")", '"', "'", ":", ",", "=", "\n", "  ", "${", "%{", "!Ref ", "!Sub ",
    "&a ", "*a", "#", "//", "/*", "*/", "<<EOT\n", "EOT\n", "resource", '"aws_sqs_queue"', '"q"',
    "Resources", "AWS::SQS::Queue", "Type", "kms_master_key_id", "alias/aws/sqs", "\\", "\t", "-", "?",
])
NOISE = st.text(alphabet=string.printable, max_size=20)
TEXT = st.lists(st.one_of(PIECES, NOISE), max_size=60).map("".join)


def _line_ok(line, text: str) -> bool:
    return line is None or 1 <= line <= max(len(text.splitlines()), text.count("\n") + 1, 1)  # \r and \x85 end lines too


READERS = {
    "yaml": (load_yaml, ParseError),
    "json": (parse_json, ParseError),
    "hcl": (lambda text: parse_text(text, "/fuzz/main.tf", "main.tf"), HclError),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@FUZZ
@given(text=TEXT)
def test_a_reader_reads_or_says_where(reader, text):
    read, error = READERS[reader]
    try:
        read(text)
    except error as exc:
        assert exc.message and _line_ok(exc.line, text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["main.tf", "t.yaml", "t.json", "vars.tfvars"]), st.one_of(TEXT, st.binary(max_size=200))),
                min_size=1, max_size=4))
def test_a_scan_of_fuzzed_files_always_ends_with_a_report(tmp_path_factory, files):
    from sqsguard.engine import scan
    from sqsguard.options import Options

    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "good.yaml").write_text("Resources:\n  Kept:\n    Type: AWS::SQS::Queue\n")
    for index, (name, content) in enumerate(files):
        path = folder / ("%d-%s" % (index, name))
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    report = scan([str(folder)], Options(), jobs=1)
    assert "Kept" in {f.resource for f in report.findings}  # the readable file is still judged
    for error in report.errors:
        assert error.message and "internal error" not in error.message, error


HARNESS = Path(__file__).with_name("atheris_targets.py")


@pytest.mark.parametrize("target", ["yaml", "json", "hcl", "cache-entry"])
def test_atheris_finds_no_crash(target, tmp_path):
    """libFuzzer, guided by coverage of sqsguard's code, for a bounded number of inputs (a
    test-length run; run the harness longer by hand). Skipped where atheris has no wheel."""
    pytest.importorskip("atheris")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    env = dict(os.environ)
    if target == "cache-entry":  # start from a real entry, so mutations reach the decoder
        from sqsguard.engine import scan
        from sqsguard.options import Options
        from sqsguard.result_cache import ResultCache

        cache = ResultCache(tmp_path / "cache")
        scan([str(Path(__file__).parent / "fixtures" / "inventory" / "mixed")], Options(), jobs=1, cache=cache)
        entry = min(cache.directory.iterdir(), key=lambda p: p.stat().st_size)
        (corpus / "entry").write_bytes(entry.read_bytes())
        env["SQSGUARD_FUZZ_KEY"] = entry.name
    else:
        seeds = {"yaml": "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {KmsMasterKeyId: !Ref K}\n",
                 "json": '{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": "k"}}}}',
                 "hcl": 'resource "aws_sqs_queue" "q" {\n  kms_master_key_id = var.k\n  tags = { a = "${x}" }\n}\n'}
        (corpus / "seed").write_text(seeds[target])
    done = subprocess.run(
        [sys.executable, str(HARNESS), target, "-runs=3000", "-seed=1", "-max_len=4096", "-rss_limit_mb=2048",
         "-timeout=20", str(corpus)],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Done 3000 runs" in done.stderr
