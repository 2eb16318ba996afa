"""Check each file of an extract drop, ready for reporting or loading: read -> type -> check -> collect.

:func:`check_file` dispatches on the file's kind through :data:`FILE_KINDS` (a registry: a new kind is
a new registration). Each checker *reads* the file (encoding, delimiter, header in any case, the date
format detected per file), *types* and *checks* it with the rule engine (:func:`check_table`) and the
DfE rules of the return (:mod:`warehouse.validation.dfe`, when installed), and *collects* a
:class:`CheckedFile`: problems, the rows that can be stored per table (a bad value withheld, the row
kept) and one restricted-zone record per row-level problem with the original row.

A row is refused only when it cannot be stored: its key is missing or malformed, it repeats another
row's key, or it could not be read at all. Every other problem is recorded against its field.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from warehouse import drop
from warehouse.adapters import SiteAdapter
from warehouse.measures import get_measure
from warehouse.registry import Registry
from warehouse.sites import SITES
from warehouse.validation.checks import ISSUE_SCHEMA, CheckContext, Checked, check_table, duplicate_rows
from warehouse.validation.cin import CinTables, flatten_cin
from warehouse.validation.declarations import TableSpec, Unique, get_spec
from warehouse.validation.discovery import DropContext, DropFile, discover, la_code_known
from warehouse.validation.parsing import RawTable, read_delimited
from warehouse.validation.problems import RULES, Problem
from warehouse.vocabulary import SEX_CODES

__all__ = [
    "FILE_KINDS", "LA_KINDS", "CheckedFile", "DropContext", "DropFile", "FileKind", "check_file", "discover",
    "hash_problem", "hold_unchanged", "manifest_expectations", "manifest_problems",
]

_ALT_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
_FORMAT_WORDS = {"%Y-%m-%d": "YYYY-MM-DD", "%d/%m/%Y": "DD/MM/YYYY", "%m/%d/%Y": "MM/DD/YYYY",
                 "%d-%m-%Y": "DD-MM-YYYY", "%d.%m.%Y": "DD.MM.YYYY", "%Y/%m/%d": "YYYY/MM/DD"}
LA_KINDS = ("la_identifiers", "cin_census", "ssda903_header", "ssda903_episodes", "ssda903_oc2", "ssda903_missing")

REJECT_SCHEMA = {
    "_row": pl.Int64, "field": pl.String, "rule": pl.String, "message": pl.String, "original": pl.String,
    "severity": pl.String, "dfe_rule": pl.String, "child_id": pl.String, "row_kept": pl.Boolean,
}


@dataclass
class CheckedFile:
    """One checked file.

    Attributes:
        source: which file.
        rows_read: data rows read (header excluded; XML: Child elements).
        problems: file- and row-level problems.
        fatal: the file as a whole cannot be loaded (no row of it is loaded).
        malformed: the file was read only in part (e.g. truncated XML): it may never replace a batch.
        tables: the rows that can be stored, typed, by table name (a withheld value is null).
        rejects: one row per row-level problem (:data:`REJECT_SCHEMA`): rule, message, the original row,
            and whether the row was kept (``row_kept``) or refused.
        refused: rows that cannot be stored (CIN: children).
        year: the collection year the file was checked for.
        elsewhere: DfE problems on rows of *other* files of the drop, found once this file arrived (an
            SSDA903 rule across tables, e.g. a header's UPN against this file's episodes), as
            :data:`REJECT_SCHEMA` frames by file. Their :class:`Problem` records are in ``problems``
            (with that file's name); a loader records the frames against that file's batch.
    """

    source: DropFile
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    fatal: bool = False
    malformed: bool = False
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    rejects: pl.DataFrame | None = None
    refused: int = 0
    year: int = 0
    elsewhere: dict[str, pl.DataFrame] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> int:
        return self.rows_read if self.fatal else self.refused

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_rejected

    @property
    def well_formed(self) -> bool:
        return not self.fatal and not self.malformed


# ----------------------------------------------------------------------------- problems


def _problem(file: str, row: int | None, fld: str | None, rule_id: str, detail: str | None = None) -> Problem:
    r = RULES[rule_id]
    where = f"{fld}: " if fld else ""
    msg = f"{where}{r.description}" + (f" ({detail})" if detail else "")
    return Problem(file, row, fld, rule_id, msg, r.hint, r.severity)


def _rule_frame() -> pl.DataFrame:
    return pl.DataFrame({
        "rule": list(RULES), "description": [r.description for r in RULES.values()],
        "hint": [r.hint for r in RULES.values()], "severity": [r.severity for r in RULES.values()],
        "effect": [r.effect for r in RULES.values()],
    })


def _described(issues: pl.DataFrame, child_ids: pl.DataFrame) -> pl.DataFrame:
    """Issues ``(_row, field, rule)`` with message, hint, severity and the record's own key."""
    out = issues.join(_rule_frame(), on="rule", how="left").with_columns(
        pl.when(pl.col("field").is_not_null())
        .then(pl.col("field") + pl.lit(": ") + pl.col("description"))
        .otherwise(pl.col("description")).alias("message"),
        pl.lit(None, dtype=pl.String).alias("dfe_rule"),
    )
    out = out.join(child_ids, on="_row", how="left")
    return out.select("_row", "field", "rule", "message", "hint", "severity", "dfe_rule", "child_id")


def _dfe_described(hits: pl.DataFrame | None) -> pl.DataFrame | None:
    """DfE rule hits in the same shape as :func:`_described` (their own message; the DfE code beside)."""
    if hits is None or hits.height == 0:
        return None
    return hits.filter(pl.col("row").is_not_null()).select(
        pl.col("row").cast(pl.Int64).alias("_row"), pl.col("field").cast(pl.String),
        pl.col("rule").cast(pl.String), pl.col("message").cast(pl.String),
        (pl.lit("DfE rule ") + pl.col("dfe_rule") + pl.lit(": see docs/validation-rules.md and correct the "
                                                           "record in the case system")).alias("hint"),
        pl.col("severity").cast(pl.String), pl.col("dfe_rule").cast(pl.String), pl.col("child_id").cast(pl.String),
    )


def _file_level_dfe(file: str, hits: pl.DataFrame | None) -> list[Problem]:
    if hits is None or hits.height == 0:
        return []
    return [
        Problem(file, None, fld, rule, msg, f"DfE rule {code}: see docs/validation-rules.md", sev, code, cid)
        for code, rule, sev, fld, msg, cid in hits.filter(pl.col("row").is_null()).select(
            "dfe_rule", "rule", "severity", "field", "message", "child_id").iter_rows()
    ]


def _to_problems(file: str, described: pl.DataFrame) -> list[Problem]:
    return [
        Problem(file, int(row) if row is not None else None, fld, rule, msg, hint or "", sev or "error", dfe, cid)
        for row, fld, rule, msg, hint, sev, dfe, cid in described.iter_rows()
    ]


def _row_json(frame: pl.DataFrame) -> pl.DataFrame:
    cols = [c for c in frame.columns if c != "_row"]
    if not cols:
        return frame.select("_row", pl.lit(None, dtype=pl.String).alias("original"))
    return frame.select("_row", pl.struct(cols).struct.json_encode().alias("original"))


def _file_fatal(checked: CheckedFile, raw: RawTable) -> bool:
    for rule_id, detail in raw.file_issues:
        checked.problems.append(_problem(checked.source.file, None, None, rule_id, detail))
    return raw.fatal


def _read_issues(raw: RawTable) -> tuple[pl.DataFrame, pl.DataFrame]:
    issues = pl.DataFrame(
        {"_row": [i.row for i in raw.row_issues], "field": [None] * len(raw.row_issues),
         "rule": [i.rule for i in raw.row_issues]},
        schema=ISSUE_SCHEMA,
    )
    originals = pl.DataFrame(
        {"_row": [i.row for i in raw.row_issues], "original": [i.original for i in raw.row_issues]},
        schema={"_row": pl.Int64, "original": pl.String},
    )
    return issues, originals


# ----------------------------------------------------------------------------- the collect stage


@dataclass
class _Found:
    """What the check stage found in one file, for :func:`_collect`."""

    raw: RawTable  # the rows as read (their JSON is the original kept in the restricted zone)
    issues: pl.DataFrame  # (_row, field, rule) from the engine
    tables: dict[str, pl.DataFrame]  # storable rows per table (table-level refusals already removed)
    refused: pl.Series  # _row values refused by the engine (key missing, withheld or repeated)
    child_ids: pl.DataFrame  # (_row, child_id)
    dfe: pl.DataFrame | None = None  # DfE rule hits (run_rules output)
    case_notes: list[tuple[str, int]] = field(default_factory=list)  # (field label, values normalised)


def _collect(checked: CheckedFile, found: _Found) -> None:
    """Problems, storable rows and restricted-zone records of one file."""
    file = checked.source.file
    read_issues, read_originals = _read_issues(found.raw)
    issues = found.issues
    # an exact duplicate row is reported once, as duplicate_row, not again as a duplicate key
    dup_rows = issues.filter(pl.col("rule") == "duplicate_row").get_column("_row")
    issues = issues.filter(~((pl.col("rule") == "duplicate_key") & pl.col("_row").is_in(dup_rows.implode())))
    refuse_rules = [r for r, spec in RULES.items() if spec.effect == "refuse"]
    refused = pl.concat([
        found.refused.cast(pl.Int64), issues.filter(pl.col("rule").is_in(refuse_rules)).get_column("_row"),
        read_issues.get_column("_row"),
    ]).unique()
    described = _described(pl.concat([read_issues, issues]), found.child_ids)
    dfe = _dfe_described(found.dfe)
    if dfe is not None:
        described = pl.concat([described, dfe])
    described = described.sort("_row", maintain_order=True)
    checked.problems.extend(_to_problems(file, described))
    checked.problems.extend(_file_level_dfe(file, found.dfe))
    for label, n in found.case_notes:
        checked.problems.append(_problem(file, None, label, "code_case", f"{n} value(s) normalised"))
    checked.refused = refused.len()
    # the original row is kept beside a problem that withheld a value or refused the row (the values
    # elsewhere are stored as they came, so a report-only or DfE problem needs no copy of them)
    keeps = [r for r, spec in RULES.items() if spec.effect in ("withhold", "refuse")]
    rows = described.filter(pl.col("rule").is_in(keeps)).get_column("_row").unique()
    originals = pl.concat([read_originals, _row_json(found.raw.frame.filter(pl.col("_row").is_in(rows.implode())))])
    checked.rejects = described.drop("hint").join(originals.unique("_row"), on="_row", how="left").with_columns(
        pl.when(pl.col("rule").is_in(keeps)).then(pl.col("original")).alias("original"),
        (~pl.col("_row").is_in(refused.implode())).alias("row_kept"),
    ).select(list(REJECT_SCHEMA))
    for name, frame in found.tables.items():
        checked.tables[name] = frame.filter(~pl.col("_row").is_in(refused.implode()))


# ----------------------------------------------------------------------------- dates


def _date_format_ok(frame: pl.DataFrame, cols: list[str], fmt: str) -> str | None:
    """None if ``fmt`` fits the dates; else the format that fits them instead."""
    values = pl.concat(
        [frame.get_column(c).cast(pl.String).str.strip_chars().replace("", None).drop_nulls()
         for c in cols if c in frame.columns]
        or [pl.Series([], dtype=pl.String)]
    ).head(2000)
    if values.len() < 3:
        return None
    if _parsed_share(values, fmt) >= 0.5:
        return None
    for alt in _ALT_DATE_FORMATS:
        if alt != fmt and _parsed_share(values, alt) >= 0.9:
            return alt
    return None


def _parsed_share(values: pl.Series, fmt: str) -> float:
    parsed = values.str.strptime(pl.Date, fmt, strict=False, exact=True).is_not_null()
    return float(parsed.sum()) / max(parsed.len(), 1)


def _date_format(checked: CheckedFile, frame: pl.DataFrame, cols: list[str], declared: str) -> str:
    """The date format of this file: the declared one, or the one its dates are in (one file-level query)."""
    fits = _date_format_ok(frame, cols, declared)
    if fits is None:
        return declared
    checked.problems.append(_problem(
        checked.source.file, None, None, "date_format_detected",
        f"dates are {_FORMAT_WORDS.get(fits, fits)}, expected {_FORMAT_WORDS.get(declared, declared)}; "
        f"read as {_FORMAT_WORDS.get(fits, fits)}"))
    return fits


# ----------------------------------------------------------------------------- DfE rules


_DFE_COLUMNS = {"dfe_rule": pl.String, "rule": pl.String, "severity": pl.String, "table": pl.String,
                "row": pl.Int64, "child_id": pl.String, "field": pl.String, "message": pl.String}


def _severity_choice(return_name: str, year: int, ctx: DropContext | None) -> dict[str, Any]:
    """The run's SSDA903 severity choices for the rules in force in ``year`` (checked when the drop was opened)."""
    if ctx is None or return_name != "903" or not (ctx.dfe_severities or ctx.dfe_default_severity):
        return {}
    from warehouse.validation.dfe.runner import rules_for  # type: ignore[import-not-found,unused-ignore]

    in_force = {key for r in rules_for("903", year) for key in (r.code, r.name)}
    return {"severity_overrides": {k: v for k, v in ctx.dfe_severities.items() if k in in_force},
            "default_severity": ctx.dfe_default_severity}


def _run_dfe(return_name: str, tables: dict[str, pl.DataFrame], year: int, la: str | None,
             only: list[str] | None = None, ctx: DropContext | None = None) -> pl.DataFrame | None:
    """The DfE rules of the return (:mod:`warehouse.validation.dfe`), or None while it is not installed.

    A failure inside the rule set never stops a load: it becomes one file-level query naming the
    exception's class only (never its text, which could quote a value).
    """
    try:
        from warehouse.validation.dfe import run_rules  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        chosen = _severity_choice(return_name, year, ctx)
        out: pl.DataFrame = run_rules(return_name, tables, year, la, only=only,  # type: ignore[arg-type,unused-ignore]
                                      **chosen)
        return out.select([pl.col(c).cast(t) for c, t in _DFE_COLUMNS.items()])
    except Exception as exc:  # noqa: BLE001 - the DfE rule set is a separate package; a bug there is reported
        return pl.DataFrame({"dfe_rule": [None], "rule": ["dfe_rules_failed"], "severity": ["query"],
                             "table": [None], "row": [None], "child_id": [None], "field": [None],
                             "message": [f"The DfE rules of the return could not run ({type(exc).__name__}); "
                                         "only linkready's own rules were checked."]}, schema=_DFE_COLUMNS)


def _upper_strings(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col(pl.String).str.strip_chars().str.to_uppercase())


_HIT_KEY = ["table", "dfe_rule", "rule", "row", "field"]


@dataclass
class _Ssda903Return:
    """The SSDA903 tables of one LA and collection year met so far in the drop, and the DfE hits reported.

    The DfE rules of the return run over all of them together: as each table's file arrives, the rules
    that read that table run again over every table held (:func:`rules_touching`), and each hit is
    reported once, against the file and row it is on, however many runs find it.
    """

    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # table -> the file it came from
    kept: dict[str, pl.Series] = field(default_factory=dict)  # table -> _row values stored (not refused)
    reported: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={k: _DFE_COLUMNS[k] for k in _HIT_KEY}))
    changed: set[str] = field(default_factory=set)  # tables of files checked in full (not unchanged ones)
    pending: list[DropFile] = field(default_factory=list)  # unchanged files, read once a changed one comes
    context: bool = False  # an unchanged file is being read as context


