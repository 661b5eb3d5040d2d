"""Template text and JSON, without evaluating anything: a heredoc body or template file split
into template items (text, `${...}` expressions, `%{...}` directives, each with its line), and a
rendered template that is JSON (a heredoc or templatefile() policy) parsed with its lines."""

from __future__ import annotations

import json
import re
from typing import Any

from ...model import Concat, render
from ..documents import Node, NodeList
from .hcl import parse_expression
from .values import EvalError, JsonDoc, join_text, shift_lines

_TEMPLATE_MARK = re.compile(r"\$\$\{|%%\{|\$\{|%\{")


def template_items(text: str, file: str, path: str, first_line: int) -> list:
    """Split template text (a heredoc body or a template file) into template items."""
    items: list = []
    pos = 0
    buf: list[str] = []
    n = len(text)
    while pos < n:
        m = _TEMPLATE_MARK.search(text, pos)
        if m is None:
            buf.append(text[pos:])
            break
        buf.append(text[pos : m.start()])
        mark_text = m.group(0)
        if mark_text in ("$${", "%%{"):
            buf.append(mark_text[1:])
            pos = m.end()
            continue
        end = _closing_brace(text, m.end())
        if end is None:
            raise EvalError("an unclosed %s in a template" % mark_text)
        inner = text[m.end() : end]
        strip_left = inner.startswith("~")
        strip_right = inner.endswith("~")
        inner = inner[1 if strip_left else 0 : len(inner) - (1 if strip_right else 0)]
        if buf:
            items.append(("text", "".join(buf)))
            buf = []
        if strip_left and items and items[-1][0] == "text":
            items[-1] = ("text", items[-1][1].rstrip())
        line = first_line + text.count("\n", 0, m.end())
        if mark_text == "${":
            expr, seg = parse_expression(inner, file, path, line)
            items.append(("expr", expr, seg))
        else:
            items.append(_directive_text(inner.strip(), file, path, line))
        pos = end + 1
        if strip_right:
            while pos < n and text[pos] in " \t\r\n":
                pos += 1
    if buf:
        items.append(("text", "".join(buf)))
    return items


def _directive_text(inner: str, file: str, path: str, line: int) -> tuple:
    words = inner.split(None, 1)
    keyword = words[0] if words else ""
    if keyword == "if" and len(words) == 2:
        expr, seg = parse_expression(words[1], file, path, line)
        return ("if", expr, seg)
    if keyword in ("else", "endif", "endfor") and len(words) == 1:
        return (keyword,)
    if keyword == "for" and len(words) == 2:
        m = re.match(r"([A-Za-z_]\w*)\s*(?:,\s*([A-Za-z_]\w*))?\s+in\s+(.*)$", words[1], re.S)
        if m:
            names = (m.group(1), m.group(2)) if m.group(2) else (m.group(1),)
            expr, seg = parse_expression(m.group(3), file, path, line)
            return ("for", names, expr, seg)
    raise EvalError("template directive %%{%s} is not understood" % inner[:40])


def _closing_brace(text: str, pos: int) -> int | None:
    depth = 1
    in_string = False
    n = len(text)
    while pos < n:
        c = text[pos]
        if in_string:
            if c == "\\":
                pos += 2
                continue
            if c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return pos
        pos += 1
    return None


# --- JSON inside strings ----------------------------------------------------------------------


def json_document(value: Any, first_line: int, file: str) -> JsonDoc | None:
    """A template result that is JSON (a heredoc policy), parsed with its lines in the file.
    Unknown parts inside JSON strings stay unknown (`"arn:aws:iam::${var.id}:root"`)."""
    if isinstance(value, JsonDoc):
        return value
    if isinstance(value, str):
        text, pieces = str(value), []
    elif isinstance(value, Concat):
        pieces = []
        chunks = []
        for part in value.parts:
            if isinstance(part, str):
                chunks.append(part)
            else:
                chunks.append("@@SQSG%d@@" % len(pieces))
                pieces.append(part)
        text = "".join(chunks)
    else:
        return None
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return None
    from ..documents import ParseError, load_json

    try:
        parsed = load_json(text)
    except ParseError:
        return None
    except Exception:
        return None
    shift_lines(parsed, first_line - 1, file)
    if pieces:
        parsed = _restore(parsed, pieces)
        return JsonDoc(parsed, render(value))
    return JsonDoc(parsed, str(value))


_PIECE = re.compile(r"@@SQSG(\d+)@@")


def _restore(value: Any, pieces: list) -> Any:
    if isinstance(value, str):
        if "@@SQSG" not in value:
            return value
        parts: list = []
        pos = 0
        for m in _PIECE.finditer(value):
            parts.append(value[pos : m.start()])
            parts.append(pieces[int(m.group(1))])
            pos = m.end()
        parts.append(value[pos:])
        return join_text(parts)
    if isinstance(value, Node):
        out = Node()
        for attr in ("line", "end_line", "file"):
            if hasattr(value, attr):
                setattr(out, attr, getattr(value, attr))
        out.key_lines = {}
        lines = getattr(value, "key_lines", None) or {}
        for k, v in value.items():
            key = render(_restore(k, pieces)) if isinstance(k, str) else k
            out[key] = _restore(v, pieces)
            if k in lines:
                out.key_lines[key] = lines[k]
        return out
    if isinstance(value, NodeList):
        seq = NodeList(_restore(v, pieces) for v in value)
        for attr in ("line", "end_line", "file"):
            if hasattr(value, attr):
                setattr(seq, attr, getattr(value, attr))
        return seq
    return value


def parse_json_value(text: str) -> Any:
    """jsondecode: plain data, or EvalError."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise EvalError("invalid JSON: %s" % exc) from None
