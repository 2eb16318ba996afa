"""CIN census rules on assessments, assessment factors, section 47 enquiries and initial child
protection conferences (reference §2.12, 2.13)."""

from __future__ import annotations

import polars as pl

from warehouse.codelists import get_codelist
from warehouse.validation.dfe.calendar import working_days_before
from warehouse.validation.dfe.frames import RuleInput
from warehouse.validation.dfe.patterns import exists_in, mixed, outside, overlaps, repeated, weekend
from warehouse.validation.dfe.rule import cin_rule

_EPISODE = ["_child", "cin_details_id"]
_ASSESSMENT = ["_child", "cin_details_id", "assessment_id"]
_START, _AUTH = pl.col("AssessmentActualStartDate"), pl.col("AssessmentAuthorisationDate")
_FACTOR = pl.col("AssessmentFactors")
_S47_START, _ICPC, _NOT_REQUIRED = pl.col("S47ActualStartDate"), pl.col("DateOfInitialCPC"), pl.col("ICPCnotRequired")
# an enquiry still waiting for its conference: no conference date and not marked "not required"
_AWAITING = _ICPC.is_null() & _NOT_REQUIRED.ne_missing(True)


def _before_referral(t: RuleInput, table: str, column: str) -> pl.DataFrame:
    frame = t.with_episode(table, ("CINreferralDate",))
    return frame.filter((pl.col(column) < pl.col("CINreferralDate")).fill_null(False)).select("_row", "child_id")


# --------------------------------------------------------------------------- 2.12 assessments


@cin_rule("1103", "cin_assessment_before_referral", ("assessments.AssessmentActualStartDate",
                                                     "details.CINreferralDate"),
          "The assessment starts before the referral date of its episode.")
def _1103(t: RuleInput) -> pl.DataFrame:
    return _before_referral(t, "assessments", "AssessmentActualStartDate")


@cin_rule("8608", "cin_assessment_authorised_before_start", ("assessments.AssessmentAuthorisationDate",
                                                             "assessments.AssessmentActualStartDate"),
          "The assessment is authorised before it starts.")
def _8608(t: RuleInput) -> pl.DataFrame:
    return t.rows("assessments", _AUTH < _START)


@cin_rule("8614", "cin_factors_without_authorisation", ("factors.AssessmentFactors",
                                                         "assessments.AssessmentAuthorisationDate"),
          "Factors are recorded on an assessment that has not been authorised (factors belong to completed "
          "assessments).", table="assessments")
def _8614(t: RuleInput) -> pl.DataFrame:
    a = exists_in(t.table("assessments"), t.table("factors"), _ASSESSMENT, "__f", where=_FACTOR.is_not_null())
    return a.filter(pl.col("__f") & _AUTH.is_null()).select("_row", "child_id")


@cin_rule("8670Q", "cin_assessment_long_running", ("assessments.AssessmentAuthorisationDate",
                                                   "assessments.AssessmentActualStartDate"),
          "An unauthorised assessment started more than 45 working days before the reference date.",
          field="AssessmentActualStartDate")
def _8670q(t: RuleInput) -> pl.DataFrame:
    return t.rows("assessments", _AUTH.is_null() & (_START < pl.lit(working_days_before(t.end, 45, t.year))))


@cin_rule("8696", "cin_authorisation_outside_period", ("assessments.AssessmentAuthorisationDate",),
          "The assessment's authorisation date is outside the census year.")
def _8696(t: RuleInput) -> pl.DataFrame:
    return t.rows("assessments", outside("AssessmentAuthorisationDate", t.start, t.end))


@cin_rule("8736", "cin_unauthorised_assessment_outside_period", ("assessments.AssessmentActualStartDate",
                                                                "assessments.AssessmentAuthorisationDate"),
          "An unauthorised assessment's start date is outside the census year.")
def _8736(t: RuleInput) -> pl.DataFrame:
    return t.rows("assessments", _AUTH.is_null() & outside("AssessmentActualStartDate", t.start, t.end))


@cin_rule("8863Q", "cin_assessments_overlap", ("assessments.AssessmentActualStartDate",
                                               "assessments.AssessmentAuthorisationDate"),
          "The assessment starts while another assessment of the same episode is running (assessments overlap).")
def _8863q(t: RuleInput) -> pl.DataFrame:
    s, s_b, a_b = _START, pl.col("AssessmentActualStartDate_b"), pl.col("AssessmentAuthorisationDate_b")
    inside = (s >= s_b) & ((s <= a_b) | (a_b.is_null() & (s <= pl.lit(t.end))))
    return overlaps(t.table("assessments"), _EPISODE, "AssessmentActualStartDate", inside)


