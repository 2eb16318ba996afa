"""Bulk writes: rows go to DuckDB as one Arrow table per statement instead of one INSERT per row."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

# Tables and columns this package writes in bulk (identifiers are never taken from input).
_ALLOWED = {"syn_coded_segment", "syn_speaker_turn", "syn_annotation", "syn_availability_rating"}


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]],
    key: Sequence[str] = (),
) -> int:
    """Insert ``rows`` into ``table``; with ``key``, first delete existing rows with the same key values."""
    if table not in _ALLOWED:
        raise ValueError(f"bulk insert into {table!r} is not allowed")
    if not rows:
        return 0
    data = pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})
    con.register("_syn_bulk", data)
    try:
        cols = ", ".join(f'"{c}"' for c in columns)
        if key:
            match = " AND ".join(f't."{k}" IS NOT DISTINCT FROM b."{k}"' for k in key)
            con.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM _syn_bulk b WHERE {match})")  # noqa: S608
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _syn_bulk")  # noqa: S608
    finally:
        con.unregister("_syn_bulk")
    return len(rows)
