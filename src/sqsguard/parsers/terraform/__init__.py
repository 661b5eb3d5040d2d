"""Terraform HCL into the model: every scanned directory that is a root module.

Layout of this package:

- `hcl.py`          files → blocks and attributes (python-hcl2's lark tree, with lines)
- `json_syntax.py`  `.tf.json` files (the JSON syntax, CDK for Terraform's output) → the same blocks and attributes
- `values.py`       what an expression evaluates to (known data, or the model's unknowns)
- `expressions.py`  the evaluator: references, operators, templates, for-expressions
- `functions.py`    Terraform's built-in functions that can be evaluated statically
- `policy_documents.py` `aws_iam_policy_document` and `policy` arguments → IAM JSON documents
- `resources.py`    the resource table: which types become which model objects, read how
- `loading.py`      directories → modules (every file parsed once), literal-only contexts
- `variables.py`    variable values converted to their declared types
- `modules.py`      root/child module instances, count / for_each
- `registry/`       the terraform-aws-modules sqs and kms modules, modelled (one module each)
- `drafts.py`       evaluated resource blocks; instances merged into one per block
- `build.py`        drafts → Queue, Key, Alias, KeyPolicyAttachment, UnreadModule (with `sources.py`: producers; `iam.py`: roles, policies, consumers, queue policies)

Which directories are roots: every scanned directory with a .tf or .tf.json file that mentions queues,
keys or module calls, except one that another scanned directory calls as a local module
(`source = "./..."`): it is evaluated through its caller, with the caller's inputs. A
directory named explicitly on the command line is always a root too. Each root is one scan
unit (its display path); the objects of its child modules carry module addresses
(`module.orders.aws_sqs_queue.this`) in the same unit.

Remote module calls: the terraform-aws-modules sqs and kms modules are modelled
(`registry/`); any other remote module is read from `.terraform/modules` when
`terraform init` downloaded it there (its `modules.json` maps calls to directories), and is
otherwise reported as unread when its source or inputs speak of queues or keys.

A directory where two files declare the same resource is not one valid module; it is most
likely a folder of independent examples, so each such file is read as its own unit (files
that declare no resources — variables, locals — are shared by all of them).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from ... import inputs
from ...inputs import read_regular
from ...discover import Target, display_path
from ...findings import ScanError
from .. import ParseOutcome
from ...discover import TERRAFORM_SUFFIXES
from .callers import LOCAL_SOURCE as _LOCAL_SOURCE
from .callers import MAX_FILE_BYTES

_RELEVANT = re.compile(rb"aws_sqs_|aws_kms_|^[ \t]*module[ \t]+\"|\"module\"[ \t\r\n]*:", re.M)


def groups(targets: list[Target]) -> list[list[Target]]:
    """Terraform directories in independent groups: directories that call one another as local
    modules (found by a cheap text search, before any parsing) stay together, so each group can
    be parsed on its own, in parallel with the others."""
    parent = {os.path.normpath(t.path): os.path.normpath(t.path) for t in targets}

    def find(d: str) -> str:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for target in targets:
        directory = os.path.normpath(target.path)
        for name in _tf_names(directory):
            try:
                data = read_regular(os.path.join(directory, name), MAX_FILE_BYTES)
            except OSError:
                continue
            for match in _LOCAL_SOURCE.finditer(data):
                callee = os.path.normpath(os.path.join(directory, match.group(1).decode("utf-8", "replace")))
                if callee in parent:
                    parent[find(callee)] = find(directory)
    grouped: dict[str, list[Target]] = {}
    for target in targets:
        grouped.setdefault(find(os.path.normpath(target.path)), []).append(target)
    return list(grouped.values())


def _tf_names(directory: str) -> list[str]:
    try:
        return sorted(n for n in os.listdir(directory) if n.endswith(TERRAFORM_SUFFIXES))
    except OSError:
        return []


def parse_terraform(targets: list[Target], options: Any) -> ParseOutcome:
    from .build import build_model
    from .loading import Loader, Module
    from .modules import Instance

    # file() and templatefile() read only inside the repositories scanned (and modules they call)
    allowed = sorted({_repository_root(t.path) for t in targets})
    loader = Loader(options, allowed)
    relevant: list[tuple[Target, Module]] = []
    called: set[str] = set()
    for target in targets:
        if not _relevant(target.path, loader):
            continue
        module = loader.module(target.path)
        if module is None:
            continue
        relevant.append((target, module))
        for block in module.calls.values():
            source = _literal_source(block)
            if source is not None and (source.startswith(("./", "../")) or source in (".", "..")):
                callee = os.path.normpath(os.path.join(module.dir, source))
                if callee != os.path.normpath(module.dir):
                    called.add(callee)
    from ...model import Model

    model = Model()
    for target, module in relevant:
        if not target.explicit and os.path.normpath(target.path) in called:
            continue
        for unit, unit_module in _units(module):
            try:
                values = root_values(unit_module, options, loader)
                instance = Instance(loader, unit_module, unit, root_values=values)
                drafts = instance.drafts()
                accounts = apply_providers(drafts, instance.provider_config("aws"))
                part = build_model(drafts)
                account = instance.allowed_accounts()
                part.resource_accounts.update({(unit, address): a for address, a in accounts.items() if a != account})
            except RecursionError:
                loader.errors.append(ScanError(unit, None, "the module is nested too deeply to evaluate"))
                continue
            except Exception as exc:  # a bug in sqsguard must not end the scan: report it
                loader.errors.append(
                    ScanError(unit, None, "sqsguard could not evaluate this module (internal error: %s: %s)" % (type(exc).__name__, exc))
                )
                continue
            if account:
                part.unit_accounts[unit] = account
            model.extend(part)
    return ParseOutcome(model=model, errors=loader.errors, files_scanned=loader.files_read, skipped=loader.skipped)


TAGGED_TYPES = ("aws_sqs_queue", "aws_kms_key", "aws_kms_external_key", "aws_kms_replica_key", "aws_kms_replica_external_key")


def apply_providers(drafts: list, default: Any) -> dict[str, str]:
    """Each resource's aws provider configuration (its own `provider`, else its module's, else
    `default`): its `default_tags` go under the queue's or key's own tags; returns the account
    (`allowed_account_ids`) of each resource whose configuration names one."""
    accounts: dict[str, str] = {}
    for draft in drafts:
        config = draft.provider or default
        if draft.rtype in TAGGED_TYPES:
            add_default_tags([draft], config.default_tags())
        account = config.account()
        if account:
            accounts[draft.address] = account
    return accounts


def add_default_tags(drafts: list, defaults: Any) -> None:
    """The provider's `default_tags` under each queue's and key's own tags (which win). Unknown
    defaults (a provider configuration sqsguard cannot tell) make the tags unknown."""
    from ...model import Unresolved
    from .drafts import DraftAttr
    from .values import lift

    if isinstance(defaults, Unresolved):
        for draft in drafts:
            if draft.rtype in TAGGED_TYPES:
                own = draft.attrs.get("tags")
                draft.attrs["tags"] = DraftAttr(defaults, own.text if own else "", own.location if own else draft.location)
        return
    if not isinstance(defaults, dict) or not defaults:
        return
    for draft in drafts:
        if draft.rtype not in TAGGED_TYPES:
            continue
        own = draft.attrs.get("tags")
        if own is None:
            draft.attrs["tags"] = DraftAttr(dict(defaults), "", draft.location)
            continue
        merged = lift(own.value, lambda t: {**defaults, **t} if isinstance(t, dict) else (dict(defaults) if t is None else t))
        draft.attrs["tags"] = DraftAttr(merged, own.text, own.location)


def _repository_root(directory: str) -> str:
    """The repository a directory belongs to (the nearest ancestor with .git), else the
    directory's parent: where file() may read (`file("${path.module}/../policies/x.json")`)."""
    from ...repository import repository_root

    return repository_root(directory) or os.path.dirname(os.path.abspath(directory)) or os.path.abspath(directory)


