"""Load an extract drop into the warehouse: one transaction per drop, idempotent, with lineage.

Each file becomes a ``load_batches`` row, keyed by what the file is (:func:`warehouse.batches.batch_key`:
kind, LA or site, and the collection year of a statutory return, so years accumulate). Every row that
can be stored loads: a bad value is withheld (null in the analytic zone and for linkage) and the row
kept; only a row that cannot be stored (no or malformed key, unreadable) is refused. Every row-level
problem is recorded in ``restricted.rejects`` with the original row.

A re-delivery never loses data. Re-loading a file with the same SHA-256 is a no-op. A changed file for
the same key supersedes the current batch only when it is well-formed and keeps at least
:attr:`LoadSettings.min_rows_kept` of its own rows and :attr:`LoadSettings.min_children_kept` of the
current batch's children; otherwise it is *quarantined*: the current batch stays and the report says
why. Superseded and quarantined rows move to the archive schema, from where ``linkready restore``
brings them back. A file that cannot be read at all is recorded as ``failed``. The whole drop commits
or none of it does.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from warehouse.adapters import SiteAdapter
from warehouse.batches import (
    TABLES_BY_KIND,
    archive_batch,
    batch_key,
    batch_people,
    children_kept,
    return_set_aside_children,
    unarchive_batch,
)
from warehouse.drop import MANIFEST, sha256_file
from warehouse.errors import ConfigError
from warehouse.pseudonym import load_pseudonymiser
from warehouse.store import Store
from warehouse.storing import TableWriter
from warehouse.validation.files import (
    CheckedFile,
    DropContext,
    DropFile,
    check_file,
    hash_problem,
    hold_unchanged,
    manifest_expectations,
)
from warehouse.validation.problems import Outcome, Problem, outcome
from warehouse.validation.report import open_drop

__all__ = ["FileHashes", "FileLoad", "LoadReport", "LoadSettings", "load_drop"]


@dataclass(frozen=True)
class LoadSettings:
    """Loader settings.

    Attributes:
        retention_years: restricted-zone rows are kept this many years after the extract date
            (``linkready purge --before DATE`` deletes rows whose retention has run out).
        min_rows_kept: share of its own rows a re-delivered file must be able to store to replace the
            current batch of its key (0 to 1; default 0.9).
        min_children_kept: share of the current batch's children (people, for site files) the
            re-delivered file must still hold (0 to 1; default 0.9).

    Raises:
        ConfigError: every out-of-range setting at once.
    """

    retention_years: int = 2
    min_rows_kept: float = 0.9
    min_children_kept: float = 0.9

    def __post_init__(self) -> None:
        problems = [f"{name}={value!r} (allowed 0 to 1)" for name, value in
                    (("min_rows_kept", self.min_rows_kept), ("min_children_kept", self.min_children_kept))
                    if not 0 <= value <= 1]
        if self.retention_years < 0:
            problems.append(f"retention_years={self.retention_years!r} (allowed 0 or more)")
        if problems:
            raise ConfigError("invalid load settings: " + "; ".join(problems))


@dataclass(frozen=True)
class FileLoad:
    """What loading one file did. ``status``: loaded | unchanged | quarantined | failed | skipped."""

    file: str
    kind: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    status: str
    batch_id: int | None = None
    supersedes: int | None = None
    reason: str | None = None
    batch_key: str | None = None


@dataclass
class LoadReport:
    """The result of :func:`load_drop`: one :class:`FileLoad` per file and every problem found."""

    root: str
    files: list[FileLoad] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """What the load did, in one line of words ("unchanged" rather than "0 rows stored")."""
        statuses = [f.status for f in self.files]
        unchanged = statuses.count("unchanged")
        if self.files and unchanged == len(self.files):
            return f"{len(self.files)} files unchanged since the last load (nothing to do)"
        stored = sum(f.rows_loaded for f in self.files)
        refused = sum(f.rows_rejected for f in self.files)
        parts = [f"{len(self.files)} files", f"{stored:,} rows stored", f"{refused:,} rows refused"]
        parts += [f"{statuses.count(s)} {label}" for s, label in
                  (("unchanged", "unchanged"), ("quarantined", "quarantined"), ("failed", "not loadable"))
                  if statuses.count(s)]
        return ", ".join(parts)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def queries(self) -> int:
        return sum(1 for p in self.problems if p.severity == "query")

    @property
    def outcome(self) -> Outcome:
        return outcome(self.problems, refused=sum(f.status == "failed" for f in self.files),
                       quarantined=sum(f.status == "quarantined" for f in self.files))

    def to_dict(self) -> dict[str, object]:
        return {
            "root": self.root,
            "seconds": round(self.seconds, 3),
            "files": [
                {"file": f.file, "kind": f.kind, "rows_read": f.rows_read, "rows_loaded": f.rows_loaded,
                 "rows_rejected": f.rows_rejected, "status": f.status, "batch_id": f.batch_id,
                 "supersedes": f.supersedes, "reason": f.reason, "batch_key": f.batch_key}
                for f in self.files
            ],
            "errors": self.errors,
            "queries": self.queries,
            **self.outcome.to_dict(),
            "problems": [p.to_dict() for p in self.problems],
        }


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


# ----------------------------------------------------------------------------- batch records


@dataclass(frozen=True)
class _Current:
    batch_id: int
    sha256: str


class _Batches:
    """``load_batches`` rows and the restricted-zone problem records of one load."""

    def __init__(self, con: duckdb.DuckDBPyConnection, drop_id: str, retain_until: date) -> None:
        self.con = con
        self.drop_id = drop_id
        self.retain_until = retain_until

    # a batch loaded before batches had keys (migration 0009) is matched by its file path instead
    def current(self, key: str, file: str) -> _Current | None:
        row = self.con.execute(
            "SELECT batch_id, sha256 FROM load_batches WHERE status = 'current' AND (batch_key = ? OR "
            "(batch_key IS NULL AND file = ?)) ORDER BY batch_id DESC LIMIT 1", [key, file]).fetchall()
        return _Current(int(row[0][0]), str(row[0][1])) if row else None

    def seen(self, key: str, file: str, sha: str) -> tuple[int, str] | None:
        """The latest batch of this key with this content (any status), as (id, status)."""
        row = self.con.execute(
            "SELECT batch_id, status FROM load_batches WHERE sha256 = ? AND (batch_key = ? OR "
            "(batch_key IS NULL AND file = ?)) ORDER BY batch_id DESC LIMIT 1", [sha, key, file]).fetchall()
        return (int(row[0][0]), str(row[0][1])) if row else None  # fetchall: no result left open on the connection

    def new(self, src: DropFile, key: str, sha: str, c: CheckedFile, status: str) -> int:
        row = self.con.execute(
            "INSERT INTO load_batches (drop_id, file, kind, site_id, la_code, sha256, rows_read, rows_loaded, "
            "rows_rejected, loaded_at, status, batch_key, collection_year) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING batch_id",
            [self.drop_id, src.file, src.kind, src.site_id, src.la_code, sha, c.rows_read, c.rows_loaded,
             c.rows_rejected, datetime.now(), status, key, c.year or None],
        ).fetchone()
        assert row is not None
        return int(row[0])

    def settle(self, batch: int, status: str, supersedes: int | None, reason: str | None, children: int) -> None:
        self.con.execute("UPDATE load_batches SET status = ?, supersedes = ?, reason = ?, children = ? "
                         "WHERE batch_id = ?", [status, supersedes, reason, children, batch])

    def mark(self, batch: int, status: str, reason: str) -> None:
        self.con.execute("UPDATE load_batches SET status = ?, reason = ? WHERE batch_id = ?", [status, reason, batch])

    def record_problems(self, c: CheckedFile, batch: int, writer: TableWriter) -> None:
        """File-level errors and every row-level problem, with the original row (restricted zone)."""
        file_level = [p for p in c.problems if p.row is None and p.severity == "error" and p.file == c.source.file]
        if file_level:
            writer.insert("restricted.rejects", pl.DataFrame({
                "batch_id": [batch] * len(file_level), "file": [c.source.file] * len(file_level),
                "rule": [p.rule for p in file_level], "message": [p.message for p in file_level],
                "severity": [p.severity for p in file_level], "dfe_rule": [p.dfe_rule for p in file_level],
                "retain_until": [self.retain_until] * len(file_level),
            }, schema_overrides={"dfe_rule": pl.String}))
        if c.rejects is not None and c.rejects.height:
            writer.insert("restricted.rejects", c.rejects.select(
                pl.lit(batch).alias("batch_id"), pl.lit(c.source.file).alias("file"),
                pl.col("_row").alias("row_number"), "field", "rule", "message", "original", "severity", "dfe_rule",
                "child_id", "row_kept", pl.lit(self.retain_until).alias("retain_until"),
            ))

    def record_elsewhere(self, c: CheckedFile, batches: dict[str, int]) -> None:
        """DfE problems ``c`` found on rows of other files of the drop, against those files' batches."""
        for file, rejects in c.elsewhere.items():
            if file in batches:
                self.record_new(file, batches[file], rejects)

    def record_new(self, file: str, batch: int, rejects: pl.DataFrame) -> None:
        """:data:`~warehouse.validation.files.REJECT_SCHEMA` rows of ``file`` that batch ``batch`` does not hold
        yet (the same rule on the same row and field is recorded once per batch). File-level ones are recorded
        when they are errors, as for a file's own problems."""
        rows = rejects.filter(pl.col("_row").is_not_null() | (pl.col("severity") == "error"))
        if rows.height == 0:
            return
        self.con.register("_ld_frame", rows.to_arrow())
        try:
            self.con.execute(
                "INSERT INTO restricted.rejects (batch_id, file, row_number, field, rule, message, original, severity, "
                "dfe_rule, child_id, row_kept, retain_until) SELECT ?, ?, f._row, f.field, f.rule, f.message, "
                "f.original, f.severity, f.dfe_rule, f.child_id, f.row_kept, ? FROM _ld_frame f WHERE NOT EXISTS "
                "(SELECT 1 FROM restricted.rejects r WHERE r.batch_id = ? AND r.rule = f.rule AND "
                "r.row_number IS NOT DISTINCT FROM f._row AND r.field IS NOT DISTINCT FROM f.field)",
                [batch, file, self.retain_until, batch])
        finally:
            self.con.unregister("_ld_frame")


