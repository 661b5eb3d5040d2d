"""IAM/KMS policy documents written in Terraform, in IAM's JSON shape.

`data "aws_iam_policy_document"` blocks become the document the provider would render:
`{"Version", "Statement": [...]}` with `Principal: {"AWS": [...]}` and
`Condition: {test: {variable: values}}`; each statement is a `Node` whose line is its
`statement` block's. `source_policy_documents` / `override_policy_documents` (and the older
`source_json` / `override_json`) merge by Sid as the provider does. `dynamic "statement"`
blocks are expanded when their `for_each` is known; otherwise an `Unresolved` item stands in
the statement list for them (never a silent pass).

`policy_value` turns whatever a `policy` argument evaluated to (a `jsonencode`d object, a
heredoc, a JSON string, a variable) into the model's policy value: a `Node` document, a
`Conditional` of documents, or `Unresolved`.
"""

from __future__ import annotations

from typing import Any

from ...model import Concat, Conditional, ResourceRef, Unresolved, render
from ..documents import Node, NodeList, ParseError, load_json
from .hcl import Block
from .values import JsonDoc, lift, mark, remark

DEFAULT_VERSION = "2012-10-17"


def policy_document(block: Block, ev: Any) -> Any:
    """The JSON document a `data "aws_iam_policy_document"` block renders (as a JsonDoc)."""
    seg = block.seg
    attrs = block.attributes

    def value(name: str) -> Any:
        attr = attrs.get(name)
        return ev.evaluate(attr.expr, attr.seg) if attr is not None else None

    statements: list = []
    for name in ("source_policy_documents", "source_json"):
        for doc in documents(value(name), *_where(attrs.get(name), block)):
            merge_statements(statements, doc, replace=False)
    own = NodeList()
    for item in expand(block, "statement", ev):
        own.append(item if not isinstance(item, tuple) else _statement(*item))
    merge_statements(statements, own, replace=True)
    for name in ("override_policy_documents", "override_json"):
        for doc in documents(value(name), *_where(attrs.get(name), block)):
            merge_statements(statements, doc, replace=True)

    document = Node()
    document.key_lines = {}
    version = value("version")
    document["Version"] = version if version is not None else DEFAULT_VERSION
    policy_id = value("policy_id")
    if policy_id is not None:
        document["Id"] = policy_id
    statement_list = NodeList(statements)
    mark(statement_list, block.line, block.end_line, seg.file)
    document["Statement"] = statement_list
    mark(document, block.line, block.end_line, seg.file)
    document.key_lines = {"Version": (block.line, block.line), "Statement": (block.line, block.end_line)}
    return JsonDoc(document)


def expand(block: Block, name: str, ev: Any) -> list:
    """The nested blocks called `name`, with `dynamic "name"` blocks expanded: a list of
    (block, evaluator) pairs, and Unresolved items where a dynamic block's for_each is not known."""
    out: list = []
    for child in block.blocks:
        if child.type == name:
            out.append((child, ev))
        elif child.type == "dynamic" and child.labels and child.labels[0] == name:
            content = child.child("content")
            for_each = child.attributes.get("for_each")
            if content is None or for_each is None:
                continue
            iterator = name
            if "iterator" in child.attributes:
                iterator_attr = child.attributes["iterator"]
                iterator = iterator_attr.seg.text_of(iterator_attr.expr)
            collection = ev.evaluate(for_each.expr, for_each.seg)
            for entry in _entries(collection, for_each.text):
                if isinstance(entry, Unresolved):
                    out.append(entry)
                else:
                    key, item = entry
                    out.append((content, ev.bind({iterator: {"key": key, "value": item}})))
    return out


def _entries(collection: Any, text: str) -> list:
    if isinstance(collection, Conditional):
        # both branches' entries: the weakest set of statements is in one of them
        return _entries(collection.if_true, text) + _entries(collection.if_false, text)
    if isinstance(collection, dict):
        return [(k, collection[k]) for k in sorted(collection, key=str)]
    if isinstance(collection, list):
        if all(isinstance(v, str) for v in collection):
            return [(v, v) for v in collection]  # a set: the key is the value
        return list(enumerate(collection))
    if collection is None:
        return []
    reason = collection.reason if isinstance(collection, Unresolved) else "not known statically"
    return [Unresolved(text, "a dynamic block's for_each is not known (%s)" % reason)]


