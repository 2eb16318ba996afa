"""Families and world size: twins per maternity, the CIN age mix, the sites' own flows, number drawing."""

from __future__ import annotations

import numpy as np
import pytest

from synthetic_data import reference as ref
from synthetic_data.families import (
    Calendar,
    age_band_index,
    decoy_age_target,
    decoy_age_weights,
    families_from_index,
    family_sizes,
    maternities_by_band,
    sample_index_age,
)
from synthetic_data.names import NamePools
from synthetic_data.population import World, build_world, calendar, real_world_children, unique_numbers
from synthetic_data.settings import WorldSettings
from synthetic_data.world import Streams
from warehouse.sites import LOCAL_AUTHORITIES

CAL = calendar(WorldSettings())


def test_twins_per_maternity_not_per_family() -> None:
    """14.6 twin births per 1,000 maternities (calibration §7.1), whatever the family size."""
    rng = np.random.default_rng(1)
    n = 200_000
    sizes = family_sizes(rng, n)
    kids = families_from_index(rng, sizes, np.full(n, 0.5), Calendar(CAL.reference, CAL.edd_max, 0.0146))
    births = np.unique(np.stack([kids["family"], kids["_offset"]]), axis=1).shape[1]
    twin_births = int(kids["is_twin"].sum()) // 2
    # about 270,000 maternities survive the under-18 cut: 3 standard errors is about 0.7 per 1,000
    assert abs(twin_births / births * 1000 - 14.6) < 1.0
    # a family of one maternity can still be a twin birth; the older rule gave twins only to the index child
    assert (kids["is_twin"] & (kids["_offset"] > 0)).any()


def test_decoy_ages_fitted_so_all_children_follow_the_cin_mix() -> None:
    target = tuple(b[2] for b in ref.CIN_AGE_BANDS)
    w = decoy_age_weights(target)
    rng = np.random.default_rng(7)
    n = 300_000
    kids = families_from_index(rng, family_sizes(rng, n), sample_index_age(rng, n, w), CAL)
    shares = np.bincount(age_band_index(kids["dob"], CAL.reference), minlength=len(target)) / len(kids["dob"])
    # about 500,000 children: one standard error is at most 0.08 points (design effect 1.5), so 0.2 points
    # is 2.5 SE; the weights fitted on a 20,000-family pilot missed 10-15 by 0.26 points
    assert np.allclose(shares, target, atol=0.002), (shares, target)
    # drawn from the target itself, siblings would age the mix (fewer under-5s): the fit is doing work
    naive = families_from_index(rng, family_sizes(rng, n), sample_index_age(rng, n, np.array(target)), CAL)
    naive_under5 = np.isin(age_band_index(naive["dob"], CAL.reference), (0, 1, 2)).mean()
    assert naive_under5 < sum(target[:3]) - 0.02


def test_maternities_by_band_is_the_family_model() -> None:
    """The exact matrix agrees with a draw: families whose index child is 5-9 (band 3)."""
    rng = np.random.default_rng(11)
    n = 200_000
    lo, hi, _ = ref.CIN_AGE_BANDS[3]
    kids = families_from_index(rng, family_sizes(rng, n), rng.uniform(lo, hi, n),
                               Calendar(CAL.reference, CAL.edd_max, 0.0))
    drawn = np.bincount(age_band_index(kids["dob"], CAL.reference), minlength=len(ref.CIN_AGE_BANDS)) / n
    # per family: the index child (band 3) plus older siblings in bands 3-5; one SE is about 0.002
    assert np.allclose(maternities_by_band()[3], drawn, atol=0.008), (maternities_by_band()[3], drawn)
    assert maternities_by_band()[3, :3].sum() == 0  # siblings are older, never younger


def test_decoy_target_makes_room_for_site_children() -> None:
    site_babies = {"dob": np.full(300, CAL.reference - 100)}  # 300 known site children under 1
    target = decoy_age_target(site_babies, 2_000, CAL.reference)
    assert target[1] < ref.CIN_AGE_BANDS[1][2]  # fewer decoy babies, so all together stay on the mix
    assert abs(sum(target) - 1) < 1e-3


def _world(**kw: object) -> World:
    s = WorldSettings(**kw)  # type: ignore[arg-type]
    streams = Streams.spawn(s.seed)
    return build_world(s, streams.population, NamePools(s.seed), streams.site_families)


def _site_referrals(world: World) -> dict[str, int]:
    F = world.families
    return {site: int((F.site_id == site).sum()) for site in ("fbs", "sat", "leap", "coda")}


