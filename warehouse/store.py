"""The :class:`Store` owns DuckDB connections: read-write for loads, read-only for the dashboard.

The warehouse holds the restricted zone (names, NHS numbers), so the file is created readable by its
owner only (0600), and opening one that others can read logs a warning.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import duckdb

from warehouse.errors import DataError
from warehouse.schema import migrate
from warehouse.sites import LOCAL_AUTHORITIES, SITES, site_for_la

log = logging.getLogger(__name__)
_UMASK_LOCK = threading.Lock()
_UMASK_DEPTH = 0
_UMASK_SAVED = 0


@contextlib.contextmanager
def private_files() -> Iterator[None]:
    """Files created inside this block are readable by their owner only (umask 077).

    The umask is process-wide, so nested and concurrent uses are counted and the old mask comes
    back only when the last one ends. DuckDB creates the warehouse file and its write-ahead log
    itself, so this is the only way to have them born 0600 rather than chmod-ed after the fact.
    """
    global _UMASK_DEPTH, _UMASK_SAVED
    with _UMASK_LOCK:
        if _UMASK_DEPTH == 0:
            _UMASK_SAVED = os.umask(0o077)
        _UMASK_DEPTH += 1
    try:
        yield
    finally:
        with _UMASK_LOCK:
            _UMASK_DEPTH -= 1
            if _UMASK_DEPTH == 0:
                os.umask(_UMASK_SAVED)


def open_private(path: Path) -> BinaryIO:
    """Open ``path`` for writing (truncated) as a file its owner alone can read or write (0600), for
    outputs that carry identifiers. A file already there with a wider mode is narrowed before a byte
    is written, so an older copy never leaves the new contents readable by others.

    Example:
        >>> with open_private(Path("review.csv")) as fh:   # doctest: +SKIP
        ...     frame.write_csv(fh)
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def warn_if_shared(path: Path, what: str) -> bool:
    """Log a warning (and return True) when ``path`` can be read or written by group or others.

    Example:
        >>> warn_if_shared(Path("demo.duckdb"), "warehouse")   # doctest: +SKIP
    """
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return False
    if mode & 0o077:
        log.warning("%s %s has mode %s: others on this machine can read it; run `chmod 600 %s`",
                    what, path, oct(mode), path)
        return True
    return False


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
        warn_if_shared(self.path, "warehouse file")
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
        with private_files():  # the file (if new) and its write-ahead log are born 0600
            con = self.connect()
        try:
            con.execute("BEGIN TRANSACTION")
            migrate(con)
            _seed_reference_data(con)
            yield con
            with private_files():
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
        con.executemany("INSERT OR REPLACE INTO sites (site_id, name, provider, population) VALUES (?, ?, ?, ?)", sites)
    if not set(las) <= held_las:
        con.executemany("INSERT OR REPLACE INTO local_authorities (la_code, name, site_id, code_status) VALUES (?, ?, ?, ?)", las)
