"""The configuration: `.sqsguard.yaml` (or `.yml`) or `[tool.sqsguard]` in `pyproject.toml`,
found upward from the scanned path, stopping at the repository root; or `--config FILE`.

Validated with the JSON schema shipped beside this module (`config.schema.json`): an unknown
key or a wrong value is one line naming the file, the line, the key and what was expected.
Command-line flags override the file: scalars and lists are replaced, mappings (`parameters`,
`vars`, `severity`) are merged with the command line winning per name, and `var_files` are read
before the command line's `--var-file`s (so those win, as later files do in Terraform).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
from dataclasses import field
from pathlib import Path
from typing import Any

from .dataclass_methods import dataclass
from .repository import repository_root

SCHEMA_PATH = Path(__file__).with_name("config.schema.json")
FILE_NAMES = (".sqsguard.yaml", ".sqsguard.yml", "pyproject.toml")
# Keys holding paths, relative to the configuration file.
PATH_KEYS = ("var_files", "baseline", "cache_dir")
# Keys holding rule selectors, checked against the catalog.
SELECTOR_KEYS = ("select", "ignore", "per_path_ignore", "severity")


class ConfigError(Exception):
    """The configuration cannot be used: one line per problem, each naming file and key."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def defaults() -> dict[str, Any]:
    return {key: spec["default"] for key, spec in schema()["properties"].items() if "default" in spec}


@dataclass
class Settings:
    """The effective configuration: every value, and where it came from."""

    values: dict[str, Any]
    sources: dict[str, str]
    path: str | None = None  # the configuration file, as found or given
    base: str = field(default_factory=os.getcwd)  # directory that relative paths start from

    def __getitem__(self, key: str) -> Any:
        return self.values.get(key)


# --- finding the file -------------------------------------------------------------------------


def find(start: str) -> str | None:
    """The nearest configuration file at or above `start`, not beyond the repository root
    (outside a repository: not beyond the working directory, when `start` is inside it)."""
    current = os.path.abspath(start)
    if not os.path.isdir(current):
        current = os.path.dirname(current)
    stop = repository_root(current)
    if stop is None:
        cwd = os.getcwd()
        inside = current == cwd or current.startswith(cwd.rstrip(os.sep) + os.sep)
        stop = cwd if inside else current
    while True:
        for name in FILE_NAMES:
            candidate = os.path.join(current, name)
            if os.path.isfile(candidate) and (name != "pyproject.toml" or _has_tool_table(candidate)):
                return candidate
        parent = os.path.dirname(current)
        if current == stop or parent == current:
            return None
        current = parent


