"""Check digits for the two national child identifiers: NHS number (mod 11) and UPN (mod 23).

Algorithms and test vectors from ``shared/reference/csc-data-standards.md`` §3:

- NHS number: 10 digits; digits 1-9 weighted 10..2, check = 11 - (sum mod 11); 11 -> 0; 10 -> the
  number is never issued (invalid). Synthetic numbers come from the 999 test range only.
- UPN: 13 characters ``C LLL EEEE YY SSS``; characters 2-13 weighted 2..13 (a letter at position 13
  counts as its index in :data:`UPN_ALPHABET`), sum mod 23 indexes :data:`UPN_ALPHABET`; characters
  2-4 must be a valid DfE LA code (CIN rule 1530).

Scalar functions take strings and never raise on malformed input (``*_is_valid`` returns ``False``);
vectorised helpers take and return numpy arrays for the generator, and polars series / expressions
(:func:`nhs_valid_mask`, :func:`nhs_number_valid_expr`, :func:`upn_valid_mask`, :func:`upn_valid_expr`)
for the validators, the loader and linkage. The polars forms read the ASCII bytes straight from the
Arrow buffer and do the weighted sums in numpy, so a million values need no Python loop; property
tests pin them to the scalar functions.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import polars as pl
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "NHS_FORMAT",
    "NHS_TEST_RANGE_PREFIX",
    "UPN_FORMAT",
    "UPN_ALPHABET",
    "VALID_UPN_LA_CODES",
    "nhs_check_digit",
    "nhs_check_digits_vec",
    "nhs_number_is_valid",
    "nhs_digits_ok",
    "nhs_number_clean_expr",
    "nhs_number_valid_expr",
    "nhs_numbers_are_valid",
    "nhs_valid_mask",
    "normalise_nhs_number",
    "upn_check_letter",
    "upn_check_letters_vec",
    "upn_other_letter",
    "upn_temporary_check_letters_vec",
    "upn_is_valid",
    "upn_la_codes",
    "upn_letters_ok",
    "upn_valid_expr",
    "upn_valid_mask",
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
    "921, 925, 926, 928, 929, 931, 933, 935-938, 940-943"
)
"""LA codes allowed in UPN characters 2-4 (CIN rule 1530; dfe-validation-rules §4.3.2).

Includes 942 and 943 (Cumberland, Westmorland and Furness), accepted from 2023-24; abolished codes
stay valid because old UPNs keep them. :func:`upn_la_codes` gives the set of one collection year.
"""

_UPN_LA_CODES_FROM_2024 = frozenset({"942", "943"})


def upn_la_codes(collection_year: int) -> frozenset[str]:
    """The LA codes allowed in UPN characters 2-4 for a collection year (ending year, e.g. 2025 for 2024-25).

    Example: ``"942" in upn_la_codes(2023)`` is False, ``"942" in upn_la_codes(2024)`` is True.
    """
    if collection_year >= 2024:
        return VALID_UPN_LA_CODES
    return VALID_UPN_LA_CODES - _UPN_LA_CODES_FROM_2024


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
        return np.asarray(arr.astype(np.int64) @ weights, dtype=np.int64)
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
    letters: np.ndarray = np.asarray(list(UPN_ALPHABET))[idx]
    return letters


def upn_temporary_check_letters_vec(la_code: np.ndarray, establishment: np.ndarray, year2: np.ndarray,
                                    serial2: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Vectorised check letters for temporary UPNs: 11 digits then a letter (UPN guide 1.2).

    ``la_code`` (0-999), ``establishment`` (0-9999), ``year2`` (0-99) and ``serial2`` (0-99) are the
    digits; ``last`` (0-22) is the index in :data:`UPN_ALPHABET` of the final letter, which counts as
    that index with weight 13. Returns single-letter strings.
    """
    body11 = (
        np.asarray(la_code, dtype=np.int64) * 10**8
        + np.asarray(establishment, dtype=np.int64) * 10**4
        + np.asarray(year2, dtype=np.int64) * 100
        + np.asarray(serial2, dtype=np.int64)
    )
    total = weighted_digit_sum(body11, 11, _UPN_WEIGHTS[:11]) + np.asarray(last, dtype=np.int64) * 13
    letters: np.ndarray = np.asarray(list(UPN_ALPHABET))[total % 23]
    return letters


