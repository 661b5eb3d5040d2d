"""`sqsguard inventory` and `sqsguard cost`: golden JSON on fixtures (modules, a key chosen by a
condition, keys that cannot be known, an accepted finding), AWS's worked examples, CSV read back,
the schema, compliance as the findings decide it, labels, and the organisation roll-up."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from fixture_scan import run_cli
from sqsguard import __version__, cost
from sqsguard.inventory import MergeError, load, merge, schema_problem
from sqsguard.repository import remote_label

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
MIXED = "tests/fixtures/inventory/mixed"
SCHEMA = json.loads((ROOT / "src" / "sqsguard" / "report" / "inventory-v1.schema.json").read_text())


def run(*args: str, cwd: Path = ROOT):
    return run_cli(args, cwd)


def inventory_json(*args: str, cwd: Path = ROOT) -> dict:
    result = run("inventory", *args, "--format", "json", cwd=cwd)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    jsonschema.validate(doc, SCHEMA)
    return doc


def golden(name: str, doc: dict, update: bool) -> None:
    text = json.dumps(doc, indent=2).replace('"version": "%s"' % __version__, '"version": "X.Y.Z"') + "\n"
    path = FIXTURES / "inventory" / name
    if update:
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), "no golden file %s; run pytest --update-snapshots and review it" % path
    assert text == path.read_text(encoding="utf-8")


# --- golden documents -------------------------------------------------------------------------


def test_inventory_of_a_mixed_repository_is_the_reviewed_golden(update_snapshots):
    golden("mixed.inventory.json", inventory_json(MIXED, "--label", "acme/mixed"), update_snapshots)


def test_cost_of_a_mixed_repository_is_the_reviewed_golden(update_snapshots):
    result = run("cost", MIXED, "--format", "json")
    assert result.exit_code == 0, result.output
    golden("mixed.cost.json", json.loads(result.output), update_snapshots)


def test_the_golden_inventory_says_what_each_queue_is():
    rows = {r["resource"]: r for r in inventory_json(MIXED, "--label", "acme/mixed")["queues"]}
    assert rows["module.orders.aws_sqs_queue.this"]["encryption"] == "customer-key"
    assert rows["module.orders.aws_sqs_queue.this"]["key"]["resource"] == "aws_kms_key.orders"
    assert rows["module.orders.aws_sqs_queue.this"]["compliant"] is True
    assert rows["module.orders.aws_sqs_queue.dlq"]["rules"] == ["SQG102"]
    # rotation off (SQG301) and a short reuse period (SQG501) do not decide compliance
    assert rows["aws_sqs_queue.reports"]["compliant"] is True
    assert rows["aws_sqs_queue.reports"]["key"]["rotation"] is False
    assert rows["aws_sqs_queue.reports"]["reuse_period_seconds"] == 60
    # a suppressed finding is accepted: compliant, and said
    assert rows["aws_sqs_queue.audit"]["compliant"] is True and rows["aws_sqs_queue.audit"]["accepted"] == ["SQG102"]
    assert rows["aws_sqs_queue.ledger"]["encryption"] == "unverifiable"
    assert rows["aws_sqs_queue.ledger"]["key"] == {"resource": None, "expression": "var.shared_key_arn", "file": None,
                                                   "line": None, "rotation": None, "tags": None, "when": ""}
    assert rows["ImportedQueue"]["rules"] == ["SQG104"]
    assert rows["PlainQueue"]["encryption"] == "none"
    assert rows["EventsQueue"]["producers"] == ["SNS subscription EventsSubscription (topic EventsTopic)"]
    assert rows["EventsQueue"]["reuse_period_seconds"] == 120  # the shorter branch (IsProd false)


def test_a_condition_decides_the_mode_and_the_inventory_says_when():
    doc = inventory_json(MIXED, "--var", "production=true", "--label", "x")
    assert {r["resource"]: r["encryption"] for r in doc["queues"]}["aws_sqs_queue.payments"] == "customer-key"
    archive = {r["resource"]: r for r in doc["queues"]}["ArchiveQueue"]
    assert (archive["encryption"], archive["explicit"], archive["when"]) == ("sqs-owned", False, "IsProd is false")
    assert (archive["key"]["resource"], archive["key"]["when"]) == ("EventsKey", "IsProd is true")  # the other branch's, which costs
    assert archive["compliant"] is False and archive["rules"] == ["SQG102"]
    assert archive["kms_requests_per_month"] == 25_920
    line = [x for x in run("inventory", MIXED, "--label", "x").output.splitlines() if x.startswith("ArchiveQueue")][0]
    assert "SQS-owned" in line and "is false" in line and "no: SQG102" in line  # cut in the middle to fit 120 columns


def test_summary_counts_follow_the_rows():
    doc = inventory_json(MIXED, "--label", "acme/mixed")
    rows, summary = doc["queues"], doc["summary"]
    assert summary["queues"] == len(rows) == 10
    assert summary["compliant"] == sum(r["compliant"] for r in rows) == 4
    assert summary["compliant_share"] == round(4 / 10, 4)
    assert sum(summary["by_mode"].values()) == 10
    assert summary["by_mode"] == {"none": 1, "sqs-owned": 3, "aws-managed": 1, "customer-key": 3, "unverifiable": 2}
    assert abs(summary["kms_monthly_cost_usd"] - sum(k["monthly_cost_usd"] for k in doc["keys"])) < 0.0001 * len(doc["keys"])
    assert doc["repositories"] == [{
        "label": "acme/mixed", "tool_version": __version__, "queues": 10, "compliant": 4,
        "compliant_share": round(4 / 10, 4), "by_mode": summary["by_mode"], "keys": summary["keys"], "errors": 0,
        "kms_monthly_cost_usd": summary["kms_monthly_cost_usd"],
    }]


def test_inventory_matches_the_scan_findings_exactly():
    """Compliance is what the scan's findings say: every non-compliant row's rules are the
    unsuppressed SQG1/SQG2/SQG304/SQG4 findings on the queue or its key."""
    scan = json.loads(run("scan", MIXED, "--format", "json").output)
    active = {(f["resource"], f["rule_id"]) for f in scan["findings"] if not f["suppressed"]}
    for row in inventory_json(MIXED)["queues"]:
        owners = {row["resource"]} | ({row["key"]["resource"]} if row["key"] and row["key"]["resource"] else set())
        expected = sorted({rule for (resource, rule) in active if resource in owners
                           and rule.startswith(("SQG1", "SQG2", "SQG304", "SQG4"))})
        assert row["rules"] == expected, row["resource"]


def test_no_queues_is_a_share_of_none_not_a_number(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_kms_key" "k" {}\n')
    doc = inventory_json(str(tmp_path))
    assert doc["summary"]["queues"] == 0 and doc["summary"]["compliant_share"] is None
    assert "No queues found." in run("inventory", str(tmp_path)).output


def test_an_unreadable_file_is_listed_and_exits_2(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n')
    (tmp_path / "ok.tf").write_text('resource "aws_sqs_queue" "ok" {}\n')
    result = run("inventory", str(tmp_path), "--format", "json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["errors"] and doc["errors"][0]["file"].endswith("main.tf")
    assert "Traceback" not in result.output


# --- text and CSV -----------------------------------------------------------------------------


def test_csv_reads_back_as_the_json_rows():
    doc = inventory_json(MIXED, "--label", "acme/mixed")
    result = run("inventory", MIXED, "--label", "acme/mixed", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == len(doc["queues"])
    for row, queue in zip(rows, doc["queues"]):
        assert row["resource"] == queue["resource"] and row["file"] == queue["file"] and int(row["line"]) == queue["line"]
        assert row["encryption"] == queue["encryption"]
        assert row["compliant"] == ("yes" if queue["compliant"] else "no")
        assert row["rules"] == ";".join(queue["rules"])
        assert row["repository"] == "acme/mixed"
        assert row["key"] == ((queue["key"] or {}).get("resource") or "")


def test_text_table_fits_120_columns_and_ends_with_the_share():
    out = run("inventory", MIXED).output
    lines = out.splitlines()
    assert max(len(line) for line in lines if not line.startswith("KMS:")) <= 120
    assert "4 of 10 queues compliant (40%)." in out
    assert "Encryption: none 1, SQS-owned 3, AWS-managed 1, customer key 3, unverifiable 2." in out


def test_files_named_alone_list_only_their_queues():
    doc = inventory_json(MIXED + "/cloudformation/stack.yaml")
    assert {r["resource"] for r in doc["queues"]} == {"EventsQueue", "ImportedQueue", "PlainQueue", "ArchiveQueue"}


# --- cost -------------------------------------------------------------------------------------


def test_aws_worked_examples_by_the_formula():
    assert cost.kms_requests(2_678_400, 300, 1, 1) == 26_784
    assert cost.kms_requests(2_419_200, 86_400, 3, 1) + cost.kms_requests(2_419_200, 86_400, 5, 2) == 532
    assert cost.month_seconds(31) == 2_678_400 and cost.month_seconds(28) == 2_419_200
    assert round(cost.request_cost(1_000_000), 4) == 3.0


def test_aws_january_example_from_code():
    doc = json.loads(run("cost", "tests/fixtures/cost/january", "--month-days", "31", "--format", "json").output)
    assert [(q["resource"], q["producers"], q["consumers"], q["kms_requests_per_month"]) for q in doc["queues"]] == [
        ("aws_sqs_queue.orders", 1, 1, 26_784)]
    assert doc["totals"]["kms_requests_per_month"] == 26_784
    assert doc["totals"]["key_fees_usd"] == 1.0


def test_aws_february_example_from_code_counts_the_principals_the_code_shows():
    doc = json.loads(run("cost", "tests/fixtures/cost/february", "--month-days", "28", "--format", "json").output)
    assert [(q["resource"], q["producers"], q["consumers"], q["producers_from"], q["kms_requests_per_month"]) for q in doc["queues"]] == [
        ("aws_sqs_queue.first", 3, 1, "code", 196), ("aws_sqs_queue.second", 5, 2, "code", 336)]
    assert doc["totals"]["kms_requests_per_month"] == 532
    assert [(k["resource"], k["monthly_fee_usd"], k["kms_requests_per_month"]) for k in doc["keys"]] == [("aws_kms_key.orders", 1.0, 532)]


def test_flags_and_configuration_give_the_principals(tmp_path):
    doc = json.loads(run("cost", "tests/fixtures/cost/february", "--producers", "10", "--consumers", "4", "--format", "json").output)
    assert {q["producers_from"] for q in doc["queues"]} == {"option"}
    assert doc["queues"][0]["kms_requests_per_month"] == cost.kms_requests(2_592_000, 86_400, 10, 4) == 720
    work = tmp_path / "repo"
    work.mkdir()
    (work / "main.tf").write_text(
        'resource "aws_kms_key" "k" {}\nresource "aws_sqs_queue" "q" {\n  kms_master_key_id = aws_kms_key.k.arn\n'
        '  kms_data_key_reuse_period_seconds = 60\n}\n')
    (work / ".sqsguard.yaml").write_text("cost:\n  producers: 3\n  consumers: 2\n")
    doc = json.loads(run("cost", str(work), "--format", "json").output)
    assert (doc["queues"][0]["producers"], doc["queues"][0]["consumers"]) == (3, 2)
    assert doc["queues"][0]["kms_requests_per_month"] == 2_592_000 // 60 * 8
    doc = json.loads(run("cost", str(work), "--consumers", "1", "--format", "json").output)
    assert (doc["queues"][0]["producers"], doc["queues"][0]["consumers"]) == (3, 1)  # the flag wins per name
    scan = json.loads(run("scan", str(work), "--format", "json").output)
    message = [f["message"] for f in scan["findings"] if f["rule_id"] == "SQG501"][0]
    assert "3 producing principals (configured) and 2 consuming principals (configured)" in message
    assert "345,600 KMS requests" in message  # the same model as `cost`


def test_an_unreadable_reuse_period_is_bounded_by_the_minimum_and_said(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "reuse" {\n  type = number\n}\nresource "aws_kms_key" "k" {}\nresource "aws_sqs_queue" "q" {\n'
        '  kms_master_key_id = aws_kms_key.k.arn\n  kms_data_key_reuse_period_seconds = var.reuse\n}\n')
    doc = json.loads(run("cost", str(tmp_path), "--format", "json").output)
    queue = doc["queues"][0]
    assert queue["reuse_period_known"] is False and queue["reuse_period_seconds"] == 60
    assert "var.reuse" in queue["reuse_period_unknown"]
    assert "unknown (60 s used)" in run("cost", str(tmp_path)).output
    scan = json.loads(run("scan", str(tmp_path), "--format", "json").output)
    assert "SQG501" not in {f["rule_id"] for f in scan["findings"]}  # never a confident alarm on a guess


def test_cost_csv_reads_back():
    doc = json.loads(run("cost", MIXED, "--format", "json").output)
    rows = list(csv.DictReader(io.StringIO(run("cost", MIXED, "--format", "csv").output)))
    assert [(r["resource"], int(r["kms_requests_per_month"]), float(r["monthly_cost_usd"])) for r in rows] == [
        (q["resource"], q["kms_requests_per_month"], q["monthly_cost_usd"]) for q in doc["queues"]]


def test_replicas_pay_their_fee_beside_their_primary(tmp_path):
    (tmp_path / "main.tf").write_text(
        'resource "aws_kms_key" "k" {\n  multi_region = true\n}\n'
        'resource "aws_kms_replica_key" "r" {\n  primary_key_arn = aws_kms_key.k.arn\n}\n'
        'resource "aws_kms_replica_key" "unrelated" {\n  primary_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/mrk-1"\n}\n'
        'resource "aws_sqs_queue" "q" {\n  kms_master_key_id = aws_kms_key.k.arn\n}\n')
    doc = json.loads(run("cost", str(tmp_path), "--format", "json").output)
    assert [(k["resource"], k["replica_of"], k["monthly_fee_usd"]) for k in doc["keys"]] == [
        ("aws_kms_key.k", None, 1.0), ("aws_kms_replica_key.r", "aws_kms_key.k", 1.0)]
    assert doc["totals"]["key_fees_usd"] == 2.0


# --- labels and the organisation roll-up ------------------------------------------------------


def _git_repo(path: Path, remote: str | None) -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if remote:
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", remote], check=True)


@pytest.mark.parametrize("remote, label", [
    ("git@github.com:acme/orders.git", "acme/orders"),
    ("https://github.com/acme/payments.git", "acme/payments"),
    ("https://gitlab.example.com/group/sub/ledger", "group/sub/ledger"),
    ("git@gitlab.com:acme/platform/legacy.git", "acme/platform/legacy"),
    ("ssh://git@host:2222/team/app.git", "team/app"),
    ("/srv/git/local.git", "plain"),
    (None, "plain"),
])
def test_label_comes_from_the_git_remote(tmp_path, remote, label):
    repo = tmp_path / "plain"
    _git_repo(repo, remote)
    assert remote_label(str(repo)) == label


def _generated_repository(path: Path, index: int) -> None:
    """Repository number `index`: `index % 4 + 1` queues, the first `index % 3` of them on a
    customer key, the rest on the AWS-managed key or none."""
    _git_repo(path, "git@github.com:acme/service-%02d.git" % index)
    lines = ['data "aws_caller_identity" "current" {}', KEY]
    for q in range(index % 4 + 1):
        if q < index % 3:
            lines.append('resource "aws_sqs_queue" "q%d" {\n  kms_master_key_id = aws_kms_key.k.arn\n}' % q)
        elif q % 2:
            lines.append('resource "aws_sqs_queue" "q%d" {\n  kms_master_key_id = "alias/aws/sqs"\n}' % q)
        else:
            lines.append('resource "aws_sqs_queue" "q%d" {\n  sqs_managed_sse_enabled = false\n}' % q)
    (path / "main.tf").write_text("\n".join(lines) + "\n")


KEY = '''resource "aws_kms_key" "k" {
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "Root", Effect = "Allow", Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }, Action = "kms:*", Resource = "*" },
      { Sid = "Use", Effect = "Allow", Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/app" }, Action = ["kms:GenerateDataKey", "kms:Decrypt"], Resource = "*" },
    ]
  })
  tags = { owner = "o", workload = "w", "data-sensitivity" = "s" }
}'''


@pytest.fixture(scope="module")
def twelve_reports(tmp_path_factory) -> list[Path]:
    """A dozen inventory reports, each written as a CI job would: in its repository, by the
    installed command, labelled from the git remote."""
    work = tmp_path_factory.mktemp("org")
    reports = []
    for index in range(12):
        repo = work / ("service-%02d" % index)
        repo.mkdir()
        _generated_repository(repo, index)
        out = work / ("service-%02d.inventory.json" % index)
        done = subprocess.run([sys.executable, "-m", "sqsguard.cli", "inventory", ".", "--format", "json", "--output", str(out)],
                              cwd=repo, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        reports.append(out)
    return reports


def test_merge_of_a_dozen_reports(twelve_reports):
    result = run("inventory", "--merge", *map(str, twelve_reports), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    jsonschema.validate(doc, SCHEMA)
    singles = [json.loads(p.read_text()) for p in twelve_reports]
    assert doc["merged"] == 12 and doc["summary"]["repositories"] == 12
    assert doc["summary"]["queues"] == sum(s["summary"]["queues"] for s in singles) == sum(i % 4 + 1 for i in range(12))
    assert doc["summary"]["compliant"] == sum(s["summary"]["compliant"] for s in singles) == sum(min(i % 3, i % 4 + 1) for i in range(12))
    assert doc["summary"]["compliant_share"] == round(doc["summary"]["compliant"] / doc["summary"]["queues"], 4)
    for mode in ("none", "sqs-owned", "aws-managed", "customer-key", "unverifiable"):
        assert doc["summary"]["by_mode"][mode] == sum(s["summary"]["by_mode"][mode] for s in singles)
    labels = [r["label"] for r in doc["repositories"]]
    assert sorted(labels) == ["acme/service-%02d" % i for i in range(12)]
    shares = [r["compliant_share"] for r in doc["repositories"]]
    assert shares == sorted(shares), "worst repositories first"
    per_repo = {r["label"]: r for r in doc["repositories"]}
    for single in singles:
        assert per_repo[single["label"]]["compliant_share"] == single["summary"]["compliant_share"]
    assert {q["repository"] for q in doc["queues"]} == set(labels)
    assert doc["queues"][0]["repository"] == labels[0]


def test_merge_in_every_format(twelve_reports, tmp_path):
    paths = list(map(str, twelve_reports))
    text = run("inventory", "--merge", *paths).output
    assert text.startswith("REPOSITORY")
    assert "acme/service-00" in text and "of %d queues compliant" % sum(i % 4 + 1 for i in range(12)) in text
    rows = list(csv.DictReader(io.StringIO(run("inventory", "--merge", *paths, "--format", "csv").output)))
    assert len(rows) == sum(i % 4 + 1 for i in range(12)) and all(r["repository"].startswith("acme/") for r in rows)
    again = tmp_path / "merged.json"
    run("inventory", "--merge", *paths[:6], "--format", "json", "--output", str(again))
    nested = json.loads(run("inventory", "--merge", str(again), *paths[6:], "--format", "json").output)
    flat = json.loads(run("inventory", "--merge", *paths, "--format", "json").output)
    assert nested["summary"] == flat["summary"] and nested["repositories"] == flat["repositories"]


def test_merge_refuses_what_it_cannot_trust(twelve_reports, tmp_path):
    copy = tmp_path / "copy.json"
    copy.write_text(twelve_reports[0].read_text())
    twice = run("inventory", "--merge", str(twelve_reports[0]), str(copy))
    assert twice.exit_code == 2 and "both inventories of acme/service-00" in twice.output
    scan_report = tmp_path / "scan.json"
    scan_report.write_text(run("scan", MIXED, "--format", "json").output)
    wrong = run("inventory", "--merge", str(scan_report))
    assert wrong.exit_code == 2 and str(scan_report) in wrong.output and "is a scan report" in wrong.output
    other = tmp_path / "other.json"
    other.write_text('{"version": 1, "kind": "inventory"}')
    result = run("inventory", "--merge", str(other))
    assert result.exit_code == 2 and "is not an sqsguard inventory report" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "version": 1,\n')
    result = run("inventory", "--merge", str(broken))
    assert result.exit_code == 2 and "%s:3: not JSON" % broken in result.output
    directory = run("inventory", "--merge", str(twelve_reports[0]), MIXED)
    assert directory.exit_code == 2 and "cannot read %s" % MIXED in directory.output


def test_merge_takes_the_file_name_when_a_report_has_no_label(tmp_path):
    doc = json.loads(run("inventory", "tests/fixtures/cost/january", "--label", "x", "--format", "json").output)
    doc["label"] = None
    doc["repositories"][0]["label"] = None
    for row in doc["queues"] + doc["keys"]:
        row["repository"] = None
    path = tmp_path / "billing.inventory.json"
    path.write_text(json.dumps(doc))
    assert schema_problem(load(str(path))) is None
    merged = merge([(str(path), load(str(path)))], __version__)
    assert [r["label"] for r in merged["repositories"]] == ["billing"]
    assert {q["repository"] for q in merged["queues"]} == {"billing"}


def test_load_names_the_file_it_cannot_read(tmp_path):
    with pytest.raises(MergeError, match="cannot read .*missing.json"):
        load(str(tmp_path / "missing.json"))


@pytest.mark.parametrize("command", ["inventory examples/cloudformation --label acme/shop", "cost examples/terraform/orders-secure"])
def test_readme_examples_are_what_the_commands_print(command):
    import shlex

    readme = (ROOT / "README.md").read_text()
    block = readme.split("```\n$ sqsguard %s\n" % command, 1)[1].split("```\n", 1)[0]
    assert run(*shlex.split(command)).output == block


def test_a_role_block_with_for_each_is_as_many_principals(tmp_path):
    (tmp_path / "main.tf").write_text('''
resource "aws_kms_key" "k" {}
resource "aws_sqs_queue" "orders" {
  kms_master_key_id                 = aws_kms_key.k.arn
  kms_data_key_reuse_period_seconds = 60
}
resource "aws_iam_role" "p" {
  for_each           = toset(["a", "b", "c"])
  name               = "producer-${each.key}"
  assume_role_policy = "{}"
}
resource "aws_iam_role_policy" "p" {
  for_each = aws_iam_role.p
  role     = each.value.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sqs:SendMessage", Resource = aws_sqs_queue.orders.arn }]
  })
}
''')
    doc = json.loads(run("cost", str(tmp_path), "--format", "json").output)
    assert (doc["queues"][0]["producers"], doc["queues"][0]["kms_requests_per_month"]) == (3, 302_400)
    row = inventory_json(str(tmp_path))["queues"][0]
    assert (row["producing_principals"], row["consuming_principals"]) == (3, 0)
    assert row["producers"] == ["role aws_iam_role.p (allowed sqs:SendMessage by its IAM policy), 3 instances"]


def test_inventory_and_cost_give_one_monthly_figure():
    inventory = inventory_json(MIXED)["summary"]["kms_monthly_cost_usd"]
    totals = json.loads(run("cost", MIXED, "--format", "json").output)["totals"]
    assert inventory == totals["monthly_cost_usd"]


def test_only_a_suppression_with_a_reason_makes_a_queue_compliant(tmp_path):
    """A baseline records debt and a suppression without a reason is SQG001: neither makes the
    queue compliant; a suppression with a reason is accepted."""
    (tmp_path / "main.tf").write_text(
        '# sqsguard:ignore SQG102\nresource "aws_sqs_queue" "bare" {}\n'
        '# sqsguard:ignore SQG102 public catalogue data, reviewed\nresource "aws_sqs_queue" "reasoned" {}\n'
        'resource "aws_sqs_queue" "baselined" {\n  kms_master_key_id = "alias/aws/sqs"\n}\n')
    baseline = tmp_path / "baseline.json"
    run("scan", str(tmp_path), "--select", "SQG103", "--write-baseline", str(baseline))
    (tmp_path / ".sqsguard.yaml").write_text("baseline: baseline.json\n")
    rows = {r["resource"]: r for r in inventory_json(str(tmp_path))["queues"]}
    assert (rows["aws_sqs_queue.reasoned"]["compliant"], rows["aws_sqs_queue.reasoned"]["accepted"]) == (True, ["SQG102"])
    assert (rows["aws_sqs_queue.bare"]["compliant"], rows["aws_sqs_queue.bare"]["rules"]) == (False, ["SQG102"])
    assert (rows["aws_sqs_queue.baselined"]["compliant"], rows["aws_sqs_queue.baselined"]["rules"]) == (False, ["SQG103"])


def test_one_scan_of_several_repositories_labels_each_queue_with_its_own(tmp_path):
    for name in ("orders", "ledger"):
        repo = tmp_path / name
        repo.mkdir()
        _git_repo(repo, "git@github.com:acme/%s.git" % name)
        (repo / "main.tf").write_text('resource "aws_sqs_queue" "%s" {}\n' % name)
    doc = inventory_json(str(tmp_path / "orders"), str(tmp_path / "ledger"))
    assert {r["resource"]: r["repository"] for r in doc["queues"]} == {
        "aws_sqs_queue.orders": "acme/orders", "aws_sqs_queue.ledger": "acme/ledger"}
    assert doc["label"] is None and sorted(r["label"] for r in doc["repositories"]) == ["acme/ledger", "acme/orders"]
    merged = merge([("x.json", doc)], __version__)
    assert sorted(r["label"] for r in merged["repositories"]) == ["acme/ledger", "acme/orders"]
    labelled = inventory_json(str(tmp_path / "orders"), str(tmp_path / "ledger"), "--label", "acme/all")
    assert {r["repository"] for r in labelled["queues"]} == {"acme/all"}


def test_a_key_chosen_by_a_condition_is_the_judged_branch_key(tmp_path):
    (tmp_path / "t.yaml").write_text("""
