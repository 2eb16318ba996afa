"""Outcome scoring, completeness and attrition, and descriptive pre-post change (pure functions).

Inputs are polars frames shaped like the warehouse tables:

* ``people`` (``service_episodes``): person_key, site_id, role, referral_date, sex, ethnicity, age_band
* ``measurements`` (``outcome_measurements``): person_key, site_id, measure, timepoint, items

Every measurement is re-scored from its items with the measure configured for its site
(:meth:`warehouse.measures.Measure.configured`), so per-site settings such as SCORE-15 recoding
and licensed cut-offs apply here whatever total the loader stored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import numpy as np
import polars as pl
from scipy import stats

from evaluation.asq import AGE_INTERVAL_MEASURES, measure_at_age
from evaluation.settings import ReadinessSettings
from warehouse.disclosure import DEFAULT_POLICY, DisclosurePolicy
from warehouse.measures import Measure, get_measure
from warehouse.vocabulary import (
    AGE_BAND_CUTS,
    NOT_KNOWN,
    OLDEST_AGE_BAND,
    SEX_LABELS,
    UNBORN,
    ethnic_group_expr,
    normalise_sex_expr,
)

__all__ = [
    "CHANGE_LABEL", "SUBGROUP_TYPES", "change_table", "completeness_table", "configured_measure",
    "followup_intervals", "months_before", "score_measurements",
]

CHANGE_LABEL = "pre-post description, not impact"
SUBGROUP_TYPES: tuple[str, ...] = ("all", "sex", "ethnic_group", "age_band")
DAYS_PER_MONTH = 30.4375


def months_before(day: date, months: int) -> date:
    """The same day-of-month ``months`` earlier (clamped to the month's length)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    days_in_month = [31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28, 31, 30, 31, 30, 31, 31,
                     30, 31, 30, 31][m - 1]
    return date(y, m, min(day.day, days_in_month))


def configured_measure(code: str, site: str, settings: ReadinessSettings) -> Measure:
    """The registered measure with the site's settings applied."""
    return get_measure(code).configured(settings.measures, site)


_SCORED_SCHEMA = {
    "person_key": pl.Utf8, "site_id": pl.Utf8, "measure": pl.Utf8, "timepoint": pl.Utf8,
    "assessed_date": pl.Date, "age_interval": pl.Int64, "total": pl.Float64, "prorated": pl.Boolean,
    "clinical": pl.Boolean,
}


def score_measurements(measurements: pl.DataFrame, settings: ReadinessSettings) -> pl.DataFrame:
    """Re-score every measurement row from its items.

    ASQ-3 and ASQ:SE-2 rows are scored with the cut-offs of the child's age interval when the
    frame has ``age_months`` (completed months at assessment); see :mod:`evaluation.asq`.

    Returns person_key, site_id, measure, timepoint, assessed_date, age_interval (None unless an
    ASQ interval applied), total (None = no score), prorated, clinical.
    """
    frame = measurements
    for col, dtype in (("assessed_date", pl.Date), ("age_months", pl.Int64)):
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype).alias(col))
    rows: dict[str, list[object]] = {k: [] for k in _SCORED_SCHEMA}
    cache: dict[tuple[str, str, int | None], tuple[Measure, int | None]] = {}
    for key, site, code, tp, when, age, items in frame.select(
        "person_key", "site_id", "measure", "timepoint", "assessed_date", "age_months", "items"
    ).iter_rows():
        found = cache.get((code, site, age))
        if found is None:
            found = cache[(code, site, age)] = measure_at_age(code, site, age, settings)
        m, interval = found
        s = m.score_detail(list(items) if items is not None else [])
        for col, value in (("person_key", key), ("site_id", site), ("measure", m.code), ("timepoint", tp),
                           ("assessed_date", when), ("age_interval", interval), ("total", s.total),
                           ("prorated", s.prorated), ("clinical", s.clinical)):
            rows[col].append(value)
    return pl.DataFrame(rows, schema=_SCORED_SCHEMA)


def followup_intervals(scored: pl.DataFrame, settings: ReadinessSettings) -> dict[tuple[str, str], tuple[int, str]]:
    """Baseline-to-follow-up days per (site, measure) and where the figure came from.

    A site setting wins; otherwise the median observed interval among people assessed at both
    timepoints; otherwise ``followup_due_months`` (a default).
    """
    dates = scored.filter(pl.col("assessed_date").is_not_null())
    pairs = dates.filter(pl.col("timepoint") == "baseline").select(
        "person_key", "site_id", "measure", pl.col("assessed_date").alias("b")
    ).join(dates.filter(pl.col("timepoint") == "followup").select(
        "person_key", "measure", pl.col("assessed_date").alias("f")), on=["person_key", "measure"])
    observed = pairs.group_by("site_id", "measure").agg(((pl.col("f") - pl.col("b")).dt.total_days()).median()
                                                        .alias("days"))
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for site, code, days in observed.iter_rows():
        if days is not None and days > 0:
            out[(site, code)] = (round(days), "observed")
    fallback = round(settings.followup_due_months * DAYS_PER_MONTH)
    for site, code in scored.select("site_id", "measure").unique().iter_rows():
        out.setdefault((site, code), (fallback, "default"))
    for key in list(out):
        if key[0] in settings.followup_interval_days_by_site:
            out[key] = (settings.followup_interval_days_by_site[key[0]], "setting")
    return out


