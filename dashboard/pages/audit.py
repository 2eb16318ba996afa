"""Audit log (admins only): who viewed which site's data, and when; paged, filtered, exportable."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from dash import dcc, html

from dashboard.auth import current_viewer
from dashboard.components import attrs
from dashboard.context import current
from dashboard.labels import plain
from dashboard.pages.common import PAGES, Page, site_names
from dashboard.tables import TABLES

PATH = "/audit"
NAME = "Audit log"
TITLE = "Audit log"
PAGE_SIZE = 50
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ACTIONS = {"view": "Viewed", "download": "Downloaded", "refused": "Refused", "login": "Sign-in", "logout": "Sign-out",
           "account": "Account change"}


def readable_time(iso: str) -> str:
    """``2026-12-05T14:03:12.123+00:00`` -> ``5 Dec 2026, 14:03:12 UTC``.

    Example:
        >>> readable_time("2026-12-05T14:03:12.123+00:00")
        '5 Dec 2026, 14:03:12 UTC'
    """
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{when.day} {when:%b %Y, %H:%M:%S} UTC"


def readable_detail(detail: str) -> str:
    """Stored JSON detail as ``key: value; ...`` (the audit log never holds personal values)."""
    if not detail:
        return ""
    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(data, dict):
        return str(data)
    return "; ".join(f"{k.replace('_', ' ')}: {_param_words(k, v)}" for k, v in data.items())


#: Audit detail key -> the kind of code its value is (dashboard.labels)
_PARAM_KINDS = {"scenario": "scenario", "subgroup_type": "subgroup_type", "measure": "measure",
                "dimension": "dimension", "data_item": "data_item", "outcome": "outcome"}


def _param_words(key: str, value: object) -> str:
    if key in _PARAM_KINDS and isinstance(value, str) and value:
        return plain(_PARAM_KINDS[key], value)
    if key == "site" and isinstance(value, str):
        return site_names().get(value, value)
    return str(value)


def readable_what(what: str) -> str:
    """What was viewed, in words: a table's title (``linkage_scenarios`` -> its title), otherwise the code's words.

    Example:
        >>> readable_what("linkage_pair_explanation")
        'Linkage pair explanation'
    """
    head, _, rest = what.partition(": ")  # "refused: locked", "failed: locked"
    text = TABLES[head].title if head in TABLES else plain("", head)
    return f"{text}: {rest}" if rest else text


def readable_sites(sites: str) -> str:
    """``fbs,sat`` -> the sites' names."""
    names = site_names()
    return ", ".join(names.get(s, s) for s in sites.split(",") if s)


def filters(user: str | None, site: str | None, action: str | None, day: str | None) -> dict[str, str]:
    """The filters of a request, kept only when well formed (a bad value filters nothing)."""
    out: dict[str, str] = {}
    if user and len(user) <= 40:
        out["user"] = user
    if site in site_names():
        out["site"] = str(site)
    if action in ACTIONS:
        out["action"] = str(action)
    if day and _DAY.match(day):
        out["day"] = day
    return out


def layout(user: str | None = None, site: str | None = None, action: str | None = None, day: str | None = None,
           page: str | None = None, **_: Any) -> html.Main:
    """One page of audit lines matching the filters (``?user=&site=&action=&day=&page=``); others are refused."""
    viewer = current_viewer()
    if viewer.role != "admin":
        return html.Main([html.H1("Not available", id="page-title"),
                          html.P("Only administrators can read the audit log.", className="notice")], id="main")
    chosen = filters(user, site, action, day)
    accounts = current().accounts
    args = {"username": chosen.get("user"), "site": chosen.get("site"), "action": chosen.get("action"),
            "day": chosen.get("day")}
    total = accounts.audit_count(**args)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    number = min(pages, max(1, int(page) if page and page.isdigit() else 1))
    rows = accounts.audit_entries(PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, **args)
    return html.Main([
        html.H1(TITLE, id="page-title"),
        html.P("Every view, download, refusal and sign-in, newest first."),
        _filter_form(chosen),
        html.P([f"{total:,} entries; page {number} of {pages}. ",
                html.A("Download these entries (CSV)", href="/audit/export.csv?" + urlencode(chosen),
                       id="audit-export", className="dl")], id="audit-summary"),
        _table(rows),
        _pager(chosen, number, pages),
    ], id="main")


def _filter_form(chosen: dict[str, str]) -> html.Form:
    names = site_names()
    return html.Form([
        html.Div([html.Label("User", htmlFor="audit-user"),
                  dcc.Input(id="audit-user", name="user", value=chosen.get("user", ""), type="text")], className="control"),
        html.Div([html.Label("Site", htmlFor="audit-site"),
                  html.Select([html.Option("Any site", value=""), *[
                      html.Option(n, value=s, selected=chosen.get("site") == s) for s, n in names.items()]],
                      id="audit-site", name="site")], className="control"),
        html.Div([html.Label("Action", htmlFor="audit-action"),
                  html.Select([html.Option("Any action", value=""), *[
                      html.Option(t, value=a, selected=chosen.get("action") == a) for a, t in ACTIONS.items()]],
                      id="audit-action", name="action")], className="control"),
        html.Div([html.Label("Day", htmlFor="audit-day"),
                  dcc.Input(id="audit-day", name="day", value=chosen.get("day", ""), type="text", placeholder="YYYY-MM-DD", pattern=r"\d{4}-\d{2}-\d{2}")], className="control"),
        html.Button("Filter", type="submit", id="audit-filter"),
    ], method="GET", action=PATH, className="controls", role="search", **attrs(aria_label="Filter the audit log"))


def _table(rows: list[dict[str, str]]) -> html.Div:
    cols = (("at", "When"), ("username", "User"), ("action", "Action"), ("what", "What"), ("sites", "Sites"),
            ("detail", "Detail"))

    def cell(row: dict[str, str], key: str) -> str:
        if key == "at":
            return readable_time(row[key])
        if key == "action":
            return ACTIONS.get(row[key], row[key])
        if key == "detail":
            return readable_detail(row[key])
        if key == "what":
            return readable_what(row[key] or "")
        if key == "sites":
            return readable_sites(row[key] or "")
        return row[key]

    return html.Div(html.Table([
        html.Caption("Audit log"),
        html.Thead(html.Tr([html.Th(label, scope="col") for _, label in cols])),
        html.Tbody([html.Tr([html.Td(cell(r, key)) for key, _ in cols]) for r in rows]),
    ], className="data-table", id="audit-table"), className="table-wrap", tabIndex="0", role="region",
        **attrs(aria_label="Audit log"))


def _pager(chosen: dict[str, str], number: int, pages: int) -> html.Nav:
    links: list[Any] = []
    if number > 1:
        links.append(dcc.Link("Previous page", href=f"{PATH}?{urlencode({**chosen, 'page': number - 1})}",
                              id="audit-prev"))
    if number < pages:
        links.append(dcc.Link("Next page", href=f"{PATH}?{urlencode({**chosen, 'page': number + 1})}",
                              id="audit-next"))
    return html.Nav(links, className="pager", **attrs(aria_label="Audit log pages"))


def register_callbacks(app: Any) -> None:
    """No callbacks: the page is rendered per request from its query string."""


PAGE = PAGES.register(Page("audit", NAME, PATH, TITLE, layout, register_callbacks, order=6, in_nav=True,
                           admin_only=True))
