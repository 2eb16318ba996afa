"""Children's social care activity for every LA child: CIN episodes and looked-after episodes.

All dates obey the CIN census rules in ``csc-data-standards.md`` §2.5 and the SSDA903 episode
rules in §4.3: nothing after the reference date except expected births, closure inside the
census year, activity after referral and before closure, the CPP starting on the ICPC date
(a weekday), reviews after the plan start, CIN plans never alongside a CPP, 903 episodes chained
with ``X1`` on the same day and at least a day long. Everything is drawn vectorised; repeated
sub-elements (assessment factors, disabilities, CPP reviews) are rendered to XML here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from synthetic_data import reference as ref
from synthetic_data.dates import YEAR, date_series, day, next_weekday, weekday
from synthetic_data.names import group_index
from synthetic_data.population import World, _choice, random_postcodes
from synthetic_data.xmlfrag import concat, el, joined, pick, sparse

__all__ = ["CinEpisodes", "ClaEpisodes", "build_cin", "build_cla", "next_weekday", "weekday"]

DA_CODES = ("3A", "3B", "3C")


@dataclass
class CinEpisodes:
    """One CIN episode per LA child (arrays over ``World.children`` rows where ``in_la``; -1 = absent)."""

    child: np.ndarray  # index into World.children
    referral: np.ndarray
    source: np.ndarray
    need: np.ndarray  # "" = absent
    closure: np.ndarray
    closure_reason: np.ndarray
    nfa: np.ndarray
    assess_start: np.ndarray
    assess_auth: np.ndarray
    factors_xml: pl.Series  # <AssessmentFactors> elements (null when not authorised)
    plan_start: np.ndarray
    plan_end: np.ndarray
    s47_start: np.ndarray
    s47_target: np.ndarray
    icpc: np.ndarray
    cpp_start: np.ndarray
    cpp_end: np.ndarray
    cpp_initial: np.ndarray
    cpp_latest: np.ndarray
    cpp_previous: np.ndarray
    reviews_xml: pl.Series  # <CPPreviewDate> elements (null = none)
    disabilities_xml: pl.Series  # <Disability> elements (null = no Disabilities element)
    da_factor: np.ndarray  # bool: a domestic-abuse factor was recorded
    # what the census year's return holds: activity that ended before the year starts is not returned
    assess_returned: np.ndarray
    plan_returned: np.ndarray
    s47_returned: np.ndarray
    cpp_returned: np.ndarray
    # an earlier episode in the same census year, closed after assessment (-1 / "" = none)
    prev_referral: np.ndarray
    prev_source: np.ndarray
    prev_need: np.ndarray
    prev_assess_start: np.ndarray
    prev_assess_auth: np.ndarray
    prev_closure: np.ndarray
    prev_reason: np.ndarray


@dataclass(frozen=True)
class _Frame:
    """The LA children a CIN census covers, and the days it is drawn against."""

    world: World
    child: np.ndarray  # index into World.children
    R: int
    C0: int

    @property
    def n(self) -> int:
        return len(self.child)

    @property
    def dob(self) -> np.ndarray:
        return np.asarray(self.world.children.dob[self.child])

    @property
    def born(self) -> np.ndarray:
        return self.dob >= 0

    @property
    def site_family(self) -> np.ndarray:
        return np.asarray(self.world.families.site_id[self.world.children.family[self.child]] != "")

    @property
    def age(self) -> np.ndarray:
        """Age in years at the reference date (-1 before birth)."""
        return np.where(self.born, (self.R - self.dob) / YEAR, -1.0)


def build_cin(world: World, rng: np.random.Generator) -> CinEpisodes:
    """Draw one CIN episode for each LA child, consistent with the family's site referral."""
    s = world.settings
    fr = _Frame(world, np.flatnonzero(world.children.in_la), day(s.reference_date), day(s.census_start))
    r = _referral_dates(fr, rng)
    nfa = (~fr.site_family) & (r >= fr.C0) & (rng.random(fr.n) < 0.06)
    source = _choice(rng, ref.REFERRAL_SOURCES_CIN, fr.n)
    prev: dict[str, Any] = _previous_episode(fr, r, rng)
    a_start, a_auth = _assessment_dates(fr, r, nfa, rng)
    ep = _Episode(r, nfa, a_start, a_auth)
    authorised = ep.authorised
    assess_returned = _in_year(fr, a_start, a_auth)
    factors, da, any_factor = _assessment_factors(fr, authorised, assess_returned,
                                                  int((prev["prev_assess_auth"] >= 0).sum()), rng)
    need = np.where(nfa, "", np.where(da, "N1", _choice(rng, ref.PRIMARY_NEED, fr.n))).astype(object)
    cpp = _child_protection(fr, a_start, authorised & any_factor, rng)
    plan: dict[str, Any] = _cin_plan(fr, a_auth, authorised & (cpp["cpp_start"] < 0), rng)
    closure, reason = _closure(fr, ep, cpp, plan, rng)
    return CinEpisodes(
        child=fr.child, referral=r, source=source, need=need, closure=closure, closure_reason=reason, nfa=nfa,
        assess_start=a_start, assess_auth=a_auth, factors_xml=factors, **plan, **cpp,
        disabilities_xml=_disabilities(fr, rng), da_factor=da, **prev, assess_returned=assess_returned,
        plan_returned=_in_year(fr, plan["plan_start"], plan["plan_end"]),
        s47_returned=(cpp["s47_start"] >= 0) & (cpp["icpc"] >= fr.C0),
        cpp_returned=_in_year(fr, cpp["cpp_start"], cpp["cpp_end"]),
    )


