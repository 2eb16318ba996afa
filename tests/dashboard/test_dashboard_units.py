"""Unit tests of the dashboard's pure parts: disclosure control, scopes, accounts, settings, tables."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dashboard.access import Viewer
from dashboard.accounts import AccountStore, hash_password, verify_password
from dashboard.settings import DashboardSettings
from warehouse.errors import AccessDenied, ConfigError


# ---------------------------------------------------------------- tables
def test_every_table_declares_its_counts_and_rates() -> None:
    """No guessing from column names: each rate names a numerator and a denominator that are counts."""
    from dashboard.tables import TABLES
    from warehouse.disclosure import Rate

    for spec in TABLES.values():
        decl = spec.disclosure
        for rate, source in decl.rates.items():
            if isinstance(source, Rate):
                assert {source.numerator, source.denominator} <= set(decl.counts) | set(decl.support), (spec.table_id, rate)
            else:
                assert set(source) <= set(decl.counts) | set(decl.support), (spec.table_id, rate)


def test_time_to_target_in_years_and_months() -> None:
    from dashboard.tables import years_and_months

    assert years_and_months(26.2) == "2 years 3 months"  # rounded up to a whole month
    assert years_and_months(12) == "1 year"
    assert years_and_months(0.4) == "1 month"
    assert years_and_months(None) is None and years_and_months(float("nan")) is None


def test_readiness_timeline_hides_the_flow_when_its_referrals_are_few() -> None:
    """monthly referrals x months would give back the referral count: the flow and all built on it go
    with a count of 1-5, and the count itself is never published."""
    from dashboard.tables import TABLES

    decl = TABLES["readiness_timeline"].disclosure_for(5)
    frame = pl.DataFrame({"site_id": ["a", "b"], "monthly_referrals": [0.25, 2.0], "analysable_per_month": [0.1, 1.0],
                          "months_to_target": [300.0, 30.0], "time_to_target": ["25 years", "2 years 6 months"],
                          "reachable_in_study": ["no", "yes"], "referrals_counted": [3, 48]})
    out = decl.apply(frame)
    assert "referrals_counted" not in out.columns
    assert out.row(0) == ("a", "[c]", "[c]", "[c]", "[c]", "[c]")
    assert out.row(1)[1:3] == ("2.0", "1.0")


def test_unknown_table_gets_a_did_you_mean() -> None:
    from dashboard.tables import get_table

    with pytest.raises(ConfigError, match="did you mean 'overview'"):
        get_table("overveiw")


def test_scope_intersects_requests_with_permissions() -> None:
    site_user = Viewer("u", "site", ("fbs",))
    assert site_user.scope(None).sites == ("fbs",)
    assert site_user.scope(["fbs", "sat"]).sites == ("fbs",)
    assert site_user.scope("fbs,coda").sites == ("fbs",)
    for bad in (["sat"], "leap", ["nonsense"], 42, [{"x": 1}]):
        with pytest.raises(AccessDenied):
            site_user.scope(bad)  # type: ignore[arg-type]
    researcher = Viewer("r", "researcher", ("fbs", "sat", "leap", "coda"))
    assert researcher.scope(["coda", "sat"]).sites == ("sat", "coda")
    with pytest.raises(AccessDenied):
        Viewer("anonymous", "none", ()).scope(None)


# ---------------------------------------------------------------- accounts
def test_password_hash_is_salted_scrypt_and_verifies() -> None:
    a, b = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert a != b and a.startswith("scrypt$")
    assert verify_password("correct horse battery", a)
    assert not verify_password("correct horse batterz", a)
    assert not verify_password("x", "md5$abc")


def test_account_validation_reports_every_problem(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "a.sqlite")
    with pytest.raises(ConfigError) as err:
        store.add("Bad Name", "sight", "fbsx", "short")
    msg = str(err.value)
    assert "name" in msg and "did you mean 'site'" in msg and "password has 5 characters" in msg
    with pytest.raises(ConfigError, match="needs --site"):
        store.add("ana", "site", None, "a long enough passphrase")
    with pytest.raises(ConfigError, match="only for role site"):
        store.add("rita", "researcher", "fbs", "a long enough passphrase")


def test_add_list_remove_and_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    store = AccountStore(path)
    store.add("ana", "site", "fbs", "a long enough passphrase")
    store.add("rita", "researcher", None, "another long passphrase")
    assert [(a.name, a.role, a.site) for a in store.list()] == [("ana", "site", "fbs"), ("rita", "researcher", None)]
    assert store.get("ana").sites == ("fbs",)  # type: ignore[union-attr]
    assert len(store.get("rita").sites) == 4  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="already exists"):
        store.add("ana", "site", "fbs", "a long enough passphrase")
    store.remove("ana")
    with pytest.raises(ConfigError, match="no account 'ana'"):
        store.remove("ana")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert "passphrase" not in path.read_bytes().decode("latin-1")


def test_lockout_after_repeated_failures(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "a.sqlite", max_failures=3, lockout_minutes=15)
    store.add("ana", "site", "fbs", "a long enough passphrase")
    assert store.authenticate("ana", "a long enough passphrase").account is not None
    for _ in range(2):
        assert store.authenticate("ana", "wrong").locked_minutes == 0
    third = store.authenticate("ana", "wrong")
    assert third.account is None and third.locked_minutes == 15
    # now even the right password is refused until the lock expires
    locked = store.authenticate("ana", "a long enough passphrase")
    assert locked.account is None and locked.locked_minutes > 0
    assert store.authenticate("nobody", "x").account is None
    actions = [(e["username"], e["what"]) for e in store.audit_entries()]
    assert ("ana", "refused: locked") in actions and ("ana", "failed: locked") in actions


# ---------------------------------------------------------------- settings
def test_secret_key_from_env_or_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "w.duckdb"
    monkeypatch.delenv("LINKREADY_DASHBOARD_SECRET", raising=False)
    first = DashboardSettings().resolve_secret(db)
    key_file = Path(str(db) + ".dashboard.key")
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert DashboardSettings().resolve_secret(db) == first and len(first) >= 32
    monkeypatch.setenv("LINKREADY_DASHBOARD_SECRET", "from-the-environment")
    assert DashboardSettings().resolve_secret(db) == "from-the-environment"


def test_settings_validation_and_secure_cookie_rule() -> None:
    with pytest.raises(ConfigError) as err:
        DashboardSettings(suppress_max=0, max_failures=0)
    assert "suppress_max" in str(err.value) and "max_failures" in str(err.value)
    assert DashboardSettings(host="0.0.0.0").cookies_secure() is True  # noqa: S104
    assert DashboardSettings(host="127.0.0.1").cookies_secure() is False
    assert DashboardSettings(host="127.0.0.1", secure_cookies=True).cookies_secure() is True


# ---------------------------------------------------------------- next=
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"/\\:%.@?#=&ab09 \t\r\n\x00\x7f", "%2F", "%5C", "%09", "http", "//"]),
                max_size=15).map("".join))
@example("/%2F/")  # decodes to "///", found by this test in CI
@example("/%252F%252Fevil.example")  # double-encoded "//evil.example"
def test_safe_next_only_returns_same_origin_paths(target: str) -> None:
    from urllib.parse import unquote, urlsplit

    from dashboard.auth import safe_next

    out = safe_next(target)
    once, twice = unquote(out), unquote(unquote(out))
    for text in (out, once, twice):
        parts = urlsplit(text)
        assert text.startswith("/") and not text.startswith("//") and not parts.scheme and not parts.netloc
        assert "\\" not in text and not any(ord(ch) < 32 or ord(ch) == 127 for ch in text)
