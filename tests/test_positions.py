"""sqsguard's position propagation (parsers/terraform/positions.py) gives every tree the line,
end line and offsets lark's own gives, on every Terraform file of the fixtures and examples."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _spans(tree) -> list:
    out = []
    for node in tree.iter_subtrees():
        meta = node._meta
        out.append((node.data, None if meta is None or meta.empty else (meta.line, meta.end_line, meta.start_pos, meta.end_pos)))
    return out


def test_spans_match_lark_on_every_fixture():
    import hcl2.parser as hp
    from hcl2.postlexer import PostLexer
    from lark import Lark

    from sqsguard.parsers.terraform.lark_tables import hcl_parser
    from sqsguard.parsers.terraform.positions import FastPositions

    ours = hcl_parser()
    assert any(isinstance(c, FastPositions) for c in _callbacks(ours)), "sqsguard's parser should use FastPositions"
    lark_own = Lark.open("hcl2.lark", parser="lalr", rel_to=hp.__file__, propagate_positions=True, postlex=PostLexer())
    assert not any(isinstance(c, FastPositions) for c in _callbacks(lark_own)), "only sqsguard's parser is changed"
    files = sorted(p for base in ("tests/fixtures", "examples") for p in (ROOT / base).rglob("*.tf"))
    compared = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace") + "\n"
        try:
            expected = _spans(lark_own.parse(text))
        except Exception:
            continue  # a broken fixture: both refuse it
        assert _spans(ours.parse(text)) == expected, path
        compared += 1
    assert compared > 80


def _callbacks(parser) -> list:
    return list(parser._callbacks.values()) if hasattr(parser, "_callbacks") else pytest.skip("lark keeps no _callbacks")
