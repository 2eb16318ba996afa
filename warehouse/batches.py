"""Load batches: their keys, their history, and moving a batch's rows to and from the archive.

A batch is one loaded file. Batches are keyed by what the file *is*, not where it lay: the kind of
file, whose it is (``la:<code>`` or ``site:<id>``, plus the outcome measure) and, for the statutory
returns (CIN census, SSDA903), the collection year, so that years accumulate. Identifier extracts and
site exports are snapshots: a new one replaces the last, whatever its year.

Nothing a re-delivery replaces is lost: the rows of a superseded batch, and of a quarantined one,
move to the ``archive`` schema (migration 0011), and :func:`restore_batch` brings a batch back.

Example:
    >>> batch_key("cin_census", la_code="380", year=2025)
    'cin_census|la:380|2025'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from warehouse.errors import ConfigError, DataError
from warehouse.store import Store

__all__ = [
    "ARCHIVE_TABLES", "TABLES_BY_KIND", "YEARLY_KINDS", "Batch", "archive_batch", "batch_key", "batch_people",
    "batch_people_sql", "children_kept", "list_batches", "restore_batch", "return_set_aside_children",
    "set_aside_children", "unarchive_batch",
]

# Which tables each kind of file fills (rows carry the batch id so a batch can be moved as a whole).
TABLES_BY_KIND: dict[str, tuple[str, ...]] = {
    "la_identifiers": ("restricted.la_identifiers", "children"),
    "cin_census": ("cin_episodes", "child_protection_plans", "children"),
    "ssda903_header": ("looked_after_children", "children"),
    "ssda903_episodes": ("looked_after_episodes",),
    "ssda903_oc2": ("looked_after_outcomes",),
    "ssda903_missing": ("looked_after_missing",),
    "site_people": ("restricted.service_people", "children", "adults", "service_episodes"),
    "site_outcomes": ("outcome_measurements",),
    "truth_links": ("restricted.truth_links",),
}

#: Statutory returns: a batch per collection year (the other kinds are snapshots).
YEARLY_KINDS: frozenset[str] = frozenset({"cin_census", "ssda903_header", "ssda903_episodes", "ssda903_oc2",
                                          "ssda903_missing"})

# live table -> its archive (migration 0011); the truth links (synthetic drops only) are not archived
ARCHIVE_TABLES: dict[str, str] = {
    t: "archive." + t.replace(".", "_") for tables in TABLES_BY_KIND.values() for t in tables
    if t != "restricted.truth_links"
}


def batch_key(kind: str, *, la_code: str | None = None, site_id: str | None = None, measure: str | None = None,
              year: int | None = None) -> str:
    """The key batches of one file are compared under (a new file for the key may supersede the last)."""
    parts = [kind]
    if la_code:
        parts.append(f"la:{la_code}")
    if site_id:
        parts.append(f"site:{site_id}")
    if measure:
        parts.append(measure)
    if kind in YEARLY_KINDS and year is not None:
        parts.append(str(year))
    return "|".join(parts)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    schema, name = table.split(".", 1) if "." in table else ("main", table)
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [schema, name]).fetchall()
    return [str(r[0]) for r in rows]


def _move_sql(src: str, dst: str, cols: list[str], anti_join: str | None = None) -> str:
    """INSERT of one batch's rows from ``src`` into ``dst`` (names from the catalogue and this module)."""
    names = ", ".join(f'"{c}"' for c in cols)
    skip = f" AND {anti_join} NOT IN (SELECT {anti_join} FROM {dst})" if anti_join else ""  # noqa: S608
    return f"INSERT INTO {dst} ({names}) SELECT {names} FROM {src} WHERE batch_id = ?{skip}"  # noqa: S608


def _move(con: duckdb.DuckDBPyConnection, kind: str, batch: int, to_archive: bool) -> None:
    for table in TABLES_BY_KIND[kind]:
        if table not in ARCHIVE_TABLES:
            if to_archive:
                con.execute(f"DELETE FROM {table}")  # noqa: S608  (this module's constant)
            continue
        src, dst = (table, ARCHIVE_TABLES[table]) if to_archive else (ARCHIVE_TABLES[table], table)
        cols = [c for c in _columns(con, dst) if c in set(_columns(con, src))]
        # a child another batch brought while this one was archived keeps that batch's row, and this batch's
        # row stays in the archive, set aside (see set_aside_children)
        anti = "person_key" if (table == "children" and not to_archive) else None
        con.execute(_move_sql(src, dst, cols, anti), [batch])
        if anti:
            con.execute(f"DELETE FROM {src} WHERE batch_id = ? AND person_key IN "  # noqa: S608
                        f"(SELECT person_key FROM {dst} WHERE batch_id = ?)", [batch, batch])
        else:
            con.execute(f"DELETE FROM {src} WHERE batch_id = ?", [batch])  # noqa: S608


