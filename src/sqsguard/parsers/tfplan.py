"""Terraform plan JSON (`terraform show -json`). Issue 3 fills this in."""

from __future__ import annotations

from typing import Any

from ..model import Model
from ..options import Options


def is_plan(data: dict) -> bool:
    return "format_version" in data and ("planned_values" in data or "resource_changes" in data)


def parse_plan(data: dict, text: str, display: str, options: Options) -> Model | None:
    return Model()
