"""A CloudFormation or SAM template with the child stacks it declares, read as one tree.

- `AWS::CloudFormation::Stack` with a local `TemplateURL` (a path relative to the parent
  template's directory, or absolute: what `aws cloudformation package` and `sam build` take),
  and `AWS::Serverless::Application` with a local `Location` string: the child template is read
  from disk with the values the parent passes in `Parameters` (the parent's intrinsics resolved
  by the parent, so a key the parent creates is linked to the child queue that uses it), and the
  parent's `!GetAtt Child.Outputs.Name` is the child's output value.
- `AWS::CloudFormation::StackSet` `TemplateBody` (a string of JSON or YAML) is read as a
  template in the same file, with the set's `Parameters`; a `StackInstancesGroup` entry whose
  `ParameterOverrides` give other values is read once more with them. Lines: a YAML literal block
  (`TemplateBody: |`) keeps its lines, so the body's line n is the file's line n after the `|`;
  any other spelling (a JSON string, a quoted or folded scalar) has no lines of its own, and
  everything in it is placed on the `TemplateBody` line.
- A CDK template read on its own (not through its `cdk.out` manifest) names its nested stack's
  template in the stack resource's `aws:asset:path` metadata (the CDK CLI writes it); that
  file, beside the parent, is read.
- A child that is not on disk (an `https://` or `s3://` URL, a Serverless Application
  Repository application, a location only deployment knows) is an `UnreadModule`: reported as
  not read (SQG104), never a silent pass. A child that cannot be read (missing, not a template,
  invalid, a cycle, nested too deep) is an error at the parent's `TemplateURL`/`Location` line.

Each child instance is a scan unit of its own, named `<root template>#<stack path>`
(`template.yaml#Workers/Inner`): one child template may be instantiated several times, from
several parents, with other values each time. Its resources keep their logical ids and their
lines in their own file, and carry the stack path as construct path (`Workers/OrdersQueue`),
as CDK nested stacks carry theirs. Files are read only through `inputs`.
"""

from __future__ import annotations

import os
import re
from dataclasses import field
from typing import Any, Callable

from ..dataclass_methods import dataclass
from .. import inputs
from ..discover import display_path
from ..findings import ScanError
from ..model import Format, Location, Model, Unresolved, UnreadModule, is_aws_managed_sqs_key
from .cloudformation import build_model, is_template, metadata_ignores
from .documents import Node, ParseError, load_json, load_yaml, span_of
from .intrinsics import Resolver, is_intrinsic, show

STACK = "AWS::CloudFormation::Stack"
APPLICATION = "AWS::Serverless::Application"
STACK_SET = "AWS::CloudFormation::StackSet"
MAX_DEPTH = 8  # AWS allows deeper nesting; a tree this deep in one repository is a mistake
_KINDS = {STACK: "Nested stack", APPLICATION: "Nested application", STACK_SET: "StackSet"}
MAX_INSTANCES = 250  # child stacks read for one root (a template used many times at every level multiplies)

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_LITERAL_BLOCK = re.compile(r":\s*\|[0-9+-]*\s*(#.*)?$")
_PENDING = object()


@dataclass
class Tree:
    """What reading a root template and its children gave."""

    model: Model = field(default_factory=Model)
    errors: list[ScanError] = field(default_factory=list)
    files_read: int = 1
    children: set[str] = field(default_factory=set)  # absolute paths of the child templates met


@dataclass
class _Instance:
    """One template as deployed once: its document, where it is, and the values it gets."""

    doc: Any
    path: str  # absolute path of the file holding it
    display: str
    unit: str
    chain: tuple[str, ...]  # logical ids from the root's stack resource down; () for the root
    parameters: dict[str, Any]
    given_by: str | None
    ancestors: tuple[str, ...]  # absolute paths of the templates above (cycle test)
    text: str = ""  # the file's text (StackSet bodies need their lines)
    resolver: Any = None
    kids: dict = field(default_factory=dict)  # logical id -> _Instance | None | _PENDING


def read_tree(doc: Any, path: str, display: str, parameters: dict[str, str], limit: int, text: str) -> Tree:
    """The model of a root template (already loaded, with positions) and every child it
    declares, children first read through the parent."""
    reader = _Reader(limit, display)
    root = _Instance(doc, os.path.abspath(path), display, display, (), dict(parameters), None,
                     (os.path.realpath(path),), text)
    reader.build(root)
    return reader.tree


