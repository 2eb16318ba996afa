"""The comparison dashboard: researchers compare sites; each site user sees only their own panel.

Public API: :func:`create_app`, :func:`serve`, :func:`create_demo_accounts`,
:class:`DashboardSettings`, :class:`Account`, :class:`AccountStore`.
"""

from __future__ import annotations

from dashboard.accounts import Account, AccountStore, create_demo_accounts
from dashboard.app import create_app, serve
from dashboard.settings import DashboardSettings, auth_path_for

__all__ = ["Account", "AccountStore", "DashboardSettings", "auth_path_for", "create_app", "create_demo_accounts",
           "serve"]
