"""Projection and funnel arithmetic; halving retention or linkage recall lengthens the timeline."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from evaluation.timeline import Step, expected_counts, funnel_rows, monthly_referrals, project


def test_projection_arithmetic():
    # 12 referrals/month x 0.7 consent x 0.8 baseline x 0.6 retention = 4.032 analysable/month
    steps = [Step("consented", 0.7, "default"), Step("baseline_scored", 0.8, "observed"),
             Step("followed_up", 0.6, "observed")]
    p = project(352, 12.0, steps)
    assert p.analysable_per_month == pytest.approx(4.032)
    assert p.months_to_target == pytest.approx(352 / 4.032)
    assert p.months_to_target_whole == 88


def test_nothing_analysable_means_no_timeline():
    p = project(100, 5.0, [Step("consented", 0.7, "default"), Step("followed_up", 0.0, "observed")])
    assert p.months_to_target is None and p.months_to_target_whole is None


@pytest.mark.parametrize("which", ["followed_up", "linked"])
def test_halving_a_rate_doubles_the_timeline(which):
    rates = {"consented": 0.7, which: 0.8}
    base = project(300, 10.0, [Step(k, v, "observed") for k, v in rates.items()])
    halved = project(300, 10.0, [Step(k, v / 2 if k == which else v, "observed") for k, v in rates.items()])
    assert halved.months_to_target > base.months_to_target
    assert halved.months_to_target == pytest.approx(2 * base.months_to_target)


@pytest.mark.parametrize(("monthly", "rates", "target"), [
    (12.0, (0.7, 0.83, 0.61), 352), (2.3, (0.7, 0.93), 128), (0.9, (0.55, 0.41, 0.77), 90), (40.0, (0.99,), 17),
])
def test_funnel_adds_up_and_reaches_the_target(monthly, rates, target):
    steps = [Step(f"s{i}", r, "observed") for i, r in enumerate(rates)]
    p = project(target, monthly, steps)
    rows = funnel_rows("x", "o", expected_counts(monthly, steps, p.months_to_target_whole), steps,
                       p.months_to_target_whole)
    assert [r["step_no"] for r in rows] == list(range(1, len(rates) + 2))
    assert rows[0]["lost"] == 0 and rows[0]["n"] == round(monthly * p.months_to_target_whole)
    for prev, row in zip(rows, rows[1:], strict=False):
        assert row["n"] == prev["n"] - row["lost"]       # each step adds up exactly
        assert row["lost"] >= 0
    assert rows[-1]["n"] >= target                      # enough people by the projected month
    assert sum(r["lost"] for r in rows) == rows[0]["n"] - rows[-1]["n"]


def test_monthly_referrals_uses_the_trailing_window():
    dates = pl.Series([date(2020, 1, 1)] + [date(2024, m, 10) for m in range(1, 13)] * 2)
    assert monthly_referrals(dates, date(2024, 12, 31), 12) == pytest.approx(2.0)
    assert monthly_referrals(pl.Series([], dtype=pl.Date), date(2024, 12, 31), 12) == 0.0
    # less history than the window: the observed span is the denominator
    short = pl.Series([date(2024, 10, 1), date(2024, 11, 1), date(2024, 12, 31)])
    assert monthly_referrals(short, date(2024, 12, 31), 12) == pytest.approx(3 / (91 / 30.4375))
