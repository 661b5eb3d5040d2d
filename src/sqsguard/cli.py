"""The `sqsguard` command (click). Exit codes: 0 clean, 1 findings at or above --fail-on,
2 the scan cannot be trusted (unreadable file, missing path, bad usage)."""

from __future__ import annotations

import os
import sys

import click

from . import __version__
from .findings import SEVERITIES, SEVERITY_RANK, Report

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter("expected NAME=VALUE, got %r" % value, param_hint=option)
        pairs[name.strip()] = text
    return pairs


def _split_ids(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="sqsguard", message="%(prog)s %(version)s")
def main() -> None:
    """Find SQS queues without a customer-managed KMS key, and key policies that are too
    wide or too narrow, in Terraform, CloudFormation/SAM and CDK assemblies."""


def _report_formats() -> list[str]:
    from .report import FORMATS

    return list(FORMATS)


def scan_inputs(function):
    """The options that say what the code is deployed with, shared by scan, inventory and cost."""
    options = [
        click.option("--parameter", "parameters", multiple=True, metavar="NAME=VALUE", help="CloudFormation parameter value."),
        click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="Terraform variable value."),
        click.option("--var-file", "var_files", multiple=True, type=click.Path(dir_okay=False), help="Terraform tfvars file."),
        click.option("--no-env", is_flag=True, help="Do not read Terraform variables from TF_VAR_* environment variables (reproducible runs)."),
        click.option("--own-account", "own_accounts", multiple=True, metavar="ID", help="An AWS account id your keys live in (not foreign)."),
        click.option("--trusted-account", "trusted_accounts", multiple=True, metavar="ID", help="A foreign AWS account id you trust."),
        click.option("--jobs", type=click.IntRange(min=1), default=None, help="Parallel parsing processes (default: CPUs)."),
        click.option("--quiet", "-q", is_flag=True, help="No progress line on the terminal (it is never shown in CI or pipes)."),
        click.option("--cache-dir", type=click.Path(file_okay=False), help="Result cache directory (default: the user cache directory)."),
        click.option("--no-cache", is_flag=True, help="Parse everything again; read and write no result cache."),
        click.option("--strict", is_flag=True, default=None,
                     help="Exit 2 when a file declares SQS or KMS resources in a form sqsguard does not read (the report's skipped files)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def given_inputs(parameters, variables, var_files, own_accounts, trusted_accounts, cache_dir=None, no_cache=False,
                 strict=None, no_env=False) -> dict:
    """The configuration values the shared input options gave (only those given)."""
    given: dict = {}
    if strict:
        given["strict"] = True
    if no_env:
        given["env"] = False
    if cache_dir:
        given["cache_dir"] = cache_dir
    if no_cache:
        given["cache"] = False
    if own_accounts:
        given["own_accounts"] = _split_ids(own_accounts)
    if trusted_accounts:
        given["trusted_accounts"] = _split_ids(trusted_accounts)
    if parameters:
        given["parameters"] = _pairs(parameters, "--parameter")
    if variables:
        given["vars"] = _pairs(variables, "--var")
    if var_files:
        given["var_files"] = list(var_files)
    return given


def run_scan(scan_paths: list[str], settings, select=(), ignores=(), jobs=None, write_baseline=None, views=(), label=None,
             quiet: bool = False):
    """The scan with the effective configuration; exits 2 when it cannot run at all."""
    from .progress import progress_for

    from .baseline import BaselineError
    from .engine import Filters, ScanAbort
    from .engine import scan as scan_with

    filters = Filters(
        config_ignores=_config_ignores(settings),
        severity=dict(settings["severity"] or {}),
        exclude=tuple(settings["exclude"] or ()),
        base=settings.base,
        baseline=settings["baseline"],
        write_baseline=write_baseline,
    )
    progress = progress_for(quiet)
    cache = result_cache(settings)
    try:
        report = scan_with(scan_paths, options_from(settings), select, ignores, jobs, filters, views=views, label=label,
                           progress=progress, cache=cache)
    except (BaselineError, ScanAbort) as exc:
        click.echo("error: %s" % exc, err=True)
        sys.exit(EXIT_ERROR)
    finally:
        if progress is not None:
            progress.close()
    stats = cache.stats if cache is not None else None
    if stats is not None and stats.unwritable and not (stats.written or stats.reports_written or stats.hits):
        click.echo("warning: the result cache %s cannot be written; the report is complete, but the next scan "
                   "will parse everything again (--cache-dir or cache_dir: a writable directory, or --no-cache)"
                   % cache.directory, err=True)
    if cache is not None and os.environ.get("SQSGUARD_CACHE_STATS"):
        stats = cache.stats
        click.echo("cache %s: %d hits, %d misses, %d written, %d not cacheable, %d not writable; report: %d reused, %d written"
                   % (cache.directory, stats.hits, stats.misses, stats.written, stats.uncacheable, stats.unwritable,
                      stats.reports_reused, stats.reports_written), err=True)
    return report, filters


