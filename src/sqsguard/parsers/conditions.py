"""CloudFormation conditions as one logic: which combinations of condition values can happen.

A template's `Conditions` are formulas (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`,
`Condition`) over its parameters. A parameter takes one value at deploy time: the value passed
with `--parameter`, one of its `AllowedValues`, or else any value at all — which, for these
formulas, means one of the literals it is compared with or "something else". The `Default` is
not a restriction: deploys override it. Comparisons this reading cannot evaluate (pseudo
parameters such as `AWS::Region`, imported values) are free, each distinct comparison its own
unknown, so two conditions that test the same thing still agree.

`ConditionSpace.feasible(assignment)` says whether some deployment gives the named conditions
the assigned truth values. It enumerates the values of the few parameters and unknowns the
named conditions use; past MAX_VALUATIONS it cannot tell and says yes (never excluding a
combination that might happen).
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

from ..model import known_non_empty

MAX_VALUATIONS = 4096
OTHER = object()  # "a value none of the formulas compares with"


class ConditionSpace:
    def __init__(self, conditions: dict, parameters: dict, given: dict, resolve: Callable[[Any], Any]):
        self._raw = conditions if isinstance(conditions, dict) else {}
        self._parameters = parameters if isinstance(parameters, dict) else {}
        self._given = given
        self._resolve = resolve
        self._formulas: dict[str, Any] = {}
        self._cache: dict[frozenset, bool] = {}
        self._literals: dict[str, set] = {}
        for name in self._raw:
            self._formula(name, frozenset())
        self._resolve = None  # only reading the formulas needs it; a result cache entry cannot hold it

    # -- formulas: ("eq", a, b) with a, b ("param", P) | ("lit", text) | ("atom", key);
    #    ("not", f), ("and", fs), ("or", fs), ("cond", name), ("atom", key), ("const", bool)

    def _formula(self, name: str, seen: frozenset) -> Any:
        if name in self._formulas:
            return self._formulas[name]
        if name in seen or name not in self._raw:
            return ("atom", "condition:" + name)
        formula = self._parse(self._raw[name], seen | {name})
        self._formulas[name] = formula
        return formula

    def _parse(self, node: Any, seen: frozenset) -> Any:
        if isinstance(node, bool):
            return ("const", node)
        if not isinstance(node, dict) or len(node) != 1:
            return ("atom", repr(node))
        ((key, arg),) = node.items()
        if key == "Condition" and isinstance(arg, str):
            return ("cond", arg) if arg in self._raw and arg not in seen else ("atom", "condition:" + arg)
        if key == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
            return ("not", self._parse(arg[0], seen))
        if key in ("Fn::And", "Fn::Or") and isinstance(arg, list):
            return ("and" if key == "Fn::And" else "or", tuple(self._parse(a, seen) for a in arg))
        if key == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            left, right = (self._operand(a) for a in arg)
            for side, other in ((left, right), (right, left)):
                if side[0] == "param" and other[0] == "lit":
                    self._literals.setdefault(side[1], set()).add(other[1])
            return ("eq", left, right)
        return ("atom", repr(node))

    def _operand(self, node: Any) -> tuple:
        if isinstance(node, dict) and list(node) == ["Ref"] and node["Ref"] in self._parameters:
            return ("param", node["Ref"])
        value = self._resolve(node)
        if isinstance(value, str) and "${AWS::" in value:
            return ("atom", repr(node))  # a pseudo parameter: known only at deploy time
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return ("lit", str(value))
        if isinstance(value, bool):
            return ("lit", "true" if value else "false")
        return ("atom", repr(node))

    # -- which values a parameter can take --------------------------------------------------

    def _domain(self, name: str) -> list:
        given = self._given.get(name)
        if isinstance(given, (str, int, float)) and not isinstance(given, bool):
            return [str(given)]
        if known_non_empty(given):  # a nested stack given `!GetAtt Key.Arn`: never ""
            return sorted(v for v in self._literals.get(name, set()) if v != "") + [OTHER]
        spec = self._parameters.get(name)
        allowed = spec.get("AllowedValues") if isinstance(spec, dict) else None
        if isinstance(allowed, list) and allowed and all(isinstance(v, (str, int, float)) for v in allowed):
            return [str(v) for v in allowed]
        return sorted(self._literals.get(name, set())) + [OTHER]

    # -- evaluation -------------------------------------------------------------------------

    def _uses(self, formula: Any, params: set, atoms: set, seen: set) -> None:
        kind = formula[0]
        if kind == "cond":
            if formula[1] not in seen:
                seen.add(formula[1])
                self._uses(self._formulas[formula[1]], params, atoms, seen)
        elif kind == "not":
            self._uses(formula[1], params, atoms, seen)
        elif kind in ("and", "or"):
            for part in formula[1]:
                self._uses(part, params, atoms, seen)
        elif kind == "eq":
            sides = formula[1:]
            if any(side[0] == "atom" for side in sides):
                atoms.add(("eq", formula[1], formula[2]))
            else:
                params.update(side[1] for side in sides if side[0] == "param")
        elif kind == "atom":
            atoms.add(formula[1])

    def _value(self, formula: Any, values: dict, truths: dict) -> bool:
        kind = formula[0]
        if kind == "const":
            return formula[1]
        if kind == "cond":
            return self._value(self._formulas[formula[1]], values, truths)
        if kind == "not":
            return not self._value(formula[1], values, truths)
        if kind == "and":
            return all(self._value(f, values, truths) for f in formula[1])
        if kind == "or":
            return any(self._value(f, values, truths) for f in formula[1])
        if kind == "eq":
            key = ("eq", formula[1], formula[2])
            if key in truths:
                return truths[key]
            left, right = (values[s[1]] if s[0] == "param" else s[1] for s in formula[1:])
            return left is not OTHER and right is not OTHER and left == right
        return truths[formula[1]]

    def feasible(self, assignment: dict[str, bool]) -> bool:
        wanted = {name: taken for name, taken in assignment.items() if name in self._formulas}
        key = frozenset(wanted.items())
        if key in self._cache:
            return self._cache[key]
        params: set = set()
        atoms: set = set()
        for name in wanted:
            self._uses(self._formulas[name], params, atoms, set())
        names = sorted(params)
        domains = [self._domain(p) for p in names]
        atom_list = sorted(atoms, key=repr)
        size = 2 ** len(atom_list)
        for domain in domains:
            size *= len(domain)
        if size > MAX_VALUATIONS:
            self._cache[key] = True  # too many to try: never rule out what might happen
            return True
        found = False
        for combo in itertools.product(*domains):
            values = dict(zip(names, combo))
            for bits in itertools.product((True, False), repeat=len(atom_list)):
                truths = dict(zip(atom_list, bits))
                if all(self._value(self._formulas[n], values, truths) == t for n, t in wanted.items()):
                    found = True
                    break
            if found:
                break
        self._cache[key] = found
        return found
