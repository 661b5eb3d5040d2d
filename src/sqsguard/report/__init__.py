"""Reporters: one module per output format, each `render(report) -> str`. Findings in, text out."""

from __future__ import annotations

from typing import Callable

from ..findings import Report

FORMATS = ("text", "json")


def renderer(name: str) -> Callable[..., str]:
    if name == "text":
        from .text import render
    elif name == "json":
        from .jsonreport import render
    else:
        raise ValueError("unknown report format %r" % name)
    return render


def render(name: str, report: Report, **kwargs: object) -> str:
    return renderer(name)(report, **kwargs)
