"""Site layouts as TOML: the built-ins are files, a bad layout lists every problem, and `layout infer` proposes
a layout with which a renamed, re-ordered, semicolon-separated copy of a site file loads identically."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.adapters import ADAPTERS, BUILTIN_LAYOUTS, layout_from_toml, layout_toml, load_layout
from warehouse.errors import ConfigError
from warehouse.layouts.infer import infer_layout
from warehouse.loading import load_drop
from warehouse.store import Store


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKREADY_SECRET", "test-secret-not-for-real-use")


def test_builtin_layouts_are_the_toml_files_and_round_trip() -> None:
    root = Path(__file__).resolve().parents[2] / "warehouse" / "layouts"
    assert sorted(p.stem for p in root.glob("*.toml")) == sorted(BUILTIN_LAYOUTS)
    for site in BUILTIN_LAYOUTS:
        adapter = load_layout(root / f"{site}.toml")
        assert adapter == ADAPTERS[site]
        assert layout_from_toml(layout_toml(adapter)) == adapter


def test_a_bad_layout_names_every_problem_at_once() -> None:
    text = layout_toml(ADAPTERS["sat"]).replace('encoding = "utf-8-sig"', 'encoding = "latin9"').replace(
        "record_id = ", "recordid = ")
    with pytest.raises(ConfigError) as err:
        layout_from_toml(text, "bad.toml")
    message = str(err.value)
    assert message.startswith("bad.toml: ")
    assert "people.encoding 'latin9' is not one of utf-8, utf-8-sig, cp1252" in message
    assert "people.columns.recordid is not a canonical field (did you mean 'record_id'?)" in message
    assert "lacks record_id" in message


# a site export as another system might write it: other names, another order, semicolons
_RENAMES = {
    "Client Ref": "ClientReference", "Family Ref": "Family_No", "Client Type": "Person type", "Forename": "First name",
    "Surname": "Last name", "Date of Birth": "Birth date", "Expected DOB": "Due date", "Sex": "Gender",
    "Post Code": "Postal code", "NHS Number": "NHS No.", "Ethnic Group": "Ethnicity", "Date Referred": "Referred on",
    "Referred By": "Referral source", "LA": "Local authority", "Date Closed": "Closed on",
    "Closure Reason": "Reason closed",
}


def _rewrite(src: Path, dst: Path) -> None:
    with src.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    order = list(reversed(range(len(rows[0]))))
    with dst.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        w.writerow([_RENAMES.get(rows[0][i], rows[0][i]) for i in order])
        w.writerows([[r[i] for i in order] for r in rows[1:]])


def _service_rows(db: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        people = con.execute(
            "SELECT record_id, person_key, family_id, role, forename, surname, dob, expected_dob, sex, postcode, "
            "nhs_number, ethnicity, referral_date, referral_source, la_code FROM restricted.service_people ORDER BY 1"
        ).fetchall()
        episodes = con.execute("SELECT person_key, role, referral_source, end_reason, sex, ethnicity, age_band "
                               "FROM service_episodes WHERE site_id = 'sat' ORDER BY 1").fetchall()
        outcomes = con.execute("SELECT count(*) FROM outcome_measurements WHERE site_id = 'sat'").fetchall()
        return [*people, *episodes, *outcomes]
    finally:
        con.close()


def test_inferred_layout_loads_a_renamed_reordered_copy_identically(mini_drop_template: Path, tmp_path: Path) -> None:
    original = tmp_path / "original"
    shutil.copytree(mini_drop_template, original)
    shutil.rmtree(original / "la")
    (original / "manifest.json").unlink()
    (original / "truth" / "links.csv").unlink()
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    people = ADAPTERS["sat"].people.filename
    _rewrite(original / "sites" / "sat" / people, copy / "sites" / "sat" / people)

    proposal = infer_layout(copy / "sites" / "sat" / people, site_id="sat")
    layout = tmp_path / "sat_copy.toml"
    layout.write_text(layout_toml(proposal.adapter, proposal.note), encoding="utf-8")
    inferred = load_layout(layout)
    assert (inferred.people.delimiter, inferred.people.encoding, inferred.people.date_format) == (";", "utf-8", "%d/%m/%Y")
    assert inferred.people.columns == {canon: _RENAMES[col] for canon, col in ADAPTERS["sat"].people.columns.items()}

    load_drop(original, Store(tmp_path / "a.duckdb"), year=2025)
    report = load_drop(copy, Store(tmp_path / "b.duckdb"), year=2025, layouts=[inferred])
    assert {f.status for f in report.files} == {"loaded"}
    assert _service_rows(tmp_path / "b.duckdb") == _service_rows(tmp_path / "a.duckdb")


def test_layout_infer_cli_prints_no_value(mini_drop_template: Path, tmp_path: Path) -> None:
    people = mini_drop_template / "sites" / "sat" / ADAPTERS["sat"].people.filename
    src = tmp_path / "export.csv"
    _rewrite(people, src)
    proc = subprocess.run([sys.executable, "-m", "linkready", "layout", "infer", str(src)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert 'site_id = "new_site"' in proc.stdout and 'record_id = "ClientReference"' in proc.stdout
    with src.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    header = rows[0]
    personal = ("ClientReference", "Family_No", "First name", "Last name", "Birth date", "Postal code", "NHS No.")
    values = {r[header.index(c)] for r in rows[1:] for c in personal if r[header.index(c)]}
    assert len(values) > 20
    assert not [v for v in values if v in proc.stdout]


def test_validate_and_load_take_layout_as_real_processes(mini_drop_template: Path, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    shutil.copytree(mini_drop_template, drop)
    shutil.rmtree(drop / "la")
    (drop / "manifest.json").unlink()
    people = drop / "sites" / "sat" / ADAPTERS["sat"].people.filename
    _rewrite(people, tmp_path / "export.csv")
    shutil.copy(tmp_path / "export.csv", people)
    linkready = [sys.executable, "-m", "linkready"]
    without = subprocess.run([*linkready, "validate", str(drop)], capture_output=True, text=True, timeout=300)
    assert without.returncode == 1 and "missing_columns" in without.stdout  # the built-in layout cannot read it
    layout = tmp_path / "sat.toml"
    made = subprocess.run([*linkready, "layout", "infer", str(people), "--site", "sat", "--out", str(layout)],
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0 and layout.exists(), made.stderr
    ok = subprocess.run([*linkready, "validate", str(drop), "--layout", str(layout)], capture_output=True, text=True,
                        timeout=300)
    assert ok.returncode == 0, ok.stdout[-2000:]
    loaded = subprocess.run([*linkready, "load", str(drop), "--db", str(tmp_path / "w.duckdb"), "--layout",
                             str(layout)], capture_output=True, text=True, timeout=300,
                            env={**__import__("os").environ, "LINKREADY_SECRET": "layout-test"})
    assert loaded.returncode == 0, loaded.stdout[-2000:]
    assert _service_rows(tmp_path / "w.duckdb")[0][0] is not None
