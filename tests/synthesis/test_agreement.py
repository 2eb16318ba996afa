"""Agreement statistics against scikit-learn and the krippendorff package (to 1e-9)."""

from __future__ import annotations

import krippendorff
import numpy as np
import polars as pl
import pytest
from sklearn.metrics import cohen_kappa_score

from synthesis.agreement import agreement_table, cohen_kappa, krippendorff_alpha, percent_agreement
from synthesis.outputs import intercoder_agreement
from warehouse.store import Store


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kappa_and_alpha_match_reference_implementations(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(50, 3000))
    k = int(rng.integers(2, 5))                              # binary or multi-category labels
    a = rng.integers(0, k, n)
    b = np.where(rng.random(n) < 0.8, a, rng.integers(0, k, n))
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-9)
    two = np.vstack([a, b]).astype(float)
    ref = krippendorff.alpha(reliability_data=two, level_of_measurement="nominal")
    assert krippendorff_alpha(two) == pytest.approx(ref, abs=1e-9)
    # three coders with missing values
    c = np.where(rng.random(n) < 0.7, a, rng.integers(0, k, n)).astype(float)
    c[rng.random(n) < 0.2] = np.nan
    three = np.vstack([a, b, c]).astype(float)
    ref3 = krippendorff.alpha(reliability_data=three, level_of_measurement="nominal")
    assert krippendorff_alpha(three) == pytest.approx(ref3, abs=1e-9)


def test_percent_agreement_by_hand() -> None:
    assert percent_agreement(np.array([1, 0, 1, 1]), np.array([1, 1, 1, 0])) == 0.5
    assert np.isnan(cohen_kappa(np.ones(5, int), np.ones(5, int)))        # chance agreement 1: undefined


def test_warehouse_agreement_matches_references_on_generated_data(loaded: Store) -> None:
    # Rebuild the per-code character vectors independently and compare with the stored table.
    with loaded.reader() as con:
        segs = con.sql("SELECT document_id, code_id, coder_id, start_char, end_char FROM syn_coded_segment").pl()
        lengths = dict(con.execute("SELECT document_id, char_count FROM syn_document").fetchall())
    table = intercoder_agreement(loaded, "char", save=True)
    coders = sorted(segs["coder_id"].unique().to_list())
    assert table.height == segs["code_id"].n_unique() and len(coders) == 2
    docs = sorted(lengths)
    offsets = dict(zip(docs, np.cumsum([0] + [lengths[d] for d in docs])[:-1], strict=True))
    total = sum(lengths.values())
    for row in table.iter_rows(named=True):
        vecs = []
        for coder in coders:
            v = np.zeros(total, dtype=int)
            for d, s, e in segs.filter((pl.col("code_id") == row["code_id"]) & (pl.col("coder_id") == coder)).select(
                "document_id", "start_char", "end_char").iter_rows():
                v[offsets[d] + s: offsets[d] + e] = 1
            vecs.append(v)
        assert row["unit"] == "char" and row["n_units"] == total
        assert row["cohen_kappa"] == pytest.approx(cohen_kappa_score(vecs[0], vecs[1]), abs=1e-9)
        ref = krippendorff.alpha(reliability_data=np.vstack(vecs).astype(float), level_of_measurement="nominal")
        assert row["kripp_alpha"] == pytest.approx(ref, abs=1e-9)
    # two coders who mostly agree: high but not perfect agreement overall
    assert table["kripp_alpha"].min() > 0.6 and table["kripp_alpha"].min() < 1.0
    with loaded.reader() as con:
        assert con.execute("SELECT count(*), min(unit) FROM syn_irr_result").fetchone() == (table.height, "char")


def test_turn_unit_counts_turns_touched() -> None:
    segs = pl.DataFrame({"document_id": ["d", "d", "d"], "code_id": ["c", "c", "c"], "coder_id": ["x", "y", "y"],
                         "start_char": [0, 2, 12], "end_char": [3, 4, 14]})
    turns = {"d": [(0, 5), (6, 10), (11, 15)]}
    t = agreement_table(segs, {"d": 15}, turns, unit="turn")
    row = t.row(0, named=True)
    # coder x: turn 1 only; coder y: turns 1 and 3 -> agree on 2 of 3 turns
    assert row["n_units"] == 3 and row["pct_agreement"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_binary_fast_path_equals_general_functions(m: int) -> None:
    from synthesis.agreement import _binary_agreement

    rng = np.random.default_rng(m)
    base = rng.integers(0, 2, 4000)
    mat = np.vstack([np.where(rng.random(4000) < 0.85, base, 1 - base) for _ in range(m)]).astype(np.int8)
    pct, kappa, alpha = _binary_agreement(mat)
    pairs = [percent_agreement(mat[i], mat[j]) for i in range(m) for j in range(i + 1, m)]
    assert pct == pytest.approx(np.mean(pairs), abs=1e-12)
    assert alpha == pytest.approx(krippendorff.alpha(reliability_data=mat.astype(float),
                                                     level_of_measurement="nominal"), abs=1e-9)
    if m == 2:
        assert kappa == pytest.approx(cohen_kappa_score(mat[0], mat[1]), abs=1e-9)
    else:
        assert kappa is None
