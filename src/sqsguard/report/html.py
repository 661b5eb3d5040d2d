"""The HTML report: one self-contained page a reviewer opens offline (`--format html` for
`sqsguard scan` and `sqsguard inventory`). The compliance share, the encryption modes and the
findings by severity as inline SVG bars, a sortable and filterable table of queues, the keys with
their monthly KMS cost, a per-repository table for a merged inventory, each finding with its
rule's fix, the scan errors, and the files skipped (they declare SQS or KMS resources in a form
sqsguard does not read).

Everything taken from the scanned code or the document is escaped (`html.escape`, quotes too).
The page loads nothing: a Content-Security-Policy forbids every fetch, and allows only the inline
style and the one inline script, by its hash. The tables are in the HTML; the script only sorts
the DOM rows and hides the rows a filter excludes (no data in the script, no innerHTML).
"""

from __future__ import annotations

import base64
import hashlib
import re
from html import escape
from collections.abc import Iterable
from typing import Any

from ..findings import SEVERITIES, SEVERITY_RANK, Report
from .jsonreport import finding_to_dict
from .presentation import percent, plural, usd

MODES = ("none", "sqs-owned", "aws-managed", "customer-key", "unverifiable")
MODE_LABELS = {mode: mode for mode in MODES}  # the names the queue table and the JSON use
MODE_COLOURS = {
    "none": "#b91c1c",
    "sqs-owned": "#c2410c",
    "aws-managed": "#a16207",
    "customer-key": "#15803d",
    "unverifiable": "#6b7280",
}
SEVERITY_COLOURS = {
    "critical": "#7e22ce",
    "high": "#b91c1c",
    "medium": "#b45309",
    "low": "#0369a1",
    "info": "#4b5563",
}
# The catalog's How to fix section for each input format.
FIX_SECTION = {"terraform": "Terraform", "terraform-plan": "Terraform", "cloudformation": "CloudFormation", "cdk": "CDK", "serverless": "CloudFormation"}

_INLINE_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def e(value: object) -> str:
    """Text for HTML content or a quoted attribute value."""
    return escape("" if value is None else str(value), quote=True)


# --------------------------------------------------------------------------------------------
# entry points


def render(report: Report, title: str | None = None, **_: object) -> str:
    """The scan page: the inventory the scan built (`report.inventory`, when it did) and the
    findings with their fixes."""
    findings = [finding_dict(f) for f in report.findings]
    errors = [{"file": err.file, "line": err.line, "message": err.message} for err in report.errors]
    skipped = [{"file": s.file, "reason": s.reason} for s in report.skipped]
    facts = {
        "tool_version": report.tool_version,
        "files_scanned": report.files_scanned,
        "queues": report.queues,
        "keys": report.keys,
    }
    doc = getattr(report, "inventory", None)
    return _page(title or "sqsguard scan report", doc, findings, errors, facts, skipped)


def render_inventory(doc: dict, findings: list[dict] | None = None, title: str | None = None) -> str:
    """The inventory page (inventory-v1.schema.json); with `findings` (finding_to_dict dicts,
    with or without their "fix"), also the findings by severity and each finding."""
    summary = doc.get("summary") or {}
    facts = {
        "tool_version": (doc.get("tool") or {}).get("version", ""),
        "files_scanned": summary.get("files_scanned", 0),
        "queues": summary.get("queues", 0),
        "keys": summary.get("keys", 0),
    }
    if title is None:
        title = "sqsguard inventory" + (": %s" % doc["label"] if doc.get("label") else "")
        if doc.get("merged"):
            title = "sqsguard inventory: %s" % plural(
                summary.get("repositories", len(doc.get("repositories") or ())), "repository", "repositories")
    shown = None
    if findings is not None:
        shown = []
        for finding in findings:
            item = dict(finding)
            if not item.get("fix"):
                item["fix"] = fix_for(item.get("rule_id") or "", item.get("format") or "")
            if not item.get("title"):
                item["title"] = _rule_title(item.get("rule_id") or "")
            shown.append(item)
    return _page(title, doc, shown, list(doc.get("errors") or ()), facts)


def finding_dict(finding: Any) -> dict[str, Any]:
    """A finding as the JSON report has it, with the rule's title and fix from the catalog."""
    item = finding_to_dict(finding)
    item["title"] = finding.title or _rule_title(finding.rule_id)
    item["fix"] = fix_for(finding.rule_id, finding.format)
    return item


# --------------------------------------------------------------------------------------------
# the rule's fix, from the catalog's markdown


def fix_for(rule_id: str, fmt: str = "") -> dict[str, Any] | None:
    """{"text": [paragraph, ...], "sections": [{"name", "text": [...], "blocks": [{"label", "lang",
    "code"}]}]}: the How to fix section's introduction, and the format's section (every section
    when the format has none of its own). None for a rule without a catalog entry."""
    from ..catalog import lookup

    entry = lookup(rule_id) if rule_id else None
    if entry is None:
        return None
    return parse_fix(entry.sections.get("How to fix", ""), FIX_SECTION.get(fmt))


