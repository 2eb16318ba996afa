"""One readiness row per site: the primary outcome (by a stated rule), data gaps in words built
from already-suppressed figures, and the linkage verdict with the rule that produced it."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from evaluation.plans import Plan, ReadinessInputs, RunContext, best_linkage
from evaluation.settings import ReadinessSettings
from evaluation.timeline import years
from evaluation.verdicts import judge
from warehouse.disclosure import DEFAULT_POLICY, Disclosure, DisclosurePolicy, Nested, Rate, Sum
from warehouse.measures import get_measure
from warehouse.scenarios import scenario_label

__all__ = ["COMPLETENESS_DISCLOSURE", "PRIMARY_RULE", "choose_primary", "hidden_rates", "safe_completeness",
           "summary_row"]

PRIMARY_RULE = ("the trial outcome (a risk checklist such as DASH is never one) that reaches the target soonest "
                "at this site, counting one measure alone, never a sum of instruments; ties: higher baseline "
                "completeness")
_SITE_RULE = "stated for this site in the settings (primary_measure_by_site)"

#: How a site view hides completeness counts: one engine, rates with their numerators and denominators,
#: the counts' own relations (missing = eligible - scored, nested counts) solved so that one more cell is
#: hidden wherever a small count could be recovered, and secondary suppression down each subgroup breakdown.
#: The one declaration of the completeness table: ``readiness --site`` and the dashboard's
#: outcome_completeness (overall rows only, so ``groups=None`` there; ``people`` is its count of people
#: with any record, when the readiness stage has not run) both use it.
COMPLETENESS_DISCLOSURE = Disclosure(
    counts=("eligible", "people", "recorded", "scored", "prorated", "missing", "baseline_scored", "retained"),
    rates={"completeness": Rate("scored", "eligible"), "retention": Rate("retained", "baseline_scored")},
    groups=("site_id", "measure", "timepoint", "subgroup_type"),
    sums=(Sum("eligible", ("scored", "missing")),),
    nested=(Nested("recorded", "eligible"), Nested("scored", "recorded"), Nested("prorated", "scored"),
            Nested("baseline_scored", "eligible"), Nested("retained", "scored"), Nested("recorded", "people")),
)


def safe_completeness(completeness: pl.DataFrame, policy: DisclosurePolicy = DEFAULT_POLICY) -> pl.DataFrame:
    """The completeness table as a site may see it (counts of 1-5 and what reveals them -> ``[c]``).

    The engine runs per site: no relation crosses sites, and the solver's work grows with the table.
    """
    spec = COMPLETENESS_DISCLOSURE.with_threshold(policy.suppress_max)
    if completeness.is_empty():
        return spec.apply(completeness)
    # The overall rows are the totals the subgroup rows add up to: published themselves, so the
    # engine treats them as known totals of the subgroup groups rather than as a group of one.
    overall = dataclasses.replace(spec, groups=None)
    parts = []
    for part in completeness.partition_by("site_id", maintain_order=True):
        is_all = part["subgroup_type"] == "all"
        parts += [overall.apply(part.filter(is_all)), spec.apply(part.filter(~is_all))]
    order = ["site_id", "measure", "timepoint", "subgroup_type", "subgroup"]
    return pl.concat([p for p in parts if p.height], how="diagonal_relaxed").sort(order)


@dataclass(frozen=True)
class _Candidate:
    code: str
    name: str
    usable: bool
    baseline_completeness: float | None
    retention: float | None
    months: float | None


def _candidates(plans: Sequence[Plan]) -> list[_Candidate]:
    out = []
    for plan in plans:
        m = get_measure(plan.outcome)
        months = plan.projection.months_to_target
        comp = plan.extra["baseline_rate"]
        ret = plan.extra["retention"]
        out.append(_Candidate(m.code, m.name, m.outcome_candidate and months is not None,
                              comp if isinstance(comp, float) else None, ret if isinstance(ret, float) else None,
                              months))
    return out


def choose_primary(site: str, plans: Sequence[Plan], settings: ReadinessSettings) -> tuple[Plan | None, str]:
    """The site's one primary measure and the rule that chose it, in words.

    A measure named in ``settings.primary_measure_by_site`` wins when the site holds it;
    otherwise :data:`PRIMARY_RULE`.
    """
    by_code = {p.outcome: p for p in plans}
    stated = settings.primary_measure_by_site.get(site)
    if stated is not None:
        code = get_measure(stated).code
        if code in by_code:
            return by_code[code], _SITE_RULE
    usable = [c for c in _candidates(plans) if c.usable]
    if not usable:
        return None, "no measure usable as a trial outcome accrues analysable people at this site"
    best = min(usable, key=lambda c: (c.months if c.months is not None else float("inf"),
                                       -(c.baseline_completeness or 0.0), c.code))
    return by_code[best.code], PRIMARY_RULE


def hidden_rates(safe: pl.DataFrame, symbol: str = DEFAULT_POLICY.symbol) -> dict[tuple[str, str, str], bool]:
    """(site, measure, timepoint) -> whether the overall row's rate (completeness at baseline,
    retention at follow-up) is hidden in a site-safe completeness table."""
    out = {}
    for r in safe.filter(pl.col("subgroup_type") == "all").iter_rows(named=True):
        column = "completeness" if r["timepoint"] == "baseline" else "retention"
        out[(r["site_id"], r["measure"], r["timepoint"])] = str(r[column]) == symbol
    return out


def _measure_gaps(site: str, c: _Candidate, hidden: dict[tuple[str, str, str], bool],
                  policy: DisclosurePolicy) -> list[str]:
    """Gap sentences for one measure; a figure hidden in the site's tables is named as hidden
    whatever its value, so the sentence itself reveals nothing."""
    gaps = []
    if hidden.get((site, c.code, "baseline"), False):
        gaps.append(f"{c.name}: baseline completeness withheld from site views (it rests on a count of 1-{policy.suppress_max})")
    elif not c.baseline_completeness:
        gaps.append(f"{c.name}: no scored baseline")
    elif c.baseline_completeness < 0.5:
        gaps.append(f"{c.name}: baseline scored for {c.baseline_completeness:.1%} of eligible")
    if hidden.get((site, c.code, "followup"), False):
        gaps.append(f"{c.name}: follow-up retention withheld from site views (it rests on a count of 1-{policy.suppress_max})")
    elif c.retention is not None and c.retention < 0.5 and c.baseline_completeness:
        gaps.append(f"{c.name}: follow-up retention {c.retention:.1%} (people due a follow-up only)")
    return gaps


def _nhs_gap(counts: tuple[int, int] | None, policy: DisclosurePolicy) -> list[str]:
    if counts is None or counts[0] == 0:
        return []
    children, with_nhs = counts
    if policy.hides(children) or policy.hides(with_nhs) or policy.hides(children - with_nhs):
        return [f"NHS number completeness withheld from site views (it rests on a count of 1-{policy.suppress_max})"]
    share = with_nhs / children
    return [f"NHS number recorded for {share:.1%} of children"] if share < 0.5 else []


_POOR_WORDS = ("absent", "none", "missing", "poor", "red", "low", "not", "unavailable", "no", "unaware")


def _availability_gaps(availability: pl.DataFrame | None, site: str, max_rating: int) -> list[str]:
    """Poorly rated (site, data item, dimension) cells from the synthesis ratings, worst first.

    Numeric ratings (the synthesis 0-4 scale) at or below ``max_rating`` count as gaps; text
    ratings count when they start with a word such as "absent", "poor" or "not".
    """
    if availability is None:
        return []
    rows = availability.filter(pl.col("site_id") == site)
    if rows.height == 0:
        return []
    numeric = rows["rating"].dtype.is_numeric()
    item_col = "data_item_label" if "data_item_label" in rows.columns else "data_item"
    dim_col = "dimension_label" if "dimension_label" in rows.columns else "dimension"
    label_col = "rating_label" if "rating_label" in rows.columns else "rating"
    gaps: list[tuple[float, str]] = []
    cols = rows.select(pl.col(item_col).alias("_item"), pl.col(dim_col).alias("_dim"), pl.col("rating"),
                       pl.col(label_col).alias("_label"))
    for item, dim, rating, label in cols.iter_rows():
        if rating is None:
            continue
        words = re.split(r"[\s_\-]+", str(rating).strip().lower())
        if (numeric and rating <= max_rating) or (not numeric and words[0] in _POOR_WORDS):
            gaps.append((float(rating) if numeric else 0.0,
                         f"{item}: {dim} rated {label if label is not None else rating}"))
    return [text for _, text in sorted(set(gaps))]


def _linkage_gap(site: str, inputs: ReadinessInputs) -> list[str]:
    ran = inputs.linkage.height > 0 and inputs.linkage.filter(pl.col("site_id") == site).height > 0
    return ["linkage recall not measured for this site: CSC outcomes use the default recall" if ran
            else "no linkage run: CSC outcomes use the default recall"]


def _gaps(site: str, plans: Sequence[Plan], has_best: bool, ctx: RunContext) -> list[str]:
    """Data-gap sentences, built from figures already suppressed for the site's view."""
    # the overall rows are made safe on their own (see safe_completeness), so they alone suffice here
    overall = ctx.completeness.filter((pl.col("site_id") == site) & (pl.col("subgroup_type") == "all"))
    hidden = hidden_rates(safe_completeness(overall, ctx.policy), ctx.policy.symbol)
    gaps: list[str] = []
    for c in _candidates(plans):
        gaps += _measure_gaps(site, c, hidden, ctx.policy)
    if not plans:
        gaps.append("no outcome measures held")
    gaps += [] if has_best else _linkage_gap(site, ctx.inputs)
    gaps += _nhs_gap(ctx.inputs.nhs_counts.get(site), ctx.policy)
    settings = ctx.settings
    return gaps + _availability_gaps(ctx.inputs.availability, site, settings.gap_rating_max)[: settings.max_gaps_listed]