def _ssda903_return(ctx: DropContext, src: DropFile) -> _Ssda903Return:
    held = ctx.ssda903_tables.setdefault((src.la_code or "", ctx.file_year(src)), {})
    group = held.get("return")
    if not isinstance(group, _Ssda903Return):
        group = held["return"] = _Ssda903Return()
    return group


def _rules_reading(year: int, tables: set[str]) -> list[str] | None:
    """The 903 rules whose result depends on one of ``tables`` (None while the DfE rules are not installed)."""
    try:
        from warehouse.validation.dfe import rules_touching  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return [r.name for r in rules_touching("903", year, tables)]


def _ssda903_dfe(ctx: DropContext, src: DropFile, table: str, typed: pl.DataFrame
                 ) -> tuple[pl.DataFrame | None, dict[str, pl.DataFrame]]:
    """DfE SSDA903 hits new with this table: ``(on this table, {other table: hits on it})``.

    The rules that read ``table`` run over it and every other SSDA903 table of the same LA and year met
    so far in the drop, so a rule across header and episodes fires whichever file comes first; hits
    reported with an earlier file are not reported again.
    """
    group = _ssda903_return(ctx, src)
    year = ctx.file_year(src)
    if not group.context:
        _read_pending(ctx, group)
        group.changed.add(table)
    if group.files.get(table, src.file) != src.file:  # a second file for the table replaces the first
        group.reported = group.reported.filter(pl.col("table") != table)
    group.tables[table] = _upper_strings(typed)
    group.files[table] = src.file
    # the SSDA903 rules that take the LA compare it with ONS-coded columns (PL_LA): no DfE-to-ONS mapping
    # exists in the sources, so the 3-digit code is not passed (those comparisons are skipped)
    hits = _run_dfe("903", group.tables, year, None, only=_rules_reading(year, {table}), ctx=ctx)
    if hits is None:
        return None, {}
    new = hits.join(group.reported, on=_HIT_KEY, how="anti", nulls_equal=True)
    group.reported = pl.concat([group.reported, new.select(_HIT_KEY)])
    if group.context:  # an unchanged file: only what a changed file of the drop brings is news
        new = new.filter(pl.col("rule").is_in(_rules_reading(year, group.changed) or []))
    own = new.filter(pl.col("table").is_null() | (pl.col("table") == table))
    others = {name: new.filter(pl.col("table") == name) for name in group.files if name != table}
    return own, {name: frame for name, frame in others.items() if frame.height}


