"""The progress line: on a terminal, after about a second, erased at the end; never in CI, in
pipes or with --quiet."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sqsguard.progress import Progress, progress_for

ROOT = Path(__file__).resolve().parents[1]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_before_the_delay_then_a_line_that_is_erased():
    now = [0.0]
    stream = Terminal()
    progress = Progress(stream, delay=1.0, clock=lambda: now[0], width=60)
    progress(1, 10, "infra/a")
    assert stream.getvalue() == ""
    now[0] = 1.5
    progress(2, 10, "infra/" + "b" * 100)
    line = stream.getvalue()
    assert line.startswith("\r\x1b[Ksqsguard: read 2 of 10  infra/b") and len(line) <= 60 + 4
    progress.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_silent_in_pipes_in_ci_and_with_quiet(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert progress_for(False, io.StringIO()) is None  # a pipe or a file
    assert progress_for(True, Terminal()) is None
    assert progress_for(False, Terminal()) is not None
    monkeypatch.setenv("CI", "true")
    assert progress_for(False, Terminal()) is None


@pytest.mark.skipif(not shutil.which("script"), reason="needs script(1) for a real terminal")
def test_a_real_terminal_sees_the_line_and_a_clean_report(tmp_path):
    for n in range(40):
        (tmp_path / ("t%02d.yaml" % n)).write_text("Resources:\n  Q%d:\n    Type: AWS::SQS::Queue\n" % n)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["SQSGUARD_PROGRESS_DELAY"] = "0"
    command = "%s -m sqsguard scan %s --jobs 1 --format json --output %s" % (sys.executable, tmp_path, tmp_path / "r.json")
    done = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, text=True, env=env, timeout=300)
    assert "sqsguard: read 40 of 40" in done.stdout
    quiet = subprocess.run(["script", "-qec", command + " --quiet", "/dev/null"], capture_output=True, text=True, env=env, timeout=300)
    assert "sqsguard: read" not in quiet.stdout
