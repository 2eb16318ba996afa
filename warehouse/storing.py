"""Write a checked file's storable rows into the warehouse: one method per kind of file.

The write stage of a load (:mod:`warehouse.loading` decides *whether* a file's batch becomes current;
this module writes it). Identifiers go only to the restricted zone; the analytic tables get pseudonymous
keys (:mod:`warehouse.pseudonym`), birth years and age bands (:mod:`warehouse.vocabulary`), never names,
dates of birth, NHS numbers, UPNs or postcodes. A value the validator withheld is null here: it reaches
neither the analytic zone nor linkage (the original row stays in ``restricted.rejects``).

Identifier keys (``la_code``, ``la_child_id``) and ``children.person_key`` are unique without index
upkeep: the validator refuses a repeat within a file and the writer a repeat across files, which
rolls the drop back (see ``_UNIQUE_KEYS``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date

import duckdb
import polars as pl

from warehouse.batches import TABLES_BY_KIND, set_aside_children
from warehouse.errors import ConfigError, DataError
from warehouse.measures import get_measure
from warehouse.pseudonym import Pseudonymiser
from warehouse.sites import site_for_la
from warehouse.validation.files import CheckedFile
from warehouse.vocabulary import age_band_expr, age_band_sql, normalise_sex_expr

__all__ = ["NO_SITE", "TableWriter", "site_of"]

_OC2_FLAGS = ("CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE",
              "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED")

NO_SITE = "none"
"""``site_id`` of rows from an LA outside the study's sites (the site-to-LA mapping is configuration)."""


def _age_band_expr(dob: str, at: str, edd: str | None = None) -> pl.Expr:
    """Age band (the shared vocabulary's) at ``at`` from this module's own columns; a file without
    expected dates (such as the SSDA903 header) has no unborn children."""
    return age_band_expr(pl.col(dob), pl.col(at), expected=pl.col(edd).is_not_null() if edd else None)


def site_of(la: str) -> str:
    """The study site an LA belongs to, or ``none`` for an LA outside the study (its files still load)."""
    try:
        return site_for_la(la)
    except ConfigError:
        return NO_SITE


def _la_children_sql() -> str:
    """INSERT of analytic ``children`` rows from identifier rows in ``_ld_frame`` (no identifiers kept).

    Parameters: site, la_code, reference date, batch_id.
    """
    band = age_band_sql("dob", "_years", expected="expected_dob")
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


