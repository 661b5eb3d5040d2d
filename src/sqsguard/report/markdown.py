"""A pull-request / job summary a reviewer reads in ten seconds: the verdict on the first line,
then the counts, the worst findings in a bounded table, the baseline, the scan errors, the files
skipped (they declare SQS or KMS resources in a form sqsguard does not read), and the
suppressed findings folded away in <details>. GitHub-flavoured Markdown."""

from __future__ import annotations

from urllib.parse import quote

from ..findings import SEVERITIES, SEVERITY_RANK, Finding, Report
from .presentation import one_line, plural, region, rule_label, shown_path, worst_first

MAX_ROWS = 50
# Backslash-escaped so that text from the scanned code renders as text: no emphasis, links,
# HTML, strikethrough or table cell breaks (CommonMark allows escaping any ASCII punctuation).
_SPECIAL = set("\\`*_[]<>|~&")


def render(
    report: Report,
    link_base: str | None = None,
    fail_on: str | None = None,
    max_rows: int = MAX_ROWS,
    strict: bool = False,
    **_: object,
) -> str:
    blocks = ["### " + verdict(report, fail_on, strict), facts(report)]
    active = worst_first(f for f in report.findings if not f.suppressed)
    if active:
        blocks.append(severity_table(report))
        blocks.append(findings_table(active, link_base, max_rows))
    if report.baseline is not None:
        blocks.append(baseline_line(report))
    if report.errors:
        blocks.append(errors_list(report))
    if report.skipped:
        blocks.append(skipped_list(report, max_rows))
    suppressed = worst_first(f for f in report.findings if f.suppressed)
    if suppressed:
        blocks.append(suppressed_details(suppressed, link_base, max_rows))
    return "\n\n".join(block for block in blocks if block) + "\n"


def verdict(report: Report, fail_on: str | None = None, strict: bool = False) -> str:
    """❌ when the run fails (a finding at or above `fail_on`, any finding when it is not given,
    a file that could not be read, or with `strict` a skipped file), ⚠️ for findings below
    `fail_on` or skipped files, ✅ otherwise."""
    active = report.active
    counts = report.by_severity()
    noun = "new finding" if report.baseline is not None else "finding"
    if active:
        parts = ", ".join("%d %s" % (counts[s], s) for s in SEVERITIES if counts[s])
        text = "%d %s%s (%s)" % (len(active), noun, "" if len(active) == 1 else "s", parts)
    else:
        text = "no %ss" % noun
    if report.errors:
        text += "; %s" % plural(len(report.errors), "error")
    if report.skipped:
        text += "; %s not read" % plural(len(report.skipped), "file")
    failing = bool(report.errors) or (strict and bool(report.skipped)) or any(fails(f, fail_on) for f in active)
    icon = "❌" if failing else ("⚠️" if active or report.skipped else "✅")
    return "%s sqsguard: %s" % (icon, text)


def fails(finding: Finding, fail_on: str | None) -> bool:
    if fail_on is None:
        return True
    if fail_on == "never" or fail_on not in SEVERITY_RANK:
        return False
    return SEVERITY_RANK.get(finding.severity, 0) >= SEVERITY_RANK[fail_on]


def facts(report: Report) -> str:
    parts = [
        plural(report.files_scanned, "file") + " scanned",
        plural(report.queues, "queue"),
        plural(report.keys, "key"),
    ]
    kinds = report.suppressed_by_kind()
    baselined = kinds.pop("baseline", 0)
    if kinds:
        detail = ", ".join("%d %s" % (count, kind) for kind, count in kinds.items())
        parts.append("%d suppressed (%s)" % (sum(kinds.values()), detail))
    if baselined:
        parts.append("%d baselined" % baselined)
    return " · ".join(parts)


def severity_table(report: Report) -> str:
    counts = report.by_severity()
    return "\n".join(
        [
            "| " + " | ".join(SEVERITIES) + " |",
            "|" + "---:|" * len(SEVERITIES),
            "| " + " | ".join(str(counts[s]) for s in SEVERITIES) + " |",
        ]
    )


