"""Variable values as Terraform converts them to their declared `type` (optional attributes
with their defaults, primitive conversions)."""

from __future__ import annotations

from typing import Any

from .expressions import Evaluator
from ...model import Concat, Conditional, ResourceRef, Unresolved
from .hcl import Block
from .loading import LiteralContext

def _convert(value: Any, declaration: Block) -> Any:
    """A variable's value converted to its declared type, as Terraform does: primitives from
    strings ("true" for a bool), and object attributes declared `optional(type, default)`
    filled in with their default (or null) when the value leaves them out."""
    type_attr = declaration.attributes.get("type")
    if type_attr is None or value is None:
        return value
    try:
        return _conform(value, type_attr.expr, type_attr.seg, 0)
    except RecursionError:
        return value


def _unwrap(node: Any) -> Any:
    from .hcl import subtrees

    while getattr(node, "data", None) == "expr_term" and len(subtrees(node)) == 1:
        node = subtrees(node)[0]
    return node


def _call_parts(node: Any) -> tuple[str, list]:
    from .hcl import name_of, subtrees

    args_node = next((c for c in node.children if getattr(c, "data", None) == "arguments"), None)
    return name_of(node.children[0]), (subtrees(args_node) if args_node is not None else [])


def _conform(value: Any, node: Any, seg: Any, depth: int) -> Any:
    from .hcl import name_of, subtrees

    if value is None or depth > 20 or isinstance(value, (Unresolved, ResourceRef, Concat, Conditional)):
        return value
    node = _unwrap(node)
    kind = getattr(node, "data", None)
    if kind == "identifier":
        return _primitive(value, name_of(node))
    if kind != "function_call":
        return value
    name, args = _call_parts(node)
    if not args:
        return value
    if name in ("list", "set", "map"):
        if isinstance(value, dict):
            return {k: _conform(v, args[0], seg, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [_conform(v, args[0], seg, depth + 1) for v in value]
        return value
    if name == "optional":
        return _conform(value, args[0], seg, depth + 1)
    if name == "object" and isinstance(value, dict):
        schema = _unwrap(args[0])
        if getattr(schema, "data", None) != "object":
            return value
        out = dict(value)
        for elem in subtrees(schema):
            if getattr(elem, "data", None) != "object_elem":
                continue
            key = _unwrap(elem.children[0].children[0])
            key_name = name_of(key) if getattr(key, "data", None) in ("identifier", "string", "keyword") else None
            if key_name is None:
                continue
            attr_type = elem.children[-1]
            if key_name in out:
                out[key_name] = _conform(out[key_name], attr_type, seg, depth + 1)
            else:
                out[key_name] = _optional_default(attr_type, seg)
        return out
    return value


def _optional_default(node: Any, seg: Any) -> Any:
    """The default of `optional(type, default)` (null when it has none, or is not optional)."""
    node = _unwrap(node)
    if getattr(node, "data", None) != "function_call":
        return None
    name, args = _call_parts(node)
    if name != "optional" or len(args) < 2:
        return None
    return _conform(Evaluator(LiteralContext()).evaluate(args[1], seg), args[0], seg, 0)


def _primitive(value: Any, type_name: str) -> Any:
    if type_name == "bool" and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if type_name == "number" and isinstance(value, str):
        try:
            number = float(value)
            return int(number) if number.is_integer() else number
        except ValueError:
            return value
    if type_name == "string" and not isinstance(value, str) and isinstance(value, (bool, int, float)):
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
    return value


def variable_type(declaration: Block | None) -> str | None:
    if declaration is None or "type" not in declaration.attributes:
        return None
    attr = declaration.attributes["type"]
    return attr.seg.text_of(attr.expr)
