"""Text for people: grouped by file, `path:line` first (clickable), a summary line."""

from __future__ import annotations

import posixpath
import textwrap
from itertools import groupby

from ..findings import SEVERITIES, Report

_COLOURS = {
    "critical": "\033[1;35m",
    "high": "\033[1;31m",
    "medium": "\033[33m",
    "low": "\033[36m",
    "info": "\033[2m",
}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def render(report: Report, colour: bool = False, show_suppressed: bool = False, width: int | None = None, **_: object) -> str:
    """`width`: wrap messages to it (a terminal's width; never for files and pipes)."""
    def paint(text: str, code: str) -> str:
        return "%s%s%s" % (code, text, _RESET) if colour else text

    lines: list[str] = []
    shown = [f for f in report.findings if show_suppressed or not f.suppressed]
    for file, group in groupby(shown, key=lambda f: f.file):
        lines.append(paint(file, _BOLD))
        for finding in group:
            where = finding.resource
            if finding.construct_path:
                where += " (%s)" % finding.construct_path
            if _through_a_call(finding):
                where += " [root %s]" % finding.root  # a module several roots may call
            lines.append(
                "  %s:%d: %s %s %s  %s"
                % (
                    finding.file,
                    finding.line,
                    paint(finding.severity, _COLOURS[finding.severity]),
                    finding.rule_id,
                    finding.slug,
                    paint(where, _DIM),
                )
            )
            lines.extend(_message(finding.message, width))
            if finding.suppressed:
                record = finding.suppression or {}
                lines.append("      suppressed (%s): %s" % (record.get("kind", "inline"), record.get("reason") or "no reason given"))
        lines.append("")
    for error in report.errors:
        where = error.file if error.line is None else "%s:%d" % (error.file, error.line)
        lines.append("%s %s: %s" % (paint("error:", _COLOURS["high"]), where, error.message))
    if report.errors:
        lines.append("")
    for skipped in report.skipped:
        lines.append("%s %s: %s" % (paint("skipped:", _COLOURS["medium"]), skipped.file, skipped.reason))
    if report.skipped:
        lines.append("")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def _message(text: str, width: int | None) -> list[str]:
    if not width or width < 40:
        return ["      " + text]
    return textwrap.wrap(text, width, initial_indent="      ", subsequent_indent="      ", break_long_words=False, break_on_hyphens=False)


def _through_a_call(finding) -> bool:
    """A Terraform finding in a child module's files, reached from a root module elsewhere."""
    if not finding.root or not finding.resource.startswith("module."):
        return False
    here = posixpath.dirname(finding.repo_path or finding.file) or "."
    root = finding.root if not finding.root.endswith((".tf", ".tf.json")) else (posixpath.dirname(finding.root) or ".")
    return here != root


def summary(report: Report) -> str:
    counts = report.by_severity()
    total = sum(counts.values())
    parts = ", ".join("%d %s" % (counts[s], s) for s in SEVERITIES if counts[s])
    text = "%d finding%s" % (total, "" if total == 1 else "s")
    if parts:
        text += " (%s)" % parts
    kinds = report.suppressed_by_kind()
    if kinds:
        text += ", %d suppressed (%s)" % (sum(kinds.values()), ", ".join("%d %s" % (n, k) for k, n in kinds.items()))
    text += " in %d file%s scanned: %d queue%s, %d key%s" % (
        report.files_scanned,
        "" if report.files_scanned == 1 else "s",
        report.queues,
        "" if report.queues == 1 else "s",
        report.keys,
        "" if report.keys == 1 else "s",
    )
    if report.errors:
        text += "; %d error%s" % (len(report.errors), "" if len(report.errors) == 1 else "s")
    if report.skipped:
        text += "; " + skipped_phrase(len(report.skipped))
    text += "."
    if report.baseline is not None:
        text += " " + baseline_line(report)
    return text


def skipped_phrase(count: int) -> str:
    """The summary's words for files that declare SQS or KMS resources sqsguard did not read."""
    if count == 1:
        return "1 file skipped (it declares SQS or KMS resources in a form sqsguard does not read)"
    return "%d files skipped (they declare SQS or KMS resources in a form sqsguard does not read)" % count


def baseline_line(report: Report) -> str:
    b = report.baseline
    if b.written:
        return "Baseline %s written: %d finding%s accepted." % (b.path, b.entries, "" if b.entries == 1 else "s")
    return "Baseline %s: %d new finding%s, %d accepted, %d of its %d entr%s fixed." % (
        b.path, b.new, "" if b.new == 1 else "s", b.matched, b.fixed, b.entries, "y" if b.entries == 1 else "ies")
