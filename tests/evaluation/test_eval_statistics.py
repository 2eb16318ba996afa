"""Readiness statistics a methodologist would sign (issue 16): one primary measure by a stated rule,
family clustering, retention over people due, ASQ by age interval, years and the study period."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest

from evaluation import (
    CSC_OUTCOME,
    POOLED,
    PRIMARY_RULE,
    ReadinessInputs,
    ReadinessSettings,
    compute,
    compute_and_store,
    load_inputs,
    load_report,
    score_measurements,
    to_markdown,
)
from evaluation.asq import interval_for_age, measure_at_age
from evaluation.completeness import completeness_table
from evaluation.settings import ASQ3_PLACEHOLDER_CUTOFFS, ASQ3_WINDOWS
from tests.evaluation.readiness_world import build_world
from warehouse.store import Store

AS_OF = date(2025, 3, 31)
EMPTY_LINKAGE = pl.DataFrame(schema={"site_id": pl.Utf8, "scenario": pl.Utf8, "subgroup_type": pl.Utf8,
                                     "subgroup": pl.Utf8, "n_records": pl.Int64, "recall": pl.Float64,
                                     "precision": pl.Float64, "basis": pl.Utf8})


def phq9(total: int) -> list[int]:
    items, left = [], total
    for _ in range(9):
        items.append(min(3, left))
        left -= items[-1]
    return items


def parents_world(families: int, both_parents: bool, span_days: int = 340) -> ReadinessInputs:
    """fbs families referred over ``span_days`` before the as-of date, PHQ-9 at baseline for everyone."""
    people, rows = [], []
    for f in range(families):
        referral = AS_OF - timedelta(days=20 + (f * span_days) // families)
        roles = ["victim_parent", "harm_parent"] if both_parents else ["victim_parent"]
        for role in roles:
            key = f"fbs-{f}-{role}"
            people.append({"person_key": key, "site_id": "fbs", "family_key": f"fbs-f{f}", "role": role,
                           "referral_date": referral, "sex": "F", "ethnicity": "WBRI", "age_band": "25-34"})
            rows.append({"person_key": key, "site_id": "fbs", "measure": "phq9", "timepoint": "baseline",
                         "assessed_date": referral + timedelta(days=7), "items": phq9(12), "age_months": None})
    return ReadinessInputs(pl.DataFrame(people), pl.DataFrame(rows, schema_overrides={"items": pl.List(pl.Int64),
                                                                                       "age_months": pl.Int64}),
                           EMPTY_LINKAGE, None, {})


def fbs_phq9(report) -> dict:
    return report.timeline.filter((pl.col("site_id") == "fbs") & (pl.col("outcome") == "phq9")).row(0, named=True)


def test_family_clustering_one_respondent_per_family_or_a_design_effect():
    both = parents_world(40, both_parents=True)
    keep = {"fbs": 0.6}   # nobody is followed up in this world: retention set, so something accrues
    one = compute(both, ReadinessSettings(family_clustering="one_per_family", retention_by_site=keep))
    de = compute(both, ReadinessSettings(family_clustering="design_effect", family_icc=0.5, retention_by_site=keep))
    single = compute(parents_world(40, both_parents=False), ReadinessSettings(retention_by_site=keep))
    a, b, c = fbs_phq9(one), fbs_phq9(de), fbs_phq9(single)
    # one per family: two parents a family count once, as in a world of single parents
    assert a["monthly_referrals"] == pytest.approx(c["monthly_referrals"])
    assert a["family_design_effect"] == 1.0 and a["people_per_family"] == pytest.approx(2.0)
    # everyone counted, the target inflated by 1 + (2 - 1) x 0.5
    assert b["monthly_referrals"] == pytest.approx(2 * a["monthly_referrals"])
    assert b["family_design_effect"] == pytest.approx(1.5)
    assert b["target_people"] == math.ceil(b["target_n"] * 1.5)
    assert b["months_to_target"] == pytest.approx(a["months_to_target"] * 1.5 / 2, rel=0.01)
    assert "one respondent per family" in a["basis_detail"] and "respondent per family" not in b["basis_detail"]
    assert "per family observed" not in a["basis_detail"]   # the family size is its own column, kept from sites


def test_retention_counts_only_people_whose_follow_up_is_due():
    # followed up 270 days after baseline (observed); people with baseline 6-9 months ago are not yet due
    inputs = parents_world(30, both_parents=False, span_days=680)
    m = inputs.measurements
    due = m.filter(pl.col("assessed_date") <= AS_OF - timedelta(days=270 + 60))
    follow = due.head(due.height // 2).with_columns(pl.lit("followup").alias("timepoint"),
                                                     pl.col("assessed_date") + timedelta(days=270))
    # two not-yet-due people were followed up early: they must not enter the follow-up denominators either
    early = m.filter(pl.col("assessed_date") > AS_OF - timedelta(days=250)).head(2).with_columns(
        pl.lit("followup").alias("timepoint"), pl.col("assessed_date") + timedelta(days=100))
    scored = score_measurements(pl.concat([m, follow, early]), ReadinessSettings())
    table = completeness_table(inputs.people, scored, {"fbs": ["phq9"]}, ReadinessSettings(), AS_OF)
    fu = table.filter((pl.col("timepoint") == "followup") & (pl.col("subgroup_type") == "all")).row(0, named=True)
    assert follow.height > early.height > 0        # the observed interval (median) stays 270 days
    assert fu["eligible"] == due.height and fu["baseline_scored"] == due.height
    assert fu["retained"] == follow.height
    assert fu["retention"] == pytest.approx(follow.height / due.height)


def test_one_primary_measure_per_site_by_a_stated_rule_and_no_sum_of_instruments(world_store):
    with world_store.reader() as con:
        inputs = load_inputs(con)
    report = compute(inputs)
    pooled = report.timeline.filter(pl.col("site_id") == POOLED)
    assert pooled["outcome"].to_list() == [CSC_OUTCOME]            # never a pooled "primary measure"
    assert set(report.summary["primary_rule"]) == {PRIMARY_RULE}
    for row in report.summary.iter_rows(named=True):               # the rule holds: the soonest usable measure
        plans = report.timeline.filter((pl.col("site_id") == row["site_id"]) & (pl.col("outcome") != CSC_OUTCOME)
                                       & (pl.col("outcome") != "dash") & pl.col("months_to_target").is_not_null())
        assert row["months_to_target"] == pytest.approx(plans["months_to_target"].min())
    stated = compute(inputs, ReadinessSettings(primary_measure_by_site={"fbs": "GAD-7"}))
    fbs = stated.summary.filter(pl.col("site_id") == "fbs").row(0, named=True)
    assert fbs["primary_outcome"] == "gad7" and "stated for this site" in fbs["primary_rule"]


def test_months_also_in_years_and_targets_beyond_the_study_period_flagged(world_store):
    with world_store.reader() as con:
        inputs = load_inputs(con)
    short = compute(inputs, ReadinessSettings(study_period_months=6))
    t = short.timeline.filter(pl.col("months_to_target").is_not_null())
    assert (t["years_to_target"] - t["months_to_target"] / 12).abs().max() < 1e-9
    assert t["reachable_in_study"].to_list() == (t["months_to_target"] <= 6).to_list()
    assert not t["reachable_in_study"].all()
    assert (short.funnel["horizon_months"] <= 6).all()              # a projection never runs past the study
    md = to_markdown(short)
    assert "not reachable within the study period (6 months)" in md and " years)" in md
    assert "Projected funnel" in md and "projection: expected people over the horizon" in md


def test_the_stored_report_reads_back_with_its_rules_intervals_and_flags(tmp_path):
    store = build_world(tmp_path / "rt.duckdb", people_per_site=30)
    report = compute_and_store(store, ReadinessSettings(study_period_months=24))
    back = load_report(Store(store.path, read_only=True))
    for col in ("verdict_rule", "verdict_label", "linkage_recall_low", "primary_rule", "reachable_in_study"):
        assert back.summary[col].to_list() == report.summary[col].to_list(), col
    for col in ("reachable_in_study", "target_people", "linkage_recall_low", "basis", "basis_detail"):
        assert back.timeline[col].to_list() == report.timeline[col].to_list(), col
    assert back.settings.study_period_months == 24


def test_asq_intervals_follow_the_age_at_assessment():
    assert interval_for_age(11, ASQ3_WINDOWS) == 12 and interval_for_age(36, ASQ3_WINDOWS) == 36
    assert interval_for_age(None, ASQ3_WINDOWS) is None and interval_for_age(80, ASQ3_WINDOWS) is None
    settings = ReadinessSettings()
    # every area at 35: above every 12-month cut-off, at or below two of the 36-month ones
    items = [10, 10, 5, 5, 5, 0] * 5
    twelve, i12 = measure_at_age("asq3", "fbs", 12, settings)
    thirty_six, i36 = measure_at_age("asq3", "fbs", 36, settings)
    unknown, none = measure_at_age("asq3", "fbs", None, settings)
    assert (i12, i36, none) == (12, 36, None)
    s12, s36, su = twelve.score_detail(items), thirty_six.score_detail(items), unknown.score_detail(items)
    cut12, cut36 = ASQ3_PLACEHOLDER_CUTOFFS[12], ASQ3_PLACEHOLDER_CUTOFFS[36]
    assert s12.clinical == any(35 <= c for c in cut12) and s36.clinical == any(35 <= c for c in cut36)
    assert s36.clinical is True and s12.clinical is False
    assert su.clinical is None and su.total == s12.total          # no interval: scored, but never flagged
    se2, interval = measure_at_age("asqse2", "fbs", 7, settings)
    assert interval == 6 and se2.cutoff == settings.measures.asqse2_cutoffs[6] and se2.max_missing == 2


def test_age_at_assessment_is_derived_in_sql_from_the_restricted_zone(tmp_path):
    store = build_world(tmp_path / "asq.duckdb", people_per_site=20)
    with store.transaction() as con:
        child = con.execute("SELECT person_key, assessed_date FROM outcome_measurements WHERE site_id = 'fbs' "
                            "AND measure = 'asq3' LIMIT 1").fetchall()
        assert child, "the fixture world gives fbs children ASQ-3 rows"
        key, assessed = child[0]
        born = assessed - timedelta(days=400)   # 13 completed months at assessment
        con.execute("INSERT INTO restricted.service_people (batch_id, site_id, record_id, person_key, role, dob) "
                    "VALUES (1, 'fbs', 'r1', ?, 'child', ?)", [key, born])
    with store.reader() as con:
        inputs = load_inputs(con)
    ages = inputs.measurements.filter((pl.col("person_key") == key) & (pl.col("measure") == "asq3"))["age_months"]
    assert ages.to_list()[0] == 13
    assert "dob" not in inputs.measurements.columns
    others = inputs.measurements.filter(pl.col("person_key") != key)["age_months"]
    assert others.null_count() == others.len()                      # no date of birth: age not known
