"""Each service's own records of the families it works with, and their outcome questionnaires.

Rows are built in canonical form (``warehouse.adapters.CANONICAL_PERSON_FIELDS``) from the true
world, then passed through the corruption model; the writers turn them into each site's layout.
Outcome items are drawn from each measure's own facts in ``warehouse.measures`` (who answers it,
the ages it applies to, its item scale, its direction and its reverse-keyed items), so a world
generated to improve improves on every measure when scored by that catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from synthetic_data import corruption as cx
from synthetic_data import reference as ref
from synthetic_data.dates import YEAR, day
from synthetic_data.names import NamePools
from synthetic_data.population import World, choice, random_postcodes, unique_numbers
from synthetic_data.settings import WorldSettings
from synthetic_data.toc import PLANTED_BASELINE_RATES
from warehouse.measures import Measure, MeasureSettings, get_measure
from warehouse.sites import LOCAL_AUTHORITIES

REFERRAL_MIX: dict[str, dict[str, float]] = {  # sources other than CSC (unverified placeholders)
    "fbs": {"health": 0.5, "self": 0.2, "voluntary": 0.15, "police": 0.1, "other": 0.05},
    "sat": {"school": 0.35, "self": 0.2, "police": 0.15, "health": 0.15, "voluntary": 0.1, "other": 0.05},
    "leap": {"health": 0.45, "self": 0.2, "voluntary": 0.2, "police": 0.1, "other": 0.05},
    "coda": {"self": 0.4, "school": 0.3, "voluntary": 0.15, "health": 0.1, "other": 0.05},
}
ID_FORMAT: dict[str, tuple[str, str]] = {  # (record id prefix, family id prefix)
    "fbs": ("FBS", "FAM"), "sat": ("ST-", "SF-"), "leap": ("LP", "LC"), "coda": ("CD", "CF"),
}
Columns = dict[str, np.ndarray]


@dataclass
class SiteRecords:
    """Canonical site people (all sites), truth links and canonical outcome rows."""

    people: pl.DataFrame
    links: pl.DataFrame
    outcomes: dict[tuple[str, str], pl.DataFrame]  # (site_id, measure) -> rows
    counts: dict[str, int]


@dataclass
class _FamilyFacts:
    """Per-family facts of the site episode (arrays over all families; decoys carry blanks)."""

    end: np.ndarray  # -1 while open
    reason: np.ndarray  # "" while open
    source: np.ndarray  # referral source
    postcode: np.ndarray  # as the site holds it (a refuge move changes it)
    surname_change: np.ndarray
    victim_surname: np.ndarray


def build_site_records(world: World, rng: np.random.Generator, names: NamePools) -> SiteRecords:
    """The sites' people, truth links and outcome rows for ``world`` (draws from ``rng`` only)."""
    s = world.settings
    R = day(s.reference_date)
    facts = _family_facts(world, rng, names, R)
    child = _child_rows(world, facts, rng, R)
    parents = [_parent_rows(world, facts, rng, role) for role in ("victim_parent", "harm_parent")]
    cols = {k: np.concatenate([child[k]] + [r[k] for r in parents]) for k in child}
    _add_episode_columns(cols, world, facts)
    _add_birth_details(cols, world, rng)
    people = _with_record_ids(cols, s, rng)
    links = _truth_links(people, world)
    outcomes = _build_outcomes(people, s, rng)
    counts = {
        "site_people": people.height,
        "site_children": int((people["role"] == "child").sum()),
        "site_children_known_to_csc": links.height,
        "site_baby_records": int((people["forename"] == "Baby").sum()),
    }
    return SiteRecords(people, links, outcomes, counts)


# ------------------------------------------------------------------------------ family facts


def _family_facts(world: World, rng: np.random.Generator, names: NamePools, R: int) -> _FamilyFacts:
    end, reason = _episode_ends(world, rng, R)
    source = _referral_sources(world, rng)
    postcode = _refuge_moves(world, rng)
    surname_change, victim_surname = _surname_changes(world, rng, names)
    return _FamilyFacts(end, reason, source, postcode, surname_change, victim_surname)


