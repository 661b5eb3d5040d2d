"""The kept report: a scan of unchanged code reads its last report back instead of linking and
running the rules, and gives the very report those would; whatever decides the report after
parsing (the baseline, `.git`, the selection, the configuration's filters) makes it a miss; a
hostile report entry is a miss and is rewritten, never a crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dataclasses import fields

from sqsguard import report_entries
from sqsguard.findings import Finding
from sqsguard.engine import Filters, scan
from sqsguard.options import Options
from sqsguard.report import render
from sqsguard.result_cache import FORMAT, ResultCache

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "stacks").mkdir(parents=True)
    (repo / "main.tf").write_text(textwrap.dedent("""\
        resource "aws_sqs_queue" "plain" {
          name = "plain"
        }

        resource "aws_sqs_queue" "managed" {
          name              = "managed"
          kms_master_key_id = "alias/aws/sqs"
        }
        """))
    (repo / "stacks" / "queue.yaml").write_text(textwrap.dedent("""\
        Resources:
          Orders:
            Type: AWS::SQS::Queue
            Properties:
              QueueName: orders
        """))
    return repo


def report_entries_in(cache: Path) -> list[Path]:
    directory = cache / ("results-v%d" % FORMAT)
    return [p for p in directory.iterdir() if p.read_bytes().startswith(b'["%s"' % report_entries.MAGIC.encode())]


def twice(target: Path, cache: Path, **given) -> tuple[str, ResultCache]:
    """The JSON report of a scan on a fresh cache object, after asserting an uncached scan agrees."""
    kept = ResultCache(cache)
    warm = render("json", scan([str(target)], Options(), jobs=1, cache=kept, **given))
    assert warm == render("json", scan([str(target)], Options(), jobs=1, **given))
    return warm, kept


def test_unchanged_code_reads_its_report_back(tmp_path, monkeypatch):
    from sqsguard import judge

    cache = tmp_path / "cache"
    for target in (FIXTURES / "inventory" / "mixed", FIXTURES / "cdk", ROOT / "examples"):
        first, cold = twice(target, cache)
        assert cold.stats.reports_reused == 0
        monkeypatch.setattr(judge, "run_rules", lambda *a, **k: pytest.fail("the rules ran for unchanged code"))
        kept = ResultCache(cache)
        again = render("json", scan([str(target)], Options(), jobs=1, cache=kept))
        monkeypatch.undo()
        assert again == first and kept.stats.reports_reused == 1 and kept.stats.misses == 0
    assert len(report_entries_in(cache)) == 3


def test_a_changed_file_recomputes_the_report_and_keeps_the_new_one(tmp_path):
    repo = repository(tmp_path)
    cache = tmp_path / "cache"
    before, _ = twice(repo, cache)
    (repo / "main.tf").write_text((repo / "main.tf").read_text().replace('"alias/aws/sqs"', '"alias/orders"'))
    after, changed = twice(repo, cache)
    assert after != before and changed.stats.misses == 1 and changed.stats.reports_reused == 0
    _, again = twice(repo, cache)
    assert again.stats.reports_reused == 1


def _baseline(tmp_path: Path, repo: Path) -> Path:
    path = tmp_path / "baseline.json"
    scan([str(repo)], Options(), jobs=1, filters=Filters(write_baseline=str(path)))
    return path


def test_what_decides_the_report_after_parsing_makes_it_a_miss(tmp_path):
    repo = repository(tmp_path)
    cache = tmp_path / "cache"
    baseline = _baseline(tmp_path, repo)
    plain, _ = twice(repo, cache)
    accepted, _ = twice(repo, cache, filters=Filters(baseline=str(baseline)))
    assert json.loads(accepted)["summary"]["suppressed"]["baseline"] > 0 and accepted != plain
    entries = json.loads(baseline.read_text())
    entries["findings"] = entries["findings"][:1]
    baseline.write_text(json.dumps(entries))
    fewer, kept = twice(repo, cache, filters=Filters(baseline=str(baseline)))
    assert fewer not in (accepted, plain) and kept.stats.reports_reused == 0
    rule = json.loads(plain)["findings"][0]["rule_id"]
    selected, kept = twice(repo, cache, select=[rule])
    assert selected != plain and kept.stats.reports_reused == 0
    raised, kept = twice(repo, cache, filters=Filters(severity={rule: "critical"}))
    assert raised != plain and kept.stats.reports_reused == 0
    _, kept = twice(repo, cache)
    assert kept.stats.reports_reused == 1


def test_a_git_directory_made_above_the_code_changes_the_paths_it_reports(tmp_path):
    repo = repository(tmp_path)
    cache = tmp_path / "cache"
    sarif = lambda kept: render("sarif", scan([str(repo / "stacks")], Options(), jobs=1, cache=kept))
    before = sarif(ResultCache(cache))
    (repo / ".git").mkdir()
    kept = ResultCache(cache)
    after = sarif(kept)
    assert after == sarif(None) and after != before and kept.stats.reports_reused == 0
    assert '"uri": "stacks/queue.yaml"' in after


def test_runs_that_write_or_read_the_model_keep_no_report(tmp_path):
    repo = repository(tmp_path)
    cache = tmp_path / "cache"
    scan([str(repo)], Options(), jobs=1, cache=ResultCache(cache), views=("inventory",))
    scan([str(repo)], Options(), jobs=1, cache=ResultCache(cache), filters=Filters(write_baseline=str(tmp_path / "b.json")))
    assert not report_entries_in(cache)
    kept = ResultCache(cache)
    report = scan([str(repo)], Options(), jobs=1, cache=kept, views=("inventory",))
    assert report.inventory is not None and kept.stats.hits == 2


def test_every_field_of_the_records_is_one_the_entries_read():
    assert report_entries.records_match_encoding()


def cli(path: Path, cache: Path, *extra: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "sqsguard", "scan", str(path), "--format", "sarif", "--jobs", "1",
                           "--cache-dir", str(cache), *extra], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, SQSGUARD_CACHE_STATS="1"))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    return done


def _hostile(good: bytes) -> dict[str, bytes]:
    header, body = good.split(b"\n", 1)
    findings, errors, skipped, counts, checked, rules_run, baseline = json.loads(body)
    first = findings[0]

    names = [f.name for f in fields(Finding)]

    def with_finding(**changed) -> bytes:
        row = list(first)
        for name, value in changed.items():
            row[names.index(name)] = value
        return header + b"\n" + json.dumps([[row] + findings[1:], errors, skipped, counts, checked, rules_run, baseline]).encode()

    return {
        "garbage body": header + b"\n\x00garbage",
        "no body": header,
        "a JSON object": header + b'\n{"findings": []}',
        "a line that is text": with_finding(line="7"),
        "a severity it does not have": with_finding(severity="catastrophic"),
        "a rule it does not have": with_finding(rule_id="SQG999"),
        "a short row": header + b"\n" + json.dumps([[first[:3]], errors, skipped, counts, checked, rules_run, baseline]).encode(),
        "another version": header + b"\n" + json.dumps([findings, errors, skipped, counts[:3] + ["0.0.0"], checked, rules_run, baseline]).encode(),
        "a suppression that is not pairs": with_finding(suppression={"kind": "inline"}),
        "a suppression reason that is a number": with_finding(suppressed=True, suppression=[["kind", 5], ["reason", 5]]),
        "a lone surrogate in a message": with_finding(message="\ud800"),
        "another key": header.replace(b'"sqsguard-report",%d,"' % FORMAT, b'"sqsguard-report",%d,"0' % FORMAT) + b"\n" + body,
    }


def test_a_hostile_report_entry_is_a_miss_and_is_rewritten(tmp_path):
    repo = repository(tmp_path)
    cache = tmp_path / "cache"
    expected = cli(repo, cache).stdout
    assert "report: 1 reused" in cli(repo, cache).stderr
    (entry,) = report_entries_in(cache)
    good = entry.read_bytes()
    for name, blob in _hostile(good).items():
        entry.write_bytes(blob)
        done = cli(repo, cache)
        assert done.stdout == expected and "report: 0 reused, 1 written" in done.stderr, name
        assert entry.read_bytes() == good, name  # rewritten


def test_a_configuration_ignore_that_matches_does_not_stop_the_report_being_reused(tmp_path):
    """Judging marks the suppressions it uses: the key is made before, so it is the same next time."""
    repo = repository(tmp_path)
    rule = json.loads(cli(repo, tmp_path / "probe").stdout)["runs"][0]["results"][0]["ruleId"]
    (repo / ".sqsguard.yaml").write_text("ignore:\n  - {id: %s, reason: accepted}\n" % rule)
    cache = tmp_path / "cache"
    first = subprocess.run([sys.executable, "-m", "sqsguard", "scan", ".", "--format", "json", "--cache-dir", str(cache)],
                           cwd=repo, capture_output=True, text=True, timeout=300, env=dict(os.environ, SQSGUARD_CACHE_STATS="1"))
    again = subprocess.run([sys.executable, "-m", "sqsguard", "scan", ".", "--format", "json", "--cache-dir", str(cache)],
                           cwd=repo, capture_output=True, text=True, timeout=300, env=dict(os.environ, SQSGUARD_CACHE_STATS="1"))
    assert json.loads(first.stdout)["summary"]["suppressed"]["config"] >= 1
    assert again.stdout == first.stdout and "report: 1 reused" in again.stderr, again.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="file names that are not UTF-8 are a Linux file system's")
def test_file_names_that_are_not_utf8_are_scanned_warm_as_cold(tmp_path):
    repo = repository(tmp_path)
    os.close(os.open(os.fsencode(str(repo)) + b"/notes\xff.txt", os.O_CREAT | os.O_WRONLY))
    with open(os.fsencode(str(repo)) + b"/queue\xfe.tf", "w") as handle:
        handle.write('resource "aws_sqs_queue" "odd" {\n  name = "odd"\n}\n')
    cache = tmp_path / "cache"
    cold = subprocess.run([sys.executable, "-m", "sqsguard", "scan", str(repo), "--format", "sarif", "--no-cache"],
                          capture_output=True, text=True, timeout=300)
    assert cold.returncode == 1 and "Traceback" not in cold.stderr, cold.stderr
    assert '"uri": "queue%FE.tf"' in cold.stdout
    for _ in range(2):
        assert cli(repo, cache).stdout == cold.stdout


def test_a_directory_in_an_entrys_place_is_replaced(tmp_path):
    repo = repository(tmp_path)
    cache = tmp_path / "cache"
    expected = cli(repo, cache).stdout
    (entry,) = report_entries_in(cache)
    entry.unlink()
    (entry / "inside").mkdir(parents=True)
    done = cli(repo, cache)
    assert done.stdout == expected and "cannot be written" not in done.stderr and "report: 0 reused, 1 written" in done.stderr
    assert entry.is_file()


def test_errors_and_skipped_files_read_back_have_their_fields_of_their_types():
    """The job entries' errors and skipped files are checked against their classes' annotations
    (one check for both kinds of entry), as decoding makes them: attributes set on a bare object."""
    from sqsguard.findings import ScanError, Skipped
    from sqsguard.report_entries import sound_record

    def made(cls, **state):
        record = object.__new__(cls)
        record.__dict__.update(state)
        return record

    assert sound_record(made(ScanError, file="a.tf", line=3, message="bad", repo_path="a.tf"), ScanError)
    assert sound_record(made(ScanError, file="a.tf", line=None, message="bad", repo_path=""), ScanError)
    assert sound_record(made(Skipped, file="p.yaml", reason="Pulumi", repo_path="p.yaml"), Skipped)
    for state in ({"file": "a.tf", "line": "3", "message": "bad", "repo_path": ""},
                  {"file": "a.tf", "line": True, "message": "bad", "repo_path": ""},
                  {"file": "a.tf", "line": 3, "message": None, "repo_path": ""},
                  {"file": "a.tf", "line": 3, "message": "bad"},
                  {"file": "a.tf", "line": 3, "message": "bad", "repo_path": "", "extra": 1}):
        assert not sound_record(made(ScanError, **state), ScanError), state
    assert not sound_record(made(Skipped, file="p.yaml", reason="x", repo_path=""), ScanError)
