"""Accounts, roles, lockout and the audit log, in a small sqlite file beside the warehouse.

The dashboard opens the DuckDB warehouse read-only, so everything it writes (failed-login
counters, the audit log) lives in ``<db>.auth.sqlite`` (stdlib :mod:`sqlite3`, WAL mode).
Passwords are hashed with scrypt (a slow, memory-hard KDF); no account has a default password.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from warehouse.errors import ConfigError, did_you_mean
from warehouse.sites import SITE_IDS, get_site
from warehouse.store import warn_if_shared

Role = Literal["researcher", "site", "admin"]
ROLES: tuple[str, ...] = ("researcher", "site", "admin")
MIN_PASSWORD = 12
_NAME = re.compile(r"^[a-z][a-z0-9_.-]{1,39}$")
# scrypt cost: n=2**14, r=8 (~16 MiB, tens of ms per hash): slow for guessing, quick to log in.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}

_DDL = """
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, site_id TEXT, pw_hash TEXT NOT NULL,
    created_at TEXT NOT NULL, failed INTEGER NOT NULL DEFAULT 0, first_failed_at TEXT, locked_until TEXT
);
CREATE TABLE IF NOT EXISTS unknown_attempts (
    name_mac TEXT PRIMARY KEY, failed INTEGER NOT NULL, first_failed_at TEXT NOT NULL, locked_until TEXT
);
CREATE INDEX IF NOT EXISTS unknown_attempts_by_start ON unknown_attempts (first_failed_at);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_name ON sessions (name);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, username TEXT NOT NULL,
    action TEXT NOT NULL, what TEXT NOT NULL, sites TEXT NOT NULL, detail TEXT
);
"""


@dataclass(frozen=True)
class Account:
    """A dashboard account. ``password`` is filled only when an account is first created."""

    name: str
    role: str
    site: str | None = None
    password: str | None = None

    @property
    def sites(self) -> tuple[str, ...]:
        """The sites this account may see: one for a site user, all four otherwise."""
        if self.role == "site":
            return (self.site,) if self.site else ()
        return SITE_IDS


@dataclass(frozen=True)
class LoginResult:
    """Outcome of :meth:`AccountStore.authenticate`: the account, or why not (never shown to the caller:
    unknown names, wrong passwords and locked accounts get the same answer)."""

    account: Account | None
    locked_minutes: int = 0


def hash_password(password: str) -> str:
    """Hash with scrypt and a random salt: ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, maxmem=64 * 1024 * 1024, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a :func:`hash_password` string."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    got = hashlib.scrypt(
        password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32,
        maxmem=64 * 1024 * 1024,
    )
    return hmac.compare_digest(got.hex(), digest)


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def _now() -> datetime:
    return datetime.now(UTC)