def findings_table(findings: list[Finding], link_base: str | None, max_rows: int) -> str:
    rows = [
        "| Severity | Location | Rule | Resource | Finding |",
        "|---|---|---|---|---|",
    ]
    for finding in findings[:max_rows]:
        rows.append(
            row(
                "**%s**" % finding.severity,
                location(finding, link_base),
                cell(rule_label(finding)),
                resource(finding),
                cell(finding.message),
            )
        )
    return "\n".join(rows) + more(len(findings), max_rows)


def suppressed_details(findings: list[Finding], link_base: str | None, max_rows: int) -> str:
    rows = [
        "| Location | Rule | Resource | Suppressed by | Reason |",
        "|---|---|---|---|---|",
    ]
    for finding in findings[:max_rows]:
        details = finding.suppression or {}
        rows.append(
            row(
                location(finding, link_base),
                cell(rule_label(finding)),
                resource(finding),
                cell(details.get("kind") or "inline"),
                cell(details.get("reason") or "no reason given"),
            )
        )
    summary = "%s (not counted)" % plural(len(findings), "suppressed finding")
    # A blank line after <summary> lets GitHub render the Markdown table inside <details>.
    return "<details><summary>%s</summary>\n\n%s%s\n\n</details>" % (
        summary,
        "\n".join(rows),
        more(len(findings), max_rows),
    )


def baseline_line(report: Report) -> str:
    baseline = report.baseline
    assert baseline is not None
    text = "**Baseline** %s: %s, %d matched in this run, %d new, %d fixed" % (
        code(baseline.path),
        plural(baseline.entries, "entry", "entries"),
        baseline.matched,
        baseline.new,
        baseline.fixed,
    )
    if baseline.written:
        text += " (written in this run)"
    return text + "."


def errors_list(report: Report) -> str:
    lines = ["**%s** (the scan is incomplete):" % plural(len(report.errors), "error"), ""]
    for error in report.errors:
        where = shown_path(error) or "?"
        if error.line:
            where += ":%d" % error.line
        lines.append("- %s: %s" % (code(where), cell(error.message)))
    return "\n".join(lines)


def skipped_list(report: Report, max_rows: int = MAX_ROWS) -> str:
    lines = ["**%s skipped**: SQS or KMS resources in a form sqsguard does not read, not checked:"
             % plural(len(report.skipped), "file"), ""]
    for entry in report.skipped[:max_rows]:
        lines.append("- %s: %s" % (code(shown_path(entry) or "?"), cell(entry.reason)))
    return "\n".join(lines) + more(len(report.skipped), max_rows)


def location(finding: Finding, link_base: str | None) -> str:
    path = shown_path(finding)
    start, end = region(finding.line, finding.end_line)
    text = cell("%s:%d" % (path, start))
    if not link_base or path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return text
    anchor = "#L%d" % start + ("-L%d" % end if end > start else "")
    base = link_base if link_base.endswith("/") else link_base + "/"
    while path.startswith("./"):
        path = path[2:]
    return "[%s](%s%s%s)" % (text, base, quote(path, safe="/", errors="surrogateescape"), anchor)


def resource(finding: Finding) -> str:
    text = code(finding.resource)
    if finding.construct_path:
        text += " (%s)" % code(finding.construct_path)
    return text


def row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def cell(text: str) -> str:
    """Text for one table cell: one line, Markdown and HTML inert."""
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in one_line(text))


def code(text: str) -> str:
    """A code span, with the pipe escaped (GFM tables split cells before inline parsing)."""
    text = one_line(text)
    if not text:
        return ""
    if "`" in text:
        return cell(text)
    return "`%s`" % text.replace("|", "\\|")


def more(total: int, shown: int) -> str:
    return "\n\n_… and %d more._" % (total - shown) if total > shown else ""
