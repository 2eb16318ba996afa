"""Theory of change per site: the diagram (drawn in the browser), its table alternative, and each outcome's
evidence sources and figures (issue 19)."""

from __future__ import annotations

import dataclasses
from typing import Any

from dash import Dash, Input, Output, dcc, html

from dashboard import components as c
from dashboard import figures as fig
from dashboard.access import Viewer
from dashboard.auth import current_viewer
from dashboard.components import attrs
from dashboard.pages.common import PAGES, Page, guarded, requested_sites, site_names, table

try:  # the graph component; without it the page keeps the table alternative and the outcome list
    import dash_cytoscape as cyto
except ImportError:  # pragma: no cover - dash-cytoscape is a dependency
    cyto = None

PATH = "/toc"
NAME = "Theory of change"
TITLE = "Theory of change and outcome readiness"
#: boxes in rows by the links' direction (need -> activities -> mechanisms -> outcomes), top to bottom
LAYOUT = {"name": "breadthfirst", "directed": True, "spacingFactor": 1.05, "fit": True, "padding": 20}
DETAIL_COLUMNS = ("source", "reference_label", "readiness", "rule", "n_eligible", "n_scored",
                  "baseline_completeness", "n_baseline_scored", "n_retained", "followup_retention", "held_rating",
                  "linkage_scenario", "linkage_recall", "linkage_recall_low", "linkage_recall_high", "linkage_basis",
                  "months_to_target", "months_basis")


def layout(sites: str | None = None, outcome: str | None = None, **_: Any) -> html.Main:
    """The ToC page (``?sites=<one site>&outcome=<outcome id>`` restores a view)."""
    viewer = current_viewer()
    selected, notice = requested_sites(viewer, sites)
    names = site_names()
    graph: Any = (cyto.Cytoscape(id="toc-graph", elements=[], layout=LAYOUT,
                                 stylesheet=fig.TOC_STYLESHEET, style={"width": "100%", "height": "620px"},
                                 minZoom=0.3, maxZoom=2.5, autoungrabify=True)
                  if cyto is not None else html.P("The diagram needs dash-cytoscape; the table below holds it all."))
    parts: list[Any] = [
        html.H1(TITLE, id="page-title"),
        html.P("Each site's theory of change from its workshop: needs, activities, mechanisms and outcomes, with "
               "each outcome coloured and labelled by how ready its best evidence source is. Choose an outcome "
               "(in the diagram or the list) to see its evidence sources and the figures behind its readiness.",
               className="intro"),
    ]
    if notice:
        parts.append(html.P(notice, className="notice", role="status"))
    parts += [
        html.Div([c.labelled_dropdown("toc-sites", "Site", c.site_options(viewer.sites, names), selected[0])],
                 className="controls", role="group", **attrs(aria_label="Choose what to show")),
        dcc.Store(id="toc-outcome", data=outcome),
        html.P(html.A("Permalink to this view", id="toc-body-permalink", href="#"), className="permalink"),
        html.Section([html.H2("Diagram", id="h-toc-graph"), _key(),
                      html.Div(graph, role="img", className="toc-graph",
                               **attrs(aria_label="Theory of change diagram; the same content is in the table "
                                                  "below"))],
                     className="panel", **attrs(aria_labelledby="h-toc-graph")),
        html.Div(id="toc-detail", className="toc-detail", **attrs(aria_live="polite")),
        dcc.Loading(html.Div(id="toc-body", **attrs(aria_live="polite")), type="default"),
        c.legend(),
    ]
    return html.Main(parts, id="main")


def _key() -> html.Ul:
    """The colour key (each outcome's label also says its readiness in words)."""
    return html.Ul([html.Li([html.Span(className="swatch", style={"backgroundColor": colour,
                                                                   "borderStyle": border}), words])
                    for words, (colour, border) in fig.READINESS_STYLE.items()], className="toc-key")


def _site(viewer: Viewer, site: object) -> str:
    """The one site asked for, if permitted (AccessDenied otherwise: the callback answers 204)."""
    return viewer.scope(site if isinstance(site, str | list) else None).sites[0]


