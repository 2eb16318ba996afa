"""The real ``linkready toc`` and acceptability commands as subprocesses."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from synthetic_data.interviews import write_interviews
from synthetic_data.toc import write_tocs

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "linkready", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.e2e
def test_toc_import_export_round_trip_and_errors(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    sat = next(p for p in write_tocs(tmp_path / "tocs", seed=5) if p.name.startswith("sat"))
    r = _run("toc", "import", sat, "--db", db, "--site", "sat")
    assert r.returncode == 0, r.stderr
    assert "stored as version 1" in r.stdout
    r = _run("toc", "export", "--db", db, "--site", "sat", "--format", "json")
    assert r.returncode == 0 and r.stdout == sat.read_text(encoding="utf-8")
    r = _run("toc", "export", "--db", db, "--site", "sat", "--format", "csv", "--out", tmp_path / "sat.csv")
    assert r.returncode == 0, r.stderr
    r = _run("toc", "import", tmp_path / "sat.csv", "--db", db, "--site", "sat")     # the template comes back
    assert r.returncode == 0 and "unchanged: still version 1" in r.stdout
    r = _run("toc", "export", "--db", db, "--site", "sat", "--format", "mermaid")
    assert r.returncode == 0 and r.stdout.splitlines()[0] == "flowchart LR"
    r = _run("toc", "versions", "--db", db)
    assert r.returncode == 0 and "sat   v1" in r.stdout
    # errors: data errors are one line and exit 1; usage errors exit 2
    r = _run("toc", "import", sat, "--db", db, "--site", "leap")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "not 'leap'" in r.stderr and "Traceback" not in r.stderr
    r = _run("toc", "readiness", "--db", db)
    assert r.returncode == 1 and "linkready readiness --db" in r.stderr
    # a template that lost a column is refused once for its header, not once per row
    with (tmp_path / "sat.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    drop = rows[0].index("assumption")
    with (tmp_path / "no_assumption.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([r[:drop] + r[drop + 1:] for r in rows])
    r = _run("toc", "import", tmp_path / "no_assumption.csv", "--db", db, "--site", "sat")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "header lacks: assumption;" in r.stderr
    r = _run("toc", "export", "--db", db, "--site", "nowhere")
    assert r.returncode == 2


@pytest.mark.e2e
def test_acceptability_codebook_and_matrix(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    r = _run("findings", "codebook", "--out", tmp_path / "acceptability.qdc")
    assert r.returncode == 0 and (tmp_path / "acceptability.qdc").read_bytes().startswith(b"<?xml")
    project = write_interviews(tmp_path / "interviews", seed=2, per_site=4)[0]
    r = _run("findings", "import", tmp_path / "acceptability.qdc", project, "--db", db)
    assert r.returncode == 0, r.stderr
    r = _run("findings", "acceptability", "--db", db, "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    truth = json.loads((tmp_path / "interviews" / "truth" / "acceptability_truth.json").read_text(encoding="utf-8"))
    assert len(rows) == len(truth["cells"])
    r = _run("findings", "acceptability", "--db", db, "--site", "coda", "--format", "json")
    site_rows = json.loads(r.stdout)
    assert r.returncode == 0 and {x["site_id"] for x in site_rows} == {"coda"}
    assert all(x["n_participants"] == "[c]" and x["exemplar_quote"] is None for x in site_rows)   # 1-4 people
