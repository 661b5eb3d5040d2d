"""ShopStack: a small shop backend, as CDK (Python), with what sqsguard finds in it.

Resources:

- ``OrdersKey``      a customer-managed KMS key (rotation on, alias ``alias/shop-orders``,
                     ownership tags). Good.
- ``OrdersQueue``    encrypted with ``OrdersKey``; messages that fail 5 times go to
- ``OrdersDlq``      its dead-letter queue, on the same key. Good.
- ``OrderEvents``    an SNS topic delivering to ``OrdersQueue`` (``SqsSubscription`` also
                     lets ``sns.amazonaws.com`` use ``OrdersKey``).
- ``PaymentsQueue``  ``KMS_MANAGED``: the AWS-managed key ``alias/aws/sqs``. Bad (SQG103).
- ``AuditQueue``     nothing set: AWS's default SSE-SQS, the SQS-owned key. Bad (SQG102).

The synthesized cloud assembly is in ``cdk.out/`` next to this file; sqsguard reads it
without running CDK. To regenerate it (needs aws-cdk-lib, no AWS account, no CDK CLI):

    /path/to/venv-with-aws-cdk-lib/bin/python tests/fixtures/cdk/synth.py examples/cdk
"""
from pathlib import Path

from aws_cdk import App, Duration, Environment, Stack, Tags
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct


class ShopStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        # Good: a customer-managed key with rotation, an alias and ownership tags.
        orders_key = kms.Key(
            self,
            "OrdersKey",
            description="Encrypts the shop's order messages",
            alias="alias/shop-orders",
            enable_key_rotation=True,
        )
        Tags.of(orders_key).add("owner", "shop-team")
        Tags.of(orders_key).add("workload", "orders")
        Tags.of(orders_key).add("data-sensitivity", "confidential")

        # Good: the orders queue and its dead-letter queue both use that key.
        orders_dlq = sqs.Queue(
            self,
            "OrdersDlq",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=orders_key,
            retention_period=Duration.days(14),
        )
        orders_queue = sqs.Queue(
            self,
            "OrdersQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=orders_key,
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=5, queue=orders_dlq),
        )

        # Order events fan out from SNS to the orders queue.
        order_events = sns.Topic(self, "OrderEvents")
        order_events.add_subscription(subscriptions.SqsSubscription(orders_queue))

        # Bad: the AWS-managed key alias/aws/sqs (SQG103).
        sqs.Queue(self, "PaymentsQueue", encryption=sqs.QueueEncryption.KMS_MANAGED)

        # Bad: nothing set, so AWS's default SSE-SQS with the SQS-owned key (SQG102).
        sqs.Queue(self, "AuditQueue")


app = App(outdir=str(Path(__file__).resolve().parent / "cdk.out"), analytics_reporting=False)
ShopStack(app, "ShopStack", env=Environment(account="123456789012", region="eu-west-1"))
app.synth()
