"""sqsguard's dataclasses, made without compiling their methods on every run.

Python's `dataclasses` writes each class's methods (`__init__`, `__repr__`, `__eq__`, a frozen
class's `__setattr__`...) as source text and compiles it when the class is made. For sqsguard
that is 70 classes and some 300 methods: about a quarter of a one-file scan (measured 30-40 ms
of 150 ms on Python 3.11), paid again in every process.

The wheel carries those texts compiled: the build hook imports the package once with
`record_texts`, and `write_module` writes every text it saw, verbatim, into
`sqsguard/_methods.py`, which pip compiles to bytecode like any module. `dataclass` here is
the standard decorator; while it runs, `dataclasses`' own `exec` is given the compiled factory for
a text the table holds, with the globals `dataclasses` asked for. A text the table does not hold
(an editable install, another Python version than the build's, a class changed since) is
compiled as usual, so the result is the same class either way; only where the methods' code
says it comes from differs (`co_filename` and line numbers: tracebacks and `inspect.getsource`
point into `_methods.py`).

Texts depend on field names and options, not on types or defaults, which `dataclasses` passes
in as locals. Nothing is read from the cache directory: the table is part of the installed
package.
"""

# No `from __future__ import annotations` here: `exec` compiles a text with its caller's future
# flags, and a text compiled here must be what dataclasses' own module makes of it.
import builtins
import dataclasses
from contextlib import contextmanager
from types import FunctionType

FACTORY = "__create_fn__"  # the one name every text dataclasses compiles defines (3.10 to 3.13)


def _table() -> dict:
    """The wheel's table, when Python loads it as bytecode; else empty (an editable install, a
    source checkout). Compiling the table's source (0.4 MB, about 70 ms) would cost more than it
    saves, so where its bytecode is missing and cannot be written (a read-only install made with
    `pip install --no-compile`, PYTHONDONTWRITEBYTECODE), methods are compiled as usual."""
    import importlib.util
    import os
    import sys

    try:
        spec = importlib.util.find_spec("sqsguard._methods")
    except (ImportError, ValueError):
        return {}
    if spec is None:
        return {}
    if (spec.origin or "").endswith(".py"):
        cached = spec.cached
        if not cached:
            return {}
        if not os.path.exists(cached):
            folder = os.path.dirname(cached)
            while not os.path.isdir(folder):  # __pycache__ (or a PYTHONPYCACHEPREFIX tree) not made yet
                if os.path.dirname(folder) == folder:
                    return {}
                folder = os.path.dirname(folder)
            if sys.dont_write_bytecode or not os.access(folder, os.W_OK):
                return {}
    try:
        from sqsguard._methods import COMPILED
    except Exception:  # not the build hook's file
        return {}
    if type(COMPILED) is not dict or not all(
            type(text) is str and type(made) is FunctionType and not made.__code__.co_freevars
            and made.__code__.co_name == FACTORY for text, made in COMPILED.items()):
        return {}  # not the build hook's file
    return COMPILED


COMPILED = _table()

served = [0, 0]  # texts served from the table, texts compiled; read by a test


def _compile(source, globals, locals):
    """What `exec` does when dataclasses calls it (globals None: dataclasses' own)."""
    return builtins.exec(source, vars(dataclasses) if globals is None else globals, locals)


@contextmanager
def _shadowing(exec_):
    """`exec_` in place of the builtin where dataclasses looks it up (its module's globals: every
    thread making a dataclass meanwhile sees it, which is harmless, as a text the table holds is
    the same code), removed when the block ends."""
    dataclasses.exec = exec_
    try:
        yield
    finally:
        vars(dataclasses).pop("exec", None)


def _exec(source, globals=None, locals=None):
    made = COMPILED.get(source) if type(source) is str and globals is not None and locals is not None else None
    if made is not None:
        try:
            locals[FACTORY] = FunctionType(made.__code__, globals, FACTORY)
        except Exception:  # globals that are not a dict: dataclasses' own way says why
            pass
        else:
            served[0] += 1
            return None
    served[1] += 1
    return _compile(source, globals, locals)


try:
    from typing import dataclass_transform
except ImportError:  # Python 3.10
    def dataclass_transform(**_):
        return lambda decorator: decorator


@dataclass_transform()  # so that type checkers and editors see dataclasses
def dataclass(cls=None, /, **options):
    """`dataclasses.dataclass`, with the methods' code taken from the wheel's table."""
    def wrap(cls):
        if not COMPILED:
            return dataclasses.dataclass(cls, **options)
        with _shadowing(_exec):
            return dataclasses.dataclass(cls, **options)
    return wrap if cls is None else wrap(cls)


def record_texts(modules, package: str = "sqsguard") -> list[str]:
    """Import `modules` (names) and give every method text dataclasses compiled meanwhile for a
    class of `package` (not of a library those modules import), in order, once each. Modules
    that cannot be imported here are left out; their classes then compile their methods at run
    time."""
    import importlib
    seen: dict[str, None] = {}

    def recording(source, globals=None, locals=None):
        owner = (globals or {}).get("__name__") or ""
        if type(source) is str and source.startswith("def %s(" % FACTORY) and owner.partition(".")[0] == package:
            seen.setdefault(source)
        return _compile(source, globals, locals)

    with _shadowing(recording):
        for name in modules:
            try:
                importlib.import_module(name)
            except ImportError:
                continue
    return list(seen)


def write_module(texts, version: str) -> str:
    """The source of `sqsguard/_methods.py` for `texts`: each text as it is, then its entry."""
    parts = ['"""Written by the build hook (hatch_build.py) from Python %s\'s dataclasses: the method\n'
             'texts of sqsguard\'s dataclasses, compiled with the package. See dataclass_methods.py."""\n\n'
             'COMPILED = {}\n' % version]
    for text in texts:
        compile(text, "<text>", "exec")  # a text that is not a module-level definition is a bug here
        parts.append("\n%s\nCOMPILED[%r] = %s\n" % (text, text, FACTORY))
    parts.append("\ndel %s\n" % FACTORY if texts else "")
    return "".join(parts)


def package_modules(root) -> list[str]:
    """The names of every module under the package folder `root` (a Path to src/sqsguard)."""
    names = []
    for path in sorted(root.rglob("*.py")):
        if path.name in ("_methods.py", "__main__.py"):  # the table itself; the command line, which runs
            continue
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names
