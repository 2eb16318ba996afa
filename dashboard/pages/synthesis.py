"""Synthesis: framework matrix, triangulation matrix and code frequency by site."""

from __future__ import annotations

import dataclasses
from typing import Any

import polars as pl
from dash import Dash, Input, Output, html

from dashboard import components as c
from dashboard import figures as fig
from dashboard import labels
from dashboard.auth import current_viewer
from dashboard.pages.common import (
    PAGES,
    Page,
    guarded,
    requested_sites,
    shell,
    site_control,
    site_user_notice,
    table,
)
from dashboard.tables import TableResult

PATH = "/synthesis"
NAME = "Synthesis"
TITLE = "Focus-group synthesis"


def layout(sites: str | None = None, **_: Any) -> html.Main:
    """The synthesis page (``?sites=`` restores a view)."""
    viewer = current_viewer()
    if viewer.is_site_user:
        return site_user_notice(viewer)
    selected, notice = requested_sites(viewer, sites)
    return shell(
        TITLE,
        "Themes by site, where the qualitative findings and the warehouse figures agree or conflict, and how "
        "often each code was applied at each site.",
        [site_control("sy-sites", viewer, selected)], "sy-body", notice,
    )


def synthesis_body(viewer: Any, sites: object) -> tuple[list[Any], Any]:
    """The three synthesis panels (shared with the site panel)."""
    framework = table(viewer, "framework_matrix", sites)
    triangulation = table(viewer, "triangulation_matrix", sites)
    freq = table(viewer, "code_frequency", sites)
    figure = None
    if not freq.empty and freq.count_columns:
        code_col = next((col for col in freq.frame.columns if "code" in col and col not in freq.count_columns),
                        None)
        if code_col:
            figure = fig.code_frequency_figure(freq, freq.count_columns[0], code_col)
    return [c.panel(framework), c.panel(in_words(triangulation)), c.panel(freq, figure, "sy-code-figure")], framework


def in_words(triangulation: TableResult) -> TableResult:
    """The triangulation matrix as a person reads it: each row's data item and dimension by name, each site's
    cell (agreement, partial agreement, silence, dissonance) in words. Pages only; downloads keep the codes."""
    frame = triangulation.frame
    if triangulation.empty:
        return triangulation
    words = [pl.col(col).map_elements(lambda v: labels.plain("convergence", v), return_dtype=pl.Utf8)
             for col in frame.columns if col not in ("rq_id", "about") and frame.schema[col] == pl.Utf8]
    if "about" in frame.columns:
        words.append(pl.col("about").map_elements(lambda v: labels.plain("about", v), return_dtype=pl.Utf8))
    return dataclasses.replace(triangulation, frame=frame.with_columns(words))


def register_callbacks(app: Dash) -> None:
    """Attach this page's callbacks to ``app``."""
    c.register_tabs(app)

    @app.callback(Output("sy-body", "children"), Output("sy-body-permalink", "href"), Input("sy-sites", "value"))
    @guarded
    def synthesis_view(sites: list[str] | None) -> tuple[Any, str]:
        body, framework = synthesis_body(current_viewer(), sites)
        return c.tabbed("sy-tabs", body), c.permalink(PATH, {"sites": list(framework.scope.sites)})


PAGE = PAGES.register(Page("synthesis", NAME, PATH, TITLE, layout, register_callbacks, order=4, in_nav=True,
                           admin_only=False))
