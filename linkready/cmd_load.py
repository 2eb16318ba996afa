"""``linkready validate``, ``linkready load`` and ``linkready purge`` (thin calls into ``warehouse``)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import click

from warehouse.errors import ConfigError
from warehouse.validation.problems import Problem

_EXAMPLES = 20


def _write_json(path: Path, payload: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _print_problems(problems: list[Problem]) -> None:
    if not problems:
        return
    by_file_rule = Counter((p.file, p.rule) for p in problems)
    click.echo("Problems by file and rule:")
    for (file, rule), n in sorted(by_file_rule.items()):
        click.echo(f"  {n:>7}  {rule:<22} {file}")
    click.echo(f"First {min(_EXAMPLES, len(problems))} of {len(problems)}:")
    for p in problems[:_EXAMPLES]:
        where = f"{p.file}" + (f" row {p.row}" if p.row is not None else "") + (f" field {p.field}" if p.field else "")
        click.echo(f"  [{p.severity}] {where}: {p.rule}: {p.message}")
        click.echo(f"      fix: {p.hint}")


@click.command("validate")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every problem as JSON to this file.")
def validate_cmd(directory: Path, json_out: Path | None) -> None:
    """Check an extract drop DIRECTORY without loading it (exit 0 clean, 1 with errors).

    Problems name the file, row (1-based, header excluded; XML: the Child element), field and
    rule; identifier values are never printed.
    """
    from warehouse.validation import validate_drop

    report = validate_drop(directory)
    click.echo(f"Checked {len(report.files)} files, {report.rows_checked} rows: "
               f"{report.errors} errors, {report.warnings} warnings")
    _print_problems(report.problems)
    if json_out:
        _write_json(json_out, report.to_dict())
    if report.errors:
        # sys.exit, not click's Exit: the group runs with standalone_mode=False, which returns Exit codes
        sys.exit(1)


@click.command("load")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Warehouse file.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write per-file counts as JSON to this file.")
def load_cmd(directory: Path, db: Path, json_out: Path | None) -> None:
    """Validate and load an extract drop DIRECTORY into the warehouse --db in one transaction.

    Rejected rows go to the restricted zone with their reasons; good rows load. Loading an
    unchanged file again is a no-op; a changed file supersedes the earlier version.
    """
    from warehouse.loading import load_drop
    from warehouse.store import Store

    report = load_drop(directory, Store(db), progress=lambda line: click.echo(f"  {line}"))
    loaded = sum(f.rows_loaded for f in report.files)
    rejected = sum(f.rows_rejected for f in report.files)
    unchanged = sum(1 for f in report.files if f.status == "unchanged")
    failed = sum(1 for f in report.files if f.status == "failed")
    click.echo(f"Loaded {len(report.files)} files into {db} in {report.seconds:.1f} s: {loaded} rows loaded, "
               f"{rejected} rejected; {unchanged} unchanged, {failed} not loadable")
    if report.problems:
        _print_problems(report.problems)
    if json_out:
        _write_json(json_out, report.to_dict())


@click.command("purge")
@click.option("--before", required=True, help="Delete restricted rows whose retention ends before this ISO date.")
@click.option("--db", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True)
def purge_cmd(before: str, db: Path) -> None:
    """Delete restricted-zone data past its retention date and record the purge."""
    from warehouse.purge import purge_restricted
    from warehouse.store import Store

    try:
        cutoff = date.fromisoformat(before)
    except ValueError:
        raise ConfigError(f"--before {before!r} is not a date; give an ISO date such as 2027-04-01") from None
    deleted = purge_restricted(Store(db), cutoff)
    for table, n in deleted.items():
        click.echo(f"  {table}: {n} rows deleted")
    click.echo(f"Purged {sum(deleted.values())} restricted rows with retention before {cutoff}")


COMMANDS = [validate_cmd, load_cmd, purge_cmd]
