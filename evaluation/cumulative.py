"""Cumulative series a site may see without any monthly count of 1-5 falling out by subtraction.

A cumulative column published month by month gives every monthly count as the difference of two
consecutive values. :func:`safe_cumulative_timeline` declares the series to the one disclosure
engine (:class:`warehouse.disclosure.Cumulative`, with the nested columns as
:class:`~warehouse.disclosure.Nested` pairs), which publishes a point only where every change
since the last published point, of each column and of each whole minus its part, is 0 or above
the threshold. The points it holds back are not shown as ``[c]`` here: they are folded into the
next published point, whose ``period_start`` says where its period began, so the series becomes
coarser exactly where numbers are small. Months after the last safe point wait for later data.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from warehouse.disclosure import DEFAULT_POLICY, Cumulative, Disclosure, DisclosurePolicy, Nested
from warehouse.errors import ConfigError

__all__ = ["safe_cumulative_timeline"]


def safe_cumulative_timeline(
    monthly: pl.DataFrame,
    counts: Sequence[str],
    period: str = "month",
    by: Sequence[str] = ("site_id",),
    nested: bool = True,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> pl.DataFrame:
    """Cumulative counts per group, published only at points where no count of 1-5 can be recovered.

    Args:
        monthly: one row per group and period with the period's own (not cumulative) counts.
        counts: the count columns, outermost first when ``nested`` (e.g. referred, with_baseline,
            evaluable).
        period: the column ordering the rows (a date or month label that sorts in time).
        by: the group columns (e.g. site_id).
        nested: each column is a subset of the one before it, so their differences are counts too.
        policy: the disclosure policy (its ``suppress_max``).

    Returns:
        ``by`` columns, ``period_start`` (first period folded into the point), ``period`` (last
        period included) and the cumulative ``counts`` at that point, as integers.

    Raises:
        ConfigError: a named column is missing, or a count is negative.

    Example:
        >>> m = pl.DataFrame({"site_id": ["a"] * 4, "month": [1, 2, 3, 4], "referred": [7, 3, 4, 9]})
        >>> out = safe_cumulative_timeline(m, ["referred"], nested=False)
        >>> out["period_start"].to_list(), out["month"].to_list(), out["referred"].to_list()
        ([1, 2, 4], [1, 3, 4], [7, 14, 23])
    """
    missing = [c for c in (*counts, period, *by) if c not in monthly.columns]
    if missing:
        raise ConfigError(f"timeline columns {missing} not in the frame (columns: {monthly.columns}); "
                          "pass the names of its count, period and group columns")
    frame = monthly.with_columns([pl.col(c).fill_null(0).cast(pl.Int64) for c in counts])
    if frame.height and any((frame[c] < 0).any() for c in counts):
        raise ConfigError(f"negative counts in {list(counts)}; pass each period's own counts, not differences")
    frame = frame.sort([*by, period]).with_columns(
        [pl.col(c).cum_sum().over(list(by)) if by else pl.col(c).cum_sum() for c in counts])
    pairs = tuple(Nested(part, whole) for whole, part in zip(counts, counts[1:], strict=False)) if nested else ()
    engine = Disclosure(counts=tuple(counts), nested=pairs, suppress_max=policy.suppress_max,
                        cumulative=Cumulative(tuple(counts), (period,), tuple(by)))
    shown = engine.apply(frame)
    visible = pl.all_horizontal([pl.col(c).cast(pl.Utf8) != policy.symbol for c in counts])
    flagged = frame.with_columns(shown.select(visible.alias("_shown")))
    flagged = flagged.with_columns(
        pl.when(pl.col("_shown").shift(1, fill_value=True).over(list(by)) if by
                else pl.col("_shown").shift(1, fill_value=True))
        .then(pl.col(period)).otherwise(None).alias("period_start"))
    flagged = flagged.with_columns(
        pl.col("period_start").forward_fill().over(list(by)) if by else pl.col("period_start").forward_fill())
    out = flagged.filter(pl.col("_shown"))
    return out.select([*by, "period_start", period, *counts])
