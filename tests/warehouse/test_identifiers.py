"""Tests for warehouse.identifiers: NHS number mod 11 and UPN mod 23 (test vectors from csc-data-standards §3)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
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
    assert "380" in VALID_UPN_LA_CODES and "942" not in VALID_UPN_LA_CODES and "213" in VALID_UPN_LA_CODES


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
