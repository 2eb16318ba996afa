"""What every page shares: the page frame, site and parameter controls, the callback guard."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from dash import dcc, html
from dash.exceptions import PreventUpdate

from dashboard import components as c
from dashboard import labels
from dashboard.access import Viewer
from dashboard.auth import current_viewer
from dashboard.components import attrs
from dashboard.context import current
from dashboard.tables import TableResult, get_table, param_choices, produce
from warehouse.errors import AccessDenied
from warehouse.registry import Registry
from warehouse.sites import SITES

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Page:
    """One dashboard page: where it lives, what it is called, how it is drawn and wired.

    Args:
        name: registry name (``overview``); ``label`` is what the navigation shows.
        path: URL path, or a template such as ``/site/<site_id>``.
        title: the browser title.
        layout: ``layout(**query)`` -> the page (evaluated per request).
        register_callbacks: attaches the page's callbacks to the app.
        order: position in the navigation.
        in_nav: shown in the researchers' navigation (the site panel and audit log are reached otherwise).
        admin_only: shown to administrators only.
        site_users: also offered to site users (the page then shows only their own site).
    """

    name: str
    label: str
    path: str
    title: str
    layout: Callable[..., Any]
    register_callbacks: Callable[[Any], None]
    order: int
    in_nav: bool = True
    admin_only: bool = False
    site_users: bool = False


#: Every page; the built-ins register themselves exactly as a new one would.
PAGES: Registry[Page] = Registry("dashboard page")


def guarded(fn: F) -> F:
    """Run a callback; if the caller may not see what was asked for, answer 204 (nothing leaks)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AccessDenied:
            viewer = current_viewer()
            current().accounts.audit(viewer.username, "refused", fn.__name__, (), {"args": repr(args)[:200]})
            raise PreventUpdate from None

    return wrapper  # type: ignore[return-value]


def table(viewer: Viewer, table_id: str, sites: object, **params: object) -> TableResult:
    """Shorthand for :func:`dashboard.tables.produce` on the current app."""
    return produce(current(), viewer, table_id, sites, params)


def site_names() -> dict[str, str]:
    """Site id -> display name (reference data)."""
    return {s.site_id: s.name for s in SITES.values()}


def requested_sites(viewer: Viewer, sites: str | None) -> tuple[list[str], str | None]:
    """Sites to preselect from a permalink's ``sites``; a notice when some were not permitted."""
    if not sites:
        return list(viewer.sites), None
    try:
        scope = viewer.scope(sites)
    except AccessDenied:
        return list(viewer.sites), "The link asked for sites your account cannot see; showing your sites instead."
    asked = {s for s in sites.split(",") if s}
    note = None if asked <= set(scope.sites) else "Some sites in the link are not available to your account."
    return list(scope.sites), note


def choices(viewer: Viewer, table_id: str, param: str) -> list[str]:
    """Allowed values of one table parameter for this viewer."""
    spec = get_table(table_id)
    p = next(x for x in spec.params if x.name == param)
    try:
        return param_choices(current(), spec, p, viewer.scope())
    except AccessDenied:
        return []


def pick(value: str | None, allowed: Sequence[str], default: str | None = None) -> str | None:
    """``value`` if allowed, else ``default`` if allowed, else the first allowed value."""
    if value in allowed:
        return value
    if default in allowed:
        return default
    return allowed[0] if allowed else None


def site_control(dom_id: str, viewer: Viewer, selected: list[str]) -> html.Div:
    """The multi-select of sites (only the viewer's sites are offered)."""
    return c.labelled_dropdown(dom_id, "Sites", c.site_options(viewer.sites, site_names()), selected, multi=True)


_KIND = {"scenario": "scenario", "subgroup": "subgroup_type", "measure": "measure", "dimension": "dimension",
         "item": "data_item"}


def param_control(dom_id: str, label: str, options: Sequence[str], value: str | None) -> html.Div:
    """A single-choice dropdown for a table parameter, its options in plain words (values stay codes)."""
    kind = _KIND.get(dom_id.split("-", 1)[-1], "")
    return c.labelled_dropdown(dom_id, label, labels.options(kind, list(options)), value)


def shell(title: str, intro: str, controls: list[Any], body_id: str, notice: str | None = None,
          extra: list[Any] | None = None) -> html.Main:
    """The standard page: heading, intro, controls, permalink, live body, legend."""
    parts: list[Any] = [html.H1(title, id="page-title"), html.P(intro, className="intro")]
    if notice:
        parts.append(html.P(notice, className="notice", role="status"))
    parts.append(html.Div(controls, className="controls", role="group", **attrs(aria_label="Choose what to show")))
    parts.append(html.P(html.A("Permalink to this view", id=f"{body_id}-permalink", href="#"), className="permalink"))
    parts.append(dcc.Loading(html.Div(id=body_id, **attrs(aria_live="polite")), type="default"))
    parts += extra or []
    parts.append(c.legend())
    return html.Main(parts, id="main")


def site_user_notice(viewer: Viewer) -> html.Main:
    """What a site user sees on a cross-site page: a pointer to their own panel."""
    site = viewer.sites[0] if viewer.sites else ""
    return html.Main([
        html.H1("Your site's panel", id="page-title"),
        html.P("Your account shows one site. Everything for it is on your site panel."),
        dcc.Link(f"Open the {site_names().get(site, site)} panel", href=f"/site/{site}", id="own-panel-link"),
    ], id="main")
