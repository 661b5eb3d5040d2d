"""Values of Terraform expressions as sqsguard evaluates them.

Known values are plain Python data (str, int, float, bool, list, dict; None for null). What
static reading cannot know is one of the model's value types: `Unresolved` (a variable without
a value, a data source, a function we do not evaluate), `ResourceRef` (an attribute of a
resource, known only after apply), `Concat` (text with such values inside), `Conditional`
(`a ? b : c` whose condition is not known). Two internal helpers live here as well:

- `JsonDoc`: the result of `jsonencode(...)`, a heredoc or file holding JSON. It *is* the JSON
  text (a `str`), so it behaves as Terraform's string does, and it keeps the structured value
  (`.value`, dicts and lists that remember their lines) for policies.
- `EvalError`: what Terraform would report as an error (a missing map key, `coalesce` of only
  nulls). `try()` and `can()` catch it; elsewhere it becomes an Unresolved value.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from ...model import Concat, Conditional, ResourceRef, Unresolved, concat, render
from ..documents import Node, NodeList

OPAQUE = (Unresolved, ResourceRef, Concat)
MAX_LIFT = 6  # Conditional arguments lifted out of one function call, at most


class EvalError(Exception):
    """An expression Terraform itself would reject or fail on."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class MissingFile(EvalError):
    """file() or templatefile() of a file that does not exist: an error of the code, reported
    once with its place, unless try() or can() expects it."""


class JsonDoc(str):
    """JSON text that remembers the structured value it was made from (or parsed into)."""

    value: Any

    def __new__(cls, value: Any, text: str | None = None) -> "JsonDoc":
        doc = super().__new__(cls, text if text is not None else json_text(value))
        doc.value = value
        return doc


