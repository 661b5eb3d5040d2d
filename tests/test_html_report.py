"""The HTML report (`--format html` of `sqsguard scan` and `sqsguard inventory`) in a real
headless browser: Debian's Chromium (/usr/bin/chromium) driven by Playwright.

The pages come from real runs of the CLI, beside the JSON of the same run, and the numbers the
page shows are held to that JSON. Every page must render with no console error, no request but
its own file and no Content-Security-Policy violation; sorting reorders the DOM rows, filtering
hides them; hostile names from the scanned code or the document stay text.

Without Chromium or Playwright the browser tests skip, unless SQSGUARD_REQUIRE_BROWSER=1 (CI
sets it), then they fail.

Regenerate the screenshot of the README / docs with:

    .venv/bin/python tests/test_html_report.py --screenshot docs/html-report.png
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SQSGUARD = Path(sys.executable).parent / "sqsguard"
INVENTORY_SCHEMA = ROOT / "src" / "sqsguard" / "report" / "inventory-v1.schema.json"
SCREENSHOT = ROOT / "docs" / "html-report.png"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MODES = ("none", "sqs-owned", "aws-managed", "customer-key", "unverifiable")
SEVERITIES = ("critical", "high", "medium", "low", "info")

# Text that would be markup, script or an attribute break if it were not escaped.
HOSTILE = (
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(2)</script>",
    '"><svg onload=alert(3)>',
    "'><b onmouseover=alert(4)>bold</b>",
    "&amp; &lt;i&gt; stays &",
)
# Elements and handlers none of the pages has: any of them in the DOM is injected markup.
INJECTED = "img, svg[onload], b, i, iframe, object, embed, [onerror], [onload], [onmouseover], [onfocus], [onclick]"


# --------------------------------------------------------------------------------------------
# the browser


def _unavailable(reason: str):
    if os.environ.get("SQSGUARD_REQUIRE_BROWSER") == "1":
        pytest.fail("%s, and SQSGUARD_REQUIRE_BROWSER=1 asks for the browser tests" % reason, pytrace=False)
    pytest.skip(reason)


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _unavailable("Chromium is missing at %s (apt-get install -y chromium)" % CHROMIUM)
    manager = sync_playwright().start()
    try:
        chromium = launch(manager)
    except Exception as exc:  # the browser is there but does not start
        manager.stop()
        _unavailable("Chromium at %s did not launch: %s" % (CHROMIUM, str(exc).splitlines()[0]))
    yield chromium
    chromium.close()
    manager.stop()


@dataclass
class Loaded:
    page: object
    url: str
    console: list = field(default_factory=list)  # (type, text)
    page_errors: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    blocked: list = field(default_factory=list)
    dialogs: list = field(default_factory=list)

    def violations(self) -> list:
        return self.page.evaluate("window.__violations || []")

    def assert_clean(self, javascript: bool = True) -> None:
        errors = [text for kind, text in self.console if kind in ("error", "warning")]
        assert errors == [], errors
        assert self.page_errors == []
        assert self.dialogs == []
        assert self.requests == [self.url], "the page asked for more than itself: %s" % self.requests
        assert self.blocked == []
        if javascript:
            assert self.violations() == []


_RECORD_VIOLATIONS = (
    "window.__violations = [];"
    "document.addEventListener('securitypolicyviolation', function (e) {"
    "  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI); });"
)


def open_page(browser, path: Path, javascript: bool = True, width: int = 1280, height: int = 900) -> Loaded:
    context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=javascript,
                                  service_workers="block")
    page = context.new_page()
    loaded = Loaded(page, path.resolve().as_uri())
    page.on("console", lambda message: loaded.console.append((message.type, message.text)))
    page.on("pageerror", lambda error: loaded.page_errors.append(str(error)))
    page.on("request", lambda request: loaded.requests.append(request.url))

    def on_dialog(dialog):
        loaded.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    def route(request_route):
        if request_route.request.url == loaded.url:
            request_route.continue_()
        else:
            loaded.blocked.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    page.add_init_script(_RECORD_VIOLATIONS)
    page.goto(loaded.url, wait_until="load")
    return loaded


@pytest.fixture
def pages(browser):
    opened = []

    def opener(path: Path, **kwargs) -> Loaded:
        loaded = open_page(browser, path, **kwargs)
        opened.append(loaded)
        return loaded

    yield opener
    for loaded in opened:
        loaded.page.context.close()


# --------------------------------------------------------------------------------------------
# the runs


def sqsguard(*args: str, codes=(0,), cwd: Path = ROOT) -> subprocess.CompletedProcess:
    if not SQSGUARD.exists():
        pytest.fail("sqsguard is not installed beside this Python (%s)" % SQSGUARD)
    done = subprocess.run([str(SQSGUARD), *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode in codes, "sqsguard %s: exit %d\n%s" % (" ".join(args), done.returncode, done.stderr)
    return done


def scan_outputs(folder: Path, paths: list[str], cwd: Path = ROOT) -> tuple[Path, dict]:
    """`sqsguard scan PATHS --format html`, and `--format json` of the same paths."""
    folder.mkdir(parents=True, exist_ok=True)
    page, report = folder / "scan.html", folder / "scan.json"
    sqsguard("scan", *paths, "--format", "html", "--output", str(page), codes=(0, 1), cwd=cwd)
    sqsguard("scan", *paths, "--format", "json", "--output", str(report), codes=(0, 1), cwd=cwd)
    return page, json.loads(report.read_text(encoding="utf-8"))


def inventory_outputs(folder: Path, args: list[str], cwd: Path = ROOT, codes=(0,)) -> tuple[Path, dict]:
    """`sqsguard inventory ARGS --format html`, and `--format json` of the same arguments."""
    folder.mkdir(parents=True, exist_ok=True)
    page, document = folder / "inventory.html", folder / "inventory.json"
    sqsguard("inventory", *args, "--format", "html", "--output", str(page), codes=codes, cwd=cwd)
    sqsguard("inventory", *args, "--format", "json", "--output", str(document), codes=codes, cwd=cwd)
    doc = json.loads(document.read_text(encoding="utf-8"))
    validate_inventory(doc)
    return page, doc


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    return scan_outputs(tmp_path_factory.mktemp("scan"), ["examples/"])


@pytest.fixture(scope="module")
def inventoried(tmp_path_factory):
    return inventory_outputs(tmp_path_factory.mktemp("inventory"), ["examples/"])


def validate_inventory(doc: dict) -> None:
    import jsonschema

    schema = json.loads(INVENTORY_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)


# --------------------------------------------------------------------------------------------
# what the page shows


def percent(share: float) -> str:
    value = math.floor(share * 100 + 0.5)
    return "%d%%" % value


def principals(queue: dict, side: str) -> int:
    """The principals a queue's producers or consumers stand for (the names when not given)."""
    count = queue.get({"producers": "producing_principals", "consumers": "consuming_principals"}[side])
    return len(queue[side]) if count is None else count


