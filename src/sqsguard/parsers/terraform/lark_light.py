"""lark's lexer and tree classes for a scan, without the rest of lark until something asks.

`import lark` runs lark's package `__init__`, which imports its grammar compiler, its Earley, CYK
and LALR table builders, pickle, tempfile, and the `regex` module: about 25 ms of a one-file
scan, which uses lark's lexer and tree classes only (lalr.py). `light()` registers the package
without running its `__init__` and imports the modules the loop uses (utils, exceptions,
grammar, lexer, tree, common). The package completes itself the first time anything asks it for
a name it does not have yet (a module `__getattr__`, PEP 562): lark's own parser, built when a
text does not parse or the tables are derived, gets all of lark as before.

While those modules are imported, `regex` is hidden, so that lark's utilities use `re` as they do
where `regex` is not installed (it is cfn-lint's dependency, not lark's). lark uses `regex` only
to measure terminals with Unicode categories (`\\p{...}`), so `light(categories=True)` leaves it
alone; python-hcl2's grammar has none.
"""

from __future__ import annotations

import sys

TESTED_LARK = ("1.1.", "1.2.", "1.3.")  # the lark versions sqsguard's parsing was compared against
MODULES = ("lark.utils", "lark.exceptions", "lark.grammar", "lark.lexer", "lark.tree", "lark.common")


def light(categories: bool = False) -> bool:
    """Import lark's lexer and tree modules without the rest of lark; whether lark is usable
    (it may be whole already, or not installed)."""
    import importlib
    import importlib.util

    if "lark" in sys.modules:
        return True
    try:
        spec = importlib.util.find_spec("lark")
    except (ImportError, ValueError):
        return False
    if spec is None or spec.loader is None or not spec.submodule_search_locations:
        return False
    import threading

    package = importlib.util.module_from_spec(spec)
    lock = threading.RLock()  # threads asking at once wait for one completion
    state = {"whole": False, "completing": False}

    def complete(name: str):
        # the rest of lark: its __init__, run in the package's namespace (the modules imported
        # already are used as they are); a name its own __init__ asks for before it has set it
        # is missing, as in any module being imported
        with lock:
            if not state["whole"] and not state["completing"]:
                state["completing"] = True
                try:
                    spec.loader.exec_module(package)
                    _regex_back(hidden)
                    state["whole"] = True
                    package.__dict__.pop("__getattr__", None)
                finally:
                    state["completing"] = False
        return package.__dict__[name] if name in package.__dict__ else _missing(name)

    package.__getattr__ = complete
    sys.modules["lark"] = package
    hidden = not categories and "regex" not in sys.modules
    if hidden:
        sys.modules["regex"] = None  # `import regex` raises ImportError
    failed = False
    try:
        for name in MODULES:
            importlib.import_module(name)
    except Exception:
        failed = True
        for name in ("lark",) + MODULES:
            sys.modules.pop(name, None)
    finally:
        if hidden:
            del sys.modules["regex"]
    if failed:
        return _whole()
    # the names python-hcl2's post-lexer and sqsguard import from the package itself
    package.Token = sys.modules["lark.lexer"].Token
    package.Tree = sys.modules["lark.tree"].Tree
    return True


def _regex_back(hidden: bool) -> None:
    """Once lark is whole, its utilities use `regex` where it is installed, as they would have
    (they were imported while it was hidden)."""
    if not hidden:
        return
    try:
        import regex
    except ImportError:
        return
    utils = sys.modules.get("lark.utils")
    if utils is not None and hasattr(utils, "_has_regex"):
        utils.regex = regex
        utils._has_regex = True


def version() -> str:
    """lark's version without completing the package (read from its `__init__`)."""
    import re

    module = sys.modules.get("lark")
    if module is not None and "__version__" in module.__dict__:
        return str(module.__dict__["__version__"])
    origin = getattr(getattr(module, "__spec__", None), "origin", None)
    try:
        with open(origin, encoding="utf-8") as source:
            found = re.search(r'^__version__(?:\s*:\s*str)?\s*=\s*["\']([^"\']+)["\']', source.read(), re.M)
    except (OSError, TypeError, ValueError):
        return ""
    return found.group(1) if found else ""


def _missing(name: str):
    raise AttributeError("module 'lark' has no attribute %r" % name)


def _whole() -> bool:
    try:
        import lark  # noqa: F401
    except ImportError:
        return False
    return True
