"""python-hcl2's parse tables where its package directory is read-only: kept in sqsguard's cache
directory as marshal of plain values, and any entry that is not exactly that is a miss."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "terraform" / "orders-secure")

# A process whose python-hcl2 cannot keep its own cache (as in a read-only site-packages): its
# cache file would sit under a regular file, where nothing can be written.
RUN = """
import sys, hcl2.parser as hp
from pathlib import Path
hp.PARSER_FILE = Path({blocker!r}) / ".lark_cache.bin"
if {forbid_build}:
    import lark
    def refuse(*a, **k):
        raise AssertionError("the tables were built again")
    lark.Lark.open = refuse
from sqsguard.cli import main
sys.argv = ["sqsguard", "scan", {path!r}, "--format", "json", "--no-cache"]  # parse: the tables are used
main()
"""


def scan(tmp_path: Path, forbid_build: bool = False) -> subprocess.CompletedProcess:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    env = dict(os.environ, SQSGUARD_CACHE_DIR=str(tmp_path / "cache"))
    code = RUN.format(blocker=str(blocker), forbid_build=forbid_build, path=EXAMPLE)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


def entries(tmp_path: Path, kind: str = "tables") -> list[Path]:
    return sorted((tmp_path / "cache").glob("hcl2-%s-*.marshal" % kind))


def forget_lalr(tmp_path: Path) -> None:
    """Without sqsguard's LALR tables a scan derives them again, from lark's tables."""
    for entry in entries(tmp_path, "lalr-*"):
        entry.unlink()


def scans_as_before(tmp_path: Path, entry: Path, blob: bytes, expected: str) -> None:
    """With `blob` in place of `entry`, a scan gives the `expected` report, without a traceback."""
    entry.write_bytes(blob)
    done = scan(tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr and "pwned" not in done.stdout
    assert done.stdout == expected


def reference() -> str:
    return subprocess.run([sys.executable, "-m", "sqsguard", "scan", EXAMPLE, "--format", "json"],
                          capture_output=True, text=True, timeout=300).stdout


def test_tables_are_kept_in_the_cache_and_read_back_without_building(tmp_path):
    first = scan(tmp_path)
    assert first.returncode in (0, 1), first.stderr
    (entry,) = entries(tmp_path)
    data, memo = marshal.loads(entry.read_bytes())
    assert isinstance(data, dict) and isinstance(memo, dict)
    second = scan(tmp_path, forbid_build=True)
    assert second.returncode in (0, 1), second.stderr
    assert first.stdout == second.stdout == reference()


def test_a_hostile_or_broken_entry_is_a_miss_and_is_rewritten(tmp_path):
    scan(tmp_path)
    (entry,) = entries(tmp_path)
    hostile = [
        b"\x00garbage",
        entry.read_bytes()[:4000],
        marshal.dumps(compile("import os; os.system('echo pwned')", "x", "exec")),
        marshal.dumps(({"rules": [compile("1", "x", "eval")]}, {})),
        marshal.dumps(({"options": {}}, {})),
        marshal.dumps([1, 2, 3]),
        b"{" * 100_000,
        b"[" * 100,  # a list of 1.5 billion items, as marshal reads it: minutes to load
        b"[\xff\xff\xff\x7f" + b"N" * 10,
        entry.read_bytes() + b"N",
    ]
    expected = reference()
    for blob in hostile:
        entry.write_bytes(blob)
        forget_lalr(tmp_path)
        done = scan(tmp_path)
        assert done.returncode in (0, 1), done.stderr
        assert "Traceback" not in done.stderr and "pwned" not in done.stdout
        assert done.stdout == expected
        rewritten = marshal.loads(entry.read_bytes())  # rewritten as tables
        assert isinstance(rewritten, tuple) and isinstance(rewritten[0], dict) and "parser" in rewritten[0]


# A process that may not load lark's tables at all: sqsguard's own (lalr.py) must serve it.
NO_LARK_TABLES = """
import sys, lark
def refuse(*a, **k):
    raise AssertionError("lark's parser was loaded")
lark.Lark.open = refuse
lark.Lark._load_from_dict = classmethod(refuse)
from sqsguard.cli import main
sys.argv = ["sqsguard", "scan", {path!r}, "--format", "json", "--no-cache"]
main()
"""


def scan_without_lark_tables(tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SQSGUARD_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, "-c", NO_LARK_TABLES.format(path=EXAMPLE)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_the_lalr_tables_are_kept_and_a_scan_then_loads_no_lark_parser(tmp_path):
    from sqsguard.parsers.terraform import lalr

    first = scan(tmp_path)
    assert first.returncode in (0, 1), first.stderr
    (entry,) = entries(tmp_path, "lalr-%d" % lalr.FORMAT)
    assert lalr.sound(marshal.loads(entry.read_bytes())) is not None
    second = scan_without_lark_tables(tmp_path)
    assert second.returncode in (0, 1), second.stderr
    assert second.stdout == first.stdout == reference()


def test_a_hostile_lalr_entry_is_a_miss_and_is_rewritten(tmp_path):
    from sqsguard.parsers.terraform import lalr

    scan(tmp_path)
    (entry,) = entries(tmp_path, "lalr-%d" % lalr.FORMAT)
    good = marshal.loads(entry.read_bytes())
    hostile = [
        b"\x00garbage",
        entry.read_bytes()[:4000],
        marshal.dumps(compile("import os; os.system('echo pwned')", "x", "exec")),
        marshal.dumps(dict(good, format=lalr.FORMAT + 1)),
        marshal.dumps(dict(good, start=0, end=0)),
        marshal.dumps(dict(good, terminals=[("NAME", "re", "(", [], None, 0)])),  # a pattern that does not compile
        marshal.dumps(dict(good, rules='[["x", 1, "x", false, null, 1000000000]]')),
        marshal.dumps(dict(good, codes=good["codes"][:-4])),
        b"[" * 100,
        entry.read_bytes() + b"N",
    ]
    expected = reference()
    for blob in hostile:
        scans_as_before(tmp_path, entry, blob, expected)
        assert lalr.sound(marshal.loads(entry.read_bytes())) is not None, "rewritten as tables"


def test_an_entry_damaged_past_the_probe_is_not_used_again(tmp_path):
    """Rows the probe text does not reach are checked when first used; lark then reads the file
    the loop could not, the report is the same, and the entry is derived again."""
    from array import array

    from hcl2.postlexer import PostLexer

    from sqsguard.parsers.terraform import lalr
    from sqsguard.parsers.terraform.lark_tables import PROBE

    scan(tmp_path)
    (entry,) = entries(tmp_path, "lalr-%d" % lalr.FORMAT)
    good = marshal.loads(entry.read_bytes())
    probe = lalr.Parser(lalr.sound(good), PostLexer())
    assert probe.parse(PROBE) is not None
    reached = set(probe.states)
    rows, codes = array("I"), array("i")
    rows.frombytes(good["rows"])
    codes.frombytes(good["codes"])
    for state in range(len(rows) - 1):
        if state not in reached:
            for i in range(rows[state], rows[state + 1]):
                codes[i] = len(rows) + 5  # a shift to no state
    damaged = marshal.dumps(dict(good, codes=codes.tobytes()))
    entry.write_bytes(damaged)
    done = scan(tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert done.stdout == reference() and "Traceback" not in done.stderr
    assert not entry.exists() or entry.read_bytes() != damaged
    scan(tmp_path)
    assert lalr.sound(marshal.loads(entry.read_bytes())) is not None, "derived again"
