"""The GitHub Action (action.yml): its shape, and its shell logic run for real.

GitHub is not here, so a small runner plays its part. It evaluates the `${{ }}` expressions
the action uses (inputs, steps.*.outputs, github, runner, env; literals, ==, !=, !, &&, ||
and the status functions) with Actions' rules: strings compare case-insensitively, other
mixed types compare as numbers, so a skipped step's missing output is null and `null != ''`
is false. It runs every `run:` step as `shell: bash` does (`bash --noprofile --norc -eo
pipefail`), with a fresh GITHUB_OUTPUT per step and one GITHUB_STEP_SUMMARY, and records the
`uses:` steps (setup-python, upload-sarif) with their evaluated `with:` instead of running
them. sqsguard comes from this test environment through the action's `sqsguard-bin` input;
the test whose name ends in `_installs_from_checkout` runs the real install step instead.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sarif_schema import assert_valid_sarif
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION_FILE = ROOT / "action.yml"
DOCS = ROOT / "README.md"
SQSGUARD = Path(sys.executable).parent / "sqsguard"
BASE_PYTHON = Path(getattr(sys, "_base_executable", sys.executable))
BAD = ROOT / "examples" / "cloudformation" / "payments-needs-work.yaml"
CLEAN = ROOT / "examples" / "cloudformation" / "orders-compliant.yaml"
SHA = "0123456789abcdef0123456789abcdef01234567"

pytestmark = pytest.mark.skipif(not SQSGUARD.exists(), reason="sqsguard is not installed beside this Python")

SUPPRESSED_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  ScratchQueue:
    Type: AWS::SQS::Queue
    Metadata:
      sqsguard:
        ignore:
          - id: SQG102
            reason: scratch queue for load tests, never holds customer data
    Properties:
      QueueName: scratch
"""


def load_action() -> dict:
    return yaml.safe_load(ACTION_FILE.read_text(encoding="utf-8"))


def steps_by_id() -> dict[str, dict]:
    return {step["id"]: step for step in load_action()["runs"]["steps"]}


# --- the expression language, as much of it as the action uses ----------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<op>==|!=|&&|\|\||[!().\[\]])|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
_STATUS_FUNCTIONS = ("success", "failure", "always", "cancelled")


class Expression:
    """One `${{ }}` expression, evaluated against the contexts (dicts of dicts)."""

    def __init__(self, text: str, contexts: dict, job_failed: bool = False):
        self.tokens = self._tokenize(text)
        self.position = 0
        self.contexts = {name.lower(): value for name, value in contexts.items()}
        self.job_failed = job_failed

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        tokens, position = [], 0
        while text[position:].strip():
            match = _TOKEN.match(text, position)
            if not match:
                raise SyntaxError("cannot read %r at %d" % (text, position))
            tokens.append((match.lastgroup, match.group(match.lastgroup)))
            position = match.end()
        return tokens

    def evaluate(self):
        value = self._or()
        if self.position != len(self.tokens):
            raise SyntaxError("unexpected %r" % (self.tokens[self.position][1],))
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.tokens[self.position]
        if expected is not None and token[1] != expected:
            raise SyntaxError("expected %r, got %r" % (expected, token[1]))
        self.position += 1
        return token

    def _or(self):
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self):
        value = self._comparison()
        while self._peek() == "&&":
            self._take()
            right = self._comparison()
            value = right if truthy(value) else value
        return value

    def _comparison(self):
        value = self._unary()
        if self._peek() in ("==", "!="):
            operator = self._take()[1]
            equal = loose_equal(value, self._unary())
            return equal if operator == "==" else not equal
        return value

    def _unary(self):
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._primary()

    def _primary(self):
        kind, text = self._take()
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return float(text)
        if text == "(":
            value = self._or()
            self._take(")")
            return value
        if kind != "name":
            raise SyntaxError("unexpected %r" % text)
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self._peek() == "(":
            self._take("(")
            self._take(")")
            return self._status(text)
        if text.lower() not in self.contexts:
            raise NameError("unknown context %r" % text)
        value = self.contexts[text.lower()]
        while self._peek() in (".", "["):
            if self._take()[1] == ".":
                key = self._take()[1]
            else:
                key = self._or()
                self._take("]")
            value = lookup(value, key)
        return value

    def _status(self, name: str) -> bool:
        if name not in _STATUS_FUNCTIONS:
            raise NameError("the test runner does not know the function %s()" % name)
        return {"success": not self.job_failed, "failure": self.job_failed, "always": True, "cancelled": False}[name]


