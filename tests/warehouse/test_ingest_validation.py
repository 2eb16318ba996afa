"""Validators on a tiny hand-built drop: clean passes, each injected defect is found where it is."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from warehouse.adapters import ADAPTERS
from warehouse.validation import RULES, validate_drop


def _rows(path: Path, encoding: str = "utf-8", delimiter: str = ",") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def _write(path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter, lineterminator="\n").writerows(rows)


def _set(path: Path, row: int, column: str, value: str, encoding: str = "utf-8", delimiter: str = ",") -> None:
    rows = _rows(path, encoding, delimiter)
    rows[row][rows[0].index(column)] = value
    _write(path, rows, encoding, delimiter)


def _found(drop: Path) -> set[tuple[str, int | None, str | None, str]]:
    """linkready's own error findings (the DfE rules of the returns are tested on their own)."""
    report = validate_drop(drop)
    return {(p.file, p.row, p.field, p.rule) for p in report.problems if p.severity == "error" and p.dfe_rule is None}


def test_clean_drop_has_no_problems(mini_drop: Path) -> None:
    report = validate_drop(mini_drop)
    assert [p for p in report.problems if p.dfe_rule is None] == []
    assert report.rows_checked > 100  # every file was read


IDS = "la/380/identifiers.csv"


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("Sex", "X", "code_list"),  # not M/F/U
        ("Ethnicity", "", "required"),
        ("Ethnicity", "WHITE", "code_list"),
        ("PersonBirthDate", "2030-01-01", "future_date"),
        ("PersonBirthDate", "31/12/2019", "bad_date"),  # identifiers use ISO dates
        ("NHSNumber", "9990000000", "nhs_number_check"),
        ("UPN", "A380100022001", "upn_check"),
        ("ExpectedPersonBirthDate", "2025-05-01", "birth_or_expected"),  # a born child with an EDD too
        ("LAchildID", "", "required"),
    ],
)
def test_identifier_rules(mini_drop: Path, column: str, value: str, rule: str) -> None:
    _set(mini_drop / IDS, 1, column, value)
    found = _found(mini_drop)
    assert (IDS, 1, column, rule) in found
    assert {(f, r) for f, r, _, _ in found} == {(IDS, 1)}  # nothing flagged elsewhere


def test_upn_with_invalid_la_code(mini_drop: Path) -> None:
    from warehouse.identifiers import upn_check_letter

    body = "350100022001"  # 350 is a valid code; 999 is not
    bad_body = "999100022001"
    _set(mini_drop / IDS, 2, "UPN", upn_check_letter(bad_body) + bad_body)
    found = _found(mini_drop)
    assert (IDS, 2, "UPN", "upn_la_code") in found
    _set(mini_drop / IDS, 2, "UPN", upn_check_letter(body) + body)
    assert _found(mini_drop) == set()


def test_duplicate_and_shifted_rows(mini_drop: Path) -> None:
    rows = _rows(mini_drop / IDS)
    rows.append(list(rows[2]))  # exact duplicate of data row 2 -> data row 5
    rows.append(rows[3][1:])  # one field short -> data row 6
    _write(mini_drop / IDS, rows)
    found = _found(mini_drop)
    assert (IDS, 5, None, "duplicate_row") in found
    assert (IDS, 6, None, "field_count") in found
    assert not any(r == "duplicate_key" and row == 5 for _, row, _, r in found)  # reported once


def test_site_people_rules_use_site_columns_and_labels(mini_drop: Path) -> None:
    layout = ADAPTERS["leap"].people
    path = mini_drop / "sites" / "leap" / layout.filename
    rows = _rows(path, layout.encoding, layout.delimiter)
    header = rows[0]
    rows[1][header.index(layout.columns["role"])] = "grandparent"  # not a declared label
    rows[2][header.index(layout.columns["referral_date"])] = "2024-01-01"  # ISO in a dd/mm/yyyy file
    rows[3][header.index(layout.columns["la_code"])] = "380"  # Bradford is not a LEAP LA
    rows[4][header.index(layout.columns["end_date"])] = "01/01/2000"  # closed before referral
    rows[4][header.index(layout.columns["end_reason"])] = "completed"
    _write(path, rows, layout.encoding, layout.delimiter)
    f = f"sites/leap/{layout.filename}"
    found = _found(mini_drop)
    assert (f, 1, "role", "code_list") in found
    assert (f, 2, "referral_date", "bad_date") in found
    assert (f, 3, "la", "code_list") in found
    assert (f, 4, "closed_on", "date_order") in found
    assert (f, 4, "referral_date", "date_order") in found
    assert {row for _, row, _, _ in found} == {1, 2, 3, 4}


def test_outcome_items_and_orphans(mini_drop: Path) -> None:
    out = ADAPTERS["sat"].outcomes
    path = mini_drop / "sites" / "sat" / out.filename("cries13")
    rows = _rows(path, "utf-8-sig")
    rows[1][rows[0].index("Q1")] = "2"  # CRIES-13 items are 0, 1, 3, 5
    rows[2][0] = "NOBODY"
    _write(path, rows, "utf-8-sig")
    found = _found(mini_drop)
    f = "sites/sat/outcomes_cries13.csv"
    assert (f, 1, "Q1", "item_value") in found
    assert (f, 2, "Client Ref", "unknown_person") in found


