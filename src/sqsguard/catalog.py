"""The rule catalog: one Markdown file per rule with YAML front matter, shipped in the wheel.

In a source checkout it is the top-level `rules/` directory; in an installed wheel it is the
package data `sqsguard/_catalog/` (see pyproject.toml), and beside it `_catalog.json`, the same
entries compiled at build time (hatch_build.py), so a scan reads one JSON file instead of
parsing twenty-odd Markdown and YAML documents.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqsguard.dataclass_methods import dataclass

_FILE = re.compile(r"^SQG\d{3}-[a-z0-9-]+\.md$")
REQUIRED_SECTIONS = ("What it does", "Why it matters", "How to fix")
FIX_FORMATS = (("Terraform", "hcl"), ("CloudFormation", "yaml"), ("CDK", "typescript"))


@dataclass(frozen=True)
class RuleDoc:
    id: str
    slug: str
    title: str
    severity: str
    family: str
    formats: tuple[str, ...]
    summary: str
    checkov_id: str | None
    references: tuple[tuple[str, str], ...]
    body: str
    path: Path
    meta: dict

    @property
    def sections(self) -> dict[str, str]:
        return split_sections(self.body, "## ")


def catalog_dir() -> Path:
    packaged = Path(__file__).with_name("_catalog")
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parents[2] / "rules"
    if source.is_dir():
        return source
    raise FileNotFoundError("the rule catalog is missing (looked in %s and %s)" % (packaged, source))


def split_front_matter(text: str) -> tuple[str, str]:
    if not text.startswith("---\n"):
        raise ValueError("no YAML front matter")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise ValueError("front matter is not closed")
    return text[4:end], text[end + 5 :]


def split_sections(body: str, marker: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    current = None
    lines: list[str] = []
    in_fence = False
    for line in body.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith(marker) and not line.startswith(marker + "#"):
            if current is not None:
                sections[current] = "\n".join(lines).strip("\n")
            current = line[len(marker) :].strip()
            lines = []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines).strip("\n")
    return sections


COMPILED = Path(__file__).with_name("_catalog.json")


def compile_catalog(directory: Path) -> list[dict]:
    """The catalog as plain data: each entry's file name, front matter and body, by id."""
    import yaml

    out = []
    for path in sorted(directory.iterdir()):
        if _FILE.match(path.name):
            meta_text, body = split_front_matter(path.read_text(encoding="utf-8"))
            out.append({"file": path.name, "meta": yaml.safe_load(meta_text) or {}, "body": body})
    return sorted(out, key=lambda e: str(e["meta"].get("id", "")))


def load_entry(path: Path) -> RuleDoc:
    import yaml

    meta_text, body = split_front_matter(path.read_text(encoding="utf-8"))
    return _entry(yaml.safe_load(meta_text) or {}, body, path)


def _entry(meta: dict, body: str, path: Path) -> RuleDoc:
    return RuleDoc(
        id=meta.get("id", ""),
        slug=meta.get("slug", ""),
        title=meta.get("title", ""),
        severity=meta.get("severity", "info"),
        family=meta.get("family", ""),
        formats=tuple(meta.get("formats") or ()),
        summary=meta.get("summary", ""),
        checkov_id=meta.get("checkov_id"),
        references=tuple((r.get("title", ""), r.get("url", "")) for r in meta.get("references") or ()),
        body=body,
        path=path,
        meta=meta,
    )


_cache: dict[str, RuleDoc] | None = None


def load_catalog() -> dict[str, RuleDoc]:
    """Every catalog entry by id, sorted by id."""
    global _cache
    if _cache is None:
        directory = catalog_dir()
        if COMPILED.is_file() and directory.name == "_catalog":  # an installed wheel
            import json

            compiled = json.loads(COMPILED.read_text(encoding="utf-8"))
            entries = [_entry(e["meta"], e["body"], directory / e["file"]) for e in compiled]
        else:
            entries = [load_entry(p) for p in sorted(directory.iterdir()) if _FILE.match(p.name)]
        _cache = {entry.id: entry for entry in sorted(entries, key=lambda e: e.id)}
    return _cache


def matches(entry: RuleDoc, pattern: str) -> bool:
    """A selector names a rule by id, id prefix (a family: SQG2) or slug."""
    pattern = pattern.strip()
    return bool(pattern) and (entry.id.upper().startswith(pattern.upper()) or entry.slug == pattern.lower())


