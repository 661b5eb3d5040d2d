"""Where sqsguard keeps what it computes once and reuses: the user cache directory.

`--cache-dir` / the configuration's `cache_dir` when given, else `SQSGUARD_CACHE_DIR` when set,
else `$XDG_CACHE_HOME/sqsguard` (`~/.cache/sqsguard`) on Linux and other Unixes,
`~/Library/Caches/sqsguard` on macOS, `%LOCALAPPDATA%\\sqsguard\\Cache` on Windows. Nothing in it
can run code: every entry is plain data, checked when read, and rebuilt when it cannot be used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


chosen: str | None = None  # --cache-dir or the configuration's cache_dir, for this run (set by the CLI)


def choose(directory: str | None) -> None:
    """The cache directory for this process (the CLI's choice; a worker process is given it)."""
    global chosen
    chosen = directory


def user_cache_dir() -> Path:
    if chosen:
        return Path(chosen)
    explicit = os.environ.get("SQSGUARD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return platform_dir("cache")


# kind -> (Windows: variable, default under home, folder), (macOS: folder under home), (XDG: variable, default under home)
_PLATFORM_DIRS = {
    "cache": (("LOCALAPPDATA", ("AppData", "Local"), ("sqsguard", "Cache")), ("Library", "Caches", "sqsguard"),
              ("XDG_CACHE_HOME", (".cache",))),
    "config": (("APPDATA", ("AppData", "Roaming"), ("sqsguard",)), ("Library", "Application Support", "sqsguard"),
               ("XDG_CONFIG_HOME", (".config",))),
}


def platform_dir(kind: str) -> Path:
    """sqsguard's folder in the user's `kind` ("cache" or "config") directory on this platform."""
    (win_var, win_default, win_folder), mac, (xdg_var, xdg_default) = _PLATFORM_DIRS[kind]
    if sys.platform == "win32":
        return Path(os.environ.get(win_var) or Path.home().joinpath(*win_default)).joinpath(*win_folder)
    if sys.platform == "darwin":
        return Path.home().joinpath(*mac)
    return Path(os.environ.get(xdg_var) or Path.home().joinpath(*xdg_default)) / "sqsguard"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, data: bytes) -> bool:
    """Write `data` to `path` so that a reader sees the old file or the whole new one, never a
    part (two runs at once write the same entries). Readable by others as the user's umask
    allows, like any file the user writes. False when it cannot be written."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".%s." % path.name)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private (0600)
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
