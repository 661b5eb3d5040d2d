"""CloudFormation intrinsics, resolved statically."""

from sqsguard.model import Concat, Conditional, ResourceRef, Unresolved, render
from sqsguard.parsers.documents import load_yaml
from sqsguard.parsers.intrinsics import Resolver, show

TEMPLATE = """\
Parameters:
  WithDefault: {Type: String, Default: alias/orders}
  NoDefault: {Type: String}
  FromSsm: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /keys/orders}
  Names: {Type: CommaDelimitedList, Default: "a, b,c"}
  Number: {Type: Number, Default: 300}
Mappings:
  Keys:
    prod: {Arn: arn:aws:kms:eu-west-1:111122223333:key/prod}
Resources:
  Key: {Type: AWS::KMS::Key}
  Alias: {Type: AWS::KMS::Alias}
"""


def resolver(**given):
    return Resolver(load_yaml(TEMPLATE), "unit.yaml", given)


def value(expr, **given):
    return resolver(**given).resolve(load_yaml("v: " + expr)["v"])


def test_ref_parameter_default_and_override():
    assert value("!Ref WithDefault") == "alias/orders"
    assert value("!Ref WithDefault", WithDefault="alias/aws/sqs") == "alias/aws/sqs"
    assert value("!Ref Number") == "300"
    assert value("!Ref Names") == ["a", "b", "c"]


def test_ref_parameter_without_value_is_unresolved_and_says_how_to_fix():
    result = value("!Ref NoDefault")
    assert isinstance(result, Unresolved)
    assert result.expr == "!Ref NoDefault"
    assert "--parameter NoDefault=VALUE" in result.reason


def test_ssm_parameter_default_is_a_name_not_a_value():
    result = value("!Ref FromSsm")
    assert isinstance(result, Unresolved)
    assert "/keys/orders" in result.reason


def test_ref_and_getatt_of_resources():
    assert value("!Ref Key") == ResourceRef("unit.yaml", "Key", None, "!Ref Key")
    assert value("!GetAtt Key.Arn") == ResourceRef("unit.yaml", "Key", "Arn", "!GetAtt Key.Arn")
    assert value("{'Fn::GetAtt': [Key, Arn]}") == ResourceRef("unit.yaml", "Key", "Arn", "!GetAtt Key.Arn")
    assert isinstance(value("!GetAtt Missing.Arn"), Unresolved)
    assert isinstance(value("!Ref Missing"), Unresolved)


def test_pseudo_parameters_stay_symbolic_and_novalue_is_not_set():
    assert value("!Ref AWS::AccountId") == "${AWS::AccountId}"
    assert value("!Ref AWS::NoValue") is None


def test_sub_string_form():
    assert value('!Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/sqs"') == (
        "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/sqs"
    )
    assert value('!Sub "${WithDefault}"') == "alias/orders"
    assert value('!Sub "${!Literal}-x"') == "${Literal}-x"


def test_sub_list_form_and_references():
    assert value("!Sub ['${Name}/x', {Name: !Ref WithDefault}]") == "alias/orders/x"
    assert value('!Sub "${Key.Arn}"') == ResourceRef("unit.yaml", "Key", "Arn", "!GetAtt Key.Arn")
    mixed = value('!Sub "arn:aws:kms:eu-west-1:1:key/${Key}"')
    assert isinstance(mixed, Concat)
    assert render(mixed) == "arn:aws:kms:eu-west-1:1:key/${!Ref Key}"


def test_join_select_split_findinmap():
    assert value("!Join ['', [alias/, orders]]") == "alias/orders"
    assert value("!Join [':', [arn, !Ref AWS::Partition, kms]]") == "arn:${AWS::Partition}:kms"
    assert value("!Select [1, [a, b, c]]") == "b"
    assert value("!Select [0, !Split [',', 'x,y']]") == "x"
    assert value("!FindInMap [Keys, prod, Arn]") == "arn:aws:kms:eu-west-1:111122223333:key/prod"
    assert isinstance(value("!FindInMap [Keys, dev, Arn]"), Unresolved)


def test_if_keeps_both_branches_and_lifts_through_join():
    result = value("!If [IsProd, !GetAtt Key.Arn, !Ref AWS::NoValue]")
    assert isinstance(result, Conditional)
    assert result.condition == "IsProd"
    assert result.if_true == ResourceRef("unit.yaml", "Key", "Arn", "!GetAtt Key.Arn")
    assert result.if_false is None
    joined = value("!Join ['', [alias/, !If [C, a, b]]]")
    assert joined == Conditional("C", "alias/a", "alias/b")


def test_import_value_and_unknown_tags_are_unresolved():
    imported = value("!ImportValue shared-key")
    assert isinstance(imported, Unresolved)
    assert imported.expr == "!ImportValue shared-key"
    assert "another stack" in imported.reason
    assert isinstance(value("!Rain::Embed x.txt"), Unresolved)
    assert isinstance(value("!Base64 abc"), Unresolved)


def test_novalue_removes_list_items_and_keys():
    assert value("[a, !Ref AWS::NoValue, b]") == ["a", "b"]
    assert value("{A: !Ref AWS::NoValue, B: 1}") == {"B": 1}


def test_show_renders_short_forms():
    node = load_yaml("v: !If [C, !GetAtt K.Arn, !ImportValue X]")["v"]
    assert show(node) == "!If [C, !GetAtt K.Arn, !ImportValue X]"


CONDITIONAL = """\
Parameters:
  KeyArn: {Type: String, Default: ""}
  Stage: {Type: String}
Conditions:
  HasKey: !Not [!Equals [!Ref KeyArn, ""]]
  IsProd: !Equals [!Ref Stage, prod]
  ProdWithKey: !And [!Condition IsProd, !Condition HasKey]
Resources:
  Key: {Type: AWS::KMS::Key}
"""


def conditional(expr, **given):
    return Resolver(load_yaml(CONDITIONAL), "unit.yaml", given).resolve(load_yaml("v: " + expr)["v"])


def test_a_branch_that_contradicts_the_parameter_values_does_not_use_them():
    # Default "" means HasKey is false; when HasKey is true, KeyArn is something else, unknown.
    result = conditional("!If [HasKey, !Ref KeyArn, !Ref AWS::NoValue]")
    assert isinstance(result.if_true, Unresolved)
    assert "KeyArn" in result.if_true.reason and "HasKey is true" in result.if_true.reason
    assert result.if_false is None


def test_given_parameters_decide_which_branch_is_consistent():
    result = conditional("!If [HasKey, !Ref KeyArn, !Ref AWS::NoValue]", KeyArn="arn:aws:kms:eu-west-1:1:key/k")
    assert result.if_true == "arn:aws:kms:eu-west-1:1:key/k"
    assert result.if_false is None


def test_conditions_that_cannot_be_evaluated_keep_both_branches_as_written():
    result = conditional("!If [IsProd, !Ref KeyArn, alias/aws/sqs]")
    assert result == Conditional("IsProd", "", "alias/aws/sqs")
    nested = conditional("!If [ProdWithKey, !Ref KeyArn, x]")  # And(unknown, false) is false
    assert isinstance(nested.if_true, Unresolved) and nested.if_false == "x"
