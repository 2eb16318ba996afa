"""SSDA903 DfE rules across tables run over the whole drop: header and episodes as separate files.

Rule 442 reads the header's UPN and the episodes' legal status and reports the header row: it must
fire whichever of the two files is checked first, once, against the header file's row (and, on load,
be recorded against the header's batch), and must not fire for a child on short breaks only (V3/V4).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.warehouse.real_files import EPISODE_COLUMNS, HEADER_COLUMNS, upn, write_csv
from warehouse.loading import load_drop
from warehouse.store import Store
from warehouse.validation.discovery import DropContext, DropFile
from warehouse.validation.files import check_file
from warehouse.validation.report import validate_drop

LA = "380"
HEADER = f"la/{LA}/ssda903/header.csv"
EPISODES = f"la/{LA}/ssda903/episodes.csv"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKREADY_SECRET", "test-secret-not-for-real-use")


def _drop(root: Path) -> Path:
    """Three boys (MOTHER is not asked of them): L1 has a UPN (no 442), L2 none while in care (442 on
    header row 2), L3 none on short breaks only (no 442)."""
    header = [
        ["L1", "M", "01/02/2012", "WBRI", upn(LA, 1), "", ""],
        ["L2", "M", "01/03/2012", "WBRI", "", "", ""],
        ["L3", "M", "01/04/2012", "WBRI", "", "", ""],
    ]
    episodes = [
        ["L1", "01/05/2024", "S", "C2", "N1", "U1", "PR1", "", "", "", "", "", ""],
        ["L2", "02/05/2024", "S", "C2", "N1", "U1", "PR1", "", "", "", "", "", ""],
        ["L3", "03/05/2024", "S", "V3", "N1", "T1", "PR1", "", "", "", "", "", ""],
    ]
    write_csv(root / HEADER, HEADER_COLUMNS, header)
    write_csv(root / EPISODES, EPISODE_COLUMNS, episodes)
    return root


def _hits(problems: list[object], code: str) -> list[tuple[object, ...]]:
    return sorted((p.file, p.row, p.child_id, p.severity) for p in problems  # type: ignore[attr-defined]
                  if p.dfe_rule == code)  # type: ignore[attr-defined]


@pytest.mark.parametrize("order", [(HEADER, EPISODES), (EPISODES, HEADER)], ids=["header-first", "episodes-first"])
def test_cross_table_rule_fires_once_on_the_header_row_in_either_order(tmp_path: Path,
                                                                     order: tuple[str, str]) -> None:
    root = _drop(tmp_path / "drop")
    ctx = DropContext(root, 2025, None, has_manifest=False)
    kinds = {HEADER: "ssda903_header", EPISODES: "ssda903_episodes"}
    checked = [check_file(ctx, DropFile(f, kinds[f], la_code=LA, year=2025)) for f in order]
    problems = [p for c in checked for p in c.problems]
    assert _hits(problems, "442") == [(HEADER, 2, "L2", "error")]
    # the file checked second reports it when it is the episodes (the header was checked before them)
    second = checked[1]
    assert bool(second.elsewhere) == (order[1] == EPISODES)
    if second.elsewhere:
        (file, frame), = second.elsewhere.items()
        assert file == HEADER
        assert frame.filter(pl.col("dfe_rule") == "442").select("_row", "child_id", "row_kept").rows() == [
            (2, "L2", True)]


def test_validate_reports_the_cross_table_rule_once(tmp_path: Path) -> None:
    report = validate_drop(_drop(tmp_path / "drop"), year=2025)
    assert _hits(report.problems, "442") == [(HEADER, 2, "L2", "error")]
    assert report.outcome.exit_code == 1


def test_a_drop_without_the_breaking_row_has_no_hit(tmp_path: Path) -> None:
    root = _drop(tmp_path / "drop")
    text = (root / HEADER).read_text(encoding="utf-8")
    text = text.replace("L2,M,01/03/2012,WBRI,,", f"L2,M,01/03/2012,WBRI,{upn(LA, 2)},")  # L2 now has a UPN
    (root / HEADER).write_text(text, encoding="utf-8")
    report = validate_drop(root, year=2025)
    assert _hits(report.problems, "442") == []


def test_load_records_the_hit_against_the_header_batch(tmp_path: Path) -> None:
    root, db = _drop(tmp_path / "drop"), tmp_path / "w.duckdb"
    report = load_drop(root, Store(db), year=2025)
    assert _hits(report.problems, "442") == [(HEADER, 2, "L2", "error")]
    header_batch = next(f.batch_id for f in report.files if f.file == HEADER)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT batch_id, file, row_number, child_id, row_kept FROM restricted.rejects "
                           "WHERE dfe_rule = '442'").fetchall()
    finally:
        con.close()
    assert rows == [(header_batch, HEADER, 2, "L2", True)]


def _rejects(db: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT r.dfe_rule, r.file, r.row_number, r.child_id, b.sha256 IS NOT NULL, r.batch_id "
                           "FROM restricted.rejects r JOIN load_batches b USING (batch_id) "
                           "WHERE r.dfe_rule IN ('442', '302') ORDER BY 1, 2, 3").fetchall()
    finally:
        con.close()


def test_an_episodes_redelivery_is_checked_against_the_unchanged_header(tmp_path: Path) -> None:
    """Only the episodes change: the unchanged header is read as context, so 442 (on the header's row, caused
    by the new episodes) and 302 (an episode before the header's date of birth) fire once each."""
    root, db = _drop(tmp_path / "drop"), tmp_path / "w.duckdb"
    path = root / EPISODES
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("L2,02/05/2024,S,C2", "L2,02/05/2024,S,V3"), encoding="utf-8")  # short breaks
    first = load_drop(root, Store(db), year=2025)
    assert _hits(first.problems, "442") == [] and _hits(first.problems, "302") == []
    header_batch = next(f.batch_id for f in first.files if f.file == HEADER)
    # L2 now in care (C2): 442 on the header's row 2; L3's episode starts before its birth: 302 on row 3
    path.write_text(text.replace("L3,03/05/2024", "L3,03/05/2011"), encoding="utf-8")
    second = load_drop(root, Store(db), year=2025)
    assert [(f.file, f.status) for f in second.files] == [(HEADER, "unchanged"), (EPISODES, "loaded")]
    assert _hits(second.problems, "442") == [(HEADER, 2, "L2", "error")]
    assert _hits(second.problems, "302") == [(EPISODES, 3, "L3", "error")]
    assert second.outcome.exit_code == 1
    episodes_batch = next(f.batch_id for f in second.files if f.file == EPISODES)
    assert _rejects(db) == [("302", EPISODES, 3, "L3", True, episodes_batch), ("442", HEADER, 2, "L2", True, header_batch)]
    # nothing changed: nothing is read again or reported, and nothing is recorded twice
    third = load_drop(root, Store(db), year=2025)
    assert {f.status for f in third.files} == {"unchanged"} and third.problems == []
    assert len(_rejects(db)) == 2