def _relevant(directory: str, loader: Any) -> bool:
    for path in loader.tf_files(directory):
        try:
            data = inputs.read_bytes(path, MAX_FILE_BYTES)
        except OSError:
            continue
        if _RELEVANT.search(data):
            return True
    return False


def _literal_source(block: Any) -> str | None:
    attr = block.attributes.get("source")
    if attr is None:
        return None
    text = attr.seg.text_of(attr.expr)
    if text.startswith('"') and text.endswith('"') and "${" not in text:
        return text[1:-1]
    return None


def _units(module: Any) -> list[tuple[str, Any]]:
    from .loading import Module

    if not module.duplicates:
        return [(module.display, module)]
    shared = [f for f in module.files if not f.declared and not any(b.type == "module" for b in f.blocks)]
    own = [f for f in module.files if f not in shared]
    return [(f.display, Module.from_files(module.dir, module.display, shared + [f])) for f in own]


# --- root module variables --------------------------------------------------------------------


class RootValues(dict):
    """A root module's variable values, and where each was set (`origins`: "prod.tfvars:3")."""

    def __init__(self) -> None:
        super().__init__()
        self.origins: dict[str, str] = {}

    def take(self, values: dict[str, Any], origin: Any) -> None:
        for name, value in values.items():
            self[name] = value
            self.origins[name] = origin(name) if callable(origin) else origin


