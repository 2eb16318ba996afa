"""Coded quotes stay exact through CRLF transcripts, BOMs and characters outside the BMP (issue 13 item 9).

Every test checks the quoted TEXT of every segment (what a researcher reads), not only offsets:
after import (``v_quotes``), in the exported ``.qdpx`` (its own text sliced by its own offsets) and
after re-importing that export.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthesis.exchange import export_qdpx, import_file
from synthesis.offsets import OFFSET_CONVENTIONS, DeliveredText, convention_for
from synthesis.refi import read_qdpx
from warehouse.store import Store

USER = "BBBBBBBB-2222-4222-8222-000000000001"
CODE = "AAAAAAAA-1111-4111-8111-000000000002"
SRC = "CCCCCCCC-3333-4333-8333-000000000001"

# A focus-group transcript as a Windows machine saves it: CRLF, accents, an emoji with a skin-tone
# modifier (two code points outside the BMP), a flag (two more), CJK and a curly apostrophe.
LINES = [
    "Facilitator: Welcome – let’s start with what you hold.",
    "P01: We’ve got the NHS number 👍🏽 for most mums.",
    "P02: Not for dads 🇬🇧 – rarely, and 数据 is patchy.",
    "P01: Case notes only, really.",
    "P03: Weeks to get it out 😩.",
]
CRLF_TEXT = "\r\n".join(LINES) + "\r\n"
STORED = CRLF_TEXT.replace("\r\n", "\n")
# quotes as a coder selected them in the delivered (CRLF) text; one spans a line break
QUOTES = ["Welcome", "NHS number 👍🏽 for most", "dads 🇬🇧 – rarely", "数据 is patchy.\r\nP01: Case notes",
          "Weeks to get it out 😩."]


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _nvivo(delivered: str, start: int, end: int) -> tuple[int, int]:
    return _units(delivered[:start]), _units(delivered[:end])


def _atlas(delivered: str, start: int, end: int) -> tuple[int, int]:
    return len(delivered[:start].replace("\r\n", "\n")), len(delivered[:end].replace("\r\n", "\n"))


def _refi(delivered: str, start: int, end: int) -> tuple[int, int]:
    return start, end


TOOLS: dict[str, tuple[str, Callable[[str, int, int], tuple[int, int]]]] = {
    "nvivo": ("NVivo 14 (14.23.0)", _nvivo),
    "atlas.ti": ("ATLAS.ti 23.2.1", _atlas),
    "refi": ("QualCoder 3.5", _refi),
}


def _project(tmp_path: Path, tool: str, inline: bool = False) -> Path:
    origin, offsets = TOOLS[tool]
    sels = []
    for i, quote in enumerate(QUOTES):
        cp = CRLF_TEXT.index(quote)
        start, end = offsets(CRLF_TEXT, cp, cp + len(quote))
        sels.append(f'<PlainTextSelection guid="{{ffffffff-6666-4666-8666-{i:012d}}}" startPosition="{start}" '
                    f'endPosition="{end}" creatingUser="{USER}"><Coding guid="ffffffff-6666-4666-8666-1{i:011d}">'
                    f'<CodeRef targetGUID="{CODE}"/></Coding></PlainTextSelection>')
    body = (f"<PlainTextContent>{CRLF_TEXT.replace(chr(13), '&#13;')}</PlainTextContent>" if inline
            else "")
    path_attr = "" if inline else f'plainTextPath="internal://{SRC.lower()}.txt"'
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="crlf" origin="{origin}" creatingUserGUID="{USER}">
<Users><User guid="{USER}" name="Coder one"/></Users>
<CodeBook><Codes><Code guid="{CODE}" name="Holding data" isCodable="true"/></Codes></CodeBook>
<Variables><Variable guid="DDDDDDDD-4444-4444-8444-000000000001" name="Site" typeOfVariable="Text"/></Variables>
<Sources><TextSource guid="{SRC}" name="FG01 data focus group" {path_attr}>{body}{''.join(sels)}
<VariableValue><VariableRef targetGUID="DDDDDDDD-4444-4444-8444-000000000001"/><TextValue>sat</TextValue></VariableValue>
</TextSource></Sources></Project>"""
    out = tmp_path / f"{tool}.qdpx"
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("project.qde", b"\xef\xbb\xbf" + qde.replace("\n", "\r\n").encode("utf-8"))
        if not inline:   # NVivo writes a capitalised folder; the text has a BOM and CRLF line endings
            zf.writestr(f"Sources/{SRC.lower()}.txt", b"\xef\xbb\xbf" + CRLF_TEXT.encode("utf-8"))
    return out


EXPECTED = [q.replace("\r\n", "\n") for q in QUOTES]


def _quotes(store: Store) -> list[str]:
    with store.reader() as con:
        return [r[0] for r in con.execute("SELECT quote FROM v_quotes ORDER BY start_char").fetchall()]


