"""`linkready demo` as a user runs it: builds everything, serves HTTP 200, and re-runs without duplicates."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BIN = Path(sys.executable).parent / "linkready"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _counts(db: Path) -> dict[str, int]:
    """Row count of every base table in both zones."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        ).fetchall()
        return {
            f"{schema}.{name}": con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0]  # noqa: S608
            for schema, name in tables
        }
    finally:
        con.close()


def _wait_http(url: str, proc: subprocess.Popen[str], timeout: float = 240) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"demo exited early with {proc.returncode}:\n{out[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 (loopback)
                return resp.status, resp.read().decode("utf-8", "replace")
        except OSError:
            time.sleep(1)
    raise AssertionError(f"no HTTP answer from {url} within {timeout} s")


def test_demo_serves_and_reruns_without_duplicates(tmp_path: Path) -> None:
    env = {**os.environ, "LINKREADY_SECRET": "demo-test-secret"}
    port = _free_port()
    args = [str(BIN), "demo", "--dir", str(tmp_path), "--port", str(port), "--children", "400"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        status, body = _wait_http(f"http://127.0.0.1:{port}/", proc)
        assert status == 200
        assert "<html" in body.lower()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    # One account per role is printed, and how to reach the dashboard.
    assert all(role in out for role in ("researcher", "admin", "site")), out[-2000:]
    assert f"http://127.0.0.1:{port}/" in out
    first = _counts(tmp_path / "demo.duckdb")
    assert all(first[t] > 0 for t in ("main.children", "main.service_episodes", "restricted.truth_links"))

    again = subprocess.run([*args, "--no-serve"], capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert _counts(tmp_path / "demo.duckdb") == first