def _statement(block: Block, ev: Any) -> Node:
    file = block.seg.file
    out = Node()
    out.key_lines = {}

    def put(key: str, value: Any, lines: tuple[int, int]) -> None:
        if value is None:
            return
        out[key] = value
        out.key_lines[key] = lines

    def attr_value(name: str) -> tuple[Any, tuple[int, int]]:
        attr = block.attributes.get(name)
        if attr is None:
            return None, (block.line, block.end_line)
        value = ev.evaluate(attr.expr, attr.seg)
        if isinstance(value, list):
            mark(value, attr.line, attr.end_line, file)
        return value, (attr.line, attr.end_line)

    sid, lines = attr_value("sid")
    if sid not in (None, ""):
        put("Sid", sid, lines)
    effect, lines = attr_value("effect")
    put("Effect", effect if effect is not None else "Allow", lines)
    for name, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        principal, lines = _principals(block, name, ev)
        if principal is not None:
            put(key, principal, lines)
    for name, key in (
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ):
        value, lines = attr_value(name)
        put(key, value, lines)
    condition, lines = _conditions(block, ev)
    if condition is not None:
        put("Condition", condition, lines)
    return mark(out, block.line, block.end_line, file)


def _principals(block: Block, name: str, ev: Any) -> tuple[Any, tuple[int, int]]:
    found = expand(block, name, ev)
    if not found:
        return None, (block.line, block.end_line)
    principal = Node()
    principal.key_lines = {}
    first = last = None
    for item in found:
        if isinstance(item, Unresolved):
            principal[item.expr] = item
            continue
        child, child_ev = item
        first = child.line if first is None else min(first, child.line)
        last = child.end_line if last is None else max(last, child.end_line)
        ptype = _attr(child, "type", child_ev)
        identifiers = _attr(child, "identifiers", child_ev)
        if not isinstance(ptype, str):
            ptype = render(ptype) if ptype is not None else "AWS"
        if isinstance(identifiers, (str, Concat, ResourceRef)):
            identifiers = [identifiers]
        if ptype == "*" and isinstance(identifiers, list) and identifiers == ["*"]:
            return "*", (child.line, child.end_line)  # the provider renders type "*" as "*"
        existing = principal.get(ptype)
        if isinstance(existing, list) and isinstance(identifiers, list):
            existing.extend(identifiers)
        else:
            principal[ptype] = mark(identifiers, child.line, child.end_line, child.seg.file) if isinstance(identifiers, list) else identifiers
        principal.key_lines[ptype] = (child.line, child.end_line)
    lines = (first or block.line, last or block.end_line)
    if isinstance(principal, Node):
        mark(principal, lines[0], lines[1], block.seg.file)
    return principal, lines


def _conditions(block: Block, ev: Any) -> tuple[Any, tuple[int, int]]:
    found = expand(block, "condition", ev)
    if not found:
        return None, (block.line, block.end_line)
    condition = Node()
    condition.key_lines = {}
    first = last = None
    for item in found:
        if isinstance(item, Unresolved):
            condition[item.expr] = item
            continue
        child, child_ev = item
        first = child.line if first is None else min(first, child.line)
        last = child.end_line if last is None else max(last, child.end_line)
        test = _attr(child, "test", child_ev)
        variable = _attr(child, "variable", child_ev)
        values = _attr(child, "values", child_ev)
        test_key = test if isinstance(test, str) else render(test)
        variable_key = variable if isinstance(variable, str) else render(variable)
        if isinstance(values, list):
            values = mark(values, child.line, child.end_line, child.seg.file)
        operator = condition.get(test_key)
        if not isinstance(operator, Node):
            operator = mark(Node(), child.line, child.end_line, child.seg.file)
            condition[test_key] = operator
            condition.key_lines[test_key] = (child.line, child.end_line)
        previous = operator.get(variable_key)
        if isinstance(previous, list) and isinstance(values, list):
            previous.extend(values)
        else:
            operator[variable_key] = values
        operator.key_lines[variable_key] = (child.line, child.end_line)
    lines = (first or block.line, last or block.end_line)
    mark(condition, lines[0], lines[1], block.seg.file)
    return condition, lines


