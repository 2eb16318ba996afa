"""Metrics against a hand count on a tiny fixture; Wilson intervals; estimated figures; suppression."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from linkage.evaluate import (
    estimated,
    measured,
    measured_by_group,
    site_facing,
    wilson,
    with_gap,
)
from linkage.feasibility import _groups
from warehouse.disclosure import SUPPRESSED

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


def test_site_facing_output_uses_the_one_disclosure_engine() -> None:
    rows = [{"site_id": "s1", **r.as_dict()} for r in (
        measured("x", "all", "all", 40, 30, 30, 30, 29),
        measured("x", "sex", "F", n_records=20, links=5, linked_records=5, true_matches=5, true_positives=5),
        measured("x", "sex", "M", n_records=20, links=25, linked_records=20, true_matches=25, true_positives=24),
    )]
    out = {r["subgroup"]: r for r in site_facing(rows)}
    f, m = out["F"], out["M"]
    assert f["links"] == SUPPRESSED and f["recall"] == SUPPRESSED and f["precision_low"] == SUPPRESSED
    assert str(f["n_records"]) == "20"                      # a count above 5 stays
    # secondary suppression: M's links would give F's by subtraction from the overall row
    assert m["links"] == SUPPRESSED and m["precision"] == SUPPRESSED
    assert str(out["all"]["n_records"]) == "40"
    assert SUPPRESSED in (out["all"]["links"], out["all"]["true_positives"])   # else 30 - 29 = 1 false link
    assert not any(str(v) in {"1", "2", "3", "4", "5"} for r in out.values() for k, v in r.items()
                   if k in ("links", "true_matches", "true_positives", "n_records"))


def test_group_derivations_come_from_the_warehouse_vocabulary() -> None:
    df = pl.DataFrame({
        "ethnicity": ["WBRI", "APKN", "BCRB", "MWBC", "CHNE", "REFU", None],
        "birth_date": [date(2020, 1, 1), date(2019, 6, 1), None, date(2010, 1, 1), None, date(2001, 1, 1),
                       date(2008, 1, 1)],
        "dob_expected": [False, False, True, False, False, False, False],
        "referral_date": [date(2024, 1, 1)] * 7,
        "sex": ["1", "female", None, "M", "0", "f", "9"],
        "referral_source": ["csc", "self", None, "CSC ", "la", "school", "social care"],
    })
    out = _groups(df)
    assert out["ethnic_group"].to_list() == ["White", "Asian", "Black", "Mixed", "Other", "Not known", "Not known"]
    # an expected date of birth is unborn; no date at all is "Not known"; adults get the warehouse's bands
    assert out["age_band"].to_list() == ["1-4", "1-4", "unborn", "10-15", "Not known", "18-24", "16-17"]
    assert out["sex_group"].to_list() == ["M", "F", "U", "M", "U", "F", "U"]
    assert out["must_link"].to_list() == [True, False, False, True, True, False, True]


def test_site_facing_rows_hide_small_differences_between_counts() -> None:
    """Missed matches (true matches - true positives), false links (links - true positives) and unlinked
    records (records - links) are counts too: none of 1-5 may be recovered from a site-facing row."""
    from warehouse.disclosure import Disclosure, Published, Rate, find_leaks

    rows = [{"site_id": "s1", **r.as_dict()} for r in (
        measured("x", "all", "all", n_records=80, links=62, linked_records=62, true_matches=64, true_positives=61),
        measured("x", "sex", "F", n_records=40, links=31, linked_records=31, true_matches=33, true_positives=30),
        measured("x", "sex", "M", n_records=40, links=31, linked_records=31, true_matches=31, true_positives=31),
    )]
    audit = Disclosure(counts=("n_records", "links", "true_matches", "true_positives"),
                       rates={"precision": Rate("true_positives", "links"),
                              "recall": Rate("true_positives", "true_matches"), "match_rate": Rate("links", "n_records")},
                       groups=("site_id", "scenario", "subgroup_type"))
    keys = ("site_id", "scenario", "subgroup_type", "subgroup")

    def published(frame_rows: list[dict[str, object]]) -> Published:
        frame = pl.DataFrame(frame_rows, infer_schema_length=None).with_columns(pl.all().cast(pl.Utf8))
        return Published("linkage metrics", frame, audit, keys)

    assert find_leaks([published(rows)])                  # the raw rows give F's 3 missed matches away
    out = site_facing(rows)
    assert find_leaks([published(out)]) == []
    f = next(r for r in out if r["subgroup"] == "F")
    assert SUPPRESSED in (f["true_matches"], f["true_positives"]) and f["recall"] == SUPPRESSED
