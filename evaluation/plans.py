"""What the readiness analysis reads, and one recruitment plan per site and outcome.

A plan is the projection of one outcome at one site: referrals a month (one respondent per family,
or everyone with a family design effect), the loss steps with the source of each rate, and the
figures a timeline row reports. Pure functions over :class:`ReadinessInputs`, except
:func:`load_inputs`, which reads the warehouse.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import duckdb
import polars as pl

from evaluation.completeness import configured_measure
from evaluation.power import SampleSizeTarget
from evaluation.settings import ReadinessSettings
from evaluation.timeline import Projection, Step, project, referral_flow, years
from evaluation.verdicts import ScenarioEvidence, rank_scenarios, scenario_evidence
from warehouse.disclosure import DEFAULT_POLICY, DisclosurePolicy

__all__ = ["BASIS_ORDER", "CSC_OUTCOME", "Plan", "ReadinessInputs", "RunContext", "basis_detail", "basis_word",
           "best_linkage", "csc_plan", "load_inputs", "measure_plan"]

log = logging.getLogger(__name__)

CSC_OUTCOME = "csc_involvement"


@dataclass(frozen=True)
class ReadinessInputs:
    """What the analysis reads from the warehouse, as polars frames.

    ``people`` (service_episodes, with ``family_key``); ``measurements`` (with ``age_months``,
    completed months of age at assessment for child measures, derived in SQL so no date of birth
    reaches Python); ``linkage`` the latest run's metrics (every column the table has; empty when
    none); ``availability`` the synthesis view (``None`` when absent); ``nhs_counts`` per site
    (children, children with an NHS number).
    """

    people: pl.DataFrame
    measurements: pl.DataFrame
    linkage: pl.DataFrame
    availability: pl.DataFrame | None
    nhs_counts: Mapping[str, tuple[int, int]] = field(default_factory=dict)


def _table_exists(con: duckdb.DuckDBPyConnection, name: str, schema: str = "main") -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = ?", [name, schema]
    ).fetchall()
    return bool(row and row[0][0])


def _measurements(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    base = ("SELECT m.person_key, m.site_id, m.measure, m.timepoint, m.assessed_date, m.items{age} "
            "FROM outcome_measurements m{join}")
    if not _table_exists(con, "service_people", "restricted"):
        plain: pl.DataFrame = con.sql(base.format(age=", CAST(NULL AS BIGINT) AS age_months", join="")).pl()
        return plain
    # age in completed months at assessment, for the ASQ interval; only the derived number leaves SQL
    age = (", CASE WHEN m.measure IN ('asq3', 'asqse2') THEN "
           "date_diff('month', a.born, m.assessed_date) - CASE WHEN day(m.assessed_date) < day(a.born) THEN 1 ELSE 0 "
           "END END AS age_months")
    join = (" LEFT JOIN (SELECT person_key, min(coalesce(dob, expected_dob)) AS born FROM restricted.service_people "
            "GROUP BY person_key) a ON a.person_key = m.person_key")
    frame: pl.DataFrame = con.sql(base.format(age=age, join=join)).pl()
    return frame


def _availability(con: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    if not _table_exists(con, "v_availability_matrix"):
        return None
    try:
        availability: pl.DataFrame = con.sql("SELECT * FROM v_availability_matrix").pl()
    except duckdb.Error as exc:  # a view whose columns differ from the contract: report, don't fail
        log.warning("v_availability_matrix unreadable (%s); data gaps from synthesis omitted", type(exc).__name__)
        return None
    if not {"site_id", "data_item", "dimension", "rating"} <= set(availability.columns):
        log.warning("v_availability_matrix lacks the contract columns; data gaps from synthesis omitted")
        return None
    return availability


def load_inputs(con: duckdb.DuckDBPyConnection) -> ReadinessInputs:
    """Read service episodes, outcome measurements, the latest linkage metrics and availability."""
    people = con.sql(
        "SELECT person_key, site_id, family_key, role, referral_date, sex, ethnicity, age_band FROM service_episodes"
    ).pl()
    linkage = con.sql(
        "SELECT * FROM linkage_metrics WHERE run_id = (SELECT max(run_id) FROM linkage_metrics)"
    ).pl()
    nhs = con.execute(
        "SELECT site_id, count(*), count(*) FILTER (WHERE has_nhs_number) FROM service_episodes "
        "WHERE role = 'child' AND has_nhs_number IS NOT NULL GROUP BY site_id"
    ).fetchall()
    return ReadinessInputs(people, _measurements(con), linkage, _availability(con),
                           {s: (int(n), int(k)) for s, n, k in nhs})


# ---------------------------------------------------------------------------- plans
@dataclass(frozen=True)
class RunContext:
    """What every plan and summary row of one run reads: the inputs, settings, target, the data's
    "today", the completeness table and the disclosure policy."""

    inputs: ReadinessInputs
    settings: ReadinessSettings
    target: SampleSizeTarget
    as_of: date
    completeness: pl.DataFrame
    policy: DisclosurePolicy = DEFAULT_POLICY


@dataclass(frozen=True)
class Plan:
    """One outcome's projection at one site, with where each input came from."""

    site: str
    outcome: str
    source: str
    projection: Projection
    basis: dict[str, str]
    extra: dict[str, object]


