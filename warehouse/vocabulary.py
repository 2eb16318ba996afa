"""The shared vocabulary of subgroups: age bands, DfE ethnicity major groups, sex codes.

One home for every package: the loader, linkage's bias tables, evaluation's completeness tables and
the dashboard all read these, so a label, an order or a cut-off exists once. Where the DfE defines a
code or a group (CIN census / SSDA903 code lists, csc-data-standards.md §2.4), its definition is used.
"""

from __future__ import annotations

import polars as pl

__all__ = [
    "AGE_BANDS", "AGE_BAND_CUTS", "AGE_NOT_KNOWN", "ETHNIC_GROUPS", "ETHNIC_GROUP_BY_CODE",
    "ETHNICITY_NOT_GIVEN", "NOT_KNOWN", "SEX_CODES", "SEX_LABELS", "SUBGROUP_TYPES", "SUBGROUP_LABELS",
    "age_band", "age_band_expr", "age_band_sql", "ethnic_group", "ethnic_group_expr", "normalise_sex",
    "normalise_sex_expr", "subgroup_order",
]

#: The one label for a subgroup value that is missing or not recorded.
NOT_KNOWN = "Not known"

# --- age bands ---------------------------------------------------------------------------------
#: Whole years of age -> band (upper bound exclusive). The one rule for a missing age: a child with no
#: date of birth is "unborn" when an expected date of birth is known (``expected``), otherwise "Not known";
#: a date of birth after the reference date (a negative age) is "unborn" too. The Python, polars and SQL
#: forms below apply this rule alike.
AGE_BAND_CUTS: tuple[tuple[int, str], ...] = (
    (1, "under 1"), (5, "1-4"), (10, "5-9"), (16, "10-15"), (18, "16-17"), (25, "18-24"), (35, "25-34"),
    (45, "35-44"),
)
OLDEST_AGE_BAND = "45+"
UNBORN = "unborn"
AGE_NOT_KNOWN = NOT_KNOWN
#: Every age band, in the one order people read them (youngest first, not known last).
AGE_BANDS: tuple[str, ...] = (UNBORN, *(band for _, band in AGE_BAND_CUTS), OLDEST_AGE_BAND, AGE_NOT_KNOWN)


def age_band(years: float | None, expected: bool = False) -> str:
    """The band of an age in whole years.

    Args:
        years: age in whole years at the reference date; None when there is no date of birth.
        expected: an expected date of birth is known (so a missing age means "not born yet").

    Returns:
        ``unborn`` for no age with ``expected`` or a negative age, ``Not known`` for no age otherwise,
        else the band.

    Example:
        >>> age_band(0), age_band(4.9), age_band(17), age_band(None, expected=True), age_band(None)
        ('under 1', '1-4', '16-17', 'unborn', 'Not known')
    """
    if years is None:
        return UNBORN if expected else AGE_NOT_KNOWN
    if years < 0:
        return UNBORN
    for upper, band in AGE_BAND_CUTS:
        if years < upper:
            return band
    return OLDEST_AGE_BAND


def age_band_expr(dob: pl.Expr, at: pl.Expr, expected: pl.Expr | None = None, *,
                  unborn: pl.Expr | None = None) -> pl.Expr:
    """Polars form of :func:`age_band`: age at ``at`` from ``dob``.

    Args:
        dob: date of birth (null when not known or not born yet).
        at: reference date.
        expected: boolean expression, true where an expected date of birth is known (null counts as
            false); None when the source has no expected dates, so every null ``dob`` is "Not known".
        unborn: former name of ``expected`` (kept for callers not yet renamed); give one of the two.
    """
    expected = expected if expected is not None else unborn
    has_expected = pl.lit(False) if expected is None else expected.fill_null(False)
    years = ((at - dob).dt.total_days() / 365.25).floor()
    expr = (pl.when(dob.is_null() & has_expected).then(pl.lit(UNBORN))
            .when(years.is_null()).then(pl.lit(AGE_NOT_KNOWN))
            .when(years < 0).then(pl.lit(UNBORN)))
    for upper, band in AGE_BAND_CUTS:
        expr = expr.when(years < upper).then(pl.lit(band))
    return expr.otherwise(pl.lit(OLDEST_AGE_BAND))


def age_band_sql(dob: str, years: str, expected: str | None = None) -> str:
    """SQL form of :func:`age_band`: a CASE expression.

    ``dob`` and ``years`` name the caller's date-of-birth and whole-years columns, ``expected`` its
    expected-date-of-birth column (None when the source has none: a null ``dob`` is then "Not known").
    All three are the caller's own column names, never input.
    """
    unborn = f"WHEN {dob} IS NULL AND {expected} IS NOT NULL THEN '{UNBORN}' " if expected else ""
    whens = " ".join(f"WHEN {years} < {upper} THEN '{band}'" for upper, band in AGE_BAND_CUTS)
    return (f"CASE {unborn}WHEN {dob} IS NULL OR {years} IS NULL THEN '{AGE_NOT_KNOWN}' "
            f"WHEN {years} < 0 THEN '{UNBORN}' {whens} ELSE '{OLDEST_AGE_BAND}' END")


