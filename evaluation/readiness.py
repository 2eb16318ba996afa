"""Readiness per site: read the warehouse, compute every table, store them, summarise.

``compute_and_store(store, settings)`` is the one entry point with side effects; everything it
calls is a pure function over polars frames (:mod:`evaluation.completeness`,
:mod:`evaluation.timeline`, :mod:`evaluation.power`).
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib import metadata

import duckdb
import polars as pl

from evaluation.completeness import change_table, completeness_table, configured_measure, score_measurements
from evaluation.power import SampleSizeTarget, required_sample
from evaluation.settings import ReadinessSettings
from evaluation.timeline import Projection, Step, expected_counts, funnel_rows, monthly_referrals, project
from warehouse.adapters import ADAPTERS
from warehouse.errors import ConfigError, DataError, did_you_mean
from warehouse.measures import get_measure
from warehouse.sites import SITE_IDS
from warehouse.store import Store

__all__ = [
    "CSC_OUTCOME", "POOLED", "ReadinessInputs", "ReadinessReport", "compute", "compute_and_store", "linkage_verdict",
    "load_inputs", "load_report",
]

log = logging.getLogger(__name__)

CSC_OUTCOME = "csc_involvement"
PRIMARY_POOLED = "primary_measure"
POOLED = "pooled"
TABLES: tuple[str, ...] = (
    "readiness_completeness", "readiness_change", "readiness_timeline", "readiness_funnel", "readiness_summary",
)


@dataclass(frozen=True)
class ReadinessInputs:
    """What the analysis reads from the warehouse, as polars frames.

    ``linkage`` holds the latest linkage run's metrics (empty when none); ``availability`` the
    synthesis engineer's ``v_availability_matrix`` (``None`` when that view does not exist).
    """

    people: pl.DataFrame
    measurements: pl.DataFrame
    linkage: pl.DataFrame
    availability: pl.DataFrame | None
    nhs_share: Mapping[str, float]


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


# ---------------------------------------------------------------------------- reading
def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'", [name]
    ).fetchall()
    return bool(row and row[0][0])


def load_inputs(con: duckdb.DuckDBPyConnection) -> ReadinessInputs:
    """Read service episodes, outcome measurements, the latest linkage metrics and availability."""
    people = con.sql(
        "SELECT person_key, site_id, role, referral_date, sex, ethnicity, age_band FROM service_episodes"
    ).pl()
    measurements = con.sql(
        "SELECT person_key, site_id, measure, timepoint, assessed_date, items FROM outcome_measurements"
    ).pl()
    linkage = con.sql(
        "SELECT site_id, scenario, subgroup_type, subgroup, n_records, precision, recall, clerical_review, basis "
        "FROM linkage_metrics WHERE run_id = (SELECT max(run_id) FROM linkage_metrics)"
    ).pl()
    availability = None
    if _table_exists(con, "v_availability_matrix"):
        try:
            availability = con.sql("SELECT * FROM v_availability_matrix").pl()
            if not {"site_id", "data_item", "dimension", "rating"} <= set(availability.columns):
                log.warning("v_availability_matrix lacks the contract columns; data gaps from synthesis omitted")
                availability = None
        except duckdb.Error as exc:  # a view whose columns differ from the contract: report, don't fail
            log.warning("v_availability_matrix unreadable (%s); data gaps from synthesis omitted", type(exc).__name__)
    shares = con.execute(
        "SELECT site_id, avg(CASE WHEN has_nhs_number THEN 1.0 ELSE 0.0 END) FROM service_episodes "
        "WHERE role = 'child' AND has_nhs_number IS NOT NULL GROUP BY site_id"
    ).fetchall()
    return ReadinessInputs(people, measurements, linkage, availability, {s: float(v) for s, v in shares})


# ---------------------------------------------------------------------------- linkage
_LEAST_IDENTIFYING = ("pseudonymised_tokens", "dob_postcode_sex", "names_dob", "no_nhs_number", "all_identifiers")


def best_linkage(linkage: pl.DataFrame, site: str) -> dict[str, object] | None:
    """The best identifier scenario for a site from the overall rows: highest recall, then
    precision, then the scenario sharing the fewest identifiers."""
    rows = linkage.filter(
        (pl.col("site_id") == site) & (pl.col("subgroup_type") == "all") & pl.col("recall").is_not_null()
    )
    if rows.height == 0:
        return None
    # ties: prefer the scenario sharing the fewest identifiers (data minimisation)
    rank = {name: i for i, name in enumerate(_LEAST_IDENTIFYING)}
    rows = rows.with_columns(pl.col("scenario").replace_strict(rank, default=len(rank), return_dtype=pl.Int64)
                             .alias("_rank"))
    best = rows.sort(["recall", "precision", "_rank"], descending=[True, True, False], nulls_last=True).row(
        0, named=True)
    sub = linkage.filter(
        (pl.col("site_id") == site) & (pl.col("scenario") == best["scenario"]) & (pl.col("subgroup_type") != "all")
        & (pl.col("n_records") >= 20) & pl.col("recall").is_not_null()
    )
    best["worst_gap"] = float(best["recall"] - sub["recall"].min()) if sub.height else None  # type: ignore[operator]
    return best


def linkage_verdict(precision: float | None, recall: float | None, worst_gap: float | None = None,
                    clerical_share: float | None = None) -> str:
    """Feasibility verdict from linkage-quality-reporting §8.3 (the rules computable here).

    Feasible: precision ≥ 0.95, recall ≥ 0.90, worst subgroup gap ≤ 0.10, clerical band ≤ 10%;
    with conditions: ≥ 0.90, ≥ 0.80, ≤ 0.20, ≤ 25%; otherwise not feasible. Unknown inputs
    other than precision and recall are skipped. The CI lower bound and core-identifier rules
    need data this table does not hold.

    Example:
        >>> linkage_verdict(0.97, 0.85)
        'feasible_with_conditions'
    """
    if precision is None or recall is None:
        return "unknown"
    def ok(p: float, r: float, gap: float, clerical: float) -> bool:
        return (precision >= p and recall >= r and (worst_gap is None or worst_gap <= gap)
                and (clerical_share is None or clerical_share <= clerical))
    if ok(0.95, 0.90, 0.10, 0.10):
        return "feasible"
    if ok(0.90, 0.80, 0.20, 0.25):
        return "feasible_with_conditions"
    return "not_feasible"


# ---------------------------------------------------------------------------- compute
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


def _overall(completeness: pl.DataFrame, site: str, code: str, timepoint: str) -> dict[str, object] | None:
    rows = completeness.filter(
        (pl.col("site_id") == site) & (pl.col("measure") == code) & (pl.col("timepoint") == timepoint)
        & (pl.col("subgroup_type") == "all")
    )
    return rows.row(0, named=True) if rows.height else None


@dataclass(frozen=True)
class _Plan:
    site: str
    outcome: str
    source: str
    projection: Projection
    basis: dict[str, str]
    extra: dict[str, object]


def _measure_plan(site: str, code: str, inputs: ReadinessInputs, completeness: pl.DataFrame,
                  settings: ReadinessSettings, target: SampleSizeTarget, as_of: date) -> _Plan:
    m = configured_measure(code, site, settings)
    refs = inputs.people.filter((pl.col("site_id") == site) & pl.col("role").is_in(list(m.subject_roles)))
    flow = monthly_referrals(refs["referral_date"], as_of, settings.flow_window_months)
    base = _overall(completeness, site, code, "baseline")
    fu = _overall(completeness, site, code, "followup")
    basis = {"referrals": "observed", "consent": "setting" if site in settings.consent_rate_by_site else "default"}
    baseline_rate = float(base["completeness"]) if base and base["completeness"] is not None else 0.0  # type: ignore[arg-type]
    basis["baseline"] = "observed"
    if site in settings.retention_by_site:
        retention, basis["retention"] = settings.retention_by_site[site], "setting"
    elif fu and fu["retention"] is not None:
        retention, basis["retention"] = float(fu["retention"]), "observed"  # type: ignore[arg-type]
    else:
        retention, basis["retention"] = settings.default_retention, "default"
    steps = (
        Step("consented", settings.consent_for(site), basis["consent"]),
        Step("baseline_scored", baseline_rate, "observed"),
        Step("followed_up", retention, basis["retention"]),
    )
    extra = {"baseline_rate": baseline_rate, "retention": retention, "linkage_recall": None, "linkage_scenario": None}
    return _Plan(site, code, "measure", project(target.target_n, flow, steps), basis, extra)


def _csc_plan(site: str, inputs: ReadinessInputs, settings: ReadinessSettings, target: SampleSizeTarget,
              as_of: date) -> _Plan:
    refs = inputs.people.filter((pl.col("site_id") == site) & (pl.col("role") == "child"))
    flow = monthly_referrals(refs["referral_date"], as_of, settings.flow_window_months)
    basis = {"referrals": "observed", "consent": "setting" if site in settings.consent_rate_by_site else "default"}
    best = best_linkage(inputs.linkage, site)
    scenario = None
    if site in settings.linkage_recall_by_site:
        recall, basis["linkage"] = settings.linkage_recall_by_site[site], "setting"
    elif best is not None:
        recall, basis["linkage"], scenario = float(best["recall"]), "linkage_metrics", str(best["scenario"])  # type: ignore[arg-type]
    else:
        recall, basis["linkage"] = settings.default_linkage_recall, "default"
    steps = (Step("consented", settings.consent_for(site), basis["consent"]), Step("linked", recall, basis["linkage"]))
    extra = {"baseline_rate": None, "retention": None, "linkage_recall": recall, "linkage_scenario": scenario}
    return _Plan(site, CSC_OUTCOME, "csc_record", project(target.target_n, flow, steps), basis, extra)


def _timeline_row(plan: _Plan, target: SampleSizeTarget, settings: ReadinessSettings) -> dict[str, object]:
    p = plan.projection
    d = settings.design
    return {
        "site_id": plan.site, "outcome": plan.outcome, "outcome_source": plan.source, "design": d.design,
        "mdes": d.mdes, "alpha": d.alpha, "power": d.power, "design_effect": target.design_effect,
        "n_per_arm": target.n_per_arm, "target_n": target.target_n, "monthly_referrals": p.monthly_referrals,
        "consent_rate": p.steps[0].rate, **plan.extra, "analysable_per_month": p.analysable_per_month,
        "months_to_target": p.months_to_target, "months_to_target_whole": p.months_to_target_whole,
        "basis": json.dumps(plan.basis, sort_keys=True),
    }


def _plan_funnel(plan: _Plan, settings: ReadinessSettings) -> tuple[int, list[float]]:
    p = plan.projection
    horizon = p.months_to_target_whole or settings.flow_window_months
    return horizon, expected_counts(p.monthly_referrals, p.steps, horizon)


def _pooled(plans: Sequence[_Plan], outcome: str, source: str, target: SampleSizeTarget,
            settings: ReadinessSettings) -> tuple[dict[str, object], list[dict[str, object]]]:
    per_month = sum(pl_.projection.analysable_per_month for pl_ in plans)
    flow = sum(pl_.projection.monthly_referrals for pl_ in plans)
    months = target.target_n / per_month if per_month > 0 else None
    whole = math.ceil(months - 1e-9) if months is not None else None
    horizon = whole or settings.flow_window_months
    steps = plans[0].projection.steps
    expected = [sum(v) for v in zip(*(expected_counts(pl_.projection.monthly_referrals, pl_.projection.steps, horizon)
                                      for pl_ in plans), strict=True)]
    # pooled rate at each step = pooled expected ratio (a flow-weighted average of site rates)
    pooled_steps = [Step(s.name, expected[i + 1] / expected[i] if expected[i] > 0 else 0.0, "pooled")
                    for i, s in enumerate(steps)]
    d = settings.design
    row = {
        "site_id": POOLED, "outcome": outcome, "outcome_source": source, "design": d.design, "mdes": d.mdes,
        "alpha": d.alpha, "power": d.power, "design_effect": target.design_effect, "n_per_arm": target.n_per_arm,
        "target_n": target.target_n, "monthly_referrals": flow,
        "consent_rate": pooled_steps[0].rate if pooled_steps else None,
        "baseline_rate": None, "retention": None, "linkage_recall": None, "linkage_scenario": None,
        "analysable_per_month": per_month, "months_to_target": months, "months_to_target_whole": whole,
        "basis": json.dumps({"sites": sorted(pl_.site for pl_ in plans)}),
    }
    for s in pooled_steps:
        key = {"baseline_scored": "baseline_rate", "followed_up": "retention", "linked": "linkage_recall"}.get(s.name)
        if key:
            row[key] = s.rate
    return row, funnel_rows(POOLED, outcome, expected, pooled_steps, horizon)


def _rank_key(c: Mapping[str, object]) -> tuple[int, float, float]:
    months = c["months_to_target"]
    return (0 if c["outcome_candidate"] else 1,
            months if isinstance(months, float) else math.inf,
            -(c["baseline_completeness"] or 0.0))  # type: ignore[operator]


_POOR_WORDS = ("absent", "none", "missing", "poor", "red", "low", "not", "unavailable", "no", "unaware")


def _availability_gaps(availability: pl.DataFrame | None, site: str, max_rating: int) -> list[str]:
    """Poorly rated (site, data item, dimension) cells from the synthesis ratings.

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
    return [text for _, text in sorted(set(gaps))]   # worst ratings first


