"""CSV / XLSX import of data-availability ratings, framework cells, findings and triangulation cells.

The template (documented in ``docs/synthesis.md``) has four kinds of table, told apart by their
header (CSV) or sheet name (XLSX: ``ratings``, ``framework``, ``findings``, ``triangulation``).
Every problem is collected and reported at once, naming the file, spreadsheet row (the header is
row 1) and column; no value from the file is echoed except codes and numbers that failed to parse.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from synthesis import pseudonymise
from synthesis.bulk import insert_rows
from synthesis.catalogue import DATA_ITEMS, DIMENSIONS, RESEARCH_QUESTIONS
from synthesis.projects import ImportReport, stable_guid
from warehouse.errors import DataError, did_you_mean
from warehouse.registry import Registry
from warehouse.sites import SITE_IDS

SOURCES = ("focus_group", "interview", "toc_workshop", "document_review", "admin_extract")
CONVERGENCE = ("agreement", "partial_agreement", "silence", "dissonance")
CONFIDENCE = ("low", "moderate", "high")


@dataclass
class _Sheet:
    """One table being parsed: its rows, where problems go, and the import's options."""

    con: duckdb.DuckDBPyConnection
    rows: list[dict[str, str]]
    errs: _Errors
    site: str | None
    file: str
    roster: tuple[str, ...]


Writer = Callable[[], int]
Parser = Callable[[_Sheet], Writer]


@dataclass(frozen=True)
class TemplateKind:
    """One table of the spreadsheet template: its columns, the report counter it adds to, and its parser.

    The parser validates every row (collecting problems in the sheet's error list) and returns a
    writer that stores the parsed rows once every table of the file is clean.
    """

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    report_field: str
    parse: Parser


TEMPLATES: Registry[TemplateKind] = Registry("findings template table")
"""The template's tables by name (``ratings``, ``framework``, ``findings``, ``triangulation``)."""


def template(name: str, required: tuple[str, ...], optional: tuple[str, ...], report_field: str
             ) -> Callable[[Parser], Parser]:
    """Register a parser as the template table ``name`` (a decorator; the built-ins use it too)."""
    def decorator(parse: Parser) -> Parser:
        TEMPLATES.register(TemplateKind(name, required, optional, report_field, parse))
        return parse
    return decorator


