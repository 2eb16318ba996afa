"""Linkage verdicts without truth never overclaim: lower bound of recall, basis, rule and review size."""

from __future__ import annotations

import itertools

import polars as pl
import pytest

from evaluation import VerdictSettings, best_linkage, judge, recall_figure, review_sample_size
from evaluation.verdicts import ScenarioEvidence, scenario_evidence, wilson


def metrics(site: str, scenario: str, basis: str, recall: float, precision: float, links: int,
            true_matches: int | None = None, must_link: tuple[int, float] | None = None,
            **extra: object) -> dict[str, object]:
    """One overall linkage_metrics row as the linkage stage writes it (no interval columns unless given)."""
    row: dict[str, object] = {
        "site_id": site, "scenario": scenario, "subgroup_type": "all", "subgroup": "all", "n_records": 400,
        "links": links, "true_matches": true_matches,
        "true_positives": round(recall * true_matches) if true_matches else None, "precision": precision,
        "recall": recall, "clerical_review": 8, "basis": basis, "recall_low": None, "recall_high": None,
        "must_link_n": must_link[0] if must_link else None, "must_link_rate": must_link[1] if must_link else None,
    }
    return {**row, **extra}


def frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, infer_schema_length=None)


def test_the_issue_example_estimated_feasible_becomes_review_or_not_feasible():
    # fbs under DOB + postcode + sex: estimated recall 0.996 (blocking misses not counted), measured 0.707
    truth = frame([metrics("fbs", "dob_postcode_sex", "measured", 0.707, 0.96, 300, 400)])
    alone = frame([metrics("fbs", "dob_postcode_sex", "estimated", 0.996, 0.97, 300)])
    checked = frame([metrics("fbs", "dob_postcode_sex", "estimated", 0.996, 0.97, 300, must_link=(60, 0.72))])
    assert judge(scenario_evidence(truth, "fbs", "dob_postcode_sex")).code == "not_feasible"
    v_alone = judge(scenario_evidence(alone, "fbs", "dob_postcode_sex"))
    assert v_alone.code == "review_sample" and v_alone.label == "unknown: review a sample"
    assert "upper bound" in v_alone.rule and v_alone.review_sample and v_alone.review_sample > 0
    # the model (0.996) and the children who must link (0.72 of 60) disagree: the interval spans both
    v_checked = judge(scenario_evidence(checked, "fbs", "dob_postcode_sex"))
    low = wilson(0.72 * 60, 60)[0] - VerdictSettings().must_link_margin
    assert v_checked.code == "review_sample" and v_checked.basis == "estimated"
    assert f"95% interval {low:.1%} to " in v_checked.figure                 # the figure it rests on
    assert "Date of birth, postcode and sex" in v_checked.figure            # the scenario's plain label
    # an estimate that counts blocking misses (an interval from the linkage stage) agrees: not feasible
    counted = frame([metrics("fbs", "dob_postcode_sex", "estimated", 0.74, 0.97, 300, must_link=(200, 0.72),
                             recall_low=0.69, recall_high=0.79)])
    v_counted = judge(scenario_evidence(counted, "fbs", "dob_postcode_sex"))
    low = wilson(0.72 * 200, 200)[0] - VerdictSettings().must_link_margin
    assert v_counted.code == "not_feasible" and f"recall's lower bound {low:.1%} is below 80.0%" in v_counted.rule


def test_a_wide_interval_wholly_inside_one_verdict_needs_no_review():
    # 0.45-0.75 is 0.30 wide, but every value in it is below the with-conditions limit of 0.80
    row = metrics("sat", "dob_postcode_sex", "estimated", 0.6, 0.97, 300, recall_low=0.45, recall_high=0.75)
    v = judge(scenario_evidence(frame([row]), "sat", "dob_postcode_sex"))
    assert v.code == "not_feasible" and v.review_sample is None
    straddles = {**row, "recall_high": 0.95, "recall_low": 0.70}
    assert judge(scenario_evidence(frame([straddles]), "sat", "dob_postcode_sex")).code == "review_sample"


@pytest.mark.parametrize(("true_recall", "must_n", "offset", "est_gap"),
                         list(itertools.product([0.70, 0.79, 0.85, 0.88, 0.90, 0.92, 0.95, 0.99],
                                                [20, 60, 150, 300], [-0.033, 0.0, 0.033], [0.0, 0.1, 0.29])))
