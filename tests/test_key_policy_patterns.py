"""AWS's own recommended key-policy patterns must come out exactly as RULES.md expects."""

from pathlib import Path

from fixture_scan import FIXTURES, scan_fixture


def findings(path: Path) -> list[tuple[str, str]]:
    report = scan_fixture(path)
    assert report.errors == []
    return [(f.rule_id, f.resource) for f in report.findings]


def test_console_default_key_policy_is_clean():
    # Root delegation, key administrators (Create* included, no crypto), key users, and
    # grants for AWS resources only: AWS's console default.
    assert findings(FIXTURES / "cloudformation" / "SQG203" / "good.yaml") == []


def test_aws_managed_key_pattern_and_deny_outside_org_are_clean():
    # {"AWS": "*"} pinned with kms:ViaService + kms:CallerAccount, and a wildcard Allow
    # restricted by a Deny to everyone outside the organisation.
    assert findings(FIXTURES / "cloudformation" / "SQG201" / "good.yaml") == []


def test_cdk_auto_created_queue_key_is_iam_only_and_not_rotated():
    assembly = FIXTURES / "cdk" / "default_key" / "cdk.out"
    rules = sorted(rule for rule, _ in findings(assembly) if not rule.startswith("SQG1"))
    assert rules == ["SQG204", "SQG301"]
