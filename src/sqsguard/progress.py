"""A progress line on stderr for scans that take a while: what has been read of what was found,
and where the scan is. Shown only on a terminal, only after about a second, never in CI
(`CI` set), in pipes or with --quiet; erased when the scan ends, so the report starts clean."""

from __future__ import annotations

import os
import sys
import time
from typing import Callable, TextIO


class Progress:
    def __init__(self, stream: TextIO, delay: float = 1.0, clock: Callable[[], float] = time.monotonic, width: int | None = None):
        self.stream = stream
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.width = width
        self.shown = False

    def __call__(self, done: int, total: int, where: str) -> None:
        if self.clock() - self.started < self.delay:
            return
        width = self.width or _columns()
        text = "sqsguard: read %d of %d  %s" % (done, total, where)
        if len(text) > width - 1:
            text = text[: width - 2] + "…"
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def _columns() -> int:
    import shutil

    return shutil.get_terminal_size().columns


def progress_for(quiet: bool, stream: TextIO | None = None) -> Progress | None:
    """A Progress for this run, or None when it must stay silent."""
    stream = stream or sys.stderr
    if quiet or os.environ.get("CI") or not _is_terminal(stream):
        return None
    try:
        delay = float(os.environ.get("SQSGUARD_PROGRESS_DELAY", "1") or 1)
    except ValueError:  # a test hook: a value that is not a number is the default
        delay = 1.0
    return Progress(stream, delay=delay)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
