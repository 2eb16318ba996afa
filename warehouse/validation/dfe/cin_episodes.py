"""CIN census rules on episodes (CINdetails): referral and closure, continuity and overlaps, death,
no-further-action referrals and cases closed after assessment (reference §2.3, 2.6, 2.7, 2.11)."""

from __future__ import annotations

from datetime import date

import polars as pl

from warehouse.codelists import get_codelist
from warehouse.validation.dfe.calendar import working_days_before
from warehouse.validation.dfe.frames import RuleInput
from warehouse.validation.dfe.patterns import NO_ROWS, exists_in, in_codes, outside, overlaps, repeated
from warehouse.validation.dfe.rule import cin_rule

_EPISODE = ["_child", "cin_details_id"]
_REF, _CLOSE, _NFA, _RFC = (pl.col(c) for c in ("CINreferralDate", "CINclosureDate", "ReferralNFA", "ReasonForClosure"))
_ACTIVE = (_NFA == pl.lit(False)).fill_null(False)
_NFA_TRUE = (_NFA == pl.lit(True)).fill_null(False)
_CLOSED_AFTER_ASSESSMENT = in_codes("ReasonForClosure", {"RC8", "RC9"})


def _with_module(t: RuleInput, frame: pl.DataFrame, module: str, name: str, where: pl.Expr | None = None
                 ) -> pl.DataFrame:
    """``frame`` (episode rows) with ``name``: the episode has a row in ``module`` (matching ``where``)."""
    if module not in t.tables:
        return frame.with_columns(pl.lit(False).alias(name))
    return exists_in(frame, t.table(module), _EPISODE, name, where=where)


@cin_rule("8590", "cin_child_without_episode", ("child.LAchildID", "details.CINreferralDate"),
          "The child has no CIN episode (CINdetails).", field=None)
def _8590(t: RuleInput) -> pl.DataFrame:
    child = exists_in(t.table("child"), t.table("details"), ["_child"], "__has")
    return child.filter(~pl.col("__has")).select("_row", "child_id")


@cin_rule("8600", "cin_referral_missing_or_late", ("details.CINreferralDate",),
          "The referral date is missing or after the reference date.")
def _8600(t: RuleInput) -> pl.DataFrame:
    return t.rows("details", _REF.is_null() | (_REF > pl.lit(t.end)))


@cin_rule("8620", "cin_closure_outside_period", ("details.CINclosureDate",),
          "The closure date is outside the census year.")
def _8620(t: RuleInput) -> pl.DataFrame:
    return t.rows("details", outside("CINclosureDate", t.start, t.end))


@cin_rule("8630", "cin_closure_before_referral", ("details.CINclosureDate", "details.CINreferralDate"),
          "The closure date is before the referral date of the same episode.")
def _8630(t: RuleInput) -> pl.DataFrame:
    return t.rows("details", _CLOSE < _REF)


@cin_rule("8805", "cin_closure_without_reason", ("details.CINclosureDate", "details.ReasonForClosure"),
          "A closure date is given without a reason for closure.")
def _8805(t: RuleInput) -> pl.DataFrame:
    return t.rows("details", _CLOSE.is_not_null() & _RFC.is_null())


@cin_rule("8810", "cin_reason_without_closure", ("details.ReasonForClosure", "details.CINclosureDate"),
          "A reason for closure is given without a closure date.")
def _8810(t: RuleInput) -> pl.DataFrame:
    return t.rows("details", _RFC.is_not_null() & _CLOSE.is_null())


@cin_rule("8640", "cin_reason_for_closure_invalid", ("details.ReasonForClosure",),
          "The reason for closure is not one of RC1 to RC9.")
def _8640(t: RuleInput) -> pl.DataFrame:
    return t.rows("details", _RFC.is_not_null() & ~in_codes("ReasonForClosure", get_codelist("reason_for_closure", t.year).codes))


@cin_rule("8650", "cin_primary_need_invalid", ("details.PrimaryNeedCode",),
          "The primary need code is not one of N0 to N9.")
def _8650(t: RuleInput) -> pl.DataFrame:
    codes = get_codelist("primary_need", t.year).codes
    return t.rows("details", pl.col("PrimaryNeedCode").is_not_null() & ~in_codes("PrimaryNeedCode", codes))


@cin_rule("8866", "cin_referral_source_invalid", ("details.ReferralSource", "details.CINreferralDate"),
          "The referral source is missing or not one of the 22 DfE codes (required from 1 April 2013).")
def _8866(t: RuleInput) -> pl.DataFrame:
    codes = get_codelist("referral_source", t.year).codes
    return t.rows("details", (_REF >= pl.lit(date(2013, 4, 1))) & ~in_codes("ReferralSource", codes))


@cin_rule("8815", "cin_more_than_one_open_episode", ("details.CINclosureDate", "details.ReferralNFA"),
          "The child has more than one open episode that led to further action.")
