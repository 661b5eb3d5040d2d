"""Settings rules read. Defaults are RULES.md's; a config file fills them (a later issue)."""

from __future__ import annotations

from dataclasses import field

from sqsguard.dataclass_methods import dataclass


@dataclass(frozen=True)
class Options:
    own_accounts: frozenset[str] = frozenset()
    trusted_accounts: frozenset[str] = frozenset()
    required_key_tags: tuple[str, ...] = ("owner", "workload", "data-sensitivity")
    isolation_tags: tuple[str, ...] = ("tenant", "data-sensitivity")
    # The principals the cost model counts (config `cost.producers` / `cost.consumers`, `cost`'s
    # flags); None: those the code shows, at least 1 each.
    producers: int | None = None
    consumers: int | None = None
    month_days: float = 30
    max_file_mb: float = 50  # larger files are not read, and said (config `max_file_mb`)
    parameters: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    var_files: tuple[str, ...] = ()
    # Terraform variable values from `TF_VAR_name` environment variables, by name: read once by
    # the CLI (unless `--no-env` or config `env: false`), never by a parser, so the result
    # cache, which keys each parse on these options, sees them.
    env_vars: dict[str, str] = field(default_factory=dict)
