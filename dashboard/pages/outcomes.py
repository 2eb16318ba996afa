"""Outcomes and evaluation readiness: completeness by site, measure and timepoint; sample accrual."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, html

from dashboard import components as c
from dashboard import figures as fig
from dashboard.auth import current_viewer
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

PATH = "/outcomes"
NAME = "Outcomes and readiness"
TITLE = "Outcomes and evaluation readiness"


def layout(sites: str | None = None, measure: str | None = None, **_: Any) -> html.Main:
    """The outcomes page (``?sites=&measure=`` restores a view)."""
    viewer = current_viewer()
    if viewer.is_site_user:
        return site_user_notice(viewer)
    selected, notice = requested_sites(viewer, sites)
    measures = choices(viewer, "outcome_completeness", "measure")
    return shell(
        TITLE,
        "Which outcome measures are complete enough to evaluate, at baseline and follow-up, and how fast each "
        "site accrues an evaluable sample.",
        [site_control("oc-sites", viewer, selected),
         param_control("oc-measure", "Outcome measure", measures, pick(measure, measures, "all"))],
        "oc-body", notice,
    )


def outcomes_body(viewer: Any, sites: object, measure: str | None) -> tuple[list[Any], Any]:
    """Completeness, timeline and readiness panels (shared with the site panel)."""
    comp = table(viewer, "outcome_completeness", sites, measure=measure)
    timeline = table(viewer, "sample_timeline", sites)
    months = table(viewer, "readiness_timeline", sites)
    funnel = table(viewer, "readiness_funnel", sites)
    summary = table(viewer, "readiness_summary", sites)
    return [
        c.panel(comp, fig.completeness_figure(comp) if not comp.empty else None, "oc-completeness-figure"),
        c.panel(timeline, fig.timeline_figure(timeline) if not timeline.empty else None, "oc-timeline-figure"),
        c.panel(months, fig.months_figure(months) if not months.empty else None, "oc-months-figure"),
        c.panel_by(funnel, "site", "oc-funnel-tabs", "Referral to sample by site"),  # steps x outcomes per site
        c.panel(summary, transpose=True),  # one row per site, long text: a column per site
    ], comp


def register_callbacks(app: Dash) -> None:
    """Attach this page's callbacks to ``app``."""
    c.register_tabs(app)

    @app.callback(Output("oc-body", "children"), Output("oc-body-permalink", "href"),
                  Input("oc-sites", "value"), Input("oc-measure", "value"))
    @guarded
    def outcomes_view(sites: list[str] | None, measure: str | None) -> tuple[Any, str]:
        body, comp = outcomes_body(current_viewer(), sites, measure)
        return c.tabbed("oc-tabs", body), c.permalink(PATH, {"sites": list(comp.scope.sites), **comp.params})


PAGE = PAGES.register(Page("outcomes", NAME, PATH, TITLE, layout, register_callbacks, order=3, in_nav=True,
                           admin_only=False))
