"""The true world: families, children and parents, drawn vectorised with numpy.

Dates are integer day numbers (``synthetic_data.dates``) until the writers format them. Families
are drawn in :mod:`synthetic_data.families` (site families at the sites' own yearly flows, decoy
families for the rest of each LA's children-in-need population); this module sizes the world,
gives every family an ethnicity, names, a postcode and parents, and every child its identifiers.
Every LA child (site-known or decoy) appears in that LA's CSC files; site children not known to
CSC appear only in the site's files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from synthetic_data import reference as ref
from synthetic_data.dates import EPOCH, YEAR, day
from synthetic_data.ethnicity import cin_ethnicity_distribution
from synthetic_data.families import (
    Calendar,
    Part,
    concat_parts,
    decoy_age_target,
    decoy_age_weights,
    draw_decoy_families,
    draw_site_families,
    keep_first_families,
)
from synthetic_data.names import NamePools, group_index
from synthetic_data.settings import WorldSettings
from warehouse.identifiers import UPN_ALPHABET, nhs_check_digits_vec, upn_check_letter, upn_check_letters_vec
from warehouse.sites import LOCAL_AUTHORITIES

MIN_DECOYS_PER_LA = 3  # so even a 100-child world has CSC files for every LA
# Valid NHS numbers in the test range 999 000 0000-999 999 9999 (S§3.2), the only range the generator
# may use: every other range is, or may be, issued to a patient. It holds enough for about 920,000
# children (unborn children need none); a larger world leaves the rest without one (nhs_shortfall_warning).
NHS_TEST_NUMBERS = 909_091
NHS_CHILDREN_LIMIT = 920_000


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


@dataclass(frozen=True)
class WorldSize:
    """How big the world is and why: the sites' flows and the LA populations."""

    scale: str  # "children" or "real"
    children_requested: int
    site_flow_scale: float  # 1.0 = the sites' own flows; below 1 when the world was too small to hold them
    la_targets: dict[str, int]  # decoy children per LA

    def note(self) -> str:
        """One line for people: the flows' basis."""
        if self.site_flow_scale >= 1.0:
            return "site flows at the sites' own yearly volumes"
        return (f"site flows scaled to {self.site_flow_scale:.0%} of the sites' yearly volumes: "
                f"--children {self.children_requested:,} is too small to hold them (use more children "
                "or --scale real)")


@dataclass
class World:
    """The full true world."""

    settings: WorldSettings
    families: Families
    children: Children
    adult_nhs: dict[str, np.ndarray]  # "mother"/"father" -> NHS number per family (None if missing)
    nhs_shortfall: int
    size: WorldSize | None = None


