"""sqsguard's LALR loop (parsers/terraform/lalr.py) gives exactly the tree lark gives for
python-hcl2's grammar: every node's name, children and the four position fields sqsguard reads,
every token's type, text and position. Where lark refuses a text the loop gives None (and the
scan asks lark why). Tables read back that are not what `derive` writes are refused."""

from __future__ import annotations

import importlib.util
import marshal
import string
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqsguard.parsers.terraform import lalr

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FIELDS = ("line", "end_line", "start_pos", "end_pos", "container_line", "container_end_line",
          "container_start_pos", "container_end_pos")


@pytest.fixture(scope="module")
def lark_own(tmp_path_factory):
    """python-hcl2's parser as python-hcl2 builds it: lark's own tree building and positions."""
    import hcl2.parser as hp
    from hcl2.postlexer import PostLexer
    from lark import Lark

    cache = tmp_path_factory.mktemp("lark") / "tables.bin"
    return Lark.open("hcl2.lark", parser="lalr", rel_to=hp.__file__, propagate_positions=True,
                     postlex=PostLexer(), cache=str(cache))


@pytest.fixture(scope="module")
def tables(lark_own):
    derived = lalr.derive(lark_own)
    assert derived is not None, "python-hcl2 builds its parser with options the loop mirrors"
    return marshal.loads(marshal.dumps(derived))  # as the cache gives them back: plain values


@pytest.fixture(scope="module")
def ours(tables):
    from hcl2.postlexer import PostLexer

    return lalr.Parser(lalr.sound(tables), PostLexer())


def shape(node):
    from lark import Token, Tree

    if isinstance(node, Token):
        return ("token", node.type, str(node), node.line, node.column, node.end_line, node.end_column,
                node.start_pos, node.end_pos)
    if isinstance(node, Tree):
        meta = node._meta
        extent = None if meta is None or meta.empty else tuple(meta.__dict__.get(f) for f in FIELDS)
        return ("tree", node.data, extent, tuple(shape(child) for child in node.children))
    return ("value", node)


def texts() -> list[Path]:
    bases = [ROOT / "tests" / "fixtures", ROOT / "examples"] + ([CORPUS] if CORPUS.is_dir() else [])
    return sorted(p for base in bases for pattern in ("*.tf", "*.tfvars") for p in base.rglob(pattern) if p.is_file())


def generated(tmp_path: Path) -> list[Path]:
    """The benchmark's generated modules (variables, locals, jsonencode and data-source policies)."""
    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "benchmarks" / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_corpus", module)
    spec.loader.exec_module(module)
    module.generate(tmp_path, 20, 3)
    return sorted(tmp_path.rglob("*.tf"))


def test_trees_equal_lark_on_every_terraform_file(lark_own, ours, tmp_path):
    compared = refused = 0
    for path in texts() + generated(tmp_path):
        text = path.read_text(encoding="utf-8", errors="replace") + "\n"
        try:
            expected = lark_own.parse(text)
        except Exception:
            assert ours.parse(text) is None, path
            refused += 1
            continue
        assert shape(ours.parse(text)) == shape(expected), path
        compared += 1
    assert compared > (190 if CORPUS.is_dir() else 120)  # 138 without ../shared/corpus


BROKEN = [
    'a = "b\n',
    "a = \n",
    "resource \"x\" \"y\" {\n  a = 1\n",
    "a = 1 }\n",
    "a = [1, 2\n",
    "a = <<EOT\nno end\n",
    "a = 1 +\n",
    "@\n",
    "a = 1\n\x00\n",
    "locals {\n  a = {b = }\n}\n",
    "= 1\n",
]


@pytest.mark.parametrize("text", BROKEN)
def test_what_lark_refuses_the_loop_leaves_to_lark(lark_own, ours, text):
    with pytest.raises(Exception):
        lark_own.parse(text)
    assert ours.parse(text) is None


