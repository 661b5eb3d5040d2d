"""Terraform expressions, evaluated as far as static reading allows.

`Evaluator(context).evaluate(expr, segment)` walks python-hcl2's lark tree for one expression
and returns a value (see `values.py`). The context is a module instance (`modules.py`): it
answers `var.*`, `local.*`, `module.*`, `data.*` and resource references. Anything the
evaluator does not know becomes `Unresolved(expression text, reason)`; a condition it cannot
decide becomes a `Conditional` named after the condition's text, so both branches are judged
and two settings that use the same condition stay correlated.

A value static reading cannot know (a variable without a value, a data source) is assumed to
be *set* when compared with null: `var.key != null ? null : true` takes its first branch.
That is what such code means (a module that drops one setting when the other is given), and
the value itself still reaches the rules as unverifiable.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from ...model import (
    Concat,
    Conditional,
    ResourceRef,
    Unresolved,
    known_non_empty,
    render,
)
from ..documents import Node, NodeList
from . import functions
from .templates import json_document, template_items
from .hcl import HclError, Segment, name_of, subtrees
from .values import (
    MissingFile,
    EvalError,
    KnownPositive,
    is_known,
    join_text,
    lift,
    mark,
    to_text,
)

MAX_DEPTH = 200
MAX_ITEMS = 10_000  # elements a for-expression or range() may build

TRAVERSALS = ("get_attr_expr_term", "index_expr_term", "attr_splat_expr_term", "full_splat_expr_term")


class Context(Protocol):
    unit: str
    prefix: str

    def variable(self, name: str, text: str) -> Any: ...

    def local(self, name: str, text: str) -> Any: ...

    def module_output(self, call: str, output: str, text: str) -> Any: ...

    def resource(self, rtype: str, name: str, text: str) -> Any: ...

    def data(self, dtype: str, name: str, index: Any, attribute: str | None, text: str) -> Any: ...

    def path(self, name: str) -> Any: ...

    def read_file(self, path: Any, text: str) -> tuple[str, str, str]: ...


class Evaluator:
    def __init__(self, context: Context, bindings: dict[str, Any] | None = None):
        self.ctx = context
        self.bindings = bindings or {}
        self.depth = 0

    def bind(self, extra: dict[str, Any]) -> "Evaluator":
        return Evaluator(self.ctx, {**self.bindings, **extra})

    def scoped(self, bindings: dict[str, Any]) -> "Evaluator":
        """The same module context with only these names bound (a templatefile()'s variables)."""
        return Evaluator(self.ctx, dict(bindings))

    # -- entry points ----------------------------------------------------------------------

    def evaluate(self, node: Any, seg: Segment) -> Any:
        """The value of an expression; Terraform errors become Unresolved (never raised)."""
        try:
            return self.eval(node, seg)
        except MissingFile as exc:
            report = getattr(self.ctx, "report_error", None)
            if report is not None:
                report(seg.file, seg.line(node), exc.message)
            return Unresolved(seg.text_of(node, 200), exc.message, reported=report is not None)
        except EvalError as exc:
            return Unresolved(seg.text_of(node, 200), exc.message)
        except HclError as exc:
            return Unresolved(seg.text_of(node, 200), exc.message)
        except RecursionError:
            return Unresolved(seg.text_of(node, 200), "the expression is nested too deeply")

    def eval(self, node: Any, seg: Segment) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise EvalError("the expression is nested too deeply")
            data = getattr(node, "data", None)
            if data is None:
                return self._token(node, seg)
            method = _DISPATCH.get(data)
            if method is None:
                return Unresolved(seg.text_of(node, 200), "this kind of expression (%s) is not evaluated" % data)
            return method(self, node, seg)
        finally:
            self.depth -= 1

    # -- literals ----------------------------------------------------------------------------

    def _token(self, token: Any, seg: Segment) -> Any:
        kind = token.type
        if kind == "INT_LITERAL":
            return int(token)
        if kind == "FLOAT_LITERAL":
            return float(token)
        if kind in ("HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM"):
            return self._heredoc(token, seg)
        return Unresolved(str(token), "unexpected token %s" % kind)

    def _expr_term(self, node: Any, seg: Segment) -> Any:
        kids = subtrees(node)
        if len(kids) == 1:
            return self.eval(kids[0], seg)
        tokens = [c for c in node.children if not hasattr(c, "data")]
        if len(tokens) == 1:
            return self._token(tokens[0], seg)
        return Unresolved(seg.text_of(node, 200), "unexpected expression")

    def _int(self, node: Any, seg: Segment) -> Any:
        return int(node.children[0])

    def _float(self, node: Any, seg: Segment) -> Any:
        return float(node.children[0])

    def _literal(self, node: Any, seg: Segment) -> Any:
        text = str(node.children[0])
        return {"true": True, "false": False, "null": None}[text]

    def _heredoc_node(self, node: Any, seg: Segment) -> Any:
        return self._heredoc(node.children[0], seg)

    def _tuple(self, node: Any, seg: Segment) -> Any:
        items = NodeList(self.eval(c, seg) for c in subtrees(node))
        return mark(items, seg.line(node), seg.end_line(node), seg.file)

    def _object(self, node: Any, seg: Segment) -> Any:
        out = Node()
        out.key_lines = {}
        for elem in subtrees(node):
            if elem.data != "object_elem":
                continue
            key_node, value_node = elem.children[0], elem.children[-1]
            key = self._object_key(key_node, seg)
            out[key] = self.eval(value_node, seg)
            out.key_lines[key] = (seg.line(elem), seg.end_line(elem))
        out.line, out.end_line = seg.line(node), seg.end_line(node)
        out.file = seg.file  # type: ignore[attr-defined]
        return out

    def _object_key(self, key_node: Any, seg: Segment) -> str:
        inner = key_node.children[0]
        if getattr(inner, "data", None) == "keyword":
            return name_of(inner)
        kids = subtrees(inner) if getattr(inner, "data", None) == "expr_term" else [inner]
        parenthesised = any(not hasattr(c, "data") and c.type == "LPAR" for c in inner.children)
        if len(kids) == 1 and kids[0].data == "identifier" and not parenthesised:
            return name_of(kids[0])  # a bare name is the key itself, not a reference
        value = self.eval(inner, seg)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        return render(value) if value is not None else "null"

    # -- templates ---------------------------------------------------------------------------

    def _string(self, node: Any, seg: Segment) -> Any:
        items = []
        for part in node.children:
            if getattr(part, "data", None) != "string_part":
                continue
            inner = part.children[0]
            if hasattr(inner, "data"):
                items.append(_directive(inner, seg))
            elif inner.type == "STRING_CHARS":
                items.append(("text", _unescape(str(inner))))
            elif inner.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                items.append(("text", str(inner)[1:]))
        return self.render_template(items)

    def _template_string(self, node: Any, seg: Segment) -> Any:
        raw = str(node.children[0])
        return _unescape(raw[2:-2])

    def render_template(self, items: list) -> Any:
        if len(items) == 1 and items[0][0] == "expr":
            _, tree, tseg = items[0][:3]
            return self.eval(tree, tseg)  # "${x}" is x itself, whatever its type
        structure, rest = _nest(items, 0, ())
        return join_text(self._render(structure))

    def _render(self, structure: list) -> list:
        parts: list = []
        for item in structure:
            kind = item[0]
            if kind == "text":
                parts.append(item[1])
            elif kind == "expr":
                value = self.eval(item[1], item[2])
                parts.append(lift(value, to_text))
            elif kind == "if":
                _, tree, tseg, then, otherwise = item
                cond = self.eval(tree, tseg)
                parts.append(self._choose(cond, tseg.text_of(tree), lambda: join_text(self._render(then)), lambda: join_text(self._render(otherwise))))
            elif kind == "for":
                _, names, tree, tseg, body = item
                collection = self.eval(tree, tseg)
                parts.append(lift(collection, lambda c: self._render_for(names, c, body, tseg.text_of(tree))))
        return parts

    def _render_for(self, names: tuple, collection: Any, body: list, text: str) -> Any:
        if isinstance(collection, (Unresolved, ResourceRef, Concat)):
            return Unresolved(text, "a template loops over a value that is not known")
        out = []
        for key, value in _iterate(collection):
            bound = {names[-1]: value}
            if len(names) == 2:
                bound[names[0]] = key
            out.extend(self.bind(bound)._render(body))
        return join_text(out)

    def _heredoc(self, token: Any, seg: Segment) -> Any:
        raw = str(token)
        header, _, rest = raw.partition("\n")
        trim = header.startswith("<<-")
        lines = rest.split("\n")
        # drop the closing marker line (and the empty string after the final newline)
        while lines and lines[-1].strip() == "":
            lines.pop()
        if lines:
            lines.pop()
        lines = [line.rstrip("\r") for line in lines]
        if trim:
            indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
            cut = min(indents) if indents else 0
            lines = [line[cut:] for line in lines]
        body = "\n".join(lines) + ("\n" if lines else "")
        first = seg.line(token) + 1
        value = self.template(body, seg.file, seg.path, first)
        return json_document(value, first, seg.file) or value

    def template(self, text: str, file: str, path: str, first_line: int) -> Any:
        """A template text (heredoc body, templatefile) with its `${}` and `%{}` parts."""
        return self.render_template(template_items(text, file, path, first_line))

    def _interpolation(self, node: Any, seg: Segment) -> Any:
        return self.eval(subtrees(node)[0], seg)

    # -- operators ---------------------------------------------------------------------------

    def _conditional(self, node: Any, seg: Segment) -> Any:
        kids = subtrees(node)
        cond_node, a_node, b_node = kids[0], kids[1], kids[2]
        negated = False
        cond_value, cond_text = None, None
        if _is_not(cond_node):
            inner = subtrees(cond_node)[0] if subtrees(cond_node) else None
            if inner is not None:
                cond_value = self.eval(inner, seg)
                cond_text = seg.text_of(inner)
                negated = True
        if cond_text is None:
            neq = _neq_operands(cond_node)
            if neq is not None:
                # `x != y ? a : b` is named like `x == y ? b : a`, so both spellings correlate
                cond_value = self._compare(self.eval(neq[0], seg), self.eval(neq[1], seg), "==", seg.text_of(cond_node).replace("!=", "==", 1))
                cond_text = seg.text_of(cond_node).replace("!=", "==", 1)
                negated = True
            else:
                cond_value = self.eval(cond_node, seg)
                cond_text = seg.text_of(cond_node)
        take_a = lambda: self.eval(a_node, seg)  # noqa: E731
        take_b = lambda: self.eval(b_node, seg)  # noqa: E731
        if negated:
            take_a, take_b = take_b, take_a
        return self._choose(cond_value, cond_text, take_a, take_b)

    def _choose(self, cond: Any, text: str, if_true: Any, if_false: Any) -> Any:
        if isinstance(cond, bool):
            return if_true() if cond else if_false()
        if isinstance(cond, str) and cond in ("true", "false"):
            return if_true() if cond == "true" else if_false()
        if isinstance(cond, Conditional):
            return Conditional(
                cond.condition,
                self._choose(cond.if_true, text, if_true, if_false),
                self._choose(cond.if_false, text, if_true, if_false),
            )
        if cond is None:
            raise EvalError("the condition %s is null" % text)
        name = cond.expr if isinstance(cond, Unresolved) and _simple_reference(cond.expr) else text
        a, b = if_true(), if_false()
        if _same(a, b):
            return a
        return Conditional(name, a, b)

    def _binary(self, node: Any, seg: Segment) -> Any:
        lhs_node = node.children[0]
        term = next(c for c in node.children[1:] if getattr(c, "data", None) == "binary_term")
        op_node = term.children[0]
        op = str(op_node.children[0]).strip()
        rhs_node = subtrees(term)[-1]
        text = seg.text_of(node)
        lhs = self.eval(lhs_node, seg)
        if op in ("&&", "||"):
            return self._logic(op, lhs, lambda: self.eval(rhs_node, seg), text)
        rhs = self.eval(rhs_node, seg)
        if op in ("==", "!="):
            return self._compare(lhs, rhs, op, text)
        return _lift2(lhs, rhs, lambda a, b: _arith(op, a, b, text))

    def _compare(self, lhs: Any, rhs: Any, op: str, text: str) -> Any:
        def compare(a: Any, b: Any) -> Any:
            if a is None or b is None:
                other = b if a is None else a
                if other is None:
                    equal = True
                elif isinstance(other, (Unresolved, ResourceRef, Concat)):
                    equal = False  # assumed set: see the module docstring
                else:
                    equal = False
                return equal if op == "==" else not equal
            if not is_known(a) or not is_known(b):
                if isinstance(a, ResourceRef) and isinstance(b, ResourceRef) and a == b:
                    return op == "=="
                for x, y in ((a, b), (b, a)):
                    if (y == "" and known_non_empty(x)) or (isinstance(x, KnownPositive) and _is_number(y) and _number(y) < 1):
                        return op == "!="  # an identifier is never "", a non-empty length never 0
                return Unresolved(text, "compares a value that is not known statically")
            equal = _equal(a, b)
            return equal if op == "==" else not equal

        return _lift2(lhs, rhs, compare)

    def _logic(self, op: str, lhs: Any, rhs_thunk: Any, text: str) -> Any:
        def decide(a: Any) -> Any:
            a = _as_bool(a, text)
            if op == "&&" and a is False:
                return False
            if op == "||" and a is True:
                return True
            b = lift(rhs_thunk(), lambda v: _as_bool(v, text))
            if isinstance(a, bool):
                return b
            # a is unknown
            if op == "&&" and b is False:
                return False
            if op == "||" and b is True:
                return True
            return Unresolved(text, a.reason if isinstance(a, Unresolved) else "not known statically")

        return lift(lhs, decide)

    def _unary(self, node: Any, seg: Segment) -> Any:
        op = str(node.children[0])
        value = self.eval(node.children[1], seg)
        text = seg.text_of(node)

        def apply(v: Any) -> Any:
            if op == "!":
                b = _as_bool(v, text)
                return (not b) if isinstance(b, bool) else Unresolved(text, b.reason)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                if isinstance(v, (Unresolved, ResourceRef, Concat)):
                    return Unresolved(text, "not known statically")
                raise EvalError("cannot negate a %s" % type(v).__name__)
            return -v

        return lift(value, apply)

    # -- for expressions ---------------------------------------------------------------------

    def _for(self, node: Any, seg: Segment) -> Any:
        is_object = node.data == "for_object_expr"
        kids = subtrees(node)
        intro = kids[0]
        intro_kids = subtrees(intro)
        names = tuple(name_of(k) for k in intro_kids if k.data == "identifier")
        collection_node = [k for k in intro_kids if k.data != "identifier"][0]
        rest = kids[1:]
        cond_node = None
        if rest and rest[-1].data == "for_cond":
            cond_node = subtrees(rest[-1])[0]
            rest = rest[:-1]
        grouping = any(not hasattr(c, "data") and c.type == "ELLIPSIS" for c in node.children)
        text = seg.text_of(node, 200)
        collection = self.eval(collection_node, seg)

        def build(coll: Any) -> Any:
            if isinstance(coll, (Unresolved, ResourceRef, Concat)):
                reason = coll.reason if isinstance(coll, Unresolved) else "the collection is not known statically"
                return Unresolved(text, reason)
            if coll is None:
                raise EvalError("a for expression over null")
            out_list: list = []
            out_map: dict = {}
            for key, value in _iterate(coll):
                bound = {names[-1]: value}
                if len(names) == 2:
                    bound[names[0]] = key
                inner = self.bind(bound)
                if cond_node is not None:
                    keep = _as_bool(inner.eval(cond_node, seg), text)
                    if not isinstance(keep, bool):
                        return Unresolved(text, "a for expression filters on a value that is not known")
                    if not keep:
                        continue
                if is_object:
                    k = inner.eval(rest[0], seg)
                    if not isinstance(k, (str, int, float)) or isinstance(k, bool):
                        if isinstance(k, bool):
                            k = "true" if k else "false"
                        else:
                            return Unresolved(text, "a for expression builds keys that are not known")
                    v = inner.eval(rest[1], seg)
                    if grouping:
                        out_map.setdefault(str(k), []).append(v)
                    else:
                        out_map[str(k)] = v
                else:
                    out_list.append(inner.eval(rest[0], seg))
                if len(out_list) + len(out_map) > MAX_ITEMS:
                    raise EvalError("a for expression builds too many elements")
            return out_map if is_object else out_list

        return lift(collection, build)

    # -- function calls ----------------------------------------------------------------------

    def _call(self, node: Any, seg: Segment) -> Any:
        idents = [c for c in node.children if getattr(c, "data", None) == "identifier"]
        name = name_of(idents[0])
        text = seg.text_of(node, 200)
        if len(idents) > 1:
            return Unresolved(text, "provider function %s is not evaluated" % "::".join(name_of(i) for i in idents))
        args_node = next((c for c in node.children if getattr(c, "data", None) == "arguments"), None)
        arg_nodes = subtrees(args_node) if args_node is not None else []
        expand = args_node is not None and any(
            not hasattr(c, "data") and c.type == "ELLIPSIS" for c in args_node.children
        )
        if name in ("try", "can"):
            return self._try(name, arg_nodes, seg, text)
        args = [self.eval(a, seg) for a in arg_nodes]
        if expand and args:
            last = args.pop()
            if isinstance(last, list):
                args.extend(last)
            else:
                return Unresolved(text, "the expanded argument is not a known list")
        return functions.call(name, args, functions.Call(self, text, seg, seg.line(node)))

    def _try(self, name: str, arg_nodes: list, seg: Segment, text: str) -> Any:
        for arg in arg_nodes:
            try:
                value = self.eval(arg, seg)
            except EvalError:
                if name == "can":
                    return False
                continue
            if name == "can":
                return True if is_known(value) else Unresolved(text, "not known statically")
            return value
        if name == "can":
            return False
        raise EvalError("no expression given to try() succeeded")

    # -- references --------------------------------------------------------------------------

    def _traversal(self, node: Any, seg: Segment) -> Any:
        root, steps = _flatten(node)
        text = seg.text_of(node, 200)
        if getattr(root, "data", None) == "identifier":
            return self._reference(name_of(root), steps, seg, text)
        return self._apply(self.eval(root, seg), steps, seg, text)

    def _identifier(self, node: Any, seg: Segment) -> Any:
        return self._reference(name_of(node), [], seg, seg.text_of(node))

    def _reference(self, name: str, steps: list, seg: Segment, text: str) -> Any:
        if name in self.bindings:
            return self._apply(self.bindings[name], steps, seg, text)
        ctx = self.ctx
        if name in ("var", "local", "path"):
            if not steps or steps[0][0] != "attr":
                raise EvalError("%s must be followed by a name" % name)
            attr = steps[0][1]
            if name == "var":
                base = ctx.variable(attr, "var." + attr)
            elif name == "local":
                base = ctx.local(attr, "local." + attr)
            else:
                base = ctx.path(attr)
            return self._apply(base, steps[1:], seg, text)
        if name == "module":
            if not steps or steps[0][0] != "attr":
                raise EvalError("module must be followed by a name")
            call = steps[0][1]
            rest, splat = _skip_instance_keys(steps[1:])
            if not rest:
                return Unresolved(text, "a whole module object is not evaluated")
            if rest[0][0] != "attr":
                raise EvalError("unexpected module reference")
            base = ctx.module_output(call, rest[0][1], text)
            value = self._apply(base, rest[1:], seg, text)
            return NodeList([value]) if splat else value
        if name == "data":
            if len(steps) < 2 or steps[0][0] != "attr" or steps[1][0] != "attr":
                raise EvalError("data must be followed by a type and a name")
            dtype, dname = steps[0][1], steps[1][1]
            rest = steps[2:]
            index = None
            if rest and rest[0][0] == "index":
                index = self._index_value(rest[0], seg)
                rest = rest[1:]
            elif rest and rest[0][0] == "splat":
                return Unresolved(text, "a splat over a data source is not evaluated")
            attribute = rest[0][1] if rest and rest[0][0] == "attr" else None
            base = ctx.data(dtype, dname, index, attribute, text)
            return self._apply(base, rest[1:] if attribute else rest, seg, text)
        if name in ("each", "count"):
            raise EvalError("%s is used outside a block with %s" % (name, "for_each" if name == "each" else "count"))
        if name == "terraform":
            return Unresolved(text, "the workspace is chosen when Terraform runs")
        if name == "self":
            return Unresolved(text, "self refers to the resource after it is created")
        if steps and steps[0][0] == "attr":
            rtype, rname = name, steps[0][1]
            rest, splat = _skip_instance_keys(steps[1:])
            base = ctx.resource(rtype, rname, text)
            if isinstance(base, ResourceRef) and len(steps) > 1 and steps[1][0] == "index":
                base = ResourceRef(base.unit, base.address, base.attribute, base.expr, self._instance_key(steps[1], seg))
            if isinstance(base, ResourceRef) and rest and rest[0][0] == "attr":
                base = ResourceRef(base.unit, base.address, rest[0][1], base.expr, base.instance)
                rest = rest[1:]
            value = self._apply(base, rest, seg, text) if rest else base
            return NodeList([value]) if splat else value
        raise EvalError("unknown name %s" % name)

    def _instance_key(self, step: tuple, seg: Segment) -> Any:
        """The key in `block["a"]` / `block[0]` / `block[each.key]`, when known (else None)."""
        try:
            key = self._index_value(step, seg)
        except EvalError:
            return None
        return key if isinstance(key, (str, int)) and not isinstance(key, bool) else None

    def _index_value(self, step: tuple, seg: Segment) -> Any:
        if step[1] == "const":
            return step[2]
        return self.eval(step[2], seg)

    def _apply(self, value: Any, steps: list, seg: Segment, text: str) -> Any:
        for i, step in enumerate(steps):
            if step[0] == "splat":
                substeps = list(step[1])
                rest = steps[i + 1 :]
                return lift(value, lambda v: self._splat(v, substeps + rest, seg, text))
            if step[0] == "attr":
                key = step[1]
            else:
                key = self._index_value(step, seg)
            value = _lift2(value, key, lambda v, k: _step(v, k, step[0], text))
        return value

    def _splat(self, value: Any, steps: list, seg: Segment, text: str) -> Any:
        if isinstance(value, (Unresolved, Concat)):
            return Unresolved(text, getattr(value, "reason", "not known statically"))
        if value is None:
            return NodeList()
        if isinstance(value, ResourceRef):
            return NodeList([self._apply(value, steps, seg, text)])
        items = value if isinstance(value, list) else [value]
        return NodeList(self._apply(item, steps, seg, text) for item in items)


# --- helpers ----------------------------------------------------------------------------------


def _flatten(node: Any) -> tuple[Any, list]:
    """A reference chain `a.b[0].c[*].d` as its root and its steps."""
    steps: list = []
    while True:
        data = getattr(node, "data", None)
        if data == "expr_term":
            kids = subtrees(node)
            parenthesised = any(not hasattr(c, "data") for c in node.children)
            if len(kids) == 1 and not parenthesised and (kids[0].data in TRAVERSALS or kids[0].data == "identifier"):
                node = kids[0]
                continue
            break
        if data == "get_attr_expr_term":
            steps.append(("attr", _get_attr_name(node.children[1])))
            node = node.children[0]
        elif data == "index_expr_term":
            steps.append(_index_step(node.children[1]))
            node = node.children[0]
        elif data in ("attr_splat_expr_term", "full_splat_expr_term"):
            splat = node.children[1]
            sub = []
            for child in splat.children:
                if getattr(child, "data", None) == "get_attr":
                    sub.append(("attr", _get_attr_name(child)))
                elif getattr(child, "data", None) in ("braces_index", "short_index"):
                    sub.append(_index_step(child))
            steps.append(("splat", tuple(sub)))
            node = node.children[0]
        else:
            break
    steps.reverse()
    return node, steps


def _get_attr_name(node: Any) -> str:
    return name_of(subtrees(node)[0])


def _index_step(node: Any) -> tuple:
    if node.data == "short_index":
        return ("index", "const", int(str(node.children[-1])))
    return ("index", "expr", subtrees(node)[0])


def _step(value: Any, key: Any, kind: str, text: str) -> Any:
    if isinstance(value, Unresolved):
        return Unresolved(text, value.reason)
    if isinstance(key, Unresolved):
        return Unresolved(text, key.reason)
    if isinstance(value, ResourceRef):
        if kind == "attr" and value.attribute is None:
            return ResourceRef(value.unit, value.address, key, value.expr, value.instance)
        if kind == "index" and value.attribute is None:
            return value
        return Unresolved(text, "%s is known only after apply" % value.expr)
    if isinstance(value, (Concat, ResourceRef)) or isinstance(key, (ResourceRef, Concat)):
        return Unresolved(text, "not known statically")
    if value is None:
        raise EvalError("%s: attempt to read from a null value" % text)
    if isinstance(value, dict):
        k = key if isinstance(key, str) else (str(key).lower() if isinstance(key, bool) else str(key))
        if k in value:
            return value[k]
        raise EvalError("%s: no key or attribute %r" % (text, k))
    if isinstance(value, list):
        if kind == "attr":
            raise EvalError("%s: a list has no attribute %s" % (text, key))
        try:
            index = int(key)
        except (TypeError, ValueError):
            raise EvalError("%s: a list index must be a number" % text) from None
        if 0 <= index < len(value):
            return value[index]
        raise EvalError("%s: index %d out of range" % (text, index))
    raise EvalError("%s: a %s has no attributes or elements" % (text, type(value).__name__))


def _lift2(a: Any, b: Any, apply: Any) -> Any:
    return lift(a, lambda x: lift(b, lambda y: apply(x, y)))


def _as_bool(value: Any, text: str) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if isinstance(value, Unresolved):
        return value
    if isinstance(value, (ResourceRef, Concat)):
        return Unresolved(text, "not known statically")
    if value is None:
        raise EvalError("%s: a null value where a bool is needed" % text)
    raise EvalError("%s: a %s where a bool is needed" % (text, type(value).__name__))


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        raise EvalError("a bool where a number is needed")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                raise EvalError("%r is not a number" % value) from None
    raise EvalError("a %s where a number is needed" % type(value).__name__)


def _arith(op: str, a: Any, b: Any, text: str) -> Any:
    decided = _positive_comparison(op, a, b)
    if decided is not None:
        return decided
    if not is_known(a) or not is_known(b):
        return Unresolved(text, "arithmetic on a value that is not known statically")
    x, y = _number(a), _number(b)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        if y == 0:
            raise EvalError("division by zero")
        result = x / y
        return int(result) if result.is_integer() else result
    if op == "%":
        if y == 0:
            raise EvalError("division by zero")
        return x % y
    if op == "<":
        return x < y
    if op == ">":
        return x > y
    if op == "<=":
        return x <= y
    if op == ">=":
        return x >= y
    raise EvalError("unknown operator %s" % op)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _positive_comparison(op: str, a: Any, b: Any) -> bool | None:
    """`length(x) > 0` and its spellings, where x is certainly non-empty (length at least 1)."""
    if op not in ("<", ">", "<=", ">="):
        return None
    if isinstance(b, KnownPositive) and _is_number(a):
        a, b, op = b, a, {"<": ">", ">": "<", "<=": ">=", ">=": "<="}[op]
    if not (isinstance(a, KnownPositive) and _is_number(b)):
        return None
    if op == ">" and b < 1:
        return True
    if op == ">=" and b <= 1:
        return True
    if op == "<" and b <= 1:
        return False
    if op == "<=" and b < 1:
        return False
    return None


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return str(a) == str(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return False


def _same(a: Any, b: Any) -> bool:
    from .values import freeze

    try:
        return freeze(a) == freeze(b)
    except TypeError:
        return False


_SIMPLE_REF = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*|\[[^\]]*\])*$")