def _episode_ends(world: World, rng: np.random.Generator, R: int) -> tuple[np.ndarray, np.ndarray]:
    """End day and reason of each site episode (open ones: -1 and "")."""
    F, s = world.families, world.settings
    sf = np.flatnonzero(F.site_id != "")  # draws are sized by site families only, never by the decoys
    dur = np.zeros(len(sf))
    for p in s.sites:
        m = F.site_id[sf] == p.site_id
        dur[m] = p.duration_days * rng.lognormal(0, 0.35, int(m.sum()))
    referral = F.referral[sf]
    u = rng.random(len(sf))
    reason = np.where(u < 0.62, "completed", np.where(u < 0.87, "disengaged", np.where(u < 0.95, "moved", "other")))
    early = (reason == "disengaged") | (reason == "moved")
    end = np.where(early, referral + (dur * rng.uniform(0.2, 0.8, len(sf))).astype(np.int64) + 1,
                   referral + dur.astype(np.int64))
    closed = end <= R
    end_all = np.full(len(F), -1, dtype=np.int64)
    reason_all = np.full(len(F), "", dtype=object)
    end_all[sf] = np.where(closed, end, -1)
    reason_all[sf] = np.where(closed, reason, "")
    return end_all, reason_all


def _referral_sources(world: World, rng: np.random.Generator) -> np.ndarray:
    F = world.families
    src = np.full(len(F), "", dtype=object)
    for p in world.settings.sites:
        m = np.flatnonzero(F.site_id == p.site_id)
        by_csc = F.known[m] & (rng.random(len(m)) < p.p_referred_by_csc_given_known)
        src[m] = np.where(by_csc, "csc", choice(rng, REFERRAL_MIX[p.site_id], len(m)))
    return src


def _refuge_moves(world: World, rng: np.random.Generator) -> np.ndarray:
    """The postcode each site holds: a refuge move (to the same LA or another) for ``p_refuge_move`` families."""
    F = world.families
    sf = np.flatnonzero(F.site_id != "")
    moved = sf[rng.random(len(sf)) < world.settings.p_refuge_move]
    all_las = np.array(sorted(LOCAL_AUTHORITIES), dtype=object)
    refuge_la = np.where(rng.random(len(moved)) < 0.5, F.la_code[moved],
                         all_las[rng.integers(0, len(all_las), len(moved))])
    postcode = F.postcode.copy()
    postcode[moved] = random_postcodes(rng, refuge_la)
    return postcode


def _surname_changes(world: World, rng: np.random.Generator, names: NamePools) -> tuple[np.ndarray, np.ndarray]:
    """Victim parent and children take a new surname after separation (``p_surname_change``)."""
    F = world.families
    sf = np.flatnonzero(F.site_id != "")
    change = np.zeros(len(F), dtype=bool)
    change[sf] = rng.random(len(sf)) < world.settings.p_surname_change
    sc = np.flatnonzero(change)
    victim = np.where(F.victim_is_father, F.father_surname, F.mother_surname).astype(object)
    victim[sc] = names.surnames(rng, _name_groups(F.ethnicity[sc], 1))
    return change, victim