def test_without_truth_never_feasible_where_truth_says_otherwise(true_recall, must_n, offset, est_gap):
    """Estimated recall overstated by up to 0.29 (issue 14); the must-link share within 0.033 of truth."""
    true_matches = 400
    truth = frame([metrics("leap", "names_dob", "measured", true_recall, 0.97, 380, true_matches)])
    estimate = min(0.999, true_recall + est_gap)
    must_rate = min(1.0, max(0.0, true_recall + offset))
    no_truth = frame([metrics("leap", "names_dob", "estimated", estimate, 0.97, 380,
                              must_link=(must_n, must_rate))])
    measured = judge(scenario_evidence(truth, "leap", "names_dob")).code
    estimated = judge(scenario_evidence(no_truth, "leap", "names_dob")).code
    if measured != "feasible":
        assert estimated != "feasible", (measured, estimated)
    if measured == "not_feasible":
        assert estimated in ("not_feasible", "review_sample", "feasible_with_conditions")


def test_a_wide_interval_asks_for_a_review_sample_that_would_narrow_it():
    settings = VerdictSettings(max_interval_width=0.2)
    few = frame([metrics("coda", "all_identifiers", "measured", 0.8, 0.97, 12, 15)])
    v = judge(scenario_evidence(few, "coda", "all_identifiers", settings), settings)
    lo, hi = wilson(0.8 * 15, 15)
    assert hi - lo > 0.2 and v.code == "review_sample"
    assert v.review_sample == review_sample_size(0.8, 0.2, 400)
    lo2, hi2 = wilson(0.8 * v.review_sample, v.review_sample)     # a sample that size narrows it
    assert hi2 - lo2 <= 0.2 + 0.01
    tighter = VerdictSettings(max_interval_width=0.1)
    assert review_sample_size(0.8, 0.1, 400) > v.review_sample
    assert judge(scenario_evidence(few, "coda", "all_identifiers", tighter), tighter).review_sample == \
        review_sample_size(0.8, 0.1, 400)


def test_the_stage_interval_is_used_when_the_linkage_stage_wrote_one():
    row = metrics("sat", "no_nhs_number", "estimated", 0.95, 0.97, 300, recall_low=0.91, recall_high=0.97)
    f = recall_figure(row)
    assert (f.low, f.high, f.upper_bound_only) == (0.91, 0.97, False)
    assert f.method == "interval from the linkage stage"
    # a lower must-link check widens it downwards (by its own interval and the margin between it and recall)
    f2 = recall_figure({**row, "must_link_n": 80, "must_link_rate": 0.80}, must_link_margin=0.035)
    assert f2.low == pytest.approx(wilson(64, 80)[0] - 0.035) and f2.high == 0.97


def test_scenarios_are_ranked_on_the_conservative_end():
    rows = frame([
        metrics("leap", "all_identifiers", "measured", 0.97, 0.98, 14, 15),     # high point, 15 true matches
        metrics("leap", "names_dob", "measured", 0.93, 0.97, 470, 500),         # lower point, narrow interval
        metrics("leap", "dob_postcode_sex", "estimated", 0.998, 0.99, 480),      # unchecked upper bound
    ])
    best = best_linkage(rows, "leap")
    assert best is not None and best.scenario == "names_dob"
    assert best.recall.low == pytest.approx(wilson(0.93 * 500, 500)[0])


def test_precision_and_gap_and_clerical_limits_are_named_in_the_rule():
    f = scenario_evidence(frame([metrics("fbs", "names_dob", "measured", 0.97, 0.97, 1900, 2000)]), "fbs",
                          "names_dob")
    assert f is not None
    ok = judge(f)
    assert ok.code == "feasible" and "≥ 90.0%" in ok.rule
    gap = judge(ScenarioEvidence(f.site, f.scenario, f.n_records, f.precision, f.precision_low, f.recall, 0.15,
                                 f.clerical_share))
    assert gap.code == "feasible_with_conditions" and "subgroup recall gap 15.0 percentage points" in gap.rule
    clerical = judge(ScenarioEvidence(f.site, f.scenario, f.n_records, f.precision, f.precision_low, f.recall,
                                      None, 0.3))
    assert clerical.code == "not_feasible" and "clerical band 30.0%" in clerical.rule


def test_no_linkage_rows_is_unknown_with_a_reason():
    v = judge(None)
    assert v.code == "unknown" and "no precision and recall" in v.rule and v.review_sample is None


@pytest.mark.parametrize(("p", "width", "population", "expected"),
                         [(0.9, 0.1, None, 139), (0.9, 0.1, 300, 95), (0.9, 0.1, 150, 73), (None, 0.1, None, 385)])
def test_review_sample_size_matches_the_reference_table(p, width, population, expected):
    # linkage-quality-reporting §8.1: p 0.90 ± 0.05 -> 138 (we round up: 139); 300 links -> about 95; 150 -> about
    # 72 (72.2, rounded up: 73);
    # no prior (p 0.5) ± 0.05 -> 384 (385 rounded up)
    assert review_sample_size(p, width, population) == expected
