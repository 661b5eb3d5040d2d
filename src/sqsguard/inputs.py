"""What a parse reads from disk. Parsers read files, list directories and test paths only
through these functions; inside `recording()` each call is written down with what it found, so
the result cache (`result_cache.py`) can later tell, by asking the same questions again,
whether a stored result still holds for the files on disk now (`unchanged`).

A recorded read is (kind, path, argument, answer):
- ("read", path, limit, digest): the first `limit` + 1 bytes (all, when limit is None), by
  their BLAKE2b digest in hex; None when the file could not be read.
- ("list", path, None, names): a directory's sorted entries; None when it cannot be listed.
- ("kind", path, None, kind): "file", "dir", "other" or None (nothing there), symlinks followed.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

try:  # the C module itself: importing hashlib loads OpenSSL, which a warm scan does not need
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Python implementations
    from hashlib import blake2b

_log: list | None = None


@contextmanager
def recording() -> Iterator[list]:
    """Every read made inside, in order (a fresh list; an enclosing recording sees them too)."""
    global _log
    outer = _log
    _log = mine = []
    try:
        yield mine
    finally:
        _log = outer
        if outer is not None:
            outer.extend(mine)


def _note(kind: str, path: str, argument, answer) -> None:
    if _log is not None:
        _log.append((kind, os.path.abspath(path), argument, answer))


def _digest(data: bytes) -> str:
    return blake2b(data, digest_size=16).hexdigest()


class NotRegularFile(OSError):
    """A path that is a FIFO, a device or a socket: reading it could block for ever or never end."""


def read_regular(path: str, limit: int | None = None) -> bytes:
    """A regular file's bytes (at most `limit` + 1 with a limit), without recording the read.
    A FIFO, a device or a socket raises NotRegularFile: it is opened without blocking and
    checked before a byte is read (a FIFO in a repository or a cache directory must not hang a
    scan, nor a symlink to /dev/zero fill the memory)."""
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:
        info = os.fstat(descriptor)
        mode = info.st_mode
        if not stat.S_ISREG(mode):
            error = NotRegularFile("not a regular file")
            error.strerror = "not a regular file (a %s)" % ("directory" if stat.S_ISDIR(mode) else "FIFO" if stat.S_ISFIFO(mode)
                                                             else "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "socket")
            error.filename = path
            raise error
        # Plain reads, the size fstat gave first (no file object for a file read once); then on
        # until the end, for a file that grows while it is read.
        wanted = None if limit is None else limit + 1
        chunks = []
        got = 0
        ask = info.st_size + 1
        while wanted is None or got < wanted:
            chunk = os.read(descriptor, ask if wanted is None else min(ask, wanted - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            ask = 1 << 16
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(descriptor)


_read = read_regular


def read_bytes(path: str, limit: int | None = None) -> bytes:
    """The file's bytes; with `limit`, at most limit + 1 of them (so the caller can tell a
    file over the limit). Raises OSError as `open` does."""
    try:
        data = _read(path, limit)
    except OSError:
        _note("read", path, limit, None)
        raise
    _note("read", path, limit, _digest(data))
    return data


def not_utf8(data: bytes, exc: UnicodeDecodeError) -> tuple[int, str]:
    """(line, message) for bytes that `decode("utf-8-sig")` refused: where the first bad byte is
    (the codec counts from after a byte order mark)."""
    at = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
    return data.count(b"\n", 0, at) + 1, "not UTF-8 text (byte %d)" % at


def read_text(path: str, encoding: str = "utf-8") -> str:
    """The whole file decoded. Raises OSError, or UnicodeDecodeError."""
    return read_bytes(path).decode(encoding)


def listdir(path: str) -> list[str]:
    """A directory's entries, sorted. Raises OSError as `os.listdir` does."""
    try:
        names = sorted(os.listdir(path))
    except OSError:
        _note("list", path, None, None)
        raise
    _note("list", path, None, tuple(names))
    return names


def _kind(path: str) -> str | None:
    import stat

    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return "file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode) else "other"


def kind(path: str) -> str | None:
    """"file", "dir", "other" (a device, a socket...) or None when nothing is there."""
    found = _kind(path)
    _note("kind", path, None, found)
    return found


def isfile(path: str) -> bool:
    return kind(path) == "file"


def isdir(path: str) -> bool:
    return kind(path) == "dir"


def exists(path: str) -> bool:
    return kind(path) is not None


def unchanged(reads: list, budget: int | None = None) -> bool:
    """True when asking every recorded question again gets the recorded answer (False once the
    files read to tell pass `budget` bytes)."""
    for what, path, argument, answer in reads:
        if what == "read":
            try:  # only a regular file: a hostile entry must not make this read a device
                data = _read(path, argument)
            except OSError:
                data = None
            if budget is not None and data is not None:
                budget -= len(data)
                if budget < 0:
                    return False
            now = _digest(data) if data is not None else None
        elif what == "list":
            try:
                now = tuple(sorted(os.listdir(path)))
            except OSError:
                now = None
        elif what == "kind":
            now = _kind(path)
        else:
            return False
        if now != answer:
            return False
    return True
