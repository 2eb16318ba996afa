"""The Dash app factory and the server entry point."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import dash
from dash import Dash, dcc, html

from dashboard.accounts import AccountStore
from dashboard.auth import csrf_token, current_viewer, install_auth
from dashboard.context import DashboardContext, install
from dashboard.downloads import install_downloads
from dashboard.pages import audit, availability, linkage, outcomes, overview, site, synthesis
from dashboard.pages.common import site_names
from dashboard.settings import DashboardSettings
from dashboard.tables import prewarm
from warehouse.sites import SITE_IDS
from warehouse.store import Store

log = logging.getLogger(__name__)
ASSETS = Path(__file__).parent / "assets"
PAGES: tuple[ModuleType, ...] = (overview, availability, linkage, outcomes, synthesis, site, audit)
_INDEX = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        <a class="skip-link" href="#main">Skip to main content</a>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


def _header() -> html.Header:
    viewer = current_viewer()
    names = site_names()
    links: list[Any] = []
    if viewer.is_site_user:
        sid = viewer.sites[0]
        links.append(dcc.Link(f"{names[sid]} panel", href=f"/site/{sid}", className="nav-link"))
    else:
        for mod in PAGES:
            if mod is site or (mod is audit and viewer.role != "admin"):
                continue
            links.append(dcc.Link(mod.NAME, href=mod.PATH, className="nav-link"))
        links += [dcc.Link(f"{names[s]} panel", href=f"/site/{s}", className="nav-link") for s in viewer.sites]
    signout = html.Form([
        html.Span(f"Signed in as {viewer.username} ({viewer.role})", className="who"),
        dcc.Input(type="hidden", name="csrf_token", value=csrf_token(), id="csrf-token"),
        html.Button("Sign out", type="submit", id="sign-out"),
    ], method="POST", action="/logout", className="signout")
    return html.Header([
        html.Div([html.P("linkready", className="brand"),
                  html.P("Site comparison dashboard (synthetic data)", className="tagline"), signout],
                 className="masthead"),
        html.Nav(links, className="nav", **{"aria-label": "Main"}),
    ])


def _layout() -> html.Div:
    return html.Div([_header(), dash.page_container])


def create_app(store: Store, settings: DashboardSettings | None = None) -> Dash:
    """Build the dashboard for one warehouse (opened read-only; nothing is read at import time).

    Args:
        store: the warehouse; the dashboard opens its file read-only.
        settings: see :class:`DashboardSettings` (accounts file, secret, cookies, suppression).

    Returns:
        A ``dash.Dash`` app; ``app.server`` is the Flask server (WSGI).

    Example:
        >>> app = create_app(Store("demo.duckdb", read_only=True))   # doctest: +SKIP
        >>> app.run(host="127.0.0.1", port=8050)                     # doctest: +SKIP
    """
    settings = settings or DashboardSettings()
    db = Path(store.path)
    reader = store if store.read_only else Store(db, read_only=True)
    app = Dash(
        __name__, use_pages=True, pages_folder="", assets_folder=str(ASSETS), title="linkready: site comparison",
        suppress_callback_exceptions=True, serve_locally=True, update_title=None,
        include_assets_files=True,
    )
    app.index_string = _INDEX
    for order, mod in enumerate(PAGES):
        kwargs: dict[str, Any] = {"name": mod.NAME, "title": f"{mod.TITLE} - linkready", "order": order,
                                  "layout": mod.layout}
        if "<" in mod.PATH:
            kwargs["path_template"] = mod.PATH
            kwargs["path"] = mod.PATH.split("<")[0].rstrip("/")
        else:
            kwargs["path"] = mod.PATH
        dash.register_page(mod.__name__, **kwargs)
        mod.register_callbacks(app)
    app.layout = _layout
    accounts = AccountStore(settings.auth_path(db), settings.max_failures, settings.lockout_minutes)
    ctx = DashboardContext(reader, settings, accounts)
    install(app.server, ctx)
    install_auth(app.server, settings.resolve_secret(db), settings.cookies_secure(), settings.session_hours)
    install_downloads(app.server)
    if settings.prewarm:
        threading.Thread(target=_prewarm, args=(ctx,), name="dashboard-prewarm", daemon=True).start()
    return app


def _prewarm(ctx: DashboardContext) -> None:
    started = time.perf_counter()
    try:
        built = prewarm(ctx, [SITE_IDS, *[(s,) for s in SITE_IDS]])
    except Exception:  # a failed warm-up only means slower first views
        log.exception("dashboard pre-aggregation failed; tables will be computed on first view")
        return
    log.info("pre-aggregated %d tables in %.1f s", built, time.perf_counter() - started)


def serve(db: Path, host: str = "127.0.0.1", port: int = 8050, settings: DashboardSettings | None = None) -> None:
    """Serve the dashboard for warehouse ``db`` (read-only) until interrupted.

    Uses waitress when installed, else Werkzeug's threaded server; never Dash debug mode.
    """
    base = settings or DashboardSettings(host=host, prewarm=True)
    if base.host != host:
        base = dataclasses.replace(base, host=host)
    app = create_app(Store(db, read_only=True), base)
    accounts = app.server.extensions["linkready_dashboard"].accounts
    if not accounts.list():
        log.warning("no dashboard accounts yet: add one with `linkready users add NAME --role researcher --db %s`", db)
    from werkzeug.serving import make_server

    server = make_server(host, port, app.server, threaded=True)
    log.info("dashboard on http://%s:%s (warehouse opened read-only)", host, port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
