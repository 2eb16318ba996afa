"""Overview: the four sites side by side; each card opens that site's panel."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, dcc, html

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
from warehouse.disclosure import NOT_AVAILABLE

PATH = "/"
NAME = "Overview"
TITLE = "Sites side by side"


def layout(sites: str | None = None, scenario: str | None = None, **_: Any) -> html.Main:
    """The overview page (``?sites=fbs,sat&scenario=...`` restores a view)."""
    viewer = current_viewer()
    if viewer.is_site_user:
        return site_user_notice(viewer)
    selected, notice = requested_sites(viewer, sites)
    scenarios = choices(viewer, "overview", "scenario")
    return shell(
        TITLE,
        "Records held, how well each site's records link to children's social care, how complete its outcome "
        "measures are and how much of its data has been rated. Open a card for the site's own panel.",
        [site_control("ov-sites", viewer, selected),
         param_control("ov-scenario", "Identifier scenario", scenarios, pick(scenario, scenarios, "all_identifiers"))],
        "ov-body", notice,
    )


def _card(row: dict[str, Any]) -> html.Article:
    def item(label: str, value: object, kind: str) -> list[Any]:
        return [html.Dt(label), html.Dd(c.fmt(value, kind=kind), className="num")]

    return html.Article([
        html.H2(dcc.Link(row["site"], href=f"/site/{row['site_id']}", id=f"card-link-{row['site_id']}")),
        html.Dl([
            *item("Programme children", row["programme_children"], "count"),
            *item("CSC children (LA)", row["csc_children"], "count"),
            *item("Linkage match rate", row["match_rate"], "percent"),
            *item("Expected known to CSC", row["expected_known_share"], "percent"),
            *item("Outcome completeness", row["outcome_completeness"], "percent"),
            html.Dt("Data items routinely extractable"),
            html.Dd(c.fmt(row["data_items_routine"], kind="count") + " of " + c.fmt(row["data_items_rated"], kind="count")
                    if row["data_items_rated"] is not None else NOT_AVAILABLE, className="num"),
        ]),
    ], className="site-card", id=f"card-{row['site_id']}")


def register_callbacks(app: Dash) -> None:
    """Attach this page's callbacks to ``app``."""
    c.register_tabs(app)

    @app.callback(Output("ov-body", "children"), Output("ov-body-permalink", "href"),
                  Input("ov-sites", "value"), Input("ov-scenario", "value"))
    @guarded
    def overview_view(sites: list[str] | None, scenario: str | None) -> tuple[Any, str]:
        result = table(current_viewer(), "overview", sites, scenario=scenario)
        if result.empty:
            return c.no_data(result.spec.title), "#"
        cards = html.Div([_card(r) for r in result.frame.iter_rows(named=True)], className="cards")
        body = [cards, c.panel(result, fig.overview_figure(result), "ov-figure")]
        return body, c.permalink(PATH, {"sites": list(result.scope.sites), **result.params})


PAGE = PAGES.register(Page("overview", NAME, PATH, TITLE, layout, register_callbacks, order=0, in_nav=True,
                           admin_only=False))
