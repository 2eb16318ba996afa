"""The :class:`Store` owns DuckDB connections: read-write for loads, read-only for the dashboard."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

from warehouse.errors import DataError
from warehouse.schema import migrate
from warehouse.sites import LOCAL_AUTHORITIES, SITES, site_for_la


class Store:
    """A linkready warehouse: one DuckDB file.

    Args:
        path: the DuckDB file (created on first read-write use).
        read_only: open read-only (the dashboard); the file must exist.

    Example:
        >>> store = Store("demo.duckdb")            # doctest: +SKIP
        >>> with store.transaction() as con:        # doctest: +SKIP
        ...     con.execute("SELECT count(*) FROM sites").fetchone()
    """

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise DataError(f"warehouse file {self.path} does not exist; create it with `linkready load DIR --db {self.path}`")
        if not read_only:
            with self.transaction():
                pass  # applies migrations and reference data

    def connect(self) -> duckdb.DuckDBPyConnection:
        """Open a new connection (caller closes it). Read-write connections are migrated first."""
        try:
            con = duckdb.connect(str(self.path), read_only=self.read_only)
        except duckdb.IOException as exc:
            raise DataError(f"cannot open warehouse {self.path}: {exc}") from None
        return con

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection inside one transaction: all of it commits or none of it does."""
        if self.read_only:
            raise DataError(f"warehouse {self.path} is open read-only; writes are not allowed")
        con = self.connect()
        try:
            con.execute("BEGIN TRANSACTION")
            migrate(con)
            _seed_reference_data(con)
            yield con
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    @contextlib.contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for queries (read-only when the store is)."""
        con = self.connect()
        try:
            yield con
        finally:
            con.close()


def _seed_reference_data(con: duckdb.DuckDBPyConnection) -> None:
    """Sites and local authorities as this code defines them (written only when the file differs)."""
    sites = [(x.site_id, x.name, x.provider, x.population) for x in SITES.values()]
    las = [(la.code, la.name, site_for_la(la.code), la.code_status) for la in LOCAL_AUTHORITIES.values()]
    held_sites = set(con.execute("SELECT * FROM sites").fetchall())
    held_las = set(con.execute("SELECT * FROM local_authorities").fetchall())
    if not set(sites) <= held_sites:
        con.executemany("INSERT OR REPLACE INTO sites VALUES (?, ?, ?, ?)", sites)
    if not set(las) <= held_las:
        con.executemany("INSERT OR REPLACE INTO local_authorities VALUES (?, ?, ?, ?)", las)
