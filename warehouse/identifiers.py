"""Check digits for the two national child identifiers: NHS number (mod 11) and UPN (mod 23).

Algorithms and test vectors from ``shared/reference/csc-data-standards.md`` §3:

- NHS number: 10 digits; digits 1-9 weighted 10..2, check = 11 - (sum mod 11); 11 -> 0; 10 -> the
  number is never issued (invalid). Synthetic numbers come from the 999 test range only.
- UPN: 13 characters ``C LLL EEEE YY SSS``; characters 2-13 weighted 2..13 (a letter at position 13
  counts as its index in :data:`UPN_ALPHABET`), sum mod 23 indexes :data:`UPN_ALPHABET`; characters
  2-4 must be a valid DfE LA code (CIN rule 1530).

Scalar functions take strings and never raise on malformed input (``*_is_valid`` returns ``False``);
vectorised helpers take and return numpy arrays for the generator and validators.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

__all__ = [
    "NHS_TEST_RANGE_PREFIX",
    "UPN_ALPHABET",
    "VALID_UPN_LA_CODES",
    "nhs_check_digit",
    "nhs_check_digits_vec",
    "nhs_number_is_valid",
    "nhs_numbers_are_valid",
    "normalise_nhs_number",
    "upn_check_letter",
    "upn_check_letters_vec",
    "upn_is_valid",
    "weighted_digit_sum",
]

UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
"""The 23 letters used for UPN check letters and temporary-UPN final characters (no I, O, S)."""

NHS_TEST_RANGE_PREFIX = "999"
"""NHS numbers 999 000 0000 to 999 999 9999 are reserved for testing and never issued."""

_NHS_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)
_UPN_WEIGHTS = np.arange(2, 14, dtype=np.int64)


def _expand_ranges(spec: str) -> frozenset[str]:
    codes: set[str] = set()
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-")
            codes.update(f"{i:03d}" for i in range(int(lo), int(hi) + 1))
        else:
            codes.add(f"{int(part):03d}")
    return frozenset(codes)


VALID_UPN_LA_CODES: frozenset[str] = _expand_ranges(
    "001-005, 201-213, 301-320, 330-336, 340-344, 350-359, 370-373, 380-384, 390-394, 420,"
    "660-681, 701-708, 800-803, 805-808, 810-813, 815, 816, 820-823, 825, 826, 830, 831,"
    "835-839, 840, 841, 845, 846, 850-852, 855-857, 860, 861, 865-896, 908, 909, 916, 919,"
    "921, 925, 926, 928, 929, 931, 933, 935-938, 940-941"
)
"""LA codes allowed in UPN characters 2-4 (CIN rule 1530; csc-data-standards §1.2)."""


# --------------------------------------------------------------------------- NHS number


def normalise_nhs_number(value: str) -> str:
    """Return ``value`` without spaces and hyphens (display format is ``3-3-4`` with spaces)."""
    return str(value).replace(" ", "").replace("-", "")


def nhs_check_digit(first9: str) -> int | None:
    """Return the mod-11 check digit for the first nine digits, or ``None`` if no valid number exists.

    ``None`` means the computed check is 10: such numbers are never issued. Raises ``ValueError`` if
    ``first9`` is not exactly nine digits.
    """
    if len(first9) != 9 or not first9.isdigit():
        raise ValueError(f"expected 9 digits, got {len(first9)} characters; pass the first nine digits only")
    total = sum(int(d) * w for d, w in zip(first9, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_number_is_valid(value: str | None) -> bool:
    """Return whether ``value`` is a 10-digit NHS number with a correct mod-11 check digit.

    Spaces and hyphens are ignored; anything else non-numeric makes it invalid.
    """
    if value is None:
        return False
    n = normalise_nhs_number(value)
    if len(n) != 10 or not n.isdigit() or not n.isascii():
        return False
    check = nhs_check_digit(n[:9])
    return check is not None and check == int(n[9])


def nhs_check_digits_vec(first9: np.ndarray) -> np.ndarray:
    """Vectorised check digits for an ``(n, 9)`` int array of digits (or ``(n,)`` int64 of 9-digit numbers).

    Returns an int64 array; ``10`` marks bodies that cannot form a valid NHS number.
    """
    check = 11 - weighted_digit_sum(first9, 9, _NHS_WEIGHTS) % 11
    return np.where(check == 11, 0, check)


def nhs_numbers_are_valid(values: np.ndarray | list[str]) -> np.ndarray:
    """Vectorised :func:`nhs_number_is_valid` over strings (``None`` / malformed -> ``False``)."""
    return np.fromiter((nhs_number_is_valid(v) for v in values), dtype=bool, count=len(values))


def weighted_digit_sum(values: np.ndarray, width: int, weights: np.ndarray) -> np.ndarray:
    """Sum of digit * weight for ``(n, width)`` digit arrays or ``(n,)`` integers of ``width`` digits."""
    arr = np.asarray(values)
    if arr.ndim == 2:
        if arr.shape[1] != width:
            raise ValueError(f"expected {width} digit columns, got {arr.shape[1]}")
        return arr.astype(np.int64) @ weights
    arr = arr.astype(np.int64)
    total = np.zeros(arr.shape, dtype=np.int64)
    for i in range(width):
        total += (arr // 10 ** (width - 1 - i)) % 10 * weights[i]
    return total


# --------------------------------------------------------------------------- UPN


def _upn_char_value(c: str, position: int) -> int:
    if c.isdigit() and c.isascii():
        return int(c)
    if position == 13 and c.upper() in UPN_ALPHABET:
        return UPN_ALPHABET.index(c.upper())
    raise ValueError(
        f"character at position {position} is not allowed; positions 2-12 take digits, "
        f"position 13 a digit or one of {UPN_ALPHABET}"
    )


def upn_check_letter(body12: str) -> str:
    """Return the check letter (character 1) for UPN characters 2-13.

    Raises ``ValueError`` if ``body12`` is not 12 characters of the allowed form.
    """
    if len(body12) != 12:
        raise ValueError(f"expected the 12 characters after the check letter, got {len(body12)}")
    total = sum(_upn_char_value(c, pos) * pos for pos, c in enumerate(body12, start=2))
    return UPN_ALPHABET[total % 23]


def upn_is_valid(upn: str | None, valid_la_codes: Collection[str] | None = None) -> bool:
    """Return whether ``upn`` is a 13-character UPN with a correct check letter.

    When ``valid_la_codes`` is given (e.g. :data:`VALID_UPN_LA_CODES` or one LA's code), characters 2-4
    must be in it too. Malformed input returns ``False``.
    """
    if upn is None:
        return False
    u = str(upn).strip().upper()
    if len(u) != 13 or u[0] not in UPN_ALPHABET:
        return False
    if u[12] in "IOS":
        return False
    try:
        expected = upn_check_letter(u[1:])
    except ValueError:
        return False
    if expected != u[0]:
        return False
    return valid_la_codes is None or u[1:4] in valid_la_codes


def upn_check_letters_vec(la_code: np.ndarray, establishment: np.ndarray, year2: np.ndarray,
                          serial: np.ndarray) -> np.ndarray:
    """Vectorised check letters for permanent UPNs built from integer parts.

    ``la_code`` (0-999), ``establishment`` (0-9999), ``year2`` (0-99) and ``serial`` (0-999) are int
    arrays of equal length; returns an array of single-letter strings.
    """
    body = (
        np.asarray(la_code, dtype=np.int64) * 10**9
        + np.asarray(establishment, dtype=np.int64) * 10**5
        + np.asarray(year2, dtype=np.int64) * 10**3
        + np.asarray(serial, dtype=np.int64)
    )
    idx = weighted_digit_sum(body, 12, _UPN_WEIGHTS) % 23
    return np.asarray(list(UPN_ALPHABET))[idx]