def _summary_row(site: str, plans: Sequence[_Plan], csc: _Plan | None, inputs: ReadinessInputs,
                 completeness: pl.DataFrame, target: SampleSizeTarget,
                 settings: ReadinessSettings) -> dict[str, object]:
    candidates = []
    for plan in plans:
        m = get_measure(plan.outcome)
        base = _overall(completeness, site, plan.outcome, "baseline")
        candidates.append({
            "measure": m.code, "name": m.name, "outcome_candidate": m.outcome_candidate,
            "baseline_completeness": base["completeness"] if base else None,
            "retention": plan.extra["retention"], "months_to_target": plan.projection.months_to_target,
        })
    candidates.sort(key=_rank_key)
    usable = [c for c in candidates if c["outcome_candidate"] and c["months_to_target"] is not None]
    primary = usable[0] if usable else None
    best = best_linkage(inputs.linkage, site)
    gaps: list[str] = []
    for c in candidates:
        comp, ret = c["baseline_completeness"], c["retention"]
        if comp is None or comp == 0:
            gaps.append(f"{c['name']}: no scored baseline")
        elif comp < 0.5:  # type: ignore[operator]
            gaps.append(f"{c['name']}: baseline scored for {comp:.0%} of eligible")
        if isinstance(ret, float) and ret < 0.5 and comp:
            gaps.append(f"{c['name']}: follow-up retention {ret:.0%}")
    if not plans:
        gaps.append("no outcome measures held")
    if best is None:
        ran = inputs.linkage.filter(pl.col("site_id") == site).height > 0
        gaps.append("linkage recall not measured for this site: CSC outcomes use the default recall" if ran
                    else "no linkage run: CSC outcomes use the default recall")
    share = inputs.nhs_share.get(site)
    if share is not None and share < 0.5:
        gaps.append(f"NHS number recorded for {share:.0%} of children")
    gaps += _availability_gaps(inputs.availability, site, settings.gap_rating_max)[: settings.max_gaps_listed]
    clerical = None
    if best is not None and best.get("clerical_review") is not None and best.get("n_records"):
        clerical = float(best["clerical_review"]) / float(best["n_records"])  # type: ignore[arg-type]
    return {
        "site_id": site,
        "primary_outcome": primary["measure"] if primary else None,
        "primary_completeness": primary["baseline_completeness"] if primary else None,
        "primary_retention": primary["retention"] if primary else None,
        "months_to_target": primary["months_to_target"] if primary else None,
        "csc_months_to_target": csc.projection.months_to_target if csc else None,
        "target_n": target.target_n,
        "best_linkage_scenario": best["scenario"] if best else None,
        "linkage_recall": best["recall"] if best else None,
        "linkage_precision": best["precision"] if best else None,
        "linkage_verdict": linkage_verdict(
            best["precision"] if best else None, best["recall"] if best else None,  # type: ignore[arg-type]
            best["worst_gap"] if best else None, clerical,  # type: ignore[arg-type]
        ),
        "data_gaps": "; ".join(gaps),
        "candidates": json.dumps([{k: v for k, v in c.items() if k != "outcome_candidate"} for c in candidates]),
    }