def usd(value: float) -> str:
    return "${:,.2f}".format(value)


def queue_rows(page, visible_only: bool = False) -> list[dict]:
    """The queue table's rows as {column header: cell text}, in DOM order."""
    return page.evaluate(
        """(visibleOnly) => {
          const table = document.getElementById('queue-table');
          const heads = Array.from(table.tHead.rows[0].cells).map(th => th.textContent.trim());
          return Array.from(table.tBodies[0].rows)
            .filter(row => !visibleOnly || (!row.hidden && row.offsetParent !== null))
            .map(row => Object.fromEntries(heads.map((h, i) => [h, row.cells[i].innerText.trim()])));
        }""",
        visible_only,
    )


def column(page, table: str, name: str) -> list[str]:
    return page.evaluate(
        """([id, name]) => {
          const table = document.getElementById(id);
          const index = Array.from(table.tHead.rows[0].cells).findIndex(th => th.textContent.trim() === name);
          return Array.from(table.tBodies[0].rows).map(row => row.cells[index].innerText.trim());
        }""",
        [table, name],
    )


def bar_counts(page, kind: str) -> dict[str, tuple[int, str]]:
    """{mode or severity: (data-count, the count shown)}."""
    return page.evaluate(
        """(kind) => Object.fromEntries(Array.from(document.querySelectorAll('#' + kind + '-bars li.bar')).map(
             li => [li.getAttribute('data-' + kind), [parseInt(li.getAttribute('data-count'), 10),
                    li.querySelector('.bar-count').textContent.trim()]]))""",
        kind,
    )


def click_header(page, table: str, name: str) -> None:
    page.locator("#%s thead th" % table, has_text=name).get_by_role("button").click()


# --------------------------------------------------------------------------------------------
# the scan page, from a real run


