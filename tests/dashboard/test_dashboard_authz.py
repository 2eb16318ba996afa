"""Authentication and per-site authorisation through the real Flask/Dash stack (no browser).

Crafted callback posts for every page, as every site user, for every other site: all refused.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard.tables import REGISTRY
from tests.dashboard.callbacks import _outputs, count_cells, post, site_callbacks
from tests.dashboard.conftest import csrf_from
from warehouse.disclosure import is_revealing_count
from warehouse.sites import SITE_IDS, SITES

NAMES = {s: SITES[s].name for s in SITE_IDS}


def norm(text: str) -> str:
    """Undo Dash's JSON escaping of '/', quotes and '<' so plain searches work."""
    return text.replace("\\u002f", "/").replace("\\u0027", "'").replace("\\u003c", "<")


def mentions(text: str, site: str) -> bool:
    """True if a response names a site (its id as a JSON/URL value, or its name)."""
    text = norm(text)
    return bool(re.search(rf'"{site}"|/site/{site}\b|[=,]{site}\b', text)) or NAMES[site] in text


def test_anonymous_caller_gets_nothing(app) -> None:
    client = app.server.test_client()
    assert client.get("/").status_code == 302
    assert client.get("/linkage").headers["Location"].startswith("/login?next=")
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-dependencies").status_code == 401
    assert client.post("/_dash-update-component", json={}).status_code == 401
    assert client.get("/download/overview.csv?sites=fbs").status_code == 401


def test_login_needs_csrf_token_and_right_password(app, passwords) -> None:
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and 'for="password"' in page
    no_token = client.post("/login", data={"username": "researcher", "password": passwords["researcher"]})
    assert no_token.status_code == 400
    token = csrf_from(page)
    wrong = client.post("/login", data={"username": "researcher", "password": "not it", "csrf_token": token})
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    ok = client.post("/login", data={"username": "researcher", "password": passwords["researcher"],
                                     "csrf_token": token, "next": "//evil.example/x"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/"  # no open redirect
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/_dash-layout").status_code == 200


def test_lockout_over_http_answers_like_a_wrong_password(app) -> None:
    accounts = app.server.extensions["linkready_dashboard"].accounts
    accounts.add("lockme", "site", "sat", "a long enough passphrase", replace=True)
    client = app.server.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))

    def attempt(name: str, password: str) -> tuple[int, str]:
        resp = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
        return resp.status_code, resp.get_data(as_text=True)

    answers = [attempt("lockme", "wrong") for _ in range(5)]
    right = attempt("lockme", "a long enough passphrase")
    unknown = attempt("nobody-here", "wrong")
    # locked, wrong and unknown: the same status and the same page
    assert {a for a in [*answers, right, unknown]} == {answers[0]}
    assert answers[0][0] == 401
    assert accounts.authenticate("lockme", "a long enough passphrase").locked_minutes > 0


def test_security_headers(login) -> None:
    resp = login("researcher").get("/")
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_every_page_has_a_site_callback(login) -> None:
    ids = {d["output"] for d in site_callbacks(login("researcher"))}
    for prefix in ("ov-body", "av-body", "lk-body", "oc-body", "sy-body", "sp-body", "lk-pair"):
        assert any(prefix in o for o in ids), (prefix, ids)


@pytest.mark.parametrize("user_site", SITE_IDS)
def test_crafted_callbacks_for_other_sites_are_refused(login, user_site: str) -> None:
    client = login(f"{user_site}_user")
    deps = site_callbacks(client)
    refused = 0
    for dep in deps:
        for other in SITE_IDS:
            if other == user_site:
                continue
            status, text = post(client, dep, [other] if "sp-site" not in dep["output"] and "sp-body" not in
                                dep["output"] else other)
            assert status == 204, (dep["output"], other, status, text[:200])
            assert not mentions(text, other)
            refused += 1
            # a mixed request returns the permitted site only
            if "sp-body" not in dep["output"]:
                status, text = post(client, dep, [user_site, other])
                assert status in (200, 204) and not mentions(text, other), (dep["output"], other)
    assert refused == len(deps) * 3


@pytest.mark.parametrize("user_site", ["fbs", "coda"])
def test_own_site_callbacks_answer_and_show_no_small_counts(login, user_site: str) -> None:
    client = login(f"{user_site}_user")
    for dep in site_callbacks(client):
        value = user_site if "sp-body" in dep["output"] else [user_site]
        status, text = post(client, dep, value)
        assert status == 200, (dep["output"], status, text[:300])
        others = [s for s in SITE_IDS if s != user_site]
        assert not any(mentions(text, o) for o in others), dep["output"]
        cells = count_cells(json.loads(text))
        assert not [c for c in cells if is_revealing_count(c)], (dep["output"], cells)
        if "sp-body" in dep["output"]:
            assert cells, "the site panel shows count cells"
            if user_site == "coda":  # 4 programme children: every count of it is 1-5
                assert "[c]" in cells


