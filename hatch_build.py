"""Build hook: compile the rule catalog (rules/*.md) into sqsguard/_catalog.json in the wheel,
so an installed sqsguard reads one JSON file instead of parsing Markdown and YAML on every scan;
and write sqsguard/_methods.py, the method texts of sqsguard's dataclasses as this Python's
dataclasses writes them, so they are compiled once with the package instead of on every run
(see src/sqsguard/dataclass_methods.py)."""

from __future__ import annotations

import json
import os
import subprocess
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
        self._made = tempfile.mkdtemp(prefix="sqsguard-build-")
        out = Path(self._made) / "_catalog.json"
        out.write_text(json.dumps(compile_catalog(root / "rules"), indent=None, sort_keys=True), encoding="utf-8")
        build_data["force_include"][str(out)] = "sqsguard/_catalog.json"
        methods = out.with_name("_methods.py")
        methods.write_text(_method_table(root / "src"), encoding="utf-8")
        build_data["force_include"][str(methods)] = "sqsguard/_methods.py"

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        made = getattr(self, "_made", None)
        if made:
            import shutil

            shutil.rmtree(made, ignore_errors=True)


RECORD = """
import sys
from pathlib import Path
from sqsguard.dataclass_methods import package_modules, record_texts, write_module
texts = record_texts(package_modules(Path(sys.argv[1]) / "sqsguard"))
sys.stdout.write(write_module(texts, sys.version.split()[0]))
"""


def _method_table(src: Path) -> str:
    """The package imported once in a fresh interpreter (this build's Python), its dataclasses'
    method texts recorded; nothing is written into the source tree."""
    path = os.pathsep.join([str(src)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    env = dict(os.environ, PYTHONPATH=path, PYTHONDONTWRITEBYTECODE="1")  # (pip's build environment kept)
    done = subprocess.run([sys.executable, "-c", RECORD, str(src)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("recording the dataclass method texts failed:\n" + done.stderr)
    return done.stdout
