"""Drawing families: who is in each family, how old, and how many come to each service a year.

Two kinds of family are drawn. *Site families* arrive at a service at the service's own yearly
flow (``SiteProfile.referrals_per_year``, counted in families, children or adults), over
``referral_history_years``; their number does not depend on the size of the world. *Decoy
families* are the rest of each LA's children-in-need population; their number is what
``--children`` (or ``--scale real``) sets.

Each family is a list of maternities; each maternity is a twin birth with ``p_multiple_birth``
(calibration §7.1: 14.6 per 1,000 maternities). The decoys' index-child ages are fitted so that
all LA children together (decoys and site families known to CSC) follow the CIN age mix
(calibration §3.5), not only the index children.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from synthetic_data import reference as ref
from synthetic_data.dates import YEAR
from synthetic_data.settings import SiteProfile, WorldSettings
from warehouse.sites import SITES
from warehouse.vocabulary import AGE_BAND_CUTS

Part = dict[str, np.ndarray]
_ADULT_AGE = 18
# Band edges of ref.CIN_AGE_BANDS after "unborn": birth, then the warehouse's age-band cut-offs below 18
# (children in need are under 18), so the generator bands ages exactly as the loader does.
AGE_CUTS = np.array([0.0, *(float(upper) for upper, _ in AGE_BAND_CUTS if upper < _ADULT_AGE)])
_GAP_YEARS = (1.2, 5.0)  # years between a family's maternities (uniform), as families_from_index draws them
_FAMILY_SIZE_P = (0.48, 0.28, 0.14, 0.07, 0.03)  # maternities per family (unverified, calibration §7.3)


@dataclass(frozen=True)
class Calendar:
    """The days the families are drawn against: the reference date and the last allowed due date."""

    reference: int
    edd_max: int
    p_multiple_birth: float


def family_sizes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Maternities per family: 1 (0.48), 2 (0.28), 3 (0.14), 4 (0.07), 5 (0.03) (unverified)."""
    return rng.choice(np.arange(1, 6), size=n, p=_FAMILY_SIZE_P)


def age_band_index(dob: np.ndarray, at: int) -> np.ndarray:
    """Band of ``ref.CIN_AGE_BANDS`` for each child at day ``at`` (0 = unborn, i.e. ``dob < 0``)."""
    age = (at - dob) / YEAR
    return np.where(dob < 0, 0, 1 + np.searchsorted(AGE_CUTS[1:], age, side="right"))


