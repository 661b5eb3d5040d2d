"""A scan that parses Terraform imports lark's lexer and tree modules only (lark_light.py), and
no python-hcl2 package `__init__`; whatever asks for the rest of lark later gets all of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "terraform" / "orders-secure")


def run(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SQSGUARD_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


SCAN_THEN_LIST = """
import sys, json
from sqsguard.engine import scan
from sqsguard.options import Options
report = scan([{path!r}], Options())
print(json.dumps({{"findings": len(report.findings), "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("lark", "hcl2", "regex"))}}))
"""


def test_a_scan_imports_only_the_parts_of_lark_it_uses(tmp_path):
    first = run(SCAN_THEN_LIST.format(path=EXAMPLE), tmp_path)  # derives the tables: all of lark
    assert first.returncode == 0, first.stderr
    second = run(SCAN_THEN_LIST.format(path=EXAMPLE), tmp_path)
    assert second.returncode == 0, second.stderr
    done = json.loads(second.stdout)
    assert done["findings"] == json.loads(first.stdout)["findings"]
    assert done["modules"] == ["lark", "lark.common", "lark.exceptions", "lark.grammar", "lark.lexer", "lark.tree", "lark.utils"]


COMPLETE = """
import sys
from sqsguard.parsers.terraform.lark_light import light, version
assert light()
assert "lark.lark" not in sys.modules and "regex" not in sys.modules
import lark
light_version = version()
from lark import Lark, Transformer  # asks for names the light package does not have: all of lark
assert "lark.lark" in sys.modules and lark.__version__ == light_version, (lark.__version__, light_version)
assert lark.Token is sys.modules["lark.lexer"].Token
try:
    lark.no_such_name
except AttributeError:
    pass
else:
    raise AssertionError("a missing name is an AttributeError")
import regex  # hidden only while lark's utilities were imported
print("ok")
"""


def test_the_light_package_completes_itself_when_asked_for_the_rest(tmp_path):
    done = run(COMPLETE, tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_a_lark_imported_whole_before_is_left_as_it_is(tmp_path):
    done = run("import lark, sys\nfrom sqsguard.parsers.terraform.lark_light import light\nassert light()\n"
               "assert sys.modules['lark'] is lark and 'lark.lark' in sys.modules\nprint('ok')", tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


REGEX_AFTER = """
from sqsguard.parsers.terraform.lark_light import light
assert light()
from lark import Lark
Lark(r'start: /\\p{Lu}+/', parser='lalr', regex=True).parse('AB')  # needs regex, as in a fresh process
print("ok")
"""


def test_lark_made_whole_uses_regex_where_it_is_installed(tmp_path):
    import importlib.util

    if importlib.util.find_spec("regex") is None:
        import pytest

        pytest.skip("regex is not installed")
    done = run(REGEX_AFTER, tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


THREADS = """
import threading
from sqsguard.parsers.terraform.lark_light import light
assert light()
import lark
got, failed = [], []
def ask():
    try:
        got.append(lark.Lark)
    except Exception as exc:
        failed.append(repr(exc))
threads = [threading.Thread(target=ask) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
assert not failed and len(set(map(id, got))) == 1, failed
print("ok")
"""


def test_threads_asking_for_the_rest_at_once_all_get_it(tmp_path):
    done = run(THREADS, tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
