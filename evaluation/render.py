"""Render a :class:`ReadinessReport` as Markdown, JSON or an Excel workbook.

A *site view* (one site requested) suppresses counts 1-5 in the completeness and change tables
(csc-data-standards §7.4). Funnel figures are projections, not counts of real people, so they
are shown as computed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from evaluation.completeness import CHANGE_LABEL
from evaluation.disclosure import suppress_small_counts
from evaluation.readiness import CSC_OUTCOME, POOLED, ReadinessReport
from warehouse.measures import MEASURES
from warehouse.sites import SITES

__all__ = ["report_tables", "to_json", "to_markdown", "write_xlsx"]

_DESIGN_NAMES = {
    "individual_rct": "individually randomised trial",
    "cluster_rct": "cluster randomised trial",
    "matched_comparison": "matched comparison",
}
_COMPLETENESS_COUNTS = ("eligible", "recorded", "scored", "prorated", "missing", "baseline_scored", "retained")


def report_tables(report: ReadinessReport, site_view: bool) -> dict[str, pl.DataFrame]:
    """The report's tables, with small counts suppressed when ``site_view``."""
    completeness, change = report.completeness, report.change
    if site_view:
        threshold = report.settings.small_count
        completeness = suppress_small_counts(
            completeness, _COMPLETENESS_COUNTS, ("completeness", "retention"), threshold,
            additive=(("eligible", ("scored", "missing")),),
            group_by=("site_id", "measure", "timepoint", "subgroup_type"),
        )
        change = suppress_small_counts(
            change, ("n_pairs", "reliable_improvement", "reliable_deterioration", "no_reliable_change",
                     "clinically_significant"),
            ("baseline_mean", "followup_mean", "mean_change", "sd_change", "ci_low", "ci_high"), threshold,
            additive=(("n_pairs", ("reliable_improvement", "reliable_deterioration", "no_reliable_change")),),
        )
    return {"summary": report.summary, "timeline": report.timeline, "funnel": report.funnel,
            "completeness": completeness, "change": change}


def _header(report: ReadinessReport) -> dict[str, object]:
    t = report.target
    d = report.settings.design
    return {
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "design": d.design, "mdes": d.mdes, "alpha": d.alpha, "power": d.power,
        "design_effect": t.design_effect, "n_per_arm": t.n_per_arm, "target_n": t.target_n,
        "consent_rate_default": report.settings.consent_rate,
        "label": "Pre-post change is description, not impact. Rates marked default are unverified placeholders.",
    }


def to_json(report: ReadinessReport, site_view: bool = False) -> str:
    """The report as JSON: a header (design, target, as-of date) and every table as records."""
    tables = report_tables(report, site_view)
    payload = {"report": _header(report), "settings": json.loads(report.settings.to_json()),
               "tables": {name: frame.to_dicts() for name, frame in tables.items()}}
    return json.dumps(payload, indent=2, sort_keys=True, default=str)


def _fmt(value: object, pct: bool = False, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:.0%}" if pct else f"{value:.{digits}f}"
    return str(value)


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out + [""]


def _months(value: object) -> str:
    if not isinstance(value, int | float):
        return "never (nothing analysable accrues)"
    return f"{value:.1f}" if value < 24 else f"{value:.1f} ({value / 12:.1f} years)"


def _measure_name(code: str) -> str:
    if code == CSC_OUTCOME:
        return "CSC involvement (linked records)"
    return MEASURES[code].name if code in MEASURES else code


def to_markdown(report: ReadinessReport, site_view: bool = False) -> str:
    """A readable report: headline per site, then per-site funnels, completeness and change."""
    tables = report_tables(report, site_view)
    h = _header(report)
    lines = [
        "# Evaluation readiness", "",
        f"Data as of {h['as_of'] or 'unknown'}. Design: {_DESIGN_NAMES[str(h['design'])]}, MDES {h['mdes']}, "
        f"alpha {h['alpha']}, power {h['power']}, design effect {float(h['design_effect']):.2f} "  # type: ignore[arg-type]
        f"→ {float(h['n_per_arm']):.1f} per arm before the design effect; "  # type: ignore[arg-type]
        f"**target sample: {h['target_n']} analysable participants**.",
        "",
        f"Consent rate default {report.settings.consent_rate:.0%}, fallback retention "
        f"{report.settings.default_retention:.0%} and fallback linkage recall "
        f"{report.settings.default_linkage_recall:.0%} are unverified placeholders (see the `basis` of each row).",
        "",
        "## Summary", "",
    ]
    summary = tables["summary"]
    lines += _md_table(
        ["site", "primary outcome", "baseline completeness", "retention",
         f"months to {report.target.target_n} (primary)", "months (CSC via linkage)", "best linkage scenario",
         "recall", "linkage verdict"],
        [(r["site_id"], _measure_name(r["primary_outcome"]) if r["primary_outcome"] else "none usable",
          _fmt(r["primary_completeness"], pct=True), _fmt(r["primary_retention"], pct=True),
          _months(r["months_to_target"]), _months(r["csc_months_to_target"]),
          r["best_linkage_scenario"] or "no linkage run", _fmt(r["linkage_recall"], pct=True), r["linkage_verdict"])
         for r in summary.iter_rows(named=True)],
    )
    pooled = tables["timeline"].filter(pl.col("site_id") == POOLED)
    if pooled.height:
        lines += ["## Pooled across sites", ""]
        lines += _md_table(
            ["outcome", "referrals / month", "analysable / month", f"months to {report.target.target_n}"],
            [(_measure_name(r["outcome"]) if r["outcome"] != "primary_measure" else "each site's primary measure",
              _fmt(r["monthly_referrals"], digits=2), _fmt(r["analysable_per_month"], digits=2),
              _months(r["months_to_target"])) for r in pooled.iter_rows(named=True)],
        )
    for r in summary.iter_rows(named=True):
        lines += _site_section(report, tables, r)
    return "\n".join(lines).rstrip() + "\n"


