"""Attacks over real HTTP against the production server (waitress in a thread), on a world and accounts of
their own: parallel guessing, replayed cookies, open redirects, enumeration, odd paths, formula cells."""

from __future__ import annotations

import csv
import http.client
import io
import json
import re
import sqlite3
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from openpyxl import load_workbook

from dashboard import AccountStore, DashboardSettings, create_app
from tests.dashboard.seeded import build
from warehouse.store import Store

PASSWORD = "attack test passphrase 1"
FORMULAS = ("=HYPERLINK(\"http://evil.example\",\"x\")", "=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\r=1")


class Client:
    """A tiny cookie-keeping HTTP client (one connection per request, like separate browsers)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict[str, str] | bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        head = dict(headers or {})
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = urlencode(body).encode() if isinstance(body, dict) else body
        if isinstance(body, dict):
            head["Content-Type"] = "application/x-www-form-urlencoded"
        con.request(method, path, body=data, headers=head)
        resp = con.getresponse()
        payload = resp.read()
        for key, value in resp.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        con.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload

    def csrf(self) -> str:
        _, _, page = self.request("GET", "/login")
        found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        assert found
        return found.group(1).decode()

    def login(self, name: str, password: str, next_: str | None = None) -> tuple[int, dict[str, str], bytes]:
        form = {"username": name, "password": password, "csrf_token": self.csrf()}
        if next_ is not None:
            form["next"] = next_
        return self.request("POST", "/login", form)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, AccountStore, Path]]:
    import waitress

    root = tmp_path_factory.mktemp("attack")
    db = build(root / "attack.duckdb", seed=3, focus_groups=False)
    with Store(db).transaction() as con:  # values a findings template or an export could carry
        for i, text in enumerate(FORMULAS):
            con.execute("INSERT INTO linkage_pairs (run_id, site_id, scenario, left_key, right_key, match_weight, "
                        "probability, is_link, explanation) VALUES (1, 'fbs', 'all_identifiers', ?, ?, ?, 0.99, "
                        "TRUE, '{}')", [text, f"r{i}", 40.0 + i])
    settings = DashboardSettings(secret_key="attack-" + "z" * 40, secure_cookies=False, auth_db=root / "auth.sqlite",
                                 max_failures=5, max_request_bytes=64 * 1024)
    app = create_app(Store(db, read_only=True), settings)
    accounts: AccountStore = app.server.extensions["linkready_dashboard"].accounts
    for name, role, site in (("rita", "researcher", None), ("guessme", "site", "fbs"), ("other", "site", "sat")):
        accounts.add(name, role, site, PASSWORD, replace=True)
    srv = waitress.create_server(app.server, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield srv.effective_port, accounts, root  # type: ignore[union-attr]
    srv.close()


def test_thirty_parallel_wrong_passwords_lock_the_account(server) -> None:
    port, accounts, _ = server

    def guess(i: int) -> int:
        return Client(port).login("guessme", f"wrong guess {i}")[0]

    with ThreadPoolExecutor(max_workers=30) as pool:
        codes = list(pool.map(guess, range(30)))
    assert codes == [401] * 30
    assert Client(port).login("guessme", PASSWORD)[0] == 401  # the right one, after: refused
    checked = [e for e in accounts.audit_entries(200, "guessme") if e["action"] == "login" and
               e["what"].startswith("failed")]
    assert len(checked) == 5  # only max_failures passwords were ever checked
    accounts.add("guessme", "site", "fbs", PASSWORD, replace=True)  # an admin reset unlocks it
    assert Client(port).login("guessme", PASSWORD)[0] == 302


def test_a_cookie_replayed_after_logout_is_refused(server) -> None:
    port, accounts, _ = server
    client = Client(port)
    assert client.login("rita", PASSWORD)[0] == 302
    saved = dict(client.cookies)
    assert client.request("GET", "/_dash-layout")[0] == 200
    _, _, page = client.request("GET", "/_dash-layout")
    token = _find_value(json.loads(page), "csrf-token")
    assert token
    assert client.request("POST", "/logout", {"csrf_token": token})[0] == 302
    replay = Client(port)
    replay.cookies = saved
    assert replay.request("GET", "/_dash-layout")[0] == 401
    assert replay.request("GET", "/download/overview.csv")[0] == 401
    # a password reset ends the account's sessions at once, and so does `users remove`
    reset = Client(port)
    assert reset.login("other", PASSWORD)[0] == 302 and reset.request("GET", "/_dash-layout")[0] == 200
    accounts.add("other", "site", "sat", PASSWORD + " new", replace=True)
    assert reset.request("GET", "/_dash-layout")[0] == 401
    removed = Client(port)
    assert removed.login("other", PASSWORD + " new")[0] == 302
    assert removed.request("GET", "/_dash-layout")[0] == 200
    accounts.remove("other")
    assert removed.request("GET", "/_dash-layout")[0] == 401


def _find_value(node: object, dom_id: str) -> str | None:
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and props.get("id") == dom_id:
            return str(props.get("value"))
        for v in node.values():
            found = _find_value(v, dom_id)
            if found:
                return found
    elif isinstance(node, list):
        for v in node:
            found = _find_value(v, dom_id)
            if found:
                return found
    return None


@pytest.mark.parametrize("target", [
    "//evil.example/x", "/%09/evil.example/phish", "/\t/evil.example", "/\\evil.example", "\\\\evil.example",
    "https://evil.example/", "javascript:alert(1)", "/%2F%2Fevil.example", "/ok\r\nLocation: http://evil.example",
    "/%0d%0aSet-Cookie:x=1", " //evil.example", "http:/evil.example", "/..//evil.example",
])
def test_crafted_next_never_leaves_the_origin(server, target: str) -> None:
    port, _, _ = server
    status, headers, _ = Client(port).login("rita", PASSWORD, target)
    assert status == 302, target
    location = headers["location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc and location.startswith("/") and not location.startswith("//")
    assert "\r" not in location and "\n" not in location and "\\" not in location


def test_a_plain_next_is_kept(server) -> None:
    status, headers, _ = Client(server[0]).login("rita", PASSWORD, "/outcomes?sites=fbs")
    assert status == 302 and headers["location"] == "/outcomes?sites=fbs"


def test_unknown_and_wrong_password_answer_the_same(server) -> None:
    port, accounts, root = server
    real = [f"timing{i}" for i in range(12)]
    for name in real:
        accounts.add(name, "researcher", None, PASSWORD, replace=True)

    def timed(name: str) -> tuple[int, bytes, float]:
        client = Client(port)
        form = {"username": name, "password": "not the password", "csrf_token": client.csrf()}
        start = time.perf_counter()
        status, _, body = client.request("POST", "/login", form)
        return status, re.sub(rb'value="[^"]*"', b"", body), time.perf_counter() - start

    # interleaved pairs, so a burst of load elsewhere on the machine slows both sides of a pair; each real
    # account gets at most 4 wrong passwords (fewer than max_failures: these are wrong-password answers)
    wrong: list[tuple[int, bytes, float]] = []
    unknown: list[tuple[int, bytes, float]] = []

    def sample(pairs: int) -> float:
        for _ in range(pairs):
            i = len(wrong)
            wrong.append(timed(real[i % 12]))
            unknown.append(timed(f"no-such-person-{i}"))
        return statistics.median(u / w for (*_, u), (*_, w) in zip(unknown, wrong, strict=True))

    # the same work: a KDF run and one counter write each (before, an unknown name skipped the write and was
    # answered in 0.78x the time). The median of per-pair ratios sits near 1; 0.75-1.33 leaves room for the
    # noise of a loaded machine, and a batch outside it is measured again (16 more pairs, up to 48 in all)
    ratio = sample(16)
    for _ in range(2):
        if 0.75 < ratio < 1.33:
            break
        ratio = sample(16)
    assert {(s, b) for s, b, _ in wrong} == {(s, b) for s, b, _ in unknown} and wrong[0][0] == 401
    assert 0.75 < ratio < 1.33, f"unknown/wrong time ratio {ratio:.2f}"
    # an unknown name is counted under a keyed hash: what was typed (perhaps a password) is not stored
    raw = b"".join(p.read_bytes() for p in root.glob("auth.sqlite*"))
    assert b"no-such-person" not in raw


def test_unknown_names_do_the_same_writes(tmp_path: Path) -> None:
    """The deterministic half of the timing check: a wrong password and an unknown name each commit one
    counter write and one audit line (before, an unknown name's counter UPDATE matched nothing), and the
    attempt that locks an account (the fifth) costs an unknown name the same extra write."""
    store = AccountStore(tmp_path / "a.sqlite", max_failures=5)
    store.add("known", "researcher", None, PASSWORD)
    writes: list[int] = []
    inner = AccountStore._connect

    @contextmanager
    def counting(self: AccountStore) -> Iterator[sqlite3.Connection]:
        with inner(self) as con:
            before = con.total_changes
            yield con
            writes.append(con.total_changes - before)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(AccountStore, "_connect", counting)
        shapes: dict[str, list[list[bool]]] = {"known": [], "nobody": []}
        for _ in range(7):
            for name in shapes:
                writes.clear()
                assert store.authenticate(name, "not the password").account is None
                shapes[name].append([w > 0 for w in writes])
    assert shapes["known"] == shapes["nobody"]
    assert shapes["nobody"] == [[True, True]] * 4 + [[True, True, True]] + [[True, True]] * 2


def test_odd_paths_get_404_and_big_bodies_413(server) -> None:
    port, _, _ = server
    anonymous = Client(port)
    assert anonymous.request("GET", "/assets/style.css")[0] == 200  # the login page's CSS stays public
    # the favicon is public, and is an icon: never the page shell from Dash's catch-all route
    status, headers, body = anonymous.request("GET", "/favicon.ico")
    assert status == 302 and headers["location"] == "/_favicon.ico", status
    assert b"_dash-config" not in body and b"_dash-renderer" not in body
    status, headers, body = anonymous.request("GET", "/_favicon.ico")
    assert status == 200 and body[:4] == b"\x00\x00\x01\x00" and b"_dash-config" not in body
    for path in ("/assets//x", "/assets/../app.py", "/assets/nope.css", "/_dash-component-suites/nope/x.js",
                 "/_dash-component-suites/dash/../../etc/passwd", "/loginx", "/login/", "/favicon.ico/",
                 "/favicon.icox"):
        status, headers, body = anonymous.request("GET", path)
        assert status in (401, 404) or (status == 302 and headers["location"].startswith("/login")), (path, status)
        assert b"_dash-config" not in body and b"dash_renderer" not in body, path  # no page shell
    signed = Client(port)
    assert signed.login("rita", PASSWORD)[0] == 302
    for path in ("/assets/nope.css", "/_dash-component-suites/nope/x.js", "/_dash-component-suites/dash/nope.js"):
        assert signed.request("GET", path)[0] == 404, path
    big = b'{"output": "x", "inputs": [], "pad": "' + b"a" * (128 * 1024) + b'"}'
    status = signed.request("POST", "/_dash-update-component", big, {"Content-Type": "application/json"})[0]
    assert status == 413


def test_formula_values_come_out_inert(server) -> None:
    port, _, _ = server
    client = Client(port)
    assert client.login("rita", PASSWORD)[0] == 302
    status, _, body = client.request("GET", "/download/linkage_pairs.csv?sites=fbs&scenario=all_identifiers")
    assert status == 200
    text = body.decode()
    rows = list(csv.reader(io.StringIO("".join(x for x in text.splitlines(keepends=True) if not x.startswith("#")),
                                       newline="")))
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r")) or re.match(r"^-\d+\+", c)], cells
    assert "'=1+1" in text and "'-2+3" in text
    status, _, body = client.request("GET", "/download/linkage_pairs.xlsx?sites=fbs&scenario=all_identifiers")
    sheet = load_workbook(io.BytesIO(body))["Table"]
    texts = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in texts)
    assert not [c.value for c in texts if c.value.startswith(("=", "+", "-", "@", "\t", "\r"))]
    header = [c.value for c in sheet[1]]
    weights = [row[header.index("Match weight")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(w, int | float) for w in weights)  # numbers stay numbers
