"""The foundation's end-to-end check: the real `linkready` CLI as subprocesses.

synth (small seeded world) -> validate -> load -> load again (no-op) -> link, then the warehouse
counts are checked against the manifest and the linkage against truth/links.csv.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent / "linkready"


def run(*args: str | Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LINKREADY_SECRET": "e2e-test-secret"}
    proc = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, env=env, timeout=600)
    if ok:
        assert proc.returncode == 0, f"linkready {args[0]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pipeline")
    drop, db = root / "drop", root / "w.duckdb"
    run("synth", "--out", drop, "--seed", "7", "--children", "600")
    run("validate", drop)
    run("load", drop, "--db", db, "--json", root / "load1.json")
    run("load", drop, "--db", db, "--json", root / "load2.json")
    run("link", "--db", db, "--json", root / "link.json")
    return {"root": root, "drop": drop, "db": db}


def _manifest_rows(drop: Path, kind: str) -> int:
    manifest = json.loads((drop / "manifest.json").read_text())
    return sum(f["rows"] for f in manifest["files"] if f["kind"] == kind)


def test_warehouse_counts_match_manifest(world: dict[str, Path]) -> None:
    con = duckdb.connect(str(world["db"]), read_only=True)
    try:
        la_rows = con.execute("SELECT count(*) FROM restricted.la_identifiers").fetchone()[0]
        site_rows = con.execute("SELECT count(*) FROM restricted.service_people").fetchone()[0]
        la_children = con.execute("SELECT count(*) FROM children WHERE source = 'la'").fetchone()[0]
        truth = con.execute("SELECT count(*) FROM restricted.truth_links").fetchone()[0]
        sites = {r[0] for r in con.execute("SELECT site_id FROM service_episodes").fetchall()}
    finally:
        con.close()
    assert la_rows == _manifest_rows(world["drop"], "la_identifiers") > 0
    assert la_children == la_rows
    assert site_rows == _manifest_rows(world["drop"], "site_people") > 0
    assert truth == _manifest_rows(world["drop"], "truth_links") > 0
    assert sites == {"fbs", "sat", "leap", "coda"}


def test_second_load_is_a_no_op(world: dict[str, Path]) -> None:
    first = json.loads((world["root"] / "load1.json").read_text())
    second = json.loads((world["root"] / "load2.json").read_text())
    assert sum(f["rows_loaded"] for f in first["files"]) > 0
    assert sum(f["rows_loaded"] for f in second["files"]) == 0
    con = duckdb.connect(str(world["db"]), read_only=True)
    try:
        current = con.execute("SELECT count(*) FROM load_batches WHERE status = 'current'").fetchone()[0]
    finally:
        con.close()
    assert current == len(first["files"])


def test_match_rate_against_truth(world: dict[str, Path]) -> None:
    with (world["drop"] / "truth" / "links.csv").open(newline="") as fh:
        truth_by_site: dict[str, int] = {}
        for row in csv.DictReader(fh):
            truth_by_site[row["site_id"]] = truth_by_site.get(row["site_id"], 0) + 1
    con = duckdb.connect(str(world["db"]), read_only=True)
    try:
        rows = con.execute(
            "SELECT site_id, true_matches, true_positives, precision, recall, basis, links FROM linkage_metrics "
            "WHERE scenario = 'all_identifiers' AND subgroup_type = 'all' "
            "AND run_id = (SELECT max(run_id) FROM linkage_runs)"
        ).fetchall()
    finally:
        con.close()
    by_site = {r[0]: r[1:] for r in rows}
    assert set(by_site) == {"fbs", "sat", "leap", "coda"}
    for site, (true_matches, tp, _precision, recall, basis, _links) in by_site.items():
        assert basis == "measured"
        assert true_matches == truth_by_site.get(site, 0), site
        assert recall == pytest.approx(tp / true_matches)
    con = duckdb.connect(str(world["db"]), read_only=True)
    try:
        missing = con.execute(
            "SELECT count(*) FROM linkage_metrics WHERE subgroup_type = 'all' AND links > 0 AND (precision_low IS NULL "
            "OR recall_low IS NULL OR f1_low IS NULL OR match_rate_low IS NULL OR method IS NULL)").fetchone()[0]
    finally:
        con.close()
    assert missing == 0                                    # every figure carries an interval and its method
    # Pooled over sites (per-site counts in a 600-child world are too small for stable rates):
    # with every identifier shared, linkage should find most true links and few false ones.
    trues, tps, links = (sum(v[i] for v in by_site.values()) for i in (0, 1, 5))
    assert tps / trues >= 0.85
    assert tps / links >= 0.90


def test_without_truth_estimates_carry_intervals_and_a_sized_review_sample(world: dict[str, Path]) -> None:
    import shutil

    db = world["root"] / "no_truth.duckdb"
    shutil.copy(world["db"], db)
    con = duckdb.connect(str(db))
    try:
        con.execute("DELETE FROM restricted.truth_links")
    finally:
        con.close()
    out, sample = world["root"] / "nt.json", world["root"] / "review.csv"
    proc = run("link", "--db", db, "--json", out, "--site-facing", "--review-width", "0.2", "--out", sample)
    assert "sized for precision intervals 0.2 wide" in proc.stdout
    rows = [m for m in json.loads(out.read_text())["metrics"] if m["subgroup_type"] == "all"]
    assert rows and {m["basis"] for m in rows} == {"estimated"}
    for m in rows:
        assert "recall_low" in m and "f1_high" in m and m["method"]
    with sample.open(newline="") as fh:
        reviewed = list(csv.DictReader(fh))
    assert reviewed and "probability" not in reviewed[0]   # scores stay hidden from reviewers


def test_usage_and_data_errors_exit_codes(world: dict[str, Path], tmp_path: Path) -> None:
    usage = run("load", ok=False)
    assert usage.returncode == 2
    missing = run("load", tmp_path / "nope", "--db", tmp_path / "x.duckdb", ok=False)
    assert missing.returncode in (1, 2)
    assert "Traceback" not in missing.stderr
