data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  iam     = "arn:${data.aws_partition.current.partition}:iam::${local.account}"
}

# One key for the orders workload: administrators and users are separate, SNS and S3 may use
# it only for this stack's topic and bucket.
data "aws_iam_policy_document" "orders_key" {
  statement {
    sid       = "EnableIAMUserPermissions"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["${local.iam}:root"]
    }
  }

  statement {
    sid = "KeyAdministrators"
    actions = [
      "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
      "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
      "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
    ]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["${local.iam}:role/kms-admin"]
    }
  }

  statement {
    sid       = "OrdersServices"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["${local.iam}:role/order-service", "${local.iam}:role/invoice-service"]
    }
  }

  statement {
    sid       = "SnsDeliversOrderEvents"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.orders.arn]
    }
  }

  statement {
    sid       = "S3DeliversInvoiceUploads"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.invoices.arn]
    }
  }
}

resource "aws_kms_key" "orders" {
  description         = "orders workload queues"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.orders_key.json

  tags = {
    owner              = "orders-team"
    workload           = "orders"
    "data-sensitivity" = "confidential"
  }
}

resource "aws_kms_alias" "orders" {
  name          = "alias/orders-${var.environment}"
  target_key_id = aws_kms_key.orders.key_id
}