def archive_batch(con: duckdb.DuckDBPyConnection, kind: str, batch: int) -> None:
    """Move batch ``batch``'s rows (of a ``kind`` file) from the live tables to the archive."""
    _move(con, kind, batch, to_archive=True)


def unarchive_batch(con: duckdb.DuckDBPyConnection, kind: str, batch: int) -> None:
    """Move batch ``batch``'s rows back from the archive to the live tables."""
    _move(con, kind, batch, to_archive=False)


def set_aside_children(con: duckdb.DuckDBPyConnection, la: str, keys: str) -> int:
    """Move the live ``children`` rows of LA ``la`` whose ``person_key`` the relation ``keys`` holds to the archive.

    A child has one ``children`` row, from the first file that brought it, except that an identifier
    extract's row replaces the row another file (the CIN census, the SSDA903 header) gave the child. The
    replaced row is set aside under its own batch id, not deleted, so that :func:`return_set_aside_children`
    can bring it back when the extract is quarantined or its batch is archived later; so is the row a
    CIN census or SSDA903 header brings for a child that already has one (see ``storing``). ``keys`` is the
    caller's registered relation (a constant name, never input).

    Returns:
        How many rows were set aside.
    """
    where = f"la_code = ? AND person_key IN (SELECT person_key FROM {keys})"  # noqa: S608 (constant name)
    held = con.execute(f"SELECT count(*) FROM children WHERE {where}", [la]).fetchall()[0][0]  # noqa: S608
    if not held:
        return 0
    cols = ", ".join(f'"{c}"' for c in _columns(con, "archive.children") if c in set(_columns(con, "children")))
    con.execute(f"INSERT INTO archive.children ({cols}) SELECT {cols} FROM children WHERE {where}", [la])  # noqa: S608
    con.execute(f"DELETE FROM children WHERE {where}", [la])  # noqa: S608
    return int(held)


def return_set_aside_children(con: duckdb.DuckDBPyConnection) -> int:
    """Bring back to ``children`` the archived rows of *current* batches whose child has no live row.

    Rows of a current batch are in the archive only when :func:`set_aside_children` put them there; once
    the row that replaced them is gone (its batch quarantined, superseded by a file without the child, or
    replaced by a restore), the child's row from the other file is live again, with its values as stored.

    Returns:
        How many rows came back.
    """
    back = ("FROM archive.children a WHERE a.batch_id IN (SELECT batch_id FROM load_batches WHERE status = 'current') "
            "AND a.person_key NOT IN (SELECT person_key FROM children)")
    n = int(con.execute(f"SELECT count(*) {back}").fetchall()[0][0])  # noqa: S608
    if not n:
        return 0
    cols = [f'"{c}"' for c in _columns(con, "children") if c in set(_columns(con, "archive.children"))]
    names, picked = ", ".join(cols), ", ".join(f"a.{c}" for c in cols)
    # one row per child: the earliest batch's (the file that brought the child first, as on a first load)
    con.execute(f"INSERT INTO children ({names}) SELECT {picked} {back} "  # noqa: S608
                "QUALIFY row_number() OVER (PARTITION BY a.person_key ORDER BY a.batch_id) = 1")
    con.execute("DELETE FROM archive.children WHERE (batch_id, person_key) IN (SELECT batch_id, person_key FROM "
                "children) AND batch_id IN (SELECT batch_id FROM load_batches WHERE status = 'current')")
    return n


def _people_tables(kind: str, archived: bool) -> list[str]:
    # the kind's own tables (children rows go to whichever batch brought a child first, so not those)
    own = [t for t in TABLES_BY_KIND[kind] if t in ARCHIVE_TABLES and t != "children"] or ["children"]
    return [ARCHIVE_TABLES[t] if archived else t for t in own]


def batch_people_sql(kind: str) -> str:
    """``(held, kept)``: people of an archived batch, and how many of them a live batch holds too.

    Parameters: the archived batch id once per table of the kind, then the live batch id as often.
    """
    def union(tables: list[str]) -> str:
        return " UNION ".join(f"SELECT person_key FROM {t} WHERE batch_id = ?" for t in tables)  # noqa: S608

    old, new = union(_people_tables(kind, True)), union(_people_tables(kind, False))
    return (f"WITH old AS ({old}), new AS ({new}) SELECT (SELECT count(*) FROM old), "  # noqa: S608
            "(SELECT count(*) FROM old WHERE person_key IN (SELECT person_key FROM new))")


