"""Build hook: compile the rule catalog (rules/*.md) into sqsguard/_catalog.json in the wheel,
so an installed sqsguard reads one JSON file instead of parsing Markdown and YAML on every scan."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if version == "editable":
            return  # an editable install reads rules/ itself
        root = Path(self.root)
        sys.path.insert(0, str(root / "src"))
        try:
            from sqsguard.catalog import compile_catalog
        finally:
            sys.path.pop(0)
        out = Path(tempfile.mkdtemp(prefix="sqsguard-build-")) / "_catalog.json"
        out.write_text(json.dumps(compile_catalog(root / "rules"), indent=None, sort_keys=True), encoding="utf-8")
        build_data["force_include"][str(out)] = "sqsguard/_catalog.json"
