"""Find what to scan: files and directories in any mix, reduced to scan targets.

A target is a CloudFormation/JSON/YAML candidate file, a CDK cloud assembly directory, or a
Terraform module directory. The format of a candidate file is decided later by its content
(`parsers.detect`); here only names, and a cheap text test, decide what is worth reading.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .dataclass_methods import dataclass
from .inputs import read_regular

SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    ".terraform",
    "__pycache__",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".aws-sam",
    ".serverless",
}
# Serverless Framework service files (parsers/serverless.py reads them).
SERVICE_FILES = ("serverless.yml", "serverless.yaml", "serverless.json")
DOCUMENT_SUFFIXES = (".json", ".yaml", ".yml", ".template")
TERRAFORM_SUFFIXES = (".tf", ".tf.json")  # the native syntax and the JSON syntax (CDK for Terraform's too)
TFVARS_SUFFIXES = (".tfvars", ".tfvars.json")

# A file can matter only if it names one of these (checked on raw bytes, before parsing): every
# queue and key type of the CloudFormation and Terraform resource tables (test_layout.py checks),
# and the stacks, SAM applications and StackSets whose child templates may hold them.
DOCUMENT_TOKENS = (b"AWS::SQS::", b"AWS::KMS::", b"aws_sqs_", b"aws_kms_", b"AWS::CloudFormation::Stack", b"AWS::Serverless::Application")


@dataclass(frozen=True)
class Target:
    kind: str  # "document" | "cdk" | "terraform"
    path: str  # absolute
    display: str  # as shown to the user (relative to the working directory when inside it)
    explicit: bool = False  # named on the command line


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


def display_path(path: str | Path, cwd: str | None = None) -> str:
    absolute = os.path.abspath(path)
    base = cwd or os.getcwd()
    try:
        rel = os.path.relpath(absolute, base)
    except ValueError:
        return Path(absolute).as_posix()
    if rel.startswith(".."):
        return Path(absolute).as_posix()
    return Path(rel).as_posix()


def is_cloud_assembly_manifest(path: str) -> bool:
    try:
        data = json.loads(read_regular(path, 1 << 20))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("artifacts"), dict) and "version" in data


def cdktf_stacks(path: str) -> list[str] | None:
    """The stack files (`stacks/<stack>/cdk.tf.json`) a CDK for Terraform `manifest.json`
    lists, or None when the file is not one (`{"version", "stacks": {name: {...,
    "synthesizedStackPath"}}}`). Each stack is a Terraform root module in JSON syntax."""
    try:
        data = json.loads(read_regular(path, 1 << 20))
    except (OSError, ValueError):
        return None
    stacks = data.get("stacks") if isinstance(data, dict) else None
    if not isinstance(stacks, dict) or "version" not in data or "artifacts" in data:
        return None
    directory = os.path.dirname(os.path.abspath(path))
    found = []
    for name in sorted(stacks):
        stack = stacks[name]
        file = stack.get("synthesizedStackPath") if isinstance(stack, dict) else None
        if isinstance(file, str) and file:
            found.append(os.path.normpath(os.path.join(directory, file)))
    return found


@dataclass(frozen=True)
class Focus:
    """What to report when files are named on the command line (a pre-commit hook passes the
    changed files): findings located in those files, or under the directories named beside
    them, or of the root modules whose `.tfvars` were named, or of the child stacks read
    through a named template. Everything else is still read, for
    context (a child module is evaluated through the root modules that call it), but not
    reported. None of this applies when only directories are named."""

    files: frozenset[str]
    directories: tuple[str, ...]
    units: frozenset[str]

    def covers(self, file: str, unit: str) -> bool:
        absolute = os.path.abspath(file)
        if absolute in self.files or os.path.abspath(unit) in self.units:
            return True
        if "#" in unit:
            stack = stack_of(unit)
            if stack and os.path.abspath(stack[0]) in self.files:
                return True  # a child stack of a named template
        return any(absolute.startswith(d.rstrip(os.sep) + os.sep) for d in self.directories)


_STACK_PATH = re.compile(r"^[A-Za-z0-9]+(\[\d+\])?(/[A-Za-z0-9]+(\[\d+\])?)*$")


def stack_of(unit: str) -> tuple[str, str] | None:
    """(root template, stack path) of a child stack's unit (`template.yaml#Workers/Inner`, as
    parsers/nested_templates.py names them); None for any other unit."""
    root, mark, path = unit.rpartition("#")
    return (root, path) if mark and root and _STACK_PATH.match(path) else None


def focus_of(paths: list[str]) -> Focus | None:
    from . import inputs

    absolute = [os.path.abspath(p) for p in paths]
    files = [p for p in absolute if inputs.isfile(p)]
    if not files:
        return None
    directories = tuple(p for p in absolute if inputs.isdir(p))
    units = frozenset(os.path.dirname(p) for p in files if p.endswith(TFVARS_SUFFIXES))
    assemblies = tuple(os.path.dirname(p) for p in files if os.path.basename(p) == "manifest.json")
    return Focus(frozenset(files), directories + assemblies, units)


class _Excluded:
    """The configuration's `exclude` globs, relative to its directory."""

    def __init__(self, patterns: tuple[str, ...], base: str | None):
        self.patterns = patterns
        self.base = os.path.abspath(base or os.getcwd())

    def __call__(self, path: str) -> bool:
        if not self.patterns:
            return False
        from .globs import matches

        relative = os.path.relpath(os.path.abspath(path), self.base).replace(os.sep, "/")
        if relative.startswith("../"):
            return False
        return any(matches(pattern, relative) for pattern in self.patterns)