class _Errors:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[str] = []

    def add(self, row: int, column: str, message: str) -> None:
        self.items.append(f"row {row}, column {column!r}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            shown = "; ".join(self.items[:20])
            more = f"; ... {len(self.items) - 20} more" if len(self.items) > 20 else ""
            raise DataError(f"{self.file}: {len(self.items)} problem(s), nothing imported: {shown}{more}")


def detect_kind(columns: Iterable[str], file: str) -> TemplateKind:
    """Pick the template whose required columns are all present (ratings, framework, findings, triangulation)."""
    cols = {c.strip().lower() for c in columns if c}
    for t in TEMPLATES.values():
        if set(t.required) <= cols:
            return t
    wants = "; ".join(f"{t.name}: {', '.join(t.required)}" for t in TEMPLATES.values())
    raise DataError(f"{file}: header {sorted(cols)} matches no template; required columns are {wants}")


def read_rows(path: Path) -> list[tuple[str, list[str], list[dict[str, str]]]]:
    """Read a CSV (one table) or XLSX (one table per sheet) into (sheet name, header, rows as str dicts)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        text = path.read_bytes().decode("utf-8-sig", errors="strict")
        records = list(csv.reader(io.StringIO(text)))
        if not records:
            raise DataError(f"{path.name} is empty; expected a header row from the template")
        names = [h.strip().lower() for h in records[0]]
        rows = [{n: v.strip() for n, v in zip(names, rec, strict=False) if n} for rec in records[1:]]
        return [(path.stem, names, rows)]
    import openpyxl

    # data_only=False: a formula cell is read as its formula text and stored as text, never evaluated
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    out = []
    for ws in wb.worksheets:
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if not header:
            continue
        names = [str(h).strip().lower() if h is not None else "" for h in header]
        rows = []
        for values in it:
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                rows.append({})
                continue
            rows.append({n: _cell(v) for n, v in zip(names, values, strict=False) if n})
        out.append((ws.title, names, rows))
    wb.close()
    return out


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _free_text(errs: _Errors, row: int, col: str, value: str, roster: tuple[str, ...]) -> str | None:
    """Free text must be pseudonymised too: report identifier kinds and positions, never values."""
    if not value:
        return None
    found = pseudonymise.scan(value, roster)
    if found:
        errs.add(row, col, f"holds identifiers ({pseudonymise.describe(found, limit=3)}); replace them with tokens")
    return value


def _ids(value: str) -> list[str]:
    return [p.strip().upper() for p in value.replace(",", ";").split(";") if p.strip()]


def _choice(errs: _Errors, row: int, col: str, value: str, allowed: Iterable[str], required: bool = True) -> str | None:
    allowed = tuple(allowed)
    if not value:
        if required:
            errs.add(row, col, f"is empty; allowed: {', '.join(allowed)}")
        return None
    v = value.strip().lower()
    if v not in allowed:
        errs.add(row, col, f"{value!r} is not allowed; allowed: {', '.join(allowed)}{did_you_mean(v, allowed)}")
        return None
    return v


def _bool(errs: _Errors, row: int, col: str, value: str) -> bool | None:
    if not value:
        return None
    v = value.strip().lower()
    if v in ("true", "yes", "y", "1"):
        return True
    if v in ("false", "no", "n", "0"):
        return False
    errs.add(row, col, f"{value!r} is not a yes/no value; use yes or no")
    return None


def _site(errs: _Errors, row: int, value: str, site: str | None, required: bool) -> str | None:
    if not value:
        if site is None and required:
            errs.add(row, "site_id", f"is empty; give one of {', '.join(SITE_IDS)} or pass --site")
        return site
    v = _choice(errs, row, "site_id", value, SITE_IDS)
    if v and site and v != site:
        errs.add(row, "site_id", f"{v!r} differs from --site {site!r}; drop --site or fix the row")
    return v


def _theme_id(con: duckdb.DuckDBPyConnection, name: str) -> str:
    row = con.execute("SELECT theme_id FROM syn_theme WHERE theme_id = ? OR lower(name) = lower(?) ORDER BY 1 LIMIT 1",
                      [name, name]).fetchone()
    if row:
        return str(row[0])
    theme_id = stable_guid("theme", name.lower())
    con.execute("INSERT INTO syn_theme (theme_id, name, status) VALUES (?, ?, 'candidate')", [theme_id, name])
    return theme_id


def _known_evidence(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT segment_id FROM syn_coded_segment UNION SELECT selection_id FROM syn_coded_segment")
    return {r[0] for r in rows.fetchall()}


def _check_evidence(errs: _Errors, row: int, col: str, ids: list[str], known: set[str]) -> None:
    missing = [i for i in ids if i not in known]
    if missing:
        errs.add(row, col, f"{len(missing)} id(s) not found among coded segments (first {missing[0]}); "
                           "import the .qdpx project first")


def _rating(errs: _Errors, row: int, raw: str) -> int | None:
    if raw.upper() in ("", "NA", "N/A"):
        return None
    try:
        rating = int(float(raw))
        if not 0 <= rating <= 4 or float(raw) != rating:
            raise ValueError
    except ValueError:
        errs.add(row, "rating", f"{raw!r} is not an integer 0-4 (0 not held ... 4 routinely used / linked)")
        return None
    return rating


def _days(errs: _Errors, row: int, raw: str) -> float | None:
    if not raw:
        return None
    try:
        days = float(raw)
        if days < 0:
            raise ValueError
    except ValueError:
        errs.add(row, "time_to_access_days", f"{raw!r} is not a number of days >= 0")
        return None
    return days


def _iso_date(errs: _Errors, row: int, col: str, raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        errs.add(row, col, "is not an ISO date (YYYY-MM-DD)")
        return None


def _filled(rows: list[dict[str, str]]) -> list[tuple[int, dict[str, str]]]:
    """Rows with any value, numbered as the spreadsheet shows them (the header is row 1)."""
    return [(i, r) for i, r in enumerate(rows, start=2) if any(r.values())]


@template("ratings", ("site_id", "data_item", "dimension", "rating"),
          ("time_to_access_days", "system_name", "evidence", "source", "rater", "rated_at", "note"), "ratings")
def _ratings(sh: _Sheet) -> Writer:
    known, errs = _known_evidence(sh.con), sh.errs
    parsed: list[list[object]] = []
    for i, r in _filled(sh.rows):
        ev = _ids(r.get("evidence", ""))
        _check_evidence(errs, i, "evidence", ev, known)
        parsed.append([
            _site(errs, i, r.get("site_id", ""), sh.site, True),
            _choice(errs, i, "data_item", r.get("data_item", ""), DATA_ITEMS),
            _choice(errs, i, "dimension", r.get("dimension", ""), DIMENSIONS),
            _rating(errs, i, r.get("rating", "")),
            _free_text(errs, i, "system_name", r.get("system_name", ""), sh.roster),
            _days(errs, i, r.get("time_to_access_days", "")),
            ev or None,
            _choice(errs, i, "source", r.get("source", "") or "focus_group", SOURCES),
            r.get("rater") or "unknown",
            _iso_date(errs, i, "rated_at", r.get("rated_at", "")),
            _free_text(errs, i, "note", r.get("note", ""), sh.roster),
            sh.file,
        ])

    def write() -> int:
        cols = ["site_id", "data_item", "dimension", "rating", "system_name", "time_to_access_days",
                "evidence_segment_ids", "source", "rater", "rated_at", "note", "imported_from"]
        return insert_rows(sh.con, "syn_availability_rating", cols, parsed,
                           key=["site_id", "data_item", "dimension", "source", "rater"])

    return write


@template("framework", ("site_id", "theme", "summary"), ("supporting", "analyst"), "framework_cells")
def _framework(sh: _Sheet) -> Writer:
    known, errs = _known_evidence(sh.con), sh.errs
    parsed = []
    for i, r in _filled(sh.rows):
        s = _site(errs, i, r.get("site_id", ""), sh.site, True)
        if not r.get("theme"):
            errs.add(i, "theme", "is empty; give the theme name or id")
        ev = _ids(r.get("supporting", ""))
        _check_evidence(errs, i, "supporting", ev, known)
        parsed.append((s, r.get("theme", ""), _free_text(errs, i, "summary", r.get("summary", ""), sh.roster),
                       ev or None, r.get("analyst") or None))

    def write() -> int:
        for s, theme, summary, ev, analyst in parsed:
            sh.con.execute(
                "INSERT OR REPLACE INTO syn_framework_cell (case_kind, case_id, theme_id, summary, "
                "supporting_segment_ids, analyst, updated_at) VALUES ('site', ?, ?, ?, ?, ?, ?)",
                [s, _theme_id(sh.con, theme), summary, ev, analyst, datetime.now()])
        return len(parsed)

    return write


def _rq(errs: _Errors, row: int, rq: str) -> None:
    if rq not in RESEARCH_QUESTIONS:
        errs.add(row, "rq_id", f"{rq!r} is not a research question; allowed: {', '.join(RESEARCH_QUESTIONS)}"
                               f"{did_you_mean(rq, RESEARCH_QUESTIONS)}")


@template("findings", ("finding_id", "statement"), ("site_id", "rq_id", "theme", "confidence", "status", "evidence"),
          "findings")
def _findings(sh: _Sheet) -> Writer:
    known, errs = _known_evidence(sh.con), sh.errs
    parsed = []
    for i, r in _filled(sh.rows):
        if not r.get("finding_id"):
            errs.add(i, "finding_id", "is empty; give each finding a stable id such as F01")
        if not r.get("statement"):
            errs.add(i, "statement", "is empty")
        if r.get("rq_id"):
            _rq(errs, i, r["rq_id"])
        ev = _ids(r.get("evidence", ""))
        _check_evidence(errs, i, "evidence", ev, known)
        _free_text(errs, i, "statement", r.get("statement", ""), sh.roster)
        parsed.append((r.get("finding_id", ""), _site(errs, i, r.get("site_id", ""), sh.site, False),
                       r.get("rq_id") or None, r.get("statement", ""),
                       _choice(errs, i, "confidence", r.get("confidence", ""), CONFIDENCE, required=False),
                       r.get("status") or None, r.get("theme") or None, ev))

    def write() -> int:
        for fid, s, rq, statement, conf, status, theme, ev in parsed:
            theme_id = _theme_id(sh.con, theme) if theme else None
            sh.con.execute("INSERT OR REPLACE INTO findings (finding_id, site_id, rq_id, statement, confidence, "
                           "status, theme_id, imported_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [fid, s, rq, statement, conf, status, theme_id, sh.file])
            sh.con.execute("DELETE FROM syn_finding_evidence WHERE finding_id = ?", [fid])
            for e in ev:
                sh.con.execute("INSERT OR IGNORE INTO syn_finding_evidence (finding_id, evidence_kind, evidence_id, "
                               "role) VALUES (?, 'segment', ?, 'supports')", [fid, e])
        return len(parsed)

    return write


@template("triangulation", ("rq_id", "source_a", "source_b", "convergence"),
          ("site_id", "theme", "data_item", "dimension", "meaning_match", "prominence_match", "examples_match", "note",
           "assessor"), "triangulation_cells")
def _triangulation(sh: _Sheet) -> Writer:
    errs = sh.errs
    parsed = []
    for i, r in _filled(sh.rows):
        _rq(errs, i, r.get("rq_id", ""))
        parsed.append({
            "rq_id": r.get("rq_id", ""), "theme": r.get("theme") or None,
            "site_id": _site(errs, i, r.get("site_id", ""), sh.site, False),
            "data_item": _choice(errs, i, "data_item", r.get("data_item", ""), DATA_ITEMS, required=False),
            "dimension": _choice(errs, i, "dimension", r.get("dimension", ""), DIMENSIONS, required=False),
            "source_a": _choice(errs, i, "source_a", r.get("source_a", ""), SOURCES),
            "source_b": _choice(errs, i, "source_b", r.get("source_b", ""), SOURCES),
            "convergence": _choice(errs, i, "convergence", r.get("convergence", ""), CONVERGENCE),
            **{c: _bool(errs, i, c, r.get(c, "")) for c in ("meaning_match", "prominence_match", "examples_match")},
            "note": _free_text(errs, i, "note", r.get("note", ""), sh.roster),
            "assessor": r.get("assessor") or None,
        })

    def write() -> int:
        for cell in parsed:
            _write_triangulation_cell(sh.con, cell)
        return len(parsed)

    return write


_TRIANGULATION_KEY = ("rq_id", "theme_id", "site_id", "data_item", "dimension", "source_a", "source_b")
_TRIANGULATION_COLUMNS = (*_TRIANGULATION_KEY, "convergence", "meaning_match", "prominence_match", "examples_match",
                          "note", "assessor", "assessed_at")


def _write_triangulation_cell(con: duckdb.DuckDBPyConnection, cell: Mapping[str, object]) -> None:
    """Replace the assessed cell with the same key (NULL-safe) by this one."""
    theme = cell["theme"]
    values = {**cell, "theme_id": _theme_id(con, str(theme)) if theme else None, "assessed_at": datetime.now()}
    con.execute(
        "DELETE FROM syn_triangulation_cell WHERE rq_id = ? AND theme_id IS NOT DISTINCT FROM ? "
        "AND site_id IS NOT DISTINCT FROM ? AND data_item IS NOT DISTINCT FROM ? "
        "AND dimension IS NOT DISTINCT FROM ? AND source_a = ? AND source_b = ?",
        [values[k] for k in _TRIANGULATION_KEY],
    )
    con.execute(
        f"INSERT INTO syn_triangulation_cell ({', '.join(_TRIANGULATION_COLUMNS)}) "  # noqa: S608 (fixed names)
        f"VALUES ({', '.join('?' for _ in _TRIANGULATION_COLUMNS)})",
        [values[k] for k in _TRIANGULATION_COLUMNS],
    )


def import_spreadsheet(
    con: duckdb.DuckDBPyConnection, path: Path, site: str | None = None, roster: Iterable[str] = ()
) -> ImportReport:
    """Validate every table of a CSV/XLSX template file, then write them (all or nothing)."""
    path = Path(path)
    report = ImportReport(path.name, path.suffix.lower().lstrip("."))
    writers: list[tuple[TemplateKind, Writer]] = []
    all_errors: list[str] = []
    for sheet, names, rows in read_rows(path):
        label = path.name if path.suffix.lower() == ".csv" else f"{path.name} sheet {sheet!r}"
        sheet_name = sheet.strip().lower()
        kind = TEMPLATES.get(sheet_name) if sheet_name in TEMPLATES else detect_kind(names, label)
        missing = [c for c in kind.required if c not in names]
        if missing:
            raise DataError(f"{label}: missing required column(s) {', '.join(missing)} for a {kind.name} table")
        errs = _Errors(label)
        writers.append((kind, kind.parse(_Sheet(con, rows, errs, site, path.name, tuple(roster)))))
        all_errors.extend(f"{label}: {e}" for e in errs.items)
    if all_errors:
        shown = "; ".join(all_errors[:20])
        more = f"; ... {len(all_errors) - 20} more" if len(all_errors) > 20 else ""
        raise DataError(f"{len(all_errors)} problem(s) in {path.name}, nothing imported: {shown}{more}")
    for kind, write in writers:
        setattr(report, kind.report_field, getattr(report, kind.report_field) + write())
    return report
