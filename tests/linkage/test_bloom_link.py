"""Encoded linkage in the Fellegi-Sunter stages: quality against clear text and keyed hashes, dedupe, explanations."""

from __future__ import annotations

import polars as pl
import pytest

from linkage.bloom import BloomSettings, EncodingKey, encode
from linkage.encoded import encoded_comparisons, encoded_rules, link_encoded, link_encoded_frames
from linkage.explain import explain_pair
from linkage.pipeline import LinkResult, link
from linkage.settings import LinkageSettings
from linkage.standardise import standardise, tokenise
from tests.linkage.world import make_world
from warehouse.errors import ConfigError, DataError

FAST = LinkageSettings(u_sample_pairs=20_000)
KEY = EncodingKey(bytes(range(32)))
COLS = ["rid", "forename", "surname", "dob", "sex", "postcode", "nhs_number"]


def _f1(res: LinkResult, truth: pl.DataFrame) -> float:
    pred = set(res.links.select("l_rid", "r_rid").iter_rows())
    true = set(truth.select("l_rid", "r_rid").iter_rows())
    tp = len(pred & true)
    return 2 * tp / (len(pred) + len(true)) if pred or true else 1.0


@pytest.fixture(scope="module")
def world() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    left, right, truth = make_world(n=300, seed=2, error=0.4)     # many typos: exact keyed hashes suffer
    return standardise(left.select(COLS)), standardise(right.select(COLS)), truth


def test_encoded_f1_close_to_clear_and_far_above_keyed_hashes(world: tuple[pl.DataFrame, ...]) -> None:
    sl, sr, truth = world
    clear = _f1(link(sl, sr, FAST), truth)
    hashed = _f1(link(tokenise(sl, b"k" * 32), tokenise(sr, b"k" * 32), FAST, tokens=True), truth)
    res = link_encoded(encode(sl, KEY, BloomSettings(seed=3)), encode(sr, KEY, BloomSettings(seed=4)), FAST)
    encoded = _f1(res, truth)
    assert encoded >= clear - 0.01
    assert encoded >= hashed + 0.02
    assert res.links["l_rid"].is_unique().all() and res.links["r_rid"].is_unique().all()   # one-to-one
    names = [c.name for c in res.comparisons]
    assert names == ["forename", "surname", "dob", "sex", "postcode", "nhs_number"]
    assert res.model.labels[0][-1] == "dice_0.85"


def test_blocking_keeps_every_true_pair(world: tuple[pl.DataFrame, ...]) -> None:
    sl, sr, truth = world
    res = link_encoded(encode(sl, KEY, BloomSettings(seed=3)), encode(sr, KEY, BloomSettings(seed=3)), FAST)
    clear = link(sl, sr, FAST)
    assert res.candidate_pairs <= 3 * clear.candidate_pairs           # no blow-up over clear-text blocking
    scored = set(res.pairs.select("l_rid", "r_rid").iter_rows())
    missed = [p for p in truth.iter_rows() if p not in scored]
    assert len(missed) <= 0.01 * truth.height


def test_explanations_read_the_encoded_weights(world: tuple[pl.DataFrame, ...]) -> None:
    sl, sr, truth = world
    res = link_encoded_frames(sl, sr, FAST, bytes(32))
    l_rid, r_rid = truth.row(0)
    ex = explain_pair(res, l_rid, r_rid)
    total = ex["prior_weight"] + sum(c["weight"] for c in ex["comparisons"].values())  # type: ignore[operator, attr-defined]
    assert total == pytest.approx(ex["match_weight"], abs=1e-6)
    assert ex["comparisons"]["forename"]["level"].startswith("dice_")  # type: ignore[index]


def test_dedupe_of_one_encoded_file_finds_its_duplicates() -> None:
    left, right, truth = make_world(n=120, seed=41, error=0.2)
    dups = right.filter(pl.col("rid").is_in(truth["r_rid"].head(30).implode()))
    std = standardise(pl.concat([left.select(COLS), dups.select(COLS)]))
    res = link_encoded(encode(std, KEY, BloomSettings(seed=1)), None, FAST)
    pairs = {tuple(sorted(p)) for p in res.links.select("l_rid", "r_rid").iter_rows()}
    expected = {tuple(sorted(p)) for p in truth.head(30).iter_rows()}
    assert len(pairs & expected) >= 28 and res.clusters is not None


def test_plan_and_refusals() -> None:
    cols = {"forename_bf", "dob_tk", "dob_swap_tk", "dob_year_tk", "dob_ym_tk", "dob_yd_tk", "dob_md_tk", "dob_w1_tk", "dob_w2_tk",
            "bk_dob_forename_initial", "bk_dob_sex"}
    assert [c.kind for c in encoded_comparisons(cols)] == ["dice", "encoded_date"]
    assert [r.name for r in encoded_rules(cols)] == ["dob_forename_initial"]    # names-free keys only without names
    assert encoded_rules(cols)[0].base_fields == frozenset({"dob", "forename"})
    with pytest.raises(ConfigError, match="share no encoded identifier"):
        link_encoded(pl.DataFrame({"rid": ["a", "b"], "x": [1, 2]}), pl.DataFrame({"rid": ["c"], "x": [1]}))
    left, right, _ = make_world(n=40, seed=5)
    a = encode(standardise(left.select(COLS)), KEY, BloomSettings(seed=1))
    b = encode(standardise(right.select(COLS)), KEY, BloomSettings(seed=1, length=512))
    with pytest.raises(DataError, match="same settings"):
        link_encoded(a, b, FAST)


def test_keys_over_budget_are_tightened_not_dropped(world: tuple[pl.DataFrame, ...]) -> None:
    sl, sr, truth = world
    # a budget that fits the flat keys but not the surname + year-month blocks, which run tightened by sex
    tight = LinkageSettings(u_sample_pairs=20_000, max_pairs_per_record=0.2)
    res = link_encoded(encode(sl, KEY, BloomSettings(seed=3)), encode(sr, KEY, BloomSettings(seed=3)), tight)
    names = [r.name for r in res.rules]
    assert any("+" in n for n in names)                           # some keys ran tightened (e.g. +sex)
    assert all(r.base_fields >= {"sex"} for r in res.rules if r.name.split("+")[1:2] == ["sex"])
    assert _f1(res, truth) >= 0.95


def test_tighter_variants_carry_what_the_cap_leaves_out(world: tuple[pl.DataFrame, ...]) -> None:
    """A frequency-capped key drops its commonest values; its tightened variants (smaller groups) keep
    them, so they run beside it when they fit the budget."""
    sl, sr, truth = world
    capped = BloomSettings(seed=3, block_cap=2)
    res = link_encoded(encode(sl, KEY, capped), encode(sr, KEY, capped), FAST)
    names = [r.name for r in res.rules]
    assert "forename_year_month" in names and "forename_year_month+sex" in names
    assert _f1(res, truth) >= 0.95
    uncapped = link_encoded(encode(sl, KEY, BloomSettings(seed=3)), encode(sr, KEY, BloomSettings(seed=3)), FAST)
    assert not any("+" in r.name for r in uncapped.rules)          # nothing capped here: one variant per key