def lookup(value, key):
    if isinstance(value, dict):
        for name, item in value.items():
            if name.lower() == str(key).lower():
                return item
    return None


def truthy(value) -> bool:
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    return bool(value) if isinstance(value, (str, bool, int)) or value is None else True


def _as_number(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, (bool, int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip() or 0)
        except ValueError:
            return math.nan
    return math.nan


def loose_equal(left, right) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if type(left) is type(right) and not isinstance(left, float):
        return left == right
    return _as_number(left) == _as_number(right)


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def substitute(text, contexts: dict, job_failed: bool = False):
    """`${{ expr }}` inside a string replaced by its value as text, as the runner does."""
    if not isinstance(text, str):
        return text
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: as_text(Expression(m.group(1), contexts, job_failed).evaluate()), text)


def condition_holds(condition, contexts: dict, job_failed: bool) -> bool:
    """A step's `if:` (with or without `${{ }}`); without a status function it means success() && ..."""
    if condition is None:
        return not job_failed
    if isinstance(condition, bool):
        return condition and not job_failed
    text = condition.strip()
    wrapped = re.fullmatch(r"\$\{\{(.*)\}\}", text, re.S)
    text = wrapped.group(1) if wrapped else text
    if not re.search(r"\b(%s)\s*\(" % "|".join(_STATUS_FUNCTIONS), text):
        text = "success() && (%s)" % text
    return truthy(Expression(text, contexts, job_failed).evaluate())


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("null != ''", False),  # a skipped step's output is null, which equals '' as a number
        ("'0' != ''", True),
        ("'TRUE' == 'true'", True),
        ("inputs.missing == ''", True),
        ("!cancelled() && inputs.flag == 'true'", True),
        ("(inputs.flag == 'false') || 'fallback'", "fallback"),
        ("steps.scan.outputs['exit-code']", "1"),
    ],
)
def test_expression_evaluator_follows_the_actions_rules(expression, expected):
    contexts = {"inputs": {"flag": "true"}, "steps": {"scan": {"outputs": {"exit-code": "1"}}}}
    assert Expression(expression, contexts).evaluate() == expected


# --- running the action ----------------------------------------------------------------------------


@dataclass
class StepRun:
    id: str | None
    kind: str  # "run" or "uses"
    outcome: str  # "success", "failure" or "skipped"
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict = field(default_factory=dict)
    with_: dict | None = None


@dataclass
class ActionRun:
    steps: list[StepRun]
    outputs: dict
    summary: str
    workspace: Path

    def step(self, step_id: str) -> StepRun:
        return next(step for step in self.steps if step.id == step_id)

    @property
    def log(self) -> str:
        return "".join(step.stdout + step.stderr for step in self.steps)

    @property
    def failed(self) -> bool:
        return any(step.outcome == "failure" for step in self.steps)


def parse_outputs(text: str) -> dict:
    outputs, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            for item in lines:
                if item == delimiter:
                    break
                value.append(item)
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


