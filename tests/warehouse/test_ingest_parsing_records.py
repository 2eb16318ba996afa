"""CSV records whose quoted fields run over line breaks (Excel and case-system exports)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse.validation.parsing import MAX_RECORD_LINES, iter_lines, iter_records, read_delimited


def _read(tmp_path: Path, body: bytes) -> object:
    path = tmp_path / "people.csv"
    path.write_bytes(body)
    return read_delimited(path, encoding="utf-8", delimiter=",", required_columns=["id", "name", "note"])


def test_a_quoted_line_break_stays_inside_its_field(tmp_path: Path) -> None:
    raw = _read(tmp_path, b'id,name,note\r\n1,"Smith, Jo","line one\r\nline two"\r\n2,"Ann ""Nan"" Lee",x\r\n')
    assert raw.row_issues == []
    assert raw.frame.get_column("_row").to_list() == [1, 2]
    assert raw.frame.get_column("note").to_list() == ["line one\nline two", "x"]
    assert raw.frame.get_column("name").to_list() == ["Smith, Jo", 'Ann "Nan" Lee']


def test_rows_are_numbered_by_record_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    raw = _read(tmp_path, b'id,name,note\n1,a,"x\ny\nz"\n\n3,c,w\n4,d,"bad\n')
    # record 1 spans three lines, a blank line is row 2 (not read), row 4 never closes its quote
    assert raw.frame.get_column("_row").to_list() == [1, 3]
    assert [(i.row, i.rule) for i in raw.row_issues] == [(4, "unterminated_quote")]


def test_an_unterminated_quote_does_not_swallow_the_rest_of_the_file(tmp_path: Path) -> None:
    good = b"".join(b"%d,n%d,ok\n" % (i, i) for i in range(2, MAX_RECORD_LINES + 10))
    raw = _read(tmp_path, b'id,name,note\n1,"never closed,x\n' + good)
    assert [(i.row, i.rule) for i in raw.row_issues] == [(1, "unterminated_quote")]
    assert raw.frame.height == MAX_RECORD_LINES + 8
    assert raw.frame.get_column("id").to_list()[0] == "2"
    assert raw.frame.get_column("_row").to_list()[0] == 2


def test_a_quote_inside_an_unquoted_field_is_an_ordinary_character(tmp_path: Path) -> None:
    raw = _read(tmp_path, b'id,name,note\n1,Bob 5"6,x\n2,b,y\n')
    assert raw.row_issues == []
    assert raw.frame.get_column("name").to_list() == ['Bob 5"6', "b"]


_field = st.text(alphabet=st.sampled_from(list('ab ,"\n')), max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_field, _field), min_size=1, max_size=6))
def test_records_round_trip_what_the_csv_module_writes(tmp_path_factory: object, rows: list[tuple[str, str]]) -> None:
    """Whatever csv.writer writes (quotes, delimiters, line breaks in values) reads back as written."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "name", "note"])
    for i, (name, note) in enumerate(rows, start=1):
        writer.writerow([str(i), name, note])
    path = tmp_path_factory.mktemp("rt") / "f.csv"  # type: ignore[attr-defined]
    path.write_text(buf.getvalue(), encoding="utf-8")
    records = list(iter_records(iter_lines(path), ","))
    assert len(records) == len(rows) + 1
    raw = read_delimited(path, encoding="utf-8", delimiter=",", required_columns=["id", "name", "note"])
    assert raw.row_issues == []
    got = {r["id"]: (r["name"] or "", r["note"] or "") for r in raw.frame.iter_rows(named=True)}
    for i, (name, note) in enumerate(rows, start=1):
        assert got[str(i)] == (name, note)


_cell = st.text(alphabet=st.sampled_from(list('ab ,"\r\n\x00')), max_size=4)


def _both_readers(path: Path) -> tuple[object, object]:
    import warehouse.validation.parsing as parsing

    kwargs = {"encoding": "utf-8", "delimiter": ",", "required_columns": ["id"]}
    chosen = read_delimited(path, **kwargs)
    original = parsing._try_fast
    parsing._try_fast = lambda *a, **k: None  # force the line-by-line reader
    try:
        slow = read_delimited(path, **kwargs)
    finally:
        parsing._try_fast = original
    return chosen, slow


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_cell, min_size=1, max_size=5), min_size=0, max_size=8), st.booleans())
def test_fast_and_line_by_line_readers_agree(tmp_path_factory: object, rows: list[list[str]], crlf: bool) -> None:
    """polars' reader is used only when the file is plain or well quoted enough that it reads it as the
    line-by-line reader would: quotes, ragged rows, blank lines, NUL bytes and line ends all agree."""
    end = "\r\n" if crlf else "\n"
    body = "id,name,note" + end + end.join(",".join(r) for r in rows) + (end if rows else "")
    path = tmp_path_factory.mktemp("fs") / "f.csv"  # type: ignore[attr-defined]
    path.write_bytes(body.encode("utf-8"))
    chosen, slow = _both_readers(path)
    assert chosen.rows_read == slow.rows_read
    assert [(i.row, i.rule) for i in chosen.row_issues] == [(i.row, i.rule) for i in slow.row_issues]
    assert chosen.file_issues == slow.file_issues
    norm = [pl.col(c).replace("", None) for c in slow.frame.columns if c != "_row"]
    assert chosen.frame.with_columns(norm).equals(slow.frame.with_columns(norm))


_value = st.text(alphabet=st.sampled_from(list('ab ,"\r\n')), max_size=5)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_value, _value), min_size=1, max_size=6), st.booleans(), st.booleans())
def test_quoted_exports_read_the_same_by_both_readers(tmp_path_factory: object, rows: list[tuple[str, str]],
                                                       quote_all: bool, crlf: bool) -> None:
    """Files other tools export (quotes, delimiters, quotes and line breaks inside values, CRLF) are
    read by polars when well quoted, with the line-by-line reader's answers."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n" if crlf else "\n",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(["id", "name", "note"])
    for i, (name, note) in enumerate(rows, start=1):
        writer.writerow([str(i), name, note])
    path = tmp_path_factory.mktemp("q") / "f.csv"  # type: ignore[attr-defined]
    path.write_bytes(buf.getvalue().encode("utf-8"))
    chosen, slow = _both_readers(path)
    assert [(i.row, i.rule) for i in chosen.row_issues] == [(i.row, i.rule) for i in slow.row_issues]
    norm = [pl.col(c).replace("", None) for c in slow.frame.columns if c != "_row"]
    assert chosen.frame.with_columns(norm).equals(slow.frame.with_columns(norm))


def test_a_quoted_export_goes_to_the_fast_reader(tmp_path: Path, monkeypatch: object) -> None:
    import warehouse.validation.parsing as parsing

    seen: list[bool] = []
    original = parsing._read_fast

    def spy(path: Path, delimiter: str, header: list[str], quoted: bool) -> object:
        seen.append(quoted)
        return original(path, delimiter, header, quoted)

    monkeypatch.setattr(parsing, "_read_fast", spy)  # type: ignore[attr-defined]
    raw = _read(tmp_path, b'"id","name","note"\r\n"1","Smith, Jo","line one\r\nline two"\r\n"2","Ann ""Nan""",""\r\n')
    assert seen == [True]
    assert raw.frame.get_column("note").to_list()[0] == "line one\nline two"
    assert raw.frame.get_column("name").to_list() == ["Smith, Jo", 'Ann "Nan"']
    assert raw.frame.get_column("_row").to_list() == [1, 2]
