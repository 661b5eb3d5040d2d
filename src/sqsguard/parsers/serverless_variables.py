"""Serverless Framework variables (`${source:address, fallback}`), evaluated as far as static
reading allows.

Known without deploying: `self:` (any property of the service file, `custom:` included),
`sls:stage`, `aws:region` and `aws:accountId` (kept symbolic, as `${AWS::AccountId}`),
`opt:` from `--parameter NAME=VALUE` or the variable's fallback, `env:` from its fallback only
(the scanner's own environment is never read), `param:` from the file's `params` section, and
`file(...)` of a YAML or JSON file inside the service directory. Everything else (`ssm:`, `s3:`,
`cf:`, `sm:`, JavaScript files, plugin sources) becomes `Unresolved`, naming the variable.

Variables nest (`${self:custom.keys.${sls:stage}}`): the inner ones are evaluated first. Text
that is not a Serverless variable (`${AWS::Region}`, `${Queue.Arn}` inside `Fn::Sub`) is left
as written, as Serverless does since v2.3.
"""

from __future__ import annotations

import os
import re
from typing import Any

from .. import inputs
from ..findings import ScanError
from ..model import OWN_ACCOUNT, Conditional, InstanceChoice, Unresolved
from ..model import _copy_marks  # positions a copy keeps (the model's own choose() keeps them so)
from .documents import Node, NodeList, ParseError, load_json, load_yaml

# A Serverless variable names a source (`self:`, `file(...)`, `cf.us-east-1:`); a CloudFormation
# pseudo parameter (`AWS::Region`) or a Sub reference (`Queue.Arn`, `Param`) does not.
_SOURCE = re.compile(r"\s*([A-Za-z][\w.-]*)\s*(\(|:(?!:))")
_MAX_DEPTH = 64
SCRIPT_SUFFIXES = (".js", ".cjs", ".mjs", ".ts")
# Sources whose fallback is what the deployment gets when nothing is given (like a parameter's
# default); a remote source's fallback applies only when the remote value is missing.
_INPUT_SOURCES = ("opt", "env")


class _Missing:
    """A property or input that is certainly absent: a fallback applies."""

    def __init__(self, reason: str):
        self.reason = reason


