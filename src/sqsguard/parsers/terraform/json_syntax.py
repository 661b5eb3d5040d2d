"""Terraform's JSON syntax (`*.tf.json`) into the same blocks and attributes as `hcl.py` makes.

The JSON syntax is the native language spelled in JSON (Terraform's "JSON Configuration
Syntax"): top-level properties are block types, one nested object per label (`resource` ->
type -> name -> body), an array wherever several blocks are given in order, properties named
`//` are comments in any object that stands for a block body (and at the file's root). In a
body, a property is an argument or a nested block; which one depends on the block's schema, so
the nested blocks sqsguard reads are listed here (`NESTED_BLOCKS`). Argument values map to
expressions: a string is a string template (`"${aws_kms_key.k.arn}"` is the reference itself,
`$${` and `%%{` are escapes), numbers, booleans, null, arrays and objects are literal values
of those kinds. Some arguments are not expressions: a variable's `default` and `description`,
a module call's `source` and `version`, an output's `description` and a provider's `alias` are
literal (strings taken as they are); a variable's `type`, `provider`, `depends_on` and a module
call's `providers` are a type expression or references written in a string.

Every argument value is written out as the native expression it stands for, each on its own
line of the JSON file, and all of a file's values are parsed together by python-hcl2's parser
as the elements of one tuple (one parse per file, whatever its number of arguments): the
evaluator then reads them as it reads `.tf` files, with the JSON file's lines.

CDK for Terraform writes `"//": {"metadata": {"path": "stack/construct", ...}}` into every
resource body it synthesizes: that path becomes the block's construct path.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from ..documents import Node, ParseError, load_json
from .hcl import Attribute, Block, HclError, KeepTest, ParsedFile, Segment, subtrees
from .templates import _closing_brace

COMMENT = "//"

# Nested block types of the resource and data types whose nested blocks sqsguard reads (the
# others' nested blocks, if any, are read as plain object arguments, which nothing judges).
# Each maps a block type name to the nested blocks of its own body.
NESTED_BLOCKS: dict[str, dict[str, dict]] = {
    "data.aws_iam_policy_document": {"statement": {"principals": {}, "not_principals": {}, "condition": {}}},
    "aws_s3_bucket_notification": {"queue": {}, "topic": {}, "lambda_function": {}},
    "aws_iam_role": {"inline_policy": {}},
    "aws_lambda_function": {"environment": {}, "vpc_config": {}, "dead_letter_config": {}, "tracing_config": {}},
    "aws_lambda_event_source_mapping": {"filter_criteria": {"filter": {}}, "destination_config": {"on_failure": {}},
                                        "scaling_config": {}},
    "aws_pipes_pipe": {"source_parameters": {"sqs_queue_parameters": {}, "filter_criteria": {"filter": {}}},
                       "target_parameters": {"sqs_queue_parameters": {}}},
    "aws_cloudwatch_event_target": {"dead_letter_config": {}, "retry_policy": {}, "sqs_target": {},
                                    "input_transformer": {}},
    "provider.aws": {"default_tags": {}, "assume_role": {}, "ignore_tags": {}, "endpoints": {}},
}
# Blocks every resource and data block may have, and how many labels they take.
META_BLOCKS = {"lifecycle": 0, "dynamic": 1, "provisioner": 1, "connection": 0, "timeouts": 0,
               "precondition": 0, "postcondition": 0}
SKIPPED_META_BLOCKS = ("provisioner", "connection", "precondition", "postcondition")
TOP_LEVEL = {"resource": 2, "data": 2, "module": 1, "variable": 1, "output": 1, "provider": 1, "locals": 0,
             "terraform": 0, "moved": 0, "import": 0, "removed": 0, "check": 1, "ephemeral": 2}
READ_TOP_LEVEL = ("resource", "data", "module", "variable", "output", "provider", "locals")

# How the arguments of each block type are spelled in JSON, where it is not an expression.
LITERAL = "literal"  # the JSON value itself, strings not templates
RAW = "raw"  # a string holding native syntax: a type expression or a reference
EXPR = "expr"
SPECIAL: dict[str, dict[str, str]] = {
    "variable": {"default": LITERAL, "description": LITERAL, "type": RAW, "sensitive": LITERAL,
                 "nullable": LITERAL, "ephemeral": LITERAL},
    "output": {"description": LITERAL, "sensitive": LITERAL, "depends_on": RAW, "ephemeral": LITERAL},
    "module": {"source": LITERAL, "version": LITERAL, "providers": RAW, "depends_on": RAW},
    "provider": {"alias": LITERAL, "version": LITERAL},
    "resource": {"provider": RAW, "depends_on": RAW},
    "data": {"provider": RAW, "depends_on": RAW},
    "dynamic": {"iterator": RAW},
    "lifecycle": {"ignore_changes": RAW, "replace_triggered_by": RAW},
}


def parse_json_text(text: str, path: str, display: str, keep: KeepTest | None = None) -> ParsedFile:
    """One `.tf.json` file as blocks and attributes. Raises HclError (message and line)."""
    from .hcl import refuse_deep_nesting

    refuse_deep_nesting(text)  # an expression in a string nested that deep costs the HCL parser as much
    try:
        data = load_json(text)
    except ParseError as exc:
        raise HclError(exc.message, exc.line) from None
    if not isinstance(data, dict):
        raise HclError("a Terraform JSON file holds one JSON object (its top-level block types)", 1)
    reader = _Reader(display, path)
    parsed = ParsedFile(path, display)
    for block_type, value in data.items():
        if block_type == COMMENT:
            continue
        line = _key_line(data, block_type)
        if block_type not in TOP_LEVEL:
            raise HclError("%r is not a Terraform block type (Terraform refuses this file)" % block_type, line)
        if block_type not in READ_TOP_LEVEL:
            continue
        if block_type == "locals":
            for body, body_line in _bodies(value, line, "locals"):
                parsed.blocks.append(reader.block("locals", [], body, body_line, "locals", {}, attributes_only=True))
            continue
        for labels, body, body_line in _labelled(value, TOP_LEVEL[block_type], line, block_type):
            if block_type in ("resource", "data"):
                mode = "managed" if block_type == "resource" else "data"
                parsed.declared.setdefault((mode, labels[0], labels[1]), body_line)
            if keep is not None and not keep(block_type, labels):
                continue
            if block_type == "data":
                schema = NESTED_BLOCKS.get("data." + labels[0], {})
            elif block_type == "provider":
                schema = NESTED_BLOCKS.get("provider." + labels[0], {})
            elif block_type == "resource":
                schema = NESTED_BLOCKS.get(labels[0], {})
            else:
                schema = {}
            parsed.blocks.append(reader.block(block_type, labels, body, body_line, block_type, schema))
    reader.finish()
    return parsed


# --- the block structure ----------------------------------------------------------------------


def _key_line(mapping: Any, key: Any) -> int:
    if isinstance(mapping, Node):
        return mapping.span(key)[0]
    return getattr(mapping, "line", 0) or 1


def _end_line(value: Any, default: int) -> int:
    return getattr(value, "end_line", 0) or default


def _bodies(value: Any, line: int, what: str) -> Iterator[tuple[Any, int]]:
    """The bodies a property's value stands for: one object, or an array of objects."""
    if isinstance(value, dict):
        yield value, line
    elif isinstance(value, list):
        for item in value:
            if not isinstance(item, dict):
                raise HclError("%s: each element of this array must be a JSON object (a block body)" % what,
                               getattr(item, "line", 0) or line)
            yield item, getattr(item, "line", 0) or line
    else:
        raise HclError("%s: a block must be a JSON object (or an array of objects), not %s" % (what, _kind(value)), line)