# --- ethnicity ---------------------------------------------------------------------------------
#: DfE major ethnic groups (CIN census and SSDA903 share the 20 codes), in DfE's order.
ETHNIC_GROUP_BY_CODE: dict[str, str] = {
    **dict.fromkeys(("WBRI", "WIRI", "WIRT", "WOTH", "WROM"), "White"),
    **dict.fromkeys(("MWBC", "MWBA", "MWAS", "MOTH"), "Mixed"),
    **dict.fromkeys(("AIND", "APKN", "ABAN", "AOTH"), "Asian"),
    **dict.fromkeys(("BCRB", "BAFR", "BOTH"), "Black"),
    **dict.fromkeys(("CHNE", "OOTH"), "Other"),
}
#: Codes meaning "not given" (refused, not yet obtained): grouped as Not known.
ETHNICITY_NOT_GIVEN: tuple[str, ...] = ("REFU", "NOBT")
ETHNIC_GROUPS: tuple[str, ...] = ("White", "Mixed", "Asian", "Black", "Other", NOT_KNOWN)
# A code outside the list is grouped by its first letter (local extended codes such as "WENG").
_GROUP_BY_LETTER = {"W": "White", "M": "Mixed", "A": "Asian", "B": "Black", "C": "Other", "O": "Other"}


def ethnic_group(code: str | None) -> str:
    """DfE ethnicity code (any case) -> major group; missing, refused or unknown -> "Not known".

    Example:
        >>> ethnic_group("wbri"), ethnic_group("CHNE"), ethnic_group("REFU"), ethnic_group(None)
        ('White', 'Other', 'Not known', 'Not known')
    """
    c = (code or "").strip().upper()
    if not c or c in ETHNICITY_NOT_GIVEN:
        return NOT_KNOWN
    return ETHNIC_GROUP_BY_CODE.get(c) or _GROUP_BY_LETTER.get(c[0], NOT_KNOWN)


def ethnic_group_expr(code: pl.Expr) -> pl.Expr:
    """Polars form of :func:`ethnic_group`."""
    c = code.cast(pl.Utf8).str.strip_chars().str.to_uppercase()
    by_code = c.replace_strict(ETHNIC_GROUP_BY_CODE, default=None, return_dtype=pl.Utf8)
    by_letter = c.str.slice(0, 1).replace_strict(_GROUP_BY_LETTER, default=None, return_dtype=pl.Utf8)
    return (
        pl.when(c.is_null() | (c == "") | c.is_in(list(ETHNICITY_NOT_GIVEN))).then(pl.lit(NOT_KNOWN))
        .otherwise(pl.coalesce(by_code, by_letter, pl.lit(NOT_KNOWN)))
    )


# --- sex -----------------------------------------------------------------------------------------
#: Stored sex codes (CIN 2024-25 ``Sex``: M, F, U) and their labels.
SEX_CODES: tuple[str, ...] = ("M", "F", "U")
SEX_LABELS: dict[str, str] = {"M": "Male", "F": "Female", "U": NOT_KNOWN}
# Every input form seen: CIN GenderCurrent/SSDA903 SEX (1 male, 2 female, 0 not known, 9 not
# specified), CIN 2024-25 Sex (M/F/U), site exports (words, any case).
_SEX_INPUT: dict[str, str] = {
    **dict.fromkeys(("m", "male", "1", "boy", "man"), "M"),
    **dict.fromkeys(("f", "female", "2", "girl", "woman"), "F"),
    **dict.fromkeys(("u", "unknown", "not known", "0", "9", "not specified", "not stated", "x",
                     "indeterminate", "other"), "U"),
}


def normalise_sex(value: object) -> str | None:
    """Any input form of sex -> ``M`` / ``F`` / ``U``; empty -> None.

    Example:
        >>> normalise_sex("Female"), normalise_sex(1), normalise_sex("0"), normalise_sex("")
        ('F', 'M', 'U', None)
    """
    s = "" if value is None else str(value).strip().lower()
    if not s:
        return None
    return _SEX_INPUT.get(s, "U")


def normalise_sex_expr(expr: pl.Expr) -> pl.Expr:
    """Polars form of :func:`normalise_sex`."""
    s = expr.cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    return (
        pl.when(s.is_null() | (s == "")).then(None)
        .otherwise(s.replace_strict(_SEX_INPUT, default="U", return_dtype=pl.Utf8))
    )


# --- subgroup types --------------------------------------------------------------------------------
#: Subgroup breakdowns reported everywhere (bias tables, completeness), in display order.
SUBGROUP_TYPES: tuple[str, ...] = ("all", "sex", "ethnic_group", "age_band")
SUBGROUP_LABELS: dict[str, str] = {"all": "All", "sex": "Sex", "ethnic_group": "Ethnic group", "age_band": "Age band"}


def subgroup_order(subgroup_type: str) -> tuple[str, ...]:
    """The display order of a subgroup type's values (empty for types without a fixed order)."""
    return {
        "age_band": AGE_BANDS,
        "ethnic_group": ETHNIC_GROUPS,
        "sex": tuple(SEX_LABELS.values()),
    }.get(subgroup_type, ())