def toc_view(viewer: Viewer, site: object) -> tuple[list[dict[str, Any]], list[Any], str]:
    """Diagram elements, the outcome list and table alternative, and the permalink for one site."""
    sid = _site(viewer, site)
    nodes = table(viewer, "toc_nodes", [sid])
    if nodes.empty:
        return [], [c.no_data(nodes.spec.title, "toc-none")], c.permalink(PATH, {"sites": sid})
    outcomes = nodes.frame.filter(nodes.frame["is_outcome"])
    links = [html.Li(dcc.Link(f"{r['box']}: {r['readiness'] or 'readiness not known'}", id=f"toc-outcome-{r['node_id']}",
                              href=c.permalink(PATH, {"sites": sid, "outcome": r["node_id"]})))
             for r in outcomes.iter_rows(named=True)]
    body = [html.P(f"{site_names()[sid]}: theory of change version {nodes.frame['version'][0]}"
                   if "version" in nodes.frame.columns else f"{site_names()[sid]}: theory of change",
                   id="toc-site-title", className="lead"),
            c.tabbed("toc-tabs", [
                html.Section([html.H2("Outcomes", id="h-toc-outcomes"), html.Ul(links, className="toc-outcomes")],
                             className="panel", **attrs(aria_labelledby="h-toc-outcomes")),
                c.panel(nodes, columns=("stage", "box", "leads_to", "readiness"))], name="Outcomes and table")]
    return fig.toc_elements(nodes.frame), body, c.permalink(PATH, {"sites": sid})


def outcome_detail(viewer: Viewer, site: object, outcome: object) -> list[Any]:
    """One outcome's evidence sources with the figures behind its readiness (as published)."""
    sid = _site(viewer, site)
    ready = table(viewer, "outcome_readiness", [sid])
    if ready.empty:
        return [c.no_data(ready.spec.title, "toc-detail-none")]
    if not isinstance(outcome, str) or outcome not in ready.frame["outcome_id"].to_list():
        return [html.P("Choose an outcome in the diagram or the list to see its evidence sources.",
                       id="toc-detail-prompt")]
    rows = ready.frame.filter(ready.frame["outcome_id"] == outcome)
    first = rows.row(0, named=True)
    shown = dataclasses.replace(ready, frame=rows)
    return [html.Section([
        html.H2(f"{first['outcome_name']}: {first['outcome_readiness']}", id="h-toc-detail"),
        html.P(f"{first['outcome_kind']}. Evidence sources: {rows.height}; readiness is that of the best one.",
               id="toc-detail-summary"),
        c.data_table(shown, "toc-detail-table", columns=DETAIL_COLUMNS), c.notes(ready), c.download_links(ready),
    ], className="panel", **attrs(aria_labelledby="h-toc-detail"))]


def _tapped(outcome: str | None, tapped: dict[str, Any] | None) -> str | None:
    return str(tapped["id"]) if isinstance(tapped, dict) and tapped.get("id") else outcome


def register_callbacks(app: Dash) -> None:
    """Attach this page's callbacks to ``app``."""
    c.register_tabs(app)

    @app.callback(Output("toc-body", "children"), Output("toc-body-permalink", "href"),
                  *([Output("toc-graph", "elements")] if cyto is not None else []), Input("toc-sites", "value"))
    @guarded
    def toc_diagram(site: str | list[str] | None) -> tuple[Any, ...]:
        elements, body, href = toc_view(current_viewer(), site)
        return (body, href, elements) if cyto is not None else (body, href)

    @app.callback(Output("toc-detail", "children"), Input("toc-sites", "value"), Input("toc-outcome", "data"),
                  *([Input("toc-graph", "tapNodeData")] if cyto is not None else []))
    @guarded
    def toc_outcome(site: str | list[str] | None, outcome: str | None, tapped: Any = None) -> list[Any]:
        return outcome_detail(current_viewer(), site, _tapped(outcome, tapped))


PAGE = PAGES.register(Page("toc", NAME, PATH, TITLE, layout, register_callbacks, order=7, in_nav=True,
                           site_users=True))
