"""What every modelled registry module has in common: its inputs, as the call gives them or as
the module defaults them, and the objects and outputs the call produces.

A module class (one per module, `sqs.py`, `kms.py`) says what a call creates (`create()`: the
drafts of its resources) and what its outputs are (`outputs(name, text)`); this base class reads
the inputs, locates settings at the input that gives them (the call block when it is the
module's default), and builds policy documents the way the modules do (`document`).
"""

from __future__ import annotations

from typing import Any

from ....model import Conditional, Location, ResourceRef, Unresolved, render
from ...documents import Node, NodeList
from ..drafts import Draft, DraftAttr
from ..policy_documents import documents, merge_statements
from ..values import JsonDoc, lift, mark


class RegistryModule:
    """One instance of a call to a modelled registry module."""

    source_name = ""  # the module's registry address, e.g. terraform-aws-modules/sqs/aws

    def __init__(self, source: str, address: str, unit: str, block: Any, inputs: dict, location: Location):
        self.source = source
        self.address = address
        self.unit = unit
        self.block = block
        self.inputs = inputs
        self.location = location
        self.file = location.file
        self._values: dict[str, Any] = {}
        self._drafts: list[Draft] | None = None

    # -- inputs ------------------------------------------------------------------------------

    def given(self, name: str) -> bool:
        return name in self.inputs

    def value(self, name: str, default: Any = None) -> Any:
        if name not in self.inputs:
            return default
        if name not in self._values:
            attr, ev = self.inputs[name]
            self._values[name] = ev.evaluate(attr.expr, attr.seg)
        return self._values[name]

    def attr(self, name: str, value: Any, default_text: str | None = None) -> DraftAttr:
        """A setting that comes from input `name` (its text and line), or the module default."""
        if name in self.inputs:
            attr = self.inputs[name][0]
            return DraftAttr(value, attr.seg.text_of(attr.expr, 200), Location(attr.seg.file, attr.line, attr.end_line))
        text = default_text if default_text is not None else "%s (the default of module %s)" % (render(value), self.source)
        return DraftAttr(value, text, self.location)

    def line_of(self, name: str) -> tuple[int, int]:
        if name in self.inputs:
            attr = self.inputs[name][0]
            return attr.line, attr.end_line
        return self.location.line, self.location.end_line

    # -- what the call creates ---------------------------------------------------------------

    def drafts(self) -> list[Draft]:
        if self._drafts is None:
            self._drafts = [] if self.value("create", True) is False else self.create()
        return self._drafts

    def output(self, name: str, text: str) -> Any:
        if self.value("create", True) is False:
            return None
        found = self.outputs(name, text)
        if found is not None:
            return found
        return Unresolved(text, "output %s of module %s is not modelled by sqsguard" % (name, self.source))

    def create(self) -> list[Draft]:
        raise NotImplementedError

    def outputs(self, name: str, text: str) -> Any:
        """The value of output `name`, or None when the module class does not model it."""
        raise NotImplementedError

    def ref(self, address: str, attribute: str, text: str) -> ResourceRef:
        return ResourceRef(self.unit, "%s.%s" % (self.address, address), attribute, text)

    def document(self, statements: list, statements_input: str, source_input: str, override_input: str, default_resources: list | None = None) -> Any:
        merged: list = []
        line, end = self.line_of(source_input)
        for doc in documents(self.value(source_input), line, end, self.file):
            merge_statements(merged, doc, replace=False)
        own = list(statements)
        custom = self.value(statements_input)
        line, end = self.line_of(statements_input)
        own.extend(custom_statements(custom, line, end, self.file, default_resources))
        merge_statements(merged, own, replace=True)
        line, end = self.line_of(override_input)
        for doc in documents(self.value(override_input), line, end, self.file):
            merge_statements(merged, doc, replace=True)
        document = Node()
        document["Version"] = "2012-10-17"
        document["Statement"] = mark(NodeList(merged), self.location.line, self.location.end_line, self.file)
        mark(document, self.location.line, self.location.end_line, self.file)
        document.key_lines = {"Version": (self.location.line, self.location.line), "Statement": (self.location.line, self.location.end_line)}
        return JsonDoc(document)



