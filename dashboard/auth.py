"""Authentication on Dash's Flask server: login page with CSRF token, lockout, server-side sessions.

Every route needs a login except ``/login``, the favicon (``/favicon.ico`` redirects to Dash's
``/_favicon.ico``, never the page shell) and the files actually in ``assets/`` (exact paths, not prefixes): Dash's JSON endpoints answer 401 and page loads redirect to the
login page. Sessions live server-side (:meth:`AccountStore.open_session`): the cookie carries a
random token, so logout, a password reset and ``users remove`` end a session at once. Which sites a
user may see is decided in the data layer (:mod:`dashboard.access`, :mod:`dashboard.tables`), not here.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

import flask
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from dashboard.access import Viewer
from dashboard.accounts import Account
from dashboard.context import current

_PUBLIC = frozenset({"/login", "/_favicon.ico", "/favicon.ico"})
_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'self'")
LOGIN_REFUSED = ("The username or password is not right. After several failed attempts an account is locked "
                 "for a while; ask an administrator if you cannot sign in.")


class User(UserMixin):  # type: ignore[misc]
    """flask-login's view of an :class:`~dashboard.accounts.Account` in one server-side session."""

    def __init__(self, account: Account, token: str) -> None:
        self.account = account
        self.token = token
        self.id = account.name

    def get_id(self) -> str:
        """What the cookie carries: the session token, never the account name."""
        return self.token


def current_viewer() -> Viewer:
    """The logged-in viewer (an anonymous caller may see no site)."""
    if not current_user.is_authenticated:
        return Viewer("anonymous", "none", ())
    acc: Account = current_user.account
    return Viewer(acc.name, acc.role, acc.sites)


