"""Terraform modules: a directory of .tf files, evaluated as Terraform would plan it.

`Loader` reads directories (each file parsed once per scan). `Instance` is one evaluation of
a module: the root module with variables from --var / --var-file / tfvars / defaults, or a
child called by a `module` block with the call's inputs. It is the evaluator's context
(`var.*`, `local.*`, `module.*`, `data.*`, resource references) and produces *drafts*: one
per resource block (never per instance), with its attributes evaluated; `build.py` turns
drafts into model objects.

`count` / `for_each`: each instance is evaluated; when the instances disagree on a setting
the rules judge, the draft holds a `Conditional` over groups of instances (named like
`each.key == "b"`), so the block is judged by its weakest instance. A known `count = 0` or
empty `for_each` produces nothing; an unknown one is evaluated once, with `count.index` /
`each.*` unknown.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from ...dataclass_methods import dataclass
from ...inputs import isdir, read_bytes, read_text
from ...inputs import kind as path_kind
from ...discover import display_path
from ...findings import ScanError
from ...model import (
    OWN_ACCOUNT,
    PARTITION,
    REGION,
    Concat,
    Conditional,
    Location,
    ResourceRef,
    Unresolved,
    is_aws_managed_sqs_key,
    render,
)
from .drafts import Draft, DraftAttr, merge_instances
from .loading import _VAR_ONLY, LiteralContext, Loader, Module
from .resources import ALIAS, ATTRIBUTES, JUDGED, META_ARGUMENTS, RESOURCE_META_ARGUMENTS
from .variables import _convert
from .expressions import Evaluator
from .hcl import Attribute, Block
from .values import EvalError, MissingFile, freeze, is_known

_INTERPOLATION_ONLY = re.compile(r'^"\$\{\s*([^{}"]+?)\s*\}"$')  # "${var.x}": the template is the reference
MAX_INSTANCES = 32
MAX_MODULE_DEPTH = 12
MAX_READ_BYTES = 1024 * 1024

MISSING = object()
# --- module instances -------------------------------------------------------------------------


class Instance:
    """One evaluation of a module (see the module docstring)."""

    def __init__(
        self,
        loader: Loader,
        module: Module,
        unit: str,
        prefix: str = "",
        root: "Instance | None" = None,
        root_values: dict[str, Any] | None = None,
        inputs: dict[str, tuple[Attribute, Evaluator]] | None = None,
        chain: tuple[str, ...] = (),
        module_path: tuple[str, ...] = (),
        parent: "Instance | None" = None,
        providers: "dict[str, ProviderConfig] | None" = None,
    ):
        self.loader = loader
        self.module = module
        self.unit = unit
        self.prefix = prefix
        self.root = root or self
        self.root_values = root_values if root_values is not None else {}
        self.inputs = inputs
        self._origins: dict[str, str] = {}
        self.chain = chain + (module.dir,)
        self.module_path = module_path  # the module call names from the root: ("a", "b")
        self._installed: dict[str, str] | None = None
        self._variables: dict[str, Any] = {}
        self._locals: dict[str, Any] = {}
        self._data: dict[Any, Any] = {}
        self._children: dict[str, list] = {}
        self._blocks: dict[str, Any] | None = None  # managed blocks by address (for_each over a block)
        self._chaining: set[str] = set()
        self._outputs: dict[tuple[str, str], Any] = {}
        self.parent = parent
        self.providers = providers  # a child's `providers = { aws = aws.x }`, resolved in its caller
        self._provider_configs: dict[str, ProviderConfig] = {}
        self.evaluator = Evaluator(self)

    @property
    def is_root(self) -> bool:
        return self.inputs is None

    # -- the evaluator's context -------------------------------------------------------------

    def variable(self, name: str, text: str) -> Any:
        if name in self._variables:
            value = self._variables[name]
            if value is _IN_PROGRESS:
                return Unresolved(text, "variable %s refers to itself" % name)
            return value
        self._variables[name] = _IN_PROGRESS
        value = self._variable(name, text)
        self._variables[name] = value
        return value

    def _variable(self, name: str, text: str) -> Any:
        declaration = self.module.variables.get(name)
        value: Any = MISSING
        if self.is_root:
            if name in self.root_values:
                value = self.root_values[name]
                self._origins[name] = getattr(self.root_values, "origins", {}).get(name, "")
        elif name in self.inputs:
            attr, parent_ev = self.inputs[name]
            value = parent_ev.evaluate(attr.expr, attr.seg)
            parent = getattr(parent_ev.ctx, "origin_of", None)
            self._origins[name] = (parent(attr.seg.text_of(attr.expr)) if parent else "") or "%s:%d" % (attr.seg.file, attr.line)
        nullable = True
        if declaration is not None and "nullable" in declaration.attributes:
            n = declaration.attributes["nullable"]
            nullable = self.evaluator.evaluate(n.expr, n.seg) is not False
        if value is MISSING or (value is None and not nullable):
            if declaration is not None and "default" in declaration.attributes:
                default = declaration.attributes["default"]
                value = Evaluator(LiteralContext()).evaluate(default.expr, default.seg)
                self._origins[name] = "the default of variable %s, %s:%d" % (name, default.seg.file, default.line)
            elif declaration is None and value is MISSING:
                return Unresolved(text, "variable %s is not declared in %s" % (name, self.module.display))
            elif value is MISSING:
                if self.is_root:
                    return Unresolved(
                        text,
                        "variable %s has no default and no value here (pass --var %s=VALUE or a tfvars file)"
                        % (name, name),
                    )
                return Unresolved(text, "the module call does not set input %s" % name)
        if declaration is not None:
            value = _convert(value, declaration)
        return value

    def origin_of(self, text: str) -> str:
        """Where the value of an expression that is just `var.NAME` (or `"${var.NAME}"`, as the
        JSON syntax and CDK for Terraform write it) was set, or ""."""
        text = text.strip()
        wrapped = _INTERPOLATION_ONLY.match(text)
        match = _VAR_ONLY.match(wrapped.group(1) if wrapped else text)
        if match is None:
            return ""
        self.variable(match.group(1), text)
        return self._origins.get(match.group(1), "")

    def local(self, name: str, text: str) -> Any:
        if name in self._locals:
            value = self._locals[name]
            if value is _IN_PROGRESS:
                return Unresolved(text, "local %s refers to itself" % name)
            return value
        attr = self.module.locals.get(name)
        if attr is None:
            raise EvalError("no local value %s in %s" % (name, self.module.display))
        self._locals[name] = _IN_PROGRESS
        try:
            value = self.evaluator.evaluate(attr.expr, attr.seg)
        finally:
            self._locals.pop(name, None)
        self._locals[name] = value
        return value

    def resource(self, rtype: str, name: str, text: str) -> Any:
        if ("managed", rtype, name) in self.module.declared:
            return ResourceRef(self.unit, "%s%s.%s" % (self.prefix, rtype, name), None, self.prefix + text)
        if "_" not in rtype:
            raise EvalError("unknown name %s" % rtype)
        return Unresolved(self.prefix + text, "no resource %s.%s in %s" % (rtype, name, self.module.display))

    def path(self, name: str) -> Any:
        if name == "module":
            return self.module.display
        if name in ("root", "cwd"):
            return self.root.module.display
        raise EvalError("unknown path.%s" % name)

    def read_file(self, path: Any, text: str) -> tuple[str, str, str]:
        if isinstance(path, (Unresolved, ResourceRef, Concat, Conditional)) or not isinstance(path, str):
            raise EvalError("%s: the file name is not known statically" % text)
        candidates = [path] if os.path.isabs(path) else [
            os.path.join(self.module.dir, path),
            os.path.join(self.root.module.dir, path),
            os.path.join(os.getcwd(), path),
        ]
        for candidate in candidates:
            candidate = os.path.normpath(candidate)
            found = path_kind(candidate)
            if found is None:
                continue
            if not self.loader.readable(candidate):
                raise EvalError("%s is outside the scanned directories; sqsguard does not read it" % path)
            if found != "file":
                raise EvalError("%s is not a regular file" % path)
            try:
                data = read_bytes(candidate, MAX_READ_BYTES)
                if len(data) > MAX_READ_BYTES:
                    raise EvalError("%s is too large to read" % path)
                content = data.decode("utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise EvalError("cannot read %s: %s" % (path, exc)) from None
            return content, candidate, display_path(candidate)
        function = text.split("(", 1)[0].strip() or "file"
        raise MissingFile("%s(): the file %s does not exist (looked in %s)" % (
            function, path, display_path(self.module.dir) or "."))

    def report_error(self, file: str, line: int, message: str) -> None:
        error = ScanError(file, line, message)
        if error not in self.loader.errors:
            self.loader.errors.append(error)

    def data(self, dtype: str, name: str, index: Any, attribute: str | None, text: str) -> Any:
        qualified = self.prefix + text
        if ("data", dtype, name) not in self.module.declared:
            return Unresolved(qualified, "no data source %s.%s in %s" % (dtype, name, self.module.display))
        block = self.module.data.get((dtype, name))
        if dtype == "aws_caller_identity":
            if attribute in ("account_id", "id"):
                # read through another provider configuration that names its account: that account
                config = self.resource_provider(block) if block is not None else None
                if config is not None and config is not self.provider_config("aws") and config.account():
                    return config.account()
                return OWN_ACCOUNT
            return Unresolved(qualified, "the caller's identity is known only when Terraform runs")
        if dtype == "aws_partition":
            if attribute in ("partition", "id"):
                return PARTITION
            if attribute == "dns_suffix":
                return "${AWS::URLSuffix}"
            return Unresolved(qualified, "known only when Terraform runs")
        if dtype == "aws_region":
            if attribute in ("name", "region", "id"):
                if block is not None:
                    for arg in ("region", "name"):
                        if arg in block.attributes:
                            value = self.evaluator.evaluate(block.attributes[arg].expr, block.attributes[arg].seg)
                            if value is not None:
                                return value
                return REGION
            return Unresolved(qualified, "known only when Terraform runs")
        if block is None:
            return Unresolved(qualified, "data source %s.%s is read when Terraform runs" % (dtype, name))
        bindings = self._data_instance(block, index, qualified)
        if dtype == "aws_iam_policy_document":
            if attribute not in ("json", "minified_json"):
                return Unresolved(qualified, "only the json of a policy document is evaluated")
            key = (dtype, name, freeze(bindings))
            if key not in self._data:
                from .policy_documents import policy_document

                self._data[key] = _IN_PROGRESS
                ev = self.evaluator.bind(bindings) if bindings else self.evaluator
                self._data[key] = policy_document(block, ev)
            value = self._data[key]
            if value is _IN_PROGRESS:
                return Unresolved(qualified, "the policy document refers to itself")
            return value
        if dtype in ("aws_kms_key", "aws_kms_alias"):
            arg = "key_id" if dtype == "aws_kms_key" else "name"
            given = block.attributes.get(arg)
            ev = self.evaluator.bind(bindings) if bindings else self.evaluator
            named = ev.evaluate(given.expr, given.seg) if given is not None else None
            if isinstance(named, str) and is_aws_managed_sqs_key(named):
                if attribute in ("arn", "target_key_arn"):
                    return "arn:%s:kms:%s:%s:alias/aws/sqs" % (PARTITION, REGION, OWN_ACCOUNT)
                return "alias/aws/sqs"
            if isinstance(named, ResourceRef):
                # a data source that reads a key or alias this code creates: that resource
                return ResourceRef(named.unit, named.address, attribute, qualified)
            shown = render(named) if named is not None else "?"
            return Unresolved(
                qualified,
                "data source %s.%s reads key %s from the account when Terraform runs; it is outside the scanned code"
                % (dtype, name, shown),
            )
        return Unresolved(qualified, "data source %s.%s is read when Terraform runs" % (dtype, name))

    def _data_instance(self, block: Block, index: Any, text: str) -> dict:
        if "count" not in block.attributes and "for_each" not in block.attributes:
            return {}
        instances = self.instances(block, self.evaluator)
        if not instances:
            raise EvalError("%s: the data source has no instances" % text)
        if index is not None and is_known(index):
            for label, bindings in instances:
                if label is not None and str(label[1]) == str(index):
                    return bindings
        return instances[0][1]

    def module_output(self, call: str, output: str, text: str) -> Any:
        key = (call, output)
        if key in self._outputs:
            value = self._outputs[key]
            if value is _IN_PROGRESS:
                return Unresolved(self.prefix + text, "module output %s.%s depends on itself" % (call, output))
            return value
        self._outputs[key] = _IN_PROGRESS
        try:
            value = self._module_output(call, output, text)
        finally:
            self._outputs.pop(key, None)
        self._outputs[key] = value
        return value

    def _module_output(self, call: str, output: str, text: str) -> Any:
        qualified = self.prefix + text
        if call not in self.module.calls:
            return Unresolved(qualified, "no module %s in %s" % (call, self.module.display))
        children = self.children(call)
        if not children:
            raise EvalError("%s: the module has no instances" % qualified)
        values = []
        for label, child in children:
            if isinstance(child, Instance):
                block = child.module.outputs.get(output)
                if block is None or "value" not in block.attributes:
                    values.append((label, Unresolved(qualified, "module %s has no output %s" % (call, output))))
                    continue
                attr = block.attributes["value"]
                values.append((label, child.evaluator.evaluate(attr.expr, attr.seg)))
            elif isinstance(child, RemoteModule):
                values.append((label, Unresolved(qualified, "module %s (source %s) is not read by sqsguard" % (call, child.source))))
            else:
                values.append((label, child.output(output, qualified)))
        per = [(label, {"value": DraftAttr(value, "", Location("", 0, 0))}) for label, value in values]
        return merge_instances(per, ("value",), "module.%s: " % call)["value"].value

    # -- instances of a block ----------------------------------------------------------------

    def instances(self, block: Block, ev: Evaluator) -> list[tuple[Any, dict]]:
        """(label, bindings) for each instance of a block with count / for_each."""
        if "count" in block.attributes:
            attr = block.attributes["count"]
            value = ev.evaluate(attr.expr, attr.seg)
            counts = _branches(value)
            numbers = [c for c in counts if isinstance(c, (int, float)) and not isinstance(c, bool)]
            if numbers and len(numbers) == len(counts):
                n = int(max(numbers))
                if n <= 0:
                    return []
                if n <= MAX_INSTANCES:
                    return [(("count.index", i), {"count": {"index": i}}) for i in range(n)]
            reason = "count (%s) is not known statically" % attr.text
            return [(None, {"count": Unresolved("count", reason)})]
        if "for_each" in block.attributes:
            attr = block.attributes["for_each"]
            value = ev.evaluate(attr.expr, attr.seg)
            chained = self._resource_instances(value)
            if chained is not None:
                value = chained
            entries: dict = {}
            unknown = False
            for branch in _branches(value):
                if isinstance(branch, dict):
                    for k in sorted(branch, key=str):
                        entries.setdefault(str(k), branch[k])
                elif isinstance(branch, list) and is_known(branch):
                    for item in branch:
                        entries.setdefault(render(item) if not isinstance(item, str) else item, item)
                elif branch is None:
                    continue
                else:
                    unknown = True
            if not unknown:
                if not entries:
                    return []
                if len(entries) <= MAX_INSTANCES:
                    return [(("each.key", k), {"each": {"key": k, "value": v}}) for k, v in entries.items()]
            reason = "for_each (%s) is not known statically" % attr.text
            return [(None, {"each": Unresolved("each", reason)})]
        return [(None, {})]

    def _resource_instances(self, value: Any) -> dict | None:
        """`for_each = aws_sqs_queue.team`: one entry per instance of that block (its keys), each a
        reference to it (`each.value.arn`); None when the value is no such block of this module."""
        if not isinstance(value, ResourceRef) or value.attribute is not None or value.unit != self.unit:
            return None
        if self._blocks is None:
            self._blocks = {"%s%s.%s" % (self.prefix, b.labels[0], b.labels[1]): b for b in self.module.resources}
        block = self._blocks.get(value.address)
        if block is None or "for_each" not in block.attributes or value.address in self._chaining:
            return None
        self._chaining.add(value.address)
        try:
            labels = [label for label, _ in self.instances(block, self.evaluator)]
        finally:
            self._chaining.discard(value.address)
        if any(label is None for label in labels):
            return None
        # one expression for every instance (they stand for one model object); the key is kept apart
        return {str(label[1]): ResourceRef(value.unit, value.address, None, value.expr, label[1]) for label in labels}

    # -- module calls --------------------------------------------------------------------------

    def children(self, call: str) -> list[tuple[Any, Any]]:
        """(label, Instance | RegistryModule | RemoteModule) for each instance of a module call."""
        if call in self._children:
            return self._children[call]
        self._children[call] = []
        block = self.module.calls[call]
        result: list = []
        source_attr = block.attributes.get("source")
        source = self.evaluator.evaluate(source_attr.expr, source_attr.seg) if source_attr else None
        address = "%smodule.%s" % (self.prefix, call)
        location = Location(block.seg.file, block.line, block.end_line)
        if not isinstance(source, str):
            result = [(None, RemoteModule(address, render(source) if source is not None else "", location, relevant=True))]
            self._children[call] = result
            return result
        from .registry import registry_kind

        kind = registry_kind(source)
        providers = self.call_providers(block)
        for label, bindings in self.instances(block, self.evaluator):
            ev = self.evaluator.bind(bindings) if bindings else self.evaluator
            inputs = {n: (a, ev) for n, a in block.attributes.items() if n not in META_ARGUMENTS}
            if source.startswith(("./", "../")) or source in (".", ".."):
                directory = os.path.normpath(os.path.join(self.module.dir, source))
                module = self.loader.module(directory)
                if module is None:
                    # a broken local reference is an error of the code, not something to verify
                    why = "does not exist" if not isdir(directory) else "holds no .tf files"
                    error = ScanError(
                        block.seg.file, block.attributes["source"].line if "source" in block.attributes else block.line,
                        "module %s: the source directory %s %s" % (call, display_path(directory), why),
                    )
                    if error not in self.loader.errors:
                        self.loader.errors.append(error)
                    continue
                if directory in self.chain or len(self.chain) > MAX_MODULE_DEPTH:
                    result.append((label, RemoteModule(address, source, location, relevant=True, why="it calls itself")))
                    continue
                child = Instance(
                    self.loader, module, self.unit, address + ".", self.root, inputs=inputs,
                    chain=self.chain, module_path=self.module_path + (call,), parent=self, providers=providers,
                )
                result.append((label, child))
            elif kind is not None:
                from .registry import registry_module

                result.append((label, registry_module(kind, source, address, self.unit, block, inputs, location)))
            elif self._downloaded(call) is not None and len(self.chain) <= MAX_MODULE_DEPTH:
                # `terraform init` put the module's code in .terraform/modules: read it
                child = Instance(
                    self.loader, self._downloaded(call), self.unit, address + ".", self.root, inputs=inputs,
                    chain=self.chain, module_path=self.module_path + (call,), parent=self, providers=providers,
                )
                result.append((label, child))
            else:
                relevant = _mentions_sqs_or_kms(source) or any(
                    _mentions_sqs_or_kms(n) or _mentions_sqs_or_kms(a.text) for n, (a, _) in inputs.items()
                )
                managed = _managed_key_inputs(inputs) if relevant else ()
                result.append((label, RemoteModule(address, source, location, relevant=relevant, managed_key_inputs=managed)))
        self._children[call] = result
        return result

    def _downloaded(self, call: str) -> Module | None:
        """The code of a remote module call that `terraform init` downloaded, if it did."""
        directory = self.root.installed_modules().get(".".join(self.module_path + (call,)))
        if directory is None or directory in self.chain:
            return None
        return self.loader.module(directory)

    def installed_modules(self) -> dict[str, str]:
        """Module call path ("a.b") -> directory, from the root's .terraform/modules/modules.json."""
        if self._installed is None:
            self._installed = {}
            manifest = os.path.join(self.module.dir, ".terraform", "modules", "modules.json")
            try:
                data = json.loads(read_text(manifest))
            except (OSError, ValueError):
                data = None
            entries = data.get("Modules") if isinstance(data, dict) else None
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                key, directory = entry.get("Key"), entry.get("Dir")
                if isinstance(key, str) and key and isinstance(directory, str):
                    self._installed[key] = os.path.normpath(os.path.join(self.module.dir, directory))
        return self._installed

    # -- drafts ------------------------------------------------------------------------------

    def drafts(self) -> list[Draft]:
        out: list[Draft] = []
        for block in self.module.resources:
            out.extend(self._resource_drafts(block))
        for call, block in self.module.calls.items():
            drafts = self._call_drafts(call)
            if block.construct_path:  # CDK for Terraform: a module's blocks are its construct's
                for draft in drafts:
                    if draft.construct_path is None:
                        draft.construct_path = block.construct_path
            out.extend(drafts)
        return out

    def _resource_drafts(self, block: Block) -> list[Draft]:
        rtype, name = block.labels[0], block.labels[1]
        address = "%s%s.%s" % (self.prefix, rtype, name)
        location = Location(block.seg.file, block.line, block.end_line)
        per: list[tuple[Any, dict[str, DraftAttr]]] = []
        for label, bindings in self.instances(block, self.evaluator):
            ev = self.evaluator.bind(bindings) if bindings else self.evaluator
            per.append((label, self.evaluate_attributes(block, ev, ATTRIBUTES.get(rtype))))
        if not per:
            return []
        if rtype == ALIAS:
            # every alias name is its own object: queues find aliases by name
            groups: dict = {}
            for label, attrs in per:
                groups.setdefault(freeze(attrs["name"].value) if "name" in attrs else None, []).append((label, attrs))
            return [
                Draft(rtype, address, self.unit, location, merge_instances(members, JUDGED[ALIAS]),
                      construct_path=block.construct_path, provider=self.resource_provider(block))
                for members in groups.values()
            ]
        instances = tuple((label[1], attrs) for label, attrs in per if label is not None) if len(per) > 1 else ()
        return [Draft(rtype, address, self.unit, location, merge_instances(per, JUDGED.get(rtype)), instances=instances,
                      count=len(per), construct_path=block.construct_path, provider=self.resource_provider(block))]

    def evaluate_attributes(self, block: Block, ev: Evaluator, names: tuple | None) -> dict[str, DraftAttr]:
        attrs: dict[str, DraftAttr] = {}
        file = block.seg.file
        for name, attr in block.attributes.items():
            if name in RESOURCE_META_ARGUMENTS or (names is not None and name not in names):
                continue
            value = ev.evaluate(attr.expr, attr.seg)
            text = attr.seg.text_of(attr.expr, 200)
            origin = ev.ctx.origin_of(text) if hasattr(ev.ctx, "origin_of") else ""
            attrs[name] = DraftAttr(value, text, Location(file, attr.line, attr.end_line), origin)
        if names is None:  # a resource kept whole: nested blocks become lists of objects
            from .policy_documents import expand

            kinds: list[str] = []
            for child in block.blocks:
                kind = child.labels[0] if child.type == "dynamic" and child.labels else child.type
                if kind not in kinds and kind not in ("lifecycle", "timeouts", "provisioner", "connection"):
                    kinds.append(kind)
            for kind in kinds:
                items = []
                first = last = None
                for item in expand(block, kind, ev):
                    if isinstance(item, Unresolved):
                        items.append(item)
                        continue
                    child, child_ev = item
                    first = child.line if first is None else min(first, child.line)
                    last = child.end_line if last is None else max(last, child.end_line)
                    items.append({k: v.value for k, v in self.evaluate_attributes(child, child_ev, None).items()})
                attrs[kind] = DraftAttr(items, kind, Location(file, first or block.line, last or block.end_line))
        return attrs

    def _call_drafts(self, call: str) -> list[Draft]:
        by_address: dict[str, list] = {}
        order: list[str] = []
        for label, child in self.children(call):
            if isinstance(child, Instance):
                drafts = child.drafts()
            elif isinstance(child, RemoteModule):
                drafts = [child.draft(self.unit)] if child.relevant else []
            else:  # a modelled registry module: its resources use the aws configuration the call gives
                drafts = child.drafts()
                config = (self.call_providers(self.module.calls[call]) or {}).get("aws") or self.provider_config("aws")
                for draft in drafts:
                    draft.provider = config
            for draft in drafts:
                key = draft.address
                if draft.rtype == ALIAS and "name" in draft.attrs:
                    key = "%s\0%s" % (key, freeze(draft.attrs["name"].value))
                if key not in by_address:
                    by_address[key] = []
                    order.append(key)
                by_address[key].append((label, draft))
        out = []
        prefix = "module.%s: " % call
        for key in order:
            members = by_address[key]
            first = members[0][1]
            if len(members) == 1:
                out.append(first)
                continue
            attrs = merge_instances([(label, d.attrs) for label, d in members], JUDGED.get(first.rtype), prefix)
            out.append(Draft(first.rtype, first.address, first.unit, first.location, attrs, first.source, first.names,
                             count=sum(d.count for _, d in members), construct_path=first.construct_path,
                             provider=first.provider))
        return out

    # -- provider configurations ------------------------------------------------------------

    def provider_config(self, name: str) -> "ProviderConfig":
        """The configuration a provider name of this module ("aws", "aws.secondary") stands
        for: what the module call passed for it (`providers = { aws = aws.x }`), else this
        module's own `provider` block of that name, else, for the default `aws`, the caller's
        (inherited; also when a `providers` map leaves it out, as Terraform does). An alias
        that is neither passed nor configured is unknown, never guessed."""
        if name not in self._provider_configs:
            self._provider_configs[name] = self._provider_config(name)
        return self._provider_configs[name]

    def _provider_config(self, name: str) -> "ProviderConfig":
        if self.providers is not None and name in self.providers:
            return self.providers[name]
        local, _, alias = name.partition(".")
        for block in self.module.providers:
            if block.labels and block.labels[0] == local and _provider_alias(block) == alias:
                if self.is_root or _configures(block):  # a child's `provider "aws" { alias = "x" }` only declares
                    return ProviderConfig(self.prefix + name, self, block)
        if not alias:
            if self.parent is not None:
                return self.parent.provider_config(local)
            return ProviderConfig(name)  # no block: Terraform's empty default configuration
        if self.is_root:
            why = 'no provider "%s" block with alias "%s" in %s' % (local, alias, self.module.display or ".")
        else:
            why = "the call of %s does not pass %s in its providers" % (self.prefix.rstrip("."), name)
        return ProviderConfig(self.prefix + name, unknown=why)

    def resource_provider(self, block: Block) -> "ProviderConfig":
        """The configuration a resource or data block uses: its `provider = aws.x`, else `aws`."""
        attr = block.attributes.get("provider")
        if attr is None:
            return self.provider_config("aws")
        text = attr.seg.text_of(attr.expr).strip()
        match = _PROVIDER_NAME.match(text)
        if match is None:
            return ProviderConfig(text, unknown="provider = %s is not an aws provider configuration sqsguard can follow" % text)
        return self.provider_config(match.group(1))

    def call_providers(self, block: Block) -> "dict[str, ProviderConfig] | None":
        """A module call's `providers` map, each value resolved here: child name -> configuration."""
        attr = block.attributes.get("providers")
        if attr is None:
            return None
        text = _COMMENT.sub(" ", attr.seg.text_of(attr.expr))
        return {child: self.provider_config(given) for child, given in _PROVIDER_PAIR.findall(text)}

    def allowed_accounts(self) -> str | None:
        """The account of the default aws configuration (its first `allowed_account_ids`)."""
        return self.provider_config("aws").account()


