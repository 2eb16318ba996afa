"""Acceptability: the Sekhon codebook as .qdc, seeded interviews, and the matrix against the planted truth."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from synthesis.acceptability import acceptability_codebook, acceptability_matrix, write_acceptability_qdc
from synthesis.exchange import import_file
from synthesis.refi import read_qdc
from synthetic_data.interviews import PLANTED_LEANS, write_interviews
from warehouse.disclosure import SUPPRESSED
from warehouse.store import Store
from warehouse.toc import ACCEPTABILITY_CONSTRUCTS, STUDY_QUESTIONS

XSD = Path(__file__).parent / "data" / "refi-qda-project.xsd"


@pytest.fixture(scope="module")
def interviews(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict]:
    out = tmp_path_factory.mktemp("interviews")
    paths = write_interviews(out, seed=4)
    store = Store(out / "w.duckdb")
    for p in paths:
        import_file(p, store)
    return store, json.loads((out / "truth" / "acceptability_truth.json").read_text(encoding="utf-8"))


def test_codebook_qdc_reads_back_with_every_construct_direction_and_question(tmp_path: Path) -> None:
    book = read_qdc(write_acceptability_qdc(tmp_path / "acceptability.qdc"))
    codes = acceptability_codebook()
    assert [(c.guid, c.name, c.parent_guid, c.is_codable, c.description) for c in book.codes] == \
        [(c.guid, c.name, c.parent_guid, c.is_codable, c.description) for c in codes]
    names = {c.name for c in book.codes}
    for construct in ACCEPTABILITY_CONSTRUCTS.values():
        assert {construct.label, f"{construct.label}: positive", f"{construct.label}: negative"} <= names
    assert sum(name.startswith(tuple(STUDY_QUESTIONS.names())) for name in names) == len(STUDY_QUESTIONS) == 11
    store = Store(tmp_path / "w.duckdb")                      # a coder's tool and the warehouse take it
    assert import_file(tmp_path / "acceptability.qdc", store).codes == len(codes)


def test_codebook_codes_validate_against_the_refi_code_type(tmp_path: Path) -> None:
    # REFI's Codebook.xsd shares the Code type of Project.xsd: move the .qdc's Codes into a project and validate
    qdc = etree.parse(str(write_acceptability_qdc(tmp_path / "a.qdc"))).getroot()
    assert qdc.tag == "{urn:QDA-XML:codebook:1.0}CodeBook" and qdc.get("origin")
    ns = "urn:QDA-XML:project:1.0"
    project = etree.Element(f"{{{ns}}}Project", name="codebook check", nsmap={None: ns})
    codes = etree.SubElement(etree.SubElement(project, f"{{{ns}}}CodeBook"), f"{{{ns}}}Codes")
    for el in qdc.iter():
        el.tag = f"{{{ns}}}" + etree.QName(el).localname
    codes.extend(list(qdc.find(f"{{{ns}}}Codes")))
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(project), schema.error_log
    assert len(codes.findall(f".//{{{ns}}}Code")) == len(acceptability_codebook())


def test_generated_project_is_valid_refi_and_byte_identical_per_seed(tmp_path: Path) -> None:
    a = write_interviews(tmp_path / "a", seed=9, per_site=3)[0]
    b = write_interviews(tmp_path / "b", seed=9, per_site=3)[0]
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        doc = etree.fromstring(zf.read("project.qde"))
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(doc), schema.error_log


def test_matrix_reproduces_the_planted_counts_and_leans(interviews: tuple[Store, dict]) -> None:
    store, truth = interviews
    matrix = acceptability_matrix(store)
    got = {(r["site_id"], r["construct"], r["stakeholder_group"]): r for r in matrix.iter_rows(named=True)}
    assert len(got) == len(truth["cells"])
    for cell in truth["cells"]:
        row = got[(cell["site_id"], cell["construct"], cell["stakeholder_group"])]
        assert (row["n_positive"], row["n_negative"], row["n_participants"]) == \
            (cell["n_positive"], cell["n_negative"], cell["n_participants"])
        assert row["n_segments"] == cell["n_positive"] + cell["n_negative"] + cell["n_undirected"]
        if cell["planted_lean"]:
            assert row["balance"] == (1.0 if cell["planted_lean"] == "positive" else -1.0)
    for (site, construct, group), lean in PLANTED_LEANS.items():
        row = got[(site, construct, group)]
        said = "in favour" if lean == "positive" else "against"
        assert row["exemplar_quote"] and row["exemplar_role"] == group, said


def test_site_view_hides_small_counts_and_the_quotes_behind_them(tmp_path: Path) -> None:
    paths = write_interviews(tmp_path, seed=4, per_site=30)
    store = Store(tmp_path / "w.duckdb")
    import_file(paths[0], store)
    raw = acceptability_matrix(store, sites=["coda"])
    shown = acceptability_matrix(store, site_view=True, sites=["coda"])
    assert set(shown["site_id"]) == {"coda"}
    hidden = visible = 0
    for r, s in zip(raw.iter_rows(named=True), shown.iter_rows(named=True), strict=True):
        for col in ("n_participants", "n_segments", "n_positive", "n_negative"):
            if 1 <= r[col] <= 5:
                assert s[col] == SUPPRESSED, (col, r)
        if s["n_participants"] == SUPPRESSED:
            assert s["exemplar_quote"] is None and s["exemplar_participant"] is None
            hidden += 1
        else:
            assert int(s["n_participants"]) > 5 and s["exemplar_quote"] == r["exemplar_quote"]
            visible += 1
    assert hidden and visible


def test_findings_acceptability_site_views_leak_nothing_by_subtraction(
        interviews: tuple[Store, dict], capsys: pytest.CaptureFixture[str]) -> None:
    """`findings acceptability --site S` for every site, through the differencing attacker with the matrix's
    full declaration (segments minus positive or negative codes, counts of 1-5, across the site's rows)."""
    import polars as pl

    from linkready.cli import main
    from synthesis.acceptability import MATRIX_DISCLOSURE
    from warehouse.disclosure import Published, find_leaks
    from warehouse.sites import SITE_IDS

    store, _ = interviews
    keys = ("site_id", "construct", "stakeholder_group")
    hidden = 0
    for site in SITE_IDS:
        main(["findings", "acceptability", "--db", str(store.path), "--site", site, "--format", "json"])  # exit 0
        rows = json.loads(capsys.readouterr().out)
        assert rows and {r["site_id"] for r in rows} == {site}
        shown = pl.DataFrame(rows, infer_schema_length=None).with_columns(pl.all().cast(pl.Utf8))
        hidden += sum(v == SUPPRESSED for r in rows for v in r.values())
        assert find_leaks([Published("acceptability", shown, MATRIX_DISCLOSURE, keys)]) == [], site
    assert hidden > 0   # something was small enough to hide
    # the attacker finds the small counts in the unsuppressed matrix
    raw = acceptability_matrix(store, sites=[SITE_IDS[0]]).with_columns(pl.all().cast(pl.Utf8))
    assert find_leaks([Published("acceptability", raw, MATRIX_DISCLOSURE, keys)])