_TIMELINE_SCHEMA = {
    "site_id": pl.Utf8, "outcome": pl.Utf8, "outcome_source": pl.Utf8, "design": pl.Utf8, "mdes": pl.Float64,
    "alpha": pl.Float64, "power": pl.Float64, "design_effect": pl.Float64, "n_per_arm": pl.Float64,
    "target_n": pl.Int64, "monthly_referrals": pl.Float64, "consent_rate": pl.Float64,
    "baseline_rate": pl.Float64, "retention": pl.Float64, "linkage_recall": pl.Float64,
    "linkage_scenario": pl.Utf8, "analysable_per_month": pl.Float64, "months_to_target": pl.Float64,
    "months_to_target_whole": pl.Int64, "basis": pl.Utf8,
}
_FUNNEL_SCHEMA = {
    "site_id": pl.Utf8, "outcome": pl.Utf8, "horizon_months": pl.Int64, "step_no": pl.Int64, "step": pl.Utf8,
    "n": pl.Int64, "lost": pl.Int64, "rate": pl.Float64, "source": pl.Utf8,
}
_SUMMARY_SCHEMA = {
    "site_id": pl.Utf8, "primary_outcome": pl.Utf8, "primary_completeness": pl.Float64,
    "primary_retention": pl.Float64, "months_to_target": pl.Float64, "csc_months_to_target": pl.Float64,
    "target_n": pl.Int64, "best_linkage_scenario": pl.Utf8, "linkage_recall": pl.Float64,
    "linkage_precision": pl.Float64, "linkage_verdict": pl.Utf8, "data_gaps": pl.Utf8, "candidates": pl.Utf8,
}