# ----------------------------------------------------------------------------- one file


@dataclass
class _Run:
    """What every file of one load shares."""

    ctx: DropContext
    writer: TableWriter
    batches: _Batches
    hashes: FileHashes
    settings: LoadSettings
    report: LoadReport
    progress: Callable[[str], None] | None

    def say(self, line: str) -> None:
        if self.progress:
            self.progress(line)


def _key_of(src: DropFile, year: int) -> str:
    return batch_key(src.kind, la_code=src.la_code, site_id=src.site_id, measure=src.measure, year=year)


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def _rows_reason(c: CheckedFile, settings: LoadSettings, replacing: bool) -> str | None:
    """Why the file may not become current: not well-formed (ever), or too few rows stored (to replace a batch)."""
    if not c.well_formed:
        return "the file is not well-formed (read only in part, e.g. truncated)"
    if replacing and c.rows_read and c.rows_loaded / c.rows_read < settings.min_rows_kept:
        return (f"only {c.rows_loaded} of its {c.rows_read} rows could be stored "
                f"({_pct(c.rows_loaded / c.rows_read)}; at least {_pct(settings.min_rows_kept)} needed)")
    return None


def _children_reason(run: _Run, kind: str, old: int, new: int) -> str | None:
    held, kept = children_kept(run.writer.con, kind, old, new)
    who = "people" if kind.startswith("site_") else "children"
    if held and kept / held < run.settings.min_children_kept:
        return (f"it keeps {kept} of the {held} {who} of current batch {old} "
                f"({_pct(kept / held)}; at least {_pct(run.settings.min_children_kept)} needed)")
    return None


