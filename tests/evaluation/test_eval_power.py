"""Power and sample size: agreement with statsmodels and with the design-effect formula."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.power import TTestIndPower

from evaluation.power import design_effect, n_per_arm, required_sample, ttest_ind_power
from evaluation.settings import DesignSettings, ReadinessSettings
from warehouse.errors import ConfigError

CASES = [  # (effect size, alpha, power, allocation ratio)
    (0.5, 0.05, 0.8, 1.0), (0.3, 0.05, 0.9, 1.0), (0.2, 0.01, 0.8, 2.0), (0.8, 0.05, 0.8, 0.5),
    (0.25, 0.05, 0.8, 1.0), (1.2, 0.10, 0.95, 1.0),
]


@pytest.mark.parametrize(("d", "alpha", "power", "ratio"), CASES)
def test_power_function_agrees_with_statsmodels(d, alpha, power, ratio):
    sm = TTestIndPower()
    for n in (5.0, 20.0, 63.5, 200.0, 1000.0):
        theirs = sm.power(d, n, alpha, ratio)
        if math.isnan(theirs):  # scipy's noncentral t gives up far in the tail; power is ~1 there
            assert ttest_ind_power(d, n, alpha, ratio) > 0.999
        else:
            assert ttest_ind_power(d, n, alpha, ratio) == pytest.approx(theirs, abs=1e-6)


@pytest.mark.parametrize(("d", "alpha", "power", "ratio"), CASES)
def test_required_n_agrees_with_statsmodels_solve_power(d, alpha, power, ratio):
    sm = TTestIndPower()
    mine = n_per_arm(d, alpha, power, ratio)
    theirs = sm.solve_power(effect_size=d, alpha=alpha, power=power, ratio=ratio)
    # statsmodels' own root finder stops at ~1e-6 relative; ours solves to 1e-12
    assert mine == pytest.approx(theirs, rel=1e-6)
    assert sm.power(d, mine, alpha, ratio) == pytest.approx(power, abs=1e-6)


def test_textbook_value_64_per_arm_for_d_half():
    # Cohen (1988): d = 0.5, alpha 0.05 two-sided, power 0.8 -> 64 per group
    target = required_sample(DesignSettings(mdes=0.5))
    assert math.ceil(target.n_per_arm) == 64
    assert (target.n_intervention, target.n_control, target.target_n) == (64, 64, 128)
    assert target.design_effect == 1.0 and target.clusters_per_arm is None


@pytest.mark.parametrize(("icc", "m"), [(0.05, 10), (0.02, 25), (0.1, 4), (0.0, 30)])
def test_cluster_design_effect_formula(icc, m):
    design = DesignSettings(design="cluster_rct", mdes=0.3, icc=icc, cluster_size=m)
    de = 1 + (m - 1) * icc
    assert design_effect(design) == pytest.approx(de)
    target = required_sample(design)
    base = n_per_arm(0.3)
    assert target.n_intervention == math.ceil(base * de - 1e-9)
    assert target.target_n == 2 * math.ceil(base * de - 1e-9)
    assert target.clusters_per_arm == math.ceil(target.n_intervention / m)


def test_matched_comparison_needs_only_the_treated_arm_from_sites():
    design = DesignSettings(design="matched_comparison", mdes=0.3, matched_design_effect=1.5)
    target = required_sample(design)
    assert target.design_effect == 1.5
    assert target.target_n == target.n_intervention == math.ceil(n_per_arm(0.3) * 1.5)


def test_invalid_design_reports_every_problem_at_once():
    with pytest.raises(ConfigError) as err:
        ReadinessSettings(design=DesignSettings(design="rct", mdes=0, alpha=0.7, power=0.3, icc=1.5),  # type: ignore[arg-type]
                          consent_rate=1.4)
    msg = str(err.value)
    for fragment in ("design 'rct'", "mdes 0", "alpha 0.7", "power 0.3", "icc 1.5", "consent_rate 1.4"):
        assert fragment in msg


def test_settings_round_trip_through_json_and_reject_unknown_keys():
    import json

    s = ReadinessSettings(design=DesignSettings(design="cluster_rct", icc=0.02), consent_rate=0.5,
                          retention_by_site={"fbs": 0.4})
    again = ReadinessSettings.from_mapping(json.loads(s.to_json()))
    assert again == s
    with pytest.raises(ConfigError, match=r"unknown setting 'consent'.*did you mean 'consent_rate'"):
        ReadinessSettings.from_mapping({"consent": 0.5})