def test_scan_page_renders_offline_with_no_errors(pages, scanned):
    path, _ = scanned
    loaded = pages(path)
    loaded.assert_clean()
    page = loaded.page
    assert page.title() == "sqsguard scan report"
    policy = page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == directives["img-src"] == directives["font-src"] == "'none'"
    assert directives["style-src"] == "'unsafe-inline'"
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/=]+'", directives["script-src"])  # only the page's own script
    # Self-contained: no external anything, one inline script, internal links only.
    assert page.evaluate("document.querySelectorAll('[src], link, img, iframe, object, embed, base').length") == 0
    assert page.evaluate("document.scripts.length") == 1
    hrefs = page.evaluate("Array.from(document.querySelectorAll('[href]')).map(a => a.getAttribute('href'))")
    assert hrefs and all(href.startswith("#") for href in hrefs)
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"https?://", source.split("</style>")[0])  # nothing in the head or the CSS
    assert "url(" not in source and "@import" not in source


def test_scan_page_numbers_match_the_json(pages, scanned, inventoried):
    path, report = scanned
    _, doc = inventoried
    page = pages(path).page
    summary = doc["summary"]
    assert summary["queues"] == report["summary"]["queues"] == len(doc["queues"]) > 0

    expected = "%s of %d queues compliant" % (percent(summary["compliant_share"]), summary["queues"])
    assert " ".join(page.inner_text("#share").split()) == expected
    assert page.inner_text("#share-detail") == "%d compliant · %d non-compliant" % (summary["compliant"], summary["non_compliant"])

    modes = bar_counts(page, "mode")
    assert list(modes) == list(MODES)
    for mode in MODES:
        count, shown = modes[mode]
        assert count == summary["by_mode"][mode]
        assert shown.split()[0] == str(count)

    severities = bar_counts(page, "severity")
    assert list(severities) == list(SEVERITIES)
    for severity in SEVERITIES:
        count, shown = severities[severity]
        assert count == report["summary"]["by_severity"][severity]
        assert shown.split()[0] == str(count)

    active = [f for f in report["findings"] if not f["suppressed"]]
    assert page.locator("#finding-list > li.finding").count() == len(active)
    for severity in SEVERITIES:
        assert page.locator('#finding-list > li[data-severity="%s"]' % severity).count() == report["summary"]["by_severity"][severity]

    rows = queue_rows(page)
    assert len(rows) == summary["queues"]
    assert sorted(r["Resource"].split("\n")[0] for r in rows) == sorted(q["resource"] for q in doc["queues"])
    assert sum(r["Status"] == "compliant" for r in rows) == summary["compliant"]
    by_place = {"%s:%d %s" % (q["file"], q["line"], q["resource"]): q for q in doc["queues"]}
    for row in rows:
        queue = by_place["%s %s" % (row["Location"], row["Resource"].split("\n")[0])]
        assert row["Producers"] == str(principals(queue, "producers"))
        assert row["Consumers"] == str(principals(queue, "consumers"))
        assert row["Rules"].split() == queue["rules"]
    for mode in MODES:
        assert sum(r["Encryption"].split()[0] == mode for r in rows) == summary["by_mode"][mode]

    assert page.locator("#key-table tbody tr").count() == len(doc["keys"])
    assert summary["keys"] == sum(1 for k in doc["keys"] if k["kind"] == "customer-managed")
    total = usd(summary["kms_monthly_cost_usd"])
    assert page.inner_text("#total-cost") == page.inner_text("#key-total") == total
    assert sorted(column(page, "key-table", "Cost a month")) == sorted(usd(k["monthly_cost_usd"]) for k in doc["keys"])
    assert page.inner_text("#facts").startswith("%d files scanned · %d queues · %d keys" % (
        report["summary"]["files_scanned"], summary["queues"], summary["keys"]))