def children_kept(con: duckdb.DuckDBPyConnection, kind: str, old: int, new: int) -> tuple[int, int]:
    """How many people (children, for LA returns) archived batch ``old`` held, and how many live ``new`` keeps."""
    n = len(_people_tables(kind, True))
    row = con.execute(batch_people_sql(kind), [old] * n + [new] * n).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def batch_people(con: duckdb.DuckDBPyConnection, kind: str, batch: int) -> int:
    """Distinct people a live batch holds."""
    tables = _people_tables(kind, False)
    union = " UNION ".join(f"SELECT person_key FROM {t} WHERE batch_id = ?" for t in tables)  # noqa: S608
    row = con.execute(f"SELECT count(*) FROM ({union})", [batch] * len(tables)).fetchone()  # noqa: S608
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class Batch:
    """One row of the load history (never a record value)."""

    batch_id: int
    batch_key: str | None
    file: str
    kind: str
    collection_year: int | None
    status: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    children: int | None
    loaded_at: datetime
    supersedes: int | None
    reason: str | None

    def to_dict(self) -> dict[str, object]:
        return {**self.__dict__, "loaded_at": self.loaded_at.isoformat(timespec="seconds")}


_BATCH_COLUMNS = ("batch_id, batch_key, file, kind, collection_year, status, rows_read, rows_loaded, rows_rejected, "
                  "children, loaded_at, supersedes, reason")


def list_batches(store: Store) -> list[Batch]:
    """Every batch ever loaded into ``store``, oldest first."""
    with store.reader() as con:
        rows = con.execute(f"SELECT {_BATCH_COLUMNS} FROM load_batches ORDER BY batch_id").fetchall()  # noqa: S608
    return [Batch(*r) for r in rows]


def _batch(con: duckdb.DuckDBPyConnection, batch_id: int) -> Batch | None:
    row = con.execute(f"SELECT {_BATCH_COLUMNS} FROM load_batches WHERE batch_id = ?", [batch_id]).fetchone()  # noqa: S608
    return Batch(*row) if row else None


def restore_batch(store: Store, batch_id: int) -> tuple[Batch, Batch | None]:
    """Make batch ``batch_id`` current again; the batch it replaces (if any) is archived.

    Returns:
        ``(restored, replaced)`` as they were before the change.

    Raises:
        ConfigError: no such batch, or it cannot be restored (already current, failed, or its rows
            were not archived: batches loaded before migration 0011, ground-truth files).
    """
    with store.transaction() as con:
        target = _batch(con, batch_id)
        if target is None:
            raise ConfigError(f"no batch {batch_id}; list them with `linkready batches --db {store.path}`")
        if target.status not in ("superseded", "quarantined"):
            raise ConfigError(
                f"batch {batch_id} is {target.status}; only a superseded or quarantined batch can be restored")
        if target.batch_key is None or target.kind not in TABLES_BY_KIND or target.kind == "truth_links":
            raise ConfigError(f"batch {batch_id} ({target.kind}) was loaded without an archive and cannot be "
                              "restored; load its file again instead")
        current_row = con.execute(
            "SELECT batch_id FROM load_batches WHERE batch_key = ? AND status = 'current'", [target.batch_key]
        ).fetchone()
        current = _batch(con, int(current_row[0])) if current_row else None
        if current is not None:
            archive_batch(con, current.kind, current.batch_id)
            con.execute("UPDATE load_batches SET status = 'superseded', reason = ? WHERE batch_id = ?",
                        [f"replaced by restored batch {batch_id}", current.batch_id])
        unarchive_batch(con, target.kind, batch_id)
        con.execute("UPDATE load_batches SET status = 'current', supersedes = ?, reason = ? WHERE batch_id = ?",
                    [current.batch_id if current else None, "restored", batch_id])
        return_set_aside_children(con)
        _refuse_repeats(con)
    return target, current


def _refuse_repeats(con: duckdb.DuckDBPyConnection) -> None:
    n = con.execute("SELECT count(*) - count(DISTINCT person_key) FROM children").fetchall()[0][0]
    if n:
        raise DataError(f"restoring would give {n} child key(s) twice; nothing was changed")
