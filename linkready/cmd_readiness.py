"""``linkready readiness``: compute evaluation readiness per site and report it (md, json or xlsx)."""

from __future__ import annotations

from pathlib import Path

import click

from warehouse.sites import SITE_IDS


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
@click.option("--stored", is_flag=True, help="Report the results already stored (read-only) instead of computing.")
def readiness(db: Path, site: str | None, fmt: str, out: Path | None, design: str, mdes: float, alpha: float,
              power: float, icc: float, cluster_size: float, matched_design_effect: float, consent_rate: float,
              study_period_months: int, family_clustering: str, max_interval_width: float, stored: bool) -> None:
    """Outcome completeness, descriptive change, sample size and months to target, per site.

    Computes on the warehouse (replacing the readiness tables the dashboard reads), then prints
    or writes the report. Pre-post change is description, not impact.
    """
    from evaluation import (
        DesignSettings,
        ReadinessSettings,
        VerdictSettings,
        compute_and_store,
        load_report,
        to_json,
        to_markdown,
        write_xlsx,
    )
    from warehouse.errors import DataError
    from warehouse.store import Store

    if fmt == "xlsx" and out is None:
        raise click.UsageError("--format xlsx writes a binary workbook: give --out FILE.xlsx")
    if not db.exists():
        raise DataError(f"warehouse file {db} does not exist; create it with `linkready load DIR --db {db}`")
    if stored:
        report = load_report(Store(db, read_only=True))
    else:
        settings = ReadinessSettings(
            design=DesignSettings(design=design, mdes=mdes, alpha=alpha, power=power, icc=icc,  # type: ignore[arg-type]
                                  cluster_size=cluster_size, matched_design_effect=matched_design_effect),
            consent_rate=consent_rate, study_period_months=study_period_months,
            family_clustering=family_clustering,  # type: ignore[arg-type]
            verdict=VerdictSettings(max_interval_width=max_interval_width),
        )
        report = compute_and_store(Store(db), settings)
    if site:
        report = report.for_site(site)
    site_view = site is not None
    if fmt == "xlsx":
        assert out is not None
        write_xlsx(report, out, site_view=site_view)
        click.echo(f"wrote {out}")
        return
    text = to_json(report, site_view) if fmt == "json" else to_markdown(report, site_view)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")


COMMANDS = [readiness]
