"""Render a :class:`ReadinessReport` as Markdown, JSON or an Excel workbook.

A *site view* (one site requested) passes every table through :func:`evaluation.site_tables`
(the one disclosure engine, ``warehouse.disclosure``): counts of 1-5 and every figure that would
reveal one become ``[c]``, and the symbols' legend is printed with the tables.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from evaluation.completeness import CHANGE_LABEL
from evaluation.readiness import CSC_OUTCOME, FUNNEL_LABEL, POOLED, ReadinessReport
from evaluation.site_view import safe_outcome_matrix, site_tables
from warehouse.disclosure import DEFAULT_POLICY, legend_rows, neutralise_formula
from warehouse.measures import MEASURES
from warehouse.scenarios import scenario_label
from warehouse.sites import SITES

__all__ = ["report_tables", "to_json", "to_markdown", "write_xlsx"]

_MATRIX_NOTE = "not shown (no outcome readiness matrix was given)"
_MATRIX_SHOWN = ("one row per site, theory-of-change outcome and evidence source, with the readiness level and "
                 "the rule that set it; an outcome is as ready as its best source")
_DESIGN_NAMES = {
    "individual_rct": "individually randomised trial",
    "cluster_rct": "cluster randomised trial",
    "matched_comparison": "matched comparison",
}


def report_tables(report: ReadinessReport, site_view: bool,
                  outcome_matrix: pl.DataFrame | None = None) -> dict[str, pl.DataFrame]:
    """The report's tables; made safe for a site user (:func:`evaluation.site_tables`) when ``site_view``.

    ``outcome_matrix`` (the theory-of-change outcome readiness matrix, one row per site, outcome and
    evidence source) is added as ``outcome_readiness`` when given; in a site view it is reconciled
    with the site's own tables (:func:`evaluation.site_view.safe_outcome_matrix`).
    """
    if site_view:
        tables = site_tables(report, DEFAULT_POLICY)
        if outcome_matrix is not None:
            tables["outcome_readiness"] = safe_outcome_matrix(outcome_matrix, tables, DEFAULT_POLICY)
        return tables
    tables = {"summary": report.summary, "timeline": report.timeline, "funnel": report.funnel,
              "completeness": report.completeness, "change": report.change}
    return tables | ({"outcome_readiness": outcome_matrix} if outcome_matrix is not None else {})


def _header(report: ReadinessReport, site_view: bool = False) -> dict[str, object]:
    t = report.target
    d = report.settings.design
    return {
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "design": d.design, "mdes": d.mdes, "alpha": d.alpha, "power": d.power,
        "design_effect": t.design_effect, "n_per_arm": t.n_per_arm, "target_n": t.target_n,
        "consent_rate_default": report.settings.consent_rate,
        "study_period_months": report.settings.study_period_months,
        "family_clustering": report.settings.family_clustering,
        "funnel": FUNNEL_LABEL,
        "label": "Pre-post change is description, not impact. Rates marked default are unverified placeholders.",
        "legend": [{"symbol": sym, "meaning": text} for sym, text in legend_rows()] if site_view else [],
    }


def to_json(report: ReadinessReport, site_view: bool = False, outcome_matrix: pl.DataFrame | None = None,
            matrix_note: str | None = None) -> str:
    """The report as JSON: a header (design, target, as-of date, legend) and every table as records.

    ``tables.outcome_readiness`` holds ``outcome_matrix`` (an empty list when none is given, with
    ``report.outcome_readiness`` saying why: ``matrix_note``).
    """
    tables = report_tables(report, site_view, outcome_matrix)
    note = _MATRIX_SHOWN if outcome_matrix is not None else matrix_note or _MATRIX_NOTE
    header = _header(report, site_view) | {"outcome_readiness": note}
    payload = {"report": header, "settings": json.loads(report.settings.to_json()),
               "tables": {"outcome_readiness": [], **{name: frame.to_dicts() for name, frame in tables.items()}}}
    return json.dumps(payload, indent=2, sort_keys=True, default=str)


def _number(value: object) -> object:
    """A site view's text cell back as a number where it holds one (hidden cells stay text)."""
    if isinstance(value, str):
        try:
            return float(value) if any(ch in value for ch in ".eE") else int(value)
        except ValueError:
            return value
    return value


def _fmt(value: object, pct: bool = False, digits: int = 1) -> str:
    value = _number(value)
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1%}" if pct else f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out + [""]


def _months(value: object, study_months: int | None = None) -> str:
    """Months to target, also in years, flagged when beyond the study period."""
    value = _number(value)
    if isinstance(value, str):
        return value  # a hidden figure
    if not isinstance(value, int | float):
        return "never (nothing analysable accrues)"
    text = f"{value:,.1f} months ({value / 12:,.1f} years)"
    if study_months is not None and value > study_months:
        text += f", not reachable within the study period ({study_months:,} months)"
    return text


def _measure_name(code: str) -> str:
    if code == CSC_OUTCOME:
        return "CSC involvement (linked records)"
    return MEASURES[code].name if code in MEASURES else code


