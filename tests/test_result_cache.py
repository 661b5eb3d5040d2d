"""The result cache: a warm scan gives the very report a cold one gives; any input that can change
a parse (the file, a file() target, a called module, tfvars, a file added to the module, the
options) makes its entry a miss; an entry that is broken or hostile is a miss and is rewritten,
never a crash; the directory stays within its limit; a scan whose lookups all hit parses nothing."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from sqsguard import plain_data
from sqsguard.engine import scan
from sqsguard.options import Options
from sqsguard.report import render
from sqsguard.result_cache import FORMAT, MAGIC, ResultCache

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"

KEY_POLICY_TIGHT = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/admin"},
         "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:ScheduleKeyDeletion",
                    "kms:CancelKeyDeletion", "kms:TagResource", "kms:UntagResource"],
         "Resource": "*"},
    ],
}
KEY_POLICY_WIDE = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}],
}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def repository(tmp_path: Path) -> Path:
    """A root module with a key whose policy is a file(), a variable set by tfvars, and a local
    module holding a queue."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / "main.tf", """\
        variable "queue_key" {
          type    = string
          default = null
        }

        resource "aws_kms_key" "orders" {
          description         = "orders"
          enable_key_rotation = true
          policy              = file("${path.module}/policies/key.json")
        }

        resource "aws_sqs_queue" "orders" {
          name              = "orders"
          kms_master_key_id = aws_kms_key.orders.arn
        }

        resource "aws_sqs_queue" "audit" {
          name              = "audit"
          kms_master_key_id = var.queue_key
        }

        module "payments" {
          source = "./modules/queue"
        }
        """)
    write(repo / "policies" / "key.json", json.dumps(KEY_POLICY_TIGHT, indent=2))
    write(repo / "terraform.tfvars", 'queue_key = "alias/aws/sqs"\n')
    write(repo / "modules" / "queue" / "main.tf", """\
        resource "aws_sqs_queue" "this" {
          name                    = "payments"
          sqs_managed_sse_enabled = true
        }
        """)
    return repo


def cli(path: Path, *extra: str, cache: Path | None = None, cwd: Path | None = None, fmt: str = "json",
        codes: tuple = (0, 1)) -> subprocess.CompletedProcess:
    flags = ["--cache-dir", str(cache)] if cache is not None else ["--no-cache"]
    done = subprocess.run(
        [sys.executable, "-m", "sqsguard", "scan", str(path), "--format", fmt, "--jobs", "1", *flags, *extra],
        capture_output=True, text=True, timeout=300, cwd=cwd,
    )
    assert done.returncode in codes, done.stderr  # 2 would be an unread file: two such runs agree trivially
    assert "Traceback" not in done.stderr, done.stderr
    return done


def entries(cache: Path) -> list[Path]:
    """The job entries (not the kept reports)."""
    return sorted(p for p in (cache / ("results-v%d" % FORMAT)).iterdir() if header(p)[0] == MAGIC)


def header(entry: Path) -> list:
    """An entry's first line: [magic, format, key, reads]."""
    return json.loads(entry.read_bytes().split(b"\n", 1)[0])


def rules_on(report: str) -> list[tuple[str, str]]:
    return sorted((f["rule_id"], f["resource"]) for f in json.loads(report)["findings"])


# --- the same report, warm or cold ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_warm_reports_are_byte_identical_to_uncached_ones(tmp_path, fmt):
    cache = tmp_path / "cache"
    for target in (FIXTURES / "inventory" / "mixed", FIXTURES / "cdk", FIXTURES / "cloudformation", ROOT / "examples"):
        uncached = cli(target, fmt=fmt)
        cold = cli(target, cache=cache, fmt=fmt)
        warm = cli(target, cache=cache, fmt=fmt)
        assert uncached.stdout.startswith("{") and len(uncached.stdout) > 1000
        assert uncached.stdout == cold.stdout == warm.stdout, target
        assert uncached.returncode == cold.returncode == warm.returncode
    assert entries(cache)


def test_every_fixture_reads_back_from_the_cache_as_it_was_parsed(tmp_path):
    """In-process, over every fixture: the second scan parses nothing and reports the same."""
    cold, warm = ResultCache(tmp_path), ResultCache(tmp_path)
    first = render("json", scan([str(FIXTURES)], Options(), jobs=1, cache=cold))
    second = render("json", scan([str(FIXTURES)], Options(), jobs=1, cache=warm))
    assert first == second
    assert cold.stats.uncacheable == 0 and cold.stats.written == cold.stats.misses > 100
    assert warm.stats.hits == cold.stats.misses and warm.stats.misses == 0


# --- what makes an entry stale ----------------------------------------------------------------


