"""Where sqsguard keeps what it computes once and reuses: the user cache directory.

`SQSGUARD_CACHE_DIR` when set, else `$XDG_CACHE_HOME/sqsguard` (`~/.cache/sqsguard`) on Linux
and other Unixes, `~/Library/Caches/sqsguard` on macOS, `%LOCALAPPDATA%\\sqsguard\\Cache` on
Windows. Nothing in it is trusted: every entry is plain data, checked when read, and rebuilt
when it cannot be used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def user_cache_dir() -> Path:
    explicit = os.environ.get("SQSGUARD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "sqsguard" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "sqsguard"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sqsguard"


def write_atomically(path: Path, data: bytes) -> bool:
    """Write `data` to `path` so that a reader sees the old file or the whole new one, never a
    part (parallel pre-commit runs write the same entries). False when it cannot be written."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".%s." % path.name)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
    except OSError:
        return False
    return True
