"""The policy analyzer (key policies mostly): principals, actions, conditions, Deny — and its invariants."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from sqsguard import actions
from sqsguard.model import OWN_ACCOUNT, ResourceRef
from sqsguard.policy_analysis import Context, account_of, analyze

ROOT = "arn:aws:iam::%s:root" % OWN_ACCOUNT
CTX = Context(own_accounts=frozenset({"111111111111"}), trusted_accounts=frozenset({"999999999999"}))


def stmt(principal, action, effect="Allow", condition=None, sid=None, not_principal=False, not_action=False):
    s = {"Effect": effect, "Resource": "*"}
    s["NotPrincipal" if not_principal else "Principal"] = principal
    s["NotAction" if not_action else "Action"] = action
    if condition:
        s["Condition"] = condition
    if sid:
        s["Sid"] = sid
    return s


def grants(*statements, context=CTX):
    (analysis,) = analyze({"Version": "2012-10-17", "Statement": list(statements)}, context)
    return analysis.grants


def test_action_expansion():
    assert actions.expand("kms:*")[0] == actions.KMS_ALL
    assert actions.expand("*")[0] == actions.KMS_ALL
    assert actions.expand("KMS:decrypt") == (frozenset({"Decrypt"}), True)
    assert actions.expand("kms:ReEncrypt*")[0] == {"ReEncryptFrom", "ReEncryptTo"}
    assert actions.expand("kms:*Grant")[0] == {"CreateGrant", "RetireGrant", "RevokeGrant"}
    assert actions.expand("kms:GenerateDataKey*")[0] == {
        "GenerateDataKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext"
    }
    assert actions.expand("sqs:SendMessage") == (frozenset(), True)
    assert actions.expand("kms:Decrpyt") == (frozenset(), False)  # a typo is noticed
    assert len(actions.KMS_ALL) == 58
    assert "CreateGrant" in actions.KMS_ADMIN and "PutKeyPolicy" in actions.KMS_ADMIN
    assert "DescribeKey" not in actions.KMS_ADMIN | actions.KMS_CRYPTO


def test_sqs_action_expansion():
    assert len(actions.everything("sqs")) == 20  # the batch operations are authorised as the single ones
    assert actions.expand("sqs:*", "sqs")[0] == actions.everything("sqs")
    assert actions.expand("*", "sqs")[0] == actions.everything("sqs")
    assert actions.expand("SQS:sendmessage", "sqs") == (frozenset({"SendMessage"}), True)
    assert actions.expand("sqs:*Message", "sqs")[0] == {"SendMessage", "ReceiveMessage", "DeleteMessage"}
    assert actions.expand("sqs:SendMessageBatch", "sqs") == (frozenset(), False)  # not an IAM action
    assert actions.expand("kms:Decrypt", "sqs") == (frozenset(), True)


def test_a_queue_policy_is_read_for_sqs_actions():
    (analysis,) = analyze(
        {"Statement": [stmt({"AWS": "arn:aws:iam::222222222222:root"}, "sqs:Send*"),
                       stmt({"AWS": "arn:aws:iam::333333333333:root"}, ["sqs:DeleteQueue"], not_action=True)]},
        CTX,
        service="sqs",
    )
    assert analysis.service == "sqs"
    assert [sorted(g.actions) for g in analysis.grants][0] == ["SendMessage"]
    assert "ReceiveMessage" in analysis.grants[1].actions and "DeleteQueue" not in analysis.grants[1].actions
    assert [g.principal.account for g in analysis.grants] == ["222222222222", "333333333333"]


def test_not_action_is_the_complement():
    (grant,) = grants(stmt({"AWS": ROOT}, "kms:Decrypt", not_action=True))
    assert "Decrypt" not in grant.actions and "PutKeyPolicy" in grant.actions


def test_principal_classes():
    found = grants(
        stmt("*", "kms:Decrypt"),
        stmt({"AWS": ["111111111111", "arn:aws:iam::222222222222:root", "arn:aws:iam::111111111111:role/app"]}, "kms:Decrypt"),
        stmt({"Service": "sns.amazonaws.com"}, "kms:Decrypt"),
        stmt({"AWS": ResourceRef("u", "AppRole", "Arn", "!GetAtt AppRole.Arn")}, "kms:Decrypt"),
        stmt({"AWS": ROOT}, "kms:*"),
    )
    kinds = [(g.principal.kind, g.principal.account) for g in found]
    assert kinds == [
        ("wildcard", None), ("root", "<own>"), ("root", "222222222222"), ("iam", "<own>"),
        ("service", None), ("iam", "<own>"), ("root", "<own>"),
    ]


def test_account_of():
    assert account_of("arn:aws:iam::123456789012:role/x") == "123456789012"
    assert account_of("arn:${AWS::Partition}:iam::${AWS::AccountId}:root") == "<own>"
    assert account_of("123456789012") == "123456789012"


def scope_of(condition, principal="*"):
    (grant,) = grants(stmt(principal, "kms:Decrypt", condition=condition))
    return grant.scope


def test_conditions_that_constrain():
    assert scope_of({"StringEquals": {"kms:CallerAccount": "111111111111"}}).constrains
    assert scope_of({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}).constrains
    assert scope_of({"StringLike": {"aws:PrincipalOrgPaths": "o-abc123/r-ab12/ou-ab12-11111111/*"}}).constrains
    assert scope_of({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/app-*"}}).constrains
    assert scope_of({"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::my-bucket"}}).constrains
    assert scope_of({"StringEquals": {"AWS:SourceAccount": "111111111111"}}).source


def test_conditions_that_do_not_constrain():
    for condition in (
        {"StringEqualsIfExists": {"kms:CallerAccount": "111111111111"}},
        {"StringEquals": {"aws:PrincipalOrgID": "*"}},
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}},
        {"StringNotEquals": {"kms:CallerAccount": "111111111111"}},
        {"StringEquals": {"kms:ViaService": "sqs.eu-west-1.amazonaws.com"}},
        {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
        {"StringEquals": {"aws:PrincipalAccount": "${aws:username}"}},
        {"Null": {"aws:PrincipalOrgID": "false"}},
    ):
        assert not scope_of(condition).constrains, condition


def test_deny_subtracts_and_deny_outside_org_constrains():
    (grant,) = grants(stmt({"AWS": ROOT}, "kms:*"), stmt("*", "kms:ScheduleKeyDeletion", effect="Deny"))
    assert "ScheduleKeyDeletion" not in grant.actions
    found = grants(
        stmt("*", "kms:Decrypt"),
        stmt("*", "kms:*", effect="Deny", condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
    )
    assert [g.scope.org for g in found] == [True]
    # A conditional Deny that is not a negated pin subtracts nothing.
    (grant,) = grants(stmt("*", "kms:Decrypt"), stmt("*", "kms:Decrypt", effect="Deny", condition={"Bool": {"aws:SecureTransport": "false"}}))
    assert grant.actions == {"Decrypt"} and not grant.scope.constrains


def test_not_principal_with_allow_is_a_wildcard():
    (grant,) = grants(stmt({"AWS": "arn:aws:iam::111111111111:role/x"}, "kms:Decrypt", not_principal=True))
    assert grant.principal.kind == "wildcard"


def test_no_policy_is_the_aws_default():
    (analysis,) = analyze(None, CTX)
    assert analysis.is_default
    assert [g.principal.is_own_root for g in analysis.grants] == [True]


def test_json_string_and_conditional_policies():
    import json

    text = json.dumps({"Statement": [stmt("*", "kms:Decrypt")]})
    (analysis,) = analyze(text, CTX)
    assert analysis.grants[0].principal.kind == "wildcard"
    from sqsguard.model import Conditional

    both = analyze({"Statement": [Conditional("Open", stmt("*", "kms:Decrypt"), stmt({"AWS": ROOT}, "kms:*"))]}, CTX)
    assert [a.when for a in both] == ["Open is true", "Open is false"]


# --- properties -------------------------------------------------------------------------------

PRINCIPALS = st.sampled_from(
    ["*", {"AWS": "*"}, {"AWS": ROOT}, {"AWS": "arn:aws:iam::222222222222:root"},
     {"AWS": "arn:aws:iam::111111111111:role/app"}, {"Service": "sns.amazonaws.com"}]
)
ACTIONS = st.lists(
    st.sampled_from(["kms:*", "kms:Decrypt", "kms:GenerateDataKey*", "kms:Create*", "kms:PutKeyPolicy", "kms:Describe*", "*"]),
    min_size=1, max_size=3,
)
CONSTRAINING = st.sampled_from(
    [
        {"StringEquals": {"kms:CallerAccount": "111111111111"}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
        {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:eu-west-1:111111111111:topic"}},
    ]
)
STATEMENTS = st.lists(
    st.builds(lambda p, a, e: stmt(p, a, effect=e), PRINCIPALS, ACTIONS, st.sampled_from(["Allow", "Allow", "Deny"])),
    min_size=1, max_size=5,
)


def permissions(statements):
    (analysis,) = analyze({"Statement": statements}, CTX)
    return {(g.principal.kind, g.principal.text, a) for g in analysis.grants for a in g.actions}


def rule_hits(statements):
    from sqsguard.model import Attr, Format, Key, Location, Model
    from sqsguard.options import Options
    from sqsguard.rules import implemented

    key = Key(address="k", resource_type="AWS::KMS::Key", format=Format.CLOUDFORMATION,
              location=Location("f", 1, 1), unit="u",
              policy=Attr("KeyPolicy", {"Statement": copy.deepcopy(statements)}, "", Location("f", 1, 1)))
    model = Model(keys=[key])
    options = Options(own_accounts=frozenset({"111111111111"}))
    rules = implemented()
    return {rid for rid in ("SQG201", "SQG202", "SQG203", "SQG206", "SQG207") if list(rules[rid](model, options))}


@settings(max_examples=150, deadline=None)
@given(STATEMENTS, PRINCIPALS, ACTIONS)
def test_adding_a_deny_never_adds_permissions(statements, principal, actions):
    before = permissions(statements)
    after = permissions(statements + [stmt(principal, actions, effect="Deny")])
    assert after <= before


@settings(max_examples=150, deadline=None)
@given(STATEMENTS, st.data())
def test_adding_a_constraining_condition_never_adds_a_public_finding(statements, data):
    # To an Allow statement: a condition on a Deny narrows the Deny, which may well widen access.
    allows = [i for i, s in enumerate(statements) if s["Effect"] == "Allow"]
    if not allows:
        return
    index = data.draw(st.sampled_from(allows))
    condition = data.draw(CONSTRAINING)
    changed = copy.deepcopy(statements)
    changed[index]["Condition"] = condition
    assert not ("SQG201" in rule_hits(changed) and "SQG201" not in rule_hits(statements))


@settings(max_examples=100, deadline=None)
@given(STATEMENTS, st.randoms(use_true_random=False))
def test_statement_order_changes_nothing(statements, rnd):
    shuffled = list(statements)
    rnd.shuffle(shuffled)
    assert permissions(shuffled) == permissions(statements)
    assert rule_hits(shuffled) == rule_hits(statements)


@settings(max_examples=150, deadline=None)
@given(STATEMENTS, PRINCIPALS, ACTIONS)
def test_adding_a_deny_never_adds_a_too_wide_finding(statements, principal, actions):
    before = rule_hits(statements)
    after = rule_hits(statements + [stmt(principal, actions, effect="Deny")])
    assert after <= before


def test_statements_that_cannot_be_read_stop_rules_about_what_is_missing():
    from sqsguard.model import Attr, Format, Key, Location, Model, Unresolved
    from sqsguard.options import Options
    from sqsguard.rules import implemented

    policy = {"Statement": [stmt({"AWS": ROOT}, "kms:Decrypt"), Unresolved("dynamic \"statement\"", "for_each is not known")]}
    (analysis,) = analyze(policy, CTX)
    assert analysis.unknown_statements == ["${dynamic \"statement\"}"]
    key = Key(address="k", resource_type="aws_kms_key", format=Format.TERRAFORM, location=Location("f", 1, 1),
              unit="u", policy=Attr("policy", policy, "", Location("f", 1, 1)))
    rules = implemented()
    assert list(rules["SQG205"](Model(keys=[key]), Options())) == []  # no PutKeyPolicy known, but maybe granted
    assert list(rules["SQG204"](Model(keys=[key]), Options())) == []


def test_unresolved_tags_are_neither_a_pass_nor_a_failure():
    from sqsguard.model import Format, Key, Location, Model, Unresolved
    from sqsguard.options import Options
    from sqsguard.rules import implemented

    key = Key(address="k", resource_type="aws_kms_key", format=Format.TERRAFORM, location=Location("f", 1, 1),
              unit="u", tags=Unresolved("merge(var.tags, {})", "var.tags has no value"))
    assert list(implemented()["SQG302"](Model(keys=[key]), Options())) == []
