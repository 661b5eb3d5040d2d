"""Reporters: one module per output format, each `render(report, **options) -> str`. Findings in,
text out. A module is imported only when its format is asked for."""

from __future__ import annotations

from importlib import import_module
from typing import Callable

from ..findings import Report

# format name -> module in this package
_MODULES = {
    "text": "text",
    "json": "jsonreport",
    "sarif": "sarif",
    "github": "github",
    "markdown": "markdown",
    "junit": "junit",
    "html": "html",
}
FORMATS = tuple(_MODULES)


def renderer(name: str) -> Callable[..., str]:
    module = _MODULES.get(name)
    if module is None:
        raise ValueError("unknown report format %r (one of %s)" % (name, ", ".join(FORMATS)))
    return import_module("." + module, __name__).render


def render(name: str, report: Report, **kwargs: object) -> str:
    return renderer(name)(report, **kwargs)