class _Reader:
    def __init__(self, limit: int, root_display: str):
        self.limit = limit
        self.root_display = root_display
        self.tree = Tree()
        self.instances = 0
        self.loaded: dict[str, Any] = {}  # path -> the child's document, or the message why not

    # -- one instance ---------------------------------------------------------------------------

    def build(self, inst: _Instance) -> None:
        inst.resolver = Resolver(inst.doc, inst.unit, inst.parameters,
                                 stack_output=lambda lid, name: self._output(inst, lid, name),
                                 given_by=inst.given_by)
        resources = inst.doc.get("Resources") if isinstance(inst.doc, dict) else None
        resources = resources if isinstance(resources, dict) else {}
        for lid, resource in resources.items():
            if isinstance(resource, dict) and resource.get("Type") in (STACK, APPLICATION, STACK_SET):
                self._child(inst, str(lid))
        paths = None
        if inst.chain:
            paths = {
                str(lid): "/".join(inst.chain + (str(lid),))
                for lid, resource in resources.items()
                if not (isinstance(resource, dict) and isinstance(resource.get("Metadata"), dict)
                        and "aws:cdk:path" in resource["Metadata"])
            }
        model = build_model(inst.doc, inst.display, inst.unit, Format.CLOUDFORMATION, inst.parameters,
                            construct_paths=paths, resolver=inst.resolver)
        self.tree.model.extend(model)

    def _output(self, inst: _Instance, lid: str, name: str) -> Any:
        resource = inst.doc["Resources"].get(lid)
        if not (isinstance(resource, dict) and resource.get("Type") in (STACK, APPLICATION)):
            return None  # not a nested stack: the ordinary reference
        child = self._child(inst, lid)
        expr = "!GetAtt %s.Outputs.%s" % (lid, name)
        if child is _PENDING:
            return Unresolved(expr, "the nested stacks' outputs and parameters depend on each other")
        if child is None:
            return Unresolved(expr, "an output of nested stack %s, whose template is not read" % lid)
        outputs = child.doc.get("Outputs")
        output = outputs.get(name) if isinstance(outputs, dict) else None
        if not isinstance(output, dict) or "Value" not in output:
            return Unresolved(expr, "the template of nested stack %s (%s) has no output %s" % (lid, child.display, name))
        return child.resolver.resolve(output["Value"])

    # -- children ---------------------------------------------------------------------------

    def _child(self, inst: _Instance, lid: str) -> Any:
        """The child instance of stack resource `lid`, read once; None when it is not read."""
        if lid in inst.kids:
            return inst.kids[lid]
        inst.kids[lid] = _PENDING
        resource = inst.doc["Resources"][lid]
        rtype = resource["Type"]
        props = resource.get("Properties")
        props = props if isinstance(props, dict) else Node()
        if rtype == STACK_SET:
            inst.kids[lid] = None
            self._stack_set(inst, lid, resource, props)
            return None
        prop = "TemplateURL" if rtype == STACK else "Location"
        found = self._local_file(inst, lid, resource, props, prop)
        child = None
        if found is not None:
            child = self._read_child(inst, lid, props, prop, found)
        inst.kids[lid] = child
        return child

    def _local_file(self, inst: _Instance, lid: str, resource: dict, props: dict, prop: str) -> str | None:
        """The child's path on disk; None (reported as not read, when it is not) otherwise."""
        if prop not in props:
            return None  # CloudFormation rejects it; nothing to read
        raw = props[prop]
        if isinstance(raw, dict) and "ApplicationId" in raw:
            app = inst.resolver.resolve(raw.get("ApplicationId"))
            version = inst.resolver.resolve(raw.get("SemanticVersion"))
            source = "the Serverless Application Repository application %s version %s" % (
                app if isinstance(app, str) else show(raw.get("ApplicationId")),
                version if isinstance(version, str) else show(raw.get("SemanticVersion")))
            self._unread(inst, lid, resource, source)
            return None
        value = inst.resolver.resolve(raw) if is_intrinsic(raw) else raw
        metadata = resource.get("Metadata")
        if isinstance(metadata, dict) and metadata.get("aws:asset:property") == prop and isinstance(metadata.get("aws:asset:path"), str):
            value = metadata["aws:asset:path"]  # a CDK template read alone: the nested template beside it
        if not isinstance(value, str) or not value.strip():
            self._unread(inst, lid, resource, "%s %s, which only deployment knows" % (prop, show(raw)))
            return None
        value = value.strip()
        if _URL.match(value):
            self._unread(inst, lid, resource, value)
            return None
        base = os.path.dirname(inst.path)
        return os.path.normpath(os.path.join(base, value))

    def _unread(self, inst: _Instance, lid: str, resource: dict, source: str) -> None:
        start, end = span_of(inst.doc["Resources"], lid)
        props = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
        given = props.get("Parameters")
        values = _pairs(inst.resolver, given) if isinstance(given, list) else self._parameters(inst, given)
        managed = tuple("%s: %s" % (name, value) for name, value in values.items()
                        if isinstance(value, str) and is_aws_managed_sqs_key(value))
        self.tree.model.unread_modules.append(UnreadModule(
            address=lid,
            resource_type=str(resource.get("Type")),
            format=Format.CLOUDFORMATION,
            location=Location(inst.display, start, end),
            unit=inst.unit,
            construct_path="/".join(inst.chain + (lid,)) if inst.chain else None,
            ignores=metadata_ignores(resource, inst.display, start),
            source=source,
            managed_key_inputs=managed,
            kind=_KINDS.get(str(resource.get("Type")), "Child stack"),
            reason="sqsguard reads child templates from disk only",
            advice="scan its template from disk (a local TemplateURL or Location, as written before "
                   "`aws cloudformation package` or `sam package`)",
        ))

    def _error(self, inst: _Instance, props: Any, prop: str, message: str) -> None:
        line = span_of(props, prop)[0] if isinstance(props, Node) and prop in props else None
        self.tree.errors.append(ScanError(inst.display, line or None, message))

    def _read_child(self, inst: _Instance, lid: str, props: dict, prop: str, path: str) -> _Instance | None:
        shown = display_path(path)
        written = props.get(prop) if isinstance(props.get(prop), str) else shown
        what = "nested stack %s: %s %s" % (lid, prop, written if written.strip() in (shown, "./" + shown) else "%s (%s)" % (written, shown))
        real = os.path.realpath(path)
        if real in inst.ancestors:
            self._error(inst, props, prop, "%s is a template this one is nested in (a cycle); not read again" % what)
            return None
        if len(inst.chain) >= MAX_DEPTH:
            self._error(inst, props, prop, "%s is nested more than %d stacks deep; not read" % (what, MAX_DEPTH))
            return None
        if self.instances >= MAX_INSTANCES:
            self._error(inst, props, prop, "%s: more than %d nested stacks under %s; not read" % (what, MAX_INSTANCES, self.root_display))
            return None
        self.instances += 1
        self.tree.children.add(os.path.abspath(path))
        if path not in self.loaded:
            self.loaded[path] = self._load(path)
        loaded = self.loaded[path]
        if isinstance(loaded, str):
            self._error(inst, props, prop, "%s %s" % (what, loaded))
            return None
        doc, text = loaded
        child = _Instance(
            doc, os.path.abspath(path), shown, self._unit(inst, lid), inst.chain + (lid,),
            self._parameters(inst, props.get("Parameters")),
            "the parent template %s (%s, parameter %%s)" % (inst.display, lid),
            inst.ancestors + (real,), text,
        )
        self.build(child)
        return child

    def _load(self, path: str) -> tuple[Any, str] | str:
        """A child template's document and text, or why it cannot be read."""
        kind = inputs.kind(path)
        if kind != "file":
            return "does not exist" if kind is None else "is not a file"
        try:
            data = inputs.read_bytes(path, self.limit)
        except OSError as exc:
            return "cannot be read: %s" % (exc.strerror or exc)
        if len(data) > self.limit:
            return "is larger than the %g MB limit; not read" % (self.limit / 1024 / 1024)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line, message = inputs.not_utf8(data, exc)
            return "cannot be read: %s at line %d" % (message, line)
        try:
            doc = load_json(text) if text.lstrip().startswith("{") else load_yaml(text)
        except ParseError as exc:
            return "cannot be read: %s%s" % (exc.message, " at line %d" % exc.line if exc.line else "")
        if not is_template(doc):
            return "is not a CloudFormation template (no Resources)"
        self.tree.files_read += 1
        return doc, text

    def _unit(self, inst: _Instance, lid: str) -> str:
        return "%s#%s" % (self.root_display, "/".join(inst.chain + (lid,)))

    def _parameters(self, inst: _Instance, given: Any) -> dict[str, Any]:
        """The child's parameter values: the parent's expressions, resolved by the parent."""
        if not isinstance(given, dict):
            return {}
        return {str(name): _as_parameter(inst.resolver.resolve(value)) for name, value in given.items()}

    # -- StackSets ----------------------------------------------------------------------------

    def _stack_set(self, inst: _Instance, lid: str, resource: dict, props: dict) -> None:
        if "TemplateBody" not in props:
            if "TemplateURL" in props:
                url = inst.resolver.resolve(props["TemplateURL"])
                self._unread(inst, lid, resource, url if isinstance(url, str) else "TemplateURL %s" % show(props["TemplateURL"]))
            return
        body = self._body(inst, lid, props)
        if body is None:
            return
        base = _pairs(inst.resolver, props.get("Parameters"))
        variants: list[tuple[str, dict]] = []
        groups = props.get("StackInstancesGroup")
        for index, group in enumerate(groups if isinstance(groups, list) else ()):
            overrides = _pairs(inst.resolver, group.get("ParameterOverrides") if isinstance(group, dict) else None)
            values = {**base, **overrides}
            if all(values != v for _, v in variants):
                variants.append(("%s[%d]" % (lid, index), values))
        if len(variants) <= 1:
            variants = [(lid, variants[0][1] if variants else base)]
        for name, values in variants:
            child = _Instance(
                body, inst.path, inst.display, "%s#%s" % (self.root_display, "/".join(inst.chain + (name,))),
                inst.chain + (name,), values,
                "the StackSet %s in %s (parameter %%s)" % (lid, inst.display), inst.ancestors, inst.text,
            )
            self.build(child)

    def _body(self, inst: _Instance, lid: str, props: dict) -> Any:
        raw = props["TemplateBody"]
        first, last = span_of(props, "TemplateBody")
        if isinstance(raw, dict) and not is_intrinsic(raw):
            return raw if is_template(raw) else None  # written as a mapping: its own lines
        if not isinstance(raw, str):
            self._unread(inst, lid, inst.doc["Resources"][lid], "TemplateBody %s, which only deployment knows" % show(raw))
            return None
        lines = inst.text.splitlines()
        literal = 0 < first <= len(lines) and _LITERAL_BLOCK.search(lines[first - 1]) is not None
        offset = first  # the body's line n is the file's line first + n
        try:
            doc = load_json(raw) if raw.lstrip().startswith("{") else load_yaml(raw)
        except ParseError as exc:
            where = offset + exc.line if literal and exc.line else first
            self.tree.errors.append(ScanError(inst.display, where, "StackSet %s: its TemplateBody cannot be read: %s" % (lid, exc.message)))
            return None
        if not is_template(doc):
            if isinstance(doc, dict) and "Resources" in doc:
                return None  # an empty template: nothing to read
            self.tree.errors.append(ScanError(inst.display, first, "StackSet %s: its TemplateBody is not a CloudFormation template" % lid))
            return None
        _move_lines(doc, (lambda n: n + offset) if literal else (lambda n: first), set())
        return doc


def _as_parameter(value: Any) -> Any:
    """A value passed to a child parameter is a string in CloudFormation; a resolved plain
    string stays one (so List types split it), anything else is kept as the model value."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _pairs(resolver: Resolver, items: Any) -> dict[str, Any]:
    """`[{ParameterKey, ParameterValue}]` into name -> value, resolved by the parent."""
    values: dict[str, Any] = {}
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and isinstance(item.get("ParameterKey"), str) and "ParameterValue" in item:
            values[item["ParameterKey"]] = _as_parameter(resolver.resolve(item["ParameterValue"]))
    return values


def _move_lines(node: Any, place: Callable[[int], int], seen: set) -> None:
    """Put the positions of a document read from a string where the string is in its file."""
    if id(node) in seen or not isinstance(node, (dict, list)):
        return
    seen.add(id(node))
    if getattr(node, "line", 0):
        node.line, node.end_line = place(node.line), place(node.end_line)
    if isinstance(node, dict):
        if getattr(node, "key_lines", None):
            node.key_lines = {k: (place(a), place(b)) for k, (a, b) in node.key_lines.items()}
        for value in node.values():
            _move_lines(value, place, seen)
    else:
        for value in node:
            _move_lines(value, place, seen)