_PROVIDER_NAME = re.compile(r'^"?(aws(?:\.[A-Za-z_][A-Za-z0-9_-]*)?)"?$')
_NAME = r'"?([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)?)"?'
_PROVIDER_PAIR = re.compile(_NAME + r"\s*[=:]\s*" + _NAME)
_COMMENT = re.compile(r"#[^\n]*|//[^\n]*|/\*.*?\*/", re.S)


def _provider_alias(block: Block) -> str:
    attr = block.attributes.get("alias")
    if attr is None:
        return ""
    return attr.seg.text_of(attr.expr).strip().strip('"')


def _configures(block: Block) -> bool:
    """Whether a child module's provider block configures anything (else it is a proxy: a
    placeholder for a configuration its caller passes)."""
    return any(name != "alias" for name in block.attributes) or bool(block.blocks)


class ProviderConfig:
    """One aws provider configuration: the block (in the module instance where it is written)
    whose `default_tags` and `allowed_account_ids` apply to the resources that use it. No block:
    the empty default configuration. `unknown`: why sqsguard cannot tell which one it is."""

    def __init__(self, name: str, instance: "Instance | None" = None, block: Block | None = None, unknown: str = ""):
        self.name = name
        self.instance = instance
        self.block = block
        self.unknown = unknown
        self._tags: Any = MISSING
        self._account: Any = MISSING

    def default_tags(self) -> Any:
        if self._tags is MISSING:
            self._tags = self._default_tags()
        return self._tags

    def _default_tags(self) -> Any:
        if self.unknown:
            return Unresolved(self.name, "%s, so the default_tags it adds are unknown" % self.unknown)
        defaults = self.block.child("default_tags") if self.block is not None else None
        if defaults is None or "tags" not in defaults.attributes:
            return None
        attr = defaults.attributes["tags"]
        return self.instance.evaluator.evaluate(attr.expr, attr.seg)

    def account(self) -> str | None:
        if self._account is MISSING:
            self._account = None
            attr = self.block.attributes.get("allowed_account_ids") if self.block is not None else None
            if attr is not None:
                value = self.instance.evaluator.evaluate(attr.expr, attr.seg)
                if isinstance(value, list):
                    self._account = next((item for item in value if isinstance(item, str) and item), None)
        return self._account


