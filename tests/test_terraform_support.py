"""Helpers for the Terraform tests (no tests here): write a module tree, read it as a scan does."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

from sqsguard.discover import discover
from sqsguard.link import link
from sqsguard.options import Options
from sqsguard.parsers.terraform import parse_terraform


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def read(root: Path, paths: list[str] | None = None, **options: Any):
    """Parse the Terraform under `root` (cwd = root, as a user runs `sqsguard scan .`)."""
    previous = os.getcwd()
    os.chdir(root)
    try:
        targets, _ = discover(paths or ["."])
        outcome = parse_terraform([t for t in targets if t.kind == "terraform"], Options(**options))
    finally:
        os.chdir(previous)
    link(outcome.model)
    return outcome


def queue(outcome, address: str):
    found = [q for q in outcome.model.queues if q.address == address]
    assert len(found) == 1, [q.address for q in outcome.model.queues]
    return found[0]


def key(outcome, address: str):
    found = [k for k in outcome.model.keys if k.address == address]
    assert len(found) == 1, [k.address for k in outcome.model.keys]
    return found[0]


def evaluate(tmp_path: Path, expression: str, extra: str = "", **options: Any) -> Any:
    """The value a queue's `kms_master_key_id = <expression>` evaluates to (None if unset)."""
    write_tree(
        tmp_path,
        {
            "main.tf": 'resource "aws_sqs_queue" "q" {\n  kms_master_key_id = %s\n}\n%s' % (expression, textwrap.dedent(extra)),
        },
    )
    outcome = read(tmp_path, **options)
    assert outcome.errors == []
    q = queue(outcome, "aws_sqs_queue.q")
    return q.kms_key.value if q.kms_key is not None else None
