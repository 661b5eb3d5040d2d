"""Terraform roles, policies and Lambda consumers, into the model (shared by the HCL and the
plan parser): `aws_iam_role` (`inline_policy` blocks, `managed_policy_arns`), `aws_iam_user`,
`aws_iam_role_policy` / `aws_iam_user_policy`, `aws_iam_policy` with
`aws_iam_role_policy_attachment` / `aws_iam_user_policy_attachment`, `aws_lambda_function`
(`role`) and `aws_lambda_event_source_mapping`."""

from __future__ import annotations


from ...model import Attr, Consumer, Function, IamPolicy, IamRole, Model, PolicyAttachment, QueuePolicy, ResourceRef
from .drafts import Draft, DraftAttr
from .policy_documents import policy_value
from .values import strip_json

IAM_TYPES = frozenset(
    {
        "aws_iam_role",
        "aws_iam_user",
        "aws_iam_role_policy",
        "aws_iam_user_policy",
        "aws_iam_policy",
        "aws_iam_role_policy_attachment",
        "aws_iam_user_policy_attachment",
        "aws_lambda_function",
        "aws_lambda_event_source_mapping",
        "aws_sqs_queue_policy",
        "aws_pipes_pipe",
    }
)


def _attr(attrs: dict[str, DraftAttr], name: str) -> Attr | None:
    found = attrs.get(name)
    if found is None:
        return None
    return Attr(name, strip_json(found.value), found.text, found.location, found.origin)


def _document(attrs: dict[str, DraftAttr], name: str) -> Attr | None:
    found = attrs.get(name)
    if found is None:
        return None
    where = found.location
    return Attr(name, policy_value(found.value, where.line, where.end_line, where.file), found.text, where)


def add(model: Model, draft: Draft, common: dict) -> None:
    attrs, rtype = draft.attrs, draft.rtype
    if rtype in ("aws_iam_role", "aws_iam_user"):
        inline = []
        blocks = attrs.get("inline_policy")
        for index, block in enumerate(blocks.value if blocks is not None and isinstance(blocks.value, list) else []):
            if isinstance(block, dict) and block.get("policy") is not None:
                where = blocks.location
                inline.append(Attr("inline_policy[%d]" % index, policy_value(block["policy"], where.line, where.end_line, where.file), "inline_policy", where))
        managed = _attr(attrs, "managed_policy_arns")
        arns = managed.value if managed is not None and isinstance(managed.value, list) else ([managed.value] if managed is not None else [])
        model.roles.append(
            IamRole(**common, name=_attr(attrs, "name"), inline=inline, user=rtype == "aws_iam_user",
                    managed=[Attr("managed_policy_arns", v, managed.text, managed.location) for v in arns] if managed else [])
        )
    elif rtype in ("aws_iam_role_policy", "aws_iam_user_policy"):
        who = _attr(attrs, "role") or _attr(attrs, "user")
        model.iam_policies.append(IamPolicy(**common, document=_document(attrs, "policy"), roles=[who.value] if who else []))
    elif rtype == "aws_iam_policy":
        model.iam_policies.append(IamPolicy(**common, document=_document(attrs, "policy"), managed=True))
    elif rtype in ("aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment"):
        who = _attr(attrs, "role") or _attr(attrs, "user")
        policy = _attr(attrs, "policy_arn")
        model.attachments.append(
            PolicyAttachment(**common, role=who.value if who else None, policy=policy.value if policy else None)
        )
    elif rtype == "aws_pipes_pipe":
        role = _attr(attrs, "role_arn")
        for name, kind, sends in (("source", "EventBridge Pipe source", False), ("target", "EventBridge Pipe target", True)):
            end = _attr(attrs, name)
            if end is not None:
                model.consumers.append(Consumer(**common, kind=kind, queue_ref=end, role_ref=role.value if role else None, sends=sends))
    elif rtype == "aws_sqs_queue_policy":
        queue = _attr(attrs, "queue_url")
        model.queue_policies.append(QueuePolicy(**common, document=_document(attrs, "policy"), queue_refs=[queue.value] if queue else []))
    elif rtype == "aws_lambda_function":
        roles = {key: instance["role"].value for key, instance in draft.instances if "role" in instance}
        model.functions.append(Function(**common, role=_attr(attrs, "role"), instance_roles=roles))
    elif rtype == "aws_lambda_event_source_mapping":
        # one consumer per instance: each may join another queue to another function's instance
        for suffix, each in [('["%s"]' % key, instance) for key, instance in draft.instances] or [("", attrs)]:
            function = _attr(each, "function_name")
            model.consumers.append(
                Consumer(**{**common, "address": common["address"] + suffix}, kind="Lambda event source mapping",
                         queue_ref=_attr(each, "event_source_arn"), function=function.value if function is not None else None)
            )




def queue_policy(model: Model, queue_common: dict, attrs: dict[str, DraftAttr]) -> None:
    """The `policy` argument of an `aws_sqs_queue`: a queue policy of that queue."""
    document = _document(attrs, "policy")
    if document is not None and document.value is not None:
        ref = ResourceRef(queue_common["unit"], queue_common["address"], "arn", queue_common["address"])
        model.queue_policies.append(QueuePolicy(**queue_common, document=document, queue_refs=[ref]))
