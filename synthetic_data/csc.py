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
    # an earlier episode in the same census year, closed after assessment (-1 / "" = none)
    prev_referral: np.ndarray | None = None
    prev_source: np.ndarray | None = None
    prev_need: np.ndarray | None = None
    prev_assess_start: np.ndarray | None = None
    prev_assess_auth: np.ndarray | None = None
    prev_closure: np.ndarray | None = None
    prev_reason: np.ndarray | None = None


def build_cin(world: World, rng: np.random.Generator) -> CinEpisodes:
    """Draw one CIN episode for each LA child, consistent with the family's site referral."""
    s = world.settings
    R = day(s.reference_date)
    C0 = day(s.census_start)
    K, F = world.children, world.families
    child = np.flatnonzero(K.in_la)
    n = len(child)
    fam = K.family[child]
    dob = K.dob[child]
    edd = K.edd[child]
    born = dob >= 0
    site_fam = F.site_id[fam] != ""

    # ---- referral date: family-level draw, then clipped per child
    nf = len(F)
    fam_ref = np.where(F.site_id != "", F.referral - rng.integers(0, 180, nf), R - rng.integers(0, int(2.5 * YEAR), nf))
    r = fam_ref[fam]
    birth = np.where(born, dob, edd)
    born_after_site_ref = born & site_fam & (edd >= 0)
    lower = np.where(born & ~born_after_site_ref, dob, birth - 270)
    lower = np.maximum(lower, R - int(4 * YEAR))
    r = np.clip(r, lower, R)
    # unborn children (no DOB yet): referral within 40 weeks of the expected date (rule 8606)
    r = np.where(~born, np.clip(r, np.maximum(edd - 270, R - 250), R), r)

    nfa = (~site_fam) & (r >= C0) & (rng.random(n) < 0.06)
    source = _choice(rng, ref.REFERRAL_SOURCES_CIN, n)

    # ---- assessment and factors (factors only on an authorised assessment: rule 8614)
    a_start = np.minimum(r + rng.integers(0, 11, n), R)
    a_auth = a_start + rng.integers(5, 46, n)
    authorised = ~nfa & (a_auth <= R)
    a_start = np.where(nfa, -1, a_start)
    a_auth = np.where(authorised, a_auth, -1)

    p_da = np.where(site_fam, 1.0, s.p_factor_domestic_abuse)
    da = authorised & (rng.random(n) < p_da)
    da_code = _choice(rng, dict(zip(DA_CODES, s.da_factor_split, strict=True)), n)
    mh = authorised & (rng.random(n) < s.p_factor_mental_health)
    age_ref = np.where(born, (R - dob) / YEAR, -1.0)
    options = [(da & (da_code == c), f"<AssessmentFactors>{c}</AssessmentFactors>") for c in DA_CODES]
    options.append((mh, "<AssessmentFactors>4B</AssessmentFactors>"))
    any_factor = da | mh
    for code, p in ref.OTHER_FACTORS.items():
        eligible = authorised.copy()
        if code == "4A":
            eligible &= age_ref > 8
        elif code in ("11A", "13A", "15A", "10A"):
            eligible &= age_ref > 10
        m = eligible & (rng.random(n) < p)
        any_factor |= m
        options.append((m, f"<AssessmentFactors>{code}</AssessmentFactors>"))
    options.append((authorised & ~any_factor, "<AssessmentFactors>21</AssessmentFactors>"))
    factors = joined(options)
    need = np.where(nfa, "", np.where(da, "N1", _choice(rng, ref.PRIMARY_NEED, n))).astype(object)

    # ---- section 47 and child protection plan (CPP starts on the ICPC date, a weekday)
    la = F.la_code[fam]
    cpp_p = np.where(site_fam, 0.30, s.p_cpp_given_cin)
    want_cpp = authorised & any_factor & (rng.random(n) < cpp_p)
    s47 = np.minimum(a_start + rng.integers(0, 6, n), R)
    target = next_weekday(s47 + 21)
    icpc = next_weekday(s47 + rng.integers(8, 21, n))
    cpp = want_cpp & (icpc <= R) & (target <= R)
    s47_start = np.where(cpp, s47, -1)
    s47_target = np.where(cpp, target, -1)
    icpc = np.where(cpp, icpc, -1)
    cpp_start = icpc.copy()
    cpp_len = rng.integers(60, 420, n)
    cpp_closed = cpp & (rng.random(n) < 0.45) & (cpp_start + cpp_len <= R)
    cpp_end = np.where(cpp_closed, cpp_start + cpp_len, -1)
    initial = np.empty(n, dtype=object)
    brad = la == "380"
    initial[~brad] = _choice(rng, ref.CPP_CATEGORY, int((~brad).sum()))
    initial[brad] = _choice(rng, ref.CPP_CATEGORY_BRADFORD, int(brad.sum()))
    latest = np.where(rng.random(n) < 0.9, initial, _choice(rng, ref.CPP_CATEGORY, n)).astype(object)
    # the liia-tools 2024 XSD types NumberOfPreviousCPP as xs:positiveInteger, so it is never 0 here
    previous = rng.choice(np.array(["1", "2", "3"], dtype=object), size=n, p=[0.78, 0.17, 0.05])
    # reviews: 3 months after the start, then every 6 months, before the end and by the reference date
    review_cols: dict[str, pl.Series] = {}
    last_review = np.full(n, -1, dtype=np.int64)
    on_plan = np.flatnonzero(cpp)  # reviews are rendered for these rows only
    stop = np.where(cpp_end >= 0, cpp_end, R + 1)
    k = 0
    while True:
        d = next_weekday(cpp_start + 90 + 182 * k)
        ok = cpp & (d < stop) & (d <= R)
        if not ok.any():
            break
        review_cols[f"r{k}"] = date_series(f"r{k}", np.where(ok, d, -1)[on_plan])
        last_review = np.where(ok, d, last_review)
        k += 1
    reviews = sparse(on_plan, n, pl.DataFrame(review_cols).select(
        concat([el("CPPreviewDate", pl.col(c)) for c in review_cols])).to_series()
        if review_cols else pl.Series([], dtype=pl.Utf8))

    # ---- CIN plan (never alongside a CPP)
    plan = authorised & ~cpp & (rng.random(n) < 0.40)
    plan_start = np.where(plan, np.minimum(a_auth + rng.integers(0, 15, n), R), -1)
    plan_len = rng.integers(30, 300, n)
    plan_closed = plan & (rng.random(n) < 0.5) & (plan_start + plan_len <= R)
    plan_end = np.where(plan_closed, plan_start + plan_len, -1)

    # ---- closure: only when nothing is still open; inside the census year; after every activity
    still_open = (cpp & (cpp_end < 0)) | (plan & (plan_end < 0)) | (~nfa & ~authorised)
    last = np.maximum.reduce([r, a_start, a_auth, s47_start, s47_target, icpc, cpp_start, cpp_end,
                              plan_start, plan_end, last_review])
    want_close = nfa | (~still_open & (rng.random(n) < 0.55))
    closure = np.maximum(last + rng.integers(0, 30, n), C0)
    close = (want_close & (closure <= R)) | nfa
    closure = np.where(nfa, np.maximum(r, C0), closure)
    closure = np.where(close, closure, -1)
    assessed_only = close & authorised & ~cpp & ~plan
    reason = np.where(~close, "",
                      np.where(nfa, "RC7",
                               np.where(assessed_only, np.where(rng.random(n) < 0.6, "RC8", "RC9"),
                                        _choice(rng, {"RC7": 0.85, "RC3": 0.05, "RC4": 0.04, "RC5": 0.04,
                                                      "RC6": 0.02}, n)))).astype(object)
    young = ~born | (age_ref < 16)
    reason = np.where((reason == "RC6") & young, "RC7", reason).astype(object)

    # ---- disabilities (8540: required when born and not NFA; NONE never combined; no duplicates)
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
    dis = pick(combos, np.where(born, which, -1))

    # ---- an earlier, closed episode in the same census year (no overlap: rules 8815/8820)
    room = (r - np.maximum(C0, np.where(born, dob, r))) >= 70
    prev = room & (rng.random(n) < s.p_second_cin_episode)
    p_ref = np.maximum(C0, np.where(born, dob, C0)) + (rng.random(n) * np.maximum(r - 60 - C0, 1)).astype(np.int64)
    p_ref = np.minimum(p_ref, r - 60)
    p_as = p_ref + rng.integers(0, 6, n)
    p_auth = p_as + rng.integers(5, 30, n)
    p_close = np.minimum(p_auth + rng.integers(0, 20, n), r - 1)
    ok = prev & (p_ref >= C0) & (p_close >= p_auth)
    p_ref, p_as, p_auth, p_close = (np.where(ok, x, -1) for x in (p_ref, p_as, p_auth, p_close))
    p_reason = np.where(ok, np.where(rng.random(n) < 0.6, "RC8", "RC9"), "").astype(object)
    p_source = _choice(rng, ref.REFERRAL_SOURCES_CIN, n)
    p_need = np.where(ok, _choice(rng, ref.PRIMARY_NEED, n), "").astype(object)

    return CinEpisodes(child, r, source, need, closure, reason, nfa, a_start, a_auth, factors, plan_start,
                       plan_end, s47_start, s47_target, icpc, cpp_start, cpp_end, initial, latest, previous,
                       reviews, dis, da, p_ref, p_source, p_need, p_as, p_auth, p_close, p_reason)


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
_PLACE_P_UNDER16 = np.array([0.08, 0.08, 0.22, 0.25, 0.11, 0.06, 0.0])
_PLACE_P_16PLUS = np.array([0.08, 0.08, 0.22, 0.25, 0.11, 0.06, 0.10])


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
    m = len(idx)
    c_dob = dob[idx]
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
    provider = np.where(place == "P1", "PR0", np.where(place == "K3", "PR4", np.where(
        ((place == "U1") | (place == "U3")), "PR1", other_provider))).astype(object)
    ls = _choice(rng, {"C2": 0.55, "C1": 0.22, "V2": 0.17, "E1": 0.06}, m)[rep]
    need = np.where(cin.need[idx] == "", "N1", cin.need[idx])
    need = np.where((need == "N9") | (need == "N0"), "N1", need).astype(object)[rep]
    final_rec = np.array(["E4A", "E13", "E41", "E45", "E8"], dtype=object)[rng.integers(0, 5, ne)]
    rec = np.where(open_ep, "", np.where(last, final_rec, "X1")).astype(object)
    change = np.array(["CARPL", "CREQB", "CHILD", "LAREQ", "OTHER"], dtype=object)[rng.integers(0, 5, ne)]
    reason_change = np.where(e == 0, "", change).astype(object)
    home = random_postcodes(rng, la[idx])
    sector = np.array([p[:-2] for p in home.tolist()], dtype=object)[rep]
    urn = np.where(place == "K2", "SC" + rng.integers(100000, 999999, ne).astype(str).astype(object),
                   "XXXXXXX").astype(object)
    return ClaEpisodes(
        child=child[idx][rep], decom=d0, rne=np.where(e == 0, "S", "P").astype(object), ls=ls, cin=need,
        place=place, provider=provider, dec=np.where(open_ep, -1, d1), rec=rec, reason_change=reason_change,
        home_post=sector, pl_post=np.where(place == "P1", sector, "").astype(object), urn=urn,
    )
