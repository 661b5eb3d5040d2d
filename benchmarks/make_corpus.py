"""Generate a realistic Terraform corpus for timing sqsguard (and Checkov) on it.

    python benchmarks/make_corpus.py OUT_DIR [--files 300] [--seed 1]

The shape follows what real repositories look like (see ../shared/design/PARSING.md and the
corpus notes): stacks of a few files each (`main.tf`, `variables.tf`, `outputs.tf`, ...),
SQS queues encrypted every way people do it (nothing, SSE-SQS, `alias/aws/sqs`, a key in the
stack, a key through a variable or an alias), KMS keys with `jsonencode` or
`aws_iam_policy_document` policies, aliases, variables with defaults, locals, `for_each`,
local and registry module calls — and, as in any real stack, many resources that have nothing
to do with queues (instances, IAM roles and policies, Lambda functions, security groups,
buckets, log groups), which a scanner still has to read past. Output is deterministic for a
seed.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

QUEUE_ENCRYPTIONS = [
    "",
    "  sqs_managed_sse_enabled = true\n",
    "  sqs_managed_sse_enabled = false\n",
    '  kms_master_key_id = "alias/aws/sqs"\n',
    "  kms_master_key_id = aws_kms_key.{key}.arn\n",
    "  kms_master_key_id = aws_kms_alias.{key}.name\n",
    "  kms_master_key_id = var.queue_key\n",
    '  kms_master_key_id = "arn:aws:kms:${{var.region}}:${{data.aws_caller_identity.current.account_id}}:alias/aws/sqs"\n',
    "  kms_master_key_id = var.use_cmk ? aws_kms_key.{key}.arn : null\n",
]


def key_block(name: str, style: int) -> str:
    if style == 0:
        policy = """  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EnableRoot"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "AllowSns"
        Effect    = "Allow"
        Principal = { Service = "sns.amazonaws.com" }
        Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
        Resource  = "*"
        Condition = {
          ArnLike = { "aws:SourceArn" = "arn:aws:sns:${var.region}:${data.aws_caller_identity.current.account_id}:*" }
        }
      },
    ]
  })
"""
        extra = ""
    else:
        policy = "  policy = data.aws_iam_policy_document.%s.json\n" % name
        extra = """
data "aws_iam_policy_document" "%s" {
  statement {
    sid       = "EnableRoot"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
  statement {
    sid       = "AllowApp"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.app.arn]
    }
  }
}
""" % name
    return """resource "aws_kms_key" "%(name)s" {
  description             = "Key for %(name)s"
  deletion_window_in_days = 14
  enable_key_rotation     = %(rotation)s
%(policy)s
  tags = merge(local.tags, { Name = "%(name)s" })
}

