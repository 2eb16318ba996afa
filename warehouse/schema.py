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


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply missing migrations; return the number applied. Raises SchemaError for a newer file."""
    version = current_version(con)
    if version > LATEST_VERSION:
        raise SchemaError(
            f"warehouse is at schema version {version} but this linkready knows up to {LATEST_VERSION}; "
            "upgrade linkready or use a new --db file"
        )
    if version == 0:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
        )
    applied = 0
    for mig in migrations():
        if mig.version <= version:
            continue
        con.execute(mig.sql)
        con.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [mig.version, mig.name, datetime.now()])
        applied += 1
    return applied
