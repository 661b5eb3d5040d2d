"""Parse results to plain values and back, for the result cache. Never pickle: a cache entry may
come from CI storage or from another user, and reading one must not be able to run code.

`encode(value)` gives a table of nodes and the root value, all JSON data. Each node is an array
whose first item names what it is; nodes refer to earlier nodes by index, written as a one-item
array `[index]` (lists themselves are nodes, so an array inside a node is always a reference).
Scalars (str, int, float, bool, None) are written as they are. An object of a class is written with its
attributes, and only the classes named in ALLOWED are written or read: `encode` raises
Uncacheable for any other, and `decode` raises BadEntry for any node it cannot trust (an
unknown class, a reference forward, a bad attribute name), so a hostile entry is a miss.
Objects that several others share stay one object; a value that contains itself is
uncacheable. `decode` calls no constructor: objects are made with `__new__` of their builtin
base and their attributes set directly.
"""

from __future__ import annotations

from typing import Any

SCALARS = (str, int, float, bool, type(None))
_SCALAR_TYPES = frozenset(SCALARS)

_MODEL = (
    "Location Unresolved Conditional ResourceRef Concat InstanceChoice Assignment Attr EncryptionChoice "
    "IgnoreEntry Resource Queue Key KeyPolicyAttachment Alias UnreadModule Producer IamRole IamPolicy "
    "PolicyAttachment Function Consumer QueuePolicy Model Format Encryption"
).split()
ALLOWED = frozenset(
    ["sqsguard.model:" + name for name in _MODEL]
    + [
        "sqsguard.findings:ScanError",
        "sqsguard.findings:Skipped",
        "sqsguard.parsers:ParseOutcome",
        "sqsguard.parsers.documents:Node",
        "sqsguard.parsers.documents:NodeList",
        "sqsguard.parsers.conditions:ConditionSpace",
        "sqsguard.parsers.terraform.values:JsonDoc",
    ]
)


class Uncacheable(Exception):
    """The value holds something the cache does not write (a class outside ALLOWED, a cycle)."""


class BadEntry(Exception):
    """A table that is not one `encode` writes."""


def _name(cls: type) -> str:
    return "%s:%s" % (cls.__module__, cls.__qualname__)


def encode(value: Any) -> tuple[list, Any]:
    """(table, root): JSON data."""
    import enum

    table: list = []
    memo: dict[int, list] = {}
    active: set[int] = set()
    keep: list = []  # what is encoded stays alive, so no id is reused during the walk

    def enc(v: Any) -> Any:
        t = type(v)
        if t in _SCALAR_TYPES:
            return v
        ref = memo.get(id(v))
        if ref is not None:
            return ref
        if id(v) in active:
            raise Uncacheable("a value that contains itself")
        active.add(id(v))
        if t is list:
            node: list = ["list", [enc(x) for x in v]]
        elif t is tuple:
            node = ["tuple", [enc(x) for x in v]]
        elif t is dict:
            node = ["dict", [enc(k) for k in v], [enc(x) for x in v.values()]]
        elif t is set or t is frozenset:
            node = [t.__name__, [enc(x) for x in v]]
        else:
            name = _name(t)
            if name not in ALLOWED:
                raise Uncacheable("a %s" % name)
            if isinstance(v, enum.Enum):
                node = ["enum", name, v.value]
            else:
                if isinstance(v, str):
                    base: Any = str.__str__(v)
                elif isinstance(v, dict):
                    base = [[enc(k) for k in v], [enc(x) for x in dict.values(v)]]
                elif isinstance(v, list):
                    base = [enc(x) for x in v]
                else:
                    base = None
                state = getattr(v, "__dict__", {})
                node = ["obj", name, base, list(state), [enc(x) for x in state.values()]]
        active.discard(id(v))
        keep.append(v)
        ref = [len(table)]
        table.append(node)
        memo[id(v)] = ref
        return ref

    root = enc(value)
    return table, root


def refuse_objects(pairs: Any) -> Any:
    """`object_pairs_hook` for json.loads: `encode` writes no JSON object, so any is hostile."""
    raise BadEntry("a JSON object")