class Sandbox:
    """A workspace, RUNNER_TEMP and a PATH directory of shims for one test."""

    def __init__(self, root: Path):
        self.workspace = root / "workspace"
        self.runner_temp = root / "runner-temp"
        self.shims = root / "shims"
        for folder in (self.workspace / ".git", self.workspace / "templates", self.runner_temp, self.shims):
            folder.mkdir(parents=True)  # .git: a checkout, which sqsguard's report paths are relative to
        shutil.copy(BAD, self.workspace / "templates" / BAD.name)
        shutil.copy(CLEAN, self.workspace / "templates" / CLEAN.name)
        self.set_python3(BASE_PYTHON)

    def set_python3(self, target: Path) -> None:
        link = self.shims / "python3"
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(target)

    def run(self, inputs: dict, *, env: dict | None = None, uses_outputs: dict | None = None,
            use_test_sqsguard: bool = True, timeout: int = 120) -> ActionRun:
        action = load_action()
        declared = action["inputs"]
        given = {"sqsguard-bin": str(SQSGUARD)} if use_test_sqsguard else {}
        given.update(inputs)
        unknown = set(given) - set(declared)
        assert not unknown, "the action declares no input %s" % sorted(unknown)
        values = {name: str(spec.get("default", "")) for name, spec in declared.items()}
        values.update({name: str(value) for name, value in given.items()})

        summary = self.runner_temp / "step-summary.md"
        summary.touch()
        environment = {
            "PATH": os.pathsep.join([str(self.shims), os.environ.get("PATH", "/usr/bin:/bin")]),
            "HOME": os.environ.get("HOME", str(self.runner_temp)),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "example/infra",
            "GITHUB_SHA": SHA,
            "RUNNER_TEMP": str(self.runner_temp),
            "RUNNER_OS": "Linux",
        }
        environment.update(env or {})
        contexts = {
            "inputs": values,
            "steps": {},
            "github": {"action_path": str(ROOT), "workspace": str(self.workspace), "sha": SHA,
                       "repository": "example/infra", "server_url": "https://github.com"},
            "runner": {"temp": str(self.runner_temp), "os": "Linux"},
            "env": dict(environment),
        }

        runs, job_failed = [], False
        for index, step in enumerate(action["runs"]["steps"]):
            step_id = step.get("id")
            if not condition_holds(step.get("if"), contexts, job_failed):
                result = StepRun(step_id, "uses" if "uses" in step else "run", "skipped")
            elif "uses" in step:
                evaluated = {key: substitute(value, contexts, job_failed) for key, value in (step.get("with") or {}).items()}
                stubbed = (uses_outputs or {}).get(step["uses"].split("@")[0], {})
                result = StepRun(step_id, "uses", "success", outputs=dict(stubbed), with_=evaluated)
            else:
                result = self._run_step(index, step, contexts, environment, job_failed, timeout)
            if result.outcome == "failure":
                job_failed = True
            runs.append(result)
            if step_id:
                contexts["steps"][step_id] = {"outputs": result.outputs, "outcome": result.outcome,
                                              "conclusion": result.outcome}
        outputs = {name: substitute(spec["value"], contexts) for name, spec in action.get("outputs", {}).items()}
        return ActionRun(runs, outputs, summary.read_text(encoding="utf-8"), self.workspace)

    def _run_step(self, index, step, contexts, environment, job_failed, timeout) -> StepRun:
        assert step.get("shell") == "bash", "step %s must say shell: bash" % step.get("id")
        script = self.runner_temp / ("step-%d.sh" % index)
        script.write_text(substitute(step["run"], contexts, job_failed), encoding="utf-8")
        output_file = self.runner_temp / ("output-%d" % index)
        output_file.write_text("")
        step_env = dict(environment)
        step_env.update({name: substitute(str(value), contexts, job_failed) for name, value in (step.get("env") or {}).items()})
        step_env["GITHUB_OUTPUT"] = str(output_file)
        process = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace, env=step_env, capture_output=True, text=True, timeout=timeout,
        )
        return StepRun(step.get("id"), "run", "success" if process.returncode == 0 else "failure",
                       process.returncode, process.stdout, process.stderr,
                       parse_outputs(output_file.read_text(encoding="utf-8")))


@pytest.fixture
def sandbox(tmp_path) -> Sandbox:
    return Sandbox(tmp_path)


def scan_help_options() -> set[str]:
    text = subprocess.run([str(SQSGUARD), "scan", "--help"], check=True, capture_output=True, text=True).stdout
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))


def top_level_options() -> set[str]:
    text = subprocess.run([str(SQSGUARD), "--help"], check=True, capture_output=True, text=True).stdout
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))


def sarif_of(run: ActionRun, name: str = "sqsguard.sarif") -> dict:
    """The SARIF a run wrote, checked against the official SARIF 2.1.0 schema."""
    return assert_valid_sarif(json.loads((run.workspace / name).read_text(encoding="utf-8")))


