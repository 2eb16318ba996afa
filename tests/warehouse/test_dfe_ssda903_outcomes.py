"""Each SSDA903 rule on the OC2 (12-month outcomes) and Missing tables: a record that breaks it is
reported and the valid baseline, and where given a near miss, are not. The baseline adds to the
header/episodes baseline one child looked after for 12 months (OC2 row) and one missing period per child."""

from __future__ import annotations

import polars as pl
import pytest

from tests.warehouse import test_dfe_ssda903 as episodes_tests
from tests.warehouse.dfe_world import Case, World
from warehouse.validation.dfe import DFE_RULES, run_rules


def baseline() -> World:
    w = episodes_tests.baseline()
    w.add("oc2", _row=1, CHILD="A1", DOB="01/06/2010", SDQ_SCORE="12", SDQ_REASON=None, CONVICTED="0",
          HEALTH_CHECK=None, IMMUNISATIONS="1", TEETH_CHECK="1", HEALTH_ASSESSMENT="1", SUBSTANCE_MISUSE="0",
          INTERVENTION_RECEIVED=None, INTERVENTION_OFFERED=None)
    w.add("missing", _row=1, CHILD="A1", DOB="01/06/2010", MISSING="M", MIS_START="10/10/2024", MIS_END="12/10/2024")
    w.add("missing", _row=2, CHILD="B2", DOB="15/01/2008", MISSING="A", MIS_START="01/05/2024", MIS_END="02/05/2024")
    return w


def _problems(world: World, year: int = 2025, only: str | None = None) -> pl.DataFrame:
    return run_rules("903", world.frames(), year, only=None if only is None else {only})


def test_baseline_breaks_no_rule() -> None:
    assert _problems(baseline()).height == 0


def _young(w: World, dob: str) -> World:
    """Child A1 with another date of birth, on the header and OC2 alike."""
    return w.set("header", 0, DOB=dob).set("oc2", 0, DOB=dob).set("header_last", 0, DOB=dob)


def _not_in_cohort(w: World) -> World:
    """Child A1's care began in the year (not looked after for 12 months at 31 March)."""
    return w.set("episodes", 0, DECOM="02/04/2024").set("episodes_last", 0, DECOM="02/04/2024").drop("episodes_last")