def _blank_where(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` (as objects) with ``None`` where ``mask``."""
    out = np.asarray(values, dtype=object).copy()
    out[mask] = None
    return out


def _name_groups(ethnicity: np.ndarray, which: int) -> np.ndarray:
    """Forename (0) or surname (1) name group of each ethnicity code."""
    return np.array([ref.NAME_GROUPS[e][which] for e in ethnicity], dtype=object)


# ------------------------------------------------------------------------------ people rows


def _child_rows(world: World, facts: _FamilyFacts, rng: np.random.Generator, R: int) -> Columns:
    """Site children as the site holds them: "Baby" records, changed surnames, name and date errors."""
    K, F, s = world.children, world.families, world.settings
    kid = np.flatnonzero(K.site_child & (F.site_id != "")[K.family])
    f = K.family[kid]
    n = len(kid)
    born_since = (K.edd[kid] >= 0) & (K.dob[kid] >= 0)
    baby = (K.dob[kid] < 0) | (born_since & (rng.random(n) < s.p_unborn_record_not_updated))
    fore, sur = _child_names(world, facts, rng, kid, baby)
    dob = _child_dates(world, rng, kid, baby, R)
    nhs_missing = np.zeros(n, dtype=bool)
    for p in s.sites:
        m = F.site_id[f] == p.site_id
        nhs_missing[m] = rng.random(int(m.sum())) < p.p_nhs_missing_child
    return {
        "site_id": F.site_id[f], "family": f, "role": np.full(n, "child", dtype=object), "forename": fore,
        "surname": sur, "dob": dob, "expected_dob": np.where(baby, K.edd[kid], -1),
        "sex": np.where(baby, "U", K.sex[kid]).astype(object), "postcode": facts.postcode[f],
        "nhs_number": _blank_where(baby | nhs_missing, K.nhs[kid]), "ethnicity": F.ethnicity[f], "true_child": kid,
    }


def _child_names(world: World, facts: _FamilyFacts, rng: np.random.Generator, kid: np.ndarray,
                 baby: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    K, F, s = world.children, world.families, world.settings
    f = K.family[kid]
    n = len(kid)
    sur = np.where(facts.surname_change[f], facts.victim_surname[f], K.surname[kid])
    differ = F.mother_surname[f] != F.father_surname[f]
    other_parent = ~facts.surname_change[f] & (rng.random(n) < s.p_other_parent_surname) & differ
    sur = np.where(other_parent, np.where(sur == F.father_surname[f], F.mother_surname[f], F.father_surname[f]),
                   sur).astype(object)
    fore = _corrupt_forenames(K.forename[kid].copy(), _name_groups(F.ethnicity[f], 0), s, rng)
    sur = cx.typo(sur, rng.random(n) < s.p_typo, rng)
    double = ~baby & differ & (rng.random(n) < s.p_double_surname)
    sur = np.where(double, F.father_surname[f] + "-" + F.mother_surname[f], sur).astype(object)
    high = cx.is_in(_name_groups(F.ethnicity[f], 1), ref.HIGH_VARIATION_GROUPS)
    swap = ~baby & (rng.random(n) < s.p_name_order_swap * np.where(high, s.name_variation_multiplier, 1.0))
    fore, sur = np.where(swap, sur, fore).astype(object), np.where(swap, fore, sur).astype(object)
    return np.where(baby, "Baby", fore).astype(object), sur


def _child_dates(world: World, rng: np.random.Generator, kid: np.ndarray, baby: np.ndarray, R: int) -> np.ndarray:
    K, F, s = world.children, world.families, world.settings
    n = len(kid)
    dob = np.where(baby, -1, K.dob[kid])
    referral = F.referral[K.family[kid]]
    upper = np.where(dob <= referral, referral, np.minimum(R, referral + 270))
    dob = cx.swap_day_month(dob, rng.random(n) < s.p_dob_day_month_swap, upper)
    return cx.off_by_one(dob, rng.random(n) < s.p_dob_off_by_one, rng, upper)


def _parent_rows(world: World, facts: _FamilyFacts, rng: np.random.Generator, role: str) -> Columns:
    """The victim-survivor parent of every site family, or the parent causing harm where the site works with them."""
    F, s = world.families, world.settings
    fams = np.flatnonzero(F.site_id != "")
    if role == "victim_parent":
        fm, is_father = fams, F.victim_is_father[fams]
    else:
        fm = fams[F.harm_parent_on_site[fams]]
        is_father = ~F.victim_is_father[fm]
    m = len(fm)
    forename = np.where(is_father, F.father_forename[fm], F.mother_forename[fm]).astype(object)
    forename = _corrupt_forenames(forename, _name_groups(F.ethnicity[fm], 0), s, rng)
    if role == "victim_parent":
        surname, postcode = facts.victim_surname[fm], facts.postcode[fm]
    else:
        surname = np.where(is_father, F.father_surname[fm], F.mother_surname[fm]).astype(object)
        postcode = np.where(rng.random(m) < 0.6, random_postcodes(rng, F.la_code[fm]), F.postcode[fm])
    missing = np.zeros(m, dtype=bool)
    for p in s.sites:
        mm = F.site_id[fm] == p.site_id
        missing[mm] = rng.random(int(mm.sum())) < p.p_nhs_missing_adult
    nhs = np.where(is_father, world.adult_nhs["father"][fm], world.adult_nhs["mother"][fm])
    return {
        "site_id": F.site_id[fm], "family": fm, "role": np.full(m, role, dtype=object), "forename": forename,
        "surname": surname, "dob": np.where(is_father, F.father_dob[fm], F.mother_dob[fm]).astype(np.int64),
        "expected_dob": np.full(m, -1, dtype=np.int64), "sex": np.where(is_father, "M", "F").astype(object),
        "postcode": postcode, "nhs_number": _blank_where(missing, nhs), "ethnicity": F.ethnicity[fm],
        "true_child": np.full(m, -1, dtype=np.int64),
    }


def _add_episode_columns(cols: Columns, world: World, facts: _FamilyFacts) -> None:
    f = cols["family"]
    cols["referral_date"] = world.families.referral[f]
    cols["referral_source"] = facts.source[f]
    cols["la_code"] = world.families.la_code[f]
    cols["end_date"] = facts.end[f]
    cols["end_reason"] = facts.reason[f]


def _add_birth_details(cols: Columns, world: World, rng: np.random.Generator) -> None:
    """Birth weight and gestation of born children (For Baby's Sake's extra columns); twins born by 37 weeks."""
    n = len(cols["family"])
    is_child = cols["role"] == "child"
    gest = np.clip(np.round(rng.normal(39.2, 1.8, n)), 28, 42).astype(np.int64)
    twin = world.children.is_twin[np.maximum(cols["true_child"], 0)] & is_child
    gest = np.where(twin, np.minimum(gest, 37), gest)
    weight = np.clip(np.round(rng.normal(3350, 520, n) - (40 - gest) * 180, -1), 800, 5200).astype(np.int64)
    has_birth = is_child & (cols["dob"] >= 0)
    cols["birth_weight"] = np.where(has_birth, weight, -1)
    cols["gestation"] = np.where(has_birth, gest, -1)


def _with_record_ids(cols: Columns, s: WorldSettings, rng: np.random.Generator) -> pl.DataFrame:
    """Record and family ids, random but unique per site (they widen rather than run out); rows sorted."""
    df = pl.DataFrame({k: (v.tolist() if v.dtype == object else v) for k, v in cols.items()},
                      schema_overrides={"nhs_number": pl.Utf8})
    parts = []
    for p in s.sites:
        sub = df.filter(pl.col("site_id") == p.site_id)
        rec_prefix, fam_prefix = ID_FORMAT[p.site_id]
        nums = unique_numbers(rng, sub.height, 6)
        fam_ids = sub["family"].unique().sort().to_numpy()
        fam_nums = unique_numbers(rng, len(fam_ids), 5)
        fmap = pl.DataFrame({"family": fam_ids, "family_id": [f"{fam_prefix}{x}" for x in fam_nums]})
        sub = sub.with_columns(pl.Series("record_id", [f"{rec_prefix}{x}" for x in nums], dtype=pl.Utf8)).join(
            fmap, on="family", how="left")
        parts.append(sub)
    return pl.concat(parts).sort(["site_id", "record_id"])


def _truth_links(people: pl.DataFrame, world: World) -> pl.DataFrame:
    K, F = world.children, world.families
    tc = people.filter((pl.col("role") == "child") & (pl.col("true_child") >= 0))
    idx = tc["true_child"].to_numpy()
    in_la = K.in_la[idx]
    return pl.DataFrame({
        "site_id": tc["site_id"].to_numpy()[in_la].tolist(),
        "site_record_id": tc["record_id"].to_numpy()[in_la].tolist(),
        "la_code": F.la_code[K.family[idx[in_la]]].tolist(),
        "la_child_id": K.la_child_id[idx[in_la]].tolist(),
    }, schema={"site_id": pl.Utf8, "site_record_id": pl.Utf8, "la_code": pl.Utf8, "la_child_id": pl.Utf8}
    ).sort(["site_id", "site_record_id"])


def _corrupt_forenames(fore: np.ndarray, groups: np.ndarray, s: WorldSettings, rng: np.random.Generator) -> np.ndarray:
    n = len(fore)
    mult = np.where(cx.is_in(groups, ref.HIGH_VARIATION_GROUPS), s.name_variation_multiplier, 1.0)
    fore = cx.spelling_variant(fore, cx.has_variant(fore) & (rng.random(n) < s.p_name_variant * mult), rng)
    fore = cx.nickname(fore, cx.has_nickname(fore) & (rng.random(n) < s.p_nickname * 5), rng)
    return cx.typo(fore, rng.random(n) < s.p_typo * mult, rng)


# ------------------------------------------------------------------------------ outcomes

_OUTCOME_SCHEMA = {"record_id": pl.Utf8, "timepoint": pl.Utf8, "date": pl.Int64}


def _build_outcomes(people: pl.DataFrame, s: WorldSettings, rng: np.random.Generator
                    ) -> dict[tuple[str, str], pl.DataFrame]:
    from warehouse.adapters import get_adapter

    out: dict[tuple[str, str], pl.DataFrame] = {}
    for p in s.sites:
        sp = people.filter(pl.col("site_id") == p.site_id)
        for code in get_adapter(p.site_id).outcomes.measures:
            m = get_measure(code).configured(MeasureSettings(), p.site_id)
            who = sp.filter(pl.col("role").is_in(list(m.subject_roles)))
            # the planted "poor completeness" gap of the synthetic theories of change (synthetic_data.toc)
            planted = PLANTED_BASELINE_RATES.get((p.site_id, code))
            ms = s if planted is None else replace(s, p_baseline=planted)
            out[(p.site_id, code)] = _measure_rows(who, m, ms, p.followup_days, rng)
    return out


def _age_limits_days(m: Measure) -> tuple[float, float]:
    """The ages (days) a measure applies to, from its catalogue entry (adults: 16 and over)."""
    lo, hi = m.ages_months if m.ages_months is not None else (16 * 12, 120 * 12)
    return lo / 12 * YEAR, (hi + 1) / 12 * YEAR


def _measure_rows(who: pl.DataFrame, m: Measure, s: WorldSettings, followup_days: int, rng: np.random.Generator
                  ) -> pl.DataFrame:
    """Baseline and follow-up rows of one measure at one site (who answers, when, and the items)."""
    R = day(s.reference_date)
    rid, dob = who["record_id"].to_numpy(), who["dob"].to_numpy()
    refd, endd, reason = who["referral_date"].to_numpy(), who["end_date"].to_numpy(), who["end_reason"].to_numpy()
    k = len(rid)
    base = refd + rng.integers(0, 22, k)
    lo, hi = _age_limits_days(m)
    ok_age = (dob >= 0) & ((base - dob) >= lo) & ((base - dob) < hi)
    has_base = ok_age & (base <= R) & (rng.random(k) < s.p_baseline)
    fu = np.maximum(np.where(endd >= 0, endd, base + followup_days), base + 14)
    p_fu = np.where(reason == "completed", s.p_followup_completed,
                    np.where(reason == "disengaged", s.p_followup_disengaged,
                             np.where(reason == "", s.p_followup_open, 0.05)))
    has_fu = has_base & (fu <= R) & (rng.random(k) < p_fu)
    z = rng.normal(0, 1, k)  # difficulty at baseline (higher = worse); the programme lowers it
    z_fu = 0.7 * z - 0.4 + rng.normal(0, 0.5, k)
    blocks = [_item_block(m, _Answers(rid[idx], tp, when[idx], zz[idx]), s.p_item_missing, rng)
              for tp, mask, when, zz in (("baseline", has_base, base, z), ("followup", has_fu, fu, z_fu))
              if len(idx := np.flatnonzero(mask))]
    schema = {**_OUTCOME_SCHEMA, **{f"item{j + 1}": pl.Int64 for j in range(m.n_items)}}
    df = pl.concat(blocks) if blocks else pl.DataFrame(schema=schema)
    return df.sort(["record_id", "timepoint"])


def item_positions(m: Measure, difficulty: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Raw answer positions on ``m.item_values`` (rows x items) for people with latent ``difficulty``.

    Each item is first placed on the scored scale (after recoding) so that more difficulty means a
    worse score in the measure's own direction; reverse-keyed items are then written as the form
    asks them (``min + max - value``), which is what scoring undoes.
    """
    nv = len(m.item_values)
    lat = difficulty[:, None] + rng.normal(0, 0.9, (len(difficulty), m.n_items))
    pos = np.clip(np.floor((lat + 1.6) / 3.2 * nv), 0, nv - 1).astype(np.int64)
    if not m.higher_is_worse:
        pos = nv - 1 - pos
    reverse = np.isin(np.arange(1, m.n_items + 1), m.reverse_items)
    pos[:, reverse] = nv - 1 - pos[:, reverse]
    return pos


@dataclass(frozen=True)
class _Answers:
    """Who answers at one timepoint, on which day, and how much difficulty they have."""

    record_id: np.ndarray
    timepoint: str
    day: np.ndarray
    difficulty: np.ndarray


def _item_block(m: Measure, a: _Answers, p_item_missing: float, rng: np.random.Generator) -> pl.DataFrame:
    items = np.array(m.item_values)[item_positions(m, a.difficulty, rng)].astype(np.int64)
    missing = rng.random(items.shape) < p_item_missing
    n = len(a.record_id)
    block = {"record_id": pl.Series(a.record_id, dtype=pl.Utf8), "timepoint": pl.repeat(a.timepoint, n, eager=True),
             "date": pl.Series(a.day, dtype=pl.Int64)}
    for j in range(m.n_items):
        block[f"item{j + 1}"] = pl.Series(np.where(missing[:, j], 0, items[:, j])).set(pl.Series(missing[:, j]), None)
    return pl.DataFrame(block)