resource "aws_kms_alias" "%(name)s" {
  name          = "alias/${local.prefix}-%(name)s"
  target_key_id = aws_kms_key.%(name)s.key_id
}
%(extra)s""" % {"name": name, "policy": policy, "extra": extra, "rotation": "true" if style else '"true"'}


def queue_block(name: str, encryption: str, key: str, rng: random.Random) -> str:
    fifo = rng.random() < 0.2
    text = 'resource "aws_sqs_queue" "%s" {\n  name = "${local.prefix}-%s%s"\n' % (name, name, ".fifo" if fifo else "")
    if fifo:
        text += "  fifo_queue                  = true\n  content_based_deduplication = true\n"
    text += "  visibility_timeout_seconds = %d\n  message_retention_seconds  = %d\n" % (
        rng.choice([30, 60, 300]),
        rng.choice([86400, 345600, 1209600]),
    )
    text += encryption.format(key=key)
    if rng.random() < 0.5:
        text += '  redrive_policy = jsonencode({\n    deadLetterTargetArn = aws_sqs_queue.%s_dlq.arn\n    maxReceiveCount     = 5\n  })\n' % name
    text += "  tags = local.tags\n}\n"
    if "redrive_policy" in text:
        text += '\nresource "aws_sqs_queue" "%s_dlq" {\n  name = "${local.prefix}-%s-dlq%s"\n%s  tags = local.tags\n}\n' % (
            name,
            name,
            ".fifo" if fifo else "",
            ("  fifo_queue = true\n" if fifo else "") + encryption.format(key=key),
        )
    return text


def noise(name: str, rng: random.Random) -> str:
    """Resources every stack has and an SQS/KMS scanner must read past."""
    kind = rng.randrange(5)
    if kind == 0:
        return '''resource "aws_instance" "%(n)s" {
  ami                    = data.aws_ami.base.id
  instance_type          = "t3.micro"
  subnet_id              = var.subnet_id
  vpc_security_group_ids = [aws_security_group.%(n)s.id]
  user_data = <<-EOT
    #!/bin/bash
    echo "hello from ${local.prefix}" > /etc/motd
  EOT
  tags = local.tags
}

resource "aws_security_group" "%(n)s" {
  name   = "${local.prefix}-%(n)s"
  vpc_id = var.vpc_id
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
''' % {"n": name}
    if kind == 1:
        return '''resource "aws_iam_role" "%(n)s" {
  name = "${local.prefix}-%(n)s"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "%(n)s" {
  role = aws_iam_role.%(n)s.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"]
      Resource = "*"
    }]
  })
}
''' % {"n": name}
    if kind == 2:
        return '''resource "aws_lambda_function" "%(n)s" {
  function_name = "${local.prefix}-%(n)s"
  role          = aws_iam_role.app.arn
  handler       = "index.handler"
  runtime       = "python3.12"
  filename      = "${path.module}/build/%(n)s.zip"
  timeout       = 30
  environment {
    variables = {
      STAGE = var.environment
      TABLE = "orders"
    }
  }
  tags = local.tags
}

resource "aws_cloudwatch_log_group" "%(n)s" {
  name              = "/aws/lambda/${local.prefix}-%(n)s"
  retention_in_days = 30
}
''' % {"n": name}
    if kind == 3:
        return '''resource "aws_s3_bucket" "%(n)s" {
  bucket = "${local.prefix}-%(n)s"
  tags   = local.tags
}

resource "aws_s3_bucket_versioning" "%(n)s" {
  bucket = aws_s3_bucket.%(n)s.id
  versioning_configuration {
    status = "Enabled"
  }
}
''' % {"n": name}
    return '''resource "aws_dynamodb_table" "%(n)s" {
  name         = "${local.prefix}-%(n)s"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"
  attribute {
    name = "pk"
    type = "S"
  }
  attribute {
    name = "sk"
    type = "S"
  }
  point_in_time_recovery {
    enabled = true
  }
  tags = local.tags
}
''' % {"n": name}


def stack(index: int, files: int, rng: random.Random) -> dict[str, str]:
    """One root module of `files` files."""
    out: dict[str, str] = {}
    out["variables.tf"] = '''variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "environment" {
  type    = string
  default = "dev"
}

variable "queue_key" {
  type    = string
  default = "%s"
}

variable "use_cmk" {
  type    = bool
  default = %s
}

variable "vpc_id" {
  type = string
}

variable "subnet_id" {
  type = string
}
''' % (rng.choice(["alias/aws/sqs", "alias/platform-queues", ""]), rng.choice(["true", "false"]))
    out["main.tf"] = '''terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}

data "aws_ami" "base" {
  most_recent = true
  owners      = ["amazon"]
}

locals {
  prefix = "svc%d-${var.environment}"
  tags = {
    owner              = "team-%d"
    workload           = "svc%d"
    "data-sensitivity" = "internal"
  }
}

resource "aws_iam_role" "app" {
  name               = "${local.prefix}-app"
  assume_role_policy = "{}"
}
''' % (index, index % 7, index)
    keys = ["k%d_%d" % (index, i) for i in range(2)]
    out["kms.tf"] = "\n".join(key_block(k, i % 2) for i, k in enumerate(keys))
    remaining = max(files - 3, 1)
    for f in range(remaining):
        parts = []
        for q in range(rng.randint(1, 3)):
            name = "q%d_%d_%d" % (index, f, q)
            parts.append(queue_block(name, rng.choice(QUEUE_ENCRYPTIONS), rng.choice(keys), rng))
        for n in range(rng.randint(1, 3)):
            parts.append(noise("r%d_%d_%d" % (index, f, n), rng))
        if f == 0:
            parts.append(
                '''module "events" {
  source            = "terraform-aws-modules/sqs/aws"
  version           = "~> 4.2"
  name              = "${local.prefix}-events"
  create_dlq        = true
  kms_master_key_id = var.use_cmk ? aws_kms_key.%s.arn : null
  tags              = local.tags
}

resource "aws_sqs_queue" "fanout" {
  for_each          = toset(["billing", "shipping", "audit"])
  name              = "${local.prefix}-${each.key}"
  kms_master_key_id = each.key == "audit" ? "alias/aws/sqs" : aws_kms_alias.%s.arn
}
'''
                % (keys[0], keys[1])
            )
        out["resources_%d.tf" % f] = "\n".join(parts)
    out["outputs.tf"] = 'output "key_arn" {\n  value = aws_kms_key.%s.arn\n}\n' % keys[0]
    return out


def generate(out: Path, files: int, seed: int = 1) -> tuple[int, int]:
    """Write about `files` .tf files under `out`; returns (files, lines)."""
    rng = random.Random(seed)
    written = lines = 0
    index = 0
    while written < files:
        size = min(rng.randint(4, 9), files - written)
        if size < 4:
            size = files - written
        for name, text in stack(index, max(size - 1, 1), rng).items():
            if written >= files:
                break
            path = out / ("stack%03d" % index) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written += 1
            lines += text.count("\n")
        index += 1
    return written, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    files, lines = generate(args.out, args.files, args.seed)
    print("%d files, %d lines in %s" % (files, lines, args.out))


if __name__ == "__main__":
    main()
