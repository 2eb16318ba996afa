"""Day numbers: every date in the generator is an integer count of days since 1900-01-01.

Day 0 (1900-01-01) was a Monday and every real date in the world is after it, so ``-1`` can mean
"no date". Formatting goes through a lookup table (one string per day from 1920 to 2035), which
is what makes writing a million dates cheap.
"""

from __future__ import annotations

import functools
from datetime import date

import numpy as np
import polars as pl

EPOCH = date(1900, 1, 1)
UNIX_OFFSET = 25_567  # day number of 1970-01-01
YEAR = 365.25


def day(d: date) -> int:
    """Day number of a date."""
    return (d - EPOCH).days


def weekday(d: np.ndarray) -> np.ndarray:
    """Monday=0 ... Sunday=6 for day numbers."""
    return d % 7


def next_weekday(d: np.ndarray) -> np.ndarray:
    """The same day, or the Monday after a Saturday or Sunday."""
    wd = weekday(d)
    return d + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


LUT_START = day(date(1920, 1, 1))
LUT_END = day(date(2035, 12, 31))


@functools.lru_cache(maxsize=8)
def date_lut(fmt: str) -> pl.Series:
    """Every day of the table formatted with ``fmt``, then a null slot (for absent dates)."""
    days = pl.Series("d", np.arange(LUT_START, LUT_END + 1, dtype=np.int32) - UNIX_OFFSET).cast(pl.Date)
    return pl.concat([days.dt.strftime(fmt), pl.Series("d", [None], dtype=pl.Utf8)])


def date_index(days: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """Positions in a :func:`date_lut`: the null slot for negative days or where not ``present``."""
    d = np.asarray(days, dtype=np.int64)
    n_slots = LUT_END - LUT_START + 2
    ok = d >= 0 if present is None else (d >= 0) & present
    return np.where(ok, np.clip(d - LUT_START, 0, n_slots - 2), n_slots - 1)


def date_series(name: str, days: np.ndarray, fmt: str = "%Y-%m-%d") -> pl.Series:
    """Day numbers formatted with ``fmt`` as a string column (null where negative), without Python strings."""
    return date_lut(fmt).gather(date_index(days)).alias(name)
