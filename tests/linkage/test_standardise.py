"""Standardisation rules, one by one (inline records, commented expectations)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.standardise import (
    canonical_name,
    phonetic,
    standardise,
    tokenise,
)


def _one(**cols: object) -> dict[str, object]:
    df = pl.DataFrame({"rid": ["1"], **{k: [v] for k, v in cols.items()}})
    return standardise(df).row(0, named=True)


def test_names_lose_case_accents_and_punctuation() -> None:
    assert _one(forename="  ZOË-Ann ")["forename"] == "zoe ann"   # accent stripped, hyphen -> space
    assert _one(surname="O'Brien")["surname"] == "obrien"          # apostrophe dropped
    assert _one(surname="de  la   Cruz.")["surname"] == "de la cruz"


@pytest.mark.parametrize("placeholder", ["Baby", "UNBORN", "unknown", "N/K", " "])
def test_placeholder_names_are_missing(placeholder: str) -> None:
    assert _one(forename=placeholder)["forename"] is None


def test_nickname_and_transliteration_canonical_forms() -> None:
    assert canonical_name("bill") == "william"
    assert canonical_name("mohamed") == canonical_name("muhammad") == "muhammad"
    assert canonical_name("zed") == "zed"                      # unknown names stay themselves
    assert _one(forename="Kate Louise")["forename_canon"] == "katherine"   # first token decides


def test_phonetic_keys_agree_on_sound_alike_spellings() -> None:
    assert phonetic("smith") == phonetic("smyth")
    assert phonetic("") is None
    assert _one(surname="Smyth")["surname_mp"] == phonetic("smith")


@pytest.mark.parametrize("text", ["2013-04-07", "07/04/2013", "20130407", "07-04-2013", "07.04.2013"])
def test_dates_in_common_formats(text: str) -> None:
    row = _one(dob=text)
    assert row["dob"] == "2013-04-07"
    assert row["dob_date"] == date(2013, 4, 7)
    assert (row["dob_year"], row["dob_month"], row["dob_day"]) == (2013, 4, 7)


def test_day_month_swap_only_when_both_could_be_months() -> None:
    assert _one(dob="2013-04-07")["dob_swap"] == "2013-07-04"
    assert _one(dob="2013-04-25")["dob_swap"] is None   # 25 cannot be a month
    assert _one(dob="2013-05-05")["dob_swap"] is None   # swapping changes nothing


def test_impossible_dates_keep_their_text_for_near_matching() -> None:
    row = _one(dob="19150231")                 # 31 February: not a date, but year and month agree
    assert row["dob_date"] is None
    assert row["dob"] == "1915-02-31" and row["dob_year"] == 1915


def test_date_typed_input() -> None:
    df = pl.DataFrame({"rid": ["1"], "dob": [date(2020, 1, 2)]})
    assert standardise(df)["dob"][0] == "2020-01-02"


@pytest.mark.parametrize(("raw", "want"), [("M", "m"), ("female", "f"), ("1", "m"), ("2", "f"), ("U", None), ("9", None)])
def test_sex_codes(raw: str, want: str | None) -> None:
    assert _one(sex=raw)["sex"] == want


def test_postcode_levels() -> None:
    row = _one(postcode="sw1a 1aa")
    assert row["postcode"] == "SW1A1AA"
    assert (row["pc_sector"], row["pc_district"], row["pc_area"]) == ("SW1A1", "SW1A", "SW")
    row = _one(postcode="BD5 0XY")
    assert (row["pc_sector"], row["pc_district"], row["pc_area"]) == ("BD50", "BD5", "BD")
    row = _one(postcode="4223")                    # not a UK postcode: prefixes stand in for levels
    assert (row["pc_sector"], row["pc_district"]) == ("422", "42")


def test_nhs_number_digits_only_and_fillers_dropped() -> None:
    assert _one(nhs_number="943 476 5919")["nhs_number"] == "9434765919"
    assert _one(nhs_number="0000000000")["nhs_number"] is None
    assert _one(nhs_number="12345")["nhs_number"] is None


def test_sex_follows_the_warehouse_mapping_from_every_input_form() -> None:
    from warehouse.vocabulary import normalise_sex
    forms = ["M", "male", "1", "Girl", "F", "2", "0", "9", "U", "not stated", "x", "", None]
    got = [_one(sex=v)["sex"] for v in forms]
    # linkage keeps m / f and treats every "not known" form as missing (no evidence)
    want = [{"M": "m", "F": "f"}.get(normalise_sex(v) or "") for v in forms]
    assert got == want
    assert got[:6] == ["m", "m", "m", "f", "f", "f"] and set(got[6:]) == {None}


def test_no_check_digit_arithmetic_outside_the_warehouse() -> None:
    import linkage.standardise as std
    assert not hasattr(std, "nhs_number_valid")       # the one home is warehouse.identifiers


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=20))
def test_name_cleaning_never_fails_and_is_lowercase_ascii(text: str) -> None:
    out = _one(forename=text)["forename"]
    assert out is None or (out == out.lower() and out.strip() == out and "  " not in out)


def test_tokenise_keeps_only_exact_agreement() -> None:
    df = standardise(pl.DataFrame({"rid": ["1", "2"], "forename": ["Ann", "ann"], "surname": ["Lee", "Li"]}))
    tok = tokenise(df, b"k")
    assert tok["forename"][0] == tok["forename"][1]       # same value, same token
    assert tok["surname"][0] != tok["surname"][1]
    assert "forename_mp" not in tok.columns and "ann" not in tok["forename"].to_list()
    assert tokenise(df, b"other")["forename"][0] != tok["forename"][0]   # keyed