def csrf_token() -> str:
    """The session's CSRF token (created on first use)."""
    token = flask.session.get("_csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        flask.session["_csrf"] = token
    return token


def _csrf_ok() -> bool:
    sent = flask.request.form.get("csrf_token", "")
    kept = flask.session.get("_csrf", "")
    return bool(sent and kept) and hmac.compare_digest(sent, kept)


def _decodings(target: str, rounds: int = 4) -> list[str]:
    """``target`` and each successive percent-decoding of it, until decoding changes nothing."""
    texts = [target]
    for _ in range(rounds):
        decoded = unquote(texts[-1])
        if decoded == texts[-1]:
            break
        texts.append(decoded)
    return texts


def safe_next(target: str | None) -> str:
    """``target`` as a same-origin relative path, or ``/``: parsed, then refused if it has a scheme, a host,
    a scheme-relative or backslash form, or a control character (also once percent-decoded).

    Example:
        >>> safe_next("/outcomes?sites=fbs"), safe_next("/%09/evil.example/x"), safe_next("//evil.example")
        ('/outcomes?sites=fbs', '/', '/')
    """
    if not target or len(target) > 2000:
        return "/"
    for text in _decodings(target):
        if "\\" in text or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            return "/"
        parts = urlsplit(text)
        if parts.scheme or parts.netloc or not text.startswith("/") or text.startswith("//"):
            return "/"
    parts = urlsplit(target)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def _login_page(message: str = "", status: int = 200, username: str = "") -> flask.Response:
    note = f'<div class="error-summary" role="alert"><p>{escape(message)}</p></div>' if message else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - linkready</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><header class="masthead"><p class="brand">linkready</p></header>
<main id="main" class="login"><h1>Sign in</h1>{note}
<form method="post" action="/login" novalidate>
<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">
<input type="hidden" name="next" value="{escape(safe_next(flask.request.values.get('next')))}">
<div class="control"><label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required value="{escape(username)}"></div>
<div class="control"><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></div>
<button type="submit" id="sign-in">Sign in</button></form>
<p class="hint">Accounts are issued with <code>linkready users add</code>. There is no default password.</p>
</main></body></html>"""
    return flask.Response(page, status=status, mimetype="text/html")


def install_auth(server: flask.Flask, secret: str, secure: bool, session_hours: int,
                 public_assets: Iterable[str] = ()) -> None:
    """Wire flask-login, the login/logout routes, the route guard and security headers.

    ``public_assets``: URL paths of the files in ``assets/`` (served without a login: the login page's CSS).
    """
    server.config.update(
        SECRET_KEY=secret,
        SESSION_COOKIE_NAME="linkready_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=session_hours),
    )
    manager = LoginManager(server)
    manager.session_protection = None  # the server-side session is the protection; "strong" did nothing here

    def load_user(token: str) -> User | None:
        account = current().accounts.session_account(token)
        return User(account, token) if account else None

    manager.user_loader(load_user)

    server.add_url_rule("/login", "login", lambda: _login(session_hours), methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", _logout, methods=["POST"])
    # public, so it must be a real route: otherwise Dash's catch-all answers it with the page shell
    server.add_url_rule("/favicon.ico", "favicon", lambda: _redirect("/_favicon.ico"))
    public = _PUBLIC | frozenset(public_assets)
    server.before_request(lambda: _require_login(public))
    server.after_request(_headers)


def _login(session_hours: int) -> flask.Response:
    if flask.request.method == "GET":
        return _login_page()
    if not _csrf_ok():
        return _login_page("The form expired. Please sign in again.", 400)
    name = flask.request.form.get("username", "").strip()[:100]
    password = flask.request.form.get("password", "")[:1000]
    accounts = current().accounts
    result = accounts.authenticate(name, password)
    if result.account is None:  # unknown, locked and wrong: one answer
        return _login_page(LOGIN_REFUSED, 401)
    target = safe_next(flask.request.form.get("next"))
    if target == "/" and result.account.role == "site" and result.account.site:
        target = f"/site/{result.account.site}"  # a site user lands on their own panel
    flask.session.clear()  # no session fixation: a fresh session (and CSRF token) after login
    flask.session.permanent = True
    csrf_token()  # issued now, so concurrent Dash requests all carry the same token in the cookie
    login_user(User(result.account, accounts.open_session(result.account.name, session_hours)))
    return _redirect(target)


def _logout() -> flask.Response:
    if not _csrf_ok():
        return flask.Response("bad request", status=400)
    if current_user.is_authenticated:
        current().accounts.close_session(current_user.token)
        current().accounts.audit(current_user.id, "logout", "ok", ())
    logout_user()
    flask.session.clear()
    return _redirect("/login")


def _redirect(target: str) -> flask.Response:
    resp = flask.Response(status=302)
    resp.headers["Location"] = target
    return resp


def _require_login(public: frozenset[str]) -> flask.Response | None:
    path = flask.request.path
    if path in public:
        return None
    if path.startswith("/assets/"):  # only the files that exist (exact paths) are served
        return flask.Response("not found", status=404, mimetype="text/plain")
    if current_user.is_authenticated:
        return None
    if path.startswith(("/_dash-", "/_reload-hash", "/download/")):
        return flask.Response("login required", status=401)
    if path == "/":
        return _redirect("/login")
    return _redirect("/login?" + urlencode({"next": safe_next(flask.request.full_path.rstrip("?"))}))


def _headers(resp: flask.Response) -> flask.Response:
    resp.headers.setdefault("Content-Security-Policy", _CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    if flask.request.path.startswith(("/_dash-update-component", "/download/")) or "text/html" in (resp.mimetype or ""):
        resp.headers["Cache-Control"] = "no-store"
    return resp


def asset_paths(folder: Path) -> list[str]:
    """URL paths of the files in the assets folder (the only ones served without a login)."""
    return [f"/assets/{p.relative_to(folder).as_posix()}" for p in sorted(folder.rglob("*")) if p.is_file()]


def install_resource_guard(app: Any, max_request_bytes: int) -> None:
    """404 (not 500) for component-suite paths Dash never registered, and a request-size limit."""
    app.server.config["MAX_CONTENT_LENGTH"] = max_request_bytes

    def known_component_suite() -> flask.Response | None:
        path = flask.request.path
        if not path.startswith("/_dash-component-suites/"):
            return None
        from dash.fingerprint import check_fingerprint

        parts = path.split("/", 3)
        package, rest = (parts[2], parts[3]) if len(parts) == 4 else ("", "")
        in_package, _ = check_fingerprint(rest)  # type: ignore[no-untyped-call]
        if in_package not in app.registered_paths.get(package, ()):
            return flask.Response("not found", status=404, mimetype="text/plain")
        return None

    app.server.before_request(known_component_suite)
