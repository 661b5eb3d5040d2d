"""Where a sqsguard finding is, in the terms of cfn-lint's decoded template.

cfn-lint places a match by a path into its template (nodes carry start and end marks) and
honours a resource's `Metadata.cfn-lint.config.ignore_checks` by that path's logical id. A
finding has a line and the logical id of its resource, so its path is found by descending from
`Resources/<LogicalId>` through the nodes that hold the line to the outermost one that starts
on it: the property (`Properties/KmsMasterKeyId`), the policy statement
(`Properties/KeyPolicy/Statement/1`), the `Metadata` suppression entry. Nodes further in that
start on the same line are parts of that one (its value, an intrinsic function, a statement's
first key), so they are not preferred.

When no node starts on the line (a `# sqsguard:ignore` comment, a resource a SAM transform
renamed), the match keeps the resource's path, for cfn-lint's Metadata directives, and carries
the finding's own line as an explicit location.
"""

from __future__ import annotations

from typing import Any

Path = list  # of str keys and int list indexes


def place(cfn: Any, logical_id: str, line: int, end_line: int, lines: tuple[str, ...]) -> tuple[Path, tuple[int, int, int, int] | None]:
    """The path of a finding, and an explicit (0-based) location when the path does not start
    on the finding's line."""
    target = max(line, 1) - 1
    template = getattr(cfn, "template", None)
    resources = template.get("Resources") if isinstance(template, dict) else None
    resource = resources.get(logical_id) if isinstance(resources, dict) else None
    base: Path = ["Resources", logical_id]
    candidates = []
    if isinstance(resource, (dict, list)):
        inner = _outermost_at(resource, target)
        if inner is not None:
            candidates.append(base + inner)
    candidates.append(base)
    for path in candidates:
        if _start_line(cfn, template, path) == target:
            return path, None
    return base, line_span(lines, line, end_line)


def _start_line(cfn: Any, template: Any, path: Path) -> int | None:
    """The line cfn-lint itself would report for a path (0-based), or None."""
    try:
        location = cfn.get_location_yaml(template, path)
    except Exception:  # a path cfn-lint cannot follow: the explicit location is used
        return None
    return location[0] if location else None


def _mark_line(node: Any, which: str) -> int | None:
    mark = getattr(node, which, None)
    return getattr(mark, "line", None) if mark is not None else None


def _outermost_at(node: Any, target: int) -> Path | None:
    entries = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
    for key, value in entries:
        start = _mark_line(key, "start_mark") if isinstance(node, dict) else None
        if start is None:
            start = _mark_line(value, "start_mark")
        if start == target:
            return [key]
    for key, value in entries:
        if not isinstance(value, (dict, list)):
            continue
        start, end = _mark_line(value, "start_mark"), _mark_line(value, "end_mark")
        if start is not None and end is not None and start <= target <= end:
            inner = _outermost_at(value, target)
            if inner is not None:
                return [key] + inner
    return None


def line_span(lines: tuple[str, ...], line: int, end_line: int) -> tuple[int, int, int, int]:
    """(line, column, end line, end column), 0-based, of the finding's text lines."""
    first = max(line, 1) - 1
    last = max(end_line, line, 1) - 1
    text = lines[first] if first < len(lines) else ""
    column = len(text) - len(text.lstrip())
    end_text = lines[last] if last < len(lines) else ""
    return (first, column, last, len(end_text.rstrip()))