@dataclass(frozen=True)
class _Flow:
    monthly: float
    counted: int
    months: float
    design_effect: float
    per_family: float
    note: str


def _family_flow(refs: pl.DataFrame, as_of: date, settings: ReadinessSettings) -> _Flow:
    """Referrals a month, counted per family or per person with a family design effect."""
    family = pl.coalesce(pl.col("family_key"), pl.col("person_key")) if "family_key" in refs.columns \
        else pl.col("person_key")
    fams = refs.group_by(family.alias("_family")).agg(pl.col("referral_date").min(), pl.len().alias("_n"))
    per_family = float(fams["_n"].mean()) if fams.height else 1.0  # type: ignore[arg-type]
    if settings.family_clustering == "one_per_family":
        counted, months = referral_flow(fams["referral_date"], as_of, settings.flow_window_months)
        return _Flow(counted / months, counted, months, 1.0, per_family, "one respondent per family")
    counted, months = referral_flow(refs["referral_date"], as_of, settings.flow_window_months)
    de = 1.0 + (per_family - 1.0) * settings.family_icc
    note = f"everyone eligible, with a family design effect 1 + (m - 1) x ICC {settings.family_icc} (ICC a placeholder)"
    return _Flow(counted / months, counted, months, de, per_family, note)


def _family_basis(flow: _Flow) -> dict[str, str]:
    """How families were counted, and the observed family size (m) it used."""
    return {"family": flow.note, "family_size": f"{flow.per_family:.2f} eligible people per family observed"}


def _overall(completeness: pl.DataFrame, site: str, code: str, timepoint: str) -> dict[str, object] | None:
    rows = completeness.filter(
        (pl.col("site_id") == site) & (pl.col("measure") == code) & (pl.col("timepoint") == timepoint)
        & (pl.col("subgroup_type") == "all")
    )
    return rows.row(0, named=True) if rows.height else None


def _retention(site: str, fu: dict[str, object] | None, settings: ReadinessSettings) -> tuple[float, str]:
    if site in settings.retention_by_site:
        return settings.retention_by_site[site], "setting"
    if fu and isinstance(fu["retention"], float):
        return fu["retention"], "observed"
    return settings.default_retention, "default"


def _project(target: SampleSizeTarget, flow: _Flow, steps: tuple[Step, ...]) -> tuple[Projection, int]:
    people = math.ceil(target.target_n * flow.design_effect - 1e-9)
    return project(people, flow.monthly, steps), people


def _flow_extra(flow: _Flow, people: int) -> dict[str, object]:
    return {"referrals_counted": flow.counted, "flow_months": flow.months, "family_design_effect": flow.design_effect,
            "people_per_family": flow.per_family, "target_people": people}


def measure_plan(site: str, code: str, ctx: RunContext) -> Plan:
    """The plan for a questionnaire outcome: consent, baseline scored, followed up (people due only)."""
    settings = ctx.settings
    m = configured_measure(code, site, settings)
    refs = ctx.inputs.people.filter((pl.col("site_id") == site) & pl.col("role").is_in(list(m.subject_roles)))
    flow = _family_flow(refs, ctx.as_of, settings)
    base = _overall(ctx.completeness, site, code, "baseline")
    fu = _overall(ctx.completeness, site, code, "followup")
    baseline_rate = float(base["completeness"]) if base and isinstance(base["completeness"], float) else 0.0
    retention, retention_basis = _retention(site, fu, settings)
    basis = {"referrals": "observed", "consent": "setting" if site in settings.consent_rate_by_site else "default",
             "baseline": "observed", "retention": retention_basis, **_family_basis(flow)}
    steps = (Step("consented", settings.consent_for(site), basis["consent"]),
             Step("baseline_scored", baseline_rate, "observed"),
             Step("followed_up", retention, retention_basis))
    projection, people = _project(ctx.target, flow, steps)
    extra = {"baseline_rate": baseline_rate, "retention": retention, "linkage_recall": None, "linkage_scenario": None,
             **_flow_extra(flow, people), "linkage_recall_low": None, "linkage_recall_high": None,
             "linkage_basis": None}
    return Plan(site, code, "measure", projection, basis, extra)