def _attr(block: Block, name: str, ev: Any) -> Any:
    attr = block.attributes.get(name)
    return ev.evaluate(attr.expr, attr.seg) if attr is not None else None


def _where(attr: Any, block: Block) -> tuple[int, int, str]:
    if attr is None:
        return block.line, block.end_line, block.seg.file
    return attr.line, attr.end_line, attr.seg.file


def documents(value: Any, line: int, end_line: int, file: str | None) -> list:
    """Statement lists of the documents in a source/override argument (a list or one JSON)."""
    if value is None:
        return []
    items = value if isinstance(value, list) and not isinstance(value, JsonDoc) else [value]
    out = []
    for item in items:
        document = policy_value(item, line, end_line, file)
        if isinstance(document, dict):
            statements = document.get("Statement")
            if isinstance(statements, dict):
                statements = [statements]
            out.append(list(statements) if isinstance(statements, list) else [])
        elif document is not None:
            if not isinstance(document, Unresolved):
                document = Unresolved(render(item)[:200], "a policy document that is not known statically")
            out.append([document])
    return out


def merge_statements(statements: list, incoming: list, replace: bool) -> None:
    for statement in incoming:
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        if replace and isinstance(sid, str) and sid:
            for i, existing in enumerate(statements):
                if isinstance(existing, dict) and existing.get("Sid") == sid:
                    statements[i] = statement
                    break
            else:
                statements.append(statement)
        else:
            statements.append(statement)


def policy_value(value: Any, line: int, end_line: int, file: str | None) -> Any:
    """A policy argument's value in the model's shape (see the module docstring)."""

    def convert(v: Any) -> Any:
        if v is None:
            return None
        if isinstance(v, JsonDoc):
            inner = v.value
            if isinstance(inner, (dict, list)) and not hasattr(inner, "line"):
                return remark(inner, line, end_line, file)
            if isinstance(inner, dict):
                return _with_marks(inner, line, end_line, file)
            return inner
        if isinstance(v, dict):
            return _with_marks(v, line, end_line, file)
        if isinstance(v, str):
            if v.strip() == "":
                return None
            try:
                parsed = load_json(v)
            except ParseError as exc:
                return Unresolved(v[:120], "the policy is not valid JSON (%s)" % exc.message)
            return remark(parsed, line, end_line, file)
        if isinstance(v, (Unresolved,)):
            return v
        if isinstance(v, (ResourceRef, Concat)):
            return Unresolved(render(v)[:200], "the policy is assembled from values known only after apply")
        return Unresolved(render(v)[:200], "the policy is not a JSON document")

    return lift(value, convert)


def _with_marks(value: Any, line: int, end_line: int, file: str | None) -> Any:
    """Keep positions the value has (jsonencode of an object literal) and give the rest the
    argument's position. Parts written in another file than the argument sit at the argument:
    rules read a statement's line in the argument's file."""
    if isinstance(value, JsonDoc):
        value = value.value
    own_file = getattr(value, "file", None)
    if file is not None and own_file is not None and own_file != file:
        # written in another file (a local in locals.tf): its lines are not lines of this one
        return remark(value, line, end_line, file)
    if isinstance(value, dict):
        out = Node()
        own = getattr(value, "line", 0)
        out.line = own or line
        out.end_line = getattr(value, "end_line", 0) or end_line
        out.key_lines = dict(getattr(value, "key_lines", None) or {})
        node_file = getattr(value, "file", None) or file
        if node_file is not None:
            out.file = node_file  # type: ignore[attr-defined]
        for k, v in value.items():
            out[k] = _with_marks(v, out.line, out.end_line, node_file)
            out.key_lines.setdefault(k, (out.line, out.end_line))
        return out
    if isinstance(value, list):
        seq = NodeList(_with_marks(v, getattr(value, "line", 0) or line, getattr(value, "end_line", 0) or end_line, file) for v in value)
        seq.line = getattr(value, "line", 0) or line
        seq.end_line = getattr(value, "end_line", 0) or end_line
        return seq
    if isinstance(value, Conditional):
        return Conditional(value.condition, _with_marks(value.if_true, line, end_line, file), _with_marks(value.if_false, line, end_line, file))
    return value
