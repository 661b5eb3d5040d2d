"""python-hcl2's LALR parser, built once per machine even where its package is read-only.

python-hcl2 caches lark's parse tables in `.lark_cache.bin` beside its own code. Where that
directory cannot be written (pipx, system and container installs) lark rebuilds the tables on
every run, silently: about 1.5 s on every scan. Then sqsguard keeps the tables in its cache
directory instead, as marshal of plain values (dicts, lists, tuples, strings, numbers). An
entry is loaded only after `marshal_check` has walked its bytes and found nothing else, and
no length beyond its size (marshal trusts lengths: a few bytes can cost it minutes); an entry
that is not exactly that, or does not parse, is ignored and rewritten. python-hcl2's own file, when it is there, is used as python-hcl2 uses it.
"""

from __future__ import annotations

import hashlib
import marshal
from pathlib import Path
from typing import Any

from .marshal_check import plain_marshal

MAX_ENTRY = 16 * 1024 * 1024  # the tables are about 0.8 MB


def hcl_parser() -> Any:
    """python-hcl2's parser, with sqsguard's faster position propagation (positions.py)."""
    from .positions import lark_positions

    with lark_positions():
        return _built()


def _built() -> Any:
    import hcl2.parser as hp

    if hp.PARSER_FILE.is_file():
        return hp.parser()
    path = _entry()
    loaded = _load(path) if path is not None else None
    if loaded is not None:
        return loaded
    built = hp.parser()  # builds the tables; python-hcl2 writes them beside itself when it can
    if path is not None and not hp.PARSER_FILE.is_file():
        _save(built, path)
    return built


def _entry() -> Path | None:
    """The cache entry for this python-hcl2, lark and grammar."""
    try:
        import hcl2
        import hcl2.parser as hp
        import lark

        from ...cache_paths import user_cache_dir

        grammar = (Path(hp.__file__).parent / "hcl2.lark").read_bytes()
    except (OSError, ImportError):
        return None
    key = hashlib.sha256(b"\0".join((grammar, str(getattr(hcl2, "__version__", "")).encode(), lark.__version__.encode()))).hexdigest()[:20]
    return user_cache_dir() / ("hcl2-tables-%s.marshal" % key)


def _load(path: Path) -> Any:
    try:
        from ...inputs import read_regular

        blob = read_regular(str(path), MAX_ENTRY)
    except OSError:
        return None
    if len(blob) > MAX_ENTRY or not plain_marshal(blob):
        return None
    try:
        value = marshal.loads(blob)
    except (ValueError, EOFError, TypeError):
        return None
    if not (type(value) is tuple and len(value) == 2 and all(type(part) is dict for part in value)):
        return None
    try:
        from hcl2.postlexer import PostLexer
        from lark import Lark

        parser = Lark._load_from_dict(value[0], value[1], postlex=PostLexer())
        parser.parse('a = "b"\n')  # tables that load but cannot parse are no tables
    except Exception:  # a hostile or stale entry: a miss, never a crash
        return None
    return parser


def _save(parser: Any, path: Path) -> None:
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    from ...cache_paths import write_atomically

    try:
        data, memo = parser.memo_serialize([TerminalDef, Rule])
        data = dict(data, options=dict(data["options"], postlex=None))  # the post-lexer is code: given at load
        blob = marshal.dumps((data, memo))
    except (ValueError, KeyError, TypeError):
        return
    write_atomically(path, blob)