def test_each_finding_has_its_rule_and_fix(pages, scanned):
    from sqsguard.catalog import fix_examples, lookup
    from sqsguard.report.html import FIX_SECTION, inline, parse_fix

    path, report = scanned
    page = pages(path).page
    items = page.locator("#finding-list > li.finding")
    shown = []
    for index in range(items.count()):
        item = items.nth(index)
        shown.append((item.get_attribute("data-rule"), item.locator(".loc").inner_text(), item.locator(".message").inner_text()))
    active = [f for f in report["findings"] if not f["suppressed"]]
    assert sorted(shown) == sorted((f["rule_id"], "%s:%d" % (f["file"], f["line"]), f["message"]) for f in active)
    # worst first
    ranks = [SEVERITIES.index(items.nth(i).get_attribute("data-severity")) for i in range(items.count())]
    assert ranks == sorted(ranks)

    for index in range(items.count()):
        item = items.nth(index)
        rule = item.get_attribute("data-rule")
        finding = next(f for f in active if f["rule_id"] == rule and item.locator(".loc").inner_text() == "%s:%d" % (f["file"], f["line"]))
        entry = lookup(rule)
        head = " ".join(item.locator(".finding-head").inner_text().split())
        assert "%s %s" % (rule, entry.slug) in head and finding["severity"].upper() in head.upper()
        fix = item.locator("details.fix")
        assert fix.locator("pre").first.is_visible() is False  # folded until asked for
        fix.locator("summary").click()
        section = FIX_SECTION[finding["format"]]
        intro = parse_fix(entry.sections["How to fix"])["text"]
        assert intro and fix.locator("p.fix-text").all_inner_texts() == [html.unescape(re.sub(r"<[^>]+>", "", inline(t))) for t in intro]
        assert fix.locator("h4").all_inner_texts() == [section]
        blocks = fix.locator("pre.code")
        examples = fix_examples(entry)[section]
        assert blocks.count() == 2
        assert blocks.nth(0).text_content() == examples["before"][1]
        assert blocks.nth(1).text_content() == examples["after"][1]
        assert blocks.nth(1).is_visible()


def test_sorting_a_column_reorders_the_rows(pages, scanned):
    page = pages(scanned[0]).page
    before = column(page, "queue-table", "Resource")

    click_header(page, "queue-table", "Producers")
    producers = [int(v) for v in column(page, "queue-table", "Producers")]
    assert producers == sorted(producers) and len(set(producers)) > 1
    assert page.get_attribute("#queue-table thead th:has-text('Producers')", "aria-sort") == "ascending"
    click_header(page, "queue-table", "Producers")
    producers = [int(v) for v in column(page, "queue-table", "Producers")]
    assert producers == sorted(producers, reverse=True)
    assert page.get_attribute("#queue-table thead th:has-text('Producers')", "aria-sort") == "descending"

    click_header(page, "queue-table", "Format")
    formats = column(page, "queue-table", "Format")
    assert formats == sorted(formats) and len(set(formats)) == 3
    click_header(page, "queue-table", "Status")
    statuses = column(page, "queue-table", "Status")
    assert statuses == sorted(statuses, key=lambda s: s == "compliant")  # non-compliant first
    after = column(page, "queue-table", "Resource")
    assert after != before and sorted(after) == sorted(before)  # the same rows, reordered

    click_header(page, "key-table", "Cost a month")
    costs = [float(v.lstrip("$<")) for v in column(page, "key-table", "Cost a month")]
    assert costs == sorted(costs)
    click_header(page, "key-table", "Cost a month")
    costs = [float(v.lstrip("$<")) for v in column(page, "key-table", "Cost a month")]
    assert costs == sorted(costs, reverse=True)
    assert page.locator("#key-total").is_visible()  # the total stays below the rows


def test_filtering_hides_rows(pages, scanned, inventoried):
    _, doc = inventoried
    page = pages(scanned[0]).page
    total = len(doc["queues"])
    assert page.inner_text("#queue-count") == "%d of %d queues shown" % (total, total)

    page.fill("#queue-filter", "cloudformation")
    rows = queue_rows(page, visible_only=True)
    expected = sum(q["format"] == "cloudformation" for q in doc["queues"])
    assert len(rows) == expected > 0
    assert all(r["Format"] == "cloudformation" for r in rows)
    assert page.inner_text("#queue-count") == "%d of %d queues shown" % (expected, total)

    page.fill("#queue-filter", "")
    page.select_option("#queue-status", "false")
    rows = queue_rows(page, visible_only=True)
    assert len(rows) == doc["summary"]["non_compliant"] and all(r["Status"] == "non-compliant" for r in rows)

    page.select_option("#queue-status", "true")
    page.fill("#queue-filter", "terraform")
    rows = queue_rows(page, visible_only=True)
    expected = sum(q["compliant"] and q["format"] == "terraform" for q in doc["queues"])
    assert len(rows) == expected > 0 and all(r["Status"] == "compliant" and r["Format"] == "terraform" for r in rows)

    page.select_option("#queue-status", "")
    page.fill("#queue-filter", "sqg103")  # rule ids are searchable too, case-insensitively
    rows = queue_rows(page, visible_only=True)
    assert len(rows) == sum("SQG103" in q["rules"] for q in doc["queues"]) > 0

    page.fill("#queue-filter", "no such queue anywhere")
    assert queue_rows(page, visible_only=True) == []
    page.fill("#queue-filter", "")
    assert len(queue_rows(page, visible_only=True)) == total


