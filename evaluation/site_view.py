"""A readiness report as a site may see it: every table through the one disclosure engine.

Counts of 1-5 become ``[c]`` (:data:`warehouse.disclosure.DEFAULT_POLICY`), with secondary
suppression down subgroup breakdowns and whole rows where counts are tied. A figure computed from
a hidden count is hidden with it, across tables as well as within one:

* completeness and change: the engine with each rate's numerator and denominator;
* timeline: the monthly flow rests on the referrals counted (monthly x months gives them back),
  the baseline rate and retention on the completeness rows they come from, and the analysable
  flow and months to target on all of those;
* funnel: a projection, but its rates divided out give the observed ones, so a step resting on a
  hidden figure is hidden, with every step after it;
* summary: its rates and months follow the rows they come from; its data-gap sentences are built
  from already-suppressed figures when the report is computed.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from evaluation.readiness import CSC_OUTCOME, ReadinessReport
from evaluation.summary import hidden_rates, safe_completeness
from warehouse.disclosure import DEFAULT_POLICY, Disclosure, DisclosurePolicy, Nested, Rate, Series, Sum

__all__ = ["CHANGE_DISCLOSURE", "FUNNEL_DISCLOSURE", "safe_outcome_matrix", "site_tables"]

CHANGE_DISCLOSURE = Disclosure(
    counts=("n_pairs", "reliable_improvement", "reliable_deterioration", "no_reliable_change",
            "clinically_significant"),
    rates={c: ("n_pairs",) for c in ("baseline_mean", "followup_mean", "mean_change", "sd_change", "ci_low",
                                      "ci_high")},
    row_linked=True,
    sums=(Sum("n_pairs", ("reliable_improvement", "reliable_deterioration", "no_reliable_change")),),
    nested=(Nested("clinically_significant", "reliable_improvement"),),
)
#: A funnel's steps follow each other: each step starts from the last one's people.
FUNNEL_DISCLOSURE = Disclosure(
    counts=("n", "lost"), rates={"rate": Rate("n", "n_before")}, support=("n_before",),
    sums=(Sum("n_before", ("n", "lost")),), series=(Series("n", "n_before", ("step_no",), ("site_id", "outcome")),),
)
_FLOW = ("monthly_referrals",)
_DERIVED = ("analysable_per_month", "months_to_target", "months_to_target_whole", "years_to_target",
            "reachable_in_study")
# internal counts of the timeline: used to decide what to hide, never shown to a site (the family
# size, people over families, would give the number of families back from the eligible count)
_TIMELINE_INTERNAL = ("referrals_counted", "flow_months", "people_per_family")
_FAMILY_FIGURES = ("family_design_effect", "target_people")
_STEP_DEPENDS = {"referred": "flow", "consented": "flow", "linked": "flow", "baseline_scored": "baseline",
                 "followed_up": "followup"}


def _mask(frame: pl.DataFrame, columns: tuple[str, ...], hide: list[bool], symbol: str) -> pl.DataFrame:
    """Replace ``columns`` by ``symbol`` on the rows where ``hide`` is true (columns become text)."""
    mask = pl.Series(hide, dtype=pl.Boolean)
    exprs = []
    for col in (c for c in columns if c in frame.columns):
        text = pl.col(col).round(4).cast(pl.Utf8) if frame.schema[col].is_float() else pl.col(col).cast(pl.Utf8)
        exprs.append(pl.when(pl.lit(mask)).then(pl.lit(symbol)).otherwise(text).alias(col))
    return frame.with_columns(exprs) if exprs else frame


def _timeline_hidden(timeline: pl.DataFrame, hidden: dict[tuple[str, str, str], bool],
                     policy: DisclosurePolicy) -> list[dict[str, bool]]:
    out = []
    for r in timeline.iter_rows(named=True):
        counted = r.get("referrals_counted")
        flow = counted is None or policy.hides(counted)
        measure = r["outcome"] != CSC_OUTCOME
        base = measure and hidden.get((r["site_id"], r["outcome"], "baseline"), False)
        fu = measure and hidden.get((r["site_id"], r["outcome"], "followup"), False)
        out.append({"flow": flow, "baseline": base, "followup": fu})
    return out


def _safe_timeline(timeline: pl.DataFrame, hidden: dict[tuple[str, str, str], bool],
                   policy: DisclosurePolicy) -> tuple[pl.DataFrame, list[dict[str, bool]]]:
    flags = _timeline_hidden(timeline, hidden, policy)
    out = _mask(timeline, ("baseline_rate",), [f["baseline"] for f in flags], policy.symbol)
    out = _mask(out, ("retention",), [f["followup"] for f in flags], policy.symbol)
    out = _mask(out, _FLOW, [f["flow"] for f in flags], policy.symbol)
    out = _mask(out, _DERIVED, [any(f.values()) for f in flags], policy.symbol)
    out = _mask(out, _FAMILY_FIGURES, [f["flow"] for f in flags], policy.symbol)
    return out.drop([c for c in _TIMELINE_INTERNAL if c in out.columns]), flags


def _safe_funnel(funnel: pl.DataFrame, timeline: pl.DataFrame, flags: list[dict[str, bool]],
                 policy: DisclosurePolicy) -> pl.DataFrame:
    by_plan = {(r["site_id"], r["outcome"]): f for r, f in zip(timeline.iter_rows(named=True), flags, strict=True)}
    engine = FUNNEL_DISCLOSURE.with_threshold(policy.suppress_max)
    out = engine.apply(funnel.with_columns((pl.col("n") + pl.col("lost")).alias("n_before")))
    hide, seen = [], set()
    for r in funnel.sort("site_id", "outcome", "step_no").iter_rows(named=True):
        plan = by_plan.get((r["site_id"], r["outcome"]), {"flow": True})
        key = (r["site_id"], r["outcome"])
        if plan.get(_STEP_DEPENDS.get(r["step"], "flow"), True):
            seen.add(key)
        hide.append(key in seen)   # a hidden step hides every step after it
    out = out.sort("site_id", "outcome", "step_no")
    return _mask(out, ("n", "lost", "rate"), hide, policy.symbol)


def _safe_summary(summary: pl.DataFrame, timeline: pl.DataFrame, hidden: dict[tuple[str, str, str], bool],
                  flags: list[dict[str, bool]], policy: DisclosurePolicy) -> pl.DataFrame:
    by_plan = {(r["site_id"], r["outcome"]): f for r, f in zip(timeline.iter_rows(named=True), flags, strict=True)}
    out = summary
    rows = list(summary.iter_rows(named=True))
    primary = [(r["site_id"], r["primary_outcome"]) for r in rows]
    out = _mask(out, ("primary_completeness",), [hidden.get((s, p, "baseline"), False) for s, p in primary],
                policy.symbol)
    out = _mask(out, ("primary_retention",), [hidden.get((s, p, "followup"), False) for s, p in primary],
                policy.symbol)
    out = _mask(out, ("months_to_target", "years_to_target", "reachable_in_study"),
                [any(by_plan.get(k, {"flow": False}).values()) for k in primary], policy.symbol)
    csc = [any(by_plan.get((r["site_id"], CSC_OUTCOME), {"flow": False}).values()) for r in rows]
    return _mask(out, ("csc_months_to_target", "csc_years_to_target", "csc_reachable_in_study"), csc, policy.symbol)


def site_tables(report: ReadinessReport, policy: DisclosurePolicy = DEFAULT_POLICY) -> dict[str, pl.DataFrame]:
    """Every table of ``report`` made safe for a site user (see the module docstring).

    Returns summary, timeline, funnel, completeness and change, with hidden cells as
    ``policy.symbol`` (affected columns become text) and pooled rows left out.

    Example:
        >>> tables = site_tables(report.for_site("leap"))   # doctest: +SKIP
        >>> tables["completeness"]["scored"].to_list()       # doctest: +SKIP
        ['12', '[c]', '[c]', ...]
    """
    completeness = safe_completeness(report.completeness, policy)
    hidden = hidden_rates(completeness, policy.symbol)
    sites = set(report.summary["site_id"].to_list())
    timeline_rows = report.timeline.filter(pl.col("site_id").is_in(list(sites)))
    timeline, flags = _safe_timeline(timeline_rows, hidden, policy)
    funnel = _safe_funnel(report.funnel.filter(pl.col("site_id").is_in(list(sites))), timeline_rows, flags, policy)
    change_engine = CHANGE_DISCLOSURE.with_threshold(policy.suppress_max)
    return {
        "summary": _safe_summary(report.summary, timeline_rows, hidden, flags, policy),
        "timeline": timeline, "funnel": funnel, "completeness": completeness,
        "change": change_engine.apply(report.change),
    }


# ---------------------------------------------------------------------------- outcome readiness matrix
#: matrix column <- (completeness timepoint, completeness column) of the same site and measure
_MATRIX_FROM_COMPLETENESS = {
    "n_eligible": ("baseline", "eligible"), "n_scored": ("baseline", "scored"),
    "baseline_completeness": ("baseline", "completeness"), "n_baseline_scored": ("followup", "baseline_scored"),
    "n_retained": ("followup", "retained"), "followup_retention": ("followup", "retention"),
}
_MATRIX_OUTCOME = {"measure": None, "csc_outcome": CSC_OUTCOME}


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _matrix_row(r: dict[str, object], comp: Mapping[tuple[object, ...], Mapping[str, object]],
                months: dict[tuple[object, object], object], policy: DisclosurePolicy) -> dict[str, object]:
    out = dict(r)
    kind = r.get("source_kind")
    if kind == "measure":
        for col, (timepoint, source) in _MATRIX_FROM_COMPLETENESS.items():
            out[col] = _text(comp.get((r["site_id"], r["reference"], timepoint), {}).get(source))
    if kind in _MATRIX_OUTCOME:
        outcome = _MATRIX_OUTCOME[kind] or r["reference"]
        out["months_to_target"] = _text(months.get((r["site_id"], outcome)))
    else:
        out["months_to_target"] = _text(r.get("months_to_target"))
    if policy.symbol in (out.get("baseline_completeness"), out.get("followup_retention")):
        # the level compares a hidden rate with a threshold: the comparison would narrow the count
        out.update(level=None, readiness=f"withheld from site views (rests on a count of 1-{policy.suppress_max})",
                   rule=f"rests on a figure withheld from site views (a count of 1-{policy.suppress_max})", gap=None)
    return out


def _outcome_levels(rows: list[dict[str, object]], words: dict[int, str], symbol: str) -> None:
    """An outcome's level is its best source's; withheld when one of its sources is (that source
    could be the best, and saying it is not would narrow its count)."""
    by_outcome: dict[tuple[object, object], list[dict[str, object]]] = {}
    for r in rows:
        by_outcome.setdefault((r["site_id"], r["outcome_id"]), []).append(r)
    for group in by_outcome.values():
        shown = [r["level"] for r in group if isinstance(r["level"], int)]
        best = max(shown) if shown and len(shown) == len(group) else None
        for r in group:
            r["outcome_level"], r["outcome_readiness"] = best, symbol if best is None else words[best]


def safe_outcome_matrix(matrix: pl.DataFrame, tables: dict[str, pl.DataFrame],
                        policy: DisclosurePolicy = DEFAULT_POLICY) -> pl.DataFrame:
    """The outcome readiness matrix (one row per site, outcome and evidence source) as a site may see it.

    ``matrix`` has the columns of the synthesis stage's matrix (site_id, outcome_id, source_kind,
    reference, the completeness counts and rates, months_to_target, level, readiness, rule, gap,
    outcome_level, outcome_readiness); ``tables`` are :func:`site_tables` of the same report. Each
    count, rate and month figure is taken from the site's own completeness and timeline tables, so
    the matrix shows nothing those hide; a row whose level compares a hidden rate with a threshold
    has its level, rule and gap withheld, and an outcome's level too when a withheld source could
    be its best. Columns of figures become text, as in every site table.
    """
    if matrix.is_empty():
        return matrix
    comp: dict[tuple[object, ...], Mapping[str, object]] = {(r["site_id"], r["measure"], r["timepoint"]): r for r in
            tables["completeness"].filter(pl.col("subgroup_type") == "all").iter_rows(named=True)}
    months = {(r["site_id"], r["outcome"]): r["months_to_target"] for r in tables["timeline"].iter_rows(named=True)}
    rows = [_matrix_row(r, comp, months, policy) for r in matrix.iter_rows(named=True)]
    words = {int(k): str(v) for k, v in matrix.select("level", "readiness").unique().iter_rows() if k is not None}
    _outcome_levels(rows, words, policy.symbol)
    text = (*_MATRIX_FROM_COMPLETENESS, "months_to_target")
    fixed = {"level": pl.Int64, "outcome_level": pl.Int64, "readiness": pl.Utf8, "outcome_readiness": pl.Utf8,
             "rule": pl.Utf8, "gap": pl.Utf8}
    schema = {c: pl.Utf8 if c in text else fixed.get(c, matrix.schema[c]) for c in matrix.columns}
    return pl.DataFrame(rows, schema=schema, strict=False)
