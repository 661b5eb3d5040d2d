"""Policies AWS publishes that decide whether a role can use a queue's key, kept as data.

- AWS managed policies that code attaches by ARN or name (AWS documentation, "AWS managed
  policies for AWS Lambda" and the IAM console's policy documents, as of 2026-11). Only the
  statements that matter here are complete; the rest of a policy's actions (logs, ec2) are
  kept as written so that nothing is invented.
- SAM policy templates (AWS SAM, "AWS SAM policy templates" / `policy_templates.json`), which
  expand to a document from their parameters.

A managed policy not listed here is unknown: the rules that need it stay silent.
"""

from __future__ import annotations

from typing import Any

from .model import OWN_ACCOUNT, PARTITION, REGION, concat

_LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


def _allow(actions: list[str], resource: Any = "*") -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


MANAGED: dict[str, dict] = {
    "AWSLambdaBasicExecutionRole": {"Statement": [_allow(_LOGS)]},
    "AWSLambdaSQSQueueExecutionRole": {
        "Statement": [_allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"] + _LOGS)]
    },
    "AWSLambdaVPCAccessExecutionRole": {
        "Statement": [
            _allow(_LOGS + ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
                            "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"])
        ]
    },
    "AmazonSQSFullAccess": {"Statement": [_allow(["sqs:*"])]},
    "AmazonSQSReadOnlyAccess": {
        "Statement": [
            _allow(["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListDeadLetterSourceQueues", "sqs:ListQueues",
                    "sqs:ListMessageMoveTasks", "sqs:ListQueueTags"])
        ]
    },
    "AdministratorAccess": {"Statement": [_allow(["*"])]},
    "PowerUserAccess": {
        "Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
            _allow(["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                    "organizations:DescribeOrganization", "account:ListRegions", "account:GetAccountInformation"]),
        ]
    },
}


def managed_policy(reference: Any) -> dict | None:
    """The document of an AWS managed policy given by ARN (`arn:aws:iam::aws:policy/...`) or by
    the bare name SAM accepts; None when it is not one of these."""
    if not isinstance(reference, str):
        return None
    text = reference.strip()
    if ":iam::aws:policy/" in text:
        text = text.rsplit("/", 1)[1]
    elif text.startswith("arn:"):
        return None  # a customer managed policy of some account
    return MANAGED.get(text)


def _arn(service: str, resource: list) -> Any:
    return concat(["arn:", PARTITION, ":%s:" % service, REGION, ":", OWN_ACCOUNT, ":", *resource])


def _queue(name: Any) -> Any:
    return _arn("sqs", [name])


def _key(key_id: Any) -> Any:
    return _arn("kms", ["key/", key_id])


SAM_TEMPLATES = {
    "SQSPollerPolicy": lambda p: [
        _allow(["sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibilityBatch", "sqs:DeleteMessage",
                "sqs:DeleteMessageBatch", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], _queue(p.get("QueueName")))
    ],
    "SQSSendMessagePolicy": lambda p: [_allow(["sqs:SendMessage*"], _queue(p.get("QueueName")))],
    "KMSDecryptPolicy": lambda p: [_allow(["kms:Decrypt"], _key(p.get("KeyId")))],
    "KMSEncryptPolicy": lambda p: [_allow(["kms:Encrypt"], _key(p.get("KeyId")))],
}


def sam_policy(entry: Any) -> tuple[dict | None, str | None]:
    """A SAM `Policies` entry as a document: an inline document, a policy template, or an AWS
    managed policy's name or ARN. (None, reason) when it cannot be read."""
    if isinstance(entry, str):
        found = managed_policy(entry)
        return (found, None) if found is not None else (None, "the managed policy %s is not in the scanned code" % entry)
    if isinstance(entry, dict) and "Statement" in entry:
        return entry, None
    if isinstance(entry, dict) and len(entry) == 1:
        ((name, parameters),) = entry.items()
        template = SAM_TEMPLATES.get(str(name))
        if template is not None:
            return {"Statement": template(parameters if isinstance(parameters, dict) else {})}, None
        return None, "the SAM policy template %s is not one sqsguard knows" % name
    return None, "a SAM policy entry that is not known statically"