Parameters:
  Stage: {Type: String, AllowedValues: [dev, prod], Default: dev}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  NotifyKey:
    Type: AWS::KMS::Key
  MaybeQueue:
    Type: AWS::SQS::Queue
    Properties:
      KmsMasterKeyId: !If [IsProd, !Ref NotifyKey, alias/aws/sqs]
""")
    doc = inventory_json(str(tmp_path))
    row = doc["queues"][0]
    assert (row["encryption"], row["when"]) == ("aws-managed", "IsProd is false")
    assert (row["key"]["resource"], row["key"]["expression"], row["key"]["when"]) == (None, "alias/aws/sqs", "")
    assert [(k["resource"], k["queues"]) for k in doc["keys"]] == [("alias/aws/sqs", ["MaybeQueue"])]


def test_review_cases_of_the_cost_report(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "reuse" {\n  type = number\n}\nresource "aws_kms_key" "k" {}\nresource "aws_sqs_queue" "q" {\n'
        '  kms_master_key_id = aws_kms_key.k.arn\n  kms_data_key_reuse_period_seconds = var.reuse\n}\n')
    low = json.loads(run("cost", str(tmp_path), "--var", "reuse=30", "--format", "json").output)["queues"][0]
    assert (low["reuse_period_seconds"], low["kms_requests_per_month"]) == (60, 129_600)
    assert "30 seconds is outside the 60 to 86,400 seconds SQS accepts" in low["reuse_period_note"]
    high = json.loads(run("cost", str(tmp_path), "--var", "reuse=100000", "--format", "json").output)["queues"][0]
    assert high["reuse_period_seconds"] == 86_400
    assert (low["producers_from"], low["consumers_from"]) == ("assumed", "assumed")
    rows = list(csv.DictReader(io.StringIO(run("cost", str(tmp_path), "--var", "reuse=30", "--format", "csv").output)))
    assert rows[0]["reuse_period_known"] == "yes"
    scan = json.loads(run("scan", str(tmp_path), "--var", "reuse=30", "--format", "json").output)
    message = [f["message"] for f in scan["findings"] if f["rule_id"] == "SQG501"][0]
    assert "var.reuse (30 seconds is outside the 60 to 86,400 seconds SQS accepts" in message
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "No queues found." in run("cost", str(empty)).output


def test_review_cases_of_the_inventory_command(tmp_path, twelve_reports):
    report = str(twelve_reports[0])
    result = run("inventory", report)
    assert result.exit_code == 2 and "is an inventory report: combine reports with --merge" in result.output
    result = run("inventory", "--merge", report, "--label", "x")
    assert result.exit_code == 2 and "a merge takes each repository's label from its report" in result.output
    scan_report = tmp_path / "scan.json"
    scan_report.write_text(run("scan", MIXED, "--format", "json").output)
    result = run("inventory", "--merge", str(scan_report))
    assert result.exit_code == 2 and "is a scan report (sqsguard scan --format json), not an inventory" in result.output


def test_columns_sets_the_table_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    wide = run("inventory", MIXED).output
    assert "SQS-owned (default) when IsProd is false" in wide
    assert max(len(line) for line in wide.splitlines()[:12]) > 120
    monkeypatch.setenv("COLUMNS", "100")
    assert max(len(line) for line in run("inventory", MIXED).output.splitlines()[:12]) <= 100


def test_same_named_queues_in_two_repositories_keep_their_own_findings(tmp_path):
    """Both repositories have a root module "." and a queue aws_sqs_queue.q: the findings of one
    must not make the other non-compliant."""
    repos = {"bad": 'kms_master_key_id = "alias/aws/sqs"', "good": "kms_master_key_id = aws_kms_key.k.arn"}
    for name, setting in repos.items():
        repo = tmp_path / name
        repo.mkdir()
        _git_repo(repo, "git@github.com:acme/%s.git" % name)
        (repo / "main.tf").write_text('data "aws_caller_identity" "current" {}\n%s\nresource "aws_sqs_queue" "q" {\n  %s\n}\n' % (KEY, setting))
    alone = inventory_json(str(tmp_path / "good"))["queues"][0]
    both = {r["repository"]: r for r in inventory_json(str(tmp_path / "bad"), str(tmp_path / "good"))["queues"]}
    assert alone["compliant"] is True
    assert (both["acme/good"]["compliant"], both["acme/good"]["rules"]) == (True, [])
    assert (both["acme/bad"]["compliant"], both["acme/bad"]["rules"]) == (False, ["SQG103"])


def test_a_repository_without_queues_keeps_its_label(tmp_path):
    _git_repo(tmp_path, "ssh://git@host/acme/keysonly.git")
    (tmp_path / "main.tf").write_text('resource "aws_kms_key" "k" {}\n')
    doc = inventory_json(str(tmp_path))
    assert doc["label"] == "acme/keysonly" and [r["label"] for r in doc["repositories"]] == ["acme/keysonly"]


def test_a_file_named_alone_costs_only_its_queues():
    path = MIXED + "/terraform/modules/queue/main.tf"
    inventory = inventory_json(path)
    cost_doc = json.loads(run("cost", path, "--format", "json").output)
    assert inventory["summary"]["kms_monthly_cost_usd"] == cost_doc["totals"]["monthly_cost_usd"]
    assert [k["kms_requests_per_month"] for k in inventory["keys"]] == [k["kms_requests_per_month"] for k in cost_doc["keys"]]


def test_the_same_report_twice_is_said_as_such(twelve_reports):
    result = run("inventory", "--merge", str(twelve_reports[1]), str(twelve_reports[1]))
    assert result.exit_code == 2 and "%s is given twice" % twelve_reports[1] in result.output


def test_readme_roll_up_pipelines_are_valid_yaml_and_shell():
    import shutil

    import yaml

    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Across an organisation", 1)[1].split("\n## ", 1)[0]
    blocks, current = [], None
    for line in section.splitlines():
        if current is None and line.startswith("```yaml"):
            current = []
        elif current is not None and line.startswith("```"):
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    assert len(blocks) == 4

    def scripts(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("run", "script"):
                    yield from (item if isinstance(item, list) else [item])
                else:
                    yield from scripts(item)
        elif isinstance(value, list):
            for item in value:
                yield from scripts(item)

    found = 0
    for block in blocks:
        for script in scripts(yaml.safe_load(block)):
            found += 1
            if shutil.which("bash"):
                done = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
                assert done.returncode == 0, (script, done.stderr)
            assert "sqsguard inventory" not in script or "/sqsguard/bin/sqsguard" in script  # installed, not assumed on PATH
    assert found >= 8