@main.command(short_help="Scan files and directories.")
@click.argument("paths", nargs=-1, type=click.Path(readable=False))  # an unreadable file is a scan error, not a usage error
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(_report_formats()),
    help="Report format (repeatable; each pairs with an --output in order, one may go to stdout). Default: text.",
)
@click.option("--output", "outputs", multiple=True, type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "never"]),
    default=None,
    help="Lowest severity that makes the exit code 1 (default: low, or the configuration's fail_on).",
)
@click.option("--select", multiple=True, metavar="ID", help="Only these rule ids, families (SQG2) or slugs.")
@click.option("--ignore", multiple=True, metavar="ID", help="Do not run these rule ids, families or slugs.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Configuration file (default: found upward).")
@click.option("--baseline", type=click.Path(dir_okay=False), help="Suppress the findings this baseline file holds.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), help="Write every unsuppressed finding to FILE as the baseline.")
@scan_inputs
@click.option("--show-suppressed", is_flag=True, help="Text output: also list suppressed findings.")
@click.option(
    "--sarif-category",
    metavar="NAME",
    help="SARIF: the run's category (automationDetails.id), so several scans of one commit can be uploaded. Default: sqsguard.",
)
@click.option(
    "--sarif-omit-suppressed",
    is_flag=True,
    help="SARIF: leave suppressed findings out (GitHub code scanning ignores SARIF suppressions and would open alerts).",
)
@click.option(
    "--color",
    "color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour in text output (auto: on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it).",
)
def scan(
    paths: tuple[str, ...],
    formats: tuple[str, ...],
    outputs: tuple[str, ...],
    fail_on: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    config_file: str | None,
    baseline: str | None,
    write_baseline: str | None,
    parameters: tuple[str, ...],
    variables: tuple[str, ...],
    var_files: tuple[str, ...],
    no_env: bool,
    own_accounts: tuple[str, ...],
    trusted_accounts: tuple[str, ...],
    jobs: int | None,
    quiet: bool,
    cache_dir: str | None,
    no_cache: bool,
    strict: bool | None,
    show_suppressed: bool,
    sarif_category: str | None,
    sarif_omit_suppressed: bool,
    color: str,
) -> None:
    """Scan files and directories (default: the current directory)."""
    ignores = _split_ids(ignore)
    unknown = _unknown(ignores)
    if unknown:
        raise click.BadParameter("no rule matches %s" % ", ".join(unknown), param_hint="--ignore")
    given: dict = {}
    if select:
        given["select"] = _split_ids(select)
        unknown = _unknown(given["select"])
        if unknown:
            raise click.BadParameter("no rule matches %s" % ", ".join(unknown), param_hint="--select")
    if fail_on:
        given["fail_on"] = fail_on
    if baseline:
        given["baseline"] = baseline
    given.update(given_inputs(parameters, variables, var_files, own_accounts, trusted_accounts, cache_dir, no_cache, strict, no_env))
    formats = formats or ("text",)
    if len(outputs) > len(formats) or len(formats) - len(outputs) > 1:
        raise click.UsageError("give one --output per --format (one format may go to stdout)")
    scan_paths = list(paths) or ["."]
    settings = _settings(scan_paths, config_file, given)
    selectors = settings["select"] or []
    if selectors:
        _warn_unimplemented(selectors, ignores)
    views = ("inventory",) if "html" in formats else ()
    from .repository import remote_label

    report, filters = run_scan(scan_paths, settings, selectors, ignores, jobs, write_baseline, views,
                               label=remote_label if views else None, quiet=quiet)
    if write_baseline:
        click.echo("wrote %d finding%s to the baseline %s" % (report.baseline.entries, "" if report.baseline.entries == 1 else "s", write_baseline), err=True)
    fail_on = settings["fail_on"] or "low"
    extras = {
        "show_suppressed": show_suppressed,
        "severity_overrides": filters.severity,
        "link_base": _link_base(),
        "fail_on": fail_on,
        "include_suppressed": not sarif_omit_suppressed,
        "category": sarif_category,
        "strict": bool(settings["strict"]),
    }
    for index, name in enumerate(formats):
        _emit(report, name, outputs[index] if index < len(outputs) else None, color, extras)
    if "github" in formats and os.environ.get("GITHUB_STEP_SUMMARY"):
        _append_step_summary(report, extras)
    sys.exit(exit_code(report, fail_on, bool(settings["strict"])))


def _unknown(selectors: list[str]) -> list[str]:
    from .engine import unknown_selectors

    return unknown_selectors(selectors)


def _settings(paths: list[str], config_file: str | None, given: dict):
    from .config import ConfigError, load

    try:
        return load(paths, config_file, given)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo("error: %s" % problem, err=True)
        sys.exit(EXIT_ERROR)


def _config_ignores(settings) -> list:
    from .config import ConfigError, ignore_entries

    try:
        return ignore_entries(settings)
    except ConfigError as exc:  # pragma: no cover - the file was read moments ago
        for problem in exc.problems:
            click.echo("error: %s" % problem, err=True)
        sys.exit(EXIT_ERROR)


def result_cache(settings):
    """The result cache the configuration asks for, or None (`cache: false`, `--no-cache`)."""
    from . import cache_paths

    # the parser's own tables (read-only installs, lark_tables.py) go to a chosen directory too,
    # with the result cache off as well
    cache_paths.choose(settings["cache_dir"])
    if not settings["cache"]:
        return None
    from .result_cache import ResultCache

    return ResultCache(cache_paths.user_cache_dir(), settings["cache_max_mb"])


TF_VAR_PREFIX = "TF_VAR_"


def terraform_environment(environ=None) -> dict[str, str]:
    """Terraform variable values from the environment: `TF_VAR_queue_key=...` is variable
    `queue_key` (the name after the prefix, case-sensitive, as Terraform reads it)."""
    environ = os.environ if environ is None else environ
    return {
        name[len(TF_VAR_PREFIX):]: value
        for name, value in sorted(environ.items())
        if name.startswith(TF_VAR_PREFIX) and len(name) > len(TF_VAR_PREFIX)
    }


def options_from(settings):
    """The settings rules read, from the effective configuration (and, unless `env` is off, the
    TF_VAR_ environment variables: read here, once, so the result cache keys on them)."""
    from .options import Options

    return Options(
        env_vars=terraform_environment() if settings["env"] is not False else {},
        parameters={k: _scalar_text(v) for k, v in (settings["parameters"] or {}).items()},
        variables=dict(settings["vars"] or {}),
        var_files=tuple(settings["var_files"] or ()),
        own_accounts=frozenset(settings["own_accounts"] or ()),
        trusted_accounts=frozenset(settings["trusted_accounts"] or ()),
        required_key_tags=tuple(settings["required_key_tags"]),
        isolation_tags=tuple(settings["isolation_tags"]),
        producers=(settings["cost"] or {}).get("producers"),
        consumers=(settings["cost"] or {}).get("consumers"),
        month_days=(settings["cost"] or {}).get("month_days", 30),
        max_file_mb=settings["max_file_mb"],
    )


def _scalar_text(value) -> str:
    """CloudFormation parameter values are strings (a configured `true` or `3` as written)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _link_base() -> str | None:
    """Where a CI system shows the scanned commit's files, for links in the Markdown summary."""
    env = os.environ
    if env.get("GITHUB_SERVER_URL") and env.get("GITHUB_REPOSITORY") and env.get("GITHUB_SHA"):
        return "%s/%s/blob/%s/" % (env["GITHUB_SERVER_URL"].rstrip("/"), env["GITHUB_REPOSITORY"], env["GITHUB_SHA"])
    if env.get("CI_PROJECT_URL") and env.get("CI_COMMIT_SHA"):
        return "%s/-/blob/%s/" % (env["CI_PROJECT_URL"].rstrip("/"), env["CI_COMMIT_SHA"])
    return None


def _append_step_summary(report: Report, extras: dict) -> None:
    from .report import render

    try:
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(render("markdown", report, **extras))
    except OSError as exc:
        click.echo("warning: cannot append to GITHUB_STEP_SUMMARY: %s" % exc.strerror, err=True)


def _warn_unimplemented(selectors: list[str], ignores: list[str]) -> None:
    """Never let an unimplemented rule look like a pass: say it was not checked."""
    from .catalog import load_catalog
    from .engine import rules_run, selected

    done = rules_run()
    missing = [r.id for r in load_catalog().values() if selected(r, selectors, ignores) and r.id not in done]
    if missing:
        click.echo(
            "note: %s %s not implemented in sqsguard %s and %s not checked"
            % (", ".join(missing), "is" if len(missing) == 1 else "are", __version__, "was" if len(missing) == 1 else "were"),
            err=True,
        )


def _use_colour(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def _emit(report: Report, name: str, output: str | None, color: str, extras: dict) -> None:
    from .report import render

    colour = name == "text" and (color == "always" or (output is None and _use_colour(color)))
    width = None
    if name == "text" and output is None and sys.stdout.isatty():
        import shutil

        width = shutil.get_terminal_size().columns  # wrap on a terminal, never in files and pipes
    write_output(render(name, report, colour=colour, width=width, **extras), output, colour)


def write_output(text: str, output: str | None, colour: bool = False) -> None:
    """A report to stdout, or to FILE (exit 2 when it cannot be written)."""
    if output is None:
        click.echo(text, nl=False, color=True if colour else None)  # click strips colour off a terminal otherwise
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        click.echo("error: cannot write %s: %s" % (output, exc.strerror), err=True)
        sys.exit(EXIT_ERROR)


def exit_code(report: Report, fail_on: str, strict: bool = False) -> int:
    """2 when a file could not be read (with `strict`, also when a file was skipped: it declares
    SQS or KMS resources in a form sqsguard does not read), else 1 for a finding at or above
    `fail_on`, else 0."""
    if report.errors or (strict and report.skipped):
        return EXIT_ERROR
    if fail_on == "never":
        return EXIT_CLEAN
    threshold = SEVERITY_RANK[fail_on]
    failing = [f for f in report.findings if not f.suppressed and SEVERITY_RANK[f.severity] >= threshold]
    return EXIT_FINDINGS if failing else EXIT_CLEAN


@main.command("config", short_help="Show the effective configuration.")
@click.argument("paths", nargs=-1, type=click.Path(readable=False))  # an unreadable file is a scan error, not a usage error
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Configuration file (default: found upward).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--reference", is_flag=True, help="Print the reference of every key (Markdown) instead.")
def config_command(paths: tuple[str, ...], config_file: str | None, fmt: str, reference: bool) -> None:
    """Show the effective configuration for PATHS and where each value came from."""
    from .config import reference as config_reference

    if reference:
        click.echo(config_reference(), nl=False)
        return
    settings = _settings(list(paths) or ["."], config_file, {})
    if not settings["cache_dir"]:  # where the cache is when nothing names it
        from .cache_paths import user_cache_dir

        settings.values["cache_dir"] = str(user_cache_dir())
        settings.sources["cache_dir"] = "SQSGUARD_CACHE_DIR" if os.environ.get("SQSGUARD_CACHE_DIR") else "default"
    if fmt == "json":
        import json

        click.echo(json.dumps({"file": settings.path, "values": settings.values, "sources": settings.sources}, indent=2, sort_keys=True))
        return
    import json

    click.echo("configuration file: %s" % (settings.sources and settings.path or "none (defaults only)"))
    width = max(len(k) for k in settings.values)
    for key, value in settings.values.items():
        click.echo("%-*s  %s  (%s)" % (width, key, json.dumps(value), settings.sources.get(key, "default")))


@main.command(short_help="List the rule catalog.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List the rule catalog: id, slug, severity, title, and whether it is implemented."""
    from .catalog import load_catalog
    from .engine import rules_run

    catalog = load_catalog()
    done = rules_run()
    if fmt == "json":
        import json

        rows = [
            {
                "id": r.id,
                "slug": r.slug,
                "severity": r.severity,
                "title": r.title,
                "implemented": r.id in done,
            }
            for r in catalog.values()
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    if fmt == "markdown":
        click.echo(rules_table(catalog.values()), nl=False)
        return
    width = max(len(r.slug) for r in catalog.values())
    for entry in catalog.values():
        state = "" if entry.id in done else "  (not implemented yet)"
        click.echo("%s  %-*s  %-8s  %s%s" % (entry.id, width, entry.slug, entry.severity, entry.title, state))
    click.echo("\n%d rules, %d implemented." % (len(catalog), sum(1 for r in catalog if r in done)))


def rules_table(entries) -> str:
    """The README's rule table, generated from the catalog."""
    lines = ["| id | slug | severity | what it finds |", "|---|---|---|---|"]
    for entry in entries:
        lines.append("| %s | `%s` | %s | %s |" % (entry.id, entry.slug, entry.severity, entry.summary.replace("|", "\\|")))
    return "\n".join(lines) + "\n"


@main.command(short_help="Show a rule's documentation and fixes.")
@click.argument("rule")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="text: rendered for a terminal (through a pager on a terminal); markdown: the catalog entry as written.",
)
def explain(rule: str, fmt: str) -> None:
    """Show a rule's documentation (by id, e.g. SQG103, or slug)."""
    from .catalog import lookup
    from .engine import rules_run
    from .explain import markdown, terminal

    entry = lookup(rule)
    if entry is None:
        click.echo("error: no rule %r; `sqsguard rules` lists them" % rule, err=True)
        sys.exit(EXIT_ERROR)
    status = "" if entry.id in rules_run() else " — not implemented yet"
    if fmt == "markdown":
        click.echo(markdown(entry, status), nl=False)
        return
    import shutil

    tty = sys.stdout.isatty()
    text = terminal(entry, status, width=shutil.get_terminal_size().columns, colour=tty and _use_colour("auto"))
    if tty:
        click.echo_via_pager(text)
    else:
        click.echo(text, nl=False)


@main.command("checkov-plugin-path", short_help="Print the Checkov plugin folder.")
def checkov_plugin_path() -> None:
    """Print the folder of sqsguard's Checkov external checks (for --external-checks-dir)."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    for candidate in (here / "_checkov_plugin", here.parents[1] / "checkov_plugin"):
        if (candidate / "sqsguard_checkov.py").is_file():
            click.echo(str(candidate))
            return
    click.echo("error: the Checkov plugin is missing from this installation", err=True)
    sys.exit(EXIT_ERROR)


@main.command("cfn-lint-rules-path", short_help="Print the cfn-lint rules folder.")
def cfn_lint_rules_path() -> None:
    """Print the folder of sqsguard's cfn-lint rules: cfn-lint --append-rules="$(sqsguard cfn-lint-rules-path)" T.yaml"""
    from pathlib import Path

    folder = Path(__file__).resolve().parent / "cfnlint_rules"
    if not folder.is_dir():
        click.echo("error: the cfn-lint rules are missing from this installation", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(str(folder))


def run() -> None:
    """The `sqsguard` command: `main`, then a quick exit. Once the report is written and flushed
    there is nothing left to clean up (files are closed, worker processes joined), so the
    interpreter's teardown (freeing every object of the scan) is skipped with os._exit."""
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            click.echo(exc.code, err=True)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe (| head): nothing more can be said
        code = code or EXIT_ERROR
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover - python -m sqsguard.cli: the package's module has every command
    from sqsguard.cli import main as registered

    registered()
else:
    from .cli_views import cost_command, inventory_command  # they use the helpers above

    main.add_command(inventory_command)
    main.add_command(cost_command)
