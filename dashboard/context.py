"""Per-app state (warehouse connection, settings, accounts), found through Flask's current_app.

Nothing is held at module level: :func:`dashboard.create_app` builds one context per app and
callbacks and page layouts reach it with :func:`current`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import duckdb
import flask

from dashboard.accounts import AccountStore
from dashboard.settings import DashboardSettings
from warehouse.store import Store

T = TypeVar("T")
_KEY = "linkready_dashboard"
_CACHE_SIZE = 512


@dataclass
class DashboardContext:
    """What a running dashboard needs: a read-only warehouse connection, settings, accounts.

    The warehouse is opened read-only and does not change while it is served, so finished
    (already suppressed) tables are cached by (table, sites, parameters).
    """

    store: Store
    settings: DashboardSettings
    accounts: AccountStore
    _con: duckdb.DuckDBPyConnection | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cache: OrderedDict[tuple[object, ...], object] = field(default_factory=OrderedDict)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the shared read-only connection (one per call: cursors are not shared across threads)."""
        with self._lock:
            if self._con is None:
                self._con = duckdb.connect(str(self.store.path), read_only=True)
            return self._con.cursor()

    def cached(self, key: tuple[object, ...], make: Callable[[], T]) -> T:
        """Return the cached value for ``key`` or make, store and return it."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]  # type: ignore[return-value]
        value = make()
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    def audit(self, username: str, action: str, what: str, sites: tuple[str, ...],
              detail: Mapping[str, object] | None = None) -> None:
        """Record a view: buffered for the current request (written once when it ends), else written now."""
        if flask.has_request_context():
            pending = flask.g.setdefault("linkready_audit", [])
            pending.append((username, action, what, tuple(sites), detail))
        else:
            self.accounts.audit(username, action, what, sites, detail)

    def flush_audit(self) -> None:
        """Write the current request's buffered audit lines (called at request teardown)."""
        pending = flask.g.pop("linkready_audit", None) if flask.has_request_context() else None
        if pending:
            self.accounts.audit_many(pending)

    def clear_cache(self) -> None:
        """Forget cached tables (after the warehouse file is swapped)."""
        with self._lock:
            self._cache.clear()

    def close(self) -> None:
        """Close the warehouse connection."""
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


def install(app: flask.Flask, ctx: DashboardContext) -> None:
    """Attach ``ctx`` to a Flask app; buffered audit lines are written when each request ends."""
    app.extensions[_KEY] = ctx

    @app.teardown_request
    def _flush(_exc: BaseException | None) -> None:
        ctx.flush_audit()


def current() -> DashboardContext:
    """The context of the app handling this request."""
    ctx: DashboardContext = flask.current_app.extensions[_KEY]
    return ctx
