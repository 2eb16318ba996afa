"""`linkready users` and `linkready serve` run as real processes."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from warehouse.store import Store

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent / "linkready"


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_users_add_list_remove(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    added = run("users", "add", "ana", "--role", "site", "--site", "fbs", "--db", db, stdin="a long passphrase 1\n")
    assert added.returncode == 0, added.stderr
    assert "added ana (site, site fbs)" in added.stdout
    assert run("users", "add", "rita", "--role", "researcher", "--db", db, stdin="another passphrase\n").returncode == 0
    listed = run("users", "list", "--db", db)
    assert re.search(r"ana\s+site\s+fbs", listed.stdout) and re.search(r"rita\s+researcher\s+all sites", listed.stdout)
    assert "passphrase" not in listed.stdout
    short = run("users", "add", "bob", "--role", "admin", "--db", db, stdin="short\n")
    assert short.returncode == 1 and short.stderr.startswith("error: cannot add account: password has 5 characters")
    bad_role = run("users", "add", "bob", "--role", "boss", "--db", db, stdin="a long passphrase 1\n")
    assert bad_role.returncode == 2
    assert run("users", "remove", "ana", "--db", db).returncode == 0
    missing = run("users", "remove", "ana", "--db", db)
    assert missing.returncode == 1 and "no account 'ana'" in missing.stderr
    assert oct(os.stat(db + ".auth.sqlite").st_mode & 0o777) == "0o600"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_logs_in_and_answers(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    Store(db)  # an empty, migrated warehouse: pages must say "no data yet"
    assert oct(os.stat(db).st_mode & 0o777) == "0o600"  # the warehouse holds the restricted zone
    assert run("users", "add", "rita", "--role", "researcher", "--db", str(db), stdin="a long passphrase 2\n").returncode == 0
    port = _free_port()
    env = {**os.environ, "LINKREADY_DASHBOARD_SECRET": "e2e-secret-" + "y" * 32}
    proc = subprocess.Popen([str(BIN), "serve", "--db", str(db), "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = opener.open(base + "/login", timeout=5).read().decode()  # noqa: S310 (loopback)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.5)
        with opener.open(base + "/login", timeout=5) as first:  # noqa: S310 (loopback)
            assert first.headers["Server"] == "linkready"  # waitress (ident), not Werkzeug's development server
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"username": "rita", "password": "a long passphrase 2", "csrf_token": token})
        home = opener.open(base + "/login", data=data.encode(), timeout=10)  # noqa: S310
        assert home.status == 200 and home.url == base + "/"
        layout = opener.open(base + "/_dash-layout", timeout=10).read().decode()  # noqa: S310
        assert "Signed in as rita" in layout
        meta = opener.open(base + "/download/overview.metadata.csv", timeout=10).read().decode()  # noqa: S310
        assert "Title,Sites side by side" in meta
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
