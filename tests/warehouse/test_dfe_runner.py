"""The DfE rule runner: its output shape, what it does with input it was not written for (missing tables
and columns, typed dates, no ``_row``, a real flattened CIN file), the registry, the generated docs and
the coverage of DfE's rule lists (figures printed with ``-s``)."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from tests.warehouse import test_dfe_cin as cin_tests
from tests.warehouse import test_dfe_ssda903 as ssda903_tests
from warehouse.errors import ConfigError
from warehouse.validation.cin import flatten_cin
from warehouse.validation.dfe import DFE_RULES, PROBLEM_SCHEMA, RuleInput, cin_rule, rules_markdown, run_rules
from warehouse.validation.dfe.catalogue import CATALOGUE, coverage, not_implemented

REFERENCE = Path("/work/shared/reference/dfe-validation-rules.md")


def test_output_schema_and_constant_messages() -> None:
    world = cin_tests.baseline().set("child", 0, PersonDeathDate="2024-04-01", LAchildID="C 1")
    problems = run_rules("cin", world.frames(), 2025)
    assert dict(problems.schema) == PROBLEM_SCHEMA
    assert {"8555Q", "8915", "1580"} <= set(problems.get_column("dfe_rule"))
    for row in problems.iter_rows(named=True):
        declared = DFE_RULES.get(row["rule"])
        # the message is the declaration's own words: no record value (ids, dates) ever enters it
        assert row["message"] == declared.message and "C 1" not in row["message"]
        assert row["severity"] in ("error", "query")


def test_unknown_return_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="allowed: cin, 903"):
        run_rules("ssda", {}, 2025)  # type: ignore[arg-type]


def test_missing_tables_and_columns_skip_rules() -> None:
    # only the child's identifiers: every rule reading something else is skipped, none crashes
    child = pl.DataFrame({"LAchildID": ["A", "A", None]})
    problems = run_rules("cin", {"child": child}, 2025)
    assert set(problems.get_column("dfe_rule")) == {"8510", "8500"}
    assert problems.filter(pl.col("dfe_rule") == "8500").get_column("row").to_list() == [3]  # _row numbered from 1
    # a module table without the episode key: rules joining on it are skipped, not failed
    frames = cin_tests.baseline().frames()
    frames["plans"] = frames["plans"].drop("cin_details_id")
    assert run_rules("cin", frames, 2025).height == 0
    assert run_rules("903", {}, 2025).height == 0


def test_typed_dates_give_the_same_answers_as_text() -> None:
    world = ssda903_tests.baseline().set("episodes", 1, DECOM="31/08/2024")  # overlaps the previous episode (501)
    text = run_rules("903", world.frames(), 2025)
    typed_frames = {
        name: frame.with_columns([pl.col(c).str.strptime(pl.Date, "%d/%m/%Y") for c in ("DOB", "MC_DOB", "DECOM", "DEC")
                                  if c in frame.columns])
        for name, frame in world.frames().items()
    }
    typed = run_rules("903", typed_frames, 2025)
    assert "501" in set(text.get_column("dfe_rule"))
    assert text.sort(["rule", "row"]).equals(typed.sort(["rule", "row"]))


def test_lower_case_codes_and_unparseable_dates() -> None:
    # the 903 validator upper-cases every value; dates that are not DD/MM/YYYY are one problem per field
    world = ssda903_tests.baseline().set("episodes", 2, LS="v2", PLACE="k2", DEC="2024-12-20")
    problems = run_rules("903", world.frames(), 2025)
    assert set(problems.get_column("dfe_rule")) >= {"147"}
    assert not {"144", "146"} & set(problems.get_column("dfe_rule"))


def test_cin_header_as_flatten_cin_gives_it() -> None:
    frames: dict[str, object] = dict(cin_tests.baseline().frames())
    frames["header"] = {"Collection": "CIN", "Year": "2025", "ReferenceDate": "2024-03-31", "LEA": "380"}
    problems = run_rules("cin", frames, 2025, la_code="381")  # type: ignore[arg-type]
    assert problems.filter(pl.col("dfe_rule") == "100").get_column("rule").sort().to_list() == [
        "cin_lea_not_submitting_la", "cin_reference_date_not_31_march", "cin_reference_date_not_collection_year"]


_XML = """<?xml version="1.0" encoding="utf-8"?>
<Message xmlns="http://www.example.org/cin">
  <Header><CollectionDetails><Collection>CIN</Collection><Year>2025</Year>
    <ReferenceDate>2025-03-31</ReferenceDate></CollectionDetails><Source><LEA>380</LEA></Source></Header>
  <Children>
    <Child>
      <ChildIdentifiers><LAchildID>K1</LAchildID><UPNunknown>UN1</UPNunknown>
        <PersonBirthDate>2015-06-01</PersonBirthDate><Sex>M</Sex>
        <PersonDeathDate>2024-05-01</PersonDeathDate></ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>wbri</Ethnicity></ChildCharacteristics>
      <CINdetails><CINreferralDate>2024-06-01</CINreferralDate><ReferralSource>1A</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode><ReferralNFA>FALSE</ReferralNFA>
        <CINPlanDates><CINPlanStartDate>2024-07-01</CINPlanStartDate></CINPlanDates></CINdetails>
      <CINdetails><CINreferralDate>2024-06-15</CINreferralDate><ReferralSource>1A</ReferralSource>
        <PrimaryNeedCode>N1</PrimaryNeedCode><ReferralNFA>false</ReferralNFA></CINdetails>
    </Child>
  </Children>
