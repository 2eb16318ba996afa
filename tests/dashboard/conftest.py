"""Fixtures for the dashboard tests: a seeded warehouse, demo accounts, the app, logged-in clients,
and Playwright driving Debian's chromium (never `playwright install`).

With REQUIRE_BROWSER=1 (CI) a missing chromium makes browser tests FAIL; otherwise they skip.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dashboard import DashboardSettings, create_app, create_demo_accounts
from tests.dashboard.pipeline import build_pipeline
from tests.dashboard.seeded import build
from warehouse.store import Store

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,900",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SECRET = "test-secret-" + "x" * 40


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip browser tests without chromium, unless REQUIRE_BROWSER=1 (then they fail in the fixture)."""
    if (CHROMIUM and os.path.exists(CHROMIUM)) or REQUIRE_BROWSER:
        return
    skip = pytest.mark.skip(reason="no chromium (apt-get install chromium chromium-driver); set REQUIRE_BROWSER=1 to fail")
    for item in items:
        if "browser" in item.keywords and str(item.fspath).startswith(str(Path(__file__).parent)):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def warehouse_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hand-seeded warehouse with known small cells (coda has 4 programme children), plus synthesis
    and readiness results: for exact disclosure and authorisation assertions."""
    return build(tmp_path_factory.mktemp("dash") / "test.duckdb")


@pytest.fixture(scope="session")
def pipeline_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse built by the real pipeline at small N (generate, load, link, readiness, findings)."""
    return build_pipeline(tmp_path_factory.mktemp("pipe") / "pipe.duckdb", children=600)


@pytest.fixture(scope="session")
def passwords(warehouse_db: Path) -> dict[str, str]:
    """Demo accounts (researcher, admin, <site>_user) -> their one-time passwords."""
    return {a.name: a.password or "" for a in create_demo_accounts(warehouse_db)}


@pytest.fixture(scope="session")
def pipeline_passwords(pipeline_db: Path) -> dict[str, str]:
    """Demo accounts of the pipeline warehouse."""
    return {a.name: a.password or "" for a in create_demo_accounts(pipeline_db)}


@pytest.fixture(scope="session")
def settings() -> DashboardSettings:
    """Test settings: fixed secret, cookies over plain http (loopback)."""
    return DashboardSettings(secret_key=SECRET, secure_cookies=False)


@pytest.fixture(scope="session")
def app(warehouse_db: Path, passwords: dict[str, str], settings: DashboardSettings):
    """The dashboard app over the seeded warehouse (read-only)."""
    return create_app(Store(warehouse_db, read_only=True), settings)


def csrf_from(html: str) -> str:
    """The CSRF token in a login page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "login page has no CSRF token"
    return found.group(1)


@pytest.fixture
def login(app, passwords: dict[str, str]) -> Callable[[str], object]:
    """``login("fbs_user")`` -> a Flask test client with that user's session."""

    def make(name: str):
        client = app.server.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        resp = client.post("/login", data={"username": name, "password": passwords[name], "csrf_token": token})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        return client

    return make


# ---------------------------------------------------------------- browser (pytest-playwright)
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's chromium instead of a Playwright-downloaded browser."""
    if not (CHROMIUM and os.path.exists(CHROMIUM)):
        pytest.fail(f"REQUIRE_BROWSER=1 but no chromium found (got {CHROMIUM!r}); apt-get install chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def live_server(pipeline_db: Path, pipeline_passwords: dict[str, str], settings: DashboardSettings) -> Iterator[str]:
    """One live server per session on a free loopback port, over the pipeline-built warehouse."""
    from werkzeug.serving import make_server

    app = create_app(Store(pipeline_db, read_only=True), settings)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """pytest-playwright passes this to every new browser context."""
    return live_server


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
