"""sqsguard's verdicts as Checkov checks: CKV_SQG_<n>, one per implemented rule of the catalog.

Load it with `checkov -d . --external-checks-dir "$(sqsguard checkov-plugin-path)"`.

sqsguard judges a queue with its key, the key's policy and the module or template around
them, which Checkov never hands a single check, and it cannot share Checkov's environment
(both install a top-level `hcl2` package). So this module imports only Checkov and the
standard library, runs sqsguard out of process from its own environment (`SQSGUARD_BIN`, else
`sqsguard` on PATH) once per scan root and process (`sqsguard scan ROOT --format json
--fail-on never`, the user's sqsguard configuration honoured), and answers each resource from
that report by file and address (Terraform) or logical id (CloudFormation, CDK templates).

Never a silent pass: when sqsguard is missing, too old or fails, it says so once on stderr
and every CKV_SQG check FAILS with that reason; a resource in a file sqsguard could not read,
or did not check, FAILS too. Findings sqsguard itself suppresses are SKIPPED with the reason.
The classes are generated from `catalog.jsondata` (JSON) (written from the catalog by
`python -m sqsguard.integrations`); no check is written by hand.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck as _CloudFormationCheck
from checkov.common.bridgecrew.severities import Severities
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.module.base_module_check import BaseModuleCheck as _ModuleCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck as _TerraformCheck

_HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_HERE, "catalog.jsondata"), encoding="utf-8") as _handle:
    CATALOG = json.load(_handle)

TIMEOUT_SECONDS = int(os.environ.get("SQSGUARD_TIMEOUT", "900"))
INSTALL_HINT = (
    "install sqsguard in its own environment (never into Checkov's: both ship a top-level hcl2 "
    "package): `pipx install sqsguard`, or a venv, then put its `sqsguard` on PATH or set "
    "SQSGUARD_BIN=/path/to/venv/bin/sqsguard"
)
_SEVERITY = {"critical": "CRITICAL", "high": "HIGH", "medium": "MEDIUM", "low": "LOW", "info": "INFO"}
_CATEGORY = {
    "queue-encryption": CheckCategories.ENCRYPTION,
    "key-hygiene": CheckCategories.ENCRYPTION,
    "key-policy": CheckCategories.IAM,
    "data-flow": CheckCategories.IAM,
    "cost": CheckCategories.GENERAL_SECURITY,
    "scan": CheckCategories.GENERAL_SECURITY,
}
_INSTANCE_KEY = re.compile(r"\[[^\]]*\]")

# Checkov executes this file once per registry that loads external checks; state kept in a
# module of its own survives that, so sqsguard runs once per scan root and process.
_STATE = sys.modules.get("_sqsguard_checkov_state")
if _STATE is None:
    _STATE = types.ModuleType("_sqsguard_checkov_state")
    _STATE.answers = {}
    sys.modules["_sqsguard_checkov_state"] = _STATE
# One id per Checkov run, for saying a problem once: Checkov's main process, whose children
# (one per framework) run the checks.
_PARENT = multiprocessing.parent_process()
RUN_ID = str(_PARENT.pid if _PARENT is not None and _PARENT.pid else os.getpid())


# --- where Checkov is looking ----------------------------------------------------------------


def _arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    """The directories (-d/--directory) and files (-f/--file) of this Checkov run."""
    directories: list[str] = []
    files: list[str] = []
    wanted = {"-d": directories, "--directory": directories, "-f": files, "--file": files}
    index = 0
    while index < len(argv):
        arg = argv[index]
        name, sep, value = arg.partition("=")
        if name in wanted:
            if sep:
                wanted[name].append(value)
            elif index + 1 < len(argv):
                wanted[name].append(argv[index + 1])
                index += 1
        index += 1
    return directories, files


def _locate(scanned_file: str, conf: dict) -> tuple[str, str] | None:
    """(scan root, absolute path) of the file a check is looking at. A root is a directory
    given with -d, or "" for the files given with -f."""
    directories, files = _arguments(sys.argv[1:])
    properties = conf.get("Properties") if isinstance(conf, dict) else None
    known = properties.get("__file__") if isinstance(properties, dict) else None  # CloudFormation
    relative = scanned_file.lstrip("/\\")
    candidates: list[tuple[str, str]] = []
    for directory in directories or ([] if files else ["."]):
        root = os.path.abspath(directory)
        candidates.append((root, os.path.normpath(os.path.join(root, relative))))
    if files:
        candidates.append(("", os.path.abspath(relative)))
        # Terraform names a -f file relative to its own directory: match the file it ends with.
        suffix = os.sep + os.path.normpath(relative)
        candidates += [("", os.path.abspath(f)) for f in files if os.path.abspath(f).endswith(suffix)]
    if isinstance(known, str):
        absolute = os.path.abspath(known)
        for root, path in candidates:
            if path == absolute:
                return root, path
        owner = next((r for r, _ in candidates if r and absolute.startswith(r.rstrip(os.sep) + os.sep)), "")
        return owner, absolute
    for root, path in candidates:
        if os.path.isfile(path):
            return root, path
    return None


# --- running sqsguard ------------------------------------------------------------------------


class _Answer:
    """One sqsguard report, indexed for lookups by absolute file path."""

    def __init__(self, report: dict, base: str):
        def absolute(name: str) -> str:
            return os.path.normpath(os.path.join(base, name))

        self.version = str((report.get("tool") or {}).get("version", ""))
        self.rules_run = set(report.get("rules_run") or ())
        self.findings: dict[tuple[str, str], list[dict]] = {}
        self.by_file: dict[str, list[dict]] = {}
        for finding in report.get("findings") or ():
            path = absolute(finding["file"])
            self.findings.setdefault((path, finding["resource"]), []).append(finding)
            self.by_file.setdefault(path, []).append(finding)
        self.errors: dict[str, str] = {}
        for error in report.get("errors") or ():
            where = "%s:%s" % (error["file"], error["line"]) if error.get("line") else error["file"]
            self.errors.setdefault(absolute(error["file"]), "%s: %s" % (where, error["message"]))
        self.checked = {(absolute(c["file"]), c["resource"]) for c in report.get("checked") or ()}


class _Failure:
    def __init__(self, reason: str):
        self.reason = reason


def _binary() -> str | None:
    configured = os.environ.get("SQSGUARD_BIN")
    if configured:
        return configured if os.path.isfile(configured) or shutil.which(configured) else None
    return shutil.which("sqsguard")


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _run(root: str) -> _Answer | _Failure:
    binary = _binary()
    if binary is None:
        where = "SQSGUARD_BIN=%s does not exist" % os.environ["SQSGUARD_BIN"] if os.environ.get("SQSGUARD_BIN") else "no `sqsguard` on PATH"
        return _Failure("sqsguard is not available (%s); %s" % (where, INSTALL_HINT))
    if root:
        command, cwd = [binary, "scan", ".", "--format", "json", "--fail-on", "never"], root
    else:
        _, files = _arguments(sys.argv[1:])
        command, cwd = [binary, "scan", *files, "--format", "json", "--fail-on", "never"], os.getcwd()
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    except OSError as exc:
        return _Failure("cannot run sqsguard (%s: %s); %s" % (binary, exc.strerror or exc, INSTALL_HINT))
    except subprocess.TimeoutExpired:
        return _Failure("sqsguard did not finish within %d s (set SQSGUARD_TIMEOUT to allow more)" % TIMEOUT_SECONDS)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else "exit code %d, no report" % done.returncode
        return _Failure("sqsguard failed: %s" % reason)
    answer = _Answer(report, cwd)
    if _version_tuple(answer.version) < _version_tuple(CATALOG["sqsguard_version"]):
        return _Failure(
            "sqsguard %s is older than this plugin (from sqsguard %s); upgrade it: pipx upgrade sqsguard"
            % (answer.version or "(unknown)", CATALOG["sqsguard_version"])
        )
    return answer


def _answer(root: str) -> _Answer | _Failure:
    answers = _STATE.answers
    if root not in answers:
        answers[root] = _run(root)
        if isinstance(answers[root], _Failure):
            _warn_once(answers[root].reason)
    return answers[root]


def _warn_once(reason: str) -> None:
    """Once per Checkov run, though each framework runs in a process of its own."""
    marker = os.path.join(tempfile.gettempdir(), "sqsguard-checkov-%s.warned" % RUN_ID)
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    except OSError:
        pass
    sys.stderr.write("sqsguard Checkov plugin: %s. Every CKV_SQG check fails until this is fixed.\n" % reason)


# --- verdicts --------------------------------------------------------------------------------


def _describe(finding: dict) -> str:
    text = finding["message"]
    if finding.get("construct_path"):
        text += " (construct %s)" % finding["construct_path"]
    return text


def _judge(findings: list[dict]) -> tuple[CheckResult, list[str]] | None:
    active = [f for f in findings if not f.get("suppressed")]
    if active:
        return CheckResult.FAILED, [_describe(f) for f in active]
    if findings:
        reasons = [
            "suppressed in sqsguard (%s): %s" % ((f.get("suppression") or {}).get("kind", "?"), (f.get("suppression") or {}).get("reason") or "no reason given")
            for f in findings
        ]
        return CheckResult.SKIPPED, reasons
    return None


class _Verdicts:
    """What a generated check does: find the file, ask sqsguard's report, answer."""

    rule: dict

    def _context(self, conf: dict) -> tuple[_Answer, str] | tuple[CheckResult, list[str]]:
        scanned_file = self.entity_path.rpartition(":%s:" % self.entity_type)[0]
        located = _locate(scanned_file, conf)
        if located is None:
            return CheckResult.FAILED, ["sqsguard plugin: cannot locate %s under the scanned paths" % scanned_file]
        root, path = located
        answer = _answer(root)
        if isinstance(answer, _Failure):
            return CheckResult.FAILED, [answer.reason]
        if path in answer.errors:
            return CheckResult.FAILED, ["sqsguard could not read the file: %s" % answer.errors[path]]
        if self.rule["id"] not in answer.rules_run:
            return CheckResult.SKIPPED, ["%s did not run: it is not selected in sqsguard's configuration" % self.rule["id"]]
        return answer, path

    def _verdict(self, conf: dict, address: str) -> CheckResult:
        context = self._context(conf)
        if not isinstance(context[0], _Answer):
            result, self.details = context
            return result
        answer, path = context
        findings = [f for f in answer.findings.get((path, address), ()) if f["rule_id"] == self.rule["id"]]
        judged = _judge(findings)
        if judged is not None:
            result, self.details = judged
            return result
        if (path, address) not in answer.checked:
            self.details = [
                "sqsguard did not check %s (excluded by its configuration, or written in a form it does not read yet)" % address
            ]
            return CheckResult.FAILED
        return CheckResult.PASSED

    def _module_verdict(self, conf: dict) -> CheckResult:
        """A module call: sqsguard's findings inside the block (resources of a registry module it
        models, a remote module it cannot read)."""
        context = self._context(conf)
        if not isinstance(context[0], _Answer):
            result, self.details = context
            return result
        answer, path = context
        first = _number(conf.get("__start_line__"))
        last = _number(conf.get("__end_line__")) or first
        findings = [
            f
            for f in answer.by_file.get(path, ())
            if f["rule_id"] == self.rule["id"] and first <= f["line"] <= max(last, first) and f["resource"].startswith("module.")
        ]
        judged = _judge(findings)
        if judged is not None:
            result, self.details = judged
            return result
        return CheckResult.PASSED


