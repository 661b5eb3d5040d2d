"""What other tools need to know about the catalog to host sqsguard's rules: which resource
types each rule's findings attach to in Terraform and CloudFormation, and where its
documentation lives. The Checkov plugin reads this as `checkov_plugin/catalog.jsondata` (JSON; not named `.json`, because Checkov reads every `.json` and `.yaml` file of an external-checks folder as a custom policy) (it runs in
Checkov's environment, where sqsguard cannot be imported); `python -m sqsguard.integrations`
writes that file, and a test keeps it in step with the catalog.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import HOMEPAGE, __version__

# Which kind of model object a family's findings attach to (RULES.md, "Where a finding attaches").
FAMILY_KINDS = {
    "scan": ("queue", "key"),  # SQG0xx: at the suppression, which sits on a queue or a key
    "queue-encryption": ("queue",),
    "data-flow": ("queue",),
    "cost": ("queue",),
    "key-policy": ("key",),
    "key-hygiene": ("key",),
}
RESOURCE_TYPES = {
    "terraform": {
        "queue": ("aws_sqs_queue",),
        "key": ("aws_kms_key", "aws_kms_external_key", "aws_kms_replica_key", "aws_kms_replica_external_key", "aws_kms_key_policy"),
    },
    "cloudformation": {
        "queue": ("AWS::SQS::Queue",),
        "key": ("AWS::KMS::Key", "AWS::KMS::ReplicaKey"),
    },
}
PLUGIN_CATALOG = Path(__file__).resolve().parents[2] / "checkov_plugin" / "catalog.jsondata"


def documentation_url(path_name: str) -> str:
    return "%s/blob/main/rules/%s" % (HOMEPAGE, path_name)


def resource_types(family: str, fmt: str) -> list[str]:
    return [t for kind in FAMILY_KINDS[family] for t in RESOURCE_TYPES[fmt][kind]]


def checkov_catalog() -> dict:
    from .catalog import load_catalog
    from .engine import rules_run

    done = rules_run()
    rules = []
    for entry in load_catalog().values():
        if not entry.checkov_id:
            continue
        rules.append(
            {
                "id": entry.id,
                "checkov_id": entry.checkov_id,
                "slug": entry.slug,
                "title": entry.title,
                "severity": entry.severity,
                "family": entry.family,
                "implemented": entry.id in done,
                "guideline": documentation_url(entry.path.name),
                "terraform": resource_types(entry.family, "terraform") if "terraform" in entry.formats else [],
                "cloudformation": resource_types(entry.family, "cloudformation")
                if {"cloudformation", "cdk"} & set(entry.formats)
                else [],
            }
        )
    return {"sqsguard_version": __version__, "rules": rules}


def checkov_catalog_text() -> str:
    return json.dumps(checkov_catalog(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # pragma: no cover - the maintainers' command
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else PLUGIN_CATALOG
    target.write_text(checkov_catalog_text(), encoding="utf-8")
    print("wrote %s" % target)
