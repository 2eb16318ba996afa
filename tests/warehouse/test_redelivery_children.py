"""A quarantined re-delivery of an LA's identifier extract never changes or loses a ``children`` row.

An identifier extract's row for a child replaces the row the CIN census gave that child. These tests
load a good extract beside a CIN census that also holds one child the extract lacks, then re-deliver the
extract in ways that must be quarantined (truncated, every row refused, too few rows stored while it
brings the CIN-only child) and one that must be accepted, and compare every column of every
``children`` row with the original.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.warehouse.real_files import (
    EPISODE_COLUMNS,
    HEADER_COLUMNS,
    children,
    cin_xml,
    upn,
    write_cin,
    write_csv,
)
from warehouse.batches import list_batches, restore_batch
from warehouse.loading import load_drop
from warehouse.store import Store

LA = "380"
IDS = f"la/{LA}/identifiers.csv"
ID_COLUMNS = ["LAchildID", "Forename", "Surname", "PersonBirthDate", "ExpectedPersonBirthDate", "Sex", "Postcode",
              "NHSNumber", "UPN", "FormerUPN", "Ethnicity"]
N = 10  # children in the identifier extract; the CIN census has one more (C3800011)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKREADY_SECRET", "test-secret-not-for-real-use")


def _id_row(i: int, *, child_id: str | None = None) -> list[str]:
    # sex and birth date differ from the CIN census's, so a test can tell whose row a child has
    return [f"C{LA}{i:04d}" if child_id is None else child_id, f"FN{i:04d}", f"SN{i:04d}",
            f"2016-02-{1 + i % 27:02d}", "", "MF"[(i + 1) % 2], "ZZ9 9ZZ", "", upn(LA, i), "", "MWBC"]


def _write_ids(drop: Path, rows: list[list[str]]) -> None:
    write_csv(drop / IDS, ID_COLUMNS, rows)


def _children(db: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT * FROM children ORDER BY person_key").fetchall()
    finally:
        con.close()


def _sources(db: Path) -> dict[str, str]:
    """Which kind of file each child's row came from, by person key."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT c.person_key, b.kind FROM children c JOIN load_batches b USING (batch_id)")
        return {str(k): str(v) for k, v in rows.fetchall()}
    finally:
        con.close()


@pytest.fixture()
def loaded(tmp_path: Path) -> tuple[Path, Path, list[tuple[object, ...]]]:
    drop, db = tmp_path / "drop", tmp_path / "w.duckdb"
    write_cin(drop / f"la/{LA}/cin_census.xml", cin_xml(LA, children(LA, N + 1)))
    _write_ids(drop, [_id_row(i) for i in range(1, N + 1)])
    report = load_drop(drop, Store(db))
    assert {f.status for f in report.files} == {"loaded"}
    before = _children(db)
    assert len(before) == N + 1
    assert sorted(_sources(db).values()) == ["cin_census"] + ["la_identifiers"] * N
    return drop, db, before


def _redelivery(drop: Path, db: Path) -> tuple[int, str | None, str]:
    report = load_drop(drop, Store(db))
    f = next(x for x in report.files if x.file == IDS)
    return report.outcome.exit_code, f.reason, f.status


