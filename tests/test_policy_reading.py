"""One reading for key, queue and identity policies: action lists per service, identity policies
evaluated from normalised statements, queue policies read for SQS actions at link time."""

from __future__ import annotations

from sqsguard import identity_policies
from sqsguard.engine import scan
from sqsguard.model import Concat, ResourceRef, Unresolved
from sqsguard.options import Options
from sqsguard.policy_analysis import Context, analyze

KEY = identity_policies.Target("u", "aws_kms_key.k", "kms")
QUEUE = identity_policies.Target("u", "aws_sqs_queue.q", "sqs", name="orders")


def _statements(*statements, service="kms"):
    (analysis,) = analyze({"Version": "2012-10-17", "Statement": list(statements)}, Context(), "", service)
    return analysis.statements


def test_allow_on_a_reference_or_a_wildcard_arn():
    ref = ResourceRef("u", "aws_kms_key.k", "arn", "aws_kms_key.k.arn")
    assert identity_policies.allows(_statements({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": ref}), "Decrypt", KEY) is True
    wildcard = {"Effect": "Allow", "Action": "kms:*", "Resource": "arn:aws:kms:*:*:key/*"}
    assert identity_policies.allows(_statements(wildcard), "GenerateDataKey", KEY) is True
    own = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"}
    assert identity_policies.allows(_statements(own), "Decrypt", KEY) is True  # this account's keys, any of them
    other = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:eu-west-1:111111111111:key/abc"}
    assert identity_policies.allows(_statements(other), "Decrypt", KEY) is False


def test_not_action_and_not_resource_are_complements():
    everything_but_kms = {"Effect": "Allow", "NotAction": "kms:*", "Resource": "*"}
    assert identity_policies.allows(_statements(everything_but_kms), "Decrypt", KEY) is False
    everything_but_iam = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert identity_policies.allows(_statements(everything_but_iam), "Decrypt", KEY) is True
    not_sqs = {"Effect": "Allow", "Action": "kms:Decrypt", "NotResource": "arn:aws:sqs:*:*:*"}
    assert identity_policies.allows(_statements(not_sqs), "Decrypt", KEY) is True
    not_keys = {"Effect": "Allow", "Action": "kms:Decrypt", "NotResource": "arn:aws:kms:*:*:key/*"}
    assert identity_policies.allows(_statements(not_keys), "Decrypt", KEY) is False


def test_deny_removes_only_without_conditions():
    allow = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}
    assert identity_policies.allows(_statements(allow, deny), "Decrypt", KEY) is False
    conditional = dict(deny, Condition={"Bool": {"aws:SecureTransport": "false"}})
    assert identity_policies.allows(_statements(allow, conditional), "Decrypt", KEY) is True


def test_unknown_parts_give_no_verdict():
    unknown_action = {"Effect": "Allow", "Action": Unresolved("var.action", "no value"), "Resource": "*"}
    assert identity_policies.allows(_statements(unknown_action), "Decrypt", KEY) is None
    unknown_resource = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": Concat(("arn:aws:kms:", Unresolved("var.r", "no value")))}
    assert identity_policies.allows(_statements(unknown_resource), "Decrypt", KEY) is None
    typo = {"Effect": "Allow", "Action": "kms:Decrpyt", "Resource": "*"}
    assert identity_policies.allows(_statements(typo), "Decrypt", KEY) is False  # AWS matches nothing


def test_named_targets_by_reference_or_name():
    ref = ResourceRef("u", "aws_sqs_queue.q", "arn", "aws_sqs_queue.q.arn")
    statements = _statements(
        {"Effect": "Allow", "Action": "sqs:Receive*", "Resource": ref},
        {"Effect": "Allow", "Action": ["sqs:ReceiveMessage"], "Resource": "arn:aws:sqs:eu-west-1:111111111111:orders"},
        {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
        service="sqs",
    )
    names = {"orders": ("u", "aws_sqs_queue.named")}
    assert identity_policies.named_targets(statements, "ReceiveMessage", names) == [("u", "aws_sqs_queue.q"), ("u", "aws_sqs_queue.named")]
    assert identity_policies.named_targets(statements, "SendMessage", names) == []


QUEUE_POLICY = """\
resource "aws_kms_key" "k" {
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Root"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
  tags = { owner = "orders", cost-center = "cc-1" }
}

data "aws_caller_identity" "current" {}

resource "aws_sqs_queue" "q" {
  name              = "orders"
  kms_master_key_id = aws_kms_key.k.arn
}

resource "aws_sqs_queue_policy" "p" {
  queue_url = aws_sqs_queue.q.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [%s]
  })
}
"""

PARTNER = 'Principal = { AWS = "arn:aws:iam::222222222222:root" }, Resource = aws_sqs_queue.q.arn'


def _sqg403(tmp_path, statements):
    (tmp_path / "main.tf").write_text(QUEUE_POLICY % statements)
    report = scan([str(tmp_path)], Options(), select=["SQG403"], jobs=1)
    assert report.errors == []
    return [f.message.split(" queue aws_sqs_queue.q")[0] for f in report.findings]


def test_queue_policy_actions_are_expanded_against_the_sqs_list(tmp_path):
    found = _sqg403(tmp_path, '{ Effect = "Allow", Action = "sqs:*", %s }' % PARTNER)
    assert found == ["The queue policy aws_sqs_queue_policy.p lets account 222222222222 (arn:aws:iam::222222222222:root) send to"]


def test_queue_policy_not_action_opens_what_it_does_not_name(tmp_path):
    found = _sqg403(tmp_path, '{ Effect = "Allow", NotAction = ["sqs:SendMessage"], %s }' % PARTNER)
    assert found == ["The queue policy aws_sqs_queue_policy.p lets account 222222222222 (arn:aws:iam::222222222222:root) receive from"]


def test_queue_policy_deny_takes_the_opening_back(tmp_path):
    statements = '{ Effect = "Allow", Action = "sqs:SendMessage", %s }, { Effect = "Deny", Action = "sqs:*", %s }' % (PARTNER, PARTNER)
    assert _sqg403(tmp_path, statements) == []


def test_queue_policy_for_other_services_opens_nothing(tmp_path):
    assert _sqg403(tmp_path, '{ Effect = "Allow", Action = "sns:Publish", %s }' % PARTNER) == []


def test_policies_are_read_at_link_time_and_kept(tmp_path):
    (tmp_path / "main.tf").write_text(QUEUE_POLICY % ('{ Effect = "Allow", Action = "sqs:SendMessage", %s }' % PARTNER))
    from sqsguard.discover import discover
    from sqsguard.engine import parse_all
    from sqsguard.link import link
    from sqsguard.model import Model

    targets, _ = discover([str(tmp_path)])
    model = Model()
    for outcome in parse_all(targets, Options(), 1):
        model.extend(outcome.model)
    link(model, Options())
    (policy,) = model.queue_policies
    ((analysis,),) = policy.analyses.values()
    assert analysis.service == "sqs" and [sorted(g.actions) for g in analysis.grants] == [["SendMessage"]]
    (key,) = model.keys
    assert [a.service for analyses in key.analyses.values() for a in analyses] == ["kms"]


def test_queue_policy_to_everyone_pinned_to_a_foreign_account_opens_it_to_that_account(tmp_path):
    pinned = ('{ Effect = "Allow", Action = "sqs:ReceiveMessage", Principal = "*", Resource = aws_sqs_queue.q.arn, '
              'Condition = { StringEquals = { "aws:PrincipalAccount" = "333333333333" } } }')
    assert _sqg403(tmp_path, pinned) == [
        "The queue policy aws_sqs_queue_policy.p lets account 333333333333 (*, pinned to that account by a condition) receive from"
    ]
    service = pinned.replace('Principal = "*"', 'Principal = { Service = "sns.amazonaws.com" }')
    assert _sqg403(tmp_path, service) == []  # a service in that account is SQG402's concern


SENDERS = """\
data "aws_caller_identity" "current" {}

resource "aws_kms_key" "k" {
  enable_key_rotation = true
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }, Action = "kms:*", Resource = "*" }]
  })
}

resource "aws_sqs_queue" "q" {
  kms_master_key_id = aws_kms_key.k.arn
}

resource "aws_iam_role" "api" {
  assume_role_policy = "{}"
  inline_policy {
    policy = jsonencode({ Version = "2012-10-17", Statement = [
      { Effect = "Allow", Action = "sqs:SendMessage", Resource = aws_sqs_queue.q.arn },
      { Effect = "Allow", Action = "kms:*", Resource = "*" },
      { Effect = "Deny", Action = "kms:Decrypt", Resource = "*" },
    ] })
  }
}

resource "aws_iam_user" "smoke" {
  name = "smoke"
}

resource "aws_iam_user_policy" "smoke" {
  user = aws_iam_user.smoke.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = ["sqs:SendMessage", "kms:GenerateDataKey"], Resource = [aws_sqs_queue.q.arn, aws_kms_key.k.arn] },
  ] })
}
"""


def test_sender_messages_say_who_lacks_what_and_which_side(tmp_path):
    (tmp_path / "main.tf").write_text(SENDERS)
    report = scan([str(tmp_path)], Options(), select=["SQG405"], jobs=1)
    (finding,) = report.findings
    assert finding.message.startswith(
        "Role aws_iam_role.api (allowed sqs:SendMessage by its IAM policy) sends to queue aws_sqs_queue.q, encrypted "
        "with key aws_kms_key.k, but aws_iam_role.api cannot kms:Decrypt with the key: the key policy leaves the key "
        "to IAM, and a Deny statement in the IAM policy of aws_iam_role.api removes kms:Decrypt on it"
    )
    assert finding.message.endswith(
        "Also: user aws_iam_user.smoke (allowed sqs:SendMessage by its IAM policy) lacks kms:Decrypt (its IAM policy)."
    )
