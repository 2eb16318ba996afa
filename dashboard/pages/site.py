"""Site panel: everything for one site; the only view a site user gets."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, dcc, html

from dashboard import components as c
from dashboard.auth import current_viewer
from dashboard.components import attrs
from dashboard.context import current
from dashboard.pages.availability import availability_body
from dashboard.pages.common import PAGES, Page, choices, guarded, param_control, pick, site_names, table
from dashboard.pages.linkage import linkage_body
from dashboard.pages.outcomes import outcomes_body
from dashboard.pages.overview import _card
from dashboard.pages.synthesis import synthesis_body
from dashboard.tables import prefetch

PATH = "/site/<site_id>"
NAME = "Site panel"
TITLE = "Site panel"


def layout(site_id: str | None = None, scenario: str | None = None, subgroup_type: str | None = None,
           measure: str | None = None, dimension: str | None = None, **_: Any) -> html.Main:
    """One site's panel; a site the account may not see gets a refusal and an audit line."""
    viewer = current_viewer()
    names = site_names()
    if site_id not in viewer.sites:
        current().accounts.audit(viewer.username, "refused", "site_panel", (), {"site": str(site_id)[:20]})
        own = viewer.sites[0] if viewer.sites else ""
        return html.Main([
            html.H1("Not available", id="page-title"),
            html.P("Your account cannot see that site's panel.", className="notice", role="status"),
            dcc.Link("Open your site's panel", href=f"/site/{own}", id="own-panel-link") if own else None,
        ], id="main")
    scenarios = choices(viewer, "linkage_subgroups", "scenario")
    kinds = choices(viewer, "linkage_subgroups", "subgroup_type")
    measures = choices(viewer, "outcome_completeness", "measure")
    dims = choices(viewer, "availability_matrix", "dimension")
    return html.Main([
        html.H1(f"{names[site_id]}: site panel", id="page-title"),
        html.P("Everything the study holds about this site: records, linkage, outcomes, data availability and "
               "focus-group synthesis.", className="intro"),
        dcc.Store(id="sp-site", data=site_id),
        html.Div([
            param_control("sp-scenario", "Identifier scenario", scenarios, pick(scenario, scenarios, "all_identifiers")),
            param_control("sp-subgroup", "Subgroup", kinds, pick(subgroup_type, kinds, "ethnic_group")),
            param_control("sp-measure", "Outcome measure", measures, pick(measure, measures, "all")),
            param_control("sp-dimension", "Availability dimension", dims, pick(dimension, dims, "held")),
        ], className="controls", role="group", **attrs(aria_label="Choose what to show")),
        html.P(html.A("Permalink to this view", id="sp-body-permalink", href="#"), className="permalink"),
        dcc.Loading(html.Div(id="sp-body", **attrs(aria_live="polite")), type="default"),
        c.legend(),
    ], id="main")


def register_callbacks(app: Dash) -> None:
    """Attach this page's callbacks to ``app``."""
    c.register_tabs(app)

    @app.callback(Output("sp-body", "children"), Output("sp-body-permalink", "href"),
                  Input("sp-site", "data"), Input("sp-scenario", "value"), Input("sp-subgroup", "value"),
                  Input("sp-measure", "value"), Input("sp-dimension", "value"))
    @guarded
    def site_panel_view(site: str | None, scenario: str | None, subgroup_type: str | None, measure: str | None,
                        dimension: str | None) -> tuple[Any, str]:
        viewer = current_viewer()
        sites = [site] if isinstance(site, str) else ["\x00none"]
        # Slowest first (the two that read the 1M-row tables, then the synthesis views), so the last
        # table to finish is a short one and the workers stay busy.
        prefetch(current(), viewer, sites, [
            ("overview", {"scenario": scenario}), ("sample_timeline", {}), ("triangulation_matrix", {}),
            ("framework_matrix", {}), ("code_frequency", {}), ("availability_matrix", {"dimension": dimension}),
            ("availability_evidence", {"dimension": dimension, "data_item": "all"}),
            ("linkage_subgroups", {"scenario": scenario, "subgroup_type": subgroup_type}), ("linkage_scenarios", {}),
            ("outcome_completeness", {"measure": measure}), ("readiness_timeline", {}), ("readiness_funnel", {}),
            ("readiness_summary", {}),
        ])
        over = table(viewer, "overview", sites, scenario=scenario)
        glance: list[Any] = [html.H2("At a glance", id="h-glance")]
        glance += [_card(r) for r in over.frame.iter_rows(named=True)] or [c.no_data("Overview")]
        link, sub = linkage_body(viewer, sites, scenario, subgroup_type)
        outcomes, comp = outcomes_body(viewer, sites, measure)
        avail, matrix = availability_body(viewer, sites, dimension, "all")
        synth, _ = synthesis_body(viewer, sites)
        body = site_tabs(html.Section(glance, className="panel", **attrs(aria_labelledby="h-glance")),
                         link, outcomes, avail, synth)
        state = {**sub.params, **comp.params, "dimension": matrix.params.get("dimension")}
        return body, c.permalink(f"/site/{over.scope.sites[0]}", state)


#: The site panel's areas, in the order of the tabs (each area's panels are tabs of their own).
AREAS = (("glance", "At a glance"), ("linkage", "Linkage"), ("outcomes", "Outcomes and readiness"),
         ("availability", "Data availability"), ("synthesis", "Focus-group synthesis"))


def site_tabs(glance: Any, *areas: Any) -> Any:
    """The panel as tabs by area (at a glance, linkage, outcomes, availability, synthesis), each area's panels as
    tabs within it; an area given already tabbed (a component, not a list) is used as it is."""
    inner = [c.tabbed(f"sp-{key}-tabs", panels, name=label) if isinstance(panels, list) else panels
             for (key, label), panels in zip(AREAS[1:], areas, strict=True)]
    return c.tabbed("sp-tabs", [glance, *inner], labels=[label for _, label in AREAS], name="Parts of the site panel")


PAGE = PAGES.register(Page("site", NAME, PATH, TITLE, layout, register_callbacks, order=5, in_nav=False,
                           admin_only=False))
