"""A re-delivery never loses data: the warehouse never shrinks except by an accepted supersession.

Suite: a truncated file, an all-rejected file, a new year, a corrected file, and restoring an earlier
batch; each step checks the rows (their values) and the load's exit code.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.warehouse.real_files import children, cin_xml, ssda903, write_cin, write_csv
from warehouse.batches import batch_key, list_batches, restore_batch
from warehouse.errors import ConfigError
from warehouse.loading import LoadSettings, load_drop
from warehouse.store import Store

LA = "380"
CIN = f"la/{LA}/cin_census.xml"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKREADY_SECRET", "test-secret-not-for-real-use")


def _q(db: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _episodes(db: Path) -> list[tuple[object, ...]]:
    return _q(db, "SELECT collection_year, referral_date, referral_source FROM cin_episodes ORDER BY 1, 2")


@pytest.fixture()
def loaded(tmp_path: Path) -> tuple[Path, Path]:
    drop, db = tmp_path / "drop", tmp_path / "w.duckdb"
    write_cin(drop / CIN, cin_xml(LA, children(LA, 20)))
    ssda903(drop / "la" / LA / "ssda903", LA, 10)
    report = load_drop(drop, Store(db))
    assert {f.status for f in report.files} == {"loaded"}
    return drop, db


def test_truncated_redelivery_is_quarantined_and_the_batch_stays(loaded: tuple[Path, Path]) -> None:
    drop, db = loaded
    before = _episodes(db)
    text = (drop / CIN).read_text(encoding="utf-8")
    (drop / CIN).write_text(text[: len(text) * 2 // 5], encoding="utf-8")  # cut mid-file
    report = load_drop(drop, Store(db))
    f = next(x for x in report.files if x.file == CIN)
    assert f.status == "quarantined" and "not well-formed" in (f.reason or "")
    assert report.outcome.exit_code == 1 and any("quarantined" in r for r in report.outcome.reasons)
    assert _episodes(db) == before  # nothing lost
    statuses = [(b.file, b.status) for b in list_batches(Store(db)) if b.file == CIN]
    assert statuses == [(CIN, "current"), (CIN, "quarantined")]


def test_all_rejected_redelivery_keeps_the_good_episodes(loaded: tuple[Path, Path]) -> None:
    drop, db = loaded
    before = _q(db, "SELECT start_date, placement FROM looked_after_episodes ORDER BY 1")
    path = drop / "la" / LA / "ssda903" / "episodes.csv"
    rows = [line.split(",") for line in path.read_text().splitlines()]
    for r in rows[1:]:
        r[1] = ""  # DECOM is part of the key: no row can be stored
    write_csv(path, rows[0], rows[1:])
    report = load_drop(drop, Store(db))
    f = next(x for x in report.files if x.file.endswith("episodes.csv"))
    assert f.status == "quarantined" and f.reason is not None and "0 of its 10 rows" in f.reason
    assert _q(db, "SELECT start_date, placement FROM looked_after_episodes ORDER BY 1") == before
    assert report.outcome.exit_code == 1


def test_a_new_year_accumulates(loaded: tuple[Path, Path]) -> None:
    drop, db = loaded
    before = _episodes(db)
    kids = children(LA, 20, year=2026)
    write_cin(drop / CIN, cin_xml(LA, kids, year=2026))
    report = load_drop(drop, Store(db))
    f = next(x for x in report.files if x.file == CIN)
    assert (f.status, f.supersedes, f.batch_key) == ("loaded", None, batch_key("cin_census", la_code=LA, year=2026))
    after = _episodes(db)
    assert [r for r in after if r[0] == 2025] == before  # last year's census is still there
    assert [(r[1].isoformat(), r[2]) for r in after if r[0] == 2026] == [(k.referral, k.source) for k in kids]
    assert sorted(b.status for b in list_batches(Store(db)) if b.file == CIN) == ["current", "current"]
    assert _q(db, "SELECT count(*) - count(DISTINCT person_key) FROM children") == [(0,)]


def test_corrected_file_supersedes_and_restore_brings_the_old_back(loaded: tuple[Path, Path]) -> None:
    drop, db = loaded
    kids = children(LA, 20)
    old = _episodes(db)
    kids[3].source = "8"
    kids.pop()  # 19 of 20 children kept: 95% >= 90%
    write_cin(drop / CIN, cin_xml(LA, kids))
    report = load_drop(drop, Store(db))
    f = next(x for x in report.files if x.file == CIN)
    assert f.status == "loaded" and f.supersedes is not None
    assert report.outcome.exit_code == 0 or all(p.dfe_rule for p in report.problems if p.severity == "error")
    assert [r[2] for r in _episodes(db)] == [k.source for k in kids]
    first = f.supersedes
    restored, replaced = restore_batch(Store(db), first)
    assert (restored.batch_id, replaced.batch_id if replaced else None) == (first, f.batch_id)
    assert _episodes(db) == old  # every value back, from the archive
    with pytest.raises(ConfigError, match="is current"):
        restore_batch(Store(db), first)
    # and forward again
    restore_batch(Store(db), f.batch_id)
    assert [r[2] for r in _episodes(db)] == [k.source for k in kids]


def test_losing_too_many_children_is_quarantined_unless_the_setting_allows(loaded: tuple[Path, Path]) -> None:
    drop, db = loaded
    before = _episodes(db)
    write_cin(drop / CIN, cin_xml(LA, children(LA, 20)[:15]))  # 15 of 20 children: 75%
    report = load_drop(drop, Store(db))
    f = next(x for x in report.files if x.file == CIN)
    assert f.status == "quarantined" and "keeps 15 of the 20 children" in (f.reason or "")
    assert _episodes(db) == before
    # the same file again is unchanged (still quarantined); a lower threshold is a new decision only for new content
    again = load_drop(drop, Store(db), settings=LoadSettings(min_children_kept=0.7))
    assert next(x for x in again.files if x.file == CIN).status == "unchanged"
    restore_batch(Store(db), f.batch_id)  # a person decides the smaller file is right
    assert len(_episodes(db)) == 15


def test_batches_and_restore_cli(loaded: tuple[Path, Path]) -> None:
    import subprocess
    import sys

    drop, db = loaded
    write_cin(drop / CIN, cin_xml(LA, children(LA, 20)[:5]))
    load_drop(drop, Store(db))
    quarantined = next(b for b in list_batches(Store(db)) if b.status == "quarantined")
    linkready = [sys.executable, "-m", "linkready"]
    shown = subprocess.run([*linkready, "batches", "--db", str(db)], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0
    assert "quarantined" in shown.stdout and "keeps 5 of the 20 children" in shown.stdout
    bad = subprocess.run([*linkready, "restore", "999", "--db", str(db)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "no batch 999" in bad.stderr
    ok = subprocess.run([*linkready, "restore", str(quarantined.batch_id), "--db", str(db)], capture_output=True,
                        text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert len(_episodes(db)) == 5


def test_a_batch_loaded_before_batch_keys_is_superseded_by_path(loaded: tuple[Path, Path]) -> None:
    """Warehouses loaded before migration 0009 have no batch keys: their batches are matched by file path."""
    drop, db = loaded
    con = duckdb.connect(str(db))
    try:
        con.execute("UPDATE load_batches SET batch_key = NULL")
    finally:
        con.close()
    assert {f.status for f in load_drop(drop, Store(db)).files} == {"unchanged"}
    kids = children(LA, 20)
    kids[0].source = "9"
    write_cin(drop / CIN, cin_xml(LA, kids))
    f = next(x for x in load_drop(drop, Store(db)).files if x.file == CIN)
    assert f.status == "loaded" and f.supersedes is not None
    assert [r[2] for r in _episodes(db)] == [k.source for k in kids]  # one copy of each episode, the new one