def parse_fix(markdown: str, section: str | None = None) -> dict[str, Any]:
    """The How to fix Markdown as paragraphs and labelled code blocks, per `### ` section (the
    catalog's own reading of it)."""
    from ..catalog import labelled_blocks, prose, split_sections

    head = _before_sections(markdown)
    sections = [
        {"name": name, "text": prose(body),
         "blocks": [{"label": label, "lang": lang, "code": code} for label, lang, code in labelled_blocks(body)]}
        for name, body in split_sections(markdown, "### ").items()
    ]
    orphans = labelled_blocks(head)  # code before any section
    if orphans:
        sections.insert(0, {"name": "", "text": [], "blocks": [{"label": l, "lang": g, "code": c} for l, g, c in orphans]})
    chosen = [s for s in sections if s["name"] == section] if section else []
    return {"text": prose(head), "sections": chosen or sections}


def _before_sections(markdown: str) -> str:
    """The text before the first `### ` heading outside a code block."""
    kept: list[str] = []
    in_fence = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith("### "):
            break
        kept.append(line)
    return "\n".join(kept)


def _rule_title(rule_id: str) -> str:
    from ..catalog import lookup

    entry = lookup(rule_id) if rule_id else None
    return entry.title if entry is not None else ""


def inline(text: str) -> str:
    """One paragraph of catalog Markdown: code spans kept, links and emphasis as plain text,
    everything escaped."""
    parts = []
    for index, piece in enumerate(_INLINE_CODE.split(text)):
        if index % 2:
            parts.append("<code>%s</code>" % e(piece))
        else:
            parts.append(e(_EMPHASIS.sub(r"\2", _LINK.sub(r"\1", piece))))
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# formatting


def share_text(summary: dict) -> tuple[str, str]:
    """("62%", " of 13 queues compliant"), or ("no queues", "")."""
    queues = summary.get("queues") or 0
    share = summary.get("compliant_share")
    if not queues or share is None:
        return "no queues", ""
    return percent(share), " of %s compliant" % plural(queues, "queue")


def location(file: str | None, line: int | None) -> str:
    if not file:
        return ""
    return "%s:%d" % (file, line) if line else file


def _location_key(file: str | None, line: int | None) -> str:
    return "%s:%09d" % (file or "", line or 0)


def rotation(value: bool | None, has_key: bool = True) -> tuple[str, str]:
    """(text, css class)."""
    if not has_key:
        return "—", "muted"
    if value is None:
        return "unknown", "muted"
    return ("on", "good") if value else ("off", "bad")


# --------------------------------------------------------------------------------------------
# the page


def _page(title: str, doc: dict | None, findings: list[dict] | None, errors: list[dict], facts: dict,
          skipped: list[dict] | None = None) -> str:
    skipped = list(skipped or ())
    summary = (doc or {}).get("summary") or {}
    merged = bool(doc) and (bool(doc.get("merged")) or len(doc.get("repositories") or ()) > 1)
    active = [f for f in findings or () if not f.get("suppressed")]
    suppressed = [f for f in findings or () if f.get("suppressed")]
    by_severity = {name: 0 for name in SEVERITIES}
    for finding in active:
        if finding.get("severity") in by_severity:
            by_severity[finding["severity"]] += 1

    body: list[str] = [_header(title, doc, facts, errors, skipped), _nav(doc, findings, errors, merged, skipped)]
    body.append('<section class="overview%s" aria-label="Overview">' % ("" if findings is not None else " no-findings"))
    if doc is not None:
        body.append('<div class="stats">%s%s</div>' % (_share_card(doc), _cost_card(summary)))
        body.append(_card("Encryption of the queues", "modes", _bars(MODES, summary.get("by_mode") or {}, MODE_COLOURS, MODE_LABELS, "mode")))
    if findings is not None:
        note = plural(len(active), "finding") + (", %d suppressed (not counted)" % len(suppressed) if suppressed else "")
        body.append(_card("Findings by severity", "severities", _bars(SEVERITIES, by_severity, SEVERITY_COLOURS, {}, "severity"), note))
    body.append("</section>")
    if doc is None:
        body.append('<section id="queues"><h2>Queues</h2><p class="muted">This report has no queue inventory.</p></section>')
    else:
        if merged:
            body.append(_repositories(doc.get("repositories") or []))
        body.append(_queues(doc.get("queues") or [], merged))
        body.append(_keys(doc.get("keys") or [], summary, merged))
    if findings is not None:
        body.append(_findings(active, suppressed))
    body.append(_errors(errors, merged))
    body.append(_skipped(skipped))
    body.append(
        "<footer><p>Generated by sqsguard %s. This page is self-contained: it loads nothing from the network.</p></footer>"
        % e(facts.get("tool_version", ""))
    )
    return "".join(
        [
            "<!DOCTYPE html>\n",
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n',
            '<meta http-equiv="Content-Security-Policy" content="%s">\n' % e(CSP),
            '<meta name="referrer" content="no-referrer">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            '<meta name="generator" content="sqsguard %s">\n' % e(facts.get("tool_version", "")),
            "<title>%s</title>\n" % e(title),
            "<style>%s</style>\n" % _CSS,
            "</head>\n<body>\n<main>\n",
            "\n".join(part for part in body if part),
            "\n</main>\n<script>%s</script>\n</body>\n</html>\n" % _SCRIPT,
        ]
    )


