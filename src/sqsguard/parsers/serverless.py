"""Serverless Framework services (`serverless.yml`, `serverless.yaml`, `serverless.json`) into
the model, through the CloudFormation builder.

Serverless compiles a service to a CloudFormation template; this module writes the part of that
template the rules need and hands it to `cloudformation.build_model`, with every position in the
service file:
- `resources.Resources` (a mapping, or a list of fragments merged in order) as written, with
  `resources.Conditions`, `Mappings` and `Parameters` for the intrinsics;
- each function as `<Name>LambdaFunction` (`AWS::Lambda::Function`) running as its own `role`,
  the provider's role (`provider.iam.role` as an ARN or reference, legacy `provider.role`), or
  the one role Serverless makes for the service, `IamRoleLambdaExecution`: the statements of
  `provider.iam.role.statements` (legacy `provider.iamRoleStatements`), the managed policies of
  `provider.iam.role.managedPolicies` (legacy `provider.iamManagedPolicies`), and the
  `sqs:ReceiveMessage`/`DeleteMessage`/`GetQueueAttributes` statement Serverless adds for the
  queues of the functions' `sqs` events (it adds no KMS permission);
- each `events: - sqs: ARN` or `- sqs: {arn: ...}` as an `AWS::Lambda::EventSourceMapping`,
  reported as the consumer `functions.<name>.events[<n>]`.
Variables are evaluated first (`serverless_variables.py`).
"""

from __future__ import annotations

import os
import re
from typing import Any

from .. import inputs
from ..discover import SERVICE_FILES
from ..findings import ScanError
from ..model import Attr, Format, Model, Unresolved
from .intrinsics import is_intrinsic
from .documents import Node, NodeList, ParseError, load_json, load_yaml, span_of
from .serverless_variables import Variables

SHARED_ROLE = "IamRoleLambdaExecution"
CONSUMER_KIND = "Serverless sqs event"
SQS_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
_TOP_KEY = re.compile(r"^(service|provider)\s*:", re.MULTILINE)


def is_service_file(path: str) -> bool:
    return os.path.basename(path) in SERVICE_FILES


# A whole file taken in (`${file(./q.yml)}`, not `${file(./q.yml):Meta}`), outside a comment.
_FILE_REFERENCE = re.compile(r"^[^#\n]*?\$\{file\(\s*['\"]?([^)'\"$]+?)['\"]?\s*\)\}", re.M)
_AWS_PROVIDER = re.compile(r"^[ \t]+name[ \t]*:[ \t]*['\"]?aws['\"]?[ \t]*(?:#.*)?$", re.M)


def included_files(path: str) -> set[str]:
    """The files a service file reads whole with `${file(...)}` (paths without variables),
    absolute: discovery leaves them to the service instead of reading them again alone. None for
    a service sqsguard does not read (not on AWS): then its files are read on their own."""
    try:
        text = inputs.read_bytes(path, 1 << 20).decode("utf-8", "replace")
    except OSError:
        return set()
    if not _AWS_PROVIDER.search(text):
        return set()
    directory = os.path.dirname(os.path.abspath(path))
    return {os.path.normpath(os.path.join(directory, m.group(1).strip())) for m in _FILE_REFERENCE.finditer(text)}


def looks_like_service(text: str) -> bool:
    """A YAML document with Serverless's own top-level keys (a service file by another name)."""
    return {m.group(1) for m in _TOP_KEY.finditer(text)} == {"service", "provider"}


def worth_reading(data: bytes) -> bool:
    """A service file can matter when it names a queue or key type, an sqs event or a file
    that may hold resources."""
    from ..discover import worth_reading as document_worth_reading

    return document_worth_reading(data) or b"sqs" in data or b"file(" in data


def looks_relevant(text: str) -> bool:
    """What an unreadable service file must hold for its problem to be reported."""
    return ("AWS::SQS::" in text or "AWS::KMS::" in text or "file(" in text  # as worth_reading: what it includes may hold them
            or re.search(r"^\s*-?\s*sqs\s*:", text, re.MULTILINE) is not None)


def parse_service(text: str, is_json: bool, path: str, display: str, parameters: dict[str, Any],
                  limit: int | None) -> tuple[Model | None, list[ScanError]]:
    """Read one service file. None when it is not an AWS service."""
    doc = load_json(text) if is_json else load_yaml(text)
    if doc is None:
        return None, []
    if not isinstance(doc, dict):
        raise ParseError("a Serverless service file is a mapping (service, provider, functions, resources)", getattr(doc, "line", 1) or 1)
    provider = doc.get("provider")
    name = provider.get("name") if isinstance(provider, dict) else None
    if isinstance(name, str) and "${" not in name and name.strip().lower() != "aws":
        return None, []
    variables = Variables(doc, display, path, parameters, limit, text)
    service = variables.tree(doc)
    problems = variables.problems
    builder = _Template(service, display, problems)
    template = builder.template()
    from .cloudformation import build_model

    model = build_model(template, display, unit=display, fmt=Format.SERVERLESS, parameters=parameters)
    for consumer in model.consumers:
        if consumer.address in builder.consumers:
            consumer.address = builder.consumers[consumer.address]
            consumer.kind = CONSUMER_KIND
    _note_origins(model, variables.written)
    return model, problems


