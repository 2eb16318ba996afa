"""Pseudonymisation check: every planted identifier is found; refusals never echo values."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthesis import pseudonymise
from synthesis.exchange import import_file
from synthesis.pseudonymise import Pseudonymiser, check, scan
from warehouse.errors import DataError
from warehouse.identifiers import nhs_number_is_valid
from warehouse.store import Store


def test_scan_finds_every_planted_identifier(material) -> None:
    out, _, _ = material
    planted = json.loads((out / "truth" / "planted_identifiers.json").read_text(encoding="utf-8"))
    roster = (out / "truth" / "roster.txt").read_text(encoding="utf-8").split()
    assert len(planted) == 4
    for name, spans in planted.items():
        text = (out / "truth" / "raw" / name).read_text(encoding="utf-8")
        found = {(h.kind, h.start, h.end) for h in scan(text, roster)}
        expected = {(s["kind"], s["start"], s["end"]) for s in spans}
        assert expected == found, name
        assert {k for k, _, _ in expected} == {"name", "phone", "email", "nhs_number", "postcode", "date_of_birth"}


def test_generated_transcripts_are_clean(material) -> None:
    _, paths, _ = material
    with zipfile.ZipFile(paths[0]) as zf:
        texts = [zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("sources/")]
    assert texts and all(scan(t) == [] for t in texts)


def test_check_refuses_with_kinds_and_positions_but_no_values(material) -> None:
    out, _, _ = material
    roster = (out / "truth" / "roster.txt").read_text(encoding="utf-8").split()
    raw = out / "truth" / "raw" / "fbs_focus_group_raw.txt"
    text = raw.read_text(encoding="utf-8")
    with pytest.raises(DataError) as info:
        check(text, raw.name, roster)
    message = str(info.value)
    for h in scan(text, roster):
        assert f"{h.kind} at {h.start}-{h.end}" in message
        assert text[h.start:h.end] not in message


def test_import_refuses_unpseudonymised_project_and_writes_nothing(material, tmp_path: Path) -> None:
    out, paths, _ = material
    raw = (out / "truth" / "raw" / "sat_focus_group_raw.txt").read_text(encoding="utf-8")
    dirty = tmp_path / "dirty.qdpx"
    with zipfile.ZipFile(paths[0]) as src, zipfile.ZipFile(dirty, "w") as dst:
        sources = [n for n in src.namelist() if n.startswith("sources/")]
        for n in src.namelist():
            data = src.read(n)
            if n == sources[0]:
                data = data + ("\n" + raw).encode("utf-8")
            dst.writestr(n, data)
    store = Store(tmp_path / "w.duckdb")
    with pytest.raises(DataError, match="not pseudonymised") as info:
        import_file(dirty, store, roster=(out / "truth" / "roster.txt").read_text(encoding="utf-8").split())
    assert "@" not in str(info.value)
    with store.reader() as con:
        assert con.execute("SELECT count(*) FROM syn_document").fetchone() == (0,)


def test_pseudonymiser_consistent_tokens_and_log_without_originals(material) -> None:
    out, _, _ = material
    roster = tuple((out / "truth" / "roster.txt").read_text(encoding="utf-8").split())
    p = Pseudonymiser(roster=roster)
    raws = sorted((out / "truth" / "raw").glob("*.txt"))
    text = raws[0].read_text(encoding="utf-8")
    once = p.apply(text, "a")
    twice = p.apply(text, "b")
    assert once == twice                         # same originals -> same tokens across documents
    assert scan(once, roster) == []
    originals = {text[h.start:h.end] for h in scan(text, roster)}
    dumped = json.dumps(p.log)
    assert originals and not any(o in dumped for o in originals)
    assert {r["entity_type"] for r in p.log} >= {"name", "email", "nhs_number"}


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_scan_finds_exactly_the_numbers_with_a_valid_check_digit(ten: str) -> None:
    # the one home of the mod-11 rule is warehouse.identifiers; the scan must agree with it
    found = [h.kind for h in scan(f"ref {ten[:3]} {ten[3:6]} {ten[6:]} end")]
    assert ("nhs_number" in found) == nhs_number_is_valid(ten)


def test_no_second_check_digit_rule_in_synthesis() -> None:
    assert not hasattr(pseudonymise, "nhs_number_valid")
    assert "% 11" not in Path(pseudonymise.__file__).read_text(encoding="utf-8")
