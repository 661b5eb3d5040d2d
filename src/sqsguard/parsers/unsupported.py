"""Documents that declare SQS or KMS resources in a form sqsguard does not read.

A queue in a file sqsguard does not read must not be a silent pass: such a file is listed in
the report's `skipped` section with the reason. What counts is a *declaration*, found in the
document's structure where the format declares resources, never a mere mention:

- a mapping whose `Type` is an `AWS::SQS::*` / `AWS::KMS::*` type, anywhere but in a template's
  top-level `Resources` (a cfn-guard test file, a template embedded in another document);
- a mapping whose `type` is a Pulumi `aws:sqs:*` / `aws:kms:*` type (`aws:sqs/queue:Queue`,
  `aws-native:sqs:Queue`): a Pulumi YAML program, a Pulumi stack export;
- a Kubernetes object of AWS Controllers for Kubernetes or Crossplane (`apiVersion:
  sqs.services.k8s.aws/...`, `sqs.aws.upbound.io/...`);
- Terraform's JSON syntax (`{"resource": {"aws_sqs_queue": ...}}`) in a file not named
  `*.tf.json`, which Terraform itself never reads.

A comment, a string (a CI workflow's `run:` script, a report's code excerpt, a README-like
description), a policy's ARN, a key such as `resource_type`/`resourceType`/`ResourceType` (the
scanner's own JSON and SARIF reports, CloudFormation's API output) or a key of a mapping (the
resource specification, cfn-lint's `override_spec`) declares nothing and stays quiet.

Only a document that cannot be parsed as YAML or JSON at all is judged by its lines instead
(a Jinja `.template`, a multi-document Kubernetes file, HCL in a `.template`): a line that
declares, at its start, the way one of the formats above (or Terraform's `resource "aws_sqs_..."`)
does.
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterator

# The cheap test on raw bytes for what DOCUMENT_TOKENS (discover.py) does not catch: Pulumi type
# tokens (an ARN's `aws:sqs:` is followed by a region, lowercase, never by the capital of a type
# name) and the API groups of Kubernetes controllers for SQS and KMS.
_FOREIGN_BYTES = re.compile(
    rb"aws(?:-native)?:(?:sqs|kms)(?:/\w+)?:[A-Z]"
    rb"|(?:sqs|kms)\.(?:services\.k8s\.aws|aws\.upbound\.io|aws\.crossplane\.io)/"
)

_CFN_TYPE = re.compile(r"AWS::(?:SQS|KMS)::\w+\Z")
_PULUMI_TYPE = re.compile(r"aws(?:-native)?:(?:sqs|kms)(?:/\w+)?:\w+\Z")
_K8S_GROUP = re.compile(r"(sqs|kms)\.(services\.k8s\.aws|aws\.upbound\.io|aws\.crossplane\.io)/\w+\Z")
_TF_TYPE = re.compile(r"aws_(?:sqs|kms)_\w+\Z")

# For text that is not YAML or JSON: declarations at the start of a line.
_LINES = (
    ("cloudformation", re.compile(r"""^[ \t]*(?:-[ \t]+)?["']?Type["']?[ \t]*:[ \t]*["']?(AWS::(?:SQS|KMS)::\w+)""", re.M)),
    ("pulumi", re.compile(r"""^[ \t]*(?:-[ \t]+)?["']?type["']?[ \t]*:[ \t]*["']?(aws(?:-native)?:(?:sqs|kms)(?:/\w+)?:\w+)""", re.M)),
    ("kubernetes", re.compile(r"""^[ \t]*(?:-[ \t]+)?["']?apiVersion["']?[ \t]*:[ \t]*["']?((?:sqs|kms)\.(?:services\.k8s\.aws|aws\.upbound\.io|aws\.crossplane\.io)/\w+)""", re.M)),
    ("hcl", re.compile(r"""^[ \t]*resource[ \t]+"(aws_(?:sqs|kms)_\w+)"[ \t]+"[^"\n]+"[ \t]*\{""", re.M)),
)

_CONTROLLERS = {
    "services.k8s.aws": "AWS Controllers for Kubernetes (ACK)",
    "aws.upbound.io": "Crossplane (Upbound AWS provider)",
    "aws.crossplane.io": "Crossplane (AWS provider)",
}

# A walk stops here: a document this large and deep is not worth a reason.
_MAX_NODES = 200_000


def worth_a_look(data: bytes) -> bool:
    """Whether a document without any of DOCUMENT_TOKENS may still declare SQS or KMS
    resources in a format sqsguard does not read (Pulumi, Kubernetes controllers)."""
    return _FOREIGN_BYTES.search(data) is not None


# Jinja (and other {{ }} / {% %} template engines) around a template: a CloudFormation dynamic
# reference `{{resolve:...}}` is not one.
_JINJA = re.compile(r"\{%-?\s*[a-z]|\{\{(?!\s*resolve:)[^}\n]*\}\}")


def templated(text: str) -> bool:
    """Text with Jinja-style markup ({{ name }}, {% if %}): the source of a template, rendered
    before deployment, not a template."""
    return _JINJA.search(text) is not None


