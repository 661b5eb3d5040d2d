"""Path patterns of the configuration (`exclude`, `per_path_ignore`), matched against posix paths
relative to the configuration file's directory.

`*` matches within one path segment, `?` one character, `**` any number of segments
(`**/x.tf`, `legacy/**`). A pattern also matches everything below a directory it matches, so
`legacy` and `legacy/*` cover `legacy/queues/main.tf`. A leading `./` or `/` is ignored.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    text = pattern.strip()
    while text.startswith("./"):
        text = text[2:]
    text = text.lstrip("/").rstrip("/")
    out = []
    i = 0
    while i < len(text):
        if text.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif text.startswith("**", i):
            out.append(".*")
            i += 2
        elif text[i] == "*":
            out.append("[^/]*")
            i += 1
        elif text[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(text[i]))
            i += 1
    return re.compile("".join(out) + "(?:/.*)?")


def matches(pattern: str, path: str) -> bool:
    """Whether `path` (posix, relative) or a directory above it matches `pattern`."""
    while path.startswith("./"):
        path = path[2:]
    return _compile(pattern).fullmatch(path) is not None


def valid(pattern: str) -> bool:
    return bool(pattern.strip()) and not pattern.strip().startswith("..")
