"""Data availability: site x data item heatmap for one dimension, with the evidence behind it."""

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

PATH = "/availability"
NAME = "Data availability"
TITLE = "Data availability"


def layout(sites: str | None = None, dimension: str | None = None, data_item: str | None = None,
           **_: Any) -> html.Main:
    """The availability page (``?sites=&dimension=&data_item=`` restores a view)."""
    viewer = current_viewer()
    if viewer.is_site_user:
        return site_user_notice(viewer)
    selected, notice = requested_sites(viewer, sites)
    dims = choices(viewer, "availability_matrix", "dimension")
    items = choices(viewer, "availability_evidence", "data_item")
    return shell(
        TITLE,
        "What each site holds and how usable it is, rated from focus groups and document review: held, "
        "collection, use, accuracy, reliability, time to access and appetite for linkage.",
        [site_control("av-sites", viewer, selected),
         param_control("av-dimension", "Dimension", dims, pick(dimension, dims, "held")),
         param_control("av-item", "Evidence for data item", items, pick(data_item, items, "all"))],
        "av-body", notice,
    )


def availability_body(viewer: Any, sites: object, dimension: str | None, data_item: str | None) -> tuple[list[Any], Any]:
    """Heatmap panel and evidence panel (shared with the site panel)."""
    matrix = table(viewer, "availability_matrix", sites, dimension=dimension)
    evidence = table(viewer, "availability_evidence", sites, dimension=dimension, data_item=data_item)
    value = "rating" if "rating" in matrix.frame.columns else (matrix.frame.columns[-1] if matrix.frame.width else "")
    figure = fig.heatmap_figure(matrix, value) if not matrix.empty and "data_item" in matrix.frame.columns else None
    # the quotes behind the ratings, a tab per site (the comparison of sites is the heatmap's)
    evidence_panel = c.panel_by(evidence, "site", "av-evidence-tabs", "Evidence by site")
    return [c.panel(matrix, figure, "av-heatmap"), evidence_panel], matrix


def register_callbacks(app: Dash) -> None:
    """Attach this page's callbacks to ``app``."""
    c.register_tabs(app)

    @app.callback(Output("av-body", "children"), Output("av-body-permalink", "href"),
                  Input("av-sites", "value"), Input("av-dimension", "value"), Input("av-item", "value"))
    @guarded
    def availability_view(sites: list[str] | None, dimension: str | None, data_item: str | None) -> tuple[Any, str]:
        body, matrix = availability_body(current_viewer(), sites, dimension, data_item)
        state = {"sites": list(matrix.scope.sites), "dimension": matrix.params.get("dimension"),
                 "data_item": data_item}
        return c.tabbed("av-tabs", body), c.permalink(PATH, state)


PAGE = PAGES.register(Page("availability", NAME, PATH, TITLE, layout, register_callbacks, order=1, in_nav=True,
                           admin_only=False))
