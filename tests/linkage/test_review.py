"""Clerical review round trip: sample without scores -> reviewers' labels -> review-based figures."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from linkage.feasibility import run_feasibility
from linkage.review import draw_review_sample, load_labels, review_sample_size
from linkage.settings import LinkageSettings
from tests.linkage.world import make_world, populate_store
from warehouse.errors import ConfigError, DataError
from warehouse.store import Store

FAST = LinkageSettings(u_sample_pairs=20_000, scenarios=("all_identifiers",))


def test_review_sample_and_labels_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    store = Store(db)
    populate_store(store, n=100, with_truth=False)
    with pytest.raises(DataError, match="run `linkready link"):
        draw_review_sample(store, 10, tmp_path / "none.csv")
    first = run_feasibility(store, FAST)
    assert {m["basis"] for m in first.metrics} == {"estimated"}
    before = {m["site_id"]: m for m in first.metrics if m["subgroup_type"] == "all"}

    # sized for a target width: a narrower interval needs more pairs; a width outside (0, 1) is refused
    wide, narrow = review_sample_size(store, 0.3), review_sample_size(store, 0.1)
    assert 0 < wide < narrow
    with pytest.raises(ConfigError, match="between 0 and 1"):
        review_sample_size(store, 1.5)

    out = tmp_path / "review.csv"
    n = draw_review_sample(store, 30, out)
    sample = pl.read_csv(out, infer_schema=False)
    assert n == sample.height == 30
    assert "probability" not in sample.columns and "match_weight" not in sample.columns   # scores hidden
    assert {"left_forename", "right_forename", "label", "reviewer"} <= set(sample.columns)
    assert sample.select("site_id", "left_key", "right_key").is_unique().all()

    # the reviewers: the world's truth says which pairs are the same child (keys are "sk"/"lk" + record id)
    truth = set()
    for i in range(2):
        _, _, t = make_world(100, seed=11 + i)
        truth |= {("sk" + a, "lk" + b) for a, b in t.iter_rows()}
    judged = sample.with_columns(
        pl.Series([("1" if (a, b) in truth else "no") for a, b in zip(sample["left_key"], sample["right_key"],
                                                                       strict=True)]).alias("label"))
    judged.write_csv(tmp_path / "reviewed.csv")
    assert load_labels(store, tmp_path / "reviewed.csv") == 30

    second = run_feasibility(store, FAST)
    overall = [m for m in second.metrics if m["subgroup_type"] == "all"]
    # a review sample is still a sample: the rows stay estimated, and name the review as their method
    assert {m["basis"] for m in overall} == {"estimated"}
    assert all("clerical review" in str(m["method"]) for m in overall)
    assert all(m["precision"] is not None and m["precision"] >= 0.9 for m in overall)
    assert all(m["precision_low"] <= m["precision"] <= m["precision_high"] for m in overall)
    for m in overall:   # the review replaced the model's figures (a small review is honest about its size)
        assert m["method"] != before[m["site_id"]]["method"] and m["recall_low"] <= m["recall"] <= m["recall_high"]
    assert not any("clerical review" in str(m["method"]) for m in second.metrics if m["subgroup_type"] != "all")


def test_bad_labels_are_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    pl.DataFrame({"site_id": ["sat", "sat"], "left_key": ["a", "b"], "right_key": ["c", "d"],
                  "label": ["1", "perhaps"]}).write_csv(path)
    with pytest.raises(DataError, match="line\\(s\\) 3"):
        load_labels(Store(tmp_path / "x.duckdb"), path)


def test_supervised_mode_trains_on_labels(tmp_path: Path) -> None:
    from linkage.pipeline import link
    from linkage.standardise import standardise
    from linkage.supervised import retrain

    left, right, truth = make_world(n=150, seed=31, error=0.25)
    cols = ["rid", "forename", "surname", "dob", "sex", "postcode", "nhs_number"]
    res = link(standardise(left.select(cols)), standardise(right.select(cols)), FAST, keep_all=True)
    known = {tuple(p) for p in truth.iter_rows()}
    reviewed = res.pairs.select("l_rid", "r_rid").sample(n=80, seed=3)
    labels = reviewed.with_columns(
        pl.Series("label", [1.0 if tuple(p) in known else 0.0 for p in reviewed.iter_rows()]))
    assert 0 < labels["label"].sum() < 80
    trained = retrain(res, labels, 0.5)
    tp = trained.links.join(truth, on=["l_rid", "r_rid"]).height
    assert tp / truth.height >= 0.95 and tp / trained.links.height >= 0.95
    assert trained.links["l_rid"].is_unique().all()
    with pytest.raises(DataError, match="at least 10 labelled pairs"):
        retrain(res, labels.head(3), 0.5)


def test_review_sample_is_private_and_formula_safe(tmp_path: Path) -> None:
    """Identifiers come from the drops as delivered: a name a spreadsheet would run as a formula is
    written inert, and the file (names, dates of birth, NHS numbers) is its owner's alone."""
    import stat

    from warehouse.disclosure import neutralise_formula

    store = Store(tmp_path / "f.duckdb")
    populate_store(store, n=60, with_truth=False)
    run_feasibility(store, FAST)
    with store.transaction() as con:
        con.execute("UPDATE restricted.service_people SET forename = '=HYPERLINK(\"http://evil.example\")', "
                    "surname = '@SUM(1+1)', postcode = '+cmd|x'")
    out = tmp_path / "review.csv"
    out.write_text("an older sample\n")
    out.chmod(0o644)                        # left behind wider: narrowed before the new sample is written
    n = draw_review_sample(store, 20, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    sample = pl.read_csv(out, infer_schema=False)
    assert sample.height == n == 20
    cells = [v for col in sample.columns for v in sample[col].to_list() if v is not None]
    live = [v for v in cells if neutralise_formula(v) != v]
    assert live == []                       # nothing a spreadsheet would evaluate
    assert sample["left_forename"].str.starts_with("'=HYPERLINK").all()   # kept, as text
    assert sample["left_surname"].str.starts_with("'@").all() and sample["left_postcode"].str.starts_with("'+").all()
    assert sample["right_forename"].str.starts_with("'").sum() == 0        # untouched values stay as they were