def _8815(t: RuleInput) -> pl.DataFrame:
    open_active = _CLOSE.is_null() & _ACTIVE
    return repeated(t.table("details"), ["_child"], open_active)


@cin_rule("8816", "cin_open_episode_not_latest",
          ("details.CINreferralDate", "details.CINclosureDate", "details.ReferralNFA"),
          "An open episode that led to further action is not the child's latest referral.")
def _8816(t: RuleInput) -> pl.DataFrame:
    details = t.table("details")
    per_child = details.group_by("_child").agg(_REF.max().alias("__latest"))
    details = details.join(per_child, on="_child", how="left")
    stale = (_CLOSE.is_null() & _ACTIVE & (_REF < pl.col("__latest"))).fill_null(False)
    children = details.filter(stale).select("_child").unique()
    flagged = details.join(children, on="_child", how="semi")
    return flagged.filter(stale | (_REF == pl.col("__latest")).fill_null(False)).select("_row", "child_id")


@cin_rule("8820", "cin_episodes_overlap", ("details.CINreferralDate", "details.CINclosureDate", "details.ReferralNFA"),
          "The referral falls inside another episode of the same child (episodes overlap).")
def _8820(t: RuleInput) -> pl.DataFrame:
    ref, ref_b, close_b = _REF, pl.col("CINreferralDate_b"), pl.col("CINclosureDate_b")
    open_active_b = close_b.is_null() & (pl.col("ReferralNFA_b") == pl.lit(False))
    inside = (ref >= ref_b) & ((ref < close_b) | (open_active_b & (ref < pl.lit(t.end))))
    return overlaps(t.table("details"), ["_child"], "CINreferralDate", inside)


_ACTIVITY = (
    ("assessments", ("AssessmentActualStartDate", "AssessmentAuthorisationDate")),
    ("section47", ("S47ActualStartDate", "DateOfInitialCPC")),
    ("cpp", ("CPPendDate",)),
    ("plans", ("CINPlanStartDate", "CINPlanEndDate")),
)


@cin_rule("8565", "cin_activity_after_closure", ("details.CINclosureDate",),
          "The episode closes before an assessment, section 47 enquiry, conference or plan date in it.")
def _8565(t: RuleInput) -> pl.DataFrame:
    dates = [t.table("details").select(*_EPISODE, pl.col("DateOfInitialCPC").alias("__d"))
             if "DateOfInitialCPC" in t.table("details").columns else None]
    for module, columns in _ACTIVITY:
        frame = t.tables.get(module)
        dates += [frame.select(*_EPISODE, pl.col(c).alias("__d")) for c in columns
                  if frame is not None and c in frame.columns]
    present = [d for d in dates if d is not None]
    if not present:
        return NO_ROWS
    latest = pl.concat(present).group_by(_EPISODE).agg(pl.col("__d").max().alias("__latest"))
    details = t.table("details").join(latest, on=_EPISODE, how="left")
    return details.filter((_CLOSE < pl.col("__latest")).fill_null(False)).select("_row", "child_id")


@cin_rule("8606", "cin_referral_long_before_birth", ("details.CINreferralDate", "child.PersonBirthDate",
                                                     "child.ExpectedPersonBirthDate"),
          "The referral is dated more than 40 weeks (280 days) before the date of birth or expected date of birth.")
def _8606(t: RuleInput) -> pl.DataFrame:
    details = t.with_child("details", ("PersonBirthDate", "ExpectedPersonBirthDate"))
    early = [(_REF < pl.col(c) - pl.duration(days=280)).fill_null(False)
             for c in ("PersonBirthDate", "ExpectedPersonBirthDate")]
    return details.filter(early[0] | early[1]).select("_row", "child_id")


# --------------------------------------------------------------------------- 2.6 death


@cin_rule("8555Q", "cin_referral_after_death", ("details.CINreferralDate", "child.PersonDeathDate"),
          "The referral is dated after the child's death.")
def _8555q(t: RuleInput) -> pl.DataFrame:
    details = t.with_child("details", ("PersonDeathDate",))
    return details.filter((_REF > pl.col("PersonDeathDate")).fill_null(False)).select("_row", "child_id")


@cin_rule("8585Q", "cin_closed_died_without_death_date", ("details.ReasonForClosure", "child.PersonDeathDate"),
          "The episode closed because the child died (RC2) but no date of death is recorded.")
def _8585q(t: RuleInput) -> pl.DataFrame:
    details = t.with_child("details", ("PersonDeathDate",))
    return details.filter((_RFC == "RC2").fill_null(False) & pl.col("PersonDeathDate").is_null()).select(
        "_row", "child_id")


# --------------------------------------------------------------------------- 2.7 no further action


@cin_rule("8568", "cin_referral_nfa_invalid", ("details.ReferralNFA",),
          "Whether the referral led to no further action is missing or not one of true, false, 1 and 0.")
def _8568(t: RuleInput) -> pl.DataFrame:
    return t.rows("details", _NFA.is_null())