def test_a_header_redelivery_is_checked_against_the_unchanged_episodes(tmp_path: Path) -> None:
    """Only the header changes (L1 loses its UPN): 442 fires on the new header's row 1 although the episodes,
    checked after it, are unchanged; L2's hit (same content as before) is recorded once on each header batch."""
    root, db = _drop(tmp_path / "drop"), tmp_path / "w.duckdb"
    load_drop(root, Store(db), year=2025)
    text = (root / HEADER).read_text(encoding="utf-8")
    (root / HEADER).write_text(text.replace(f"L1,M,01/02/2012,WBRI,{upn(LA, 1)},", "L1,M,01/02/2012,WBRI,,"),
                               encoding="utf-8")
    report = load_drop(root, Store(db), year=2025)
    assert [(f.file, f.status) for f in report.files] == [(HEADER, "loaded"), (EPISODES, "unchanged")]
    assert _hits(report.problems, "442") == [(HEADER, 1, "L1", "error"), (HEADER, 2, "L2", "error")]
    new_batch = next(f.batch_id for f in report.files if f.file == HEADER)
    assert [r for r in _rejects(db) if r[5] == new_batch] == [("442", HEADER, 1, "L1", True, new_batch),
                                                              ("442", HEADER, 2, "L2", True, new_batch)]
