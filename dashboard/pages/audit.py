"""Audit log (admins only): who viewed which site's data, and when."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard.auth import current_viewer
from dashboard.components import attrs
from dashboard.context import current
from dashboard.pages.common import PAGES, Page

PATH = "/audit"
NAME = "Audit log"
TITLE = "Audit log"


def layout(**_: Any) -> html.Main:
    """The newest 300 audit lines; other roles get a refusal."""
    viewer = current_viewer()
    if viewer.role != "admin":
        return html.Main([html.H1("Not available", id="page-title"),
                          html.P("Only administrators can read the audit log.", className="notice")], id="main")
    rows = current().accounts.audit_entries(300)
    cols = ("at", "username", "action", "what", "sites", "detail")
    return html.Main([
        html.H1(TITLE, id="page-title"),
        html.P("Every view, download, refusal and sign-in, newest first."),
        html.Div(html.Table([
            html.Caption("Audit log (newest 300 entries)"),
            html.Thead(html.Tr([html.Th(col.capitalize(), scope="col") for col in cols])),
            html.Tbody([html.Tr([html.Td(r[col]) for col in cols]) for r in rows]),
        ], className="data-table", id="audit-table"), className="table-wrap", tabIndex="0", role="region",
            **attrs(aria_label="Audit log")),
    ], id="main")


def register_callbacks(app: Any) -> None:
    """No callbacks: the page is rendered per request."""


PAGE = PAGES.register(Page("audit", NAME, PATH, TITLE, layout, register_callbacks, order=6, in_nav=True,
                           admin_only=True))
