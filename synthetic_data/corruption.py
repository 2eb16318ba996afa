"""How a service's copy of a person differs from the LA's: the corruption model.

Each function takes numpy arrays and a boolean mask of rows to alter and returns new arrays, so
every rate is applied vectorised and recorded in the manifest (``WorldSettings``). Failure modes
from ``csc-data-standards.md`` §8.3 and calibration §8.3 / §11.3.
"""

from __future__ import annotations

from collections.abc import Container

import numpy as np

from synthetic_data import reference as ref
from synthetic_data.dates import UNIX_OFFSET

_VARIANT_OF: dict[str, tuple[str, ...]] = {}
for _group in ref.NAME_VARIANTS:
    for _name in _group:
        _VARIANT_OF.setdefault(_name, tuple(x for x in _group if x != _name))

_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def typo(names: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One keyboard-style error per selected name: swap, drop, double or substitute a letter."""
    out = names.copy()
    idx = np.flatnonzero(mask)
    kinds = rng.integers(0, 4, len(idx))
    for i, k in zip(idx, kinds, strict=True):
        s = out[i]
        if not isinstance(s, str) or len(s) < 4:
            continue
        p = int(rng.integers(1, len(s) - 1))
        if k == 0:
            s = s[:p] + s[p + 1] + s[p] + s[p + 2:]
        elif k == 1:
            s = s[:p] + s[p + 1:]
        elif k == 2:
            s = s[:p] + s[p] + s[p:]
        else:
            s = s[:p] + str(_LETTERS[int(rng.integers(0, 26))]) + s[p + 1:]
        out[i] = s
    return out


def nickname(names: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Replace a formal forename by a nickname where one is known (``William`` -> ``Will``)."""
    out = names.copy()
    for i in np.flatnonzero(mask):
        opts = ref.NICKNAMES.get(out[i])
        if opts:
            out[i] = opts[int(rng.integers(0, len(opts)))]
    return out


def spelling_variant(names: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Swap a name for a transliteration variant (``Muhammad`` -> ``Mohammed``) where one is known."""
    out = names.copy()
    for i in np.flatnonzero(mask):
        opts = _VARIANT_OF.get(out[i])
        if opts:
            out[i] = opts[int(rng.integers(0, len(opts)))]
    return out


def is_in(values: np.ndarray, keys: Container[str]) -> np.ndarray:
    """``np.isin`` for an object array of strings, by hashing (``np.isin`` sorts Python objects: slow)."""
    return np.fromiter((v in keys for v in values.tolist()), dtype=bool, count=len(values))


def has_variant(names: np.ndarray) -> np.ndarray:
    """Whether each name has a known spelling variant."""
    return is_in(names, _VARIANT_OF)


def has_nickname(names: np.ndarray) -> np.ndarray:
    """Whether each name has a known nickname."""
    return is_in(names, ref.NICKNAMES)


def swap_day_month(days: np.ndarray, mask: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Swap day and month of dates (day numbers) where the swap gives a different date not after ``upper``."""
    out = days.copy()
    idx = np.flatnonzero(mask & (days >= 0))
    if not len(idx):
        return out
    d = (days[idx] - UNIX_OFFSET).astype("datetime64[D]")
    y = d.astype("datetime64[Y]")
    m = (d.astype("datetime64[M]") - y.astype("datetime64[M]")).astype(int) + 1
    dd = (d - d.astype("datetime64[M]")).astype(int) + 1
    swapped = (y.astype("datetime64[M]") + (dd - 1)).astype("datetime64[D]") + (m - 1)
    ok = (dd <= 12) & (dd != m) & (swapped.astype(np.int64) + UNIX_OFFSET <= upper[idx])
    out[idx[ok]] = swapped[ok].astype(np.int64) + UNIX_OFFSET
    return out


def off_by_one(days: np.ndarray, mask: np.ndarray, rng: np.random.Generator, upper: np.ndarray) -> np.ndarray:
    """Move dates one day earlier or later (never past ``upper``)."""
    out = days.copy()
    idx = np.flatnonzero(mask & (days >= 0))
    delta = np.where(rng.random(len(idx)) < 0.5, -1, 1)
    out[idx] = np.minimum(days[idx] + delta, upper[idx])
    return out