def _band_months() -> dict[str, tuple[int, int]]:
    """Age band label -> (first, last) month of age, from the shared vocabulary's cuts."""
    out = {UNBORN: (-9, 0)}
    lower = 0
    for upper, band in AGE_BAND_CUTS:
        out[band] = (lower * 12, upper * 12 - 1)
        lower = upper
    out[OLDEST_AGE_BAND] = (lower * 12, 120 * 12)
    return out


_BAND_MONTHS = _band_months()


def _age_may_apply(measure: Measure, band: str | None, grace_months: int) -> bool:
    """False only when the band lies clearly outside the measure's ages (children age during a
    programme, so the band at referral gets ``grace_months`` of slack upwards)."""
    if measure.subject != "child" or measure.ages_months is None:
        return True
    span = _BAND_MONTHS.get(band or "")
    if span is None:
        return True  # not known or an unrecognised label: assume the measure may apply
    lo, hi = measure.ages_months
    return span[0] <= hi and span[1] + grace_months >= lo


def _flags(rows: pl.DataFrame, timepoint: str, prefix: str) -> pl.DataFrame:
    return rows.filter(pl.col("timepoint") == timepoint).select(
        "person_key", pl.lit(True).alias(f"{prefix}_recorded"), pl.col("total").is_not_null().alias(f"{prefix}_scored"),
        pl.col("prorated").alias(f"{prefix}_prorated"), pl.col("assessed_date").alias(f"{prefix}_date"),
    )


def _person_frame(measure: Measure, pool: pl.DataFrame, people: pl.DataFrame, rows: pl.DataFrame,
                  last_anchor: date) -> pl.DataFrame:
    """One row per eligible person for one site and measure with baseline/follow-up flags.

    ``pool``: the site's people whose role and age the measure may fit; ``rows``: its scored rows.
    A person is due a follow-up when the anchor (baseline date, else referral date) is on or
    before ``last_anchor`` (``as_of`` minus the interval and the follow-up window).
    """
    keys = pl.concat([pool.select("person_key"), rows.select("person_key")]).unique()
    demo = keys.join(
        people.select("person_key", "referral_date", "sex", "ethnicity", "age_band"), on="person_key", how="left"
    )
    frame = demo.join(_flags(rows, "baseline", "base"), on="person_key", how="left").join(
        _flags(rows, "followup", "fu"), on="person_key", how="left")
    flags = ["base_recorded", "base_scored", "base_prorated", "fu_recorded", "fu_scored", "fu_prorated"]
    anchor = pl.coalesce(pl.col("base_date"), pl.col("referral_date"))
    return frame.with_columns([pl.col(c).fill_null(False) for c in flags]).with_columns(
        (anchor.is_null() | (anchor <= last_anchor)).alias("fu_due"),
        normalise_sex_expr(pl.col("sex")).replace_strict(SEX_LABELS, default=NOT_KNOWN, return_dtype=pl.Utf8)
        .fill_null(NOT_KNOWN).alias("sex"),
        ethnic_group_expr(pl.col("ethnicity")).alias("ethnic_group"),
        pl.col("age_band").fill_null(NOT_KNOWN).alias("age_band"),
    )


def _eligible_pool(measure: Measure, site: str, people: pl.DataFrame, settings: ReadinessSettings) -> pl.DataFrame:
    """The site's people whose role the measure is about and whose age band does not rule it out."""
    grace = settings.followup_due_months + 12
    pool = people.filter((pl.col("site_id") == site) & pl.col("role").is_in(list(measure.subject_roles)))
    if pool.height:
        keep = [_age_may_apply(measure, b, grace) for b in pool["age_band"].to_list()]
        pool = pool.filter(pl.Series(keep, dtype=pl.Boolean))
    return pool


_COMPLETENESS_SCHEMA: dict[str, pl.DataType] = {
    "site_id": pl.Utf8(), "measure": pl.Utf8(), "timepoint": pl.Utf8(), "subgroup_type": pl.Utf8(),
    "subgroup": pl.Utf8(), "eligible": pl.Int64(), "recorded": pl.Int64(), "scored": pl.Int64(),
    "prorated": pl.Int64(), "missing": pl.Int64(), "completeness": pl.Float64(), "baseline_scored": pl.Int64(),
    "retained": pl.Int64(), "retention": pl.Float64(), "small_count": pl.Boolean(),
}