def test_page_works_without_javascript(pages, scanned, inventoried):
    _, doc = inventoried
    loaded = pages(scanned[0], javascript=False)
    loaded.assert_clean(javascript=False)
    page = loaded.page
    assert page.locator("#queue-table tbody tr:visible").count() == len(doc["queues"])
    assert page.locator("#key-table tbody tr:visible").count() == len(doc["keys"])
    assert not page.locator("#queue-controls").is_visible()  # the controls need the script
    assert page.locator("#queue-table thead button").count() == 0
    assert page.locator("#finding-list > li").count() > 0
    fix = page.locator("details.fix").first
    fix.locator("summary").click()  # <details> needs no script
    assert fix.locator("pre").first.is_visible()


def test_print_layout_opens_the_fixes(pages, scanned):
    page = pages(scanned[0]).page
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.evaluate("Array.from(document.querySelectorAll('details')).every(d => d.open)")
    assert not page.locator("#queue-controls").is_visible()
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.evaluate("Array.from(document.querySelectorAll('details')).every(d => !d.open)")


# --------------------------------------------------------------------------------------------
# hostile text stays text


HOSTILE_TERRAFORM = """\
resource "aws_sqs_queue" "evil" {
  name              = "<img src=x onerror=alert(1)>"
  kms_master_key_id = "%s"
}
"""


def test_hostile_names_in_scanned_code_stay_text(browser, pages, tmp_path):
    # A folder name and a key reference reach the file column, the key table and a message.
    folder = tmp_path / "code" / "<img src=x onerror=alert(1)>"
    folder.mkdir(parents=True)
    key = "</script><script>alert(2)</script>\\\" autofocus onfocus=\\\"alert(3)"
    (folder / "main.tf").write_text(HOSTILE_TERRAFORM % key, encoding="utf-8")
    literal_key = key.replace('\\"', '"')
    path, report = scan_outputs(tmp_path / "out", [str(tmp_path / "code")])
    message = next(f["message"] for f in report["findings"] if f["rule_id"] == "SQG104")
    assert literal_key in message  # the hostile text really reaches the report
    source = path.read_text(encoding="utf-8")
    assert "<script>alert" not in source and "<img src=x" not in source

    for variant in (path, without_csp(path)):
        loaded = pages(variant)
        page = loaded.page
        page.wait_for_timeout(200)  # give a handler that should not exist its chance
        assert loaded.dialogs == []
        assert page.evaluate("document.querySelectorAll('%s').length" % INJECTED) == 0
        assert page.evaluate("document.scripts.length") == 1
        text = page.inner_text("body")
        assert literal_key in text and "<img src=x onerror=alert(1)>" in text
        assert " ".join(message.split()) in " ".join(text.split())
        assert page.get_attribute("#queue-table tbody tr td:nth-child(5) code", "title") == literal_key
        if variant == path:
            loaded.assert_clean()


def without_csp(path: Path) -> Path:
    """The page without its Content-Security-Policy: the escaping alone must hold."""
    source = path.read_text(encoding="utf-8")
    stripped, count = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n?', "", source)
    assert count == 1
    copy_path = path.with_name(path.stem + "-no-csp.html")
    copy_path.write_text(stripped, encoding="utf-8")
    return copy_path


