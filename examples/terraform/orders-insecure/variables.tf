variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "environment" {
  type    = string
  default = "dev"
}

# "The default key is fine for now."
variable "queue_kms_key" {
  type    = string
  default = "alias/aws/sqs"
}
