"""`linkready validate` / `load` / `purge` as real processes on a generated world.

Also: a load killed with SIGKILL mid-way leaves the warehouse exactly as it was, and the next
load succeeds; and no generated identifier reaches any analytic table or view.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent / "linkready"
ENV = {**os.environ, "LINKREADY_SECRET": "e2e-load-secret", "PYTHONUNBUFFERED": "1"}
TABLES = (
    "restricted.la_identifiers", "restricted.service_people", "restricted.truth_links", "restricted.rejects",
    "load_batches", "children", "adults", "cin_episodes", "child_protection_plans", "looked_after_episodes",
    "service_episodes", "outcome_measurements",
)


def run(*args: str | Path, code: int | None = 0) -> subprocess.CompletedProcess[str]:
    """Run linkready; ``code=None`` accepts 0 or 1 (the generated world may break DfE rules: that is the
    DfE rule set's and the generator's business, tested on their own) and checks the JSON agrees."""
    proc = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, env=ENV, timeout=600)
    allowed = (0, 1) if code is None else (code,)
    assert proc.returncode in allowed, f"linkready {args[0]} exit {proc.returncode}:\n{proc.stderr[-3000:]}"
    if "--json" in args:
        out = Path(str(args[list(args).index("--json") + 1]))
        assert json.loads(out.read_text())["exit_code"] == proc.returncode
    return proc


def own_problems(report: dict[str, object]) -> list[dict[str, object]]:
    """Problems of linkready's own rules (not the DfE rule set's), queries aside."""
    problems = report["problems"]
    assert isinstance(problems, list)
    return [p for p in problems if p["dfe_rule"] is None and p["severity"] == "error"]


def snapshot(db: Path) -> dict[str, tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for t in TABLES:
            cols = [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()]  # noqa: S608
            row = con.execute(
                f"SELECT count(*), sum(hash({', '.join(cols)})) FROM {t}"  # noqa: S608
            ).fetchone()
            out[t] = tuple(row)
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("loadcli")
    drop = root / "drop"
    run("synth", "--out", drop, "--seed", "11", "--children", "600")
    db = root / "w.duckdb"
    run("load", drop, "--db", db, "--json", root / "load.json", code=None)
    return {"root": root, "drop": drop, "db": db}


def test_validate_clean_world(world: dict[str, Path]) -> None:
    out = world["root"] / "validate.json"
    proc = run("validate", world["drop"], "--json", out, code=None)
    report = json.loads(out.read_text())
    assert own_problems(report) == []
    assert all(p["dfe_rule"] and p["rule"] and p["severity"] in ("error", "query") for p in report["problems"])
    assert ("Nothing needs action." in proc.stdout) == (proc.returncode == 0)


def test_load_json_and_every_table_filled(world: dict[str, Path]) -> None:
    report = json.loads((world["root"] / "load.json").read_text())
    manifest = json.loads((world["drop"] / "manifest.json").read_text())
    rows = {f["path"]: f["rows"] for f in manifest["files"]}
    for f in report["files"]:
        assert set(f) >= {"file", "rows_read", "rows_loaded", "rows_rejected"}
        assert f["rows_rejected"] == 0
        if f["file"] in rows and not f["file"].endswith(".xml"):
            assert f["rows_read"] == rows[f["file"]], f["file"]
    counts = snapshot(world["db"])
    empty = [t for t, (n, _) in counts.items() if n == 0 and t != "restricted.rejects"]
    assert empty == []


def test_validate_reports_problems_and_exit_1(world: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    drop = tmp_path / "drop"
    shutil.copytree(world["drop"], drop)
    ids = drop / "la" / "380" / "identifiers.csv"
    frame = pl.read_csv(ids, infer_schema=False)
    nhs = frame.get_column("NHSNumber").drop_nulls()[0]
    bad = nhs[:-1] + str((int(nhs[-1]) + 1) % 10)
    frame = frame.with_columns(pl.col("NHSNumber").replace({nhs: bad}))
    frame.write_csv(ids)
    out = tmp_path / "v.json"
    proc = run("validate", drop, "--json", out, code=1)
    assert json.loads(out.read_text())["needs_action"] is True
    problems = json.loads(out.read_text())["problems"]
    hit = [p for p in problems if p["rule"] == "nhs_number_check"]
    assert len(hit) == 1 and hit[0]["file"] == "la/380/identifiers.csv" and hit[0]["field"] == "NHSNumber"
    assert set(hit[0]) >= {"file", "row", "field", "rule", "message"}
    assert bad not in proc.stdout and bad not in proc.stderr and bad not in out.read_text()


def test_no_identifier_in_analytic_zone(world: dict[str, Path]) -> None:
    """Names, NHS numbers, UPNs, postcodes and source ids appear in no analytic table or view, and no
    column of a person-keyed table carries the person's date of birth (dates alone can coincide with
    event dates, so DOB is checked against the same person)."""
    con = duckdb.connect(str(world["db"]), read_only=True)
    try:
        idents: set[str] = set()
        for row in con.execute(
            "SELECT forename, surname, postcode, nhs_number, upn, former_upn, la_child_id "
            "FROM restricted.la_identifiers UNION ALL "
            "SELECT forename, surname, postcode, nhs_number, NULL, NULL, record_id FROM restricted.service_people"
        ).fetchall():
            idents.update(str(v) for v in row if v and str(v) != "Baby")
        assert len(idents) > 1000
        names = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        dob_checked = 0
        for name in sorted(names):
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema='main' AND table_name=?",
                [name]).fetchall()]
            sel = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols)
            for row in con.execute(f'SELECT {sel} FROM "{name}"').fetchall():  # noqa: S608
                leaked = idents.intersection(v for v in row if v is not None)
                assert not leaked, f"{name} holds {len(leaked)} identifier value(s)"
            if "person_key" not in cols:
                continue
            for c in cols:
                n, same = con.execute(
                    f'SELECT count(*), count(*) FILTER (WHERE CAST(t."{c}" AS VARCHAR) = CAST(p.dob AS VARCHAR)) '  # noqa: S608
                    f'FROM "{name}" t JOIN (SELECT person_key, dob FROM restricted.la_identifiers UNION ALL '
                    "SELECT person_key, dob FROM restricted.service_people) p USING (person_key) WHERE p.dob IS NOT NULL"
                ).fetchone()
                dob_checked += 1
                assert not n or same / n < 0.2, f"{name}.{c} looks like a date of birth"
        assert dob_checked > 20
    finally:
        con.close()


def test_sigkill_mid_load_leaves_warehouse_unchanged(world: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    drop, db = tmp_path / "drop", tmp_path / "w.duckdb"
    shutil.copytree(world["drop"], drop)
    shutil.copy(world["db"], db)
    before = snapshot(db)
    # a changed first file is written inside the transaction before the kill ...
    first = drop / "la" / "207" / "identifiers.csv"
    small = pl.read_csv(first, infer_schema=False)
    small.head(small.height - 1).write_csv(first)
    # ... and the last LA's identifier extract is made big so the load is still running when killed
    ids = drop / "la" / "919" / "identifiers.csv"
    frame = pl.read_csv(ids, infer_schema=False)
    reps = 150_000 // max(frame.height, 1) + 1
    # the first copy keeps the children already loaded (a re-delivery that dropped them would be quarantined)
    big = pl.concat([frame.with_columns((pl.col("LAchildID") + (f"X{i}" if i else "")).alias("LAchildID"))
                     for i in range(reps)])
    big.write_csv(ids)
    proc = subprocess.Popen([str(BIN), "load", str(drop), "--db", str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=ENV)
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "la/890/ssda903/episodes.csv" in line:
            break
    assert any("la/207/identifiers.csv" in ln and "loaded" in ln for ln in seen)  # written, not yet committed
    time.sleep(0.2)
    assert proc.poll() is None, "the load finished before it could be killed; make the file bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(db) == before
    out = tmp_path / "after.json"
    run("load", drop, "--db", db, "--json", out, code=None)
    files = {f["file"]: f for f in json.loads(out.read_text())["files"]}
    assert files["la/919/identifiers.csv"]["status"] == "loaded"
    assert files["la/919/identifiers.csv"]["rows_loaded"] == big.height
    assert files["la/207/identifiers.csv"]["status"] == "loaded"
    assert files["la/208/identifiers.csv"]["status"] == "unchanged"


def test_purge_cli(world: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    db = tmp_path / "w.duckdb"
    shutil.copy(world["db"], db)
    proc = run("purge", "--before", "2999-01-01", "--db", db)
    assert "restricted.la_identifiers" in proc.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM restricted.la_identifiers").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM restricted.purge_log").fetchone()[0] == 5  # live + archive
        assert con.execute("SELECT count(*) FROM children").fetchone()[0] > 0  # analytic zone untouched
    finally:
        con.close()
    from linkready.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["purge", "--before", "soon", "--db", str(db)])
    assert exc.value.code == 2  # a usage error


def _identifiers(path: Path, surname: str = "SN0001", nhs: str | None = None) -> None:
    from tests.warehouse.drop_fixture import nhs_number

    path.parent.mkdir(parents=True, exist_ok=True)
    rows = ["LAchildID,Forename,Surname,PersonBirthDate,ExpectedPersonBirthDate,Sex,Postcode,NHSNumber,UPN,"
            "FormerUPN,Ethnicity"]
    for i in range(1, 6):
        rows.append(f"C{i:04d},FN{i:04d},{surname if i == 1 else f'SN{i:04d}'},2019-0{i}-01,,F,ZZ1 9ZZ,"
                    f"{nhs if (nhs and i == 1) else nhs_number(i)},,,WBRI")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_exit_codes_say_what_happened(tmp_path: Path) -> None:
    """0: nothing needs action (queries alone do not fail); 1: an error or a refused/quarantined file; 2: usage."""
    drop = tmp_path / "real"
    ids = drop / "la" / "380" / "identifiers.csv"
    _identifiers(ids)
    out = tmp_path / "v.json"
    proc = run("validate", drop, "--json", out, code=0)
    assert "Nothing needs action." in proc.stdout and json.loads(out.read_text())["needs_action"] is False
    _identifiers(ids, surname="Ivan\u043e\u0432")  # look-alike letters: a query
    run("validate", drop, "--json", out, code=0)
    report = json.loads(out.read_text())
    assert report["queries"] == 1 and report["problems"][0]["severity"] == "query"
    assert report["problems"][0]["child_id"] == "C0001"
    _identifiers(ids, nhs="9990000001")  # a bad check digit: an error
    run("validate", drop, "--json", out, code=1)
    run("validate", drop, "--year", "1", code=2)
    run("validate", drop, "--la", "12", code=2)
    db = tmp_path / "w.duckdb"
    run("load", drop, "--db", db, "--json", tmp_path / "l1.json", code=1)  # the error, row kept
    first = json.loads((tmp_path / "l1.json").read_text())
    assert first["files"][0]["rows_loaded"] == 5 and first["reasons"] == ["1 error(s) flagged"]
    _identifiers(ids)  # corrected: supersedes, nothing needs action
    run("load", drop, "--db", db, "--json", tmp_path / "l2.json", code=0)
    ids.write_text(ids.read_text(encoding="utf-8").splitlines()[0] + "\nC0001,FN,SN,2019-01-01,,F,,,,,WBRI\n",
                   encoding="utf-8")  # a re-delivery with one child of five: quarantined
    run("load", drop, "--db", db, "--json", tmp_path / "l3.json", code=1)
    third = json.loads((tmp_path / "l3.json").read_text())
    assert third["files"][0]["status"] == "quarantined"
    assert any("quarantined" in r for r in third["reasons"])
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM restricted.la_identifiers").fetchone() == (5,)
    finally:
        con.close()
