"""``linkready synth`` as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LINKREADY = Path(sys.executable).parent / "linkready"


@pytest.mark.e2e
def test_synth_writes_a_drop(tmp_path: Path) -> None:
    out = tmp_path / "drop"
    run = subprocess.run([str(LINKREADY), "synth", "--out", str(out), "--children", "300", "--seed", "2",
                          "--dirty", "0.02"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "wrote" in run.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 2 and manifest["children"] == 300
    for f in manifest["files"]:
        assert (out / f["path"]).is_file()
    assert (out / "truth" / "defects.csv").is_file()
    assert "writing manifest" in run.stderr  # progress on stderr


@pytest.mark.e2e
@pytest.mark.parametrize("args", [["--children", "5"], ["--dirty", "0.9"], []])
def test_synth_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    cmd = [str(LINKREADY), "synth", *args] + (["--out", str(tmp_path / "x")] if args else [])
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr


@pytest.mark.e2e
def test_synth_report_and_json(tmp_path: Path) -> None:
    """The calibration table, recomputed from the files, printed and written as JSON."""
    out, table = tmp_path / "drop", tmp_path / "table.json"
    run = subprocess.run([str(LINKREADY), "synth", "--out", str(out), "--children", "4000", "--seed", "4", "--quiet",
                          "--report", "--json", str(table)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "site flows at the sites' own yearly volumes" in run.stdout
    lines = run.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Figure"))
    for word in ("Target", "Tolerance", "Generated", "Verified", "Source"):
        assert word in lines[header]
    figures = json.loads(table.read_text())
    assert any(f["figure"].startswith("Twin maternities") and f["verified"] for f in figures)
    n_inside = sum(f["inside_tolerance"] for f in figures)
    assert f"{n_inside} of {len(figures)} figures inside their tolerance" in run.stdout
    assert n_inside == len(figures), [f["figure"] for f in figures if not f["inside_tolerance"]]


@pytest.mark.e2e
def test_synth_small_world_says_its_flows_are_scaled(tmp_path: Path) -> None:
    run = subprocess.run([str(LINKREADY), "synth", "--out", str(tmp_path / "d"), "--children", "400", "--quiet"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "site flows scaled to" in run.stdout and "--scale real" in run.stdout
    manifest = json.loads((tmp_path / "d" / "manifest.json").read_text())
    assert 0 < manifest["world_size"]["site_flow_scale"] < 1


@pytest.mark.e2e
def test_synth_scale_real_refuses_children(tmp_path: Path) -> None:
    run = subprocess.run([str(LINKREADY), "synth", "--out", str(tmp_path / "d"), "--scale", "real",
                          "--children", "5000"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "--scale real" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.e2e
def test_synth_writes_the_qualitative_material_and_findings_import_takes_its_folder(tmp_path: Path) -> None:
    """The drop holds what the Data availability, Synthesis, Acceptability and Theory of change pages read;
    the printed commands import it (a folder in order: projects before the spreadsheets citing them)."""
    out, db = tmp_path / "drop", tmp_path / "w.duckdb"
    run = subprocess.run([str(LINKREADY), "synth", "--out", str(out), "--children", "300", "--quiet"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    for name in ("findings/project.qdpx", "findings/ratings.csv", "findings/framework.csv", "findings/findings.csv",
                 "findings/interviews/interviews.qdpx", *(f"toc/{s}_toc.json" for s in ("fbs", "sat", "leap", "coda"))):
        assert (out / name).is_file(), name
    printed = [line.strip() for line in run.stdout.splitlines() if line.strip().startswith("linkready ")]
    assert printed[0] == f"linkready findings import {out / 'findings'} --db DB"
    assert len([p for p in printed if p.startswith("linkready toc import")]) == 4

    for line in printed:
        argv = [str(LINKREADY), *line.split()[1:]]
        argv[argv.index("DB")] = str(db)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{line}: {done.stdout}{done.stderr}"
        if "findings import" in line:
            kinds = [row.split(" (")[0] for row in done.stdout.splitlines() if " (" in row]
            assert kinds.index("project.qdpx") < min(kinds.index(f) for f in ("ratings.csv", "findings.csv",
                                                                                 "framework.csv"))
            assert not any("truth" in row or "raw" in row for row in kinds)  # answer keys are not material
        else:
            assert "stored as version 1" in done.stdout

    empty = tmp_path / "empty"
    empty.mkdir()
    refused = subprocess.run([str(LINKREADY), "findings", "import", str(empty), "--db", str(db)],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "no .csv, .qdc, .qdpx, .xlsx file" in refused.stderr
    assert "Traceback" not in refused.stderr
