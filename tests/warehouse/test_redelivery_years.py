"""Two collection years loaded: the views of migration 0013 give each child's latest year once.

20 children are in the 2024-25 CIN census and 15 of them again in 2025-26 (a case still open is in both
returns); the SSDA903 tables of 5 children are loaded for both years. The tables keep both years; the
``v_*_latest`` views keep each child's latest year only, and a child only in the earlier year keeps it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.warehouse.real_files import children, cin_xml, ssda903, write_cin
from warehouse.loading import load_drop
from warehouse.store import Store

LA = "380"
CIN = f"la/{LA}/cin_census.xml"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKREADY_SECRET", "test-secret-not-for-real-use")


def _q(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture()
def two_years(tmp_path: Path) -> Path:
    drop, db = tmp_path / "drop", tmp_path / "w.duckdb"
    kids = children(LA, 20, year=2025)
    kids[0].cpp_start, kids[19].cpp_start = "2024-06-01", "2024-10-01"  # child 1 again in 2026, child 20 not
    write_cin(drop / CIN, cin_xml(LA, kids, year=2025))
    ssda903(drop / "la" / LA / "ssda903", LA, 5)
    assert {f.status for f in load_drop(drop, Store(db), year=2025).files} == {"loaded"}
    kids = children(LA, 15, year=2026)
    kids[0].cpp_start = "2025-06-01"
    write_cin(drop / CIN, cin_xml(LA, kids, year=2026))
    # the same SSDA903 files delivered for 2025-26: a new key, so a new batch beside last year's
    assert {f.status for f in load_drop(drop, Store(db), year=2026).files} == {"loaded"}
    return db


def test_current_batches_one_per_return_and_year(two_years: Path) -> None:
    rows = _q(two_years, "SELECT kind, la_code, collection_year FROM v_current_batches ORDER BY 1, 3")
    assert rows == [(kind, LA, y) for kind in ("cin_census", "ssda903_episodes", "ssda903_header")
                    for y in (2025, 2026)]


def test_latest_year_per_child(two_years: Path) -> None:
    years = _q(two_years, "SELECT return_name, latest_year, years, count(*) FROM v_child_latest_year "
                          "GROUP BY ALL ORDER BY ALL")
    # 15 CIN children in both years, 5 in 2024-25 only; the 5 looked-after children in both years
    assert years == [("cin", 2025, 1, 5), ("cin", 2026, 2, 15), ("ssda903", 2026, 2, 5)]


def test_latest_views_count_each_child_once(two_years: Path) -> None:
    assert _q(two_years, "SELECT count(*) FROM cin_episodes") == [(35,)]  # both years are kept
    latest = _q(two_years, "SELECT collection_year, CAST(referral_date AS VARCHAR) FROM v_cin_episodes_latest "
                           "ORDER BY referral_date")
    expected = sorted([(2026, k.referral) for k in children(LA, 15, year=2026)]
                      + [(2025, k.referral) for k in children(LA, 20, year=2025)[15:]], key=lambda r: r[1])
    assert latest == expected
    assert _q(two_years, "SELECT count(*), count(DISTINCT person_key), min(collection_year) FROM "
                         "v_looked_after_episodes_latest") == [(5, 5, 2026)]
    assert _q(two_years, "SELECT count(*) FROM looked_after_episodes") == [(10,)]
    assert _q(two_years, "SELECT count(*) FROM child_protection_plans") == [(3,)]
    # child 1's plan of 2025-26 (not its 2024-25 one), child 20's of 2024-25 (its latest year)
    assert _q(two_years, "SELECT collection_year, CAST(start_date AS VARCHAR) FROM v_child_protection_plans_latest "
                         "ORDER BY 1") == [(2025, "2024-10-01"), (2026, "2025-06-01")]
