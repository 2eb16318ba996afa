"""The true world: families, children and parents, drawn vectorised with numpy.

Dates are integer day numbers (days since 1970-01-01) until the writers format them. Two kinds
of family are drawn: *site families* (seen by one of the four services; some known to children's
social care) and *decoy families* (the rest of each LA's children-in-need population, seen by no
service). Every LA child (site-known or decoy) appears in that LA's CSC files; site children not
known to CSC appear only in the site's files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from synthetic_data import reference as ref
from synthetic_data.dates import EPOCH, YEAR, day
from synthetic_data.names import NamePools, group_index
from synthetic_data.settings import SiteProfile, WorldSettings
from warehouse.identifiers import (
    UPN_ALPHABET,
    nhs_check_digits_vec,
    weighted_digit_sum,
)
from warehouse.sites import LOCAL_AUTHORITIES, SITES


@dataclass
class Families:
    """One row per family (columns are equal-length numpy arrays)."""

    la_code: np.ndarray
    ethnicity: np.ndarray
    site_id: np.ndarray  # "" for decoy families
    known: np.ndarray  # bool: family known to CSC (always True for decoys)
    referral: np.ndarray  # site referral day (site families) or -1
    postcode: np.ndarray
    surname: np.ndarray  # father's / family surname
    mother_forename: np.ndarray
    mother_surname: np.ndarray
    mother_dob: np.ndarray
    father_forename: np.ndarray
    father_surname: np.ndarray
    father_dob: np.ndarray
    harm_parent_on_site: np.ndarray
    victim_is_father: np.ndarray

    def __len__(self) -> int:
        return len(self.la_code)


@dataclass
class Children:
    """One row per child in the world."""

    family: np.ndarray  # index into Families
    sex: np.ndarray  # M/F/U
    dob: np.ndarray  # day number, -1 = unborn
    edd: np.ndarray  # expected day of birth (unborn, or born after site referral), -1 otherwise
    forename: np.ndarray
    surname: np.ndarray
    is_twin: np.ndarray
    site_child: np.ndarray  # in the site's age range at referral
    in_la: np.ndarray  # appears in the LA's CSC files
    nhs: np.ndarray  # str or None
    upn: np.ndarray  # str or None
    former_upn: np.ndarray
    upn_unknown: np.ndarray  # "" or UN1..UN5
    la_child_id: np.ndarray  # str or None
    la_child_num: np.ndarray  # the LAchildID's number part (sorts like the id within an LA), -1 if none

    def __len__(self) -> int:
        return len(self.family)


@dataclass
class World:
    """The full true world."""

    settings: WorldSettings
    families: Families
    children: Children
    adult_nhs: dict[str, np.ndarray]  # "mother"/"father" -> NHS number per family (None if missing)
    nhs_shortfall: int


def _choice(rng: np.random.Generator, options: dict[str, float] | tuple, n: int) -> np.ndarray:
    keys = np.array(list(options), dtype=object)
    p = np.array(list(options.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def la_weights() -> dict[str, float]:
    """Relative size of each LA's CIN population (child population x CIN multiplier, calibration §5, §11.1)."""
    return {c: ref.LA_CHILD_POPULATION[c] * ref.LA_CIN_MULTIPLIER[c] for c in LOCAL_AUTHORITIES}


def child_ethnicity_distribution(la_code: str, settings: WorldSettings) -> dict[str, float]:
    """LA all-age ethnicity shifted towards minority groups for children, plus REFU/NOBT (calibration §2)."""
    base = dict(ref.LA_ETHNICITY[la_code])
    total = sum(base.values())
    wbri = base["WBRI"] / total
    other = 1.0 - wbri
    shifted_other = min(other * settings.child_diversity_shift, 0.95)
    out = {"WBRI": 1.0 - shifted_other}
    for k, v in base.items():
        if k != "WBRI":
            out[k] = v / total / other * shifted_other
    known = 1.0 - settings.p_ethnicity_not_known
    out = {k: v * known for k, v in out.items()}
    out["REFU"] = settings.p_ethnicity_not_known * 0.4
    out["NOBT"] = settings.p_ethnicity_not_known * 0.6
    return out


