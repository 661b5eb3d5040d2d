"""CloudFormation and SAM templates (YAML or JSON) into the model.

The same builder serves CDK assemblies (`cdk.py`), which are CloudFormation templates with
construct paths on the side.
"""

from __future__ import annotations

from typing import Any

from ..model import (
    Alias,
    Attr,
    Format,
    IgnoreEntry,
    Key,
    Location,
    Model,
    Queue,
    Unresolved,
)
from .attributes import as_bool, common_tags, dead_letter_target
from .cloudformation_iam import add as add_iam
from .cloudformation_sources import producers
from .documents import Node, ParseError, span_of
from .intrinsics import Resolver, show

from .cloudformation_resources import (
    ALIAS,
    ALIAS_PROPERTIES,
    CDK_QUEUE_NAMES,
    KEY,
    KEY_NAMES,
    KEY_PROPERTIES,
    QUEUE,
    QUEUE_NAMES,
    QUEUE_PROPERTIES,
    REPLICA_KEY,
    TABLE,
)

__all__ = ["ALIAS", "KEY", "QUEUE", "REPLICA_KEY", "build_model", "is_template"]


def _material(origin: Any) -> str:
    """AWS::KMS::Key Origin: AWS_KMS (the default) or EXTERNAL (imported key material)."""
    return "imported" if isinstance(origin, str) and origin.strip().upper() == "EXTERNAL" else "generated"


def is_template(doc: Any) -> bool:
    """A CloudFormation/SAM template: a Resources mapping of typed resources."""
    if not isinstance(doc, dict):
        return False
    resources = doc.get("Resources")
    if not isinstance(resources, dict) or not resources:
        return False
    return any(isinstance(r, dict) and isinstance(r.get("Type"), str) for r in resources.values())


def build_model(
    template: Node,
    file: str,
    unit: str,
    fmt: Format,
    parameters: dict[str, Any],
    construct_paths: dict[str, str] | None = None,
    resolver: Resolver | None = None,
) -> Model:
    """`resolver`: one made for this template by the caller (nested stacks: with the parent's
    values and the children's outputs); by default one with `parameters`."""
    resolver = resolver or Resolver(template, unit, parameters)
    resources = template.get("Resources")
    model = Model()
    if not isinstance(resources, dict):
        return model
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict):
            continue
        rtype = resource.get("Type")
        if not isinstance(rtype, str) or rtype not in TABLE:
            continue
        start, end = span_of(resources, logical_id)
        props = resource.get("Properties")
        if not isinstance(props, dict):
            props = Node()
            props.line, props.end_line, props.key_lines = start, end, {}
        common = dict(
            address=str(logical_id),
            resource_type=rtype,
            format=fmt,
            location=Location(file, start, end),
            unit=unit,
            construct_path=_construct_path(logical_id, resource, construct_paths),
            ignores=metadata_ignores(resource, file, start),
        )
        attrs = _AttrReader(props, resolver, file, start, end)
        if rtype == QUEUE:
            q = QUEUE_PROPERTIES
            model.queues.append(
                Queue(
                    **common,
                    names=CDK_QUEUE_NAMES if fmt is Format.CDK else QUEUE_NAMES,
                    name=attrs.get(q["name"]),
                    sse=attrs.get(q["sse"]),
                    kms_key=attrs.get(q["kms_key"]),
                    data_key_reuse=attrs.get(q["data_key_reuse"]),
                    dead_letter_target=dead_letter_target(attrs.value(q["redrive"])),
                    tags=_tags(attrs.value(q["tags"])),
                    fifo=as_bool(attrs.value(q["fifo"])),
                    sse_conflicts_when="true",
                )
            )
        elif rtype in (KEY, REPLICA_KEY):
            k = KEY_PROPERTIES
            model.keys.append(
                Key(
                    **common,
                    names=dict(KEY_NAMES),
                    policy=attrs.get(k["policy"]),
                    rotation=attrs.get(k["rotation"]),
                    enabled=attrs.get(k["enabled"]),
                    key_spec=attrs.get(k["key_spec"]),
                    key_usage=attrs.get(k["key_usage"]),
                    bypass_lockout=attrs.get(k["bypass_lockout"]),
                    tags=_tags(attrs.value(k["tags"])),
                    replica=rtype == REPLICA_KEY,
                    primary=attrs.get(k["primary"]),
                    material=_material(attrs.value(k["origin"])),
                )
            )
        elif rtype == ALIAS:
            model.aliases.append(
                Alias(
                    **common,
                    names=dict(ALIAS_PROPERTIES),
                    name=attrs.get(ALIAS_PROPERTIES["name"]),
                    target=attrs.get(ALIAS_PROPERTIES["target"]),
                )
            )
        else:

            def reader(node: Any) -> _AttrReader:
                return _AttrReader(node, resolver, file, getattr(node, "line", start) or start, getattr(node, "end_line", end) or end)

            if TABLE[rtype] == "producer":
                model.producers.extend(producers(str(logical_id), rtype, props, reader, common))
            else:
                add_iam(model, str(logical_id), rtype, props, reader, common)
    return model


