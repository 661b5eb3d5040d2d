"""The lexer's regular expressions, kept compiled: the codes Python's `re` compiles them to.

lark's contextual lexer matches, in each parser state, with one alternation of the terminals the
state accepts; sqsguard's loop (lalr.py) uses the same. Compiling those alternations is Python
code (`re`'s parser and code generator): about 12 ms of a one-file scan, in every process, for
the 15 or so terminal sets a few files visit. What `re` hands to its C engine at the end is
plain data (the pattern, flags, a list of integer codes, the group names), so the codes of
every terminal set python-hcl2's grammar has are recorded once (`Recording`, about 60 sets),
kept in the cache directory beside the tables, and given back to the engine (`Kept`).

The codes are particular to the Python that made them: the entry's name carries the
interpreter's version and the engine's magic number. Each recorded code was compared with
`re.compile`'s own when it was recorded. The engine checks codes only partly: some invalid ones
are refused (then the pattern is compiled as usual), others crash the interpreter. So, unlike
the other cache entries, this one is used only when it carries this machine's signature
(machine_key.py, a secret kept outside the cache directory): a cache restored in CI or copied
from elsewhere is recorded again, once, and without a key the patterns are compiled as usual.
"""

from __future__ import annotations

import re
import sys

FORMAT = 3


def _engine():
    import _sre

    return _sre


def tag() -> str | None:
    """What the codes depend on besides the patterns (this interpreter and its engine), or None
    where they are not kept (an engine whose codes are not 32-bit, a Python without a cache tag)."""
    from .lalr import _array

    engine = _engine()
    if engine.CODESIZE != 4 or _array("I").itemsize != 4 or not sys.implementation.cache_tag:
        return None
    return "%s.%d-%s" % (sys.implementation.cache_tag, sys.version_info[2], engine.MAGIC)  # a patch release may fix re


def _compiler():
    """re's compiler module (re._compiler since 3.11, sre_compile before)."""
    compiler = getattr(re, "_compiler", None)
    if compiler is None:
        import sre_compile as compiler
    return compiler


class _Compiling:
    """`re`, for lark's lexer: each pattern made once (lark asks for each regular terminal against
    every keyword, in every terminal set) by `_make`."""

    error = re.error

    def __init__(self):
        self.made: dict = {}

    def compile(self, pattern, flags=0):
        made = self.made.get((pattern, flags))
        if made is None:
            made = self.made[pattern, flags] = self._make(pattern, flags)
        return made

    def match(self, pattern, string, flags=0):
        return self.compile(pattern, flags).match(string)

    def _make(self, pattern, flags):
        raise NotImplementedError


class Recording(_Compiling):
    """While the codes are recorded: compiles as `re` does and keeps, for each pattern and flags,
    what the compiler gave the engine (when it gives the same pattern)."""

    def __init__(self):
        super().__init__()
        self.kept: dict = {}

    def _make(self, pattern, flags):
        compiler = _compiler()
        engine = compiler._sre
        kept = self.kept

        class Listening:
            def __getattr__(self, name):
                return getattr(engine, name)

            def compile(self, *args):
                made = engine.compile(*args)
                if args[0] == pattern:  # not another thread's pattern
                    kept[pattern, flags] = args[1:]
                return made

        compiler._sre = Listening()
        try:
            made = compiler.compile(pattern, flags)  # not re.compile: its cache would skip the engine
        finally:
            compiler._sre = engine
        args = kept.get((pattern, flags))
        if args is not None and _made(pattern, args) != made:
            del kept[pattern, flags]
        return made


class Kept(_Compiling):
    """At run time: a pattern whose codes are kept is given to the engine as they are; any other,
    or one the engine refuses, is compiled by `re`. `widths`: each regular terminal's shortest and
    longest match, which lark works out with `re`'s parser to order the terminals."""

    def __init__(self, kept: dict, widths: dict | None = None):
        super().__init__()
        self.kept = kept
        self.widths = widths or {}
        self.served = self.refused = self.compiled = 0  # read by tests and by lark_tables

    def _make(self, pattern, flags):
        args = self.kept.get((pattern, flags))
        if args is not None:
            try:
                made = _made(pattern, args)
            except Exception:  # RuntimeError: invalid SRE code
                self.refused += 1
            else:
                self.served += 1
                return made
        self.compiled += 1
        return re.compile(pattern, flags)


def _made(pattern: str, args: tuple):
    flags, code, groups, groupindex, indexgroup = args
    return _engine().compile(pattern, flags, list(code), groups, dict(groupindex), tuple(indexgroup))


def encode(kept: dict, widths: dict) -> list | None:
    """Plain values for marshal, few of them (the entry's every object is checked before it is
    loaded): a JSON index (for each pattern: the flags asked, the engine's flags, where its codes
    are, its groups, group numbers and names by number; each terminal's widths), the codes,
    little-endian 32-bit, one after the other, and this machine's signature over both (the engine
    trusts codes it is given: some invalid ones crash it, so only codes this machine recorded are
    used). None where there is no key to sign with."""
    import json

    from ...machine_key import sign
    from .lalr import _array, _bytes

    codes = _array("I")
    index = []
    for (pattern, asked), (flags, code, groups, groupindex, indexgroup) in sorted(kept.items()):
        start = len(codes)
        codes.extend(int(c) for c in code)
        index.append([pattern, asked, flags, start, len(codes), groups, dict(groupindex), list(indexgroup)])
    text = json.dumps({"patterns": index, "widths": sorted(widths.items())})
    blob = _bytes(codes)
    signature = sign(_signed(text, blob))
    return None if signature is None else [FORMAT, text, blob, signature]


def _signed(text: str, blob: bytes) -> bytes:
    """What the signature covers: the format, the index and the codes, unambiguously."""
    encoded = text.encode("utf-8")
    return b"%d\0%d\0" % (FORMAT, len(encoded)) + encoded + blob


def decode(value) -> tuple[dict, dict] | None:
    """(kept, widths) as `encode` had them, from an entry read back from the cache, when it has
    that shape and this machine's signature; else None."""
    import json

    from ...machine_key import signed_by_this_machine
    from .lalr import _values

    try:
        version, index, blob, signature = value
        if version != FORMAT or type(index) is not str or type(blob) is not bytes:
            return None
        if not signed_by_this_machine(_signed(index, blob), signature):
            return None  # recorded elsewhere (a restored or copied cache), or altered
        codes = _values("I", blob)
        loaded = json.loads(index)
        kept = {}
        for pattern, asked, flags, start, end, groups, groupindex, indexgroup in loaded["patterns"]:
            if not (type(pattern) is str and type(asked) is int and type(flags) is int and type(start) is int
                    and type(end) is int and 0 <= start <= end <= len(codes)
                    and type(groups) is int and 0 <= groups < 10000 and type(groupindex) is dict
                    and all(type(i) is int for i in groupindex.values()) and type(indexgroup) is list
                    and all(n is None or type(n) is str for n in indexgroup)):
                return None
            kept[pattern, asked] = (flags, codes[start:end], groups, groupindex, indexgroup)
        widths = {}
        for regexp, (low, high) in loaded["widths"]:
            if not (type(regexp) is str and type(low) is int and type(high) is int and 0 <= low <= high):
                return None
            widths[regexp] = (low, high)
    except (TypeError, ValueError, KeyError, RecursionError):
        return None
    return kept, widths
