"""The README's step-by-step quick start runs as written (offline), command by command, and fills every page.

Only the world size changes (``--children`` made small so the test is quick) and ``serve`` is given a free
port; every other word of each line is the README's, run as a real process in an empty folder.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
LINKREADY = Path(sys.executable).parent / "linkready"
CHILDREN = "400"
PASSWORD = "readme-test-Password-7d1c"


def quick_start_commands() -> list[list[str]]:
    """The fenced bash block under '## Quick start, step by step', one argv per line."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start, step by step", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README has no bash block under 'Quick start, step by step'"
    return [shlex.split(line) for line in block.group(1).splitlines() if line.strip()]


def _small(argv: list[str]) -> list[str]:
    """The line with the real linkready and a small world; nothing else changed."""
    out = [str(LINKREADY), *argv[1:]]
    if "--children" in out:
        out[out.index("--children") + 1] = CHILDREN
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serves(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Start `serve` on a free port, wait for the login page, stop it; returns the page's text."""
    port = _free_port()
    proc = subprocess.Popen([*argv, "--port", str(port)], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"serve exited early:\n{proc.stdout.read() if proc.stdout else ''}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    return str(response.read().decode("utf-8"))
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        raise AssertionError("serve did not answer within 120 s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_readme_quick_start_runs_and_fills_every_page(tmp_path: Path) -> None:
    commands = quick_start_commands()
    assert [c[0] for c in commands] == [".venv/bin/linkready"] * len(commands)
    subcommands = [c[1] for c in commands]
    # the route the issue asks for, in an order that works
    for before, after in [("synth", "load"), ("load", "link"), ("load", "findings"), ("load", "toc"),
                          ("toc", "readiness"), ("users", "serve")]:
        assert subcommands.index(before) < subcommands.index(after), (before, after, subcommands)
    assert {"validate", "readiness"} <= set(subcommands)
    tocs = [c for c in commands if c[1:3] == ["toc", "import"]]
    assert sorted(c[c.index("--site") + 1] for c in tocs) == ["coda", "fbs", "leap", "sat"]

    env = {**os.environ, "LINKREADY_SECRET": "readme-test-secret"}
    for argv in map(_small, commands):
        if argv[1] == "serve":
            assert "Password" in _serves(argv, tmp_path, env)
            continue
        stdin = PASSWORD + "\n" if argv[1] == "users" else None
        proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600, input=stdin)
        assert proc.returncode == 0, f"{shlex.join(argv[1:])} failed:\n{proc.stdout[-1000:]}\n{proc.stderr[-2000:]}"
        assert "Traceback" not in proc.stderr
        if argv[1] == "synth":  # it names the commands that import what it wrote
            assert "findings import" in proc.stdout and "toc import" in proc.stdout
        if argv[1] == "load":
            again = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600)
            assert again.returncode == 0, again.stderr
            # every file named unchanged, in words, not a "0 rows loaded" that reads like a failure
            files = re.search(r"(\d+) files", proc.stdout)
            assert files, proc.stdout[-1000:]
            n = files.group(1)
            assert f"{n} unchanged" in again.stdout or f"{n} files unchanged" in again.stdout, again.stdout[-1000:]
            assert "0 rows loaded" not in again.stdout

    db = tmp_path / "demo.duckdb"
    assert (tmp_path / "linkage.json").stat().st_size > 0
    empty = _empty_tables(db)
    assert empty == [], f"dashboard tables with no data after the README route: {empty}"


def _empty_tables(db: Path) -> list[str]:
    """Every dashboard table produced for a researcher over all sites (default parameters); the empty ones."""
    from dashboard import DashboardSettings, create_app
    from dashboard.access import Viewer
    from dashboard.tables import TABLES, produce
    from warehouse.sites import SITE_IDS
    from warehouse.store import Store

    app = create_app(Store(db, read_only=True), DashboardSettings(secret_key="x" * 40, secure_cookies=False))
    ctx = app.server.extensions["linkready_dashboard"]
    researcher = Viewer("analyst", "researcher", SITE_IDS)
    with app.server.app_context():
        return [table_id for table_id in TABLES if produce(ctx, researcher, table_id).empty]
