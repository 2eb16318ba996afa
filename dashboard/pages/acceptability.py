"""Acceptability (RQ1b, RQ3b-c): coded interview segments by site, construct and stakeholder group."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, html

from dashboard import components as c
from dashboard.auth import current_viewer
from dashboard.pages.common import PAGES, Page, guarded, requested_sites, shell, site_control, table
from dashboard.tables import TableResult

PATH = "/acceptability"
NAME = "Acceptability"
TITLE = "Acceptability from interviews"


def layout(sites: str | None = None, **_: Any) -> html.Main:
    """The acceptability page (``?sites=`` restores a view); site users see their own site only."""
    viewer = current_viewer()
    selected, notice = requested_sites(viewer, sites)
    return shell(
        TITLE,
        "What service users, practitioners, managers and partner agencies said about each of the seven "
        "acceptability constructs (Sekhon et al. 2017), from coded interviews: how many segments, how many "
        "positive or negative, and an example quote.",
        [site_control("ac-sites", viewer, selected)], "ac-body", notice,
    )


def register_callbacks(app: Dash) -> None:
    """Attach this page's callbacks to ``app``."""
    c.register_tabs(app)

    @app.callback(Output("ac-body", "children"), Output("ac-body-permalink", "href"), Input("ac-sites", "value"))
    @guarded
    def acceptability_view(sites: list[str] | None) -> tuple[Any, str]:
        result = table(current_viewer(), "acceptability", sites)
        return by_construct(result), c.permalink(PATH, {"sites": list(result.scope.sites)})


def by_construct(result: TableResult) -> html.Section:
    """The table as one tab per acceptability construct (sites side by side within each), with the notes and the
    downloads (the whole table) once below."""
    return c.panel_by(result, "construct", "ac-tabs", "Acceptability constructs")


PAGE = PAGES.register(Page("acceptability", NAME, PATH, TITLE, layout, register_callbacks, order=8, in_nav=True,
                           site_users=True))
