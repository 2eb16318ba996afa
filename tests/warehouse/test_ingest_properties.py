"""Property-based tests (hypothesis) for each rule kind and for the date and encoding parsers."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse.codelists import get_codelist
from warehouse.identifiers import nhs_check_digit, nhs_number_is_valid, upn_check_letter, upn_is_valid
from warehouse.validation.checks import CheckContext, check_table, nhs_valid_mask, upn_valid_mask
from warehouse.validation.declarations import DateOrder, Field, OneOf, Paired, TableSpec, Unique
from warehouse.validation.parsing import detect_encoding, iter_lines, parse_date, parse_dates, read_delimited

# Unicode White_Space (what the engine trims); Python's str.strip also trims \x1c-\x1f
_WS = "".join(chr(c) for c in range(0x3000 + 1) if chr(c).isspace() and c not in (0x1C, 0x1D, 0x1E, 0x1F))
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CTX = CheckContext(year=2025, extract_date=date(2025, 3, 31))
digits = st.text(alphabet="0123456789", min_size=9, max_size=9)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


def _issues(spec: TableSpec, columns: dict[str, list[str | None]], ctx: CheckContext = CTX) -> set[tuple[int, str | None, str]]:
    n = len(next(iter(columns.values())))
    frame = pl.DataFrame({"_row": list(range(1, n + 1)), **{k: pl.Series(v, dtype=pl.String) for k, v in columns.items()}})
    return {tuple(r) for r in check_table(frame, spec, ctx).issues.iter_rows()}


# ------------------------------------------------------------------ check digits


@FAST
@given(st.lists(st.one_of(st.none(), st.text(max_size=14), digits.map(lambda d: "999" + d[:6] + d[6]),
                          digits.map(lambda d: d + str(nhs_check_digit(d) or 0))), min_size=1, max_size=30))
def test_nhs_mask_agrees_with_the_scalar_check(values: list[str | None]) -> None:
    got = nhs_valid_mask(pl.Series(values, dtype=pl.String)).to_list()
    assert got == [v is not None and nhs_number_is_valid(v) for v in values]


@FAST
@given(digits.filter(lambda d: nhs_check_digit(d) is not None), st.integers(0, 9), st.integers(1, 9))
def test_nhs_rule_flags_any_single_digit_change(body: str, pos: int, delta: int) -> None:
    valid = body + str(nhs_check_digit(body))
    changed = valid[:pos] + str((int(valid[pos]) + delta) % 10) + valid[pos + 1:]
    spec = TableSpec("t", "", (Field("n", "nhs_number"),))
    assert _issues(spec, {"n": [valid, changed]}) == {(2, "n", "nhs_number_check")}


upn_bodies = st.tuples(st.sampled_from(["380", "208", "209", "919", "890"]),
                       st.text(alphabet="0123456789", min_size=9, max_size=9)).map(lambda t: t[0] + t[1])


@FAST
@given(st.lists(st.one_of(st.none(), st.text(max_size=14),
                          upn_bodies.map(lambda b: upn_check_letter(b) + b),
                          upn_bodies.map(lambda b: "A" + b)), min_size=1, max_size=30))
def test_upn_mask_agrees_with_the_scalar_check(values: list[str | None]) -> None:
    got = upn_valid_mask(pl.Series(values, dtype=pl.String)).to_list()
    assert got == [v is not None and upn_is_valid(v) for v in values]


@FAST
@given(upn_bodies, st.integers(1, 12), st.integers(1, 9))
def test_upn_rule_flags_any_single_digit_change(body: str, pos: int, delta: int) -> None:
    valid = upn_check_letter(body) + body
    changed = valid[:pos] + str((int(valid[pos]) + delta) % 10) + valid[pos + 1:]
    spec = TableSpec("t", "", (Field("u", "upn"),))
    found = _issues(spec, {"u": [valid, changed]})
    assert (1, "u", "upn_check") not in found
    assert {(r, rule) for r, _, rule in found} in ({(2, "upn_check")}, {(2, "upn_la_code")})


# ------------------------------------------------------------------ code lists, required


@FAST
@given(st.lists(st.one_of(st.none(), st.text(max_size=6), st.sampled_from(sorted(get_codelist("ethnicity", 2025).codes))),
                min_size=1, max_size=30))
def test_code_list_rule_flags_exactly_the_codes_not_in_the_list(values: list[str | None]) -> None:
    spec = TableSpec("t", "", (Field("e", "code", required=True, codelist="ethnicity"),))
    codes = get_codelist("ethnicity", 2025).codes
    found = _issues(spec, {"e": values})
    for i, v in enumerate(values, start=1):
        clean = (v or "").strip(_WS)
        assert ((i, "e", "required") in found) == (clean == "")
        assert ((i, "e", "code_list") in found) == (clean != "" and clean not in codes)


@given(st.sampled_from(["assessment_factors", "placement", "sex"]), st.integers(2000, 2030))
def test_code_lists_are_year_versioned(name: str, year: int) -> None:
    cl = get_codelist(name, year)
    assert cl.first_year <= year
    if name == "assessment_factors":
        assert ("18A" in cl.codes) == (year < 2025)
    if name == "sex":
        assert ("M" in cl.codes) == (year >= 2025)


# ------------------------------------------------------------------ dates


@FAST
@given(st.lists(st.tuples(st.one_of(st.none(), dates), st.one_of(st.none(), dates)), min_size=1, max_size=20))
def test_date_order_rule(pairs: list[tuple[date | None, date | None]]) -> None:
    spec = TableSpec("t", "", (Field("a", "date"), Field("b", "date")), (DateOrder("a", "b"),))
    ctx = CheckContext(year=2025, extract_date=None)
    found = _issues(spec, {"a": [a.isoformat() if a else None for a, _ in pairs],
                           "b": [b.isoformat() if b else None for _, b in pairs]}, ctx)
    for i, (a, b) in enumerate(pairs, start=1):
        assert ((i, "b", "date_order") in found) == (a is not None and b is not None and b < a)


@FAST
@given(st.lists(dates, min_size=1, max_size=20), st.booleans())
def test_future_date_rule(values: list[date], future_ok: bool) -> None:
    spec = TableSpec("t", "", (Field("d", "date", future_ok=future_ok),))
    found = _issues(spec, {"d": [v.isoformat() for v in values]})
    for i, v in enumerate(values, start=1):
        assert ((i, "d", "future_date") in found) == (not future_ok and v > CTX.extract_date)


@FAST
@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.sampled_from(["child", "victim_parent"])),
                min_size=1, max_size=20))
def test_one_of_and_paired_rules(rows: list[tuple[bool, bool, str]]) -> None:
    spec = TableSpec("t", "", (Field("a"), Field("b"), Field("role")),
                     (OneOf("a", "b", only_role="child"), Paired("a", "b", rule="paired_fields")))
    found = _issues(spec, {"a": ["x" if a else None for a, _, _ in rows],
                           "b": ["y" if b else None for _, b, _ in rows], "role": [r for _, _, r in rows]})
    for i, (a, b, role) in enumerate(rows, start=1):
        assert ((i, "a", "birth_or_expected") in found) == (role == "child" and a == b)
        assert ((i, "b", "paired_fields") in found) == (a and not b)


@FAST
@given(st.lists(st.sampled_from(["k1", "k2", "k3", None]), min_size=1, max_size=20))
def test_unique_rule_flags_later_repeats(keys: list[str | None]) -> None:
    spec = TableSpec("t", "", (Field("k"),), (Unique(("k",)),))
    found = _issues(spec, {"k": keys})
    seen: set[str] = set()
    for i, k in enumerate(keys, start=1):
        assert ((i, "k", "duplicate_key") in found) == (k is not None and k in seen)
        if k is not None:
            seen.add(k)


# ------------------------------------------------------------------ parsers


@given(dates, st.sampled_from(["%Y-%m-%d", "%d/%m/%Y"]))
def test_parse_date_round_trips(d: date, fmt: str) -> None:
    assert parse_date(d.strftime(fmt), fmt) == d
    assert parse_dates(pl.Series([d.strftime(fmt)]), fmt).to_list() == [d]


@FAST
@given(st.lists(st.text(max_size=12), min_size=1, max_size=20), st.sampled_from(["%Y-%m-%d", "%d/%m/%Y"]))
def test_vector_and_scalar_date_parsers_agree_on_valid_dates(texts: list[str], fmt: str) -> None:
    vec = parse_dates(pl.Series(texts, dtype=pl.String), fmt).to_list()
    for t, v in zip(texts, vec, strict=True):
        scalar = parse_date(t, fmt)
        if v is not None:  # whatever the vector parser accepts, it reads as the scalar parser does
            assert scalar == v


@given(st.text(min_size=1, max_size=200))
def test_encoding_detection(text: str) -> None:
    raw = text.encode("utf-8")
    if "\x00" in text:
        assert detect_encoding(raw) is None
        return
    assert detect_encoding(raw) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbf" + raw) == "utf-8-sig"
    try:
        cp = text.encode("cp1252")
    except UnicodeEncodeError:
        return
    if not cp.isascii():
        try:
            cp.decode("utf-8")
        except UnicodeDecodeError:
            assert detect_encoding(cp) == "cp1252"


@FAST
@given(st.lists(st.binary(max_size=40).filter(lambda b: b"\n" not in b), max_size=30), st.integers(8, 64))
def test_iter_lines_streams_every_line_and_caps_long_ones(lines: list[bytes], cap: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f"
        path.write_bytes(b"\n".join(lines) + (b"\n" if lines else b""))
        got = list(iter_lines(path, max_line=cap))
    expect = [(i, (ln[:-1] if ln.endswith(b"\r") else ln) if len(ln) <= cap else None)
              for i, ln in enumerate(lines, start=1)]
    assert got == expect


@FAST
@given(st.lists(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"),
                                 max_size=8), min_size=3,
                         max_size=3), max_size=15), st.sampled_from([",", ";"]),
       st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_read_delimited_round_trips_or_reports(rows: list[list[str]], delimiter: str, encoding: str) -> None:
    import tempfile

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(["a", "b", "c"])
    w.writerows(rows)
    try:
        raw = buf.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.csv"
        path.write_bytes(raw)
        table = read_delimited(path, encoding=encoding, delimiter=delimiter, required_columns=["a", "b", "c"])
    if table.fatal:  # only a file that is not what it claims may be refused, and then with a reason
        assert {r for r, _ in table.file_issues} <= {"encoding_mismatch", "not_text"}
        return
    issues = {i.row for i in table.row_issues}
    kept = table.frame.select("_row", "a", "b", "c").rows()
    for row_no, a, b, c in kept:
        assert [a or "", b or "", c or ""] == rows[row_no - 1]
    assert len(kept) + len(issues) <= len(rows)


@FAST
@given(st.binary(max_size=300), st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_read_delimited_never_raises_on_garbage(body: bytes, encoding: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.csv"
        path.write_bytes(b"a,b,c\n" + body)
        table = read_delimited(path, encoding=encoding, delimiter=",", required_columns=["a", "b", "c"])
    assert table.rows_read >= table.frame.height
    assert all(i.rule in {"encoding", "field_count", "line_too_long", "unterminated_quote"} for i in table.row_issues)


# every block holding Greek or Cyrillic letters (Unicode Scripts.txt), generously: the oracle says
# "maybe mixed" for anything in them, and only "not mixed" is asserted
_GREEK_OR_CYRILLIC = (
    "[\u0342-\u0345\u0370-\u052f\u1c80-\u1c8f\u1d26-\u1dbf\u1f00-\u1fff\u2126\u2de0-\u2dff"
    "\ua640-\ua69f\uab65\ufe2e\ufe2f\U00010140-\U0001018f\U0001d200-\U0001d24f\U0001e030-\U0001e08f]"
)


@FAST
@given(st.lists(st.one_of(st.none(), st.text(max_size=10),
                          st.sampled_from(["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "Ivan\u043e\u0432", "\u0391lpha"])),
                min_size=1, max_size=20))
def test_free_text_rules(values: list[str | None]) -> None:
    import re

    spec = TableSpec("t", "", (Field("name", free_text=True),))
    found = _issues(spec, {"name": values})
    for i, v in enumerate(values, start=1):
        clean = (v or "").strip(_WS)
        expect_formula = clean[:1] in ("=", "+", "-", "@")
        assert ((i, "name", "formula_text") in found) == expect_formula
        mixed = bool(re.search("[A-Za-z]", clean)) and bool(re.search(_GREEK_OR_CYRILLIC, clean))
        if not mixed:
            assert (i, "name", "mixed_script") not in found


@FAST
@given(st.lists(st.one_of(st.none(), st.text(max_size=5), st.integers(-5, 500).map(str)), min_size=1, max_size=20))
def test_integer_rule(values: list[str | None]) -> None:
    spec = TableSpec("t", "", (Field("n", "int"),))
    found = _issues(spec, {"n": values})
    for i, v in enumerate(values, start=1):
        clean = (v or "").strip(_WS)
        try:
            int(clean)
            ok = clean.lstrip("+-").isascii() and clean.lstrip("+-").isdigit()
        except ValueError:
            ok = False
        if clean and ok:
            assert (i, "n", "bad_integer") not in found
        if clean and not any(ch.isdigit() for ch in clean):
            assert (i, "n", "bad_integer") in found
