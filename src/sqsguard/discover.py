"""Find what to scan: files and directories in any mix, reduced to scan targets.

A target is a CloudFormation/JSON/YAML candidate file, a CDK cloud assembly directory, or a
Terraform module directory. The format of a candidate file is decided later by its content
(`parsers.detect`); here only names, and a cheap text test, decide what is worth reading.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

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
DOCUMENT_SUFFIXES = (".json", ".yaml", ".yml", ".template")
TERRAFORM_SUFFIXES = (".tf",)

# A file can matter only if it names one of these (checked on raw bytes, before parsing).
DOCUMENT_TOKENS = (b"AWS::SQS::", b"AWS::KMS::", b"aws_sqs_queue", b"aws_kms_key")


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
        with open(path, "rb") as handle:
            head = handle.read(1 << 20)
        data = json.loads(head)
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("artifacts"), dict) and "version" in data


def discover(paths: list[str]) -> tuple[list[Target], list[Problem]]:
    targets: list[Target] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    assemblies: list[str] = []

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
            problems.append(Problem(raw, "no such file or directory"))
            continue
        if os.path.isfile(path):
            name = os.path.basename(path)
            if name == "manifest.json" and is_cloud_assembly_manifest(path):
                add("cdk", os.path.dirname(path), explicit=True)
                assemblies.append(os.path.dirname(path))
            elif name.endswith(TERRAFORM_SUFFIXES):
                add("terraform", os.path.dirname(path), explicit=True)
            elif name.endswith(DOCUMENT_SUFFIXES):
                add("document", path, explicit=True)
            continue
        for directory, subdirs, files in os.walk(path):
            subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS)
            if "manifest.json" in files and is_cloud_assembly_manifest(
                os.path.join(directory, "manifest.json")
            ):
                add("cdk", directory)
                assemblies.append(os.path.abspath(directory))
                subdirs[:] = []  # templates and nested assemblies are read through the manifest
                continue
            if any(f.endswith(TERRAFORM_SUFFIXES) for f in files):
                add("terraform", directory, explicit=os.path.abspath(directory) == path)
            for name in sorted(files):
                if name.endswith(DOCUMENT_SUFFIXES):
                    add("document", os.path.join(directory, name))

    # A template inside a scanned cloud assembly is read through the assembly, not again alone.
    if assemblies:
        roots = [a.rstrip(os.sep) + os.sep for a in assemblies]
        targets = [
            t
            for t in targets
            if t.kind == "cdk" or not any(t.path.startswith(root) for root in roots)
        ]
    return targets, problems


def worth_reading(data: bytes) -> bool:
    """The cheap text test: can this document possibly declare a queue or a key?
    (Terraform directories have their own, in `parsers.terraform`.)"""
    return any(token in data for token in DOCUMENT_TOKENS)
