"""`linkready readiness` as a real process: on a seeded warehouse and after synth -> load -> link."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.evaluation.readiness_world import build_world
from warehouse.sites import SITE_IDS

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent / "linkready"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH: the console script must import this checkout even if the editable install is stale
    env = {**os.environ, "LINKREADY_SECRET": "e2e-test-secret",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, env=env, timeout=600)


def check_funnels(payload: dict) -> None:
    timeline = {(r["site_id"], r["outcome"]): r for r in payload["tables"]["timeline"]}
    funnels: dict[tuple[str, str], list[dict]] = {}
    for r in payload["tables"]["funnel"]:
        funnels.setdefault((r["site_id"], r["outcome"]), []).append(r)
    assert funnels
    for key, rows in funnels.items():
        rows.sort(key=lambda r: r["step_no"])
        assert rows[0]["step"] == "referred" and rows[0]["lost"] == 0
        for prev, row in zip(rows, rows[1:], strict=False):
            assert row["n"] == prev["n"] - row["lost"], key
        t = timeline[key]
        if t["months_to_target"] is not None:
            assert rows[-1]["n"] >= t["target_n"], key


@pytest.mark.e2e
def test_readiness_cli_formats_site_view_and_errors(tmp_path):
    db = tmp_path / "w.duckdb"
    build_world(db, people_per_site=60)

    md = run("readiness", "--db", db)
    assert md.returncode == 0, md.stderr
    assert "target sample: 352 analysable participants" in md.stdout
    for site in SITE_IDS:
        assert f"({site})" in md.stdout
    assert md.stdout.count("Months to a target of 352") == len(SITE_IDS)

    js = run("readiness", "--db", db, "--format", "json", "--site", "fbs", "--design", "cluster_rct",
             "--icc", "0.05", "--cluster-size", "11")
    assert js.returncode == 0, js.stderr
    payload = json.loads(js.stdout)
    assert payload["report"]["design_effect"] == pytest.approx(1.5)
    assert {r["site_id"] for r in payload["tables"]["summary"]} == {"fbs"}
    assert all(r["scored"] in ("c", "0") or int(r["scored"]) >= 6 for r in payload["tables"]["completeness"])
    check_funnels(payload)

    out = tmp_path / "r.xlsx"
    xl = run("readiness", "--db", db, "--format", "xlsx", "--out", out, "--stored")
    assert xl.returncode == 0, xl.stderr
    assert out.stat().st_size > 0

    bad = run("readiness", "--db", db, "--mdes", "0", "--power", "1.5")
    assert bad.returncode == 1 and "mdes 0" in bad.stderr and "power 1.5" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_readiness_cli_usage_and_data_errors_in_process(tmp_path, capsys):
    from linkready.cli import main

    with pytest.raises(SystemExit) as usage:
        main(["readiness", "--db", str(tmp_path / "x.duckdb"), "--format", "xlsx"])
    assert usage.value.code == 2 and "--out" in capsys.readouterr().err
    with pytest.raises(SystemExit) as missing:
        main(["readiness", "--db", str(tmp_path / "nope.duckdb")])
    err = capsys.readouterr().err.strip()
    assert missing.value.code == 1 and err.startswith("error:") and len(err.splitlines()) == 1


@pytest.mark.e2e
@pytest.mark.slow
def test_readiness_after_synth_load_link(tmp_path):
    drop, db = tmp_path / "world", tmp_path / "w.duckdb"
    for args in (("synth", "--out", drop, "--children", "1000", "--seed", "5"), ("load", drop, "--db", db),
                 ("link", "--db", db)):
        proc = run(*args)
        assert proc.returncode == 0, f"{args[0]}: {proc.stderr[-2000:]}"
    proc = run("readiness", "--db", db, "--format", "json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    payload = json.loads(proc.stdout)
    summary = {r["site_id"]: r for r in payload["tables"]["summary"]}
    assert set(summary) == set(SITE_IDS)
    for site, row in summary.items():   # each site: months to the stated target, by some route
        assert row["target_n"] == payload["report"]["target_n"]
        assert row["csc_months_to_target"] is not None and row["csc_months_to_target"] > 0, site
        assert row["best_linkage_scenario"] is not None, site   # taken from the linkage run
    check_funnels(payload)
    md = run("readiness", "--db", db, "--stored")
    assert md.returncode == 0 and "Months to a target of" in md.stdout