def choice(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    """``n`` keys of ``options`` drawn with the given (unnormalised) weights."""
    keys = np.array(list(options), dtype=object)
    p = np.array(list(options.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


_choice = choice  # the name other modules of this package used


def la_weights() -> dict[str, float]:
    """Relative size of each LA's CIN population (child population x CIN multiplier, calibration §5, §11.1)."""
    return {c: ref.LA_CHILD_POPULATION[c] * ref.LA_CIN_MULTIPLIER[c] for c in LOCAL_AUTHORITIES}


def real_world_children() -> int:
    """Children in need across the seven LAs at their real sizes (``--scale real``)."""
    return sum(ref.LA_CIN_COUNT[c] for c in LOCAL_AUTHORITIES)


def calendar(settings: WorldSettings) -> Calendar:
    """The reference day, the last allowed due date and the twin rate of ``settings``."""
    return Calendar(day(settings.reference_date), day(date(settings.census_year, 12, 31)),
                    settings.p_multiple_birth)


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
    return np.asarray(district + inward[(sector * nl + l1) * nl + l2], dtype=object)


# ------------------------------------------------------------------------------ sizing the world


def _site_families(rng: np.random.Generator, settings: WorldSettings, cal: Calendar
                   ) -> tuple[list[Part], list[Part]]:
    fam_parts, kid_parts = [], []
    for profile in settings.sites:
        fam, kids = draw_site_families(rng, profile, settings, cal)
        fam_parts.append(fam)
        kid_parts.append(kids)
    return fam_parts, kid_parts


def _fit_site_flows(fam_parts: list[Part], kid_parts: list[Part], budget: int
                    ) -> tuple[list[Part], list[Part], float]:
    """Keep the sites' flows whole when they fit in ``budget`` children, else the same share of each."""
    produced = sum(len(k["family"]) for k in kid_parts)
    if produced <= budget:
        return fam_parts, kid_parts, 1.0
    scale = budget / produced
    kept = [keep_first_families(f, k, int(np.ceil(len(f["la_code"]) * scale)))
            for f, k in zip(fam_parts, kid_parts, strict=True)]
    return [f for f, _ in kept], [k for _, k in kept], scale


def _known_site_children(fam: Part, kids: Part) -> dict[str, np.ndarray]:
    return {k: v[fam["known"][kids["family"]]] for k, v in kids.items()}


def _la_targets(rng: np.random.Generator, settings: WorldSettings, fam: Part, kids: Part) -> dict[str, int]:
    """Decoy children per LA: the LAs' real CIN counts less their known site children, or a share of --children."""
    codes = sorted(LOCAL_AUTHORITIES)
    if settings.scale == "real":
        known = fam["la_code"][kids["family"][fam["known"][kids["family"]]]]
        in_la = {c: int((known == c).sum()) for c in codes}
        return {c: max(MIN_DECOYS_PER_LA, ref.LA_CIN_COUNT[c] - in_la[c]) for c in codes}
    n_decoy = max(0, settings.children - len(kids["family"]))
    spare = max(0, n_decoy - MIN_DECOYS_PER_LA * len(codes))
    w = la_weights()
    p = np.array([w[c] for c in codes])
    extra = rng.multinomial(spare, p / p.sum())
    return {c: int(min(n_decoy, MIN_DECOYS_PER_LA) + e) for c, e in zip(codes, extra, strict=True)}


def _draw_families(rng: np.random.Generator, site_rng: np.random.Generator, settings: WorldSettings,
                   cal: Calendar) -> tuple[tuple[Part, Part], tuple[Part, Part], WorldSize]:
    """Site families at their flows (fitted to the world when it is too small), then the decoys.

    Site families draw from ``site_rng`` only, so the same seed gives the same site families
    (and, downstream, the same site files) whatever the number of decoys.
    """
    fam_parts, kid_parts = _site_families(site_rng, settings, cal)
    flow_scale = 1.0
    if settings.scale == "children":
        budget = int(settings.max_site_share * settings.children)
        fam_parts, kid_parts, flow_scale = _fit_site_flows(fam_parts, kid_parts, budget)
    site_fam, site_kids = concat_parts(fam_parts, kid_parts)
    targets = _la_targets(rng, settings, site_fam, site_kids)
    n_decoy = sum(targets.values())
    weights = decoy_age_weights(decoy_age_target(_known_site_children(site_fam, site_kids), n_decoy,
                                                      cal.reference))
    decoys = draw_decoy_families(rng, targets, weights, cal)
    size = WorldSize(settings.scale, settings.children, flow_scale, targets)
    return (site_fam, site_kids), decoys, size


# ------------------------------------------------------------------------------ people


def _ethnicity_and_names(rng: np.random.Generator, F: Part, K: Part, s: WorldSettings, names: NamePools) -> None:
    """Family ethnicity (fitted per LA), surnames, parents' forenames, postcode; children's sex and names."""
    nf, nk = len(F["la_code"]), len(K["family"])
    eth = np.empty(nf, dtype=object)
    for code, idx in group_index(F["la_code"]):
        eth[idx] = choice(rng, cin_ethnicity_distribution(code, s), len(idx))
    fore_group = np.empty(nf, dtype=object)
    sur_group = np.empty(nf, dtype=object)
    for code, idx in group_index(eth):
        fore_group[idx], sur_group[idx] = ref.NAME_GROUPS[code]
    family_surname = names.surnames(rng, sur_group)
    share = rng.random(nf) < s.p_parents_share_surname
    mother_surname = np.where(share, family_surname, names.surnames(rng, sur_group))
    F.update(ethnicity=eth, surname=family_surname, mother_surname=mother_surname, father_surname=family_surname)
    F["mother_forename"] = names.forenames(rng, fore_group, np.full(nf, "F", dtype=object), adult=True)
    F["father_forename"] = names.forenames(rng, fore_group, np.full(nf, "M", dtype=object), adult=True)
    F["postcode"] = random_postcodes(rng, F["la_code"])
    fam = K["family"]
    born = K["dob"] >= 0
    sex = np.where(born, choice(rng, {"M": ref.CIN_SEX[0], "F": ref.CIN_SEX[1], "U": ref.CIN_SEX[2]}, nk), "U")
    K["sex"] = sex.astype(object)
    K["forename"] = names.forenames(rng, fore_group[fam], K["sex"], adult=False)
    use_mother = (~share[fam]) & (rng.random(nk) < s.p_child_has_mothers_surname)
    fam_use_mother = np.zeros(nf, dtype=bool)  # siblings share a surname: decided per family
    fam_use_mother[fam[use_mother]] = True
    K["surname"] = np.where(fam_use_mother[fam], mother_surname[fam], family_surname[fam])


def _parents_dates_of_birth(rng: np.random.Generator, F: Part, K: Part) -> None:
    """Mother's age at the first birth (teenage mothers more often in Blackpool, Bradford, fbs), father's from hers."""
    nf = len(F["la_code"])
    fam = K["family"]
    birthish = np.where(K["dob"] >= 0, K["dob"], K["edd"])
    oldest_dob = np.full(nf, np.iinfo(np.int64).max)
    np.minimum.at(oldest_dob, fam, birthish)
    deprived = (F["la_code"] == "890") | (F["la_code"] == "380") | (F["site_id"] == "fbs")
    teen = rng.random(nf) < np.where(deprived, 0.06, 0.025)
    mother_age_first = np.where(teen, rng.uniform(16, 19.9, nf), np.clip(rng.normal(27, 5.5, nf), 18, 42))
    F["mother_dob"] = (oldest_dob - mother_age_first * YEAR).astype(np.int64)
    father = (F["mother_dob"] - np.clip(rng.normal(2.5, 4, nf), -5, 15) * YEAR).astype(np.int64)
    F["father_dob"] = np.minimum(father, (oldest_dob - 16.5 * YEAR).astype(np.int64))  # at least 16 at the first birth


# ------------------------------------------------------------------------------ identifiers


def _nhs_pool(rng: np.random.Generator) -> np.ndarray:
    """Every valid NHS number in the 999 test range, shuffled (``NHS_TEST_NUMBERS`` of them)."""
    bodies = np.arange(999_000_000, 1_000_000_000, dtype=np.int64)
    checks = nhs_check_digits_vec(bodies)
    ok = checks != 10
    nums = bodies[ok] * 10 + checks[ok]
    return rng.permutation(nums)


def nhs_shortfall_warning(shortfall: int) -> str | None:
    """The warning for a world that ran out of test-range NHS numbers (``None`` when it did not).

    Example: ``nhs_shortfall_warning(0)`` -> ``None``; ``nhs_shortfall_warning(5)`` names the 5
    people without one, the size of the range and the world size that fits.
    """
    if shortfall <= 0:
        return None
    return (f"warning: {shortfall:,} born children and service adults have no NHS number: the test range "
            f"999 000 0000-999 999 9999 holds {NHS_TEST_NUMBERS:,} valid numbers, enough for about "
            f"{NHS_CHILDREN_LIMIT:,} children (counts.nhs_numbers_unavailable in the manifest)")


class _NhsAllocator:
    """Hands out the shuffled test-range pool; when it runs short, the people left without a number are a
    random subset (rows are in LA order, so cutting the tail would leave one LA without NHS numbers)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.pool = _nhs_pool(rng)
        self.used = 0
        self.shortfall = 0
        self._short_rng = np.random.default_rng(int(self.pool[0]))  # only drawn from when the pool runs short

    def take(self, mask: np.ndarray) -> np.ndarray:
        out = np.full(len(mask), None, dtype=object)
        idx = np.flatnonzero(mask)
        avail = len(self.pool) - self.used
        k = min(avail, len(idx))
        self.shortfall += len(idx) - k
        if k < len(idx):
            idx = np.sort(self._short_rng.choice(idx, size=k, replace=False))
        out[idx[:k]] = int_strings(self.pool[self.used:self.used + k], 10)
        self.used += k
        return out


def unique_numbers(rng: np.random.Generator, n: int, digits: int) -> np.ndarray:
    """``n`` distinct numbers of at least ``digits`` digits (no leading zero), widening until the range holds 60n.

    Example: ``unique_numbers(rng, 3, 5)`` -> three numbers in 10,000-99,999; a million of them
    take seven digits instead of running out.
    """
    while 9 * 10 ** (digits - 1) < 60 * n:  # sparse enough for numpy to draw without a full permutation
        digits += 1
    low = 10 ** (digits - 1)
    out: np.ndarray = np.asarray(rng.choice(9 * low, size=n, replace=False), dtype=np.int64) + low
    return out


def _upn_identifiers(rng: np.random.Generator, F: Part, K: Part, s: WorldSettings, R: int) -> None:
    nk = len(K["family"])
    in_la, born = K["in_la"], K["dob"] >= 0
    la = F["la_code"][K["family"]]
    age_ref = np.where(born, (R - K["dob"]) / YEAR, -1.0)
    p_upn = np.where(age_ref >= 5, s.p_upn_age5plus, np.where(age_ref >= 3, s.p_upn_age3to4, 0.0))
    has_upn = in_la & born & (rng.random(nk) < p_upn)
    K["upn"] = _make_upns(rng, la, K["dob"], has_upn, temporary=False)
    has_former = has_upn & (rng.random(nk) < s.p_former_upn)
    K["former_upn"] = _make_upns(rng, la, K["dob"], has_former, temporary=True)
    unknown_old = np.array(["UN2", "UN3", "UN5"], dtype=object)[rng.integers(0, 3, nk)]
    K["upn_unknown"] = np.where(has_upn | ~in_la, "", np.where(age_ref < 5, "UN1", unknown_old)).astype(object)


def _la_child_ids(rng: np.random.Generator, F: Part, K: Part) -> None:
    nk = len(K["family"])
    idx = np.flatnonzero(K["in_la"])
    nums = rng.choice(10_000_000, size=len(idx), replace=False)  # 7 digits: room for 10 million LA children
    la_ids = np.full(nk, None, dtype=object)
    la_ids[idx] = int_strings(nums, 7, prefix=F["la_code"][K["family"][idx]])
    la_num = np.full(nk, -1, dtype=np.int64)
    la_num[idx] = nums
    K["la_child_id"], K["la_child_num"] = la_ids, la_num


def _identifiers(rng: np.random.Generator, F: Part, K: Part, s: WorldSettings, nhs_rng: np.random.Generator
                 ) -> tuple[dict[str, np.ndarray], int]:
    """NHS numbers (site children, site adults, then the rest), UPNs and LAchildIDs; adult numbers and the shortfall."""
    nhs = _NhsAllocator(nhs_rng)
    on_site = F["site_id"] != ""
    born, site_child = K["dob"] >= 0, on_site[K["family"]]
    # site people first (children, then adults), so their numbers do not depend on the number of decoys
    kids_on_site = nhs.take(born & site_child)
    adult_nhs = {"mother": nhs.take(on_site),
                 "father": nhs.take(on_site & F["harm_parent_on_site"] | F["victim_is_father"])}
    K["nhs"] = np.where(site_child, kids_on_site, nhs.take(born & ~site_child))
    K["in_la"] = F["known"][K["family"]]
    _upn_identifiers(rng, F, K, s, day(s.reference_date))
    _la_child_ids(rng, F, K)
    return adult_nhs, nhs.shortfall


def _people(rng: np.random.Generator, part: tuple[Part, Part], s: WorldSettings, names: NamePools
            ) -> tuple[Part, Part]:
    F, K = part
    if len(F.get("la_code", ())):
        _ethnicity_and_names(rng, F, K, s, names)
        _parents_dates_of_birth(rng, F, K)
    return F, K


def build_world(settings: WorldSettings, rng: np.random.Generator, names: NamePools,
                site_rng: np.random.Generator | None = None) -> World:
    """Draw the whole true world for ``settings``: families, people, identifiers.

    Site families and their people draw from ``site_rng`` (default: ``rng``), decoys and
    identifiers from ``rng``.
    """
    cal = calendar(settings)
    site_rng = rng if site_rng is None else site_rng
    site, decoys, size = _draw_families(rng, site_rng, settings, cal)
    site = _people(site_rng, site, settings, names)
    decoys = _people(rng, decoys, settings, names)
    F, K = concat_parts([p[0] for p in (site, decoys) if p[0]], [p[1] for p in (site, decoys) if p[0]])
    adult_nhs, shortfall = _identifiers(rng, F, K, settings, site_rng)
    families = Families(**{k: F[k] for k in Families.__dataclass_fields__})
    children = Children(**{k: K[k] for k in Children.__dataclass_fields__})
    return World(settings, families, children, adult_nhs, shortfall, size)


def int_strings(values: np.ndarray, width: int, prefix: np.ndarray | str = "",
                suffix: np.ndarray | str = "") -> np.ndarray:
    """Zero-padded decimal strings of ``values`` with optional prefix/suffix strings (object array)."""
    cols = [pl.lit(prefix) if isinstance(prefix, str) else pl.Series("p", prefix, dtype=pl.Utf8),
            pl.Series("v", np.asarray(values, dtype=np.int64)).cast(pl.Utf8).str.zfill(width),
            pl.lit(suffix) if isinstance(suffix, str) else pl.Series("s", suffix, dtype=pl.Utf8)]
    return np.asarray(pl.select(pl.concat_str(cols)).to_series().to_numpy(), dtype=object)  # no copy: already objects


def _make_upns(rng: np.random.Generator, la: np.ndarray, dob: np.ndarray, mask: np.ndarray,
               temporary: bool) -> np.ndarray:
    """UPNs (or temporary UPNs) for ``mask``: LA code, establishment, the year the child turned five, serial."""
    out = np.full(len(mask), None, dtype=object)
    idx = np.flatnonzero(mask)
    if not len(idx):
        return out
    u = rng.choice(10_000_000, size=len(idx), replace=False)
    est, serial = u // 1000, u % 1000
    year2 = ((EPOCH.year + dob[idx] / YEAR).astype(np.int64) + 5) % 100
    la_int = la[idx].astype(np.int64)
    letters = np.array(list(UPN_ALPHABET), dtype=object)
    if temporary:
        # 11 digits then a letter; few children have one, so the check letter is computed per UPN
        # by warehouse.identifiers (the one home of the arithmetic)
        last = rng.integers(0, len(UPN_ALPHABET), len(idx))
        body11 = la_int * 10**8 + est * 10**4 + year2 * 100 + serial % 100
        bodies = int_strings(body11, 11, suffix=letters[last])
        out[idx] = np.array([upn_check_letter(b) + b for b in bodies], dtype=object)
    else:
        check = upn_check_letters_vec(la_int, est, year2, serial).astype(object)
        body12 = la_int * 10**9 + est * 10**5 + year2 * 10**3 + serial
        out[idx] = int_strings(body12, 12, prefix=check)
    return out
