"""Admin-data ratings and their triangulation with focus-group ratings."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthesis.admin import rate_from_admin, share_to_rating
from synthesis.exchange import import_file
from synthesis.outputs import triangulation_matrix
from warehouse.store import Store


@pytest.mark.parametrize(("share", "rating"), [(0.0, 0), (0.01, 1), (0.3, 2), (0.49, 2), (0.5, 3), (0.85, 4), (1.0, 4)])
def test_share_bins(share: float, rating: int) -> None:
    assert share_to_rating(share) == rating


def test_admin_ratings_triangulate_with_focus_group(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.duckdb")
    # fbs: 18 of 20 children with an NHS number (90% -> 4); coda: 3 of 20 (15% -> 1); leap: 5 records (skipped)
    people = ([("fbs", i < 18) for i in range(20)] + [("coda", i < 3) for i in range(20)]
              + [("leap", True) for _ in range(5)])
    with store.transaction() as con:
        for n, (site, has) in enumerate(people):
            con.execute("INSERT INTO service_episodes (person_key, site_id, role, has_nhs_number, ethnicity, batch_id) "
                        "VALUES (?, ?, 'child', ?, 'WBRI', 1)", [f"k{n}", site, has])
    csv = tmp_path / "ratings.csv"
    csv.write_text("site_id,data_item,dimension,rating\nfbs,nhs_number,held,4\ncoda,nhs_number,held,3\n"
                   "fbs,attendance,held,2\n", encoding="utf-8")
    import_file(csv, store)
    rated = rate_from_admin(store)
    got = {(r["site_id"], r["data_item"]): r["rating"] for r in rated.iter_rows(named=True)}
    assert got == {("fbs", "nhs_number"): 4, ("coda", "nhs_number"): 1, ("fbs", "ethnicity"): 4,
                   ("coda", "ethnicity"): 4}
    tm = triangulation_matrix(store).filter(source_a="admin_extract", source_b="focus_group")
    cells = {(r["site_id"], r["data_item"]): r["convergence"] for r in tm.iter_rows(named=True)}
    # agreement at fbs, dissonance at coda (3 vs 1); no 'silence' rows against admin data
    assert cells == {("fbs", "nhs_number"): "agreement", ("coda", "nhs_number"): "dissonance"}
    rate_from_admin(store)                                   # idempotent
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM syn_availability_rating WHERE source = 'admin_extract'").fetchone() \
            == (4,)
