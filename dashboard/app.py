"""The Dash app factory, the WSGI entry point and the production server.

Deployments behind a TLS proxy point any WSGI server at :func:`wsgi_app` (for example
``waitress-serve --call 'dashboard.app:wsgi_app'`` with ``LINKREADY_DB`` set); ``linkready serve``
runs :func:`serve`, which uses waitress (threads, timeouts, a connection limit), never Werkzeug's
development server.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import dash
from dash import Dash, dcc, html

from dashboard.accounts import AccountStore
from dashboard.auth import asset_paths, csrf_token, current_viewer, install_auth, install_resource_guard
from dashboard.components import attrs
from dashboard.context import DashboardContext, install
from dashboard.downloads import install_downloads
from dashboard.pages import (  # noqa: F401 - register
    acceptability,
    audit,
    availability,
    linkage,
    outcomes,
    overview,
    site,
    synthesis,
    toc,
)
from dashboard.pages.common import PAGES, Page, site_names
from dashboard.settings import DashboardSettings
from dashboard.tables import prewarm
from warehouse.sites import SITE_IDS
from warehouse.store import Store

log = logging.getLogger(__name__)
ASSETS = Path(__file__).parent / "assets"
DB_ENV = "LINKREADY_DB"
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
        links += [dcc.Link(p.label, href=p.path, className="nav-link") for p in _pages() if p.site_users]
    else:
        for page in _pages():
            if not page.in_nav or (page.admin_only and viewer.role != "admin"):
                continue
            links.append(dcc.Link(page.label, href=page.path, className="nav-link"))
        links += [dcc.Link(f"{names[s]} panel", href=f"/site/{s}", className="nav-link") for s in viewer.sites]
    signout = html.Form([
        html.Span(f"Signed in as {viewer.username} ({viewer.role})", className="who"),
        dcc.Input(type="hidden", name="csrf_token", value=csrf_token(), id="csrf-token"),
        html.Button("Sign out", type="submit", id="sign-out"),
    ], method="POST", action="/logout", className="signout")
    return html.Header([
        html.Div([html.P("linkready", className="brand"),
                  html.P(_tagline(viewer, names), className="tagline"), signout],
                 className="masthead"),
        html.Nav(links, className="nav", **attrs(aria_label="Main")),
    ])


def _tagline(viewer: Any, names: dict[str, str]) -> str:
    if viewer.is_site_user and viewer.sites:
        return f"{names.get(viewer.sites[0], viewer.sites[0])}: your site's panel (synthetic data)"
    return "Site comparison dashboard (synthetic data)"


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
        suppress_callback_exceptions=True, serve_locally=True, update_title=None,  # type: ignore[arg-type]
        include_assets_files=True,
    )
    app.index_string = _INDEX
    for page in _pages():
        kwargs: dict[str, Any] = {"name": page.label, "title": f"{page.title} - linkready", "order": page.order,
                                  "layout": page.layout}
        if "<" in page.path:
            kwargs["path_template"] = page.path
            kwargs["path"] = page.path.split("<")[0].rstrip("/")
        else:
            kwargs["path"] = page.path
        dash.register_page(f"dashboard.pages.{page.name}", **kwargs)  # type: ignore[no-untyped-call]
        page.register_callbacks(app)
    app.layout = _layout
    accounts = AccountStore(settings.auth_path(db), settings.max_failures, settings.lockout_minutes)
    ctx = DashboardContext(reader, settings, accounts)
    install(app.server, ctx)
    install_auth(app.server, settings.resolve_secret(db), settings.cookies_secure(), settings.session_hours,
                 asset_paths(ASSETS))
    install_resource_guard(app, settings.max_request_bytes)
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


def _pages() -> list[Page]:
    return sorted(PAGES.values(), key=lambda p: p.order)


def wsgi_app(db: str | Path | None = None, settings: DashboardSettings | None = None) -> Any:
    """The WSGI application for warehouse ``db`` (default ``$LINKREADY_DB``), for a WSGI server behind a
    TLS proxy: secure cookies on, the secret from ``$LINKREADY_DASHBOARD_SECRET`` or the key file.

    Example:
        ``LINKREADY_DB=/srv/study.duckdb waitress-serve --threads 8 --call dashboard.app:wsgi_app``
    """
    path = Path(db or os.environ.get(DB_ENV) or "")
    if not str(path) or str(path) == ".":
        from warehouse.errors import ConfigError

        raise ConfigError(f"no warehouse given: pass db= or set ${DB_ENV} to the warehouse file")
    base = settings or DashboardSettings(host="0.0.0.0", secure_cookies=True, prewarm=True)  # noqa: S104 - behind a proxy
    return create_app(Store(path, read_only=True), base).server


def serve(db: Path, host: str = "127.0.0.1", port: int = 8050, settings: DashboardSettings | None = None) -> None:
    """Serve the dashboard for warehouse ``db`` (read-only) under waitress until interrupted.

    waitress runs ``settings.threads`` worker threads, closes idle or slow connections after
    ``settings.channel_timeout`` seconds, accepts at most ``settings.connection_limit`` connections and
    refuses request bodies over ``settings.max_request_bytes``.
    """
    import waitress

    base = settings or DashboardSettings(host=host, prewarm=True)
    if base.host != host:
        base = dataclasses.replace(base, host=host)
    app = create_app(Store(db, read_only=True), base)
    accounts = app.server.extensions["linkready_dashboard"].accounts
    if not accounts.list():
        log.warning("no dashboard accounts yet: add one with `linkready users add NAME --role researcher --db %s`", db)
    log.info("dashboard on http://%s:%s (warehouse opened read-only; waitress, %d threads)", host, port, base.threads)
    waitress.serve(app.server, host=host, port=port, threads=base.threads, channel_timeout=base.channel_timeout,
                   connection_limit=base.connection_limit, max_request_body_size=base.max_request_bytes,
                   ident="linkready", clear_untrusted_proxy_headers=True, _quiet=True)