class Variables:
    """Evaluates the variables of one service file. `problems` collects what the scan must
    report (a `${file(...)}` that cannot be read); `origins` records, by line of the service
    file, which variable set a value there, for messages."""

    def __init__(self, root: Any, display: str, path: str, given: dict[str, Any], limit: int | None, text: str = ""):
        self.root = root
        self.lines = text.splitlines()
        self.display = display
        self.path = os.path.abspath(path)
        self.directory = os.path.dirname(self.path)
        self.given = given
        self.limit = limit
        self.problems: list[ScanError] = []
        self.written: dict[int, tuple[Any, str, str]] = {}
        self._active: set = set()
        self._files: dict[str, Any] = {}
        self._said: set[int] = set()
        self._depth = 0

    # -- trees -------------------------------------------------------------------------------

    def tree(self, node: Any, here: str | None = None, span: tuple[int, int] | None = None) -> Any:
        """A copy of `node` with every variable evaluated. `here`: the file whose `file(...)`
        references are relative to (the service file by default)."""
        here = here or self.path
        if self._depth > _MAX_DEPTH:
            return Unresolved("...", "variables nested too deeply")
        self._depth += 1
        try:
            if isinstance(node, dict):
                out = Node()
                _copy_marks(node, out)
                for key, value in node.items():
                    item_span = node.span(key) if isinstance(node, Node) else span
                    out[key] = self._member(value, here, item_span, key)
                return out
            if isinstance(node, list):
                seq = NodeList()
                _copy_marks(node, seq)
                cursor = getattr(node, "line", 0)
                for value in node:
                    if isinstance(value, (dict, list)):
                        item_span = (getattr(value, "line", 0), getattr(value, "end_line", 0))
                        cursor = item_span[1] or cursor
                    else:
                        found = self._line_of_item(value, cursor, getattr(node, "end_line", 0), here)
                        item_span, cursor = ((found, found), found) if found else (span, cursor)
                    seq.append(self._member(value, here, item_span))
                return seq
            if isinstance(node, str):
                value, origin = self.text(node, here, span)
                return value
            return node
        finally:
            self._depth -= 1

    def _line_of_item(self, value: Any, first: int, last: int, here: str) -> int:
        """The line of a scalar list item (the loader keeps positions of collections only):
        the first line from `first` on that holds its text."""
        if here != self.path or not isinstance(value, str) or not first or not self.lines:
            return 0
        for number in range(first, min(last or first, len(self.lines)) + 1):
            if value in self.lines[number - 1]:
                return number
        return 0

    def _member(self, value: Any, here: str, span: tuple[int, int] | None, key: Any = None) -> Any:
        if not isinstance(value, str):
            return self.tree(value, here, span)
        resolved, origin = self.text(value, here, span)
        if span and span[0] and here == self.path and "${" in value and resolved != value:
            self.written.setdefault(span[0], (key, value, origin))
        return resolved

    # -- text --------------------------------------------------------------------------------

    def text(self, text: str, here: str, span: tuple[int, int] | None) -> tuple[Any, str]:
        """The value of a string: itself without variables, the variable's value (any type)
        when the string is one variable, else the text with every variable replaced."""
        pieces = _split(text)
        if len(pieces) == 1 and isinstance(pieces[0], tuple):
            inner = pieces[0][0]
            value, origin = self._variable(inner, here, span)
            if isinstance(value, _Missing):
                return Unresolved(text, value.reason), ""
            return value, origin
        if not any(isinstance(p, tuple) for p in pieces):
            return text, ""
        parts: list[str] = []
        origins = []
        for piece in pieces:
            if isinstance(piece, str):
                parts.append(piece)
                continue
            value, origin = self._variable(piece[0], here, span)
            if isinstance(value, _Missing):
                return Unresolved(text, value.reason), ""
            if isinstance(value, Unresolved):
                return Unresolved(text, value.reason, value.reported), ""
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, (int, float)):
                value = str(value)
            if not isinstance(value, str):
                return Unresolved(text, "${%s} is not text and cannot be part of a string" % piece[0]), ""
            parts.append(value)
            if origin:
                origins.append(origin)
        return "".join(parts), "; ".join(origins)

    def _variable(self, content: str, here: str, span: tuple[int, int] | None) -> tuple[Any, str]:
        """`content` is what is between `${` and `}`. Nested variables first."""
        written = "${%s}" % content
        if "${" in content:
            expanded, _ = self.text(content, here, span)
            if isinstance(expanded, Unresolved):
                return Unresolved(written, expanded.reason, expanded.reported), ""
            if not isinstance(expanded, str):
                return Unresolved(written, "a nested variable is not text"), ""
            content = expanded
        if not _SOURCE.match(content):
            return written, ""  # not a Serverless variable: CloudFormation's, kept as written
        options = _top_level_split(content)
        primary, fallbacks = options[0].strip(), [o.strip() for o in options[1:]]
        value, origin = self._source(primary, here, span, written)
        if not fallbacks:
            return self._settled(value, written), origin
        source = _SOURCE.match(primary).group(1) if _SOURCE.match(primary) else ""
        usable = isinstance(value, _Missing) or (isinstance(value, Unresolved) and source in _INPUT_SOURCES and not value.reported)
        if not usable:
            if isinstance(value, Unresolved) and not value.reported:
                # A remote value with a fallback: either may be deployed, and both are judged.
                unknown = Unresolved(written, value.reason)
                for fallback in fallbacks:
                    found, _ = self._fallback(fallback, here, span)
                    if isinstance(found, (str, int, float, bool)):
                        missing = _brief(primary)
                        condition = InstanceChoice("%s is missing" % missing, "%s has no value" % missing, "%s has a value" % missing)
                        return Conditional(condition, found, unknown), ""
                    if not isinstance(found, _Missing):
                        break
                return unknown, ""
            return value, origin
        for fallback in fallbacks:
            found, fallback_origin = self._fallback(fallback, here, span)
            if isinstance(found, _Missing):
                continue
            if isinstance(found, Unresolved):
                return Unresolved(written, found.reason, found.reported), ""
            return found, "the fallback of %s%s" % (written, ", " + fallback_origin if fallback_origin else "")
        return self._settled(value, written), ""

    def _settled(self, value: Any, written: str) -> Any:
        """A value with no fallback left: what is missing cannot be known; a file() of a file
        that does not exist is also an error of the scan (said once per file)."""
        if not isinstance(value, _Missing):
            return value
        problem = getattr(value, "problem", None)
        if problem is None:
            return Unresolved(written, value.reason)
        if id(value) in self._said:
            return Unresolved(written, value.reason, reported=True)
        self._said.add(id(value))
        return self._problem(written, problem[0], problem[1])

    def _fallback(self, text: str, here: str, span: tuple[int, int] | None) -> tuple[Any, str]:
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            return text[1:-1], ""
        if re.fullmatch(r"-?\d+", text):
            return int(text), ""
        if re.fullmatch(r"-?\d+\.\d+", text):
            return float(text), ""
        if text in ("true", "false"):
            return text == "true", ""
        if text in ("null", "~"):
            return _Missing("the fallback is null"), ""
        if _SOURCE.match(text):
            return self._source(text, here, span, "${%s}" % text)
        return text, ""  # an unquoted literal

    # -- sources -----------------------------------------------------------------------------

    def _source(self, text: str, here: str, span: tuple[int, int] | None, written: str) -> tuple[Any, str]:
        match = _SOURCE.match(text)
        if match is None:
            return Unresolved(written, "not a variable sqsguard can read"), ""
        name = match.group(1)
        if match.group(2) == "(":
            close = text.find(")", match.end())
            if close < 0:
                return Unresolved(written, "malformed variable (no closing parenthesis)"), ""
            argument = text[match.end() : close].strip().strip("'\"")
            address = text[close + 1 :].lstrip()
            address = address[1:].strip() if address.startswith(":") else ""
        else:
            argument, address = "", text[match.end() :].strip()
        base = name.split(".", 1)[0]
        if base == "self":
            return self._self(address, written)
        if base == "file":
            return self._file(argument, address, here, span, written)
        if base == "opt":
            if address in self.given:
                return self.given[address], "--parameter %s" % address
            return Unresolved(written, "the CLI option --%s is given at deploy time (pass --parameter %s=VALUE)" % (address, address)), ""
        if base == "env":
            return Unresolved(written, "the environment variable %s is read at deploy time" % address), ""
        if base == "sls":
            if address == "stage":
                return self.stage()
            return Unresolved(written, "${sls:%s} is known only at deploy time" % address), ""
        if base == "aws":
            if address == "accountId":
                return OWN_ACCOUNT, ""
            if address == "region":
                return self.region()
            return Unresolved(written, "${aws:%s} is known only at deploy time" % address), ""
        if base == "param":
            return self._param(address, written)
        if base == "strToBool":
            value = argument.strip().lower()
            if value in ("true", "false", "0", "1"):
                return value in ("true", "1"), ""
            return Unresolved(written, "strToBool of a value that is not known"), ""
        reasons = {
            "ssm": "the SSM parameter %s is read at deploy time",
            "s3": "the S3 object %s is read at deploy time",
            "cf": "the output %s of another CloudFormation stack is read at deploy time",
            "sm": "the secret %s is read from Secrets Manager at deploy time",
            "git": "${git:%s} is read from the repository at deploy time",
        }
        if base in reasons:
            return Unresolved(written, reasons[base] % (address or argument)), ""
        return Unresolved(written, "the variable source %s: is not read statically (a plugin's, or newer than sqsguard)" % name), ""

    def stage(self) -> tuple[Any, str]:
        if "stage" in self.given:
            return self.given["stage"], "--parameter stage"
        written = self._provider_value("stage")
        if written is not None:
            return written, "provider.stage"
        return "dev", "the default stage dev (no --parameter stage, no provider.stage)"

    def region(self) -> tuple[Any, str]:
        if "region" in self.given:
            return self.given["region"], "--parameter region"
        written = self._provider_value("region")
        if written is not None:
            return written, "provider.region"
        return "us-east-1", "the default region us-east-1 (no --parameter region, no provider.region)"

    def _provider_value(self, name: str) -> Any:
        provider = self.root.get("provider") if isinstance(self.root, dict) else None
        if not isinstance(provider, dict) or name not in provider:
            return None
        value, _ = self._self("provider." + name, "${self:provider.%s}" % name)
        return value if not isinstance(value, _Missing) else None

    def _param(self, address: str, written: str) -> tuple[Any, str]:
        params = self.root.get("params") if isinstance(self.root, dict) else None
        if isinstance(params, dict):
            stage, _ = self.stage()
            for group in ([stage] if isinstance(stage, str) else []) + ["default"]:
                values = params.get(group)
                if isinstance(values, dict) and address in values:
                    return self._self("params.%s.%s" % (group, address), written)
        return Unresolved(written, "the parameter %s is not in the params section (a Serverless Dashboard parameter?)" % address), ""

    def _self(self, address: str, written: str) -> tuple[Any, str]:
        keys = [k for k in address.split(".")] if address else []
        path = tuple(keys)
        if path in self._active:
            return Unresolved(written, "%s refers to itself" % written), ""
        self._active.add(path)
        try:
            node: Any = self.root
            for index, key in enumerate(keys):
                if isinstance(node, str) and "${" in node:
                    node, _ = self.text(node, self.path, None)
                if isinstance(node, Unresolved):
                    return Unresolved(written, node.reason, node.reported), ""
                if isinstance(node, dict) and key in node:
                    node = node[key]
                elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                    node = node[int(key)]
                else:
                    return _Missing("the service file has no %s" % ".".join(keys[: index + 1])), ""
            where = self._line_of(keys)
            value = self.tree(node)
            if isinstance(value, Unresolved):
                return Unresolved(written, value.reason, value.reported), ""
            return value, "%s%s" % (address or "the service file", " at line %d" % where if where else "")
        finally:
            self._active.discard(path)

    def _line_of(self, keys: list[str]) -> int:
        node: Any = self.root
        line = 0
        for key in keys:
            if isinstance(node, Node) and key in node:
                line = node.span(key)[0]
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return 0
        return line

    # -- files -------------------------------------------------------------------------------

    def _file(self, argument: str, address: str, here: str, span: tuple[int, int] | None, written: str) -> tuple[Any, str]:
        if not argument:
            return Unresolved(written, "file() without a path"), ""
        target = os.path.normpath(os.path.join(os.path.dirname(here), argument))
        shown = os.path.relpath(target, self.directory).replace(os.sep, "/")
        line = span[0] if span else None
        if not _inside(target, self.directory):
            return self._problem(written, line, "%s reads %s, outside the service directory; not read" % (written, argument)), ""
        if target.endswith(SCRIPT_SUFFIXES):
            return Unresolved(written, "%s is JavaScript, which sqsguard does not run" % shown), ""
        loaded = self._load(target, shown, line, written)
        if isinstance(loaded, (Unresolved, _Missing)):
            return loaded, ""
        node: Any = loaded
        for key in [k for k in address.split(".") if k] if address else []:
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return _Missing("%s has no %s" % (shown, address)), ""
        value = self.tree(node, target)
        if isinstance(value, Unresolved):
            return Unresolved(written, value.reason, value.reported), ""
        if span and isinstance(value, (dict, list)):
            value = _relocate(value, span)  # findings point at the line that includes it
        return value, "%s%s" % (shown, ":" + address if address else "")

    def _load(self, target: str, shown: str, line: int | None, written: str) -> Any:
        if target in self._files:
            return self._files[target]
        try:
            if not inputs.isfile(target):
                raise FileNotFoundError
            data = inputs.read_bytes(target, self.limit)
        except OSError:
            found: Any = _Missing("%s does not exist" % shown)
            found.problem = (line, "%s: the file %s does not exist (looked in %s)" % (written, shown, os.path.join(os.path.dirname(self.display), os.path.dirname(shown)).replace(os.sep, "/").rstrip("/") or "."))
            self._files[target] = found
            return found
        if self.limit is not None and len(data) > self.limit:
            found = self._problem(written, line, "%s: %s is larger than the file size limit; not read" % (written, shown))
        else:
            found = self._parse(data, target, shown, written, line)
        self._files[target] = found
        return found

    def _parse(self, data: bytes, target: str, shown: str, written: str, line: int | None) -> Any:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return self._problem(written, line, "%s: %s is not UTF-8 text" % (written, shown))
        try:
            if target.endswith(".json"):
                return load_json(text)
            if target.endswith((".yml", ".yaml")):
                return load_yaml(text)
        except ParseError as exc:
            display = os.path.join(os.path.dirname(self.display), shown).replace(os.sep, "/") if os.path.dirname(self.display) else shown
            self.problems.append(ScanError(display, exc.line, "%s (read through %s at %s line %s)" % (exc.message, written, self.display, line or "?")))
            return Unresolved(written, "%s cannot be read" % shown, reported=True)
        return Unresolved(written, "%s is not a YAML or JSON file" % shown)

    def _problem(self, written: str, line: int | None, message: str) -> Unresolved:
        self.problems.append(ScanError(self.display, line, message))
        return Unresolved(written, message, reported=True)


