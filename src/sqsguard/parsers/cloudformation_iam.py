"""CloudFormation, SAM and CDK roles, policies and Lambda consumers, into the model.

- `AWS::IAM::Role` / `AWS::IAM::User`: inline `Policies[].PolicyDocument`, `ManagedPolicyArns`;
- `AWS::IAM::Policy` (`Roles`, `Users`) and `AWS::IAM::ManagedPolicy` (`Roles`, `Users`, and
  attached wherever a role lists it);
- `AWS::Lambda::Function` (`Role`) and `AWS::Lambda::EventSourceMapping`;
- `AWS::Serverless::Function`: its `Role`, or the role SAM makes (`<Function>Role`) with
  `AWSLambdaBasicExecutionRole`, the `Policies` (documents, SAM policy templates, AWS managed
  policies) and, for an `SQS` event, `AWSLambdaSQSQueueExecutionRole`; each `SQS` event is a
  consumer.
"""

from __future__ import annotations

from typing import Any, Callable

from ..aws_policies import sam_policy
from ..model import Attr, Consumer, Function, IamPolicy, IamRole, Location, Model, QueuePolicy

IAM_TYPES = frozenset(
    {
        "AWS::IAM::Role",
        "AWS::IAM::User",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::Lambda::Function",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Serverless::Function",
        "AWS::SQS::QueuePolicy",
        "AWS::Pipes::Pipe",
    }
)
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
SQS_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"


def add(model: Model, logical_id: str, rtype: str, props: dict, reader: Callable[[Any], Any], common: dict) -> None:
    here = reader(props)
    if rtype in ("AWS::IAM::Role", "AWS::IAM::User"):
        inline = []
        policies = here.get("Policies")
        for index, entry in enumerate(policies.value if policies is not None and isinstance(policies.value, list) else []):
            if isinstance(entry, dict) and "PolicyDocument" in entry:
                inline.append(Attr("Policies[%d]" % index, entry["PolicyDocument"], "Policies[%d]" % index, policies.location))
        model.roles.append(
            IamRole(**common, name=here.get("RoleName") or here.get("UserName"), inline=inline, managed=_items(here.get("ManagedPolicyArns")),
                    user=rtype == "AWS::IAM::User")
        )
    elif rtype in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        roles = []
        for name in ("Roles", "Users"):
            attr = here.get(name)
            if attr is not None:
                roles.extend(attr.value if isinstance(attr.value, list) else [attr.value])
        model.iam_policies.append(
            IamPolicy(**common, document=here.get("PolicyDocument"), roles=roles, managed=rtype == "AWS::IAM::ManagedPolicy")
        )
    elif rtype == "AWS::Lambda::Function":
        model.functions.append(Function(**common, role=here.get("Role")))
    elif rtype == "AWS::Lambda::EventSourceMapping":
        function = here.get("FunctionName")
        model.consumers.append(
            Consumer(**common, kind="Lambda event source mapping", queue_ref=here.get("EventSourceArn"),
                     function=function.value if function is not None else None)
        )
    elif rtype == "AWS::Pipes::Pipe":
        role = here.get("RoleArn")
        for name, kind, sends in (("Source", "EventBridge Pipe source", False), ("Target", "EventBridge Pipe target", True)):
            end = here.get(name)
            if end is not None:
                model.consumers.append(Consumer(**common, kind=kind, queue_ref=end, role_ref=role.value if role else None, sends=sends))
    elif rtype == "AWS::SQS::QueuePolicy":
        queues = here.get("Queues")
        values = queues.value if queues is not None and isinstance(queues.value, list) else ([queues.value] if queues else [])
        model.queue_policies.append(QueuePolicy(**common, document=here.get("PolicyDocument"), queue_refs=values))
    elif rtype == "AWS::Serverless::Function":
        _sam_function(model, logical_id, props, here, reader, common)


def _items(attr: Attr | None) -> list[Attr]:
    if attr is None:
        return []
    values = attr.value if isinstance(attr.value, list) else [attr.value]
    return [Attr(attr.name, v, attr.text, attr.location) for v in values]


def _sam_function(model: Model, logical_id: str, props: dict, here: Any, reader: Callable[[Any], Any], common: dict) -> None:
    events = here.value("Events")
    sqs_events = []
    if isinstance(events, dict):
        for name, event in events.items():
            if isinstance(event, dict) and str(event.get("Type", "")).lower() == "sqs":
                properties = event.get("Properties") if isinstance(event.get("Properties"), dict) else {}
                sqs_events.append((name, properties))
    role = here.get("Role")
    implicit = None
    if role is None:
        where = common["location"]
        managed = [Attr("Policies", BASIC, "AWSLambdaBasicExecutionRole", where)]
        if sqs_events:
            managed.append(Attr("Policies", SQS_EXECUTION, "AWSLambdaSQSQueueExecutionRole", where))
        inline: list[Attr] = []
        unknown: list[str] = []
        policies = here.get("Policies")
        entries = policies.value if policies is not None else []
        for entry in entries if isinstance(entries, list) else [entries]:
            document, why = sam_policy(entry)
            if document is not None:
                inline.append(Attr("Policies", document, policies.text if policies else "Policies", policies.location if policies else where))
            else:
                unknown.append(why or "a Policies entry")
        implicit = IamRole(**{**common, "address": "%sRole" % logical_id, "resource_type": "AWS::IAM::Role"}, inline=inline, managed=managed)
        implicit.unknown.extend(unknown)
        model.roles.append(implicit)
    model.functions.append(Function(**common, role=role, implicit_role=implicit))
    for name, properties in sqs_events:
        queue = properties.get("Queue")
        where = Location(common["location"].file, getattr(properties, "line", 0) or common["location"].line,
                         getattr(properties, "end_line", 0) or common["location"].end_line)
        model.consumers.append(
            Consumer(**{**common, "location": where, "address": "%s.Events.%s" % (logical_id, name)}, kind="SAM SQS event",
                     queue_ref=Attr("Queue", queue, "Queue", where), function=_self_ref(common, logical_id))
        )


def _self_ref(common: dict, logical_id: str) -> Any:
    from ..model import ResourceRef

    return ResourceRef(common["unit"], logical_id, None, "!Ref %s" % logical_id)
