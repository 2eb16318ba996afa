"""REFI-QDA exchange: vendor quirks on import, XSD-valid export, exact round trip."""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from synthesis.exchange import export_qdpx, import_file
from synthesis.refi import read_qdc, read_qdpx, utf16_to_codepoint
from warehouse.errors import DataError
from warehouse.store import Store

XSD = Path(__file__).parent / "data" / "refi-qda-project.xsd"
CODE_A = "aaaaaaaa-1111-4111-8111-000000000001"
CODE_B = "AAAAAAAA-1111-4111-8111-000000000002"
USER = "bbbbbbbb-2222-4222-8222-000000000001"
SRC = "cccccccc-3333-4333-8333-000000000001"


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def _qde(origin: str, source_attr: str, selections: str, extra_cases: str = "") -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="quirks" origin="{origin}" creatingUserGUID="{{{USER}}}">
<Users><User guid="{{{USER}}}" name="Coder one"/></Users>
<CodeBook><Codes>
 <Code guid="{CODE_A}" name="Parent" isCodable="false"><Code guid="{CODE_B.lower()}" name="Child" isCodable="true"/></Code>
</Codes></CodeBook>
<Variables><Variable guid="dddddddd-4444-4444-8444-000000000001" name="Site" typeOfVariable="Text"/></Variables>
<Cases><Case guid="eeeeeeee-5555-4555-8555-000000000001"><VariableValue>
  <VariableRef targetGUID="dddddddd-4444-4444-8444-000000000001"/><TextValue>leap</TextValue></VariableValue>
  <SourceRef targetGUID="{SRC.upper()}"/></Case>{extra_cases}</Cases>
