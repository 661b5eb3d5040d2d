"""Load YAML and JSON documents into plain data that remembers line numbers.

Mappings become `Node` dicts and sequences `NodeList` lists carrying `line` / `end_line`
(1-based, inclusive) and, for mappings, `key_lines`: key -> (first line of the key, last line
of its value). Only safe constructors run: no Python objects are ever built. CloudFormation's
short tags (`!Ref`, `!GetAtt`, `!Sub`, ...) are expanded to their long form; any other tag
(`!Rain::Embed`) is kept as a one-key mapping `{"!Rain::Embed": value}` for the resolver to
report as unresolved.
"""

from __future__ import annotations

import json
import re
from typing import Any


class ParseError(Exception):
    """A document that cannot be read: a message and the line where it was found, if known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class Node(dict):
    """A mapping with its position in the source."""

    line: int = 0
    end_line: int = 0
    key_lines: dict

    def span(self, key: Any) -> tuple[int, int]:
        lines = getattr(self, "key_lines", None) or {}
        return lines.get(key, (self.line, self.end_line))


def span_of(mapping: Any, key: Any, default: tuple[int, int] = (1, 1)) -> tuple[int, int]:
    """The lines of a mapping's key and value, or `default` for a mapping read without positions."""
    return mapping.span(key) if isinstance(mapping, Node) else default


class NodeList(list):
    line: int = 0
    end_line: int = 0


_SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: "Fn::" + name
        for name in (
            "Base64 Cidr FindInMap GetAtt GetAZs ImportValue Join Select Split Sub Transform "
            "And Equals If Not Or Length ToJsonString"
        ).split()
    },
}

_loader_class = None


def _end_line(node: Any) -> int:
    """Last line of a node's own text (a block collection's end mark is where the next
    token starts, so it is taken from its last child instead)."""
    while not getattr(node, "flow_style", True) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    mark = node.end_mark
    # A block scalar (`|`, `>`) ends at column 0 of the line after its last line.
    if mark.column == 0 and mark.line > node.start_mark.line:
        return mark.line
    return mark.line + 1


def _loader() -> type:
    global _loader_class
    if _loader_class is not None:
        return _loader_class
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    # CloudFormation reads dates as strings; so do we.
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }

    def construct_mapping(loader: Any, node: Any) -> Node:
        loader.flatten_mapping(node)
        mapping = Node()
        mapping.line = node.start_mark.line + 1
        mapping.end_line = _end_line(node)
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                key = str(key)
            mapping[key] = loader.construct_object(value_node, deep=True)
            mapping.key_lines[key] = (key_node.start_mark.line + 1, _end_line(value_node))
        return mapping

    def construct_sequence(loader: Any, node: Any) -> NodeList:
        seq = NodeList(loader.construct_object(child, deep=True) for child in node.value)
        seq.line = node.start_mark.line + 1
        seq.end_line = _end_line(node)
        return seq

    def construct_tag(loader: Any, suffix: str, node: Any) -> Node:
        import yaml as _yaml

        if isinstance(node, _yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, _yaml.SequenceNode):
            value = construct_sequence(loader, node)
        else:
            value = construct_mapping(loader, node)
        name = _SHORT_TAGS.get(suffix)
        if name == "Fn::GetAtt" and isinstance(value, str):
            value = NodeList(value.split(".", 1))
        wrapped = Node({name if name else "!" + suffix: value})
        wrapped.line = node.start_mark.line + 1
        wrapped.end_line = _end_line(node)
        wrapped.key_lines = {}
        return wrapped

    Loader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
    Loader.add_constructor("tag:yaml.org,2002:seq", construct_sequence)
    Loader.add_multi_constructor("!", construct_tag)
    _loader_class = Loader
    return Loader


# Aliases let a few lines of YAML stand for billions of nodes ("billion laughs"); every reader
# after the loader walks the expanded tree, so a document that expands past this is refused.
# A CloudFormation template (at most 1 MB) has far fewer.
MAX_EXPANDED_NODES = 500_000


def _children(node: Any) -> list:
    import yaml as _yaml

    if isinstance(node, _yaml.ScalarNode):
        return []
    return [c for pair in node.value for c in pair] if isinstance(node, _yaml.MappingNode) else list(node.value)