def best_linkage(linkage: pl.DataFrame, site: str, settings: ReadinessSettings | None = None) -> ScenarioEvidence | None:
    """The site's best identifier scenario, ranked on the conservative end of recall (None when the
    latest run has no overall row with a recall for the site)."""
    verdict = (settings or ReadinessSettings()).verdict
    if linkage.height == 0:
        return None
    scenarios = linkage.filter((pl.col("site_id") == site) & (pl.col("subgroup_type") == "all")
                               & pl.col("recall").is_not_null())["scenario"].unique().to_list()
    evidence = [e for e in (scenario_evidence(linkage, site, s, verdict) for s in scenarios) if e is not None]
    ranked = rank_scenarios(evidence)
    return ranked[0] if ranked else None


def csc_plan(site: str, ctx: RunContext) -> Plan:
    """The plan for CSC involvement from linked records: consent, then linked (recall's lower bound)."""
    settings = ctx.settings
    refs = ctx.inputs.people.filter((pl.col("site_id") == site) & (pl.col("role") == "child"))
    flow = _family_flow(refs, ctx.as_of, settings)
    basis = {"referrals": "observed", "consent": "setting" if site in settings.consent_rate_by_site else "default",
             **_family_basis(flow)}
    best = best_linkage(ctx.inputs.linkage, site, settings)
    low = high = scenario = linkage_basis = None
    if site in settings.linkage_recall_by_site:
        recall, basis["linkage"] = settings.linkage_recall_by_site[site], "setting"
    elif best is not None and best.recall.low is not None:
        recall, basis["linkage"] = best.recall.low, "linkage_metrics"
        low, high, scenario, linkage_basis = best.recall.low, best.recall.high, best.scenario, best.recall.basis
        basis["linkage_figure"] = f"lower bound of {best.recall.basis} recall ({best.recall.method})"
    else:
        recall, basis["linkage"] = settings.default_linkage_recall, "default"
    steps = (Step("consented", settings.consent_for(site), basis["consent"]), Step("linked", recall, basis["linkage"]))
    projection, people = _project(ctx.target, flow, steps)
    extra = {"baseline_rate": None, "retention": None, "linkage_recall": recall, "linkage_scenario": scenario,
             **_flow_extra(flow, people), "linkage_recall_low": low, "linkage_recall_high": high,
             "linkage_basis": linkage_basis}
    return Plan(site, CSC_OUTCOME, "csc_record", projection, basis, extra)


#: How much a row's figures rest on, weakest first: one default rate makes the whole row a placeholder.
BASIS_ORDER = ("default", "setting", "estimated", "review", "measured")
_RATE_KEYS = ("referrals", "consent", "baseline", "retention", "linkage")
_DETAIL_WORDS = {"observed": "observed", "default": "default (unverified placeholder)", "setting": "set in the settings",
                 "linkage_metrics": "from the latest linkage run"}


def basis_word(sources: Sequence[str | None]) -> str:
    """One word for a row's basis: the weakest of its inputs' sources (observed and a measured
    linkage run count as measured; an estimated or review-based recall as such)."""
    words = {"observed": "measured", "linkage_metrics": "measured", None: "measured"}
    found = {words.get(s, s) for s in sources}
    return next((w for w in BASIS_ORDER if w in found), "measured")


def basis_detail(basis: Mapping[str, str]) -> str:
    """Where each input came from, in words (the observed family size is a column, not part of this)."""
    parts = [f"{key} {_DETAIL_WORDS.get(basis[key], basis[key])}" for key in _RATE_KEYS if key in basis]
    parts += [basis[key] for key in ("family", "linkage_figure") if key in basis]
    return "; ".join(parts)


def timeline_row(plan: Plan, target: SampleSizeTarget, settings: ReadinessSettings) -> dict[str, object]:
    """One ``readiness_timeline`` row (with the in-memory extras: years, study-period flag, flow counts)."""
    p = plan.projection
    d = settings.design
    months = p.months_to_target
    return {
        "site_id": plan.site, "outcome": plan.outcome, "outcome_source": plan.source, "design": d.design,
        "mdes": d.mdes, "alpha": d.alpha, "power": d.power, "design_effect": target.design_effect,
        "n_per_arm": target.n_per_arm, "target_n": target.target_n, "monthly_referrals": p.monthly_referrals,
        "consent_rate": p.steps[0].rate, **plan.extra, "analysable_per_month": p.analysable_per_month,
        "months_to_target": months, "months_to_target_whole": p.months_to_target_whole,
        "years_to_target": years(months),
        "reachable_in_study": months is not None and months <= settings.study_period_months,
        "basis": basis_word([*(plan.basis.get(k) for k in _RATE_KEYS if k in plan.basis),
                             plan.extra.get("linkage_basis")]),  # type: ignore[list-item]
        "basis_detail": basis_detail(plan.basis),
    }