def _header(title: str, doc: dict | None, facts: dict, errors: list[dict], skipped: list[dict] = ()) -> str:
    parts = [plural(facts.get("files_scanned") or 0, "file") + " scanned"]
    if doc is not None:
        summary = doc.get("summary") or {}
        parts.append(plural(summary.get("queues", 0), "queue"))
        parts.append(plural(summary.get("keys", 0), "key"))
        if doc.get("merged"):
            parts.append(plural(summary.get("repositories", 0), "repository", "repositories"))
    else:
        parts.append(plural(facts.get("queues") or 0, "queue"))
        parts.append(plural(facts.get("keys") or 0, "key"))
    parts = [e(p) for p in parts]
    if errors:
        parts.append('<span class="bad">%s</span>' % e(plural(len(errors), "error")))
    if skipped:
        parts.append('<span class="warn">%s skipped</span>' % e(plural(len(skipped), "file")))
    label = ""
    if doc is not None and doc.get("label"):
        label = '<p class="label">Repository <strong>%s</strong></p>' % e(doc["label"])
    return '<header class="top"><h1>%s</h1>%s<p class="facts" id="facts">%s · sqsguard %s</p></header>' % (
        e(title),
        label,
        " · ".join(parts),
        e(facts.get("tool_version", "")),
    )


def _nav(doc: dict | None, findings: list[dict] | None, errors: list[dict], merged: bool, skipped: list[dict] = ()) -> str:
    links = []
    if merged:
        links.append(("repositories", "Repositories"))
    links.append(("queues", "Queues"))
    if doc is not None:
        links.append(("keys", "Keys and cost"))
    if findings is not None:
        links.append(("findings", "Findings"))
    if errors:
        links.append(("errors", "Errors"))
    if skipped:
        links.append(("skipped", "Skipped files"))
    return '<nav aria-label="Sections">%s</nav>' % " ".join('<a href="#%s">%s</a>' % (anchor, text) for anchor, text in links)


def _card(heading: str, ident: str, content: str, note: str = "") -> str:
    return '<div class="card" id="%s"><h2>%s</h2>%s%s</div>' % (
        ident, e(heading), content, '<p class="note">%s</p>' % e(note) if note else "")


def _share_card(doc: dict | None) -> str:
    if doc is None:
        return ""
    summary = doc.get("summary") or {}
    big, rest = share_text(summary)
    share = summary.get("compliant_share")
    detail = ""
    if summary.get("queues"):
        detail = '<p class="note" id="share-detail">%d compliant · %d non-compliant</p>' % (
            summary.get("compliant", 0), summary.get("non_compliant", 0))
    tone = "none" if share is None else ("good" if share >= 1 else ("warn" if share >= 0.5 else "bad"))
    return (
        '<div class="card share-card"><h2>Compliance</h2>'
        '<p class="share %s" id="share" data-share="%s" data-queues="%d"><span class="big">%s</span>%s</p>%s'
        "</div>"
        % (tone, e("" if share is None else share), summary.get("queues", 0), e(big), e(rest), detail)
    )


def _cost_card(summary: dict) -> str:
    total = summary.get("kms_monthly_cost_usd") or 0
    return (
        '<div class="card cost-card"><h2>KMS cost a month</h2>'
        '<p class="share"><span class="big" id="total-cost" data-usd="%s">%s</span></p>'
        '<p class="note">Key fees and the KMS request bound of the queues; fees of keys outside the scanned code '
        "are not known.</p></div>" % (e(total), e(usd(total)))
    )


