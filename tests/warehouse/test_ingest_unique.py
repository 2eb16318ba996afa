"""Keys the loader keeps unique without PRIMARY KEY indexes (migration 0007).

restricted.la_identifiers (la_code, la_child_id) and children (person_key) have no index: the validator
refuses a repeated id within a file (duplicate_key) and the loader refuses, inside the drop's transaction,
a file whose keys the warehouse already holds from another batch. Nothing of such a drop is written.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from warehouse.errors import DataError
from warehouse.loading import LoadSettings, load_drop
from warehouse.schema import migrations
from warehouse.store import Store

TABLES = (
    "restricted.la_identifiers", "restricted.service_people", "restricted.rejects", "load_batches", "children",
    "adults", "cin_episodes", "service_episodes", "outcome_measurements",
)
REPEATS = {
    "restricted.la_identifiers": "SELECT count(*) FROM (SELECT la_code, la_child_id FROM restricted.la_identifiers "
                                 "GROUP BY ALL HAVING count(*) > 1)",
    "children": "SELECT count(*) FROM (SELECT person_key FROM children GROUP BY ALL HAVING count(*) > 1)",
}


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKREADY_SECRET", "test-secret-not-for-real-use")


def _snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}  # noqa: S608
    finally:
        con.close()


def _repeats(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(sql).fetchall()[0][0] for t, sql in REPEATS.items()}
    finally:
        con.close()


def _drop_last_row(path: Path) -> None:
    """Change the file (so the next load supersedes its batch) by removing its last data row."""
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows[:-1])


def _plant(db: Path, sql: str, params: list[object] | None = None) -> None:
    """Write a row another file's batch holds (as an older linkready or a hand edit could have left it)."""
    con = duckdb.connect(str(db))
    try:
        con.execute("INSERT INTO load_batches (drop_id, file, kind, sha256, rows_read, rows_loaded, rows_rejected, "
                    "loaded_at) VALUES ('planted', 'planted.csv', 'la_identifiers', 'x', 1, 1, 0, now())")
        con.execute(sql, params or [])
    finally:
        con.close()


@pytest.fixture()
def loaded(mini_drop: Path, tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "w.duckdb"
    load_drop(mini_drop, Store(db))
    return mini_drop, db


# these re-deliveries drop one child of four: allowed to supersede by a lower children threshold (a setting)
_LENIENT = LoadSettings(min_children_kept=0.7)


def test_keys_unique_after_load_supersede_and_reload(loaded: tuple[Path, Path]) -> None:
    drop, db = loaded
    assert _repeats(db) == {"restricted.la_identifiers": 0, "children": 0}
    _drop_last_row(drop / "la" / "380" / "identifiers.csv")
    _drop_last_row(drop / "sites" / "sat" / "client_list.csv")
    report = load_drop(drop, Store(db), settings=_LENIENT)
    assert {f.file for f in report.files if f.status == "loaded"} == {
        "la/380/identifiers.csv", "sites/sat/client_list.csv"}
    load_drop(drop, Store(db), settings=_LENIENT)
    assert _repeats(db) == {"restricted.la_identifiers": 0, "children": 0}


def test_identifier_key_held_by_another_batch_refuses_the_drop(loaded: tuple[Path, Path]) -> None:
    drop, db = loaded
    path = drop / "la" / "380" / "identifiers.csv"
    first_id = list(csv.DictReader(path.open(encoding="utf-8", newline="")))[0]["LAchildID"]
    # the planted batch holds LA 380's first child id; the corrected 380 extract brings it again
    _plant(db, "INSERT INTO restricted.la_identifiers SELECT (SELECT max(batch_id) FROM load_batches), la_code, "
               "la_child_id, 'planted-key', forename, surname, dob, expected_dob, sex, postcode, nhs_number, upn, "
               "former_upn, ethnicity, retain_until FROM restricted.la_identifiers WHERE la_code = '380' "
               "AND la_child_id = ?", [first_id])
    _drop_last_row(path)
    before = _snapshot(db)
    with pytest.raises(DataError) as err:
        load_drop(drop, Store(db), settings=_LENIENT)
    message = str(err.value)
    # file, field and rule are named; no value is
    assert message.startswith("la/380/identifiers.csv: 1 la_identifiers key(s) (la_code, la_child_id)")
    assert "duplicate_key" in message
    assert first_id not in message
    assert _snapshot(db) == before  # nothing of the drop was written


def test_site_child_key_held_by_another_batch_refuses_the_drop(loaded: tuple[Path, Path]) -> None:
    drop, db = loaded
    _plant(db, "INSERT INTO children SELECT person_key, source, site_id, la_code, sex, ethnicity, birth_year, "
               "unborn, age_band, (SELECT max(batch_id) FROM load_batches) FROM children WHERE site_id = 'sat' "
               "AND source = 'site' ORDER BY person_key LIMIT 2")
    _drop_last_row(drop / "sites" / "sat" / "client_list.csv")
    before = _snapshot(db)
    with pytest.raises(DataError, match=r"^sites/sat/client_list\.csv: \d children key\(s\) \(person_key\)"):
        load_drop(drop, Store(db), settings=_LENIENT)
    assert _snapshot(db) == before


def test_repeated_id_within_a_file_is_rejected_not_loaded(mini_drop: Path, tmp_path: Path) -> None:
    path = mini_drop / "la" / "380" / "identifiers.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    copy = list(rows[2])
    copy[rows[0].index("Forename")] = "Other"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([*rows, copy])
    db = tmp_path / "w.duckdb"
    report = load_drop(mini_drop, Store(db))
    ident = next(f for f in report.files if f.file == "la/380/identifiers.csv")
    assert (ident.status, ident.rows_rejected) == ("loaded", 1)
    assert any(p.rule == "duplicate_key" and p.file == ident.file for p in report.problems)
    assert _repeats(db) == {"restricted.la_identifiers": 0, "children": 0}


def test_migration_0007_keeps_columns_and_rows(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    try:
        for mig in migrations():
            if mig.version < 7:
                con.execute(mig.sql)
        con.execute("INSERT INTO children (person_key, source, site_id, batch_id) VALUES ('k', 'la', 'sat', 1)")
        con.execute("INSERT INTO restricted.la_identifiers (batch_id, la_code, la_child_id, person_key) "
                    "VALUES (1, '380', 'C1', 'k')")
        tables = ("restricted.la_identifiers", "children")
        before = {t: con.execute(f"DESCRIBE {t}").fetchall() for t in tables}
        rows = {t: con.execute(f"SELECT * FROM {t}").fetchall() for t in tables}  # noqa: S608
        con.execute(next(m.sql for m in migrations() if m.version == 7))
        after = {t: con.execute(f"DESCRIBE {t}").fetchall() for t in tables}
        for t in tables:
            # name, type, nullability and default unchanged, in order; only the key marker is gone
            assert [(r[0], r[1], r[2], r[4]) for r in after[t]] == [(r[0], r[1], r[2], r[4]) for r in before[t]]
            assert all(r[3] is None for r in after[t])
            assert con.execute(f"SELECT * FROM {t}").fetchall() == rows[t]  # noqa: S608
    finally:
        con.close()
