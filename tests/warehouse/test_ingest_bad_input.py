"""Bad input never crashes: each case ends in a clear problem, good rows are kept, nothing half-written."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import duckdb
import pytest

from warehouse.adapters import ADAPTERS
from warehouse.loading import load_drop
from warehouse.store import Store
from warehouse.validation import validate_drop
from warehouse.validation.parsing import read_delimited

LEAP = f"sites/leap/{ADAPTERS['leap'].people.filename}"
SAT = f"sites/sat/{ADAPTERS['sat'].people.filename}"
IDS = "la/208/identifiers.csv"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKREADY_SECRET", "test-secret-not-for-real-use")


def _errors(drop: Path) -> set[tuple[str, int | None, str]]:
    """linkready's own errors (the DfE rules of the returns are tested on their own)."""
    return {(p.file, p.row, p.rule) for p in validate_drop(drop).problems if p.severity == "error" and p.dfe_rule is None}


def _queries(drop: Path) -> set[tuple[str, int | None, str]]:
    return {(p.file, p.row, p.rule) for p in validate_drop(drop).problems if p.severity == "query" and p.dfe_rule is None}


def _header(path: Path) -> bytes:
    return path.read_bytes().split(b"\n", 1)[0] + b"\n"


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"", "empty_file"),
        (b"\x00\x01\x02PK\x03\x04" + os.urandom(512), "not_text"),
    ],
)
def test_unreadable_files_are_reported_not_loaded(mini_drop: Path, tmp_path: Path, content: bytes, rule: str) -> None:
    (mini_drop / IDS).write_bytes(content)
    assert (IDS, None, rule) in _errors(mini_drop)
    report = load_drop(mini_drop, Store(tmp_path / "w.duckdb"))
    f = next(x for x in report.files if x.file == IDS)
    assert f.status == "failed" and f.rows_loaded == 0
    # every other file still loaded
    assert all(x.status == "loaded" for x in report.files if x.file != IDS)


def test_header_only_file_is_a_warning(mini_drop: Path) -> None:
    path = mini_drop / IDS
    path.write_bytes(_header(path))
    report = validate_drop(mini_drop)
    assert [(p.file, p.rule, p.severity) for p in report.problems if p.file == IDS and p.rule != "manifest_hash"] == [
        (IDS, "header_only", "query")]


def test_wrong_encoding_is_an_error_not_mojibake(mini_drop: Path) -> None:
    # LEAP declares cp1252; a UTF-8 export with an accented name must be refused, not misread
    path = mini_drop / LEAP
    text = path.read_bytes().decode("cp1252").replace("FN0", "Ren\u00e9e", 1)
    path.write_bytes(text.encode("utf-8"))
    assert (LEAP, None, "encoding_mismatch") in _errors(mini_drop)


def test_cp1252_accents_read_correctly(mini_drop: Path, tmp_path: Path) -> None:
    path = mini_drop / LEAP
    text = path.read_bytes().decode("cp1252").replace("FN0", "Ren\u00e9e \u2013 ", 1)
    path.write_bytes(text.encode("cp1252"))
    assert not [e for e in _errors(mini_drop) if e[0] == LEAP]
    db = tmp_path / "w.duckdb"
    load_drop(mini_drop, Store(db))
    con = duckdb.connect(str(db), read_only=True)
    n = con.execute("SELECT count(*) FROM restricted.service_people WHERE forename LIKE 'Ren\u00e9e \u2013 %'").fetchone()
    con.close()
    assert n == (1,)


def test_wrong_delimiter_and_date_format(mini_drop: Path) -> None:
    path = mini_drop / SAT
    text = path.read_bytes().decode("utf-8-sig")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace(",", "\t").encode("utf-8"))
    leap = mini_drop / LEAP
    # ISO dates in a file declared dd/mm/yyyy
    import re

    leap_text = leap.read_bytes().decode("cp1252")
    leap_text = re.sub(r"(\d{2})/(\d{2})/(\d{4})", r"\3-\2-\1", leap_text)
    leap.write_bytes(leap_text.encode("cp1252"))
    errors = _errors(mini_drop)
    assert (SAT, None, "delimiter_mismatch") in errors
    # the dates are read in the format they are in: one file-level query, not an error per date
    assert (LEAP, None, "date_format_detected") in _queries(mini_drop)
    assert not [e for e in errors if e[0] == LEAP]