def _bars(names: Iterable[str], counts: dict, colours: dict, labels: dict, kind: str) -> str:
    """One row per name: its label, an inline SVG bar (its share of the total) and the count."""
    names = list(names)
    total = sum(int(counts.get(n, 0) or 0) for n in names)
    out = ['<ul class="bars" id="%s-bars">' % kind]
    for name in names:
        count = int(counts.get(name, 0) or 0)
        width = 100.0 * count / total if total else 0.0
        share = " (%s)" % percent(count / total) if total and count else ""
        out.append(
            '<li class="bar" data-%s="%s" data-count="%d"><span class="bar-label">%s</span>'
            '<svg class="bar-svg" viewBox="0 0 100 12" preserveAspectRatio="none" aria-hidden="true" focusable="false">'
            '<rect class="bar-track" x="0" y="0" width="100" height="12"></rect>'
            '<rect x="0" y="0" width="%.2f" height="12" fill="%s"></rect></svg>'
            '<span class="bar-count">%d%s</span></li>'
            % (kind, e(name), count, e(labels.get(name, name)), width, colours.get(name, "#6b7280"), count, e(share))
        )
    out.append("</ul>")
    return "".join(out)


def breakable(text: object) -> str:
    """Escaped text that may wrap after a / or a . (paths and addresses in narrow columns)."""
    return e(text).replace("/", "/<wbr>").replace(".", ".<wbr>").replace("_", "_<wbr>")


def _colgroup(widths: list[float], merged: bool) -> str:
    """Column widths in percent (fixed table layout), a Repository column first when merged."""
    if merged:
        widths = [10.0] + [w * 0.9 for w in widths]
    return "<colgroup>%s</colgroup>" % "".join('<col style="width:%.1f%%">' % w for w in widths)


def _th(text: str, kind: str = "text") -> str:
    return '<th scope="col" data-type="%s">%s</th>' % (kind, e(text))


def _td(content_html: str, sort: object = None, css: str = "") -> str:
    attrs = ""
    if sort is not None:
        attrs += ' data-sort="%s"' % e(sort)
    if css:
        attrs += ' class="%s"' % css
    return "<td%s>%s</td>" % (attrs, content_html)


def _names_cell(names: list[str], count: int | None = None) -> str:
    """A count (the principals the names stand for, when known), the names in its tooltip."""
    if count is None:
        count = len(names)
    if not names:
        return _td(str(count), count, "num" + ("" if count else " muted"))
    return _td('<span title="%s">%d</span>' % (e(", ".join(names)), count), count, "num")


def _queues(rows: list[dict], merged: bool) -> str:
    compliant = sum(1 for r in rows if r.get("compliant"))
    out = [
        (
            '<section id="queues"><h2>Queues</h2><p class="note">Compliant: a customer-managed key with a least-privilege key '
            "policy (no unsuppressed SQG1xx, SQG2xx, SQG304 or SQG4xx finding on the queue or its key).</p>"
        )
    ]
    if not rows:
        out.append('<p class="muted" id="no-queues">No queues in the scanned code.</p></section>')
        return "".join(out)
    out.append(
        '<div class="controls" id="queue-controls" hidden>'
        '<label>Filter <input type="search" id="queue-filter" placeholder="resource, file, key, rule…" autocomplete="off"></label> '
        '<label>Status <select id="queue-status"><option value="">all</option><option value="true">compliant</option>'
        '<option value="false">non-compliant</option></select></label> '
        '<span class="count" id="queue-count" aria-live="polite"></span></div>'
    )
    heads = [_th("Repository")] if merged else []
    heads += [
        _th("Resource"), _th("Location"), _th("Format"), _th("Encryption"), _th("Key"), _th("Rotation"),
        _th("Producers", "num"), _th("Consumers", "num"), _th("Status"), _th("Rules"),
    ]
    out.append('<div class="scroll"><table class="sortable fixed" id="queue-table" data-total="%d" data-compliant="%d">' % (len(rows), compliant))
    out.append(_colgroup([16.5, 15, 10.5, 10, 11.5, 6.5, 7.5, 8, 8.5, 6], merged))
    out.append("<thead><tr>%s</tr></thead><tbody>" % "".join(heads))
    for row in rows:
        cells = []
        if merged:
            cells.append(_td(e(row.get("repository") or ""), row.get("repository") or ""))
        resource = '<span class="res">%s</span>' % breakable(row.get("resource"))
        if row.get("construct_path"):
            resource += '<br><small class="muted">%s</small>' % breakable(row["construct_path"])
        cells.append(_td(resource, row.get("resource")))
        cells.append(_td('<code class="loc">%s</code>' % breakable(location(row.get("file"), row.get("line"))),
                         _location_key(row.get("file"), row.get("line"))))
        cells.append(_td(e(row.get("format")), row.get("format")))
        mode = row.get("encryption") if row.get("encryption") in MODES else "unverifiable"
        encryption = '<span class="mode mode-%s">%s</span>' % (mode, e(mode))
        if not row.get("explicit", True):
            encryption += ' <small class="muted">(AWS default)</small>'
        if row.get("when"):
            encryption += '<br><small class="muted">when %s</small>' % e(row["when"])
        cells.append(_td(encryption, "%d %s" % (MODES.index(mode), mode)))
        key = row.get("key")
        if key:
            shown = key.get("resource") or key.get("expression") or ""
            cell = '<code title="%s">%s</code>' % (e(key.get("expression") or ""), breakable(shown))
            if key.get("when"):
                cell += '<br><small class="muted">when %s</small>' % e(key["when"])
            cells.append(_td(cell, shown))
            text, css = rotation(key.get("rotation"))
        else:
            cells.append(_td('<span class="muted">—</span>', ""))
            text, css = rotation(None, has_key=False)
        cells.append(_td('<span class="%s">%s</span>' % (css, e(text)), text))
        cells.append(_names_cell(list(row.get("producers") or ()), row.get("producing_principals")))
        cells.append(_names_cell(list(row.get("consumers") or ()), row.get("consuming_principals")))
        ok = bool(row.get("compliant"))
        status = '<span class="badge %s">%s</span>' % ("ok" if ok else "ko", "compliant" if ok else "non-compliant")
        cells.append(_td(status, "1" if ok else "0"))
        rules = " ".join('<code class="rule-id">%s</code>' % e(r) for r in row.get("rules") or ())
        if row.get("accepted"):
            rules += ' <small class="muted">accepted: %s</small>' % e(", ".join(row["accepted"]))
        cells.append(_td(rules, " ".join(row.get("rules") or ())))
        out.append('<tr data-compliant="%s">%s</tr>' % ("true" if ok else "false", "".join(cells)))
    out.append("</tbody></table></div></section>")
    return "".join(out)


