"""Registry modules people really use, modelled from their documented inputs and defaults.

sqsguard does not download modules. For the two most used SQS/KMS modules it knows what a
call creates, following the modules' own logic: one module of this package per registry
module (`sqs.py`, `kms.py`), each a `RegistryModule` (`base.py`) that says what a call creates
(`create()`) and what its outputs are (`outputs()`). To model another module, add a class and
list it in `MODELLED`.

Objects a call creates are located at the call block; a setting at the input that gives it
(the call block when it is the module's default). A module's outputs (`module.kms.key_arn`)
are references to those objects.
"""

from __future__ import annotations

import re
from typing import Any

from ....model import Location
from .base import RegistryModule
from .kms import KmsModule
from .sqs import SqsModule

# kind -> module class; the kind is the registry name's middle part (terraform-aws-modules/<kind>/aws)
MODELLED: dict[str, type[RegistryModule]] = {"sqs": SqsModule, "kms": KmsModule}

_KINDS = "|".join(sorted(MODELLED))
_REGISTRY = re.compile(r"^(?:registry\.terraform\.io/|app\.terraform\.io/[^/]+/)?terraform-aws-modules/(%s)/aws$" % _KINDS)
_GITHUB = re.compile(r"^(?:git::)?(?:https://|ssh://git@|git@)?github\.com[/:]terraform-aws-modules/terraform-aws-(%s)(?:\.git)?$" % _KINDS)


def registry_kind(source: str) -> str | None:
    """"sqs" / "kms" for the modelled modules (registry or GitHub source, any version)."""
    text = source.strip().lower()
    text = text.split("?", 1)[0]
    if "//" in text.replace("://", ""):
        return None  # a submodule (wrappers, ...) is not the module itself
    m = _REGISTRY.match(text) or _GITHUB.match(text)
    return m.group(1) if m else None


def registry_module(kind: str, source: str, address: str, unit: str, block: Any, inputs: dict, location: Location) -> RegistryModule:
    """One instance of a call to the modelled module `kind` (see `registry_kind`)."""
    return MODELLED[kind](source, address, unit, block, inputs, location)


__all__ = ["MODELLED", "RegistryModule", "registry_kind", "registry_module"]