def recording_sqsguard(sandbox: Sandbox) -> tuple[Path, Path]:
    """A stand-in that records its argv (one NUL-separated line per call) and runs the real sqsguard."""
    log = sandbox.runner_temp / "argv.log"
    shim = sandbox.shims / "recording-sqsguard"
    shim.write_text('#!/bin/bash\nprintf \'%%s\\0\' "$@" >> %s\nprintf \'\\n\' >> %s\nexec %s "$@"\n'
                    % (log, log, SQSGUARD))
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return shim, log


def recorded_calls(log: Path) -> list[list[str]]:
    return [line.split("\0")[:-1] for line in log.read_text(encoding="utf-8").splitlines() if line]


# --- the file ---------------------------------------------------------------------------------------

INPUTS = {"paths", "fail-on", "config", "baseline", "args", "python-version", "sqsguard-version",
          "sqsguard-bin", "sarif-file", "upload-sarif", "category", "upload-suppressed"}


def test_action_is_a_composite_action_with_the_documented_inputs_and_outputs():
    action = load_action()
    assert action["name"] == "sqsguard"
    assert action["description"]
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == INPUTS
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert isinstance(spec.get("default"), str), "%s: defaults are strings, as the runner passes them" % name
    defaults = {name: spec["default"] for name, spec in action["inputs"].items()}
    assert defaults["paths"] == "."
    assert defaults["sarif-file"] == "sqsguard.sarif"
    assert defaults["upload-sarif"] == "true"
    assert defaults["upload-suppressed"] == "false"
    assert defaults["fail-on"] == ""  # the configuration's fail_on, else low
    assert action["outputs"] == {
        "exit-code": {"description": action["outputs"]["exit-code"]["description"], "value": "${{ steps.scan.outputs.exit-code }}"},
        "sarif-file": {"description": action["outputs"]["sarif-file"]["description"], "value": "${{ steps.scan.outputs.sarif-file }}"},
    }


def test_run_steps_use_bash_and_take_inputs_only_through_env():
    action = load_action()
    text = ACTION_FILE.read_text(encoding="utf-8")
    for step in action["runs"]["steps"]:
        if "run" not in step:
            continue
        assert step.get("shell") == "bash", step.get("name")
        assert "${{" not in step["run"], "%s: expressions in run: are a script-injection hole; use env:" % step.get("name")
        for name, value in (step.get("env") or {}).items():
            assert re.fullmatch(r"\$\{\{ [a-z]+\.[a-z0-9.-]+ \}\}|[^$]*", str(value)), (step.get("name"), name)
    for name in INPUTS:  # no input is declared and then forgotten
        assert "inputs.%s " % name in text or "inputs.%s }}" % name in text, name


def test_uses_steps_are_pinned_and_wired():
    steps = load_action()["runs"]["steps"]
    order = [step.get("id") for step in steps]
    assert order == ["setup-python", "install", "scan", "upload-sarif", "fail-on"]
    setup, upload = steps[0], steps[3]
    assert setup["uses"] == "actions/setup-python@v5"
    assert setup["with"] == {"python-version": "${{ inputs.python-version }}", "update-environment": False}
    assert "inputs.python-version != ''" in setup["if"]
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    assert upload["with"] == {"sarif_file": "${{ steps.scan.outputs.sarif-file }}", "category": "${{ inputs.category }}"}
    assert "inputs.upload-sarif == 'true'" in upload["if"] and "steps.scan.outputs.upload == 'true'" in upload["if"]
    assert "!cancelled()" in upload["if"] and "!cancelled()" in steps[4]["if"]


def test_sqsguard_commands_use_only_options_scan_help_lists():
    scan_options, other_options = set(), set()
    for step in load_action()["runs"]["steps"]:
        for line in step.get("run", "").splitlines():
            options = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", line))
            if re.search(r"\bcmd\+?=\(", line):
                scan_options |= options
            elif re.match(r'\s*"\$(bin|SQSGUARD)"', line):
                other_options |= options
    assert {"--format", "--output", "--fail-on", "--config", "--baseline", "--sarif-omit-suppressed"} <= scan_options
    assert scan_options <= scan_help_options()
    assert other_options == {"--version"} and other_options <= top_level_options()


def ci_docs() -> str:
    """The README's GitHub Action and GitLab CI sections."""
    return DOCS.read_text(encoding="utf-8")


