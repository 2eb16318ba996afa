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

import polars as pl

from evaluation.readiness import CSC_OUTCOME, ReadinessReport
from evaluation.summary import hidden_rates, safe_completeness
from warehouse.disclosure import DEFAULT_POLICY, Disclosure, DisclosurePolicy, Nested, Rate, Series, Sum

__all__ = ["CHANGE_DISCLOSURE", "FUNNEL_DISCLOSURE", "site_tables"]

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