def _unresolved_link(path: str) -> str:
    """Why a symbolic link leads nowhere: its target is missing, or links lead back to it."""
    import errno

    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop (to %s, which leads back to it)" % os.readlink(path)
    return "broken symbolic link (to %s)" % os.readlink(path)


def discover(paths: list[str], exclude: tuple[str, ...] = (), base: str | None = None) -> tuple[list[Target], list[Problem]]:
    targets: list[Target] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    assemblies: list[str] = []
    excluded = _Excluded(tuple(exclude), base)

    def add(kind: str, path: str, explicit: bool = False) -> None:
        absolute = os.path.abspath(path)
        if (kind, absolute) in seen:
            if explicit:  # also found by walking another path: it was still named explicitly
                for i, target in enumerate(targets):
                    if target.kind == kind and target.path == absolute:
                        targets[i] = Target(kind, absolute, target.display, True)
            return
        seen.add((kind, absolute))  # type: ignore[arg-type]
        targets.append(Target(kind, absolute, display_path(absolute), explicit))

    for raw in paths:
        path = os.path.abspath(raw)
        if not os.path.exists(path):
            broken = os.path.islink(path)  # a link to nothing, or to itself through others
            problems.append(Problem(raw, "a symbolic link whose target does not exist (or a loop of links)" if broken
                                    else "path does not exist"))
            continue
        if excluded(path):
            continue
        if not os.path.isfile(path) and not os.path.isdir(path):
            problems.append(Problem(raw, "not a regular file or directory (a FIFO, a device or a socket), not read"))
            continue
        if os.path.isfile(path):
            name = os.path.basename(path)
            if name == "manifest.json" and is_cloud_assembly_manifest(path):
                add("cdk", os.path.dirname(path), explicit=True)
                assemblies.append(os.path.dirname(path))
            elif name == "manifest.json" and cdktf_stacks(path) is not None:
                for stack in cdktf_stacks(path) or []:  # CDK for Terraform's output: each stack a root module
                    if os.path.isfile(stack):
                        add("terraform", os.path.dirname(stack), explicit=True)
                    else:
                        problems.append(Problem(display_path(stack), "listed in the CDK for Terraform manifest %s, but missing" % raw))
            elif name.endswith(TERRAFORM_SUFFIXES):
                _add_module_of_file(path, add, excluded)
            elif name.endswith(TFVARS_SUFFIXES):
                if any(n.endswith(TERRAFORM_SUFFIXES) for n in os.listdir(os.path.dirname(path))):
                    add("terraform", os.path.dirname(path), explicit=True)  # a root module's values
            elif name.endswith(DOCUMENT_SUFFIXES):
                add("document", path, explicit=True)
            continue
        def unreadable(error: OSError) -> None:  # never a silent pass over what cannot be listed
            problems.append(Problem(display_path(error.filename or path), "cannot read the directory: %s" % (error.strerror or error)))

        for directory, subdirs, files in os.walk(path, onerror=unreadable):
            subdirs[:] = sorted(
                d for d in subdirs
                if (d not in SKIP_DIRS or (d == ".aws-sam" and not _has_sam_source(files)))
                and not excluded(os.path.join(directory, d))
            )
            files = [f for f in files if not excluded(os.path.join(directory, f))]
            for name in files:
                full = os.path.join(directory, name)
                if name.endswith(TERRAFORM_SUFFIXES) and os.path.islink(full) and not os.path.exists(full):
                    problems.append(Problem(display_path(full), _unresolved_link(full)))
            if "manifest.json" in files and is_cloud_assembly_manifest(
                os.path.join(directory, "manifest.json")
            ):
                add("cdk", directory)
                assemblies.append(os.path.abspath(directory))
                subdirs[:] = []  # templates and nested assemblies are read through the manifest
                continue
            if "manifest.json" in files:  # CDK for Terraform: every stack it lists must be there
                for stack in cdktf_stacks(os.path.join(directory, "manifest.json")) or []:
                    if not os.path.isfile(stack):
                        problems.append(Problem(display_path(stack), "listed in the CDK for Terraform manifest %s, but missing"
                                                % display_path(os.path.join(directory, "manifest.json"))))
            if any(f.endswith(TERRAFORM_SUFFIXES) for f in files):
                add("terraform", directory, explicit=os.path.abspath(directory) == path)
            for name in sorted(files):
                if name.endswith(DOCUMENT_SUFFIXES) and not name.endswith(TERRAFORM_SUFFIXES + TFVARS_SUFFIXES):
                    add("document", os.path.join(directory, name))

    # A file a Serverless service reads with ${file(...)} is read through the service, not again alone.
    services = [t.path for t in targets if t.kind == "document" and os.path.basename(t.path) in SERVICE_FILES]
    if services:
        from .parsers.serverless import included_files  # only when there is a service to read

        included = set().union(*(included_files(p) for p in services))
        targets = [t for t in targets if t.kind != "document" or t.path not in included]  # named too: read through its service
    targets = _without_sam_copies(targets)
    # A template inside a scanned cloud assembly is read through the assembly, not again alone.
    if assemblies:
        roots = [a.rstrip(os.sep) + os.sep for a in assemblies]
        targets = [
            t
            for t in targets
            if t.kind == "cdk" or not any(t.path.startswith(root) for root in roots)
        ]
    return targets, problems


