"""The engine end to end on a small seeded world: accuracy, one-to-one links, dedupe clusters,
explanations that add up, and the scenario ordering (removing identifiers never improves F1)."""

from __future__ import annotations

import polars as pl
import pytest

from linkage.encoded import link_encoded_frames
from linkage.explain import explain_pair, explanation_columns
from linkage.pipeline import LinkResult, link, one_to_one
from linkage.scenarios import SCENARIOS, get_scenario
from linkage.settings import LinkageSettings
from linkage.standardise import standardise, tokenise
from tests.linkage.world import make_world
from warehouse.errors import ConfigError

ROLES = ["forename", "surname", "dob", "sex", "postcode", "nhs_number"]


@pytest.fixture(scope="module")
def world() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return make_world(n=400, seed=5, error=0.25)


def _f1(res: LinkResult, truth: pl.DataFrame) -> float:
    tp = res.links.join(truth, on=["l_rid", "r_rid"]).height
    return 2 * tp / (res.links.height + truth.height)


def _run(world, scenario: str) -> LinkResult:  # noqa: ANN001
    left, right, _ = world
    s = get_scenario(scenario)
    a = standardise(left.select(["rid", *s.roles]))
    b = standardise(right.select(["rid", *s.roles]))
    if s.encoding == "bloom_filter":
        return link_encoded_frames(a, b, LinkageSettings(u_sample_pairs=50_000), b"test-key-of-32-bytes-for-encode!")
    if s.tokens:
        a, b = tokenise(a, b"test-key"), tokenise(b, b"test-key")
    return link(a, b, LinkageSettings(u_sample_pairs=50_000), tokens=s.tokens)


@pytest.fixture(scope="module")
def results(world) -> dict[str, LinkResult]:  # noqa: ANN001
    return {name: _run(world, name) for name in SCENARIOS}


def test_all_identifiers_links_accurately_and_one_to_one(world, results) -> None:  # noqa: ANN001
    res = results["all_identifiers"]
    assert _f1(res, world[2]) >= 0.98
    assert res.links["l_rid"].is_unique().all() and res.links["r_rid"].is_unique().all()
    assert (res.links["probability"] >= 0.5).all()
    assert res.candidate_pairs < 400 * 560 / 20        # blocking kept a small share of all pairs


def test_removing_identifiers_never_improves_f1(world, results) -> None:  # noqa: ANN001
    f1 = {name: _f1(res, world[2]) for name, res in results.items()}
    # each scenario is compared with those that share a superset of its identifiers
    assert f1["all_identifiers"] >= f1["no_nhs_number"] >= f1["names_dob"]
    assert f1["no_nhs_number"] >= f1["dob_postcode_sex"]
    assert f1["all_identifiers"] >= f1["pseudonymised_tokens"]      # same fields, exact agreement only
    # encodings keep the similarity that keyed hashes lose, and cost little against clear text
    assert f1["bloom_filter_encodings"] >= f1["pseudonymised_tokens"]
    assert f1["bloom_filter_encodings"] >= f1["all_identifiers"] - 0.02
    assert f1["dob_postcode_sex"] < f1["all_identifiers"]          # the no-names scenario costs something here


def test_explanation_weights_add_up(results) -> None:  # noqa: ANN001
    res = results["all_identifiers"]
    row = res.links.row(0, named=True)
    exp = explain_pair(res, row["l_rid"], row["r_rid"])
    total = exp["prior_weight"] + sum(c["weight"] for c in exp["comparisons"].values())  # type: ignore[union-attr]
    assert total == pytest.approx(exp["match_weight"], abs=1e-6)
    assert set(exp["comparisons"]) == set(ROLES)  # type: ignore[arg-type]
    stored = explanation_columns(res, res.pairs.head(3))["explanation"].str.json_decode()
    assert stored.struct.field("comparisons").struct.field("forename").struct.field("weight").len() == 3


def test_one_to_one_takes_mutual_best_pairs() -> None:
    pairs = pl.DataFrame({"l_id": [0, 0, 1, 1, 2], "r_id": [0, 1, 0, 1, 1], "match_weight": [9.0, 8.0, 7.0, 1.0, 5.0]})
    got = set(one_to_one(pairs).select("l_id", "r_id").iter_rows())
    assert got == {(0, 0), (2, 1)}       # 1's best partner (0) is taken; 2 beats 1 for partner 1


def test_dedupe_clusters_duplicates(world) -> None:  # noqa: ANN001
    left, right, truth = world
    dup = right.filter(pl.col("rid").is_in(truth["r_rid"].head(100).implode()))
    both = pl.concat([left.select(["rid", *ROLES]), dup.select(["rid", *ROLES])])
    res = link(standardise(both), None, LinkageSettings(u_sample_pairs=50_000))
    pairs = set(res.links.select("l_rid", "r_rid").iter_rows())
    want = {tuple(sorted(p)) for p in truth.head(100).select("l_rid", "r_rid").iter_rows()}
    found = {tuple(sorted(p)) for p in pairs}
    assert len(found & want) >= 95 and len(found - want) <= 5
    assert res.clusters is not None and res.clusters.height == both.height


def test_settings_validation_reports_every_problem() -> None:
    with pytest.raises(ConfigError) as err:
        LinkageSettings(threshold=1.5, em_iterations=0, scenarios=("names_dobb",))
    msg = str(err.value)
    assert "threshold" in msg and "em_iterations" in msg and "did you mean 'names_dob'" in msg


def test_tf_adjust_off_scores_every_exact_name_alike(world) -> None:  # noqa: ANN001
    left, right, _ = world
    a, b = standardise(left.select(["rid", *ROLES])), standardise(right.select(["rid", *ROLES]))
    on = link(a, b, LinkageSettings(u_sample_pairs=50_000))
    off = link(a, b, LinkageSettings(u_sample_pairs=50_000, tf_adjust=False))
    assert any(c.startswith("tfa_") for c in on.pairs.columns)
    assert not any(c.startswith(("tfa_", "tf_")) for c in off.pairs.columns)
    # with adjustment, exact surname agreements carry different weights (rare names count for more);
    # without it, every exact surname agreement has the one level weight
    exact = len(on.model.labels[1]) - 1
    def weights(res: LinkResult) -> pl.Series:  # noqa: E306
        p = res.pairs.filter(pl.col("g_surname") == exact)
        return p["w_surname"] + (p["tfa_surname"] if "tfa_surname" in p.columns else 0.0)
    assert weights(on).n_unique() > 5
    assert weights(off).n_unique() == 1
    exp_off = explain_pair(off, off.links["l_rid"][0], off.links["r_rid"][0])
    assert all(c["tf_adjustment"] == 0.0 for c in exp_off["comparisons"].values())  # type: ignore[union-attr]


def test_explanations_read_the_score_stage_columns(results) -> None:  # noqa: ANN001
    res = results["all_identifiers"]
    row = res.pairs.filter(pl.col("is_link")).row(0, named=True)
    exp = explain_pair(res, row["l_rid"], row["r_rid"])
    fore = exp["comparisons"]["forename"]  # type: ignore[index]
    assert fore["weight"] == pytest.approx(row["w_forename"] + (row["tfa_forename"] or 0.0))
    total = res.model.prior_weight() + sum(row[f"w_{c.name}"] + (row.get(f"tfa_{c.name}") or 0.0)
                                           for c in res.comparisons)
    assert total == pytest.approx(row["match_weight"], abs=1e-9)
