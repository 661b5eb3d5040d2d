"""sqsguard: shift-left checks for SQS queue encryption and KMS key policies in IaC."""

__version__ = "0.1.0"

HOMEPAGE = "https://github.com/sqsguard/sqsguard"