def sample_index_age(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    """Index-child ages (years; negative = unborn) drawn from the CIN bands with ``weights``."""
    bands = ref.CIN_AGE_BANDS
    b = rng.choice(len(bands), size=n, p=weights / weights.sum())
    lo = np.array([x[0] for x in bands])[b]
    hi = np.array([x[1] for x in bands])[b]
    return np.asarray(lo + rng.random(n) * (hi - lo))


def _index_child(rng: np.random.Generator, age0: np.ndarray, at: np.ndarray, cal: Calendar
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(birth day or -1, expected day or -1) of each family's index child."""
    unborn_at = age0 < 0
    edd0 = np.where(unborn_at, np.clip(at + (-age0 * YEAR).astype(np.int64), at + 1, cal.edd_max), -1)
    dob0 = np.where(unborn_at, -1, at - (age0 * YEAR).astype(np.int64))
    # unborn at the site referral but born by the reference date
    born_since = unborn_at & (edd0 <= cal.reference)
    delivered = np.clip(edd0 + rng.integers(-14, 11, len(age0)), at + 1, cal.reference)
    return np.where(born_since, delivered, dob0), edd0


def families_from_index(rng: np.random.Generator, sizes: np.ndarray, age0: np.ndarray, cal: Calendar,
                        referral: np.ndarray | None = None) -> Part:
    """Children of families whose index child is ``age0`` years old at ``referral`` (default: the reference date).

    Older siblings are spaced 1.2-5 years apart; each maternity is a twin birth with
    ``cal.p_multiple_birth``; siblings 18 or over at the reference date are dropped. Returns the
    children as a part: ``family`` (0-based), ``dob``, ``edd``, ``is_twin``, ``_offset`` (days
    before the index child's birth; 0 = the index maternity).
    """
    nf = len(sizes)
    at = np.full(nf, cal.reference, dtype=np.int64) if referral is None else referral
    dob0, edd0 = _index_child(rng, age0, at, cal)
    fam = np.repeat(np.arange(nf), sizes)
    pos = np.arange(len(fam)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    gaps = rng.uniform(*_GAP_YEARS, len(fam)) * YEAR
    gaps[pos == 0] = 0
    cg = np.cumsum(gaps)
    offset = (cg - np.repeat(cg[np.cumsum(sizes) - sizes], sizes)).astype(np.int64)
    twin = rng.random(len(fam)) < cal.p_multiple_birth
    births = 1 + twin.astype(np.int64)
    fam, offset, is_twin = np.repeat(fam, births), np.repeat(offset, births), np.repeat(twin, births)
    base = np.where(dob0[fam] >= 0, dob0[fam], edd0[fam])
    unborn = (dob0[fam] < 0) & (offset == 0)
    dob = np.where(unborn, -1, base - offset)
    edd = np.where(offset == 0, edd0[fam], -1)  # keep the EDD the site recorded
    keep = (unborn | ((cal.reference - dob) < 17.99 * YEAR)) & (dob <= cal.reference)
    return {"family": fam[keep], "dob": dob[keep].astype(np.int64), "edd": edd[keep].astype(np.int64),
            "is_twin": is_twin[keep], "_offset": offset[keep]}


# ------------------------------------------------------------------------------ site families


def _units_per_family(profile: SiteProfile, kids: Part, in_range: np.ndarray, harm: np.ndarray) -> np.ndarray:
    """How many referrals (in the site's unit) each family counts for."""
    nf = len(harm)
    if profile.referral_unit == "family":
        return np.ones(nf, dtype=np.int64)
    if profile.referral_unit == "adult":
        return 1 + harm.astype(np.int64)
    return np.bincount(kids["family"][in_range], minlength=nf)


def _site_in_range(profile: SiteProfile, kids: Part, referral: np.ndarray) -> np.ndarray:
    """Children in the site's age range at referral (unborn-at-referral index children count)."""
    f = kids["family"]
    age_at_ref = np.where(kids["dob"] >= 0, (referral[f] - kids["dob"]) / YEAR, -1.0)
    lo = max(profile.min_age_years, 0.0)
    in_range = (age_at_ref >= lo) & (age_at_ref <= profile.max_age_years)
    return np.asarray(in_range | ((kids["_offset"] == 0) & (kids["edd"] >= 0) & (profile.min_age_years < 0)))


def site_referrals_expected(profile: SiteProfile, settings: WorldSettings) -> float:
    """Referrals (in the site's unit) expected over the extract's history."""
    return profile.referrals_per_year * settings.referral_history_years


def draw_site_families(rng: np.random.Generator, profile: SiteProfile, settings: WorldSettings,
                       cal: Calendar) -> tuple[Part, Part]:
    """One site's families over ``referral_history_years`` at its own yearly flow (Poisson count)."""
    wanted = int(rng.poisson(site_referrals_expected(profile, settings)))
    n_fam = max(4, int(wanted * 1.5) + 8)
    site = SITES[profile.site_id]
    las = np.array(site.la_codes, dtype=object)
    lw = np.array([ref.LA_CHILD_POPULATION[c] * ref.LA_CIN_MULTIPLIER[c] for c in las])
    la = las[rng.choice(len(las), size=n_fam, p=lw / lw.sum())]
    referral = cal.reference - (rng.random(n_fam) * settings.referral_history_years * YEAR).astype(np.int64)
    unborn = rng.random(n_fam) < profile.p_unborn_at_referral
    lo = max(profile.min_age_years, 0.0)
    age0 = np.where(unborn, -rng.uniform(0.05, 0.7, n_fam), rng.uniform(lo, profile.max_age_years, n_fam))
    age0 = np.minimum(age0, 17.9 - (cal.reference - referral) / YEAR)  # still a child on the reference date
    kids = families_from_index(rng, family_sizes(rng, n_fam), age0, cal, referral)
    in_range = _site_in_range(profile, kids, referral)
    harm = rng.random(n_fam) < profile.p_harm_parent
    units = np.cumsum(_units_per_family(profile, kids, in_range, harm))
    n_keep = min(int(np.searchsorted(units, wanted, side="left")) + 1, n_fam) if wanted else 0
    keep = kids["family"] < n_keep
    kids = {k: v[keep] for k, v in kids.items()}
    kids["site_child"] = in_range[keep]
    fam = {"la_code": la[:n_keep], "site_id": np.full(n_keep, profile.site_id, dtype=object),
           "known": rng.random(n_fam)[:n_keep] < profile.p_known_to_csc,
           "referral": referral[:n_keep].astype(np.int64), "harm_parent_on_site": harm[:n_keep],
           "victim_is_father": rng.random(n_fam)[:n_keep] < profile.p_victim_father}
    return fam, kids


def keep_first_families(fam: Part, kids: Part, n_keep: int) -> tuple[Part, Part]:
    """The first ``n_keep`` families (families are drawn independently, so this is a random subset)."""
    keep = kids["family"] < n_keep
    return {k: v[:n_keep] for k, v in fam.items()}, {k: v[keep] for k, v in kids.items()}


# ------------------------------------------------------------------------------ decoy families


_CHILD_BAND_EDGES = (*AGE_CUTS.tolist(), 17.99)  # born children's bands; older siblings drop out


def _irwin_hall_cdf_integral(t: np.ndarray, j: int) -> np.ndarray:
    """The integral from -inf to ``t`` of the CDF of a sum of ``j`` uniforms on [0, 1] (exact, piecewise polynomial)."""
    terms = [(-1) ** k * math.comb(j, k) * np.clip(t - k, 0.0, None) ** (j + 1) for k in range(j + 1)]
    return np.asarray(sum(terms) / math.factorial(j + 1))


def _sibling_below(x: float, band: tuple[float, float], j: int) -> float:
    """P(age of the ``j``-th older maternity < ``x``) for an index child aged uniformly in ``band``.

    That age is the index age plus ``j`` gaps drawn uniformly from ``_GAP_YEARS``; averaging the
    Irwin-Hall CDF over a uniform index age gives a difference of its integral.
    """
    lo, hi = band
    g0, g1 = _GAP_YEARS
    d = g1 - g0
    t = np.array([(x - lo - j * g0) / d, (x - hi - j * g0) / d])
    return float(d / (hi - lo) * (_irwin_hall_cdf_integral(t[:1], j)[0] - _irwin_hall_cdf_integral(t[1:], j)[0]))


@functools.lru_cache(maxsize=1)
def maternities_by_band() -> np.ndarray:
    """Expected maternities in each CIN band (columns) per family whose index child is in each band (rows).

    Exact for the family model of :func:`families_from_index` (maternities per family from
    ``_FAMILY_SIZE_P``, gaps uniform in ``_GAP_YEARS``, over-18s dropped). Twins double a
    maternity whatever its band, so they do not change the band shares and are left out.
    """
    bands = ref.CIN_AGE_BANDS
    edges = _CHILD_BAND_EDGES
    more_than = np.cumsum(_FAMILY_SIZE_P[::-1])[::-1]  # more_than[j] = P(at least j + 1 maternities)
    out = np.eye(len(bands))
    for b, (lo, hi, _) in enumerate(bands):
        for j in range(1, len(_FAMILY_SIZE_P)):
            below = [_sibling_below(x, (lo, hi), j) for x in edges]
            out[b, 1:] += more_than[j] * np.diff(below)  # siblings are born: never in band 0 (unborn)
    out.setflags(write=False)  # cached and shared
    return out


def decoy_age_weights(target: tuple[float, ...]) -> np.ndarray:
    """Index-child band weights whose families' children (siblings included) follow ``target`` bands.

    Siblings are older than the index child and over-18s drop out, so drawing the index child
    from the target mix would age the population. With ``M = maternities_by_band()`` the
    children's mix for weights ``w`` is ``w @ M`` normalised, so the weights solve
    ``w @ M = target`` exactly; when that needs a negative weight (a target too young for any
    mix of families), multiplicative fixed-point steps find the closest mix with every band drawn.
    """
    goal = np.asarray(target, dtype=float)
    m = maternities_by_band()
    w = np.linalg.solve(m.T, goal)
    if (w > 0).all():
        return np.asarray(w / w.sum())
    w = goal.copy()
    for _ in range(500):
        shares = w @ m
        w = np.clip(w * goal / np.maximum(shares / shares.sum(), 1e-9), 1e-4, None)
        w = w / w.sum()
    return np.asarray(w)


def decoy_age_target(known_site_kids: Part, n_decoy: int, reference: int) -> tuple[float, ...]:
    """The band mix decoys need so that decoys plus known site children follow the CIN age mix."""
    goal = np.array([b[2] for b in ref.CIN_AGE_BANDS])
    site = np.bincount(age_band_index(known_site_kids["dob"], reference), minlength=len(goal))
    need = np.clip(goal * (n_decoy + site.sum()) - site, 0.02 * goal * n_decoy, None)
    return tuple(np.round(need / need.sum(), 4).tolist())


def draw_decoy_families(rng: np.random.Generator, targets: dict[str, int], weights: np.ndarray,
                        cal: Calendar) -> tuple[Part, Part]:
    """Decoy families for each LA until exactly ``targets[la]`` children (the last family may be cut)."""
    codes = [c for c in sorted(targets) if targets[c] > 0]
    fam_parts, kid_parts = [], []
    for code in codes:
        fam, kids = _decoys_for_la(rng, code, targets[code], weights, cal)
        fam_parts.append(fam)
        kid_parts.append(kids)
    return concat_parts(fam_parts, kid_parts)


def _decoys_for_la(rng: np.random.Generator, code: str, target: int, weights: np.ndarray, cal: Calendar
                   ) -> tuple[Part, Part]:
    n_fam = int(target / 1.3) + 5
    while True:  # every family has its index child, so n_fam >= target always suffices
        kids = families_from_index(rng, family_sizes(rng, n_fam), sample_index_age(rng, n_fam, weights), cal)
        if len(kids["family"]) >= target or n_fam >= target:
            break
        n_fam = min(target, 2 * n_fam)
    kids = {k: v[:target] for k, v in kids.items()}
    n_keep = int(kids["family"].max()) + 1 if target else 0
    kids["site_child"] = np.zeros(len(kids["family"]), dtype=bool)
    fam = {"la_code": np.full(n_keep, code, dtype=object), "site_id": np.full(n_keep, "", dtype=object),
           "known": np.ones(n_keep, dtype=bool), "referral": np.full(n_keep, -1, dtype=np.int64),
           "harm_parent_on_site": np.zeros(n_keep, dtype=bool), "victim_is_father": np.zeros(n_keep, dtype=bool)}
    return fam, kids


def concat_parts(fam_parts: list[Part], kid_parts: list[Part]) -> tuple[Part, Part]:
    """Concatenate family/children parts, renumbering each part's ``family`` index."""
    if not fam_parts:
        return {}, {}
    offsets = np.cumsum([0] + [len(f["la_code"]) for f in fam_parts])
    kid_parts = [{**k, "family": k["family"] + off} for off, k in zip(offsets[:-1], kid_parts, strict=True)]
    fam = {key: np.concatenate([f[key] for f in fam_parts]) for key in fam_parts[0]}
    kids = {key: np.concatenate([k[key] for k in kid_parts]) for key in kid_parts[0]}
    return fam, kids
