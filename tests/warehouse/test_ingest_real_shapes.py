"""Real LA files in the shapes case systems export them, with no manifest: every row that can be stored loads.

Shapes: UTF-16 and cp1252 XML, default and prefixed namespaces, lower-case codes and headers, ISO dates
in an SSDA903 file, two-digit and pre-1900 years, LA codes outside the study, a bad UPN. The tests check
the values that come out of the warehouse, not only counts.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.warehouse.real_files import CinChild, children, cin_xml, ssda903, write_cin, write_csv
from warehouse.loading import LoadReport, load_drop
from warehouse.store import Store
from warehouse.validation import validate_drop


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKREADY_SECRET", "test-secret-not-for-real-use")


def _q(db: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _own(report: LoadReport, severity: str = "error") -> set[tuple[str, int | None, str | None, str]]:
    """linkready's own problems (the DfE rule set's hits are tested with it)."""
    return {(p.file, p.row, p.field, p.rule) for p in report.problems if p.severity == severity and p.dfe_rule is None}


@pytest.mark.parametrize(
    ("codec", "declared", "namespace", "prefix"),
    [
        ("utf-16", "UTF-16", "http://www.dfe.gov.uk/CIN", None),  # BOM + default namespace
        ("utf-16-le", "UTF-16", None, None),  # no BOM: the parser recognises '<' '\0'
        ("cp1252", "windows-1252", "urn:cin", "cin"),  # declared cp1252, prefixed elements
        ("cp1252", "", None, None),  # undeclared and not UTF-8: read as cp1252
        ("utf-8-sig", "utf-8", "urn:x", None),
    ],
)
def test_cin_in_any_encoding_and_namespace_loads_every_child(tmp_path: Path, codec: str, declared: str,
                                                             namespace: str | None, prefix: str | None) -> None:
    kids = children("942", 5)  # Cumberland: an English LA outside the study (created April 2023)
    text = cin_xml("942", kids, namespace=namespace, prefix=prefix, encoding=declared, comment="Zo\u00eb \u2019s export")
    write_cin(tmp_path / "drop" / "942" / "CIN_Census_2025.xml", text, codec)
    db = tmp_path / "w.duckdb"
    report = load_drop(tmp_path / "drop", Store(db))
    assert [(f.file, f.status, f.rows_read, f.rows_loaded) for f in report.files] == [
        ("942/CIN_Census_2025.xml", "loaded", 5, 5)]
    assert _own(report) == set()
    rows = _q(db, "SELECT c.la_code, c.site_id, c.ethnicity, e.referral_date, e.referral_source, e.collection_year "
                  "FROM children c JOIN cin_episodes e USING (person_key) ORDER BY e.referral_date")
    assert [(r[0], r[1]) for r in rows] == [("942", "none")] * 5  # loads; the site mapping stays configuration
    assert [(r[2], r[3].isoformat(), r[4], r[5]) for r in rows] == [
        (k.ethnicity, k.referral, k.source, 2025) for k in kids]


def test_lower_case_codes_are_normalised_with_one_query_per_field(tmp_path: Path) -> None:
    kids = children("380", 4)
    for k in kids:
        k.ethnicity, k.need, k.source, k.sex = k.ethnicity.lower(), "n2", k.source.lower(), k.sex.lower()
        k.factors = ("3b", " 4B ")
    write_cin(tmp_path / "drop" / "la" / "380" / "cin.xml", cin_xml("380", kids))
    db = tmp_path / "w.duckdb"
    report = load_drop(tmp_path / "drop", Store(db))
    assert _own(report) == set()  # no code_list error at all
    notes = {(p.field, p.rule, p.severity) for p in report.problems if p.rule == "code_case"}
    assert notes == {("Ethnicity", "code_case", "query"), ("Sex", "code_case", "query"),
                     ("ReferralSource", "code_case", "query"), ("PrimaryNeedCode", "code_case", "query"),
                     ("AssessmentFactors", "code_case", "query")}
    assert sorted(_q(db, "SELECT DISTINCT primary_need FROM cin_episodes")) == [("N2",)]
    assert sorted(_q(db, "SELECT DISTINCT ethnicity FROM children")) == sorted({(k.ethnicity.upper(),) for k in kids})
    assert _q(db, "SELECT DISTINCT list_sort(assessment_factors) FROM cin_episodes") == [(["3B", "4B"],)]
    assert sorted(_q(db, "SELECT DISTINCT sex FROM children")) == [("F",), ("M",)]


def test_a_bad_upn_keeps_the_child_and_its_episodes(tmp_path: Path) -> None:
    kids = children("380", 3)
    good = kids[1].upn
    assert good is not None
    kids[1].upn = ("B" if good[0] != "B" else "C") + good[1:]  # wrong check letter
    kids[1].cpp_start = kids[1].referral
    write_cin(tmp_path / "drop" / "la" / "380" / "cin_census.xml", cin_xml("380", kids))
    db = tmp_path / "w.duckdb"
    report = load_drop(tmp_path / "drop", Store(db))
    assert _own(report) == {("la/380/cin_census.xml", 2, "UPN", "upn_check")}
    hit = next(p for p in report.problems if p.rule == "upn_check")
    assert hit.child_id == kids[1].child_id and kids[1].upn not in hit.message
    f = report.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_rejected) == (3, 3, 0)
    assert _q(db, "SELECT count(*), count(DISTINCT person_key) FROM cin_episodes") == [(3, 3)]
    assert _q(db, "SELECT count(*) FROM child_protection_plans") == [(1,)]
    # the problem is queryable, with the original element kept in the restricted zone
    rows = _q(db, "SELECT row_number, field, rule, row_kept, child_id, original LIKE '%<UPN>%' FROM restricted.rejects "
                  "WHERE dfe_rule IS NULL")
    assert rows == [(2, "UPN", "upn_check", True, kids[1].child_id, True)]


def test_ssda903_iso_dates_lower_case_headers_no_manifest(tmp_path: Path) -> None:
    header, episodes = ssda903(tmp_path / "drop" / "la" / "975", "975", 6, iso=True, lower_headers=True)
    db = tmp_path / "w.duckdb"
    report = load_drop(tmp_path / "drop", Store(db), year=2025)
    files = {f.file: f for f in report.files}
    assert {f: (x.status, x.rows_loaded) for f, x in files.items()} == {
        "la/975/header.csv": ("loaded", 6), "la/975/episodes.csv": ("loaded", 6)}
    # one file-level query per file, not one error per date
    detected = [(p.file, p.row, p.severity) for p in report.problems if p.rule == "date_format_detected"]
    assert sorted(detected) == [("la/975/episodes.csv", None, "query"), ("la/975/header.csv", None, "query")]
    assert not [p for p in report.problems if p.rule == "bad_date"]
    # 975 is no English LA code: reported as a query, still loaded under its code
    assert {(p.file, p.rule, p.severity) for p in report.problems if p.rule == "unknown_la"} == {
        ("la/975/header.csv", "unknown_la", "query"), ("la/975/episodes.csv", "unknown_la", "query")}
    starts = [r[0].isoformat() for r in _q(db, "SELECT start_date FROM looked_after_episodes ORDER BY start_date")]
    expected = [line.split(",")[1] for line in episodes.read_text().splitlines()[1:]]
    assert starts == sorted(expected)
    years = _q(db, "SELECT birth_year, collection_year, la_code FROM looked_after_children ORDER BY birth_year")
    assert [r[1:] for r in years] == [(2025, "975")] * 6
    assert [r[0] for r in years] == sorted(int(line.split(",")[2][:4]) for line in header.read_text().splitlines()[1:])


def test_two_digit_and_pre_1900_years_withheld_per_field(tmp_path: Path) -> None:
    folder = tmp_path / "drop" / "la" / "380"
    ssda903(folder, "380", 4)
    rows = [line.split(",") for line in (folder / "header.csv").read_text().splitlines()]
    rows[1][2] = "01/01/10"  # two-digit year: 1910 or 2010?
    rows[2][2] = "01/01/1899"  # before 1900: a placeholder, not a birth
    write_csv(folder / "header.csv", rows[0], rows[1:])
    db = tmp_path / "w.duckdb"
    report = load_drop(tmp_path / "drop", Store(db), year=2025)
    assert _own(report) == {("la/380/header.csv", 1, "DOB", "date_year"), ("la/380/header.csv", 2, "DOB", "date_year")}
    f = next(x for x in report.files if x.file == "la/380/header.csv")
    assert (f.rows_loaded, f.rows_rejected) == (4, 0)  # both rows kept, the dates withheld
    births = dict(_q(db, "SELECT person_key, birth_year FROM looked_after_children"))
    assert sorted(births.values(), key=lambda v: (v is None, v)) == [2012, 2012, None, None]
    assert _q(db, "SELECT count(*) FROM children WHERE birth_year IS NULL AND age_band = 'Not known'") == [(2,)]


def test_folder_and_header_disagree_and_a_missing_year(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    write_cin(drop / "la" / "380" / "cin_census.xml", cin_xml("381", children("380", 2)))
    ssda903(drop / "other", "380", 2)  # no LA folder, no CIN beside it, no --year
    report = validate_drop(drop)
    found = {(p.file, p.rule, p.severity) for p in report.problems if p.dfe_rule is None}
    assert ("la/380/cin_census.xml", "la_disagrees", "query") in found
    assert ("other/header.csv", "no_la", "error") in found
    assert report.refused_files == 2 and report.outcome.exit_code == 1
    report = validate_drop(drop, la="380", year=2025)
    assert report.refused_files == 0


def test_cin_year_and_la_from_the_header_when_loose(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    write_cin(drop / "fake_CIN_data.xml", cin_xml("815", children("815", 3, year=2024), year=2024))
    db = tmp_path / "w.duckdb"
    report = load_drop(drop, Store(db))
    assert [(f.file, f.status, f.batch_key) for f in report.files] == [
        ("fake_CIN_data.xml", "loaded", "cin_census|la:815|2024")]
    assert _q(db, "SELECT DISTINCT la_code, collection_year FROM cin_episodes") == [("815", 2024)]


def test_refused_rows_are_only_those_that_cannot_be_stored(tmp_path: Path) -> None:
    kids = children("380", 4)
    kids[0].child_id = ""  # no key: cannot be stored
    kids[1].referral = "2024-13-45"  # no usable referral date: the episode cannot be stored, the child can
    kids[2].dob = "1899-12-31"  # withheld; child kept
    kids.append(CinChild(kids[3].child_id, kids[3].dob))  # repeats a key: refused
    write_cin(tmp_path / "drop" / "la" / "380" / "cin_census.xml", cin_xml("380", kids))
    db = tmp_path / "w.duckdb"
    report = load_drop(tmp_path / "drop", Store(db))
    f = report.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_rejected) == (5, 3, 2)
    kept = _q(db, "SELECT row_number, rule, row_kept FROM restricted.rejects WHERE dfe_rule IS NULL ORDER BY 1, 2")
    assert (1, "required", False) in kept and (5, "duplicate_key", False) in kept
    assert (2, "bad_date", True) in kept and (3, "date_year", True) in kept
    assert _q(db, "SELECT count(*) FROM children") == [(3,)]
    assert _q(db, "SELECT count(*) FROM cin_episodes") == [(2,)]  # child 2 kept without its dateless episode


def test_ssda903_oc2_and_missing_tables_load_with_their_values(tmp_path: Path) -> None:
    folder = tmp_path / "drop" / "la" / "380"
    ssda903(folder, "380", 3)
    oc2_cols = ["CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
                "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"]
    write_csv(folder / "oc2.csv", [c.lower() for c in oc2_cols], [
        ["L3800001", "20/02/2012", "14", "", "0", "1", "1", "1", "1", "0", "", ""],
        ["L3800002", "11/04/2012", "", "sdq2", "2", "1", "0", "1", "1", "0", "", ""],  # CONVICTED 2: withheld
    ])
    write_csv(folder / "missing.csv", ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"], [
        ["L3800001", "20/02/2012", "M", "01/06/2024", "03/06/2024"],
        ["L3800001", "20/02/2012", "a", "01/08/2024", ""],
        ["L3800003", "31/05/2012", "M", "", ""],  # no start: cannot be stored
    ])
    db = tmp_path / "w.duckdb"
    report = load_drop(tmp_path / "drop", Store(db), year=2025)
    files = {f.file: (f.kind, f.status, f.rows_loaded, f.rows_rejected) for f in report.files}
    assert files["la/380/oc2.csv"] == ("ssda903_oc2", "loaded", 2, 0)
    assert files["la/380/missing.csv"] == ("ssda903_missing", "loaded", 2, 1)
    assert _own(report) == {("la/380/oc2.csv", 2, "CONVICTED", "code_list"),
                            ("la/380/missing.csv", 3, "MIS_START", "required")}
    oc2 = _q(db, "SELECT sdq_score, sdq_reason, convicted, health_check, immunisations, collection_year "
                 "FROM looked_after_outcomes ORDER BY sdq_score NULLS LAST")
    assert oc2 == [(14, None, False, True, True, 2025), (None, "SDQ2", None, True, False, 2025)]
    missing = _q(db, "SELECT missing_type, start_date, end_date FROM looked_after_missing ORDER BY start_date")
    assert [(m, s.isoformat(), e.isoformat() if e else None) for m, s, e in missing] == [
        ("M", "2024-06-01", "2024-06-03"), ("A", "2024-08-01", None)]
    # the same child is one person across the return's tables
    assert _q(db, "SELECT count(DISTINCT person_key) FROM (SELECT person_key FROM looked_after_missing "
                  "UNION ALL SELECT person_key FROM looked_after_children WHERE birth_year = 2012)") == [(3,)]
