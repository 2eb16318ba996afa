"""``linkready batches`` (the load history) and ``linkready restore BATCH`` (make a batch current again)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from warehouse import ConfigError

_HEADER = f"{'batch':>6}  {'status':<11} {'year':>4}  {'rows read':>9} {'stored':>8} {'refused':>8} {'children':>8}  file"


@click.command("batches")
@click.option("--db", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
def batches_cmd(db: Path, as_json: bool) -> None:
    """List every batch loaded into the warehouse --db: status, year, counts and why (never values)."""
    from warehouse import Store, list_batches

    batches = list_batches(Store(db, read_only=True))
    if as_json:
        click.echo(json.dumps([b.to_dict() for b in batches], indent=2))
        return
    click.echo(_HEADER)
    for b in batches:
        year = str(b.collection_year) if b.collection_year else "-"  # every return's batch is keyed by year
        children = "-" if b.children is None else str(b.children)
        click.echo(f"{b.batch_id:>6}  {b.status:<11} {year:>4}  {b.rows_read:>9} {b.rows_loaded:>8} "
                   f"{b.rows_rejected:>8} {children:>8}  {b.file}")
        if b.reason:
            click.echo(f"{'':>8}{b.reason}")


@click.command("restore")
@click.argument("batch", type=int)
@click.option("--db", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True)
def restore_cmd(batch: int, db: Path) -> None:
    """Make an earlier (superseded or quarantined) BATCH current again; the current one is archived."""
    from warehouse import Store, restore_batch

    try:
        restored, replaced = restore_batch(Store(db), batch)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    was = f"; batch {replaced.batch_id} archived (restorable the same way)" if replaced else ""
    click.echo(f"Batch {restored.batch_id} ({restored.file}) is current again{was}.")


COMMANDS = [batches_cmd, restore_cmd]