def _changed_inputs():
    wide = json.dumps(KEY_POLICY_WIDE, indent=2)
    return {
        "the scanned file": lambda repo: (repo / "main.tf").write_text(
            (repo / "main.tf").read_text().replace("enable_key_rotation = true", "enable_key_rotation = false")),
        "a file() target": lambda repo: (repo / "policies" / "key.json").write_text(wide),
        "a called local module": lambda repo: (repo / "modules" / "queue" / "main.tf").write_text(
            (repo / "modules" / "queue" / "main.tf").read_text().replace("sqs_managed_sse_enabled = true",
                                                                         'kms_master_key_id = "alias/aws/sqs"')),
        "terraform.tfvars": lambda repo: (repo / "terraform.tfvars").write_text('queue_key = "alias/orders"\n'),
        "a new file in the module": lambda repo: (repo / "extra.tf").write_text(
            'resource "aws_sqs_queue" "extra" {\n  name = "extra"\n}\n'),
        "a removed tfvars file": lambda repo: (repo / "terraform.tfvars").unlink(),
    }


@pytest.mark.parametrize("change", sorted(_changed_inputs()))
def test_a_changed_input_makes_the_entry_stale(tmp_path, change):
    repo = repository(tmp_path)
    cache = tmp_path / "cache"
    before = cli(repo, cache=cache, cwd=repo)
    assert before.stdout == cli(repo, cwd=repo).stdout
    _changed_inputs()[change](repo)
    after = cli(repo, cache=cache, cwd=repo)
    assert after.stdout == cli(repo, cwd=repo).stdout  # what a cold scan of the changed code says
    assert rules_on(after.stdout) != rules_on(before.stdout), "the change should change the findings"
    assert cli(repo, cache=cache, cwd=repo).stdout == after.stdout  # and the rewritten entry is used


def test_changed_options_are_another_entry(tmp_path):
    repo = repository(tmp_path)
    cache = tmp_path / "cache"
    plain = cli(repo, cache=cache, cwd=repo)
    given = cli(repo, "--var", "queue_key=alias/orders", cache=cache, cwd=repo)
    assert given.stdout == cli(repo, "--var", "queue_key=alias/orders", cwd=repo).stdout
    assert rules_on(given.stdout) != rules_on(plain.stdout)
    assert cli(repo, cache=cache, cwd=repo).stdout == plain.stdout


def test_a_changed_template_is_read_again(tmp_path):
    template = ROOT / "examples" / "cloudformation" / "orders-compliant.yaml"
    copy = tmp_path / "stack.yaml"
    copy.write_text(template.read_text())
    cache = tmp_path / "cache"
    cli(copy, cache=cache)
    copy.write_text(copy.read_text() + "\n# a comment: the bytes changed, the findings may not\n")
    assert cli(copy, cache=cache).stdout == cli(copy).stdout
    copy.write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n")
    after = cli(copy, cache=cache)
    assert after.stdout == cli(copy).stdout and rules_on(after.stdout)


# --- untrusted entries --------------------------------------------------------------------------


def _entry(magic, fmt, key, reads, table, root) -> bytes:
    return json.dumps([magic, fmt, key, reads]).encode() + b"\n" + json.dumps([table, root]).encode()


