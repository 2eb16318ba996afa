"""Typed settings for the dashboard (parsed at the edge, passed inside as one object)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.disclosure import DEFAULT_POLICY
from warehouse.errors import ConfigError
from warehouse.store import warn_if_shared

SECRET_ENV = "LINKREADY_DASHBOARD_SECRET"


@dataclass(frozen=True)
class DashboardSettings:
    """How the dashboard runs.

    Args:
        auth_db: the accounts and audit-log file (stdlib sqlite3), kept beside the warehouse
            because the dashboard opens the warehouse read-only. ``None`` -> ``<db>.auth.sqlite``.
        secret_key: Flask session key. ``None`` -> ``$LINKREADY_DASHBOARD_SECRET``, else a key file
            ``<db>.dashboard.key`` created with mode 0600 on first use.
        secure_cookies: send the session cookie only over HTTPS. ``None`` (auto) -> True unless
            the server listens on a loopback address (the demo runs over plain http on 127.0.0.1).
        suppress_max: counts from 1 to this value are shown as ``[c]`` (DfE rule: 1-5).
        max_failures / lockout_minutes: lock an account after this many failed logins within the
            window, for this many minutes.
        session_hours: how long a login lasts.
        host: the address the server will listen on (used by the secure-cookie auto rule).
        prewarm: pre-aggregate every table's default view (all sites, and each site) in a background
            thread when the app starts, so first views are served from memory.
        threads / channel_timeout / connection_limit: waitress worker threads, seconds before an idle or
            slow connection is closed, and the most connections accepted at once.
        max_request_bytes: largest request body accepted (Dash callbacks are a few kilobytes).

    Example:
        >>> DashboardSettings().suppress_max == DEFAULT_POLICY.suppress_max
        True
    """

    auth_db: Path | None = None
    secret_key: str | None = field(default=None, repr=False)
    secure_cookies: bool | None = None
    suppress_max: int = DEFAULT_POLICY.suppress_max
    max_failures: int = 5
    lockout_minutes: int = 15
    session_hours: int = 8
    host: str = "127.0.0.1"
    prewarm: bool = False
    threads: int = 8
    channel_timeout: int = 60
    connection_limit: int = 200
    max_request_bytes: int = 1024 * 1024

    def __post_init__(self) -> None:
        problems = []
        if self.suppress_max < 1:
            problems.append(f"suppress_max={self.suppress_max}: must be >= 1 (DfE rule: 5)")
        if self.max_failures < 1:
            problems.append(f"max_failures={self.max_failures}: must be >= 1")
        if self.lockout_minutes < 1:
            problems.append(f"lockout_minutes={self.lockout_minutes}: must be >= 1")
        if self.session_hours < 1:
            problems.append(f"session_hours={self.session_hours}: must be >= 1")
        for name in ("threads", "channel_timeout", "connection_limit", "max_request_bytes"):
            if getattr(self, name) < 1:
                problems.append(f"{name}={getattr(self, name)}: must be >= 1")
        if problems:
            raise ConfigError("invalid dashboard settings: " + "; ".join(problems))

    def auth_path(self, db: Path) -> Path:
        """The accounts/audit file for warehouse ``db``."""
        return Path(self.auth_db) if self.auth_db else auth_path_for(db)

    def cookies_secure(self) -> bool:
        """Whether the session cookie gets the Secure flag."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.host not in ("127.0.0.1", "localhost", "::1")

    def resolve_secret(self, db: Path) -> str:
        """The session secret: explicit, else environment, else a key file created on first use."""
        if self.secret_key:
            return self.secret_key
        env = os.environ.get(SECRET_ENV)
        if env:
            return env
        return _key_file_secret(Path(str(db) + ".dashboard.key"))


def auth_path_for(db: Path) -> Path:
    """``<db>.auth.sqlite``: where accounts and the audit log live for warehouse ``db``."""
    return Path(str(db) + ".auth.sqlite")


def _key_file_secret(path: Path) -> str:
    if path.exists():
        warn_if_shared(path, "dashboard key file")
        text = path.read_text(encoding="utf-8").strip()
        if len(text) >= 32:
            return text
        raise ConfigError(f"dashboard key file {path} holds {len(text)} characters; need >= 32; delete it to regenerate")
    secret = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secret + "\n")
    return secret