def custom_statements(value: Any, line: int, end: int, file: str, default_resources: list | None) -> list:
    """`key_statements` / `queue_policy_statements`: a list or map of statement objects."""
    if value is None:
        return []
    if isinstance(value, Conditional) or isinstance(value, (Unresolved, ResourceRef)) or not isinstance(value, (list, dict)):
        reason = value.reason if isinstance(value, Unresolved) else "not known statically"
        return [Unresolved(render(value)[:200], "custom statements that are not known (%s)" % reason)]
    items = [value[k] for k in sorted(value, key=str)] if isinstance(value, dict) else list(value)
    keys = sorted(value, key=str) if isinstance(value, dict) else [None] * len(items)
    out = []
    for key, item in zip(keys, items):
        if not isinstance(item, dict):
            out.append(Unresolved(render(item)[:200], "a statement that is not an object"))
            continue
        item_line = getattr(item, "line", 0) or line
        item_end = getattr(item, "end_line", 0) or end
        sid = item.get("sid") if item.get("sid") is not None else key
        principals = [(p.get("type"), p.get("identifiers")) for p in (item.get("principals") or []) if isinstance(p, dict)]
        not_principals = [(p.get("type"), p.get("identifiers")) for p in (item.get("not_principals") or []) if isinstance(p, dict)]
        conditions = [
            (c.get("test"), c.get("variable"), c.get("values"))
            for c in list(item.get("condition") or []) + list(item.get("conditions") or [])
            if isinstance(c, dict)
        ]
        resources = item.get("resources")
        if resources is None and item.get("not_resources") is None and default_resources is not None:
            resources = default_resources
        statement = build_statement(
            sid,
            item.get("actions"),
            principals,
            conditions or None,
            item_line,
            item_end,
            file,
            effect=item.get("effect") or "Allow",
            resources=resources,
            not_actions=item.get("not_actions"),
            not_resources=item.get("not_resources"),
            not_principals=not_principals,
        )
        out.append(statement)
    return out


def build_statement(
    sid: Any,
    actions: Any,
    principals: list,
    conditions: list | None,
    line: int,
    end: int,
    file: str,
    effect: str = "Allow",
    resources: Any = ("*",),
    not_actions: Any = None,
    not_resources: Any = None,
    not_principals: list | None = None,
) -> Node:
    statement = Node()
    if sid not in (None, ""):
        statement["Sid"] = sid
    statement["Effect"] = effect
    for key, group in (("Principal", principals), ("NotPrincipal", not_principals or [])):
        if not group:
            continue
        principal = Node()
        for ptype, identifiers in group:
            if isinstance(identifiers, str):
                identifiers = [identifiers]
            if ptype == "*" and identifiers == ["*"]:
                principal = "*"  # type: ignore[assignment]
                break
            ptype = ptype if isinstance(ptype, str) else render(ptype)
            if isinstance(principal.get(ptype), list) and isinstance(identifiers, list):
                principal[ptype] = principal[ptype] + list(identifiers)
            else:
                principal[ptype] = mark(NodeList(identifiers), line, end, file) if isinstance(identifiers, list) else identifiers
        statement[key] = mark(principal, line, end, file) if isinstance(principal, Node) else principal
    if actions is not None:
        statement["Action"] = mark(NodeList(actions), line, end, file) if isinstance(actions, list) else actions
    if not_actions is not None:
        statement["NotAction"] = mark(NodeList(not_actions), line, end, file) if isinstance(not_actions, list) else not_actions
    if resources is not None:
        statement["Resource"] = mark(NodeList(resources), line, end, file) if isinstance(resources, (list, tuple)) else resources
    if not_resources is not None:
        statement["NotResource"] = not_resources
    if conditions:
        condition = Node()
        for test, variable, values in conditions:
            operator = condition.setdefault(test if isinstance(test, str) else render(test), mark(Node(), line, end, file))
            operator[variable if isinstance(variable, str) else render(variable)] = (
                mark(NodeList(values), line, end, file) if isinstance(values, list) else values
            )
        statement["Condition"] = mark(condition, line, end, file)
    mark(statement, line, end, file)
    statement.key_lines = {k: (line, end) for k in statement}
    return statement


def coalesce(first: Any, second: Any) -> Any:
    """try(coalesce(a, b), null)."""
    return lift(first, lambda a: second if a is None or a == "" else a)


def maybe_set(value: Any) -> bool:
    if isinstance(value, Conditional):
        return maybe_set(value.if_true) or maybe_set(value.if_false)
    return value is not None
