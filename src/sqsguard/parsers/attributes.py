"""Readings of resource settings that every parser shares (booleans, redrive policies, tags).

Format-specific spellings are reduced before these are called; what they return is model data.
"""

from __future__ import annotations

import json
from typing import Any

from ..model import Conditional, Unresolved


def as_bool(value: Any) -> bool | None:
    """True/False from a boolean or its string spelling ("true", "False"); None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def dead_letter_target(redrive: Any) -> Any:
    """`deadLetterTargetArn` of a redrive policy given as a mapping or a JSON string."""
    if isinstance(redrive, str):
        try:
            redrive = json.loads(redrive)
        except ValueError:
            return None
    if isinstance(redrive, dict):
        return redrive.get("deadLetterTargetArn")
    return None


def common_tags(value: Any, read: Any) -> dict | Unresolved:
    """Tags as a dict via `read` (the format's own spelling), honest about what is unknown:
    tags that cannot be read are `Unresolved` (never an empty dict, which would claim "no tags"),
    and tags that differ between branches of a condition keep the keys every branch has."""
    if isinstance(value, Unresolved):
        return value
    if isinstance(value, Conditional):
        first, second = common_tags(value.if_true, read), common_tags(value.if_false, read)
        if isinstance(first, Unresolved):
            return first
        if isinstance(second, Unresolved):
            return second
        return {k: v for k, v in first.items() if k in second}
    return read(value)