_IN_PROGRESS = object()


@dataclass
class RemoteModule:
    """A module call sqsguard does not read (a remote source it has no model of)."""

    address: str
    source: str
    location: Location
    relevant: bool = False
    why: str = ""
    managed_key_inputs: tuple[str, ...] = ()  # "kms_master_key_id = var.key" given alias/aws/sqs

    def draft(self, unit: str) -> Draft:
        source = self.source if not self.why else "%s (%s)" % (self.source, self.why)
        draft = Draft("module", self.address, unit, self.location, {}, source=source)
        draft.notes = self.managed_key_inputs
        return draft


def _managed_key_inputs(inputs: dict) -> tuple[str, ...]:
    """The inputs of a module call that are the AWS-managed SQS key (alias/aws/sqs, its ARN)."""
    found = []
    for name, (attr, ev) in inputs.items():
        try:
            value = ev.evaluate(attr.expr, attr.seg)
        except RecursionError:
            continue
        if any(isinstance(v, str) and is_aws_managed_sqs_key(v) for v in _branches(value)):
            found.append("%s = %s" % (name, attr.seg.text_of(attr.expr, 80)))
    return tuple(found)


def _branches(value: Any) -> list:
    if isinstance(value, Conditional):
        return _branches(value.if_true) + _branches(value.if_false)
    return [value]


def _mentions_sqs_or_kms(text: str) -> bool:
    lowered = text.lower()
    return "sqs" in lowered or "queue" in lowered or "kms" in lowered