def random_postcodes(rng: np.random.Generator, la_codes: np.ndarray) -> np.ndarray:
    """Unit postcodes ``"BD7 1AB"`` in each LA's districts (core 0.85 / shared 0.15, calibration §11.3)."""
    n = len(la_codes)
    district = np.empty(n, dtype=object)
    for code, idx in group_index(la_codes):
        la = LOCAL_AUTHORITIES[code]
        core = np.array(la.core_districts, dtype=object)
        shared = np.array(la.shared_districts or la.core_districts, dtype=object)
        use_core = rng.random(len(idx)) < 0.85
        district[idx] = np.where(use_core, core[rng.integers(0, len(core), len(idx))],
                                 shared[rng.integers(0, len(shared), len(idx))])
    letters = ref.POSTCODE_INWARD_LETTERS
    nl = len(letters)
    sector = rng.integers(0, 9, n)
    l1 = rng.integers(0, nl, n)
    l2 = rng.integers(0, nl, n)
    # " 1AB" for every sector and letter pair, so each postcode is one string addition
    inward = np.array([f" {s}{a}{b}" for s in "123456789" for a in letters for b in letters], dtype=object)
    return district + inward[(sector * nl + l1) * nl + l2]


def _nhs_pool(rng: np.random.Generator) -> np.ndarray:
    """Every valid NHS number in the 999 test range, shuffled (about 909,000)."""
    bodies = np.arange(999_000_000, 1_000_000_000, dtype=np.int64)
    checks = nhs_check_digits_vec(bodies)
    ok = checks != 10
    nums = bodies[ok] * 10 + checks[ok]
    return rng.permutation(nums)


class _NhsAllocator:
    def __init__(self, rng: np.random.Generator) -> None:
        self.pool = _nhs_pool(rng)
        self.used = 0
        self.shortfall = 0

    def take(self, mask: np.ndarray) -> np.ndarray:
        out = np.full(len(mask), None, dtype=object)
        idx = np.flatnonzero(mask)
        avail = len(self.pool) - self.used
        k = min(avail, len(idx))
        self.shortfall += len(idx) - k
        out[idx[:k]] = int_strings(self.pool[self.used:self.used + k], 10)
        self.used += k
        return out


