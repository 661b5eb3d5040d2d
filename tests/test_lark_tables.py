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


def entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("hcl2-tables-*.marshal"))


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
        done = scan(tmp_path)
        assert done.returncode in (0, 1), done.stderr
        assert "Traceback" not in done.stderr and "pwned" not in done.stdout
        assert done.stdout == expected
        rewritten = marshal.loads(entry.read_bytes())  # rewritten as tables
        assert isinstance(rewritten, tuple) and isinstance(rewritten[0], dict) and "parser" in rewritten[0]
