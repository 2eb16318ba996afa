"""CSV and XLSX downloads of exactly what a page shows, re-authorised on every request.

``GET /download/<table>.<csv|xlsx>?sites=fbs&scenario=...`` goes through
:func:`dashboard.tables.produce` like a page does, so a link shared with (or crafted by) someone
who may not see those sites returns 403 and nothing of them. The CSV is the table alone (a header
row and data rows, as EES publishes them: ``pandas.read_csv(url)`` needs no options); its metadata
(title, sites, extract date, parameters, notes, symbols legend) is a second file,
``GET /download/<table>.metadata.csv``. The XLSX holds Cover, Notes and Table sheets.
Every text cell is made inert for spreadsheets (:func:`warehouse.disclosure.neutralise_formula`).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import flask
from openpyxl import Workbook
from openpyxl.styles import Font

from dashboard import queries as q
from dashboard.auth import current_viewer
from dashboard.context import current
from dashboard.tables import REGISTRY, TableResult, produce
from warehouse.disclosure import legend_rows, neutralise_formula
from warehouse.errors import AccessDenied

FORMATS = ("csv", "xlsx", "metadata.csv")


def _meta(result: TableResult, extract: str | None, as_of: str | None = None) -> list[tuple[str, str]]:
    lines = [
        ("Title", result.spec.title),
        ("Sites", ", ".join(result.scope.sites)),
        ("Data extract loaded", extract or "not recorded"),
        ("Data as of", as_of or "not recorded"),
        ("Downloaded", date.today().isoformat()),
    ]
    lines += [(f"Parameter {k}", v) for k, v in result.params.items()]
    lines += [("Note", n) for n in result.notes]
    lines += [(f"Symbol {sym}", text) for sym, text in legend_rows()]
    return lines


def _cell(value: object) -> object:
    """One value as a file cell: lists joined, text made inert for spreadsheets (a leading = + - @ tab or CR
    gets an apostrophe), numbers left as numbers."""
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = str(value)
    if isinstance(value, str):
        return neutralise_formula(value)
    return value


def _typed(value: object, numeric: bool) -> object:
    """A cell for XLSX: numbers (also a count or rate that suppression turned into text) as numbers."""
    if numeric and isinstance(value, str) and not value.startswith("["):
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            return _cell(value)
        return int(number) if number.is_integer() and "." not in value else number
    return _cell(value)


def to_csv(result: TableResult) -> bytes:
    """The table alone as CSV: one header row of column labels, then the rows (CRLF, UTF-8)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # fields holding a CR or LF are quoted
    writer.writerow([_cell(result.spec.label(c)) for c in result.frame.columns])
    for row in result.frame.iter_rows():
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def metadata_csv(result: TableResult, extract: str | None, as_of: str | None = None) -> bytes:
    """The table's metadata as a two-column CSV (item, text): title, sites, dates, parameters, notes, legend."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["item", "text"])
    for key, value in _meta(result, extract, as_of):
        writer.writerow([_cell(key), _cell(str(value))])
    return buf.getvalue().encode("utf-8")


def to_xlsx(result: TableResult, extract: str | None, as_of: str | None = None) -> bytes:
    """The table as a workbook: Cover (title, extract date), Notes (notes + legend), Table.

    Text cells are stored with the string type (never as formulas); counts and rates are numbers."""
    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    _put(cover, 1, 1, result.spec.title).font = Font(bold=True, size=14)
    meta = _meta(result, extract, as_of)
    for i, (key, value) in enumerate(meta[1:5], start=3):
        _put(cover, i, 1, key)
        _put(cover, i, 2, value)
    _put(cover, 9, 1, "This workbook has a Notes sheet and a Table sheet.")
    notes = wb.create_sheet("Notes")
    _put(notes, 1, 1, "Item")
    _put(notes, 1, 2, "Text")
    for i, (key, value) in enumerate(meta[5:], start=2):
        _put(notes, i, 1, key)
        _put(notes, i, 2, value)
    table = wb.create_sheet("Table")
    numeric = set(result.count_columns) | set(result.spec.percent) | {
        c for c, t in result.frame.schema.items() if t.is_numeric()}
    for j, col in enumerate(result.frame.columns, start=1):
        _put(table, 1, j, result.spec.label(col)).font = Font(bold=True)
    for i, row in enumerate(result.frame.iter_rows(), start=2):
        for j, (col, value) in enumerate(zip(result.frame.columns, row, strict=True), start=1):
            cell = _put(table, i, j, _typed(value, col in numeric))
            if col in result.spec.percent and isinstance(cell.value, int | float):
                cell.number_format = "0.0%"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _put(sheet: Any, row: int, col: int, value: object) -> Any:
    """Write one cell; text is neutralised and typed as a string, so no cell is ever a formula."""
    cell = sheet.cell(row=row, column=col)
    value = _cell(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def audit_csv(rows: list[dict[str, str]]) -> bytes:
    """Audit lines as a tidy CSV (readable times, plain actions), every text cell inert."""
    from dashboard.pages.audit import ACTIONS, readable_detail, readable_time

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["When (UTC)", "Time (ISO 8601)", "User", "Action", "What", "Sites", "Detail"])
    for r in rows:
        writer.writerow([_cell(x) for x in (readable_time(r["at"]), r["at"], r["username"],
                                             ACTIONS.get(r["action"], r["action"]), r["what"], r["sites"],
                                             readable_detail(r["detail"]))])
    return buf.getvalue().encode("utf-8")


def install_downloads(server: flask.Flask) -> None:
    """Register ``/download/<table>.<fmt>`` and ``/audit/export.csv`` (administrators) on the Flask server."""

    @server.route("/audit/export.csv")
    def audit_export() -> flask.Response:
        from dashboard.pages.audit import filters

        viewer = current_viewer()
        if viewer.role != "admin":
            return flask.Response("not permitted", status=403, mimetype="text/plain")
        a = flask.request.args
        chosen = filters(a.get("user"), a.get("site"), a.get("action"), a.get("day"))
        rows = current().accounts.audit_entries(100_000, chosen.get("user"), chosen.get("site"), chosen.get("action"),
                                                chosen.get("day"))
        current().accounts.audit(viewer.username, "download", "audit_log", (), dict(chosen))
        resp = flask.Response(audit_csv(rows), mimetype="text/csv")
        resp.headers["Content-Disposition"] = 'attachment; filename="audit_log.csv"'
        return resp

    @server.route("/download/<name>")
    def download(name: str) -> flask.Response:
        table_id, _, fmt = name.partition(".")
        if table_id not in REGISTRY or fmt not in FORMATS:
            return flask.Response("unknown download", status=404, mimetype="text/plain")
        ctx = current()
        viewer = current_viewer()
        params = {k: v for k, v in flask.request.args.items() if k != "sites"}
        try:
            result = produce(ctx, viewer, table_id, flask.request.args.get("sites") or None, params, action="download")
        except AccessDenied:
            ctx.accounts.audit(viewer.username, "refused", table_id, (), {"sites": flask.request.args.get("sites")})
            return flask.Response("not permitted", status=403, mimetype="text/plain")
        cur = ctx.cursor()
        extract, as_of = q.data_loaded(cur), q.data_as_of(cur)
        filename = f"{table_id}_{'-'.join(result.scope.sites)}.{fmt}"
        if fmt == "csv":
            body, mime = to_csv(result), "text/csv"
        elif fmt == "metadata.csv":
            body, mime = metadata_csv(result, extract, as_of), "text/csv"
        else:
            body = to_xlsx(result, extract, as_of)
            mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        resp = flask.Response(body, mimetype=mime)
        resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return resp