def _simple_reference(text: str) -> bool:
    return bool(_SIMPLE_REF.match(text))


def _is_not(node: Any) -> bool:
    while getattr(node, "data", None) == "expr_term" and len(subtrees(node)) == 1 and all(
        hasattr(c, "data") for c in node.children
    ):
        node = subtrees(node)[0]
    return getattr(node, "data", None) == "unary_op" and str(node.children[0]) == "!"


def _neq_operands(node: Any) -> tuple | None:
    if getattr(node, "data", None) != "binary_op":
        return None
    term = next((c for c in node.children[1:] if getattr(c, "data", None) == "binary_term"), None)
    if term is None:
        return None
    if str(term.children[0].children[0]).strip() != "!=":
        return None
    return node.children[0], subtrees(term)[-1]


def _iterate(collection: Any) -> list[tuple[Any, Any]]:
    if isinstance(collection, dict):
        return [(k, collection[k]) for k in sorted(collection, key=str)]
    if isinstance(collection, list):
        return list(enumerate(collection))
    raise EvalError("cannot iterate over a %s" % type(collection).__name__)


_ESCAPES = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def replace(m: re.Match) -> str:
        esc = m.group(1)
        if esc[0] in "uU" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        return _SIMPLE_ESCAPES.get(esc, "\\" + esc)

    return _ESCAPES.sub(replace, text)