@cin_rule("8867", "cin_closed_episode_open_assessment", ("details.CINclosureDate",
                                                         "assessments.AssessmentAuthorisationDate"),
          "The episode is closed but one of its assessments has not been authorised.")
def _8867(t: RuleInput) -> pl.DataFrame:
    d = exists_in(t.table("details"), t.table("assessments"), _EPISODE, "__open", where=_AUTH.is_null())
    return d.filter(pl.col("CINclosureDate").is_not_null() & pl.col("__open")).select("_row", "child_id")


@cin_rule("8869", "cin_no_factors_with_factor", ("factors.AssessmentFactors",),
          "Factor 21 (no factors identified) is recorded together with another factor on the same assessment.")
def _8869(t: RuleInput) -> pl.DataFrame:
    is21 = _FACTOR == "21"
    return mixed(t.table("factors"), _ASSESSMENT, is21, ~is21)


@cin_rule("8896", "cin_more_than_one_open_assessment", ("assessments.AssessmentAuthorisationDate",),
          "The episode has more than one assessment without an authorisation date.")
def _8896(t: RuleInput) -> pl.DataFrame:
    return repeated(t.table("assessments"), _EPISODE, _AUTH.is_null())


@cin_rule("8897Q", "cin_authorised_assessment_factors", ("assessments.AssessmentAuthorisationDate",
                                                         "factors.AssessmentFactors"),
          "An assessment authorised in the year has no factor, or a factor that is not a DfE code.",
          field="AssessmentFactors")
def _8897q(t: RuleInput) -> pl.DataFrame:
    codes = get_codelist("assessment_factors", 2024).codes  # the rule still accepts 18A and 19A (8945Q/8950Q)
    a = exists_in(t.table("assessments"), t.table("factors"), _ASSESSMENT, "__any", where=_FACTOR.is_not_null())
    a = exists_in(a, t.table("factors"), _ASSESSMENT, "__bad", where=_FACTOR.is_not_null() & ~_FACTOR.is_in(sorted(codes)))
    authorised = (_AUTH >= pl.lit(t.start)).fill_null(False)
    return a.filter(authorised & (~pl.col("__any") | pl.col("__bad"))).select("_row", "child_id")


@cin_rule("8898", "cin_factor_repeated", ("factors.AssessmentFactors",),
          "The same factor is recorded twice on one assessment.")
def _8898(t: RuleInput) -> pl.DataFrame:
    return repeated(t.table("factors"), [*_ASSESSMENT, "AssessmentFactors"], _FACTOR.is_not_null())


@cin_rule("8945Q", "cin_factor_18a_retired", ("factors.AssessmentFactors",),
          "Factor 18A is retired: use 18B (child on child) or 18C (adult on child) physical abuse.", first_year=2025)
def _8945q(t: RuleInput) -> pl.DataFrame:
    return t.rows("factors", _FACTOR == "18A")


@cin_rule("8950Q", "cin_factor_19a_retired", ("factors.AssessmentFactors",),
          "Factor 19A is retired: use 19B (child on child) or 19C (adult on child) sexual abuse.", first_year=2025)
def _8950q(t: RuleInput) -> pl.DataFrame:
    return t.rows("factors", _FACTOR == "19A")


@cin_rule("2991Q", "cin_section47_without_assessment", ("section47.S47ActualStartDate", "assessments._row"),
          "The episode has a section 47 enquiry but no assessment.", table="details", field=None)
def _2991q(t: RuleInput) -> pl.DataFrame:
    d = exists_in(t.table("details"), t.table("section47"), _EPISODE, "__s47")
    d = exists_in(d, t.table("assessments"), _EPISODE, "__a")
    return d.filter(pl.col("__s47") & ~pl.col("__a")).select("_row", "child_id")


# --------------------------------------------------------------------------- 2.13 section 47 and ICPC


@cin_rule("2889", "cin_section47_before_referral", ("section47.S47ActualStartDate", "details.CINreferralDate"),
          "The section 47 enquiry starts before the referral date of its episode.")
def _2889(t: RuleInput) -> pl.DataFrame:
    return _before_referral(t, "section47", "S47ActualStartDate")


@cin_rule("1104", "cin_conference_before_referral", ("section47.DateOfInitialCPC", "details.CINreferralDate"),
          "The initial child protection conference is dated before the referral date of its episode.")
def _1104(t: RuleInput) -> pl.DataFrame:
    return _before_referral(t, "section47", "DateOfInitialCPC")


@cin_rule("2884", "cin_conference_recorded_twice", ("details.DateOfInitialCPC", "section47.DateOfInitialCPC"),
          "The same initial conference is recorded on the episode and on a section 47 enquiry (record it once).")
