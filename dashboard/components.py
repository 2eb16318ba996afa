"""Reusable page pieces: accessible tables, the symbols legend, download links, notices."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any
from urllib.parse import urlencode

from dash import dcc, html

from dashboard.labels import CODE_COLUMNS, plain
from dashboard.tables import TableResult
from warehouse.disclosure import legend_rows

NO_DATA = "No data yet"


def fmt(value: object, percent: bool = False) -> str:
    """Format one cell for display (symbols pass through unchanged)."""
    if value is None:
        return "[x]"
    if isinstance(value, str):
        if percent and not value.startswith("["):
            try:
                return f"{float(value) * 100:.1f}%"
            except ValueError:
                return value
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if percent:
            return f"{value * 100:.1f}%"
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def data_table(result: TableResult, table_id: str | None = None, max_rows: int = 200,
               columns: Sequence[str] | None = None) -> html.Div | dcc.Markdown:
    """An accessible HTML table (caption, scoped headers, numeric cells right-aligned).

    Rendered as one HTML fragment (escaped) inside a single component: the Dash renderer takes
    seconds to mount thousands of html.Td components, a browser parses the same table instantly.
    """
    spec = result.spec
    dom_id = table_id or f"tbl-{spec.table_id}"
    if result.empty:
        return no_data(spec.title, dom_id)
    frame = result.frame
    cols = [c for c in (columns or frame.columns) if c in frame.columns]
    numeric = {c for c, t in frame.schema.items() if t.is_numeric()} | set(result.count_columns) | set(spec.percent)

    def cls(c: str) -> str:
        names = " ".join(x for x in ("num" if c in numeric else "", "count" if c in result.count_columns else "") if x)
        return f' class="{names}"' if names else ""

    head = "".join(f'<th scope="col"{cls(c)}>{escape(spec.label(c))}</th>' for c in cols)
    rows = []
    for row in frame.head(max_rows).iter_rows(named=True):
        cells = []
        for i, c in enumerate(cols):
            tag, scope = ("th", ' scope="row"') if i == 0 else ("td", "")
            value = row[c]
            if c in CODE_COLUMNS and isinstance(value, str) and not value.startswith("["):
                value = plain(CODE_COLUMNS[c], value)
            text = fmt(value, c in spec.percent)
            if i == 0 and not text.strip():
                text = "(none)"  # a row header needs text
            cells.append(f"<{tag}{scope}{cls(c)}>{escape(text)}</{tag}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if frame.height > max_rows:
        more = f"<p>Showing {max_rows:,} of {frame.height:,} rows; download the table for all of them.</p>"
    fragment = (
        f'<div class="table-wrap" tabindex="0" role="region" aria-label="{escape(spec.title)}: table">'
        f'<table class="data-table" id="{escape(dom_id)}"><caption>{escape(spec.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}</div>"
    )
    return dcc.Markdown(fragment.replace("\n", " "), dangerously_allow_html=True, className="table-host")


def no_data(title: str, dom_id: str | None = None) -> html.Div:
    """The notice shown when a table or view has no rows yet (or does not exist yet)."""
    return html.Div([html.Strong(f"{title}: "), f"{NO_DATA}. This appears once the stage that produces it has run."],
                    className="no-data", id=dom_id or "no-data")


def legend() -> html.Details:
    """The symbols legend shown on every page."""
    return html.Details([
        html.Summary("Symbols used in tables"),
        html.Dl([item for sym, text in legend_rows() for item in (html.Dt(sym), html.Dd(text))]),
    ], className="legend", open=True)


def download_links(result: TableResult) -> html.P:
    """CSV and XLSX links for exactly what is shown (the server re-checks permission on download)."""
    query = urlencode({"sites": ",".join(result.scope.sites), **result.params})
    base = f"/download/{result.spec.table_id}"
    return html.P([
        "Download ",
        html.A(f"{result.spec.title} (CSV)", href=f"{base}.csv?{query}", className="dl", download=""),
        " · ",
        html.A(f"{result.spec.title} (XLSX)", href=f"{base}.xlsx?{query}", className="dl", download=""),
        " · ",
        html.A("about this table (CSV)", href=f"{base}.metadata.csv?{query}", className="dl-meta", download=""),
    ], className="downloads")


def notes(result: TableResult) -> html.Ul:
    """The table's notes as a list."""
    return html.Ul([html.Li(n) for n in result.spec.notes], className="notes")