def _labelled(value: Any, count: int, line: int, what: str) -> Iterator[tuple[list[str], Any, int]]:
    """(labels, body, line) of every block a block type's value stands for: one object level per
    label, each level an object or an array of objects (the general, ordered form)."""
    if count == 0:
        for body, body_line in _bodies(value, line, what):
            yield [], body, body_line
        return
    for level, level_line in _bodies(value, line, what):
        for label, inner in level.items():
            if label == COMMENT:
                continue
            inner_line = _key_line(level, label)
            for labels, body, body_line in _labelled(inner, count - 1, inner_line, "%s %r" % (what, label)):
                yield [label] + labels, body, body_line


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return "a number"
    return "an array"


def construct_path(body: Any) -> str | None:
    """CDK for Terraform's construct path, from the body's `"//": {"metadata": {"path": ...}}`."""
    comment = body.get(COMMENT) if isinstance(body, dict) else None
    metadata = comment.get("metadata") if isinstance(comment, dict) else None
    path = metadata.get("path") if isinstance(metadata, dict) else None
    return path if isinstance(path, str) and path else None


class _Reader:
    """Builds blocks, and collects every argument value as native text to parse at the end."""

    def __init__(self, display: str, path: str):
        self.display, self.path = display, path
        self.writer = _Writer()
        self.pending: list[tuple[Block, str, int, int, Any]] = []  # (block, name, line, end line, value)
        self.seg = Segment("", display, path)

    def block(self, block_type: str, labels: list[str], body: Any, line: int, kind: str, schema: dict,
              attributes_only: bool = False) -> Block:
        """A block from its JSON body. `kind` says how its arguments are spelled (`SPECIAL`),
        `schema` which of its properties are nested blocks."""
        block = Block(block_type, labels, {}, [], self.seg, line, _end_line(body, line))
        block.construct_path = construct_path(body)
        special = SPECIAL.get(kind, {})
        top = kind in ("resource", "data")
        for name, value in body.items():
            if name == COMMENT:
                continue
            name_line = _key_line(body, name)
            if kind == "dynamic" and name == "content":
                target = schema.get(labels[0], {}) if labels else {}
                for content, content_line in _bodies(value, name_line, "content"):
                    block.blocks.append(self.block("content", [], content, content_line, labels[0] if labels else "", target))
                continue
            dynamic = name == "dynamic" and kind not in ("dynamic", "module", "variable", "output", "locals")  # a module input may be named so
            if not attributes_only and (name in schema or dynamic or (top and name in META_BLOCKS)):
                self._nested(block, name, value, name_line, schema)
                continue
            if kind in ("variable", "output") and name in ("validation", "precondition"):
                continue
            mode = special.get(name, EXPR)
            self.writer.add(value, mode, name_line)
            end = body.span(name)[1] if isinstance(body, Node) else name_line
            self.pending.append((block, name, name_line, max(end, name_line), value))
        return block

    def _nested(self, parent: Block, name: str, value: Any, line: int, schema: dict) -> None:
        if name in SKIPPED_META_BLOCKS:
            return
        if name == "dynamic":
            for labels, body, body_line in _labelled(value, 1, line, "dynamic"):
                parent.blocks.append(self.block("dynamic", labels, body, body_line, "dynamic", schema))
            return
        labels_count = 0 if name in schema else META_BLOCKS.get(name, 0)
        for labels, body, body_line in _labelled(value, labels_count, line, name):
            parent.blocks.append(self.block(name, labels, body, body_line, name, schema.get(name, {})))

    def finish(self) -> None:
        """Parse every argument value at once, and attach them to their blocks."""
        if not self.pending:
            return
        text = self.writer.text()
        self.seg.text = text
        exprs = _parse_values(text, len(self.pending))
        if exprs is None:  # find the value python-hcl2 cannot read, for its line
            for block, name, line, end, value in self.pending:
                single = _Writer()
                single.add(value, _mode_of(block, name), line)
                if _parse_values(single.text(), 1) is None:
                    raise HclError("%s: invalid expression in this argument's value" % name, line)
            raise HclError("invalid expressions in this file", None)
        for (block, name, line, end, _), expr in zip(self.pending, exprs):
            block.attributes[name] = Attribute(name, expr, self.seg, line, end)


