"""Warehouse DDL: numbered forward migrations in ``warehouse/migrations/NNNN_name.sql``.

The ``schema_version`` table records which migrations a file has. :func:`migrate` applies the
missing ones in order, each inside the caller's transaction. DDL lives only in that folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import duckdb

from warehouse.errors import SchemaError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """All migrations shipped with this version of linkready, in order."""
    found = []
    for entry in resources.files("warehouse.migrations").iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda mig: mig.version)


LATEST_VERSION = max((m.version for m in migrations()), default=0)


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """Highest applied migration, 0 for an empty file."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version' AND table_schema = 'main'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0) if row else 0


def applied_versions(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Versions recorded in ``schema_version`` (empty for a new file)."""
    if current_version(con) == 0:
        return set()
    return {int(r[0]) for r in con.execute("SELECT version FROM schema_version").fetchall()}


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every shipped migration the file lacks, in order; return how many were applied.

    Raises SchemaError when the file records a version this code does not ship (a newer linkready).
    """
    shipped = {m.version for m in migrations()}
    applied = applied_versions(con)
    unknown = sorted(applied - shipped)
    if unknown:
        raise SchemaError(
            f"warehouse has schema version(s) {unknown} that this linkready does not know (it ships up to "
            f"{LATEST_VERSION}); upgrade linkready or use a new --db file"
        )
    if not applied:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
        )
    count = 0
    for mig in migrations():
        if mig.version in applied:
            continue
        con.execute(mig.sql)
        con.execute("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                    [mig.version, mig.name, datetime.now()])
        count += 1
    return count