def _read_pending(ctx: DropContext, group: _Ssda903Return) -> None:
    pending, group.pending = group.pending, []
    for src in pending:
        _context_check(ctx, src, group)


def _context_check(ctx: DropContext, src: DropFile, group: _Ssda903Return) -> CheckedFile:
    group.context = True
    try:
        checked = check_file(ctx, src)
    finally:
        group.context = False
    checked.problems = [p for p in checked.problems if p.dfe_rule is not None]
    if checked.rejects is not None:
        checked.rejects = checked.rejects.filter(pl.col("dfe_rule").is_not_null())
    return checked


def hold_unchanged(ctx: DropContext, src: DropFile) -> CheckedFile | None:
    """An SSDA903 file a load does not load again (same content as a batch it has) read as context.

    The DfE rules across tables then see it beside the drop's changed SSDA903 files of the same LA and
    year (an episodes re-delivery is checked against the unchanged header). It is read only once a changed
    file of its LA and year is checked. Returns None until then, or for another kind of file; else a
    :class:`CheckedFile` holding only the DfE problems a changed file brings: on this file's rows
    (``problems``, ``rejects``) and on the changed files' rows (``elsewhere``). Its other problems were
    reported when it was loaded.
    """
    if src.kind not in _DFE_903_TABLES:
        return None
    group = _ssda903_return(ctx, src)
    if not group.changed:
        group.pending.append(src)
        return None
    return _context_check(ctx, src, group)


