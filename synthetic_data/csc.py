"""Children's social care activity for every LA child: CIN episodes and looked-after episodes.

All dates obey the CIN census rules in ``csc-data-standards.md`` §2.5 and the SSDA903 episode
rules in §4.3: nothing after the reference date except expected births, closure inside the
census year, activity after referral and before closure, the CPP starting on the ICPC date
(a weekday), reviews after the plan start, CIN plans never alongside a CPP, 903 episodes chained
with ``X1`` on the same day and at least a day long.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic_data import reference as ref
from synthetic_data.population import YEAR, World, _choice, day

DA_CODES = np.array(["3A", "3B", "3C"], dtype=object)


def weekday(d: np.ndarray) -> np.ndarray:
    """Monday=0 ... Sunday=6 for day numbers (day 0, 1900-01-01, was a Monday)."""
    return d % 7


def next_weekday(d: np.ndarray) -> np.ndarray:
    wd = weekday(d)
    return d + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


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
    factors: np.ndarray  # list of codes per episode (object array of tuples)
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
    cpp_reviews: np.ndarray  # tuple of review day numbers
    disabilities: np.ndarray  # tuple of codes ((), ("NONE",), ...)
    da_factor: np.ndarray  # bool: a domestic-abuse factor was recorded


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
    # unborn children (no DOB yet): referral within 40 weeks of the expected date
    r = np.where(~born, np.clip(r, np.maximum(edd - 270, R - 250), R), r)

    nfa = (~site_fam) & (r >= C0) & (rng.random(n) < 0.06)
    source = _choice(rng, ref.REFERRAL_SOURCES_CIN, n)

    # ---- assessment
    a_start = np.minimum(r + rng.integers(0, 11, n), R)
    a_auth = a_start + rng.integers(5, 46, n)
    authorised = ~nfa & (a_auth <= R)
    a_start = np.where(nfa, -1, a_start)
    a_auth = np.where(authorised, a_auth, -1)

    p_da = np.where(site_fam, 1.0, s.p_factor_domestic_abuse)
    da = authorised & (rng.random(n) < p_da)
    da_code = _choice(rng, dict(zip(DA_CODES, s.da_factor_split, strict=True)), n)
    mh = authorised & (rng.random(n) < s.p_factor_mental_health)
    factor_masks: list[tuple[str, np.ndarray]] = [("3", da), ("4B", mh)]
    for code, p in ref.OTHER_FACTORS.items():
        if code == "4A":
            m = authorised & born & ((R - dob) > 8 * YEAR) & (rng.random(n) < p)
        elif code in ("11A", "13A", "15A", "10A"):
            m = authorised & born & ((R - dob) > 10 * YEAR) & (rng.random(n) < p)
        else:
            m = authorised & (rng.random(n) < p)
        factor_masks.append((code, m))
    factors = np.empty(n, dtype=object)
    parts: list[list[str]] = [[] for _ in range(n)]
    for code, m in factor_masks:
        for i in np.flatnonzero(m):
            parts[i].append(da_code[i] if code == "3" else code)
    any_factor = np.zeros(n, dtype=bool)
    for _, m in factor_masks:
        any_factor |= m
    for i in range(n):
        if authorised[i] and not parts[i]:
            parts[i] = ["21"]
        factors[i] = tuple(parts[i])
    need = np.where(nfa, "", np.where(da, "N1", _choice(rng, ref.PRIMARY_NEED, n))).astype(object)

    # ---- section 47 and child protection plan
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
    latest = np.where(rng.random(n) < 0.9, initial, _choice(rng, ref.CPP_CATEGORY, n))
    # the liia-tools 2024 XSD types NumberOfPreviousCPP as xs:positiveInteger, so it is never 0 here
    previous = rng.choice([1, 2, 3], size=n, p=[0.78, 0.17, 0.05])
    reviews = np.empty(n, dtype=object)
    for i in range(n):
        if not cpp[i]:
            reviews[i] = ()
            continue
        stop = cpp_end[i] if cpp_end[i] >= 0 else R
        out, d = [], cpp_start[i] + 90
        while d < stop and d <= R:
            out.append(int(next_weekday(np.array([d]))[0]))
            d += 182
        reviews[i] = tuple(x for x in out if x <= R and (cpp_end[i] < 0 or x < cpp_end[i]))

    # ---- CIN plan (never alongside a CPP)
    plan = authorised & ~cpp & (rng.random(n) < 0.40)
    plan_start = np.where(plan, np.minimum(a_auth + rng.integers(0, 15, n), R), -1)
    plan_len = rng.integers(30, 300, n)
    plan_closed = plan & (rng.random(n) < 0.5) & (plan_start + plan_len <= R)
    plan_end = np.where(plan_closed, plan_start + plan_len, -1)

    # ---- closure: only when nothing is still open; inside the census year
    still_open = (cpp & (cpp_end < 0)) | (plan & (plan_end < 0)) | (~nfa & ~authorised)
    last = np.maximum.reduce([r, a_start, a_auth, s47_start, s47_target, icpc, cpp_start, cpp_end,
                              plan_start, plan_end])
    last_review = np.array([max(x) if x else -1 for x in reviews], dtype=np.int64)
    last = np.maximum(last, last_review)
    want_close = nfa | (~still_open & (rng.random(n) < 0.55))
    closure = np.maximum(last + rng.integers(0, 30, n), C0)
    close = want_close & (closure <= R)
    closure = np.where(nfa, np.maximum(r, C0), closure)
    close = close | nfa
    closure = np.where(close, closure, -1)
    assessed_only = close & authorised & ~cpp & ~plan
    reason = np.where(~close, "",
                      np.where(nfa, "RC7",
                               np.where(assessed_only, np.where(rng.random(n) < 0.6, "RC8", "RC9"),
                                        _choice(rng, {"RC7": 0.85, "RC3": 0.05, "RC4": 0.04, "RC5": 0.04,
                                                      "RC6": 0.02}, n)))).astype(object)
    # RC6 (adult social care) only for 16+; RC7 otherwise
    young = ~born | ((R - dob) < 16 * YEAR)
    reason = np.where((reason == "RC6") & young, "RC7", reason).astype(object)

    # ---- disabilities (8540: required when born and not NFA; NONE never combined)
    dis = np.empty(n, dtype=object)
    has_dis = rng.random(n) < 0.15
    codes = np.array(ref.DISABILITY_CODES, dtype=object)
    for i in range(n):
        if not born[i]:
            dis[i] = ()
        elif has_dis[i]:
            k = 1 + int(rng.random() < 0.3)
            dis[i] = tuple(sorted(rng.choice(codes, size=k, replace=False).tolist()))
        else:
            dis[i] = ("NONE",)

    return CinEpisodes(child, r, source, need, closure, reason, nfa, a_start, a_auth, factors, plan_start,
                       plan_end, s47_start, s47_target, icpc, cpp_start, cpp_end, initial.astype(object),
                       latest.astype(object), previous, reviews, dis, da)


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


def build_cla(world: World, cin: CinEpisodes, rng: np.random.Generator) -> ClaEpisodes:
    """Looked-after episodes for a share of born, non-NFA CIN children (calibration §4, §11.1)."""
    from synthetic_data.population import random_postcodes

    s = world.settings
    R = day(s.reference_date)
    K, F = world.children, world.families
    child = cin.child
    fam = K.family[child]
    la = F.la_code[fam]
    dob = K.dob[child]
    mult = np.array([ref.LA_CLA_MULTIPLIER[c] / ref.LA_CIN_MULTIPLIER[c] for c in la])
    eligible = (dob >= 0) & ~cin.nfa & np.isin(K.sex[child], ["M", "F"]) & (R - dob > 30)
    cla = eligible & (rng.random(len(child)) < np.clip(s.p_cla_given_cin * mult, 0, 0.9))
    idx = np.flatnonzero(cla)
    m = len(idx)
    c_dob = dob[idx]
    lo = np.maximum(c_dob + 1, R - int(4 * YEAR))
    hi = np.minimum(R - 2, c_dob + int(17.5 * YEAR))
    start = lo + (rng.random(m) * np.maximum(hi - lo, 0)).astype(np.int64)
    closed = rng.random(m) < 0.35
    period_end = np.where(closed, start + 2 + (rng.random(m) * (R - start - 2)).astype(np.int64), R)
    n_ep = rng.choice([1, 2, 3], size=m, p=[0.6, 0.28, 0.12])
    n_ep = np.minimum(n_ep, np.maximum(1, (period_end - start) // 2))
    ls0 = _choice(rng, {"C2": 0.55, "C1": 0.22, "V2": 0.17, "E1": 0.06}, m)
    need = np.where(cin.need[idx] == "", "N1", cin.need[idx])
    need = np.where(np.isin(need, ["N9", "N0"]), "N1", need)
    home = random_postcodes(rng, la[idx])

    rows: dict[str, list] = {k: [] for k in ClaEpisodes.__dataclass_fields__}
    for j in range(m):
        k = int(n_ep[j])
        span = int(period_end[j] - start[j])
        cuts = sorted(rng.choice(np.arange(1, span), size=k - 1, replace=False).tolist()) if k > 1 else []
        bounds = [int(start[j])] + [int(start[j]) + c for c in cuts] + [int(period_end[j])]
        for e in range(k):
            d0, d1 = bounds[e], bounds[e + 1]
            age = (d0 - c_dob[j]) / YEAR
            options = ["U1", "U3", "U4", "U6", "K2", "P1"] + (["K3"] if age >= 16 else [])
            w = np.array([0.08, 0.08, 0.22, 0.25, 0.11, 0.06] + ([0.10] if age >= 16 else []))
            place = options[rng.choice(len(options), p=w / w.sum())]
            provider = {"P1": "PR0", "K3": "PR4"}.get(place, "PR1" if place.startswith("U1") or place == "U3"
                                                       else ["PR1", "PR4", "PR5"][int(rng.integers(0, 3))])
            last = e == k - 1
            rows["child"].append(int(child[idx[j]]))
            rows["decom"].append(d0)
            rows["rne"].append("S" if e == 0 else "P")
            rows["ls"].append(ls0[j])
            rows["cin"].append(need[j])
            rows["place"].append(place)
            rows["provider"].append(provider)
            open_ep = last and not closed[j]
            rows["dec"].append(-1 if open_ep else d1)
            rows["rec"].append("" if open_ep else ("X1" if not last else
                                                   ["E4A", "E13", "E41", "E45", "E8"][int(rng.integers(0, 5))]))
            rows["reason_change"].append("" if e == 0 else ["CARPL", "CREQB", "CHILD", "LAREQ", "OTHER"][
                int(rng.integers(0, 5))])
            hp = home[j]
            rows["home_post"].append(hp[:-2])
            rows["pl_post"].append(hp[:-2] if place == "P1" else "")
            rows["urn"].append(f"SC{int(rng.integers(100000, 999999))}" if place == "K2" else "XXXXXXX")
    return ClaEpisodes(**{k: np.array(v, dtype=object if k not in ("child", "decom", "dec") else np.int64)
                          for k, v in rows.items()})
