"""Each service's own records of the families it works with, and their outcome questionnaires.

Rows are built in canonical form (``warehouse.adapters.CANONICAL_PERSON_FIELDS``) from the true
world, then passed through the corruption model; the writers turn them into each site's layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from synthetic_data import corruption as cx
from synthetic_data import reference as ref
from synthetic_data.names import NamePools
from synthetic_data.population import YEAR, World, _choice, day, random_postcodes
from warehouse.measures import get_measure
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
CHILD_KEYED_PARENT_MEASURES = frozenset({"asq3", "asqse2"})  # parent-completed, about the child


@dataclass
class SiteRecords:
    """Canonical site people (all sites), truth links and canonical outcome rows."""

    people: pl.DataFrame
    links: pl.DataFrame
    outcomes: dict[tuple[str, str], pl.DataFrame]  # (site_id, measure) -> rows
    counts: dict[str, int]


def build_site_records(world: World, rng: np.random.Generator, names: NamePools) -> SiteRecords:
    s = world.settings
    R = day(s.reference_date)
    K, F = world.children, world.families
    nf = len(F)
    site_fam = F.site_id != ""

    # ---------------------------------------------------------------- family-level site facts
    dur = np.zeros(nf)
    for p in s.sites:
        m = F.site_id == p.site_id
        dur[m] = p.duration_days * rng.lognormal(0, 0.35, int(m.sum()))
    end = F.referral + dur.astype(np.int64)
    u = rng.random(nf)
    reason = np.where(u < 0.62, "completed", np.where(u < 0.87, "disengaged", np.where(u < 0.95, "moved", "other")))
    early = (reason == "disengaged") | (reason == "moved")
    end = np.where(early, F.referral + (dur * rng.uniform(0.2, 0.8, nf)).astype(np.int64) + 1, end)
    closed = site_fam & (end <= R)
    end = np.where(closed, end, -1)
    reason = np.where(closed, reason, "")
    ref_src = np.full(nf, "", dtype=object)
    for p in s.sites:
        m = np.flatnonzero(F.site_id == p.site_id)
        by_csc = F.known[m] & (rng.random(len(m)) < p.p_referred_by_csc_given_known)
        ref_src[m] = np.where(by_csc, "csc", _choice(rng, REFERRAL_MIX[p.site_id], len(m)))
    # refuge moves and surname changes: drawn for service families only (decoys never reach a site file)
    sf = np.flatnonzero(site_fam)
    moved = np.zeros(nf, dtype=bool)
    moved[sf] = rng.random(len(sf)) < s.p_refuge_move
    mv = np.flatnonzero(moved)
    all_las = np.array(sorted(LOCAL_AUTHORITIES), dtype=object)
    refuge_la = np.where(rng.random(len(mv)) < 0.5, F.la_code[mv], all_las[rng.integers(0, len(all_las), len(mv))])
    site_postcode = F.postcode.copy()
    site_postcode[mv] = random_postcodes(rng, refuge_la)
    surname_change = np.zeros(nf, dtype=bool)
    surname_change[sf] = rng.random(len(sf)) < s.p_surname_change
    sc = np.flatnonzero(surname_change)
    victim_surname = np.where(F.victim_is_father, F.father_surname, F.mother_surname).astype(object)
    victim_surname[sc] = names.surnames(rng, np.array([ref.NAME_GROUPS[e][1] for e in F.ethnicity[sc]], dtype=object))

    # ---------------------------------------------------------------- child rows
    kid = np.flatnonzero(K.site_child & site_fam[K.family])
    f = K.family[kid]
    n = len(kid)
    fore = K.forename[kid].copy()
    sur = K.surname[kid].copy()
    dob = K.dob[kid].copy()
    edd = np.full(n, -1, dtype=np.int64)
    sex = K.sex[kid].copy()
    referral = F.referral[f]
    unborn_now = K.dob[kid] < 0
    born_since = (K.edd[kid] >= 0) & (K.dob[kid] >= 0)
    keep_baby = born_since & (rng.random(n) < s.p_unborn_record_not_updated)
    baby = unborn_now | keep_baby
    edd = np.where(baby, K.edd[kid], -1)
    dob = np.where(baby, -1, dob)
    sex = np.where(baby, "U", sex).astype(object)
    sur = np.where(surname_change[f], victim_surname[f], sur)
    other_parent = ~surname_change[f] & (rng.random(n) < s.p_other_parent_surname) & (
        F.mother_surname[f] != F.father_surname[f])
    sur = np.where(other_parent, np.where(sur == F.father_surname[f], F.mother_surname[f], F.father_surname[f]),
                   sur).astype(object)
    fore = _corrupt_forenames(fore, np.array([ref.NAME_GROUPS[e][0] for e in F.ethnicity[f]], dtype=object),
                              s, rng)
    sur = cx.typo(sur, rng.random(n) < s.p_typo, rng)
    differ = F.mother_surname[f] != F.father_surname[f]
    double = ~baby & differ & (rng.random(n) < s.p_double_surname)
    sur = np.where(double, F.father_surname[f] + "-" + F.mother_surname[f], sur).astype(object)
    high = cx.is_in(np.array([ref.NAME_GROUPS[e][1] for e in F.ethnicity[f]], dtype=object),
                    ref.HIGH_VARIATION_GROUPS)
    swap = ~baby & (rng.random(n) < s.p_name_order_swap * np.where(high, s.name_variation_multiplier, 1.0))
    fore, sur = np.where(swap, sur, fore).astype(object), np.where(swap, fore, sur).astype(object)
    fore = np.where(baby, "Baby", fore).astype(object)
    upper = np.where(dob <= referral, referral, np.minimum(R, referral + 270))
    dob = cx.swap_day_month(dob, rng.random(n) < s.p_dob_day_month_swap, upper)
    dob = cx.off_by_one(dob, rng.random(n) < s.p_dob_off_by_one, rng, upper)
    nhs_missing = np.zeros(n, dtype=bool)
    for p in s.sites:
        m = F.site_id[f] == p.site_id
        nhs_missing[m] = rng.random(int(m.sum())) < p.p_nhs_missing_child
    nhs = np.where(baby | nhs_missing, None, K.nhs[kid])
    child_rows = {
        "site_id": F.site_id[f], "family": f, "role": np.full(n, "child", dtype=object), "forename": fore,
        "surname": sur, "dob": dob, "expected_dob": edd, "sex": sex, "postcode": site_postcode[f], "nhs_number": nhs,
        "ethnicity": F.ethnicity[f], "true_child": kid,
    }

    # ---------------------------------------------------------------- parent rows
    par_rows = []
    fams = np.flatnonzero(site_fam)
    for role in ("victim_parent", "harm_parent"):
        if role == "victim_parent":
            fm = fams
            is_father = F.victim_is_father[fm]
        else:
            fm = fams[F.harm_parent_on_site[fams]]
            is_father = ~F.victim_is_father[fm]
        m = len(fm)
        pf = np.where(is_father, F.father_forename[fm], F.mother_forename[fm]).astype(object)
        ps = np.where(is_father, F.father_surname[fm], F.mother_surname[fm]).astype(object)
        if role == "victim_parent":
            ps = victim_surname[fm]
        pd = np.where(is_father, F.father_dob[fm], F.mother_dob[fm]).astype(np.int64)
        grp = np.array([ref.NAME_GROUPS[e][0] for e in F.ethnicity[fm]], dtype=object)
        pf = _corrupt_forenames(pf, grp, s, rng)
        pcode = site_postcode[fm] if role == "victim_parent" else np.where(
            rng.random(m) < 0.6, random_postcodes(rng, F.la_code[fm]), F.postcode[fm])
        nmiss = np.zeros(m, dtype=bool)
        for p in s.sites:
            mm = F.site_id[fm] == p.site_id
            nmiss[mm] = rng.random(int(mm.sum())) < p.p_nhs_missing_adult
        who = np.where(is_father, "father", "mother")
        nhs_p = np.where(who == "father", world.adult_nhs["father"][fm], world.adult_nhs["mother"][fm])
        nhs_p = np.where(nmiss, None, nhs_p)
        par_rows.append({
            "site_id": F.site_id[fm], "family": fm, "role": np.full(m, role, dtype=object), "forename": pf,
            "surname": ps, "dob": pd, "expected_dob": np.full(m, -1, dtype=np.int64),
            "sex": np.where(is_father, "M", "F").astype(object), "postcode": pcode, "nhs_number": nhs_p,
            "ethnicity": F.ethnicity[fm], "true_child": np.full(m, -1, dtype=np.int64),
        })
    cols = {k: np.concatenate([child_rows[k]] + [r[k] for r in par_rows]) for k in child_rows}
    fam_all = cols["family"]
    cols["referral_date"] = F.referral[fam_all]
    cols["referral_source"] = ref_src[fam_all]
    cols["la_code"] = F.la_code[fam_all]
    cols["end_date"] = end[fam_all]
    cols["end_reason"] = reason[fam_all]
    # birth weight and gestation for born fbs children (fbs extra columns)
    nrow = len(fam_all)
    is_child = cols["role"] == "child"
    gest = np.clip(np.round(rng.normal(39.2, 1.8, nrow)), 28, 42).astype(np.int64)
    gest = np.where(K.is_twin[np.maximum(cols["true_child"], 0)] & is_child, np.minimum(gest, 37), gest)
    weight = np.clip(np.round(rng.normal(3350, 520, nrow) - (40 - gest) * 180, -1), 800, 5200).astype(np.int64)
    has_birth = is_child & (cols["dob"] >= 0)
    cols["birth_weight"] = np.where(has_birth, weight, -1)
    cols["gestation"] = np.where(has_birth, gest, -1)

    df = pl.DataFrame({k: (v.tolist() if v.dtype == object else v) for k, v in cols.items()},
                      schema_overrides={"nhs_number": pl.Utf8})
    # record ids: random but unique per site; sorted output rows
    parts = []
    for p in s.sites:
        sub = df.filter(pl.col("site_id") == p.site_id)
        k = sub.height
        rec_prefix, fam_prefix = ID_FORMAT[p.site_id]
        nums = rng.choice(900_000, size=k, replace=False) + 100_000
        fam_ids = sub["family"].unique().sort().to_numpy()
        fam_nums = rng.choice(90_000, size=len(fam_ids), replace=False) + 10_000
        fmap = pl.DataFrame({"family": fam_ids, "family_id": [f"{fam_prefix}{x}" for x in fam_nums]})
        sub = sub.with_columns(pl.Series("record_id", [f"{rec_prefix}{x}" for x in nums])).join(
            fmap, on="family", how="left")
        parts.append(sub)
    people = pl.concat(parts).sort(["site_id", "record_id"])

    # ---------------------------------------------------------------- truth links
    tc = people.filter((pl.col("role") == "child") & (pl.col("true_child") >= 0))
    tc_idx = tc["true_child"].to_numpy()
    in_la = K.in_la[tc_idx]
    links = pl.DataFrame({
        "site_id": tc["site_id"].to_numpy()[in_la].tolist(),
        "site_record_id": tc["record_id"].to_numpy()[in_la].tolist(),
        "la_code": F.la_code[K.family[tc_idx[in_la]]].tolist(),
        "la_child_id": K.la_child_id[tc_idx[in_la]].tolist(),
    }, schema={"site_id": pl.Utf8, "site_record_id": pl.Utf8, "la_code": pl.Utf8, "la_child_id": pl.Utf8}
    ).sort(["site_id", "site_record_id"])

    outcomes = _build_outcomes(people, s, rng, R)
    counts = {
        "site_people": people.height,
        "site_children": int((people["role"] == "child").sum()),
        "site_children_known_to_csc": links.height,
        "site_baby_records": int((people["forename"] == "Baby").sum()),
    }
    return SiteRecords(people, links, outcomes, counts)


def _corrupt_forenames(fore: np.ndarray, groups: np.ndarray, s, rng: np.random.Generator) -> np.ndarray:
    n = len(fore)
    mult = np.where(cx.is_in(groups, ref.HIGH_VARIATION_GROUPS), s.name_variation_multiplier, 1.0)
    fore = cx.spelling_variant(fore, cx.has_variant(fore) & (rng.random(n) < s.p_name_variant * mult), rng)
    fore = cx.nickname(fore, cx.has_nickname(fore) & (rng.random(n) < s.p_nickname * 5), rng)
    return cx.typo(fore, rng.random(n) < s.p_typo * mult, rng)


def _build_outcomes(people: pl.DataFrame, s, rng: np.random.Generator, R: int) -> dict[tuple[str, str], pl.DataFrame]:
    from warehouse.adapters import get_adapter

    out: dict[tuple[str, str], pl.DataFrame] = {}
    for p in s.sites:
        adapter = get_adapter(p.site_id)
        sp = people.filter(pl.col("site_id") == p.site_id)
        for code in adapter.outcomes.measures:
            m = get_measure(code)
            if m.respondent == "child" or code in CHILD_KEYED_PARENT_MEASURES:
                who = sp.filter(pl.col("role") == "child")
                min_age = {"cries13": 8.0, "coda_child": 4.0, "asq3": 0.15, "asqse2": 0.25}.get(code, 0.0)
            else:
                roles = ["victim_parent", "harm_parent"] if p.site_id == "fbs" else ["victim_parent"]
                who = sp.filter(pl.col("role").is_in(roles))
                min_age = 16.0
            rid = who["record_id"].to_numpy()
            dob = who["dob"].to_numpy()
            refd = who["referral_date"].to_numpy()
            endd = who["end_date"].to_numpy()
            reason = who["end_reason"].to_numpy()
            k = len(rid)
            base = refd + rng.integers(0, 22, k)
            ok_age = (dob >= 0) & ((base - dob) >= min_age * YEAR)
            has_base = ok_age & (base <= R) & (rng.random(k) < s.p_baseline)
            fu = np.where(endd >= 0, endd, base + p.followup_days)
            fu = np.maximum(fu, base + 14)
            p_fu = np.where(reason == "completed", s.p_followup_completed,
                            np.where(reason == "disengaged", s.p_followup_disengaged,
                                     np.where(reason == "", s.p_followup_open, 0.05)))
            has_fu = has_base & (fu <= R) & (rng.random(k) < p_fu)
            z = rng.normal(0, 1, k)
            z_fu = 0.7 * z - 0.4 + rng.normal(0, 0.5, k)
            values = np.array(m.item_values)
            nv = len(values)
            blocks = []
            for tp, mask, when, zz in (("baseline", has_base, base, z), ("followup", has_fu, fu, z_fu)):
                idx = np.flatnonzero(mask)
                if not len(idx):
                    continue
                lat = zz[idx][:, None] + rng.normal(0, 0.9, (len(idx), m.n_items))
                pos = np.clip(np.floor((lat + 1.6) / 3.2 * nv), 0, nv - 1).astype(int)
                if not m.higher_is_worse:
                    pos = nv - 1 - pos
                items = values[pos].astype(np.int64)
                missing = rng.random(items.shape) < s.p_item_missing
                block = {"record_id": pl.Series(rid[idx], dtype=pl.Utf8), "timepoint": pl.repeat(tp, len(idx), eager=True),
                         "date": pl.Series(when[idx], dtype=pl.Int64)}
                for j in range(m.n_items):
                    block[f"item{j + 1}"] = pl.Series(np.where(missing[:, j], 0, items[:, j])).set(
                        pl.Series(missing[:, j]), None)
                blocks.append(pl.DataFrame(block))
            schema = {"record_id": pl.Utf8, "timepoint": pl.Utf8, "date": pl.Int64,
                      **{f"item{j + 1}": pl.Int64 for j in range(m.n_items)}}
            df = pl.concat(blocks) if blocks else pl.DataFrame(schema=schema)
            out[(p.site_id, code)] = df.sort(["record_id", "timepoint"])
    return out
