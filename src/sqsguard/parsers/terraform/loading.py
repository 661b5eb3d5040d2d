"""Module directories on disk: `Module` (a directory's blocks), `Loader` (every file of a scan
parsed once, its errors collected) and `LiteralContext` (expressions that must be constant:
tfvars values, variable defaults)."""

from __future__ import annotations

import os
import re
from dataclasses import field
from typing import Any

from ...dataclass_methods import dataclass
from ... import inputs
from ...discover import display_path
from ...findings import ScanError, Skipped
from .expressions import EvalError
from .hcl import Attribute, Block, HclError, KeepTest, ParsedFile, parse_text
from .resources import DATA_FLOW_TOKENS, KEEP, KEEP_WITHOUT_PRINCIPALS, MODEL_TYPES
from .callers import MAX_FILE_BYTES
from ...discover import TERRAFORM_SUFFIXES as CONFIGURATION_SUFFIXES  # native and JSON syntax (json_syntax.py)

OVERRIDE_REASON = ("Terraform override file: Terraform merges its blocks into the module's blocks of the same name, "
                   "which sqsguard does not do; the module was read without it")


def is_override_file(path: str) -> bool:
    """`override.tf`, `x_override.tf` (and their .tf.json): merged into other blocks, not declared."""
    name = os.path.basename(path)
    for suffix in CONFIGURATION_SUFFIXES[::-1]:  # .tf.json first
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem == "override" or stem.endswith("_override")
    return False

# --- modules on disk --------------------------------------------------------------------------


@dataclass
class Module:
    dir: str
    display: str
    files: list[ParsedFile]
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attribute] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    resources: list[Block] = field(default_factory=list)
    data: dict[tuple[str, str], Block] = field(default_factory=dict)
    calls: dict[str, Block] = field(default_factory=dict)
    providers: list[Block] = field(default_factory=list)
    declared: set = field(default_factory=set)
    duplicates: bool = False  # two files declare the same resource: not one valid module

    @classmethod
    def from_files(cls, directory: str, display: str, files: list[ParsedFile]) -> "Module":
        module = cls(directory, display, files)
        seen: set = set()
        for parsed in files:
            for key in parsed.declared:
                if key in seen:
                    module.duplicates = True
                seen.add(key)
                module.declared.add(key)
            for block in parsed.blocks:
                kind = block.type
                if kind == "variable" and block.labels:
                    module.variables[block.labels[0]] = block
                elif kind == "locals":
                    module.locals.update(block.attributes)
                elif kind == "output" and block.labels:
                    module.outputs[block.labels[0]] = block
                elif kind == "resource" and len(block.labels) >= 2:
                    if block.labels[0] in MODEL_TYPES:
                        module.resources.append(block)
                elif kind == "data" and len(block.labels) >= 2:
                    module.data[(block.labels[0], block.labels[1])] = block
                elif kind == "module" and block.labels:
                    if block.labels[0] in module.calls:
                        module.duplicates = True
                    module.calls.setdefault(block.labels[0], block)
                elif kind == "provider":
                    module.providers.append(block)
        return module


_VAR_ONLY = re.compile(r"^var\.([A-Za-z_][A-Za-z0-9_-]*)$")


def _uses_queues_as_principal(paths: list[str]) -> bool:
    for path in paths:
        try:
            data = inputs.read_bytes(path, MAX_FILE_BYTES)
        except OSError:
            continue
        if any(token in data for token in DATA_FLOW_TOKENS):
            return True
    return False


