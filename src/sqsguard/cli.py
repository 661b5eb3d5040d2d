"""The `sqsguard` command (click). Exit codes: 0 clean, 1 findings at or above --fail-on,
2 the scan cannot be trusted (unreadable file, missing path, bad usage)."""

from __future__ import annotations

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


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(["text", "json"]),
    help="Report format (repeatable; each pairs with an --output in order). Default: text.",
)
@click.option("--output", "outputs", multiple=True, type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "never"]),
    default="low",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
)
@click.option("--select", multiple=True, metavar="ID", help="Only these rule ids, families (SQG2) or slugs.")
@click.option("--ignore", multiple=True, metavar="ID", help="Skip these rule ids, families or slugs.")
@click.option("--parameter", "parameters", multiple=True, metavar="NAME=VALUE", help="CloudFormation parameter value.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="Terraform variable value.")
@click.option("--var-file", "var_files", multiple=True, type=click.Path(dir_okay=False), help="Terraform tfvars file.")
@click.option("--own-account", "own_accounts", multiple=True, metavar="ID", help="An AWS account id your keys live in (not foreign).")
@click.option("--trusted-account", "trusted_accounts", multiple=True, metavar="ID", help="A foreign AWS account id you trust.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Parallel parsing processes (default: CPUs).")
@click.option("--show-suppressed", is_flag=True, help="Text output: also list suppressed findings.")
def scan(
    paths: tuple[str, ...],
    formats: tuple[str, ...],
    outputs: tuple[str, ...],
    fail_on: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    parameters: tuple[str, ...],
    variables: tuple[str, ...],
    var_files: tuple[str, ...],
    own_accounts: tuple[str, ...],
    trusted_accounts: tuple[str, ...],
    jobs: int | None,
    show_suppressed: bool,
) -> None:
    """Scan files and directories (default: the current directory)."""
    from .engine import scan as run_scan
    from .engine import unknown_selectors
    from .options import Options

    selectors, ignores = _split_ids(select), _split_ids(ignore)
    unknown = unknown_selectors(selectors + ignores)
    if unknown:
        raise click.BadParameter("no rule matches %s" % ", ".join(unknown), param_hint="--select/--ignore")
    if selectors:
        _warn_unimplemented(selectors, ignores)
    formats = formats or ("text",)
    if len(outputs) > len(formats) or len(formats) - len(outputs) > 1:
        raise click.UsageError("give one --output per --format (one format may go to stdout)")
    options = Options(
        parameters=_pairs(parameters, "--parameter"),
        variables=_pairs(variables, "--var"),
        var_files=tuple(var_files),
        own_accounts=frozenset(_split_ids(own_accounts)),
        trusted_accounts=frozenset(_split_ids(trusted_accounts)),
    )
    report = run_scan(list(paths) or ["."], options, selectors, ignores, jobs)
    for index, name in enumerate(formats):
        _emit(report, name, outputs[index] if index < len(outputs) else None, show_suppressed)
    sys.exit(exit_code(report, fail_on))


def _warn_unimplemented(selectors: list[str], ignores: list[str]) -> None:
    """Never let an unimplemented rule look like a pass: say it was not checked."""
    from .catalog import load_catalog
    from .engine import selected
    from .rules import implemented

    done = implemented()
    missing = [r.id for r in load_catalog().values() if selected(r, selectors, ignores) and r.id not in done]
    if missing:
        click.echo(
            "note: %s %s not implemented in sqsguard %s and %s not checked"
            % (", ".join(missing), "is" if len(missing) == 1 else "are", __version__, "was" if len(missing) == 1 else "were"),
            err=True,
        )


def _emit(report: Report, name: str, output: str | None, show_suppressed: bool) -> None:
    from .report import render

    colour = output is None and name == "text" and sys.stdout.isatty()
    text = render(name, report, colour=colour, show_suppressed=show_suppressed)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        click.echo("error: cannot write %s: %s" % (output, exc.strerror), err=True)
        sys.exit(EXIT_ERROR)


def exit_code(report: Report, fail_on: str) -> int:
    if report.errors:
        return EXIT_ERROR
    if fail_on == "never":
        return EXIT_CLEAN
    threshold = SEVERITY_RANK[fail_on]
    failing = [f for f in report.findings if not f.suppressed and SEVERITY_RANK[f.severity] >= threshold]
    return EXIT_FINDINGS if failing else EXIT_CLEAN


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List the rule catalog: id, slug, severity, title, and whether it is implemented."""
    from .catalog import load_catalog
    from .rules import implemented

    catalog = load_catalog()
    done = implemented()
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


@main.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Show a rule's documentation (by id, e.g. SQG103, or slug)."""
    from .catalog import lookup
    from .rules import implemented

    entry = lookup(rule)
    if entry is None:
        click.echo("error: no rule %r; `sqsguard rules` lists them" % rule, err=True)
        sys.exit(EXIT_ERROR)
    status = "" if entry.id in implemented() else " — not implemented yet"
    click.echo("%s %s (%s)%s" % (entry.id, entry.slug, entry.severity, status))
    click.echo(entry.title)
    click.echo("")
    click.echo(entry.summary)
    click.echo(entry.body.rstrip())
    if entry.references:
        click.echo("\n## References\n")
        for title, url in entry.references:
            click.echo("- %s: %s" % (title, url))


if __name__ == "__main__":  # pragma: no cover
    main()