def test_truncated_redelivery_leaves_every_child_row_as_it_was(loaded: tuple[Path, Path, list[tuple[object, ...]]]
                                                               ) -> None:
    drop, db, before = loaded
    text = (drop / IDS).read_text(encoding="utf-8")
    (drop / IDS).write_text(text[: len(text) // 3], encoding="utf-8")  # cut mid-row
    code, reason, status = _redelivery(drop, db)
    # the cut row is refused (too few fields), so the file stores 2 of the 3 rows it has
    assert (code, status, reason) == (1, "quarantined", "only 2 of its 3 rows could be stored (67%; at least 90% "
                                                        "needed)")
    assert _children(db) == before


def test_all_rejected_redelivery_leaves_every_child_row_as_it_was(
        loaded: tuple[Path, Path, list[tuple[object, ...]]]) -> None:
    drop, db, before = loaded
    _write_ids(drop, [_id_row(i, child_id="") for i in range(1, N + 1)])  # no key: no row can be stored
    code, reason, status = _redelivery(drop, db)
    assert (code, status, reason) == (1, "quarantined", f"only 0 of its {N} rows could be stored "
                                                        "(0%; at least 90% needed)")
    assert _children(db) == before


def test_quarantined_redelivery_gives_back_the_row_it_replaced(
        loaded: tuple[Path, Path, list[tuple[object, ...]]]) -> None:
    """The re-delivery brings the child only the CIN census had (its row is replaced while the file is
    written) and too few rows to be accepted: the census's row for that child is back, values and batch."""
    drop, db, before = loaded
    good = [_id_row(i) for i in range(1, N + 2)]  # C3800011 too
    _write_ids(drop, good + [_id_row(i, child_id="") for i in range(1, 4)])  # 11 of 14 rows stored: 79%
    code, reason, status = _redelivery(drop, db)
    assert (code, status) == (1, "quarantined") and reason is not None and "11 of its 14 rows" in reason
    assert _children(db) == before
    assert sorted(_sources(db).values()) == ["cin_census"] + ["la_identifiers"] * N


def test_accepted_redelivery_replaces_the_row_and_restore_gives_it_back(
        loaded: tuple[Path, Path, list[tuple[object, ...]]]) -> None:
    """Accepted, the extract's row replaces the census's row of that child (the case that must not be
    quarantined); restoring the earlier extract brings the census's row back."""
    drop, db, before = loaded
    _write_ids(drop, [_id_row(i) for i in range(1, N + 2)])
    code, reason, status = _redelivery(drop, db)
    assert (code, status, reason) == (0, "loaded", None)
    after = _children(db)
    assert len(after) == N + 1 and sorted(_sources(db).values()) == ["la_identifiers"] * (N + 1)
    # every row now has the new batch id; apart from it, only the census child's row changed: the census
    # gave F and 2016, the extract M and 2016
    old_values = [r[:-1] for r in before]
    assert [(r[4], r[6]) for r in after if r[:-1] not in old_values] == [("M", 2016)]
    first = next(b.batch_id for b in list_batches(Store(db)) if b.file == IDS and b.status == "superseded")
    restore_batch(Store(db), first)
    assert _children(db) == before


def test_a_census_superseded_without_a_child_leaves_the_header_row(tmp_path: Path) -> None:
    """A child in the CIN census and the SSDA903 header has the census's row (loaded first). A corrected
    census without the child is accepted (19 of 20 kept); the child is still in the header's current batch,
    so its row is the header's, not missing."""
    drop, db = tmp_path / "drop", tmp_path / "w.duckdb"
    kids = children(LA, 20)
    write_cin(drop / f"la/{LA}/cin_census.xml", cin_xml(LA, kids))
    shared = kids[0]
    write_csv(drop / f"la/{LA}/ssda903/header.csv", HEADER_COLUMNS,
              [[shared.child_id, "M", "01/02/2013", "WBRI", upn(LA, 1), "", ""]])
    write_csv(drop / f"la/{LA}/ssda903/episodes.csv", EPISODE_COLUMNS,
              [[shared.child_id, "01/05/2024", "S", "V3", "N1", "T1", "PR1", "", "", "", "", "", ""]])
    assert {f.status for f in load_drop(drop, Store(db), year=2025).files} == {"loaded"}
    assert len(_children(db)) == 20 and sorted(set(_sources(db).values())) == ["cin_census"]
    write_cin(drop / f"la/{LA}/cin_census.xml", cin_xml(LA, kids[1:]))  # 19 of 20: accepted
    report = load_drop(drop, Store(db), year=2025)
    assert [(f.file, f.status) for f in report.files if f.status != "unchanged"] == [
        (f"la/{LA}/cin_census.xml", "loaded")]
    rows = _children(db)
    assert len(rows) == 20 and sorted(_sources(db).values()).count("ssda903_header") == 1
    # the header's values: sex M, born 2013 (the census said F, 2015)
    assert [(r[4], r[6]) for r in rows if _sources(db)[str(r[0])] == "ssda903_header"] == [("M", 2013)]
    # restoring the first census: the child keeps the row it has now (the header's), and no child is missing
    first = next(b.batch_id for b in list_batches(Store(db)) if b.kind == "cin_census" and b.status == "superseded")
    restore_batch(Store(db), first)
    assert len(_children(db)) == 20 and sorted(_sources(db).values()).count("ssda903_header") == 1
