"""CDK cloud assemblies (`cdk.out`): every stack template through the manifest.

Stacks are `aws:cloudformation:stack` artifacts; Stages are nested `cdk:cloud-assembly`
artifacts with a manifest of their own. Construct paths come from `aws:cdk:logicalId`
metadata entries (in the manifest or in the artifact's additional metadata file, where plain
`app.synth()` puts them) or from `aws:cdk:path` resource metadata (the CDK CLI's default).
Nested stacks are followed from the parent's `AWS::CloudFormation::Stack` resource through the
asset manifest to the `*.nested.template.json` file, with the parent's parameters passed in.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Iterator

from .. import inputs
from ..discover import display_path
from ..model import Format, Model
from .cloudformation import build_model, clean_construct_path, is_template
from .documents import ParseError, load_json, parse_json
from .intrinsics import Resolver

_ENVIRONMENT = re.compile(r"^aws://(\d{12})/")
MAX_NESTING = 8


class AssemblyError(Exception):
    def __init__(self, file: str, message: str, line: int | None = None):
        super().__init__(message)
        self.file, self.message, self.line = file, message, line


def parse_assembly(directory: str, parameters: dict[str, str]) -> tuple[Model, list[AssemblyError], int]:
    """The model of every stack in the assembly, the files that failed, and the files read."""
    model = Model()
    errors: list[AssemblyError] = []
    count = 0
    assets_by_directory: dict[str, dict[str, str]] = {}  # each assembly's asset manifests, read once
    for stack in _stacks(directory, errors, depth=0):
        if stack.directory not in assets_by_directory:
            assets_by_directory[stack.directory] = _asset_files(stack, errors)
        count += _parse_stack(stack, model, errors, parameters, assets_by_directory[stack.directory])
    return model, errors, count


class _Stack:
    def __init__(self, directory: str, name: str, artifact: dict, manifest: dict):
        self.directory = directory
        self.name = name
        self.artifact = artifact
        self.manifest = manifest
        props = artifact.get("properties") or {}
        self.template_file = os.path.join(directory, str(props.get("templateFile", "")))
        env = artifact.get("environment") or ""
        match = _ENVIRONMENT.match(env) if isinstance(env, str) else None
        self.account = match.group(1) if match else None


def _read_json(path: str, errors: list[AssemblyError], positions: bool = False) -> Any:
    try:
        text = inputs.read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(AssemblyError(display_path(path), "cannot read: %s" % exc))
        return None
    try:
        return load_json(text) if positions else parse_json(text)
    except ParseError as exc:
        errors.append(AssemblyError(display_path(path), exc.message, exc.line))
        return None


def _stacks(directory: str, errors: list[AssemblyError], depth: int) -> Iterator[_Stack]:
    manifest = _read_json(os.path.join(directory, "manifest.json"), errors)
    if not isinstance(manifest, dict):
        return
    artifacts = manifest.get("artifacts")
    for name, artifact in sorted((artifacts or {}).items()):
        if not isinstance(artifact, dict):
            continue
        kind = artifact.get("type")
        if kind == "aws:cloudformation:stack":
            yield _Stack(directory, name, artifact, manifest)
        elif kind == "cdk:cloud-assembly" and depth < MAX_NESTING:
            sub = (artifact.get("properties") or {}).get("directoryName")
            if isinstance(sub, str):
                yield from _stacks(os.path.join(directory, sub), errors, depth + 1)


def _logical_id_paths(stack: _Stack, errors: list[AssemblyError]) -> dict[str, str]:
    """Construct path -> logical id, from the manifest and the additional metadata file."""
    entries: dict[str, Any] = {}
    inline = stack.artifact.get("metadata")
    if isinstance(inline, dict):
        entries.update(inline)
    extra = stack.artifact.get("additionalMetadataFile")
    if isinstance(extra, str):
        data = _read_json(os.path.join(stack.directory, extra), errors)
        if isinstance(data, dict):
            entries.update(data)
    paths: dict[str, str] = {}
    for path, items in entries.items():
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and item.get("type") == "aws:cdk:logicalId":
                if isinstance(item.get("data"), str):
                    paths[path] = item["data"]
    return paths


def _parse_stack(
    stack: _Stack, model: Model, errors: list[AssemblyError], parameters: dict[str, str], assets: dict[str, str]
) -> int:
    template = _read_json(stack.template_file, errors, positions=True)
    if template is None or not is_template(template):
        return 1
    path_to_id = _logical_id_paths(stack, errors)
    display_name = stack.artifact.get("displayName")
    prefix = "/" + (display_name if isinstance(display_name, str) else stack.name)
    return _parse_template(
        template, stack.template_file, stack, model, errors, dict(parameters), path_to_id, assets, prefix, 0
    )


def _parse_template(
    template: Any,
    template_file: str,
    stack: _Stack,
    model: Model,
    errors: list[AssemblyError],
    parameters: dict[str, Any],
    path_to_id: dict[str, str],
    assets: dict[str, str],
    construct_prefix: str,
    depth: int,
) -> int:
    display = display_path(template_file)
    resources = template.get("Resources") or {}
    nested = {
        logical_id: resource
        for logical_id, resource in resources.items()
        if isinstance(resource, dict) and resource.get("Type") == "AWS::CloudFormation::Stack"
    }
    nested_prefixes = {}
    for logical_id in nested:
        own_path = _path_of(path_to_id, logical_id, construct_prefix)
        nested_prefixes[logical_id] = _nested_prefix(own_path) if own_path else None
    inner = tuple(p + "/" for p in nested_prefixes.values() if p)
    construct_paths = {
        logical_id: clean_construct_path(path)
        for path, logical_id in path_to_id.items()
        if logical_id in resources and path.startswith(construct_prefix + "/") and not (inner and path.startswith(inner))
    }
    unit = display
    stack_model = build_model(template, display, unit, Format.CDK, parameters, construct_paths)
    if stack.account:
        stack_model.unit_accounts[unit] = stack.account
    model.extend(stack_model)
    count = 1
    if depth >= MAX_NESTING:
        return count
    resolver = Resolver(template, unit, parameters)
    for logical_id, resource in nested.items():
        props = resource.get("Properties") or {}
        child_file = _nested_template_file(props.get("TemplateURL"), assets)
        if child_file is None:
            continue
        child = _read_json(child_file, errors, positions=True)
        if not is_template(child):
            count += 1
            continue
        given = props.get("Parameters")
        child_parameters = (
            {name: resolver.resolve(value) for name, value in given.items()} if isinstance(given, dict) else {}
        )
        child_prefix = nested_prefixes[logical_id] or "%s/%s" % (construct_prefix, logical_id)
        count += _parse_template(
            child, child_file, stack, model, errors, child_parameters, path_to_id, assets, child_prefix, depth + 1
        )
    return count


def _path_of(path_to_id: dict[str, str], logical_id: str, prefix: str) -> str | None:
    for path, found in path_to_id.items():
        if found == logical_id and path.startswith(prefix + "/"):
            return path
    return None


def _nested_prefix(stack_resource_path: str) -> str:
    """`/Parent/Workers.NestedStack/Workers.NestedStackResource` -> `/Parent/Workers`."""
    marker = ".NestedStack/"
    if marker in stack_resource_path:
        return stack_resource_path.split(marker, 1)[0]
    return "/" + clean_construct_path(stack_resource_path).rsplit("/", 1)[0]


def _asset_files(stack: _Stack, errors: list[AssemblyError]) -> dict[str, str]:
    """Asset id -> file path, from every asset manifest of the assembly."""
    files: dict[str, str] = {}
    for artifact in (stack.manifest.get("artifacts") or {}).values():
        if not isinstance(artifact, dict) or artifact.get("type") != "cdk:asset-manifest":
            continue
        name = (artifact.get("properties") or {}).get("file")
        if not isinstance(name, str):
            continue
        data = _read_json(os.path.join(stack.directory, name), errors)
        for asset_id, spec in ((data or {}).get("files") or {}).items():
            source = (spec or {}).get("source") or {}
            if isinstance(source.get("path"), str) and source.get("packaging", "file") == "file":
                files[asset_id] = os.path.join(stack.directory, source["path"])
    return files


def _nested_template_file(url: Any, assets: dict[str, str]) -> str | None:
    text = url if isinstance(url, str) else json.dumps(url)
    for asset_id, path in assets.items():
        if asset_id in text and path.endswith(".json"):
            return path
    return None