def _site_section(report: ReadinessReport, tables: dict[str, pl.DataFrame], s: dict[str, object]) -> list[str]:
    site = str(s["site_id"])
    name = SITES[site].name if site in SITES else site
    lines = [f"## {name} ({site})", ""]
    if s["primary_outcome"]:
        lines.append(
            f"Months to a target of {report.target.target_n} analysable participants on "
            f"{_measure_name(str(s['primary_outcome']))}: **{_months(s['months_to_target'])}**; "
            f"on CSC involvement via linkage: **{_months(s['csc_months_to_target'])}**."
        )
    else:
        lines.append(f"No usable primary questionnaire outcome; months to {report.target.target_n} on CSC "
                     f"involvement via linkage: **{_months(s['csc_months_to_target'])}**.")
    lines += ["", f"Data gaps: {s['data_gaps'] or 'none found'}.", ""]
    timeline = tables["timeline"].filter(pl.col("site_id") == site)
    lines += ["### Outcome candidates", ""]
    lines += _md_table(
        ["outcome", "referrals / month", "consent", "baseline scored", "retention", "linkage recall",
         "analysable / month", "months", "basis"],
        [(_measure_name(r["outcome"]), _fmt(r["monthly_referrals"], digits=2), _fmt(r["consent_rate"], pct=True),
          _fmt(r["baseline_rate"], pct=True), _fmt(r["retention"], pct=True), _fmt(r["linkage_recall"], pct=True),
          _fmt(r["analysable_per_month"], digits=2), _months(r["months_to_target"]), r["basis"])
         for r in timeline.iter_rows(named=True)],
    )
    funnel = tables["funnel"].filter(pl.col("site_id") == site)
    for outcome in [o for o in (s["primary_outcome"], CSC_OUTCOME) if o]:
        f = funnel.filter(pl.col("outcome") == outcome).sort("step_no")
        if f.height == 0:
            continue
        lines += [f"### Funnel: {_measure_name(str(outcome))} over {f['horizon_months'][0]} months", ""]
        lines += _md_table(["step", "people", "lost", "kept", "source"],
                           [(r["step"], r["n"], r["lost"], _fmt(r["rate"], pct=True), r["source"])
                            for r in f.iter_rows(named=True)])
    comp = tables["completeness"].filter((pl.col("site_id") == site) & (pl.col("subgroup_type") == "all"))
    lines += ["### Completeness and retention", ""]
    lines += _md_table(
        ["measure", "timepoint", "eligible", "scored", "missing", "completeness", "retained", "retention"],
        [(_measure_name(r["measure"]), r["timepoint"], _fmt(r["eligible"]), _fmt(r["scored"]), _fmt(r["missing"]),
          _fmt(r["completeness"], pct=True), _fmt(r["retained"]), _fmt(r["retention"], pct=True))
         for r in comp.iter_rows(named=True)],
    )
    change = tables["change"].filter(pl.col("site_id") == site)
    lines += [f"### Change on each measure ({CHANGE_LABEL})", ""]
    lines += _md_table(
        ["measure", "pairs", "mean change", "95% CI", "reliable improvement", "reliable deterioration",
         "clinically significant"],
        [(_measure_name(r["measure"]), _fmt(r["n_pairs"]), _fmt(r["mean_change"], digits=2),
          f"{_fmt(r['ci_low'], digits=2)} to {_fmt(r['ci_high'], digits=2)}", _fmt(r["reliable_improvement"]),
          _fmt(r["reliable_deterioration"]), _fmt(r["clinically_significant"]))
         for r in change.iter_rows(named=True)],
    )
    return lines


def write_xlsx(report: ReadinessReport, out: Path, site_view: bool = False) -> Path:
    """Write one sheet per table plus an "about" sheet; returns ``out``."""
    from openpyxl import Workbook

    wb = Workbook()
    about = wb.active
    assert about is not None
    about.title = "about"
    for key, value in _header(report).items():
        about.append([key, str(value) if value is not None else ""])
    for name, frame in report_tables(report, site_view).items():
        ws = wb.create_sheet(name)
        ws.append(frame.columns)
        for row in frame.iter_rows():
            ws.append([v if isinstance(v, int | float | str) or v is None else str(v) for v in row])
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
