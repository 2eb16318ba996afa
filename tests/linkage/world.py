"""A tiny seeded world for linkage tests: two files of the same children with known errors.

Names are random syllable strings made at run time (nothing personal-looking is committed).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from warehouse.identifiers import nhs_check_digit

SYLLABLES = ("ka", "lo", "mi", "ren", "to", "sa", "vi", "dor", "pel", "nu", "ba", "zet", "qui", "fo", "har",
             "lin", "mo", "tas", "ve", "rid", "gal", "sen", "ot", "wy", "cra", "jel", "ush", "bri", "nol", "ex")
ETHNICITY = ("WBRI", "WBRI", "WBRI", "WOTH", "APKN", "ABAN", "BAFR", "BCRB", "MWBC", "CHNE", "OOTH")


def _names(rng: np.random.Generator, k: int, parts: int) -> list[str]:
    out = set()
    while len(out) < k:
        out.add("".join(rng.choice(SYLLABLES, size=parts)).capitalize())
    return sorted(out)


def _typo(rng: np.random.Generator, s: str) -> str:
    if len(s) < 3:
        return s + "a"
    i = int(rng.integers(1, len(s) - 1))
    kind = rng.integers(0, 3)
    if kind == 0:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    if kind == 1:
        return s[:i] + s[i + 1:]
    return s[:i] + "e" + s[i + 1:]


def _nhs(rng: np.random.Generator) -> str:
    while True:
        d = [int(x) for x in rng.integers(0, 10, 9)]
        d[0] = 4
        body = "".join(map(str, d))
        check = nhs_check_digit(body)
        if check is not None:
            return body + str(check)


def make_world(n: int = 300, seed: int = 7, overlap: float = 0.7, error: float = 0.15,
               n_right_extra: int | None = None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """``left`` (a service's children), ``right`` (LA records: the overlapping children, corrupted,
    plus others) and ``truth`` (``l_rid``, ``r_rid``)."""
    rng = np.random.default_rng(seed)
    fore_pool = _names(rng, 120, 2)
    sur_pool = _names(rng, 200, 3)
    fw = 1.0 / np.arange(1, len(fore_pool) + 1)
    sw = 1.0 / np.arange(1, len(sur_pool) + 1) ** 0.8
    n_people = n + (n_right_extra if n_right_extra is not None else n)
    people = []
    for i in range(n_people):
        dob = date(2010, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 12)))
        people.append({
            "pid": i,
            "forename": str(rng.choice(fore_pool, p=fw / fw.sum())),
            "surname": str(rng.choice(sur_pool, p=sw / sw.sum())),
            "dob": dob,
            "sex": str(rng.choice(["M", "F"])),
            "postcode": f"{rng.choice(['AB', 'CD', 'EF'])}{rng.integers(1, 9)} {rng.integers(1, 9)}"
                        f"{rng.choice(list('ABDEFG'))}{rng.choice(list('HJLNPQ'))}",
            "nhs_number": _nhs(rng),
            "ethnicity": str(rng.choice(ETHNICITY)),
            "referral_date": date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 300))),
        })
    left_people = people[:n]
    in_la = [p for p in left_people if rng.random() < overlap]
    others = people[n:]
    known = {p["pid"] for p in in_la}
    csc = pl.Series([p["pid"] in known and rng.random() < 0.4 for p in left_people])   # CSC referrals must link
    left = pl.DataFrame([{**p, "rid": f"S{p['pid']:05d}"} for p in left_people]).with_columns(
        pl.when(pl.Series(rng.random(n) < 0.3)).then(None).otherwise(pl.col("nhs_number")).alias("nhs_number"),
        pl.when(csc).then(pl.lit("csc")).otherwise(pl.lit("self")).alias("referral_source"),
    )
    right_rows = []
    for p in in_la + others:
        q = dict(p)
        if rng.random() < error:
            q["forename"] = _typo(rng, q["forename"])
        if rng.random() < error:
            q["surname"] = _typo(rng, q["surname"])
        if rng.random() < error / 2 and q["dob"].day <= 12:
            q["dob"] = date(q["dob"].year, q["dob"].day, q["dob"].month)
        if rng.random() < error:
            q["postcode"] = f"{q['postcode'][:-2]}ZZ"
        if rng.random() < 0.2:
            q["nhs_number"] = None
        right_rows.append({**q, "rid": f"L{p['pid']:05d}"})
    right = pl.DataFrame(right_rows).sample(fraction=1.0, shuffle=True, seed=seed)
    truth = pl.DataFrame({"l_rid": [f"S{p['pid']:05d}" for p in in_la], "r_rid": [f"L{p['pid']:05d}" for p in in_la]})
    return left, right, truth


def populate_store(store, n: int = 200, seed: int = 11, with_truth: bool = True) -> dict[str, int]:  # noqa: ANN001
    """Fill a warehouse's restricted zone with a tiny world: sites ``sat`` (LA 380) and ``coda`` (LA 209)."""
    counts = {}
    with store.transaction() as con:
        for i, (site, la) in enumerate((("sat", "380"), ("coda", "209"))):
            left, right, truth = make_world(n, seed=seed + i)
            sp = left.select(
                pl.lit(1).alias("batch_id"), pl.lit(site).alias("site_id"), pl.col("rid").alias("record_id"),
                ("sk" + pl.col("rid")).alias("person_key"), pl.lit("F1").alias("family_id"), pl.lit("child").alias("role"),
                "forename", "surname", "dob", pl.lit(None, dtype=pl.Date).alias("expected_dob"), "sex", "postcode",
                "nhs_number", "ethnicity", "referral_date", "referral_source", pl.lit(la).alias("la_code"),
                pl.lit(None, dtype=pl.Date).alias("retain_until"),
            )
            la_rows = right.select(
                pl.lit(1).alias("batch_id"), pl.lit(la).alias("la_code"), pl.col("rid").alias("la_child_id"),
                ("lk" + pl.col("rid")).alias("person_key"), "forename", "surname", "dob",
                pl.lit(None, dtype=pl.Date).alias("expected_dob"), "sex", "postcode", "nhs_number",
                pl.lit(None, dtype=pl.Utf8).alias("upn"), pl.lit(None, dtype=pl.Utf8).alias("former_upn"),
                "ethnicity", pl.lit(None, dtype=pl.Date).alias("retain_until"),
            )
            con.register("_sp", sp)
            con.execute("INSERT INTO restricted.service_people SELECT * FROM _sp")
            con.register("_la", la_rows)
            con.execute("INSERT INTO restricted.la_identifiers SELECT * FROM _la")
            if with_truth:
                tr = truth.select(pl.lit(site).alias("site_id"), pl.col("l_rid").alias("site_record_id"),
                                  pl.lit(la).alias("la_code"), pl.col("r_rid").alias("la_child_id"))
                con.register("_tr", tr)
                con.execute("INSERT INTO restricted.truth_links SELECT * FROM _tr")
            counts[site] = truth.height
    return counts