def compute(inputs: ReadinessInputs, settings: ReadinessSettings | None = None) -> ReadinessReport:
    """Compute every readiness table from inputs (pure: no store)."""
    settings = settings or ReadinessSettings()
    target = required_sample(settings.design)
    as_of = _as_of(inputs)
    site_measures = _site_measures(inputs)
    scored = score_measurements(inputs.measurements, settings)
    completeness = completeness_table(inputs.people, scored, site_measures, settings, as_of or date.today())
    change = change_table(scored, site_measures, settings)
    timeline: list[dict[str, object]] = []
    funnel: list[dict[str, object]] = []
    summary: list[dict[str, object]] = []
    primaries: list[_Plan] = []
    cscs: list[_Plan] = []
    for site in SITE_IDS:
        plans = [_measure_plan(site, c, inputs, completeness, settings, target, as_of or date.today())
                 for c in site_measures[site]]
        csc = _csc_plan(site, inputs, settings, target, as_of or date.today()) if settings.include_csc_outcome else None
        for plan in [*plans, *([csc] if csc else [])]:
            timeline.append(_timeline_row(plan, target, settings))
            horizon, expected = _plan_funnel(plan, settings)
            funnel += funnel_rows(site, plan.outcome, expected, plan.projection.steps, horizon)
        row = _summary_row(site, plans, csc, inputs, completeness, target, settings)
        summary.append(row)
        primary = next((p for p in plans if p.outcome == row["primary_outcome"]), None)
        if primary:
            primaries.append(primary)
        if csc:
            cscs.append(csc)
    for group, outcome, source in ((primaries, PRIMARY_POOLED, "measure"), (cscs, CSC_OUTCOME, "csc_record")):
        if group:
            row, rows = _pooled(group, outcome, source, target, settings)
            timeline.append(row)
            funnel += rows
    return ReadinessReport(
        as_of, settings, target, completeness, change,
        pl.DataFrame(timeline, schema=_TIMELINE_SCHEMA),
        pl.DataFrame(funnel, schema=_FUNNEL_SCHEMA),
        pl.DataFrame(summary, schema=_SUMMARY_SCHEMA),
    )


