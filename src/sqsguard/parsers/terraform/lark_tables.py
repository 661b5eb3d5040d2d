"""python-hcl2's LALR parser, built once per machine even where its package is read-only.

python-hcl2 caches lark's parse tables in `.lark_cache.bin` beside its own code. Where that
directory cannot be written (pipx, system and container installs) lark rebuilds the tables on
every run, silently: about 1.5 s on every scan. Then sqsguard keeps the tables in its cache
directory instead, as marshal of plain values (dicts, lists, tuples, strings, numbers). An
entry is loaded only after `marshal_check` has walked its bytes and found nothing else, and
no length beyond its size (marshal trusts lengths: a few bytes can cost it minutes); an entry
that is not exactly that, or does not parse, is ignored and rewritten. python-hcl2's own file, when it is there, is used as python-hcl2 uses it.

`fast_parser` is what a scan parses with: sqsguard's LALR loop (lalr.py) over plain tables
derived once from that parser and kept beside the others (`hcl2-lalr-*.marshal`, about 0.2 MB,
3 ms to load against about 60 ms for lark's own). lark's parser is then built only when a text
does not parse, to say why.
"""

from __future__ import annotations

import functools
import marshal
from pathlib import Path
from typing import Any

from .marshal_check import plain_marshal

MAX_ENTRY = 16 * 1024 * 1024  # the tables are about 0.8 MB
PROBE = 'a = "b"\n'  # tables that load but cannot parse this are no tables


@functools.lru_cache(maxsize=None)
def hcl_parser() -> Any:
    """python-hcl2's own lark parser: what the tables are derived from, and what parses a text
    the loop cannot (to say why it does not parse)."""
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


def fast_parser() -> Any:
    """sqsguard's LALR loop over python-hcl2's tables (lalr.Parser), or None where this lark is
    not one it was compared against."""
    from ...cache_paths import write_atomically
    from . import lalr, patterns
    from .lark_light import TESTED_LARK, light, version

    if not light(categories=b"\\p{" in _hcl2_bytes("hcl2.lark")) or not version().startswith(TESTED_LARK):
        return None
    PostLexer = getattr(_hcl2_file("postlexer"), "PostLexer", None)
    if PostLexer is None:
        return None
    path = _entry("lalr-%d" % lalr.FORMAT)
    codes = _patterns_entry()
    kept_patterns = patterns.decode(_read_plain(codes)) if codes is not None else None
    compiling = patterns.Kept(*kept_patterns) if kept_patterns else None
    kept_tables = _read_plain(path) if path is not None else None
    made = _parser_of(kept_tables, PostLexer, compiling)
    if made is None and compiling is not None:  # the tables, or the codes, are not sound
        compiling = None
        made = _parser_of(kept_tables, PostLexer)
    if made is None:
        tables = lalr.derive(hcl_parser())
        made = _parser_of(tables, PostLexer)
        if made is not None and path is not None:
            write_atomically(path, marshal.dumps(tables))
    if made is not None and (compiling is None or compiling.refused) and codes is not None and _can_write(codes):
        from ...machine_key import machine_key

        if machine_key() is not None:  # without it the codes could not be used again
            write_atomically(codes, marshal.dumps(patterns.encode(*made.record_patterns())))
    return made


def _can_write(path: Path) -> bool:
    """Whether an entry can be written at `path` (recording the codes costs more than compiling
    what one scan uses: it is done only to keep them)."""
    import os

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path.parent, os.W_OK)


def _patterns_entry() -> Path | None:
    """The entry of the lexer's compiled patterns for these tables and this Python (patterns.py)."""
    from . import lalr, patterns

    tag = patterns.tag()
    return _entry("patterns-%d-%d-%s" % (patterns.FORMAT, lalr.FORMAT, tag)) if tag is not None else None


def forget_fast() -> None:
    """Remove the kept LALR tables and the lexer's codes (they could not parse what lark's
    parser reads)."""
    from . import lalr

    for path in (_entry("lalr-%d" % lalr.FORMAT), _patterns_entry()):
        if path is not None:
            try:
                path.unlink()
            except OSError:
                pass