def decode(table: Any, root: Any) -> Any:
    """The value `encode` gave (table, root) for; the table as json.loads read it with
    `object_pairs_hook=refuse_objects`, so every value in it is a scalar or an array. A
    reference is `built[index]`: an index past the nodes built so far fails, so nothing refers
    forward and no cycle can be made."""
    if type(table) is not list:
        raise BadEntry("not a table")
    built: list = []
    classes: dict[str, tuple[type, int]] = {}
    checked: set = set()

    def items(x: Any) -> list:
        if type(x) is not list:
            raise BadEntry("items that are not a list")
        return [built[v[0]] if type(v) is list else v for v in x]

    try:
        for node in table:
            if type(node) is not list or not node:
                raise BadEntry("a node that is not an array")
            kind = node[0]
            if kind == "obj" and len(node) == 5:
                made: Any = _object(node, classes, checked, items)
            elif kind == "list" and len(node) == 2:
                made = items(node[1])
            elif kind == "tuple" and len(node) == 2:
                made = tuple(items(node[1]))
            elif kind == "dict" and len(node) == 3:
                keys, values = items(node[1]), items(node[2])
                if len(keys) != len(values):
                    raise BadEntry("a dict with more keys than values")
                made = dict(zip(keys, values))
            elif kind == "set" and len(node) == 2:
                made = set(items(node[1]))
            elif kind == "frozenset" and len(node) == 2:
                made = frozenset(items(node[1]))
            elif kind == "enum" and len(node) == 3:
                made = _member(_class(node[1], classes)[0], node[2])
            else:
                raise BadEntry("a node of unknown kind")
            built.append(made)
        return items([root])[0]
    except BadEntry:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError) as exc:
        raise BadEntry("%s: %s" % (type(exc).__name__, exc)) from None


_PLAIN, _TEXT, _MAPPING, _SEQUENCE = range(4)


def _member(cls: type, value: Any) -> Any:
    """An enum's existing member with this value (looked up, not constructed)."""
    import enum

    if not issubclass(cls, enum.Enum):
        raise BadEntry("not an enumeration")
    found = cls._value2member_map_.get(value) if isinstance(value, (str, int)) else None
    if found is None:
        raise BadEntry("no such member")
    return found


def _class(name: Any, cache: dict[str, tuple[type, int]]) -> tuple[type, int]:
    found = cache.get(name)
    if found is not None:
        return found
    if not isinstance(name, str) or name not in ALLOWED:
        raise BadEntry("class %r is not one the cache writes" % (name,))
    import importlib

    module, _, qualname = name.partition(":")
    cls = getattr(importlib.import_module(module), qualname)
    base = _TEXT if issubclass(cls, str) else _MAPPING if issubclass(cls, dict) else _SEQUENCE if issubclass(cls, list) else _PLAIN
    cache[name] = (cls, base)
    return cache[name]


def _object(node: list, classes: dict, checked: set, items) -> Any:
    _, name, base, names, values = node
    cls, kind = _class(name, classes)
    if cls.__dict__.get("_member_map_") is not None:  # an enum's members are never made anew
        raise BadEntry("an enumeration member as an object")
    if kind == _PLAIN:
        if base is not None:
            raise BadEntry("no base expected")
        made = object.__new__(cls)
    elif kind == _TEXT:
        if type(base) is not str:
            raise BadEntry("text expected")
        made = str.__new__(cls, base)
    elif kind == _MAPPING:
        if type(base) is not list or len(base) != 2:
            raise BadEntry("a mapping expected")
        keys, content = items(base[0]), items(base[1])
        if len(keys) != len(content):
            raise BadEntry("a mapping with more keys than values")
        made = dict.__new__(cls)
        dict.update(made, zip(keys, content))
    else:
        made = list.__new__(cls)
        list.extend(made, items(base))
    if type(names) is not list or type(values) is not list or len(names) != len(values):
        raise BadEntry("attributes do not match their values")
    shape = (name, *names)
    if shape not in checked:
        for attribute in names:
            if type(attribute) is not str or not attribute.isidentifier() or attribute.startswith("__"):
                raise BadEntry("a bad attribute name")
        checked.add(shape)
    made.__dict__.update(zip(names, items(values)))
    return made
