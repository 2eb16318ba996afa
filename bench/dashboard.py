"""Benchmark: each dashboard page's main callback on a warehouse of 1,000,000 children, beside the
bare DuckDB queries for the same figures, in the same process.

The warehouse is filled with SQL (``range``) rather than the generator, so building 1M children
takes seconds: programme children are 5% of all children, each with a service episode and two
outcome measures at two timepoints; linkage metrics, 100,000 candidate pairs, focus-group material
and the readiness tables come from the real stages. Callbacks go through the whole Flask/Dash stack
(authorisation, disclosure control, audit log, JSON) as a logged-in researcher asking for all four
sites (the site panel as that researcher on one site): "cold" clears the table cache before every
request and is the headline figure; "cached" does not (what a viewer gets after the start-up
pre-aggregation of default views, or on a repeat view).

    python bench/dashboard.py [--children N] [--repeats R] [--keep DIR] [--users 50] [--load 60] [--load-only]

Prints p50/p95 per page and the ratio of the cold p95 to the bare-query p95. Target: p95 < 250 ms.

Then a bounded load test over loopback HTTP against the production server (waitress, as
``linkready serve`` runs it): ``--users`` signed-in users (default 50, each its own account and
session) request page callbacks and CSV downloads in a loop for ``--load`` seconds (default 60;
``--load 0`` skips it). Reported: requests, errors, p50/p95/max latency, and the ratio of the
p95 under load to the p95 of one user alone, measured first in the same process.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

# Run as `python bench/dashboard.py`, this folder is first on sys.path and this file would shadow the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import duckdb  # noqa: E402

from dashboard import AccountStore, DashboardSettings, auth_path_for, create_app  # noqa: E402
from dashboard import queries as q  # noqa: E402
from dashboard.access import Scope  # noqa: E402
from dashboard.tables import prewarm  # noqa: E402
from warehouse.sites import SITE_IDS  # noqa: E402
from warehouse.store import Store  # noqa: E402

SCENARIOS = ("all_identifiers", "no_nhs_number", "names_dob", "dob_postcode_sex", "pseudonymised_tokens")
SITE_SQL = "CASE WHEN (i * 7) % 100 < 35 THEN 'fbs' WHEN (i * 7) % 100 < 65 THEN 'sat' " \
           "WHEN (i * 7) % 100 < 85 THEN 'leap' ELSE 'coda' END"
LA_SQL = "CASE site WHEN 'fbs' THEN '919' WHEN 'sat' THEN '380' WHEN 'leap' THEN '208' ELSE '209' END"


def build(db: Path, n: int) -> dict[str, float]:
    """Fill a warehouse with ``n`` children; return seconds per step."""
    took: dict[str, float] = {}
    t = time.perf_counter()
    store = Store(db)
    with store.transaction() as con:
        con.execute("INSERT INTO load_batches (batch_id, drop_id, file, kind, sha256, rows_read, rows_loaded, "
                    "rows_rejected, loaded_at) VALUES (1, 'bench', 'bench', 'site_people', 'x', 0, 0, 0, now())")
        con.execute(f"""
            INSERT INTO children (person_key, source, site_id, la_code, sex, ethnicity, birth_year, unborn, age_band,
                                  batch_id)
            SELECT 'c' || i, CASE WHEN i % 20 = 0 THEN 'site' ELSE 'la' END, site, {LA_SQL},
                   CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END,
                   ['WBRI', 'ASIA', 'BLAC', 'MIXD', 'OOTH'][1 + (i // 7) % 5], 2010 + i % 15, FALSE,
                   ['0-4', '5-9', '10-15', '16+'][1 + (i // 3) % 4], 1
            FROM (SELECT i, {SITE_SQL} AS site FROM range(?) t(i))
        """, [n])  # noqa: S608 - constant SQL fragments
        con.execute("""
            INSERT INTO service_episodes (person_key, site_id, role, la_code, referral_date, referral_source, sex,
                                          ethnicity, age_band, has_nhs_number, batch_id)
            SELECT person_key, site_id, 'child', la_code, DATE '2024-01-01' + CAST(hash(person_key) % 700 AS INTEGER),
                   'police', sex, ethnicity, age_band, TRUE, 1
            FROM children WHERE source = 'site'
        """)
        con.execute("""
            INSERT INTO outcome_measurements (person_key, site_id, measure, timepoint, assessed_date, items, n_missing,
                                              total, batch_id)
            SELECT person_key, site_id, m.measure, t.tp, DATE '2025-01-01',
                   list_transform(range(9), lambda x: CAST((hash(person_key) + x) % 4 AS INTEGER)), 0,
                   CASE WHEN hash(person_key || m.measure || t.tp) % 10 = 0 THEN NULL
                        ELSE CAST(hash(person_key) % 27 AS DOUBLE) END, 1
            FROM children, (VALUES ('phq9'), ('gad7')) m(measure), (VALUES ('baseline'), ('followup')) t(tp)
            WHERE source = 'site' AND NOT (t.tp = 'followup' AND hash(person_key || m.measure) % 3 = 0)
        """)
        con.execute("INSERT INTO linkage_runs (run_id, started_at, status) VALUES (1, now(), 'complete')")
        for k, scen in enumerate(SCENARIOS):
            recall = 0.95 - 0.07 * k
            con.execute("""
                INSERT INTO linkage_metrics (run_id, site_id, scenario, subgroup_type, subgroup, n_records, links,
                                             true_matches, true_positives, precision, recall, match_rate,
                                             clerical_review, expected_known_share, basis)
                SELECT 1, site_id, ?, 'all', 'all', count(*), CAST(count(*) * ? * 0.7 AS BIGINT),
                       CAST(count(*) * 0.7 AS BIGINT), CAST(count(*) * ? * 0.7 AS BIGINT), 0.97, ?, ? * 0.7,
                       CAST(count(*) * 0.02 AS BIGINT), 0.7, 'measured'
                FROM children WHERE source = 'site' GROUP BY site_id
            """, [scen, recall, recall, recall, recall])
            for kind, col in (("ethnic_group", "ethnicity"), ("age_band", "age_band"), ("sex", "sex")):
                con.execute(f"""
                    INSERT INTO linkage_metrics (run_id, site_id, scenario, subgroup_type, subgroup, n_records, links,
                                                 match_rate, basis)
                    SELECT 1, site_id, ?, ?, {col}, count(*), CAST(count(*) * ? * 0.7 AS BIGINT), ? * 0.7, 'measured'
                    FROM children WHERE source = 'site' GROUP BY site_id, {col}
                """, [scen, kind, recall, recall])  # noqa: S608 - column names are constants above
        explanation = json.dumps({"prior_weight": -8.0, "comparisons": {
            "nhs_number": {"level": "exact", "weight": 9.1}, "dob": {"level": "exact", "weight": 7.2},
            "surname": {"level": "jaro>0.9", "weight": 4.0}, "postcode": {"level": "unit", "weight": 6.5}}})
        con.execute("""
            INSERT INTO linkage_pairs
            SELECT 1, site_id, s.scenario, person_key, 'l' || person_key, CAST(hash(person_key) % 40 AS DOUBLE) - 10,
                   0.5, hash(person_key) % 40 > 10, ?
            FROM children, (SELECT unnest(?) AS scenario) s WHERE source = 'site' AND hash(person_key) % 3 = 0
        """, [explanation, list(SCENARIOS)])
    took["warehouse (SQL)"] = time.perf_counter() - t

    t = time.perf_counter()
    from evaluation import compute_and_store

    compute_and_store(store)
    took["readiness (evaluation stage)"] = time.perf_counter() - t
    t = time.perf_counter()
    from synthesis import import_file
    from synthetic_data import write_focus_groups

    out = db.parent / "findings"
    out.mkdir(exist_ok=True)
    for f in write_focus_groups(out, 42):
        import_file(f, store)
    took["focus groups (synthesis stage)"] = time.perf_counter() - t
    return took


Bare = Callable[[duckdb.DuckDBPyConnection, Scope], object]


def _bare_queries() -> dict[str, list[Bare]]:
    """The SQL behind each page's main callback, called directly."""
    def overview(cur, sc):
        return [q.records_held(cur, sc), q.linkage_overall(cur, sc, "all_identifiers"),
                q.relation_rows(cur, sc, "v_availability_matrix")]

    def availability(cur, sc):
        return [q.relation_rows(cur, sc, "v_availability_matrix", {"dimension": "held"}),
                q.relation_rows(cur, sc, "v_availability_evidence", {"dimension": "held"})]

    def linkage(cur, sc):
        pairs = q.linkage_pair_choices(cur, sc, "all_identifiers")
        first = pairs.row(0, named=True)
        return [q.linkage_overall(cur, sc), q.linkage_subgroups(cur, sc, "all_identifiers", "ethnic_group"),
                q.linkage_pair_explanation(cur, sc, "all_identifiers", first["left_key"], first["right_key"])]

    def outcomes(cur, sc):
        return [q.readiness_completeness(cur, sc), q.recruitment_timeline(cur, sc),
                q.relation_rows(cur, sc, "readiness_timeline"), q.relation_rows(cur, sc, "readiness_funnel"),
                q.relation_rows(cur, sc, "readiness_summary")]

    def synthesis(cur, sc):
        return [q.relation_rows(cur, sc, v) for v in ("v_framework_matrix", "v_triangulation_matrix",
                                                      "v_code_frequency_by_site")]

    def site_panel(cur, sc):
        # The queries behind the thirteen tables the panel shows (it has no pair explainer).
        one = Scope(sc.username, ("fbs",))
        return [overview(cur, one), q.linkage_overall(cur, one),
                q.linkage_subgroups(cur, one, "all_identifiers", "ethnic_group"),
                q.linkage_overall(cur, one, "all_identifiers"), outcomes(cur, one), availability(cur, one),
                synthesis(cur, one)]

    return {"ov-body": [overview], "av-body": [availability], "lk-body": [linkage], "oc-body": [outcomes],
            "sy-body": [synthesis], "sp-body": [site_panel]}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000


def measure(db: Path, repeats: int) -> list[tuple[str, float, float, float, float, float, float]]:
    """Per page: cold p50/p95, cached p50/p95, bare p50/p95 (milliseconds)."""
    AccountStore(auth_path_for(db)).add("bench", "researcher", None, "bench passphrase 123", replace=True)
    app = create_app(Store(db, read_only=True), DashboardSettings(secret_key="b" * 40, secure_cookies=False))
    ctx = app.server.extensions["linkready_dashboard"]
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "bench", "password": "bench passphrase 123", "csrf_token": token})
    deps = [d for d in client.get("/_dash-dependencies").get_json()
            if any(i["id"].endswith(("-sites", "sp-site")) for i in d["inputs"]) and "body" in d["output"]]
    bare = _bare_queries()
    t = time.perf_counter()
    built = prewarm(ctx, [SITE_IDS, *[(s,) for s in SITE_IDS]])
    print(f"pre-aggregation at start-up (serve does this in a background thread): {built} tables in "
          f"{time.perf_counter() - t:.1f} s")
    con = duckdb.connect(str(db), read_only=True)
    scope = Scope("bench", SITE_IDS)
    rows = []
    for dep in deps:
        key = dep["output"].strip(".").split(".")[0]
        outs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in dep["output"].strip(".").split("...")]
        inputs = [{"id": i["id"], "property": i["property"],
                   "value": ("fbs" if i["id"] == "sp-site" else list(SITE_IDS)) if i["id"].endswith(("-sites", "sp-site"))
                   else None} for i in dep["inputs"]]
        body = {"output": dep["output"], "outputs": outs, "inputs": inputs, "state": [],
                "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
        cold, warm, direct = [], [], []
        for _ in range(repeats):
            ctx.clear_cache()
            t = time.perf_counter()
            resp = client.post("/_dash-update-component", json=body)
            cold.append(time.perf_counter() - t)
            assert resp.status_code == 200, (key, resp.status_code)
            t = time.perf_counter()
            client.post("/_dash-update-component", json=body)
            warm.append(time.perf_counter() - t)
            cur = con.cursor()
            t = time.perf_counter()
            for fn in bare[key]:
                fn(cur, scope)
            direct.append(time.perf_counter() - t)
            cur.close()
        rows.append((key, _pct(cold, .5), _pct(cold, .95), _pct(warm, .5), _pct(warm, .95), _pct(direct, .5),
                     _pct(direct, .95)))
    con.close()
    ctx.close()
    return rows


# ---------------------------------------------------------------- load test
class _User:
    """One signed-in user over plain HTTP on loopback (its own cookie)."""

    def __init__(self, port: int, name: str, password: str) -> None:
        self.port, self.cookie = port, ""
        page = self.call("GET", "/login")[1]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        form = urlencode({"username": name, "password": password, "csrf_token": token.group(1) if token else ""})
        status, _ = self.call("POST", "/login", form.encode(), "application/x-www-form-urlencoded")
        if status != 302:
            raise RuntimeError(f"bench user {name} could not sign in (HTTP {status})")

    def call(self, method: str, path: str, body: bytes | None = None, kind: str = "") -> tuple[int, str]:
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if kind:
            headers["Content-Type"] = kind
        con.request(method, path, body=body, headers=headers)
        resp = con.getresponse()
        text = resp.read().decode("utf-8", "replace")
        for key, value in resp.getheaders():
            if key.lower() == "set-cookie" and value.startswith("linkready_session="):
                self.cookie = value.split(";", 1)[0]
        con.close()
        return resp.status, text


def _requests(deps: list[dict[str, object]]) -> list[tuple[str, str, bytes | None]]:
    """The request mix: every page's main callback (all sites) and a few CSV downloads."""
    mix: list[tuple[str, str, bytes | None]] = []
    for dep in deps:
        output = str(dep["output"])
        outs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in output.strip(".").split("...")]
        inputs = [{"id": i["id"], "property": i["property"],
                   "value": ("fbs" if i["id"] == "sp-site" else list(SITE_IDS)) if i["id"].endswith(("-sites", "sp-site"))
                   else None} for i in dep["inputs"]]  # type: ignore[attr-defined]
        body = {"output": output, "outputs": outs, "inputs": inputs, "state": [],
                "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
        mix.append(("POST", "/_dash-update-component", json.dumps(body).encode()))
    mix += [("GET", f"/download/{t}.csv", None) for t in ("overview", "linkage_scenarios", "outcome_completeness")]
    return mix


def _drive(users: list[_User], mix: list[tuple[str, str, bytes | None]], seconds: float,
           seed: int) -> tuple[list[float], int]:
    """Each user requests from the mix in a loop until ``seconds`` pass; latencies and error count."""
    stop = time.perf_counter() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]

    def run(i: int) -> None:
        rng = random.Random(seed + i)
        user = users[i]
        while time.perf_counter() < stop:
            method, path, body = mix[rng.randrange(len(mix))]
            t = time.perf_counter()
            try:
                status, _ = user.call(method, path, body, "application/json" if body else "")
                ok = status in (200, 204)
            except OSError:
                ok = False
            took = time.perf_counter() - t
            with lock:
                latencies.append(took)
                errors[0] += 0 if ok else 1

    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        list(pool.map(run, range(len(users))))
    return latencies, errors[0]


def load_test(db: Path, users: int, seconds: float) -> None:
    """``users`` signed-in users against waitress on loopback for ``seconds``; prints p95 and errors."""
    import logging

    import waitress

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # queueing is what this test provokes
    settings = DashboardSettings(secret_key="b" * 40, secure_cookies=False, prewarm=False)
    accounts = AccountStore(auth_path_for(db))
    for i in range(users):
        accounts.add(f"load{i:02d}", "researcher", None, "load test passphrase", replace=True)
    app = create_app(Store(db, read_only=True), settings)
    prewarm(app.server.extensions["linkready_dashboard"], [SITE_IDS])
    base = DashboardSettings()
    server = waitress.create_server(app.server, host="127.0.0.1", port=0, threads=base.threads,
                                    channel_timeout=base.channel_timeout, connection_limit=base.connection_limit)
    threading.Thread(target=server.run, daemon=True).start()
    port = int(server.effective_port)  # type: ignore[union-attr]
    try:
        signed = [_User(port, f"load{i:02d}", "load test passphrase") for i in range(users)]
        deps = json.loads(signed[0].call("GET", "/_dash-dependencies")[1])
        mix = _requests([d for d in deps if any(i["id"].endswith(("-sites", "sp-site")) for i in d["inputs"])
                         and "body" in d["output"]])
        alone, alone_errors = _drive(signed[:1], mix, min(10.0, seconds), seed=1)
        loaded, errors = _drive(signed, mix, seconds, seed=2)
    finally:
        server.close()
    p95_alone, p95 = _pct(alone, .95), _pct(loaded, .95)
    print(f"\nload test: waitress ({base.threads} threads), loopback, {users} signed-in users, {seconds:.0f} s")
    print(f"  one user alone: {len(alone)} requests, {alone_errors} errors, p95 {p95_alone:.0f} ms")
    print(f"  {users} users: {len(loaded)} requests ({len(loaded) / seconds:.1f}/s), {errors} errors, "
          f"p50 {_pct(loaded, .5):.0f} ms, p95 {p95:.0f} ms, max {max(loaded) * 1000:.0f} ms")
    print(f"  ratio of p95 under load to p95 alone: {p95 / p95_alone:.1f}")


def _page_timings(db: Path, repeats: int) -> None:
    print(f"\n{'page callback':<10} {'cold p50':>9} {'cold p95':>9} {'cached p50':>10} {'cached p95':>10} "
          f"{'bare p50':>9} {'bare p95':>9} {'p95 ratio':>10}   (ms; ratio = cold / bare)")
    worst = 0.0
    for key, c50, c95, w50, w95, b50, b95 in measure(db, repeats):
        worst = max(worst, c95)
        print(f"{key:<10} {c50:9.1f} {c95:9.1f} {w50:10.1f} {w95:10.1f} {b50:9.1f} {b95:9.1f} {c95 / b95:10.2f}")
    print(f"\nworst cold p95: {worst:.0f} ms (target < 250 ms) -> {'OK' if worst < 250 else 'OVER TARGET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--keep", type=Path, default=None, help="build the warehouse here and keep it")
    parser.add_argument("--users", type=int, default=50, help="signed-in users in the load test")
    parser.add_argument("--load", type=float, default=60.0, help="load test seconds (0 skips it)")
    parser.add_argument("--load-only", action="store_true", help="skip the per-page timings")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-dash-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.duckdb"
    try:
        if not db.exists():
            for step, secs in build(db, args.children).items():
                print(f"build {step:<34} {secs:8.1f} s")
        con = duckdb.connect(str(db), read_only=True)
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]  # noqa: S608 - constant names
                  for t in ("children", "service_episodes", "outcome_measurements", "linkage_pairs")}
        con.close()
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        if not args.load_only:
            _page_timings(db, args.repeats)
        if args.load > 0:
            load_test(db, args.users, args.load)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
