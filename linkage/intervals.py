"""95% intervals for every linkage figure: closed forms where they fit.

- a proportion: Wilson score interval (with a finite-population correction when the sample is a
  large share of a known population);
- F1: bounds from the precision and recall intervals (F1 rises with both, so the box's corners
  bound it);
- the largest gap between subgroups: bounds from the groups' intervals (if every group's interval
  holds its value, the gap lies between the lowest and highest differences they allow);
- a stratified (Horvitz-Thompson) ratio from a clerical review sample: linearised variance.

The sample size a clerical review needs for a target interval width is here too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.96


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95% interval and the method that produced both."""

    value: float | None
    low: float | None
    high: float | None
    method: str

    @property
    def width(self) -> float | None:
        """``high - low`` (None without an interval)."""
        return None if self.low is None or self.high is None else self.high - self.low


def wilson(k: float, n: float, z: float = Z95) -> tuple[float | None, float | None]:
    """Wilson score 95% interval for ``k`` successes out of ``n`` (None, None when n is 0).

    Example:
        >>> lo, hi = wilson(8, 10)
        >>> round(lo, 3), round(hi, 3)
        (0.49, 0.943)
    """
    if n <= 0:
        return None, None
    p = min(max(k / n, 0.0), 1.0)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # at p = 0 or 1 the limit is exactly 0 or 1 (rounding must not put the value outside)
    return (0.0 if p <= 0 else max(0.0, centre - half)), (1.0 if p >= 1 else min(1.0, centre + half))


def wilson_fpc(k: float, n: float, population: float, z: float = Z95) -> tuple[float | None, float | None]:
    """Wilson interval for a sample of ``n`` from a finite ``population`` (the sample is a share of it,
    so the effective sample size is ``n / (1 - n/population)``; capped at ten times ``n``).

    Example:
        >>> [round(x, 3) for x in wilson_fpc(72, 80, 88)]     # 80 of 88: far narrower than wilson(72, 80)
        [0.877, 0.919]
    """
    if n <= 0:
        return None, None
    share = min(n / population, 0.9) if population > 0 else 0.0
    n_eff = n / (1.0 - share)
    return wilson(k * n_eff / n, n_eff, z)


def f1(p: float | None, r: float | None) -> float | None:
    """Harmonic mean of precision and recall (0 when both are 0; None when either is unknown)."""
    if p is None or r is None:
        return None
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def f1_interval(precision: Estimate, recall: Estimate) -> Estimate:
    """F1 with bounds from the corners of the precision x recall box.

    Example:
        >>> e = f1_interval(Estimate(0.9, 0.8, 0.95, "a"), Estimate(0.5, 0.4, 0.6, "b"))
        >>> round(e.value, 3), round(e.low, 3), round(e.high, 3)
        (0.643, 0.533, 0.735)
    """
    return Estimate(
        f1(precision.value, recall.value), f1(precision.low, recall.low), f1(precision.high, recall.high),
        "bounds from the precision and recall intervals",
    )


def product_interval(a: Estimate, b: Estimate, method: str, z: float = Z95) -> Estimate:
    """The product of two independent estimates in [0, 1], with a delta-method interval (each
    standard error read from its interval's half-width), clipped to [0, 1].

    Example:
        >>> e = product_interval(Estimate(0.8, 0.7, 0.9, ""), Estimate(0.95, 0.9, 1.0, ""), "m")
        >>> round(e.value, 3), round(e.low, 3), round(e.high, 3)
        (0.76, 0.657, 0.863)
    """
    if None in (a.value, a.low, a.high, b.value, b.low, b.high):
        return Estimate(None, None, None, method)
    av, bv = float(a.value), float(b.value)  # type: ignore[arg-type]
    se_a = (float(a.high) - float(a.low)) / (2 * z)  # type: ignore[arg-type]
    se_b = (float(b.high) - float(b.low)) / (2 * z)  # type: ignore[arg-type]
    half = z * math.sqrt((bv * se_a) ** 2 + (av * se_b) ** 2)
    value = av * bv
    return Estimate(value, max(0.0, value - half), min(1.0, value + half), method)


