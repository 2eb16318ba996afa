"""Polars expressions that render XML elements column-wise (fast for a million children)."""

from __future__ import annotations

import functools

import numpy as np
import polars as pl

from synthetic_data.dates import LUT_END, LUT_START, UNIX_OFFSET


def el(tag: str, col: pl.Expr) -> pl.Expr:
    """``<tag>value</tag>`` where ``col`` is not null, else null (so ``concat_str(ignore_nulls=True)`` skips it)."""
    return pl.concat_str([pl.lit(f"<{tag}>"), col, pl.lit(f"</{tag}>")])  # null in -> null out


def wrap(tag: str, inner: pl.Expr) -> pl.Expr:
    """``<tag>inner</tag>`` when ``inner`` is a non-empty string, else null."""
    return pl.when(inner.is_not_null() & (inner != "")).then(
        pl.concat_str([pl.lit(f"<{tag}>"), inner, pl.lit(f"</{tag}>")]))


def concat(parts: list[pl.Expr]) -> pl.Expr:
    """Concatenate element expressions, skipping absent (null) ones."""
    return pl.concat_str(parts, ignore_nulls=True)


@functools.lru_cache(maxsize=4)
def _iso_lut(fmt: str) -> pl.Series:
    days = pl.Series("d", np.arange(LUT_START, LUT_END + 1, dtype=np.int32) - UNIX_OFFSET).cast(pl.Date)
    return pl.concat([days.dt.strftime(fmt), pl.Series("d", [None], dtype=pl.Utf8)])


def date_series(name: str, days: np.ndarray, fmt: str = "%Y-%m-%d") -> pl.Series:
    """Day numbers as a date string column (null where negative), via a lookup table (no Python strings)."""
    d = np.asarray(days, dtype=np.int64)
    lut = _iso_lut(fmt)
    idx = np.where(d >= 0, np.clip(d - LUT_START, 0, len(lut) - 2), len(lut) - 1)
    return lut.gather(idx).alias(name)


def str_series(name: str, values: np.ndarray) -> pl.Series:
    """Object array of str/None as a string column ("" and None become null)."""
    s = pl.Series(name, np.asarray(values, dtype=object).tolist(), dtype=pl.Utf8)
    return pl.select(pl.when(s == "").then(None).otherwise(s).alias(name)).to_series()