def _keys(rows: list[dict], summary: dict, merged: bool) -> str:
    out = ['<section id="keys"><h2>Keys and their monthly KMS cost</h2>']
    if not rows:
        out.append('<p class="muted" id="no-keys">No queue is encrypted with a KMS key.</p></section>')
        return "".join(out)
    heads = [_th("Repository")] if merged else []
    heads += [
        _th("Key"), _th("Location"), _th("Kind"), _th("Rotation"), _th("Queues", "num"),
        _th("Fee", "num"), _th("Requests a month", "num"), _th("Cost a month", "num"),
    ]
    out.append('<div class="scroll"><table class="sortable fixed" id="key-table">%s<thead><tr>%s</tr></thead><tbody>'
               % (_colgroup([22, 25, 12, 7, 7, 7, 11, 9], merged), "".join(heads)))
    for row in rows:
        cells = []
        if merged:
            cells.append(_td(e(row.get("repository") or ""), row.get("repository") or ""))
        key = "<code>%s</code>" % breakable(row.get("resource"))
        if row.get("replica_of"):
            key += '<br><small class="muted">replica of %s</small>' % e(row["replica_of"])
        cells.append(_td(key, row.get("resource")))
        where = location(row.get("file"), row.get("line"))
        cells.append(_td('<code class="loc">%s</code>' % breakable(where) if where else '<span class="muted">outside the scanned code</span>',
                         _location_key(row.get("file"), row.get("line"))))
        cells.append(_td(e(row.get("kind")), row.get("kind")))
        text, css = rotation(row.get("rotation"))
        cells.append(_td('<span class="%s">%s</span>' % (css, e(text)), text))
        cells.append(_names_cell(list(row.get("queues") or ())))
        fee = row.get("monthly_fee_usd")
        cells.append(_td(e(usd(fee)), -1 if fee is None else fee, "num" + (" muted" if fee is None else "")))
        requests = int(row.get("kms_requests_per_month") or 0)
        cells.append(_td(e("{:,}".format(requests)), requests, "num"))
        cost = row.get("monthly_cost_usd") or 0
        cells.append(_td('<span data-usd="%s">%s</span>' % (e(cost), e(usd(cost))), cost, "num"))
        out.append("<tr>%s</tr>" % "".join(cells))
    total = summary.get("kms_monthly_cost_usd") or 0
    out.append(
        '</tbody><tfoot><tr><th scope="row" colspan="%d">Total a month</th>'
        '<td class="num"><strong id="key-total" data-usd="%s">%s</strong></td></tr></tfoot>'
        % (len(heads) - 1, e(total), e(usd(total)))
    )
    out.append("</table></div></section>")
    return "".join(out)