def test_docs_describe_every_input_and_output():
    text = ci_docs()
    for name in INPUTS | set(load_action()["outputs"]):
        assert "`%s`" % name in text, name


def test_docs_yaml_examples_parse_and_use_only_real_scan_options():
    text = ci_docs()
    start = text.index("## GitHub Action")
    blocks = re.findall(r"```yaml\n(.*?)```", text[start:], re.S)
    assert len(blocks) >= 4
    for block in blocks:
        yaml.safe_load(block)
    gitlab = yaml.safe_load(next(block for block in blocks if "reports:" in block))
    job = gitlab["sqsguard"]
    assert job["artifacts"]["reports"]["junit"] == "sqsguard-junit.xml" and job["artifacts"]["when"] == "always"
    scan = next(line for line in job["script"] if " scan " in line)
    assert set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", scan)) <= scan_help_options()


# --- behaviour --------------------------------------------------------------------------------------


def test_bad_template_annotates_summarises_uploads_and_fails_with_1(sandbox):
    run = sandbox.run({"paths": "templates/payments-needs-work.yaml"})
    scan = run.step("scan")
    assert scan.outcome == "success"
    assert scan.outputs["exit-code"] == "1" and scan.outputs["upload"] == "true"
    assert run.outputs == {"exit-code": "1", "sarif-file": "sqsguard.sarif"}

    sarif = sarif_of(run)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert {result["ruleId"] for result in results} >= {"SQG101", "SQG102", "SQG103"}
    assert all(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
               == "templates/payments-needs-work.yaml" for result in results)

    lines = scan.stdout.splitlines()
    assert any(line.startswith("::error file=templates/payments-needs-work.yaml,line=") for line in lines)
    assert any(line.startswith("::warning file=templates/payments-needs-work.yaml,line=") for line in lines)

    assert "LegacyQueue" in run.summary and "SQG101" in run.summary
    assert "https://github.com/example/infra/blob/%s/templates/payments-needs-work.yaml" % SHA in run.summary

    upload = run.step("upload-sarif")
    assert upload.outcome == "success" and upload.with_ == {"sarif_file": "sqsguard.sarif", "category": ""}
    final = run.step("fail-on")
    assert (final.outcome, final.returncode) == ("failure", 1)
    assert [step.outcome for step in run.steps] == ["skipped", "success", "success", "success", "failure"]


def test_clean_template_passes(sandbox):
    run = sandbox.run({"paths": "templates/orders-compliant.yaml"})
    assert run.outputs["exit-code"] == "0"
    assert sarif_of(run)["runs"][0]["results"] == []
    assert run.step("upload-sarif").outcome == "success"
    assert run.step("fail-on").returncode == 0 and not run.failed
    assert "::error" not in run.step("scan").stdout


@pytest.mark.parametrize(("fail_on", "exit_code"), [("never", 0), ("critical", 0), ("high", 1)])
def test_fail_on_decides_the_job_and_the_report_stays_complete(sandbox, fail_on, exit_code):
    run = sandbox.run({"paths": "templates/payments-needs-work.yaml", "fail-on": fail_on})
    assert run.outputs["exit-code"] == str(exit_code)
    assert run.step("fail-on").returncode == exit_code
    assert run.failed is bool(exit_code)
    assert len(sarif_of(run)["runs"][0]["results"]) >= 5
    assert "::error file=" in run.step("scan").stdout
    assert run.step("upload-sarif").outcome == "success"


def test_invalid_config_fails_with_2_and_explains_why(sandbox):
    (sandbox.workspace / "sqsguard.sarif").write_text("left over from an earlier run")
    (sandbox.workspace / "bad-config.yaml").write_text("fail_on: sometimes\nunknown_key: 1\n")
    run = sandbox.run({"paths": "templates", "config": "bad-config.yaml"})
    scan = run.step("scan")
    assert scan.outcome == "success"
    assert run.outputs["exit-code"] == "2"
    assert scan.outputs["upload"] == "false" and scan.outputs["reported"] == "false"
    assert not (sandbox.workspace / "sqsguard.sarif").exists()
    assert run.step("upload-sarif").outcome == "skipped"
    final = run.step("fail-on")
    assert (final.outcome, final.returncode) == ("failure", 2)
    assert "::error title=sqsguard could not run::" in scan.stdout and "sometimes" in scan.stdout
    assert "sqsguard could not run" in run.summary and "unknown_key" in run.summary
    assert "Traceback" not in run.log


