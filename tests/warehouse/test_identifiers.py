"""Tests for warehouse.identifiers: NHS number mod 11 and UPN mod 23 (test vectors from csc-data-standards §3)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse.identifiers import (
    UPN_ALPHABET,
    VALID_UPN_LA_CODES,
    nhs_check_digit,
    nhs_check_digits_vec,
    nhs_number_is_valid,
    nhs_numbers_are_valid,
    upn_check_letter,
    upn_check_letters_vec,
    upn_is_valid,
)


@pytest.mark.parametrize("value", ["9434765919", "4698194180", "943 476 5919", "943-476-5919"])
def test_nhs_known_valid(value: str) -> None:
    assert nhs_number_is_valid(value)


@pytest.mark.parametrize("value", ["9876544321", "987 654 4321", "", "123", "94347659190", "943476591X", None,
                                   "９４３４７６５９１９"])
def test_nhs_known_invalid(value: str | None) -> None:
    assert not nhs_number_is_valid(value)


def test_nhs_check_digit_vector() -> None:
    assert nhs_check_digit("943476591") == 9
    assert nhs_check_digit("987654432") == 2


def test_nhs_check_digit_rejects_bad_length() -> None:
    with pytest.raises(ValueError):
        nhs_check_digit("12345")


@given(st.integers(min_value=0, max_value=999_999_999))
def test_nhs_check_digit_roundtrip(body: int) -> None:
    first9 = f"{body:09d}"
    check = nhs_check_digit(first9)
    if check is None:
        assert not any(nhs_number_is_valid(first9 + str(d)) for d in range(10))
    else:
        assert nhs_number_is_valid(first9 + str(check))
        # exactly one check digit is valid
        assert sum(nhs_number_is_valid(first9 + str(d)) for d in range(10)) == 1


@given(st.integers(min_value=0, max_value=999_999_999), st.integers(min_value=0, max_value=8))
def test_nhs_single_digit_error_detected(body: int, pos: int) -> None:
    first9 = f"{body:09d}"
    check = nhs_check_digit(first9)
    if check is None:
        return
    n = list(first9 + str(check))
    n[pos] = str((int(n[pos]) + 1) % 10)
    assert not nhs_number_is_valid("".join(n))


def test_nhs_vectorised_matches_scalar() -> None:
    rng = np.random.default_rng(3)
    bodies = rng.integers(999_000_000, 999_999_999, size=500)
    vec = nhs_check_digits_vec(bodies)
    for b, c in zip(bodies, vec, strict=True):
        s = nhs_check_digit(str(b))
        assert (10 if s is None else s) == c
    nums = [f"{b}{c}" for b, c in zip(bodies, vec, strict=True) if c != 10]
    assert nhs_numbers_are_valid(nums).all()


def test_upn_known_vectors() -> None:
    assert upn_is_valid("B801200005001")
    assert upn_check_letter("207000016049") == "P"
    assert upn_is_valid("P207000016049")
    assert not upn_is_valid("Q207000016049")  # the wrong third-party worked example


def test_upn_la_code_restriction() -> None:
    assert upn_is_valid("P207000016049", VALID_UPN_LA_CODES)
    assert not upn_is_valid("P207000016049", {"380"})
    assert "380" in VALID_UPN_LA_CODES and "944" not in VALID_UPN_LA_CODES and "213" in VALID_UPN_LA_CODES
    assert "942" in VALID_UPN_LA_CODES  # Cumberland, from 2023-24 (dfe-validation-rules §4.3.2)


@pytest.mark.parametrize("value", [None, "", "B80120000500", "B8012000050011", "I801200005001", "B80120000500I",
                                   "B8012X0005001"])
def test_upn_malformed_invalid(value: str | None) -> None:
    assert not upn_is_valid(value)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11),
       st.sampled_from(list("0123456789" + UPN_ALPHABET)))
def test_upn_roundtrip_and_single_error(body11: str, last: str) -> None:
    body = body11 + last
    upn = upn_check_letter(body) + body
    assert upn_is_valid(upn)
    assert upn_is_valid(upn.lower())
    wrong = UPN_ALPHABET[(UPN_ALPHABET.index(upn[0]) + 1) % 23]
    assert not upn_is_valid(wrong + body)
    # a single changed digit at positions 2..12 changes the mod-23 sum (weights 2..12 are units mod 23)
    d = body[0]
    altered = str((int(d) + 1) % 10) + body[1:]
    assert not upn_is_valid(upn[0] + altered)


def test_upn_vectorised_matches_scalar() -> None:
    rng = np.random.default_rng(5)
    n = 300
    la = rng.choice([380, 208, 209, 919], size=n)
    est = rng.integers(0, 10000, size=n)
    yr = rng.integers(0, 100, size=n)
    ser = rng.integers(0, 1000, size=n)
    letters = upn_check_letters_vec(la, est, yr, ser)
    for i in range(n):
        body = f"{la[i]:03d}{est[i]:04d}{yr[i]:02d}{ser[i]:03d}"
        assert letters[i] == upn_check_letter(body)
        assert upn_is_valid(letters[i] + body, VALID_UPN_LA_CODES)


# --------------------------------------------------------------------------- column-wise forms

from warehouse.identifiers import (  # noqa: E402
    nhs_number_valid_expr,
    nhs_valid_mask,
    upn_la_codes,
    upn_valid_expr,
    upn_valid_mask,
)

_NHS_CHARS = st.sampled_from(list("0123456789 -x") + ["９"])
_UPN_CHARS = st.sampled_from(list("0123456789" + UPN_ALPHABET + "IOSabz "))


def _nhs_like() -> st.SearchStrategy[str | None]:
    # mostly valid numbers (with and without spaces), plus near misses and noise
    def valid(body: int) -> str:
        check = nhs_check_digit(f"{body:09d}")
        return f"{body:09d}{0 if check is None else check}"

    return st.one_of(
        st.none(),
        st.integers(0, 999_999_999).map(valid),
        st.integers(0, 999_999_999).map(lambda b: f"{valid(b)[:3]} {valid(b)[3:6]} {valid(b)[6:]}"),
        st.text(alphabet=_NHS_CHARS, min_size=0, max_size=14),
        st.text(alphabet="0123456789", min_size=10, max_size=10),
    )


def _upn_like() -> st.SearchStrategy[str | None]:
    def valid(body11: str, last: str) -> str:
        return upn_check_letter(body11 + last) + body11 + last

    return st.one_of(
        st.none(),
        st.builds(valid, st.text(alphabet="0123456789", min_size=11, max_size=11),
                  st.sampled_from(list("0123456789" + UPN_ALPHABET))),
        st.builds(valid, st.text(alphabet="0123456789", min_size=11, max_size=11),
                  st.sampled_from(list("0123456789"))).map(lambda u: f" {u.lower()} "),
        st.text(alphabet=_UPN_CHARS, min_size=0, max_size=15),
        st.text(alphabet="0123456789" + UPN_ALPHABET, min_size=13, max_size=13),
    )


@settings(deadline=None)  # polars per example: timing depends on machine load
@given(st.lists(_nhs_like(), max_size=40))
def test_nhs_valid_mask_matches_scalar(values: list[str | None]) -> None:
    mask = nhs_valid_mask(pl.Series("nhs", values, dtype=pl.String))
    assert mask.dtype == pl.Boolean and mask.null_count() == 0 and mask.name == "nhs"
    assert mask.to_list() == [nhs_number_is_valid(v) for v in values]


@settings(deadline=None)  # polars per example: timing depends on machine load
@given(st.lists(_upn_like(), max_size=40))
def test_upn_valid_mask_matches_scalar(values: list[str | None]) -> None:
    mask = upn_valid_mask(pl.Series("upn", values, dtype=pl.String))
    assert mask.dtype == pl.Boolean and mask.null_count() == 0
    assert mask.to_list() == [upn_is_valid(v) for v in values]


def test_masks_on_sliced_and_chunked_input() -> None:
    # slices and multi-chunk series take the non-contiguous path through the Arrow buffers
    values = ["9434765919", "9876544321", None, "4698194180", "943 476 5919"] * 3
    series = pl.concat([pl.Series("v", values[:7]), pl.Series("v", values[7:])], rechunk=False)
    assert series.n_chunks() == 2
    assert nhs_valid_mask(series).to_list() == [nhs_number_is_valid(v) for v in values]
    sliced = series.slice(3, 8)
    assert nhs_valid_mask(sliced).to_list() == [nhs_number_is_valid(v) for v in values[3:11]]
    upns = pl.Series("u", ["P207000016049", "Q207000016049", "B801200005001", None] * 2).slice(1, 6)
    assert upn_valid_mask(upns).to_list() == [upn_is_valid(v) for v in upns.to_list()]


def test_expressions_match_masks() -> None:
    df = pl.DataFrame({"nhs": ["9434765919", "9434765918", None], "upn": ["P207000016049", "q207000016049", ""]})
    out = df.select(nhs_number_valid_expr(pl.col("nhs")).alias("n"), upn_valid_expr(pl.col("upn")).alias("u"))
    assert out.get_column("n").to_list() == [True, False, False]
    assert out.get_column("u").to_list() == [True, False, False]
    assert df.filter(~nhs_number_valid_expr(pl.col("nhs"))).height == 2


def test_empty_and_all_null_series() -> None:
    assert nhs_valid_mask(pl.Series("v", [], dtype=pl.String)).len() == 0
    assert upn_valid_mask(pl.Series("v", [None, None], dtype=pl.String)).to_list() == [False, False]


def test_upn_la_codes_by_year() -> None:
    # Cumberland (942) and Westmorland and Furness (943) exist from 2023-24; abolished codes stay
    assert "942" not in upn_la_codes(2023) and "942" in upn_la_codes(2024) and "943" in upn_la_codes(2025)
    assert "909" in upn_la_codes(2025) and "820" in upn_la_codes(2020)


def test_nhs_mask_is_column_speed() -> None:
    # the column form must beat the scalar function by a wide margin (measured ~50x; bound 3x because
    # a shared 2-core machine makes timings noisy); both are timed in the same process
    import time

    rng = np.random.default_rng(11)
    bodies = rng.integers(999_000_000, 999_999_999, size=100_000)
    digits = nhs_check_digits_vec(bodies) % 10
    values = [f"{b}{d}" for b, d in zip(bodies.tolist(), digits.tolist(), strict=True)]
    series = pl.Series("v", values)
    t0 = time.perf_counter()
    mask = nhs_valid_mask(series)
    column = time.perf_counter() - t0
    t0 = time.perf_counter()
    scalar = [nhs_number_is_valid(v) for v in values]
    loop = time.perf_counter() - t0
    assert mask.to_list() == scalar
    assert column * 3 < loop


def test_temporary_upn_letters_match_scalar() -> None:
    from warehouse.identifiers import upn_temporary_check_letters_vec

    rng = np.random.default_rng(7)
    n = 300
    la, est = rng.choice([380, 208, 942], size=n), rng.integers(0, 10000, size=n)
    yr, ser, last = rng.integers(0, 100, size=n), rng.integers(0, 100, size=n), rng.integers(0, 23, size=n)
    letters = upn_temporary_check_letters_vec(la, est, yr, ser, last)
    for i in range(n):
        body = f"{la[i]:03d}{est[i]:04d}{yr[i]:02d}{ser[i]:02d}{UPN_ALPHABET[last[i]]}"
        assert letters[i] == upn_check_letter(body)
        assert upn_is_valid(letters[i] + body, VALID_UPN_LA_CODES)


@given(st.sampled_from(list(UPN_ALPHABET)), st.integers(min_value=1, max_value=22))
def test_upn_other_letter_breaks_the_check(letter: str, step: int) -> None:
    from warehouse.identifiers import upn_other_letter

    body = "380123456789"
    upn = upn_check_letter(body) + body
    assert not upn_is_valid(upn_other_letter(upn[0], step) + body)
    assert upn_other_letter(letter, step) != letter


def test_upn_other_letter_refuses_a_non_letter() -> None:
    from warehouse.identifiers import upn_other_letter

    with pytest.raises(ValueError, match="step of 1 to 22"):
        upn_other_letter("I")
    with pytest.raises(ValueError):
        upn_other_letter("A", 23)
