"""Projected months to a target sample, and the funnel of losses on the way (pure functions).

    analysable per month = referrals per month × Π(step rates)
    months to target     = target_n ÷ analysable per month

Steps: for a questionnaire outcome, consent → baseline scored → followed up (retention); for an
outcome taken from CSC records, consent → linked (a child whose record linkage misses cannot be
followed up in social care records). The funnel is a **projection**: expected people over a
horizon (the months to target when that is within the study period, else the study period),
each step's expected value rounded to a whole person, so ``n[k] = n[k-1] - lost[k]`` exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from evaluation.completeness import DAYS_PER_MONTH, months_before

__all__ = ["Projection", "Step", "funnel_horizon", "funnel_rows", "monthly_referrals", "project", "referral_flow",
           "years"]


@dataclass(frozen=True)
class Step:
    """One loss step: its name, the share kept, and where the rate came from."""

    name: str
    rate: float
    source: str  # observed | default | linkage_metrics | setting


@dataclass(frozen=True)
class Projection:
    """Months to reach ``target_n`` analysable people from a referral flow and loss steps."""

    target_n: int
    monthly_referrals: float
    steps: tuple[Step, ...]
    analysable_per_month: float
    months_to_target: float | None
    months_to_target_whole: int | None


def project(target_n: int, monthly: float, steps: Sequence[Step]) -> Projection:
    """Project the months to ``target_n`` (``None`` when nothing analysable accrues).

    Example:
        >>> p = project(100, 10.0, [Step("consented", 0.5, "default")])
        >>> p.analysable_per_month, p.months_to_target, p.months_to_target_whole
        (5.0, 20.0, 20)
    """
    per_month = monthly * math.prod(s.rate for s in steps)
    if per_month <= 0:
        return Projection(target_n, monthly, tuple(steps), 0.0, None, None)
    months = target_n / per_month
    return Projection(target_n, monthly, tuple(steps), per_month, months, math.ceil(months - 1e-9))


def years(months: float | None) -> float | None:
    """Months as years (None stays None).

    Example:
        >>> years(30.0)
        2.5
    """
    return None if months is None else months / 12.0


def funnel_horizon(months_whole: int | None, study_period_months: int) -> int:
    """The months a projected funnel covers: to the target when it is reached within the study
    period, otherwise the study period itself (a projection never runs past the study)."""
    if months_whole is not None and months_whole <= study_period_months:
        return months_whole
    return study_period_months


def expected_counts(monthly: float, steps: Sequence[Step], horizon: int) -> list[float]:
    """Expected people left after each step (first = referred) over ``horizon`` months."""
    values = [monthly * horizon]
    for s in steps:
        values.append(values[-1] * s.rate)
    return values


def funnel_rows(
    site: str, outcome: str, expected: Sequence[float], steps: Sequence[Step], horizon: int
) -> list[dict[str, object]]:
    """Funnel rows from expected counts: each rounded (half up); ``lost`` the difference, so the
    rows add up exactly. Rounding is monotone, so ``n`` never rises along the funnel."""
    names = ["referred", *[s.name for s in steps]]
    rates: list[float | None] = [None, *[s.rate for s in steps]]
    sources = ["observed", *[s.source for s in steps]]
    rows: list[dict[str, object]] = []
    prev: int | None = None
    for i, (name, value) in enumerate(zip(names, expected, strict=True)):
        n = int(math.floor(value + 0.5 + 1e-9))
        rows.append({
            "site_id": site, "outcome": outcome, "horizon_months": horizon, "step_no": i + 1, "step": name,
            "n": n, "lost": 0 if prev is None else prev - n, "rate": rates[i], "source": sources[i],
        })
        prev = n
    return rows


def referral_flow(referral_dates: pl.Series, as_of: date, window_months: int) -> tuple[int, float]:
    """Referrals counted and the months they span: the trailing window ending at ``as_of``, or the
    span actually observed when the data is shorter.

    Example:
        >>> s = pl.Series([date(2022, 1, 15), date(2024, 6, 1), date(2024, 12, 1), date(2024, 12, 31)])
        >>> referral_flow(s, date(2024, 12, 31), 12)
        (3, 12.0)
    """
    dates = referral_dates.drop_nulls()
    if dates.len() == 0:
        return 0, float(window_months)
    start = months_before(as_of, window_months)
    first = dates.min()
    assert isinstance(first, date)
    if first > start:  # less data than the window: use the span actually observed
        months = max(1.0, (as_of - first).days / DAYS_PER_MONTH)
        mask = (dates >= first) & (dates <= as_of)
    else:
        months = float(window_months)
        mask = (dates > start) & (dates <= as_of)
    return int(mask.sum()), months


def monthly_referrals(referral_dates: pl.Series, as_of: date, window_months: int) -> float:
    """Referrals per month over the trailing window ending at ``as_of`` (shorter if the data is).

    Example:
        >>> s = pl.Series([date(2022, 1, 15), date(2024, 6, 1), date(2024, 12, 1), date(2024, 12, 31)])
        >>> monthly_referrals(s, date(2024, 12, 31), 12)
        0.25
    """
    count, months = referral_flow(referral_dates, as_of, window_months)
    return count / months
