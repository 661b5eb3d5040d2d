"""The Terraform resource table: which resource types become which model objects, which of
their attributes are read, and which of those the rules judge (instances that differ in a
judged attribute are told apart). The HCL block selection (`KEEP`), the module evaluator, the
plan parser and the builder all read it; the types of producers, IAM resources and consumers
are listed by the modules that read them (`sources.py`, `iam.py`).
"""

from __future__ import annotations

from .hcl import KeepTest
from .iam import IAM_TYPES
from .sources import SOURCE_TYPES

QUEUE = "aws_sqs_queue"
KEY = "aws_kms_key"
ALIAS = "aws_kms_alias"
KEY_POLICY = "aws_kms_key_policy"
REDRIVE = "aws_sqs_queue_redrive_policy"
# Keys of other kinds read as keys (build.py), and the resources later stages read: producers,
# roles, policies, consumers and queue policies (their own modules list them).
OTHER_KEY_TYPES = frozenset({"aws_kms_external_key", "aws_kms_replica_key", "aws_kms_replica_external_key"})
OTHER_TYPES = OTHER_KEY_TYPES | SOURCE_TYPES | IAM_TYPES
MODEL_TYPES = frozenset({QUEUE, KEY, ALIAS, KEY_POLICY, REDRIVE}) | OTHER_TYPES
DATA_TYPES = frozenset({"aws_iam_policy_document", "aws_kms_key", "aws_kms_alias", "aws_region", "aws_caller_identity"})  # caller identity: its provider
ATTRIBUTES = {
    QUEUE: (
        "name",
        "sqs_managed_sse_enabled",
        "kms_master_key_id",
        "kms_data_key_reuse_period_seconds",
        "tags",
        "fifo_queue",
        "redrive_policy",
        "policy",
    ),
    KEY: (
        "policy",
        "enable_key_rotation",
        "is_enabled",
        "customer_master_key_spec",
        "key_usage",
        "bypass_policy_lockout_safety_check",
        "custom_key_store_id",
        "tags",
    ),
    ALIAS: ("name", "name_prefix", "target_key_id"),
    KEY_POLICY: ("key_id", "policy", "bypass_policy_lockout_safety_check"),
    REDRIVE: ("queue_url", "redrive_policy"),
}
# The settings rules judge: instances that differ in these are told apart by a Conditional.
JUDGED = {
    QUEUE: ("sqs_managed_sse_enabled", "kms_master_key_id", "kms_data_key_reuse_period_seconds"),
    KEY: ATTRIBUTES[KEY][:-1],
    ALIAS: ("name", "target_key_id"),
    KEY_POLICY: ATTRIBUTES[KEY_POLICY],
    REDRIVE: ATTRIBUTES[REDRIVE],
}
# Meta-arguments of resource blocks, and the further ones of module calls (`source`, `version`:
# a resource may have attributes of those names, such as a Pipe's `source`).
RESOURCE_META_ARGUMENTS = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle"})
META_ARGUMENTS = RESOURCE_META_ARGUMENTS | {"providers", "source", "version"}
# What the module evaluator reads of the blocks whose attributes it reads by name (the others
# are read whole): their other literal attributes are not even parsed.
# A function is read whole, but only its `role` is used (iam.py); a literal is the same in
# every instance, so leaving one out cannot change how instances are told apart.
READ = {rtype: frozenset(names) | RESOURCE_META_ARGUMENTS for rtype, names in {**ATTRIBUTES, "aws_lambda_function": ("role",)}.items()}
# Of a variable, its type, default and nullability are read (modules.py, variables.py); of an
# output, its value: descriptions are not parsed.
READ_BLOCKS = {"variable": frozenset({"type", "default", "nullable"}), "output": frozenset({"value"})}
KEEP = KeepTest(MODEL_TYPES, DATA_TYPES, READ, READ_BLOCKS)
# Roles, policies and functions matter only where something uses a queue as a principal: a
# module whose files name no event source mapping, no pipe and no `sqs:` action skips them
# (a role the scan does not read is never judged: its consumers stay silent).
DATA_FLOW_TOKENS = (b"aws_lambda_event_source_mapping", b"aws_pipes_pipe", b"sqs:")
PRINCIPAL_TYPES = IAM_TYPES - {"aws_sqs_queue_policy", "aws_lambda_event_source_mapping", "aws_pipes_pipe"}
KEEP_WITHOUT_PRINCIPALS = KeepTest(MODEL_TYPES - PRINCIPAL_TYPES, DATA_TYPES, READ, READ_BLOCKS)

KEY_TYPES = (KEY,) + tuple(sorted(OTHER_KEY_TYPES))
