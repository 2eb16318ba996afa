"""run_feasibility on a tiny warehouse: what it writes, measured versus estimated, no duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from linkage.feasibility import run_feasibility
from linkage.settings import SCENARIO_NAMES, LinkageSettings
from tests.linkage.world import populate_store
from warehouse.store import Store

FAST = LinkageSettings(u_sample_pairs=20_000, scenarios=("all_identifiers", "names_dob", "pseudonymised_tokens"))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    db = tmp_path_factory.mktemp("lk") / "w.duckdb"
    counts = populate_store(Store(db), n=120)
    run_feasibility(Store(db), FAST)
    report = run_feasibility(Store(db), FAST)          # a re-run replaces, never duplicates
    assert report.run_id == 2
    return db, counts


def _q(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_runs_metrics_and_pairs_written_once(warehouse) -> None:  # noqa: ANN001
    db, counts = warehouse
    assert _q(db, "SELECT count(*), min(status) FROM linkage_runs") == [(1, "ok")]
    overall = _q(db, "SELECT site_id, scenario, basis, true_matches, recall, precision FROM linkage_metrics "
                     "WHERE subgroup_type = 'all' ORDER BY site_id, scenario")
    assert [(r[0], r[1]) for r in overall] == [(s, c) for s in ("coda", "sat") for c in sorted(FAST.scenarios)]
    for site, scen, basis, true_matches, recall, precision in overall:
        assert basis == "measured" and true_matches == counts[site]
        if scen == "all_identifiers":
            assert recall >= 0.95 and precision >= 0.95
    subgroup_types = {r[0] for r in _q(db, "SELECT DISTINCT subgroup_type FROM linkage_metrics")}
    assert subgroup_types == {"all", "ethnic_group", "age_band", "sex"}


def test_pairs_hold_pseudonymous_keys_and_explanations(warehouse) -> None:  # noqa: ANN001
    db, _ = warehouse
    rows = _q(db, "SELECT left_key, right_key, match_weight, CAST(explanation AS VARCHAR) FROM linkage_pairs "
                  "WHERE is_link AND scenario = 'all_identifiers' LIMIT 5")
    assert rows
    for left_key, right_key, weight, explanation in rows:
        assert left_key.startswith("sk") and right_key.startswith("lk")    # the warehouse's person keys
        data = json.loads(explanation)
        total = data["prior_weight"] + sum(c["weight"] for c in data["comparisons"].values())
        assert total == pytest.approx(weight, abs=1e-3)


def test_expected_known_share_sits_beside_every_match_rate(warehouse) -> None:  # noqa: ANN001
    db, _ = warehouse
    missing = _q(db, "SELECT count(*) FROM linkage_metrics WHERE subgroup_type = 'all' AND match_rate IS NOT NULL "
                     "AND expected_known_share IS NULL")
    assert missing == [(0,)]
    must = _q(db, "SELECT min(must_link_n), min(must_link_rate) FROM linkage_metrics "
                  "WHERE subgroup_type = 'all' AND scenario = 'all_identifiers'")[0]
    assert must[0] > 0 and must[1] >= 0.9


def test_without_truth_every_figure_is_estimated(tmp_path: Path) -> None:
    db = tmp_path / "nt.duckdb"
    populate_store(Store(db), n=80, with_truth=False)
    report = run_feasibility(Store(db), LinkageSettings(u_sample_pairs=20_000, scenarios=("all_identifiers",)))
    assert {m["basis"] for m in report.metrics} == {"estimated"}
    overall = [m for m in report.metrics if m["subgroup_type"] == "all"]
    assert all(m["precision"] is not None and m["true_matches"] is None for m in overall)
    assert SCENARIO_NAMES[0] == "all_identifiers"