def _recall(r: dict[str, object]) -> str:
    """Recall with its interval and basis, e.g. "93.0% (85.0% to 97.0%, estimated)"."""
    value = _number(r.get("linkage_recall"))
    if not isinstance(value, float):
        return "–" if value is None else str(value)
    low, high = _number(r.get("linkage_recall_low")), _number(r.get("linkage_recall_high"))
    interval = (f"{low:.1%} to {high:.1%}, " if isinstance(low, float) and isinstance(high, float)
                else "no interval, ")
    return f"{value:.1%} ({interval}{r.get('linkage_basis') or 'basis not known'})"


def _verdict(r: dict[str, object]) -> str:
    label = r.get("verdict_label") or r.get("linkage_verdict") or "unknown"
    n = r.get("review_sample_n")
    return f"{label} (review about {n:,} records)" if isinstance(n, int) else str(label)


def _summary_lines(report: ReadinessReport, summary: pl.DataFrame) -> list[str]:
    study = report.settings.study_period_months
    return _md_table(
        ["site", "primary outcome", "baseline completeness", "retention",
         f"months to {report.target.target_n:,} (primary)", "months to target (CSC via linkage)", "best linkage scenario",
         "recall (95% interval, basis)", "linkage verdict"],
        [(r["site_id"], _measure_name(r["primary_outcome"]) if r["primary_outcome"] else "none usable",
          _fmt(r["primary_completeness"], pct=True), _fmt(r["primary_retention"], pct=True),
          _months(r["months_to_target"], study), _months(r["csc_months_to_target"], study),
          scenario_label(r["best_linkage_scenario"]) if r["best_linkage_scenario"] else "no linkage run",
          _recall(r), _verdict(r))
         for r in summary.iter_rows(named=True)],
    )


def to_markdown(report: ReadinessReport, site_view: bool = False, outcome_matrix: pl.DataFrame | None = None,
                matrix_note: str | None = None) -> str:
    """A readable report: headline per site, then per-site outcome readiness, funnels, completeness and change."""
    tables = report_tables(report, site_view, outcome_matrix)
    h = _header(report, site_view)
    lines = [
        "# Evaluation readiness", "",
        f"Data as of {h['as_of'] or 'unknown'}. Design: {_DESIGN_NAMES[str(h['design'])]}, MDES {h['mdes']}, "
        f"alpha {h['alpha']}, power {h['power']}, design effect {float(h['design_effect']):.2f} "  # type: ignore[arg-type]
        f"→ {float(h['n_per_arm']):,.1f} per arm before the design effect; "  # type: ignore[arg-type]
        f"**target sample: {report.target.target_n:,} analysable participants**.",
        "",
        f"Consent rate default {report.settings.consent_rate:.1%}, fallback retention "
        f"{report.settings.default_retention:.1%}, fallback linkage recall "
        f"{report.settings.default_linkage_recall:.1%} and the study period of "
        f"{report.settings.study_period_months:,} months are unverified placeholders (see the `basis` of each row). "
        f"Family clustering: {report.settings.family_clustering.replace('_', ' ')}. Linkage verdicts rest on the "
        "lower end of recall's 95% interval.",
        "",
    ]
    if site_view:
        lines += ["Symbols: " + "; ".join(f"`{sym}` {text}" for sym, text in legend_rows()), ""]
    if outcome_matrix is None:
        lines += [f"Outcome readiness (theory of change): {matrix_note or _MATRIX_NOTE}.", ""]
    lines += ["## Summary", ""] + _summary_lines(report, tables["summary"])
    pooled = tables["timeline"].filter(pl.col("site_id") == POOLED)
    if pooled.height:
        lines += ["## CSC involvement pooled across sites", "",
                  "Only CSC involvement, the same outcome at every site, is pooled; questionnaires differ by site "
                  "and are never added together.", ""]
        lines += _md_table(
            ["outcome", "referrals / month", "analysable / month", f"months to {report.target.target_n:,}"],
            [(_measure_name(r["outcome"]), _fmt(r["monthly_referrals"], digits=2),
              _fmt(r["analysable_per_month"], digits=2),
              _months(r["months_to_target"], report.settings.study_period_months))
             for r in pooled.iter_rows(named=True)],
        )
    for r in tables["summary"].iter_rows(named=True):
        lines += _site_section(report, tables, r)
    return "\n".join(lines).rstrip() + "\n"


def _headline(report: ReadinessReport, s: dict[str, object]) -> list[str]:
    study = report.settings.study_period_months
    if s["primary_outcome"]:
        first = (f"Months to a target of {report.target.target_n:,} analysable participants on "
                 f"{_measure_name(str(s['primary_outcome']))}: **{_months(s['months_to_target'], study)}**; "
                 f"on CSC involvement via linkage: **{_months(s['csc_months_to_target'], study)}**.")
    else:
        first = (f"No usable primary questionnaire outcome; months to {report.target.target_n:,} on CSC "
                 f"involvement via linkage: **{_months(s['csc_months_to_target'], study)}**.")
    lines = [first, "", f"Primary measure chosen as {s.get('primary_rule') or 'not recorded'}.", ""]
    if s.get("verdict_rule"):
        lines += [f"Linkage verdict **{_verdict(s)}**, resting on {s.get('verdict_figure')}: {s['verdict_rule']}.",
                  ""]
    return lines + [f"Data gaps: {s['data_gaps'] or 'none found'}.", ""]