def _repositories(rows: list[dict]) -> str:
    out = ['<section id="repositories"><h2>Repositories</h2><p class="note">Worst compliance share first.</p>']
    heads = [_th("Repository"), _th("Queues", "num"), _th("Compliant", "num"), _th("Share", "num")]
    heads += [_th(mode, "num") for mode in MODES]
    heads += [_th("Keys", "num"), _th("Errors", "num"), _th("KMS cost a month", "num"), _th("sqsguard")]
    out.append('<div class="scroll"><table class="sortable" id="repository-table"><thead><tr>%s</tr></thead><tbody>' % "".join(heads))
    for row in rows:
        share = row.get("compliant_share")
        by_mode = row.get("by_mode") or {}
        errors = int(row.get("errors") or 0)
        cells = [
            _td(e(row.get("label") or "—"), row.get("label") or ""),
            _td(str(int(row.get("queues") or 0)), row.get("queues") or 0, "num"),
            _td(str(int(row.get("compliant") or 0)), row.get("compliant") or 0, "num"),
            _td(e(percent(share)) if share is not None else '<span class="muted">no queues</span>', -1 if share is None else share, "num"),
        ]
        cells += [_td(str(int(by_mode.get(m) or 0)), by_mode.get(m) or 0, "num") for m in MODES]
        cells += [
            _td(str(int(row.get("keys") or 0)), row.get("keys") or 0, "num"),
            _td(str(errors), errors, "num" + (" bad" if errors else "")),
            _td(e(usd(row.get("kms_monthly_cost_usd") or 0)), row.get("kms_monthly_cost_usd") or 0, "num"),
            _td(e(row.get("tool_version") or ""), row.get("tool_version") or ""),
        ]
        out.append("<tr>%s</tr>" % "".join(cells))
    out.append("</tbody></table></div></section>")
    return "".join(out)


def _findings(active: list[dict], suppressed: list[dict]) -> str:
    out = ['<section id="findings"><h2>Findings</h2>']
    if not active:
        out.append('<p class="good">No findings.</p>')
    out.append('<ol class="findings" id="finding-list">')
    out.extend(_finding(f) for f in _worst_first(active))
    out.append("</ol>")
    if suppressed:
        out.append('<details class="suppressed"><summary>%s (not counted)</summary><ol class="findings" id="suppressed-list">'
                   % e(plural(len(suppressed), "suppressed finding")))
        out.extend(_finding(f) for f in _worst_first(suppressed))
        out.append("</ol></details>")
    out.append("</section>")
    return "".join(out)


def _worst_first(findings: list[dict]) -> list[dict]:
    ordered = sorted(findings, key=lambda f: (f.get("file") or "", f.get("line") or 0, f.get("rule_id") or "", f.get("resource") or ""))
    return sorted(ordered, key=lambda f: -SEVERITY_RANK.get(f.get("severity"), 0))


def _finding(finding: dict) -> str:
    severity = finding.get("severity") if finding.get("severity") in SEVERITIES else "info"
    rule = finding.get("rule_id") or ""
    resource = "<code>%s</code>" % e(finding.get("resource"))
    if finding.get("construct_path"):
        resource += ' <small class="muted">(%s)</small>' % e(finding["construct_path"])
    parts = [
        '<li class="finding sev-%s" data-severity="%s" data-rule="%s">' % (severity, severity, e(rule)),
        '<div class="finding-head"><span class="sev sev-%s">%s</span> <code class="rule-id">%s</code> <span class="slug">%s</span>'
        % (severity, severity, e(rule), e(finding.get("slug") or "")),
    ]
    if finding.get("title"):
        parts.append(' <span class="rule-title">%s</span>' % e(finding["title"]))
    parts.append("</div>")
    parts.append('<p class="message">%s</p>' % e(finding.get("message")))
    parts.append('<p class="where"><code class="loc">%s</code> · %s</p>' % (e(location(finding.get("file"), finding.get("line"))), resource))
    if finding.get("suppressed"):
        record = finding.get("suppression") or {}
        parts.append('<p class="muted">Suppressed (%s): %s</p>' % (e(record.get("kind") or "inline"), e(record.get("reason") or "no reason given")))
    if finding.get("fix"):
        parts.append(_fix(finding["fix"]))
    parts.append("</li>")
    return "".join(parts)


def _fix(fix: dict) -> str:
    out = ['<details class="fix"><summary>How to fix</summary>']
    out.extend('<p class="fix-text">%s</p>' % inline(text) for text in fix.get("text") or ())
    for section in fix.get("sections") or ():
        if section.get("name"):
            out.append("<h4>%s</h4>" % e(section["name"]))
        out.extend("<p>%s</p>" % inline(text) for text in section.get("text") or ())
        for block in section.get("blocks") or ():
            if block.get("label"):
                out.append('<p class="block-label">%s</p>' % e(block["label"]))
            out.append('<pre class="code" data-lang="%s"><code>%s</code></pre>' % (e(block.get("lang")), e(block.get("code"))))
    out.append("</details>")
    return "".join(out)


def _errors(errors: list[dict], merged: bool) -> str:
    if not errors:
        return ""
    out = ['<section id="errors"><h2 class="bad">%s (the scan is incomplete)</h2><ul class="errors">' % e(plural(len(errors), "error"))]
    for error in errors:
        where = location(error.get("file") or "?", error.get("line"))
        repo = '<span class="muted">%s</span> ' % e(error["repository"]) if merged and error.get("repository") else ""
        out.append("<li>%s<code>%s</code>: %s</li>" % (repo, e(where), e(error.get("message"))))
    out.append("</ul></section>")
    return "".join(out)


