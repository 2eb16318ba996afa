"""Loading a drop: every table filled, idempotent re-load, supersession with lineage, rejects, zones."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from warehouse.loading import load_drop
from warehouse.purge import purge_restricted
from warehouse.store import Store

TABLES = (
    "restricted.la_identifiers", "restricted.service_people", "restricted.truth_links", "restricted.rejects",
    "load_batches", "children", "adults", "cin_episodes", "child_protection_plans", "looked_after_episodes",
    "service_episodes", "outcome_measurements",
)


def _counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608
    finally:
        con.close()


def _query(db: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKREADY_SECRET", "test-secret-not-for-real-use")


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return tmp_path / "w.duckdb"


@pytest.fixture(scope="module")
def loaded(clean_drop_template: tuple[Path, dict[str, int]], tmp_path_factory: pytest.TempPathFactory):
    """The clean drop loaded once into a warehouse (tests copy it before changing it)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LINKREADY_SECRET", "test-secret-not-for-real-use")
        root = tmp_path_factory.mktemp("loaded")
        drop = root / "drop"
        shutil.copytree(clean_drop_template[0], drop)
        db = root / "w.duckdb"
        report = load_drop(drop, Store(db))
    return drop, db, report


@pytest.fixture()
def loaded_copy(loaded: tuple[Path, Path, object], tmp_path: Path) -> tuple[Path, Path]:
    drop, db, _ = loaded
    shutil.copytree(drop, tmp_path / "drop")
    shutil.copy(db, tmp_path / "w.duckdb")
    return tmp_path / "drop", tmp_path / "w.duckdb"


def test_load_fills_every_table(loaded: tuple[Path, Path, object], drop_counts: dict[str, int]) -> None:
    _, db, report = loaded
    assert all(f.status == "loaded" for f in report.files)
    assert sum(f.rows_rejected for f in report.files) == 0
    c = _counts(db)
    assert c["restricted.la_identifiers"] == drop_counts["la_children"]
    assert c["restricted.service_people"] == drop_counts["people"]
    assert c["restricted.truth_links"] == drop_counts["truth"]
    assert c["children"] == drop_counts["la_children"] + drop_counts["site_children"]
    assert c["adults"] == drop_counts["people"] - drop_counts["site_children"]
    assert c["cin_episodes"] == drop_counts["cin"]
    assert c["child_protection_plans"] == drop_counts["cin"]
    assert c["looked_after_episodes"] == drop_counts["lac"]
    assert c["service_episodes"] == drop_counts["people"]
    assert c["outcome_measurements"] == drop_counts["outcomes"]
    assert c["load_batches"] == len(report.files)
    # the clean fixture breaks none of linkready's own rules (DfE rule hits are recorded, rows kept)
    assert _query(db, "SELECT count(*) FROM restricted.rejects WHERE dfe_rule IS NULL OR NOT row_kept") == [(0,)]
    # every CIN episode in the fixture has factor 3B: the domestic-abuse flag is derived from it
    assert _query(db, "SELECT bool_and(domestic_abuse) FROM cin_episodes") == [(True,)]
    # one follow-up has a missing item: no silent zero, the total is NULL
    rows = _query(db, "SELECT count(*) FROM outcome_measurements WHERE n_missing > 0 AND total IS NULL")
    assert rows[0][0] > 0
    # unborn children are flagged and have no birth year
    assert _query(db, "SELECT count(*) FROM children WHERE unborn AND birth_year IS NULL")[0][0] == 14


def test_reload_is_a_noop(loaded_copy: tuple[Path, Path]) -> None:
    drop, db = loaded_copy
    before = _counts(db)
    report = load_drop(drop, Store(db))
    assert {f.status for f in report.files} == {"unchanged"}
    assert _counts(db) == before
    # said in words, not as a "0 rows stored" that reads like a failure
    assert report.summary() == f"{len(report.files)} files unchanged since the last load (nothing to do)"