# --- template structure -----------------------------------------------------------------------


def _directive(node: Any, seg: Segment) -> tuple:
    data = node.data
    exprs = subtrees(node)
    if data == "interpolation":
        return ("expr", exprs[0], seg)
    if data == "template_if_start":
        return ("if", exprs[-1], seg)
    if data == "template_else":
        return ("else",)
    if data == "template_endif":
        return ("endif",)
    if data == "template_for_start":
        names = tuple(name_of(e) for e in exprs if e.data == "identifier")
        collection = [e for e in exprs if e.data != "identifier"][-1]
        return ("for", names, collection, seg)
    if data == "template_endfor":
        return ("endfor",)
    return ("text", "")


def _nest(items: list, pos: int, stop: tuple) -> tuple[list, int]:
    """Flat template items into a structure: if/else/endif and for/endfor nest."""
    out: list = []
    while pos < len(items):
        item = items[pos]
        kind = item[0]
        if kind in stop:
            return out, pos
        if kind == "if":
            then, pos = _nest(items, pos + 1, ("else", "endif"))
            otherwise: list = []
            if pos < len(items) and items[pos][0] == "else":
                otherwise, pos = _nest(items, pos + 1, ("endif",))
            out.append(("if", item[1], item[2], then, otherwise))
            pos += 1
            continue
        if kind == "for":
            body, pos = _nest(items, pos + 1, ("endfor",))
            out.append(("for", item[1], item[2], item[3], body))
            pos += 1
            continue
        if kind in ("else", "endif", "endfor"):
            raise EvalError("a template directive %%{%s} without its opening" % kind)
        out.append(item)
        pos += 1
    if stop:
        raise EvalError("a template directive is not closed")
    return out, pos