def _aliased(text: str) -> bool:
    """Whether the text can hold an alias: an alias names an anchor (`&name`), and without one
    the document is a tree, as big as its text (most templates: the walk below is then skipped,
    a third of reading them)."""
    return "&" in text


def _expanded_sizes(root: Any, limit: int) -> dict[int, int]:
    """How many nodes each node stands for once aliases are expanded (by id; past `limit`,
    limit + 1); shared nodes are counted once per use, each computed once. A recursive alias
    (whose expansion has no end) makes the nodes around it limit + 1."""
    import yaml as _yaml

    scalar = _yaml.ScalarNode
    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, scalar):
            sizes[key] = 1
            continue
        children = _children(node)
        if done:
            active.discard(key)
            sizes[key] = min(limit + 1, 1 + sum(sizes.get(id(c), limit + 1) for c in children))
            continue
        if key in active:
            sizes[key] = limit + 1
            continue
        active.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes


def _where_it_explodes(root: Any, sizes: dict[int, int], limit: int) -> int:
    """The line of the innermost node that expands past the limit (the list of aliases that
    multiplies, in a "billion laughs")."""
    node, seen = root, set()
    while id(node) not in seen:
        seen.add(id(node))
        bigger = next((c for c in _children(node) if sizes.get(id(c), limit + 1) > limit), None)
        if bigger is None:
            break
        node = bigger
    return node.start_mark.line + 1


def load_yaml(text: str) -> Any:
    """Parse YAML text (one document). Raises ParseError with the line of the problem."""
    import yaml

    try:
        loader = _loader()(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            sizes = _expanded_sizes(node, MAX_EXPANDED_NODES) if _aliased(text) else None
            if sizes is not None and sizes[id(node)] > MAX_EXPANDED_NODES:
                raise ParseError("YAML aliases expand it to more than %s nodes (an alias bomb?); not read"
                                 % format(MAX_EXPANDED_NODES, ","), _where_it_explodes(node, sizes, MAX_EXPANDED_NODES))
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = min(mark.line + 1, max(len(text.splitlines()), 1)) if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ParseError("invalid YAML: %s" % problem, line) from None
    except yaml.YAMLError as exc:
        raise ParseError("invalid YAML: %s" % exc) from None
    except RecursionError:
        raise ParseError("invalid YAML: nested too deeply") from None


def parse_json(text: str) -> Any:
    """Strict JSON, without positions (fast). Raises ParseError with the line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError("invalid JSON: %s" % exc.msg, exc.lineno) from None
    except RecursionError:
        raise ParseError("invalid JSON: nested too deeply") from None


def load_json(text: str, data: Any = None) -> Any:
    """JSON with positions. Valid JSON is valid YAML (literal tabs, which JSON only allows as
    whitespace, become spaces), so the C YAML parser provides the marks; the rare document it
    cannot read (surrogate-pair escapes) falls back to positions found by searching the text.
    `data` is the document's plain `parse_json` result when the caller already has it."""
    if data is None:
        data = parse_json(text)
    try:
        marked = load_yaml(text.replace("\t", " "))
        if marked == data:
            return marked
    except ParseError:
        pass
    return _locate(data, text)


def _locate(data: Any, text: str) -> Any:
    """Positions for JSON the YAML parser could not read: each key's first occurrence after
    its parent's position. Approximate, but never wrong by more than a repeated key."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def build(value: Any, offset: int) -> Any:
        if isinstance(value, dict):
            node = Node()
            node.line = line_of(offset)
            node.key_lines = {}
            for key, item in value.items():
                found = text.find(json.dumps(key), offset)
                pos = found if found >= 0 else offset
                node[key] = build(item, pos)
                node.key_lines[key] = (line_of(pos), line_of(pos))
            node.end_line = max([node.line] + [v[1] for v in node.key_lines.values()])
            return node
        if isinstance(value, list):
            seq = NodeList(build(item, offset) for item in value)
            seq.line = seq.end_line = line_of(offset)
            return seq
        return value

    return build(data, 0)