def test_a_partial_scan_is_exit_2_and_its_sarif_is_kept_but_not_uploaded(sandbox):
    run = sandbox.run({"paths": "templates/payments-needs-work.yaml templates/missing.yaml"})
    scan = run.step("scan")
    assert run.outputs["exit-code"] == "2" and scan.outputs["reported"] == "true"
    assert sarif_of(run)["runs"][0]["results"]  # the readable file's findings are in the file
    assert scan.outputs["upload"] == "false" and run.step("upload-sarif").outcome == "skipped"
    assert "::error file=templates/missing.yaml" in scan.stdout
    assert run.step("fail-on").returncode == 2
    assert "could not run" not in run.summary  # sqsguard wrote its own summary, with the error


def test_upload_can_be_turned_off(sandbox):
    run = sandbox.run({"paths": "templates/payments-needs-work.yaml", "upload-sarif": "false"})
    assert run.step("upload-sarif").outcome == "skipped"
    assert (run.workspace / "sqsguard.sarif").exists()
    assert run.step("fail-on").returncode == 1


@pytest.mark.parametrize(("upload_suppressed", "in_sarif"), [("false", False), ("true", True), ("TRUE", True)])
def test_suppressed_findings_stay_out_of_the_sarif_unless_asked(sandbox, upload_suppressed, in_sarif):
    (sandbox.workspace / "templates" / "scratch.yaml").write_text(SUPPRESSED_TEMPLATE)
    run = sandbox.run({"paths": "templates/scratch.yaml", "upload-suppressed": upload_suppressed})
    results = sarif_of(run)["runs"][0]["results"]
    assert bool(results) is in_sarif
    if in_sarif:
        assert results[0]["ruleId"] == "SQG102" and results[0]["suppressions"]
    assert run.outputs["exit-code"] == "0" and not run.failed  # suppressed findings never fail


def test_category_becomes_the_sarif_run_id(sandbox):
    run = sandbox.run({"paths": "templates/orders-compliant.yaml", "category": "iac/prod"})
    assert sarif_of(run)["runs"][0]["automationDetails"]["id"] == "iac/prod/"
    assert run.step("upload-sarif").with_["category"] == "iac/prod"
    default = sandbox.run({"paths": "templates/orders-compliant.yaml"})
    assert sarif_of(default)["runs"][0]["automationDetails"]["id"] == "sqsguard/"


def test_several_paths_and_an_extra_report_pair(sandbox):
    run = sandbox.run({
        "paths": "templates/payments-needs-work.yaml\n  templates/orders-compliant.yaml",
        "args": "--format json --output reports.json --select SQG1",
        "sarif-file": "out/reports/sqsguard.sarif",
    })
    assert run.outputs == {"exit-code": "1", "sarif-file": "out/reports/sqsguard.sarif"}
    report = json.loads((run.workspace / "reports.json").read_text())
    assert report["summary"]["files_scanned"] == 2
    assert {finding["rule_id"][:4] for finding in report["findings"]} == {"SQG1"}
    assert sarif_of(run, "out/reports/sqsguard.sarif")["runs"][0]["results"]
    assert "::error file=" in run.step("scan").stdout  # github still goes to stdout
    assert run.step("upload-sarif").with_["sarif_file"] == "out/reports/sqsguard.sarif"


