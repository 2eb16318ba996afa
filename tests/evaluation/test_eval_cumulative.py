"""A cumulative sample timeline a site may see: no monthly count of 1-5 recoverable by subtraction."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import safe_cumulative_timeline
from warehouse.errors import ConfigError

COUNTS = ["referred", "with_baseline", "evaluable"]


def monthly_frame(rows: list[tuple[str, int, int, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["site_id", "month", *COUNTS], orient="row")


def assert_safe(out: pl.DataFrame) -> None:
    """Every difference a reader could take between published figures is 0 or at least 6."""
    for _, g in out.group_by("site_id"):
        previous = [0, 0, 0]
        for row in g.sort("month").select(COUNTS).iter_rows():
            steps = [a - b for a, b in zip(row, previous, strict=True)]
            cells = [*steps, *row, steps[0] - steps[1], steps[1] - steps[2], row[0] - row[1], row[1] - row[2]]
            assert all(c == 0 or c >= 6 for c in cells), (row, previous)
            previous = list(row)


def test_the_issue_example_month_is_folded_into_a_coarser_period():
    # fbs December 2022: 3 referred, 2 with baseline, 2 evaluable, recoverable from consecutive totals
    m = monthly_frame([("fbs", 202211, 20, 12, 6), ("fbs", 202212, 3, 2, 2), ("fbs", 202301, 16, 11, 5)])
    out = safe_cumulative_timeline(m, COUNTS)
    assert out["month"].to_list() == [202211, 202301]           # December alone is never a published point
    jan = out.filter(pl.col("month") == 202301).row(0, named=True)
    assert jan["period_start"] == 202212                        # the point covers December and January
    assert (jan["referred"], jan["with_baseline"], jan["evaluable"]) == (39, 25, 13)   # totals unchanged
    assert_safe(out)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(0, 9)), min_size=1, max_size=18))
def test_no_difference_between_published_points_is_a_small_count(months):
    rows = []
    for i, (a, b, c) in enumerate(months):
        referred = a
        with_baseline = min(b, referred)
        rows.append(("sat", date(2023, 1, 1).replace(year=2023 + i // 12, month=i % 12 + 1), referred,
                     with_baseline, min(c, with_baseline)))
    m = monthly_frame(rows)
    out = safe_cumulative_timeline(m, COUNTS)
    assert_safe(out)
    totals = m.select(COUNTS).sum().row(0)
    if out.height:   # a published point always carries the true running totals to that month
        last = out.row(out.height - 1, named=True)
        upto = m.filter(pl.col("month") <= last["month"]).select(COUNTS).sum().row(0)
        assert (last["referred"], last["with_baseline"], last["evaluable"]) == upto
        assert all(u <= t for u, t in zip(upto, totals, strict=True))


def test_groups_are_separate_and_bad_input_is_refused():
    m = monthly_frame([("a", 1, 12, 6, 0), ("b", 1, 2, 1, 1), ("a", 2, 6, 0, 0)])
    out = safe_cumulative_timeline(m, COUNTS)
    assert out["site_id"].to_list() == ["a", "a"]               # b's total of 2 is never published
    with pytest.raises(ConfigError, match="not in the frame"):
        safe_cumulative_timeline(m, ["referrals"])
    with pytest.raises(ConfigError, match="negative counts"):
        safe_cumulative_timeline(m.with_columns(pl.lit(-1).alias("evaluable")), COUNTS)
