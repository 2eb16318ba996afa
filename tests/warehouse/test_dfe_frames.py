"""The typing stage of the DfE rules: dates in each return's DfE format (property tests), codes and
booleans in every spelling, and tables that arrive without some of their companions."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.warehouse import test_dfe_ssda903 as ssda903_tests
from warehouse.validation.dfe import DFE_RULES, run_rules
from warehouse.validation.dfe.calendar import english_bank_holidays, working_days_before
from warehouse.validation.dfe.frames import prepare

_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))


@settings(deadline=None)  # polars per example: timing depends on machine load
@given(st.lists(_DATES, min_size=1, max_size=20))
def test_903_dates_round_trip(days: list[date]) -> None:
    header = pl.DataFrame({"CHILD": [str(i) for i in range(len(days))],
                           "DOB": [d.strftime("%d/%m/%Y") for d in days]})
    typed = prepare("903", {"header": header}, 2025).table("header")
    assert typed.get_column("DOB").to_list() == days
    assert not typed.get_column("__bad_DOB").any()


@settings(deadline=None)  # polars per example: timing depends on machine load
@given(st.lists(_DATES, min_size=1, max_size=20))
def test_cin_dates_round_trip(days: list[date]) -> None:
    child = pl.DataFrame({"LAchildID": [str(i) for i in range(len(days))],
                          "PersonBirthDate": [d.isoformat() for d in days]})
    typed = prepare("cin", {"child": child}, 2025).table("child")
    assert typed.get_column("PersonBirthDate").to_list() == days


@settings(deadline=None)  # polars per example: timing depends on machine load
@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789/-. aZ", max_size=12)), min_size=1, max_size=20))
def test_any_text_is_a_date_or_flagged(values: list[str | None]) -> None:
    header = pl.DataFrame({"CHILD": [str(i) for i in range(len(values))], "DOB": values}, schema={
        "CHILD": pl.String, "DOB": pl.String})
    typed = prepare("903", {"header": header}, 2025).table("header")
    for raw, parsed, bad in zip(values, typed.get_column("DOB"), typed.get_column("__bad_DOB"), strict=True):
        given_value = raw is not None and raw.strip() != ""
        assert bad == (given_value and parsed is None)
        if parsed is not None:
            assert parsed >= date(1900, 1, 1) and parsed.strftime("%d/%m/%Y") == raw.strip()  # type: ignore[union-attr]


def test_two_digit_years_and_other_formats_are_not_dates() -> None:
    values = ["01/01/10", "2010-01-01", "1/1/2010", "01/01/1899", "31/02/2020", "01/01/2010"]
    header = pl.DataFrame({"CHILD": list("abcdef"), "DOB": values})
    typed = prepare("903", {"header": header}, 2025).table("header")
    assert typed.get_column("DOB").to_list() == [None] * 5 + [date(2010, 1, 1)]
    assert typed.get_column("__bad_DOB").to_list() == [True] * 5 + [False]


def test_codes_and_booleans_in_every_spelling() -> None:
    details = pl.DataFrame({"_row": [1] * 7, "ReferralNFA": ["true", "TRUE", " 1", "False", "0", "yes", None],
                            "ReasonForClosure": [" rc8", "RC8 ", "rc8", None, "Rc8", "x", ""]})
    typed = prepare("cin", {"details": details}, 2025).table("details")
    assert typed.get_column("ReferralNFA").to_list() == [True, True, True, False, False, None, None]
    assert typed.get_column("ReasonForClosure").to_list() == ["RC8", "RC8", "RC8", None, "RC8", "X", None]


def test_episodes_without_header() -> None:
    frames = ssda903_tests.baseline().frames()
    only = {"episodes": frames["episodes"].with_columns(pl.when(pl.col("_row") == 2).then(pl.lit("31/08/2024"))
                                                          .otherwise(pl.col("DECOM")).alias("DECOM"))}
    problems = run_rules("903", only, 2025)
    assert "501" in set(problems.get_column("dfe_rule"))
    for name in problems.get_column("rule"):  # rules needing the header are skipped, not failed
        assert all(read.startswith("episodes.") for read in DFE_RULES.get(name).reads)


def test_bank_holidays_and_working_days() -> None:
    assert {date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 5), date(2025, 5, 26), date(2025, 8, 25),
            date(2025, 12, 25), date(2025, 12, 26), date(2025, 1, 1)} == english_bank_holidays(2025)
    assert date(2022, 9, 19) in english_bank_holidays(2022)  # a one-off
    assert date(2021, 12, 27) in english_bank_holidays(2021) and date(2021, 12, 28) in english_bank_holidays(2021)
    # Easter 2024: Good Friday 29 March and Easter Monday 1 April are not working days
    assert working_days_before(date(2024, 4, 2), 1, 2025) == date(2024, 3, 28)
    assert working_days_before(date(2025, 3, 31), 15, 2025) == date(2025, 3, 10)


def test_903_column_names_in_any_case() -> None:
    frames = ssda903_tests.baseline().frames()
    lower = {name: frame.rename({c: c.lower() for c in frame.columns if not c.startswith("_")})
             for name, frame in frames.items()}
    lower["episodes"] = lower["episodes"].with_columns(
        pl.when(pl.col("_row") == 3).then(pl.lit("X")).otherwise(pl.col("rne")).alias("rne"))
    problems = run_rules("903", lower, 2025)
    assert set(problems.select("dfe_rule", "row").rows()) == {("143", 3), ("357", 3)}  # invalid; not a new period


def test_903_values_typed_by_the_loader() -> None:
    # a loader may hand over integers and floats: the rules read them as the codes they are
    frames = ssda903_tests.baseline().frames()
    frames["header"] = frames["header"].with_columns(pl.col("MOTHER").cast(pl.Int64), pl.col("UASC").cast(pl.Int8))
    frames["episodes"] = frames["episodes"].with_columns(pl.col("PL_DISTANCE").cast(pl.Float64))
    assert run_rules("903", frames, 2025).height == 0
    frames["header"] = frames["header"].with_columns(pl.lit(1, dtype=pl.Int64).alias("MOTHER"))
    assert set(run_rules("903", frames, 2025).get_column("dfe_rule")) == {"611"}  # a mother with no child's DOB
