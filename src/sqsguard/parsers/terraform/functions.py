"""Terraform's built-in functions that static reading can evaluate.

Every function here is pure (no clock, no randomness, no network); `file` and `templatefile`
read files through the module context, which only allows regular files inside the scanned
directories. A function not listed, or given a value that is not known, gives
`Unresolved(call text, reason)`. A Conditional argument is lifted out first
(`f(c ? a : b)` is `c ? f(a) : f(b)`), so every function sees plain values or opaque ones.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, Callable

from ...dataclass_methods import dataclass
from ...model import Concat, ResourceRef, Unresolved, known_non_empty, render
from ..documents import Node, NodeList
from .templates import json_document, parse_json_value, template_items
from .values import (
    EvalError,
    JsonDoc,
    KnownPositive,
    first_unknown,
    freeze,
    is_known,
    join_text,
    lift_all,
    remark,
    to_text,
    type_name,
)

_OPAQUE = (Unresolved, ResourceRef, Concat)


class _Unknown(Exception):
    """An argument is not known: the call's result is Unresolved."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Call:
    """What a function call knows besides its arguments: the evaluator that met it (its module
    context), the call as written, the text it was parsed from, and the call's line."""

    evaluator: Any
    text: str
    seg: Any
    line: int


def call(name: str, args: list, context: Call) -> Any:
    function = FUNCTIONS.get(name)
    if function is None:
        return Unresolved(context.text, "function %s() is not evaluated statically" % name)

    def apply(values: list) -> Any:
        try:
            return function(values, context)
        except _Unknown as exc:
            return Unresolved(context.text, exc.reason)

    return lift_all(list(args), apply)


def _reason(value: Any) -> str:
    unknown = first_unknown(value)
    if isinstance(unknown, Unresolved):
        return unknown.reason
    if isinstance(unknown, ResourceRef):
        return "%s is known only after apply" % unknown.expr
    if unknown is not None:
        return "%s is not known statically" % render(unknown)
    return "an argument is not known statically"


def _known(value: Any) -> Any:
    if not is_known(value):
        raise _Unknown(_reason(value))
    return value