_SELECTOR = re.compile(r"^SQG\d{1,3}$", re.IGNORECASE)


def rules_matching(pattern: str) -> list[str]:
    """The ids a selector names: a rule id, a family (`SQG1`, `SQG20`) or a slug; none when it
    names no rule or is not a selector at all."""
    pattern = pattern.strip()
    if not _SELECTOR.match(pattern) and not any(e.slug == pattern.lower() for e in load_catalog().values()):
        return []
    return [entry.id for entry in load_catalog().values() if matches(entry, pattern)]


def lookup(id_or_slug: str) -> RuleDoc | None:
    wanted = id_or_slug.strip()
    for entry in load_catalog().values():
        if entry.id.lower() == wanted.lower() or entry.slug == wanted.lower():
            return entry
    return None


def labelled_blocks(text: str) -> list[tuple[str, str, str]]:
    """(label, fence language, code) of each fenced code block, in order; the label is the
    `Before:` / `After:` line above the block, as written, or ""."""
    found: list[tuple[str, str, str]] = []
    label = ""
    fence_lang = None
    code: list[str] = []
    for line in text.splitlines():
        if fence_lang is None and line.strip().rstrip(":").lower() in ("before", "after"):
            label = line.strip().rstrip(":").strip()
        elif line.startswith("```") and fence_lang is None:
            fence_lang = line[3:].strip()
            code = []
        elif line.startswith("```") and fence_lang is not None:
            found.append((label, fence_lang, "\n".join(code) + "\n"))
            fence_lang = None
            label = ""
        elif fence_lang is not None:
            code.append(line)
    return found


def prose(text: str) -> list[str]:
    """The paragraphs of Markdown text, each on one line, without its code blocks, its
    `Before:` / `After:` labels and its `### ` headings."""
    paragraphs: list[str] = []
    lines: list[str] = []
    in_fence = False
    for line in text.splitlines() + [""]:
        if line.startswith("```"):
            in_fence = not in_fence
            line = ""
        stripped = line.strip()
        if in_fence or not stripped or line.startswith("### ") or stripped.rstrip(":").lower() in ("before", "after"):
            if lines:
                paragraphs.append(" ".join(lines))
                lines = []
            continue
        lines.append(stripped)
    return paragraphs


def fix_examples(entry: RuleDoc) -> dict[str, dict[str, tuple[str, str]]]:
    """{format section: {"before"|"after": (fence language, code)}} from the How to fix section."""
    fix = entry.sections.get("How to fix", "")
    result: dict[str, dict[str, tuple[str, str]]] = {}
    for name, section in split_sections(fix, "### ").items():
        blocks: dict[str, tuple[str, str]] = {}
        for label, lang, code in labelled_blocks(section):
            if label and label.lower() not in blocks:
                blocks[label.lower()] = (lang, code)
        result[name] = blocks
    return result


def problems(entry: RuleDoc, schema: dict) -> list[str]:
    """What is wrong with a catalog entry (schema, file name, sections, fix examples)."""
    import jsonschema

    found = []
    validator = jsonschema.Draft202012Validator(schema)
    for error in validator.iter_errors(entry.meta):
        found.append("%s: front matter: %s" % (entry.path.name, error.message))
    if entry.path.name != "%s-%s.md" % (entry.id, entry.slug):
        found.append("%s: file name should be %s-%s.md" % (entry.path.name, entry.id, entry.slug))
    sections = entry.sections
    if list(sections) != list(REQUIRED_SECTIONS):
        found.append(
            "%s: sections are %s, expected %s" % (entry.path.name, list(sections), list(REQUIRED_SECTIONS))
        )
    examples = fix_examples(entry)
    if list(examples) != [name for name, _ in FIX_FORMATS]:
        found.append("%s: How to fix has %s, expected %s" % (entry.path.name, list(examples), [n for n, _ in FIX_FORMATS]))
    for name, lang in FIX_FORMATS:
        blocks = examples.get(name, {})
        for label in ("before", "after"):
            if label not in blocks:
                found.append("%s: %s has no %s example" % (entry.path.name, name, label))
            elif blocks[label][0] != lang:
                found.append("%s: %s %s example should be ```%s" % (entry.path.name, name, label, lang))
    return found
