"""Linkage feasibility: scenario table per site, subgroup bias chart, and one pair's weights explained."""

from __future__ import annotations

from typing import Any

import polars as pl
from dash import Dash, Input, Output, html

from dashboard import components as c
from dashboard import figures as fig
from dashboard import queries as q
from dashboard.auth import current_viewer
from dashboard.context import current
from dashboard.pages.common import (
    PAGES,
    Page,
    choices,
    guarded,
    param_control,
    pick,
    requested_sites,
    shell,
    site_control,
    site_user_notice,
    table,
)

PATH = "/linkage"
NAME = "Linkage feasibility"
TITLE = "Linkage feasibility"


def layout(sites: str | None = None, scenario: str | None = None, subgroup_type: str | None = None,
           pair: str | None = None, **_: Any) -> html.Main:
    """The linkage page (``?sites=&scenario=&subgroup_type=&pair=`` restores a view)."""
    viewer = current_viewer()
    if viewer.is_site_user:
        return site_user_notice(viewer)
    selected, notice = requested_sites(viewer, sites)
    scenarios = choices(viewer, "linkage_subgroups", "scenario")
    kinds = choices(viewer, "linkage_subgroups", "subgroup_type")
    return shell(
        TITLE,
        "How well each site's child records link to its local authorities' children's social care records as "
        "identifiers are withheld, for whom linkage works less well, and why a pair scored as it did.",
        [site_control("lk-sites", viewer, selected),
         param_control("lk-scenario", "Identifier scenario", scenarios, pick(scenario, scenarios, "all_identifiers")),
         param_control("lk-subgroup", "Subgroup", kinds, pick(subgroup_type, kinds, "ethnic_group")),
         c.labelled_dropdown("lk-pair", "Pair to explain", [], pair)],
        "lk-body", notice,
    )


def pair_options(viewer: Any, sites: object, scenario: str | None) -> tuple[list[dict[str, str]], str | None]:
    """Dropdown options for the pairs of the chosen sites and scenario."""
    pairs = table(viewer, "linkage_pairs", sites, scenario=scenario)
    if pairs.empty:
        return [], None
    opts = []
    for r in pairs.frame.iter_rows(named=True):
        verdict = "link" if r["is_link"] else "non-link"
        opts.append({"label": f"{r['site_id']} · {r['left_key'][:8]}… ↔ {r['right_key'][:8]}… "
                              f"({verdict}, weight {r['match_weight']:.1f})",
                     "value": f"{r['left_key']}:{r['right_key']}"})
    return opts, opts[0]["value"]


def explanation_panel(viewer: Any, sites: object, scenario: str | None, pair: str | None) -> html.Section:
    """The weights behind one pair's score (only a pair of a permitted site is found)."""
    heading = html.H2("Why this pair scored as it did", id="h-explain")
    if not pair or ":" not in str(pair):
        return html.Section([heading, c.no_data("Pair explanation", "explain-table")], className="panel")
    scope = viewer.scope(sites)
    left, right = str(pair).split(":", 1)
    chosen = scenario if isinstance(scenario, str) else ""
    pair_row, frame = q.linkage_pair_explanation(current().cursor(), scope, chosen, left, right)
    if pair_row is None:
        return html.Section([heading, c.no_data("Pair explanation", "explain-table")], className="panel")
    current().audit(viewer.username, "view", "linkage_pair_explanation", (str(pair_row["site_id"]),),
                             {"scenario": chosen})
    title = f"Weights for a {'linked' if pair_row['is_link'] else 'non-linked'} pair at {pair_row['site_id']}"
    rows = [html.Tr([html.Th(r["comparison"], scope="row"), html.Td(r["level"] or ""),
                     html.Td("" if r["weight"] is None else f"{r['weight']:+.2f}", className="num")])
            for r in frame.iter_rows(named=True)]
    tbl = html.Table([html.Caption(title),
                      html.Thead(html.Tr([html.Th("Comparison", scope="col"), html.Th("Level", scope="col"),
                                          html.Th("Weight", scope="col", className="num")])),
                      html.Tbody(rows)], className="data-table", id="explain-table")
    summary = html.P(f"Total match weight {pair_row['match_weight']:.2f}; probability {pair_row['probability']:.1%}.")
    graph = [] if frame.is_empty() else [fig_graph(fig.explanation_figure(frame.filter(pl.col("weight").is_not_null()),
                                                                          title))]
    return html.Section([heading, summary, *graph, html.Details([html.Summary("Show the chart as a table"), tbl],
                                                                open=frame.is_empty())], className="panel")


def fig_graph(figure: Any) -> Any:
    """A chart element for the explanation figure."""
    from dash import dcc

    return dcc.Graph(figure=figure, id="lk-explain-figure", config={"displaylogo": False})


def linkage_body(viewer: Any, sites: object, scenario: str | None, subgroup_type: str | None) -> tuple[list[Any], Any]:
    """Scenario and subgroup panels (shared with the site panel)."""
    scen = table(viewer, "linkage_scenarios", sites)
    sub = table(viewer, "linkage_subgroups", sites, scenario=scenario, subgroup_type=subgroup_type)
    scen_fig = fig.scenario_figure(scen) if not scen.empty else None
    sub_fig = fig.subgroup_figure(sub) if not sub.empty else None
    return [c.panel(scen, scen_fig, "lk-scenario-figure"), c.panel(sub, sub_fig, "lk-subgroup-figure")], sub


def register_callbacks(app: Dash) -> None:
    """Attach this page's callbacks to ``app``."""

    @app.callback(Output("lk-pair", "options"), Output("lk-pair", "value"),
                  Input("lk-sites", "value"), Input("lk-scenario", "value"))
    @guarded
    def linkage_pairs(sites: list[str] | None, scenario: str | None) -> tuple[Any, Any]:
        return pair_options(current_viewer(), sites, scenario)

    @app.callback(Output("lk-body", "children"), Output("lk-body-permalink", "href"),
                  Input("lk-sites", "value"), Input("lk-scenario", "value"), Input("lk-subgroup", "value"),
                  Input("lk-pair", "value"))
    @guarded
    def linkage_view(sites: list[str] | None, scenario: str | None, subgroup_type: str | None,
                     pair: str | None) -> tuple[Any, str]:
        viewer = current_viewer()
        body, sub = linkage_body(viewer, sites, scenario, subgroup_type)
        body.append(explanation_panel(viewer, sites, sub.params.get("scenario"), pair))
        state = {"sites": list(sub.scope.sites), **sub.params, "pair": pair}
        return body, c.permalink(PATH, state)


PAGE = PAGES.register(Page("linkage", NAME, PATH, TITLE, layout, register_callbacks, order=2, in_nav=True,
                           admin_only=False))
