"""``linkready readiness``: compute evaluation readiness per site and report it (md, json or xlsx)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from warehouse import SITE_IDS, DataError

if TYPE_CHECKING:
    import polars as pl

    from evaluation import ReadinessReport, ReadinessSettings
    from warehouse import Store


@click.command("readiness")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Warehouse file.")
@click.option("--site", type=click.Choice(SITE_IDS), default=None,
              help="One site's view: counts of 1-5, and every figure that would reveal one, shown as [c].")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "xlsx"]), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report here (required for xlsx); default: print to stdout.")
@click.option("--design", type=click.Choice(["individual_rct", "cluster_rct", "matched_comparison"]),
              default="individual_rct", show_default=True)
@click.option("--mdes", type=float, default=0.3, show_default=True, help="Minimum detectable effect size (d).")
@click.option("--alpha", type=float, default=0.05, show_default=True)
@click.option("--power", type=float, default=0.8, show_default=True)
@click.option("--icc", type=float, default=0.05, show_default=True, help="Intra-cluster correlation (cluster_rct).")
@click.option("--cluster-size", type=float, default=10.0, show_default=True, help="Mean cluster size (cluster_rct).")
@click.option("--matched-design-effect", type=float, default=1.5, show_default=True,
              help="Design effect of a matched comparison [unverified placeholder].")
@click.option("--consent-rate", type=float, default=0.7, show_default=True,
              help="Share of referrals consenting [unverified placeholder].")
@click.option("--study-period-months", type=click.IntRange(min=1), default=36, show_default=True,
              help="Recruitment months the study has; later targets are flagged not reachable [unverified placeholder].")
@click.option("--family-clustering", type=click.Choice(["one_per_family", "design_effect"]), default="one_per_family",
              show_default=True, help="Count one respondent per family, or everyone with a family design effect.")
@click.option("--max-interval-width", type=click.FloatRange(0, 1, min_open=True), default=0.2, show_default=True,
              help="A recall interval wider than this gives the verdict 'unknown: review a sample'.")
@click.option("--stored", is_flag=True,
              help="Print the report already stored, opening the warehouse read-only (works while the dashboard "
                   "serves it); nothing is recomputed and the design options are ignored.")
def readiness(db: Path, site: str | None, fmt: str, out: Path | None, design: str, mdes: float, alpha: float,
              power: float, icc: float, cluster_size: float, matched_design_effect: float, consent_rate: float,
              study_period_months: int, family_clustering: str, max_interval_width: float, stored: bool) -> None:
    """Outcome completeness, descriptive change, sample size and months to target, per site.

    Computes on the warehouse (replacing the readiness tables the dashboard reads), then prints
    or writes the report; with --stored, prints the stored report read-only (works while the
    dashboard serves the warehouse). When theories of change are stored, the report includes the
    outcome readiness matrix (one row per site, outcome and evidence source). Pre-post change is
    description, not impact.
    """
    from evaluation import DesignSettings, ReadinessSettings, VerdictSettings

    if fmt == "xlsx" and out is None:
        raise click.UsageError("--format xlsx writes a binary workbook: give --out FILE.xlsx")
    if not db.exists():
        raise DataError(f"warehouse file {db} does not exist; create it with `linkready load DIR --db {db}`")
    settings = None if stored else ReadinessSettings(
        design=DesignSettings(design=design, mdes=mdes, alpha=alpha, power=power, icc=icc,  # type: ignore[arg-type]
                              cluster_size=cluster_size, matched_design_effect=matched_design_effect),
        consent_rate=consent_rate, study_period_months=study_period_months,
        family_clustering=family_clustering,  # type: ignore[arg-type]
        verdict=VerdictSettings(max_interval_width=max_interval_width),
    )
    report, matrix, note = _report(db, settings, site)
    _emit(report, matrix, note, fmt=fmt, out=out, site_view=site is not None)


def _emit(report: ReadinessReport, matrix: pl.DataFrame | None, note: str | None, *, fmt: str, out: Path | None,
          site_view: bool) -> None:
    """Print the report, or write it to ``out`` (a workbook for xlsx)."""
    from evaluation import to_json, to_markdown, write_xlsx

    if fmt == "xlsx":
        assert out is not None
        write_xlsx(report, out, site_view=site_view, outcome_matrix=matrix)
        click.echo(f"wrote {out}")
        return
    render = to_json if fmt == "json" else to_markdown
    text = render(report, site_view, outcome_matrix=matrix, matrix_note=note)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")


def _report(db: Path, settings: ReadinessSettings | None,
            site: str | None) -> tuple[ReadinessReport, pl.DataFrame | None, str | None]:
    """Compute and store (or, with no settings, read the stored report), with the outcome readiness matrix.

    DuckDB lets one process write a file, or several read it: a lock held elsewhere becomes a
    one-line message saying which process to look for and what to run instead.
    """
    from evaluation import compute_and_store, load_report
    from warehouse import Store

    try:
        store = Store(db, read_only=settings is None)
        report = load_report(store) if settings is None else compute_and_store(store, settings)
        matrix, note = _outcome_matrix(store, site)
    except DataError as exc:
        if not _locked(exc):
            raise
        raise DataError(_LOCKED_STORED.format(db=db) if settings is None else _LOCKED.format(db=db)) from None
    return (report.for_site(site) if site else report), matrix, note


def _outcome_matrix(store: Store, site: str | None) -> tuple[pl.DataFrame | None, str | None]:
    """The theory-of-change outcome readiness matrix (site view through the disclosure engine), or why not."""
    from synthesis import outcome_readiness

    try:
        return outcome_readiness(store, [site] if site else None, site_view=site is not None), None
    except DataError as exc:
        if _locked(exc):
            raise
        return None, f"not shown: {exc}"


def _locked(exc: Exception) -> bool:
    """DuckDB's "Could not set lock on file" (another process has the warehouse open)."""
    return "could not set lock" in str(exc).lower()


_LOCKED = ("warehouse {db} is open in another process (e.g. `linkready serve`), so readiness cannot save new "
           "results to it; add --stored to print the stored report read-only, or stop that process and run again")
_LOCKED_STORED = ("warehouse {db} is being written by another process (e.g. `linkready load`, `link` or "
                  "`readiness`), so even --stored cannot read it; wait for that process to finish and run again")


COMMANDS = [readiness]
