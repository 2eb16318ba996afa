"""Write the readiness tables to the warehouse and read them back.

The tables' columns are those of migrations ``0005_readiness.sql`` and ``0030_readiness_columns.sql``
(years to target, the study-period flag, recall's interval, the verdict's rule in words...), and
every figure is written to its own column. Rows written before 0030 held those figures folded into
a JSON column (``basis`` of the timeline, ``candidates`` of the summary) as
``{"value": <the column's own JSON>, "columns": {...}}``; :func:`load_report` still unfolds them, so
a warehouse that has not recomputed since reads back whole.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from datetime import datetime
from importlib import metadata
from typing import Any

import duckdb
import polars as pl

from evaluation.plans import load_inputs
from evaluation.power import required_sample
from evaluation.readiness import FUNNEL_SCHEMA, SUMMARY_SCHEMA, TIMELINE_SCHEMA, ReadinessReport, compute
from evaluation.settings import ReadinessSettings
from warehouse.disclosure import DEFAULT_POLICY, DisclosurePolicy
from warehouse.errors import DataError
from warehouse.store import Store

__all__ = ["compute_and_store", "fold_extras", "load_report", "unfold_extras"]

log = logging.getLogger(__name__)

TABLES: tuple[str, ...] = (
    "readiness_completeness", "readiness_change", "readiness_timeline", "readiness_funnel", "readiness_summary",
)
_FOLD_INTO = {"readiness_timeline": "basis", "readiness_summary": "candidates"}
_SCHEMAS = {"readiness_timeline": TIMELINE_SCHEMA, "readiness_funnel": FUNNEL_SCHEMA,
            "readiness_summary": SUMMARY_SCHEMA}
# Settings that earlier versions stored and this one no longer has (the threshold is the policy's now).
_RETIRED_SETTINGS = ("small_count",)


def fold_extras(frame: pl.DataFrame, columns: set[str], into: str) -> pl.DataFrame:
    """``frame`` restricted to ``columns``, every other column folded into the JSON column ``into``."""
    extras = [c for c in frame.columns if c not in columns]
    if not extras:
        return frame
    values = []
    for row in frame.iter_rows(named=True):
        folded = {"value": json.loads(row[into]) if row[into] else None,
                  "columns": {c: row[c] for c in extras}}
        values.append(json.dumps(folded, default=str, sort_keys=True))
    return frame.with_columns(pl.Series(into, values, dtype=pl.Utf8)).select([c for c in frame.columns
                                                                               if c in columns])


def unfold_extras(frame: pl.DataFrame, into: str, schema: Mapping[str, Any]) -> pl.DataFrame:
    """The inverse of :func:`fold_extras`: restore folded columns (missing ones as nulls, typed by ``schema``)."""
    rows = []
    for row in frame.iter_rows(named=True):
        text = row.get(into)
        parsed = json.loads(text) if isinstance(text, str) and text.startswith("{") else None
        if isinstance(parsed, dict) and set(parsed) == {"value", "columns"}:
            row = {**row, into: json.dumps(parsed["value"]), **parsed["columns"]}
        rows.append(row)
    out = pl.DataFrame(rows, schema={c: schema.get(c, frame.schema.get(c, pl.Utf8)) for c in
                                     dict.fromkeys([*frame.columns, *schema])}, strict=False)
    return out.select(list(dict.fromkeys([*schema, *frame.columns])))


def _version() -> str:
    try:
        return metadata.version("linkready")
    except metadata.PackageNotFoundError:
        return "unknown"


def _write(con: duckdb.DuckDBPyConnection, report: ReadinessReport, settings: ReadinessSettings) -> None:
    for table in (*TABLES, "readiness_runs"):
        con.execute(f"DELETE FROM {table}")  # noqa: S608  (fixed table names)
    con.execute("INSERT INTO readiness_runs (computed_at, as_of, settings, target_n, version) VALUES (?, ?, ?, ?, ?)",
                [datetime.now(), report.as_of, settings.to_json(), report.target.target_n, _version()])
    frames = (report.completeness, report.change, report.timeline, report.funnel, report.summary)
    for table, frame in zip(TABLES, frames, strict=True):
        # every column of the frame is one of the table's (the transaction has applied 0030)
        con.register("_rd_frame", frame.to_arrow())
        cols = ", ".join(frame.columns)
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _rd_frame")  # noqa: S608  (known columns)
        con.unregister("_rd_frame")


def compute_and_store(store: Store, settings: ReadinessSettings | None = None,
                      policy: DisclosurePolicy = DEFAULT_POLICY) -> ReadinessReport:
    """Compute readiness from the warehouse and replace the ``readiness_*`` tables in one transaction.

    Args:
        store: a read-write :class:`warehouse.Store` holding loaded (and ideally linked) data.
        settings: design, power and default rates; :class:`ReadinessSettings` defaults if omitted.
        policy: the disclosure policy whose threshold marks small counts.

    Returns:
        The :class:`ReadinessReport` that was stored.

    Raises:
        DataError: the store is read-only or holds no service records.
        ConfigError: invalid settings.

    Example:
        >>> report = compute_and_store(Store("demo.duckdb"))      # doctest: +SKIP
        >>> report.summary.select("site_id", "months_to_target")  # doctest: +SKIP
    """
    settings = settings or ReadinessSettings()
    if store.read_only:
        raise DataError(f"warehouse {store.path} is open read-only; readiness needs a read-write store to save results")
    started = time.perf_counter()
    with store.reader() as con:
        inputs = load_inputs(con)
    if inputs.people.height == 0:
        raise DataError(
            f"warehouse {store.path} has no service records; load a drop first with `linkready load DIR --db {store.path}`"
        )
    report = compute(inputs, settings, policy)
    with store.transaction() as con:
        _write(con, report, settings)
    log.info("readiness computed for %d sites in %.2fs", report.summary.height, time.perf_counter() - started)
    return report


def load_report(store: Store) -> ReadinessReport:
    """Read the stored readiness tables back (works on a read-only store)."""
    with store.reader() as con:
        runs = con.execute("SELECT as_of, settings FROM readiness_runs").fetchall()
        if not runs:
            raise DataError(f"no readiness results in {store.path}; run `linkready readiness --db {store.path}` first")
        frames = {t: con.sql(f"SELECT * FROM {t}").pl() for t in TABLES}  # noqa: S608  (fixed table names)
    for table, into in _FOLD_INTO.items():  # rows written before migration 0030
        frames[table] = unfold_extras(frames[table], into, _SCHEMAS[table])
    stored = json.loads(runs[0][1])
    for key in _RETIRED_SETTINGS:
        stored.pop(key, None)
    settings = ReadinessSettings.from_mapping(stored)
    return ReadinessReport(runs[0][0], settings, required_sample(settings.design), *frames.values())
