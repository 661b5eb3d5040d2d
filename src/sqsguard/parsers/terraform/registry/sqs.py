"""`terraform-aws-modules/sqs/aws`, modelled from its `main.tf` / `variables.tf` (v4/v5;
Apache-2.0): what a call creates, and its outputs.

It creates `aws_sqs_queue.this` and, with `create_dlq`, `aws_sqs_queue.dlq`.
`sqs_managed_sse_enabled` defaults to true and the module sends it only when
`kms_master_key_id` is null (`var.kms_master_key_id != null ? null : var.sqs_managed_sse_enabled`),
so a call can never produce SQG105. The DLQ takes `dlq_kms_master_key_id`, else the queue's
`kms_master_key_id`; `dlq_sqs_managed_sse_enabled` (default true) applies when neither is set.
`create_queue_policy` adds `aws_sqs_queue_policy.this` from `queue_policy_statements` (and
`create_dlq_queue_policy` one for the DLQ). Outputs `queue_*` and `dead_letter_queue_*` are
references to the queues.
"""

from __future__ import annotations

from typing import Any

from ..drafts import Draft, DraftAttr
from ..values import lift
from .base import RegistryModule, coalesce, maybe_set


class SqsModule(RegistryModule):
    source_name = "terraform-aws-modules/sqs/aws"

    def outputs(self, name: str, text: str) -> Any:
        for prefix, queue in (("dead_letter_queue_", "aws_sqs_queue.dlq"), ("queue_", "aws_sqs_queue.this")):
            if name.startswith(prefix):
                attribute = name[len(prefix) :]
                attribute = {"arn_static": "arn"}.get(attribute, attribute)
                return self.ref(queue, attribute, text)
        return None

    def create(self) -> list[Draft]:
        key = self.value("kms_master_key_id")
        sse_input = self.value("sqs_managed_sse_enabled", True)
        sse = lift(key, lambda k: None if k is not None else sse_input)
        attrs: dict[str, DraftAttr] = {}
        if key is not None:
            attrs["kms_master_key_id"] = self.attr("kms_master_key_id", key)
        if maybe_set(sse):
            attrs["sqs_managed_sse_enabled"] = self.attr("sqs_managed_sse_enabled", sse, "true (the default of module %s)" % self.source)
        reuse = self.value("kms_data_key_reuse_period_seconds")
        if reuse is not None:
            attrs["kms_data_key_reuse_period_seconds"] = self.attr("kms_data_key_reuse_period_seconds", reuse)
        tags = self.value("tags", {})
        attrs["tags"] = self.attr("tags", tags if tags is not None else {}, "")
        fifo = self.value("fifo_queue", False)
        attrs["fifo_queue"] = self.attr("fifo_queue", fifo, "")
        create_dlq = self.value("create_dlq", False)
        drafts = []
        if create_dlq is not False and create_dlq is not None:
            attrs["redrive_policy"] = DraftAttr(
                {"deadLetterTargetArn": self.ref("aws_sqs_queue.dlq", "arn", self.address + ".aws_sqs_queue.dlq.arn")},
                "",
                self.location,
            )
        elif self.given("redrive_policy"):
            attrs["redrive_policy"] = self.attr("redrive_policy", self.value("redrive_policy"))
        drafts.append(Draft("aws_sqs_queue", self.address + ".aws_sqs_queue.this", self.unit, self.location, attrs))
        if create_dlq is not False and create_dlq is not None:
            drafts.append(self._dlq(key, sse_input, reuse, tags))
        if self.value("create_queue_policy", False) is True:
            drafts.append(self._queue_policy("this", "queue_policy_statements", "source_queue_policy_documents", "override_queue_policy_documents"))
        if create_dlq is True and self.value("create_dlq_queue_policy", False) is True:
            drafts.append(self._queue_policy("dlq", "dlq_queue_policy_statements", "source_dlq_queue_policy_documents", "override_dlq_queue_policy_documents"))
        return drafts

    def _dlq(self, key: Any, sse_input: Any, reuse: Any, tags: Any) -> Draft:
        dlq_key_given = self.value("dlq_kms_master_key_id")
        dlq_key = coalesce(dlq_key_given, key)
        dlq_sse_given = self.value("dlq_sqs_managed_sse_enabled", True)
        dlq_sse_input = coalesce(dlq_sse_given, sse_input)
        dlq_sse = lift(dlq_key, lambda k: None if k is not None else dlq_sse_input)
        key_input = "dlq_kms_master_key_id" if dlq_key_given is not None else "kms_master_key_id"
        sse_name = "dlq_sqs_managed_sse_enabled" if dlq_sse_given is not None else "sqs_managed_sse_enabled"
        attrs: dict[str, DraftAttr] = {}
        if dlq_key is not None:
            attrs["kms_master_key_id"] = self.attr(key_input, dlq_key)
        if maybe_set(dlq_sse):
            attrs["sqs_managed_sse_enabled"] = self.attr(sse_name, dlq_sse, "true (the default of module %s)" % self.source)
        dlq_reuse = coalesce(self.value("dlq_kms_data_key_reuse_period_seconds"), reuse)
        if dlq_reuse is not None:
            name = "dlq_kms_data_key_reuse_period_seconds" if self.given("dlq_kms_data_key_reuse_period_seconds") else "kms_data_key_reuse_period_seconds"
            attrs["kms_data_key_reuse_period_seconds"] = self.attr(name, dlq_reuse)
        dlq_tags = self.value("dlq_tags", {})
        merged = dict(tags) if isinstance(tags, dict) else {}
        if isinstance(dlq_tags, dict):
            merged.update(dlq_tags)
        attrs["tags"] = DraftAttr(merged, "", self.location)
        attrs["fifo_queue"] = DraftAttr(self.value("fifo_queue", False), "", self.location)
        names = {
            "sse": sse_name,
            "kms_key": "dlq_kms_master_key_id",
            "data_key_reuse": "dlq_kms_data_key_reuse_period_seconds",
        }
        return Draft("aws_sqs_queue", self.address + ".aws_sqs_queue.dlq", self.unit, self.location, attrs, names=names)

    def _queue_policy(self, queue: str, statements_input: str, source_input: str, override_input: str) -> Draft:
        policy = self.document(
            [],
            statements_input,
            source_input,
            override_input,
            default_resources=[self.ref("aws_sqs_queue.%s" % queue, "arn", "%s.aws_sqs_queue.%s.arn" % (self.address, queue))],
        )
        attrs = {
            "queue_url": DraftAttr(self.ref("aws_sqs_queue.%s" % queue, "url", "%s.aws_sqs_queue.%s.url" % (self.address, queue)), "", self.location),
            "policy": self.attr(statements_input, policy, ""),
        }
        return Draft("aws_sqs_queue_policy", "%s.aws_sqs_queue_policy.%s" % (self.address, queue), self.unit, self.location, attrs)