@cin_rule("8569Q", "cin_carried_over_referral_nfa", ("details.CINreferralDate", "details.ReferralNFA"),
          "A referral from before the census year is marked as no further action (a case carried over cannot be).")
def _8569q(t: RuleInput) -> pl.DataFrame:
    cutoff = working_days_before(t.start, 1, t.year)
    return t.rows("details", (_REF < pl.lit(cutoff)) & _NFA_TRUE)


@cin_rule("8610", "cin_primary_need_missing", ("details.ReferralNFA", "details.PrimaryNeedCode"),
          "A referral that led to further action has no primary need code.", field="PrimaryNeedCode")
def _8610(t: RuleInput) -> pl.DataFrame:
    return t.rows("details", _ACTIVE & pl.col("PrimaryNeedCode").is_null())


@cin_rule("8831", "cin_nfa_with_activity", ("details.ReferralNFA",),
          "A referral marked no further action has an assessment, section 47 enquiry or conference date.")
def _8831(t: RuleInput) -> pl.DataFrame:
    details = t.table("details")
    icpc = pl.col("DateOfInitialCPC").is_not_null() if "DateOfInitialCPC" in details.columns else pl.lit(False)
    any_date = [pl.col(c).is_not_null() for c in ("AssessmentActualStartDate", "AssessmentAuthorisationDate")
                if "assessments" in t.tables and c in t.table("assessments").columns]
    details = _with_module(t, details, "assessments", "__a", pl.any_horizontal(any_date) if any_date else None)
    s47 = [pl.col(c).is_not_null() for c in ("S47ActualStartDate", "DateOfInitialCPC")
           if "section47" in t.tables and c in t.table("section47").columns]
    details = _with_module(t, details, "section47", "__s", pl.any_horizontal(s47) if s47 else None)
    return details.filter(_NFA_TRUE & (icpc | pl.col("__a") | pl.col("__s"))).select("_row", "child_id")


@cin_rule("8832", "cin_nfa_with_cpp", ("details.ReferralNFA", "cpp.CPPstartDate"),
          "A referral marked no further action has a child protection plan.")
def _8832(t: RuleInput) -> pl.DataFrame:
    details = _with_module(t, t.table("details"), "cpp", "__cpp")
    return details.filter(_NFA_TRUE & pl.col("__cpp")).select("_row", "child_id")


@cin_rule("4000", "cin_nfa_with_plan", ("details.ReferralNFA", "plans.CINPlanStartDate"),
          "A referral marked no further action has a child in need plan.")
def _4000(t: RuleInput) -> pl.DataFrame:
    details = _with_module(t, t.table("details"), "plans", "__plan")
    return details.filter(_NFA_TRUE & pl.col("__plan")).select("_row", "child_id")


# --------------------------------------------------------------------------- 2.11 closed after assessment


@cin_rule("2990", "cin_closed_after_assessment_with_activity", ("details.ReasonForClosure",),
          "A case closed after assessment (RC8 or RC9) has a section 47 enquiry, protection plan, CIN plan or "
          "conference.")
def _2990(t: RuleInput) -> pl.DataFrame:
    details = t.table("details")
    for module, name in (("section47", "__s"), ("cpp", "__c"), ("plans", "__p")):
        details = _with_module(t, details, module, name)
    icpc = pl.col("DateOfInitialCPC").is_not_null() if "DateOfInitialCPC" in details.columns else pl.lit(False)
    activity = pl.col("__s") | pl.col("__c") | pl.col("__p") | icpc
    return details.filter(_CLOSED_AFTER_ASSESSMENT & activity).select("_row", "child_id")


@cin_rule("8825Q", "cin_closed_after_assessment_without_one", ("details.ReasonForClosure", "assessments._row"),
          "A case closed after assessment (RC8 or RC9) has no assessment.")
def _8825q(t: RuleInput) -> pl.DataFrame:
    details = _with_module(t, t.table("details"), "assessments", "__a")
    return details.filter(_CLOSED_AFTER_ASSESSMENT & ~pl.col("__a")).select("_row", "child_id")


@cin_rule("8873Q", "cin_no_factors_but_open", ("factors.AssessmentFactors", "details.ReasonForClosure",
                                                "assessments._row"),
          "The episode's only assessment found no factors (21) but the case did not close after assessment "
          "(RC8 or RC9).", table="details", field="ReasonForClosure")
def _8873q(t: RuleInput) -> pl.DataFrame:
    assessments = t.table("assessments").group_by(_EPISODE).agg(pl.len().alias("__n"))
    details = t.table("details").join(assessments, on=_EPISODE, how="left")
    details = _with_module(t, details, "factors", "__21", where=pl.col("AssessmentFactors") == "21")
    bad = (pl.col("__n") == 1) & pl.col("__21") & ~_CLOSED_AFTER_ASSESSMENT
    return details.filter(bad.fill_null(False)).select("_row", "child_id")
