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
    assert not overclaims(estimated, measured), (measured, estimated)


#: How good a verdict says linkage is (lower is better); "review a sample" and "unknown" claim nothing.
_ORDER = {"feasible": 0, "feasible_with_conditions": 1, "not_feasible": 2}


def overclaims(estimated: str, measured: str) -> bool:
    """A verdict made without truth claims more than truth supports: "feasible" or "feasible with
    conditions" where truth gives a worse verdict (with conditions where truth says not feasible
    counts)."""
    return estimated in ("feasible", "feasible_with_conditions") and _ORDER[estimated] < _ORDER.get(measured, 2)


def test_overclaim_counts_with_conditions_where_truth_says_not_feasible():
    assert overclaims("feasible_with_conditions", "not_feasible") and overclaims("feasible", "feasible_with_conditions")
    assert not overclaims("review_sample", "not_feasible") and not overclaims("not_feasible", "feasible")


@pytest.fixture(scope="module")
def seeded_verdicts() -> list[tuple[str, int, str, str, str]]:
    """Verdicts with and without truth on small seeded worlds (one linkage each: truth only evaluates):
    an unborn-heavy world where DOB + postcode + sex misses many true pairs, and a general one."""
    from linkage.feasibility import _groups, _scenario_result, estimated_rows, measured_rows
    from linkage.settings import LinkageSettings
    from tests.linkage.world import make_unborn_world, make_world

    fast = LinkageSettings(u_sample_pairs=20_000)
    out = []
    worlds = [("unborn", 23, make_unborn_world(n=300, seed=23)), ("general", 7, make_world(n=300, seed=7))]
    for name, seed, (left, right, truth) in worlds:
        if "birth_date" not in left.columns:   # the general world has no unborn children
            left = left.with_columns(pl.col("dob").alias("birth_date"), pl.lit(False).alias("dob_expected"))
            right = right.with_columns(pl.lit(False).alias("dob_expected"))
        left = _groups(left)
        for scenario in ("all_identifiers", "names_dob", "dob_postcode_sex"):
            res = _scenario_result(left, right, scenario, fast, b"k")
            est = {"site_id": "fbs", **estimated_rows(scenario, res, left, 0)[0].as_dict()}
            meas = {"site_id": "fbs", **measured_rows(scenario, res, left, truth, 0)[0].as_dict()}
            verdicts = [judge(scenario_evidence(frame([r]), "fbs", scenario)).code for r in (est, meas)]
            out.append((name, seed, scenario, verdicts[0], verdicts[1]))
    return out


def test_without_truth_never_overclaims_on_seeded_worlds(seeded_verdicts):
    for name, seed, scenario, estimated, measured in seeded_verdicts:
        assert not overclaims(estimated, measured), (name, seed, scenario, estimated, measured)
    # the comparison means something: truth gives more than one verdict across these worlds
    assert len({m for *_, m in seeded_verdicts}) >= 2, seeded_verdicts


def test_after_a_review_the_verdict_rests_on_it_and_says_so():
    # before: the must-link share (0.72 of 60) widens the envelope down, so a review cannot help
    before = metrics("sat", "names_dob", "estimated", 0.93, 0.97, 300, must_link=(60, 0.72),
                     recall_low=0.90, recall_high=0.96, method="precision: model; recall: records that must link")
    after = {**before, "recall_low": 0.91, "recall_high": 0.95,
             "method": "precision: review; recall: records that must link; clerical review of 200 pairs"}
    f_before, f_after = recall_figure(before), recall_figure(after)
    assert f_before.basis == "estimated" and f_before.low < 0.7
    assert (f_after.basis, f_after.low, f_after.high) == ("review", 0.91, 0.95)
    v = judge(scenario_evidence(frame([after]), "sat", "names_dob"))
    assert v.basis == "review" and "rests on a clerical review of 200 pairs" in v.figure
    assert v.code == "feasible"


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