def _skipped(skipped: list[dict]) -> str:
    if not skipped:
        return ""
    out = ['<section id="skipped"><h2 class="warn">%s skipped (SQS or KMS resources in a form sqsguard does not read, not checked)</h2>'
           '<ul class="errors">' % e(plural(len(skipped), "file"))]
    for entry in skipped:
        out.append("<li><code>%s</code>: %s</li>" % (e(entry.get("file") or "?"), e(entry.get("reason"))))
    out.append("</ul></section>")
    return "".join(out)


_CSS = """
:root{color-scheme:light;--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--good:#1a7f37;--bad:#b91c1c;--warn:#9a6700;--link:#0550ae}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}
main{max-width:1680px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:32px 0 10px}
.card h2{font-size:13px;margin:0 0 8px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
h4{margin:14px 0 6px;font-size:14px}
a{color:var(--link)}
code,pre{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;font-size:13px}
pre code{overflow-wrap:normal}
.facts,.label{margin:0;color:var(--muted)}
nav{margin:12px 0 4px;display:flex;gap:16px;flex-wrap:wrap}
.overview{display:grid;grid-template-columns:minmax(250px,1fr) minmax(330px,1.45fr) minmax(330px,1.45fr);gap:16px;margin-top:16px}
.overview.no-findings{grid-template-columns:minmax(250px,1fr) minmax(330px,2.9fr)}
.stats{display:grid;gap:16px}
@media (max-width:980px){.overview,.overview.no-findings{grid-template-columns:1fr}}
.card{border:1px solid var(--line);border-radius:8px;padding:16px;background:var(--bg)}
.share{margin:0;font-size:18px}
.big{display:block;font-size:52px;font-weight:700;line-height:1.1;margin-right:6px;font-variant-numeric:tabular-nums}
.share.good .big{color:var(--good)}.share.warn .big{color:var(--warn)}.share.bad .big{color:var(--bad)}.share.none .big{color:var(--muted);font-size:36px}
.note{color:var(--muted);font-size:13px;margin:8px 0 0}
ul.bars{list-style:none;margin:0;padding:0}
li.bar{display:grid;grid-template-columns:110px 1fr 74px;gap:10px;align-items:center;margin:0 0 7px;font-size:14px}
.bar-label{text-align:right;color:var(--fg)}
svg.bar-svg{width:100%;height:16px;display:block;border-radius:3px}
.bar-track{fill:#eaeef2}
.bar-count{font-weight:600;font-variant-numeric:tabular-nums}
.controls{display:flex;gap:16px;align-items:center;flex-wrap:wrap;margin:6px 0 10px}
.controls[hidden]{display:none}
.controls input,.controls select{font:inherit;padding:4px 8px;border:1px solid #8c959f;border-radius:6px;background:#fff;color:var(--fg)}
.controls input{width:300px}
.count{color:var(--muted);font-size:13px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13.5px}
table.fixed{table-layout:auto;min-width:900px}
table.fixed td{overflow-wrap:normal}
.badge,.rule-id{white-space:nowrap}
td code{font-size:12.5px}
th,td{text-align:left;padding:6px 7px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:var(--soft);font-weight:600;font-size:13px;white-space:nowrap}
td.num,thead th[data-type=num]{text-align:right;font-variant-numeric:tabular-nums}
tfoot th,tfoot td{border-top:2px solid var(--fg);border-bottom:0;text-align:right}
tbody tr:hover{background:#f6f8fa}
th button{all:unset;cursor:pointer;display:inline-flex;gap:4px;align-items:center}
th button:focus-visible{outline:2px solid var(--link);outline-offset:2px}
th button{text-decoration:underline dotted #8c959f;text-underline-offset:3px}
th[aria-sort=ascending] button::after{content:"\\25B2";color:var(--fg)}
th[aria-sort=descending] button::after{content:"\\25BC";color:var(--fg)}
.muted{color:var(--muted)}.good{color:var(--good)}.bad{color:var(--bad)}.warn{color:var(--warn)}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:11.5px;font-weight:600;white-space:nowrap}
.badge.ok{background:#dafbe1;color:#116329}.badge.ko{background:#ffebe9;color:#a40e26}
.mode{white-space:nowrap;font-weight:600}
.mode-none{color:#b91c1c}.mode-sqs-owned{color:#c2410c}.mode-aws-managed{color:#8a5300}.mode-customer-key{color:#15803d}.mode-unverifiable{color:#57606a}
.rule-id{background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:0 4px;white-space:nowrap}
ol.findings{list-style:none;padding:0;margin:0}
.finding{border:1px solid var(--line);border-left:6px solid #4b5563;border-radius:6px;padding:10px 14px;margin:0 0 10px;break-inside:avoid}
.finding.sev-critical{border-left-color:#7e22ce}.finding.sev-high{border-left-color:#b91c1c}.finding.sev-medium{border-left-color:#b45309}
.finding.sev-low{border-left-color:#0369a1}.finding.sev-info{border-left-color:#4b5563}
.finding-head{display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.sev{color:#fff;border-radius:4px;padding:0 6px;font-size:12px;font-weight:700;text-transform:uppercase;letter-spacing:.03em}
.sev.sev-critical{background:#7e22ce}.sev.sev-high{background:#b91c1c}.sev.sev-medium{background:#b45309}
.sev.sev-low{background:#0369a1}.sev.sev-info{background:#4b5563}
.slug{font-weight:600}.rule-title{color:var(--muted)}
.message{margin:6px 0}.where{margin:0;color:var(--muted);font-size:13px}
details.fix{margin-top:8px}
details summary{cursor:pointer;font-weight:600;color:var(--link)}
.block-label{margin:8px 0 2px;font-weight:600;font-size:13px}
pre.code{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:10px 12px;overflow:auto;max-height:420px;margin:0}
ul.errors li{margin:4px 0}
footer{margin-top:40px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:10px}
@page{margin:12mm}
@media print{
 body{font-size:10pt}
 main{max-width:none;padding:0}
 nav,.controls{display:none}
 th button{text-decoration:none}
 th button::after{content:none}
 .scroll{overflow:visible}
 table.fixed{table-layout:auto;min-width:0;font-size:8pt}
 table.fixed td{overflow-wrap:anywhere}
 th,td{padding:3px 4px}
 thead th{font-size:8pt;overflow-wrap:normal}
 td code{font-size:7.5pt}
 .mode{white-space:normal}
 .badge,.badge.ok,.badge.ko{background:none;padding:0;font-size:8pt;white-space:normal}
 .overview{grid-template-columns:1fr 1fr}
 .card,.finding,tr{break-inside:avoid}
 pre.code{max-height:none;overflow:visible;white-space:pre-wrap}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 a{color:inherit;text-decoration:none}
}
""".strip()

