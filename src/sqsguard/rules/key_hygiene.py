"""SQG301–SQG304: key hygiene for every customer-managed key in the code."""

from __future__ import annotations

from typing import Any, Iterator

from ..model import Attr, Key, Model, Queue, Unresolved, assignments, choose, describe_assignment, render
from ..options import Options
from .base import Hit, rule, set_by

SYMMETRIC = "SYMMETRIC_DEFAULT"
ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"


def _variants(attr: Attr | None) -> list[tuple[Any, str]]:
    """Each possible value of a setting with the conditions it holds under ("" = always)."""
    if attr is None:
        return [(None, "")]
    return [(choose(attr.value, a), describe_assignment(a)) for a in assignments(attr.value)]


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, Unresolved):
        return None
    return render(value).strip()


def _when(when: str) -> str:
    return " when %s" % when if when else ""


@rule("SQG301")
def key_rotation_disabled(model: Model, options: Options) -> Iterator[Hit]:
    """Judged per combination of deploy-time conditions, with the key spec and usage of that
    same combination: only symmetric encryption keys rotate automatically."""
    for key in model.keys:
        if key.replica:
            continue  # a replica rotates with its primary key
        if key.material != "generated":
            continue  # imported material or a custom key store: KMS cannot rotate it automatically
        name = key.attr_name("rotation")
        values = [a.value if a is not None else None for a in (key.rotation, key.key_spec, key.key_usage)]
        for assignment in assignments(*values):
            rotation, spec, usage = (choose(v, assignment) for v in values)
            if (_text(spec) or SYMMETRIC).upper() != SYMMETRIC or (_text(usage) or ENCRYPT_DECRYPT).upper() != ENCRYPT_DECRYPT:
                continue  # asymmetric or HMAC on this branch: such keys do not rotate automatically
            if isinstance(rotation, Unresolved):
                continue
            when = describe_assignment(assignment)
            if rotation is None:
                yield Hit(
                    key,
                    "Key %s does not rotate its key material: %s is not set and rotation is off by "
                    "default%s — set %s to true." % (key.address, name, _when(when), name),
                )
                break
            if str(render(rotation)).strip().lower() == "false":
                yield Hit(
                    key,
                    "Key %s does not rotate its key material (%s: %s%s)%s — set it to true."
                    % (key.address, name, key.rotation.text, set_by(key.rotation), _when(when)),
                    key.rotation.location,
                )
                break


@rule("SQG302")
def key_missing_ownership_tags(model: Model, options: Options) -> Iterator[Hit]:
    required = [t for t in options.required_key_tags if t]
    if not required:
        return
    for key in model.keys:
        if isinstance(key.tags, Unresolved):
            continue  # cannot be read statically: neither a pass nor a failure
        present = {str(k).lower() for k in key.tags}
        missing = [t for t in required if t.lower() not in present]
        if missing:
            yield Hit(
                key,
                "Key %s lacks the ownership tag%s %s, so nobody can tell who owns it, what it protects "
                "and how sensitive that data is — add %s to its tags."
                % (
                    key.address,
                    "" if len(missing) == 1 else "s",
                    ", ".join(missing),
                    ", ".join("%s = ..." % t for t in missing),
                ),
            )


def key_uses(model: Model) -> dict[tuple[str, str], list[tuple[Queue, object]]]:
    """(queue, choice) for every branch of a deploy-time choice in which a key of the scan
    encrypts a queue, by key: one pass over the queues, kept for the scan (SQG303 and SQG304 both
    ask; link.py empties Model.derived)."""
    if "key_uses" in model.derived:
        return model.derived["key_uses"]
    found: dict[tuple[str, str], list[tuple[Queue, object]]] = {}
    for queue in model.queues:
        for choice in queue.choices:
            if choice.key_address:
                found.setdefault((choice.key_unit, choice.key_address), []).append((queue, choice))
    model.derived["key_uses"] = found
    return found


def queues_by_key(model: Model) -> dict[tuple[str, str], list[Queue]]:
    """The queues each key in the scan encrypts (in any branch of a deploy-time choice)."""
    found: dict[tuple[str, str], list[Queue]] = {}
    for key, uses in key_uses(model).items():
        seen = {id(queue): queue for queue, _ in uses}  # each queue once, in order
        found[key] = list(seen.values())
    return found


def _tag(queue: Queue, name: str) -> str | None:
    if isinstance(queue.tags, Unresolved):
        return None
    for key, value in queue.tags.items():
        if str(key).lower() == name.lower() and isinstance(value, (str, int, float, bool)):
            return str(value)
    return None


@rule("SQG303")
def key_shared_across_tenants(model: Model, options: Options) -> Iterator[Hit]:
    using = queues_by_key(model)
    for key in model.keys:
        queues = using.get((key.unit, key.address), [])
        if len(queues) < 2:
            continue
        for tag in options.isolation_tags:
            values: dict[str, list[str]] = {}
            for queue in queues:
                value = _tag(queue, tag)
                if value is not None:
                    values.setdefault(value, []).append(queue.address)
            if len(values) > 1:
                spread = "; ".join("%s=%s: %s" % (tag, v, ", ".join(sorted(qs))) for v, qs in sorted(values.items()))
                yield Hit(
                    key,
                    "Key %s encrypts queues with different %s tags (%s): one key policy governs data "
                    "that should stay apart — give each %s its own key." % (key.address, tag, spread, tag),
                )
                break


def _unusable(key: Key, given: dict) -> tuple[str, Any] | None:
    """Why the key cannot serve SQS on some branch consistent with `given` (the conditions under
    which a queue uses it), or None."""
    attrs = (key.key_spec, key.key_usage, key.enabled)
    values = [a.value if a is not None else None for a in attrs]
    for assignment in assignments(*values, given=given):
        spec, usage, enabled = (choose(v, assignment) for v in values)
        when = _when(describe_assignment(assignment))
        for attr, value, good in ((key.key_spec, spec, SYMMETRIC), (key.key_usage, usage, ENCRYPT_DECRYPT)):
            text = _text(value)
            if text is not None and text.upper() != good:
                return "%s is %s%s (SQS needs %s)%s" % (attr.name, text, set_by(attr), good, when), attr.location
        if enabled is not None and str(render(enabled)).strip().lower() == "false":
            return "the key is disabled (%s: %s%s)%s" % (key.enabled.name, key.enabled.text, set_by(key.enabled), when), key.enabled.location
    return None


@rule("SQG304")
def key_unusable_for_sqs(model: Model, options: Options) -> Iterator[Hit]:
    """Only on branches where a queue uses the key: a key that is asymmetric exactly when no
    queue uses it is not a problem."""
    by_key = key_uses(model)  # keys x queues was 39 s of 195 at 10,000 files
    for key in model.keys:
        uses = by_key.get((key.unit, key.address), [])
        if not uses:
            continue  # a signing or HMAC key no queue uses is not an SQS problem
        users = ", ".join(sorted({q.address for q, _ in uses}))
        count = len({q.address for q, _ in uses})
        for _, choice in uses:
            problem = _unusable(key, choice.assignment)
            if problem is not None:
                yield Hit(
                    key,
                    "Key %s cannot encrypt SQS messages: %s; queue%s %s will fail to send and receive — use "
                    "an enabled symmetric ENCRYPT_DECRYPT key." % (key.address, problem[0], "" if count == 1 else "s", users),
                    problem[1],
                )
                break