def attrs(**values: str) -> dict[str, Any]:
    """HTML attributes whose names have hyphens (``aria_label`` -> ``aria-label``) for Dash components."""
    return {k.replace("_", "-"): v for k, v in values.items()}


def panel(result: TableResult, figure: object | None = None, figure_id: str | None = None,
          columns: Sequence[str] | None = None) -> html.Section:
    """A chart (optional) with its table alternative, notes and downloads."""
    title_id = f"h-{result.spec.table_id}"
    parts: list[Any] = [html.H2(result.spec.title, id=title_id)]
    if result.empty:
        parts.append(no_data(result.spec.title, f"tbl-{result.spec.table_id}"))
        return html.Section(parts, className="panel", **attrs(aria_labelledby=title_id))
    if figure is not None:
        parts.append(dcc.Graph(figure=figure, id=figure_id or f"fig-{result.spec.table_id}",
                               config={"displaylogo": False, "responsive": True}))
        parts.append(html.Details([html.Summary("Show the chart as a table"), data_table(result, columns=columns)],
                                  open=False, className="table-alt"))
    else:
        parts.append(data_table(result, columns=columns))
    parts += [notes(result), download_links(result)]
    return html.Section(parts, className="panel", **attrs(aria_labelledby=title_id))


def labelled_dropdown(dom_id: str, label: str, options: Sequence[object], value: Any,
                      multi: bool = False) -> html.Div:
    """A dcc.Dropdown with a visible label bound to it."""
    return html.Div([
        html.Label(label, htmlFor=dom_id, id=f"{dom_id}-label"),
        dcc.Dropdown(id=dom_id, options=list(options), value=value, multi=multi, clearable=False,
                     searchable=False),
    ], className="control")


def site_options(sites: Sequence[str], names: dict[str, str]) -> list[dict[str, str]]:
    """Dropdown options for the sites a viewer may see."""
    return [{"label": names.get(s, s), "value": s} for s in sites]


def permalink(path: str, state: dict[str, object]) -> str:
    """The URL that reproduces a page's state (validated again when opened)."""
    clean = {k: (",".join(v) if isinstance(v, list | tuple) else v) for k, v in state.items() if v not in (None, "", [])}
    return path + ("?" + urlencode(clean) if clean else "")



def panel_title(section: Any) -> str:
    """The heading text of a :func:`panel` (its first ``H2``), or ``""``."""
    for child in getattr(section, "children", None) or []:
        if isinstance(child, html.H2):
            return str(child.children)
    return ""


def tabbed(dom_id: str, sections: Sequence[Any], selected: int = 0) -> dcc.Tabs | Any:
    """Panels as tabs, one per panel, labelled by the panel's heading, so a page is one screen, not a long scroll.

    A single panel is returned as it is. Tab ids are ``{dom_id}-tab-{i}``; the chosen tab survives a redraw of
    the same page (``persistence``), and each tab's content is the panel itself (chart, table, notes, downloads).
    """
    items = list(sections)
    if len(items) <= 1:
        return items[0] if items else html.Div()
    tabs = [dcc.Tab(item, label=panel_title(item) or f"Part {i + 1}", value=f"{dom_id}-tab-{i}",
                    id=f"{dom_id}-tab-{i}", className="tab", selected_className="tab tab--selected")
            for i, item in enumerate(items)]
    return dcc.Tabs(tabs, id=dom_id, value=f"{dom_id}-tab-{min(selected, len(items) - 1)}", className="tabs",
                    persistence=True, persistence_type="session")
