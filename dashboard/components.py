"""Reusable page pieces: accessible tables, the symbols legend, download links, notices."""

from __future__ import annotations

import dataclasses
import json
import weakref
from collections.abc import Sequence
from html import escape
from typing import Any
from urllib.parse import urlencode

import polars as pl
from dash import ALL, MATCH, Input, Output, State, dcc, html

from dashboard.labels import CODE_COLUMNS, plain
from dashboard.tables import TableResult, years_and_months
from warehouse.disclosure import NOT_AVAILABLE, legend_rows

NO_DATA = "No data yet"


#: How a number column is shown, by kind (columns a table declares as counts or percentages get those kinds
#: from its spec; the rest are named here). Downloads keep the numbers; this is for pages only.
NUMBER_KINDS: dict[str, str] = {
    "months_to_target": "months", "monthly_referrals": "per_month", "analysable_per_month": "per_month",
    "balance": "balance", "match_weight": "weight", "weight": "weight", "probability": "percent",
    "target_n": "count", "n_before": "count", "data_items_routine": "count", "data_items_rated": "count",
    "horizon_months": "whole", "time_to_access_days": "whole", "rating": "whole", "held_rating": "whole",
    "outcome_level": "whole", "step_no": "whole",
}
#: Column -> the column beside it that says the same in words (pages show the words; downloads keep both).
SAID_BY = {"site_id": "site", "data_item": "data_item_label", "months_to_target": "time_to_target"}
#: Column headings that change with the kind's words (months shown as years and months).
KIND_HEADINGS = {"months": "Time to target"}
_KINDS = ("count", "whole", "percent", "months", "per_month", "balance", "weight")


def column_kind(result: TableResult, column: str) -> str | None:
    """The kind of number a column holds: ``percent`` (declared by the table), ``count`` (a declared count),
    or the kind :data:`NUMBER_KINDS` names (``whole``, ``months``, ``per_month``, ``balance``, ``weight``); ``None`` for text
    and anything else."""
    spec = result.spec
    if column in spec.percent:
        return "percent"
    counts = set(result.count_columns) | set(spec.disclosure.counts if spec.disclosure else ())
    if column in counts:
        return "count"
    return NUMBER_KINDS.get(column)


