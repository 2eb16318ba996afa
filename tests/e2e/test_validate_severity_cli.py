"""`linkready validate --severity`: a data officer sets the severity of an SSDA903 rule DfE does not classify.

The drop (from the cross-table test) breaks rule 442 once; 442 is declared without a severity, so it is an
error by the named default. Saying `--severity 442=query` turns that hit into a query (and the exit code to 0
when nothing else needs action); a rule that does not exist, a CIN rule (DfE's severity) or a level other
than error/query is a usage error naming what was passed and what is allowed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.warehouse.test_dfe_903_drop import _drop

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent / "linkready"


def _validate(drop: Path, out: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    env = {**os.environ, "LINKREADY_SECRET": "test-secret-not-for-real-use"}
    proc = subprocess.run([str(BIN), "validate", str(drop), "--year", "2025", "--json", str(out), *extra],
                          capture_output=True, text=True, env=env, timeout=300)
    data = json.loads(out.read_text()) if out.exists() and proc.returncode != 2 else {}
    return proc, data


def _severity_of(data: dict[str, object], code: str) -> list[tuple[object, object]]:
    problems = data["problems"]
    assert isinstance(problems, list)
    return sorted((p["row"], p["severity"]) for p in problems if p.get("dfe_rule") == code)


def test_severity_override_changes_the_hit_and_the_exit_code(tmp_path: Path) -> None:
    drop = _drop(tmp_path / "drop")
    default, data = _validate(drop, tmp_path / "default.json")
    assert _severity_of(data, "442") == [(2, "error")]
    errors_besides = [p for p in data["problems"] if p["severity"] == "error" and p.get("dfe_rule") != "442"]
    relaxed, data2 = _validate(drop, tmp_path / "relaxed.json", "--severity", "442=query")
    assert _severity_of(data2, "442") == [(2, "query")]
    assert default.returncode == 1
    assert relaxed.returncode == (1 if errors_besides else 0), relaxed.stdout[-400:]


def test_default_severity_for_unclassified_rules(tmp_path: Path) -> None:
    drop = _drop(tmp_path / "drop")
    _, data = _validate(drop, tmp_path / "q.json", "--ssda903-default-severity", "query")
    assert _severity_of(data, "442") == [(2, "query")]
    # CIN-style and linkready's own rules are untouched: only DfE 903 hits change
    assert all(p["severity"] == "query" for p in data["problems"] if str(p.get("dfe_rule") or "") == "442")


@pytest.mark.parametrize(("pair", "said"), [
    ("9999=query", "9999 (no such rule in force)"),
    ("442=warning", "442='warning' (allowed: error, query)"),
    ("8555Q=query", "its severity is DfE's"),
    ("442", "takes RULE=LEVEL"),
])
def test_bad_severity_is_a_usage_error(tmp_path: Path, pair: str, said: str) -> None:
    drop = _drop(tmp_path / "drop")
    proc, _ = _validate(drop, tmp_path / "bad.json", "--severity", pair)
    assert proc.returncode == 2
    assert said in proc.stderr, proc.stderr[-400:]
