"""The SSDA903 episodes as the rules see them: each child's episodes in DECOM order with the previous
and next episode's values beside each row, and the child's header values joined on (vectorised:
one sort and ``shift().over(child)``)."""

from __future__ import annotations

from datetime import date

import polars as pl

from warehouse.validation.dfe.frames import RuleInput

__all__ = [
    "ADOPTED", "FOSTER_OR_ADOPTION", "SHORT_BREAK", "TEMPORARY", "age_at", "birthday", "episodes", "first_in_year",
    "header", "nxt", "prev", "short_break",
]

TEMPORARY = ("T0", "T1", "T2", "T3", "T4")
SHORT_BREAK = ("V3", "V4")
ADOPTED = ("E11", "E12")
FOSTER_OR_ADOPTION = ("A3", "A4", "A5", "A6", "U1", "U2", "U3", "U4", "U5", "U6")
_SHIFTED = ("DECOM", "DEC", "REC", "RNE", "LS", "PLACE", "PL_POST", "URN", "PLACE_PROVIDER", "CIN",
            "REASON_PLACE_CHANGE")
_TWO_BACK = ("PLACE", "PL_POST")  # the rules read these two episodes back (383) ...
_NEXT = ("DECOM", "RNE", "PLACE")  # ... and these on the next episode (388, 225)
_FROM_HEADER = ("DOB", "SEX", "MOTHER", "MC_DOB", "UASC", "UPN")


def prev(column: str, steps: int = 1) -> pl.Expr:
    """The value of ``column`` on the child's episode ``steps`` before this one (null for the first).

    Two steps back exists for PLACE and PL_POST only; add a column to ``_TWO_BACK`` to read it."""
    return pl.col(f"__prev{steps}_{column}")


def nxt(column: str) -> pl.Expr:
    """The value of ``column`` on the child's next episode (null for the last; DECOM, RNE and PLACE only)."""
    return pl.col(f"__next_{column}")


def birthday(years: int, dob: str = "DOB") -> pl.Expr:
    """The date of the child's ``years``-th birthday."""
    return pl.col(dob).dt.offset_by(f"{years}y")


def age_at(day: date | pl.Expr, dob: str = "DOB") -> pl.Expr:
    """Whole years of age on ``day``."""
    at = pl.lit(day) if isinstance(day, date) else day
    d = pl.col(dob)
    before_birthday = (at.dt.month() < d.dt.month()) | ((at.dt.month() == d.dt.month()) & (at.dt.day() < d.dt.day()))
    return at.dt.year() - d.dt.year() - before_birthday.cast(pl.Int32)


def short_break() -> pl.Expr:
    """True on a short-break episode (legal status V3 or V4)."""
    return pl.col("LS").is_in(SHORT_BREAK).fill_null(False)


def header(t: RuleInput, table: str = "header") -> pl.DataFrame:
    """The header, one row per child (the first when a child is listed twice; INT32 reports that)."""
    key = f"{table}:unique"
    if key not in t.cache:
        frame = t.table(table).filter(pl.col("_child").is_not_null())
        t.cache[key] = frame.unique("_child", keep="first", maintain_order=True)
    return t.cache[key]


def episodes(t: RuleInput, table: str = "episodes") -> pl.DataFrame:
    """``table`` sorted by child and DECOM, with previous/next values, first/last flags and header values."""
    key = f"{table}:view"
    if key in t.cache:
        return t.cache[key]
    frame = t.table(table).sort(["_child", "DECOM", "_row"], nulls_last=False)
    shifted = [c for c in _SHIFTED if c in frame.columns]
    # rows are sorted by child, so a whole-column shift is the within-child shift wherever the child
    # is the same (a per-group window over many small groups is far slower)
    child = pl.col("_child")

    def same(steps: int) -> pl.Expr:
        return child.eq_missing(child.shift(steps))

    frame = frame.with_columns(
        *[pl.when(same(1)).then(pl.col(c).shift(1)).alias(f"__prev1_{c}") for c in shifted],
        *[pl.when(same(2)).then(pl.col(c).shift(2)).alias(f"__prev2_{c}") for c in shifted if c in _TWO_BACK],
        *[pl.when(same(-1)).then(pl.col(c).shift(-1)).alias(f"__next_{c}") for c in shifted if c in _NEXT],
        (~same(1)).alias("__first"),
        (~same(-1)).alias("__last"),
    )
    source = "header" if table == "episodes" else "header_last"
    if source in t.tables:
        columns = [c for c in _FROM_HEADER if c in t.table(source).columns and c not in frame.columns]
        frame = frame.join(header(t, source).select("_child", *columns), on="_child", how="left")
    if table == "episodes" and "header_last" in t.tables and "UASC" in t.table("header_last").columns:
        last = header(t, "header_last").select("_child", pl.col("UASC").alias("__UASC_last"))
        frame = frame.join(last, on="_child", how="left")
    t.cache[key] = frame
    return frame


def first_in_year(t: RuleInput) -> pl.DataFrame:
    """Each child's first episode in this year's file."""
    return episodes(t).filter(pl.col("__first"))
