"""Plain-text tables and CSV for the inventory and cost reports (rows of plain data in, text out)."""

from __future__ import annotations

import csv
import io
from typing import Iterable, Sequence

WIDTH = 120  # a table never wider than this; long cells are cut with an ellipsis


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], shrink: Sequence[int] = (), width: int | None = None,
          tails: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell; the columns in `shrink` (indexes; among equals, the
    first listed first) are narrowed, widest first, until the table fits `width` (default WIDTH). Cells of the columns in `tails`
    (file paths) keep their end when cut; others are cut in the middle."""
    width = width or WIDTH
    cells = [list(headers)] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    total = sum(widths) + 2 * (len(widths) - 1)
    floors = {i: max(len(headers[i]), 8) for i in shrink}
    while total > width:
        # narrow the widest shrinkable column by one, so long columns give up space first
        candidates = [i for i in shrink if widths[i] > floors[i]]
        if not candidates:
            break
        index = max(candidates, key=lambda i: (widths[i], -list(shrink).index(i)))
        widths[index] -= 1
        total -= 1
    lines = []
    for row in cells:
        parts = [_fit(cell, w, i in tails) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(parts).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def _fit(cell: str, width: int, tail: bool = False) -> str:
    """Cut with an ellipsis: in the middle (an address keeps its start and its name), or at the
    start for a tail column (a path keeps its file name and line)."""
    if len(cell) <= width:
        return cell.ljust(width)
    if tail:
        return "…" + cell[len(cell) - width + 1:]
    head = (width - 1) // 2
    return cell[:head] + "…" + cell[len(cell) - (width - 1 - head):]


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue()