_DISPATCH = {
    "expr_term": Evaluator._expr_term,
    "int_lit": Evaluator._int,
    "float_lit": Evaluator._float,
    "literal_value": Evaluator._literal,
    "string": Evaluator._string,
    "template_string": Evaluator._template_string,
    "heredoc_template": Evaluator._heredoc_node,
    "heredoc_template_trim": Evaluator._heredoc_node,
    "tuple": Evaluator._tuple,
    "object": Evaluator._object,
    "identifier": Evaluator._identifier,
    "function_call": Evaluator._call,
    "get_attr_expr_term": Evaluator._traversal,
    "index_expr_term": Evaluator._traversal,
    "attr_splat_expr_term": Evaluator._traversal,
    "full_splat_expr_term": Evaluator._traversal,
    "conditional": Evaluator._conditional,
    "binary_op": Evaluator._binary,
    "unary_op": Evaluator._unary,
    "for_tuple_expr": Evaluator._for,
    "for_object_expr": Evaluator._for,
    "interpolation": Evaluator._interpolation,
}


def _skip_instance_keys(steps: list) -> tuple[list, bool]:
    """Drop `[key]` / `[*]` after a module or resource name: one model object stands for every
    instance of a block, so the instance does not matter. Also says whether it was a splat."""
    rest = list(steps)
    splat = False
    while rest and rest[0][0] in ("index", "splat"):
        if rest[0][0] == "splat":
            splat = True
            rest = list(rest[0][1]) + rest[1:]
            continue
        rest = rest[1:]
    return rest, splat
