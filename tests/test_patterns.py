"""The lexer's patterns kept as the engine's codes (parsers/terraform/patterns.py): the codes are
the ones `re` compiles, a parser on them compiles nothing and gives the same trees, and an
entry that is not what was written is a miss or is compiled as usual."""

from __future__ import annotations

import json
import marshal
import re

import pytest

from sqsguard.parsers.terraform import lalr, patterns
from test_lalr import BROKEN, CORPUS, shape, texts
from test_lark_tables import entries, reference, scan, scans_as_before


@pytest.fixture(scope="module")
def parsers(tmp_path_factory):
    """(the loop compiling with `re`, the loop on codes kept and read back as the cache gives them)."""
    import hcl2.parser as hp
    from hcl2.postlexer import PostLexer
    from lark import Lark

    cache = tmp_path_factory.mktemp("lark") / "tables.bin"
    own = Lark.open("hcl2.lark", parser="lalr", rel_to=hp.__file__, propagate_positions=True,
                    postlex=PostLexer(), cache=str(cache))
    decoded = lalr.sound(marshal.loads(marshal.dumps(lalr.derive(own))))
    compiling = lalr.Parser(decoded, PostLexer())
    recorded, widths = compiling.record_patterns()
    kept = patterns.Kept(*patterns.decode(marshal.loads(marshal.dumps(patterns.encode(recorded, widths)))))
    return compiling, lalr.Parser(decoded, PostLexer(), kept), recorded, kept


def test_every_recorded_code_is_what_re_compiles(parsers):
    recorded = parsers[2]
    assert len(recorded) > 60  # the alternations of about 60 terminal sets, and their `unless` patterns
    for (pattern, flags), args in recorded.items():
        assert patterns._made(pattern, args) == re.compile(pattern, flags), pattern


def test_a_parser_on_kept_codes_compiles_nothing_and_gives_the_same_trees(parsers, monkeypatch):
    from lark import utils

    compiling, kept, _, codes = parsers
    assert len(codes.widths) > 10
    monkeypatch.setattr(utils, "get_regexp_width", lambda regexp: pytest.fail("a width worked out again: %s" % regexp))
    kept = lalr.Parser(compiling.decoded, compiling.postlexer, codes)  # its terminals made with the kept widths
    compared = 0
    for path in texts():
        text = path.read_text(encoding="utf-8", errors="replace") + "\n"
        expected = compiling.parse(text)
        assert shape(kept.parse(text)) == shape(expected), path
        compared += expected is not None
    for text in BROKEN:
        assert kept.parse(text) is None
    assert compared > (190 if CORPUS.is_dir() else 110) and len(kept.scanners) > 50  # states lexed in
    assert codes.served > 20 and codes.compiled == codes.refused == 0


def test_codes_the_engine_refuses_are_compiled_as_usual(parsers):
    compiling, _, recorded, _ = parsers
    from hcl2.postlexer import PostLexer

    broken = {key: (flags, [0] * len(code), groups, index, names) for key, (flags, code, groups, index, names) in recorded.items()}
    assert len(broken) == len(recorded)
    kept = patterns.Kept(broken)
    parser = lalr.Parser(compiling.decoded, PostLexer(), kept)
    text = 'resource "aws_sqs_queue" "q" {\n  name = "a-${var.b}"\n  tags = { for k, v in var.t : k => v if v != null }\n}\n'
    assert shape(parser.parse(text)) == shape(compiling.parse(text))
    assert kept.refused == kept.compiled > 0 and kept.served == 0


def test_the_entry_is_named_for_this_python():
    import sys

    tag = patterns.tag()
    assert tag is not None and tag.startswith("%s.%d-" % (sys.implementation.cache_tag, sys.version_info[2]))


def test_a_scan_keeps_the_codes_and_reads_them_back(tmp_path):
    first = scan(tmp_path)
    assert first.returncode in (0, 1), first.stderr
    (entry,) = entries(tmp_path, "patterns-*")
    assert patterns.tag() in entry.name
    kept, widths = patterns.decode(marshal.loads(entry.read_bytes()))
    assert len(kept) > 60 and len(widths) > 10
    written = entry.stat().st_mtime_ns
    second = scan(tmp_path)
    assert second.stdout == first.stdout == reference()
    assert entry.stat().st_mtime_ns == written  # read, not written again