def reason(text: str, is_json: bool, path: str, problem: str | None = None, problem_line: int | None = None) -> str | None:
    """Why this document, which no supported reader took, is listed as skipped; None when it
    declares no SQS or KMS resource (it then does not concern the scan). `problem`: the YAML or
    JSON error that kept it from being read, if that is what happened."""
    if problem is not None and templated(text):
        found = _by_lines(text, problem, problem_line)
        if found is None:
            return None
        declared = next((m.group(1) for _, pattern in _LINES for m in [pattern.search(text)] if m), "SQS or KMS resources")
        return ("a Jinja-style template source ({{ }} / {%% %%} markup) that declares %s: sqsguard reads the rendered "
                "template, not its source (render it first, or scan the rendered output)" % declared)
    if problem is None:
        doc = _load(text, is_json)
        if doc is not _UNREADABLE and not isinstance(doc, str):
            return _structural(doc, is_json, path)
    return _by_lines(text, problem, problem_line)


_UNREADABLE = object()


def _load(text: str, is_json: bool) -> Any:
    from .documents import ParseError, load_yaml, parse_json

    try:
        return parse_json(text) if is_json else load_yaml(text)
    except (ParseError, RecursionError):
        return _UNREADABLE


def _structural(doc: Any, is_json: bool, path: str) -> str | None:
    top_resources = doc.get("Resources") if isinstance(doc, dict) else None
    for kind, value in _declarations(doc, top_resources):
        if kind == "cloudformation":
            if isinstance(doc, list):
                shape = "the document is a list"
            elif isinstance(doc, dict) and "Resources" in doc:
                shape = "it is not in the top-level Resources section"
            else:
                shape = "there is no top-level Resources section"
            return "declares %s, but is not a CloudFormation template (%s): not a format sqsguard reads" % (value, shape)
        if kind == "pulumi":
            what = "Pulumi resources in JSON" if is_json else "Pulumi YAML program"
            return "%s (%s): not a format sqsguard reads" % (what, value)
        if kind == "kubernetes":
            group = value.split("/", 1)[0].split(".", 1)[1]
            return "Kubernetes manifest (%s, %s): not a format sqsguard reads" % (value, _CONTROLLERS.get(group, group))
        if kind == "terraform-state":
            return ("Terraform state (%s), as `terraform show -json` prints it without a plan: sqsguard reads the "
                    "configuration and plans (terraform show -json of a saved plan), not state" % value)
        if kind == "terraform-json":
            return ("Terraform JSON syntax (%s), but Terraform reads JSON only from files named *.tf.json: "
                    "not read as Terraform (rename it %s.tf.json if it is one)" % (value, _stem(path)))
    return None


def _declarations(doc: Any, top_resources: Any) -> Iterator[tuple[str, str]]:
    """(kind, type) of every declaration in the document's structure, in document order."""
    stack = [doc]
    seen = 0
    while stack and seen < _MAX_NODES:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            if node is not top_resources:  # a template's own resources were read (or judged) already
                kind = _declared(node)
                if kind is not None:
                    yield kind
            stack.extend(reversed([v for v in node.values() if isinstance(v, (dict, list))]))
        elif isinstance(node, list):
            stack.extend(reversed([v for v in node if isinstance(v, (dict, list))]))


def _declared(node: dict) -> tuple[str, str] | None:
    value = node.get("Type")
    if isinstance(value, str) and _CFN_TYPE.match(value):
        return "cloudformation", value
    value = node.get("type")
    if isinstance(value, str) and _PULUMI_TYPE.match(value):
        return "pulumi", value
    value = node.get("apiVersion")
    if isinstance(value, str) and _K8S_GROUP.match(value) and isinstance(node.get("kind"), str):
        return "kubernetes", "%s %s" % (value, node["kind"])
    value = node.get("type")
    if isinstance(value, str) and _TF_TYPE.match(value) and node.get("mode") in ("managed", "data") and (
            "values" in node or "instances" in node):
        return "terraform-state", value
    value = node.get("resource")
    if isinstance(value, dict):
        for name in value:
            if isinstance(name, str) and _TF_TYPE.match(name) and isinstance(value[name], dict):
                return "terraform-json", name
    return None


def _by_lines(text: str, problem: str | None, problem_line: int | None) -> str | None:
    found = [(m.start(), kind, m.group(1)) for kind, pattern in _LINES for m in [pattern.search(text)] if m]
    if not found:
        return None
    _, kind, value = min(found)
    if problem is None:
        why = "it is not YAML or JSON"
    else:
        why = "%s%s" % (problem, " at line %d" % problem_line if problem_line else "")
    if kind == "cloudformation":
        return "declares %s, but cannot be read as a CloudFormation template (%s): not a format sqsguard reads" % (value, why)
    if kind == "pulumi":
        return "Pulumi program (%s) that cannot be read as YAML (%s): not a format sqsguard reads" % (value, why)
    if kind == "kubernetes":
        group = value.split("/", 1)[0].split(".", 1)[1]
        return "Kubernetes manifest (%s, %s): not a format sqsguard reads" % (value, _CONTROLLERS.get(group, group))
    return ('Terraform code (resource "%s") in a file Terraform does not read (only *.tf and *.tf.json): '
            "not read as Terraform" % value)


def _stem(path: str) -> str:
    name = os.path.basename(path)
    for suffix in (".json", ".yaml", ".yml", ".template"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