def test_researcher_sees_all_four_sites(login) -> None:
    client = login("researcher")
    dep = next(d for d in site_callbacks(client) if "ov-body" in d["output"])
    status, text = post(client, dep, list(SITE_IDS))
    assert status == 200
    assert all(NAMES[s] in norm(text) for s in SITE_IDS)
    layout = norm(client.get("/_dash-layout").get_data(as_text=True))
    assert all(f"/site/{s}" in layout for s in SITE_IDS)


def test_site_user_layout_offers_only_own_site(login) -> None:
    layout = norm(login("sat_user").get("/_dash-layout").get_data(as_text=True))
    assert "/site/sat" in layout
    assert not any(f"/site/{s}" in layout for s in ("fbs", "leap", "coda"))


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines() if not line.startswith("#")))))


def test_downloads_recheck_permissions_and_carry_legend(login) -> None:
    client = login("fbs_user")
    own = client.get("/download/overview.csv?sites=fbs")
    assert own.status_code == 200 and own.headers["Content-Disposition"].endswith('overview_fbs.csv"')
    text = own.get_data(as_text=True)
    assert text.startswith("Site id,Site,")  # the table alone: loads with no options
    frame = pd.read_csv(io.BytesIO(own.data))
    assert set(frame["Site id"]) == {"fbs"} and frame["Programme children"].dtype.kind == "i"
    meta = client.get("/download/overview.metadata.csv?sites=fbs")
    assert meta.status_code == 200 and meta.headers["Content-Disposition"].endswith('overview_fbs.metadata.csv"')
    items = dict(pd.read_csv(io.BytesIO(meta.data)).itertuples(index=False, name=None))
    assert items["Title"] == "Sites side by side" and items["Data extract loaded"] == "2026-03-31"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", items["Data as of"]) and "confidential" in items["Symbol [c]"]
    assert {r["Site id"] for r in _csv_rows(text)} == {"fbs"}
    assert client.get("/download/overview.metadata.csv?sites=sat").status_code == 403
    assert client.get("/download/overview.csv?sites=sat").status_code == 403
    mixed = client.get("/download/linkage_subgroups.csv?sites=fbs,sat,coda").get_data(as_text=True)
    assert {r["Site id"] for r in _csv_rows(mixed)} == {"fbs"}
    assert client.get("/download/nonsense.csv").status_code == 404
    xlsx = client.get("/download/outcome_completeness.xlsx?sites=fbs")
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert wb.sheetnames == ["Cover", "Notes", "Table"]
    assert wb["Cover"]["A1"].value == REGISTRY["outcome_completeness"].title
    notes = [r[1] for r in wb["Notes"].iter_rows(values_only=True)]
    assert any("confidential" in str(n) for n in notes)
    sites = {r[0] for r in wb["Table"].iter_rows(min_row=2, values_only=True)}
    assert sites == {"fbs"}
    header = [c.value for c in wb["Table"][1]]
    eligible = [r[header.index("Eligible")] for r in wb["Table"].iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(v, int) or v == "[c]" for v in eligible) and any(isinstance(v, int) for v in eligible)
    comp = header.index("Completeness") + 1
    typed = [c for c in wb["Table"].iter_cols(min_col=comp, max_col=comp, min_row=2).__next__()
             if isinstance(c.value, float)]
    assert typed and all(c.number_format == "0.0%" for c in typed)


def test_every_download_as_site_user_has_no_small_counts(login) -> None:
    client = login("coda_user")
    for table_id in REGISTRY:
        resp = client.get(f"/download/{table_id}.csv")
        assert resp.status_code == 200, table_id
        rows = _csv_rows(resp.get_data(as_text=True))
        spec = REGISTRY[table_id]
        counts = [spec.label(c) for c in (spec.disclosure.counts if spec.disclosure else ())]
        for row in rows:
            assert row.get("Site id", "coda") in ("coda", ""), (table_id, row)
            bad = {c: row[c] for c in counts if c in row and is_revealing_count(row[c])}
            assert not bad, (table_id, bad)


def test_audit_log_records_views_and_refusals(app, login) -> None:
    client = login("leap_user")
    dep = next(d for d in site_callbacks(client) if "sp-body" in d["output"])
    assert post(client, dep, "leap")[0] == 200
    assert post(client, dep, "fbs")[0] == 204
    entries = app.server.extensions["linkready_dashboard"].accounts.audit_entries(200, "leap_user")
    views = [e for e in entries if e["action"] == "view"]
    assert views and all(e["sites"] == "leap" for e in views)
    assert {"overview", "linkage_subgroups", "outcome_completeness"} <= {e["what"] for e in views}
    assert any(e["action"] == "refused" for e in entries)
    assert all(e["at"] for e in entries)


