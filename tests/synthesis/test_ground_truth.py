"""The matrices built from the synthetic material reproduce the generator's ground truth."""

from __future__ import annotations

import hashlib
from pathlib import Path

from synthesis.outputs import (
    availability_evidence,
    availability_matrix,
    framework_matrix,
    triangulation_matrix,
)
from synthetic_data.focus_groups import write_focus_groups
from warehouse.store import Store


def test_availability_matrix_reproduces_ground_truth(material, loaded: Store) -> None:
    _, _, truth = material
    m = availability_matrix(loaded)
    got = {(r["site_id"], r["data_item"], r["dimension"]): (r["rating"], r["time_to_access_days"], r["source"])
           for r in m.iter_rows(named=True)}
    expected = {(t["site_id"], t["data_item"], t["dimension"]): (t["rating"], t["time_to_access_days"], "focus_group")
                for t in truth["availability"]}
    assert got == expected
    # the planted contrasts
    assert got[("fbs", "nhs_number", "held")][0] == 4 and got[("coda", "nhs_number", "held")][0] == 1
    assert got[("leap", "csc_status", "time_to_access")][:2] == (2, 28.0)
    # spread across sources reflects the interview ratings
    interview = {(t["site_id"], t["data_item"], t["dimension"]): t["rating"] for t in truth["interview"]}
    for r in m.iter_rows(named=True):
        key = (r["site_id"], r["data_item"], r["dimension"])
        ratings = [expected[key][0]] + ([interview[key]] if key in interview else [])
        assert (r["min_rating"], r["max_rating"], r["n_ratings"]) == (min(ratings), max(ratings), len(ratings))


def test_evidence_quotes_are_the_rated_passages(material, loaded: Store) -> None:
    _, _, truth = material
    ev = availability_evidence(loaded).filter(source="focus_group")
    assert ev.height == len(truth["availability"])
    for r in ev.iter_rows(named=True):
        assert r["quote"] == truth["evidence_sentences"][f"{r['site_id']}|{r['data_item']}|{r['dimension']}"]
        assert r["participant"] is not None and r["role"] is not None and r["activity_kind"] == "data_focus_group"


def test_framework_matrix_reproduces_ground_truth(material, loaded: Store) -> None:
    _, _, truth = material
    fm = framework_matrix(loaded)
    got = {(r["site_id"], r["theme_name"]): r for r in fm.iter_rows(named=True)}
    expected = {(s, theme): summary for s, cells in truth["framework"].items() for theme, summary in cells.items()}
    assert set(got) == set(expected)
    for key, summary in expected.items():
        assert got[key]["summary"] == summary, key
        assert (got[key]["n_segments"] > 0) == (summary is not None), key      # silence where nothing was charted
    rqs = {r["theme_name"]: r["rq_id"] for r in fm.iter_rows(named=True)}
    assert rqs["Holding the data"] == "RQ1" and rqs["Getting the data out"] == "RQ3" and rqs["Workarounds"] is None


def test_triangulation_matrix_reproduces_ground_truth(material, loaded: Store) -> None:
    _, _, truth = material
    tm = triangulation_matrix(loaded).filter(basis="derived")
    got = {(r["site_id"], r["data_item"], r["dimension"], r["source_a"], r["source_b"]): r["convergence"]
           for r in tm.iter_rows(named=True)}
    expected = {(t["site_id"], t["data_item"], t["dimension"], t["source_a"], t["source_b"]): t["convergence"]
                for t in truth["triangulation"]}
    assert got == expected
    assert {"agreement", "partial_agreement", "dissonance", "silence"} == set(got.values())


def test_generator_is_byte_identical_per_seed_and_returns_loadable_order(tmp_path: Path) -> None:
    def digest(d: Path) -> dict[str, str]:
        return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*"))
                if p.is_file()}

    a = write_focus_groups(tmp_path / "a", 11)
    b = write_focus_groups(tmp_path / "b", 11)
    write_focus_groups(tmp_path / "c", 12)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    assert [p.name for p in a] == ["project.qdpx", "ratings.csv", "framework.csv", "findings.csv"]
    assert all("truth" not in p.parts for p in a + b)
