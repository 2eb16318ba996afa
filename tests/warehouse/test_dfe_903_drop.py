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
