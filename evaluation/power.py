"""Pure power and sample-size functions (no data, no store): the dashboard may call these.

Two-sample t-test power (two-sided), as in Cohen (1988) and statsmodels ``TTestIndPower``:

    n2 = r·n1,  df = n1 + n2 - 2,  δ = d·sqrt(n1·n2 / (n1 + n2)),  c = t_{1-α/2, df}
    power = P(T'_{df,δ} > c) + P(T'_{df,δ} < -c)            (T' noncentral t)

The required n1 solves power(n1) = target (Brent's method). Design effects: cluster randomised
``1 + (m - 1)·ICC`` (Donner & Klar 2000); matched comparison a stated inflation factor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import optimize, stats

from evaluation.settings import DesignSettings
from warehouse.errors import ConfigError

__all__ = ["SampleSizeTarget", "design_effect", "n_per_arm", "required_sample", "ttest_ind_power"]


def ttest_ind_power(effect_size: float, n1: float, alpha: float = 0.05, ratio: float = 1.0) -> float:
    """Power of a two-sided two-sample t-test with ``n1`` and ``ratio·n1`` per arm.

    Example:
        >>> round(ttest_ind_power(0.5, 64), 3)
        0.801
    """
    if n1 <= 1 or ratio * n1 <= 1:
        raise ConfigError(f"n1={n1}, ratio={ratio}: each arm needs more than one participant")
    n2 = ratio * n1
    df = n1 + n2 - 2
    nc = effect_size * math.sqrt(n1 * n2 / (n1 + n2))
    crit = stats.t.isf(alpha / 2.0, df)
    power = float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))
    if math.isnan(power):  # scipy's noncentral t fails far in the tail (power ~ 1): normal approximation
        power = float(stats.norm.sf(crit - nc) + stats.norm.cdf(-crit - nc))
    return power


def n_per_arm(effect_size: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0) -> float:
    """Unrounded n1 (intervention arm) giving the target power; n2 = ``ratio·n1``.

    Example:
        >>> round(n_per_arm(0.5), 2)
        63.77
    """
    if effect_size <= 0:
        raise ConfigError(f"effect size {effect_size}; give a positive standardised effect, e.g. 0.3")
    if not alpha < power < 1:
        raise ConfigError(f"power {power}; give a value between alpha ({alpha}) and 1")
    low = 1.0 + 1.0 / min(ratio, 1.0) + 1e-9  # both arms above one participant
    high = 10.0
    while ttest_ind_power(effect_size, high, alpha, ratio) < power:
        high *= 2
        if high > 1e9:
            raise ConfigError(f"effect size {effect_size} is too small to reach power {power}")
    if ttest_ind_power(effect_size, low, alpha, ratio) >= power:
        return low
    return float(optimize.brentq(
        lambda n: ttest_ind_power(effect_size, n, alpha, ratio) - power, low, high, xtol=1e-12, rtol=1e-14
    ))


def design_effect(design: DesignSettings) -> float:
    """Variance inflation of the design: 1 (individual RCT), 1 + (m - 1)·ICC (cluster), or the
    matched-comparison factor."""
    if design.design == "cluster_rct":
        return 1.0 + (design.cluster_size - 1.0) * design.icc
    if design.design == "matched_comparison":
        return design.matched_design_effect
    return 1.0


@dataclass(frozen=True)
class SampleSizeTarget:
    """The sample a design needs.

    Attributes:
        n_per_arm: unrounded t-test n for the intervention arm, before the design effect.
        design_effect: the inflation applied.
        n_intervention, n_control: rounded-up analysable participants per arm after it.
        target_n: analysable participants the sites must supply (both arms for randomised
            designs; the intervention arm only for a matched comparison).
        clusters_per_arm: for cluster RCTs, ``ceil(n_intervention / m)``.
    """

    design: DesignSettings
    n_per_arm: float
    design_effect: float
    n_intervention: int
    n_control: int
    target_n: int
    clusters_per_arm: int | None


def required_sample(design: DesignSettings) -> SampleSizeTarget:
    """Required analysable sample for a design.

    Example:
        >>> required_sample(DesignSettings(mdes=0.5)).target_n
        128
    """
    problems = design.problems()
    if problems:
        raise ConfigError("invalid design settings: " + "; ".join(problems))
    n1 = n_per_arm(design.mdes, design.alpha, design.power, design.allocation_ratio)
    de = design_effect(design)
    n_int = math.ceil(n1 * de - 1e-9)
    n_ctl = math.ceil(n1 * design.allocation_ratio * de - 1e-9)
    target = n_int if design.design == "matched_comparison" else n_int + n_ctl
    clusters = math.ceil(n_int / design.cluster_size - 1e-9) if design.design == "cluster_rct" else None
    return SampleSizeTarget(design, n1, de, n_int, n_ctl, target, clusters)
