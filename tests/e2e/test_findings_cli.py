"""The real ``linkready findings`` CLI as subprocesses: import, export, report, check."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from synthetic_data.focus_groups import write_focus_groups

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "linkready", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.e2e
def test_findings_import_export_report_check(tmp_path: Path) -> None:
    paths = write_focus_groups(tmp_path / "findings", 3)
    db = tmp_path / "w.duckdb"
    r = _run("findings", "import", *map(str, paths), "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert all(p.name in r.stdout for p in paths)
    assert "segments" in r.stdout and "ratings 104" in r.stdout
    out = tmp_path / "export.qdpx"
    r = _run("findings", "export", "--db", str(db), "--out", str(out))
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(out) as zf:
        assert "project.qde" in zf.namelist()
    r = _run("findings", "report", "--db", str(db), "--format", "md")
    assert r.returncode == 0 and "## Triangulation matrix" in r.stdout
    r = _run("findings", "report", "--db", str(db), "--format", "xlsx", "--out", str(tmp_path / "r.xlsx"))
    assert r.returncode == 0 and (tmp_path / "r.xlsx").stat().st_size > 0
    # data errors: one line, exit 1; usage errors: exit 2
    raw = tmp_path / "findings" / "truth" / "raw" / "coda_focus_group_raw.txt"
    roster = tmp_path / "findings" / "truth" / "roster.txt"
    r = _run("findings", "check", str(raw), "--roster", str(roster))
    assert r.returncode == 1 and "nhs_number at" in r.stdout and "Traceback" not in r.stderr
    r = _run("findings", "import", str(paths[1]), "--db", str(db), "--site", "nowhere")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "unknown site" in r.stderr
    r = _run("findings", "report", "--db", str(db), "--format", "pdf")
    assert r.returncode == 2
