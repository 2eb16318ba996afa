"""The pseudonym key file: created 0600, and a wider one found later is warned about."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from warehouse.pseudonym import key_file_for, load_pseudonymiser


@pytest.fixture(autouse=True)
def _no_env_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINKREADY_SECRET", raising=False)
    monkeypatch.delenv("LINKREADY_KEY_FILE", raising=False)


def test_key_file_is_born_0600_and_quiet(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "w.duckdb"
    with caplog.at_level(logging.WARNING):
        first = load_pseudonymiser(db)
        again = load_pseudonymiser(db)   # reopening a private key file says nothing
    assert stat.S_IMODE(key_file_for(db).stat().st_mode) == 0o600
    assert first.key("site", "x") == again.key("site", "x")
    assert not [r for r in caplog.records if "key file" in r.getMessage()]


def test_a_key_file_others_can_read_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "w.duckdb"
    load_pseudonymiser(db)
    path = key_file_for(db)
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING):
        load_pseudonymiser(db)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("pseudonym key file" in m and "chmod 600" in m for m in warned), warned
    assert not any(path.read_text().strip() in m for m in warned)   # the secret itself is never logged
