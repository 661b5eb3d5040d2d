"""Which directories of a repository call a module directory as a local module, found by a
cheap text search over `.tf` files (no parsing): `source = "./..."` or `"../..."`.

Used when only some files of a child module are scanned (a pre-commit hook passes the changed
files): the module is then evaluated through the root modules that call it, so its inputs have
the callers' values instead of being unknown.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from ...inputs import read_regular

# `source = "./x"`, and `"source": "./x"` in the JSON syntax
from ...discover import TERRAFORM_SUFFIXES

MAX_FILE_BYTES = 5 * 1024 * 1024  # Terraform files are read up to this (the parser's time grows with them)

LOCAL_SOURCE = re.compile(rb'\bsource"?\s*[=:]\s*"(\.\.?(?:/[^"]*)?)"')


@lru_cache(maxsize=8)
def _calls(root: str, skip: frozenset[str]) -> dict[str, frozenset[str]]:
    """callee directory -> the directories that call it, for every `.tf` file under root."""
    calls: dict[str, set[str]] = {}
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in skip]
        for name in files:
            if not name.endswith(TERRAFORM_SUFFIXES):
                continue
            try:
                data = read_regular(os.path.join(directory, name), MAX_FILE_BYTES)
            except OSError:
                continue
            if b'".' not in data or b"source" not in data:  # a local source starts with "./, "../, "." or ".."
                continue
            for match in LOCAL_SOURCE.finditer(data):
                callee = os.path.normpath(os.path.join(directory, match.group(1).decode("utf-8", "replace")))
                if callee != os.path.normpath(directory):
                    calls.setdefault(callee, set()).add(os.path.normpath(directory))
    return {callee: frozenset(callers) for callee, callers in calls.items()}


def module_callers(module_dir: str, root: str, skip: set[str] | frozenset[str]) -> list[str]:
    """Every directory under `root` that calls `module_dir`, directly or through other local
    modules, sorted."""
    calls = _calls(os.path.abspath(root), frozenset(skip))
    found: set[str] = set()
    pending = [os.path.normpath(os.path.abspath(module_dir))]
    while pending:
        for caller in calls.get(pending.pop(), ()):
            if caller not in found:
                found.add(caller)
                pending.append(caller)
    found.discard(os.path.normpath(os.path.abspath(module_dir)))
    return sorted(found)
