"""Metrics against a hand count on a tiny fixture; Wilson intervals; estimated figures; suppression."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from linkage.evaluate import (
    age_band,
    estimated,
    ethnic_group,
    measured,
    measured_by_group,
    suppress,
    wilson,
    with_gap,
)

LEFT = pl.DataFrame({"rid": ["a1", "a2", "a3", "a4", "a5", "a6"], "grp": ["G1", "G1", "G1", "G2", "G2", "G2"]})
TRUTH = pl.DataFrame({"l_rid": ["a1", "a2", "a4", "a5"], "r_rid": ["r1", "r2", "r4", "r5"]})
LINKS = pl.DataFrame({"l_rid": ["a1", "a2", "a3", "a4"], "r_rid": ["r1", "r9", "r3", "r4"],
                      "probability": [0.99, 0.7, 0.6, 0.95]})


def test_subgroup_metrics_match_a_hand_count() -> None:
    rows = {r.subgroup: r for r in measured_by_group("s", LINKS, TRUTH, LEFT, "grp", "ethnic_group")}
    g1, g2 = rows["G1"], rows["G2"]
    # G1: 3 records, 3 links (a1 true; a2 wrong partner; a3 has no partner), 2 true matches
    assert (g1.n_records, g1.links, g1.true_positives, g1.true_matches) == (3, 3, 1, 2)
    assert g1.precision == pytest.approx(1 / 3) and g1.recall == pytest.approx(1 / 2)
    assert g1.match_rate == pytest.approx(1.0) and g1.missed_match_rate == pytest.approx(0.5)
    # G2: 3 records, 1 link (a4 true), 2 true matches (a5 missed)
    assert (g2.n_records, g2.links, g2.true_positives, g2.true_matches) == (3, 1, 1, 2)
    assert g2.precision == 1.0 and g2.recall == 0.5 and g2.match_rate == pytest.approx(1 / 3)
    assert g1.basis == g2.basis == "measured" and g1.subgroup_type == "ethnic_group"
    assert g1.largest_gap is None                    # too few true matches (< 6) to compare
    assert with_gap([g1, g2], min_count=1)[0].largest_gap == pytest.approx(0.0)
    lo, hi = g1.recall_low, g1.recall_high
    assert lo is not None and hi is not None and lo < 0.5 < hi


def test_overall_measured_row() -> None:
    m = measured("all_identifiers", "all", "all", n_records=6, links=4, linked_records=4, true_matches=4, true_positives=2)
    assert (m.precision, m.recall, m.f1, m.match_rate) == (0.5, 0.5, 0.5, pytest.approx(4 / 6))


def test_wilson_interval() -> None:
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)
    assert wilson(0, 0) == (None, None)
    lo, hi = wilson(10, 10)
    assert hi == 1.0 and lo < 1.0


def test_estimated_metrics_from_probabilities() -> None:
    best = pl.DataFrame({"l_rid": ["a1", "a2", "a3", "a4", "a5"], "probability": [0.99, 0.7, 0.6, 0.95, 0.3]})
    m = estimated("s", "all", "all", 6, LINKS, best)
    e_tp = 0.99 + 0.7 + 0.6 + 0.95
    assert m.basis == "estimated"
    assert m.precision == pytest.approx(e_tp / 4)
    assert m.recall == pytest.approx(e_tp / (e_tp + 0.3))          # a5's best candidate was not linked
    assert m.true_matches is None and m.match_rate == pytest.approx(4 / 6)


def test_suppression_of_small_counts() -> None:
    row = measured("s", "sex", "F", n_records=40, links=5, linked_records=5, true_matches=5, true_positives=5).as_dict()
    out = suppress(row)
    assert out["links"] is None and out["recall"] is None and out["suppressed"] is True
    assert out["n_records"] == 40
    big = measured("s", "sex", "F", 40, 30, 30, 30, 29).as_dict()
    assert suppress(big) == big


def test_group_derivations() -> None:
    df = pl.DataFrame({"e": ["WBRI", "APKN", "BCRB", "MWBC", "CHNE", "REFU", None],
                       "dob": [date(2020, 1, 1), date(2019, 6, 1), None, date(2010, 1, 1), date(2024, 3, 1),
                               date(2001, 1, 1), date(2008, 1, 1)]})
    out = df.select(ethnic_group(pl.col("e")).alias("g"), age_band(pl.col("dob"), pl.lit(date(2024, 1, 1))).alias("a"))
    assert out["g"].to_list() == ["White", "Asian", "Black", "Mixed", "Other", "Unknown", "Unknown"]
    assert out["a"].to_list() == ["1-4", "1-4", "unborn", "10-15", "unborn", "18+", "16-17"]