def _hostile(entry: bytes, key: str) -> dict[str, bytes]:
    head, body = entry.split(b"\n", 1)
    magic, fmt, _, reads = json.loads(head)
    table, root = json.loads(body)
    location = next(i for i, node in enumerate(table) if node[0] == "obj" and node[1] == "sqsguard.model:Location")
    bad_type = list(table)
    node = bad_type[location]
    bad_type[location] = node[:4] + [["not", "a", "location"][: len(node[4])]]
    foreign = list(table)
    foreign[location] = ["obj", "subprocess:Popen", None, [], []]
    dunder = list(table)
    dunder[location] = node[:3] + [["__class__"] + node[3][1:], node[4]]
    enum_at = next(i for i, n in enumerate(table) if n[0] == "enum")
    constructed = list(table)  # an "enum" node naming a class that is not one: its constructor must not run
    constructed[enum_at] = ["enum", "sqsguard.model:Location", table[enum_at][2]]
    fake_member = list(table)  # a Format made as a plain object: a member that is not one
    fake_member[enum_at] = ["obj", table[enum_at][1], "nonsense", [], []]
    unknown_member = list(table)
    unknown_member[enum_at] = ["enum", table[enum_at][1], "nonsense"]
    return {
        "garbage": b"\x00garbage",
        "truncated": entry[: len(entry) // 2],
        "marshal with a code object": marshal.dumps(compile("import os; os.system('echo pwned')", "x", "exec")),
        "a marshalled list declaring 1.5 billion items": b"[" * 100_000,
        "another key": _entry(magic, fmt, "0" * 40, reads, table, root),
        "another format": _entry(magic, fmt + 1, key, reads, table, root),
        "a reference forward": _entry(magic, fmt, key, reads, [["list", [[5]]]], [0]),
        "a JSON object": _entry(magic, fmt, key, reads, [["list", [{"a": 1}]]], [0]),
        "a negative reference": _entry(magic, fmt, key, reads, [["list", [[-1]]]], [0]),
        "a class outside the model": _entry(magic, fmt, key, reads, foreign, root),
        "a dunder attribute": _entry(magic, fmt, key, reads, dunder, root),
        "a field of the wrong type": _entry(magic, fmt, key, reads, bad_type, root),
        "an enum node naming a dataclass": _entry(magic, fmt, key, reads, constructed, root),
        "an enum member made as an object": _entry(magic, fmt, key, reads, fake_member, root),
        "an enum value it does not have": _entry(magic, fmt, key, reads, unknown_member, root),
        "a read of a device": _entry(magic, fmt, key, reads + [["read", "/dev/zero", None, "0" * 32]], table, root),
        "malformed reads": _entry(magic, fmt, key, [["read", 5, None, None]], table, root),
        "a read asked twice": _entry(magic, fmt, key, reads + reads[:1], table, root),
        "more reads than any entry makes": _entry(magic, fmt, key, reads + [["kind", "/", None, "dir"]] * 200_001, table, root),
        "deep JSON nesting": b"[" * 100_000 + b"]" * 100_000,
        "deep JSON nesting in the body": json.dumps([magic, fmt, key, reads]).encode() + b"\n" + b"[" * 100_000 + b"]" * 100_000,
        "no body": json.dumps([magic, fmt, key, reads]).encode(),
        "a body of one line more": entry + b"\n[]",
        "not the magic": _entry("pickle", fmt, key, reads, table, root),
    }


def test_a_broken_or_hostile_entry_is_a_miss_and_is_rewritten(tmp_path):
    repo = repository(tmp_path)
    cache = tmp_path / "cache"
    expected = cli(repo, cwd=repo).stdout
    assert cli(repo, cache=cache, cwd=repo).stdout == expected
    entry = max(entries(cache), key=lambda p: p.stat().st_size)  # the root module's
    good = entry.read_bytes()
    for name, blob in _hostile(good, entry.name).items():
        entry.write_bytes(blob)
        done = cli(repo, cache=cache, cwd=repo)
        assert done.stdout == expected, name
        assert "pwned" not in done.stdout + done.stderr, name
        assert header(entry)[:3] == [MAGIC, FORMAT, entry.name], name  # rewritten


def test_checking_an_entry_stops_at_its_budget_of_bytes(tmp_path):
    """A hostile entry naming big files many times over must not make a scan read for ever."""
    from sqsguard import inputs

    big = tmp_path / "big"
    big.write_bytes(b"x" * 10_000)
    with inputs.recording() as reads:
        inputs.read_bytes(str(big))
    assert inputs.unchanged(reads) and inputs.unchanged(reads, 10_000)
    assert not inputs.unchanged(reads, 9_999) and not inputs.unchanged(reads * 2, 15_000)


def test_decoding_makes_only_allowed_classes_and_keeps_shared_objects_shared():
    from sqsguard.model import Location, Unresolved

    where = Location("a.tf", 1, 2)
    value = {"one": where, "two": [where, Unresolved("var.x", "a variable")], 3: (1.5, None, True, frozenset({"a"}))}
    table, root = plain_data.encode(value)
    back = plain_data.decode(table, root)
    assert back == value and back["one"] is back["two"][0]
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(plain_data.Uncacheable):
        plain_data.encode(cyclic)
    with pytest.raises(plain_data.Uncacheable):
        plain_data.encode([threading.Lock()])
    with pytest.raises(plain_data.Uncacheable):
        plain_data.encode([b"bytes"])
    for table in ([["obj", "os:system", None, [], []]], [["list", [[0]]]], [["dict", [1], []]], ["list"], [("list", [])]):
        with pytest.raises(plain_data.BadEntry):
            plain_data.decode(table, [0])


# --- writing, size, processes ----------------------------------------------------------------


def test_parallel_runs_on_one_cache_agree_and_leave_sound_entries(tmp_path):
    cache = tmp_path / "cache"
    target = FIXTURES / "inventory" / "mixed"
    expected = cli(target).stdout
    command = [sys.executable, "-m", "sqsguard", "scan", str(target), "--format", "json", "--jobs", "1",
               "--cache-dir", str(cache)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert all(out == expected and "Traceback" not in err for out, err in outputs)
    for entry in entries(cache):
        assert header(entry)[:3] == [MAGIC, FORMAT, entry.name]
        assert not entry.name.startswith(".")  # no temporary file left behind
    assert cli(target, cache=cache).stdout == expected


def test_the_directory_is_kept_under_its_limit(tmp_path):
    cache = ResultCache(tmp_path, max_mb=0.05)
    scan([str(FIXTURES)], Options(), jobs=1, cache=cache)
    assert cache.stats.written > 100
    left = list(cache.directory.iterdir())
    assert sum(p.stat().st_size for p in left) <= 0.05 * 1024 * 1024
    assert len(left) < cache.stats.written


def results_in(cache: Path) -> list[Path]:
    """What the result cache wrote there (the parser's tables, lark_tables.py, are not results)."""
    return sorted(p for p in cache.rglob("*") if p.is_file() and not p.name.startswith("hcl2-")) if cache.exists() else []


def test_no_cache_and_config_cache_false_write_no_results(tmp_path):
    repo = repository(tmp_path)
    cache = tmp_path / "cache"
    assert rules_on(cli(repo, "--no-cache", "--cache-dir", str(cache), cwd=repo, codes=(1,)).stdout)
    assert results_in(cache) == []
    (repo / ".sqsguard.yaml").write_text("cache: false\n")
    done = subprocess.run([sys.executable, "-m", "sqsguard", "scan", ".", "--cache-dir", str(cache)], cwd=repo,
                          capture_output=True, timeout=300)
    assert done.returncode == 1 and results_in(cache) == []
    (repo / ".sqsguard.yaml").write_text("cache_dir: .scan-cache\n")
    done = subprocess.run([sys.executable, "-m", "sqsguard", "scan", "."], cwd=repo, capture_output=True, timeout=300)
    assert done.returncode == 1 and entries(repo / ".scan-cache")


def test_a_scan_whose_lookups_all_hit_starts_no_process(tmp_path, monkeypatch):
    import concurrent.futures

    from sqsguard import engine

    cache_dir = tmp_path / "cache"
    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 2)
    first = ResultCache(cache_dir)
    cold = render("json", scan([str(FIXTURES / "terraform")], Options(), jobs=2, cache=first))
    assert first.stats.written > 2

    def refuse(*args, **kwargs):
        raise AssertionError("a process pool was started for a scan of cache hits")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", refuse)
    again = ResultCache(cache_dir)
    assert render("json", scan([str(FIXTURES / "terraform")], Options(), jobs=2, cache=again)) == cold
    assert again.stats.misses == 0


def test_an_unwritable_cache_directory_only_costs_the_speed(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    target = FIXTURES / "inventory" / "mixed"
    done = cli(target, cache=blocker / "cache")
    assert done.stdout == cli(target).stdout


def test_the_code_fingerprint_is_by_content_not_by_install_time(tmp_path, monkeypatch):
    """pip gives every file a new time on every install: the same release installed again (a CI
    job's fresh venv, pre-commit's environment) must find the entries the last one wrote."""
    from sqsguard import result_cache

    monkeypatch.setattr(result_cache, "_fingerprint", None)
    before = result_cache.code_fingerprint()
    package = Path(result_cache.__file__).parent
    times = {path: path.stat() for path in package.rglob("*.py")}
    try:
        for path in times:
            os.utime(path, ns=(times[path].st_atime_ns, times[path].st_mtime_ns + 10**9))  # a fresh install: other times, same bytes
        monkeypatch.setattr(result_cache, "_fingerprint", None)
        assert result_cache.code_fingerprint() == before
    finally:
        for path, info in times.items():
            os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_a_wheels_record_is_read_without_the_venv_specific_lines(tmp_path):
    from sqsguard.result_cache import _package_files

    lines = ["../../../bin/sqsguard,sha256=%s,212" % venv for venv in ("AAA", "BBB")]
    package = "sqsguard/engine.py,sha256=abc,100\nsqsguard/__pycache__/engine.cpython-311.pyc,,\n"
    one, other = tmp_path / "one", tmp_path / "other"
    one.write_text(lines[0] + "\n" + package)
    other.write_text(lines[1] + "\n" + package)
    assert _package_files(one) == _package_files(other) == ("sqsguard/engine.py,sha256=abc,100",)


def test_config_shows_where_the_cache_is(tmp_path):
    env = dict(os.environ, SQSGUARD_CACHE_DIR=str(tmp_path / "somewhere"))
    done = subprocess.run([sys.executable, "-m", "sqsguard", "config", "--format", "json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=env)
    shown = json.loads(done.stdout)
    assert (shown["values"]["cache_dir"], shown["sources"]["cache_dir"]) == (str(tmp_path / "somewhere"), "SQSGUARD_CACHE_DIR")
    (tmp_path / ".sqsguard.yaml").write_text("cache_dir: here\n")
    shown = json.loads(subprocess.run([sys.executable, "-m", "sqsguard", "config", "--format", "json"], cwd=tmp_path,
                                      capture_output=True, text=True, timeout=120, env=env).stdout)
    assert shown["values"]["cache_dir"] == str(tmp_path / "here")
