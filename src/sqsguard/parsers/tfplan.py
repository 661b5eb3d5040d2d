"""Terraform plan JSON (`terraform show -json PLANFILE`) into the model.

A plan has already evaluated variables, locals, modules and `count`/`for_each`:
`planned_values` (the root module and its `child_modules`) hold every resource instance with
its values. What is unknown until apply (a key's ARN when the key is created in the same
plan) is marked in `resource_changes[].change.after_unknown`; for those the plan's
`configuration` still names what the expression refers to (`references`:
`["aws_kms_key.shared.arn", "aws_kms_key.shared"]`), through module inputs and outputs, so a
queue still links to its key. Key policies are JSON strings; they are parsed into documents
whose statements all sit at the resource's line in the plan file (a plan is generated JSON,
often one line: the resource's line is as precise as it gets).

Everything is addressed as Terraform prints it, without instance keys
(`module.orders.aws_sqs_queue.this`): instances of one block are folded into one object, a
`Conditional` over instances where they differ, as for HCL. The provider refuses
`sqs_managed_sse_enabled` together with `kms_master_key_id` at plan time, so a plan cannot
hold that pair: SQG105 never fires on a plan, and the computed SSE-SQS flag the provider
reports for a queue with a KMS key is not read as a setting.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..model import (
    OWN_ACCOUNT,
    PARTITION,
    REGION,
    Format,
    Location,
    Model,
    ResourceRef,
    Unresolved,
    is_aws_managed_sqs_key,
)
from ..options import Options
from .documents import Node, NodeList
from .terraform.resources import KEY_TYPES as _KEY_TYPES

_ADDRESS = re.compile(r'"address"\s*:\s*"((?:[^"\\]|\\.)*)"')
_INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|\d+)\]')


def is_plan(data: dict) -> bool:
    return "format_version" in data and ("planned_values" in data or "resource_changes" in data)


def parse_plan(data: dict, text: str, display: str, options: Options) -> Model | None:
    return PlanReader(data, text, display).model()


def base_address(address: str) -> str:
    """`module.a["x"].aws_sqs_queue.q[0]` -> `module.a.aws_sqs_queue.q`."""
    return _INSTANCE_KEY.sub("", address)


# Resource types whose `arn` is an argument (what they point at), not their own ARN.
ARGUMENT_ARNS = {"aws_cloudwatch_event_target": {"arn"}}


class PlanReader:
    def __init__(self, data: dict, text: str, display: str):
        self.data = data
        self.display = display
        self.unit = display
        self.lines: dict[str, int] = {}
        for m in _ADDRESS.finditer(text):
            try:
                address = json.loads('"%s"' % m.group(1))
            except ValueError:
                continue
            if address not in self.lines:
                self.lines[address] = text.count("\n", 0, m.start()) + 1
        changes = data.get("resource_changes")
        self.changes: dict[str, dict] = {}
        for change in changes if isinstance(changes, list) else []:
            if isinstance(change, dict) and isinstance(change.get("address"), str):
                self.changes[change["address"]] = change
        configuration = data.get("configuration")
        self.config_root = configuration.get("root_module") if isinstance(configuration, dict) else None
        self.instances = list(self._walk(_dict(data.get("planned_values")).get("root_module")))
        self.by_address = {r.get("address"): r for r in self.instances}
        self.known_keys: dict[str, str] = {}
        for resource in self.instances:
            if resource.get("type") in _KEY_TYPES and resource.get("mode") == "managed":
                values = _dict(resource.get("values"))
                for attr in ("arn", "key_id", "id"):
                    if isinstance(values.get(attr), str) and values[attr]:
                        self.known_keys[values[attr]] = base_address(resource["address"])

    # -- walking planned_values -------------------------------------------------------------

    def _walk(self, module: Any) -> Any:
        if not isinstance(module, dict):
            return
        for resource in module.get("resources") or []:
            if isinstance(resource, dict) and isinstance(resource.get("address"), str):
                yield resource
        for child in module.get("child_modules") or []:
            yield from self._walk(child)

    def model(self) -> Model:
        from .terraform.build import build_model
        from .terraform.drafts import Draft, merge_instances
        from .terraform.resources import ATTRIBUTES, JUDGED, MODEL_TYPES

        groups: dict[str, list] = {}
        order: list[str] = []
        for resource in self.instances:
            rtype = resource.get("type")
            if resource.get("mode") != "managed" or rtype not in MODEL_TYPES and rtype not in _KEY_TYPES:
                continue
            base = base_address(resource["address"])
            if base not in groups:
                groups[base] = []
                order.append(base)
            groups[base].append(resource)
        drafts = []
        for base in order:
            members = groups[base]
            rtype = members[0]["type"]
            names = ATTRIBUTES.get(rtype if rtype not in _KEY_TYPES else "aws_kms_key")
            per = [(self._label(r), self._attributes(r, names)) for r in members]
            line = self.lines.get(members[0]["address"], 1)
            location = Location(self.display, line, line)
            if rtype == "aws_kms_alias":
                for label, attrs in per:
                    drafts.append(Draft(rtype, base, self.unit, location, attrs))
                continue
            judged = JUDGED.get(rtype if rtype not in _KEY_TYPES else "aws_kms_key")
            drafts.append(Draft(rtype, base, self.unit, location, merge_instances(per, judged), count=len(per)))
        model = build_model(drafts, Format.TERRAFORM_PLAN)
        account = self.own_account()
        if account:
            model.unit_accounts[self.unit] = account
        return model

    def own_account(self) -> str | None:
        """The account the plan deploys to: a `data.aws_caller_identity` read during the plan,
        else the aws provider's `allowed_account_ids`."""
        prior = _dict(_dict(self.data.get("prior_state")).get("values")).get("root_module")
        for resource in list(self.instances) + list(self._walk(prior)):
            if resource.get("mode") == "data" and resource.get("type") == "aws_caller_identity":
                account = _dict(resource.get("values")).get("account_id")
                if isinstance(account, str) and account:
                    return account
        providers = _dict(_dict(self.data.get("configuration")).get("provider_config"))
        for provider in providers.values():
            if _dict(provider).get("name") != "aws":
                continue
            allowed = _dict(_dict(_dict(provider).get("expressions")).get("allowed_account_ids")).get("constant_value")
            if isinstance(allowed, list) and allowed and isinstance(allowed[0], str):
                return allowed[0]
        return None

    def _label(self, resource: dict) -> Any:
        index = resource.get("index")
        address = resource["address"]
        if index is None:
            return None
        if address.endswith("]") and len(_INSTANCE_KEY.findall(address)) == 1:
            return ("each.key" if isinstance(index, str) else "count.index", index)
        return ("instance", address)

    # -- one resource instance --------------------------------------------------------------

    def _attributes(self, resource: dict, names: tuple | None) -> dict:
        from .terraform.drafts import DraftAttr

        address = resource["address"]
        values = _dict(resource.get("values"))
        change = _dict(self.changes.get(address, {}).get("change"))
        unknown = _dict(change.get("after_unknown"))
        config = self._config_resource(address)
        expressions = _dict(config.get("expressions")) if config is not None else {}
        line = self.lines.get(address, 1)
        location = Location(self.display, line, line)
        module_path = _module_path(address)
        attrs = {}
        if names is not None:
            keys = names
        else:  # a resource kept whole: its values, and what is known only after apply but configured
            # `id` and `arn` are the resource's own, computed, unless the configuration sets them
            # (an EventBridge target's `arn` is the queue it delivers to)
            computed = {"tags_all"} | ({"id", "arn"} - set(expressions) - ARGUMENT_ARNS.get(resource.get("type"), set()))
            keys = tuple(dict.fromkeys(k for k in [*values, *(u for u, f in unknown.items() if f is True and u in expressions)] if k not in computed))
        for name in keys:
            value: Any = values.get(name)
            text = ""
            if unknown.get(name) is True:
                if config is not None and name not in expressions:
                    continue  # not configured: computed by the provider or AWS (a default)
                refs = _dict(expressions.get(name)).get("references")
                value = self._from_references(refs, module_path, address + "." + name)
                text = refs[0] if isinstance(refs, list) and refs else "(known after apply)"
            elif isinstance(unknown.get(name), list) and isinstance(value, list):
                # nested blocks (an S3 notification's `queue`): their unknown fields, from references
                nested = expressions.get(name) if isinstance(expressions.get(name), list) else []
                value = [
                    self._nested(item, unknown[name][i] if i < len(unknown[name]) else {}, nested[i] if i < len(nested) else {}, module_path, "%s.%s[%d]" % (address, name, i))
                    for i, item in enumerate(value)
                ]
                text = name
            elif value is None:
                continue
            else:
                expression = _dict(expressions.get(name))
                refs = expression.get("references")
                text = refs[0] if isinstance(refs, list) and refs else _show(value)
            if name == "sqs_managed_sse_enabled":
                key = values.get("kms_master_key_id")
                key_set = (isinstance(key, str) and key != "") or unknown.get("kms_master_key_id") is True
                configured = config is None or name in expressions
                if key_set or not configured:
                    continue  # the provider's computed value, not a setting
            if name in ("kms_master_key_id", "key_id", "target_key_id") and isinstance(value, str):
                value = self._key_value(value)
            if name in ("policy",) and isinstance(value, str):
                value = _document(value, line, self.display)
            if name == "tags" and isinstance(values.get("tags_all"), dict):
                value = values["tags_all"]  # with the provider's default_tags
            attrs[name] = DraftAttr(value, text, location)
        if names is not None and "tags" in names and "tags" not in attrs and isinstance(values.get("tags_all"), dict):
            attrs["tags"] = DraftAttr(values["tags_all"], "", location)
        return attrs

    def _nested(self, item: Any, unknown: Any, expressions: Any, module_path: list[str], text: str) -> Any:
        if not isinstance(item, dict):
            return item
        out = dict(item)
        for field, flag in _dict(unknown).items():
            if flag is True:
                refs = _dict(_dict(expressions).get(field)).get("references")
                out[field] = self._from_references(refs, module_path, "%s.%s" % (text, field))
        return out

    def _key_value(self, value: str) -> Any:
        if value in self.known_keys and not is_aws_managed_sqs_key(value):
            address = self.known_keys[value]
            return ResourceRef(self.unit, address, "arn", value)
        return value

    def _config_resource(self, address: str) -> dict | None:
        module = self.config_root
        parts = _module_path(address)
        for call in parts:
            calls = _dict(_dict(module).get("module_calls"))
            module = _dict(_dict(calls.get(call)).get("module"))
        base = base_address(address)
        local = base.split(".", 2 * len(parts))[-1] if parts else base
        for resource in _dict(module).get("resources") or []:
            if isinstance(resource, dict) and resource.get("address") == local:
                return resource
        return None

    def _config_module(self, path: list[str]) -> dict:
        module = _dict(self.config_root)
        for call in path:
            module = _dict(_dict(_dict(module.get("module_calls")).get(call)).get("module"))
        return module

    def _from_references(self, refs: Any, module_path: list[str], text: str, depth: int = 0) -> Any:
        """What an unknown value refers to: a resource in the plan, through variables and
        module outputs; Unresolved when the plan does not say."""
        if not isinstance(refs, list) or not refs or depth > 16:
            return Unresolved(text, "known only after apply, and the plan does not say what it refers to")
        prefix = "".join("module.%s." % p for p in module_path)
        for ref in refs:
            if not isinstance(ref, str):
                continue
            plain = _INSTANCE_KEY.sub("", ref)
            parts = plain.split(".")
            if parts[0] == "var" and len(parts) >= 2 and module_path:
                parent = self._config_module(module_path[:-1])
                call = _dict(_dict(parent.get("module_calls")).get(module_path[-1]))
                inner = _dict(_dict(call.get("expressions")).get(parts[1]))
                if "references" in inner:
                    return self._from_references(inner["references"], module_path[:-1], text, depth + 1)
                continue
            if parts[0] == "module" and len(parts) >= 3:
                child = self._config_module(module_path + [parts[1]])
                output = _dict(_dict(child.get("outputs")).get(parts[2]))
                inner = _dict(output.get("expression"))
                if "references" in inner:
                    return self._from_references(inner["references"], module_path + [parts[1]], text, depth + 1)
                continue
            if parts[0] == "data" and len(parts) >= 4:
                return self._data_reference(prefix, parts, ref)
            if parts[0] in ("var", "local", "each", "count", "path", "self", "terraform", "module", "data"):
                continue
            if len(parts) >= 2:
                address = prefix + parts[0] + "." + parts[1]
                attribute = parts[2] if len(parts) >= 3 else None
                if any(base_address(r["address"]) == address for r in self.instances):
                    return ResourceRef(self.unit, address, attribute, prefix + ref)
        return Unresolved(text, "known only after apply (it refers to %s)" % ", ".join(str(r) for r in refs[:3]))

    def _data_reference(self, prefix: str, parts: list[str], ref: str) -> Any:
        address = prefix + ".".join(parts[:3])
        data = self.by_address.get(address)
        values = _dict(data.get("values")) if isinstance(data, dict) else {}
        named = values.get("key_id") or values.get("name")
        if isinstance(named, str) and is_aws_managed_sqs_key(named):
            if parts[3] in ("arn", "target_key_arn"):
                return "arn:%s:kms:%s:%s:alias/aws/sqs" % (PARTITION, REGION, OWN_ACCOUNT)
            return "alias/aws/sqs"
        return Unresolved(prefix + ref, "a data source read when Terraform applies")


def _module_path(address: str) -> list[str]:
    parts = base_address(address).split(".")
    path = []
    i = 0
    while i + 1 < len(parts) and parts[i] == "module":
        path.append(parts[i + 1])
        i += 2
    return path


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value if len(value) <= 200 else value[:197] + "..."
    text = json.dumps(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _document(text: str, line: int, file: str) -> Any:
    """A policy JSON string from the plan, as a document at the resource's line."""
    from .terraform.values import remark

    try:
        value = json.loads(text)
    except ValueError as exc:
        return Unresolved(text[:120], "the policy is not valid JSON (%s)" % exc)
    return remark(value, line, line, file)


__all__ = ["is_plan", "parse_plan", "base_address", "Node", "NodeList"]