def _exported_quotes(path: Path) -> list[str]:
    project = read_qdpx(path)
    with zipfile.ZipFile(path) as zf:
        raw = zf.read(f"sources/{project.sources[0].guid}.txt").decode("utf-8")
    assert "\r" not in raw and not raw.startswith("\ufeff")     # written as stored: LF, no BOM
    sels = sorted(project.sources[0].selections, key=lambda s: s.start)
    return [raw[s.start:s.end] for s in sels]


@pytest.mark.parametrize("tool", list(TOOLS))
def test_every_quote_is_exact_after_import_export_and_reimport(tool: str, tmp_path: Path) -> None:
    store = Store(tmp_path / "w.duckdb")
    report = import_file(_project(tmp_path, tool), store)
    assert report.segments == len(QUOTES)
    assert _quotes(store) == EXPECTED
    with store.reader() as con:
        assert con.execute("SELECT text FROM syn_document").fetchone() == (STORED,)
    exported = export_qdpx(store, tmp_path / "export.qdpx")
    assert _exported_quotes(exported) == EXPECTED
    again = Store(tmp_path / "again.duckdb")
    import_file(exported, again)
    assert _quotes(again) == EXPECTED


def test_export_for_nvivo_counts_utf16_units_and_reads_back_exactly(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.duckdb")
    import_file(_project(tmp_path, "refi"), store)
    out = export_qdpx(store, tmp_path / "for-nvivo.qdpx", offsets="nvivo")
    with zipfile.ZipFile(out) as zf:
        qde = zf.read("project.qde").decode("utf-8")
    starts = sorted(int(x) for x in re.findall(r'startPosition="(\d+)"', qde))
    assert starts == sorted(_units(STORED[:STORED.index(q)]) for q in EXPECTED)   # UTF-16 units, as NVivo counts
    assert 'origin="linkready (offsets as NVivo counts them)"' in qde
    again = Store(tmp_path / "again.duckdb")
    import_file(out, again)
    assert _quotes(again) == EXPECTED


def test_inline_text_with_encoded_carriage_returns_counts_them_for_nvivo(tmp_path: Path) -> None:
    # &#13; survives XML line-end normalisation, so NVivo's offsets count the CR as delivered
    project = read_qdpx(_project(tmp_path, "nvivo", inline=True))
    src = project.sources[0]
    assert src.text == STORED
    assert [src.text[s.start:s.end] for s in src.selections] == EXPECTED


def test_a_selection_past_the_delivered_text_names_the_tool_and_the_limit(tmp_path: Path) -> None:
    from warehouse.errors import DataError

    path = _project(tmp_path, "atlas.ti")
    with zipfile.ZipFile(path) as zf:
        qde = zf.read("project.qde").decode("utf-8-sig")
    limit = len(STORED)
    qde = qde.replace('endPosition="', f'endPosition="{limit + 5}" x="', 1)
    bad = tmp_path / "bad.qdpx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("project.qde", qde.encode("utf-8"))
        for name in src.namelist():
            if name != "project.qde":
                zf.writestr(name, src.read(name))
    with pytest.raises(DataError, match=f"ATLAS.ti.*<= {limit}") as info:
        read_qdpx(bad)
    assert "Welcome" not in str(info.value)       # the message names offsets, never the transcript


def test_convention_picked_from_origin() -> None:
    assert convention_for("NVivo 14").name == "nvivo"
    assert convention_for("ATLAS.ti 23.2").name == "atlas.ti"
    assert convention_for("MAXQDA 2022").name == "refi" and convention_for(None).name == "refi"
    assert set(OFFSET_CONVENTIONS.names()) >= {"refi", "nvivo", "atlas.ti"}


_CHARS = st.sampled_from(list("ab \r\n–é") + ["\r\n", "👍", "🏽", "数"])


@settings(max_examples=60, deadline=None)
@given(pieces=st.lists(_CHARS, min_size=1, max_size=40), data=st.data())
def test_any_delivered_span_maps_to_the_same_stored_characters(pieces: list[str], data: st.DataObject) -> None:
    # spans start and end between pieces, as a coder's selection does (never inside a CRLF)
    delivered = "".join(pieces)
    text = DeliveredText.from_raw(delivered)
    i = data.draw(st.integers(0, len(pieces) - 1))
    j = data.draw(st.integers(i + 1, len(pieces)))
    start, end = len("".join(pieces[:i])), len("".join(pieces[:j]))
    expected = "".join(pieces[i:j]).replace("\r\n", "\n").replace("\r", "\n")
    splits_crlf = any(delivered[b - 1:b + 1] == "\r\n" for b in (start, end) if b > 0)
    for name, (_, offsets) in TOOLS.items():
        if name == "atlas.ti" and splits_crlf:
            continue                          # ATLAS.ti counts CRLF as one: no boundary falls inside it
        s, e = text.span_to_stored(*offsets(delivered, start, end), OFFSET_CONVENTIONS.get(name))
        assert text.text[s:e] == expected, name