def make_unborn_world(n: int = 400, seed: int = 23, unborn: float = 0.4, referred: float = 0.85,
                      ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """:func:`make_world` where a share of the service's children were referred before birth: their
    record holds an expected date of birth (weeks from the real one), no sex and no forename ("Baby"),
    as a pregnancy-to-two service's records do. Children known to the LA are referred by CSC with
    probability ``referred`` (they must link). Returns ``left`` with the warehouse's columns
    (``dob`` = date or expected date, ``dob_expected``, ``birth_date``), ``right`` and ``truth``."""
    left, right, truth = make_world(n, seed=seed)
    rng = np.random.default_rng(seed + 1000)          # its own stream: make_world's draws are unchanged
    is_unborn = pl.Series(rng.random(left.height) < unborn)
    shift = pl.Series(rng.integers(-40, 41, left.height)).cast(pl.Int64)
    known = left["rid"].is_in(truth["l_rid"].implode())
    must = known & pl.Series(rng.random(left.height) < referred)
    left = left.with_columns(
        pl.when(is_unborn).then(pl.col("dob") + pl.duration(days=shift)).otherwise(pl.col("dob")).alias("dob"),
        is_unborn.alias("dob_expected"),
        pl.when(is_unborn).then(None).otherwise(pl.col("dob")).alias("birth_date"),
        pl.when(is_unborn).then(None).otherwise(pl.col("sex")).alias("sex"),
        pl.when(is_unborn).then(None).otherwise(pl.col("forename")).alias("forename"),
        pl.when(must).then(pl.lit("csc")).otherwise(pl.lit("self")).alias("referral_source"),
    )
    right = right.with_columns(pl.lit(False).alias("dob_expected"))
    return left, right, truth
