"""Readiness per site: compute every table from the inputs (pure), and the report that holds them.

``compute(inputs, settings)`` assembles :mod:`evaluation.completeness`, :mod:`evaluation.plans`,
:mod:`evaluation.timeline` and :mod:`evaluation.summary`; :mod:`evaluation.storage` reads and
writes the warehouse; :mod:`evaluation.site_view` makes a report safe for a site to see.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from evaluation.completeness import change_table, completeness_table, score_measurements
from evaluation.plans import (
    CSC_OUTCOME,
    Plan,
    ReadinessInputs,
    RunContext,
    basis_word,
    csc_plan,
    measure_plan,
    timeline_row,
)
from evaluation.power import SampleSizeTarget, required_sample
from evaluation.settings import ReadinessSettings
from evaluation.summary import summary_row
from evaluation.timeline import Step, expected_counts, funnel_horizon, funnel_rows, years
from warehouse.adapters import ADAPTERS
from warehouse.disclosure import DEFAULT_POLICY, DisclosurePolicy
from warehouse.errors import ConfigError, did_you_mean
from warehouse.measures import get_measure
from warehouse.sites import SITE_IDS

__all__ = ["CSC_OUTCOME", "FUNNEL_LABEL", "POOLED", "ReadinessReport", "compute"]

POOLED = "pooled"
FUNNEL_LABEL = "projection: expected people over the horizon, not people counted"

TIMELINE_SCHEMA = {
    "site_id": pl.Utf8, "outcome": pl.Utf8, "outcome_source": pl.Utf8, "design": pl.Utf8, "mdes": pl.Float64,
    "alpha": pl.Float64, "power": pl.Float64, "design_effect": pl.Float64, "n_per_arm": pl.Float64,
    "target_n": pl.Int64, "monthly_referrals": pl.Float64, "consent_rate": pl.Float64,
    "baseline_rate": pl.Float64, "retention": pl.Float64, "linkage_recall": pl.Float64,
    "linkage_scenario": pl.Utf8, "analysable_per_month": pl.Float64, "months_to_target": pl.Float64,
    "months_to_target_whole": pl.Int64, "basis": pl.Utf8, "basis_detail": pl.Utf8,
    # columns of migration 0030
    "years_to_target": pl.Float64, "reachable_in_study": pl.Boolean, "referrals_counted": pl.Int64,
    "flow_months": pl.Float64, "family_design_effect": pl.Float64, "people_per_family": pl.Float64,
    "target_people": pl.Int64, "linkage_recall_low": pl.Float64, "linkage_recall_high": pl.Float64,
    "linkage_basis": pl.Utf8,
}
FUNNEL_SCHEMA = {
    "site_id": pl.Utf8, "outcome": pl.Utf8, "horizon_months": pl.Int64, "step_no": pl.Int64, "step": pl.Utf8,
    "n": pl.Int64, "lost": pl.Int64, "rate": pl.Float64, "source": pl.Utf8,
}
SUMMARY_SCHEMA = {
    "site_id": pl.Utf8, "primary_outcome": pl.Utf8, "primary_completeness": pl.Float64,
    "primary_retention": pl.Float64, "months_to_target": pl.Float64, "csc_months_to_target": pl.Float64,
    "target_n": pl.Int64, "best_linkage_scenario": pl.Utf8, "linkage_recall": pl.Float64,
    "linkage_precision": pl.Float64, "linkage_verdict": pl.Utf8, "data_gaps": pl.Utf8, "candidates": pl.Utf8,
    # columns of migration 0030
    "primary_rule": pl.Utf8, "years_to_target": pl.Float64, "reachable_in_study": pl.Boolean,
    "csc_years_to_target": pl.Float64, "csc_reachable_in_study": pl.Boolean, "study_period_months": pl.Int64,
    "best_linkage_label": pl.Utf8, "linkage_recall_low": pl.Float64, "linkage_recall_high": pl.Float64,
    "linkage_basis": pl.Utf8, "verdict_label": pl.Utf8, "verdict_rule": pl.Utf8, "verdict_figure": pl.Utf8,
    "review_sample_n": pl.Int64,
}


@dataclass(frozen=True)
class ReadinessReport:
    """Every readiness table plus the settings and sample-size target they were computed with."""

    as_of: date | None
    settings: ReadinessSettings
    target: SampleSizeTarget
    completeness: pl.DataFrame
    change: pl.DataFrame
    timeline: pl.DataFrame
    funnel: pl.DataFrame
    summary: pl.DataFrame

    def for_site(self, site: str) -> ReadinessReport:
        """The same report restricted to one site's rows (pooled rows dropped)."""
        if site not in SITE_IDS:
            raise ConfigError(f"unknown site {site!r}; allowed: {', '.join(SITE_IDS)}{did_you_mean(site, SITE_IDS)}")

        def keep(df: pl.DataFrame) -> pl.DataFrame:
            return df.filter(pl.col("site_id") == site)
        return ReadinessReport(self.as_of, self.settings, self.target, keep(self.completeness), keep(self.change),
                               keep(self.timeline), keep(self.funnel), keep(self.summary))