def upn_other_letter(letter: str, step: int = 7) -> str:
    """A UPN check letter other than ``letter`` (``step`` places on, 1-22): makes a UPN that fails its check.

    Raises ``ValueError`` if ``letter`` is not a UPN letter or ``step`` would return the same letter.
    """
    if letter.upper() not in UPN_ALPHABET or step % len(UPN_ALPHABET) == 0:
        raise ValueError(f"expected a UPN letter (one of {UPN_ALPHABET}) and a step of 1 to 22; "
                         f"got {letter!r} and {step}")
    return UPN_ALPHABET[(UPN_ALPHABET.index(letter.upper()) + step) % len(UPN_ALPHABET)]


# --------------------------------------------------------------------------- column-wise (polars / Arrow)

NHS_FORMAT = r"^[0-9]{10}$"
"""A cleaned NHS number (see :func:`nhs_number_clean_expr`): ten ASCII digits."""

UPN_FORMAT = rf"^[{UPN_ALPHABET}][0-9]{{11}}[0-9{UPN_ALPHABET}]$"
"""An upper-cased UPN: check letter, eleven digits, then a digit or (temporary UPN) a letter."""

_UPN_SUM_WEIGHTS = np.arange(2, 13, dtype=np.int64)
# byte -> value: a UPN letter's index in UPN_ALPHABET (-1 for any other byte); for the 13th character
# a digit counts as its own value too
_UPN_LETTER_CODE = np.full(256, -1, dtype=np.int64)
_UPN_LETTER_CODE[np.frombuffer(UPN_ALPHABET.encode("ascii"), dtype=np.uint8)] = np.arange(len(UPN_ALPHABET))
_UPN_LAST_CODE = _UPN_LETTER_CODE.copy()
_UPN_LAST_CODE[48:58] = np.arange(10)


def _ascii_matrix(values: pl.Series, width: int) -> np.ndarray:
    """The ASCII codes of ``values`` (non-null, each exactly ``width`` ASCII characters) as a (k, width) matrix.

    Read straight from the Arrow data buffer (every value has the same width, so the values lie back
    to back); other layouts fall back to joining the strings.
    """
    if values.len() == 0:
        return np.empty((0, width), dtype=np.uint8)
    arr = values.to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offset_type = {pa.large_string(): np.int64, pa.string(): np.int32}.get(arr.type)
    if offset_type is not None:
        offsets = np.frombuffer(arr.buffers()[1], dtype=offset_type)[arr.offset:arr.offset + len(arr) + 1]
        start, size = int(offsets[0]), len(arr) * width
        if int(offsets[-1]) - start == size:
            return np.frombuffer(arr.buffers()[2], dtype=np.uint8)[start:start + size].reshape(-1, width)
    joined = values.str.join("").item()
    return np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, width)


