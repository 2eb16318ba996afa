"""Forward migrations: a new file gets them all, an old file gets the missing ones, a newer file is refused."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse.errors import SchemaError
from warehouse.schema import LATEST_VERSION, applied_versions, migrate, migrations
from warehouse.store import Store


def test_new_file_gets_every_migration(tmp_path: Path) -> None:
    Store(tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        assert applied_versions(con) == {m.version for m in migrations()}
        assert con.execute("SELECT count(*) FROM sites").fetchall() == [(4,)]
    finally:
        con.close()


def test_reopening_applies_nothing(tmp_path: Path) -> None:
    Store(tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        assert migrate(con) == 0
    finally:
        con.close()


def test_a_migration_missing_below_the_highest_is_still_applied(tmp_path: Path) -> None:
    # A file made while a lower-numbered migration had not landed yet must receive it later.
    first, *rest = migrations()
    assert len(rest) >= 2
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
        con.execute(first.sql)
        con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [first.version, first.name])
        # the highest is recorded as applied (its SQL may build on the ones below, so it is not run here)
        last = rest[-1]
        con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [last.version, last.name])
        assert migrate(con) == len(rest) - 1
        assert applied_versions(con) == {m.version for m in migrations()}
    finally:
        con.close()


def test_a_newer_file_is_refused(tmp_path: Path) -> None:
    Store(tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        con.execute("INSERT INTO schema_version VALUES (?, 'future', now())", [LATEST_VERSION + 1])
        with pytest.raises(SchemaError, match="does not know"):
            migrate(con)
    finally:
        con.close()