def gap_interval(groups: Sequence[tuple[float, float, float]]) -> Estimate:
    """Largest difference between groups' values, ``groups`` = (value, low, high) each.

    The interval holds every gap the groups' intervals allow together: from
    ``max(0, max(low) - min(high))`` to ``max(high) - min(low)``.

    Example:
        >>> e = gap_interval([(0.9, 0.85, 0.95), (0.6, 0.5, 0.7)])
        >>> round(e.value, 2), round(e.low, 2), round(e.high, 2)
        (0.3, 0.15, 0.45)
    """
    if len(groups) < 2:
        return Estimate(None, None, None, "fewer than two groups to compare")
    values = [g[0] for g in groups]
    lows = [g[1] for g in groups]
    highs = [g[2] for g in groups]
    return Estimate(max(values) - min(values), max(0.0, max(lows) - min(highs)), max(highs) - min(lows),
                    "bounds from the groups' intervals")


def sample_size(expected: float, half_width: float, population: int | None = None, z: float = Z95) -> int:
    """Pairs to review so that a proportion near ``expected`` has a 95% interval of +-``half_width``
    (finite-population corrected when ``population`` is given).

    Example:
        >>> sample_size(0.9, 0.05), sample_size(0.9, 0.05, population=300)
        (139, 95)
    """
    p = min(max(expected, 0.01), 0.99)
    n0 = z * z * p * (1 - p) / (half_width * half_width)
    if population:
        n0 = n0 / (1 + (n0 - 1) / population)
    return max(1, math.ceil(n0))


def stratified_ratio(strata: Sequence[tuple[int, Sequence[float], Sequence[float]]], z: float = Z95) -> Estimate:
    """Horvitz-Thompson ratio sum(y)/sum(x) over strata sampled without replacement.

    Args:
        strata: per stratum ``(N, ys, xs)``: its population size and the sampled units' ``y`` and
            ``x`` (e.g. y = reviewed as a match and linked, x = linked).

    The variance is the linearised (Taylor) variance of a stratified ratio with finite-population
    corrections; the interval is a Wilson interval on the effective sample size it implies
    (Korn-Graubard style), so a sample where every reviewed link was right still has an interval
    below 1 (with no variance to read, the effective size is the reviewed links, finite-population
    corrected). The effective size is capped at that same figure, so the interval is never narrower
    than one from the reviewed links alone.

    Example:
        >>> e = stratified_ratio([(346, [1.0] * 44 + [0.0] * 2, [1.0] * 44 + [0.0] * 2), (2, [1.0, 0.0], [1.0, 1.0])])
        >>> round(e.value, 4), round(e.low, 3), round(e.high, 3)   # was [0.997, 0.997] uncapped
        (0.997, 0.927, 1.0)
    """
    num = den = 0.0
    parts: list[tuple[float, float, list[float], list[float]]] = []  # N, n, ys, xs
    for size, ys, xs in strata:
        n = len(ys)
        if n == 0:
            continue
        w = size / n
        num += w * sum(ys)
        den += w * sum(xs)
        parts.append((float(size), float(n), list(ys), list(xs)))
    if den <= 0:
        return Estimate(None, None, None, "clerical review sample: no reviewed links")
    ratio = num / den
    var = 0.0
    for pop, m, ys, xs in parts:
        if m < 2:
            continue
        d = [y - ratio * x for y, x in zip(ys, xs, strict=True)]
        mean = sum(d) / m
        s2 = sum((v - mean) ** 2 for v in d) / (m - 1)
        var += pop * pop * (1 - m / pop) * s2 / m
    var_ratio = var / (den * den)
    reviewed = sum(sum(xs) for _, _, _, xs in parts)
    population = sum(size * sum(xs) / m for size, m, _, xs in parts)
    # the sample can never say more than the reviewed links themselves (finite-population corrected):
    # a stratum with one unanimous answer has no variance to read, and a tiny variance from a few
    # strata must not promise an interval narrower than reviewing every link would give
    cap = reviewed / (1 - min(reviewed / population, 0.9)) if population > 0 else reviewed
    n_eff = min(ratio * (1 - ratio) / var_ratio, cap) if var_ratio > 0 else cap
    lo, hi = wilson(ratio * n_eff, n_eff, z)
    return Estimate(ratio, lo, hi, "clerical review sample (stratified Horvitz-Thompson, Wilson on the effective size)")
