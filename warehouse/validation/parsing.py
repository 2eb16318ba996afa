"""Parsers for what arrives in a drop: text encodings, delimited files and dates.

Reading never raises on bad *content*: a file that cannot be read at all gives file-level
problems, a row that cannot be read gives a row-level problem and is left out, and every good
row is kept. Encodings and delimiters are *verified* against the declaration (a site adapter or
the drop layout): a wrong declaration is reported, never decoded into silent garbage.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

__all__ = [
    "MAX_LINE_BYTES",
    "RawTable",
    "canonical_header",
    "RowIssue",
    "detect_encoding",
    "iter_lines",
    "parse_date",
    "parse_dates",
    "read_delimited",
]

MAX_LINE_BYTES = 1 << 20
"""Rows longer than this (1 MiB) are reported as ``line_too_long`` and skipped, never held in memory."""

_CHUNK = 1 << 20
_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class RowIssue:
    """A row-level reading problem (rule id from the catalogue; row is 1-based, header excluded)."""

    row: int
    rule: str
    original: str | None = None


@dataclass
class RawTable:
    """A delimited file read as strings: one column per header field plus ``_row`` (1-based)."""

    frame: pl.DataFrame
    header: list[str]
    rows_read: int
    row_issues: list[RowIssue] = field(default_factory=list)
    file_issues: list[tuple[str, str]] = field(default_factory=list)  # (rule, detail without values)

    @property
    def fatal(self) -> bool:
        return any(rule != "header_only" for rule, _ in self.file_issues)


# --------------------------------------------------------------------------- encodings


def detect_encoding(sample: bytes, complete: bool = True) -> str | None:
    """Best guess of a sample's encoding: ``utf-8-sig``, ``utf-8``, ``cp1252`` or ``None`` (binary).

    ASCII-only text is reported as ``utf-8`` (it is valid in all three). ``complete=False`` says the
    sample is the head of a longer file, so a multi-byte character cut at its end is forgiven.
    """
    if b"\x00" in sample:
        return None
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # a sample cut through a multi-byte character is still UTF-8
        if not complete and exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return None


def _compatible(declared: str, detected: str | None, sample: bytes) -> bool:
    if detected is None:
        return False
    if declared in ("utf-8", "utf-8-sig"):
        return detected in ("utf-8", "utf-8-sig")
    if declared == "cp1252":
        # valid UTF-8 with multi-byte characters read as cp1252 would be mojibake
        return detected == "cp1252" or (detected == "utf-8" and sample.isascii())
    return detected == declared


def iter_lines(path: Path, max_line: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """Yield ``(line_number, bytes)`` for each line (1-based, header included), streamed in chunks.

    A line longer than ``max_line`` bytes yields ``None`` and is never held in memory whole. Line
    ends (``\\n`` or ``\\r\\n``) are stripped.
    """
    lineno = 0
    buf = bytearray()
    too_long = False
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            start = 0
            while True:
                nl = chunk.find(b"\n", start)
                if nl < 0:
                    if not too_long:
                        buf += chunk[start:]
                        if len(buf) > max_line:
                            too_long = True
                            buf.clear()
                    break
                lineno += 1
                if too_long:
                    yield lineno, None
                else:
                    buf += chunk[start:nl]
                    if len(buf) > max_line:
                        yield lineno, None
                    else:
                        yield lineno, bytes(buf[:-1] if buf.endswith(b"\r") else buf)
                buf.clear()
                too_long = False
                start = nl + 1
    if too_long:
        yield lineno + 1, None
    elif buf:
        yield lineno + 1, bytes(buf[:-1] if buf.endswith(b"\r") else buf)


# A quoted field may hold line breaks (Excel and case-system exports do this for notes and addresses);
# a record is allowed to span at most this many lines, so that one unterminated quote cannot swallow
# the rest of a file: past the limit its first line is reported on its own and reading resumes after it.
MAX_RECORD_LINES = 50
_QUOTE = 0x22


def _ends_inside_quotes(raw: bytes, delimiter: int) -> bool:
    """True when ``raw`` ends inside a quoted field (one that opens with a quote at the start of a field).

    A quote inside an unquoted field is an ordinary character, as in :mod:`csv`; ``""`` inside a
    quoted field is an escaped quote.
    """
    if _QUOTE not in raw:
        return False
    inside = False
    field_start = True
    i, n = 0, len(raw)
    while i < n:
        byte = raw[i]
        if inside:
            if byte == _QUOTE:
                if i + 1 < n and raw[i + 1] == _QUOTE:
                    i += 2
                    continue
                inside = False
        elif byte == _QUOTE and field_start:
            inside = True
            field_start = False
        else:
            field_start = byte == delimiter
        i += 1
    return inside


def iter_records(lines: Iterator[tuple[int, bytes | None]], delimiter: str,
                 max_line: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """Join physical lines into CSV records: a quoted field may run over line breaks.

    Yields ``(record_number, bytes)``, 1-based with the header as record 1 and blank lines counted,
    so that without multi-line fields the number is the line number (and the data row is that minus
    one, as a spreadsheet shows it). A record longer than ``max_line`` bytes yields ``None``; a record
    still open after :data:`MAX_RECORD_LINES` lines gives up: its first line is yielded alone (the
    caller reports it) and the lines after it are read again as records of their own.
    """
    dbyte = delimiter.encode()[0] if len(delimiter.encode()) == 1 else -1
    physical = (line for _, line in lines)
    again: list[bytes | None] = []  # lines to read again after giving up on a record
    number = 0
    while True:
        line = again.pop(0) if again else next(physical, _END)
        if line is _END:
            return
        number += 1
        if line is None or not _ends_inside_quotes(line, dbyte):
            yield number, line
            continue
        record, parts = _complete_record(line, again, physical, dbyte, max_line)
        if record is not None:
            yield number, record
        else:
            yield number, line  # the unterminated quote is reported on its own line
            again[:0] = parts[1:]


_END = b"\x00end"  # sentinel: no line holds a NUL byte and reaches here as a record start


def _complete_record(first: bytes, again: list[bytes | None], physical: Iterator[bytes | None], dbyte: int,
                     max_line: int) -> tuple[bytes | None, list[bytes | None]]:
    """Read lines after ``first`` until its quoted field closes; ``(record, lines)`` or ``(None, lines)``."""
    parts: list[bytes | None] = [first]
    size = len(first)
    while len(parts) < MAX_RECORD_LINES and size <= max_line:
        more = again.pop(0) if again else next(physical, _END)
        if more is _END:
            break
        parts.append(more)
        if more is None:  # a line too long to hold: the record cannot be completed
            break
        size += len(more) + 1
        record = b"\n".join(p for p in parts if p is not None)
        if not _ends_inside_quotes(record, dbyte):
            return record, parts
    return None, parts


def _split(text: str, delimiter: str) -> list[str] | None:
    """Fields of one line; None when the line is not valid CSV (e.g. a bare carriage return)."""
    try:
        return next(csv.reader([text], delimiter=delimiter, quotechar='"'), [])
    except csv.Error:
        return None


def _guess_delimiter(header_text: str, expected: list[str]) -> str | None:
    for d in _DELIMITERS:
        cols = [c.strip().upper() for c in _split(header_text, d) or []]
        if {e.upper() for e in expected} <= set(cols):
            return d
    return None


_SCAN_CHUNK = 4 << 20


def _crs_end_lines(chunk: bytes) -> bool:
    """Every carriage return in ``chunk`` is part of a CRLF (one at the very end may be, too)."""
    if b"\r" not in chunk:  # memchr
        return True
    crs = chunk.count(b"\r")
    pairs = chunk.count(b"\r\n")
    return crs == pairs or (crs == pairs + 1 and chunk.endswith(b"\r"))


def _uniform_lines(path: Path, delimiter: str, n_fields: int, max_line: int) -> bool:
    """True when every line has no quotes, no NUL bytes, no blank line, none longer than ``max_line``
    and, in total, ``n_fields - 1`` delimiters per line: then polars can read the file directly.

    The total is enough because the fast reader refuses a line with more fields than the header
    (polars raises), so no line can make up for a short one. Streams the file in chunks with
    numpy and memchr (no per-line Python), so it is cheap on large files.
    """
    if len(delimiter.encode()) != 1:
        return False
    dbyte = delimiter.encode()[0]
    delims = lines = 0
    carry = 0  # bytes of the current line read so far (a line may span chunks)
    cr_pending = False  # the previous chunk ended with a carriage return
    with path.open("rb") as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            if b'"' in chunk or b"\0" in chunk:  # memchr: far cheaper than numpy passes
                return False
            if (cr_pending and not chunk.startswith(b"\n")) or not _crs_end_lines(chunk):
                return False
            cr_pending = chunk.endswith(b"\r")
            arr = np.frombuffer(chunk, dtype=np.uint8)
            delims += int(np.count_nonzero(arr == dbyte))
            nl = np.flatnonzero(arr == 10)
            if nl.size == 0:
                carry += len(chunk)
                if carry > max_line:
                    return False
                continue
            lens = np.diff(nl, prepend=-1)
            lens[0] += carry
            # a line's length counts its newline; a blank line ("\n" or "\r\n") is 1-2 bytes
            if int(lens.max()) > max_line + 1 or int(lens.min()) < 3:
                return False
            lines += nl.size
            carry = len(chunk) - int(nl[-1]) - 1
    if carry > max_line or cr_pending:
        return False
    lines += carry > 0  # a last line without a newline
    return lines > 1 and delims == lines * (n_fields - 1)


@dataclass(frozen=True)
class _Declared:
    """What a delimited file is declared to be (by its layout or the drop's)."""

    encoding: str
    delimiter: str
    required: list[str]
    max_line: int
    any_case: bool

    @property
    def codec(self) -> str:
        return "utf-8" if self.encoding == "utf-8-sig" else self.encoding

    @property
    def dbyte(self) -> int:
        raw = self.delimiter.encode()
        return raw[0] if len(raw) == 1 else -1


def _refused(rule: str, detail: str) -> RawTable:
    table = RawTable(pl.DataFrame({"_row": pl.Series([], dtype=pl.Int64)}), [], 0)
    table.file_issues.append((rule, detail))
    return table


def _check_encoding(path: Path, d: _Declared) -> RawTable | None:
    """Stage 1: the file is text in its declared encoding (a refusal when it is not)."""
    size = path.stat().st_size
    if size == 0:
        return _refused("empty_file", "0 bytes")
    with path.open("rb") as fh:
        sample = fh.read(64 * 1024)
    detected = detect_encoding(sample, complete=len(sample) >= size)
    if detected is None:
        return _refused("not_text", "the file contains NUL bytes or undecodable binary data")
    if not _compatible(d.encoding, detected, sample):
        return _refused("encoding_mismatch", f"declared {d.encoding}, but the content looks like {detected}")
    return None


def _read_header(raw: bytes | None, d: _Declared) -> list[str] | RawTable:
    """Stage 2: the header's field names (spelt as required when ``any_case``), or a refusal."""
    if raw is None:
        return _refused("line_too_long", "the header line is longer than the limit")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        header_text = raw.decode(d.codec)
    except UnicodeDecodeError:
        return _refused("encoding_mismatch", f"the header is not valid {d.encoding}")
    fields = [c.strip() for c in _split(header_text, d.delimiter) or []]
    if d.any_case:
        fields = canonical_header(fields, d.required)
    missing = [c for c in d.required if c not in fields]
    if not missing:
        return fields
    guessed = _guess_delimiter(header_text, d.required)
    if guessed is not None and guessed != d.delimiter:
        return _refused("delimiter_mismatch", f"declared {d.delimiter!r}, but the header splits on {guessed!r}")
    return _refused("missing_columns", "missing: " + ", ".join(missing))


@dataclass
class _Rows:
    """Rows read line by line: values per column, their numbers, and the rows left out."""

    columns: list[list[str]]
    numbers: list[int] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    read: int = 0


def _read_row(rows: _Rows, row: int, raw: bytes | None, d: _Declared) -> None:
    """Stage 3 (per record): split one record into the columns, or record why it was left out."""
    if raw is None:
        rows.read += 1
        rows.issues.append(RowIssue(row, "line_too_long"))
        return
    if not raw.strip():
        return  # blank lines are not rows
    rows.read += 1
    if b"\x00" in raw:
        rows.issues.append(RowIssue(row, "encoding", None))
        return
    try:
        text = raw.decode(d.codec)
    except UnicodeDecodeError:
        rows.issues.append(RowIssue(row, "encoding", raw.decode(d.codec, errors="replace")))
        return
    if _ends_inside_quotes(raw, d.dbyte):
        rows.issues.append(RowIssue(row, "unterminated_quote", text))
        return
    values = _split(text, d.delimiter)
    if values is None or len(values) != len(rows.columns):
        rows.issues.append(RowIssue(row, "field_count", text))
        return
    for col, v in zip(rows.columns, values, strict=True):
        col.append(v)
    rows.numbers.append(row)


def _table(header: list[str], rows: _Rows) -> RawTable:
    """Stage 4: the rows as a frame of strings (duplicate or blank header names: the first copy wins)."""
    data: dict[str, pl.Series] = {"_row": pl.Series("_row", rows.numbers, dtype=pl.Int64)}
    for name, col in zip(header, rows.columns, strict=True):
        if name in data or not name:
            continue
        data[name] = pl.Series(name, col, dtype=pl.String)
    table = RawTable(pl.DataFrame(data), header, rows.read, rows.issues)
    if rows.read == 0:
        table.file_issues.append(("header_only", "no data rows"))
    return table


def read_delimited(
    path: Path,
    *,
    encoding: str,
    delimiter: str,
    required_columns: list[str],
    max_line: int = MAX_LINE_BYTES,
    any_case: bool = False,
) -> RawTable:
    """Read a delimited text file as strings, verifying encoding, delimiter and header.

    Stages: the encoding is checked -> the header read -> a plain or well-quoted file goes to polars'
    reader whole, any other is read record by record -> the rows become a frame.

    Args:
        path: the file.
        encoding: declared encoding (``utf-8``, ``utf-8-sig`` or ``cp1252``).
        delimiter: declared delimiter.
        required_columns: header fields that must be present.
        max_line: longest row read, in bytes.
        any_case: header names match ``required_columns`` in any case and spacing (the columns are
            renamed to the required spelling), as SSDA903 files arrive from different case systems.

    Returns:
        A :class:`RawTable`. ``file_issues`` holds problems that stop the whole file (empty,
        binary, wrong encoding or delimiter, missing columns); ``row_issues`` rows that were left
        out (undecodable, too long, wrong field count).
    """
    d = _Declared(encoding, delimiter, required_columns, max_line, any_case)
    refused = _check_encoding(path, d)
    if refused is not None:
        return refused
    records = iter_records(iter_lines(path, max_line), delimiter, max_line)
    first = next(records, None)
    if first is None:
        return _refused("empty_file", "no header line")
    header = _read_header(first[1], d)
    if isinstance(header, RawTable):
        return header
    if d.codec == "utf-8" and len(set(header)) == len(header) and all(header):
        fast = _try_fast(path, delimiter, header, max_line)
        if fast is not None:
            return fast
    rows = _Rows([[] for _ in header])
    for lineno, raw in records:
        _read_row(rows, lineno - 1, raw, d)
    return _table(header, rows)


def canonical_header(header: list[str], wanted: list[str]) -> list[str]:
    """``header`` with each name that matches a wanted name in any case (and spacing) spelt as wanted."""
    by_upper = {w.upper(): w for w in wanted}
    return [h if h in wanted else by_upper.get(h.strip().upper(), h) for h in header]


def _try_fast(path: Path, delimiter: str, header: list[str], max_line: int) -> RawTable | None:
    """polars' reader, when the file is plain (:func:`_uniform_lines`) or well-quoted
    (:func:`_uniform_quoted`); None sends the file to the line-by-line reader."""
    if _uniform_lines(path, delimiter, len(header), max_line):
        return _read_fast(path, delimiter, header, quoted=False)
    if path.stat().st_size <= QUOTED_FAST_MAX_BYTES and _quoted_short_lines(path, max_line) \
            and _uniform_quoted(path, delimiter, len(header), max_line):
        return _read_fast(path, delimiter, header, quoted=True)
    return None


def _quoted_short_lines(path: Path, max_line: int) -> bool:
    """The file holds a quote and no line longer than ``max_line`` (streamed: a huge line is never held)."""
    quoted = False
    carry = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            quoted = quoted or b'"' in chunk
            breaks = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
            if breaks.size == 0:
                carry += len(chunk)
            else:
                if carry + int(breaks[0]) > max_line or (breaks.size > 1 and int(np.diff(breaks).max()) > max_line + 1):
                    return False
                carry = len(chunk) - int(breaks[-1]) - 1
            if carry > max_line:
                return False
    return quoted


def _read_fast(path: Path, delimiter: str, header: list[str], quoted: bool) -> RawTable | None:
    """polars' multi-threaded reader for a file vouched for as plain or well-quoted; None if it objects."""
    try:
        frame = pl.read_csv(path, separator=delimiter, has_header=True, infer_schema=False,
                            quote_char='"' if quoted else None, encoding="utf8", new_columns=header,
                            raise_if_empty=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, ValueError):
        return None  # e.g. invalid UTF-8: the line-by-line reader finds and reports the rows
    if quoted:
        # a line break inside a quoted value reads as "\n", as the line-by-line reader gives it
        frame = frame.with_columns(pl.col(pl.String).str.replace_all("\r\n", "\n", literal=True))
    frame = frame.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
    table = RawTable(frame, header, frame.height)
    if frame.height == 0:
        table.file_issues.append(("header_only", "no data rows"))
    return table


# a quoted file up to this size is vetted in memory for polars' reader; a larger one is read line by line
QUOTED_FAST_MAX_BYTES = 256 << 20


def _outside(positions: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    """The positions that lie outside quoted values (an even number of quotes before them)."""
    out: np.ndarray = positions[(np.searchsorted(quotes, positions) & 1) == 0]
    return out


def _quotes_well_placed(arr: np.ndarray, quotes: np.ndarray, dbyte: int) -> bool:
    """Quotes pair up; each opens a field (or escapes a quote as ``""``) and each closing one ends it."""
    if quotes.size % 2:
        return False
    opens, closes = quotes[0::2], quotes[1::2]
    escaped_open = np.zeros(opens.size, dtype=bool)
    escaped_open[1:] = closes[:-1] == opens[1:] - 1
    before = arr[np.maximum(opens - 1, 0)]
    open_ok = (opens == 0) | (before == dbyte) | (before == 10) | escaped_open
    escaped_close = np.zeros(closes.size, dtype=bool)
    escaped_close[:-1] = escaped_open[1:]
    after = arr[np.minimum(closes + 1, arr.size - 1)]
    close_ok = (closes == arr.size - 1) | (after == dbyte) | (after == 10) | (after == 13) | escaped_close
    return bool(open_ok.all() and close_ok.all())


def _uniform_quoted(path: Path, delimiter: str, n_fields: int, max_line: int) -> bool:
    """True when a file with quoted values is as plain as :func:`_uniform_lines` asks once quotes are
    understood: quotes well placed, no NUL bytes, no bare carriage return outside quotes, no blank
    or over-long record, no record over :data:`MAX_RECORD_LINES` lines, and in total ``n_fields - 1``
    delimiters outside quotes per record (polars refuses a record with more fields than the header).
    """
    if len(delimiter.encode()) != 1:
        return False
    dbyte = delimiter.encode()[0]
    data = path.read_bytes()
    if b"\0" in data or not data:
        return False
    arr = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(arr == 34)
    if not _quotes_well_placed(arr, quotes, dbyte):
        return False
    crs = _outside(np.flatnonzero(arr == 13), quotes)
    if crs.size and (crs[-1] == arr.size - 1 or not (arr[crs + 1] == 10).all()):
        return False
    all_breaks = np.flatnonzero(arr == 10)
    breaks = _outside(all_breaks, quotes)
    ends = breaks if arr[-1] == 10 else np.append(breaks, arr.size)
    lens = np.diff(ends, prepend=-1)
    if lens.size < 2 or int(lens.max()) > max_line + 1 or int(lens.min()) < 3:
        return False
    inner = all_breaks.size - breaks.size
    if inner and int(np.bincount(np.searchsorted(ends, np.setdiff1d(all_breaks, breaks))).max()) >= MAX_RECORD_LINES:
        return False
    return _outside(np.flatnonzero(arr == dbyte), quotes).size == ends.size * (n_fields - 1)


# --------------------------------------------------------------------------- dates


def parse_date(text: str | None, fmt: str) -> date | None:
    """Parse one date in ``fmt`` (strptime format); ``None`` for empty or invalid text."""
    if text is None:
        return None
    t = text.strip()
    if not t:
        return None
    try:
        return datetime.strptime(t, fmt).date()
    except ValueError:
        return None


def parse_dates(values: pl.Series | pl.Expr, fmt: str) -> pl.Expr | pl.Series:
    """Vectorised :func:`parse_date`: strings in ``fmt`` to ``pl.Date`` (null when invalid)."""
    if isinstance(values, pl.Series):
        return values.str.strip_chars().str.strptime(pl.Date, fmt, strict=False, exact=True)
    return values.str.strip_chars().str.strptime(pl.Date, fmt, strict=False, exact=True)
