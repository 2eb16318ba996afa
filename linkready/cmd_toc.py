"""``linkready toc import|export|versions|readiness`` (thin calls into ``synthesis`` and ``warehouse.toc``)."""

from __future__ import annotations

from pathlib import Path

import click

from warehouse import SITE_IDS, Store

_FORMATS = ["csv", "xlsx", "json", "mermaid", "dot"]


@click.group("toc")
def toc() -> None:
    """Theory of change per site: import the workshop template, export it or draw it."""


@toc.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--db", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Warehouse file.")
@click.option("--site", required=True, type=click.Choice(SITE_IDS), help="Site whose theory of change this is.")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Text file, one name per line, to look for in the free text.")
def import_cmd(file: Path, db: Path, site: str, roster: Path | None) -> None:
    """Import a theory of change: the template (.csv, or .xlsx sheet 'theory_of_change') or .json.

    Each import that changes the site's theory of change stores a new version; an unchanged one is a no-op.
    """
    from synthesis import import_toc

    names = tuple(line.strip() for line in roster.read_text(encoding="utf-8-sig").splitlines() if line.strip()) \
        if roster else ()
    model, created = import_toc(file, Store(db), site, names)
    what = "stored as version" if created else "unchanged: still version"
    click.echo(f"{file.name}: {site} theory of change {what} {model.version} ({len(model.nodes)} nodes, "
               f"{len(model.links)} links, {len(model.evidence)} evidence, {len(model.sources)} outcome sources)")


@toc.command("export")
@click.option("--db", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", required=True, type=click.Choice(SITE_IDS))
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="csv", show_default=True,
              help="csv/xlsx (the template), json, or a diagram (mermaid, dot).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (required for xlsx).")
@click.option("--version", "version", type=click.IntRange(1), help="A stored version (default: the latest).")
def export_cmd(db: Path, site: str, fmt: str, out: Path | None, version: int | None) -> None:
    """Write a site's theory of change as the template, JSON, or a Mermaid / DOT diagram."""
    from synthesis import export_toc

    if fmt == "xlsx" and out is None:
        raise click.UsageError("--format xlsx writes a binary workbook: give --out FILE.xlsx")
    result = export_toc(Store(db, read_only=True), site, fmt, out, version)  # type: ignore[arg-type]
    click.echo(f"wrote {result}" if out is not None else result, nl=out is not None)


@toc.command("versions")
@click.option("--db", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", type=click.Choice(SITE_IDS), help="One site (default: all).")
def versions_cmd(db: Path, site: str | None) -> None:
    """List the stored theory-of-change versions."""
    from warehouse import toc_versions

    with Store(db, read_only=True).reader() as con:
        rows = toc_versions(con, site)
    for site_id, version, title, source in rows:
        click.echo(f"{site_id:<5} v{version}  {title}  (from {source or 'unknown'})")
    if not rows:
        click.echo("no theory of change stored; import one with `linkready toc import FILE --db DB --site S`")


@toc.command("readiness")
@click.option("--db", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", type=click.Choice(SITE_IDS), help="One site's view (small counts 1-5 suppressed).")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json", "xlsx"]), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (required for xlsx).")
@click.option("--min-completeness", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Baseline completeness a measure needs to be ready now (default placeholder).")
@click.option("--min-retention", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Follow-up retention a measure needs to be ready now (default placeholder).")
@click.option("--min-held-rating", type=click.IntRange(0, 4), default=3, show_default=True,
              help="Availability rating (0-4, 'held') a site data item needs to be ready now.")
def readiness_cmd(db: Path, site: str | None, fmt: str, out: Path | None, min_completeness: float,
                  min_retention: float, min_held_rating: int) -> None:
    """Outcome readiness (RQ3a): each outcome of the theories of change against its evidence sources.

    Needs theories of change (`toc import`) and evaluation readiness (`linkready readiness`) in the warehouse.
    """
    from synthesis import ReadinessRules, outcome_readiness, write_table

    if fmt == "xlsx" and out is None:
        raise click.UsageError("--format xlsx writes a binary workbook: give --out FILE.xlsx")
    rules = ReadinessRules(min_completeness, min_retention, min_held_rating)
    store = Store(db, read_only=True)
    frame = outcome_readiness(store, [site] if site else None, rules, site_view=site is not None)
    if site is not None:
        # A site sees no figure its own readiness tables hide (the matrix is reconciled with them).
        from evaluation import load_report, safe_outcome_matrix, site_tables

        frame = safe_outcome_matrix(frame, site_tables(load_report(store).for_site(site)))
    result = write_table(frame, fmt, out, "Outcome readiness (RQ3a)")  # type: ignore[arg-type]
    click.echo(f"wrote {result}" if out is not None else result, nl=out is not None)


COMMANDS = [toc]