def hand_made_inventory(hostile: str = "") -> dict:
    """A merged inventory of two repositories, 13 queues, 8 compliant (62%), valid against the
    schema; `hostile` is put into every string the document lets it."""
    h = hostile

    def queue(n: int, repo: str, mode: str, compliant: bool, producers=(), rules=()) -> dict:
        key = None
        if mode in ("customer-key", "aws-managed", "unverifiable"):
            key = {"resource": "aws_kms_key.k%d%s" % (n, h) if mode == "customer-key" else None,
                   "expression": "aws_kms_key.k%d.arn%s" % (n, h), "file": "kms%s.tf" % h if mode == "customer-key" else None,
                   "line": 3 if mode == "customer-key" else None, "rotation": True if mode == "customer-key" else None,
                   "tags": {"owner": "team" + h} if mode == "customer-key" else None, "when": ""}
        return {
            "root": "queues/%s" % (h or "x"), "resource": "aws_sqs_queue.q%02d%s" % (n, h), "resource_type": "aws_sqs_queue", "format": "terraform",
            "file": "queues/%s/main.tf" % (h or "x"), "line": n, "construct_path": ("Stack/Q%s" % h) if h else None,
            "repository": repo, "encryption": mode, "explicit": True, "when": ("var.env%s" % h) if h else "",
            "key": key, "reuse_period_seconds": 300 if key else None,
            "producers": ["aws_sns_topic.t%s" % h] * len(producers) if producers else [],
            "consumers": ["aws_lambda_function.f%s" % h] if n % 3 == 0 else [],
            "producing_principals": len(producers), "consuming_principals": 1 if n % 3 == 0 else 0,
            "compliant": compliant, "rules": list(rules), "accepted": [],
            "kms_requests_per_month": 25920 if key else None, "monthly_cost_usd": 0.0778 if key else None,
        }

    repo_a, repo_b = "acme/payments" + h, "acme/orders" + h
    queues = [queue(i, repo_a, "customer-key", True, producers=(1,) * (i % 3)) for i in range(1, 6)]
    queues += [queue(6, repo_a, "none", False, rules=["SQG101"]), queue(7, repo_a, "sqs-owned", False, rules=["SQG102"])]
    queues += [queue(i, repo_b, "customer-key", True) for i in range(8, 11)]
    queues += [queue(11, repo_b, "aws-managed", False, rules=["SQG103"]), queue(12, repo_b, "unverifiable", False, rules=["SQG104"]),
               queue(13, repo_b, "sqs-owned", False, rules=["SQG102"])]
    keys = [{
        "resource": "aws_kms_key.k%d%s" % (n, h), "resource_type": "aws_kms_key", "file": "kms%s.tf" % h, "line": 3,
        "repository": repo_a if n < 6 else repo_b, "kind": "customer-managed", "rotation": n % 2 == 0,
        "tags": {"owner": "team" + h}, "replica_of": None, "queues": ["aws_sqs_queue.q%02d%s" % (n, h)],
        "monthly_fee_usd": 1.0, "kms_requests_per_month": 25920, "monthly_cost_usd": 1.0778,
    } for n in (1, 2, 3, 4, 5, 8, 9, 10)]
    keys.append({"resource": "aws_kms_key.k12.arn" + h, "resource_type": None, "file": None, "line": None,
                 "repository": repo_b, "kind": "unverifiable", "rotation": None, "tags": None, "replica_of": None,
                 "queues": ["aws_sqs_queue.q12" + h], "monthly_fee_usd": None, "kms_requests_per_month": 25920,
                 "monthly_cost_usd": 0.0778})

    def by_mode(rows):
        return {m: sum(r["encryption"] == m for r in rows) for m in MODES}

    def repository(label):
        rows = [q for q in queues if q["repository"] == label]
        own = [k for k in keys if k["repository"] == label]
        good = sum(q["compliant"] for q in rows)
        return {"label": label, "tool_version": "0.1.0", "queues": len(rows), "compliant": good,
                "compliant_share": round(good / len(rows), 4), "by_mode": by_mode(rows), "keys": len(own),
                "errors": 1 if label == repo_b else 0, "kms_monthly_cost_usd": round(sum(k["monthly_cost_usd"] for k in own), 4)}

    repositories = sorted([repository(repo_a), repository(repo_b)], key=lambda r: r["compliant_share"])
    doc = {
        "version": 1, "kind": "inventory", "tool": {"name": "sqsguard", "version": "0.1.0"}, "label": None, "merged": 2,
        "queues": queues, "keys": keys, "repositories": repositories,
        "errors": [{"file": "broken%s.tf" % h, "line": 4, "message": "cannot parse%s" % h, "repository": repo_b}],
        "summary": {"queues": 13, "compliant": 8, "non_compliant": 5, "compliant_share": round(8 / 13, 4), "by_mode": by_mode(queues),
                    "keys": len(keys), "files_scanned": 6, "repositories": 2,
                    "kms_monthly_cost_usd": round(sum(k["monthly_cost_usd"] for k in keys), 4)},
    }
    validate_inventory(doc)
    return doc


