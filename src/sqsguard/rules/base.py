"""What a rule function is: `@rule("SQG101")` on a function (model, options) -> Hits."""

from __future__ import annotations

from typing import Callable, Iterable

from ..dataclass_methods import dataclass
from ..model import Attr, Location, Model, Resource
from ..options import Options

RuleFunction = Callable[[Model, Options], Iterable["Hit"]]


@dataclass(frozen=True)
class Hit:
    """A rule's verdict on one resource; the engine adds the catalog's metadata."""

    resource: Resource
    message: str
    location: Location | None = None  # the attribute or statement; default: the resource


def set_by(attr: Attr | None) -> str:
    """", set by prod/main.tf:12" when the value of a setting was set somewhere else."""
    return ", set by %s" % attr.origin if attr is not None and attr.origin else ""


def rule(rule_id: str) -> Callable[[RuleFunction], RuleFunction]:
    def mark(function: RuleFunction) -> RuleFunction:
        function.rule_id = rule_id  # type: ignore[attr-defined]
        return function

    return mark