def _number(value: object) -> float | None:
    """A number from a cell that may hold one as text (suppressed frames hold their figures as text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", ""))
        except ValueError:
            return None
    return None


def fmt(value: object, percent: bool = False, kind: str | None = None) -> str:
    """Format one cell for display, the same way for every column of a kind (symbols pass through unchanged).

    Kinds: ``count`` (and ``whole``: ratings, days, step numbers) whole numbers with thousands separators
    (``1,065``; expected counts are rounded);
    ``percent`` a share as % to one decimal (``59.5%``); ``months`` in years and months (``2 years 3 months``);
    ``per_month`` one decimal (``under 0.1`` for a small non-zero flow); ``balance`` and ``weight`` signed, two
    decimals (``+0.33``). Without a kind: ints with separators, floats to two decimals, text unchanged.
    ``percent=True`` is ``kind="percent"``.

    Example:
        >>> fmt("0.5952", kind="percent"), fmt(863.27, kind="count"), fmt("1064", kind="count"), fmt(26.2, kind="months")
        ('59.5%', '863', '1,064', '2 years 3 months')
    """
    kind = "percent" if percent else kind
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, str) and (value.startswith("[") or not value.strip()):
        return value  # a symbol ([c], [x], ...) or blank
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    number = _number(value) if kind in _KINDS else None
    if number is not None and number == number:  # not NaN
        return _kind_text(number, str(kind))
    if isinstance(value, float):
        return NOT_AVAILABLE if value != value else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _kind_text(number: float, kind: str) -> str:
    if kind == "percent":
        return f"{number * 100:.1f}%"
    if kind in ("count", "whole"):
        return f"{round(number):,}"
    if kind == "months":
        return years_and_months(number) or NOT_AVAILABLE
    if kind == "per_month":
        return "under 0.1" if 0 < abs(number) < 0.05 else f"{number:,.1f}"
    return f"{number:+.2f}"  # balance, weight


def data_table(result: TableResult, table_id: str | None = None, max_rows: int = 200,
               columns: Sequence[str] | None = None, caption: str | None = None,
               transpose: bool = False) -> html.Div | dcc.Markdown:
    """An accessible HTML table (caption, scoped headers, numeric cells right-aligned).

    Rendered as one HTML fragment (escaped) inside a single component: the Dash renderer takes
    seconds to mount thousands of html.Td components, a browser parses the same table instantly.
    ``transpose`` shows a wide table of a few rows (one per site) as a row per column and a column per
    site, so long text does not squeeze a dozen columns into tall, narrow cells.
    """
    spec = result.spec
    dom_id = table_id or f"tbl-{spec.table_id}"
    if result.empty:
        return no_data(spec.title, dom_id)
    title = caption or spec.title
    frame = result.frame
    cols = [c for c in (columns or frame.columns) if c in frame.columns]
    cols = [c for c in cols if SAID_BY.get(c) not in cols]
    kinds = {c: column_kind(result, c) for c in cols}
    numeric = {c for c, t in frame.schema.items() if t.is_numeric()} | {c for c, k in kinds.items() if k}

    def cls(c: str) -> str:
        names = " ".join(x for x in ("num" if c in numeric else "", "count" if c in result.count_columns else "") if x)
        return f' class="{names}"' if names else ""

    def text(row: dict[str, Any], c: str, header: bool = False) -> str:
        value = row[c]
        if c in CODE_COLUMNS and isinstance(value, str) and not value.startswith("["):
            value = plain(CODE_COLUMNS[c], value)
        out = fmt(value, kind=kinds[c])
        return "(none)" if header and not out.strip() else out  # a header cell needs text

    shown = list(frame.head(max_rows).iter_rows(named=True))
    if transpose:
        key = "site" if "site" in cols else cols[0]
        head = '<th scope="col">Figure</th>' + "".join(f'<th scope="col">{escape(text(r, key, True))}</th>'
                                                      for r in shown)
        rows = [f'<tr><th scope="row">{escape(heading(result, c))}</th>'
                + "".join(f"<td{cls(c)}>{escape(text(r, c))}</td>" for r in shown) + "</tr>"
                for c in cols if c not in (key, "site_id")]
    else:
        head = "".join(f'<th scope="col"{cls(c)}>{escape(heading(result, c))}</th>' for c in cols)
        rows = ["<tr>" + "".join(f'<th scope="row"{cls(c)}>{escape(text(r, c, True))}</th>' if i == 0
                                 else f"<td{cls(c)}>{escape(text(r, c))}</td>" for i, c in enumerate(cols))
                + "</tr>" for r in shown]
    more = ""
    if frame.height > max_rows:
        more = f"<p>Showing {max_rows:,} of {frame.height:,} rows; download the table for all of them.</p>"
    fragment = (
        f'<div class="table-wrap" tabindex="0" role="region" aria-label="{escape(title)}: table">'
        f'<table class="data-table{" data-table--transposed" if transpose else ""}" id="{escape(dom_id)}">'
        f"<caption>{escape(title)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}</div>"
    )
    return dcc.Markdown(fragment.replace("\n", " "), dangerously_allow_html=True, className="table-host")


def heading(result: TableResult, column: str) -> str:
    """A column's heading on a page: the table's label, or the words of its kind (months -> "Time to target")."""
    return KIND_HEADINGS.get(column_kind(result, column) or "", result.spec.label(column))


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
    return html.Ul([html.Li(n) for n in result.notes], className="notes")


def attrs(**values: str) -> dict[str, Any]:
    """HTML attributes whose names have hyphens (``aria_label`` -> ``aria-label``) for Dash components."""
    return {k.replace("_", "-"): v for k, v in values.items()}


def panel(result: TableResult, figure: object | None = None, figure_id: str | None = None,
          columns: Sequence[str] | None = None, transpose: bool = False) -> html.Section:
    """A chart (optional) with its table alternative, notes and downloads (``transpose``: see :func:`data_table`)."""
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
        parts.append(data_table(result, columns=columns, transpose=transpose))
    parts += [notes(result), download_links(result)]
    return html.Section(parts, className="panel", **attrs(aria_labelledby=title_id))


def panel_by(result: TableResult, column: str, dom_id: str, name: str) -> html.Section:
    """A long table as one tab per value of ``column`` (a site, a construct), each tab the rows for that value
    (captioned with it), with the notes and the downloads (the whole table) once below; an ordinary
    :func:`panel` when the table is empty, lacks the column or has one value. The section keeps the id
    ``tbl-<table>``, the tables inside are ``tbl-<table>-<i>``."""
    frame = result.frame
    values = [] if result.empty or column not in frame.columns else frame[column].unique(maintain_order=True).to_list()
    if len(values) < 2:
        return panel(result)
    spec = result.spec
    title_id = f"h-{spec.table_id}"
    words = [plain(CODE_COLUMNS[column], v) if column in CODE_COLUMNS else fmt(v) for v in values]
    parts = [data_table(dataclasses.replace(result, frame=frame.filter(pl.col(column) == v)), f"tbl-{spec.table_id}-{i}",
                        caption=f"{spec.title}: {words[i]}") for i, v in enumerate(values)]
    return html.Section([html.H2(spec.title, id=title_id), tabbed(dom_id, parts, labels=words, name=name),
                         notes(result), download_links(result)],
                        className="panel", id=f"tbl-{spec.table_id}", **attrs(aria_labelledby=title_id))


def labelled_dropdown(dom_id: str, label: str, options: Sequence[object], value: Any,
                      multi: bool = False, wide: bool = False) -> html.Div:
    """A dcc.Dropdown with a visible label bound to it (``wide``: a row of its own, for long option labels)."""
    return html.Div([
        html.Label(label, htmlFor=dom_id, id=f"{dom_id}-label"),
        dcc.Dropdown(id=dom_id, options=list(options), value=value, multi=multi, clearable=False,
                     searchable=False),
    ], className="control control--wide" if wide else "control")


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


TAB = "lr-tab"
TAB_PANEL = "lr-tabpanel"


def dash_dom_id(component_id: dict[str, Any]) -> str:
    """The DOM ``id`` Dash gives a pattern-matching (dict) id: keys sorted, JSON without spaces."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def tabbed(dom_id: str, sections: Sequence[Any], selected: int = 0, labels: Sequence[str] | None = None,
           name: str = "Parts of this page") -> Any:
    """Panels as tabs, one per panel, labelled by the panel's heading, so a page is one screen, not a long scroll.

    An ARIA tab list (``role=tablist`` named ``name``; each tab a ``<button role=tab>`` with ``aria-selected`` and
    ``aria-controls``; each panel ``role=tabpanel`` labelled by its tab), switched in the browser by one
    clientside callback (:func:`register_tabs`), so keyboard users reach every tab with Tab and Enter. Every
    panel stays in the page (hidden, not removed): its tables, downloads and ids are all there, and printing
    shows them all. The chosen tab is kept for the session per tab list (a redraw after a control changes
    keeps it). A single section is returned as it is.

    Args:
        dom_id: the tab list's id; the visible label of tab ``i`` has id ``{dom_id}-tab-{i}`` (clickable).
        sections: the panels (:func:`panel` sections or any component).
        selected: index of the tab shown first.
        labels: tab labels; by default each panel's ``H2``.
        name: the tab list's accessible name.

    Example:
        >>> tabs = tabbed("demo", [html.Section([html.H2("First")]), html.Section([html.H2("Second")])])
        >>> [b.children.children for b in tabs.children[0].children]
        ['First', 'Second']
    """
    items = list(sections)
    if len(items) <= 1:
        return items[0] if items else html.Div()
    titles = list(labels) if labels else [panel_title(item) or f"Part {i + 1}" for i, item in enumerate(items)]
    chosen = min(max(selected, 0), len(items) - 1)
    buttons, panels = [], []
    for i, (item, title) in enumerate(zip(items, titles, strict=True)):
        tab_id = {"type": TAB, "set": dom_id, "index": i}
        panel_id = {"type": TAB_PANEL, "set": dom_id, "index": i}
        on = i == chosen
        buttons.append(html.Button(html.Span(title, id=f"{dom_id}-tab-{i}"), id=tab_id, type="button", role="tab",
                                   n_clicks=0, className="tab tab--selected" if on else "tab",
                                   **attrs(aria_selected="true" if on else "false",
                                           aria_controls=dash_dom_id(panel_id))))
        panels.append(html.Div(item, id=panel_id, role="tabpanel", hidden=not on, className="tab-panel",
                               **attrs(aria_labelledby=dash_dom_id(tab_id))))
    return html.Div([html.Div(buttons, id=dom_id, role="tablist", className="tab-list", **attrs(aria_label=name)),
                     *panels], className="tabs", id=f"{dom_id}-parent")