CASES = [
    Case("ssda903_oc2_sdq_score_invalid", lambda w: w.set("oc2", 0, SDQ_SCORE="41"),
         keep=lambda w: w.set("oc2", 0, SDQ_SCORE="40")),
    Case("ssda903_oc2_item_not_yes_no", lambda w: w.set("oc2", 0, TEETH_CHECK="Y")),
    Case("ssda903_oc2_health_items_partial", lambda w: w.set("oc2", 0, TEETH_CHECK=None)),
    Case("ssda903_oc2_sdq_reason_invalid", lambda w: w.set("oc2", 0, SDQ_SCORE=None, SDQ_REASON="SDQ6")),
    Case("ssda903_oc2_sdq_reason_with_score", lambda w: w.set("oc2", 0, SDQ_REASON="SDQ2")),
    Case("ssda903_oc2_misuse_without_intervention", lambda w: w.set("oc2", 0, SUBSTANCE_MISUSE="1"),
         keep=lambda w: w.set("oc2", 0, SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="1")),
    Case("ssda903_oc2_intervention_without_misuse", lambda w: w.set("oc2", 0, INTERVENTION_OFFERED="1")),
    Case("ssda903_oc2_offered_after_received",
         lambda w: w.set("oc2", 0, SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="1", INTERVENTION_OFFERED="0")),
    Case("ssda903_oc2_offered_blank", lambda w: w.set("oc2", 0, SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="0"),
         keep=lambda w: w.set("oc2", 0, SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="0", INTERVENTION_OFFERED="1")),
    Case("ssda903_oc2_conviction_without_health", lambda w: w.set("oc2", 0, IMMUNISATIONS=None)),
    Case("ssda903_oc2_development_check_without_health",
         lambda w: _young(w, "01/06/2021").set("oc2", 0, SDQ_SCORE=None, CONVICTED=None, HEALTH_CHECK="1",
                                               IMMUNISATIONS=None)),
    Case("ssda903_oc2_sdq_under_4", lambda w: _young(w, "01/06/2021").set("oc2", 0, CONVICTED=None, HEALTH_CHECK="1"),
         keep=lambda w: _young(w, "01/06/2021").set("oc2", 0, CONVICTED=None, HEALTH_CHECK="1", SDQ_SCORE=None)),
    Case("ssda903_oc2_sdq_17_or_over", lambda w: _young(w, "01/04/2007"),
         keep=lambda w: _young(w, "02/04/2007")),
    Case("ssda903_oc2_conviction_under_10", lambda w: _young(w, "01/04/2015"),
         keep=lambda w: _young(w, "31/03/2015")),
    Case("ssda903_oc2_development_check_5_or_over", lambda w: w.set("oc2", 0, HEALTH_CHECK="1")),
    Case("ssda903_oc2_sdq_outside_cohort", _not_in_cohort),
    Case("ssda903_oc2_sdq_reason_outside_cohort",
         lambda w: _not_in_cohort(w).set("oc2", 0, SDQ_SCORE=None, SDQ_REASON="SDQ2")),
    Case("ssda903_oc2_sdq_missing", lambda w: w.set("oc2", 0, SDQ_SCORE=None, SDQ_REASON="SDQ2"),
         keep=lambda w: w.set("oc2", 0, SDQ_SCORE=None, SDQ_REASON="SDQ2").set("episodes", 0, DECOM="02/04/2024")
         .drop("episodes_last")),
    Case("ssda903_oc2_sdq1_for_school_age", lambda w: w.set("oc2", 0, SDQ_SCORE=None, SDQ_REASON="SDQ1")),
    Case("ssda903_oc2_sdq_nothing", lambda w: w.set("oc2", 0, SDQ_SCORE=None)),
    Case("ssda903_oc2_conviction_missing", lambda w: w.set("oc2", 0, CONVICTED=None),
         keep=lambda w: _young(w, "01/04/2015").set("oc2", 0, CONVICTED=None)),
    Case("ssda903_oc2_development_check_missing",
         lambda w: _young(w, "01/06/2021").set("oc2", 0, SDQ_SCORE=None, CONVICTED=None)),
    Case("ssda903_oc2_items_outside_cohort", lambda w: _not_in_cohort(w).set("oc2", 0, SDQ_SCORE=None)),
    Case("ssda903_oc2_items_missing", lambda w: w.set("oc2", 0, IMMUNISATIONS=None, TEETH_CHECK=None,
                                                      HEALTH_ASSESSMENT=None, SUBSTANCE_MISUSE=None, CONVICTED=None)),
    Case("ssda903_oc2_and_care_leaver", lambda w: w.add("oc3", _row=1, CHILD="A1", IN_TOUCH="YES", ACTIV="F1",
                                                        ACCOM="B1")),
    Case("ssda903_oc2_child_not_in_header", lambda w: w.set("oc2", 0, CHILD="Z9")),
    Case("ssda903_oc2_dob_differs", lambda w: w.set("oc2", 0, DOB="02/06/2010")),
    Case("ssda903_oc2_child_repeated", lambda w: w.add("oc2", _row=2, CHILD="A1", DOB="01/06/2010")),
    # missing periods
    Case("ssda903_missing_period_start_not_a_date", lambda w: w.set("missing", 0, MIS_START="2024-10-10")),
    Case("ssda903_missing_period_end_not_a_date", lambda w: w.set("missing", 0, MIS_END="12/13/2024")),
    Case("ssda903_missing_period_kind_invalid", lambda w: w.set("missing", 0, MISSING="X"),
         keep=lambda w: w.set("missing", 0, MISSING="a")),
    Case("ssda903_missing_period_start_blank", lambda w: w.set("missing", 0, MIS_START=None)),
    Case("ssda903_missing_period_start_without_kind", lambda w: w.set("missing", 0, MISSING=None)),
    Case("ssda903_missing_period_end_without_kind", lambda w: w.set("missing", 0, MISSING=None)),
    Case("ssda903_missing_period_ends_before_start", lambda w: w.set("missing", 0, MIS_END="09/10/2024")),
    Case("ssda903_missing_period_starts_after_year", lambda w: w.set("missing", 0, MIS_START="01/04/2025",
                                                                     MIS_END=None)),
    Case("ssda903_missing_period_end_outside_year", lambda w: w.set("missing", 0, MIS_END="01/04/2025")),
    Case("ssda903_missing_periods_overlap",
         lambda w: w.add("missing", _row=3, CHILD="A1", DOB="01/06/2010", MISSING="M", MIS_START="11/10/2024",
                         MIS_END="13/10/2024"), row=3,
         keep=lambda w: w.add("missing", _row=3, CHILD="A1", DOB="01/06/2010", MISSING="M", MIS_START="12/10/2024",
                              MIS_END="13/10/2024")),
    Case("ssda903_missing_before_birth", lambda w: w.set("missing", 0, DOB="11/10/2024")),
    Case("ssda903_missing_open_after_placement_ended",
         lambda w: w.set("missing", 0, MIS_START="10/08/2024", MIS_END=None)),
    Case("ssda903_left_care_while_missing", lambda w: w.set("missing", 1, MIS_END=None), row=2),
    Case("ssda903_missing_after_leaving_care", lambda w: w.set("missing", 1, MIS_START="20/12/2024",
                                                               MIS_END="21/12/2024"), row=2),
    Case("ssda903_missing_at_leaving_care_reason", lambda w: w.set("missing", 1, MIS_START="19/12/2024",
                                                                   MIS_END="21/12/2024"), row=2,
         keep=lambda w: w.set("missing", 1, MIS_START="19/12/2024", MIS_END="21/12/2024")
         .set("episodes", 2, REC="E8")),
    Case("ssda903_missing_before_care", lambda w: w.set("missing", 1, MIS_START="09/04/2024"), row=2),
    Case("ssda903_missing_open_last_year_not_continued",
         lambda w: w.add("missing_last", _row=1, CHILD="A1", DOB="01/06/2010", MISSING="M", MIS_START="30/03/2024", MIS_END=None),
         keep=lambda w: w.add("missing_last", _row=1, CHILD="A1", DOB="01/06/2010", MISSING="M", MIS_START="10/10/2024", MIS_END=None)),
    Case("ssda903_missing_child_not_in_header", lambda w: w.set("missing", 0, CHILD="Z9")),
    Case("ssda903_missing_dob_differs", lambda w: w.set("missing", 0, DOB="02/06/2010")),
]