def test_cin_rules(mini_drop: Path) -> None:
    path = mini_drop / "la" / "209" / "cin_census.xml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("<ReferralSource>6</ReferralSource>", "<ReferralSource>3G</ReferralSource>", 1)
    # second child: a closure date without a reason
    first = text.index("<Child>")
    second = text.index("<Child>", first + 1)
    head, tail = text[:second], text[second:]
    tail = tail.replace("<PrimaryNeedCode>N1</PrimaryNeedCode>",
                        "<PrimaryNeedCode>N1</PrimaryNeedCode><CINclosureDate>2025-03-30</CINclosureDate>", 1)
    # third child: 18A is retired from 2024-25
    third = head.count("<Child>") + tail.index("<Child>", tail.index("<Child>") + 1)
    del third
    tail = tail.replace("<AssessmentFactors>4B</AssessmentFactors>", "<AssessmentFactors>18A</AssessmentFactors>")
    path.write_text(head + tail, encoding="utf-8")
    f = "la/209/cin_census.xml"
    found = _found(mini_drop)
    assert (f, 1, "ReferralSource", "code_list") in found
    assert (f, 2, "ReasonForClosure", "paired_fields") in found
    assert (f, 2, "AssessmentFactors", "code_list") in found
    assert {r for _, r, _, _ in found} <= {1, 2, 3, 4}


def test_messages_never_carry_identifier_values(mini_drop: Path, tmp_path: Path) -> None:
    rows = _rows(mini_drop / IDS)
    nhs_col = rows[0].index("NHSNumber")
    bad = rows[1][nhs_col][:-1] + str((int(rows[1][nhs_col][-1]) + 1) % 10)
    rows[1][nhs_col] = bad
    _write(mini_drop / IDS, rows)
    report = validate_drop(mini_drop)
    text = json.dumps(report.to_dict())
    assert [(p.rule, p.child_id) for p in report.problems if p.dfe_rule is None and p.severity == "error"] == [
        ("nhs_number_check", rows[1][0])]  # the record is named by its case-system id, never its values
    assert bad not in text
    assert rows[1][rows[0].index("Surname")] not in text


def test_every_rule_has_kind_and_hint() -> None:
    for r in RULES.values():
        assert r.kind and r.hint and r.description


def test_outcome_file_with_too_many_items_is_refused(mini_drop: Path) -> None:
    path = mini_drop / "sites" / "leap" / "outcomes_core10.csv"
    rows = _rows(path, "cp1252", ";")
    rows = [r + (["item11"] if i == 0 else ["1"]) for i, r in enumerate(rows)]
    _write(path, rows, "cp1252", ";")
    assert ("sites/leap/outcomes_core10.csv", None, None, "item_count") in _found(mini_drop)


def test_every_problem_names_its_rule_severity_and_record(mini_drop: Path) -> None:
    _set(mini_drop / IDS, 2, "UPN", "A380100022001")  # wrong check letter
    report = validate_drop(mini_drop)
    for p in report.to_dict()["problems"]:  # type: ignore[union-attr]
        assert {"file", "row", "field", "rule", "dfe_rule", "severity", "child_id", "message", "hint"} <= set(p)
        assert p["severity"] in ("error", "query")
    hit = next(p for p in report.problems if p.rule == "upn_check")
    assert (hit.dfe_rule, hit.severity, hit.field, hit.child_id) == (None, "error", "UPN", _rows(mini_drop / IDS)[2][0])


def test_a_new_field_type_is_one_registration() -> None:
    """The engine dispatches on the field type through FIELD_KINDS: a toy type needs no engine change."""
    from datetime import date

    import polars as pl

    from warehouse.validation.checks import FIELD_KINDS, CheckContext, FieldCheck, FieldKind, check_table
    from warehouse.validation.declarations import Field, TableSpec

    FIELD_KINDS.register(FieldKind(
        "even", lambda f, fmt, ctx: pl.col(f.name).cast(pl.Int64, strict=False),
        lambda env: [FieldCheck(env.field.name, env.label, "bad_integer", (env.typed % 2 == 1).fill_null(False))]))
    try:
        spec = TableSpec("toy", "toy", (Field("id", required=True), Field("n", "even")), key=("id",))  # type: ignore[arg-type]
        frame = pl.DataFrame({"_row": [1, 2, 3], "id": ["a", "b", ""], "n": ["2", "3", "4"]})
        out = check_table(frame, spec, CheckContext(2025, date(2025, 3, 31)))
        assert sorted(out.issues.iter_rows()) == [(2, "n", "bad_integer"), (3, "id", "required")]
        assert out.typed.get_column("n").to_list() == [2, None, 4]  # the odd value withheld, its row kept
        assert out.refused.to_list() == [False, False, True]  # no key: the row cannot be stored
    finally:
        FIELD_KINDS.unregister("even")