HCL_PIECES = st.sampled_from([
    "{", "}", "[", "]", "(", ")", '"', ":", ",", "=", "\n", " ", "${", "%{", "}", "#", "//", "/*", "*/",
    "<<EOT\n", "EOT\n", "resource", '"aws_sqs_queue"', '"q"', "a", "b.c", "1", "1.5e3", "true", "null",
    "for", "in", "if", "?", "+", "-", "*", "/", "%", "==", "!=", "&&", "||", "!", "=>", "...", "[*]",
    ".*", "\\", "\t", "var.x", "local.y", "jsonencode(", "~}", "%{ if x }", "%{ endif }",
])
HCL = st.lists(st.one_of(HCL_PIECES, st.text(alphabet=string.printable, max_size=6)), max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(HCL)
def test_any_text_parses_the_same_or_is_left_to_lark(lark_own, ours, text):
    text += "\n"
    try:
        expected = lark_own.parse(text)
    except Exception:
        assert ours.parse(text) is None
        return
    assert shape(ours.parse(text)) == shape(expected)


def test_only_tables_of_the_derived_shape_are_sound(tables):
    import json
    from array import array

    assert lalr.sound(tables) is not None

    def changed(**fields):
        return dict(marshal.loads(marshal.dumps(tables)), **fields)

    def codes(edit):
        values = array("i")
        values.frombytes(tables["codes"])
        edit(values)
        return values.tobytes()

    def rules(edit):
        values = json.loads(tables["rules"])
        edit(values)
        return json.dumps(values)

    count = len(tables["rows"]) // 4 - 1
    bad = [
        None, [], {"format": lalr.FORMAT + 1},
        changed(format=lalr.FORMAT + 1),
        changed(start=count), changed(end=-1), changed(start="0"),
        changed(codes=tables["codes"][:-4]),  # the arrays disagree on their lengths
        changed(codes=tables["codes"] + b"\0"),  # a partial item
        changed(rows=tables["rows"][:4] + tables["rows"][8:12] + tables["rows"][4:8] + tables["rows"][12:]),  # rows out of order
        changed(symbols=tables["symbols"] + [1]),
        changed(rules=rules(lambda r: r.__setitem__(0, ["x", 1, "x", False, [[5, False, 0]], 0]))),  # a child past the rule's size
        changed(rules=rules(lambda r: r.__setitem__(0, ["x", -1, "x", False, None, 0]))),
        changed(rules=rules(lambda r: r.__setitem__(0, ["x", 1, "x", 0, None, 0]))),
        changed(rules=rules(lambda r: r.__setitem__(0, ["x", 1, "x", False, None, 10**9]))),  # a billion Nones
        changed(rules=rules(lambda r: r.__setitem__(0, ["x", 1, "x"]))),
        changed(rules="[" * 100_000),
        changed(rules=json.loads(tables["rules"])),  # not the JSON text
        changed(terminals=[("X", "code", "x", [], None, 0)] + tables["terminals"]),
        changed(terminals=tables["terminals"] + [("X", "re", b"x", [], None, 0)]),
        changed(ignore=[1]),
        changed(regex_flags=128),  # re.DEBUG: every pattern compiled would print itself
        changed(regex_flags=2),
    ]
    for value in bad:
        assert lalr.sound(value) is None, value


def test_rows_that_lead_out_of_the_tables_give_none(tables):
    from array import array

    from hcl2.postlexer import PostLexer

    count = len(tables["rows"]) // 4 - 1
    items = len(tables["codes"]) // 4
    broken = [
        dict(tables, codes=array("i", [count] * items).tobytes()),  # every shift to no state
        dict(tables, codes=array("i", [-10**6] * items).tobytes()),  # every reduction by no rule
        dict(tables, ids=array("H", [0xFFFF] * items).tobytes()),  # every symbol past the list
    ]
    for value in broken:
        decoded = lalr.sound(value)
        assert decoded is not None  # rows are checked when first used
        assert lalr.Parser(decoded, PostLexer()).parse('a = "b"\n') is None


def test_tables_that_loop_give_none_in_bounded_time(tables):
    import json
    from array import array

    from hcl2.postlexer import PostLexer

    # every token reduces an empty rule whose goto is the same state: the stack would grow for ever
    symbols = [str(t[0]) for t in tables["terminals"]] + ["x"]
    looping = dict(tables, symbols=symbols, ids=array("H", range(len(symbols))).tobytes(),
                   codes=array("i", [-1] * (len(symbols) - 1) + [0]).tobytes(), rows=array("I", [0, len(symbols)]).tobytes(),
                   rules=json.dumps([["x", 0, "x", False, None, 0]]), start=0, end=0)
    decoded = lalr.sound(looping)
    assert decoded is not None
    assert lalr.Parser(decoded, PostLexer()).parse('a = "b"\n') is None

    # the first token shifted, then every token reduces it by a one-symbol rule whose goto is
    # the state it was in: the stack stays as it is and nothing is ever shifted again
    terminals = [str(t[0]) for t in tables["terminals"]]
    symbols = terminals + ["x"]
    ids = list(range(len(symbols))) + list(range(len(terminals)))
    codes = [1] * len(symbols) + [-1] * len(terminals)
    cycling = dict(tables, symbols=symbols, ids=array("H", ids).tobytes(), codes=array("i", codes).tobytes(),
                   rows=array("I", [0, len(symbols), len(ids)]).tobytes(),
                   rules=json.dumps([["x", 1, "x", False, None, 0]]), start=0, end=0)
    decoded = lalr.sound(cycling)
    assert decoded is not None
    assert lalr.Parser(decoded, PostLexer()).parse('a = "b"\n') is None


def test_a_parser_built_unlike_python_hcl2s_is_not_derived(lark_own):
    class Options:
        def __init__(self, **changes):
            for name in ("parser", "lexer", "propagate_positions", "transformer", "tree_class", "lexer_callbacks",
                         "regex", "keep_all_tokens", "postlex", "maybe_placeholders"):
                setattr(self, name, getattr(lark_own.options, name))
            for name, value in changes.items():
                setattr(self, name, value)

    class Built:
        def __init__(self, **changes):
            self.options = Options(**changes)
            self.parser = lark_own.parser
            self.lexer_conf = lark_own.lexer_conf

    assert lalr.derive(Built()) is not None
    for changes in ({"propagate_positions": False}, {"keep_all_tokens": True}, {"transformer": object()},
                    {"lexer": "basic"}, {"regex": True}, {"lexer_callbacks": {"NAME": str}}, {"postlex": None}):
        assert lalr.derive(Built(**changes)) is None, changes