def _ssda903_elsewhere(checked: CheckedFile, group: _Ssda903Return, others: dict[str, pl.DataFrame]) -> None:
    """Problems (and restricted-zone records) for DfE hits on other files' rows, under those files' names."""
    for table, hits in others.items():
        file = group.files[table]
        described = _dfe_described(hits)
        if described is not None:
            checked.problems.extend(_to_problems(file, described))
            kept = group.kept.get(table, pl.Series([], dtype=pl.Int64)).implode()
            checked.elsewhere[file] = described.drop("hint").with_columns(
                pl.lit(None, dtype=pl.String).alias("original"), pl.col("_row").is_in(kept).alias("row_kept"),
            ).select(list(REJECT_SCHEMA))
        checked.problems.extend(_file_level_dfe(file, hits))


# ----------------------------------------------------------------------------- per kind


def _exact_duplicates(raw: RawTable, spec: TableSpec, result: Checked) -> pl.DataFrame:
    """``duplicate_row`` issues for an LA table (rows compared on the spec's columns).

    When the spec declares a one-field key among those columns, an exact copy of a row repeats its
    key, so only rows holding a key that repeats are compared: a file without repeated keys costs
    nothing here.
    """
    cols = ["_row", *[c for c in spec.required_columns if c in raw.frame.columns]]
    frame = raw.frame.select(cols)
    key = next((r for r in spec.rules if isinstance(r, Unique) and len(r.fields) == 1), None)
    if key is None or key.fields[0] not in cols:
        return duplicate_rows(frame)
    name = key.fields[0]
    repeats = result.issues.filter(pl.col("rule") == key.rule).get_column("_row")
    if repeats.len() == 0:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    values = result.typed.filter(pl.col("_row").is_in(repeats.implode())).get_column(name).unique()
    holders = result.typed.filter(pl.col(name).is_in(values.implode())).get_column("_row")
    return duplicate_rows(frame.filter(pl.col("_row").is_in(holders.implode())))


