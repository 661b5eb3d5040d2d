"""Rules know only the model: no resource type of any format, no format's name in a branch."""

from __future__ import annotations

import re
from pathlib import Path

RULES = Path(__file__).resolve().parents[1] / "src" / "sqsguard" / "rules"
SPELLINGS = re.compile(r"\baws_[a-z0-9]+_[a-z0-9_]+\b|AWS::[A-Za-z0-9]+::|Custom::|\bFormat\.|\.format\b")


def test_rules_name_no_resource_type_and_no_format():
    found = []
    for path in sorted(RULES.glob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in SPELLINGS.finditer(line):
                if match.group(0) in ("aws_managed_key",):
                    continue
                found.append("%s:%d: %s" % (path.name, number, match.group(0)))
    assert found == []


def test_prefilters_let_through_every_queue_and_key_type_of_the_tables():
    """The cheap text tests before parsing agree with the resource tables: a file or module
    that declares only a replica or external key is still read (and judged)."""
    from sqsguard.discover import worth_reading
    from sqsguard.parsers import cloudformation_resources as cloudformation
    from sqsguard.parsers.terraform import _RELEVANT
    from sqsguard.parsers.terraform.resources import KEY_TYPES, MODEL_TYPES, QUEUE

    terraform = {QUEUE, *KEY_TYPES}
    assert terraform <= MODEL_TYPES
    for rtype in terraform:
        assert worth_reading(b'{"resource_changes": [{"type": "%s"}]}' % rtype.encode()), rtype  # plan JSON
        assert _RELEVANT.search(b'resource "%s" "k" {}' % rtype.encode()), rtype
    for rtype, kind in cloudformation.TABLE.items():
        if kind in ("queue", "key"):
            assert worth_reading(b"Resources:\n  K:\n    Type: %s\n" % rtype.encode()), rtype