def _has_tool_table(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            return re.search(r"^\s*\[\s*tool\s*\.\s*sqsguard\s*[\].]", handle.read(), re.M) is not None
    except (OSError, UnicodeDecodeError):
        return False


# --- reading it -------------------------------------------------------------------------------


def _display(path: str) -> str:
    from .discover import display_path

    return display_path(path)


def read(path: str) -> tuple[dict, Any]:
    """The configuration mapping of a file, and a function giving the line of a top-level key."""
    shown = _display(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        text = raw.decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(["%s: no such configuration file" % shown]) from None
    except OSError as exc:
        raise ConfigError(["%s: cannot read: %s" % (shown, exc.strerror)]) from None
    except UnicodeDecodeError as exc:
        from .inputs import not_utf8

        line, message = not_utf8(raw, exc)
        raise ConfigError(["%s:%d: %s" % (shown, line, message)]) from None
    if path.endswith(".toml"):
        return _read_toml(text, shown)
    return _read_yaml(text, shown)


def _read_toml(text: str, shown: str) -> tuple[dict, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ConfigError(["%s%s: invalid TOML: %s" % (shown, ":%s" % line.group(1) if line else "", exc)]) from None
    table = data.get("tool", {}).get("sqsguard") if isinstance(data.get("tool"), dict) else None
    if table is None:
        table = {}
    if not isinstance(table, dict):
        raise ConfigError(["%s: [tool.sqsguard] must be a table" % shown])
    lines = text.splitlines()
    section = next((i for i, l in enumerate(lines) if re.match(r"^\s*\[\s*tool\s*\.\s*sqsguard\s*[\].]", l)), 0)

    def line_of(key: str) -> int | None:
        pattern = re.compile(r'^\s*(?:"%s"|%s)\s*=|^\s*\[\s*tool\s*\.\s*sqsguard\s*\.\s*"?%s"?\s*\]' % ((re.escape(key),) * 3))
        for number in range(section, len(lines)):
            if pattern.match(lines[number]):
                return number + 1
        return section + 1

    return table, _Locator(lines, line_of)


def _read_yaml(text: str, shown: str) -> tuple[dict, Any]:
    from .parsers.documents import ParseError, load_yaml

    try:
        data = load_yaml(text)
    except ParseError as exc:
        raise ConfigError(["%s%s: invalid YAML: %s" % (shown, ":%d" % exc.line if exc.line else "", exc.message)]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(["%s:1: the configuration must be a mapping of keys (select, ignore, fail_on, ...)" % shown])

    def line_of(key: str) -> int | None:
        span = getattr(data, "key_lines", {}).get(key)
        return span[0] if span else getattr(data, "line", None)

    return _plain(data), _Locator(text.splitlines(), line_of)


class _Locator:
    """Lines of a configuration file: of a top-level key, and of a text written under it."""

    def __init__(self, lines: list[str], key_line: Any):
        self.lines = lines
        self.key_line = key_line

    def __call__(self, key: str, needle: str | None = None) -> int | None:
        start = self.key_line(key)
        if needle is None or start is None:
            return start
        for number in range(start - 1, len(self.lines)):
            if needle in self.lines[number]:
                return number + 1
        return start


def _plain(value: Any) -> Any:
    """Position-carrying YAML nodes as plain dicts and lists (for jsonschema and for output)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# --- validating it ----------------------------------------------------------------------------


def validate(data: dict, shown: str, line_of: Any) -> None:
    import jsonschema

    from .catalog import rules_matching

    spec = schema()
    known = list(spec["properties"])
    problems: list[str] = []

    def at(key: str) -> str:
        line = line_of(key)
        return "%s:%d" % (shown, line) if line else shown

    for key in data:
        if key not in spec["properties"]:
            close = difflib.get_close_matches(key.replace("-", "_"), known, n=1)
            hint = " (did you mean %r?)" % close[0] if close else ""
            problems.append("%s: unknown key %r%s; known keys: %s" % (at(key), key, hint, ", ".join(known)))
    validator = jsonschema.Draft202012Validator(spec)
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        if error.validator == "additionalProperties" and not error.absolute_path:
            continue  # unknown top-level keys: reported above, with a suggestion
        path = list(error.absolute_path)
        key = str(path[0]) if path else ""
        problems.append("%s: %s: %s" % (at(key), _key_text(path), _expected(error)))
    if not problems:
        for key in SELECTOR_KEYS:
            for selector in _selectors(key, data.get(key)):
                if not rules_matching(selector):
                    problems.append("%s: %s: %r names no rule; expected a rule id (SQG103), a family (SQG2) or a slug (`sqsguard rules` lists them)" % (at(key), key, selector))
    if problems:
        raise ConfigError(problems)


def _key_text(path: list) -> str:
    text = ""
    for part in path:
        text += "[%d]" % part if isinstance(part, int) else ("." if text else "") + str(part)
    return text


def _expected(error: Any) -> str:
    value = json.dumps(error.instance) if not isinstance(error.instance, (dict, list)) else type(error.instance).__name__
    kind = error.validator
    spec = error.schema
    if kind == "enum":
        return "%s is not allowed; expected one of %s" % (value, ", ".join(str(v) for v in spec["enum"]))
    if kind == "type":
        wanted = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
        names = {"array": "a list", "object": "a mapping", "string": "a string", "number": "a number", "boolean": "true or false", "integer": "a whole number"}
        return "%s is not allowed; expected %s" % (value, " or ".join(names.get(w, w) for w in wanted))
    if kind == "pattern":
        if spec.get("pattern") == "^[0-9]{12}$":
            return "%s is not allowed; expected a 12-digit AWS account id in quotes" % value
        return "%s is not allowed; expected text matching %s" % (value, spec["pattern"])
    if kind == "oneOf":
        return "%s is not allowed; expected a rule id, family or slug, or a mapping {id, reason}" % value
    if kind == "minLength":
        return "an empty string is not allowed"
    if kind == "additionalProperties":
        return error.message.replace("Additional properties", "keys")
    if kind == "required":
        return error.message
    return error.message


def _selectors(key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if key == "select":
        return list(value)
    if key == "severity":
        return list(value)
    entries = value if key == "ignore" else [e for items in value.values() for e in items]
    found = []
    for entry in entries:
        ids = entry if isinstance(entry, str) else entry.get("id")
        found.extend([ids] if isinstance(ids, str) else ids)
    return found


# --- the effective configuration --------------------------------------------------------------


def load(paths: list[str], explicit: str | None, cli: dict[str, Any]) -> Settings:
    """Defaults, then the configuration file, then the command line (`cli`: only the values
    the user gave)."""
    values = defaults()
    sources = {key: "default" for key in values}
    path = explicit or find(paths[0] if paths else os.getcwd())
    base = os.getcwd()
    if path is not None:
        shown = _display(path)
        data, line_of = read(path)
        validate(data, shown, line_of)
        base = os.path.dirname(os.path.abspath(path))
        label = shown + (" [tool.sqsguard]" if path.endswith(".toml") else "")
        for key, value in data.items():
            if key in PATH_KEYS:
                value = [os.path.join(base, v) for v in value] if isinstance(value, list) else os.path.join(base, value)
            values[key] = value
            sources[key] = label
    for key, value in cli.items():
        if key in ("parameters", "vars", "severity", "cost") and values.get(key):
            values[key] = {**values[key], **value}
            sources[key] = sources.get(key, "default") + " + command line"
        elif key == "var_files" and values.get(key):
            values[key] = list(values[key]) + list(value)
            sources[key] = sources.get(key, "default") + " + command line"
        else:
            values[key] = value
            sources[key] = "command line"
    return Settings(values, sources, path, base)


def ignore_entries(settings: Settings) -> list:
    """The configuration's `ignore` and `per_path_ignore` entries, as suppressions."""
    from .suppress import Suppression

    if settings.path is None:
        return []
    shown = _display(settings.path)
    data, line_of = read(settings.path)
    out = []

    def add(entry: Any, key: str, glob: str | None) -> None:
        ids = entry if isinstance(entry, str) else entry["id"]
        ids = (ids,) if isinstance(ids, str) else tuple(ids)
        reason = "" if isinstance(entry, str) else (entry.get("reason") or "").strip()
        line = line_of(key, glob) if glob else line_of(key)
        line = line_of(key, ids[0]) if glob is None else line
        address = "%s[%s]" % (key, json.dumps(glob)) if glob else key
        out.append(
            Suppression("config", ids, reason, shown, line or 1, line or 1, address, "sqsguard-config", "config", glob=glob, base=settings.base)
        )

    for entry in data.get("ignore") or []:
        add(entry, "ignore", None)
    for pattern, entries in (data.get("per_path_ignore") or {}).items():
        for entry in entries:
            add(entry, "per_path_ignore", pattern)
    return out


def reference() -> str:
    """The README's configuration reference, generated from the schema."""
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key, spec in schema()["properties"].items():
        lines.append("| `%s` | %s | %s | %s |" % (key, _type_text(spec), _default_text(spec), spec["description"].replace("|", "\\|")))
    return "\n".join(lines) + "\n"


def _type_text(spec: dict) -> str:
    if "enum" in spec:
        return " \\| ".join("`%s`" % v for v in spec["enum"])
    kind = spec.get("type")
    if kind == "array":
        return "list"
    if kind == "object":
        return "mapping"
    return str(kind)


def _default_text(spec: dict) -> str:
    if "default" not in spec:
        return "—"
    value = spec["default"]
    if value in ([], {}):
        return "—"
    return "`%s`" % (json.dumps(value) if not isinstance(value, str) else value)