def test_corrected_file_supersedes_with_lineage(loaded_copy: tuple[Path, Path]) -> None:
    drop, db = loaded_copy
    path = drop / "la" / "380" / "identifiers.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[2][rows[0].index("Forename")] = "CORRECTED"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    before = _counts(db)
    report = load_drop(drop, Store(db))
    changed = [f for f in report.files if f.status == "loaded"]
    assert [f.file for f in changed] == ["la/380/identifiers.csv"]
    after = _counts(db)
    assert after["restricted.la_identifiers"] == before["restricted.la_identifiers"]
    lineage = _query(db, "SELECT batch_id, status, supersedes FROM load_batches WHERE file = ? ORDER BY batch_id",
                     ["la/380/identifiers.csv"])
    assert [r[1] for r in lineage] == ["superseded", "current"]
    assert lineage[1][2] == lineage[0][0]
    # the superseded batch's rows left the live tables for the archive (restorable), the new values are live
    old = lineage[0][0]
    assert _query(db, "SELECT count(*) FROM restricted.la_identifiers WHERE batch_id = ?", [old]) == [(0,)]
    assert _query(db, "SELECT count(*) FROM archive.restricted_la_identifiers WHERE batch_id = ?", [old]) == [(4,)]
    assert _query(db, "SELECT count(*) FROM restricted.la_identifiers WHERE forename = 'CORRECTED'") == [(1,)]


def test_bad_values_withheld_rows_kept_with_original(drop: Path, db: Path) -> None:
    path = drop / "la" / "919" / "identifiers.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    head = rows[0]
    rows[1][head.index("Sex")] = "Q"
    rows[2][head.index("Surname")] = "=HYPERLINK(\"http://example.invalid\",\"x\")"
    rows[3][head.index("Surname")] = "O'Neil'); DROP TABLE children; --"
    rows[4][head.index("Forename")] = "Zoe\u0308 A\u0301"  # combining characters: fine
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    report = load_drop(drop, Store(db))
    f = next(x for x in report.files if x.file == "la/919/identifiers.csv")
    # every row can be stored: the two bad values are withheld, no row is refused
    assert (f.rows_read, f.rows_loaded, f.rows_rejected) == (4, 4, 0)
    rejects = _query(db, "SELECT row_number, field, rule, original, row_kept, child_id, severity FROM restricted.rejects "
                         "WHERE file = ? ORDER BY row_number", ["la/919/identifiers.csv"])
    assert [(r[0], r[1], r[2], r[4], r[5], r[6]) for r in rejects] == [
        (1, "Sex", "code_list", True, rows[1][0], "error"), (2, "Surname", "formula_text", True, rows[2][0], "error")]
    assert json.loads(rejects[0][3])["Sex"] == "Q"  # the original row is kept (restricted zone)
    # the withheld values reach neither linkage (restricted identifiers) nor the analytic zone
    got = dict(_query(db, "SELECT la_child_id, sex FROM restricted.la_identifiers WHERE la_code = '919'"))
    assert got[rows[1][0]] is None and got[rows[2][0]] is not None
    assert _query(db, "SELECT surname FROM restricted.la_identifiers WHERE la_child_id = ?", [rows[2][0]]) == [(None,)]
    assert _query(db, "SELECT count(*) FROM children WHERE la_code = '919' AND source = 'la' AND sex IS NULL") == [(1,)]
    # SQL-looking text is data, stored verbatim; combining characters survive unchanged
    surnames = {r[0] for r in _query(db, "SELECT surname FROM restricted.la_identifiers")}
    assert "O'Neil'); DROP TABLE children; --" in surnames
    assert _query(db, "SELECT count(*) FROM restricted.la_identifiers WHERE forename = ?", ["Zoe\u0308 A\u0301"]) == [(1,)]
    assert report.outcome.exit_code == 1  # errors were flagged


