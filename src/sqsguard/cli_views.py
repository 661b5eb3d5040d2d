"""`sqsguard inventory` and `sqsguard cost`: the numbers security and FinOps teams track, from
the same scan as `sqsguard scan` (cli.py holds the shared options and helpers)."""

from __future__ import annotations

import sys

import click

from . import __version__
from .cli import EXIT_CLEAN, EXIT_ERROR, exit_code, given_inputs, run_scan, scan_inputs, write_output, _settings


@click.command("inventory", short_help="List queues, their encryption and key, and the compliance share.")
@click.argument("paths", nargs=-1, type=click.Path(readable=False))  # an unreadable file is a scan error, not a usage error
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "html"]), default="text", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), help="Write the inventory to FILE.")
@click.option("--merge", "merge_files", multiple=True, type=click.Path(dir_okay=False), metavar="REPORT.json",
              help="Combine inventory JSON reports (one per repository) instead of scanning: --merge A.json B.json ... (PATHS are then reports too).")
@click.option("--label", metavar="NAME", help="The repository's name in a merged inventory (default: the git remote, owner/name).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Configuration file (default: found upward).")
@scan_inputs
def inventory_command(paths, fmt, output, merge_files, label, config_file, parameters, variables, var_files,
                      own_accounts, trusted_accounts, jobs, quiet, cache_dir, no_cache, strict, no_env) -> None:
    """One row per queue: its encryption mode, key, rotation, ownership tags, producers and
    consumers, and whether it is compliant (a customer-managed key with a least-privilege policy:
    no unsuppressed SQG1xx, SQG2xx, SQG304 or SQG4xx finding on the queue or its key).

    Exit 0, or 2 when a file could not be read (the inventory then says which), or with
    --strict when a file declares SQS or KMS resources in a form sqsguard does not read."""
    from . import inventory

    if merge_files:
        if label:
            raise click.UsageError("--label names the repository a scan is of; a merge takes each repository's label from its report")
        documents = []
        for path in (*merge_files, *paths):  # --merge a.json b.json c.json: the rest are reports too
            try:
                documents.append((path, inventory.load(path)))
            except inventory.MergeError as exc:
                click.echo("error: %s" % exc, err=True)
                sys.exit(EXIT_ERROR)
        try:
            doc = inventory.merge(documents, __version__)
        except inventory.MergeError as exc:
            click.echo("error: %s" % exc, err=True)
            sys.exit(EXIT_ERROR)
        write_output(_render_inventory(fmt, doc, output), output)
        sys.exit(EXIT_CLEAN)
    scan_paths = list(paths) or ["."]
    for path in scan_paths:
        if path.endswith(".json") and _is_inventory_report(path):
            raise click.UsageError("%s is an inventory report: combine reports with --merge %s ..." % (path, path))
    if label is None:
        from .repository import remote_label

        label = remote_label  # each queue's own repository, when one scan covers several
    settings = _settings(scan_paths, config_file, given_inputs(parameters, variables, var_files, own_accounts, trusted_accounts, cache_dir, no_cache, strict, no_env))
    report, _ = run_scan(scan_paths, settings, jobs=jobs, views=("inventory",), label=label, quiet=quiet)
    _tell_problems(report)
    write_output(_render_inventory(fmt, report.inventory, output), output)
    sys.exit(_exit(report, settings))


def _tell_problems(report) -> None:
    """Scan errors and skipped files on stderr (the inventory and cost documents count neither)."""
    for error in report.errors:
        click.echo("error: %s%s: %s" % (error.file, ":%d" % error.line if error.line else "", error.message), err=True)
    for skipped in report.skipped:
        click.echo("skipped: %s: %s" % (skipped.file, skipped.reason), err=True)


def _exit(report, settings) -> int:
    return exit_code(report, "never", bool(settings["strict"]))


def _render_inventory(fmt: str, doc: dict, output: str | None) -> str:
    from .report import inventory_formats

    if fmt == "html":
        from .report import html

        return html.render_inventory(doc, title="sqsguard inventory")
    return inventory_formats.render(fmt, doc, None if output else _width())


def _width() -> int | None:
    """`COLUMNS` when set, else the terminal's width when the table goes to one; None (120
    columns) in files and pipes."""
    import os

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) >= 40:
        return int(columns)
    if not sys.stdout.isatty():
        return None
    import shutil

    return shutil.get_terminal_size().columns


@click.command("cost", short_help="KMS request and fee bounds per queue and key.")
@click.argument("paths", nargs=-1, type=click.Path(readable=False))  # an unreadable file is a scan error, not a usage error
@click.option("--producers", type=click.IntRange(min=1), default=None,
              help="Producing principals per queue (default: the configuration's cost.producers, else those the code shows, at least 1).")
@click.option("--consumers", type=click.IntRange(min=1), default=None,
              help="Consuming principals per queue (default: cost.consumers, else those the code shows, at least 1).")
@click.option("--month-days", type=click.FloatRange(min=0, min_open=True, max=31), default=None,
              help="Days in the billing month (default: cost.month_days, else 30).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Configuration file (default: found upward).")
@scan_inputs
def cost_command(paths, producers, consumers, month_days, fmt, output, config_file, parameters, variables, var_files,
                 own_accounts, trusted_accounts, jobs, quiet, cache_dir, no_cache, strict, no_env) -> None:
    """Per queue with a KMS key: the data key reuse period and AWS's bound of KMS requests a
    month, R = B / D x (2P + C), at $0.03 per 10,000 requests; per key the $1 monthly fee.

    Exit 0, or 2 when a file could not be read (with --strict, also when a file declares SQS or
    KMS resources in a form sqsguard does not read)."""
    given = given_inputs(parameters, variables, var_files, own_accounts, trusted_accounts, cache_dir, no_cache, strict, no_env)
    flags = {name: value for name, value in (("producers", producers), ("consumers", consumers), ("month_days", month_days)) if value is not None}
    if flags:
        given["cost"] = flags
    scan_paths = list(paths) or ["."]
    settings = _settings(scan_paths, config_file, given)
    report, _ = run_scan(scan_paths, settings, jobs=jobs, views=("cost",), quiet=quiet)
    _tell_problems(report)
    from .report import cost_formats

    write_output(cost_formats.render(fmt, report.cost, None if output else _width()), output)
    sys.exit(_exit(report, settings))


def _is_inventory_report(path: str) -> bool:
    from .inputs import read_regular

    try:
        head = read_regular(path, 4096)  # a FIFO named *.json must not hang the command
    except OSError:
        return False
    return b'"kind": "inventory"' in head or b'"kind":"inventory"' in head
