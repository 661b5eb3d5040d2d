"""CloudFormation intrinsic functions, evaluated as far as static reading allows.

`Resolver(template, ...).resolve(node)` turns a property tree into model values: strings,
numbers, lists and dicts where the template is literal or a parameter has a value; a
`ResourceRef` for `Ref`/`Fn::GetAtt` of a resource in the template; a `Conditional` for
`Fn::If` (both branches kept); `Unresolved` for what only deployment knows (`Fn::ImportValue`,
parameters without a value, SSM parameter types, unknown tags). Pseudo parameters stay
symbolic (`${AWS::AccountId}`), and `AWS::NoValue` is `None` ("not set").
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from ..model import Concat, Conditional, ResourceRef, Unresolved, concat, known_non_empty
from .documents import Node, NodeList

PSEUDO = {
    "AWS::AccountId",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackName",
    "AWS::StackId",
    "AWS::URLSuffix",
    "AWS::NotificationARNs",
}

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
_MAX_DEPTH = 64


def is_intrinsic(node: Any) -> bool:
    if not isinstance(node, dict) or len(node) != 1:
        return False
    (key,) = node
    return isinstance(key, str) and (
        key == "Ref" or key.startswith("Fn::") or key.startswith("!") or key == "Condition"
    )


def show(node: Any, limit: int = 120) -> str:
    """An expression as a user would write it in YAML: `!Ref X`, `!GetAtt A.B`, `!Sub '...'`."""
    text = _show(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(node: Any) -> str:
    if is_intrinsic(node):
        ((key, arg),) = node.items()
        tag = "!" + key[4:] if key.startswith("Fn::") else ("!" + key if key[0] != "!" else key)
        if key == "Fn::GetAtt" and isinstance(arg, list) and all(isinstance(a, str) for a in arg):
            return "!GetAtt %s" % ".".join(arg)
        if isinstance(arg, str):
            return "%s %s" % (tag, arg if key in ("Ref", "Fn::ImportValue") else json.dumps(arg))
        return "%s %s" % (tag, _show(arg))
    if isinstance(node, dict):
        return "{%s}" % ", ".join("%s: %s" % (k, _show(v)) for k, v in node.items())
    if isinstance(node, list):
        return "[%s]" % ", ".join(_show(v) for v in node)
    if isinstance(node, str):
        return node
    if isinstance(node, Unresolved):  # a value a format's own variables left unknown (Serverless)
        return node.expr
    if isinstance(node, Conditional):
        return "(%s ? %s : %s)" % (node.condition, _show(node.if_true), _show(node.if_false))
    return json.dumps(node)


class Resolver:
    """Evaluates intrinsics within one template (one scan unit)."""

    def __init__(
        self,
        template: dict,
        unit: str,
        parameter_values: dict[str, Any] | None = None,
        stack_output: Any = None,
        given_by: str | None = None,
    ):
        """`stack_output(logical_id, name)`: the value of a nested stack's output
        (`!GetAtt Child.Outputs.Name`), or None when that resource is not a stack read from
        disk. `given_by`: how messages name a given parameter value (`%s` is its name), when
        the values are not from --parameter (a parent template's)."""
        self.unit = unit
        self._stack_output = stack_output
        self._given_by = given_by
        self.resources = template.get("Resources") if isinstance(template, dict) else None
        if not isinstance(self.resources, dict):
            self.resources = {}
        mappings = template.get("Mappings") if isinstance(template, dict) else None
        self.mappings = mappings if isinstance(mappings, dict) else {}
        params = template.get("Parameters") if isinstance(template, dict) else None
        self._specs = params if isinstance(params, dict) else {}
        self._given = parameter_values or {}
        self.parameters: dict[str, Any] = {}
        for name, spec in (params or {}).items() if isinstance(params, dict) else ():
            self.parameters[name] = self._parameter(name, spec, parameter_values or {})
        conditions = template.get("Conditions") if isinstance(template, dict) else None
        self.conditions = conditions if isinstance(conditions, dict) else {}
        from .conditions import ConditionSpace

        self.space = ConditionSpace(self.conditions, params, parameter_values or {}, self.resolve)

    # -- parameters --------------------------------------------------------------------------

    def _parameter(self, name: str, spec: Any, given: dict[str, Any]) -> Any:
        spec = spec if isinstance(spec, dict) else {}
        ptype = str(spec.get("Type", "String"))
        expr = "!Ref %s" % name
        if name in given:
            value = given[name]
            if not isinstance(value, str):
                return value  # already a model value (a nested stack's parameter)
        elif "Default" in spec:
            value = spec["Default"]
            if ptype.startswith("AWS::SSM::Parameter::Value"):
                return Unresolved(
                    expr,
                    "parameter %s is read from SSM parameter %s at deploy time" % (name, value),
                )
        else:
            return Unresolved(
                expr,
                "parameter %s has no Default; pass --parameter %s=VALUE" % (name, name),
            )
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if ptype.startswith("List<") or ptype == "CommaDelimitedList":
            if isinstance(value, str):
                return [item.strip() for item in value.split(",")]
        return value

    def origin(self, node: Any, file: str) -> str:
        """Where the value of `!Ref Parameter` was set: --parameter, or the parameter's Default."""
        if not (isinstance(node, dict) and list(node) == ["Ref"] and node["Ref"] in self._specs):
            return ""
        name = node["Ref"]
        if name in self._given:
            given = self._given[name]
            if self._given_by:
                return self._given_by % name
            return "--parameter %s" % name if isinstance(given, str) else "the parent stack's value for %s" % name
        spec = self._specs[name]
        if isinstance(spec, dict) and str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
            return ""  # the Default names an SSM parameter, not the value
        if isinstance(spec, dict) and "Default" in spec:
            line = spec.span("Default")[0] if hasattr(spec, "span") else 0
            return "the Default of parameter %s%s" % (name, " at line %d" % line if line else "")
        return ""

    # -- evaluation --------------------------------------------------------------------------

    def resolve(self, node: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            return Unresolved(show(node), "expression nested too deeply")
        if is_intrinsic(node):
            return self._intrinsic(node, depth + 1)
        if isinstance(node, dict):
            out = Node()
            _keep_marks(node, out)
            for key, value in node.items():
                resolved = self.resolve(value, depth + 1)
                if resolved is not None:
                    out[key] = resolved
            return out
        if isinstance(node, list):
            seq = NodeList()
            _keep_marks(node, seq)
            for value in node:
                resolved = self.resolve(value, depth + 1)
                if resolved is not None:
                    seq.append(resolved)
            return seq
        return node

    def _intrinsic(self, node: dict, depth: int) -> Any:
        ((key, arg),) = node.items()
        expr = show(node)
        if key == "Ref":
            return self._ref(arg, expr)
        if key == "Fn::GetAtt":
            return self._getatt(arg, expr, depth)
        if key == "Fn::Sub":
            return self._sub(arg, expr, depth)
        if key == "Fn::Join":
            return self._join(arg, expr, depth)
        if key == "Fn::If":
            if isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str):
                return Conditional(
                    arg[0],
                    self._branch(arg[0], True, arg[1], depth),
                    self._branch(arg[0], False, arg[2], depth),
                    self.space,
                )
            return Unresolved(expr, "malformed Fn::If")
        if key == "Fn::Select":
            return self._select(arg, expr, depth)
        if key == "Fn::Split":
            return self._split(arg, expr, depth)
        if key == "Fn::FindInMap":
            return self._find_in_map(arg, expr, depth)
        if key == "Fn::ImportValue":
            return Unresolved(expr, "the value is imported from another stack's export")
        if key.startswith("!"):
            return Unresolved(expr, "the tag %s is not a CloudFormation intrinsic" % key)
        return Unresolved(expr, "%s is not evaluated statically" % key)

    # -- conditions --------------------------------------------------------------------------
    #
    # Both branches of an Fn::If are judged. A branch whose condition contradicts the parameter
    # values in hand (defaults or --parameter) is taken only when those parameters have other
    # values, so inside it they are not known: `!If [HasKey, !Ref KeyArn, ...]` with KeyArn's
    # default "" does not mean "no key" when HasKey is true.

    def _branch(self, condition: str, taken: bool, node: Any, depth: int) -> Any:
        known = self.evaluate_condition(condition)
        if known is None or known == taken:
            return self.resolve(node, depth)
        saved = dict(self.parameters)
        for name in self._condition_parameters(condition, set()):
            self.parameters[name] = Unresolved(
                "!Ref %s" % name,
                "parameter %s has another value than %s whenever %s is %s"
                % (name, _brief(saved[name]), condition, "true" if taken else "false"),
            )
        try:
            return self.resolve(node, depth)
        finally:
            self.parameters = saved

    def evaluate_condition(self, name: str, seen: frozenset = frozenset()) -> bool | None:
        """A condition's truth under the parameter values in hand; None when not known."""
        if name in seen or name not in self.conditions:
            return None
        return self._truth(self.conditions[name], seen | {name})

    def _truth(self, node: Any, seen: frozenset) -> bool | None:
        if not isinstance(node, dict) or len(node) != 1:
            return None
        ((key, arg),) = node.items()
        if key == "Condition" and isinstance(arg, str):
            return self.evaluate_condition(arg, seen)
        if key == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            left, right = (self.resolve(a) for a in arg)
            if isinstance(left, (str, int, float, bool)) and isinstance(right, (str, int, float, bool)):
                return str(left) == str(right)
            if (left == "" and known_non_empty(right)) or (right == "" and known_non_empty(left)):
                return False  # a resource's identifier is never empty
            return None
        if key == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
            inner = self._truth(arg[0], seen)
            return None if inner is None else not inner
        if key in ("Fn::And", "Fn::Or") and isinstance(arg, list):
            values = [self._truth(a, seen) for a in arg]
            if key == "Fn::And":
                return False if False in values else (None if None in values else True)
            return True if True in values else (None if None in values else False)
        return None

    def _condition_parameters(self, name: str, seen: set) -> set[str]:
        if name in seen or name not in self.conditions:
            return set()
        seen.add(name)
        found: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "Ref" and isinstance(value, str) and value in self.parameters:
                        found.add(value)
                    elif key == "Condition" and isinstance(value, str):
                        found.update(self._condition_parameters(value, seen))
                    else:
                        walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.conditions[name])
        return found

    def _ref(self, name: Any, expr: str) -> Any:
        if not isinstance(name, str):
            return Unresolved(expr, "Ref of a computed name")
        if name == "AWS::NoValue":
            return None
        if name in PSEUDO:
            return "${%s}" % name
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return ResourceRef(self.unit, name, None, expr)
        return Unresolved(expr, "no parameter or resource named %s in this template" % name)

    def _getatt(self, arg: Any, expr: str, depth: int) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str):
            return Unresolved(expr, "malformed Fn::GetAtt")
        attribute = self.resolve(arg[1], depth)
        if not isinstance(attribute, str):
            return Unresolved(expr, "Fn::GetAtt of a computed attribute")
        if arg[0] not in self.resources:
            return Unresolved(expr, "no resource named %s in this template" % arg[0])
        if self._stack_output is not None and attribute.startswith("Outputs."):
            value = self._stack_output(arg[0], attribute[len("Outputs."):])
            if value is not None:
                return value
        return ResourceRef(self.unit, arg[0], attribute, expr)

    def _sub(self, arg: Any, expr: str, depth: int) -> Any:
        variables: dict = {}
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            arg, variables = arg
        if not isinstance(arg, str):
            return Unresolved(expr, "malformed Fn::Sub")
        parts: list = []
        pos = 0
        for match in _SUB_VAR.finditer(arg):
            parts.append(arg[pos : match.start()])
            pos = match.end()
            name = match.group(1).strip()
            if name.startswith("!"):
                parts.append("${%s}" % name[1:])
            elif name in variables:
                parts.append(self.resolve(variables[name], depth))
            elif "." in name and name.split(".", 1)[0] in self.resources:
                parts.append(self._getatt(name, "!GetAtt %s" % name, depth))
            else:
                parts.append(self._ref(name, "!Ref %s" % name))
        parts.append(arg[pos:])
        return concat(parts)

    def _join(self, arg: Any, expr: str, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unresolved(expr, "malformed Fn::Join")
        delimiter = self.resolve(arg[0], depth)
        items = self.resolve(arg[1], depth)
        if not isinstance(delimiter, str):
            return Unresolved(expr, "Fn::Join with a computed delimiter")
        return _lift(items, lambda seq: _join_list(delimiter, seq, expr))

    def _select(self, arg: Any, expr: str, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unresolved(expr, "malformed Fn::Select")
        index = self.resolve(arg[0], depth)
        items = self.resolve(arg[1], depth)
        try:
            index = int(index)
        except (TypeError, ValueError):
            return Unresolved(expr, "Fn::Select with a computed index")

        def pick(seq: Any) -> Any:
            if isinstance(seq, list) and 0 <= index < len(seq):
                return seq[index]
            return Unresolved(expr, "Fn::Select from a list that is not known")

        return _lift(items, pick)

    def _split(self, arg: Any, expr: str, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unresolved(expr, "malformed Fn::Split")
        delimiter = self.resolve(arg[0], depth)
        source = self.resolve(arg[1], depth)
        if not isinstance(delimiter, str) or not delimiter:
            return Unresolved(expr, "Fn::Split with a computed delimiter")

        def split(text: Any) -> Any:
            if isinstance(text, str):
                return text.split(delimiter)
            return Unresolved(expr, "Fn::Split of a value that is not known")

        return _lift(source, split)

    def _find_in_map(self, arg: Any, expr: str, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) < 3:
            return Unresolved(expr, "malformed Fn::FindInMap")
        keys = [self.resolve(a, depth) for a in arg[:3]]
        if not all(isinstance(k, str) for k in keys):
            return Unresolved(expr, "Fn::FindInMap with a key that is not known")
        try:
            value = self.mappings[keys[0]][keys[1]][keys[2]]
        except (KeyError, TypeError):
            if len(arg) > 3 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                return self.resolve(arg[3]["DefaultValue"], depth)
            return Unresolved(expr, "no such entry in Mappings")
        return self.resolve(value, depth)


def _brief(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    return "its value here"


def _keep_marks(src: Any, dst: Any) -> None:
    for attr in ("line", "end_line", "key_lines"):
        if hasattr(src, attr):
            setattr(dst, attr, getattr(src, attr))


def _lift(value: Any, fn: Any) -> Any:
    """Apply fn to a value, through any Conditional around it."""
    if isinstance(value, Conditional):
        return replace(value, if_true=_lift(value.if_true, fn), if_false=_lift(value.if_false, fn))
    return fn(value)


def _join_list(delimiter: str, items: Any, expr: str) -> Any:
    if not isinstance(items, list):
        if isinstance(items, Unresolved):
            return items
        return Unresolved(expr, "Fn::Join of a list that is not known")
    parts: list = []
    for i, item in enumerate(items):
        if i:
            parts.append(delimiter)
        if isinstance(item, list):
            return Unresolved(expr, "Fn::Join of nested lists")
        parts.append(item)
    return concat(parts)


__all__ = ["Resolver", "show", "is_intrinsic", "Concat"]
