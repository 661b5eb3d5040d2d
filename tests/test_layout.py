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
