"""Draft CIN census rules for 2026-27: pre-proceedings and family group decision making (module 5,
reference §2.15). DfE's final wording is not yet published: these follow the reference's reading of the
draft (including its corrections of 9000Q, 9007 and 9011) and apply only from collection year 2027.
They read a ``preproceedings`` table (one row per PreProceedingsandFGDM block, with ``_row`` and
``cin_details_id`` like the other CIN module tables)."""

from __future__ import annotations

import polars as pl

from warehouse.validation.dfe.frames import RuleInput
from warehouse.validation.dfe.patterns import NO_ROWS, outside
from warehouse.validation.dfe.rule import cin_rule

_FROM = 2027
_DRAFT = " (draft 2026-27 rule)"


def _outside_or_before(t: RuleInput, column: str, earlier: str) -> pl.DataFrame:
    c = pl.col(column)
    return t.rows("preproceedings", outside(column, t.start, t.end) | (c < pl.col(earlier)))


@cin_rule("8995Q", "cin_no_preproceedings", ("preproceedings._row",),
          "No child in the return has a pre-proceedings record." + _DRAFT, level="la", field=None, first_year=_FROM)
def _8995q(t: RuleInput) -> pl.DataFrame:
    pp = t.table("preproceedings")
    return t.table("child").head(1).select("_row", "child_id") if pp.height == 0 and "child" in t.tables else NO_ROWS


@cin_rule("9000Q", "cin_no_preproceedings_start", ("preproceedings.PPStartDate",),
          "No pre-proceedings start date is recorded anywhere in the return." + _DRAFT, level="la", first_year=_FROM)
def _9000q(t: RuleInput) -> pl.DataFrame:
    pp = t.table("preproceedings")
    if pp.get_column("PPStartDate").drop_nulls().len() or "child" not in t.tables:
        return NO_ROWS
    return t.table("child").head(1).select("_row", "child_id")


@cin_rule("9005", "cin_preproceedings_start_outside_period", ("preproceedings.PPStartDate",),
          "The pre-proceedings start date is outside the census year." + _DRAFT, first_year=_FROM)
def _9005(t: RuleInput) -> pl.DataFrame:
    return t.rows("preproceedings", outside("PPStartDate", t.start, t.end))


@cin_rule("9006", "cin_letter_before_proceedings_date", ("preproceedings.LBPSentDate", "preproceedings.PPStartDate"),
          "The letter before proceedings is dated outside the census year or before pre-proceedings started."
          + _DRAFT, first_year=_FROM)
def _9006(t: RuleInput) -> pl.DataFrame:
    return _outside_or_before(t, "LBPSentDate", "PPStartDate")


@cin_rule("9007", "cin_letter_without_fgdm_offer", ("preproceedings.LBPSentDate", "preproceedings.FGDMMeetingOffer"),
          "A letter before proceedings was sent but whether a family group meeting was offered is missing."
          + _DRAFT, field="FGDMMeetingOffer", first_year=_FROM)
def _9007(t: RuleInput) -> pl.DataFrame:
    return t.rows("preproceedings", pl.col("LBPSentDate").is_not_null() & pl.col("FGDMMeetingOffer").is_null())


@cin_rule("9008", "cin_initial_pp_meeting_outside_period", ("preproceedings.InitialPPMeetingDate",),
          "The first pre-proceedings meeting is dated outside the census year." + _DRAFT, first_year=_FROM)
def _9008(t: RuleInput) -> pl.DataFrame:
    return t.rows("preproceedings", outside("InitialPPMeetingDate", t.start, t.end))


@cin_rule("9009", "cin_step_decision_date", ("preproceedings.StepDecisionDate", "preproceedings.PPStartDate"),
          "The decision to step up or down is dated outside the census year or before pre-proceedings started."
          + _DRAFT, first_year=_FROM)
def _9009(t: RuleInput) -> pl.DataFrame:
    return _outside_or_before(t, "StepDecisionDate", "PPStartDate")


@cin_rule("9010Q", "cin_fgdm_offered_not_facilitated", ("preproceedings.FGDMMeetingOffer",
                                                        "preproceedings.FGDMMeetingFac"),
          "A family group meeting was offered but whether it was facilitated is missing." + _DRAFT,
          field="FGDMMeetingFac", first_year=_FROM)
def _9010q(t: RuleInput) -> pl.DataFrame:
    offered = pl.col("FGDMMeetingOffer").cast(pl.String).str.strip_chars().str.to_lowercase().is_in(["1", "true"])
    return t.rows("preproceedings", offered & pl.col("FGDMMeetingFac").is_null())


@cin_rule("9011", "cin_preproceedings_outcome_invalid", ("preproceedings.PPOutcome",),
          "The pre-proceedings outcome is not A, B or C." + _DRAFT, first_year=_FROM)
def _9011(t: RuleInput) -> pl.DataFrame:
    return t.rows("preproceedings", pl.col("PPOutcome").is_not_null() & ~pl.col("PPOutcome").is_in(["A", "B", "C"]))


@cin_rule("9012", "cin_court_application_date", ("preproceedings.CourtAppDate", "preproceedings.StepDecisionDate"),
          "The court application is dated outside the census year or before the decision to step up." + _DRAFT,
          first_year=_FROM)
def _9012(t: RuleInput) -> pl.DataFrame:
    return _outside_or_before(t, "CourtAppDate", "StepDecisionDate")


@cin_rule("9013", "cin_care_proceedings_letter_date", ("preproceedings.LetterInitCPDate",
                                                       "preproceedings.CourtAppDate"),
          "The letter initiating care proceedings is dated outside the census year or before the court "
          "application." + _DRAFT, first_year=_FROM)
def _9013(t: RuleInput) -> pl.DataFrame:
    return _outside_or_before(t, "LetterInitCPDate", "CourtAppDate")


@cin_rule("9015Q", "cin_review_meetings_missing", ("preproceedings.InitialPPMeetingDate",
                                                   "preproceedings.ReviewMeetingsCount"),
          "A first pre-proceedings meeting is recorded but the number of review meetings is missing." + _DRAFT,
          field="ReviewMeetingsCount", first_year=_FROM)
def _9015q(t: RuleInput) -> pl.DataFrame:
    return t.rows("preproceedings", pl.col("InitialPPMeetingDate").is_not_null()
                  & pl.col("ReviewMeetingsCount").is_null())