def _batches_of(run: _Run) -> dict[str, int]:
    """The batch each file met so far in this load is recorded under (an unchanged file: its earlier batch)."""
    return {f.file: f.batch_id for f in run.report.files if f.batch_id is not None}


def _unchanged(run: _Run, src: DropFile, key: str, sha: str) -> bool:
    seen = run.batches.seen(key, src.file, sha)
    if seen is None:
        return False
    if src.kind == "site_people":  # people ids still reach the outcome checks
        check_file(run.ctx, src)
    # an SSDA903 table is context for the DfE rules across tables of a changed file of its LA and year;
    # what a changed file brings on its rows is reported and recorded against the batch it has
    context = hold_unchanged(run.ctx, src)
    if context is not None:
        run.report.problems.extend(context.problems)
        if context.rejects is not None:
            run.batches.record_new(src.file, seen[0], context.rejects)
        run.batches.record_elsewhere(context, _batches_of(run))
    run.report.problems.extend(run.hashes.problems(src.file))
    run.report.files.append(FileLoad(src.file, src.kind, 0, 0, 0, "unchanged", seen[0],
                                     reason=f"same content as batch {seen[0]} ({seen[1]})", batch_key=key))
    run.say(f"{src.file}: unchanged (same content as batch {seen[0]}, {seen[1]})")
    return True