def _site_measures(inputs: ReadinessInputs) -> dict[str, list[str]]:
    seen = inputs.measurements.select("site_id", "measure").unique()
    out: dict[str, list[str]] = {}
    for site in SITE_IDS:
        codes = list(ADAPTERS[site].outcomes.measures) if site in ADAPTERS else []
        for code in seen.filter(pl.col("site_id") == site)["measure"].to_list():
            code = get_measure(code).code
            if code not in codes:
                codes.append(code)
        out[site] = codes
    return out


def _as_of(inputs: ReadinessInputs) -> date | None:
    candidates = [inputs.people["referral_date"].max(), inputs.measurements["assessed_date"].max()]
    dates = [d for d in candidates if isinstance(d, date)]
    return max(dates) if dates else None


def _plan_funnel(plan: Plan, settings: ReadinessSettings) -> list[dict[str, object]]:
    p = plan.projection
    horizon = funnel_horizon(p.months_to_target_whole, settings.study_period_months)
    expected = expected_counts(p.monthly_referrals, p.steps, horizon)
    return funnel_rows(plan.site, plan.outcome, expected, p.steps, horizon)


def _pooled_csc(plans: Sequence[Plan], site_rows: Sequence[dict[str, object]], target: SampleSizeTarget,
                settings: ReadinessSettings) -> tuple[dict[str, object], list[dict[str, object]]]:
    """CSC involvement pooled across sites: the same outcome everywhere, so flows may be added."""
    per_month = sum(p.projection.analysable_per_month for p in plans)
    flow = sum(p.projection.monthly_referrals for p in plans)
    people = max(int(p.extra["target_people"]) for p in plans)  # type: ignore[call-overload]
    months = people / per_month if per_month > 0 else None
    whole = math.ceil(months - 1e-9) if months is not None else None
    horizon = funnel_horizon(whole, settings.study_period_months)
    expected = [sum(v) for v in zip(*(expected_counts(p.projection.monthly_referrals, p.projection.steps, horizon)
                                      for p in plans), strict=True)]
    steps = [Step(s.name, expected[i + 1] / expected[i] if expected[i] > 0 else 0.0, "pooled")
             for i, s in enumerate(plans[0].projection.steps)]
    d = settings.design
    row: dict[str, object] = {
        "site_id": POOLED, "outcome": CSC_OUTCOME, "outcome_source": "csc_record", "design": d.design,
        "mdes": d.mdes, "alpha": d.alpha, "power": d.power, "design_effect": target.design_effect,
        "n_per_arm": target.n_per_arm, "target_n": target.target_n, "monthly_referrals": flow,
        "consent_rate": steps[0].rate, "linkage_recall": steps[-1].rate, "analysable_per_month": per_month,
        "months_to_target": months, "months_to_target_whole": whole, "years_to_target": years(months),
        "reachable_in_study": months is not None and months <= settings.study_period_months,
        "target_people": people, "basis": basis_word([str(r["basis"]) for r in site_rows]),
        "basis_detail": "pooled over sites " + ", ".join(sorted(p.site for p in plans))
                        + ": each site's referrals, consent and linked step as in its own row",
    }
    return row, funnel_rows(POOLED, CSC_OUTCOME, expected, steps, horizon)


def compute(inputs: ReadinessInputs, settings: ReadinessSettings | None = None,
            policy: DisclosurePolicy = DEFAULT_POLICY) -> ReadinessReport:
    """Compute every readiness table from inputs (pure: no store).

    Each site gets one plan per measure it holds and one for CSC involvement; its summary names
    one primary measure by a stated rule. Only CSC involvement, the same outcome at every site,
    is pooled across sites: different instruments are never added together.
    """
    settings = settings or ReadinessSettings()
    target = required_sample(settings.design)
    as_of = _as_of(inputs)
    today = as_of or date.today()
    site_measures = _site_measures(inputs)
    scored = score_measurements(inputs.measurements, settings)
    completeness = completeness_table(inputs.people, scored, site_measures, settings, today, policy)
    ctx = RunContext(inputs, settings, target, today, completeness, policy)
    timeline: list[dict[str, object]] = []
    funnel: list[dict[str, object]] = []
    summary: list[dict[str, object]] = []
    cscs: list[Plan] = []
    for site in SITE_IDS:
        plans = [measure_plan(site, c, ctx) for c in site_measures[site]]
        csc = csc_plan(site, ctx) if settings.include_csc_outcome else None
        for plan in [*plans, *([csc] if csc else [])]:
            timeline.append(timeline_row(plan, target, settings))
            funnel += _plan_funnel(plan, settings)
        summary.append(summary_row(site, plans, csc, ctx))
        cscs += [csc] if csc else []
    if cscs:
        site_rows = [r for r in timeline if r["outcome"] == CSC_OUTCOME]
        row, rows = _pooled_csc(cscs, site_rows, target, settings)
        timeline.append(row)
        funnel += rows
    return ReadinessReport(
        as_of, settings, target, completeness, change_table(scored, site_measures, settings, policy),
        pl.DataFrame(timeline, schema=TIMELINE_SCHEMA), pl.DataFrame(funnel, schema=FUNNEL_SCHEMA),
        pl.DataFrame(summary, schema=SUMMARY_SCHEMA),
    )