#: Switches a tab list in the browser (no round trip); remembers the choice per list for the session.
_SWITCH_TAB = """
function(clicks, ids) {
    const ctx = window.dash_clientside.callback_context;
    const keep = 'linkready-tab:' + (ids.length ? ids[0].set : '');
    let chosen = null;
    const hit = ctx.triggered && ctx.triggered.length ? ctx.triggered[0] : null;
    if (hit && hit.value && hit.prop_id.endsWith('.n_clicks')) {
        chosen = JSON.parse(hit.prop_id.slice(0, -'.n_clicks'.length)).index;
        try { window.sessionStorage.setItem(keep, String(chosen)); } catch (e) { /* storage off: still switch */ }
    } else {
        let kept = NaN;
        try { kept = parseInt(window.sessionStorage.getItem(keep) || '', 10); } catch (e) { kept = NaN; }
        if (isNaN(kept) || !ids.some(i => i.index === kept)) {
            const none = window.dash_clientside.no_update;
            return [none, none, none];
        }
        chosen = kept;
    }
    return [ids.map(i => i.index === chosen ? 'true' : 'false'),
            ids.map(i => i.index === chosen ? 'tab tab--selected' : 'tab'),
            ids.map(i => i.index !== chosen)];
}
"""
_TABS_REGISTERED: weakref.WeakSet[Any] = weakref.WeakSet()


def register_tabs(app: Any) -> None:
    """Attach the clientside callback that switches every :func:`tabbed` list (once per app; pages that use
    tabs each call this)."""
    if app in _TABS_REGISTERED:
        return
    _TABS_REGISTERED.add(app)
    app.clientside_callback(
        _SWITCH_TAB,
        Output({"type": TAB, "set": MATCH, "index": ALL}, "aria-selected"),
        Output({"type": TAB, "set": MATCH, "index": ALL}, "className"),
        Output({"type": TAB_PANEL, "set": MATCH, "index": ALL}, "hidden"),
        Input({"type": TAB, "set": MATCH, "index": ALL}, "n_clicks"),
        State({"type": TAB, "set": MATCH, "index": ALL}, "id"),
    )