def _candidates_json(plans: Sequence[Plan]) -> str:
    return json.dumps([{"measure": c.code, "name": c.name, "baseline_completeness": c.baseline_completeness,
                        "retention": c.retention, "months_to_target": c.months} for c in
                       sorted(_candidates(plans), key=lambda c: (not c.usable, c.months or float("inf")))])


def _linkage_fields(site: str, inputs: ReadinessInputs, settings: ReadinessSettings) -> dict[str, object]:
    best = best_linkage(inputs.linkage, site, settings)
    verdict = judge(best, settings.verdict)
    return {
        "best_linkage_scenario": best.scenario if best else None,
        "best_linkage_label": scenario_label(best.scenario) if best else None,
        "linkage_recall": best.recall.value if best else None,
        "linkage_recall_low": best.recall.low if best else None,
        "linkage_recall_high": best.recall.high if best else None,
        "linkage_basis": verdict.basis,
        "linkage_precision": best.precision if best else None,
        "linkage_verdict": verdict.code,
        "verdict_label": verdict.label,
        "verdict_rule": verdict.rule,
        "verdict_figure": verdict.figure,
        "review_sample_n": verdict.review_sample,
    }


def summary_row(site: str, plans: Sequence[Plan], csc: Plan | None, ctx: RunContext) -> dict[str, object]:
    """The ``readiness_summary`` row for one site (with in-memory extras: rules, intervals, years)."""
    settings = ctx.settings
    primary, rule = choose_primary(site, plans, settings)
    linkage = _linkage_fields(site, ctx.inputs, settings)
    months = primary.projection.months_to_target if primary else None
    csc_months = csc.projection.months_to_target if csc else None
    return {
        "site_id": site,
        "primary_outcome": primary.outcome if primary else None,
        "primary_rule": rule,
        "primary_completeness": primary.extra["baseline_rate"] if primary else None,
        "primary_retention": primary.extra["retention"] if primary else None,
        "months_to_target": months,
        "years_to_target": years(months),
        "reachable_in_study": months is not None and months <= settings.study_period_months,
        "csc_months_to_target": csc_months,
        "csc_years_to_target": years(csc_months),
        "csc_reachable_in_study": csc_months is not None and csc_months <= settings.study_period_months,
        "study_period_months": settings.study_period_months,
        "target_n": ctx.target.target_n,
        **linkage,
        "data_gaps": "; ".join(_gaps(site, plans, linkage["best_linkage_scenario"] is not None, ctx)),
        "candidates": _candidates_json(plans),
    }