def test_analytic_zone_holds_no_identifiers(loaded: tuple[Path, Path, object]) -> None:
    _, db, _ = loaded
    idents: set[str] = set()
    for sql in (
        "SELECT forename, surname, postcode, nhs_number, upn, la_child_id, CAST(dob AS VARCHAR), "
        "CAST(expected_dob AS VARCHAR) FROM restricted.la_identifiers",
        "SELECT forename, surname, postcode, nhs_number, record_id, family_id, CAST(dob AS VARCHAR), "
        "CAST(expected_dob AS VARCHAR) FROM restricted.service_people",
    ):
        for row in _query(db, sql):
            idents.update(str(v) for v in row if v)
    assert len(idents) > 200
    con = duckdb.connect(str(db), read_only=True)
    try:
        relations = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
        scanned = 0
        for (name,) in relations:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?",
                [name]).fetchall()]
            select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols)
            for row in con.execute(f'SELECT {select} FROM "{name}"').fetchall():  # noqa: S608
                scanned += 1
                leaked = idents.intersection(str(v) for v in row if v is not None)
                assert not leaked, f"{name} holds identifier values"
        assert scanned > 300
    finally:
        con.close()


def test_purge_deletes_restricted_rows_past_retention(loaded_copy: tuple[Path, Path]) -> None:
    _, db = loaded_copy
    kept = purge_restricted(Store(db), __import__("datetime").date(2020, 1, 1))
    assert set(kept.values()) == {0}
    deleted = purge_restricted(Store(db), __import__("datetime").date(2100, 1, 1))
    assert deleted["restricted.la_identifiers"] == 28
    assert _counts(db)["restricted.la_identifiers"] == 0
    log = _query(db, "SELECT table_name, rows_deleted FROM restricted.purge_log ORDER BY purged_at, table_name")
    assert ("restricted.la_identifiers", 28) in log
    assert len(log) == 10  # five restricted tables (live and archive), twice


def test_keys_match_the_pseudonymiser(loaded: tuple[Path, Path, object]) -> None:
    """Keys computed column-wise (polars-hash) equal warehouse.pseudonym's HMAC keys (the contract)."""
    import polars as pl

    from warehouse.pseudonym import Pseudonymiser

    _, db, _ = loaded
    pseudo = Pseudonymiser(b"test-secret-not-for-real-use")
    for la, child, key in _query(db, "SELECT la_code, la_child_id, person_key FROM restricted.la_identifiers"):
        assert key == pseudo.key("la", str(la), str(child))
    for site, rid, key in _query(db, "SELECT site_id, record_id, person_key FROM restricted.service_people"):
        assert key == pseudo.key("site", str(site), str(rid))
    for secret in (b"k", b"s" * 100, "\u00e9".encode(), b"\xff\xfe not utf-8"):
        p = Pseudonymiser(secret)
        ids = ["", "x", "\u00e9\u0301", "a\x1fb", *[str(i) for i in range(50)]]
        assert p.key_series(("la", "380"), pl.Series(ids)).to_list() == p.keys(("la", "380"), ids)
        assert p.key_series(("site",), pl.Series([None, "a"], dtype=pl.String)).to_list() == p.keys(("site",), ["", "a"])


def test_a_failed_unordered_insert_reports_its_own_cause() -> None:
    """The insertion-order setting is put back after a big insert; when the insert fails, the reset
    (which an aborted transaction refuses) must not hide why it failed."""
    import duckdb as ddb
    import pytest

    from warehouse.storing import _unordered_inserts

    con = ddb.connect()
    con.execute("CREATE TABLE t (a INTEGER NOT NULL)")
    con.execute("BEGIN")
    with pytest.raises(ddb.ConstraintException), _unordered_inserts(con):
        con.execute("INSERT INTO t VALUES (NULL)")
    con.execute("ROLLBACK")
    with _unordered_inserts(con):
        assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall() == [(False,)]
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall() == [(True,)]