class Loader:
    """Reads module directories for one scan: every file parsed once, errors collected."""

    def __init__(self, options: Any, allowed_dirs: list[str]):
        self.options = options
        self.files: dict[str, ParsedFile | None] = {}
        self.modules: dict[str, Module | None] = {}
        self.errors: list[ScanError] = []
        self.skipped: list[Skipped] = []  # override files of modules with queues or keys
        self.allowed_dirs = [os.path.realpath(d) for d in allowed_dirs]
        self.files_read = 0

    def tf_files(self, directory: str) -> list[str]:
        try:
            names = inputs.listdir(directory)
        except OSError:
            return []
        return [os.path.join(directory, n) for n in names if n.endswith(CONFIGURATION_SUFFIXES) and inputs.isfile(os.path.join(directory, n))]

    def module(self, directory: str) -> Module | None:
        directory = os.path.normpath(directory)
        if directory in self.modules:
            return self.modules[directory]
        paths = self.tf_files(directory)
        if not paths:
            self.modules[directory] = None
            return None
        self.allow(directory)
        overrides = [p for p in paths if is_override_file(p)]
        paths = [p for p in paths if p not in overrides]
        keep = KEEP if _uses_queues_as_principal(paths) else KEEP_WITHOUT_PRINCIPALS
        files = [f for f in (self.parse(p, keep) for p in paths) if f is not None]
        module = Module.from_files(directory, display_path(directory), files)
        if overrides:
            self._skip_overrides(module, overrides)
        self.modules[directory] = module
        return module

    def _skip_overrides(self, module: Module, overrides: list[str]) -> None:
        """Override files are not read (merging is not declaring: read as ordinary files they
        would double the resources they override). Listed when the module declares queues or
        keys, or the override names them."""
        from ...discover import DOCUMENT_TOKENS

        declares = any(b.labels and b.labels[0].startswith(("aws_sqs_", "aws_kms_")) for b in module.resources)
        for path in overrides:
            names = declares
            if not names:
                try:
                    data = inputs.read_bytes(path, MAX_FILE_BYTES)
                except OSError:
                    data = b""
                names = any(token in data for token in DOCUMENT_TOKENS)
            if names:
                self.skipped.append(Skipped(display_path(path), OVERRIDE_REASON))

    def parse(self, path: str, keep: KeepTest | None = KEEP) -> ParsedFile | None:
        if path in self.files:
            return self.files[path]
        display = display_path(path)
        parsed = None
        limit = min(MAX_FILE_BYTES, int(getattr(self.options, "max_file_mb", 50) * 1024 * 1024))
        try:
            data = inputs.read_bytes(path, limit)
        except OSError as exc:
            self.errors.append(ScanError(display, None, "cannot read: %s" % exc.strerror))
            self.files[path] = None
            return None
        if len(data) > limit:
            self.errors.append(ScanError(display, None, "larger than the %g MB limit for Terraform files, not read" % (limit / 1048576)))
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                self.errors.append(ScanError(display, *inputs.not_utf8(data, exc)))
                text = None
            if text is not None:
                try:
                    if path.endswith(".tf.json"):
                        from .json_syntax import parse_json_text

                        parsed = parse_json_text(text, path, display, keep)
                    else:
                        parsed = parse_text(text, path, display, keep)
                    self.files_read += 1
                except HclError as exc:
                    self.errors.append(ScanError(display, exc.line, exc.message))
                except RecursionError:
                    self.errors.append(ScanError(display, None, "invalid %s: nested too deeply" % ("JSON" if path.endswith(".json") else "HCL")))
        self.files[path] = parsed
        return parsed

    def allow(self, directory: str) -> None:
        real = os.path.realpath(directory)
        if real not in self.allowed_dirs:
            self.allowed_dirs.append(real)

    def readable(self, path: str) -> bool:
        real = os.path.realpath(path)
        return any(real == d or real.startswith(d.rstrip(os.sep) + os.sep) for d in self.allowed_dirs)


# --- literal-only context (tfvars, variable defaults) -----------------------------------------


class LiteralContext:
    """For expressions that must be constant (tfvars values): every reference is an error."""

    unit = ""
    prefix = ""

    def _no(self, text: str) -> Any:
        raise EvalError("%s: only constant values are allowed here" % text)

    def variable(self, name: str, text: str) -> Any:
        return self._no(text)

    def local(self, name: str, text: str) -> Any:
        return self._no(text)

    def module_output(self, call: str, output: str, text: str) -> Any:
        return self._no(text)

    def resource(self, rtype: str, name: str, text: str) -> Any:
        return self._no(text)

    def data(self, dtype: str, name: str, index: Any, attribute: str | None, text: str) -> Any:
        return self._no(text)

    def path(self, name: str) -> Any:
        return self._no("path." + name)

    def read_file(self, path: Any, text: str) -> tuple[str, str, str]:
        return self._no(text)

