"""CSV and XLSX downloads of exactly what a page shows, re-authorised on every request.

``GET /download/<table>.<csv|xlsx>?sites=fbs&scenario=...`` goes through
:func:`dashboard.tables.produce` like a page does, so a link shared with (or crafted by) someone
who may not see those sites returns 403 and nothing of them. Files carry the title, the extract
date, the notes and the symbols legend: the CSV as ``#`` comment lines above a plain header
(read it with ``pandas.read_csv(path, comment="#")``), the XLSX as Cover, Notes and Table sheets.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import flask
from openpyxl import Workbook
from openpyxl.styles import Font

from dashboard import queries as q
from dashboard.auth import current_viewer
from dashboard.context import current
from dashboard.tables import REGISTRY, TableResult, produce
from warehouse.disclosure import legend_rows
from warehouse.errors import AccessDenied

FORMATS = ("csv", "xlsx")


def _meta(result: TableResult, extract: str | None, as_of: str | None = None) -> list[tuple[str, str]]:
    lines = [
        ("Title", result.spec.title),
        ("Sites", ", ".join(result.scope.sites)),
        ("Data extract loaded", extract or "not recorded"),
        ("Data as of", as_of or "not recorded"),
        ("Downloaded", date.today().isoformat()),
    ]
    lines += [(f"Parameter {k}", v) for k, v in result.params.items()]
    lines += [("Note", n) for n in result.spec.notes]
    lines += [(f"Symbol {sym}", text) for sym, text in legend_rows()]
    return lines


def _cell(value: object) -> object:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return str(value)
    return value


def to_csv(result: TableResult, extract: str | None, as_of: str | None = None) -> bytes:
    """The table as CSV with ``#`` metadata lines (title, extract date, notes, legend) first."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for key, value in _meta(result, extract, as_of):
        buf.write(f"# {key}: {value}\n")
    writer.writerow([result.spec.label(c) for c in result.frame.columns])
    for row in result.frame.iter_rows():
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def to_xlsx(result: TableResult, extract: str | None, as_of: str | None = None) -> bytes:
    """The table as a workbook: Cover (title, extract date), Notes (notes + legend), Table."""
    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover["A1"] = result.spec.title
    cover["A1"].font = Font(bold=True, size=14)
    meta = _meta(result, extract, as_of)
    for i, (key, value) in enumerate(meta[1:5], start=3):
        cover.cell(row=i, column=1, value=key)
        cover.cell(row=i, column=2, value=value)
    cover.cell(row=9, column=1, value="This workbook has a Notes sheet and a Table sheet.")
    notes = wb.create_sheet("Notes")
    notes.append(["Item", "Text"])
    for key, value in meta[5:]:
        notes.append([key, value])
    table = wb.create_sheet("Table")
    table.append([result.spec.label(c) for c in result.frame.columns])
    for cell in table[1]:
        cell.font = Font(bold=True)
    for row in result.frame.iter_rows():
        table.append([_cell(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def install_downloads(server: flask.Flask) -> None:
    """Register ``/download/<table>.<fmt>`` on the Flask server."""

    @server.route("/download/<table_id>.<fmt>")
    def download(table_id: str, fmt: str) -> flask.Response:
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
        name = f"{table_id}_{'-'.join(result.scope.sites)}.{fmt}"
        if fmt == "csv":
            body, mime = to_csv(result, extract, as_of), "text/csv"
        else:
            body = to_xlsx(result, extract, as_of)
            mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        resp = flask.Response(body, mimetype=mime)
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return resp
