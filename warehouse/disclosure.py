"""Statistical disclosure control: the one policy and engine for every figure that leaves the server.

The dashboard, downloads, CLI reports for a site, linkage JSON for sites and readiness output all
use this module; no other package defines a threshold, a symbol or a legend.

Counts from 1 to ``policy.suppress_max`` (DfE rule: 1-5) become ``[c]``; a rate whose numerator or
denominator is suppressed becomes ``[c]`` too; and where rows of a group add up to a total that
is shown elsewhere, a group with exactly one suppressed count loses its next-smallest count as
well (secondary suppression), so a total minus the others cannot reveal it. True zeros stay 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

SUPPRESSED = "[c]"
NOT_APPLICABLE = "[z]"
NOT_AVAILABLE = "[x]"
LOW = "[low]"

__all__ = [
    "DEFAULT_POLICY", "Disclosure", "DisclosurePolicy", "LEGEND", "LOW", "NOT_APPLICABLE", "NOT_AVAILABLE",
    "SUPPRESSED", "is_revealing_count", "legend_rows",
]

LEGEND: tuple[tuple[str, str], ...] = (
    (SUPPRESSED, "confidential: a count from 1 to 5, a figure derived from one, or a cell hidden so a "
                 "total cannot reveal one (secondary suppression)"),
    (NOT_APPLICABLE, "not applicable: not collected at this site"),
    (NOT_AVAILABLE, "not available: no data yet for this figure"),
    (LOW, "rounds to 0 but is not 0"),
)


@dataclass(frozen=True)
class DisclosurePolicy:
    """The one disclosure policy: which counts are hidden, with which symbol, explained how.

    Args:
        suppress_max: largest count that is hidden (DfE and the study: counts of 1-5).
        symbol: what a hidden cell shows.
        legend: (symbol, meaning) rows printed beside every table that leaves the server.
    """

    suppress_max: int = 5
    symbol: str = SUPPRESSED
    legend: tuple[tuple[str, str], ...] = LEGEND

    def hides(self, count: int | float | None) -> bool:
        """True when ``count`` must not be published (1 to ``suppress_max``; 0 is shown)."""
        return count is not None and 1 <= count <= self.suppress_max


#: The study's policy; settings that expose a threshold build a policy from it, never a copy of the rule.
DEFAULT_POLICY = DisclosurePolicy()


@dataclass(frozen=True)
class Disclosure:
    """Which columns of a table are counts, which rates derive from which counts.

    Args:
        counts: columns holding counts of people or records.
        rates: rate column -> the count columns it was computed from.
        groups: columns whose distinct values form groups adding up to a shown total
            (secondary suppression is applied within each group, per count column).
        suppress_max: largest count that is suppressed.
        row_linked: when any count in a row is hidden, hide every count in that row (for rows whose
            counts are arithmetically tied, e.g. ``missing = eligible - scored`` or a funnel's ``n``/``lost``).
    """

    counts: tuple[str, ...] = ()
    rates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    groups: tuple[str, ...] | None = None
    suppress_max: int = DEFAULT_POLICY.suppress_max
    row_linked: bool = False

    def apply(self, df: pl.DataFrame) -> pl.DataFrame:
        """Return ``df`` with suppressed cells replaced by ``[c]`` (affected columns become text)."""
        if df.is_empty():
            return df
        hide: dict[str, pl.Series] = {}
        for col in self.counts:
            if col in df.columns:
                v = df[col]
                hide[col] = ((v >= 1) & (v <= self.suppress_max)).fill_null(False)
        if self.groups is not None:
            hide = self._secondary(df, hide)
        if self.row_linked and hide:
            anyrow = pl.Series([False] * df.height)
            for mask in hide.values():
                anyrow = anyrow | mask
            for col in hide:
                hide[col] = anyrow & df[col].is_not_null()
        for rate, sources in self.rates.items():
            if rate in df.columns:
                mask = pl.Series([False] * df.height)
                for src in sources:
                    if src in hide:
                        mask = mask | hide[src]
                hide[rate] = mask
        out = df
        for col, mask in hide.items():
            out = out.with_columns(_masked(out[col], mask).alias(col))
        return out

    def _secondary(self, df: pl.DataFrame, hide: dict[str, pl.Series]) -> dict[str, pl.Series]:
        keys = list(self.groups or ())
        idx = pl.Series("_i", range(df.height))
        result = dict(hide)
        for col, mask in hide.items():
            mask_list = mask.to_list()
            frame = df.select([*keys, col]).with_columns(idx, pl.Series("_h", mask_list))
            parts = frame.partition_by(keys) if keys else [frame]
            for part in parts:
                if part["_h"].sum() != 1:
                    continue
                candidates = part.filter(~pl.col("_h") & pl.col(col).is_not_null() & (pl.col(col) > 0))
                if candidates.is_empty():
                    continue
                pick = candidates.sort(col)["_i"][0]
                mask_list[pick] = True
            result[col] = pl.Series(mask_list)
        return result


def _masked(values: pl.Series, mask: pl.Series) -> pl.Series:
    text = values.cast(pl.Utf8) if values.dtype != pl.Utf8 else values
    if values.dtype in (pl.Float32, pl.Float64):
        text = values.round(4).cast(pl.Utf8)
    return pl.select(pl.when(pl.Series(mask)).then(pl.lit(SUPPRESSED)).otherwise(text)).to_series()


def is_revealing_count(value: object, suppress_max: int = DEFAULT_POLICY.suppress_max) -> bool:
    """True when ``value`` is a count that should have been suppressed (used by tests and checks)."""
    try:
        number = float(str(value).replace(",", ""))
    except ValueError:
        return False
    return number.is_integer() and 1 <= number <= suppress_max


def legend_rows(symbols: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """The symbols legend (all of it, or only the given symbols)."""
    return [row for row in LEGEND if symbols is None or row[0] in symbols]