# `sam build` copies the project's templates (children too) into .aws-sam/build; beside the
# template it was built from (its default --template), the copy is skipped: the source is read,
# and its findings are on the lines the user edits. Without one, the copy is all there is.
SAM_SOURCES = ("template.yaml", "template.yml", "template.json")


def _has_sam_source(files: list[str]) -> bool:
    return any(name in files for name in SAM_SOURCES)


_SAM_DIR = os.sep + ".aws-sam" + os.sep


def _without_sam_copies(targets: list[Target]) -> list[Target]:
    """`sam build -t infra/template.yaml` writes .aws-sam beside where it runs, not beside the
    template: a walk that also found a SAM source template (template.yaml, ...) in the tree
    above .aws-sam reads that, not the copy. A file named on the command line is always read."""
    copies = {t.path.split(_SAM_DIR, 1)[0] for t in targets if _SAM_DIR in t.path and not t.explicit}
    if not copies:
        return targets
    built = {root for root in copies if any(
        _SAM_DIR not in t.path and t.path.startswith(root + os.sep) and os.path.basename(t.path) in SAM_SOURCES
        for t in targets)}
    return [t for t in targets if t.explicit or _SAM_DIR not in t.path or t.path.split(_SAM_DIR, 1)[0] not in built]


def _add_module_of_file(path: str, add, excluded) -> None:
    """A `.tf` file named alone: its module is read through the root modules of the repository
    that call it (so its inputs are known), or as a root itself when nothing calls it."""
    from .parsers.terraform.callers import module_callers
    from .repository import repository_root

    directory = os.path.dirname(path)
    root = repository_root(directory)
    if root is None:
        cwd = os.getcwd()
        root = cwd if directory == cwd or directory.startswith(cwd.rstrip(os.sep) + os.sep) else directory
    callers = [c for c in module_callers(directory, root, SKIP_DIRS) if not excluded(c)]
    if not callers:
        add("terraform", directory, explicit=True)
        return
    add("terraform", directory)
    for caller in callers:
        add("terraform", caller)


def worth_reading(data: bytes) -> bool:
    """The cheap text test: can this document possibly declare a queue or a key?
    (Terraform directories have their own, in `parsers.terraform`.)"""
    return any(token in data for token in DOCUMENT_TOKENS)
