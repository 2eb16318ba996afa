"""Each CIN census DfE rule: a record that breaks it is reported (rule, DfE code, row, child) and the
valid baseline, and where given a near miss, are not. The baseline is a small return of two children
(census 2024-25) that breaks no rule at all."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from tests.warehouse.dfe_world import Case, World, upn
from warehouse.validation.dfe import DFE_RULES, run_rules


def baseline() -> World:
    w = World()
    w.add("header", Collection="CIN", Year="2025", ReferenceDate="2025-03-31", LEA="380", SourceLevel="L")
    unset = dict.fromkeys(("FormerUPN", "UPNunknown", "ExpectedPersonBirthDate", "GenderCurrent", "PersonDeathDate"))
    w.add("child", _row=1, LAchildID="C1", UPN=upn("380123456789"), PersonBirthDate="2015-06-01", Sex="F",
          Ethnicity="WBRI", **unset)
    w.add("child", _row=2, LAchildID="C2", UPN=upn("380987654321"), PersonBirthDate="2018-01-01", Sex="M",
          Ethnicity="AIND", **unset)
    w.add("disabilities", _row=1, Disability="NONE")
    for code in ("MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS"):
        w.add("disabilities", _row=2, Disability=code)
    w.add("details", _row=1, cin_details_id=1, CINreferralDate="2024-05-01", ReferralSource="1A",
          PrimaryNeedCode="N1", CINclosureDate=None, ReasonForClosure=None, DateOfInitialCPC=None,
          ReferralNFA="false")
    w.add("details", _row=2, cin_details_id=1, CINreferralDate="2024-04-10", ReferralSource="2A",
          PrimaryNeedCode="N2", CINclosureDate="2024-08-01", ReasonForClosure="RC8", DateOfInitialCPC=None,
          ReferralNFA="0")
    w.add("assessments", _row=1, cin_details_id=1, assessment_id=1, AssessmentActualStartDate="2024-05-02",
          AssessmentAuthorisationDate="2024-06-10")
    w.add("assessments", _row=2, cin_details_id=1, assessment_id=1, AssessmentActualStartDate="2024-04-11",
          AssessmentAuthorisationDate="2024-05-01")
    w.add("factors", _row=1, cin_details_id=1, assessment_id=1, AssessmentFactors="1A")
    w.add("factors", _row=2, cin_details_id=1, assessment_id=1, AssessmentFactors="21")
    w.add("section47", _row=1, cin_details_id=1, S47ActualStartDate="2024-06-11", InitialCPCtarget="2024-06-25",
          DateOfInitialCPC="2024-06-25", ICPCnotRequired="false")
    w.add("cpp", _row=1, cin_details_id=1, cpp_id=1, CPPstartDate="2024-06-25", CPPendDate="2024-12-02",
          InitialCategoryOfAbuse="NEG", LatestCategoryOfAbuse="NEG", NumberOfPreviousCPP="0")
    w.add("reviews", _row=1, cin_details_id=1, cpp_id=1, CPPreviewDate="2024-09-10")
    w.add("plans", _row=1, cin_details_id=1, CINPlanStartDate="2024-12-02", CINPlanEndDate=None)
    return w


def baseline_2024() -> World:
    """The same return as a 2023-24 census (GenderCurrent instead of Sex, dates 52 weeks earlier so
    weekdays stay weekdays)."""
    w = baseline()
    for rows in w.tables.values():
        for row in rows:
            for k, v in row.items():
                if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[:4].isdigit():
                    row[k] = (date.fromisoformat(v) - timedelta(weeks=52)).isoformat()
    w.set("header", 0, Year="2024", ReferenceDate="2024-03-31")
    for i, g in ((0, "2"), (1, "1")):
        w.set("child", i, Sex=None, GenderCurrent=g)
    return w


def baseline_2027() -> World:
    """The return as a 2026-27 census (dates 104 weeks later) with a pre-proceedings block (draft rules)."""
    w = baseline()
    for rows in w.tables.values():
        for row in rows:
            for k, v in row.items():
                if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[:4].isdigit():
                    row[k] = (date.fromisoformat(v) + timedelta(weeks=104)).isoformat()
    w.set("header", 0, Year="2027", ReferenceDate="2027-03-31")
    w.add("preproceedings", _row=1, cin_details_id=1, PPStartDate="2026-06-01", LBPSentDate="2026-06-05",
          FGDMMeetingOffer="1", FGDMMeetingFac="1", InitialPPMeetingDate="2026-06-20", ReviewMeetingsCount="2",
          StepDecisionDate="2026-09-01", PPOutcome="A", CourtAppDate="2026-09-10", LetterInitCPDate="2026-09-15")
    return w


_BASELINES = {2024: baseline_2024, 2025: baseline, 2027: baseline_2027}


def _problems(world: World, year: int = 2025, la_code: str | None = None, only: str | None = None
              ) -> pl.DataFrame:
    return run_rules("cin", world.frames(), year, la_code, only=None if only is None else {only})


def test_baseline_breaks_no_rule() -> None:
    assert _problems(baseline()).height == 0
    assert _problems(baseline_2024(), 2024).height == 0
    assert _problems(baseline(), la_code="380").height == 0
    assert _problems(baseline_2027(), 2027).height == 0


CASES = [
    # 2.1 identifiers
    Case("cin_upn_check_letter", lambda w: w.set("child", 0, UPN="A" + upn("380123456789")[1:])),
    Case("cin_upn_shared_by_children", lambda w: w.set("child", 1, UPN=upn("380123456789")), row=1),
    Case("cin_upn_la_code", lambda w: w.set("child", 0, UPN=upn("999123456789")),
         keep=lambda w: w.set("child", 0, UPN=upn("942123456789"))),
    Case("cin_upn_digits", lambda w: w.set("child", 0, UPN="A380X23456789")),
    Case("cin_upn_last_character", lambda w: w.set("child", 0, UPN="A38012345678I"),
         keep=lambda w: w.set("child", 0, UPN=upn("38012345678A"))),
    Case("cin_former_upn_shape", lambda w: w.set("child", 0, FormerUPN="123"),
         keep=lambda w: w.set("child", 0, FormerUPN=upn("38012345678A"))),
    Case("cin_la_child_id_too_long", lambda w: w.set("child", 0, LAchildID="C" * 21),
         keep=lambda w: w.set("child", 0, LAchildID="C" * 20)),
    Case("cin_la_child_id_characters", lambda w: w.set("child", 0, LAchildID="C-1"),
         keep=lambda w: w.set("child", 0, LAchildID="c1X")),
    Case("cin_la_child_id_missing", lambda w: w.set("child", 0, LAchildID=" ")),
    Case("cin_la_child_id_repeated", lambda w: w.set("child", 1, LAchildID="C1")),
    Case("cin_upn_missing_at_school_age", lambda w: w.set("child", 0, UPN=None, UPNunknown="UN1"),
         keep=lambda w: w.set("child", 0, UPN=None, UPNunknown="UN3")),
    Case("cin_upn_missing_at_school_age", lambda w: w.set("child", 0, UPN=None, PersonBirthDate="2019-08-31"),
         keep=lambda w: w.set("child", 0, UPN=None, PersonBirthDate="2019-09-01")),
    Case("cin_upn_unknown_un7_with_action", lambda w: w.set("child", 0, UPNunknown="UN7"),
         keep=lambda w: w.set("child", 0, UPNunknown="UN7").set("details", 0, ReferralNFA="TRUE")
         .drop("assessments", 0).drop("factors", 0).drop("section47").drop("cpp").drop("reviews").drop("plans")),
    # 2.2 dates of birth
    Case("cin_birth_after_reference_date", lambda w: w.set("child", 0, PersonBirthDate="2025-04-01"),
         keep=lambda w: w.set("child", 0, PersonBirthDate="2025-03-31")),
    Case("cin_birth_and_expected_birth", lambda w: w.set("child", 0, ExpectedPersonBirthDate="2025-05-01")),
    Case("cin_expected_birth_implausible",
         lambda w: w.set("child", 0, PersonBirthDate=None, ExpectedPersonBirthDate="2026-01-01", Sex="U"),
         keep=lambda w: w.set("child", 0, PersonBirthDate=None, ExpectedPersonBirthDate="2025-12-30", Sex="U")),
    Case("cin_death_before_birth", lambda w: w.set("child", 0, PersonDeathDate="2014-01-01")),
    Case("cin_unborn_sex", lambda w: w.set("child", 0, PersonBirthDate=None, ExpectedPersonBirthDate="2025-05-01")),
    Case("cin_older_than_25", lambda w: w.set("child", 0, PersonBirthDate="2000-03-30"),
         keep=lambda w: w.set("child", 0, PersonBirthDate="2000-03-31")),
    Case("cin_referral_long_before_birth", lambda w: w.set("details", 1, CINreferralDate="2017-03-26"), row=2,
         keep=lambda w: w.set("details", 1, CINreferralDate="2017-03-27")),
    Case("cin_referral_long_before_birth",
         lambda w: w.set("child", 0, PersonBirthDate=None, ExpectedPersonBirthDate="2025-05-01", Sex="U")
         .set("details", 0, CINreferralDate="2024-07-24")),
    # 2.3 episodes
    Case("cin_child_without_episode", lambda w: w.set("details", 0, _row=2, cin_details_id=2)),
    Case("cin_referral_missing_or_late", lambda w: w.set("details", 0, CINreferralDate="2025-04-01")),
    Case("cin_closure_outside_period", lambda w: w.set("details", 1, CINclosureDate="2024-03-31"), row=2),
    Case("cin_closure_before_referral", lambda w: w.set("details", 1, CINclosureDate="2024-04-09"), row=2),
    Case("cin_closure_without_reason", lambda w: w.set("details", 1, ReasonForClosure=None), row=2),
    Case("cin_reason_without_closure", lambda w: w.set("details", 0, ReasonForClosure="RC7")),
    Case("cin_reason_for_closure_invalid", lambda w: w.set("details", 1, ReasonForClosure="RC10"), row=2,
         keep=lambda w: w.set("details", 1, ReasonForClosure="rc9")),
    Case("cin_primary_need_invalid", lambda w: w.set("details", 0, PrimaryNeedCode="N10")),
    Case("cin_referral_source_invalid", lambda w: w.set("details", 0, ReferralSource="11")),
    Case("cin_more_than_one_open_episode",
         lambda w: w.add("details", _row=1, cin_details_id=2, CINreferralDate="2024-07-01", ReferralNFA="false")),
    Case("cin_open_episode_not_latest",
         lambda w: w.add("details", _row=1, cin_details_id=2, CINreferralDate="2024-07-01", ReferralNFA="true",
                         CINclosureDate="2024-07-02", ReasonForClosure="RC7")),
    Case("cin_episodes_overlap",
         lambda w: w.add("details", _row=2, cin_details_id=2, CINreferralDate="2024-07-31", ReferralNFA="true",
                         CINclosureDate="2024-09-01", ReasonForClosure="RC7"), row=2,
         keep=lambda w: w.add("details", _row=2, cin_details_id=2, CINreferralDate="2024-08-01", ReferralNFA="true",
                              CINclosureDate="2024-09-01", ReasonForClosure="RC7")),
    Case("cin_activity_after_closure",
         lambda w: w.set("details", 0, CINclosureDate="2024-12-01", ReasonForClosure="RC7")),
    # 2.4 protection plans
    Case("cin_cpp_before_referral", lambda w: w.set("cpp", 0, CPPstartDate="2024-04-30")),
    Case("cin_more_cpps_than_conferences",
         lambda w: w.add("cpp", _row=1, cin_details_id=1, cpp_id=2, CPPstartDate="2025-01-07", CPPendDate="2025-02-03",
                         InitialCategoryOfAbuse="NEG", LatestCategoryOfAbuse="NEG", NumberOfPreviousCPP="1"),
         row=None),
    Case("cin_cpp_start_not_conference_date",
         lambda w: w.set("cpp", 0, CPPstartDate="2024-06-26").set("reviews", 0, CPPreviewDate="2024-09-10")),
    Case("cin_cpp_start_missing_or_late", lambda w: w.set("cpp", 0, CPPstartDate=None)),
    Case("cin_previous_plans_invalid", lambda w: w.set("cpp", 0, NumberOfPreviousCPP="-1")),
    Case("cin_cpp_one_day", lambda w: w.set("cpp", 0, CPPendDate="2024-06-25")),
    Case("cin_initial_category_invalid", lambda w: w.set("cpp", 0, InitialCategoryOfAbuse="XXX")),
    Case("cin_latest_category_invalid", lambda w: w.set("cpp", 0, LatestCategoryOfAbuse=None)),
    Case("cin_cpp_ends_before_start", lambda w: w.set("cpp", 0, CPPendDate="2024-06-24")),
    Case("cin_cpp_end_outside_period", lambda w: w.set("cpp", 0, CPPendDate="2025-04-01")),
    Case("cin_more_than_one_open_cpp",
         lambda w: w.set("cpp", 0, CPPendDate=None).set("plans", 0, CINPlanStartDate=None)
         .add("cpp", _row=1, cin_details_id=1, cpp_id=2, CPPstartDate=None, InitialCategoryOfAbuse="NEG",
              LatestCategoryOfAbuse="NEG", NumberOfPreviousCPP="1")),
    Case("cin_cpps_overlap",
         lambda w: w.add("cpp", _row=1, cin_details_id=1, cpp_id=2, CPPstartDate="2024-12-02",
                         CPPendDate="2024-12-20", InitialCategoryOfAbuse="NEG", LatestCategoryOfAbuse="NEG",
                         NumberOfPreviousCPP="1").add("section47", _row=1, cin_details_id=1,
                         S47ActualStartDate="2024-11-20", DateOfInitialCPC="2024-12-02", ICPCnotRequired="0")
         .drop("plans")),
    # 2.5 CIN plans
    Case("cin_plan_before_referral", lambda w: w.set("plans", 0, CINPlanStartDate="2024-04-30")),
    Case("cin_plan_start_missing_or_late", lambda w: w.set("plans", 0, CINPlanStartDate="2025-04-01")),
    Case("cin_plan_ends_before_start", lambda w: w.set("plans", 0, CINPlanEndDate="2024-12-01")),
    Case("cin_plan_one_day", lambda w: w.set("plans", 0, CINPlanEndDate="2024-12-02")),
    Case("cin_plan_end_outside_period", lambda w: w.set("plans", 0, CINPlanEndDate="2025-04-02")),
    Case("cin_more_than_one_open_plan",
         lambda w: w.add("plans", _row=1, cin_details_id=1, CINPlanStartDate=None)),
    Case("cin_plans_overlap", lambda w: w.add("plans", _row=1, cin_details_id=1, CINPlanStartDate="2025-01-01",
                                                  CINPlanEndDate="2025-01-31")),
    Case("cin_open_plan_and_cpp",
         lambda w: w.set("cpp", 0, CPPendDate=None).set("plans", 0, CINPlanStartDate="2024-06-01",
                                                        CINPlanEndDate=None)),
    Case("cin_plan_during_cpp", lambda w: w.set("plans", 0, CINPlanStartDate="2024-12-01"),
         keep=lambda w: w.set("plans", 0, CINPlanStartDate="2024-12-02")),
    Case("cin_cpp_during_plan",
         lambda w: w.set("plans", 0, CINPlanStartDate="2024-06-01", CINPlanEndDate="2024-06-26"),
         keep=lambda w: w.set("plans", 0, CINPlanStartDate="2024-06-01", CINPlanEndDate="2024-06-25")),
    # 2.6 death
    Case("cin_death_outside_period", lambda w: w.set("child", 1, PersonDeathDate="2025-04-01"), row=2,
         keep=lambda w: w.set("child", 1, PersonDeathDate="2024-08-01")),
    Case("cin_referral_after_death", lambda w: w.set("child", 1, PersonDeathDate="2024-04-09"), row=2,
         keep=lambda w: w.set("child", 1, PersonDeathDate="2024-08-01")),
    Case("cin_closed_died_without_death_date", lambda w: w.set("details", 1, ReasonForClosure="RC2"), row=2,
         keep=lambda w: w.set("details", 1, ReasonForClosure="RC2").set("child", 1, PersonDeathDate="2024-08-01")),
    Case("cin_plan_after_death", lambda w: w.set("child", 0, PersonDeathDate="2024-12-01")),
    Case("cin_plan_ends_after_death",
         lambda w: w.set("child", 0, PersonDeathDate="2025-01-01").set("plans", 0, CINPlanEndDate="2025-01-02")),
    Case("cin_cpp_after_death", lambda w: w.set("child", 0, PersonDeathDate="2024-06-24")),
    Case("cin_cpp_ends_after_death", lambda w: w.set("child", 0, PersonDeathDate="2024-12-01")),
    # 2.7 no further action
    Case("cin_referral_nfa_invalid", lambda w: w.set("details", 0, ReferralNFA="yes"),
         keep=lambda w: w.set("details", 0, ReferralNFA="FALSE")),
    Case("cin_carried_over_referral_nfa",
         lambda w: w.set("details", 1, CINreferralDate="2024-03-27", ReferralNFA="true").drop("assessments", 1)
         .drop("factors", 1).set("details", 1, ReasonForClosure="RC7"), row=2,
         keep=lambda w: w.set("details", 1, CINreferralDate="2024-03-28", ReferralNFA="true").drop("assessments", 1)
         .drop("factors", 1).set("details", 1, ReasonForClosure="RC7")),
    Case("cin_primary_need_missing", lambda w: w.set("details", 0, PrimaryNeedCode=None)),
    Case("cin_nfa_with_activity", lambda w: w.set("details", 1, ReferralNFA="true"), row=2),
    Case("cin_nfa_with_cpp", lambda w: w.set("details", 0, ReferralNFA="1")),
    Case("cin_nfa_with_plan", lambda w: w.set("details", 0, ReferralNFA="True")),
    # 2.8 disabilities
    Case("cin_disability_missing", lambda w: w.drop("disabilities", 0)),
    Case("cin_disability_missing", lambda w: w.set("disabilities", 0, Disability="BLIND")),
    Case("cin_disability_none_with_other", lambda w: w.add("disabilities", _row=1, Disability="AUT")),
    Case("cin_disability_repeated", lambda w: w.add("disabilities", _row=1, Disability="none")),
    Case("cin_disability_few_codes", lambda w: w.drop("disabilities", 8), row=None),
    Case("cin_disability_never_multiple",
         lambda w: w.set("disabilities", 0, Disability="AUT").drop("disabilities", 1).drop("disabilities", 1)
         .drop("disabilities", 1).drop("disabilities", 1).drop("disabilities", 1).drop("disabilities", 1)
         .drop("disabilities", 1).add("child", _row=3, LAchildID="C3", PersonBirthDate="2016-01-01", Sex="M",
                                       UPN=upn("380111111111"), Ethnicity="WBRI")
         .add("details", _row=3, cin_details_id=1, CINreferralDate="2024-05-01", ReferralSource="1A",
              PrimaryNeedCode="N1", ReferralNFA="1")
         .add("disabilities", _row=3, Disability="NONE"), row=None),
    # 2.9 reviews
    Case("cin_cpp_review_not_after_start", lambda w: w.set("reviews", 0, CPPreviewDate="2024-06-25")),
    Case("cin_cpp_review_without_date", lambda w: w.set("reviews", 0, CPPreviewDate=None)),
    Case("cin_cpp_review_during_plan", lambda w: w.set("plans", 0, CINPlanStartDate="2024-09-01",
                                                       CINPlanEndDate="2024-09-30"),
         keep=lambda w: w.set("plans", 0, CINPlanStartDate="2024-09-01", CINPlanEndDate="2024-09-30")
         .set("cpp", 0, CPPendDate="2024-09-10")),
    # 2.10 header
    Case("cin_reference_date_not_31_march", lambda w: w.set("header", 0, Year="2024"), row=1),
    Case("cin_reference_date_not_collection_year", lambda w: w.set("header", 0, Year="2026",
                                                                   ReferenceDate="2026-03-31"), row=1),
    Case("cin_lea_not_submitting_la", lambda w: w.set("header", 0, LEA="381"), row=1, la_code="380"),
    # 2.11 closed after assessment
    Case("cin_closed_after_assessment_with_activity",
         lambda w: w.set("details", 0, CINclosureDate="2025-01-01", ReasonForClosure="RC9")
         .set("plans", 0, CINPlanEndDate="2025-01-01")),
    Case("cin_closed_after_assessment_without_one", lambda w: w.drop("assessments", 1).drop("factors", 1), row=2),
    Case("cin_no_factors_but_open", lambda w: w.set("details", 1, ReasonForClosure="RC7"), row=2),
    # 2.12 assessments
    Case("cin_assessment_before_referral", lambda w: w.set("assessments", 0, AssessmentActualStartDate="2024-04-30")),
    Case("cin_assessment_authorised_before_start",
         lambda w: w.set("assessments", 0, AssessmentAuthorisationDate="2024-05-01")),
    Case("cin_factors_without_authorisation",
         lambda w: w.set("assessments", 0, AssessmentAuthorisationDate=None, AssessmentActualStartDate="2025-03-01")),
    Case("cin_assessment_long_running",
         lambda w: w.set("assessments", 0, AssessmentAuthorisationDate=None, AssessmentActualStartDate="2025-01-01")
         .drop("factors", 0),
         keep=lambda w: w.set("assessments", 0, AssessmentAuthorisationDate=None,
                              AssessmentActualStartDate="2025-03-03").drop("factors", 0)),
    Case("cin_authorisation_outside_period",
         lambda w: w.set("assessments", 1, AssessmentAuthorisationDate="2025-04-01"), row=2),
    Case("cin_unauthorised_assessment_outside_period",
         lambda w: w.set("assessments", 1, AssessmentActualStartDate="2024-03-01", AssessmentAuthorisationDate=None)
         .drop("factors", 1).set("details", 1, CINclosureDate=None, ReasonForClosure=None,
                                 CINreferralDate="2024-02-01"), row=2),
    Case("cin_assessments_overlap",
         lambda w: w.add("assessments", _row=1, cin_details_id=1, assessment_id=2,
                         AssessmentActualStartDate="2024-06-10", AssessmentAuthorisationDate="2024-06-20")
         .add("factors", _row=1, cin_details_id=1, assessment_id=2, AssessmentFactors="2A"),
         keep=lambda w: w.add("assessments", _row=1, cin_details_id=1, assessment_id=2,
                              AssessmentActualStartDate="2024-06-11", AssessmentAuthorisationDate="2024-06-20")
         .add("factors", _row=1, cin_details_id=1, assessment_id=2, AssessmentFactors="2A")),
    Case("cin_closed_episode_open_assessment",
         lambda w: w.set("assessments", 1, AssessmentAuthorisationDate=None).drop("factors", 1), row=2),
    Case("cin_no_factors_with_factor", lambda w: w.add("factors", _row=2, cin_details_id=1, assessment_id=1,
                                                       AssessmentFactors="1A"), row=2),
    Case("cin_more_than_one_open_assessment",
         lambda w: w.set("assessments", 0, AssessmentAuthorisationDate=None, AssessmentActualStartDate="2025-03-01")
         .drop("factors", 0).add("assessments", _row=1, cin_details_id=1, assessment_id=2,
                                 AssessmentActualStartDate="2025-03-10")),
    Case("cin_authorised_assessment_factors", lambda w: w.drop("factors", 0)),
    Case("cin_authorised_assessment_factors", lambda w: w.set("factors", 0, AssessmentFactors="99Z"),
         keep=lambda w: w.set("factors", 0, AssessmentFactors="2b")),
    Case("cin_factor_repeated", lambda w: w.add("factors", _row=1, cin_details_id=1, assessment_id=1,
                                                AssessmentFactors="1A")),
    Case("cin_factor_18a_retired", lambda w: w.set("factors", 0, AssessmentFactors="18A")),
    Case("cin_factor_19a_retired", lambda w: w.set("factors", 0, AssessmentFactors="19a")),
    Case("cin_section47_without_assessment", lambda w: w.drop("assessments", 0).drop("factors", 0)),
    # 2.13 section 47 and conferences
    Case("cin_section47_before_referral", lambda w: w.set("section47", 0, S47ActualStartDate="2024-04-30")),
    Case("cin_conference_before_referral",
         lambda w: w.set("section47", 0, DateOfInitialCPC="2024-04-30", S47ActualStartDate="2024-04-29")),
    Case("cin_conference_recorded_twice", lambda w: w.set("details", 0, DateOfInitialCPC="2024-06-25")),
    Case("cin_conference_before_enquiry", lambda w: w.set("section47", 0, S47ActualStartDate="2024-06-26")),
    Case("cin_enquiry_awaiting_conference",
         lambda w: w.set("section47", 0, DateOfInitialCPC=None, S47ActualStartDate="2025-03-07")
         .set("cpp", 0, CPPstartDate="2025-03-10", CPPendDate=None).drop("reviews").drop("plans")
         .set("details", 0, DateOfInitialCPC="2025-03-10"),
         keep=lambda w: w.set("section47", 0, DateOfInitialCPC=None, S47ActualStartDate="2025-03-10")
         .set("cpp", 0, CPPstartDate="2025-03-10", CPPendDate=None).drop("reviews").drop("plans")
         .set("details", 0, DateOfInitialCPC="2025-03-10")),
    Case("cin_conference_outside_period",
         lambda w: w.set("section47", 0, DateOfInitialCPC="2024-03-26", S47ActualStartDate="2024-03-20")
         .set("details", 0, CINreferralDate="2024-03-01")),
    Case("cin_open_enquiry_outside_period",
         lambda w: w.set("section47", 0, DateOfInitialCPC=None, S47ActualStartDate="2024-03-20")
         .set("details", 0, CINreferralDate="2024-03-01", DateOfInitialCPC="2024-06-25")),
    Case("cin_more_than_one_open_enquiry",
         lambda w: w.add("section47", _row=1, cin_details_id=1, S47ActualStartDate="2024-07-01",
                         ICPCnotRequired="false")
         .add("section47", _row=1, cin_details_id=1, S47ActualStartDate="2024-08-01", ICPCnotRequired="false"),
         keep=lambda w: w.add("section47", _row=1, cin_details_id=1, S47ActualStartDate="2024-07-01",
                              ICPCnotRequired="false")
         .add("section47", _row=1, cin_details_id=1, S47ActualStartDate="2024-08-01", ICPCnotRequired="TRUE")),
    Case("cin_closed_episode_open_enquiry",
         lambda w: w.add("section47", _row=2, cin_details_id=1, S47ActualStartDate="2024-05-01",
                         ICPCnotRequired="false"), row=2),
    Case("cin_conference_target_weekend", lambda w: w.set("section47", 0, InitialCPCtarget="2024-06-29")),
    Case("cin_conference_weekend",
         lambda w: w.set("section47", 0, DateOfInitialCPC="2024-06-29").set("cpp", 0, CPPstartDate="2024-06-29")),
    Case("cin_enquiries_overlap",
         lambda w: w.add("section47", _row=1, cin_details_id=1, S47ActualStartDate="2024-06-25",
                         DateOfInitialCPC="2024-07-02", ICPCnotRequired="false"),
         keep=lambda w: w.add("section47", _row=1, cin_details_id=1, S47ActualStartDate="2024-06-26",
                              ICPCnotRequired="true")),
    # 2.14 characteristics
    Case("cin_sex_invalid", lambda w: w.set("child", 0, Sex="1"), keep=lambda w: w.set("child", 0, Sex="f")),
    Case("cin_sex_unrecorded_share", lambda w: w.set("child", 0, Sex="U"), row=None),
    Case("cin_ethnicity_invalid", lambda w: w.set("child", 0, Ethnicity="WHITE"),
         keep=lambda w: w.set("child", 0, Ethnicity=" wbri ")),
]

CASES_2024 = [
    Case("cin_unborn_gender", lambda w: w.set("child", 0, PersonBirthDate=None, ExpectedPersonBirthDate="2024-05-01"),
         year=2024, keep=lambda w: w.set("child", 0, PersonBirthDate=None, ExpectedPersonBirthDate="2024-05-01",
                                         GenderCurrent="0")),
    Case("cin_gender_invalid", lambda w: w.set("child", 0, GenderCurrent="F"), year=2024),
    Case("cin_gender_unrecorded_share", lambda w: w.set("child", 0, GenderCurrent="0"), row=None, year=2024),
    Case("cin_upn_missing_at_school_age", lambda w: w.set("child", 0, UPN=None, PersonBirthDate="2018-03-31"),
         year=2024, keep=lambda w: w.set("child", 0, UPN=None, PersonBirthDate="2018-04-01")),
]


CASES_2027 = [
    Case("cin_no_preproceedings", lambda w: w.drop("preproceedings"), row=None, year=2027),
    Case("cin_no_preproceedings_start", lambda w: w.set("preproceedings", 0, PPStartDate=None), row=None, year=2027),
    Case("cin_preproceedings_start_outside_period", lambda w: w.set("preproceedings", 0, PPStartDate="2026-03-31"),
         year=2027, keep=lambda w: w.set("preproceedings", 0, PPStartDate="2026-04-01")),
    Case("cin_letter_before_proceedings_date", lambda w: w.set("preproceedings", 0, LBPSentDate="2026-05-31"),
         year=2027),
    Case("cin_letter_without_fgdm_offer", lambda w: w.set("preproceedings", 0, FGDMMeetingOffer=None,
                                                         FGDMMeetingFac=None), year=2027),
    Case("cin_initial_pp_meeting_outside_period",
         lambda w: w.set("preproceedings", 0, InitialPPMeetingDate="2027-04-01"), year=2027),
    Case("cin_step_decision_date", lambda w: w.set("preproceedings", 0, StepDecisionDate="2026-05-01"), year=2027),
    Case("cin_fgdm_offered_not_facilitated", lambda w: w.set("preproceedings", 0, FGDMMeetingFac=None), year=2027,
         keep=lambda w: w.set("preproceedings", 0, FGDMMeetingFac=None, FGDMMeetingOffer="0")),
    Case("cin_preproceedings_outcome_invalid", lambda w: w.set("preproceedings", 0, PPOutcome="D"), year=2027,
         keep=lambda w: w.set("preproceedings", 0, PPOutcome=None)),
    Case("cin_court_application_date", lambda w: w.set("preproceedings", 0, CourtAppDate="2026-08-31"), year=2027),
    Case("cin_care_proceedings_letter_date", lambda w: w.set("preproceedings", 0, LetterInitCPDate="2026-09-09"),
         year=2027),
    Case("cin_review_meetings_missing", lambda w: w.set("preproceedings", 0, ReviewMeetingsCount=None), year=2027),
]


def _hits(problems: pl.DataFrame, rule: str) -> pl.DataFrame:
    return problems.filter(pl.col("rule") == rule)


@pytest.mark.parametrize("case", CASES + CASES_2024 + CASES_2027, ids=str)
def test_rule_fires_on_the_breaking_record_only(case: Case) -> None:
    base = _BASELINES[case.year]()
    declared = DFE_RULES.get(case.rule)
    broken = _hits(_problems(case.breaks(base.copy()), case.year, case.la_code, case.rule), case.rule)
    assert broken.height >= 1, f"{case.rule} did not fire"
    assert set(broken.get_column("dfe_rule")) == {declared.code}
    assert set(broken.get_column("severity")) == {declared.severity}
    assert case.row in broken.get_column("row").to_list()
    if declared.table == "header" or declared.level == "la":
        assert set(broken.get_column("child_id")) == {None}
    elif case.row is not None:
        child = base.tables["child"][case.row - 1]["LAchildID"]
        expected = {r["LAchildID"] for r in case.breaks(base.copy()).tables["child"] if r["_row"] == case.row}
        assert set(broken.filter(pl.col("row") == case.row).get_column("child_id")) <= expected | {child}
    if case.keep is not None:
        assert _hits(_problems(case.keep(base.copy()), case.year, case.la_code, case.rule), case.rule).height == 0


def test_every_cin_rule_has_a_case() -> None:
    tested = {c.rule for c in CASES + CASES_2024 + CASES_2027}
    declared = {r.name for r in DFE_RULES.values() if r.return_name == "cin"}
    assert declared - tested == set()
