"""Coverage-guided fuzzing with atheris (libFuzzer), run by tests/test_fuzz.py for a bounded
number of inputs: `python tests/atheris_targets.py TARGET [libFuzzer flags] [CORPUS_DIR]`.

Each target says what must hold for any input; anything else it raises is a crash, and libFuzzer
stops with the input that caused it:
- yaml, json, hcl: the reader reads the text or raises its own error (ParseError, HclError);
- cache-entry: a result cache entry's bytes give an outcome or None (a miss), never an exception
  (SQSGUARD_FUZZ_KEY is the key the entry is read for).
"""

from __future__ import annotations

import os
import sys

import atheris

with atheris.instrument_imports(include=["sqsguard"]):
    from sqsguard.parsers.documents import ParseError, load_yaml, parse_json
    from sqsguard.parsers.terraform.hcl import HclError, parse_text
    from sqsguard.result_cache import _entry_outcome


def _text(data: bytes) -> str:
    return atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))


def yaml_target(data: bytes) -> None:
    try:
        load_yaml(_text(data))
    except ParseError:
        pass


def json_target(data: bytes) -> None:
    try:
        parse_json(_text(data))
    except ParseError:
        pass


def hcl_target(data: bytes) -> None:
    try:
        parse_text(_text(data), "/fuzz/main.tf", "main.tf")
    except HclError:
        pass


KEY = os.environ.get("SQSGUARD_FUZZ_KEY", "")


def cache_entry_target(data: bytes) -> None:
    _entry_outcome(data, KEY)


TARGETS = {"yaml": yaml_target, "json": json_target, "hcl": hcl_target, "cache-entry": cache_entry_target}

if __name__ == "__main__":
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