class _Template:
    """The compiled template's relevant part, every node placed in the service file."""

    def __init__(self, service: Node, display: str, problems: list[ScanError]):
        self.service = service
        self.display = display
        self.problems = problems
        self.consumers: dict[str, str] = {}  # generated mapping id -> consumer address
        self.resources = Node()
        self.resources.line, self.resources.end_line, self.resources.key_lines = 1, 1, {}
        self.extra: dict[str, Any] = {}

    def template(self) -> Node:
        self._read_resources(self.service.get("resources"), span_of(self.service, "resources", (0, 0)))
        self._functions()
        template = Node({"Resources": self.resources, **self.extra})
        template.line, template.end_line, template.key_lines = 1, 1, {}
        return template

    # -- resources ---------------------------------------------------------------------------

    def _unreadable(self, value: Any, where: tuple[int, int], what: str) -> bool:
        if not isinstance(value, Unresolved):
            return False
        if not value.reported:
            self.problems.append(ScanError(self.display, where[0] or None, "%s cannot be read statically: %s is not known (%s)" % (what, value.expr, value.reason)))
        return True

    def _read_resources(self, section: Any, where: tuple[int, int]) -> None:
        if section is None or self._unreadable(section, where, "resources"):
            return
        fragments = section if isinstance(section, list) else [section]
        for index, fragment in enumerate(fragments):
            at = (getattr(fragment, "line", 0) or where[0], getattr(fragment, "end_line", 0) or where[1])
            if self._unreadable(fragment, at, "resources[%d]" % index if isinstance(section, list) else "resources"):
                continue
            if not isinstance(fragment, dict):
                continue
            resources = fragment.get("Resources")
            if resources is not None and not self._unreadable(resources, span_of(fragment, "Resources", (0, 0)), "resources.Resources"):
                for logical_id, resource in resources.items() if isinstance(resources, dict) else ():
                    span = span_of(resources, logical_id, (0, 0))
                    if self._unreadable(resource, span, "resource %s" % logical_id):
                        continue
                    self._add(str(logical_id), resource, span)
            for part in ("Conditions", "Mappings", "Parameters"):
                if isinstance(fragment.get(part), dict):
                    merged = self.extra.setdefault(part, Node())
                    merged.update(fragment[part])

    def _add(self, logical_id: str, resource: Any, span: tuple[int, int]) -> None:
        self.resources[logical_id] = resource
        self.resources.key_lines[logical_id] = span

    # -- functions ---------------------------------------------------------------------------

    def _functions(self) -> None:
        functions = self.service.get("functions")
        if self._unreadable(functions, span_of(self.service, "functions", (0, 0)), "functions"):
            return
        entries: list[tuple[str, Any, tuple[int, int]]] = []
        for group in functions if isinstance(functions, list) else [functions]:
            if self._unreadable(group, (getattr(group, "line", 0), getattr(group, "end_line", 0)), "functions"):
                continue
            if isinstance(group, dict):
                entries.extend((str(name), body, span_of(group, name, (0, 0))) for name, body in group.items())
        provider = self.service.get("provider") if isinstance(self.service.get("provider"), dict) else Node()
        iam = provider.get("iam") if isinstance(provider.get("iam"), dict) else Node()
        role_config = iam.get("role") if "role" in iam else None
        provider_role, provider_role_span = None, (0, 0)
        if role_config is not None and not _is_role_config(role_config):
            provider_role, provider_role_span = role_config, span_of(iam, "role", (0, 0))
        elif "role" in provider:
            provider_role, provider_role_span = provider.get("role"), span_of(provider, "role", (0, 0))
        shared_queues: list[Any] = []
        uses_shared = False
        for name, body, span in entries:
            body = body if isinstance(body, dict) else Node()
            function_id = _normalized(name) + "LambdaFunction"
            if "role" in body:
                role, role_span = body["role"], span_of(body, "role", (0, 0))
            elif provider_role is not None:
                role, role_span = provider_role, provider_role_span
            else:
                role, role_span = {"Fn::GetAtt": [SHARED_ROLE, "Arn"]}, span
                uses_shared = True
            self._add(function_id, _resource("AWS::Lambda::Function", {"Role": (self._role_value(role), role_span)}, span), span)
            events = body.get("events")
            for index, event in enumerate(events if isinstance(events, list) else []):
                if not isinstance(event, dict) or "sqs" not in event:
                    continue
                event_span = (getattr(event, "line", 0) or span[0], getattr(event, "end_line", 0) or span[1])
                sqs = event["sqs"]
                arn, arn_span = (sqs.get("arn"), span_of(sqs, "arn", (0, 0))) if isinstance(sqs, dict) and not is_intrinsic(sqs) else (sqs, event_span)
                if arn is None:
                    continue
                mapping_id = "%sEventSourceMappingSQS%d" % (_normalized(name), index)
                properties = {"EventSourceArn": (arn, arn_span), "FunctionName": ({"Fn::GetAtt": [function_id, "Arn"]}, event_span)}
                self._add(mapping_id, _resource("AWS::Lambda::EventSourceMapping", properties, event_span), event_span)
                self.consumers[mapping_id] = "functions.%s.events[%d]" % (name, index)
                if "role" not in body and provider_role is None:
                    shared_queues.append((arn, arn_span))
        if uses_shared and SHARED_ROLE not in self.resources:
            self._shared_role(provider, iam, role_config, shared_queues)

    def _role_value(self, role: Any) -> Any:
        """A function's `role`: a logical id of `resources` means that role's ARN."""
        if isinstance(role, str) and not role.startswith("arn:") and role in self.resources:
            return {"Fn::GetAtt": [role, "Arn"]}
        return role

    def _shared_role(self, provider: Node, iam: Node, role_config: Any, queues: list) -> None:
        """IamRoleLambdaExecution: the service's one role for every function without its own."""
        config = role_config if isinstance(role_config, dict) else Node()
        if "statements" in config:
            statements, where = config["statements"], span_of(config, "statements", (0, 0))
        elif "iamRoleStatements" in provider:
            statements, where = provider["iamRoleStatements"], span_of(provider, "iamRoleStatements", (0, 0))
        else:
            statements, where = NodeList(), span_of(provider, "iam", (0, 0)) if "iam" in provider else (provider.line or 1, provider.line or 1)
        if "managedPolicies" in config:
            managed, managed_where = config["managedPolicies"], span_of(config, "managedPolicies", (0, 0))
        else:
            managed, managed_where = provider.get("iamManagedPolicies"), span_of(provider, "iamManagedPolicies", (0, 0))
        if isinstance(statements, Unresolved):
            document: Any = statements
        else:
            listed = NodeList(statements if isinstance(statements, list) else [statements])
            listed.line, listed.end_line = where
            if queues:
                first, last = queues[0][1][0], queues[-1][1][1]
                listed.append(_node({"Effect": "Allow", "Action": list(SQS_ACTIONS), "Resource": [arn for arn, _ in queues]}, (first, last)))
            document = _node({"Version": "2012-10-17", "Statement": listed}, where)
        policy = _node({"PolicyName": "serverless-role", "PolicyDocument": document}, where)
        properties: dict[str, tuple[Any, tuple[int, int]]] = {"Policies": (NodeList([policy]), where)}
        if managed is not None:
            properties["ManagedPolicyArns"] = (managed, managed_where)
        span = where if where[0] else (provider.line or 1, provider.end_line or 1)
        self._add(SHARED_ROLE, _resource("AWS::IAM::Role", properties, span), span)


