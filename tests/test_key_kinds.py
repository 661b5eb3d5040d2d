"""Replica and external keys are keys: their policies are judged, queues using them link to them."""

from __future__ import annotations

from sqsguard.engine import scan
from sqsguard.options import Options


def _rows(path):
    report = scan([str(path)], Options(), jobs=1)
    assert report.errors == []
    return sorted((f.rule_id, f.resource) for f in report.findings)


def test_a_cloudformation_replica_key_open_to_everyone_is_sqg201(tmp_path):
    (tmp_path / "t.yaml").write_text(
        "Resources:\n  Replica:\n    Type: AWS::KMS::ReplicaKey\n    Properties:\n"
        "      PrimaryKeyArn: arn:aws:kms:us-east-1:111111111111:key/mrk-1\n"
        "      KeyPolicy:\n        Statement:\n          - Effect: Allow\n            Principal: '*'\n"
        "            Action: kms:*\n            Resource: '*'\n"
        "      Tags: [{Key: owner, Value: a}, {Key: workload, Value: b}, {Key: data-sensitivity, Value: c}]\n"
        "  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      KmsMasterKeyId: !GetAtt Replica.Arn\n"
    )
    rows = _rows(tmp_path / "t.yaml")
    assert ("SQG201", "Replica") in rows
    assert not any(rule in ("SQG104", "SQG301") for rule, _ in rows)  # linked; rotation follows the primary


def test_terraform_replica_and_external_keys_link_to_their_queues(tmp_path):
    (tmp_path / "main.tf").write_text(
        'resource "aws_kms_replica_key" "r" {\n  primary_key_arn = "arn:aws:kms:us-east-1:111111111111:key/mrk-1"\n}\n'
        'resource "aws_kms_external_key" "e" {\n}\n'
        'resource "aws_sqs_queue" "a" {\n  kms_master_key_id = aws_kms_replica_key.r.arn\n}\n'
        'resource "aws_sqs_queue" "b" {\n  kms_master_key_id = aws_kms_external_key.e.arn\n}\n'
    )
    rows = _rows(tmp_path)
    assert not any(rule == "SQG104" for rule, _ in rows)
    assert ("SQG204", "aws_kms_replica_key.r") in rows and ("SQG204", "aws_kms_external_key.e") in rows
    assert ("SQG301", "aws_kms_replica_key.r") not in rows


def test_keys_whose_material_kms_did_not_generate_are_not_asked_to_rotate(tmp_path):
    """KMS rotates automatically only key material it generated: not imported material
    (aws_kms_external_key, Origin EXTERNAL) and not keys in a custom key store."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_kms_external_key" "e" {\n}\n'
        'resource "aws_kms_key" "hsm" {\n  custom_key_store_id = "cks-1234567890abcdef0"\n}\n'
        'resource "aws_kms_key" "plain" {\n}\n'
    )
    assert [r for r in _rows(tmp_path) if r[0] == "SQG301"] == [("SQG301", "aws_kms_key.plain")]
    (tmp_path / "main.tf").unlink()
    (tmp_path / "t.yaml").write_text(
        "Resources:\n  Byok:\n    Type: AWS::KMS::Key\n    Properties:\n      Origin: EXTERNAL\n"
        "  Plain:\n    Type: AWS::KMS::Key\n    Properties:\n      Origin: AWS_KMS\n"
    )
    assert [r for r in _rows(tmp_path / "t.yaml") if r[0] == "SQG301"] == [("SQG301", "Plain")]


def test_a_custom_key_store_that_cannot_be_read_is_not_taken_for_one(tmp_path):
    """`custom_key_store_id = var.store` with no value (a partial checkout): the usual case, a key
    KMS generates, so rotation is judged."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_kms_key" "k" {\n  custom_key_store_id = var.store\n}\n'
        'variable "store" {\n  type = string\n}\n'
    )
    assert [r for r in _rows(tmp_path) if r[0] == "SQG301"] == [("SQG301", "aws_kms_key.k")]