def root_values(module: Any, options: Any, loader: Any) -> dict[str, Any]:
    """Values for a root module's variables, by Terraform's precedence (later wins):
    TF_VAR_ environment variables (`options.env_vars`, read by the CLI), terraform.tfvars(.json),
    *.auto.tfvars(.json) in lexical order, --var-file in order, --var. A variable's default
    applies only when none of these sets it."""
    values = RootValues()
    directory = module.dir
    for name, raw in sorted((getattr(options, "env_vars", {}) or {}).items()):
        if name in module.variables:  # Terraform ignores TF_VAR_ values of undeclared variables
            values.take({name: cli_value(raw, module.variables[name])}, "TF_VAR_%s (environment)" % name)
    files = []
    for name in ("terraform.tfvars", "terraform.tfvars.json"):
        path = os.path.join(directory, name)
        if inputs.isfile(path):
            files.append(path)
    try:
        names = inputs.listdir(directory)
    except OSError:
        names = []
    files.extend(
        os.path.join(directory, n) for n in names if n.endswith((".auto.tfvars", ".auto.tfvars.json"))
    )
    for path in files:
        read = read_tfvars(path, loader)
        values.take(read, getattr(read, "origins", {}).get)
    for path in getattr(options, "var_files", ()) or ():
        absolute = os.path.abspath(path)
        if not inputs.isfile(absolute):
            error = ScanError(path, None, "no such --var-file")
            if error not in loader.errors:
                loader.errors.append(error)
            continue
        loader.allow(os.path.dirname(absolute))
        read = read_tfvars(absolute, loader)
        values.take(read, getattr(read, "origins", {}).get)
    for name, raw in (getattr(options, "variables", {}) or {}).items():
        values.take({name: cli_value(raw, module.variables.get(name))}, "--var %s (or the configuration's vars)" % name)
    return values


def read_tfvars(path: str, loader: Any) -> dict[str, Any]:
    from .expressions import Evaluator
    from .loading import LiteralContext

    if path.endswith(".json"):
        try:
            text = inputs.read_text(path, "utf-8-sig")
            data = json.loads(text)
        except (OSError, ValueError) as exc:
            error = ScanError(display_path(path), getattr(exc, "lineno", None), "invalid tfvars JSON: %s" % exc)
            if error not in loader.errors:
                loader.errors.append(error)
            return {}
        found = RootValues()
        from ..documents import ParseError, load_json

        try:  # each value's line, for the messages that say where a variable got its value
            marked = load_json(text, data)
        except (ParseError, RecursionError):
            marked = None
        where = display_path(path)
        spans = getattr(marked, "key_lines", None) or {}
        found.take(data if isinstance(data, dict) else {}, lambda name: "%s:%d" % (where, spans[name][0]) if name in spans else where)
        return found
    parsed = loader.parse(path, keep=None)
    if parsed is None:
        return {}
    evaluator = Evaluator(LiteralContext())
    found = RootValues()
    for name, attr in parsed.attributes.items():
        found.take({name: evaluator.evaluate(attr.expr, attr.seg)}, "%s:%d" % (attr.seg.file, attr.line))
    return found


def cli_value(raw: str, declaration: Any) -> Any:
    """A --var or TF_VAR_ value: a string for string (and untyped) variables, as Terraform reads
    it; parsed as an HCL expression for numbers, bools and collection types."""
    from .variables import variable_type

    if not isinstance(raw, str):  # a typed value from the configuration file's `vars`
        return raw
    kind = (variable_type(declaration) or "string").replace(" ", "")
    if kind in ("string", "any"):
        return raw
    if kind == "bool" and raw in ("true", "false"):
        return raw == "true"
    from .expressions import Evaluator
    from .hcl import HclError, parse_expression
    from .loading import LiteralContext

    try:
        expr, seg = parse_expression(raw, "--var", "", 1)
    except HclError:
        return raw
    return Evaluator(LiteralContext()).evaluate(expr, seg)


__all__ = ["parse_terraform", "root_values", "read_tfvars", "cli_value"]
