"""Estimates without truth against the truth measured afterwards, on seeded worlds where blocking
and scoring miss many true pairs (unborn children: expected dates of birth, no sex, no forename)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from linkage.estimates import blocking_missed, gold_recall, model_recall, precision_estimate
from linkage.feasibility import _groups, _scenario_result, estimated_rows, measured_rows
from linkage.intervals import gap_interval, sample_size, stratified_ratio, wilson, wilson_fpc
from linkage.settings import LinkageSettings
from tests.linkage.world import make_unborn_world

FAST = LinkageSettings(u_sample_pairs=20_000)


@pytest.fixture(scope="module", params=[23, 61])
def unborn_run(request: pytest.FixtureRequest) -> dict[str, object]:
    left, right, truth = make_unborn_world(n=400, seed=request.param)
    left = _groups(left)
    res = _scenario_result(left, right, "dob_postcode_sex", FAST, b"k")
    return {"left": left, "truth": truth, "res": res,
            "est": estimated_rows("dob_postcode_sex", res, left, 0),
            "meas": measured_rows("dob_postcode_sex", res, left, truth, 0)}


def test_estimated_recall_counts_what_blocking_and_scoring_missed(unborn_run: dict[str, object]) -> None:
    est, meas = unborn_run["est"][0], unborn_run["meas"][0]  # type: ignore[index]
    res, left = unborn_run["res"], unborn_run["left"]
    assert est.basis == "estimated" and meas.basis == "measured"
    # the model alone overstates recall badly here: many true pairs are never scored as matches
    model_only = model_recall(res.links, res.best, left.height)  # type: ignore[union-attr]
    assert meas.recall < 0.9 and model_only.value - meas.recall > 0.1
    # the estimate made without truth lands within 0.05 of the truth measured afterwards
    assert abs(est.recall - meas.recall) <= 0.05
    assert est.recall_low <= meas.recall <= est.recall_high
    assert "must link" in est.method


def test_every_estimated_figure_has_an_interval(unborn_run: dict[str, object]) -> None:
    for row in unborn_run["est"]:  # type: ignore[attr-defined]
        if row.links:
            assert row.precision_low <= row.precision <= row.precision_high
            assert row.f1_low is not None and row.f1_low <= row.f1 <= row.f1_high
        assert row.match_rate_low <= row.match_rate <= row.match_rate_high
        if row.recall is not None:
            assert row.recall_low <= row.recall <= row.recall_high
    est_sex = [r for r in unborn_run["est"] if r.subgroup_type == "sex"]  # type: ignore[attr-defined]
    meas_sex = [r for r in unborn_run["meas"] if r.subgroup_type == "sex"]  # type: ignore[attr-defined]
    # unborn children (sex not known) link far less often: the gap's interval holds the measured gap
    assert meas_sex[0].largest_gap > 0.2
    assert est_sex[0].largest_gap_low <= meas_sex[0].largest_gap <= est_sex[0].largest_gap_high


def test_gold_recall_on_a_hand_count() -> None:
    links = pl.DataFrame({"l_rid": ["a", "b", "c", "x"], "probability": [1.0, 1.0, 0.8, 1.0]})
    must = pl.Series(["a", "b", "c", "d", "e"])
    est, true = gold_recall(links, must, n_records=10)
    # 3 of 5 must-link records linked; 0.2 expected false links, half counted: (3 - 0.1) / 5
    assert est.value == pytest.approx(0.58)
    assert true == pytest.approx(5 + 1.0 / 0.58)                # the must-link five plus x scaled up
    assert est.low < 0.58 < est.high
    # the subset is not assumed representative: no finite-population correction (it would narrow it)
    assert est.high == pytest.approx(wilson(3, 5)[1])
    assert est.high - est.low > wilson_fpc(3, 5, true)[1] - wilson_fpc(3, 5, true)[0]


def test_gold_recall_allows_for_referred_children_whose_la_record_the_load_rejected() -> None:
    # 95 of 100 must-link records linked; 3% of the LA's identifier rows were rejected by the load,
    # so about 3 of the 100 may have no partner to link to
    links = pl.DataFrame({"l_rid": [f"m{i}" for i in range(95)], "probability": [1.0] * 95})
    must = pl.Series([f"m{i}" for i in range(100)])
    clean, _ = gold_recall(links, must, 200)
    dirty, _ = gold_recall(links, must, 200, lost_share=0.03)
    assert clean.value == pytest.approx(0.95) and dirty.value == pytest.approx(95 / 95.5)   # 1.5 x 3% lost
    assert dirty.low == pytest.approx(clean.low)                 # the lower end never rests on the allowance
    assert dirty.high == pytest.approx(wilson(95, 94)[1])        # up to twice the rejected share lost
    assert "rejected" in dirty.method and "rejected" not in clean.method


def test_model_recall_interval_reaches_down_to_the_hard_bound() -> None:
    links = pl.DataFrame({"l_rid": ["a", "b"], "probability": [0.9, 0.9]})
    best = pl.DataFrame({"l_rid": ["a", "b", "c"], "probability": [0.9, 0.9, 0.2]})
    est = model_recall(links, best, n_records=20, missed_outside=0.2)
    assert est.value == pytest.approx(1.8 / 2.2)
    assert est.low < 1.8 / 20 + 0.1                              # no record has two partners: TP/records
    assert precision_estimate(links).high == 1.0 and precision_estimate(links).low < 0.9


def test_capture_recapture_counts_pairs_no_rule_found() -> None:
    from linkage.blocking import BlockingRule

    rules = (BlockingRule("a", ("dob",)), BlockingRule("b", ("surname",)))
    # 40 true pairs found by both rules, 10 by dob only, 10 by surname only: Chapman estimates
    # (50+1)(50+1)/(40+1) - 1 = 62.4 true pairs, so about 2.4 that neither rule found
    pairs = pl.DataFrame({"rules": [3] * 40 + [1] * 10 + [2] * 10, "probability": [1.0] * 60})
    assert blocking_missed(pairs, rules) == pytest.approx(51 * 51 / 41 - 1 - 60)
    assert blocking_missed(pairs, rules[:1]) == 0.0


def test_interval_helpers() -> None:
    gap = gap_interval([(0.9, 0.85, 0.95), (0.6, 0.5, 0.7), (0.8, 0.7, 0.9)])
    assert (gap.value, gap.low, gap.high) == pytest.approx((0.3, 0.15, 0.45))
    assert sample_size(0.95, 0.02) == 457 and sample_size(0.5, 0.05) == 385
    # review: two bands, every reviewed link right in one, half in the other
    est = stratified_ratio([(100, [1.0] * 10, [1.0] * 10), (50, [1.0, 0.0] * 5, [1.0] * 10)])
    assert est.value == pytest.approx((100 + 25) / 150)
    assert est.low < est.value < est.high <= 1.0
    # every reviewed link right: still an interval below 1; more reviews of the same links narrow it,
    # and reviewing nearly all of them (finite population) narrows it most
    few = stratified_ratio([(200, [1.0] * 10, [1.0] * 10)])
    many = stratified_ratio([(200, [1.0] * 60, [1.0] * 60)])
    most = stratified_ratio([(200, [1.0] * 190, [1.0] * 190)])
    assert few.value == many.value == 1.0 and few.low < many.low < most.low < 1.0 == most.high


def test_the_sites_known_share_anchors_recall_when_few_children_were_referred_by_csc() -> None:
    from linkage.evaluate import estimated
    from linkage.settings import settings_from_mapping

    settings = settings_from_mapping({"linkage": {"known_share_by_site": {"fbs": 0.8, "sat": 0.5}}})
    assert settings.known_share("fbs") == 0.8 and settings.known_share("leap") is None
    assert settings.as_dict()["known_share_by_site"] == [["fbs", 0.8], ["sat", 0.5]]
    links = pl.DataFrame({"l_rid": [f"a{i}" for i in range(30)], "probability": [1.0] * 30})
    best = links
    few = pl.Series(["a1", "a2"])                                 # too few to anchor recall
    row = estimated("s", "all", "all", 50, links, best, must=few, known_share=0.8)
    assert row.recall == pytest.approx(30 / 40)                   # 30 true links of 0.8 x 50 known children
    assert row.recall_low < 0.75 < row.recall_high and "known to CSC" in row.method
    without = estimated("s", "all", "all", 50, links, best, must=few)
    assert without.recall == 1.0 and "model" in without.method    # the model alone cannot see the misses


def test_known_share_settings_are_checked() -> None:
    from linkage.settings import LinkageSettings
    from warehouse.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        LinkageSettings(known_share_by_site=(("fbz", 0.8), ("sat", 1.5)))
    assert "did you mean 'fbs'" in str(err.value) and "sat = 1.5" in str(err.value)


def test_recall_lower_bound_never_overclaims_in_any_scenario() -> None:
    # what a readiness verdict rests on without truth: the interval's lower end is never above the
    # recall measured afterwards, whatever identifiers the site shares
    left, right, truth = make_unborn_world(n=300, seed=47)
    left = _groups(left)
    for scenario in FAST.scenarios:
        res = _scenario_result(left, right, scenario, FAST, b"k")
        est = estimated_rows(scenario, res, left, 0)[0]
        meas = measured_rows(scenario, res, left, truth, 0)[0]
        assert est.recall_low <= meas.recall <= est.recall_high, scenario
        assert abs(est.recall - meas.recall) <= 0.05, scenario


def test_review_interval_is_never_narrower_than_the_reviewed_links_allow() -> None:
    # 46 reviewed pairs in a band of 346 (44 linked, all right), 2 linked in a band of 2 (one wrong): the linearised
    # variance is tiny, and uncapped it gave 0.997 [0.9968, 0.9972]; the effective size is capped at
    # the 46 reviewed links, finite-population corrected (of about 333 links: 46 / (1 - 46/333) = 53)
    est = stratified_ratio([(346, [1.0] * 44 + [0.0] * 2, [1.0] * 44 + [0.0] * 2), (2, [1.0, 0.0], [1.0, 1.0])])
    assert est.value == pytest.approx(332 / 333)
    assert est.high - est.low > 0.05
    n_eff = 46 / (1 - 46 / 333)
    assert est.low == pytest.approx(wilson_fpc(n_eff * est.value, n_eff, 10**9)[0], abs=1e-4)


def test_blocking_miss_share_from_field_agreement() -> None:
    from linkage.blocking import BlockingRule
    from linkage.estimates import blocking_miss_share, blocking_missed_by_fields

    rules = (BlockingRule("dob_sex", ("dob", "sex")), BlockingRule("postcode_year", ("postcode", "dob_year")))
    # a true pair is missed unless (dob exact and sex exact) or (postcode exact and the year agrees):
    # P(capture) = 0.8*0.9 + 0.7*0.95 - 0.8*0.9*0.7 (exact dob implies the year agrees)
    fields = {"dob": (0.8, 0.95), "sex": (0.9, 0.9), "postcode": (0.7, 0.7)}
    both = 0.8 * 0.9 * 0.7
    capture = 0.8 * 0.9 + 0.7 * 0.95 - both
    assert blocking_miss_share(rules, fields) == pytest.approx(1 - capture)
    # read from the pairs: sex agreement among pairs that only the postcode rule found (so blocking on
    # sex did not select them); the model's figures for fields every rule uses
    pairs = pl.DataFrame({"rules": [2, 2, 2, 2, 3, 3], "probability": [1.0] * 6,
                          "g_sex": [1, 1, 1, 0, 1, 1], "g_dob": [2, 2, 2, 2, 2, 2], "g_postcode": [1] * 6})
    best = pl.DataFrame({"l_rid": list("abcdef"), "probability": [1.0] * 6})
    missed = blocking_missed_by_fields(pairs, best, rules, {"sex": (0.99, 0.99), "dob": (0.8, 0.95),
                                                            "postcode": (0.7, 0.7)})
    share = blocking_miss_share(rules, {"sex": (5 / 6, 5 / 6), "dob": (0.8, 0.95), "postcode": (1.0, 1.0)})
    assert missed == pytest.approx(6 * share / (1 - share))


@pytest.mark.parametrize("seed", [29, 71])
def test_recall_interval_covers_the_truth_on_a_dirty_world(seed: int) -> None:
    # Dirty extracts, as `synth --dirty` makes them: the load rejected 4% of the LA's identifier rows
    # (a referred child's only record can go with them), and the children CSC referred are not a
    # fair sample: their own records are the worse ones here (a typo in the surname and a moved
    # postcode for half of them), on top of unborn children whom DOB + postcode + sex blocking and
    # scoring miss. Truth is what the loaded data can link.
    left, right, truth = make_unborn_world(n=400, seed=seed)
    rng = np.random.default_rng(seed)
    rejected = pl.Series(rng.random(right.height) < 0.04)
    lost_share = float(rejected.mean())  # type: ignore[arg-type]
    right = right.filter(~rejected)
    truth = truth.filter(pl.col("r_rid").is_in(right["rid"].implode()))
    left = _groups(left)
    worse = pl.Series(rng.random(left.height) < 0.5) & left["must_link"]
    left = left.with_columns(
        pl.when(worse).then(pl.col("surname") + "x").otherwise(pl.col("surname")).alias("surname"),
        pl.when(worse).then(pl.lit("ZZ9 9ZZ")).otherwise(pl.col("postcode")).alias("postcode"),
    )
    for scenario in ("dob_postcode_sex", "names_dob"):
        res = _scenario_result(left, right, scenario, FAST, b"k")
        est = estimated_rows(scenario, res, left, 0, lost_share=lost_share)[0]
        meas = measured_rows(scenario, res, left, truth, 0)[0]
        assert meas.recall < 0.9, scenario                              # many true pairs missed
        assert est.recall_low <= meas.recall <= est.recall_high, (scenario, est.recall_low, meas.recall,
                                                                   est.recall_high)
        assert "rejected" in est.method