def test_inputs_reach_sqsguard_as_arguments_never_as_shell_code(sandbox):
    shim, log = recording_sqsguard(sandbox)
    hostile = "templates/orders-compliant.yaml '$(touch pwned-paths)' \"a b\" ';touch pwned-semicolon'"
    run = sandbox.run({
        "sqsguard-bin": str(shim),
        "paths": hostile,
        "args": "--parameter 'OrdersServiceRoleName=orders service' --var x=`touch pwned-args`",
        "fail-on": "medium",
        "category": "$(touch pwned-category)",
        "sarif-file": "`touch pwned-sarif`.sarif",
    })
    second = sandbox.run({"sqsguard-bin": str(shim), "config": "$(touch pwned-config).yaml", "baseline": "b.json"})
    created = {path.name for path in sandbox.workspace.parent.rglob("*") if "pwned" in path.name}
    assert created == {"`touch pwned-sarif`.sarif"}  # the SARIF, under exactly the name given
    calls = recorded_calls(log)
    assert calls[0] == calls[2] == ["--version"]
    argv = calls[1]
    assert argv[0] == "scan"
    paths = argv[argv.index("--") + 1:]
    assert paths == ["templates/orders-compliant.yaml", "$(touch pwned-paths)", "a b", ";touch pwned-semicolon"]
    assert argv[argv.index("--parameter") + 1] == "OrdersServiceRoleName=orders service"
    assert argv[argv.index("--var") + 1] == "x=`touch"  # shell-style words; backquotes stay text
    assert argv[argv.index("--fail-on") + 1] == "medium"
    assert argv[argv.index("--output") + 1] == "`touch pwned-sarif`.sarif"
    assert sarif_of(run, "`touch pwned-sarif`.sarif")["runs"][0]["automationDetails"]["id"] == "$(touch pwned-category)/"
    assert run.outputs["exit-code"] == "2"  # the odd paths do not exist: a partial scan
    argv = calls[3]
    assert argv[argv.index("--config") + 1] == "$(touch pwned-config).yaml"
    assert argv[argv.index("--baseline") + 1] == "b.json"
    assert second.outputs["exit-code"] == "2" and second.step("fail-on").returncode == 2
    for argv in calls[1::2]:
        assert {word for word in argv[:argv.index("--")] if word.startswith("--")} <= scan_help_options()


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"args": "--select 'SQG1"}, "input args: No closing quotation"),
        ({"paths": '"templates'}, "input paths: No closing quotation"),
        ({"upload-suppressed": "maybe"}, "upload-suppressed must be true or false"),
        ({"sarif-file": ""}, "sarif-file must not be empty"),
        ({"args": "--format github"}, "could not run"),  # two reports for stdout: sqsguard's usage error
    ],
)
def test_invalid_inputs_are_usage_errors(sandbox, inputs, message):
    run = sandbox.run(inputs)
    scan = run.step("scan")
    assert scan.outcome == "success" and run.outputs["exit-code"] == "2"
    assert message in scan.stdout
    assert run.step("upload-sarif").outcome == "skipped"
    assert run.step("fail-on").returncode == 2
    assert "could not run" in run.summary and "Traceback" not in run.log


def test_missing_sqsguard_bin_fails_the_install_step_and_skips_the_rest(sandbox):
    run = sandbox.run({"sqsguard-bin": str(sandbox.runner_temp / "no-such-sqsguard")})
    assert run.step("install").outcome == "failure"
    assert "::error title=sqsguard::sqsguard-bin" in run.step("install").stdout
    assert [step.outcome for step in run.steps[2:]] == ["skipped", "skipped", "skipped"]
    assert run.outputs["exit-code"] == ""


def fake_python(sandbox: Sandbox) -> tuple[Path, Path]:
    """Stands in for python3: `-m venv DIR` makes DIR/bin/python (itself) and DIR/bin/sqsguard
    (the real one); `-m pip` only records; `-c` runs the real interpreter for the helpers."""
    log = sandbox.runner_temp / "python-calls.log"
    script = sandbox.shims / "fake-python"
    script.write_text("""#!/bin/bash
printf '%%s\\0' "$@" >> %(log)s; printf '\\n' >> %(log)s
if [ "$1" = -m ] && [ "$2" = venv ]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && ln -sf %(sqsguard)s "$3/bin/sqsguard"
elif [ "$1" = -c ]; then
  exec %(python)s "$@"
fi
""" % {"log": log, "sqsguard": SQSGUARD, "python": BASE_PYTHON})
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, log


