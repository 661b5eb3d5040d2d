provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}

locals {
  prefix = "orders-${var.environment}"
}

# --- order events: SNS -> SQS (+ dead-letter queue) ------------------------------------

resource "aws_sns_topic" "orders" {
  name = "${local.prefix}-events"
}

resource "aws_sqs_queue" "orders" {
  name              = "${local.prefix}-orders"
  kms_master_key_id = var.queue_kms_key
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.orders_dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sqs_queue" "orders_dlq" {
  name = "${local.prefix}-orders-dlq"
}

resource "aws_sns_topic_subscription" "orders" {
  topic_arn = aws_sns_topic.orders.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.orders.arn
}

resource "aws_sqs_queue_policy" "orders" {
  queue_url = aws_sqs_queue.orders.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.orders.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.orders.arn } }
    }]
  })
}

# --- invoice uploads: S3 -> SQS ------------------------------------------------------------

resource "aws_kms_key" "invoices" {
  description = "invoices"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "Root"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "InvoiceService"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/invoice-service" }
        Action    = "kms:*"
        Resource  = "*"
      },
    ]
  })
}

resource "aws_s3_bucket" "invoices" {
  bucket = "${local.prefix}-invoices"
}

resource "aws_sqs_queue" "invoice_uploads" {
  name                    = "${local.prefix}-invoice-uploads"
  sqs_managed_sse_enabled = false
}

resource "aws_s3_bucket_notification" "invoices" {
  bucket = aws_s3_bucket.invoices.id
  queue {
    queue_arn = aws_sqs_queue.invoice_uploads.arn
    events    = ["s3:ObjectCreated:*"]
  }
}

# --- payments: the registry module with its defaults ---------------------------------------

module "payments" {
  source  = "terraform-aws-modules/sqs/aws"
  version = "~> 4.2"

  name       = "${local.prefix}-payments"
  create_dlq = true
}