def hostile_findings(h: str) -> list[dict]:
    return [{
        "rule_id": "SQG101", "slug": "queue-unencrypted", "severity": "high", "message": "queue %s is unencrypted" % h,
        "file": "queues/%s/main.tf" % h, "line": 6, "end_line": 8, "resource": "aws_sqs_queue.q06" + h,
        "resource_type": "aws_sqs_queue", "format": "terraform", "construct_path": None, "root": None,
        "fingerprint": "0" * 32, "suppressed": False, "suppression": None,
    }, {
        "rule_id": "SQG102", "slug": "queue-sqs-owned-key", "severity": "medium", "message": "accepted " + h,
        "file": "queues/x/main.tf", "line": 7, "end_line": 7, "resource": "aws_sqs_queue.q07", "resource_type": "aws_sqs_queue",
        "format": "terraform", "construct_path": None, "root": None, "fingerprint": "1" * 32, "suppressed": True,
        "suppression": {"kind": "inline", "reason": "reason " + h},
    }]


@pytest.mark.parametrize("hostile", HOSTILE, ids=["img-onerror", "script-breakout", "attribute-breakout", "quote-breakout", "entities"])
def test_hostile_document_stays_text(pages, tmp_path, hostile):
    from sqsguard.report.html import render_inventory

    doc = hand_made_inventory(hostile)
    path = tmp_path / "inventory.html"
    path.write_text(render_inventory(doc, findings=hostile_findings(hostile)), encoding="utf-8")
    for variant in (path, without_csp(path)):
        loaded = pages(variant)
        page = loaded.page
        page.wait_for_timeout(100)
        if variant == path:
            loaded.assert_clean()
        assert loaded.dialogs == []
        assert page.evaluate("document.querySelectorAll('%s').length" % INJECTED) == 0
        assert page.evaluate("document.scripts.length") == 1
        page.locator("details.suppressed > summary").click()
        text = page.inner_text("body")
        for shown in ("aws_sqs_queue.q01" + hostile, "acme/orders" + hostile, "cannot parse" + hostile,
                      "queue %s is unencrypted" % hostile, "reason " + hostile, "queues/%s/main.tf:6" % hostile,
                      "when var.env" + hostile, "Stack/Q" + hostile):
            assert " ".join(shown.split()) in " ".join(text.split()), shown
        producer = page.locator("#queue-table tbody tr").nth(0).locator("td").nth(7).locator("span")
        assert producer.get_attribute("title") == "aws_sns_topic.t" + hostile
        assert page.title() == "sqsguard inventory: 2 repositories"


def test_hand_made_merged_inventory(pages, tmp_path):
    from sqsguard.report.html import render_inventory

    doc = hand_made_inventory()
    path = tmp_path / "merged.html"
    path.write_text(render_inventory(doc), encoding="utf-8")
    loaded = pages(path)
    loaded.assert_clean()
    page = loaded.page
    assert " ".join(page.inner_text("#share").split()) == "62% of 13 queues compliant"
    assert column(page, "repository-table", "Repository") == [r["label"] for r in doc["repositories"]]
    assert column(page, "repository-table", "Share") == [percent(r["compliant_share"]) for r in doc["repositories"]]
    assert {m: c for m, (c, _) in bar_counts(page, "mode").items()} == doc["summary"]["by_mode"]
    assert page.inner_text("#key-total") == usd(doc["summary"]["kms_monthly_cost_usd"])
    assert column(page, "queue-table", "Repository")[0] == doc["queues"][0]["repository"]
    assert page.locator("#findings").count() == 0 and page.locator("#severity-bars").count() == 0
    assert page.locator("#errors li").inner_text() == "acme/orders broken.tf:4: cannot parse"
    unknown_fee = page.locator("#key-table tbody tr").last.locator("td").nth(6)
    assert unknown_fee.inner_text() == "unknown"


# --------------------------------------------------------------------------------------------
# sqsguard inventory --format html (the inventory command)


def test_inventory_page_matches_its_json(pages, inventoried):
    path, doc = inventoried
    loaded = pages(path)
    loaded.assert_clean()
    page = loaded.page
    summary = doc["summary"]
    expected = "%s of %d queues compliant" % (percent(summary["compliant_share"]), summary["queues"])
    assert " ".join(page.inner_text("#share").split()) == expected
    assert {m: c for m, (c, _) in bar_counts(page, "mode").items()} == summary["by_mode"]
    assert page.locator("#queue-table tbody tr").count() == summary["queues"]
    assert page.locator("#key-table tbody tr").count() == len(doc["keys"])
    assert page.inner_text("#key-total") == usd(summary["kms_monthly_cost_usd"])
    assert column(page, "queue-table", "Location") == ["%s:%d" % (q["file"], q["line"]) for q in doc["queues"]]