@pytest.mark.parametrize(
    ("version", "requirement"),
    [("", str(ROOT)), ("0.2.0", "sqsguard==0.2.0"), (">=0.2,<0.3", "sqsguard>=0.2,<0.3"), ("latest", "sqsguard")],
)
def test_install_step_creates_its_own_venv_and_installs_the_requirement(sandbox, version, requirement):
    script, log = fake_python(sandbox)
    sandbox.set_python3(script)
    run = sandbox.run({"paths": "templates/orders-compliant.yaml", "sqsguard-version": version}, use_test_sqsguard=False)
    venv_dir = sandbox.runner_temp / "sqsguard-venv"
    calls = recorded_calls(log)
    assert calls[0] == ["-m", "venv", str(venv_dir)]
    assert calls[1] == ["-m", "pip", "install", "--progress-bar", "off", requirement]
    assert run.step("install").outputs == {"bin": str(venv_dir / "bin" / "sqsguard"), "python": str(venv_dir / "bin" / "python")}
    assert run.step("setup-python").outcome == "skipped"
    assert run.outputs["exit-code"] == "0" and not run.failed


def test_python_version_goes_through_setup_python(sandbox):
    script, log = fake_python(sandbox)
    run = sandbox.run({"paths": "templates/orders-compliant.yaml", "python-version": "3.12"},
                      use_test_sqsguard=False, uses_outputs={"actions/setup-python": {"python-path": str(script)}})
    setup = run.step("setup-python")
    assert setup.outcome == "success" and setup.with_ == {"python-version": "3.12", "update-environment": False}
    assert recorded_calls(log)[0] == ["-m", "venv", str(sandbox.runner_temp / "sqsguard-venv")]
    assert run.outputs["exit-code"] == "0"
    with_bin = sandbox.run({"python-version": "3.12"})
    assert with_bin.step("setup-python").outcome == "skipped"  # nothing to install


def test_action_installs_from_checkout(sandbox):
    """The real install step: a venv in RUNNER_TEMP, sqsguard built from this checkout.

    Offline and quick: the venv is made beforehand with a path entry to this test environment's
    packages (dependencies and hatchling, the build backend), and pip is told through its own
    environment variables to install no dependencies, use no index and no build isolation
    (PIP_NO_BUILD_ISOLATION=0 means --no-build-isolation: pip reads the variable inverted).
    """
    pytest.importorskip("hatchling")
    venv_dir = sandbox.runner_temp / "sqsguard-venv"
    venv.EnvBuilder(with_pip=True, symlinks=True).create(venv_dir)
    python = venv_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    run = sandbox.run({"paths": "templates/payments-needs-work.yaml"}, use_test_sqsguard=False, timeout=300,
                      env={"PIP_NO_DEPS": "1", "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0"})
    install = run.step("install")
    assert install.outcome == "success", install.stdout + install.stderr
    assert install.outputs["bin"] == str(venv_dir / "bin" / "sqsguard")
    assert "sqsguard " in install.stdout  # --version
    where = subprocess.run([str(python), "-c", "import sqsguard; print(sqsguard.__file__)"],
                           cwd=sandbox.runner_temp, check=True, capture_output=True, text=True).stdout
    assert Path(where).resolve().is_relative_to(Path(purelib).resolve()), where
    assert run.outputs["exit-code"] == "1"
    assert sarif_of(run)["runs"][0]["results"]
    assert run.step("fail-on").returncode == 1


def test_docs_gitlab_job_scan_command_runs(sandbox):
    import shlex

    job = yaml.safe_load(next(block for block in re.findall(r"```yaml\n(.*?)```", ci_docs(), re.S) if "reports:" in block))
    scan = shlex.split(next(line for line in job["sqsguard"]["script"] if " scan " in line))
    assert scan[0] == "/tmp/sqsguard-venv/bin/sqsguard"
    (sandbox.workspace / "infra").mkdir()
    shutil.copy(CLEAN, sandbox.workspace / "infra" / CLEAN.name)
    process = subprocess.run([str(SQSGUARD), *scan[1:]], cwd=sandbox.workspace, capture_output=True, text=True,
                             env={**os.environ, "CI_PROJECT_URL": "https://gitlab.example/g/p", "CI_COMMIT_SHA": SHA})
    assert process.returncode == 1, process.stderr  # the bad template has a high finding
    assert "<failure" in (sandbox.workspace / "sqsguard-junit.xml").read_text()
    for name in job["sqsguard"]["artifacts"]["paths"]:
        assert (sandbox.workspace / name).stat().st_size > 0, name
    assert "https://gitlab.example/g/p/-/blob/%s/" % SHA in (sandbox.workspace / "sqsguard.md").read_text()