<Sources><TextSource guid="{SRC}" name="FG transcript" {source_attr}>{selections}</TextSource></Sources>
</Project>"""


def _write(path: Path, qde: str, files: dict[str, bytes], bom: bool = False) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", (b"\xef\xbb\xbf" if bom else b"") + qde.replace("\n", "\r\n").encode("utf-8"))
        for name, data in files.items():
            zf.writestr(name, data)
    return path


TEXT = "P01: We’ve got the NHS number 👍 for most.\nP02: Not for dads – rarely.\n"


def test_nvivo_style_sources_folder_braces_lowercase_utf16_offsets_and_crlf(tmp_path: Path) -> None:
    # NVivo: capitalised Sources/, lower-case GUIDs in braces, CRLF text, UTF-16 offsets after the emoji.
    # NVivo counts UTF-16 units of the delivered text: one extra unit for the emoji, one for the CR of CRLF
    start16 = TEXT.index("P02") + 1 + 1
    end16 = start16 + len("P02: Not for dads")
    sel = (f'<PlainTextSelection guid="{{ffffffff-6666-4666-8666-000000000001}}" startPosition="{start16}" '
           f'endPosition="{end16}"><Coding guid="ffffffff-6666-4666-8666-0000000000c1">'
           f'<CodeRef targetGUID="{{{CODE_B.lower()}}}"/></Coding></PlainTextSelection>')
    qde = _qde("NVivo 14", f'plainTextPath="internal://{SRC}.txt"', sel)
    path = _write(tmp_path / "nvivo.qdpx", qde, {f"Sources/{SRC}.txt": TEXT.replace("\n", "\r\n").encode()})
    project = read_qdpx(path)
    src = project.sources[0]
    s = src.selections[0]
    assert src.guid == SRC.upper() and src.text == TEXT           # CRLF normalised, GUID upper-cased
    assert src.text[s.start:s.end] == "P02: Not for dads"           # UTF-16 offsets converted to code points
    assert s.codings[0].code_guid == CODE_B
    assert [c.parent_guid for c in project.codes] == [None, CODE_A.upper()]


def test_maxqda_and_qualcoder_quirks_selection_without_coding_bom_and_nameless_case(tmp_path: Path) -> None:
    sel = (f'<PlainTextSelection guid="FFFFFFFF-6666-4666-8666-000000000002" startPosition="5" endPosition="12">'
           f'<Description>annotation only</Description></PlainTextSelection>'
           f'<PlainTextSelection guid="FFFFFFFF-6666-4666-8666-000000000003" startPosition="0" endPosition="3" '
           f'creatingUser="{USER}"><Coding guid="FFFFFFFF-6666-4666-8666-0000000000C3">'
           f'<CodeRef targetGUID="{CODE_B}"/></Coding></PlainTextSelection>')
    qde = _qde("MAXQDA 2022", f'plainTextPath="internal://{SRC.upper()}.txt"', sel)
    path = _write(tmp_path / "maxqda.qdpx", qde, {f"sources/{SRC.upper()}.txt": b"\xef\xbb\xbf" + TEXT.encode()},
                  bom=True)
    store = Store(tmp_path / "w.duckdb")
    report = import_file(path, store)
    assert (report.documents, report.segments, report.annotations) == (1, 1, 1)
    with store.reader() as con:
        doc = con.execute("SELECT site_id, text, char_count FROM syn_document").fetchall()[0]
        seg = con.execute("SELECT substr(d.text, s.start_char + 1, s.end_char - s.start_char), s.coder_id "
                          "FROM syn_coded_segment s JOIN syn_document d USING (document_id)").fetchall()
        ann = con.execute("SELECT start_char, end_char, body FROM syn_annotation").fetchall()
    assert doc == ("leap", TEXT, len(TEXT))                        # BOM stripped; site from the nameless case
    assert seg == [("P01", USER.upper())]
    assert ann == [(5, 12, "annotation only")]


def test_inline_plain_text_content_and_atlas_upper_case(tmp_path: Path) -> None:
    sel = (f'<PlainTextSelection guid="FFFFFFFF-6666-4666-8666-000000000004" startPosition="0" endPosition="4">'
           f'<Coding guid="FFFFFFFF-6666-4666-8666-0000000000C4" creatingUser="{USER.upper()}">'
           f'<CodeRef targetGUID="{CODE_B}"/></Coding></PlainTextSelection>')
    qde = _qde("ATLAS.ti 23.2", "", f"<PlainTextContent>{TEXT}</PlainTextContent>{sel}")
    # PlainTextContent must precede selections (xsd sequence): it does.
    path = _write(tmp_path / "atlas.qdpx", qde, {})
    src = read_qdpx(path).sources[0]
    assert src.text == TEXT and src.text[0:4] == "P01:"


def test_errors_name_the_problem(tmp_path: Path) -> None:
    sel = ('<PlainTextSelection guid="FFFFFFFF-6666-4666-8666-000000000005" startPosition="5" endPosition="9999"/>')
    qde = _qde("x", f'plainTextPath="internal://{SRC}.txt"', sel)
    bad = _write(tmp_path / "bad.qdpx", qde, {f"sources/{SRC}.txt": TEXT.encode()})
    with pytest.raises(DataError, match="spans 5-9999"):
        read_qdpx(bad)
    missing = _write(tmp_path / "missing.qdpx", _qde("x", f'plainTextPath="internal://{SRC}.txt"', ""), {})
    with pytest.raises(DataError, match="not in the archive"):
        read_qdpx(missing)
    (tmp_path / "notzip.qdpx").write_text("hello")
    with pytest.raises(DataError, match="not a readable"):
        read_qdpx(tmp_path / "notzip.qdpx")


def test_qdc_codebook_member_code_uses_guid(tmp_path: Path) -> None:
    qdc = f"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="QualCoder"><Codes>
<Code guid="{CODE_A}" name="RQ1 Data availability" isCodable="false" color="#1F77B4">
<Description>Deductive parent</Description><Code guid="{CODE_B}" name="Availability" isCodable="true"/></Code>
</Codes><Sets><Set guid="99999999-1111-4111-8111-000000000001" name="Theme: Holding data">
<MemberCode guid="{CODE_B}"/></Set></Sets></CodeBook>"""
    path = tmp_path / "book.qdc"
    path.write_text(qdc, encoding="utf-8")
    book = read_qdc(path)
    assert [c.name for c in book.codes] == ["RQ1 Data availability", "Availability"]
    assert book.sets[0].member_codes == [CODE_B]
    store = Store(tmp_path / "w.duckdb")
    report = import_file(path, store)
    assert (report.codes, report.themes) == (2, 1)
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM syn_theme_code").fetchone() == (1,)


def test_export_validates_against_refi_xsd(loaded: Store, tmp_path: Path) -> None:
    out = export_qdpx(loaded, tmp_path / "export.qdpx")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        qde = zf.read("project.qde")
        texts = [zf.read(n) for n in names if n.startswith("sources/")]
    assert qde.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    schema = _schema()
    doc = etree.fromstring(qde)
    assert schema.validate(doc), schema.error_log
    assert len(texts) == 8 and all(not t.startswith(b"\xef\xbb\xbf") for t in texts)
    assert all(n.startswith("sources/") and n.endswith(".txt") for n in names if n != "project.qde")


def test_generator_output_validates_against_refi_xsd(material) -> None:
    _, paths, _ = material
    with zipfile.ZipFile(paths[0]) as zf:
        doc = etree.fromstring(zf.read("project.qde"))
    schema = _schema()
    assert schema.validate(doc), schema.error_log


