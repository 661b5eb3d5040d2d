provider "aws" {
  region = var.region
}

locals {
  prefix = "orders-${var.environment}"
  tags   = { workload = "orders", environment = var.environment }
}

# --- order events: SNS -> SQS (+ dead-letter queue) ------------------------------------

resource "aws_sns_topic" "orders" {
  name              = "${local.prefix}-events"
  kms_master_key_id = aws_kms_alias.orders.name
}

module "orders_queue" {
  source = "./modules/queue"

  name        = "${local.prefix}-orders"
  kms_key_arn = aws_kms_key.orders.arn
  tags        = local.tags
}

resource "aws_sns_topic_subscription" "orders" {
  topic_arn = aws_sns_topic.orders.arn
  protocol  = "sqs"
  endpoint  = module.orders_queue.arn
}

resource "aws_sqs_queue_policy" "orders" {
  queue_url = module.orders_queue.url
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = module.orders_queue.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.orders.arn } }
    }]
  })
}

# --- invoice uploads: S3 -> SQS ------------------------------------------------------------

resource "aws_s3_bucket" "invoices" {
  bucket = "${local.prefix}-invoices"
}

module "invoice_uploads" {
  source = "./modules/queue"

  name        = "${local.prefix}-invoice-uploads"
  kms_key_arn = aws_kms_key.orders.arn
  tags        = local.tags
}

resource "aws_s3_bucket_notification" "invoices" {
  bucket = aws_s3_bucket.invoices.id
  queue {
    queue_arn = module.invoice_uploads.arn
    events    = ["s3:ObjectCreated:*"]
  }
}

# --- payments: the registry module on the same key -------------------------------------------

module "payments" {
  source  = "terraform-aws-modules/sqs/aws"
  version = "~> 4.2"

  name              = "${local.prefix}-payments"
  kms_master_key_id = aws_kms_key.orders.arn
  create_dlq        = true
  tags              = local.tags
}
