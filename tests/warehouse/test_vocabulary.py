"""The age-band rule of warehouse.vocabulary: its Python, polars and SQL forms agree, missing birth dates included."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from warehouse.vocabulary import AGE_NOT_KNOWN, age_band, age_band_expr, age_band_sql

REF = dt.date(2024, 3, 31)
# (date of birth, expected date of birth known, band): inline records, one per branch of the rule
CASES = [
    (dt.date(2024, 1, 1), False, "under 1"),
    (dt.date(2020, 3, 31), False, "1-4"),       # 1461 days / 365.25 = 4.0 whole years
    (dt.date(2007, 4, 1), False, "16-17"),
    (dt.date(1970, 1, 1), False, "45+"),
    (dt.date(2024, 6, 1), False, "unborn"),     # born after the reference date
    (None, True, "unborn"),                     # no date of birth, an expected one: not born yet
    (None, False, AGE_NOT_KNOWN),               # no date of birth, no expected one: not known
]


def _years(dob: dt.date | None) -> float | None:
    return None if dob is None else ((REF - dob).days / 365.25) // 1


@pytest.mark.parametrize(("dob", "expected", "band"), CASES)
def test_python_form(dob: dt.date | None, expected: bool, band: str) -> None:
    assert age_band(_years(dob), expected=expected) == band


def test_polars_form_matches() -> None:
    df = pl.DataFrame({"dob": [c[0] for c in CASES], "edd": [REF if c[1] else None for c in CASES]},
                      schema={"dob": pl.Date, "edd": pl.Date})
    out = df.select(age_band_expr(pl.col("dob"), pl.lit(REF), expected=pl.col("edd").is_not_null()))
    assert out.to_series().to_list() == [c[2] for c in CASES]


def test_polars_form_without_expected_dates_reads_not_known() -> None:
    # a source with no expected dates (SSDA903 header): a missing date of birth is never "unborn"
    df = pl.DataFrame({"dob": [None]}, schema={"dob": pl.Date})
    assert df.select(age_band_expr(pl.col("dob"), pl.lit(REF))).item() == AGE_NOT_KNOWN


def test_sql_form_matches() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, dob DATE, edd DATE)")
    con.executemany("INSERT INTO t (i, dob, edd) VALUES (?, ?, ?)",
                    [(i, c[0], REF if c[1] else None) for i, c in enumerate(CASES)])
    band = age_band_sql("dob", "_years", expected="edd")
    rows = con.execute(f"SELECT {band} FROM (SELECT *, floor(date_diff('day', dob, ?::DATE) / 365.25) AS _years "  # noqa: S608
                       "FROM t) ORDER BY i", [REF]).fetchall()
    assert [r[0] for r in rows] == [c[2] for c in CASES]
    no_expected = age_band_sql("dob", "_years")
    assert con.execute(f"SELECT {no_expected} FROM (SELECT NULL::DATE AS dob, NULL AS _years)").fetchone() == (  # noqa: S608
        AGE_NOT_KNOWN,)