def _load_file(run: _Run, src: DropFile) -> None:
    """Check one file and load it as the current batch of its key, or quarantine or refuse it.

    Afterwards every child a current batch holds has its ``children`` row: a row an identifier extract
    replaced comes back when that extract's batch was quarantined or left the child out.
    """
    _load_or_quarantine(run, src)
    if "children" in TABLES_BY_KIND.get(src.kind, ()):
        return_set_aside_children(run.writer.con)


def _load_or_quarantine(run: _Run, src: DropFile) -> None:
    if src.kind == "unrecognised":
        run.report.problems.extend(check_file(run.ctx, src).problems)
        run.report.files.append(FileLoad(src.file, src.kind, 0, 0, 0, "skipped", reason="not a file linkready reads"))
        run.say(f"{src.file}: skipped (not a file linkready reads)")
        return
    year = run.ctx.file_year(src)
    key = _key_of(src, year)
    if _unchanged(run, src, key, run.hashes.get(src.file)):
        return
    checked = check_file(run.ctx, src)
    sha = run.hashes.get(src.file)
    run.report.problems.extend(run.hashes.problems(src.file))
    run.report.problems.extend(checked.problems)
    if checked.fatal:
        batch = run.batches.new(src, key, sha, checked, "failed")
        run.batches.record_problems(checked, batch, run.writer)
        why = checked.problems[-1].rule if checked.problems else "unreadable"
        run.report.files.append(FileLoad(src.file, src.kind, checked.rows_read, 0, checked.rows_read, "failed",
                                         batch, reason=f"refused: {why}", batch_key=key))
        run.say(f"{src.file}: refused ({why})")
        return
    current = run.batches.current(key, src.file)
    batch = run.batches.new(src, key, sha, checked, "current")
    run.batches.record_problems(checked, batch, run.writer)
    run.batches.record_elsewhere(checked, _batches_of(run))
    if current is not None:
        archive_batch(run.writer.con, src.kind, current.batch_id)
    run.writer.load(checked, batch)
    # ground truth (synthetic drops) is replaced as a whole and never quarantined
    reason = _rows_reason(checked, run.settings, current is not None) if src.kind != "truth_links" else None
    if reason is None and current is not None and src.kind != "truth_links":
        reason = _children_reason(run, src.kind, current.batch_id, batch)
    people = batch_people(run.writer.con, src.kind, batch) if src.kind in TABLES_BY_KIND else 0
    if reason is not None:
        _quarantine(run, checked, key, batch, current, reason, people)
        return
    run.batches.settle(batch, "current", current.batch_id if current else None, None, people)
    if current is not None:
        run.batches.mark(current.batch_id, "superseded", f"superseded by batch {batch}")
    run.report.files.append(FileLoad(src.file, src.kind, checked.rows_read, checked.rows_loaded,
                                     checked.rows_rejected, "loaded", batch, current.batch_id if current else None,
                                     batch_key=key))
    run.say(f"{src.file}: {checked.rows_loaded} loaded, {checked.rows_rejected} refused"
            + (f" (supersedes batch {current.batch_id})" if current else ""))


