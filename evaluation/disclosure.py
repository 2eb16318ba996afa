"""Small-number suppression for site views (csc-data-standards §7.4).

1. Primary: counts 1 to ``threshold - 1`` (default 1-5) become ``c``. A true zero stays 0.
2. Secondary, so suppressed cells cannot be recovered by subtraction:
   * within a row, where shown parts add up to a shown total (``additive``: e.g. scored + missing
     = eligible), a lone suppressed part takes the next-smallest part with it;
   * down a column, within a group of rows that partition a total (``group_by``: e.g. the sex
     subgroups of one site, measure and timepoint), a lone suppressed cell takes the
     next-smallest non-zero cell of the group with it.
3. Rates derived from a suppressed count are suppressed too (numerator and denominator both
   count); a missing rate stays missing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import polars as pl

__all__ = ["SUPPRESSED", "suppress_small_counts"]

SUPPRESSED = "c"


def _secondary_pick(cells: list[tuple[int, str]], values: dict[tuple[int, str], int],
                    masked: set[tuple[int, str]]) -> tuple[int, str] | None:
    """The next-smallest non-zero unmasked cell among ``cells`` (None if there is none)."""
    open_cells = [c for c in cells if c not in masked and values.get(c)]
    return min(open_cells, key=lambda c: values[c]) if open_cells else None


def suppress_small_counts(
    frame: pl.DataFrame,
    counts: Sequence[str],
    rates: Sequence[str] = (),
    threshold: int = 6,
    additive: Sequence[tuple[str, Sequence[str]]] = (),
    group_by: Sequence[str] = (),
) -> pl.DataFrame:
    """Return ``frame`` with count columns as strings: ``c`` where suppressed (rules above).

    Args:
        frame: the table (one row per cell line).
        counts: count columns to protect.
        rates: columns derived from the counts (blanked on any row with a suppressed count).
        threshold: counts from 1 to ``threshold - 1`` are suppressed.
        additive: ``(total, parts)`` column relations within a row.
        group_by: columns whose value combinations form groups of rows partitioning a total.

    Example:
        >>> df = pl.DataFrame({"n": [0, 3, 12], "share": [0.0, 0.5, 0.9]})
        >>> suppress_small_counts(df, ["n"], ["share"])["n"].to_list()
        ['0', 'c', '12']
    """
    present = [c for c in counts if c in frame.columns]
    if not present or frame.height == 0:
        return frame
    values: dict[tuple[int, str], int] = {}
    for col in present:
        for i, v in enumerate(frame[col].to_list()):
            if v is not None:
                values[(i, col)] = int(v)
    masked = {cell for cell, v in values.items() if 0 < v < threshold}
    groups: dict[tuple, list[int]] = defaultdict(list)
    if group_by:
        for i, key in enumerate(frame.select(list(group_by)).iter_rows()):
            groups[key].append(i)
    rel = [(t, [p for p in parts if p in present]) for t, parts in additive if t in present]
    changed = True
    while changed:
        changed = False
        for i in range(frame.height):
            for total, parts in rel:
                hidden = [p for p in parts if (i, p) in masked]
                if len(hidden) == 1 and (i, total) not in masked:
                    pick = _secondary_pick([(i, p) for p in parts], values, masked)
                    if pick is not None:
                        masked.add(pick)
                        changed = True
        for rows in groups.values():
            if len(rows) < 2:
                continue
            for col in present:
                cells = [(i, col) for i in rows]
                if sum(c in masked for c in cells) == 1:
                    pick = _secondary_pick(cells, values, masked)
                    if pick is not None:
                        masked.add(pick)
                        changed = True
    hidden_rows = {i for i, _ in masked}
    out = {}
    for col in present:
        out[col] = [
            None if v is None else (SUPPRESSED if (i, col) in masked else str(int(v)))
            for i, v in enumerate(frame[col].to_list())
        ]
    for col in (r for r in rates if r in frame.columns):
        out[col] = [
            None if v is None else (SUPPRESSED if i in hidden_rows else str(round(float(v), 3)))
            for i, v in enumerate(frame[col].to_list())
        ]
    return frame.with_columns([pl.Series(col, vals, dtype=pl.Utf8) for col, vals in out.items()])
