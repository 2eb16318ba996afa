"""Load an extract drop into the warehouse: one transaction per drop, idempotent, with lineage.

Each file becomes a ``load_batches`` row. Rows that break a rule go to ``restricted.rejects``
with the original row; good rows load. Identifiers go only to the restricted zone; the analytic
tables get pseudonymous keys (:mod:`warehouse.pseudonym`), birth years and age bands, never names,
dates of birth, NHS numbers, UPNs or postcodes.

Re-loading a file with the same SHA-256 is a no-op. A changed file at the same path supersedes
the earlier batch: its rows are replaced, the old batch is marked ``superseded`` and the new one
records ``supersedes``. A file that cannot be read at all is recorded as ``failed`` and does not
replace what was loaded before. The whole drop commits or none of it does.

Identifier keys (``la_code``, ``la_child_id``) and ``children.person_key`` are unique without index
upkeep: the validator refuses a repeat within a file and the loader a repeat across files, which
rolls the drop back (see ``_UNIQUE_KEYS``).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from warehouse.drop import MANIFEST, sha256_file
from warehouse.errors import DataError
from warehouse.measures import get_measure
from warehouse.pseudonym import Pseudonymiser, load_pseudonymiser
from warehouse.sites import site_for_la
from warehouse.store import Store
from warehouse.validation.files import (
    CheckedFile,
    DropContext,
    DropFile,
    check_file,
    hash_problem,
    manifest_expectations,
)
from warehouse.validation.problems import Problem
from warehouse.validation.report import open_drop

__all__ = ["FileHashes", "FileLoad", "LoadReport", "LoadSettings", "load_drop"]


@dataclass(frozen=True)
class LoadSettings:
    """Loader settings.

    Attributes:
        retention_years: restricted-zone rows are kept this many years after the extract date
            (``linkready purge --before DATE`` deletes rows whose retention has run out).
    """

    retention_years: int = 2


@dataclass(frozen=True)
class FileLoad:
    """What loading one file did. ``status``: loaded | unchanged | failed."""

    file: str
    kind: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    status: str
    batch_id: int | None = None
    supersedes: int | None = None


@dataclass
class LoadReport:
    """The result of :func:`load_drop`: one :class:`FileLoad` per file and every problem found."""

    root: str
    files: list[FileLoad] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    def to_dict(self) -> dict[str, object]:
        return {
            "root": self.root,
            "seconds": round(self.seconds, 3),
            "files": [
                {"file": f.file, "kind": f.kind, "rows_read": f.rows_read, "rows_loaded": f.rows_loaded,
                 "rows_rejected": f.rows_rejected, "status": f.status, "batch_id": f.batch_id,
                 "supersedes": f.supersedes}
                for f in self.files
            ],
            "errors": self.errors,
        }


# Which tables each kind of file fills (rows carry the batch id so a superseded batch can be removed).
_TABLES_BY_KIND: dict[str, tuple[str, ...]] = {
    "la_identifiers": ("restricted.la_identifiers", "children"),
    "cin_census": ("cin_episodes", "child_protection_plans", "children"),
    "ssda903_header": ("children",),
    "ssda903_episodes": ("looked_after_episodes",),
    "site_people": ("restricted.service_people", "children", "adults", "service_episodes"),
    "site_outcomes": ("outcome_measurements",),
    "truth_links": ("restricted.truth_links",),
}


# Age bands in whole years of age (upper bound exclusive); no date of birth = unborn. One table for
# the polars form (site and CIN rows) and the SQL form (identifier extracts, computed inside DuckDB).
_AGE_BANDS: tuple[tuple[int, str], ...] = (
    (1, "under 1"), (5, "1-4"), (10, "5-9"), (16, "10-15"), (18, "16-17"), (25, "18-24"), (35, "25-34"),
    (45, "35-44"),
)
_OLDEST_BAND = "45+"


def _age_band_expr(dob: str, at: str) -> pl.Expr:
    years = ((pl.col(at) - pl.col(dob)).dt.total_days() / 365.25).floor()
    expr = pl.when(pl.col(dob).is_null()).then(pl.lit("unborn"))
    for upper, band in _AGE_BANDS:
        expr = expr.when(years < upper).then(pl.lit(band))
    return expr.otherwise(pl.lit(_OLDEST_BAND))


def _age_band_sql(dob: str, years: str) -> str:
    """The SQL form of :func:`_age_band_expr` (``years``: whole years of age; names are this module's)."""
    whens = " ".join(f"WHEN {years} < {upper} THEN '{band}'" for upper, band in _AGE_BANDS)
    return f"CASE WHEN {dob} IS NULL THEN 'unborn' {whens} ELSE '{_OLDEST_BAND}' END"


def _la_children_sql() -> str:
    """INSERT of analytic ``children`` rows from identifier rows in ``_ld_frame`` (no identifiers kept).

    Parameters: site, la_code, reference date, batch_id.
    """
    band = _age_band_sql("dob", "_years")
    return (
        "INSERT INTO children (person_key, source, site_id, la_code, sex, ethnicity, birth_year, unborn, "  # noqa: S608
        f"age_band, batch_id) SELECT person_key, 'la', ?, ?, sex, ethnicity, year(dob), "
        f"dob IS NULL AND expected_dob IS NOT NULL, {band}, ? FROM "
        "(SELECT *, floor(date_diff('day', dob, ?::DATE) / 365.25) AS _years FROM _ld_frame)"
    )


def _insert_la_identifiers_sql(cols: list[str]) -> str:
    """INSERT of identifier rows (with their ``person_key``) from the registered ``_ld_frame``.

    Parameters: batch_id, la_code, retain_until. ``cols`` are this module's own column names (never input).
    """
    names = ", ".join(cols)
    return (
        f"INSERT INTO restricted.la_identifiers (batch_id, la_code, retain_until, {names}) "  # noqa: S608
        f"SELECT ?, ?, ?, {names} FROM _ld_frame"
    )


@contextlib.contextmanager
def _unordered_inserts(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Let DuckDB write a large insert on all threads (row order in the table is then not file order).

    Nothing reads these tables in storage order (every reader sorts), and the setting is put back after.
    """
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    except BaseException:
        # a failed statement aborts the transaction; the reset may fail too and must not hide the cause
        with contextlib.suppress(duckdb.Error):
            con.execute("RESET preserve_insertion_order")
        raise
    con.execute("RESET preserve_insertion_order")


# Keys the warehouse holds once (migration 0007 dropped the PRIMARY KEY indexes, whose upkeep was
# about half the cost of a large identifier load): table, key columns, the rule named when one repeats.
# The validator refuses repeats within a file (duplicate_key); the loader refuses repeats across files.
_UNIQUE_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "restricted.la_identifiers": ("la_identifiers", ("la_code", "la_child_id")),
    "children": ("children", ("person_key",)),
}


def _repeated_keys_sql(table: str, key: tuple[str, ...]) -> str:
    """Count of rows of other batches whose ``key`` batch ``?`` brought again (parameters: batch id twice).

    A plain hash join of the batch's keys with the other batches' rows: on a first load the other side is
    empty and the check is nearly free; it never sorts or groups the whole table. Repeats within the
    batch are the validator's ``duplicate_key`` (on the same stripped values that are stored).
    ``table`` and ``key`` are this module's constants.
    """
    cols = ", ".join(key)
    return (
        f"SELECT count(*) FROM (SELECT {cols} FROM {table} WHERE batch_id <> ?) AS held "  # noqa: S608
        f"JOIN (SELECT {cols} FROM {table} WHERE batch_id = ?) AS brought USING ({cols})"
    )


class _Loader:
    def __init__(self, con: duckdb.DuckDBPyConnection, pseudo: Pseudonymiser, drop_id: str,
                 ref_date: date, retain_until: date) -> None:
        self.con = con
        self.pseudo = pseudo
        self.drop_id = drop_id
        self.ref_date = ref_date
        self.retain_until = retain_until

    # ------------------------------------------------------------------ plumbing
    def insert(self, table: str, frame: pl.DataFrame, mode: str = "INSERT") -> None:
        if frame.height == 0:
            return
        self.con.register("_ld_frame", frame.to_arrow())
        try:
            cols = ", ".join(frame.columns)
            # table and column names come from this module's constants, never from input
            self.con.execute(f"{mode} INTO {table} ({cols}) SELECT {cols} FROM _ld_frame")  # noqa: S608
        finally:
            self.con.unregister("_ld_frame")

    def keys(self, prefix: tuple[str, ...], ids: pl.Series) -> pl.Series:
        """:meth:`Pseudonymiser.key_series` (column-wise, no per-row Python)."""
        return self.pseudo.key_series(prefix, ids)

    # ------------------------------------------------------------------ per kind
    def load(self, checked: CheckedFile, batch: int) -> None:
        kind = checked.source.kind
        getattr(self, f"_load_{kind}")(checked, batch)
        for table in _TABLES_BY_KIND[kind]:
            if table in _UNIQUE_KEYS:
                self.refuse_repeated_keys(checked.source.file, table, batch)

    def refuse_repeated_keys(self, file: str, table: str, batch: int) -> None:
        """Raise DataError (and so roll the drop back) when ``file`` gave ``table`` a key it already held."""
        what, key = _UNIQUE_KEYS[table]
        repeated = int(self.con.execute(_repeated_keys_sql(table, key), [batch, batch]).fetchall()[0][0])
        if repeated:
            raise DataError(
                f"{file}: {repeated} {what} key(s) ({', '.join(key)}) already loaded from another file "
                f"(rule duplicate_key across files); nothing from this drop was loaded. Remove the repeated "
                f"ids from one of the files, or correct the file that holds them, and load again"
            )

    def _la_person_keys(self, la: str, ids: pl.Series) -> pl.Series:
        return self.keys(("la", la), ids.str.strip_chars())

    def _load_la_identifiers(self, c: CheckedFile, batch: int) -> None:
        # the biggest file of a drop: keys column-wise, restricted and analytic rows written by DuckDB
        la = c.source.la_code
        assert la is not None
        t = c.tables["la_identifiers"]
        t = t.with_columns(self._la_person_keys(la, t.get_column("LAchildID")).alias("person_key"))
        t = t.select(
            pl.col("LAchildID").alias("la_child_id"), "person_key", pl.col("Forename").alias("forename"),
            pl.col("Surname").alias("surname"), pl.col("PersonBirthDate").alias("dob"),
            pl.col("ExpectedPersonBirthDate").alias("expected_dob"), pl.col("Sex").alias("sex"),
            pl.col("Postcode").alias("postcode"), pl.col("NHSNumber").alias("nhs_number"), pl.col("UPN").alias("upn"),
            pl.col("FormerUPN").alias("former_upn"), pl.col("Ethnicity").alias("ethnicity"),
        )
        with _unordered_inserts(self.con):
            self.con.register("_ld_frame", t.to_arrow())
            try:
                self.con.execute(_insert_la_identifiers_sql(list(t.columns)), [batch, la, self.retain_until])
                self._replace_la_children(la, batch)
            finally:
                self.con.unregister("_ld_frame")

    def _replace_la_children(self, la: str, batch: int) -> None:
        """Children rows from the identifier rows in ``_ld_frame``; they replace any row another file of this LA
        gave the same child."""
        held = self.con.execute("SELECT count(*) FROM children WHERE la_code = ?", [la]).fetchall()[0][0]
        if held:
            self.con.execute("DELETE FROM children WHERE la_code = ? AND person_key IN "
                             "(SELECT person_key FROM _ld_frame)", [la])
        self.con.execute(_la_children_sql(), [site_for_la(la), la, batch, self.ref_date])

    def _la_children_frame(self, t: pl.DataFrame, la: str, batch: int, dob: str, edd: str | None, sex: str,
                           eth: str) -> pl.DataFrame:
        """Analytic ``children`` rows (no identifiers: birth year and age band only) from LA rows with keys."""
        sex_expr = pl.col(sex).replace({"1": "M", "2": "F", "0": "U", "9": "U"})
        unborn = (pl.col(dob).is_null() & pl.col(edd).is_not_null()) if edd else pl.lit(False)
        return t.with_columns(pl.lit(self.ref_date).alias("_ref")).select(
            "person_key", pl.lit("la").alias("source"), pl.lit(site_for_la(la)).alias("site_id"),
            pl.lit(la).alias("la_code"), sex_expr.alias("sex"), pl.col(eth).alias("ethnicity"),
            pl.col(dob).dt.year().cast(pl.Int32).alias("birth_year"), unborn.alias("unborn"),
            _age_band_expr(dob, "_ref").alias("age_band"), pl.lit(batch).alias("batch_id"),
        )

    def _la_children(self, t: pl.DataFrame, la: str, batch: int, dob: str, edd: str | None, sex: str,
                     eth: str) -> None:
        # a child already in the warehouse (e.g. from the LA's identifier extract) keeps its row
        frame = self._la_children_frame(t, la, batch, dob, edd, sex, eth).unique(
            "person_key", keep="first", maintain_order=True)
        if frame.height == 0:
            return
        self.con.register("_ld_frame", frame.to_arrow())
        try:
            cols = ", ".join(frame.columns)
            # column names are this module's own (above), never input
            self.con.execute(
                f"INSERT INTO children ({cols}) SELECT {cols} FROM _ld_frame "  # noqa: S608
                "ANTI JOIN children USING (person_key)"
            )
        finally:
            self.con.unregister("_ld_frame")

    def _load_cin_census(self, c: CheckedFile, batch: int) -> None:
        la = c.source.la_code
        assert la is not None
        child = c.tables["cin_child"]
        child = child.with_columns(self._la_person_keys(la, child.get_column("LAchildID")).alias("person_key"))
        keys = child.select("_row", "person_key")
        # Sex (2024-25 on) or GenderCurrent (earlier years); _la_children maps 1/2/0/9 to M/F/U
        child = child.with_columns(pl.coalesce("Sex", "GenderCurrent").alias("_sex"))
        self._la_children(child, la, batch, "PersonBirthDate", "ExpectedPersonBirthDate", "_sex", "Ethnicity")
        details = c.tables["cin_details"].join(keys, on="_row")
        factors = (
            c.tables["cin_factors"].drop_nulls("AssessmentFactors")
            .group_by("_row", "cin_details_id", maintain_order=True)
            .agg(pl.col("AssessmentFactors").unique(maintain_order=True).alias("assessment_factors"))
        )
        s47 = c.tables["cin_section47"].group_by("_row", "cin_details_id").agg(pl.len().alias("s47_count"))
        details = (
            details.join(factors, on=["_row", "cin_details_id"], how="left")
            .join(s47, on=["_row", "cin_details_id"], how="left")
        )
        self.insert("cin_episodes", details.select(
            "person_key", pl.lit(la).alias("la_code"), pl.col("cin_details_id").cast(pl.Int32),
            pl.col("CINreferralDate").alias("referral_date"), pl.col("ReferralSource").alias("referral_source"),
            pl.col("PrimaryNeedCode").alias("primary_need"), pl.col("CINclosureDate").alias("closure_date"),
            pl.col("ReasonForClosure").alias("closure_reason"),
            pl.col("ReferralNFA").str.to_lowercase().is_in(["true", "1"]).alias("referral_nfa"),
            pl.col("assessment_factors").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("assessment_factors").fill_null(pl.lit([], dtype=pl.List(pl.String)))
            .list.eval(pl.element().is_in(["3A", "3B", "3C"])).list.any().alias("domestic_abuse"),
            pl.col("s47_count").fill_null(0).cast(pl.Int32),
            pl.lit(batch).alias("batch_id"),
        ))
        cpp = c.tables["cin_cpp"].join(keys, on="_row")
        self.insert("child_protection_plans", cpp.select(
            "person_key", pl.lit(la).alias("la_code"), pl.col("cin_details_id").cast(pl.Int32),
            pl.col("cpp_id").cast(pl.Int32), pl.col("CPPstartDate").alias("start_date"),
            pl.col("CPPendDate").alias("end_date"), pl.col("InitialCategoryOfAbuse").alias("initial_category"),
            pl.col("LatestCategoryOfAbuse").alias("latest_category"), pl.lit(batch).alias("batch_id"),
        ))

    def _load_ssda903_header(self, c: CheckedFile, batch: int) -> None:
        la = c.source.la_code
        assert la is not None
        t = c.tables["ssda903_header"]
        t = t.with_columns(self._la_person_keys(la, t.get_column("CHILD")).alias("person_key"))
        self._la_children(t, la, batch, "DOB", None, "SEX", "ETHNIC")

    def _load_ssda903_episodes(self, c: CheckedFile, batch: int) -> None:
        la = c.source.la_code
        assert la is not None
        t = c.tables["ssda903_episodes"].sort("CHILD", "DECOM", "_row")
        t = t.with_columns(
            self._la_person_keys(la, t.get_column("CHILD")).alias("person_key"),
            pl.int_range(1, pl.len() + 1).over("CHILD").cast(pl.Int32).alias("episode_no"),
        )
        self.insert("looked_after_episodes", t.select(
            "person_key", pl.lit(la).alias("la_code"), "episode_no", pl.col("DECOM").alias("start_date"),
            pl.col("RNE").alias("rne"), pl.col("LS").alias("legal_status"), pl.col("CIN").alias("cin_code"),
            pl.col("PLACE").alias("placement"), pl.col("DEC").alias("end_date"), pl.col("REC").alias("reason_end"),
            pl.lit(batch).alias("batch_id"),
        ))

    def _load_site_people(self, c: CheckedFile, batch: int) -> None:
        site = c.source.site_id
        assert site is not None
        t = c.tables["site_people"]
        t = t.with_columns(
            self.keys(("site", site), t.get_column("record_id")).alias("person_key"),
            self.keys(("family", site), t.get_column("family_id")).alias("family_key"),
            pl.lit(self.ref_date).alias("_ref"),
        )
        self.insert("restricted.service_people", t.select(
            pl.lit(batch).alias("batch_id"), pl.lit(site).alias("site_id"), "record_id", "person_key", "family_id",
            "role", "forename", "surname", "dob", "expected_dob", "sex", "postcode", "nhs_number", "ethnicity",
            "referral_date", "referral_source", "la_code", pl.lit(self.retain_until).alias("retain_until"),
        ))
        at_referral = pl.coalesce(pl.col("referral_date"), pl.col("_ref"))
        t = t.with_columns(at_referral.alias("_at"))
        t = t.with_columns(_age_band_expr("dob", "_at").alias("age_band"))
        kids = t.filter(pl.col("role") == "child")
        self.insert("children", kids.select(
            "person_key", pl.lit("site").alias("source"), pl.lit(site).alias("site_id"), "la_code", "sex",
            "ethnicity", pl.col("dob").dt.year().cast(pl.Int32).alias("birth_year"),
            (pl.col("dob").is_null() & pl.col("expected_dob").is_not_null()).alias("unborn"), "age_band",
            pl.lit(batch).alias("batch_id"),
        ))
        adults = t.filter(pl.col("role") != "child")
        self.insert("adults", adults.select(
            "person_key", pl.lit(site).alias("site_id"), "role", "sex", "ethnicity", "age_band",
            pl.lit(batch).alias("batch_id"),
        ))
        self.insert("service_episodes", t.select(
            "person_key", pl.lit(site).alias("site_id"), "family_key", "role", "la_code", "referral_date",
            "referral_source", "end_date", "end_reason", "sex", "ethnicity", "age_band",
            pl.col("nhs_number").is_not_null().alias("has_nhs_number"), pl.lit(batch).alias("batch_id"),
        ))

    def _load_site_outcomes(self, c: CheckedFile, batch: int) -> None:
        site, code = c.source.site_id, c.source.measure
        assert site is not None and code is not None
        measure = get_measure(code)
        t = c.tables["site_outcomes"]
        item_cols = [col for col in t.columns if col not in ("_row", "record_id", "timepoint", "assessed_date")]
        items = t.select(pl.concat_list([pl.col(col).cast(pl.Int64) for col in item_cols]).alias("items"))
        item_lists = items.get_column("items").to_list()
        totals = [measure.score(list(v)) for v in item_lists]
        t = t.with_columns(
            self.keys(("site", site), t.get_column("record_id")).alias("person_key"),
            items.get_column("items").cast(pl.List(pl.Int32)).alias("items"),
            pl.Series("total", totals, dtype=pl.Float64),
        )
        self.insert("outcome_measurements", t.select(
            "person_key", pl.lit(site).alias("site_id"), pl.lit(code).alias("measure"), "timepoint",
            "assessed_date", "items", pl.col("items").list.eval(pl.element().is_null()).list.sum()
            .cast(pl.Int32).alias("n_missing"), "total", pl.lit(batch).alias("batch_id"),
        ))

    def _load_truth_links(self, c: CheckedFile, batch: int) -> None:
        t = c.tables["truth_links"]
        self.insert("restricted.truth_links",
                    t.select("site_id", "site_record_id", "la_code", "la_child_id"), mode="INSERT OR IGNORE")

    # ------------------------------------------------------------------ batches
    def current_batch(self, file: str) -> tuple[int, str] | None:
        row = self.con.execute(
            "SELECT batch_id, sha256 FROM load_batches WHERE file = ? AND status = 'current' "
            "ORDER BY batch_id DESC LIMIT 1", [file]
        ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def seen_before(self, file: str) -> bool:
        """Whether any load (current, superseded or failed) has recorded this file path."""
        return bool(self.con.execute("SELECT count(*) FROM load_batches WHERE file = ?", [file]).fetchall()[0][0])

    def seen_failed(self, file: str, sha: str) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM load_batches WHERE file = ? AND sha256 = ? AND status = 'failed'", [file, sha]
        ).fetchone()
        return bool(row and row[0])

    def remove_batch(self, kind: str, batch: int) -> None:
        for table in _TABLES_BY_KIND[kind]:
            if table == "restricted.truth_links":
                self.con.execute("DELETE FROM restricted.truth_links")
                continue
            self.con.execute(f"DELETE FROM {table} WHERE batch_id = ?", [batch])  # noqa: S608
        self.con.execute("UPDATE load_batches SET status = 'superseded' WHERE batch_id = ?", [batch])

    def new_batch(self, src: DropFile, sha: str, c: CheckedFile, status: str, supersedes: int | None) -> int:
        row = self.con.execute(
            "INSERT INTO load_batches (drop_id, file, kind, site_id, la_code, sha256, rows_read, rows_loaded, "
            "rows_rejected, loaded_at, status, supersedes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING batch_id",
            [self.drop_id, src.file, src.kind, src.site_id, src.la_code, sha, c.rows_read,
             0 if c.fatal else c.rows_loaded, c.rows_rejected, datetime.now(), status, supersedes],
        ).fetchone()
        assert row is not None
        return int(row[0])

    def rejects(self, c: CheckedFile, batch: int) -> None:
        file_level = [p for p in c.problems if p.row is None and p.severity == "error"]
        if file_level:
            self.insert("restricted.rejects", pl.DataFrame({
                "batch_id": [batch] * len(file_level), "file": [c.source.file] * len(file_level),
                "row_number": pl.Series([None] * len(file_level), dtype=pl.Int64),
                "field": pl.Series([None] * len(file_level), dtype=pl.String),
                "rule": [p.rule for p in file_level], "message": [p.message for p in file_level],
                "original": pl.Series([None] * len(file_level), dtype=pl.String),
                "retain_until": [self.retain_until] * len(file_level),
            }))
        if c.rejects is not None and c.rejects.height:
            self.insert("restricted.rejects", c.rejects.select(
                pl.lit(batch).alias("batch_id"), pl.lit(c.source.file).alias("file"),
                pl.col("_row").alias("row_number"), "field", "rule", "message", "original",
                pl.lit(self.retain_until).alias("retain_until"),
            ))


def _drop_id(root: Path) -> str:
    path = root / MANIFEST
    return sha256_file(path) if path.exists() else hashlib.sha256(str(root).encode()).hexdigest()


class FileHashes:
    """SHA-256 of each file of a drop, computed on two worker threads from the moment the load starts.

    A file the warehouse has never seen needs its hash only to record it, so it is checked while it
    is hashed; a file seen before is hashed first (an unchanged file is not checked again). Hashes
    the manifest gives are compared as they arrive.
    """

    def __init__(self, root: Path, files: list[DropFile], expected: dict[str, str]) -> None:
        self.root = root
        self.expected = expected
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sha256")
        order = [f.file for f in files] + [rel for rel in expected if rel not in {f.file for f in files}]
        self.futures: dict[str, Future[str]] = {rel: self.pool.submit(sha256_file, root / rel) for rel in order}

    def get(self, rel: str) -> str:
        return self.futures[rel].result()

    def problems(self, rel: str) -> list[Problem]:
        problem = hash_problem(rel, self.get(rel), self.expected.get(rel))
        return [] if problem is None else [problem]

    def unlisted_problems(self, done: set[str]) -> list[Problem]:
        """Hash problems of manifest files that are not extract files (e.g. the truth files)."""
        return [p for rel in self.expected if rel not in done for p in self.problems(rel)]

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _load_file(loader: _Loader, ctx: DropContext, src: DropFile, hashes: FileHashes, report: LoadReport,
               progress: Callable[[str], None] | None) -> None:
    """Check and load one file of the drop (or record it unchanged / failed)."""
    current = None
    if loader.seen_before(src.file):
        sha = hashes.get(src.file)
        current = loader.current_batch(src.file)
        if (current is not None and current[1] == sha) or loader.seen_failed(src.file, sha):
            # unchanged: still validated so people ids reach the outcome checks, but nothing is written
            if src.kind == "site_people":
                check_file(ctx, src)
            report.problems.extend(hashes.problems(src.file))
            report.files.append(FileLoad(src.file, src.kind, 0, 0, 0, "unchanged", current[0] if current else None))
            if progress:
                progress(f"{src.file}: unchanged (already loaded)")
            return
    checked = check_file(ctx, src)
    sha = hashes.get(src.file)
    report.problems.extend(hashes.problems(src.file))
    report.problems.extend(checked.problems)
    if checked.fatal:
        batch = loader.new_batch(src, sha, checked, "failed", None)
        loader.rejects(checked, batch)
        report.files.append(FileLoad(src.file, src.kind, checked.rows_read, 0, checked.rows_read, "failed", batch))
        if progress:
            progress(f"{src.file}: not loaded ({checked.problems[0].rule if checked.problems else 'error'})")
        return
    supersedes = None
    if current is not None:
        loader.remove_batch(src.kind, current[0])
        supersedes = current[0]
    batch = loader.new_batch(src, sha, checked, "current", supersedes)
    loader.load(checked, batch)
    loader.rejects(checked, batch)
    report.files.append(FileLoad(src.file, src.kind, checked.rows_read, checked.rows_loaded,
                                 checked.rows_rejected, "loaded", batch, supersedes))
    if progress:
        progress(f"{src.file}: {checked.rows_loaded} loaded, {checked.rows_rejected} rejected")


def load_drop(root: Path, store: Store, progress: Callable[[str], None] | None = None,
              settings: LoadSettings | None = None) -> LoadReport:
    """Validate and load the drop at ``root`` into ``store`` in one transaction.

    Args:
        root: the drop directory.
        store: a read-write :class:`~warehouse.store.Store`.
        progress: called with one short line per file (counts only, never values).
        settings: :class:`LoadSettings` (retention).

    Returns:
        A :class:`LoadReport` with one entry per file (``status`` loaded, unchanged or failed).

    Raises:
        DataError: the directory is not a drop, or a file brings a key another file already loaded
            (nothing of the drop is written). Bad rows and bad files never raise: they are
            reported and kept out, and every good row loads.

    Example:
        >>> report = load_drop(Path("demo-data"), Store("demo.duckdb"))   # doctest: +SKIP
    """
    import time

    t0 = time.perf_counter()
    settings = settings or LoadSettings()
    root = Path(root)
    ctx, manifest, files, problems = open_drop(root, hash_files=False)
    report = LoadReport(str(root), problems=list(problems))
    ref = ctx.extract_date or date.today()
    try:
        retain = ref.replace(year=ref.year + settings.retention_years)
    except ValueError:  # 29 February
        retain = ref.replace(year=ref.year + settings.retention_years, day=28)
    pseudo = load_pseudonymiser(store.path)
    hashes = FileHashes(root, files, manifest_expectations(root, manifest)[1])
    try:
        with store.transaction() as con:
            loader = _Loader(con, pseudo, _drop_id(root), ref, retain)
            for src in files:
                _load_file(loader, ctx, src, hashes, report, progress)
        report.problems.extend(hashes.unlisted_problems({f.file for f in files}))
    finally:
        hashes.close()
    report.seconds = time.perf_counter() - t0
    return report
