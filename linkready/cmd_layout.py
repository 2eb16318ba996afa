"""``linkready layout infer FILE``: propose a site layout TOML from a file's header and value patterns."""

from __future__ import annotations

from pathlib import Path

import click

from warehouse import ConfigError


@click.group("layout")
def layout_group() -> None:
    """Site layouts as TOML files (columns, date format, encoding, delimiter, value labels)."""


@layout_group.command("infer")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", "site_id", help="The site the file comes from (its labels and outcome files are reused).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the TOML here (else print it).")
def infer_cmd(file: Path, site_id: str | None, out: Path | None) -> None:
    """Propose a layout for FILE (never prints a value of the file: column names and known labels only).

    Load the file with it: `linkready load DIR --db FILE --layout LAYOUT.toml`.
    """
    from warehouse import infer_layout, layout_toml

    try:
        proposal = infer_layout(file, site_id)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    text = layout_toml(proposal.adapter, proposal.note)
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    weak = [f for f, s in proposal.confidence.items() if s < 0.5]
    click.echo(f"Wrote {out}: {len(proposal.adapter.people.columns)} columns matched"
               + (f"; check {', '.join(weak)}" if weak else ""))


COMMANDS = [layout_group]