def test_permalink_state_is_revalidated_for_site_panel(login) -> None:
    client = login("fbs_user")
    # Pages layouts are served through the router callback; the panel of another site is refused
    deps = client.get("/_dash-dependencies").get_json()
    router = next(d for d in deps if "_pages_content" in d["output"])
    body = {"output": router["output"], "outputs": [{"id": o["id"], "property": o["property"]}
                                                     for o in _outputs(router["output"])],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/site/sat"},
                       {"id": "_pages_location", "property": "search", "value": "?scenario=names_dob"}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    text = norm(client.post("/_dash-update-component", json=body).get_data(as_text=True))
    assert "cannot see that site" in text and NAMES["sat"] not in text
    body["inputs"][0]["value"] = "/site/fbs"
    text = norm(client.post("/_dash-update-component", json=body).get_data(as_text=True))
    assert NAMES["fbs"] in text and '"names_dob"' in text


def test_empty_warehouse_pages_say_no_data_yet(tmp_path, settings) -> None:
    from dashboard import AccountStore, auth_path_for, create_app
    from warehouse.store import Store

    db = tmp_path / "empty.duckdb"
    Store(db)
    AccountStore(auth_path_for(db)).add("rita", "researcher", None, "a long passphrase 3")
    client = create_app(Store(db, read_only=True), settings).server.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "rita", "password": "a long passphrase 3", "csrf_token": token})
    for dep in site_callbacks(client):
        status, text = post(client, dep, "fbs" if "sp-body" in dep["output"] else list(SITE_IDS))
        assert status == 200, (dep["output"], text[:300])
        if "lk-pair" not in dep["output"]:
            assert "No data yet" in text, dep["output"]


def test_prewarm_fills_the_cache_without_audit_lines(app, login) -> None:
    from dashboard.tables import REGISTRY as TABLES
    from dashboard.tables import prewarm

    ctx = app.server.extensions["linkready_dashboard"]
    ctx.clear_cache()
    assert prewarm(ctx, [("fbs",)]) == len(TABLES)
    assert not [e for e in ctx.accounts.audit_entries(1000) if e["username"] == "prewarm"]
    # a site user's default panel is now served from the cache, and still audited as a view
    client = login("fbs_user")
    dep = next(d for d in site_callbacks(client) if "sp-body" in d["output"])
    assert post(client, dep, "fbs")[0] == 200
    assert ctx.accounts.audit_entries(5, "fbs_user")[0]["action"] == "view"


def _route(client, path: str, search: str = "") -> str:
    deps = client.get("/_dash-dependencies").get_json()
    router = next(d for d in deps if "_pages_content" in d["output"])
    body = {"output": router["output"], "outputs": [{"id": o["id"], "property": o["property"]}
                                                     for o in _outputs(router["output"])],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    return norm(client.post("/_dash-update-component", json=body).get_data(as_text=True))


def test_audit_log_is_paged_filtered_and_exportable_for_admins_only(login) -> None:
    viewer = login("leap_user")
    assert viewer.get("/download/overview.csv").status_code == 200  # something to find
    assert viewer.get("/audit/export.csv").status_code == 403
    assert "Only administrators" in _route(viewer, "/audit")
    admin = login("admin")
    page = _route(admin, "/audit", "?user=leap_user&action=download")
    assert "audit-table" in page and "Downloaded" in page and "leap_user" in page
    assert "fbs_user" not in page and "T1" not in re.sub(r"\d{4}-\d{2}-\d{2}T", "", page)  # readable times
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}:\d{2} UTC", page)
    export = admin.get("/audit/export.csv?user=leap_user&action=download")
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert rows and {r["User"] for r in rows} == {"leap_user"} and {r["Action"] for r in rows} == {"Downloaded"}
    everything = _route(admin, "/audit", "?page=999")  # past the end: the last page
    assert "page" in everything and "of" in everything


def test_toc_and_acceptability_callbacks_for_another_site_are_refused(login) -> None:
    """Posted by hand: a site user asking for another site's ToC, outcome detail or acceptability gets 204."""
    client = login("fbs_user")
    deps = [d for d in site_callbacks(client) if any(k in d["output"] for k in ("toc-body", "toc-detail", "ac-body"))]
    assert len(deps) == 3
    for dep in deps:
        assert post(client, dep, "sat")[0] == 204, dep["output"]
        assert post(client, dep, ["sat", "leap"])[0] == 204, dep["output"]
        status, text = post(client, dep, "fbs")
        assert status == 200 and "Survive" not in text, dep["output"]