def _mode_of(block: Block, name: str) -> str:
    return SPECIAL.get(block.type, {}).get(name, EXPR)


def _parse_values(text: str, count: int) -> list | None:
    from .hcl import _parse_tree

    try:
        tree = _parse_tree(text)
        expr = tree.children[0].children[0].children[-1]
        elements = subtrees(subtrees(expr)[0])
    except Exception:
        return None
    return elements if len(elements) == count else None


# --- values as native syntax ------------------------------------------------------------------

_MARK = re.compile(r"\$\$\{|%%\{|\$\{|%\{")
_ESCAPE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f]')


def _escape(text: str) -> str:
    return _NEEDS_ESCAPE.sub(lambda m: _ESCAPE.get(m.group(0)) or "\\u%04x" % ord(m.group(0)), text)


class _Writer:
    """Native syntax for JSON values, one tuple element per argument, each on its JSON line."""

    def __init__(self) -> None:
        self.parts: list[str] = ["x = ["]
        self.line = 1

    def text(self) -> str:
        return "".join(self.parts) + "\n]\n"

    def goto(self, line: int) -> None:
        if line > self.line:
            self.parts.append("\n" * (line - self.line))
            self.line = line

    def add(self, value: Any, mode: str, line: int) -> None:
        self.goto(line)
        self.value(value, mode, line)
        self.parts.append(",")

    def value(self, value: Any, mode: str, line: int) -> None:
        out = self.parts
        if isinstance(value, bool):
            out.append("true" if value else "false")
        elif value is None:
            out.append("null")
        elif isinstance(value, (int, float)):
            out.append(repr(value) if isinstance(value, int) else _float(value))
        elif isinstance(value, str):
            if mode == RAW:
                out.append(" ".join(value.splitlines()) or '""')
            elif mode == LITERAL:
                out.append('"%s"' % _escape(value).replace("${", "$${").replace("%{", "%%{"))
            else:
                out.append(_template(value, line))
        elif isinstance(value, list):
            out.append("[")
            for item in value:
                self.goto(getattr(item, "line", 0) or self.line)
                self.value(item, mode, self.line)
                out.append(",")
            out.append("]")
        elif isinstance(value, dict):
            out.append("{")
            for key, item in value.items():
                key_line = _key_line(value, key) if isinstance(value, Node) else self.line
                self.goto(key_line)
                if mode == RAW:
                    out.append(str(key))
                else:
                    out.append('"%s"' % _escape(str(key)).replace("${", "$${").replace("%{", "%%{")
                               if mode == LITERAL else _template(str(key), self.line))
                out.append(" = ")
                self.value(item, mode, self.line)
                out.append(",")
            out.append("}")
        else:
            raise HclError("unexpected JSON value %r" % (value,), line)


def _float(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        raise HclError("a number that is not finite", None)
    return repr(value)


def _template(text: str, line: int) -> str:
    """A JSON string read as a string template, as a native quoted template: literal text
    escaped, `${...}` and `%{...}` sequences kept (their newlines, which a quoted template
    cannot hold outside strings, become spaces)."""
    out = ['"']
    pos = 0
    while True:
        m = _MARK.search(text, pos)
        if m is None:
            out.append(_escape(text[pos:]))
            break
        out.append(_escape(text[pos : m.start()]))
        mark = m.group(0)
        if mark in ("$${", "%%{"):
            out.append(mark)
            pos = m.end()
            continue
        end = _closing_brace(text, m.end())
        if end is None:
            raise HclError("an unclosed %s in a string template" % mark, line)
        out.append(mark + text[m.end() : end].replace("\r", " ").replace("\n", " ") + "}")
        pos = end + 1
    out.append('"')
    return "".join(out)


__all__ = ["parse_json_text", "construct_path", "NESTED_BLOCKS"]
