"""Settings rules read. Defaults are RULES.md's; a config file fills them (a later issue)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Options:
    own_accounts: frozenset[str] = frozenset()
    trusted_accounts: frozenset[str] = frozenset()
    required_key_tags: tuple[str, ...] = ("owner", "workload", "data-sensitivity")
    isolation_tags: tuple[str, ...] = ("tenant", "data-sensitivity")
    producers: int = 1
    consumers: int = 1
    parameters: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    var_files: tuple[str, ...] = ()
