"""A rule's documentation, for `sqsguard explain`: the catalog entry as Markdown, or rendered
for a terminal (headings emphasised, code blocks indented without their fences, inline code
without backticks, prose wrapped to the width)."""

from __future__ import annotations

import re
import textwrap

from .catalog import RuleDoc

_BOLD, _UNDERLINE, _DIM, _RESET = "\033[1m", "\033[4m", "\033[2m", "\033[0m"
_INLINE_CODE = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"\*\*([^*]+)\*\*")


def markdown(entry: RuleDoc, status: str) -> str:
    lines = ["# %s %s (%s)%s" % (entry.id, entry.slug, entry.severity, status), "", entry.title, "", entry.summary, "", entry.body.strip()]
    if entry.references:
        lines += ["", "## References", ""]
        lines += ["- %s: %s" % (title, url) for title, url in entry.references]
    return "\n".join(lines) + "\n"


def terminal(entry: RuleDoc, status: str, width: int = 80, colour: bool = False) -> str:
    """The same document for people at a terminal."""

    def paint(text: str, *codes: str) -> str:
        return "".join(codes) + text + _RESET if colour else text

    width = max(40, min(width, 100))
    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            text = " ".join(paragraph)
            bullet = text.startswith(("- ", "* "))
            text = _STRONG.sub(r"\1", _INLINE_CODE.sub(r"\1", text))
            out.extend(textwrap.wrap(text, width, subsequent_indent="  " if bullet else "", break_long_words=False, break_on_hyphens=False))
            paragraph.clear()

    in_code = False
    for line in markdown(entry, status).splitlines():
        if line.startswith("```"):
            flush()
            in_code = not in_code
            continue
        if in_code:
            out.append(paint("    " + line, _DIM) if line else "")
            continue
        if line.startswith("#"):
            flush()
            level = len(line) - len(line.lstrip("#"))
            title = line.lstrip("#").strip()
            out.append(paint(title.upper() if level == 2 else title, _BOLD, _UNDERLINE if level <= 2 else ""))
            continue
        if not line.strip():
            flush()
            out.append("")
            continue
        if line.lstrip().startswith(("- ", "* ")):
            flush()
        paragraph.append(line.strip())
    flush()
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