def json_text(value: Any) -> str:
    """Terraform's jsonencode: compact, object keys sorted. Unknown parts render as `${expr}`."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"))


def _plain(value: Any) -> Any:
    if isinstance(value, JsonDoc):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (Unresolved, ResourceRef, Concat, Conditional)):
        return render(value)
    return value


class KnownPositive(Unresolved):
    """The length of a value that is certainly non-empty: unknown, but at least 1."""


def is_opaque(value: Any) -> bool:
    return isinstance(value, OPAQUE)


def is_known(value: Any) -> bool:
    """True when the value holds nothing unknown, at any depth."""
    if isinstance(value, (Unresolved, ResourceRef, Concat, Conditional)):
        return False
    if isinstance(value, dict):
        return all(is_known(v) for v in value.values())
    if isinstance(value, list):
        return all(is_known(v) for v in value)
    return True


def first_unknown(value: Any) -> Any:
    """The first unknown part of a value (for messages), or None."""
    if isinstance(value, (Unresolved, ResourceRef, Concat, Conditional)):
        return value
    if isinstance(value, dict):
        for v in value.values():
            found = first_unknown(v)
            if found is not None:
                return found
    if isinstance(value, list):
        for v in value:
            found = first_unknown(v)
            if found is not None:
                return found
    return None


def lift(value: Any, apply: Callable[[Any], Any], depth: int = 0) -> Any:
    """Apply a function to a value that may be a Conditional: to each branch, keeping the
    condition, so `f(c ? a : b)` is `c ? f(a) : f(b)`."""
    if isinstance(value, Conditional) and depth < MAX_LIFT:
        return Conditional(
            value.condition,
            lift(value.if_true, apply, depth + 1),
            lift(value.if_false, apply, depth + 1),
        )
    return apply(value)


def lift_all(values: list, apply: Callable[[list], Any], depth: int = 0) -> Any:
    """Like `lift`, over several arguments: the first Conditional among them is lifted out."""
    if depth < MAX_LIFT:
        for i, value in enumerate(values):
            if isinstance(value, Conditional):
                return Conditional(
                    value.condition,
                    lift_all(values[:i] + [value.if_true] + values[i + 1 :], apply, depth + 1),
                    lift_all(values[:i] + [value.if_false] + values[i + 1 :], apply, depth + 1),
                )
    return apply(values)


def to_text(value: Any) -> Any:
    """A value as a template part: known scalars as Terraform prints them, unknowns kept."""
    if value is None:
        raise EvalError("cannot interpolate a null value")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (Unresolved, ResourceRef, Concat, Conditional)):
        return value
    raise EvalError("cannot interpolate a %s" % type_name(value))


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def join_text(parts: list) -> Any:
    """Concatenate template parts into a str, or a Concat/Conditional when some are unknown."""
    return concat(list(parts))


def freeze(value: Any) -> Any:
    """A hashable fingerprint of a value (to group equal values)."""
    if isinstance(value, JsonDoc):
        return ("json", freeze(value.value))
    if isinstance(value, dict):
        return ("dict", tuple((str(k), freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(freeze(v) for v in value))
    if isinstance(value, Conditional):
        return ("if", value.condition, freeze(value.if_true), freeze(value.if_false))
    if isinstance(value, Concat):
        return ("concat", tuple(freeze(p) for p in value.parts))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return (type(value).__name__, value)


def mark(node: Any, line: int, end_line: int, file: str | None = None) -> Any:
    """Give a Node/NodeList a position (dicts and lists are wrapped)."""
    if isinstance(node, dict) and not isinstance(node, Node):
        node = Node(node)
    elif isinstance(node, list) and not isinstance(node, NodeList):
        node = NodeList(node)
    if isinstance(node, (Node, NodeList)):
        node.line, node.end_line = line, end_line
        if isinstance(node, Node) and not hasattr(node, "key_lines"):
            node.key_lines = {}
        if file is not None:
            node.file = file  # type: ignore[attr-defined]
    return node


def remark(value: Any, line: int, end_line: int, file: str | None = None) -> Any:
    """A copy of a JSON-shaped value where every mapping and list sits at one position (for a
    policy read from a string, whose own lines are not lines of the .tf file)."""
    if isinstance(value, JsonDoc):
        value = value.value
    if isinstance(value, dict):
        out = Node((k, remark(v, line, end_line, file)) for k, v in value.items())
        out.line, out.end_line = line, end_line
        out.key_lines = {k: (line, end_line) for k in out}
        if file is not None:
            out.file = file  # type: ignore[attr-defined]
        return out
    if isinstance(value, list):
        seq = NodeList(remark(v, line, end_line, file) for v in value)
        seq.line, seq.end_line = line, end_line
        return seq
    if isinstance(value, Conditional):
        return Conditional(
            value.condition,
            remark(value.if_true, line, end_line, file),
            remark(value.if_false, line, end_line, file),
        )
    return value


def shift_lines(value: Any, offset: int, file: str | None = None) -> Any:
    """Move the positions of a parsed JSON value by `offset` lines (in place)."""
    if isinstance(value, Node):
        value.line += offset
        value.end_line += offset
        value.key_lines = {
            k: (a + offset, b + offset) for k, (a, b) in (getattr(value, "key_lines", None) or {}).items()
        }
        if file is not None:
            value.file = file  # type: ignore[attr-defined]
        for v in value.values():
            shift_lines(v, offset, file)
    elif isinstance(value, NodeList):
        value.line += offset
        value.end_line += offset
        for v in value:
            shift_lines(v, offset, file)
    return value


def strip_json(value: Any) -> Any:
    """Replace JsonDoc strings by their structured values, at any depth (model boundary)."""
    if isinstance(value, JsonDoc):
        return strip_json(value.value)
    if isinstance(value, Node):
        out = Node((k, strip_json(v)) for k, v in value.items())
        for attr in ("line", "end_line", "key_lines", "file"):
            if hasattr(value, attr):
                setattr(out, attr, getattr(value, attr))
        return out
    if isinstance(value, dict):
        return {k: strip_json(v) for k, v in value.items()}
    if isinstance(value, NodeList):
        seq = NodeList(strip_json(v) for v in value)
        for attr in ("line", "end_line", "file"):
            if hasattr(value, attr):
                setattr(seq, attr, getattr(value, attr))
        return seq
    if isinstance(value, list):
        return [strip_json(v) for v in value]
    if isinstance(value, Conditional):
        return Conditional(value.condition, strip_json(value.if_true), strip_json(value.if_false))
    return value
