"""GitHub Actions workflow commands: one annotation per unsuppressed finding, one per scan error,
one per skipped file (a notice; an error under --strict, which fails the run for it), then a
plain summary line. Escaped as @actions/core escapes them (packages/core/src/command.ts),
so a message can never end the command early or start another one.

Pure: the Markdown job summary ($GITHUB_STEP_SUMMARY) is the CLI's business, not this module's.
"""

from __future__ import annotations

from ..findings import Report
from .presentation import GITHUB_COMMAND, region, rule_label, shown_path, worst_first
from .text import summary


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: list[tuple[str, object]], message: str) -> str:
    """`::name key=value,key=value::message`; empty properties are left out, as the toolkit does."""
    pairs = ",".join("%s=%s" % (key, escape_property(str(value))) for key, value in properties if value)
    return "::%s%s::%s" % (name, " " + pairs if pairs else "", escape_data(message))


def render(report: Report, strict: bool = False, **_: object) -> str:
    lines = []
    # Worst first: the runner shows a limited number of annotations of each level per step.
    for finding in worst_first(f for f in report.findings if not f.suppressed):
        start, end = region(finding.line, finding.end_line)
        lines.append(
            command(
                GITHUB_COMMAND.get(finding.severity, "warning"),
                [("file", shown_path(finding)), ("line", start), ("endLine", end), ("title", rule_label(finding))],
                finding.message,
            )
        )
    for error in report.errors:
        line = max(1, error.line) if error.line else None
        properties = [("file", shown_path(error)), ("line", line), ("title", "sqsguard scan error")]
        lines.append(command("error", properties, error.message))
    for skipped in report.skipped:
        properties = [("file", shown_path(skipped)), ("title", "sqsguard: file not read")]
        lines.append(command("error" if strict else "notice", properties, skipped.reason))
    lines.append("sqsguard: " + summary(report))
    return "\n".join(lines) + "\n"