def test_site_flows_do_not_move_with_the_number_of_children() -> None:
    small, big = _world(seed=8, children=4_000), _world(seed=8, children=16_000)
    assert len(big.children) == 16_000 and len(small.children) == 4_000
    assert small.size is not None and small.size.site_flow_scale == 1.0
    assert _site_referrals(small) == _site_referrals(big)
    # the LA populations scale instead
    assert big.children.in_la.sum() > 3.5 * small.children.in_la.sum() * 0.9


def test_a_world_too_small_for_the_flows_scales_them_and_says_so() -> None:
    w = _world(seed=8, children=600)
    assert w.size is not None and 0 < w.size.site_flow_scale < 1
    assert "scaled to" in w.size.note() and "--scale real" in w.size.note()
    assert len(w.children) == 600
    assert (w.families.site_id != "").sum() < sum(_site_referrals(_world(seed=8, children=4_000)).values())


def test_real_scale_sizes_each_la_at_its_cin_count() -> None:
    w = _world(seed=3, scale="real")
    la = w.families.la_code[w.children.family[w.children.in_la]]
    for code in LOCAL_AUTHORITIES:
        assert (la == code).sum() == ref.LA_CIN_COUNT[code], code
    assert int(w.children.in_la.sum()) == real_world_children()
    assert ref.LA_CIN_COUNT["380"] == 6_165  # Bradford's verified 2023 count (calibration §3.6)


@pytest.mark.parametrize(("n", "digits"), [(10, 5), (90_000, 5), (1_000_000, 5)])
def test_unique_numbers_never_run_out(n: int, digits: int) -> None:
    """Family numbers used to come from 90,000 values without replacement (crash above that)."""
    x = unique_numbers(np.random.default_rng(0), n, digits)
    assert len(x) == n and len(np.unique(x)) == n
    assert x.min() >= 10 ** (digits - 1)
    width = len(str(int(x.max())))
    assert width == digits or 9 * 10 ** (width - 2) < 60 * n  # widened only as far as needed


def test_nhs_numbers_only_from_the_test_range_and_the_limit_is_stated() -> None:
    """The 999 range holds NHS_TEST_NUMBERS valid numbers; a world that runs out says so."""
    from synthetic_data.population import (
        NHS_CHILDREN_LIMIT,
        NHS_TEST_NUMBERS,
        _nhs_pool,
        nhs_shortfall_warning,
    )

    pool = _nhs_pool(np.random.default_rng(0))
    assert len(pool) == NHS_TEST_NUMBERS == len(np.unique(pool))
    assert pool.min() >= 9_990_000_000 and pool.max() <= 9_999_999_999
    # born children take one each (about 1.8% of LA children are unborn): the stated limit fits
    assert NHS_CHILDREN_LIMIT * (1 - ref.CIN_AGE_BANDS[0][2]) < NHS_TEST_NUMBERS
    assert nhs_shortfall_warning(0) is None
    warning = nhs_shortfall_warning(12_345)
    assert warning is not None and "12,345" in warning and f"{NHS_CHILDREN_LIMIT:,}" in warning


def test_a_short_nhs_pool_leaves_a_random_subset_without_numbers() -> None:
    """Rows are in LA order: running out must not strip one LA (the last) of every NHS number."""
    from synthetic_data.population import NHS_TEST_NUMBERS, _NhsAllocator

    alloc = _NhsAllocator(np.random.default_rng(3))
    alloc.used = NHS_TEST_NUMBERS - 600  # 600 numbers left for 1,000 people
    got = alloc.take(np.ones(1_000, dtype=bool))
    assert alloc.shortfall == 400 and (got != None).sum() == 600  # noqa: E711
    assert (got[:500] != None).sum() > 250 and (got[500:] != None).sum() > 250  # noqa: E711


def test_decoy_weights_for_a_target_no_family_mix_can_meet() -> None:
    """Too few older children for the siblings the young ones bring: every band still drawn, the mix leans young."""
    target = (0.3, 0.3, 0.2, 0.1, 0.09, 0.01)
    w = decoy_age_weights(target)
    assert (w > 0).all() and abs(w.sum() - 1) < 1e-9
    shares = w @ maternities_by_band()
    assert shares[:2].sum() / shares.sum() > 0.45  # as young as the family model allows


def test_generator_bands_ages_as_the_warehouse_does() -> None:
    # The CIN age mix is drawn in the warehouse's bands: birth, then its cut-offs under 18 (issue 12).
    from synthetic_data.families import AGE_CUTS
    from warehouse.vocabulary import age_band

    born = ref.CIN_AGE_BANDS[1:]
    assert [lo for lo, _, _ in born] == AGE_CUTS.tolist()
    for lo, hi, _ in born:
        # each generator band is one warehouse band, from its first day to its last
        assert age_band(lo) == age_band(hi - 0.01)
    dob = np.array([-10, 0])  # unborn, and born on the reference day
    assert age_band_index(dob, 0).tolist() == [0, 1]