def _is_role_config(value: Any) -> bool:
    """`provider.iam.role` as the settings of the role Serverless makes, not a role to use."""
    return isinstance(value, dict) and not is_intrinsic(value)


def _normalized(name: str) -> str:
    """Serverless's normalized function name: `-` as Dash, `_` as Underscore, first letter up."""
    text = name.replace("-", "Dash").replace("_", "Underscore")
    return text[:1].upper() + text[1:]


def _node(values: dict, span: tuple[int, int]) -> Node:
    node = Node(values)
    node.line, node.end_line = span
    node.key_lines = {key: span for key in values}
    return node


def _resource(rtype: str, properties: dict[str, tuple[Any, tuple[int, int]]], span: tuple[int, int]) -> Node:
    props = Node({key: value for key, (value, _) in properties.items()})
    props.line, props.end_line = span
    props.key_lines = {key: where if where[0] else span for key, (_, where) in properties.items()}
    return _node({"Type": rtype, "Properties": props}, span)


def _note_origins(model: Model, written: dict[int, tuple[Any, str, str]]) -> None:
    """A queue or key setting written with variables is shown as written (when the variables
    are its whole value), and says which variable set it (`set by custom.queueKey at line 5`),
    as a parameter's default does."""
    if not written:
        return
    for resource in [*model.queues, *model.keys]:
        for name, value in vars(resource).items():
            if isinstance(value, Attr) and not value.origin and value.location.line in written:
                key, text, origin = written[value.location.line]
                shown = text if key == value.name else value.text
                if shown != value.text or origin:
                    setattr(resource, name, Attr(value.name, value.value, shown, value.location, origin))