def _str(value: Any, what: str = "string") -> str:
    if isinstance(value, _OPAQUE):
        raise _Unknown(_reason(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return to_text(value)
    if isinstance(value, str):
        return str(value)
    if value is None:
        raise EvalError("a null value where a %s is needed" % what)
    raise EvalError("a %s where a %s is needed" % (type_name(value), what))


def _list(value: Any) -> list:
    if isinstance(value, _OPAQUE):
        raise _Unknown(_reason(value))
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        raise EvalError("an object where a list is needed")
    raise EvalError("a %s where a list is needed" % type_name(value))


def _map(value: Any) -> dict:
    if isinstance(value, _OPAQUE):
        raise _Unknown(_reason(value))
    if isinstance(value, dict):
        return value
    raise EvalError("a %s where a map is needed" % type_name(value))


def _int(value: Any) -> int:
    if isinstance(value, _OPAQUE):
        raise _Unknown(_reason(value))
    if isinstance(value, bool):
        raise EvalError("a bool where a number is needed")
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise EvalError("%r is not a number" % (value,)) from None


def _num(value: Any) -> float | int:
    if isinstance(value, _OPAQUE):
        raise _Unknown(_reason(value))
    if isinstance(value, bool):
        raise EvalError("a bool where a number is needed")
    if isinstance(value, (int, float)):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise EvalError("%r is not a number" % (value,)) from None
    return int(number) if number.is_integer() else number


def _arity(args: list, low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(args) <= high:
        raise EvalError("wrong number of arguments")


# --- null and collections -------------------------------------------------------------------


def _coalesce(args: list, call: Call) -> Any:
    for value in args:
        if value is None or (isinstance(value, str) and value == ""):
            continue
        return value  # an unknown value is assumed set
    raise EvalError("coalesce() got no non-null, non-empty argument")


def _coalescelist(args: list, call: Call) -> Any:
    for value in args:
        if isinstance(value, _OPAQUE):
            return value
        if isinstance(value, list) and value:
            return value
    return NodeList()


def _lookup(args: list, call: Call) -> Any:
    _arity(args, 2, 3)
    mapping = _map(args[0])
    key = _str(args[1], "key")
    if key in mapping:
        return mapping[key]
    if len(args) == 3:
        return args[2]
    raise EvalError("lookup(): no key %r" % key)


def _merge(args: list, call: Call) -> Any:
    out: dict = {}
    for value in args:
        if value is None:
            continue
        out.update(_map(value))
    return out


def _length(args: list, call: Call) -> Any:
    _arity(args, 1)
    value = args[0]
    if known_non_empty(value):
        return KnownPositive(call.text, "the length of %s is known only after apply (but not 0)" % render(value))
    if isinstance(value, _OPAQUE):
        raise _Unknown(_reason(value))
    if isinstance(value, (list, dict, str)):
        return len(value)
    raise EvalError("length() of a %s" % type_name(value))


def _keys(args: list, call: Call) -> Any:
    _arity(args, 1)
    return sorted(_map(args[0]), key=str)


def _values(args: list, call: Call) -> Any:
    _arity(args, 1)
    mapping = _map(args[0])
    return [mapping[k] for k in sorted(mapping, key=str)]


def _concat(args: list, call: Call) -> Any:
    out: list = []
    for value in args:
        out.extend(_list(value))
    return out


def _flatten(args: list, call: Call) -> Any:
    _arity(args, 1)

    def walk(value: Any) -> list:
        out: list = []
        for item in _list(value):
            if isinstance(item, list):
                out.extend(walk(item))
            elif isinstance(item, (Unresolved, Concat)):
                raise _Unknown(_reason(item))
            else:
                out.append(item)
        return out

    return walk(args[0])


def _compact(args: list, call: Call) -> Any:
    _arity(args, 1)
    return [v for v in _list(args[0]) if v is not None and not (isinstance(v, str) and v == "")]


def _distinct(args: list, call: Call) -> Any:
    _arity(args, 1)
    seen = set()
    out = []
    for value in _list(args[0]):
        key = freeze(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _toset(args: list, call: Call) -> Any:
    _arity(args, 1)
    if args[0] is None:
        return None
    items = _distinct([args[0]], call)
    if all(isinstance(v, str) for v in items):
        return sorted(items)  # a set of strings iterates in lexical order
    return items


def _tolist(args: list, call: Call) -> Any:
    _arity(args, 1)
    if args[0] is None:
        return None
    return list(_list(args[0]))


def _tomap(args: list, call: Call) -> Any:
    _arity(args, 1)
    if args[0] is None:
        return None
    return _map(args[0])


def _tostring(args: list, call: Call) -> Any:
    _arity(args, 1)
    value = args[0]
    if value is None or isinstance(value, _OPAQUE):
        return value
    return _str(value)


def _tonumber(args: list, call: Call) -> Any:
    _arity(args, 1)
    if args[0] is None:
        return None
    return _num(args[0])


def _tobool(args: list, call: Call) -> Any:
    _arity(args, 1)
    value = args[0]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if isinstance(value, _OPAQUE):
        raise _Unknown(_reason(value))
    raise EvalError("tobool() of %r" % (value,))


def _contains(args: list, call: Call) -> Any:
    _arity(args, 2)
    items = _known(_list(args[0]))
    value = _known(args[1])
    return any(freeze(v) == freeze(value) for v in items)


def _element(args: list, call: Call) -> Any:
    _arity(args, 2)
    items = _list(args[0])
    if not items:
        raise EvalError("element() of an empty list")
    return items[_int(args[1]) % len(items)]


def _index(args: list, call: Call) -> Any:
    _arity(args, 2)
    items = _known(_list(args[0]))
    value = _known(args[1])
    for i, v in enumerate(items):
        if freeze(v) == freeze(value):
            return i
    raise EvalError("index(): value not in the list")


def _one(args: list, call: Call) -> Any:
    _arity(args, 1)
    if args[0] is None:
        return None
    items = _list(args[0])
    if len(items) > 1:
        raise EvalError("one() of a list with more than one element")
    return items[0] if items else None


def _slice(args: list, call: Call) -> Any:
    _arity(args, 3)
    items = _list(args[0])
    return items[_int(args[1]) : _int(args[2])]


def _reverse(args: list, call: Call) -> Any:
    _arity(args, 1)
    return list(reversed(_list(args[0])))


def _sort(args: list, call: Call) -> Any:
    _arity(args, 1)
    return sorted(_str(v) for v in _list(args[0]))


def _range(args: list, call: Call) -> Any:
    _arity(args, 1, 3)
    numbers = [_num(a) for a in args]
    if len(numbers) == 1:
        start, stop, step = 0, numbers[0], 1
    elif len(numbers) == 2:
        start, stop, step = numbers[0], numbers[1], 1
    else:
        start, stop, step = numbers
    if step == 0 or abs((stop - start) / step) > 10_000:
        raise EvalError("range() too long")
    out = []
    value = start
    while (step > 0 and value < stop) or (step < 0 and value > stop):
        out.append(value)
        value += step
    return out


def _zipmap(args: list, call: Call) -> Any:
    _arity(args, 2)
    names = [_str(k) for k in _list(args[0])]
    values = _list(args[1])
    if len(names) != len(values):
        raise EvalError("zipmap() of lists of different lengths")
    return dict(zip(names, values))


def _setop(kind: str) -> Callable:
    def function(args: list, call: Call) -> Any:
        sets = [_known(_list(a)) for a in args]
        if not sets:
            raise EvalError("no arguments")
        result = list(sets[0])
        for other in sets[1:]:
            keys = {freeze(v) for v in other}
            if kind == "union":
                result += [v for v in other if freeze(v) not in {freeze(r) for r in result}]
            elif kind == "intersection":
                result = [v for v in result if freeze(v) in keys]
            else:
                result = [v for v in result if freeze(v) not in keys]
        return _distinct([result], call)

    return function


def _alltrue(args: list, call: Call) -> Any:
    _arity(args, 1)
    return all(_tobool([v], call) is True for v in _list(args[0]))


def _anytrue(args: list, call: Call) -> Any:
    _arity(args, 1)
    return any(_tobool([v], call) is True for v in _list(args[0]))


def _numeric(op: Callable) -> Callable:
    def function(args: list, call: Call) -> Any:
        return op([_num(a) for a in args])

    return function


def _sum(args: list, call: Call) -> Any:
    _arity(args, 1)
    return sum(_num(v) for v in _list(args[0]))


# --- strings ----------------------------------------------------------------------------------


def _join(args: list, call: Call) -> Any:
    if len(args) < 2:
        raise EvalError("join() needs a separator and lists")
    separator = _str(args[0])
    parts: list = []
    for value in args[1:]:
        for item in _list(value):
            if parts:
                parts.append(separator)
            if isinstance(item, _OPAQUE):
                parts.append(item)  # an ARN assembled with join() keeps its known call.text
            else:
                parts.append(_str(item))
    return join_text(parts)


def _split(args: list, call: Call) -> Any:
    _arity(args, 2)
    return _str(args[1]).split(_str(args[0])) if _str(args[0]) else list(_str(args[1]))


def _string_op(op: Callable, arity: int = 1) -> Callable:
    def function(args: list, call: Call) -> Any:
        _arity(args, arity)
        if args[0] is None:
            raise EvalError("a null value where a string is needed")
        return op(*[_str(a) for a in args])

    return function


def _replace(args: list, call: Call) -> Any:
    _arity(args, 3)
    subject, search, replacement = (_str(a) for a in args)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        try:
            pattern = re.compile(search[1:-1])
        except re.error:
            raise _Unknown("the regular expression is not understood") from None
        return pattern.sub(re.sub(r"\$\{?(\d+)\}?", r"\\\1", replacement), subject)
    return subject.replace(search, replacement)


def _substr(args: list, call: Call) -> Any:
    _arity(args, 3)
    subject = _str(args[0])
    offset, length = _int(args[1]), _int(args[2])
    if offset < 0:
        offset = max(len(subject) + offset, 0)
    return subject[offset:] if length < 0 else subject[offset : offset + length]


def _format(args: list, call: Call) -> Any:
    if not args:
        raise EvalError("format() needs a format string")
    spec = _str(args[0])
    values = list(args[1:])
    parts: list = []
    pos = 0
    arg = 0
    for m in re.finditer(r"%(%|[-+ #0]*\d*(?:\.\d+)?[svdqtfxXobeEgG])", spec):
        parts.append(spec[pos : m.start()])
        pos = m.end()
        verb = m.group(1)
        if verb == "%":
            parts.append("%")
            continue
        if arg >= len(values):
            raise EvalError("format(): not enough arguments")
        value = values[arg]
        arg += 1
        letter = verb[-1]
        if isinstance(value, _OPAQUE):
            if letter in "svd":
                parts.append(value)
                continue
            raise _Unknown(_reason(value))
        if letter in "sv":
            parts.append(_str(value) if not isinstance(value, (list, dict)) else render(value))
        elif letter == "d":
            parts.append(str(_int(value)))
        elif letter == "q":
            import json

            parts.append(json.dumps(_str(value)))
        elif letter == "t":
            parts.append("true" if value is True else "false")
        else:
            try:
                parts.append(("%" + verb) % _num(value))
            except (TypeError, ValueError):
                raise EvalError("format(): bad verb %s" % verb) from None
    parts.append(spec[pos:])
    return join_text(parts)


def _startswith(args: list, call: Call) -> Any:
    _arity(args, 2)
    return _str(args[0]).startswith(_str(args[1]))


def _endswith(args: list, call: Call) -> Any:
    _arity(args, 2)
    return _str(args[0]).endswith(_str(args[1]))


def _strcontains(args: list, call: Call) -> Any:
    _arity(args, 2)
    return _str(args[1]) in _str(args[0])


# --- JSON and files ---------------------------------------------------------------------------


def _jsonencode(args: list, call: Call) -> Any:
    _arity(args, 1)
    value = args[0]
    if isinstance(value, (Unresolved, Concat, ResourceRef)):
        raise _Unknown(_reason(value))
    return JsonDoc(value)


def _jsondecode(args: list, call: Call) -> Any:
    _arity(args, 1)
    value = args[0]
    if isinstance(value, JsonDoc):
        return value.value
    return parse_json_value(_str(value))


def _file(args: list, call: Call) -> Any:
    _arity(args, 1)
    content, _absolute, _display = call.evaluator.ctx.read_file(args[0], call.text)
    return _json_or_text(content, call)


def _templatefile(args: list, call: Call) -> Any:
    _arity(args, 2)
    content, absolute, display = call.evaluator.ctx.read_file(args[0], call.text)
    variables = args[1]
    if isinstance(variables, _OPAQUE):
        raise _Unknown(_reason(variables))
    if not isinstance(variables, dict):
        raise EvalError("templatefile() variables must be a map")
    rendered = call.evaluator.scoped(dict(variables)).render_template(template_items(content, display, absolute, 1))
    document = json_document(rendered, 1, display)
    if document is not None:
        line = _call_line(call)
        return JsonDoc(remark(document.value, line, line, call.seg.file), str(document))
    return rendered


def _json_or_text(content: str, call: Call) -> Any:
    if content.lstrip().startswith(("{", "[")):
        from ..documents import ParseError, load_json

        try:
            parsed = load_json(content)
        except ParseError:
            return content
        line = _call_line(call)
        return JsonDoc(remark(parsed, line, line, call.seg.file), content)
    return content


def _call_line(call: Call) -> int:
    return call.line or call.seg.line_offset + 1


def _basename(args: list, call: Call) -> Any:
    _arity(args, 1)
    return os.path.basename(_str(args[0]).rstrip("/"))


def _dirname(args: list, call: Call) -> Any:
    _arity(args, 1)
    return os.path.dirname(_str(args[0])) or "."


def _identity(args: list, call: Call) -> Any:
    _arity(args, 1)
    return args[0]


FUNCTIONS: dict[str, Callable] = {
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
    "lookup": _lookup,
    "merge": _merge,
    "length": _length,
    "keys": _keys,
    "values": _values,
    "concat": _concat,
    "flatten": _flatten,
    "compact": _compact,
    "distinct": _distinct,
    "toset": _toset,
    "tolist": _tolist,
    "tomap": _tomap,
    "tostring": _tostring,
    "tonumber": _tonumber,
    "tobool": _tobool,
    "contains": _contains,
    "element": _element,
    "index": _index,
    "one": _one,
    "slice": _slice,
    "reverse": _reverse,
    "sort": _sort,
    "range": _range,
    "zipmap": _zipmap,
    "setunion": _setop("union"),
    "setintersection": _setop("intersection"),
    "setsubtract": _setop("subtract"),
    "alltrue": _alltrue,
    "anytrue": _anytrue,
    "min": _numeric(lambda xs: min(xs)),
    "max": _numeric(lambda xs: max(xs)),
    "abs": _numeric(lambda xs: abs(xs[0])),
    "ceil": _numeric(lambda xs: math.ceil(xs[0])),
    "floor": _numeric(lambda xs: math.floor(xs[0])),
    "sum": _sum,
    "join": _join,
    "split": _split,
    "lower": _string_op(str.lower),
    "upper": _string_op(str.upper),
    "title": _string_op(str.title),
    "trimspace": _string_op(str.strip),
    "chomp": _string_op(lambda s: s.rstrip("\r\n")),
    "trimsuffix": _string_op(lambda s, x: s[: -len(x)] if x and s.endswith(x) else s, 2),
    "trimprefix": _string_op(lambda s, x: s[len(x) :] if x and s.startswith(x) else s, 2),
    "trim": _string_op(lambda s, x: s.strip(x), 2),
    "replace": _replace,
    "substr": _substr,
    "format": _format,
    "startswith": _startswith,
    "endswith": _endswith,
    "strcontains": _strcontains,
    "jsonencode": _jsonencode,
    "jsondecode": _jsondecode,
    "file": _file,
    "templatefile": _templatefile,
    "basename": _basename,
    "dirname": _dirname,
    "sensitive": _identity,
    "nonsensitive": _identity,
}

__all__ = ["call", "FUNCTIONS", "Node"]