def _parser_of(tables: Any, postlexer: type, compiling: Any = None) -> Any:
    """A parser of `tables` (read back from the cache, or just derived) that parses a probe
    text, or None: a hostile or stale entry is a miss, never a crash. `compiling`: what
    compiles the lexer's patterns (None: `re`)."""
    from . import lalr

    decoded = lalr.sound(tables) if tables is not None else None
    if decoded is None:
        return None
    try:
        parser = lalr.Parser(decoded, postlexer(), compiling)
    except Exception:
        return None
    return parser if parser.parse(PROBE) is not None else None


def _read_plain(path: Path) -> Any:
    """The plain marshal value kept at `path`, or None (missing, too big, not plain)."""
    try:
        from ...inputs import read_regular

        blob = read_regular(str(path), MAX_ENTRY)
    except OSError:
        return None
    if len(blob) > MAX_ENTRY or not plain_marshal(blob):
        return None
    try:
        return marshal.loads(blob)
    except (ValueError, EOFError, TypeError):
        return None


@functools.lru_cache(maxsize=None)
def hcl2_folder() -> Path | None:
    """Where the `hcl2` package is, found without importing it (its `__init__` imports all of
    python-hcl2's API: about 10 ms a scan that uses only its grammar and post-lexer)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("hcl2")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.submodule_search_locations:
        return None
    return Path(spec.origin).parent


@functools.lru_cache(maxsize=None)
def _hcl2_bytes(name: str) -> bytes:
    """The bytes of python-hcl2's file `name` (b"" when it cannot be read), read once a run."""
    folder = hcl2_folder()
    try:
        return (folder / name).read_bytes() if folder is not None else b""
    except OSError:
        return b""


@functools.lru_cache(maxsize=None)
def _hcl2_file(name: str) -> Any:
    """python-hcl2's module `name` (version, postlexer: each imports nothing of python-hcl2),
    run from its file under a private name, without the package's `__init__`; None when it is
    not there or does not load."""
    import importlib.util

    folder = hcl2_folder()
    if folder is None or not (folder / (name + ".py")).is_file():
        return None
    try:
        spec = importlib.util.spec_from_file_location("sqsguard._hcl2_" + name, folder / (name + ".py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception:  # not python-hcl2's file: the caller falls back to importing the package
        return None
    return module


def hcl2_version() -> str | None:
    """python-hcl2's version, from its version file (None when it has none)."""
    version = getattr(_hcl2_file("version"), "version", None)
    return version if isinstance(version, str) else None


def _entry(kind: str = "tables") -> Path | None:
    """The cache entry of `kind` for this python-hcl2 (its grammar and post-lexer) and lark."""
    from ...cache_paths import user_cache_dir

    key = _key(kind.partition("-")[0])
    return user_cache_dir() / ("hcl2-%s-%s.marshal" % (kind, key)) if key is not None else None


# What each kind of entry is made by, besides python-hcl2's grammar and version and lark's version
_MADE_BY = {"tables": (), "lalr": ("postlexer.py", "lalr.py"), "patterns": ("postlexer.py", "lalr.py", "patterns.py")}


@functools.lru_cache(maxsize=None)
def _key(kind: str) -> str | None:
    """The key of `kind`'s entries (computed once a run: the tables and the codes both ask)."""
    try:
        from .lark_light import version

        grammar = _hcl2_bytes("hcl2.lark")
        if not grammar:
            return None
        own = tuple(_hcl2_bytes(name) if name == "postlexer.py" else Path(__file__).with_name(name).read_bytes()
                    for name in _MADE_BY[kind])
    except (OSError, ImportError):
        return None
    parts = (grammar, str(hcl2_version() or "").encode(), version().encode()) + own
    from ...inputs import blake2b  # not hashlib: it loads OpenSSL (3 ms)

    return blake2b(b"\0".join(parts), digest_size=10).hexdigest()


def _load(path: Path) -> Any:
    value = _read_plain(path)
    if not (type(value) is tuple and len(value) == 2 and all(type(part) is dict for part in value)):
        return None
    try:
        from hcl2.postlexer import PostLexer
        from lark import Lark

        parser = Lark._load_from_dict(value[0], value[1], postlex=PostLexer())
        parser.parse(PROBE)
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