def _in_year(fr: _Frame, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Activity the census year's return holds: started, and not ended before the year began (DfE 8696, 4013, 8930)."""
    return np.asarray((start >= 0) & ~((end >= 0) & (end < fr.C0)))


def _referral_dates(fr: _Frame, rng: np.random.Generator) -> np.ndarray:
    """Family-level referral (site families: 0-180 days before the site's), clipped to each child's birth."""
    F, K = fr.world.families, fr.world.children
    nf = len(F)
    fam_ref = np.where(F.site_id != "", F.referral - rng.integers(0, 180, nf),
                       fr.R - rng.integers(0, int(2.5 * YEAR), nf))
    r = fam_ref[K.family[fr.child]]
    edd = K.edd[fr.child]
    birth = np.where(fr.born, fr.dob, edd)
    born_after_site_ref = fr.born & fr.site_family & (edd >= 0)
    lower = np.maximum(np.where(fr.born & ~born_after_site_ref, fr.dob, birth - 270), fr.R - int(4 * YEAR))
    r = np.clip(r, lower, fr.R)
    # unborn children (no DOB yet): referral within 40 weeks of the expected date (rule 8606)
    return np.asarray(np.where(~fr.born, np.clip(r, np.maximum(edd - 270, fr.R - 250), fr.R), r))


def _assessment_dates(fr: _Frame, r: np.ndarray, nfa: np.ndarray, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Start 0-10 days after referral, authorised 5-45 days later (-1 when NFA or not yet authorised)."""
    a_start = np.minimum(r + rng.integers(0, 11, fr.n), fr.R)
    a_auth = a_start + rng.integers(5, 46, fr.n)
    authorised = ~nfa & (a_auth <= fr.R)
    return np.where(nfa, -1, a_start), np.where(authorised, a_auth, -1)


def decoy_da_probability(target: float, site_assessments: int, decoy_assessments: int, earlier: int) -> float:
    """The DA-factor probability for decoy assessments that makes the share over all completed assessments ``target``.

    Completed (authorised) assessments are those with factors recorded, the denominator of DfE's
    published shares (calibration §3.4).

    Site families always have the factor (all four are DA services, calibration §11.1) and an
    earlier closed episode's assessment never has it, so decoys take what is left:
    ``(target x all - site) / decoys``, within 0-1.

    Example: ``decoy_da_probability(0.5, 100, 900, 0)`` -> 0.444...
    """
    if decoy_assessments <= 0:
        return target
    wanted = target * (site_assessments + decoy_assessments + earlier) - site_assessments
    return float(min(1.0, max(0.0, wanted / decoy_assessments)))


def _assessment_factors(fr: _Frame, authorised: np.ndarray, returned: np.ndarray, earlier: int,
                        rng: np.random.Generator) -> tuple[pl.Series, np.ndarray, np.ndarray]:
    """Factors at assessment (only on an authorised one: rule 8614); returns the XML, DA and any-factor flags.

    The DA share is calibrated over the assessments the return holds (``returned``), where it is read.
    """
    s = fr.world.settings
    site = fr.site_family
    counted = authorised & returned
    p_decoy = decoy_da_probability(s.p_factor_domestic_abuse, int((counted & site).sum()),
                                   int((counted & ~site).sum()), earlier)
    da = authorised & (rng.random(fr.n) < np.where(site, 1.0, p_decoy))
    da_code = _choice(rng, dict(zip(DA_CODES, s.da_factor_split, strict=True)), fr.n)
    mh = authorised & (rng.random(fr.n) < s.p_factor_mental_health)
    options = [(da & (da_code == c), f"<AssessmentFactors>{c}</AssessmentFactors>") for c in DA_CODES]
    options.append((mh, "<AssessmentFactors>4B</AssessmentFactors>"))
    any_factor = da | mh
    age = fr.age
    for code, p in ref.OTHER_FACTORS.items():
        eligible = authorised & (age > 8 if code == "4A" else age > 10 if code in ("11A", "13A", "15A", "10A")
                                 else True)
        m = eligible & (rng.random(fr.n) < p)
        any_factor |= m
        options.append((m, f"<AssessmentFactors>{code}</AssessmentFactors>"))
    options.append((authorised & ~any_factor, "<AssessmentFactors>21</AssessmentFactors>"))
    return joined(options), da, any_factor


def _child_protection(fr: _Frame, a_start: np.ndarray, eligible: np.ndarray, rng: np.random.Generator
                      ) -> dict[str, Any]:
    """Section 47, ICPC and plan (the CPP starts on the ICPC date, a weekday), categories and reviews."""
    s, n, R = fr.world.settings, fr.n, fr.R
    la = fr.world.families.la_code[fr.world.children.family[fr.child]]
    want = eligible & (rng.random(n) < np.where(fr.site_family, 0.30, s.p_cpp_given_cin))
    s47 = np.minimum(a_start + rng.integers(0, 6, n), R)
    target = next_weekday(s47 + 21)
    icpc = next_weekday(s47 + rng.integers(8, 21, n))
    cpp = want & (icpc <= R) & (target <= R)
    cpp_start = np.where(cpp, icpc, -1)
    cpp_len = rng.integers(60, 420, n)
    cpp_closed = cpp & (rng.random(n) < 0.45) & (cpp_start + cpp_len <= R)
    initial = np.empty(n, dtype=object)
    brad = la == "380"
    initial[~brad] = _choice(rng, ref.CPP_CATEGORY, int((~brad).sum()))
    initial[brad] = _choice(rng, ref.CPP_CATEGORY_BRADFORD, int(brad.sum()))
    latest = np.where(rng.random(n) < 0.9, initial, _choice(rng, ref.CPP_CATEGORY, n)).astype(object)
    # the liia-tools 2024 XSD types NumberOfPreviousCPP as xs:positiveInteger, so it is never 0 here
    previous = rng.choice(np.array(["1", "2", "3"], dtype=object), size=n, p=[0.78, 0.17, 0.05])
    cpp_end = np.where(cpp_closed, cpp_start + cpp_len, -1)
    reviews, last_review = _reviews(cpp, cpp_start, cpp_end, R)
    return {"s47_start": np.where(cpp, s47, -1), "s47_target": np.where(cpp, target, -1), "icpc": cpp_start.copy(),
            "cpp_start": cpp_start, "cpp_end": cpp_end, "cpp_initial": initial, "cpp_latest": latest,
            "cpp_previous": previous, "reviews_xml": reviews, "_last_review": last_review}


def _reviews(cpp: np.ndarray, cpp_start: np.ndarray, cpp_end: np.ndarray, R: int) -> tuple[pl.Series, np.ndarray]:
    """Reviews 3 months after the start, then every 6 months, before the end and by the reference date."""
    n = len(cpp)
    cols: dict[str, pl.Series] = {}
    last = np.full(n, -1, dtype=np.int64)
    on_plan = np.flatnonzero(cpp)  # reviews are rendered for these rows only
    stop = np.where(cpp_end >= 0, cpp_end, R + 1)
    k = 0
    while True:
        d = next_weekday(cpp_start + 90 + 182 * k)
        ok = cpp & (d < stop) & (d <= R)
        if not ok.any():
            break
        cols[f"r{k}"] = date_series(f"r{k}", np.where(ok, d, -1)[on_plan])
        last = np.where(ok, d, last)
        k += 1
    xml = (pl.DataFrame(cols).select(concat([el("CPPreviewDate", pl.col(c)) for c in cols])).to_series()
           if cols else pl.Series([], dtype=pl.Utf8))
    return sparse(on_plan, n, xml), last


def _cin_plan(fr: _Frame, a_auth: np.ndarray, eligible: np.ndarray, rng: np.random.Generator
              ) -> dict[str, np.ndarray]:
    """A CIN plan for 40% of authorised assessments without a CPP (never alongside one)."""
    n = fr.n
    plan = eligible & (rng.random(n) < 0.40)
    start = np.where(plan, np.minimum(a_auth + rng.integers(0, 15, n), fr.R), -1)
    length = rng.integers(30, 300, n)
    closed = plan & (rng.random(n) < 0.5) & (start + length <= fr.R)
    return {"plan_start": start, "plan_end": np.where(closed, start + length, -1)}


@dataclass(frozen=True)
class _Episode:
    """The current episode's referral and assessment days (-1 = none)."""

    referral: np.ndarray
    nfa: np.ndarray
    assess_start: np.ndarray
    assess_auth: np.ndarray

    @property
    def authorised(self) -> np.ndarray:
        return np.asarray(self.assess_auth >= 0)


def _closure(fr: _Frame, ep: _Episode, cpp: dict[str, Any], plan: dict[str, np.ndarray], rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray]:
    """Closure only when nothing is open, inside the census year, after every activity; its reason."""
    n = fr.n
    r, nfa, a_start, a_auth, authorised = ep.referral, ep.nfa, ep.assess_start, ep.assess_auth, ep.authorised
    on_cpp, on_plan = cpp["cpp_start"] >= 0, plan["plan_start"] >= 0
    still_open = (on_cpp & (cpp["cpp_end"] < 0)) | (on_plan & (plan["plan_end"] < 0)) | (~nfa & ~authorised)
    last = np.maximum.reduce([r, a_start, a_auth, cpp["s47_start"], cpp["s47_target"], cpp["icpc"],
                              cpp["cpp_start"], cpp["cpp_end"], plan["plan_start"], plan["plan_end"],
                              cpp.pop("_last_review")])
    want_close = nfa | (~still_open & (rng.random(n) < 0.55))
    closure = np.maximum(last + rng.integers(0, 30, n), fr.C0)
    close = (want_close & (closure <= fr.R)) | nfa
    closure = np.where(nfa, np.maximum(r, fr.C0), closure)
    closure = np.where(close, closure, -1)
    assessed_only = close & authorised & ~on_cpp & ~on_plan
    other = _choice(rng, {"RC7": 0.85, "RC3": 0.05, "RC4": 0.04, "RC5": 0.04, "RC6": 0.02}, n)
    reason = np.where(~close, "", np.where(nfa, "RC7", np.where(
        assessed_only, np.where(rng.random(n) < 0.6, "RC8", "RC9"), other))).astype(object)
    young = ~fr.born | (fr.age < 16)
    return closure, np.where((reason == "RC6") & young, "RC7", reason).astype(object)


def _disabilities(fr: _Frame, rng: np.random.Generator) -> pl.Series:
    """Rule 8540: required when born and not NFA; NONE never combined; no duplicates."""
    n = fr.n
    codes = np.array(ref.DISABILITY_CODES, dtype=object)
    nc = len(codes)
    has_dis = rng.random(n) < 0.15
    two = rng.random(n) < 0.3
    c1 = rng.integers(0, nc, n)
    c2 = (c1 + 1 + rng.integers(0, nc - 1, n)) % nc
    # one text per combination: NONE, one code, or an ordered pair; null before birth
    one = [f"<Disability>{c}</Disability>" for c in codes]
    combos = ["<Disability>NONE</Disability>", *one, *(a + b for a in one for b in one)]
    which = np.where(has_dis, 1 + np.where(two, nc + c1 * nc + c2, c1), 0)
    return pick(combos, np.where(fr.born, which, -1))


def _previous_episode(fr: _Frame, r: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """An earlier, closed episode in the same census year (no overlap: rules 8815/8820)."""
    n, C0, born, dob = fr.n, fr.C0, fr.born, fr.dob
    room = (r - np.maximum(C0, np.where(born, dob, r))) >= 70
    prev = room & (rng.random(n) < fr.world.settings.p_second_cin_episode)
    p_ref = np.maximum(C0, np.where(born, dob, C0)) + (rng.random(n) * np.maximum(r - 60 - C0, 1)).astype(np.int64)
    p_ref = np.minimum(p_ref, r - 60)
    p_as = p_ref + rng.integers(0, 6, n)
    p_auth = p_as + rng.integers(5, 30, n)
    p_close = np.minimum(p_auth + rng.integers(0, 20, n), r - 1)
    ok = prev & (p_ref >= C0) & (p_close >= p_auth)
    p_ref, p_as, p_auth, p_close = (np.where(ok, x, -1) for x in (p_ref, p_as, p_auth, p_close))
    return {
        "prev_referral": p_ref, "prev_assess_start": p_as, "prev_assess_auth": p_auth, "prev_closure": p_close,
        "prev_reason": np.where(ok, np.where(rng.random(n) < 0.6, "RC8", "RC9"), "").astype(object),
        "prev_source": _choice(rng, ref.REFERRAL_SOURCES_CIN, n),
        "prev_need": np.where(ok, _choice(rng, ref.PRIMARY_NEED, n), "").astype(object),
    }


@dataclass
class ClaEpisodes:
    """SSDA903 episodes (one row per episode) for looked-after LA children."""

    child: np.ndarray  # index into World.children
    decom: np.ndarray
    rne: np.ndarray
    ls: np.ndarray
    cin: np.ndarray
    place: np.ndarray
    provider: np.ndarray
    dec: np.ndarray  # -1 open
    rec: np.ndarray
    reason_change: np.ndarray
    home_post: np.ndarray
    pl_post: np.ndarray
    urn: np.ndarray


_PLACES = np.array(["U1", "U3", "U4", "U6", "K2", "P1", "K3"], dtype=object)
_FOSTER_PLACES = np.array(["U1", "U2", "U3", "U4", "U5", "U6"], dtype=object)
_PLACE_P_UNDER16 = np.array([0.08, 0.08, 0.22, 0.25, 0.11, 0.06, 0.0])
_PLACE_P_16PLUS = np.array([0.08, 0.08, 0.22, 0.25, 0.11, 0.06, 0.10])


def _care_periods(c_dob: np.ndarray, R: int, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One care period per child cut into 1-3 episodes chained on the same day, each at least a day.

    Returns episode starts and ends (m x 3), the number of episodes and whether the period ended.
    """
    m = len(c_dob)
    lo = np.maximum(c_dob + 1, R - int(4 * YEAR))
    hi = np.minimum(R - 2, c_dob + int(17.5 * YEAR))
    start = lo + (rng.random(m) * np.maximum(hi - lo, 0)).astype(np.int64)
    closed = rng.random(m) < 0.35
    period_end = np.where(closed, start + 2 + (rng.random(m) * (R - start - 2)).astype(np.int64), R)
    span = period_end - start
    n_ep = rng.choice([1, 2, 3], size=m, p=[0.6, 0.28, 0.12])
    n_ep = np.minimum(n_ep, np.maximum(1, span - 1))
    # interior cut points (distinct, strictly inside the period): every episode is at least a day
    ca = 1 + (rng.random(m) * np.maximum(span - 2, 1)).astype(np.int64)
    ca = np.where(n_ep == 2, 1 + (rng.random(m) * (span - 1)).astype(np.int64), ca)
    cb = ca + 1 + (rng.random(m) * np.maximum(span - 1 - ca, 0)).astype(np.int64)
    starts = np.stack([start, start + ca, start + cb], axis=1)
    ends = np.stack([np.where(n_ep == 1, period_end, start + ca), np.where(n_ep == 2, period_end, start + cb),
                     period_end], axis=1)
    return starts, ends, n_ep, closed


def build_cla(world: World, cin: CinEpisodes, rng: np.random.Generator) -> ClaEpisodes:
    """Looked-after episodes for a share of born, non-NFA CIN children (calibration §4, §11.1)."""
    s = world.settings
    R = day(s.reference_date)
    K, F = world.children, world.families
    child = cin.child
    la = F.la_code[K.family[child]]
    dob = K.dob[child]
    la_rows = group_index(la)
    la_mult = np.zeros(len(la))
    for code, rows in la_rows:
        la_mult[rows] = ref.LA_CLA_MULTIPLIER[code] / ref.LA_CIN_MULTIPLIER[code]
    eligible = (dob >= 0) & ~cin.nfa & (K.sex[child] != "U") & (R - dob > 30)
    cla = eligible & (rng.random(len(child)) < np.clip(s.p_cla_given_cin * la_mult, 0, 0.9))
    # at least one looked-after child per LA when any is eligible (no header-only 903 files in tiny worlds)
    for _code, rows in la_rows:
        in_la = rows[eligible[rows]]
        if len(in_la) and not cla[in_la].any():
            cla[in_la[0]] = True
    idx = np.flatnonzero(cla)
    starts, ends, n_ep, closed = _care_periods(dob[idx], R, rng)
    m = len(idx)
    c_dob = dob[idx]
    rep = np.repeat(np.arange(m), n_ep)
    e = np.arange(len(rep)) - np.repeat(np.cumsum(n_ep) - n_ep, n_ep)
    d0 = starts[rep, e]
    d1 = ends[rep, e]
    last = e == n_ep[rep] - 1
    open_ep = last & ~closed[rep]
    ne = len(rep)
    age16 = (d0 - c_dob[rep]) >= 16 * YEAR
    place = np.empty(ne, dtype=object)
    place[age16] = rng.choice(_PLACES, size=int(age16.sum()), p=_PLACE_P_16PLUS / _PLACE_P_16PLUS.sum())
    place[~age16] = rng.choice(_PLACES, size=int((~age16).sum()), p=_PLACE_P_UNDER16 / _PLACE_P_UNDER16.sum())
    other_provider = np.array(["PR1", "PR4", "PR5"], dtype=object)[rng.integers(0, 3, ne)]
    ls = _choice(rng, {"C2": 0.55, "C1": 0.22, "V2": 0.17, "E1": 0.06}, m)[rep]
    place = _consistent_placements(place, e, ls)
    provider = np.where(place == "P1", "PR0", np.where(place == "K3", "PR4", np.where(
        ((place == "U1") | (place == "U3")), "PR1", other_provider))).astype(object)
    need = np.where(cin.need[idx] == "", "N1", cin.need[idx])
    need = np.where((need == "N9") | (need == "N0"), "N1", need).astype(object)[rep]
    final_rec = np.array(["E4A", "E13", "E41", "E45", "E8"], dtype=object)[rng.integers(0, 5, ne)]
    # a special guardianship order to former foster carers needs a foster placement (DfE 516)
    final_rec = np.where((final_rec == "E45") & ~np.isin(place, _FOSTER_PLACES), "E41", final_rec)
    rec = np.where(open_ep, "", np.where(last, final_rec, "X1")).astype(object)
    change = np.array(["CARPL", "CREQB", "CHILD", "LAREQ", "OTHER"], dtype=object)[rng.integers(0, 5, ne)]
    reason_change = np.where(rec == "X1", change, "").astype(object)  # on the episode the move ends (DfE 225)
    home = random_postcodes(rng, la[idx])
    sector = np.array([p[:-2] for p in home.tolist()], dtype=object)[rep]
    placed = _placement_sectors(random_postcodes(rng, la[idx][rep]), sector, place)
    urn = np.where(place == "K2", "SC" + rng.integers(100000, 999999, ne).astype(str).astype(object),
                   "XXXXXXX").astype(object)
    return ClaEpisodes(
        child=child[idx][rep], decom=d0, rne=np.where(e == 0, "S", "P").astype(object), ls=ls, cin=need,
        place=place, provider=provider, dec=np.where(open_ep, -1, d1), rec=rec, reason_change=reason_change,
        home_post=sector, pl_post=placed, urn=urn,
    )


def _consistent_placements(place: np.ndarray, e: np.ndarray, ls: np.ndarray) -> np.ndarray:
    """No section 20 child placed with parents (DfE 378); a new "P" episode really changes placement (DfE 435)."""
    place = np.where((place == "P1") & (ls == "V2"), "U4", place).astype(object)
    for k in (1, 2):  # episodes follow each other in rows: compare each with the one before, in order
        rows = np.flatnonzero(e == k)
        before = place[rows - 1]
        same = place[rows] == before
        place[rows[same]] = np.where(before[same] == "U4", "U6", "U4")
    return place


def _placement_sectors(postcodes: np.ndarray, home: np.ndarray, place: np.ndarray) -> np.ndarray:
    """Placement postcode sector: home when placed with parents, otherwise another sector (DfE 392b, 392d)."""
    sector = np.array([p[:-2] for p in postcodes.tolist()], dtype=object)
    other_digit = np.array([s[:-1] + str(int(s[-1]) % 9 + 1) for s in home.tolist()], dtype=object)
    away = np.where(sector == home, other_digit, sector)
    return np.where(place == "P1", home, away).astype(object)