# Sorting and filtering of the rows already in the page; text goes in with textContent only.
_SCRIPT = """
(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  function key(cell) {
    if (!cell) { return ""; }
    var v = cell.getAttribute("data-sort");
    return v === null ? cell.textContent.trim() : v;
  }
  function compare(a, b, numeric) {
    if (numeric) {
      var x = parseFloat(a), y = parseFloat(b);
      x = isNaN(x) ? -Infinity : x;
      y = isNaN(y) ? -Infinity : y;
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    return a.localeCompare(b, undefined, {numeric: true, sensitivity: "base"});
  }
  function sortable(table) {
    var heads = table.tHead.rows[0].cells;
    var body = table.tBodies[0];
    each(body.rows, function (row, i) { row.setAttribute("data-index", String(i)); });
    each(heads, function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      button.title = "Sort by " + th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        each(heads, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.getAttribute("data-type") === "num";
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var c = compare(key(a.cells[column]), key(b.cells[column]), numeric);
          return (ascending ? c : -c) ||
            (parseInt(a.getAttribute("data-index"), 10) - parseInt(b.getAttribute("data-index"), 10));
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }
  each(document.querySelectorAll("table.sortable"), sortable);

  var table = document.getElementById("queue-table");
  var controls = document.getElementById("queue-controls");
  if (table && controls) {
    var input = document.getElementById("queue-filter");
    var status = document.getElementById("queue-status");
    var count = document.getElementById("queue-count");
    var apply = function () {
      var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
      var wanted = status.value;
      var rows = table.tBodies[0].rows, shown = 0;
      each(rows, function (row) {
        var text = row.textContent.toLowerCase();
        var ok = (!wanted || row.getAttribute("data-compliant") === wanted) &&
          words.every(function (word) { return text.indexOf(word) >= 0; });
        row.hidden = !ok;
        if (ok) { shown += 1; }
      });
      count.textContent = shown + " of " + rows.length + " queues shown";
    };
    input.addEventListener("input", apply);
    status.addEventListener("change", apply);
    controls.hidden = false;
    apply();
  }

  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (d) { d.open = false; });
    closed = [];
  });
})();
""".strip()

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
# Inline style and this one script (by its hash: an injected script or handler would not run);
# nothing may be fetched, framed, submitted or used as a base.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-%s'; img-src 'none'; font-src 'none'; "
    "connect-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; child-src 'none'; "
    "worker-src 'none'; manifest-src 'none'; form-action 'none'; base-uri 'none'" % _SCRIPT_HASH
)