def _quarantine(run: _Run, c: CheckedFile, key: str, batch: int, current: _Current | None, reason: str,
                people: int) -> None:
    """Keep the current batch; the new one's rows go to the archive (``linkready restore`` can accept it)."""
    kind = c.source.kind
    archive_batch(run.writer.con, kind, batch)
    if current is not None:
        unarchive_batch(run.writer.con, kind, current.batch_id)
    kept = f"; batch {current.batch_id} stays current" if current else ""
    run.batches.settle(batch, "quarantined", None, reason, people)
    file = c.source.file
    run.report.problems.append(Problem(
        file, None, None, "quarantined", f"The file was quarantined: {reason}{kept}.",
        f"Check the file; if it is right, make it current with `linkready restore {batch} --db FILE`."))
    run.report.files.append(FileLoad(file, kind, c.rows_read, 0, c.rows_rejected, "quarantined", batch,
                                     reason=reason, batch_key=key))
    run.say(f"{file}: quarantined as batch {batch} ({reason}){kept}")


def _retain_until(ref: date, years: int) -> date:
    try:
        return ref.replace(year=ref.year + years)
    except ValueError:  # 29 February
        return ref.replace(year=ref.year + years, day=28)


def _reference_date(ctx: DropContext, files: list[DropFile]) -> date:
    """The date LA ages are computed at: the manifest's extract date, else the latest census reference date."""
    if ctx.extract_date is not None:
        return ctx.extract_date
    years = [f.year for f in files if f.year is not None]
    if years or ctx.year_given:
        return date(max(years) if years else ctx.year, 3, 31)
    return date.today()


def load_drop(root: Path, store: Store, progress: Callable[[str], None] | None = None,
              settings: LoadSettings | None = None, *, la: str | None = None, year: int | None = None,
              layouts: list[SiteAdapter] | None = None, severities: Mapping[str, str] | None = None,
              default_severity: str | None = None) -> LoadReport:
    """Validate and load the drop at ``root`` into ``store`` in one transaction.

    Args:
        root: the drop directory (a manifest is optional: see :func:`warehouse.validation.open_drop`).
        store: a read-write :class:`~warehouse.store.Store`.
        progress: called with one short line per file (counts only, never values).
        settings: :class:`LoadSettings` (retention, supersession thresholds).
        la: the LA's DfE code for files whose folder and header do not give it.
        year: the collection year for files that do not give it (SSDA903 CSVs).
        layouts: site layouts to read those sites' files with (``--layout FILE``).
        severities, default_severity: SSDA903 rule severities DfE does not publish
            (see :func:`warehouse.validation.open_drop`).

    Returns:
        A :class:`LoadReport` with one entry per file (``status`` loaded, unchanged, quarantined or
        failed); ``report.outcome`` gives the exit code a script should see.

    Raises:
        ConfigError: ``la``/``year`` invalid.
        DataError: the directory holds no extract files, or a file brings a key another file already
            loaded (nothing of the drop is written). Bad rows and bad files never raise: they are
            reported, and every row that can be stored loads.

    Example:
        >>> report = load_drop(Path("demo-data"), Store("demo.duckdb"))   # doctest: +SKIP
    """
    t0 = time.perf_counter()
    settings = settings or LoadSettings()
    root = Path(root)
    ctx, manifest, files, problems = open_drop(root, hash_files=False, la=la, year=year, layouts=layouts,
                                               severities=severities, default_severity=default_severity)
    report = LoadReport(str(root), problems=list(problems))
    ref = _reference_date(ctx, files)
    retain = _retain_until(ref, settings.retention_years)
    pseudo = load_pseudonymiser(store.path)
    hashes = FileHashes(root, files, manifest_expectations(root, manifest)[1] if manifest else {})
    try:
        with store.transaction() as con:
            run = _Run(ctx, TableWriter(con, pseudo, ref, retain), _Batches(con, _drop_id(root), retain), hashes,
                       settings, report, progress)
            for src in files:
                _load_file(run, src)
        report.problems.extend(hashes.unlisted_problems({f.file for f in files}))
    finally:
        hashes.close()
    report.seconds = time.perf_counter() - t0
    return report