def _family_sizes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Children per family: 1 (0.48), 2 (0.28), 3 (0.14), 4 (0.07), 5 (0.03) (unverified, calibration §7.3)."""
    return rng.choice(np.arange(1, 6), size=n, p=[0.48, 0.28, 0.14, 0.07, 0.03])


def _sample_index_age(rng: np.random.Generator, n: int) -> np.ndarray:
    bands = ref.CIN_AGE_BANDS
    b = rng.choice(len(bands), size=n, p=[x[2] for x in bands])
    lo = np.array([x[0] for x in bands])[b]
    hi = np.array([x[1] for x in bands])[b]
    return lo + rng.random(n) * (hi - lo)


def build_world(settings: WorldSettings, rng: np.random.Generator, names: NamePools) -> World:
    """Draw the whole true world for ``settings``."""
    s = settings
    R = day(s.reference_date)
    edd_max = day(date(s.census_year, 12, 31))
    n_total = s.children
    n_site_target = max(4, int(round(n_total * s.site_child_share)))

    fam_parts: list[dict[str, np.ndarray]] = []
    kid_parts: list[dict[str, np.ndarray]] = []
    produced = 0

    # ---------------------------------------------------------------- site families
    weights = np.array([p.weight for p in s.sites])
    per_site = np.maximum(1, np.round(weights / weights.sum() * n_site_target).astype(int))
    for profile, target in zip(s.sites, per_site, strict=True):
        fam, kids = _site_families(rng, profile, int(target), s, R, edd_max)
        fam_parts.append(fam)
        kid_parts.append(kids)
        produced += len(kids["family"])

    # ---------------------------------------------------------------- decoy families
    n_decoy = max(0, n_total - produced)
    lw = la_weights()
    codes = np.array(sorted(lw), dtype=object)
    p = np.array([lw[c] for c in codes])
    if n_decoy:
        n_fam = int(n_decoy / 1.4) + 20
        sizes = _family_sizes(rng, n_fam)
        la = codes[rng.choice(len(codes), size=n_fam, p=p / p.sum())]
        # every LA gets a few families first, so even a 100-child world has CSC files for each LA
        k = min(n_fam, 3 * len(codes))
        la[:k] = np.resize(codes, k)
        age0 = _sample_index_age(rng, n_fam)
        fam, kids = _families_from_index(rng, la, sizes, age0, R, edd_max, s)
        # keep whole families until exactly n_decoy children (the last family may lose its youngest-listed)
        keep = np.arange(len(kids["family"])) < n_decoy
        kids = {k: v[keep] for k, v in kids.items()}
        n_fam = int(kids["family"].max()) + 1 if len(kids["family"]) else 0
        fam = {"la_code": la[:n_fam]}
        fam["site_id"] = np.full(n_fam, "", dtype=object)
        fam["known"] = np.ones(n_fam, dtype=bool)
        fam["referral"] = np.full(n_fam, -1, dtype=np.int64)
        fam["harm_parent_on_site"] = np.zeros(n_fam, dtype=bool)
        fam["victim_is_father"] = np.zeros(n_fam, dtype=bool)
        kids["site_child"] = np.zeros(len(kids["family"]), dtype=bool)
        fam_parts.append(fam)
        kid_parts.append(kids)

    # ---------------------------------------------------------------- concatenate
    offsets = np.cumsum([0] + [len(f["la_code"]) for f in fam_parts])
    for off, k in zip(offsets[:-1], kid_parts, strict=True):
        k["family"] = k["family"] + off
    F = {key: np.concatenate([f[key] for f in fam_parts]) for key in fam_parts[0]}
    K = {key: np.concatenate([k[key] for k in kid_parts]) for key in kid_parts[0]}
    nf, nk = len(F["la_code"]), len(K["family"])

    # ---------------------------------------------------------------- ethnicity, names, postcodes
    eth = np.empty(nf, dtype=object)
    for code, idx in group_index(F["la_code"]):
        eth[idx] = _choice(rng, child_ethnicity_distribution(code, s), len(idx))
    fore_group = np.empty(nf, dtype=object)
    sur_group = np.empty(nf, dtype=object)
    for code, idx in group_index(eth):
        fore_group[idx], sur_group[idx] = ref.NAME_GROUPS[code]
    family_surname = names.surnames(rng, sur_group)
    share = rng.random(nf) < s.p_parents_share_surname
    mother_surname = np.where(share, family_surname, names.surnames(rng, sur_group))
    F["ethnicity"] = eth
    F["surname"] = family_surname
    F["mother_surname"] = mother_surname
    F["father_surname"] = family_surname
    F["mother_forename"] = names.forenames(rng, fore_group, np.full(nf, "F", dtype=object), adult=True)
    F["father_forename"] = names.forenames(rng, fore_group, np.full(nf, "M", dtype=object), adult=True)
    F["postcode"] = random_postcodes(rng, F["la_code"])

    fam = K["family"]
    born = K["dob"] >= 0
    sex = np.where(born, _choice(rng, {"M": ref.CIN_SEX[0], "F": ref.CIN_SEX[1], "U": ref.CIN_SEX[2]}, nk), "U")
    K["sex"] = sex.astype(object)
    K["forename"] = names.forenames(rng, fore_group[fam], K["sex"], adult=False)
    use_mother = (~share[fam]) & (rng.random(nk) < s.p_child_has_mothers_surname)
    # siblings share a surname: decide per family, not per child
    fam_use_mother = np.zeros(nf, dtype=bool)
    fam_use_mother[fam[use_mother]] = True
    K["surname"] = np.where(fam_use_mother[fam], mother_surname[fam], family_surname[fam])
    # twins share the first sibling's DOB already; give them distinct forenames (done by the draw)

    # ---------------------------------------------------------------- parents' dates of birth
    youngest_dob = np.full(nf, np.iinfo(np.int64).min)
    birthish = np.where(born, K["dob"], K["edd"])
    np.maximum.at(youngest_dob, fam, birthish)
    oldest_dob = np.full(nf, np.iinfo(np.int64).max)
    np.minimum.at(oldest_dob, fam, birthish)
    teen = rng.random(nf) < np.where((F["la_code"] == "890") | (F["la_code"] == "380") | (F["site_id"] == "fbs"), 0.06, 0.025)
    mother_age_first = np.where(teen, rng.uniform(16, 19.9, nf), np.clip(rng.normal(27, 5.5, nf), 18, 42))
    F["mother_dob"] = (oldest_dob - mother_age_first * YEAR).astype(np.int64)
    F["father_dob"] = (F["mother_dob"] - np.clip(rng.normal(2.5, 4, nf), -5, 15) * YEAR).astype(np.int64)
    # father must be at least 16 at the oldest child's birth
    F["father_dob"] = np.minimum(F["father_dob"], (oldest_dob - 16.5 * YEAR).astype(np.int64))

    # ---------------------------------------------------------------- identifiers
    nhs = _NhsAllocator(rng)
    K["nhs"] = nhs.take(born)
    adult_nhs = {"mother": nhs.take(F["site_id"] != ""),
                 "father": nhs.take((F["site_id"] != "") & F["harm_parent_on_site"] | F["victim_is_father"])}

    in_la = F["known"][fam]
    K["in_la"] = in_la
    age_ref = np.where(born, (R - K["dob"]) / YEAR, -1.0)
    p_upn = np.where(age_ref >= 5, s.p_upn_age5plus, np.where(age_ref >= 3, s.p_upn_age3to4, 0.0))
    has_upn = in_la & born & (rng.random(nk) < p_upn)
    K["upn"] = _make_upns(rng, F["la_code"][fam], K["dob"], has_upn, temporary=False)
    has_former = has_upn & (rng.random(nk) < s.p_former_upn)
    K["former_upn"] = _make_upns(rng, F["la_code"][fam], K["dob"], has_former, temporary=True)
    unknown_old = np.array(["UN2", "UN3", "UN5"], dtype=object)[rng.integers(0, 3, nk)]
    K["upn_unknown"] = np.where(has_upn | ~in_la, "", np.where(age_ref < 5, "UN1", unknown_old)).astype(object)

    la_ids = np.full(nk, None, dtype=object)
    idx = np.flatnonzero(in_la)
    nums = rng.choice(10_000_000, size=len(idx), replace=False)
    la_ids[idx] = int_strings(nums, 7, prefix=F["la_code"][fam[idx]])
    K["la_child_id"] = la_ids
    la_num = np.full(nk, -1, dtype=np.int64)
    la_num[idx] = nums
    K["la_child_num"] = la_num

    families = Families(**{k: F[k] for k in Families.__dataclass_fields__})
    children = Children(**{k: K[k] for k in Children.__dataclass_fields__})
    return World(s, families, children, adult_nhs, nhs.shortfall)


def int_strings(values: np.ndarray, width: int, prefix: np.ndarray | str = "",
                suffix: np.ndarray | str = "") -> np.ndarray:
    """Zero-padded decimal strings of ``values`` with optional prefix/suffix strings (object array)."""
    cols = [pl.lit(prefix) if isinstance(prefix, str) else pl.Series("p", prefix, dtype=pl.Utf8),
            pl.Series("v", np.asarray(values, dtype=np.int64)).cast(pl.Utf8).str.zfill(width),
            pl.lit(suffix) if isinstance(suffix, str) else pl.Series("s", suffix, dtype=pl.Utf8)]
    return np.asarray(pl.select(pl.concat_str(cols)).to_series().to_numpy(), dtype=object)  # no copy: already objects


UPN_WEIGHTS = np.arange(2, 14, dtype=np.int64)  # the check letter weighs UPN characters 2-13 by 2..13


def _weighted_parts(parts: list[tuple[np.ndarray, int]], weights: np.ndarray) -> np.ndarray:
    """``weighted_digit_sum`` of numbers written as zero-padded parts ``(values, width)``, one lookup per part."""
    total = np.zeros(len(parts[0][0]), dtype=np.int64)
    pos = 0
    for values, width in parts:
        table = weighted_digit_sum(np.arange(10**width, dtype=np.int64), width, weights[pos:pos + width])
        total += table[values]
        pos += width
    return total


def _make_upns(rng: np.random.Generator, la: np.ndarray, dob: np.ndarray, mask: np.ndarray,
               temporary: bool) -> np.ndarray:
    out = np.full(len(mask), None, dtype=object)
    idx = np.flatnonzero(mask)
    if not len(idx):
        return out
    u = rng.choice(10_000_000, size=len(idx), replace=False)
    est = u // 1000
    serial = u % 1000
    birth_year = (EPOCH.year + dob[idx] / YEAR).astype(np.int64)
    year2 = (birth_year + 5) % 100
    la_int = la[idx].astype(np.int64)
    letters = np.array(list(UPN_ALPHABET), dtype=object)
    if temporary:
        # temporary UPN: 11 digits then a letter from the 23-letter alphabet (value = its index, weight 13)
        body11 = la_int * 10**8 + est * 10**4 + year2 * 100 + serial % 100
        last = rng.integers(0, 23, len(idx))
        digits = _weighted_parts([(la_int, 3), (est, 4), (year2, 2), (serial % 100, 2)], UPN_WEIGHTS)
        check = letters[(digits + last * 13) % 23]
        out[idx] = int_strings(body11, 11, prefix=check, suffix=letters[last])
    else:
        body12 = la_int * 10**9 + est * 10**5 + year2 * 10**3 + serial
        check = letters[_weighted_parts([(la_int, 3), (est, 4), (year2, 2), (serial, 3)], UPN_WEIGHTS) % 23]
        out[idx] = int_strings(body12, 12, prefix=check)
    return out


def _families_from_index(rng: np.random.Generator, la: np.ndarray, sizes: np.ndarray, age0: np.ndarray,
                         R: int, edd_max: int, s: WorldSettings,
                         referral: np.ndarray | None = None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Families with an index child of age ``age0`` years at day ``referral`` (default: the reference date).

    Negative ages are unborn at that day. Older siblings are spaced 1.2-5 years apart; with
    probability ``p_multiple_birth`` the second child is the index child's twin.
    """
    nf = len(la)
    at = np.full(nf, R, dtype=np.int64) if referral is None else referral
    unborn_at = age0 < 0
    edd0 = np.where(unborn_at, at + (-age0 * YEAR).astype(np.int64), -1)
    edd0 = np.where(unborn_at, np.clip(edd0, at + 1, edd_max), -1)
    dob0 = np.where(unborn_at, -1, at - (age0 * YEAR).astype(np.int64))
    # unborn at the site referral but born by the reference date
    born_since = unborn_at & (edd0 <= R)
    delivered = np.clip(edd0 + rng.integers(-14, 11, nf), at + 1, R)
    dob0 = np.where(born_since, delivered, dob0)
    edd_keep = np.where(unborn_at, edd0, -1)  # keep the EDD the site recorded

    twin = rng.random(nf) < s.p_multiple_birth
    sizes = np.where(twin & (sizes < 2), 2, sizes)
    fam = np.repeat(np.arange(nf), sizes)
    pos = np.arange(len(fam)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    gaps = rng.uniform(1.2, 5.0, len(fam)) * YEAR
    gaps[pos == 0] = 0
    is_twin = twin[fam] & (pos <= 1)
    gaps[is_twin] = 0
    # cumulative gap within family
    cg = np.cumsum(gaps)
    start = np.repeat(cg[np.cumsum(sizes) - sizes], sizes)
    offset = (cg - start).astype(np.int64)
    base = np.where(dob0[fam] >= 0, dob0[fam], edd0[fam])
    kid_birth = base - offset
    unborn = (dob0[fam] < 0) & (offset == 0)
    dob = np.where(unborn, -1, kid_birth)
    edd = np.where(offset == 0, edd_keep[fam], -1)
    # drop siblings aged 18 or over at the reference date
    keep = unborn | ((R - dob) < 17.99 * YEAR)
    keep &= (dob <= R)
    fam_d = {"la_code": la}
    kids = {"family": fam[keep], "dob": dob[keep].astype(np.int64), "edd": edd[keep].astype(np.int64),
            "is_twin": is_twin[keep], "_offset": offset[keep]}
    return fam_d, kids


def _site_families(rng: np.random.Generator, p: SiteProfile, target_children: int, s: WorldSettings,
                   R: int, edd_max: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    site = SITES[p.site_id]
    n_fam = max(1, int(target_children / 1.6) + 2)
    las = np.array(site.la_codes, dtype=object)
    lw = np.array([ref.LA_CHILD_POPULATION[c] * ref.LA_CIN_MULTIPLIER[c] for c in las])
    la = las[rng.choice(len(las), size=n_fam, p=lw / lw.sum())]
    referral = R - rng.integers(0, int(3 * YEAR), n_fam)
    unborn = rng.random(n_fam) < p.p_unborn_at_referral
    lo = max(p.min_age_years, 0.0)
    age0 = np.where(unborn, -rng.uniform(0.05, 0.7, n_fam), rng.uniform(lo, p.max_age_years, n_fam))
    # the index child is still under 18 on the reference date
    age0 = np.minimum(age0, 17.9 - (R - referral) / YEAR)
    sizes = _family_sizes(rng, n_fam)
    fam, kids = _families_from_index(rng, la, sizes, age0, R, edd_max, s, referral)
    # site children: in the site's age range at referral (unborn-at-referral index children count)
    f = kids["family"]
    age_at_ref = np.where(kids["dob"] >= 0, (referral[f] - kids["dob"]) / YEAR, -1.0)
    is_index = kids["_offset"] == 0
    in_range = (age_at_ref >= lo) & (age_at_ref <= p.max_age_years)
    in_range |= is_index & (kids["edd"] >= 0) & (p.min_age_years < 0)
    # never more site children than needed: trim whole families at the end
    cum = np.cumsum(np.bincount(f[in_range], minlength=n_fam))
    n_keep = int(np.searchsorted(cum, target_children) + 1)
    n_keep = min(n_keep, n_fam)
    keep_k = f < n_keep
    kids = {k: v[keep_k] for k, v in kids.items()}
    in_range = in_range[keep_k]
    fam = {"la_code": la[:n_keep]}
    fam["site_id"] = np.full(n_keep, p.site_id, dtype=object)
    fam["known"] = rng.random(n_keep) < p.p_known_to_csc
    fam["referral"] = referral[:n_keep].astype(np.int64)
    fam["harm_parent_on_site"] = rng.random(n_keep) < p.p_harm_parent
    fam["victim_is_father"] = rng.random(n_keep) < p.p_victim_father
    kids["site_child"] = in_range
    return fam, kids