def _hits(problems: pl.DataFrame, rule: str) -> pl.DataFrame:
    return problems.filter(pl.col("rule") == rule)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rule_fires_on_the_breaking_record_only(case: Case) -> None:
    base = baseline()
    declared = DFE_RULES.get(case.rule)
    broken_world = case.breaks(base.copy())
    broken = _hits(_problems(broken_world, case.year, case.rule), case.rule)
    assert broken.height >= 1, f"{case.rule} did not fire"
    assert set(broken.get_column("dfe_rule")) == {declared.code}
    assert case.row in broken.get_column("row").to_list()
    expected_children = {r.get("CHILD") for r in broken_world.tables[declared.table] if r.get("_row") == case.row}
    assert set(broken.filter(pl.col("row") == case.row).get_column("child_id")) <= expected_children
    if case.year != 2025:  # the default baseline is checked whole, once
        assert _hits(_problems(base, case.year, case.rule), case.rule).height == 0
    if case.keep is not None:
        assert _hits(_problems(case.keep(base.copy()), case.year, case.rule), case.rule).height == 0


def test_every_outcome_rule_has_a_case() -> None:
    tested = {c.rule for c in CASES + episodes_tests.CASES}
    declared = {r.name for r in DFE_RULES.values() if r.return_name == "903" and r.table in ("oc2", "missing", "oc3", "missing_last")}
    assert declared - tested == set()