def _number(value) -> int:
    while isinstance(value, list) and value:
        value = value[0]
    return value if isinstance(value, int) else 0


def _terraform_address(conf: dict, entity_type: str, name: str) -> str:
    address = conf.get("__address__") or "%s.%s" % (entity_type, name)
    return _INSTANCE_KEY.sub("", address)


def _scan_terraform_resource(self, conf):
    return self._verdict(conf, _terraform_address(conf, self.entity_type, self.entity_path.rpartition(":")[2]))


def _scan_cloudformation_resource(self, conf):
    return self._verdict(conf, self.entity_path.rpartition(":%s:" % self.entity_type)[2])


def _scan_module(self, conf):
    self.entity_type = "module"  # Checkov's module checks do not set it
    source = conf.get("source")
    while isinstance(source, list) and source:
        source = source[0]
    if isinstance(source, str) and source.startswith(("./", "../")):
        return CheckResult.UNKNOWN  # a local module: its resources carry the verdicts themselves
    return self._module_verdict(conf)


def _init(base, **extra):
    def __init__(self):
        rule = self.rule
        base.__init__(
            self,
            name="sqsguard %s %s: %s" % (rule["id"], rule["slug"], rule["title"]),
            id=rule["checkov_id"],
            categories=[_CATEGORY.get(rule["family"], CheckCategories.GENERAL_SECURITY)],
            guideline=rule["guideline"],
            **extra,
        )
        self.severity = Severities[_SEVERITY[rule["severity"]]]

    return __init__


def _check(rule: dict, kind: str, base: type, scan: str, function, **extra) -> object:
    """One check: a class generated for the rule and the kind of entity, instantiated (which
    registers it with Checkov)."""
    cls = type("Sqsguard%s%s" % (rule["id"], kind), (_Verdicts, base), {"rule": rule, scan: function})
    cls.__init__ = _init(base, **extra)
    return cls()


def _generate() -> list:
    checks = []
    for rule in CATALOG["rules"]:
        if not rule["implemented"]:
            continue
        if rule["terraform"]:
            checks.append(_check(rule, "Terraform", _TerraformCheck, "scan_resource_conf", _scan_terraform_resource,
                                 supported_resources=rule["terraform"]))
            checks.append(_check(rule, "TerraformModule", _ModuleCheck, "scan_module_conf", _scan_module))
        if rule["cloudformation"]:
            checks.append(_check(rule, "CloudFormation", _CloudFormationCheck, "scan_resource_conf", _scan_cloudformation_resource,
                                 supported_resources=rule["cloudformation"]))
    return checks


CHECKS = _generate()