def _version() -> str:
    try:
        return metadata.version("linkready")
    except metadata.PackageNotFoundError:
        return "unknown"


def compute_and_store(store: Store, settings: ReadinessSettings | None = None) -> ReadinessReport:
    """Compute readiness from the warehouse and replace the ``readiness_*`` tables in one transaction.

    Args:
        store: a read-write :class:`warehouse.Store` holding loaded (and ideally linked) data.
        settings: design, power and default rates; :class:`ReadinessSettings` defaults if omitted.

    Returns:
        The :class:`ReadinessReport` that was stored.

    Raises:
        DataError: the store is read-only or holds no service records.
        ConfigError: invalid settings.

    Example:
        >>> report = compute_and_store(Store("demo.duckdb"))      # doctest: +SKIP
        >>> report.summary.select("site_id", "months_to_target")  # doctest: +SKIP
    """
    settings = settings or ReadinessSettings()
    if store.read_only:
        raise DataError(f"warehouse {store.path} is open read-only; readiness needs a read-write store to save results")
    started = time.perf_counter()
    with store.reader() as con:
        inputs = load_inputs(con)
    if inputs.people.height == 0:
        raise DataError(
            f"warehouse {store.path} has no service records; load a drop first with `linkready load DIR --db {store.path}`"
        )
    report = compute(inputs, settings)
    with store.transaction() as con:
        for table in (*TABLES, "readiness_runs"):
            con.execute(f"DELETE FROM {table}")  # noqa: S608  (fixed table names)
        con.execute("INSERT INTO readiness_runs VALUES (?, ?, ?, ?, ?)",
                    [datetime.now(), report.as_of, settings.to_json(), report.target.target_n, _version()])
        for table, frame in zip(TABLES, (report.completeness, report.change, report.timeline, report.funnel,
                                          report.summary), strict=True):
            con.register("_rd_frame", frame.to_arrow())
            cols = ", ".join(frame.columns)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _rd_frame")  # noqa: S608
            con.unregister("_rd_frame")
    log.info("readiness computed for %d sites in %.2fs", report.summary.height, time.perf_counter() - started)
    return report


def load_report(store: Store) -> ReadinessReport:
    """Read the stored readiness tables back (works on a read-only store)."""
    with store.reader() as con:
        runs = con.execute("SELECT as_of, settings FROM readiness_runs").fetchall()
        if not runs:
            raise DataError(f"no readiness results in {store.path}; run `linkready readiness --db {store.path}` first")
        frames = [con.sql(f"SELECT * FROM {t}").pl() for t in TABLES]  # noqa: S608
    run = runs[0]
    settings = ReadinessSettings.from_mapping(json.loads(run[1]))
    return ReadinessReport(run[0], settings, required_sample(settings.design), *frames)
