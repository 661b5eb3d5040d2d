"""sqsguard's rules inside cfn-lint, for real: cfn-lint runs in a subprocess with
`--append-rules <the sqsguard.cfnlint_rules folder>` (or the module name) and `--format json`,
and its matches are compared with `sqsguard.engine.scan` on the same files.

cfn-lint takes about a second to start, so the fixtures and the scenario templates share one
run (cfn-lint accepts many files); runs that need other arguments are one each.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sqsguard.cfnlint_rules
from sqsguard.catalog import load_catalog
from sqsguard.engine import rules_run, scan
from sqsguard.options import Options

cfnlint_helpers = pytest.importorskip("cfnlint.helpers")
from cfnlint.rules import Rules  # noqa: E402

from sqsguard.cfnlint_rules._rules import cfn_lint_id  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "cloudformation"
FOLDER = Path(sqsguard.cfnlint_rules.__file__).resolve().parent
MODULE = "sqsguard.cfnlint_rules.rules"
OURS = re.compile(r"^[EWI]9\d{3}$")
SUFFIX = re.compile(r" \[sqsguard (SQG\d{3})\]$")

ALIAS_QUEUES = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  AcceptedQueue:
    Type: AWS::SQS::Queue
    Metadata:
      cfn-lint:
        config:
          ignore_checks: [W9103]
    Properties:
      KmsMasterKeyId: alias/aws/sqs
  OtherQueue:
    Type: AWS::SQS::Queue
    Properties:
      KmsMasterKeyId: alias/aws/sqs
"""

INVALID_PROPERTY = """\
Resources:
  LegacyQueue:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: false
      KmsMasterKeyIdd: alias/orders
"""

FOR_EACH = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::Queues:
    - Name
    - [Orders, Payments]
    - ${Name}Queue:
        Type: AWS::SQS::Queue
        Properties:
          SqsManagedSseEnabled: false
"""

UNENCRYPTED = """\
Resources:
  LegacyQueue:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: false
