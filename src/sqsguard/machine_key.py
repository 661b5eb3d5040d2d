"""A secret of this user on this machine, kept outside the cache directory, to sign the cache
entries that must come from this machine.

Most cache entries are plain data that is checked when read: a hostile one is a miss, or at
worst a wrong reading (see the README, "Result cache"). The lexer's compiled patterns
(parsers/terraform/patterns.py) are different: the regular-expression engine trusts the codes
it is given, and some invalid codes crash the interpreter. So that entry carries a keyed BLAKE2
digest made with this key, and a restored or copied cache (a CI cache, another user's) fails the
check and is recorded again.

The key is 32 random bytes in `SQSGUARD_KEY_FILE` when set, else in the user configuration
directory (`$XDG_CONFIG_HOME/sqsguard/machine-key`, `~/.config/...` on Linux; `~/Library/
Application Support/sqsguard` on macOS; `%APPDATA%\\sqsguard` on Windows), made on first use,
readable by the user only. Never restore or share it with the cache. Where it cannot be read or
made, nothing is signed and the signed entries are not used.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

SIZE = 32


def key_file() -> Path:
    explicit = os.environ.get("SQSGUARD_KEY_FILE")
    if explicit:
        return Path(explicit)
    from .cache_paths import platform_dir

    return platform_dir("config") / "machine-key"


@functools.lru_cache(maxsize=None)
def machine_key() -> bytes | None:
    """The key, made when there is none; None where it cannot be read or made."""
    try:
        path = key_file()
    except (RuntimeError, OSError):  # no home directory
        return None
    key = _read(path)
    if key is not None:
        return key
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:  # made by another run just now
        return _read(path)
    except OSError:
        return None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(os.urandom(SIZE))
    except OSError:
        return None
    return _read(path)


def _read(path: Path) -> bytes | None:
    import stat

    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_size != SIZE:
            return None
        data = os.read(handle, SIZE + 1)
    except OSError:
        return None
    finally:
        os.close(handle)
    return data if len(data) == SIZE else None


def sign(data: bytes) -> bytes | None:
    """The keyed digest of `data`, or None without a key."""
    key = machine_key()
    if key is None:
        return None
    from .inputs import blake2b  # the C module (hashlib would load OpenSSL)

    return blake2b(data, key=key, digest_size=32).digest()


def signed_by_this_machine(data: bytes, digest) -> bool:
    expected = sign(data)
    return expected is not None and type(digest) is bytes and expected == digest  # (no one times a local read)
