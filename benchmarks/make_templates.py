"""Generate a deterministic CloudFormation corpus (YAML and JSON templates with parameters,
conditions, Fn::If, Fn::Sub, GetAtt, key policies, queue policies, SNS subscriptions and Lambda
event source mappings) and CDK cloud assemblies (manifest.json with stacks, as `cdk synth`
writes them), for benchmarks/run.py.

    python benchmarks/make_templates.py OUT [--templates 150] [--assemblies 10] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

ACCOUNT = "111122223333"


def _key_policy(rng: random.Random, name: str) -> dict:
    statements = [{
        "Sid": "Admin", "Effect": "Allow",
        "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/admin"}},
        "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                   "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:ScheduleKeyDeletion",
                   "kms:CancelKeyDeletion", "kms:TagResource", "kms:UntagResource"],
        "Resource": "*",
    }, {
        "Sid": "Producers", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*",
        "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": "%sTopic" % name}}},
    }]
    if rng.random() < 0.3:
        statements.append({"Sid": "Wide", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


def template(index: int, rng: random.Random) -> dict:
    resources: dict = {}
    conditions = {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}
    for q in range(rng.randint(2, 5)):
        name = "Orders%d" % q
        key = {"Type": "AWS::KMS::Key", "Properties": {
            "Description": {"Fn::Sub": "${AWS::StackName} %s" % name},
            "EnableKeyRotation": rng.random() < 0.7,
            "KeyPolicy": _key_policy(rng, name),
            "Tags": [{"Key": "owner", "Value": "team-%d" % (index % 7)}, {"Key": "workload", "Value": "orders"}],
        }}
        resources[name + "Key"] = key
        resources[name + "Alias"] = {"Type": "AWS::KMS::Alias", "Properties": {
            "AliasName": {"Fn::Sub": "alias/${AWS::StackName}-%s" % name.lower()}, "TargetKeyId": {"Ref": name + "Key"}}}
        choice = rng.random()
        if choice < 0.5:
            queue_key = {"Fn::GetAtt": [name + "Key", "Arn"]}
        elif choice < 0.8:
            queue_key = {"Fn::If": ["IsProd", {"Ref": name + "Key"}, "alias/aws/sqs"]}
        else:
            queue_key = None
        props: dict = {"QueueName": {"Fn::Sub": "${AWS::StackName}-%s" % name.lower()},
                       "KmsDataKeyReusePeriodSeconds": rng.choice([60, 300, 3600])}
        if queue_key is not None:
            props["KmsMasterKeyId"] = queue_key
        elif rng.random() < 0.5:
            props["SqsManagedSseEnabled"] = True
        resources[name + "Queue"] = {"Type": "AWS::SQS::Queue", "Properties": props}
        resources[name + "Topic"] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-%s" % name}}}
        resources[name + "Subscription"] = {"Type": "AWS::SNS::Subscription", "Properties": {
            "Protocol": "sqs", "TopicArn": {"Ref": name + "Topic"}, "Endpoint": {"Fn::GetAtt": [name + "Queue", "Arn"]}}}
        resources[name + "QueuePolicy"] = {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": name + "Queue"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                "Resource": {"Fn::GetAtt": [name + "Queue", "Arn"]},
                "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": name + "Topic"}}}}]}}}
        resources[name + "Role"] = {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "consume", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                 "Resource": {"Fn::GetAtt": [name + "Queue", "Arn"]}}]
                + ([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": {"Fn::GetAtt": [name + "Key", "Arn"]}}]
                   if rng.random() < 0.6 else [])}}]}}
        resources[name + "Function"] = {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "index.handler", "Role": {"Fn::GetAtt": [name + "Role", "Arn"]},
            "Code": {"ZipFile": "def handler(event, context):\n    return None\n"}}}
        resources[name + "Mapping"] = {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
            "EventSourceArn": {"Fn::GetAtt": [name + "Queue", "Arn"]}, "FunctionName": {"Ref": name + "Function"}}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "generated stack %d" % index,
        "Parameters": {"Stage": {"Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev"}},
        "Conditions": conditions,
        "Resources": resources,
        "Outputs": {"FirstQueue": {"Value": {"Ref": "Orders0Queue"}}},
    }


def _yaml(value, indent: int = 0) -> str:
    """Block YAML for the generated data (plain strings quoted; no anchors)."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append("%s%s:\n%s" % (pad, key, _yaml(item, indent + 1)))
            else:
                lines.append("%s%s: %s" % (pad, key, _yaml(item, 0)))
        return "\n".join(lines)
    if isinstance(value, list):
        if not value:
            return "[]"
        lines = []
        for item in value:
            text = _yaml(item, indent + 1)
            lines.append("%s- %s" % (pad, text.lstrip()) if isinstance(item, (dict, list)) and item else "%s- %s" % (pad, text))
        return "\n".join(lines)
    return json.dumps(value)


def assembly(out: Path, index: int, rng: random.Random) -> int:
    stacks = {}
    for s in range(rng.randint(1, 3)):
        name = "App%02dStack%d" % (index, s)
        body = template(index * 10 + s, rng)
        for logical, resource in body["Resources"].items():
            resource["Metadata"] = {"aws:cdk:path": "%s/%s/Resource" % (name, logical)}
        (out / ("%s.template.json" % name)).write_text(json.dumps(body, indent=1))
        stacks[name] = {"type": "aws:cloudformation:stack", "environment": "aws://%s/eu-west-1" % ACCOUNT,
                        "properties": {"templateFile": "%s.template.json" % name}, "displayName": name}
    (out / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": stacks}, indent=1))
    return len(stacks) + 1


def generate(out: Path, templates: int, assemblies: int, seed: int = 1) -> tuple[int, int]:
    """Write `templates` templates (every third as JSON) and `assemblies` cdk.out directories;
    returns (files, lines)."""
    rng = random.Random(seed)
    files = lines = 0
    for index in range(templates):
        body = template(index, rng)
        directory = out / "stacks" / ("team%02d" % (index % 12))
        directory.mkdir(parents=True, exist_ok=True)
        if index % 3 == 2:
            path, text = directory / ("stack%03d.json" % index), json.dumps(body, indent=2) + "\n"
        else:
            path, text = directory / ("stack%03d.yaml" % index), _yaml(body) + "\n"
        path.write_text(text, encoding="utf-8")
        files += 1
        lines += text.count("\n")
    for index in range(assemblies):
        directory = out / "apps" / ("app%02d" % index) / "cdk.out"
        directory.mkdir(parents=True, exist_ok=True)
        files += assembly(directory, index, rng)
    return files, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--templates", type=int, default=150)
    parser.add_argument("--assemblies", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    files, lines = generate(args.out, args.templates, args.assemblies, args.seed)
    print("%d files, %d template lines in %s" % (files, lines, args.out))


if __name__ == "__main__":
    main()