def _weighted_columns(digits: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row sums of ``digits * weights`` (int32: a few columns of small numbers)."""
    total = np.zeros(digits.shape[0], dtype=np.int32)
    for j, w in enumerate(weights.tolist()):
        total += digits[:, j].astype(np.int32) * w
    return total


def _scatter(fmt: pl.Series, ok: np.ndarray, name: str) -> pl.Series:
    """A boolean mask that is ``ok`` where ``fmt`` holds (in order) and False elsewhere."""
    out = np.zeros(fmt.len(), dtype=bool)
    out[fmt.to_numpy()] = ok
    return pl.Series(name, out)


def nhs_number_clean_expr(expr: pl.Expr) -> pl.Expr:
    """An NHS number without the spaces and hyphens people type into it (the display form is 3-3-4)."""
    return expr.str.replace_all(r"[ \-]", "")


def nhs_digits_ok(clean: pl.Series, fmt: pl.Series) -> pl.Series:
    """The mod-11 check of the well-formed values of ``clean``; False elsewhere.

    For callers that already computed the format test: ``clean`` holds cleaned values
    (:func:`nhs_number_clean_expr`) and ``fmt`` is a boolean series, True (never null) where ``clean``
    matches :data:`NHS_FORMAT`. Returns a boolean series named like ``clean``.
    """
    digits = _ascii_matrix(clean.filter(fmt), 10) - np.uint8(48)
    check = (11 - _weighted_columns(digits, _NHS_WEIGHTS) % 11) % 11
    return _scatter(fmt, (check != 10) & (check == digits[:, 9]), clean.name)


def nhs_valid_mask(values: pl.Series) -> pl.Series:
    """True where a value is a 10-digit NHS number (spaces/hyphens ignored) with a valid mod-11 check digit.

    The algorithm of :func:`nhs_number_is_valid`, column-wise: polars for the format, numpy for the
    weighted digit sum of the well-formed values only. Nulls and malformed values give False (never
    null). Example: ``nhs_valid_mask(pl.Series(["943 476 5919", "9876544321", None]))`` is
    ``[True, False, False]``.
    """
    frame = values.cast(pl.String).to_frame("v").select(nhs_number_clean_expr(pl.col("v")).alias("clean"))
    frame = frame.with_columns(pl.col("clean").str.contains(NHS_FORMAT).fill_null(False).alias("fmt"))
    return nhs_digits_ok(frame.get_column("clean"), frame.get_column("fmt")).alias(values.name)


def nhs_number_valid_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`nhs_valid_mask` as a polars expression (boolean, never null), for ``select``/``filter``.

    Example: ``df.filter(~nhs_number_valid_expr(pl.col("nhs_number")))`` keeps the invalid rows.
    """
    return expr.map_batches(nhs_valid_mask, return_dtype=pl.Boolean)


def upn_letters_ok(upper: pl.Series, fmt: pl.Series) -> pl.Series:
    """The mod-23 check letter of the well-formed values of ``upper``; False elsewhere.

    For callers that already computed the format test: ``upper`` holds stripped upper-case values and
    ``fmt`` is True (never null) where ``upper`` matches :data:`UPN_FORMAT`.
    """
    m = _ascii_matrix(upper.filter(fmt), 13)
    total = _weighted_columns(m[:, 1:12] - np.uint8(48), _UPN_SUM_WEIGHTS) + _UPN_LAST_CODE[m[:, 12]] * 13
    return _scatter(fmt, total % 23 == _UPN_LETTER_CODE[m[:, 0]], upper.name)


def upn_valid_mask(values: pl.Series) -> pl.Series:
    """True where a value is a 13-character UPN with a correct mod-23 check letter (permanent or temporary).

    The algorithm of :func:`upn_is_valid` without the LA-code test (a separate rule, CIN 1530),
    column-wise; surrounding spaces and lower case are accepted as the scalar function accepts them.
    Nulls and malformed values give False. Example:
    ``upn_valid_mask(pl.Series(["P207000016049", "Q207000016049"]))`` is ``[True, False]``.
    """
    frame = values.cast(pl.String).to_frame("v").select(
        pl.col("v").str.strip_chars().str.to_uppercase().alias("upper"))
    frame = frame.with_columns(pl.col("upper").str.contains(UPN_FORMAT).fill_null(False).alias("fmt"))
    return upn_letters_ok(frame.get_column("upper"), frame.get_column("fmt")).alias(values.name)


def upn_valid_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`upn_valid_mask` as a polars expression (boolean, never null)."""
    return expr.map_batches(upn_valid_mask, return_dtype=pl.Boolean)