"""


# --- running cfn-lint -------------------------------------------------------------------------


def _command(prelude: str | None) -> list[str]:
    script = Path(sys.executable).with_name("cfn-lint")
    if prelude is None and script.is_file():
        return [str(script)]
    return [sys.executable, "-c", (prelude or "") + "\nimport sys\nfrom cfnlint.runner import main\nsys.exit(main())\n"]


def cfn_lint(*args: str, cwd: Path = ROOT, prelude: str | None = None, stdin: str | None = None, env: dict | None = None):
    """cfn-lint's JSON matches and the finished process."""
    done = subprocess.run(
        [*_command(prelude), "--format", "json", *args],
        cwd=cwd,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    try:
        matches = json.loads(done.stdout) if done.stdout.strip() else []
    except ValueError:
        raise AssertionError("cfn-lint printed no JSON:\n%s\n%s" % (done.stdout, done.stderr)) from None
    return matches, done


def ours(matches: list[dict], path: Path | None = None) -> list[tuple[str, int, str]]:
    """The sqsguard matches (of one file): (cfn-lint id, line, message), sorted."""
    return sorted(
        (m["Rule"]["Id"], m["Location"]["Start"]["LineNumber"], m["Message"])
        for m in matches
        if OURS.match(m["Rule"]["Id"]) and (path is None or Path(m["Filename"]).resolve() == path.resolve())
    )


def expected(path: Path, **option_values) -> list[tuple[str, int, str]]:
    """What sqsguard itself reports for a file, in cfn-lint's terms."""
    report = scan([str(path)], Options(**option_values), jobs=1)
    assert report.errors == []
    return sorted((cfn_lint_id(f.rule_id, f.severity), f.line, "%s [sqsguard %s]" % (f.message, f.rule_id)) for f in report.active)


def _fixtures() -> list[Path]:
    found = [p for p in sorted(FIXTURES.glob("SQG*/*")) if p.suffix in (".yaml", ".json") and not p.name.endswith(".expected.json")]
    return found + sorted(FIXTURES.glob("sam/*.yaml"))


FIXTURE_LIST = _fixtures()


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("cfnlint-scenarios")
    files = {
        "metadata_ignore": ("metadata-ignore.yaml", ALIAS_QUEUES),
        "invalid_property": ("invalid-property.yaml", INVALID_PROPERTY),
        "broken_yaml": ("broken.yaml", "Resources:\n  LegacyQueue:\n    Type: AWS::SQS::Queue\n    Properties: [oops\n"),
        "other_suffix": ("stack.cfn", UNENCRYPTED),
        "bad_config": ("bad-config/template.yaml", UNENCRYPTED),
        "configured": ("configured/template.yaml", (FIXTURES / "SQG103" / "bad.yaml").read_text(encoding="utf-8")),
        "for_each": ("for-each.yaml", FOR_EACH),
        "excluded": ("excluded/template.yaml", UNENCRYPTED),
    }
    paths = {}
    for name, (relative, text) in files.items():
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    (base / "bad-config" / ".sqsguard.yaml").write_text("own_acounts: ['123456789012']\n", encoding="utf-8")
    (base / "configured" / ".sqsguard.yaml").write_text(
        "ignore:\n  - id: SQG103\n    reason: the AWS-managed key is accepted in this demo stack\n", encoding="utf-8"
    )
    (base / "excluded" / ".sqsguard.yaml").write_text("exclude: [template.yaml]\n", encoding="utf-8")
    latin = base / "latin1.yaml"
    latin.write_bytes(UNENCRYPTED.encode() + b"      QueueName: caf\xe9\n")
    paths["not_utf8"] = latin
    return paths


@pytest.fixture(scope="module")
def batch(scenarios):
    """One cfn-lint run over every CloudFormation fixture and every scenario template."""
    files = [str(p) for p in FIXTURE_LIST] + [str(p) for p in scenarios.values()]
    return cfn_lint("--append-rules", str(FOLDER), "--include-checks", "I", "--", *files)


# --- the fixtures -----------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", FIXTURE_LIST, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_cfn_lint_reports_exactly_what_sqsguard_finds(fixture: Path, batch) -> None:
    matches, _ = batch
    got = ours(matches, fixture)
    assert got == expected(fixture)
    for _, _, message in got:  # the id says which sqsguard rule it is
        rule = SUFFIX.search(message).group(1)
        assert rule in load_catalog()


@pytest.mark.parametrize("fixture", [p for p in FIXTURE_LIST if p.parent.name.startswith("SQG")], ids=lambda p: str(p.relative_to(FIXTURES)))
def test_bad_fixtures_trigger_their_rule_and_good_ones_do_not(fixture: Path, batch) -> None:
    matches, _ = batch
    entry = load_catalog()[fixture.parent.name]
    rule = cfn_lint_id(entry.id, entry.severity)
    fired = [m for m in ours(matches, fixture) if m[0] == rule]
    if fixture.name.startswith("bad"):
        assert fired, "%s does not report %s" % (fixture, rule)
    else:
        assert not fired


def test_the_batch_ran_without_a_traceback(batch) -> None:
    _, done = batch
    assert done.returncode != 0  # the bad fixtures have errors
    assert "Traceback" not in done.stderr


# --- cfn-lint's own mechanisms ----------------------------------------------------------------


def test_a_resource_metadata_directive_suppresses_a_sqsguard_rule(batch, scenarios) -> None:
    path = scenarios["metadata_ignore"]
    assert [r for r, _, _ in expected(path)].count("W9103") == 2
    got = ours(batch[0], path)
    assert [(rule, line) for rule, line, _ in got] == [("W9103", 14)]
    assert "OtherQueue" in got[0][2]


def test_ignore_checks_on_the_command_line() -> None:
    """Also the documented spelling: `--append-rules=PATH` (the option takes one or more values,
    so a separate `--append-rules PATH template.yaml` would take the template for a rules path)."""
    fixture = FIXTURES / "SQG103" / "bad.yaml"
    matches, _ = cfn_lint("--append-rules=%s" % FOLDER, "--ignore-checks=W9103", str(fixture))
    got = ours(matches)
    assert got == [m for m in expected(fixture) if m[0] != "W9103"]
    assert {rule for rule, _, _ in got} == {"W9204", "W9302"}


def test_module_name_and_cfnlintrc(tmp_path) -> None:
    """`append_rules: [sqsguard.cfnlint_rules.rules]` works from a .cfnlintrc, with its checks."""
    (tmp_path / "template.yaml").write_text((FIXTURES / "SQG103" / "bad.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / ".cfnlintrc").write_text(
        "templates: [template.yaml]\nappend_rules: [%s]\nignore_checks: [W9302]\ninclude_checks: [I9]\n" % MODULE, encoding="utf-8"
    )
    matches, _ = cfn_lint(cwd=tmp_path)
    got = ours(matches)
    assert got == [m for m in expected(tmp_path / "template.yaml") if m[0] != "W9302"]
    assert "W9103" in {rule for rule, _, _ in got}


def test_cfn_lint_rules_still_run(batch, scenarios) -> None:
    path = scenarios["invalid_property"]
    everything = [m for m in batch[0] if Path(m["Filename"]).resolve() == path.resolve()]
    assert any(re.match(r"^E3\d{3}$", m["Rule"]["Id"]) for m in everything), everything
    assert [(rule, line) for rule, line, _ in ours(batch[0], path)] == [("E9101", 5)]


def test_cfn_lint_parameters_reach_sqsguard() -> None:
    fixture = FIXTURES / "SQG103" / "bad.yaml"
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    matches, _ = cfn_lint("--append-rules", str(FOLDER), "--include-checks", "I", "--parameters", "QueueKey=%s" % key, "--", str(fixture))
    got = ours(matches)
    assert got == expected(fixture, parameters={"QueueKey": key})
    assert not [m for m in got if m[0] == "W9103" and "ParameterQueue" in m[2]]
    assert len([m for m in got if m[0] == "W9103"]) == 5


def test_several_parameter_files_say_which_set_gives_a_finding(tmp_path) -> None:
    fixture = FIXTURES / "SQG103" / "bad.yaml"
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    for name, value in (("customer-key.json", key), ("aws-key.json", "alias/aws/sqs")):
        (tmp_path / name).write_text(json.dumps([{"ParameterKey": "QueueKey", "ParameterValue": value}]), encoding="utf-8")
    matches, _ = cfn_lint("--append-rules", str(FOLDER), "--parameter-files", "customer-key.json", "aws-key.json", "--", str(fixture), cwd=tmp_path)
    parameter_queue = [m for m in ours(matches) if m[0] == "W9103" and "ParameterQueue" in m[2]]
    # cfn-lint checks the template with the parameter files, and then once more with defaults.
    assert [m[1] for m in parameter_queue] == [32, 32]
    assert any(m[2].endswith("(with the parameters of aws-key.json) [sqsguard SQG103]") for m in parameter_queue)


# --- what sqsguard cannot check is reported, never passed -------------------------------------


def _problem(matches: list[dict], path: Path) -> list[str]:
    return [m["Message"] for m in matches if m["Rule"]["Id"] == "E9000" and Path(m["Filename"]).resolve() == path.resolve()]


def test_a_template_cfn_lint_cannot_read_is_cfn_lints_parse_error(batch, scenarios) -> None:
    for name in ("broken_yaml", "not_utf8"):
        path = scenarios[name]
        ids = [m["Rule"]["Id"] for m in batch[0] if Path(m["Filename"]).resolve() == path.resolve()]
        assert ids and set(ids) == {"E0000"}, (name, ids)


def test_a_template_sqsguard_does_not_read_is_reported_once(batch, scenarios) -> None:
    problems = _problem(batch[0], scenarios["other_suffix"])
    assert len(problems) == 1
    assert "did not check stack.cfn" in problems[0]
    assert ours(batch[0], scenarios["other_suffix"]) == [("E9000", 1, problems[0])]


def test_an_unusable_sqsguard_configuration_is_reported(batch, scenarios) -> None:
    problems = _problem(batch[0], scenarios["bad_config"])
    assert len(problems) == 1
    assert "own_acounts" in problems[0] and "own_accounts" in problems[0]


def test_the_sqsguard_configuration_applies(batch, scenarios) -> None:
    path = scenarios["configured"]
    got = ours(batch[0], path)
    assert "W9103" in {rule for rule, _, _ in expected(path)}  # without the configuration
    assert "W9103" not in {rule for rule, _, _ in got}  # accepted there, so not a cfn-lint match
    assert {rule for rule, _, _ in got} == {"W9204", "W9302"}


def test_a_template_sqsguard_finds_nothing_to_read_in_is_reported(batch, scenarios) -> None:
    problems = _problem(batch[0], scenarios["for_each"])
    assert len(problems) == 1 and "did not read this file as a template" in problems[0]


def test_a_template_the_configuration_excludes_is_not_checked_and_not_reported(batch, scenarios) -> None:
    assert expected(scenarios["excluded"]) != []  # without its configuration
    assert ours(batch[0], scenarios["excluded"]) == []


def test_an_internal_error_is_one_match_not_a_traceback() -> None:
    prelude = "import sqsguard.engine\ndef _boom(*args, **kwargs):\n    raise RuntimeError('boom')\nsqsguard.engine.scan = _boom\n"
    fixture = FIXTURES / "SQG103" / "bad.yaml"
    matches, done = cfn_lint("--append-rules", str(FOLDER), "--", str(fixture), prelude=prelude)
    problems = _problem(matches, fixture)
    assert len(problems) == 1 and "internal error RuntimeError: boom" in problems[0]
    assert ours(matches) == [("E9000", 1, problems[0])]
    assert done.returncode == 2  # cfn-lint's "errors found"


def test_standard_input_is_reported_not_passed() -> None:
    text = (FIXTURES / "SQG103" / "bad.yaml").read_text(encoding="utf-8")
    matches, _ = cfn_lint("--append-rules", str(FOLDER), stdin=text)
    assert [m[0] for m in ours(matches)] == ["E9000"]
    assert "standard input" in ours(matches)[0][2]


def test_sqsguard_missing_from_cfn_lints_python(tmp_path) -> None:
    """The folder appended to a cfn-lint whose Python has no (usable) sqsguard: cfn-lint runs,
    and E9000 says on each template that the sqsguard rules did not check it."""
    fake = tmp_path / "shadow" / "sqsguard"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("", encoding="utf-8")
    fixture = FIXTURES / "SQG101" / "bad.yaml"
    matches, done = cfn_lint(
        "--append-rules", str(FOLDER), "--", str(fixture), env={"PYTHONPATH": str(tmp_path / "shadow")}
    )
    got = ours(matches)
    assert [rule for rule, _, _ in got] == ["E9000"]
    assert "cannot be imported" in got[0][2]
    assert done.returncode == 2


def test_one_scan_per_template() -> None:
    prelude = (
        "import atexit, sys, sqsguard.engine\n"
        "_real = sqsguard.engine.scan\n"
        "_calls = []\n"
        "def _counted(paths, *args, **kwargs):\n"
        "    _calls.append(tuple(paths))\n"
        "    return _real(paths, *args, **kwargs)\n"
        "sqsguard.engine.scan = _counted\n"
        "atexit.register(lambda: sys.stderr.write('SQSGUARD_SCANS=%s\\n' % sorted(_calls)))\n"
    )
    files = [str(FIXTURES / rule / "bad.yaml") for rule in ("SQG103", "SQG202", "SQG302")]
    _, done = cfn_lint("--append-rules", str(FOLDER), "--include-checks", "I", "--", *files, prelude=prelude)
    line = next(l for l in done.stderr.splitlines() if l.startswith("SQSGUARD_SCANS="))
    assert line == "SQSGUARD_SCANS=%s" % sorted((f,) for f in files)


# --- the folder and the generated rules (in process) -------------------------------------------


def _expected_ids() -> dict[str, str]:
    checked = rules_run()
    return {
        cfn_lint_id(e.id, e.severity): e.id
        for e in load_catalog().values()
        if "cloudformation" in e.formats and e.id in checked
    }


def test_the_folder_loads_every_rule_once_and_the_module_name_too() -> None:
    from cfnlint.rules import CloudFormationLintRule

    first = cfnlint_helpers.load_plugins(str(FOLDER))
    again = cfnlint_helpers.load_plugins(str(FOLDER))
    by_name = Rules.create_from_module(MODULE)
    ids = sorted(r.id for r in first)
    assert len(ids) == len(set(ids))  # cfn-lint would refuse a duplicate id
    assert ids == sorted(["E9000", *_expected_ids()])
    assert sorted(r.id for r in again) == ids == sorted(by_name)
    # The classes were generated once; each load makes new instances of the same classes.
    assert {type(r) for r in first} == {type(r) for r in again} == {type(r) for r in by_name.values()}
    assert all(isinstance(r, CloudFormationLintRule) for r in first)
    # cfn-lint imports by path only files matching [A-Za-z1-9]*.py: just rules.py here.
    loaded = sorted(p.name for p in FOLDER.glob("*.py") if re.match(r"^[A-Za-z1-9].*\.py$", p.name))
    assert loaded == ["rules.py"]


def test_ids_follow_the_scheme_and_never_collide() -> None:
    ids = _expected_ids()
    assert all(OURS.match(i) for i in ids)
    digits = [i[1:] for i in ids]
    assert len(digits) == len(set(digits))
    for cfn_id, rule_id in ids.items():
        entry = load_catalog()[rule_id]
        assert cfn_id == {"critical": "E", "high": "E", "medium": "W", "low": "W", "info": "I"}[entry.severity] + "9" + rule_id[3:]
    assert ids["W9103"] == "SQG103" and ids["E9201"] == "SQG201" and ids["I9001"] == "SQG001"
    assert "E9000" not in ids


def test_rule_metadata_comes_from_the_catalog() -> None:
    rules = {r.id: r for r in cfnlint_helpers.load_plugins(str(FOLDER))}
    for cfn_id, rule_id in _expected_ids().items():
        entry = load_catalog()[rule_id]
        rule = rules[cfn_id]
        assert rule.shortdesc == entry.title
        assert rule.description.startswith(entry.summary)
        assert rule.source_url == entry.references[0][1]
        assert rule.tags == ["sqsguard", entry.family, entry.slug]
        assert rule.sqsguard_id == rule_id


def test_every_cloudformation_rule_of_the_catalog_is_registered() -> None:
    registered = set(_expected_ids().values())
    catalog = {e.id for e in load_catalog().values() if "cloudformation" in e.formats}
    assert registered == catalog