def test_merged_inventory_page_from_the_cli(pages, tmp_path):
    parts = []
    for label, paths in (("acme/cloudformation", ["examples/cloudformation"]), ("acme/terraform", ["examples/terraform"]),
                         ("acme/cdk", ["examples/cdk"])):
        out = tmp_path / label.replace("/", "-")
        inventory_outputs(out, [*paths, "--label", label])
        parts.append(str(out / "inventory.json"))
    path, merged = inventory_outputs(tmp_path / "merged", [arg for part in parts for arg in ("--merge", part)])
    loaded = pages(path)
    loaded.assert_clean()
    page = loaded.page
    labels = [r["label"] for r in merged["repositories"]]
    assert sorted(labels) == ["acme/cdk", "acme/cloudformation", "acme/terraform"]
    assert column(page, "repository-table", "Repository") == labels  # worst share first, as the document has it
    shares = [r["compliant_share"] for r in merged["repositories"]]
    assert shares == sorted(shares)
    assert column(page, "repository-table", "Queues") == [str(r["queues"]) for r in merged["repositories"]]
    summary = merged["summary"]
    expected = "%s of %d queues compliant" % (percent(summary["compliant_share"]), summary["queues"])
    assert " ".join(page.inner_text("#share").split()) == expected
    assert page.inner_text("#key-total") == usd(summary["kms_monthly_cost_usd"])
    assert column(page, "queue-table", "Repository") == [q["repository"] for q in merged["queues"]]


def test_no_queues(pages, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("nothing to scan\n", encoding="utf-8")
    path, doc = inventory_outputs(tmp_path / "out", [str(empty)])
    assert doc["summary"]["queues"] == 0 and doc["summary"]["compliant_share"] is None
    loaded = pages(path)
    loaded.assert_clean()
    page = loaded.page
    assert page.inner_text("#share").strip() == "no queues"
    assert page.locator("#queue-table").count() == 0 and page.locator("#no-queues").is_visible()
    assert {m: c for m, (c, _) in bar_counts(page, "mode").items()} == {m: 0 for m in MODES}


# --------------------------------------------------------------------------------------------
# without a browser


def test_scan_page_without_an_inventory():
    from sqsguard.findings import Report
    from sqsguard.report import render

    text = render("html", Report(tool_version="0.1.0"), colour=False, unknown_option=1)
    assert "This report has no queue inventory." in text and "No findings." in text
    assert text.startswith("<!DOCTYPE html>") and text.endswith("</html>\n")


def test_script_hash_in_the_policy():
    import base64
    import hashlib

    from sqsguard.report.html import render_inventory

    page = render_inventory(hand_made_inventory())
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert "script-src 'sha256-%s'" % digest in html.unescape(page.split("<style>", 1)[0])
    assert "innerHTML" not in script and "eval(" not in script and "document.write" not in script


def test_percent_is_never_rounded_to_all_or_none():
    from sqsguard.report.html import percent as shown

    assert shown(0.6154) == "62%" and shown(1) == "100%" and shown(0) == "0%"
    assert shown(0.9996) == "99%" and shown(0.004) == "<1%" and shown(0.625) == "63%"


def test_screenshot_is_current_size():
    """docs/html-report.png: a PNG 1280 pixels wide (regenerate: see the module docstring)."""
    if not SCREENSHOT.exists() and not (ROOT / ".git").exists():
        pytest.skip("docs/ is not shipped in the sdist")
    data = SCREENSHOT.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1280 and 800 <= height <= 1600


# --------------------------------------------------------------------------------------------
# the screenshot


def screenshot(target: Path = SCREENSHOT, width: int = 1280, height: int = 1600) -> Path:
    """`sqsguard scan examples/ --format html`, its top `height` pixels at `width`, as PNG."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        page_path, _ = scan_outputs(Path(folder), ["examples/"])
        with sync_playwright() as manager:
            chromium = launch(manager)
            page = chromium.new_page(viewport={"width": width, "height": height})
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target), full_page=False)
            chromium.close()
    return target


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshot", metavar="PNG", type=Path, default=None, help="write the screenshot (default: docs/html-report.png)")
    arguments = parser.parse_args()
    print(screenshot(arguments.screenshot or SCREENSHOT))
