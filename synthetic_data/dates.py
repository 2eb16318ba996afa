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
def _date_lut(fmt: str) -> np.ndarray:
    days = pl.Series("d", np.arange(LUT_START, LUT_END + 1, dtype=np.int32) - UNIX_OFFSET).cast(pl.Date)
    table = days.dt.strftime(fmt).to_numpy().astype(object)
    return np.concatenate([table, np.array([""], dtype=object)])  # last slot: absent date


def fmt_date_array(days: np.ndarray, fmt: str) -> np.ndarray:
    """Format day numbers with ``fmt`` via the lookup table; negative day numbers become ``""``."""
    d = np.asarray(days, dtype=np.int64)
    lut = _date_lut(fmt)
    idx = np.where(d >= 0, np.clip(d - LUT_START, 0, len(lut) - 2), len(lut) - 1)
    return lut[idx]


def fmt_dates(days: np.ndarray, fmt: str) -> list[str]:
    """Format day numbers with ``fmt``; negative day numbers become empty strings."""
    return fmt_date_array(days, fmt).tolist()
