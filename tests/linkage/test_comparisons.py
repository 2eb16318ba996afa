"""Each comparison's levels on hand-made pairs, run through the real SQL builder in DuckDB."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from linkage.comparisons import COMPARISONS, default_comparisons, get_comparison
from linkage.pipeline import comparisons_sql
from linkage.sqlbuild import SqlBuilder
from linkage.standardise import standardise
from warehouse.errors import ConfigError


def level(kind: str, field: str, left: dict[str, object], right: dict[str, object]) -> tuple[str, int]:
    """(label, level) of comparison ``kind`` on one pair of raw records."""
    comp = get_comparison(kind, field)
    frames = []
    for rec in (left, right):
        df = standardise(pl.DataFrame({"rid": ["x"], **{k: [v] for k, v in rec.items()}}),
                         extras=tuple(k for k in rec if k not in {"forename", "surname", "dob", "sex", "postcode", "nhs_number",
                                                                  "dob_expected"}))
        frames.append(df.with_columns(pl.lit(0, dtype=pl.Int64).alias("uid"), pl.lit(0.01).alias(f"tf_{comp.name}")))
    con = duckdb.connect()
    try:
        con.register("_lk_left", frames[0])
        con.register("_lk_right", frames[1])
        con.register("_lk_candidates", pl.DataFrame({"l_id": [0], "r_id": [0], "rules": [0]}))
        b = SqlBuilder()
        sql, params = b.render(comparisons_sql(b, [comp], "candidates", dedupe=False))
        g = con.sql(sql, params=params or None).pl()[f"g_{comp.name}"][0]
    finally:
        con.close()
    return ("missing" if g < 0 else comp.level_labels()[g]), g


@pytest.mark.parametrize(("a", "b", "want"), [
    ("Jonathan", "jonathan", "exact"),
    ("Bill", "William", "canonical"),            # nickname
    ("Mohamed", "Muhammad", "canonical"),        # transliteration
    ("Jonathan", "Jonatahn", "jaro_winkler_0.92"),
    ("Kathrine", "Cathryn", "phonetic"),
    ("Smith Jones", "Jones", "shared_token"),     # double-barrelled
    ("Martha", "Marhta Lou", "jaro_winkler_0.80"),
    ("Alice", "Zebedee", "different"),
    ("Alice", None, "missing"),
])
def test_name_levels(a: str, b: str | None, want: str) -> None:
    assert level("name", "forename", {"forename": a}, {"forename": b})[0] == want


@pytest.mark.parametrize(("a", "b", "want"), [
    ("2014-03-09", "2014-03-09", "exact"),
    ("2014-03-09", "2014-09-03", "day_month_swap"),
    ("2014-03-09", "2014-03-19", "two_parts"),       # a slip in the day
    ("2014-03-09", "2015-03-09", "two_parts"),       # a slip in the year
    ("2014-03-28", "2014-04-20", "within_31_days"),  # expected versus actual birth date
    ("2014-03-09", "2014-11-30", "same_year"),
    ("2014-03-09", "2009-11-30", "different"),
    (None, "2009-11-30", "missing"),
])
def test_date_levels(a: str | None, b: str, want: str) -> None:
    assert level("date", "dob", {"dob": a}, {"dob": b})[0] == want


@pytest.mark.parametrize(("expected", "a", "b", "want"), [
    (True, "2024-07-01", "2024-07-05", "expected_within_60_days"),   # unborn: born 4 days after the due date
    (True, "2024-07-01", "2024-10-05", "same_year"),
    (False, "2024-07-01", "2024-07-05", "two_parts"),                 # two real dates: just a near miss
    (False, "2024-07-01", "2024-07-01", "exact"),
])
def test_expected_date_levels(expected: bool, a: str, b: str, want: str) -> None:
    left = {"dob": a, "dob_expected": expected}
    right = {"dob": b, "dob_expected": False}
    assert level("date_expected", "dob", left, right)[0] == want


@pytest.mark.parametrize(("a", "b", "want"), [
    ("SW1A 1AA", "sw1a1aa", "unit"),
    ("SW1A 1AA", "SW1A 1BB", "sector"),
    ("SW1A 1AA", "SW1A 2BB", "district"),
    ("SW1A 1AA", "SW2 2BB", "area"),
    ("SW1A 1AA", "BD5 0XY", "different"),
])
def test_postcode_levels(a: str, b: str, want: str) -> None:
    assert level("postcode", "postcode", {"postcode": a}, {"postcode": b})[0] == want


@pytest.mark.parametrize(("a", "b", "want"), [
    ("9434765919", "943 476 5919", "exact"),
    ("9434765919", "9434765991", "near"),         # two digits transposed
    ("9434765919", "1234567890", "different"),
    ("9434765919", None, "missing"),
])
def test_nhs_number_levels(a: str, b: str | None, want: str) -> None:
    assert level("nhs_number", "nhs_number", {"nhs_number": a}, {"nhs_number": b})[0] == want


@pytest.mark.parametrize(("a", "b", "want"), [("F", "female", "exact"), ("M", "F", "different"), ("M", "U", "missing")])
def test_exact_levels(a: str, b: str, want: str) -> None:
    assert level("exact", "sex", {"sex": a}, {"sex": b})[0] == want


@pytest.mark.parametrize(("a", "b", "want"), [
    ("12 High Street", "12 high street", "exact"),
    ("5304218", "5304213", "one_edit"),
    ("pinkerton circuit", "pinkertn circut", "jaro_winkler_0.88"),
    ("stanley street", "bega flats", "different"),
])
def test_text_levels(a: str, b: str, want: str) -> None:
    assert level("text", "x_address", {"address": a}, {"address": b})[0] == want


def test_registry_and_defaults() -> None:
    assert {"name", "date", "postcode", "nhs_number", "exact", "exact_tf", "text"} <= set(COMPARISONS)
    with pytest.raises(ConfigError, match="did you mean 'date'"):
        get_comparison("dates", "dob")
    kinds = {c.field: c.kind for c in default_comparisons({"forename", "dob", "x_suburb"})}
    assert kinds == {"forename": "name", "dob": "date", "x_suburb": "text"}
    assert {c.kind for c in default_comparisons({"forename", "dob"}, tokens=True)} <= {"exact", "exact_tf"}
