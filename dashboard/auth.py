"""Authentication on Dash's Flask server: login page with CSRF token, lockout, session cookies.

Every route needs a login except ``/login`` and static assets: Dash's JSON endpoints answer 401
and page loads redirect to the login page. Which sites a user may see is decided in the data
layer (:mod:`dashboard.access`, :mod:`dashboard.tables`), not here.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from html import escape
from urllib.parse import urlencode

import flask
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from dashboard.access import Viewer
from dashboard.accounts import Account
from dashboard.context import current

_PUBLIC = ("/login", "/assets/", "/_favicon.ico", "/favicon.ico")
_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'self'")


class User(UserMixin):
    """flask-login's view of an :class:`~dashboard.accounts.Account`."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.id = account.name


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


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_page(message: str = "", status: int = 200, username: str = "") -> flask.Response:
    note = f'<div class="error-summary" role="alert"><p>{escape(message)}</p></div>' if message else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - linkready</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><header class="masthead"><p class="brand">linkready</p></header>
<main id="main" class="login"><h1>Sign in</h1>{note}
<form method="post" action="/login" novalidate>
<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">
<input type="hidden" name="next" value="{escape(_safe_next(flask.request.values.get('next')))}">
<div class="control"><label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required value="{escape(username)}"></div>
<div class="control"><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></div>
<button type="submit" id="sign-in">Sign in</button></form>
<p class="hint">Accounts are issued with <code>linkready users add</code>. There is no default password.</p>
</main></body></html>"""
    return flask.Response(page, status=status, mimetype="text/html")


def install_auth(server: flask.Flask, secret: str, secure: bool, session_hours: int) -> None:
    """Wire flask-login, the login/logout routes, the route guard and security headers."""
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
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(name: str) -> User | None:
        account = current().accounts.get(name)
        return User(account) if account else None

    @server.route("/login", methods=["GET", "POST"])
    def login() -> flask.Response:
        if flask.request.method == "GET":
            return _login_page()
        if not _csrf_ok():
            return _login_page("The form expired. Please sign in again.", 400)
        name = flask.request.form.get("username", "").strip()
        password = flask.request.form.get("password", "")
        result = current().accounts.authenticate(name, password)
        if result.account is None:
            if result.locked_minutes:
                msg = f"Too many failed sign-ins: this account is locked. Try again in {result.locked_minutes} minutes."
                return _login_page(msg, 429, name)
            return _login_page("The username or password is not right.", 401, name)
        target = _safe_next(flask.request.form.get("next"))
        flask.session.clear()  # no session fixation: a fresh session (and CSRF token) after login
        flask.session.permanent = True
        csrf_token()  # issued now, so concurrent Dash requests all carry the same token in the cookie
        login_user(User(result.account))
        return flask.redirect(target)

    @server.route("/logout", methods=["POST"])
    def logout() -> flask.Response:
        if not _csrf_ok():
            return flask.Response("bad request", status=400)
        if current_user.is_authenticated:
            current().accounts.audit(current_user.id, "logout", "ok", ())
        logout_user()
        flask.session.clear()
        return flask.redirect("/login")

    @server.before_request
    def require_login() -> flask.Response | None:
        path = flask.request.path
        if any(path == p or (p.endswith("/") and path.startswith(p)) for p in _PUBLIC):
            return None
        if current_user.is_authenticated:
            return None
        if path.startswith("/_dash-") or path.startswith("/_reload-hash") or path.startswith("/download/"):
            return flask.Response("login required", status=401)
        if path == "/":
            return flask.redirect("/login")
        return flask.redirect("/login?" + urlencode({"next": flask.request.full_path.rstrip("?")}))

    @server.after_request
    def headers(resp: flask.Response) -> flask.Response:
        resp.headers.setdefault("Content-Security-Policy", _CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if flask.request.path.startswith(("/_dash-update-component", "/download/")) or "text/html" in resp.mimetype:
            resp.headers["Cache-Control"] = "no-store"
        return resp