def test_a_hostile_patterns_entry_is_a_miss_and_is_rewritten(tmp_path):
    """Some invalid codes crash the engine (a `groups` one too small, an `IN` skip of 0: found by
    the review), so only entries signed by this machine are used; anything else is recorded again."""
    from _blake2 import blake2b

    scan(tmp_path)
    (entry,) = entries(tmp_path, "patterns-*")
    version, index, codes, signature = marshal.loads(entry.read_bytes())
    loaded = json.loads(index)
    fewer_groups = json.dumps(dict(loaded, patterns=[p[:5] + [max(p[5] - 1, 0)] + p[6:] for p in loaded["patterns"]]))
    elsewhere = blake2b(patterns._signed(fewer_groups, codes), key=b"k" * 32, digest_size=32).digest()
    hostile = [
        b"\x00garbage",
        entry.read_bytes()[:3000],
        marshal.dumps(compile("import os; os.system('echo pwned')", "x", "exec")),
        marshal.dumps({"not": "a list"}),
        marshal.dumps([version + 1, index, codes, signature]),
        marshal.dumps([version, index, codes]),  # unsigned
        marshal.dumps([version, index, codes[:-1], signature]),
        marshal.dumps([version, index, bytes(len(codes)), signature]),  # codes the signature does not cover
        marshal.dumps([version, fewer_groups, codes, signature]),  # segfaulted the scan before signing
        marshal.dumps([version, fewer_groups, codes, elsewhere]),  # signed with another machine's key
        marshal.dumps([version, "[" * 100000, codes, signature]),
    ]
    expected = reference()
    for blob in hostile:
        scans_as_before(tmp_path, entry, blob, expected)
        assert marshal.loads(entry.read_bytes())[:3] == [version, index, codes], "recorded again"


def test_without_a_machine_key_the_codes_are_neither_kept_nor_used(tmp_path):
    import os
    import subprocess
    import sys

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    scan(tmp_path)
    (entry,) = entries(tmp_path, "patterns-*")
    env = dict(os.environ, SQSGUARD_CACHE_DIR=str(tmp_path / "cache"), SQSGUARD_KEY_FILE=str(blocker / "key"))
    code = ("import sys\nfrom sqsguard.parsers.terraform import lark_tables\n"
            "parser = lark_tables.fast_parser()\n"
            "print(parser.scanners[0] is not None, type(parser).__name__)\n")
    before = entry.read_bytes()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0 and done.stdout.split() == ["True", "Parser"], done.stderr
    assert entry.read_bytes() == before  # not used (no key to check it with), not rewritten
    second = tmp_path / "second"
    env["SQSGUARD_CACHE_DIR"] = str(second)
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, check=True)
    assert list(second.glob("hcl2-patterns-*")) == [] and list(second.glob("hcl2-lalr-*"))


def test_where_the_cache_cannot_be_written_the_codes_are_not_recorded(tmp_path):
    """Recording them costs more than compiling what one scan uses."""
    import os
    import subprocess
    import sys

    from test_lark_tables import EXAMPLE

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code = ("import sys\nfrom sqsguard.parsers.terraform import lalr\n"
            "def refuse(self):\n    raise AssertionError('recorded')\n"
            "lalr.Parser.record_patterns = refuse\n"
            "from sqsguard.cli import main\n"
            "sys.argv = ['sqsguard', 'scan', %r, '--format', 'json', '--no-cache']\nmain()\n" % EXAMPLE)
    env = dict(os.environ, SQSGUARD_CACHE_DIR=str(blocker / "cache"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == reference()


def test_recording_compiles_each_pattern_once():
    recording = patterns.Recording()
    first = recording.compile(r"(?P<A>ab+)|(?P<B>[0-9]+)")
    assert recording.compile(r"(?P<A>ab+)|(?P<B>[0-9]+)") is first and recording.match("[0-9]+", "12").group(0) == "12"
    assert set(recording.kept) == {(r"(?P<A>ab+)|(?P<B>[0-9]+)", 0), ("[0-9]+", 0)}
    assert patterns._made(r"(?P<A>ab+)|(?P<B>[0-9]+)", recording.kept[r"(?P<A>ab+)|(?P<B>[0-9]+)", 0]).match("abb").lastgroup == "A"
