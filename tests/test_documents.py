"""The YAML/JSON reader: positions, CloudFormation tags, safety."""

import pytest

from sqsguard.parsers.documents import Node, ParseError, load_json, load_yaml

TEMPLATE = """\
AWSTemplateFormatVersion: 2010-09-09
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      KmsMasterKeyId: !GetAtt Key.Arn
      Tags:
        - Key: team
          Value: !Sub "${AWS::StackName}-x"
  Key:
    Type: AWS::KMS::Key
"""


def test_positions_of_mappings_and_keys():
    doc = load_yaml(TEMPLATE)
    resources = doc["Resources"]
    assert isinstance(resources, Node)
    assert resources.span("Queue") == (3, 9)
    assert resources.span("Key") == (10, 11)
    props = resources["Queue"]["Properties"]
    assert props.span("KmsMasterKeyId") == (6, 6)
    assert props.span("Tags") == (7, 9)


def test_short_tags_become_long_form():
    doc = load_yaml(TEMPLATE)
    props = doc["Resources"]["Queue"]["Properties"]
    assert props["KmsMasterKeyId"] == {"Fn::GetAtt": ["Key", "Arn"]}
    assert props["Tags"][0]["Value"] == {"Fn::Sub": "${AWS::StackName}-x"}


def test_dates_stay_strings():
    assert load_yaml(TEMPLATE)["AWSTemplateFormatVersion"] == "2010-09-09"


def test_unknown_tags_are_kept_not_fatal():
    doc = load_yaml("a: !Rain::Embed file.txt\nb: !Custom [1, 2]\n")
    assert doc["a"] == {"!Rain::Embed": "file.txt"}
    assert doc["b"] == {"!Custom": [1, 2]}


def test_tagged_sequences_and_mappings():
    doc = load_yaml("a: !If [Cond, x, !Ref AWS::NoValue]\nb: !Sub\n  - '${A}'\n  - A: 1\n")
    assert doc["a"] == {"Fn::If": ["Cond", "x", {"Ref": "AWS::NoValue"}]}
    assert doc["b"] == {"Fn::Sub": ["${A}", {"A": 1}]}


def test_python_objects_are_never_constructed():
    with pytest.raises(ParseError):
        load_yaml("a: !!python/object/apply:os.system ['echo pwned']\n")


def test_yaml_error_names_the_line():
    with pytest.raises(ParseError) as caught:
        load_yaml("Resources:\n  Queue:\n    Type: [unclosed\n  Other: 1\n")
    assert caught.value.line is not None and caught.value.line >= 3
    assert "invalid YAML" in caught.value.message


def test_json_positions():
    text = '{\n  "Resources": {\n    "Queue": {\n\t"Type": "AWS::SQS::Queue"\n    }\n  }\n}\n'
    doc = load_json(text)
    assert doc["Resources"].span("Queue") == (3, 5)


def test_json_error_names_the_line():
    with pytest.raises(ParseError) as caught:
        load_json('{\n  "a": 1,\n  "b": \n}\n')
    assert caught.value.line == 4
    assert caught.value.message.startswith("invalid JSON")


def test_json_the_yaml_reader_cannot_read_falls_back_to_located_keys():
    text = '{\n  "Resources": {\n    "Q": {"Type": "AWS::SQS::Queue", "Properties": {"X": "\\ud83d\\ude00"}}\n  }\n}\n'
    doc = load_json(text)
    assert doc["Resources"]["Q"]["Properties"]["X"] == "\U0001F600"
    assert doc["Resources"].span("Q")[0] == 3


def test_a_yaml_alias_bomb_is_refused_quickly_with_its_line():
    import time

    import pytest

    from sqsguard.parsers.documents import ParseError, load_yaml

    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append("a%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10)))  # 10^9 nodes once expanded
    lines.append("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags: *a8")
    start = time.perf_counter()
    with pytest.raises(ParseError, match="YAML aliases expand it to more than 500,000 nodes") as caught:
        load_yaml("\n".join(lines) + "\n")
    assert caught.value.line == 7  # a5: the first list of aliases that expands past the limit
    assert time.perf_counter() - start < 5  # bounded: the nodes are counted, never expanded


def test_recursive_and_ordinary_aliases():
    import pytest

    from sqsguard.parsers.documents import ParseError, load_yaml

    with pytest.raises(ParseError):
        load_yaml("a: &a [1, *a]\n")
    data = load_yaml("common: &tags [{Key: owner, Value: team}]\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags: *tags\n")
    assert data["Resources"]["Q"]["Properties"]["Tags"] == [{"Key": "owner", "Value": "team"}]
