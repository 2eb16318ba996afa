"""Small-number suppression for site views (csc-data-standards §7.4: counts 1-5 -> ``c``).

Rates derived from a suppressed count are suppressed too, because numerator and denominator
both count. A true zero is shown as 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

__all__ = ["SUPPRESSED", "suppress_small_counts"]

SUPPRESSED = "c"


def suppress_small_counts(
    frame: pl.DataFrame,
    counts: Sequence[str],
    rates: Sequence[str] = (),
    threshold: int = 6,
) -> pl.DataFrame:
    """Return ``frame`` with count columns as strings, ``c`` where 0 < count < ``threshold``.

    Each rate column is blanked to ``c`` on any row where one of the counts was suppressed.

    Example:
        >>> df = pl.DataFrame({"n": [0, 3, 12], "share": [0.0, 0.5, 0.9]})
        >>> suppress_small_counts(df, ["n"], ["share"])["n"].to_list()
        ['0', 'c', '12']
    """
    present = [c for c in counts if c in frame.columns]
    if not present:
        return frame
    small = pl.any_horizontal([(pl.col(c) > 0) & (pl.col(c) < threshold) for c in present]).fill_null(False)
    exprs = [
        pl.when((pl.col(c) > 0) & (pl.col(c) < threshold)).then(pl.lit(SUPPRESSED))
        .otherwise(pl.col(c).cast(pl.Int64).cast(pl.Utf8)).alias(c)
        for c in present
    ]
    exprs += [
        pl.when(small).then(pl.lit(SUPPRESSED))
        .otherwise(pl.col(r).round(3).cast(pl.Utf8)).alias(r)
        for r in rates if r in frame.columns
    ]
    return frame.with_columns(exprs)