class AccountStore:
    """Accounts and audit log in one sqlite file.

    Args:
        path: the sqlite file (``<db>.auth.sqlite``), created on first use with mode 0600.
        max_failures: failed logins within ``lockout_minutes`` that lock an account.
        lockout_minutes: lock length (and the failure-counting window).

    Example:
        >>> store = AccountStore(Path("demo.duckdb.auth.sqlite"))        # doctest: +SKIP
        >>> store.add("ana", "site", "fbs", "a long passphrase")          # doctest: +SKIP
    """

    def __init__(self, path: Path, max_failures: int = 5, lockout_minutes: int = 15) -> None:
        self.path = Path(path)
        self.max_failures = max_failures
        self.lockout = timedelta(minutes=lockout_minutes)
        self._lock = threading.Lock()
        # keys the failure counters of names with no account; held in memory only, so the file never
        # holds a guessable trace of what was typed (a name field may carry a mistyped password)
        self._unknown_key = secrets.token_bytes(32)
        if not self.path.exists():  # born 0600: sqlite takes an empty file as a new database
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        warn_if_shared(self.path, "accounts file")
        with self._connect() as con:
            con.executescript(_DDL)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=10)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
            with con:
                yield con
        finally:
            con.close()

    # ---------------------------------------------------------------- accounts
    def add(self, name: str, role: str, site_id: str | None, password: str, replace: bool = False) -> Account:
        """Create (or with ``replace`` reset) an account. Raises ConfigError on bad input."""
        problems = []
        if not _NAME.match(name or ""):
            problems.append(f"name {name!r}: use 2-40 characters a-z 0-9 _ . - starting with a letter")
        if role not in ROLES:
            problems.append(f"role {role!r}: allowed {', '.join(ROLES)}{did_you_mean(role, ROLES)}")
        if role == "site":
            if not site_id:
                problems.append(f"role site needs --site (one of {', '.join(SITE_IDS)})")
            else:
                try:
                    get_site(site_id)
                except ConfigError as exc:
                    problems.append(str(exc))
        elif site_id:
            problems.append(f"--site {site_id!r} is only for role site; {role} accounts see every site")
        if len(password or "") < MIN_PASSWORD:
            problems.append(f"password has {len(password or '')} characters; use at least {MIN_PASSWORD}")
        if problems:
            raise ConfigError("cannot add account: " + "; ".join(problems))
        with self._lock, self._connect() as con:
            exists = con.execute("SELECT 1 FROM accounts WHERE name = ?", [name]).fetchone()
            if exists and not replace:
                raise ConfigError(f"account {name!r} already exists; remove it first with `linkready users remove {name}`")
            con.execute("DELETE FROM accounts WHERE name = ?", [name])
            con.execute("DELETE FROM sessions WHERE name = ?", [name])  # a new password ends every session
            con.execute(
                "INSERT INTO accounts (name, role, site_id, pw_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                [name, role, site_id if role == "site" else None, hash_password(password), _now().isoformat()],
            )
        self.audit(name, "account", "created", (), {"role": role})
        return Account(name, role, site_id if role == "site" else None)

    def remove(self, name: str) -> None:
        """Delete an account; raises ConfigError when it does not exist."""
        with self._lock, self._connect() as con:
            cur = con.execute("DELETE FROM accounts WHERE name = ?", [name])
            con.execute("DELETE FROM sessions WHERE name = ?", [name])
            if cur.rowcount == 0:
                names = [r[0] for r in con.execute("SELECT name FROM accounts")]
                raise ConfigError(f"no account {name!r}; existing: {', '.join(names) or 'none'}{did_you_mean(name, names)}")
        self.audit(name, "account", "removed", ())

    def list(self) -> list[Account]:
        """Every account (without passwords), by name."""
        with self._connect() as con:
            rows = con.execute("SELECT name, role, site_id FROM accounts ORDER BY name").fetchall()
        return [Account(n, r, s) for n, r, s in rows]

    def get(self, name: str) -> Account | None:
        """The account called ``name`` or None."""
        with self._connect() as con:
            row = con.execute("SELECT name, role, site_id FROM accounts WHERE name = ?", [name]).fetchone()
        return Account(*row) if row else None

    def authenticate(self, name: str, password: str) -> LoginResult:
        """Check a login; lock after ``max_failures`` failed attempts within the window.

        The attempt is counted *before* the password is checked, in one UPDATE statement, so parallel
        guesses cannot all pass the count: at most ``max_failures`` passwords are ever checked per window.
        Unknown names, locked accounts and wrong passwords cost one KDF run each (a dummy hash when
        there is nothing to check), one counter write each (an unknown name is counted under a keyed
        hash, never as typed) and give the same answer, so timing does not tell which names exist.
        """
        now = _now()
        row = self._count_attempt(name, now)
        if isinstance(row, int):  # no such account: the steps of a wrong password, on the name's own counter
            verify_password(password, _DUMMY_HASH)
            if row == self.max_failures:  # where an account is locked: the same extra write
                with self._lock, self._connect() as con:
                    con.execute("UPDATE unknown_attempts SET locked_until = ? WHERE name_mac = ?",
                                [(now + self.lockout).isoformat(), self._unknown_mac(name)])
            self.audit("(unknown account)", "login", "failed", ())
            return LoginResult(None)
        role, site_id, pw_hash, attempts, locked_until = row
        if locked_until and datetime.fromisoformat(locked_until) > now or attempts > self.max_failures:
            verify_password(password, _DUMMY_HASH)
            self.audit(name, "login", "refused: locked", ())
            left = (datetime.fromisoformat(locked_until) - now) if locked_until else self.lockout
            return LoginResult(None, max(1, int(left.total_seconds() // 60) + 1))
        if verify_password(password, pw_hash):
            with self._lock, self._connect() as con:
                con.execute("UPDATE accounts SET failed = 0, first_failed_at = NULL, locked_until = NULL "
                            "WHERE name = ?", [name])
            self.audit(name, "login", "ok", ())
            return LoginResult(Account(name, role, site_id))
        if attempts >= self.max_failures:
            with self._lock, self._connect() as con:
                con.execute("UPDATE accounts SET locked_until = ? WHERE name = ? AND locked_until IS NULL",
                            [(now + self.lockout).isoformat(), name])
            self.audit(name, "login", "failed: locked", ())
            return LoginResult(None, int(self.lockout.total_seconds() // 60))
        self.audit(name, "login", "failed", ())
        return LoginResult(None)

    def _count_attempt(self, name: str, now: datetime) -> tuple[str, str | None, str, int, str | None] | int:
        """Count one attempt atomically (a new window after the last one ended): the account's row, or for a
        name with no account the number of its attempts in the window.

        A name with no account is counted too, in the same transaction, under an HMAC of the name
        (:data:`_COUNT_UNKNOWN_SQL`): the same write and commit as for a real account, so an unknown
        name is not answered faster; stale unknown counters are dropped on the way (on both paths).
        """
        args = {"start": (now - self.lockout).isoformat(), "now": now.isoformat(), "name": name}
        with self._lock, self._connect() as con:
            con.execute("DELETE FROM unknown_attempts WHERE first_failed_at < :start", args)
            row = con.execute(_COUNT_ACCOUNT_SQL, args).fetchone()
            if row is None:
                unknown = con.execute(_COUNT_UNKNOWN_SQL, {**args, "mac": self._unknown_mac(name)}).fetchone()
                return int(unknown[0])
        return (row[0], row[1], row[2], int(row[3]), row[4])

    def _unknown_mac(self, name: str) -> str:
        return hmac.new(self._unknown_key, name.encode("utf-8"), hashlib.sha256).hexdigest()

    # ---------------------------------------------------------------- sessions
    def open_session(self, name: str, hours: int) -> str:
        """Start a server-side session for ``name``; returns the token the cookie carries (stored hashed)."""
        token = secrets.token_urlsafe(32)
        now = _now()
        with self._lock, self._connect() as con:
            con.execute("DELETE FROM sessions WHERE expires_at < ?", [now.isoformat()])
            con.execute("INSERT INTO sessions (token_hash, name, created_at, expires_at) VALUES (?, ?, ?, ?)",
                        [_token_hash(token), name, now.isoformat(), (now + timedelta(hours=hours)).isoformat()])
        return token

    def session_account(self, token: str) -> Account | None:
        """The account of a live session, or None (ended, expired, or the account was removed or reset)."""
        with self._connect() as con:
            row = con.execute(
                "SELECT a.name, a.role, a.site_id FROM sessions s JOIN accounts a USING (name) "
                "WHERE s.token_hash = ? AND s.expires_at > ?", [_token_hash(token), _now().isoformat()],
            ).fetchone()
        return Account(*row) if row else None

    def close_session(self, token: str) -> None:
        """End one session (logout): its cookie is refused from now on."""
        with self._lock, self._connect() as con:
            con.execute("DELETE FROM sessions WHERE token_hash = ?", [_token_hash(token)])

    def close_sessions(self, name: str) -> int:
        """End every session of ``name``; returns how many."""
        with self._lock, self._connect() as con:
            return con.execute("DELETE FROM sessions WHERE name = ?", [name]).rowcount

    # ---------------------------------------------------------------- audit
    def audit(self, username: str, action: str, what: str, sites: tuple[str, ...] | builtins.list[str],
              detail: Mapping[str, object] | None = None) -> None:
        """Append one line to the audit log: who, what, which sites, when."""
        with self._lock, self._connect() as con:
            con.execute(
                "INSERT INTO audit_log (at, username, action, what, sites, detail) VALUES (?, ?, ?, ?, ?, ?)",
                [_now().isoformat(timespec="milliseconds"), username, action, what, ",".join(sites),
                 json.dumps(detail, sort_keys=True, default=str) if detail else None],
            )

    def audit_many(self, entries: builtins.list[tuple[str, str, str, tuple[str, ...], Mapping[str, object] | None]],
                   ) -> None:
        """Append several audit lines in one transaction (one request's views)."""
        if not entries:
            return
        at = _now().isoformat(timespec="milliseconds")
        rows = [[at, u, a, w, ",".join(s), json.dumps(d, sort_keys=True, default=str) if d else None]
                for u, a, w, s, d in entries]
        with self._lock, self._connect() as con:
            con.executemany(
                "INSERT INTO audit_log (at, username, action, what, sites, detail) VALUES (?, ?, ?, ?, ?, ?)", rows
            )

    def audit_entries(self, limit: int = 500, username: str | None = None, site: str | None = None,
                      action: str | None = None, day: str | None = None, offset: int = 0,
                      ) -> builtins.list[dict[str, str]]:
        """Audit lines, newest first, filtered by user, site, action and day (``YYYY-MM-DD``), one page at a time."""
        args = {**_audit_filter(username, site, action, day), "limit": limit, "offset": max(0, offset)}
        with self._connect() as con:
            rows = con.execute(_AUDIT_PAGE_SQL, args).fetchall()
        keys = ("at", "username", "action", "what", "sites", "detail")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def audit_count(self, username: str | None = None, site: str | None = None, action: str | None = None,
                    day: str | None = None) -> int:
        """How many audit lines match the filters."""
        with self._connect() as con:
            row = con.execute(_AUDIT_COUNT_SQL, _audit_filter(username, site, action, day)).fetchone()
        return int(row[0]) if row else 0

    def audit_actions(self) -> builtins.list[str]:
        """The actions recorded so far (for the filter)."""
        with self._connect() as con:
            return [r[0] for r in con.execute("SELECT DISTINCT action FROM audit_log ORDER BY action")]


_COUNT_ACCOUNT_SQL = """UPDATE accounts SET
    failed = CASE WHEN first_failed_at IS NULL OR first_failed_at < :start THEN 1 ELSE failed + 1 END,
    first_failed_at = CASE WHEN first_failed_at IS NULL OR first_failed_at < :start THEN :now
                           ELSE first_failed_at END,
    locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= :now THEN NULL ELSE locked_until END
WHERE name = :name
RETURNING role, site_id, pw_hash, failed, locked_until"""
# stale rows were deleted just before, so an existing row is inside the window
_COUNT_UNKNOWN_SQL = """INSERT INTO unknown_attempts (name_mac, failed, first_failed_at) VALUES (:mac, 1, :now)
ON CONFLICT (name_mac) DO UPDATE SET failed = failed + 1
RETURNING failed"""
_AUDIT_PAGE_SQL = """SELECT at, username, action, what, sites, coalesce(detail, '') FROM audit_log
WHERE (:user IS NULL OR username = :user) AND (:site IS NULL OR (',' || sites || ',') LIKE :site_like)
  AND (:action IS NULL OR action = :action) AND (:day IS NULL OR substr(at, 1, 10) = :day)
ORDER BY id DESC LIMIT :limit OFFSET :offset"""
_AUDIT_COUNT_SQL = """SELECT count(*) FROM audit_log
WHERE (:user IS NULL OR username = :user) AND (:site IS NULL OR (',' || sites || ',') LIKE :site_like)
  AND (:action IS NULL OR action = :action) AND (:day IS NULL OR substr(at, 1, 10) = :day)"""


def _audit_filter(username: str | None, site: str | None, action: str | None, day: str | None) -> dict[str, object]:
    """The bound values of the one fixed filter (empty filters are NULL and match everything)."""
    return {"user": username or None, "site": site or None, "site_like": f"%,{site},%",
            "action": action or None, "day": day or None}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_demo_accounts(db: Path) -> builtins.list[Account]:
    """Create (or reset) one researcher, one admin and one site user per site for warehouse ``db``.

    Returns the accounts with their random passwords: the only time they are shown.

    Example:
        >>> for a in create_demo_accounts(Path("demo.duckdb")): print(a.name, a.password)  # doctest: +SKIP
    """
    from dashboard.settings import auth_path_for

    store = AccountStore(auth_path_for(Path(db)))
    specs: builtins.list[tuple[str, str, str | None]] = [("researcher", "researcher", None), ("admin", "admin", None)]
    specs += [(f"{s}_user", "site", s) for s in SITE_IDS]
    out = []
    for name, role, site in specs:
        password = secrets.token_urlsafe(12)
        acc = store.add(name, role, site, password, replace=True)
        out.append(Account(acc.name, acc.role, acc.site, password))
    return out