def _subgroup_counts(persons: pl.DataFrame, subgroup_type: str) -> list[pl.DataFrame]:
    """Baseline and follow-up counts of one (site, measure)'s persons by one subgroup type."""
    group = pl.lit("all") if subgroup_type == "all" else pl.col(subgroup_type).cast(pl.Utf8)
    g = persons.with_columns(group.alias("subgroup")).group_by("subgroup")
    base = g.agg(
        pl.len().alias("eligible"), pl.col("base_recorded").sum().alias("recorded"),
        pl.col("base_scored").sum().alias("scored"), pl.col("base_prorated").sum().alias("prorated"),
    ).with_columns(pl.lit("baseline").alias("timepoint"), pl.lit(None, pl.Int64).alias("baseline_scored"),
                   pl.lit(None, pl.Int64).alias("retained"))
    due = pl.col("fu_due")
    fu = g.agg(
        due.sum().alias("eligible"), (pl.col("fu_recorded") & due).sum().alias("recorded"),
        (pl.col("fu_scored") & due).sum().alias("scored"), (pl.col("fu_prorated") & due).sum().alias("prorated"),
        (pl.col("base_scored") & due).sum().alias("baseline_scored"),
        (pl.col("base_scored") & due & pl.col("fu_scored")).sum().alias("retained"),
    ).with_columns(pl.lit("followup").alias("timepoint"))
    return [part.with_columns(pl.lit(subgroup_type).alias("subgroup_type")) for part in (base, fu)]


def _with_rates(out: pl.DataFrame, policy: DisclosurePolicy) -> pl.DataFrame:
    counts = ["eligible", "recorded", "scored", "prorated", "baseline_scored", "retained"]
    out = out.with_columns([pl.col(c).cast(pl.Int64) for c in counts]).with_columns(
        (pl.col("eligible") - pl.col("scored")).alias("missing"),
        pl.when(pl.col("eligible") > 0).then(pl.col("scored") / pl.col("eligible")).alias("completeness"),
        pl.when(pl.col("baseline_scored") > 0).then(pl.col("retained") / pl.col("baseline_scored")).alias("retention"),
    )
    small = [((pl.col(c) >= 1) & (pl.col(c) <= policy.suppress_max)).fill_null(False)
             for c in ("eligible", "scored", "missing", "baseline_scored", "retained")]
    return out.with_columns(pl.any_horizontal(small).alias("small_count"))


