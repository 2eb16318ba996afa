"""Retention: delete restricted-zone rows whose retention date has passed, and record it.

Every restricted table with a ``retain_until`` column is purged of rows with
``retain_until < before``; each purge writes one ``restricted.purge_log`` row per table (counts
only). Analytic tables hold pseudonymous keys only and are not purged here.
"""

from __future__ import annotations

from datetime import date, datetime

from warehouse.store import Store

__all__ = ["RETAINED_TABLES", "purge_restricted"]

RETAINED_TABLES: tuple[str, ...] = (
    "restricted.la_identifiers",
    "restricted.service_people",
    "restricted.rejects",
    # identifier rows of superseded and quarantined batches (kept so a batch can be restored)
    "archive.restricted_la_identifiers",
    "archive.restricted_service_people",
)


def purge_restricted(store: Store, before: date) -> dict[str, int]:
    """Delete restricted rows with ``retain_until`` before ``before``; return rows deleted per table.

    The deletion and its log entries commit together.

    Example:
        >>> purge_restricted(Store("demo.duckdb"), date(2030, 1, 1))   # doctest: +SKIP
        {'restricted.la_identifiers': 1200, 'restricted.service_people': 800, 'restricted.rejects': 0}
    """
    deleted: dict[str, int] = {}
    now = datetime.now()
    with store.transaction() as con:
        for table in RETAINED_TABLES:
            # table names are this module's constants, never input
            row = con.execute(f"SELECT count(*) FROM {table} WHERE retain_until < ?", [before]).fetchone()  # noqa: S608
            n = int(row[0]) if row else 0
            con.execute(f"DELETE FROM {table} WHERE retain_until < ?", [before])  # noqa: S608
            con.execute("INSERT INTO restricted.purge_log (purged_at, before_date, table_name, rows_deleted) "
                        "VALUES (?, ?, ?, ?)", [now, before, table, n])
            deleted[table] = n
    return deleted