class TableWriter:
    """Writes a checked file's storable rows into the warehouse tables, one method per kind of file.

    Identifiers go to the restricted zone only; the analytic tables get pseudonymous keys, birth years
    and age bands. ``ref_date`` is the date ages are computed at for LA rows (the census reference date).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, pseudo: Pseudonymiser, ref_date: date,
                 retain_until: date) -> None:
        self.con = con
        self.pseudo = pseudo
        self.ref_date = ref_date
        self.retain_until = retain_until
        self.year: int | None = None  # collection year of the file being written

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
        """Write ``checked``'s storable rows as batch ``batch``; DataError when a key is already held."""
        kind = checked.source.kind
        self.year = checked.year or None
        getattr(self, f"_load_{kind}")(checked, batch)
        for table in TABLES_BY_KIND[kind]:
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
        gave the same child (that row is set aside in the archive, not deleted: it comes back if this batch is
        quarantined or archived)."""
        held = self.con.execute("SELECT count(*) FROM children WHERE la_code = ?", [la]).fetchall()[0][0]
        if held:
            set_aside_children(self.con, la, "_ld_frame")
        self.con.execute(_la_children_sql(), [site_of(la), la, batch, self.ref_date])

    def _la_children_frame(self, t: pl.DataFrame, la: str, batch: int, dob: str, edd: str | None, sex: str,
                           eth: str) -> pl.DataFrame:
        """Analytic ``children`` rows (no identifiers: birth year and age band only) from LA rows with keys."""
        sex_expr = normalise_sex_expr(pl.col(sex))
        unborn = (pl.col(dob).is_null() & pl.col(edd).is_not_null()) if edd else pl.lit(False)
        return t.with_columns(pl.lit(self.ref_date).alias("_ref")).select(
            "person_key", pl.lit("la").alias("source"), pl.lit(site_of(la)).alias("site_id"),
            pl.lit(la).alias("la_code"), sex_expr.alias("sex"), pl.col(eth).alias("ethnicity"),
            pl.col(dob).dt.year().cast(pl.Int32).alias("birth_year"), unborn.alias("unborn"),
            _age_band_expr(dob, "_ref", edd).alias("age_band"), pl.lit(batch).alias("batch_id"),
        )

    def _la_children(self, t: pl.DataFrame, la: str, batch: int, dob: str, edd: str | None, sex: str,
                     eth: str) -> None:
        # a child already in the warehouse (e.g. from the LA's identifier extract) keeps its row; this batch's
        # row for the child is set aside in the archive, to come back if that row's batch leaves (superseded
        # by a file without the child, or quarantined)
        frame = self._la_children_frame(t, la, batch, dob, edd, sex, eth).unique(
            "person_key", keep="first", maintain_order=True)
        if frame.height == 0:
            return
        self.con.register("_ld_frame", frame.to_arrow())
        try:
            cols = ", ".join(frame.columns)
            # column names are this module's own (above), never input
            self.con.execute(
                f"INSERT INTO archive.children ({cols}) SELECT {cols} FROM _ld_frame "  # noqa: S608
                "SEMI JOIN children USING (person_key)"
            )
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
            pl.lit(batch).alias("batch_id"), pl.lit(self.year, dtype=pl.Int32).alias("collection_year"),
        ))
        cpp = c.tables["cin_cpp"].join(keys, on="_row")
        self.insert("child_protection_plans", cpp.select(
            "person_key", pl.lit(la).alias("la_code"), pl.col("cin_details_id").cast(pl.Int32),
            pl.col("cpp_id").cast(pl.Int32), pl.col("CPPstartDate").alias("start_date"),
            pl.col("CPPendDate").alias("end_date"), pl.col("InitialCategoryOfAbuse").alias("initial_category"),
            pl.col("LatestCategoryOfAbuse").alias("latest_category"), pl.lit(batch).alias("batch_id"),
            pl.lit(self.year, dtype=pl.Int32).alias("collection_year"),
        ))

    def _load_ssda903_header(self, c: CheckedFile, batch: int) -> None:
        la = c.source.la_code
        assert la is not None
        t = c.tables["ssda903_header"]
        t = t.with_columns(self._la_person_keys(la, t.get_column("CHILD")).alias("person_key"))
        self.insert("looked_after_children", t.select(
            "person_key", pl.lit(la).alias("la_code"), normalise_sex_expr(pl.col("SEX")).alias("sex"),
            pl.col("DOB").dt.year().cast(pl.Int32).alias("birth_year"), pl.col("ETHNIC").alias("ethnicity"),
            (pl.col("UPN").is_not_null() & ~pl.col("UPN").str.starts_with("UN")).alias("upn_known"),
            pl.col("MOTHER").alias("mother"), pl.lit(batch).alias("batch_id"),
            pl.lit(self.year, dtype=pl.Int32).alias("collection_year"),
        ))
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
            pl.lit(batch).alias("batch_id"), pl.lit(self.year, dtype=pl.Int32).alias("collection_year"),
        ))

    def _load_ssda903_oc2(self, c: CheckedFile, batch: int) -> None:
        la = c.source.la_code
        assert la is not None
        t = c.tables["ssda903_oc2"]
        t = t.with_columns(self._la_person_keys(la, t.get_column("CHILD")).alias("person_key"))
        flags = [pl.col(f).cast(pl.String).replace_strict({"1": True, "0": False}, default=None,
                                                          return_dtype=pl.Boolean).alias(f.lower()) for f in _OC2_FLAGS]
        self.insert("looked_after_outcomes", t.select(
            "person_key", pl.lit(la).alias("la_code"), pl.col("SDQ_SCORE").cast(pl.Int32).alias("sdq_score"),
            pl.col("SDQ_REASON").alias("sdq_reason"), *flags, pl.lit(batch).alias("batch_id"),
            pl.lit(self.year, dtype=pl.Int32).alias("collection_year"),
        ))

    def _load_ssda903_missing(self, c: CheckedFile, batch: int) -> None:
        la = c.source.la_code
        assert la is not None
        t = c.tables["ssda903_missing"]
        t = t.with_columns(self._la_person_keys(la, t.get_column("CHILD")).alias("person_key"))
        self.insert("looked_after_missing", t.select(
            "person_key", pl.lit(la).alias("la_code"), pl.col("MISSING").alias("missing_type"),
            pl.col("MIS_START").alias("start_date"), pl.col("MIS_END").alias("end_date"),
            pl.lit(batch).alias("batch_id"), pl.lit(self.year, dtype=pl.Int32).alias("collection_year"),
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
        t = t.with_columns(_age_band_expr("dob", "_at", "expected_dob").alias("age_band"))
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