def _site_section(report: ReadinessReport, tables: dict[str, pl.DataFrame], s: dict[str, object]) -> list[str]:
    site = str(s["site_id"])
    name = SITES[site].name if site in SITES else site
    lines = [f"## {name} ({site})", "", *_headline(report, s)]
    timeline = tables["timeline"].filter(pl.col("site_id") == site)
    lines += ["### Outcome candidates", ""]
    lines += _md_table(
        ["outcome", "referrals / month", "consent", "baseline scored", "retention", "linkage recall (lower bound)",
         "analysable / month", "to target", "basis"],
        [(_measure_name(r["outcome"]), _fmt(r["monthly_referrals"], digits=2), _fmt(r["consent_rate"], pct=True),
          _fmt(r["baseline_rate"], pct=True), _fmt(r["retention"], pct=True), _fmt(r["linkage_recall"], pct=True),
          _fmt(r["analysable_per_month"], digits=2),
          _months(r["months_to_target"], report.settings.study_period_months), r["basis"])
         for r in timeline.iter_rows(named=True)],
    )
    if "outcome_readiness" in tables:
        lines += _matrix_lines(tables["outcome_readiness"].filter(pl.col("site_id") == site), report)
    lines += _funnel_lines(tables["funnel"].filter(pl.col("site_id") == site), s)
    comp = tables["completeness"].filter((pl.col("site_id") == site) & (pl.col("subgroup_type") == "all"))
    lines += ["### Completeness and retention (follow-up: people due only)", ""]
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


def _matrix_lines(matrix: pl.DataFrame, report: ReadinessReport) -> list[str]:
    """The site's theory-of-change outcomes: each evidence source, its readiness and the rule that set it."""
    if matrix.is_empty():
        return ["### Outcome readiness (theory of change)", "", "No outcomes in this site's theory of change.", ""]
    study = report.settings.study_period_months
    return ["### Outcome readiness (theory of change)", "",
            "One row per outcome and evidence source; an outcome is as ready as its best source.", "",
            *_md_table(
                ["outcome", "evidence source", "baseline completeness", "follow-up retention",
                 f"months to {report.target.target_n:,}", "readiness", "rule", "outcome readiness"],
                [(r["outcome"], f"{r['source']}: {r['reference_label']}" if r["source"] else "none mapped",
                  _fmt(r["baseline_completeness"], pct=True), _fmt(r["followup_retention"], pct=True),
                  _months(r["months_to_target"], study) if r["months_to_target"] is not None else "–",
                  r["readiness"], r["rule"], r["outcome_readiness"])
                 for r in matrix.iter_rows(named=True)])]


def _funnel_lines(funnel: pl.DataFrame, s: dict[str, object]) -> list[str]:
    lines: list[str] = []
    for outcome in [o for o in (s["primary_outcome"], CSC_OUTCOME) if o]:
        f = funnel.filter(pl.col("outcome") == outcome).sort("step_no")
        if f.height == 0:
            continue
        lines += [f"### Projected funnel: {_measure_name(str(outcome))} over {f['horizon_months'][0]} months", "",
                  f"A {FUNNEL_LABEL}.", ""]
        lines += _md_table(["step", "expected people", "lost", "kept", "source"],
                           [(r["step"], _fmt(r["n"]), _fmt(r["lost"]), _fmt(r["rate"], pct=True), r["source"])
                            for r in f.iter_rows(named=True)])
    return lines


def _cell(value: object) -> int | float | str | None:
    """A workbook cell: numbers as numbers; text (labels from synthesis, sentences) made inert so a
    value starting with ``=``, ``+``, ``-`` or ``@`` is never a live formula."""
    if value is None or isinstance(value, int | float):
        return value
    return neutralise_formula(str(value))


def write_xlsx(report: ReadinessReport, out: Path, site_view: bool = False,
               outcome_matrix: pl.DataFrame | None = None) -> Path:
    """Write one sheet per table plus an "about" sheet (text cells formula-safe); returns ``out``."""
    from openpyxl import Workbook

    wb = Workbook()
    about = wb.active
    assert about is not None
    about.title = "about"
    for key, value in _header(report, site_view).items():
        about.append([key, _cell(json.dumps(value) if isinstance(value, list) else value)])
    for name, frame in report_tables(report, site_view, outcome_matrix).items():
        ws = wb.create_sheet(name)
        ws.append(frame.columns)
        for row in frame.iter_rows():
            ws.append([_cell(v) for v in row])
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
