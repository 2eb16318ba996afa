"""Check shapes that many DfE rules share, each one vectorised: date windows, counts per group,
overlapping intervals (a self-join within the group, never a Python loop) and lookups across tables."""

from __future__ import annotations

from datetime import date

import polars as pl

__all__ = [
    "NO_ROWS", "exists_in", "held_by_several", "in_codes", "mixed", "outside", "overlaps", "repeated",
    "weekend",
]

NO_ROWS = pl.DataFrame(schema={"_row": pl.Int64, "child_id": pl.String})


def outside(column: str, start: date, end: date) -> pl.Expr:
    """True where ``column`` is a date before ``start`` or after ``end`` (null: False)."""
    c = pl.col(column)
    return ((c < pl.lit(start)) | (c > pl.lit(end))).fill_null(False)


def in_codes(column: str, codes: frozenset[str] | set[str] | tuple[str, ...]) -> pl.Expr:
    """True where ``column`` is one of ``codes`` (null: False)."""
    return pl.col(column).is_in(sorted(codes)).fill_null(False)


def weekend(column: str) -> pl.Expr:
    """True where the date in ``column`` is a Saturday or Sunday."""
    return (pl.col(column).dt.weekday() >= 6).fill_null(False)


def repeated(frame: pl.DataFrame, keys: list[str], condition: pl.Expr | None = None) -> pl.DataFrame:
    """Rows (of those matching ``condition``) whose ``keys`` appear on more than one such row."""
    rows = frame if condition is None else frame.filter(condition.fill_null(False))
    return rows.filter(pl.struct(keys).is_duplicated()).select("_row", "child_id")


def mixed(frame: pl.DataFrame, keys: list[str], one: pl.Expr, other: pl.Expr) -> pl.DataFrame:
    """Rows of the ``keys`` groups that hold both a row matching ``one`` and a row matching ``other``."""
    groups = frame.group_by(keys).agg(one.fill_null(False).any().alias("__one"),
                                      other.fill_null(False).any().alias("__other"))
    both = groups.filter(pl.col("__one") & pl.col("__other")).select(keys)
    return frame.join(both, on=keys, how="semi").select("_row", "child_id")


def held_by_several(frame: pl.DataFrame, value: pl.Expr) -> pl.DataFrame:
    """Rows whose non-null ``value`` is held by more than one child (``_child``)."""
    rows = frame.with_columns(value.alias("__value")).filter(pl.col("__value").is_not_null())
    shared = rows.group_by("__value").agg(pl.col("_child").n_unique().alias("__n")).filter(pl.col("__n") > 1)
    return rows.join(shared, on="__value", how="semi").select("_row", "child_id")


def exists_in(frame: pl.DataFrame, other: pl.DataFrame, keys: list[str], name: str,
              where: pl.Expr | None = None) -> pl.DataFrame:
    """``frame`` with a boolean column ``name``: True where ``other`` (filtered by ``where``) has a row
    with the same ``keys``."""
    if where is not None:
        other = other.filter(where.fill_null(False))
    present = other.select(keys).unique().with_columns(pl.lit(True).alias(name))
    joined = frame.join(present, on=keys, how="left", maintain_order="left")
    return joined.with_columns(pl.col(name).fill_null(False))


def overlaps(frame: pl.DataFrame, keys: list[str], start: str, condition: pl.Expr) -> pl.DataFrame:
    """Rows of ``frame`` that overlap another row of the same ``keys`` group.

    Every pair (a, b) of different rows in one group is formed with a self-join; ``condition`` is
    evaluated on the pair, with a's columns as they are and b's suffixed ``_b`` (e.g.
    ``pl.col(start) >= pl.col(start + "_b")``). Returns a's ``_row`` and ``child_id``, one per row.
    """
    indexed = frame.with_row_index("__i").filter(pl.col(start).is_not_null())
    other = indexed.rename({c: f"{c}_b" for c in indexed.columns if c not in keys})
    pairs = indexed.join(other, on=keys, how="inner").filter(pl.col("__i") != pl.col("__i_b"))
    hits = pairs.filter(condition.fill_null(False))
    return hits.unique("__i", maintain_order=True).select("_row", "child_id")