def completeness_table(
    people: pl.DataFrame,
    scored: pl.DataFrame,
    site_measures: Mapping[str, Sequence[str]],
    settings: ReadinessSettings,
    as_of: date,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> pl.DataFrame:
    """Eligible, recorded, scored, missing and retention per site, measure, timepoint and subgroup.

    ``site_measures`` lists the measures each site collects (its adapter's list plus any seen in
    the data). Follow-up denominators count only people whose follow-up is due by ``as_of``
    (:func:`followup_intervals`). ``small_count`` marks rows the disclosure ``policy`` would hide.
    """
    intervals = followup_intervals(scored, settings)
    fallback = round(settings.followup_due_months * DAYS_PER_MONTH)
    frames = []
    for site, codes in site_measures.items():
        for code in codes:
            days = intervals.get((site, code), (settings.followup_interval_days_by_site.get(site, fallback), ""))[0]
            measure = configured_measure(code, site, settings)
            rows = scored.filter((pl.col("site_id") == site) & (pl.col("measure") == code))
            last_anchor = as_of - timedelta(days=days + settings.followup_window_days)
            persons = _person_frame(measure, _eligible_pool(measure, site, people, settings), people, rows,
                                    last_anchor)
            for sg in SUBGROUP_TYPES:
                frames += [part.with_columns(pl.lit(site).alias("site_id"), pl.lit(code).alias("measure"))
                           for part in _subgroup_counts(persons, sg)]
    if not frames:
        return pl.DataFrame(schema=_COMPLETENESS_SCHEMA)
    out = _with_rates(pl.concat(frames, how="diagonal_relaxed"), policy)
    return out.select(list(_COMPLETENESS_SCHEMA)).cast(pl.Schema(_COMPLETENESS_SCHEMA)).sort(
        "site_id", "measure", "timepoint", "subgroup_type", "subgroup"
    )


_CHANGE_SCHEMA = {
    "site_id": pl.Utf8, "measure": pl.Utf8, "n_pairs": pl.Int64, "baseline_mean": pl.Float64,
    "followup_mean": pl.Float64, "mean_change": pl.Float64, "sd_change": pl.Float64, "ci_low": pl.Float64,
    "ci_high": pl.Float64, "higher_is_worse": pl.Boolean, "reliability": pl.Float64,
    "reliability_source": pl.Utf8, "rci_points": pl.Float64, "reliable_improvement": pl.Int64,
    "reliable_deterioration": pl.Int64, "no_reliable_change": pl.Int64, "cutoff": pl.Float64,
    "cutoff_source": pl.Utf8, "clinically_significant": pl.Int64, "label": pl.Utf8, "small_count": pl.Boolean,
}


def rci_threshold(measure: Measure, baseline_sd: float | None) -> float | None:
    """Points of change needed for reliable change.

    A published fixed threshold (e.g. PHQ-9 6, GAD-7 4, CORE-10 6) is used when the measure has
    one; otherwise Jacobson & Truax (1991): 1.96·SEdiff, SEdiff = SD₀·sqrt(2)·sqrt(1 - r).
    """
    if measure.reliable_change_points is not None:
        return float(measure.reliable_change_points)
    if measure.reliability is None or baseline_sd is None or not baseline_sd > 0:
        return None
    return 1.96 * baseline_sd * math.sqrt(2.0) * math.sqrt(1.0 - measure.reliability)


def change_table(
    scored: pl.DataFrame, site_measures: Mapping[str, Sequence[str]], settings: ReadinessSettings,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> pl.DataFrame:
    """Descriptive pre-post change per site and measure among people scored at both timepoints.

    Mean change (follow-up - baseline) with a 95% t interval; reliable change counts where the
    measure has published reliability; clinically significant change (reliable improvement that
    crosses the cut-off from the clinical side, Jacobson & Truax) where it has a cut-off.
    This describes change in those followed up. It is **not** an estimate of impact.
    """
    records = []
    for site, codes in site_measures.items():
        for code in codes:
            m = configured_measure(code, site, settings)
            rows = scored.filter((pl.col("site_id") == site) & (pl.col("measure") == code)
                                 & pl.col("total").is_not_null())
            pairs = rows.filter(pl.col("timepoint") == "baseline").select(
                "person_key", pl.col("total").alias("b"), pl.col("clinical").alias("bc")
            ).join(rows.filter(pl.col("timepoint") == "followup").select(
                "person_key", pl.col("total").alias("f"), pl.col("clinical").alias("fc")
            ), on="person_key", how="inner")
            records.append(_change_row(site, m, pairs, policy))
    if not records:
        return pl.DataFrame(schema=_CHANGE_SCHEMA)
    return pl.DataFrame(records, schema=_CHANGE_SCHEMA).sort("site_id", "measure")


#: The cut-off column of an ASQ change row: each questionnaire was judged against its own age interval's cut-off.
PER_AGE_INTERVAL = "per age interval (unverified placeholders)"


def _change_row(site: str, m: Measure, pairs: pl.DataFrame, policy: DisclosurePolicy) -> dict[str, object]:
    n = pairs.height
    by_interval = m.code in AGE_INTERVAL_MEASURES   # no single cut-off: the flags were set per child's age
    b = pairs["b"].to_numpy().astype(float)
    f = pairs["f"].to_numpy().astype(float)
    d = f - b
    row: dict[str, object] = {
        "site_id": site, "measure": m.code, "n_pairs": n, "higher_is_worse": m.higher_is_worse,
        "reliability": m.reliability, "reliability_source": m.reliability_source,
        "cutoff": None if by_interval else m.cutoff,
        "cutoff_source": PER_AGE_INTERVAL if by_interval else m.cutoff_source if m.cutoff is not None else None,
        "label": CHANGE_LABEL, "small_count": policy.hides(n),
        "baseline_mean": float(b.mean()) if n else None, "followup_mean": float(f.mean()) if n else None,
        "mean_change": float(d.mean()) if n else None,
    }
    sd = float(d.std(ddof=1)) if n >= 2 else None
    row["sd_change"] = sd
    if n >= 2 and sd is not None:
        half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
        row["ci_low"], row["ci_high"] = float(d.mean()) - half, float(d.mean()) + half
    points = rci_threshold(m, float(b.std(ddof=1)) if n >= 2 else None)
    row["rci_points"] = points
    if points is not None and n:
        improve = -d if m.higher_is_worse else d
        reliable_up = improve >= points - 1e-9
        reliable_down = improve <= -points + 1e-9
        row["reliable_improvement"] = int(reliable_up.sum())
        row["reliable_deterioration"] = int(reliable_down.sum())
        row["no_reliable_change"] = int(n - reliable_up.sum() - reliable_down.sum())
        if m.cutoff is not None or by_interval:
            bc = np.array([bool(x) for x in pairs["bc"].to_list()])
            fc = np.array([bool(x) for x in pairs["fc"].to_list()])
            row["clinically_significant"] = int((reliable_up & bc & ~fc).sum())
    return row
