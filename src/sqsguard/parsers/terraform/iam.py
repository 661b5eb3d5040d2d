"""Terraform roles, policies and Lambda consumers, into the model (shared by the HCL and the
plan parser): `aws_iam_role` (`inline_policy` blocks, `managed_policy_arns`), `aws_iam_user`,
`aws_iam_role_policy` / `aws_iam_user_policy`, `aws_iam_policy` with
`aws_iam_role_policy_attachment` / `aws_iam_user_policy_attachment`, `aws_lambda_function`
(`role`) and `aws_lambda_event_source_mapping`."""

from __future__ import annotations


from ...model import Attr, Consumer, Function, IamPolicy, IamRole, Model, PolicyAttachment, QueuePolicy, ResourceRef
from .drafts import Draft, DraftAttr, policy_setting, setting
from .policy_documents import policy_value

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


def add(model: Model, draft: Draft, common: dict) -> None:
    attrs, rtype = draft.attrs, draft.rtype
    if rtype in ("aws_iam_role", "aws_iam_user"):
        inline = []
        blocks = attrs.get("inline_policy")
        for index, block in enumerate(blocks.value if blocks is not None and isinstance(blocks.value, list) else []):
            if isinstance(block, dict) and block.get("policy") is not None:
                where = blocks.location
                inline.append(Attr("inline_policy[%d]" % index, policy_value(block["policy"], where.line, where.end_line, where.file), "inline_policy", where))
        managed = setting(attrs, "managed_policy_arns")
        arns = managed.value if managed is not None and isinstance(managed.value, list) else ([managed.value] if managed is not None else [])
        model.roles.append(
            IamRole(**common, name=setting(attrs, "name"), inline=inline, user=rtype == "aws_iam_user",
                    managed=[Attr("managed_policy_arns", v, managed.text, managed.location) for v in arns] if managed else [])
        )
    elif rtype in ("aws_iam_role_policy", "aws_iam_user_policy"):
        who = setting(attrs, "role") or setting(attrs, "user")
        model.iam_policies.append(IamPolicy(**common, document=policy_setting(attrs, "policy"), roles=[who.value] if who else []))
    elif rtype == "aws_iam_policy":
        model.iam_policies.append(IamPolicy(**common, document=policy_setting(attrs, "policy"), managed=True))
    elif rtype in ("aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment"):
        who = setting(attrs, "role") or setting(attrs, "user")
        policy = setting(attrs, "policy_arn")
        model.attachments.append(
            PolicyAttachment(**common, role=who.value if who else None, policy=policy.value if policy else None)
        )
    elif rtype == "aws_pipes_pipe":
        role = setting(attrs, "role_arn")
        for name, kind, sends in (("source", "EventBridge Pipe source", False), ("target", "EventBridge Pipe target", True)):
            end = setting(attrs, name)
            if end is not None:
                model.consumers.append(Consumer(**common, kind=kind, queue_ref=end, role_ref=role.value if role else None, sends=sends))
    elif rtype == "aws_sqs_queue_policy":
        queue = setting(attrs, "queue_url")
        model.queue_policies.append(QueuePolicy(**common, document=policy_setting(attrs, "policy"), queue_refs=[queue.value] if queue else []))
    elif rtype == "aws_lambda_function":
        roles = {key: instance["role"].value for key, instance in draft.instances if "role" in instance}
        model.functions.append(Function(**common, role=setting(attrs, "role"), instance_roles=roles))
    elif rtype == "aws_lambda_event_source_mapping":
        # one consumer per instance: each may join another queue to another function's instance
        for suffix, each in [('["%s"]' % key, instance) for key, instance in draft.instances] or [("", attrs)]:
            function = setting(each, "function_name")
            model.consumers.append(
                Consumer(**{**common, "address": common["address"] + suffix, "instances": 1 if draft.instances else draft.count},
                         kind="Lambda event source mapping",
                         queue_ref=setting(each, "event_source_arn"), function=function.value if function is not None else None)
            )




def queue_policy(model: Model, queue_common: dict, attrs: dict[str, DraftAttr]) -> None:
    """The `policy` argument of an `aws_sqs_queue`: a queue policy of that queue."""
    document = policy_setting(attrs, "policy")
    if document is not None and document.value is not None:
        ref = ResourceRef(queue_common["unit"], queue_common["address"], "arn", queue_common["address"])
        model.queue_policies.append(QueuePolicy(**queue_common, document=document, queue_refs=[ref]))