</Message>
"""


def test_a_flattened_cin_file(tmp_path: Path) -> None:
    path = tmp_path / "cin.xml"
    path.write_text(_XML, encoding="utf-8")
    flat = flatten_cin(path)
    tables = {"header": flat.header, "child": flat.child, "details": flat.details, "assessments": flat.assessments,
              "factors": flat.factors, "plans": flat.plans, "section47": flat.section47, "cpp": flat.cpp}
    problems = run_rules("cin", tables, 2025)  # type: ignore[arg-type]
    codes = set(problems.get_column("dfe_rule"))
    # referral and plan after death, two open episodes overlapping, school age without UPN
    assert {"8555Q", "4008", "8815", "8820", "8770Q"} <= codes
    assert "4220" not in codes  # lower-case ethnicity is read case-insensitively
    assert set(problems.get_column("child_id")) <= {"K1", None}


def test_adding_a_rule_is_one_declaration() -> None:
    @cin_rule("9999", "cin_toy_rule", ("child.LAchildID",), "The LA child ID starts with Z.")
    def _toy(t: RuleInput) -> pl.DataFrame:
        return t.rows("child", pl.col("LAchildID").str.starts_with("Z"))

    try:
        problems = run_rules("cin", {"child": pl.DataFrame({"LAchildID": ["A", "Z1"]})}, 2025, only={"9999"})
        assert problems.select("dfe_rule", "row", "child_id").rows() == [("9999", 2, "Z1")]
        assert "cin_toy_rule" in rules_markdown()
    finally:
        DFE_RULES.unregister("cin_toy_rule")


def test_rules_markdown_lists_every_rule() -> None:
    text = rules_markdown()
    assert text.startswith("| DfE code | Return | Severity | Years |")
    for rule in DFE_RULES.values():
        assert f"| {rule.code} |" in text and f"`{rule.name}`" in text
    assert "| 442 | SSDA903 | error (default) |" in text and "| 232 | SSDA903 | query (linkready) |" in text
    assert "| 8555Q | CIN census | query |" in text and "`SSDA903_DEFAULT_SEVERITY`" in text
    # the coverage figures are computed from the registry, so removing a rule changes them
    assert "| CIN census | 2024-25 | 109 of 109 (100%) | none |" in text
    rule = DFE_RULES.get("cin_referral_after_death")
    DFE_RULES.unregister(rule.name)
    try:
        assert "| CIN census | 2024-25 | 108 of 109 (99%) | 8555Q |" in rules_markdown()
    finally:
        DFE_RULES.register(rule)


def test_year_windows() -> None:
    names_2024 = {r.name for r in DFE_RULES.values() if r.applies_to(2024)}
    names_2025 = {r.name for r in DFE_RULES.values() if r.applies_to(2025)}
    assert "cin_gender_invalid" in names_2024 and "cin_gender_invalid" not in names_2025
    assert "cin_la_child_id_too_long" in names_2025 and "cin_la_child_id_too_long" not in names_2024
    assert DFE_RULES.get("ssda903_independent_living_withdrawn").years_label() == "2023-24 only"


@pytest.mark.parametrize(("return_name", "group", "minimum"), [
    ("cin", "census", 0.9), ("903", "Header/Episodes", 0.9), ("903", "OC2", 0.9), ("903", "Missing", 0.9),
])
def test_coverage_of_dfe_rule_lists(return_name: str, group: str, minimum: float) -> None:
    for year in (2023, 2024, 2025, 2026):
        figures = coverage(return_name, group, year)
        missing = [e.code for e in not_implemented(return_name, group, year)]
        print(f"{return_name} {group} {year - 1}-{year % 100:02d}: {figures.implemented}/{figures.total} "
              f"({figures.share:.1%}); not implemented: {', '.join(missing) or 'none'}")
        assert figures.total > 0 and figures.share >= minimum


def test_every_implemented_code_is_a_dfe_code() -> None:
    listed = {(e.return_name, e.code) for e in CATALOGUE}
    assert {(r.return_name, r.code) for r in DFE_RULES.values()} - listed == set()


@pytest.mark.skipif(not REFERENCE.exists(), reason="the steering reference is not on this machine")
def test_catalogue_matches_the_reference() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    codes: set[str] = set()
    section = ""
    for line in text.splitlines():
        heading = re.match(r"^#{2,4} (\d+(?:\.\d+)*)\s", line)
        if heading:
            section = heading.group(1)
        elif line.startswith("| ") and (section.startswith("2.") or section.startswith("3.")) and section != "3.12":
            code = line.strip("|").split("|")[0].strip()
            if re.fullmatch(r"[0-9A-Za-z]+", code) and code not in ("Code", "Field"):
                codes.add(code)
    assert codes == {e.code for e in CATALOGUE}
    assert len([e for e in CATALOGUE if e.return_name == "cin" and e.group == "census" and e.in_force(2025)]) == 109


def test_a_rule_that_cannot_read_a_column_is_reported_and_the_others_run() -> None:
    @cin_rule("9998", "cin_toy_broken_rule", ("child.LAchildID",), "Toy rule comparing text with a number.")
    def _broken(t: RuleInput) -> pl.DataFrame:
        return t.rows("child", pl.col("LAchildID").str.len_chars() > pl.lit("x"))

    try:
        frames = cin_tests.baseline().frames()
        frames["child"] = frames["child"].with_columns(pl.col("LAchildID").str.replace("C", "7").cast(pl.Int64))
        problems = run_rules("cin", frames, 2025)
        broken = problems.filter(pl.col("rule") == "cin_toy_broken_rule")
        assert broken.select("dfe_rule", "severity", "row").rows() == [("9998", "query", None)]
        assert "could not run" in broken.item(0, "message")
        # the integer LA child IDs are read as text by the real rules: none of them fails or fires
        assert problems.height == 1
    finally:
        DFE_RULES.unregister("cin_toy_broken_rule")
