"""The wheel carries the rule catalog and the integrations: built and installed in a fresh venv
(the `installed` fixture, in conftest.py), used there."""

from __future__ import annotations

import subprocess
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_the_catalog(installed):
    import zipfile

    work, _ = installed
    (wheel,) = (work / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "sqsguard/_catalog/SQG103-queue-aws-managed-key.md" in names
    assert "sqsguard/_catalog/catalog.schema.json" in names
    assert "sqsguard/report/report-v1.schema.json" in names
    assert "sqsguard/report/inventory-v1.schema.json" in names
    assert "sqsguard/config.schema.json" in names
    assert "sqsguard/_checkov_plugin/sqsguard_checkov.py" in names
    assert "sqsguard/_checkov_plugin/catalog.jsondata" in names
    assert "sqsguard/_checkov_plugin/__init__.py" in names
    import json

    from sqsguard.catalog import compile_catalog

    compiled = json.loads(zipfile.ZipFile(wheel).read("sqsguard/_catalog.json"))
    assert compiled == json.loads(json.dumps(compile_catalog(ROOT / "rules")))  # built from rules/ as they are


def test_the_installed_catalog_is_read_from_its_compiled_json(installed):
    work, bindir = installed
    code = ("import sys, sqsguard.catalog as c; entries = c.load_catalog(); "
            "print(len(entries), 'yaml' in sys.modules, entries['SQG501'].slug, len(entries['SQG103'].sections))")
    done = subprocess.run([str(bindir / "python"), "-c", code], cwd=work, capture_output=True, text=True, check=True)
    from sqsguard.catalog import load_catalog

    assert done.stdout.split() == [str(len(load_catalog())), "False", "kms-reuse-period-short", "3"]


def test_installed_commands_work_outside_the_checkout(installed):
    work, bindir = installed
    where = subprocess.run(
        [str(bindir / "python"), "-c", "import sqsguard; print(sqsguard.__file__)"],
        cwd=work, check=True, capture_output=True, text=True,
    ).stdout
    assert str(work) in where
    rules = subprocess.run([str(bindir / "sqsguard"), "rules"], cwd=work, capture_output=True, text=True)
    assert rules.returncode == 0, rules.stderr
    assert "SQG103  queue-aws-managed-key" in rules.stdout
    explain = subprocess.run([str(bindir / "sqsguard"), "explain", "SQG103"], cwd=work, capture_output=True, text=True)
    assert explain.returncode == 0, explain.stderr
    assert "HOW TO FIX" in explain.stdout and "alias/aws/sqs" in explain.stdout
    (work / "tf").mkdir(exist_ok=True)
    (work / "tf" / "main.tf").write_text('resource "aws_kms_key" "k" {}\nresource "aws_sqs_queue" "q" {\n  kms_master_key_id = aws_kms_key.k.arn\n}\n')
    merged = work / "inv.json"
    inventory = subprocess.run([str(bindir / "sqsguard"), "inventory", "tf", "--format", "json", "--output", str(merged)],
                               cwd=work, capture_output=True, text=True)
    assert inventory.returncode == 0, inventory.stderr
    again = subprocess.run([str(bindir / "sqsguard"), "inventory", "--merge", str(merged)], cwd=work, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr  # the installed schema validates the report
    assert "0 of 1 queue compliant (0%)." in again.stdout
    cost = subprocess.run([str(bindir / "sqsguard"), "cost", "tf"], cwd=work, capture_output=True, text=True)
    assert cost.returncode == 0 and "25,920" in cost.stdout, cost.stderr


def test_integration_folders_are_printed_from_the_installation(installed):
    work, bindir = installed
    plugin = subprocess.run([str(bindir / "sqsguard"), "checkov-plugin-path"], cwd=work, capture_output=True, text=True)
    assert plugin.returncode == 0, plugin.stderr
    folder = Path(plugin.stdout.strip())
    assert str(work) in str(folder) and folder.name == "_checkov_plugin"
    assert (folder / "sqsguard_checkov.py").is_file() and (folder / "catalog.jsondata").is_file()