def _snapshot(store: Store) -> dict[str, list[tuple]]:
    with store.reader() as con:
        return {
            "codes": con.execute("SELECT code_id, parent_code_id, name, definition, is_codable, color, origin "
                                 "FROM syn_code ORDER BY code_id").fetchall(),
            "segments": con.execute("SELECT segment_id, selection_id, document_id, code_id, coder_id, start_char, "
                                    "end_char FROM syn_coded_segment ORDER BY segment_id").fetchall(),
            "documents": con.execute("SELECT document_id, site_id, title, text_sha256, char_count "
                                     "FROM syn_document ORDER BY document_id").fetchall(),
            "participants": con.execute("SELECT participant_id, role, agency FROM syn_participant ORDER BY 1").fetchall(),
            "themes": con.execute("SELECT t.name, list(tc.code_id ORDER BY tc.code_id) FROM syn_theme t "
                                  "JOIN syn_theme_code tc USING (theme_id) GROUP BY t.name ORDER BY 1").fetchall(),
            "turns": con.execute("SELECT document_id, turn_no, participant_id, start_char, end_char "
                                 "FROM syn_speaker_turn ORDER BY 1, 2").fetchall(),
        }


def test_round_trip_import_export_import_is_exact(loaded: Store, tmp_path: Path) -> None:
    first = export_qdpx(loaded, tmp_path / "first.qdpx")
    again = Store(tmp_path / "again.duckdb")
    import_file(first, again)
    assert _snapshot(again) == _snapshot(loaded)
    second = export_qdpx(again, tmp_path / "second.qdpx")
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        stamp = re.compile(rb'creationDateTime="[^"]*"')
        assert stamp.sub(b"", a.read("project.qde")) == stamp.sub(b"", b.read("project.qde"))
        assert sorted(a.namelist()) == sorted(b.namelist())


_COUNTS = ("SELECT (SELECT count(*) FROM syn_coded_segment), (SELECT count(*) FROM syn_document), "
           "(SELECT count(*) FROM syn_availability_rating), (SELECT count(*) FROM findings), "
           "(SELECT count(*) FROM syn_speaker_turn), (SELECT count(*) FROM syn_framework_cell)")


def test_reimport_is_idempotent(material, loaded: Store, tmp_path: Path) -> None:
    _, paths, _ = material
    with loaded.reader() as con:
        once = con.execute(_COUNTS).fetchone()
    store = Store(tmp_path / "twice.duckdb")
    for _ in range(2):
        for p in paths:
            import_file(p, store)
    with store.reader() as con:
        twice = con.execute(_COUNTS).fetchone()
    assert once == twice
    with store.reader() as con:    # an unchanged codebook re-imported adds no version
        assert con.execute("SELECT count(*) FROM syn_codebook_version").fetchone() == (1,)
        assert con.execute("SELECT DISTINCT version_introduced FROM syn_code").fetchall() == [(1,)]
    assert once[1:4] == (8, 104, 4) and once[0] > 300


def test_utf16_to_codepoint() -> None:
    text = "a👍b"
    assert [utf16_to_codepoint(text, u) for u in (0, 1, 3, 4)] == [0, 1, 2, 3]


@settings(max_examples=40, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab \n–éü👍🏽\r")), min_size=2, max_size=60), data=st.data())
def test_write_read_round_trip_keeps_code_point_offsets(text: str, data: st.DataObject) -> None:
    from synthesis.refi import (
        RefiCode,
        RefiCoding,
        RefiProject,
        RefiSelection,
        RefiSource,
        normalise_text,
        write_qdpx,
    )

    text = normalise_text(text)
    if len(text) < 2:
        return
    spans = data.draw(st.lists(st.tuples(st.integers(0, len(text) - 1), st.integers(1, len(text))), max_size=5))
    sels = [RefiSelection(f"00000000-0000-4000-8000-{i:012d}", s, e if e > s else s + 1, None, USER.upper(), None,
                          [RefiCoding(f"10000000-0000-4000-8000-{i:012d}", CODE_B)])
            for i, (s, e) in enumerate(spans) if min(e if e > s else s + 1, len(text)) > s]
    sels = [x for x in sels if x.end <= len(text)]
    project = RefiProject("p", codes=[RefiCode(CODE_B, "c")],
                          sources=[RefiSource(SRC.upper(), "doc", text, selections=sels)])
    with tempfile.TemporaryDirectory() as tmp:
        out = write_qdpx(project, Path(tmp) / "p.qdpx", {}, "2026-01-01T00:00:00Z")
        back = read_qdpx(out).sources[0]
    assert back.text == text
    assert [(s.start, s.end, text[s.start:s.end]) for s in back.selections] == [
        (s.start, s.end, text[s.start:s.end]) for s in sels]
