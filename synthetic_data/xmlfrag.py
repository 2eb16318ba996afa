"""Polars expressions that render XML elements column-wise (fast for a million children)."""

from __future__ import annotations

import numpy as np
import polars as pl

from synthetic_data.dates import UNIX_OFFSET


def el(tag: str, col: pl.Expr) -> pl.Expr:
    """``<tag>value</tag>`` where ``col`` is not null, else null (so ``concat_str(ignore_nulls=True)`` skips it)."""
    return pl.when(col.is_not_null()).then(pl.concat_str([pl.lit(f"<{tag}>"), col, pl.lit(f"</{tag}>")]))


def wrap(tag: str, inner: pl.Expr) -> pl.Expr:
    """``<tag>inner</tag>`` when ``inner`` is a non-empty string, else null."""
    return pl.when(inner.is_not_null() & (inner != "")).then(
        pl.concat_str([pl.lit(f"<{tag}>"), inner, pl.lit(f"</{tag}>")]))


def concat(parts: list[pl.Expr]) -> pl.Expr:
    """Concatenate element expressions, skipping absent (null) ones."""
    return pl.concat_str(parts, ignore_nulls=True)


def date_series(name: str, days: np.ndarray) -> pl.Series:
    """Day numbers as an ISO date string column (null where negative)."""
    d = pl.Series(name, np.asarray(days, dtype=np.int64) - UNIX_OFFSET)
    valid = pl.Series(np.asarray(days) >= 0)
    return pl.select(pl.when(valid).then(d).otherwise(None).cast(pl.Int32).cast(pl.Date)
                     .dt.strftime("%Y-%m-%d").alias(name)).to_series()


def str_series(name: str, values: np.ndarray) -> pl.Series:
    """Object array of str/None as a string column ("" and None become null)."""
    s = pl.Series(name, np.asarray(values, dtype=object).tolist(), dtype=pl.Utf8)
    return pl.select(pl.when(s == "").then(None).otherwise(s).alias(name)).to_series()