def test_truncated_xml_keeps_complete_children(mini_drop: Path, tmp_path: Path) -> None:
    path = mini_drop / "la" / "380" / "cin_census.xml"
    text = path.read_text(encoding="utf-8")
    cut = text.index("<Child>", text.index("<Child>", text.index("<Child>") + 1) + 1) + 40
    path.write_text(text[:cut], encoding="utf-8")
    errors = _errors(mini_drop)
    assert ("la/380/cin_census.xml", None, "xml_malformed") in errors
    db = tmp_path / "w.duckdb"
    report = load_drop(mini_drop, Store(db))
    f = next(x for x in report.files if x.file == "la/380/cin_census.xml")
    # a file read only in part never becomes current: it is quarantined with its readable children archived
    assert (f.status, f.rows_read) == ("quarantined", 2)
    assert report.outcome.exit_code == 1
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM cin_episodes WHERE la_code = '380'").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM archive.cin_episodes WHERE batch_id = ?", [f.batch_id]).fetchone() == (2,)
    finally:
        con.close()


def test_huge_line_is_skipped_streamed(mini_drop: Path, tmp_path: Path) -> None:
    """A 32 MiB line (streamed to disk, never committed) is reported; the rows around it load."""
    path = mini_drop / IDS
    lines = path.read_bytes().splitlines(keepends=True)
    with path.open("wb") as fh:
        fh.writelines(lines[:2])
        block = b"x" * (1 << 20)
        for _ in range(32):
            fh.write(block)
        fh.write(b"\n")
        fh.writelines(lines[2:])
    errors = _errors(mini_drop)
    assert (IDS, 2, "line_too_long") in errors
    report = load_drop(mini_drop, Store(tmp_path / "w.duckdb"))
    f = next(x for x in report.files if x.file == IDS)
    assert (f.rows_read, f.rows_loaded, f.rows_rejected) == (5, 4, 1)
    # reading never holds the line whole (tracemalloc sees Python and numpy allocations)
    tracemalloc.start()
    try:
        read_delimited(mini_drop / IDS, encoding="utf-8", delimiter=",", required_columns=["LAchildID"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 << 20, f"peak {peak >> 20} MiB while reading a 32 MiB line"


@pytest.mark.slow
def test_one_gib_line(mini_drop: Path) -> None:
    path = mini_drop / IDS
    lines = path.read_bytes().splitlines(keepends=True)
    with path.open("wb") as fh:
        fh.writelines(lines[:2])
        block = b"y" * (16 << 20)
        for _ in range(64):
            fh.write(block)
        fh.write(b"\n")
        fh.writelines(lines[2:])
    try:
        assert (IDS, 2, "line_too_long") in _errors(mini_drop)
    finally:
        path.unlink()


def test_mixed_scripts_warn_but_load(mini_drop: Path) -> None:
    import csv

    path = mini_drop / IDS
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[1][rows[0].index("Surname")] = "Ivan\u043e\u0432"  # Latin + Cyrillic look-alikes
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    report = validate_drop(mini_drop)
    hits = [p for p in report.problems if p.rule == "mixed_script"]
    assert [(p.row, p.field, p.severity) for p in hits] == [(1, "Surname", "query")]
    assert not [p for p in report.problems if p.severity == "error" and p.dfe_rule is None]


def test_not_a_drop_is_a_clear_error(tmp_path: Path) -> None:
    from warehouse.errors import DataError

    with pytest.raises(DataError, match="no extract files found"):
        validate_drop(tmp_path)