def _child_ids(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    if column not in frame.columns:
        return pl.DataFrame(schema={"_row": pl.Int64, "child_id": pl.String})
    return frame.select("_row", pl.col(column).cast(pl.String).str.strip_chars().alias("child_id"))


_LA_CSV_KEYS = {"la_identifiers": "LAchildID", "ssda903_header": "CHILD", "ssda903_episodes": "CHILD",
                "ssda903_oc2": "CHILD", "ssda903_missing": "CHILD", "truth_links": "la_child_id"}
_DFE_903_TABLES = {"ssda903_header": "header", "ssda903_episodes": "episodes", "ssda903_oc2": "oc2",
                   "ssda903_missing": "missing"}


def _check_la_csv(ctx: DropContext, src: DropFile, spec_name: str, codelists: dict[str, frozenset[str]]) -> CheckedFile:
    checked = CheckedFile(src, year=ctx.file_year(src))
    spec = get_spec(spec_name, checked.year)
    raw = read_delimited(ctx.root / src.file, encoding="utf-8", delimiter=",",
                         required_columns=spec.required_columns, any_case=True)
    checked.rows_read = raw.rows_read
    if _file_fatal(checked, raw):
        checked.fatal = True
        return checked
    date_cols = [f.name for f in spec.fields if f.type == "date"]
    fmt = _date_format(checked, raw.frame, date_cols, spec.date_format)
    result = check_table(raw.frame, spec, CheckContext(checked.year, ctx.file_extract_date(src), date_format=fmt,
                                                       codelists=codelists))
    issues = pl.concat([result.issues, _exact_duplicates(raw, spec, result)])
    table = _DFE_903_TABLES.get(spec_name)
    dfe, others = _ssda903_dfe(ctx, src, table, result.typed) if table else (None, {})
    _collect(checked, _Found(
        raw, issues, {spec_name: result.typed.filter(~result.refused)},
        result.typed.filter(result.refused).get_column("_row"), _child_ids(raw.frame, _LA_CSV_KEYS[spec_name]),
        dfe, [(label, n) for _, label, n in result.case_notes],
    ))
    if table:
        group = _ssda903_return(ctx, src)
        group.kept[table] = checked.tables[spec_name].get_column("_row")
        _ssda903_elsewhere(checked, group, others)
    return checked


def _cin_unreadable(path: Path) -> str | None:
    """``empty_file`` / ``not_text`` for a file that is no XML at all (UTF-16 is XML: its NULs are allowed)."""
    if path.stat().st_size == 0:
        return "empty_file"
    with path.open("rb") as fh:
        head = fh.read(4096)
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<"))
    if b"\x00" in head and not utf16:
        return "not_text"
    return None


def _cin_date_format(checked: CheckedFile, t: CinTables) -> str:
    assert t.child is not None and t.details is not None
    frame = pl.concat([
        t.child.select(pl.col("PersonBirthDate").alias("d")), t.details.select(pl.col("CINreferralDate").alias("d")),
    ])
    return _date_format(checked, frame, ["d"], "%Y-%m-%d")


def _cin_checked(t: CinTables, year: int, ctx: CheckContext) -> dict[str, Checked]:
    """The engine over every CIN table (a detail sees its child's birth date; an assessment its referral)."""
    assert t.child is not None and t.details is not None and t.assessments is not None
    assert t.factors is not None and t.plans is not None and t.section47 is not None and t.cpp is not None
    child = check_table(t.child, get_spec("cin_child", year), ctx)
    dob = child.typed.select("_row", "PersonBirthDate")
    details = check_table(t.details.join(dob, on="_row", how="left"), get_spec("cin_details", year), ctx)
    ref = details.typed.select("_row", "cin_details_id", "CINreferralDate")
    return {
        "cin_child": child, "cin_details": details,
        "cin_assessments": check_table(t.assessments.join(ref, on=["_row", "cin_details_id"], how="left"),
                                       get_spec("cin_assessments", year), ctx),
        "cin_factors": check_table(t.factors, get_spec("cin_factors", year), ctx),
        "cin_plans": check_table(t.plans, get_spec("cin_plans", year), ctx),
        "cin_section47": check_table(t.section47, get_spec("cin_section47", year), ctx),
        "cin_cpp": check_table(t.cpp, get_spec("cin_cpp", year), ctx),
    }


def _cin_storable(checked: dict[str, Checked], refused_children: pl.Series) -> dict[str, pl.DataFrame]:
    """Rows that can be stored: a refused child takes its episodes with it; a refused episode (no
    referral date) takes its plans and assessments; other tables refuse their own rows only."""
    gone = refused_children.implode()
    details = checked["cin_details"]
    bad_details = details.typed.filter(details.refused | pl.col("_row").is_in(gone)).select("_row", "cin_details_id")
    out: dict[str, pl.DataFrame] = {}
    for name, c in checked.items():
        frame = c.typed.filter(~c.refused & ~pl.col("_row").is_in(gone))
        if name != "cin_child" and "cin_details_id" in frame.columns:
            frame = frame.join(bad_details, on=["_row", "cin_details_id"], how="anti")
        out[name] = frame
    return out


_CIN_DFE_NAMES = {"cin_child": "child", "cin_details": "details", "cin_assessments": "assessments",
                  "cin_factors": "factors", "cin_plans": "plans", "cin_section47": "section47", "cin_cpp": "cpp"}


def _check_cin(ctx: DropContext, src: DropFile) -> CheckedFile:
    checked = CheckedFile(src, year=ctx.file_year(src))
    path = ctx.root / src.file
    unreadable = _cin_unreadable(path)
    if unreadable:
        checked.problems.append(_problem(src.file, None, None, unreadable))
        checked.fatal = True
        return checked
    tables = flatten_cin(path)
    checked.rows_read = tables.children
    if tables.malformed:
        checked.problems.append(_problem(src.file, None, None, "xml_malformed", tables.malformed))
        checked.malformed = True
        if tables.children == 0:
            checked.fatal = True
            return checked
    base = CheckContext(checked.year, ctx.file_extract_date(src), date_format=_cin_date_format(checked, tables))
    results = _cin_checked(tables, checked.year, base)
    originals = pl.DataFrame({"_row": list(tables.originals), "xml": list(tables.originals.values())},
                             schema={"_row": pl.Int64, "xml": pl.String})
    issues = pl.concat([r.issues for r in results.values()] + [duplicate_rows(originals)])
    child = results["cin_child"]
    refused = pl.concat([child.typed.filter(child.refused).get_column("_row"),
                         issues.filter(pl.col("rule") == "duplicate_row").get_column("_row")])
    header = pl.DataFrame({k: [v] for k, v in tables.header.items()}) if tables.header else pl.DataFrame()
    dfe_tables = {_CIN_DFE_NAMES[n]: r.typed for n, r in results.items()} | {"header": header}
    dfe_tables |= {name: frame for name, frame in (("disabilities", tables.disabilities), ("reviews", tables.reviews),
                                                               ("preproceedings", tables.preproceedings))
                   if frame is not None}
    assert tables.child is not None
    _collect(checked, _Found(
        RawTable(originals, ["xml"], tables.children), issues, _cin_storable(results, refused), refused,
        _child_ids(tables.child, "LAchildID"), _run_dfe("cin", dfe_tables, checked.year, src.la_code),
        [(label, n) for r in results.values() for _, label, n in r.case_notes],
    ))
    return checked


def _canonical_people(raw: RawTable, adapter: SiteAdapter) -> pl.DataFrame:
    layout = adapter.people
    frame = raw.frame.select("_row", *[pl.col(src).alias(canon) for canon, src in layout.columns.items()])
    maps = []
    for canon, mapping in layout.value_maps.items():
        maps.append(pl.col(canon).str.strip_chars().replace(mapping).alias(canon))
    return frame.with_columns(maps) if maps else frame


def _check_site_people(ctx: DropContext, src: DropFile) -> CheckedFile:
    checked = CheckedFile(src, year=ctx.file_year(src))
    assert src.site_id is not None
    adapter = ctx.adapter(src.site_id)
    layout = adapter.people
    raw = read_delimited(ctx.root / src.file, encoding=layout.encoding, delimiter=layout.delimiter,
                         required_columns=list(layout.columns.values()))
    checked.rows_read = raw.rows_read
    if _file_fatal(checked, raw):
        checked.fatal = True
        return checked
    date_cols = [layout.columns[c] for c in ("dob", "expected_dob", "referral_date", "end_date")]
    fmt = _date_format(checked, raw.frame, date_cols, layout.date_format)
    frame = _canonical_people(raw, adapter)
    ctxt = CheckContext(
        checked.year, ctx.file_extract_date(src), date_format=fmt,
        codelists={"la_code": frozenset(SITES[src.site_id].la_codes), "sex": frozenset(SEX_CODES)},
        labels=dict(layout.columns),
    )
    result = check_table(frame, get_spec("site_people", checked.year), ctxt)
    issues = pl.concat([result.issues, duplicate_rows(raw.frame)])
    ctx.site_people_ids[src.site_id] = set(
        frame.get_column("record_id").str.strip_chars().drop_nulls().to_list()
    )
    extras = [c for c in layout.extra_columns if c in raw.frame.columns]
    typed = result.typed
    if extras:
        typed = typed.join(raw.frame.select("_row", *extras), on="_row", how="left")
    _collect(checked, _Found(
        raw, issues, {"site_people": typed.filter(~result.refused)}, result.typed.filter(result.refused)
        .get_column("_row"), _child_ids(raw.frame, layout.columns["record_id"]),
        case_notes=[(label, n) for _, label, n in result.case_notes],
    ))
    return checked


def _outcome_items(frame: pl.DataFrame, item_cols: list[str], allowed: list[str]) -> tuple[list[pl.DataFrame], list[pl.Series]]:
    """``item_value`` issues per item column and the items as integers (a value outside the measure withheld)."""
    rows = frame.get_column("_row")
    found, items = [], []
    for c in item_cols:
        col = frame.get_column(c).str.strip_chars().replace("", None)
        bad = col.is_not_null() & ~col.is_in(allowed)
        found.append(pl.DataFrame({"_row": rows.filter(bad), "field": c, "rule": "item_value"}, schema=ISSUE_SCHEMA))
        values = pl.DataFrame({"v": col.cast(pl.Int64, strict=False), "bad": bad})
        items.append(values.select(pl.when(pl.col("bad")).then(None).otherwise(pl.col("v")).alias(c)).to_series())
    return found, items


def _check_site_outcomes(ctx: DropContext, src: DropFile) -> CheckedFile:
    checked = CheckedFile(src, year=ctx.file_year(src))
    assert src.site_id is not None and src.measure is not None
    adapter = ctx.adapter(src.site_id)
    layout = adapter.outcomes
    measure = get_measure(src.measure)
    item_cols = [f"{layout.item_prefix}{i}" for i in range(1, measure.n_items + 1)]
    people = adapter.people
    raw = read_delimited(ctx.root / src.file, encoding=layout.encoding or people.encoding,
                         delimiter=layout.delimiter or people.delimiter, required_columns=[layout.id_column, layout.timepoint_column, layout.date_column, *item_cols])
    checked.rows_read = raw.rows_read
    if _file_fatal(checked, raw):
        checked.fatal = True
        return checked
    extra = [c for c in raw.header if c.startswith(layout.item_prefix) and c[len(layout.item_prefix):].isdigit()
             and int(c[len(layout.item_prefix):]) > measure.n_items]
    if extra:
        checked.problems.append(_problem(
            src.file, None, None, "item_count",
            f"{measure.name} has {measure.n_items} items; the file also has {', '.join(extra[:5])}"))
        checked.fatal = True
        return checked
    fmt = _date_format(checked, raw.frame, [layout.date_column], people.date_format)
    frame = raw.frame.select(
        "_row",
        pl.col(layout.id_column).alias("record_id"),
        pl.col(layout.timepoint_column).str.strip_chars().replace(layout.timepoint_labels).alias("timepoint"),
        pl.col(layout.date_column).alias("assessed_date"),
        *[pl.col(c) for c in item_cols],
    )
    labels = {"record_id": layout.id_column, "timepoint": layout.timepoint_column,
              "assessed_date": layout.date_column}
    result = check_table(frame, get_spec("site_outcomes", checked.year),
                         CheckContext(checked.year, ctx.file_extract_date(src), date_format=fmt, labels=labels))
    item_issues, items = _outcome_items(frame, item_cols, [str(v) for v in measure.item_values])
    found = [result.issues, duplicate_rows(raw.frame), *item_issues]
    ids = ctx.site_people_ids.get(src.site_id)
    if ids is not None:
        rid = frame.get_column("record_id").str.strip_chars()
        orphan = rid.is_not_null() & ~rid.is_in(sorted(ids))
        found.append(pl.DataFrame({"_row": frame.get_column("_row").filter(orphan), "field": layout.id_column,
                                   "rule": "unknown_person"}, schema=ISSUE_SCHEMA))
    typed = result.typed.with_columns(items)
    _collect(checked, _Found(
        raw, pl.concat(found), {"site_outcomes": typed.filter(~result.refused)},
        result.typed.filter(result.refused).get_column("_row"), _child_ids(raw.frame, layout.id_column),
    ))
    return checked


# ----------------------------------------------------------------------------- kinds (registry)


@dataclass(frozen=True)
class FileKind:
    """A kind of file: its name (``load_batches.kind``), its checker and whether it is an LA's file."""

    name: str
    check: Callable[[DropContext, DropFile], CheckedFile]
    la_file: bool = False
    yearly: bool = False  # a statutory return: its batches are kept per collection year
    description: str = ""


FILE_KINDS: Registry[FileKind] = Registry("file kind")

for _kind in (
    FileKind("la_identifiers", lambda ctx, src: _check_la_csv(ctx, src, "la_identifiers",
                                                              {"sex": frozenset(SEX_CODES)}),
             la_file=True, description="LA identifier extract"),
    FileKind("cin_census", _check_cin, la_file=True, yearly=True, description="CIN census"),
    FileKind("ssda903_header", lambda ctx, src: _check_la_csv(ctx, src, "ssda903_header", {}), la_file=True,
             yearly=True, description="SSDA903 header"),
    FileKind("ssda903_episodes", lambda ctx, src: _check_la_csv(ctx, src, "ssda903_episodes", {}), la_file=True,
             yearly=True, description="SSDA903 episodes"),
    FileKind("ssda903_oc2", lambda ctx, src: _check_la_csv(ctx, src, "ssda903_oc2", {}), la_file=True,
             yearly=True, description="SSDA903 OC2 (outcomes of children looked after 12 months)"),
    FileKind("ssda903_missing", lambda ctx, src: _check_la_csv(ctx, src, "ssda903_missing", {}), la_file=True,
             yearly=True, description="SSDA903 missing episodes"),
    FileKind("site_people", _check_site_people, description="site service records"),
    FileKind("site_outcomes", _check_site_outcomes, description="site outcome measure"),
    FileKind("truth_links", lambda ctx, src: _check_la_csv(ctx, src, "truth_links", {}),
             description="ground-truth links (synthetic drops)"),
    FileKind("unrecognised", lambda ctx, src: CheckedFile(src, problems=[_problem(src.file, None, None,
                                                                                  "unrecognised_file")]),
             description="a CSV or XML file that is none of the above (reported, not loaded)"),
):
    FILE_KINDS.register(_kind)


def _la_file_problems(ctx: DropContext, src: DropFile) -> tuple[list[Problem], bool]:
    """Problems with an LA file's LA and year (fatal when either is unknown)."""
    out: list[Problem] = []
    if src.la_code is None:
        return [_problem(src.file, None, None, "no_la")], True
    if not (len(src.la_code) == 3 and src.la_code.isdigit()):
        return [_problem(src.file, None, None, "unknown_la", "an LA code is three digits")], True
    if not la_code_known(src.la_code):
        out.append(_problem(src.file, None, None, "unknown_la", "loaded under this code"))
    if src.header_lea and src.header_lea != src.la_code:
        out.append(_problem(src.file, None, None, "la_disagrees", f"folder or --la gives {src.la_code}"))
    if src.year is None and not ctx.year_given and FILE_KINDS.get(src.kind).yearly:
        return [*out, _problem(src.file, None, None, "no_year")], True
    if src.kind == "cin_census" and ctx.year_given and src.year is not None and src.year != ctx.year:
        out.append(_problem(src.file, None, None, "year_disagrees",
                            f"the header gives {src.year}, the drop {ctx.year}; checked as {src.year}"))
    return out, False


def check_file(ctx: DropContext, src: DropFile) -> CheckedFile:
    """Read and check one file of the drop. Never raises for bad content."""
    kind = FILE_KINDS.get(src.kind)
    if kind.la_file:
        problems, fatal = _la_file_problems(ctx, src)
        if fatal:
            checked = CheckedFile(src, problems=problems, fatal=True, year=ctx.file_year(src))
            return checked
        checked = kind.check(ctx, src)
        checked.problems[:0] = problems
        return checked
    return kind.check(ctx, src)


# ----------------------------------------------------------------------------- manifest


def manifest_expectations(root: Path, manifest: dict[str, Any]) -> tuple[list[Problem], dict[str, str]]:
    """Problems for files the manifest lists but the drop lacks, and the SHA-256 it gives the others."""
    missing: list[Problem] = []
    expected: dict[str, str] = {}
    files = manifest.get("files")
    for entry in files if isinstance(files, list) else []:
        if not isinstance(entry, dict) or "path" not in entry:
            continue
        rel = str(entry["path"])
        if not (root / rel).is_file():
            missing.append(_problem(rel, None, None, "missing_file"))
        elif entry.get("sha256"):
            expected[rel] = str(entry["sha256"])
    return missing, expected


def hash_problem(rel: str, actual: str, expected: str | None) -> Problem | None:
    """A ``manifest_hash`` problem when the file's SHA-256 is not the one the manifest gives."""
    return _problem(rel, None, None, "manifest_hash") if expected is not None and actual != expected else None


def manifest_problems(root: Path, manifest: dict[str, Any], hashes: dict[str, str] | None = None) -> list[Problem]:
    """Files the manifest lists but the drop lacks, and files whose hash differs.

    ``hashes``, when given, receives each hashed file's SHA-256 by its path relative to ``root``.
    Files are hashed on two threads (hashlib releases the GIL on large reads).
    """
    out, expected = manifest_expectations(root, manifest)
    with ThreadPoolExecutor(max_workers=2) as pool:
        actual = dict(zip(expected, pool.map(lambda rel: drop.sha256_file(root / rel), expected), strict=True))
    for rel, want in expected.items():
        if hashes is not None:
            hashes[rel] = actual[rel]
        if (problem := hash_problem(rel, actual[rel], want)) is not None:
            out.append(problem)
    return out