# -- helpers -------------------------------------------------------------------------------


def _brief(variable: str) -> str:
    return "${%s}" % variable


def _inside(path: str, directory: str) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(directory)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def _split(text: str) -> list:
    """Text and variables: plain strings, and 1-tuples holding a variable's inner text."""
    pieces: list = []
    pos = 0
    start = text.find("${")
    while start >= 0:
        depth, i = 0, start + 1
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        if i >= len(text):
            break  # unbalanced: the rest is plain text
        if start > pos:
            pieces.append(text[pos:start])
        pieces.append((text[start + 2 : i],))
        pos = i + 1
        start = text.find("${", pos)
    if pos < len(text):
        pieces.append(text[pos:])
    return pieces or [""]


def _top_level_split(content: str) -> list[str]:
    """`opt:stage, 'dev'` -> the variable and its fallbacks (commas inside quotes,
    parentheses or nested braces do not split)."""
    parts, depth, quote, current = [], 0, "", []
    for char in content:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "({[":
            depth += 1
        elif char in ")}]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _relocate(value: Any, span: tuple[int, int]) -> Any:
    """The same structure, every position moved to `span` (what another file holds is found
    at the line of the service file that reads it)."""
    if isinstance(value, dict):
        out = Node()
        out.line, out.end_line = span
        out.key_lines = {}
        for key, item in value.items():
            out[key] = _relocate(item, span)
            out.key_lines[key] = span
        return out
    if isinstance(value, list):
        seq = NodeList(_relocate(item, span) for item in value)
        seq.line, seq.end_line = span
        return seq
    return value
