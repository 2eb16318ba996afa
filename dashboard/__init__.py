"""The comparison dashboard: researchers compare sites; each site user sees only their own panel.

Public API: :func:`create_app`, :func:`serve`, :func:`create_demo_accounts`,
:class:`DashboardSettings`, :class:`Account`, :class:`AccountStore`. The app (Dash, its pages and every
table) loads on first use, so `linkready users ...` does not build a web app to manage an account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.accounts import Account, AccountStore, create_demo_accounts
from dashboard.settings import DashboardSettings, auth_path_for
from warehouse.lazy import lazy_names

_LAZY: dict[str, str] = {"create_app": "dashboard.app", "serve": "dashboard.app"}

if TYPE_CHECKING:
    from dashboard.app import create_app, serve

__all__ = ["Account", "AccountStore", "DashboardSettings", "auth_path_for", "create_app", "create_demo_accounts",
           "serve"]

__getattr__ = lazy_names("dashboard", _LAZY, globals())