def _2884(t: RuleInput) -> pl.DataFrame:
    s47 = t.table("section47").select(*_EPISODE, "DateOfInitialCPC").filter(_ICPC.is_not_null())
    return t.table("details").join(s47, on=[*_EPISODE, "DateOfInitialCPC"], how="semi").select("_row", "child_id")


@cin_rule("8615", "cin_conference_before_enquiry", ("section47.DateOfInitialCPC", "section47.S47ActualStartDate"),
          "The section 47 enquiry has a conference date but no start date, or starts after the conference.",
          field="S47ActualStartDate")
def _8615(t: RuleInput) -> pl.DataFrame:
    return t.rows("section47", _ICPC.is_not_null() & (_S47_START.is_null() | (_S47_START > _ICPC)))


@cin_rule("8675Q", "cin_enquiry_awaiting_conference", ("section47.DateOfInitialCPC", "section47.ICPCnotRequired",
                                                       "section47.S47ActualStartDate"),
          "A section 47 enquiry started more than 15 working days before the reference date has no conference "
          "and is not marked as needing none.", field="S47ActualStartDate")
def _8675q(t: RuleInput) -> pl.DataFrame:
    awaiting = _ICPC.is_null() & (_NOT_REQUIRED == pl.lit(False))
    return t.rows("section47", awaiting & (_S47_START < pl.lit(working_days_before(t.end, 15, t.year))))


@cin_rule("8715", "cin_conference_outside_period", ("section47.DateOfInitialCPC",),
          "The initial conference date is outside the census year.")
def _8715(t: RuleInput) -> pl.DataFrame:
    return t.rows("section47", outside("DateOfInitialCPC", t.start, t.end))


@cin_rule("8740", "cin_open_enquiry_outside_period", ("section47.DateOfInitialCPC", "section47.ICPCnotRequired",
                                                      "section47.S47ActualStartDate"),
          "A section 47 enquiry with no conference, not marked as needing none, started outside the census year.",
          field="S47ActualStartDate")
def _8740(t: RuleInput) -> pl.DataFrame:
    awaiting = _ICPC.is_null() & (_NOT_REQUIRED == pl.lit(False))
    return t.rows("section47", awaiting & outside("S47ActualStartDate", t.start, t.end))


@cin_rule("8839", "cin_more_than_one_open_enquiry", ("section47.DateOfInitialCPC", "section47.ICPCnotRequired"),
          "The episode has more than one section 47 enquiry still waiting for its conference.")
def _8839(t: RuleInput) -> pl.DataFrame:
    return repeated(t.table("section47"), _EPISODE, _AWAITING)


@cin_rule("8868", "cin_closed_episode_open_enquiry", ("details.CINclosureDate", "section47.DateOfInitialCPC",
                                                      "section47.ICPCnotRequired"),
          "The episode is closed but a section 47 enquiry in it has neither a conference date nor a "
          "'conference not required'.")
def _8868(t: RuleInput) -> pl.DataFrame:
    d = exists_in(t.table("details"), t.table("section47"), _EPISODE, "__open", where=_AWAITING)
    return d.filter(pl.col("CINclosureDate").is_not_null() & pl.col("__open")).select("_row", "child_id")


@cin_rule("8870Q", "cin_conference_target_weekend", ("section47.InitialCPCtarget",),
          "The target date for the initial conference falls on a Saturday or Sunday.")
def _8870q(t: RuleInput) -> pl.DataFrame:
    return t.rows("section47", weekend("InitialCPCtarget"))


@cin_rule("8875", "cin_conference_weekend", ("section47.DateOfInitialCPC",),
          "The initial conference date falls on a Saturday or Sunday.")
def _8875(t: RuleInput) -> pl.DataFrame:
    return t.rows("section47", weekend("DateOfInitialCPC"))


@cin_rule("8890", "cin_enquiries_overlap", ("section47.S47ActualStartDate", "section47.DateOfInitialCPC",
                                            "section47.ICPCnotRequired"),
          "The section 47 enquiry starts while another enquiry of the same episode is still open (enquiries "
          "overlap).")
def _8890(t: RuleInput) -> pl.DataFrame:
    s, s_b, c_b = _S47_START, pl.col("S47ActualStartDate_b"), pl.col("DateOfInitialCPC_b")
    open_b = c_b.is_null() & pl.col("ICPCnotRequired_b").ne_missing(True)
    inside = (s >= s_b) & ((s <= c_b) | (open_b & (s <= pl.lit(t.end))))
    return overlaps(t.table("section47"), _EPISODE, "S47ActualStartDate", inside)
