"""The one place a queue's encryption is decided, exercised through the model."""

from sqsguard.link import link
from sqsguard.model import (
    Alias,
    Attr,
    Conditional,
    Encryption,
    Format,
    Key,
    Location,
    Model,
    Queue,
    ResourceRef,
    Unresolved,
    is_aws_managed_sqs_key,
)

LOC = Location("f", 1, 1)


def attr(name, value, text=None):
    return Attr(name, value, text or str(value), LOC)


def queue(sse=None, key=None, conflicts_when="true", unit="u"):
    return Queue(
        address="q",
        resource_type="AWS::SQS::Queue",
        format=Format.CLOUDFORMATION,
        location=LOC,
        unit=unit,
        sse=attr("SqsManagedSseEnabled", sse) if sse is not None else None,
        kms_key=attr("KmsMasterKeyId", key) if key is not None else None,
        sse_conflicts_when=conflicts_when,
    )


def judged(*queues, keys=(), aliases=()):
    model = Model(queues=list(queues), keys=list(keys), aliases=list(aliases))
    link(model)
    return [q.encryption for q in model.queues]


def a_key(address="k", unit="u"):
    return Key(address=address, resource_type="AWS::KMS::Key", format=Format.CLOUDFORMATION, location=LOC, unit=unit)


def test_aws_managed_key_spellings():
    for text in (
        "alias/aws/sqs",
        "arn:aws:kms:us-east-1:123456789012:alias/aws/sqs",
        "arn:aws-cn:kms:cn-north-1:123456789012:alias/aws/sqs",
        "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/sqs",
        " alias/aws/sqs ",
    ):
        assert is_aws_managed_sqs_key(text), text
    for text in ("alias/aws/sqs-custom", "alias/orders", "alias/aws/sns", "arn:aws:kms:us-east-1:1:key/abc"):
        assert not is_aws_managed_sqs_key(text), text


def test_nothing_set_is_sqs_owned_by_default():
    (choice,) = judged(queue())
    assert choice.mode is Encryption.SQS_OWNED and not choice.explicit


def test_flag_values():
    assert judged(queue(sse=True))[0].mode is Encryption.SQS_OWNED
    assert judged(queue(sse=True))[0].explicit
    assert judged(queue(sse=False))[0].mode is Encryption.NONE
    assert judged(queue(sse="False"))[0].mode is Encryption.NONE
    unknown = judged(queue(sse=Unresolved("!Ref Flag", "no default")))[0]
    assert unknown.mode is Encryption.SQS_OWNED and "!Ref Flag" in unknown.reason


def test_key_in_scan_by_ref_and_through_alias():
    key = a_key()
    alias = Alias(
        address="a", resource_type="AWS::KMS::Alias", format=Format.CLOUDFORMATION, location=LOC, unit="u",
        name=attr("AliasName", "alias/orders"), target=attr("TargetKeyId", ResourceRef("u", "k", None, "!Ref k")),
    )
    by_ref = queue(key=ResourceRef("u", "k", "Arn", "!GetAtt k.Arn"))
    by_alias_ref = queue(key=ResourceRef("u", "a", None, "!Ref a"))
    by_alias_name = queue(key="alias/orders")
    by_alias_arn = queue(key="arn:aws:kms:eu-west-1:111122223333:alias/orders")
    for choice in judged(by_ref, by_alias_ref, by_alias_name, by_alias_arn, keys=[key], aliases=[alias]):
        assert choice.mode is Encryption.CUSTOMER_KEY
        assert choice.key_address == "k" and not choice.external
    assert key.aliases == ["alias/orders"]


def test_literal_key_outside_the_scan_is_external():
    (choice,) = judged(queue(key="arn:aws:kms:eu-west-1:111122223333:key/abcd"))
    assert choice.mode is Encryption.CUSTOMER_KEY and choice.external


def test_reference_to_something_that_is_not_a_key_is_unresolved():
    (choice,) = judged(queue(key=ResourceRef("u", "missing", "Arn", "!GetAtt missing.Arn")))
    assert choice.mode is Encryption.UNRESOLVED


def test_weakest_known_branch_wins():
    key = a_key()
    cond = Conditional("UseCmk", ResourceRef("u", "k", "Arn", "!GetAtt k.Arn"), "alias/aws/sqs")
    (choice,) = judged(queue(key=cond), keys=[key])
    assert choice.mode is Encryption.AWS_MANAGED
    assert choice.when == "UseCmk is false"


def test_unresolved_branch_only_when_no_branch_is_weak():
    key = a_key()
    cond = Conditional("C", ResourceRef("u", "k", "Arn", "x"), Unresolved("!ImportValue X", "import"))
    assert judged(queue(key=cond), keys=[key])[0].mode is Encryption.UNRESOLVED
    cond = Conditional("C", Unresolved("!ImportValue X", "import"), None)
    assert judged(queue(key=cond))[0].mode is Encryption.SQS_OWNED


def test_correlated_conditions_are_judged_together():
    # The same condition on both settings: never "flag true and key set" at once.
    key = a_key()
    q = queue(
        sse=Conditional("C", None, True),
        key=Conditional("C", ResourceRef("u", "k", "Arn", "x"), None),
    )
    (choice,) = judged(q, keys=[key])
    assert choice.mode is Encryption.SQS_OWNED
    assert not any(c.sse_conflict for c in q.choices)


def test_conflict_semantics_per_format():
    key = a_key()
    ref = ResourceRef("u", "k", "Arn", "x")
    cfn_true, cfn_false = queue(sse=True, key=ref), queue(sse=False, key=ref)
    tf_false = queue(sse=False, key=ref, conflicts_when="set")
    judged(cfn_true, cfn_false, tf_false, keys=[key])
    assert [any(c.sse_conflict for c in q.choices) for q in (cfn_true, cfn_false, tf_false)] == [True, False, True]
    assert cfn_true.encryption.mode is Encryption.CUSTOMER_KEY