class _AttrReader:
    def __init__(self, props: dict, resolver: Resolver, file: str, start: int, end: int):
        self.props = props
        self.resolver = resolver
        self.file = file
        self.start, self.end = start, end

    def get(self, name: str) -> Attr | None:
        if name not in self.props:
            return None
        raw = self.props[name]
        first, last = span_of(self.props, name)
        return Attr(name, self.resolver.resolve(raw), show(raw), Location(self.file, first, last), self.resolver.origin(raw, self.file))

    def value(self, name: str) -> Any:
        if name not in self.props:
            return None
        return self.resolver.resolve(self.props[name])


def _construct_path(logical_id: str, resource: dict, paths: dict[str, str] | None) -> str | None:
    path = None
    if paths and logical_id in paths:
        path = paths[logical_id]
    else:
        metadata = resource.get("Metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("aws:cdk:path"), str):
            path = metadata["aws:cdk:path"]
    return clean_construct_path(path) if path else None


def clean_construct_path(path: str) -> str:
    path = path.strip("/")
    if path.endswith("/Resource"):
        path = path[: -len("/Resource")]
    return path


def metadata_ignores(resource: dict, file: str, line: int) -> tuple[IgnoreEntry, ...]:
    """`Metadata: {sqsguard: {ignore: [{id: SQG102, reason: ...}]}}` on a resource. An entry may
    be a mapping (`id` a string, comma-separated ids, or a list) or a bare id string (no
    reason). Entries that are not well formed are kept with the problem, so it is reported."""
    metadata = resource.get("Metadata")
    if not isinstance(metadata, dict) or "sqsguard" not in metadata:
        return ()
    where = Location(file, *span_of(metadata, "sqsguard")) if isinstance(metadata, Node) else Location(file, line, line)
    block = metadata["sqsguard"]
    entries = block.get("ignore") if isinstance(block, dict) else None
    if not isinstance(entries, list):
        return (IgnoreEntry((), "", where, "Metadata sqsguard must be a mapping with an ignore list ({ignore: [{id: SQG102, reason: ...}]})"),)
    found = []
    for index, entry in enumerate(entries):
        # A mapping entry knows its lines; a bare string is placed at the `sqsguard` key.
        at = Location(file, entry.line, entry.end_line) if getattr(entry, "line", 0) else where
        if isinstance(entry, str):
            ids, reason = entry, ""
        elif isinstance(entry, dict):
            ids, reason = entry.get("id", entry.get("ids")), entry.get("reason", "")
        else:
            ids, reason = None, ""
        if isinstance(ids, str):
            ids = [part for part in ids.replace(" ", ",").split(",") if part]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i.strip() for i in ids):
            found.append(IgnoreEntry((), "", at, "its entry %d has no rule id" % (index + 1)))
            continue
        text = reason.strip() if isinstance(reason, str) else ""
        found.append(IgnoreEntry(tuple(i.strip() for i in ids), text, at))
    return tuple(found)


def _tags(value: Any) -> dict | Unresolved:
    """Tags from CloudFormation's [{Key, Value}] list (or a plain mapping)."""

    def read(items: Any) -> dict:
        tags: dict = {}
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("Key"), str):
                    tags[item["Key"]] = item.get("Value")
        elif isinstance(items, dict):
            tags.update(items)
        return tags

    return common_tags(value, read)


__all__ = ["build_model", "is_template", "ParseError"]
