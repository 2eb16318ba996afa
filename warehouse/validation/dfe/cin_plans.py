"""CIN census rules on child protection plans, CIN plans and protection-plan reviews (reference §2.4,
2.5, 2.6, 2.9): dates, overlaps within the child, plans running at the same time, death."""

from __future__ import annotations

import polars as pl

from warehouse.codelists import get_codelist
from warehouse.validation.dfe.frames import RuleInput
from warehouse.validation.dfe.patterns import NO_ROWS, in_codes, outside, overlaps, repeated
from warehouse.validation.dfe.rule import cin_rule

_EPISODE = ["_child", "cin_details_id"]
_CPP_START, _CPP_END = pl.col("CPPstartDate"), pl.col("CPPendDate")
_PLAN_START, _PLAN_END = pl.col("CINPlanStartDate"), pl.col("CINPlanEndDate")


def _before_referral(t: RuleInput, table: str, column: str) -> pl.DataFrame:
    frame = t.with_episode(table, ("CINreferralDate",))
    return frame.filter((pl.col(column) < pl.col("CINreferralDate")).fill_null(False)).select("_row", "child_id")


def _after_death(t: RuleInput, table: str, column: str) -> pl.DataFrame:
    frame = t.with_child(table, ("PersonDeathDate",))
    return frame.filter((pl.col(column) > pl.col("PersonDeathDate")).fill_null(False)).select("_row", "child_id")


def _interval_overlap(t: RuleInput, table: str, start: str, end: str) -> pl.DataFrame:
    """Rows starting on or after another row's start and on or before its end (or the reference date)."""
    s, s_b, e_b = pl.col(start), pl.col(f"{start}_b"), pl.col(f"{end}_b")
    inside = (s >= s_b) & ((s <= e_b) | (e_b.is_null() & (s <= pl.lit(t.end))))
    return overlaps(t.table(table), ["_child"], start, inside)


def _starts_during(t: RuleInput, table: str, start: str, other: str, other_start: str, other_end: str
                   ) -> pl.DataFrame:
    """Rows of ``table`` starting on or after a row of ``other`` starts and before it ends (open: on or
    before the reference date), within the same child."""
    a = t.table(table).with_row_index("__i").filter(pl.col(start).is_not_null())
    b = t.table(other).select("_child", pl.col(other_start).alias("__bs"), pl.col(other_end).alias("__be"))
    pairs = a.join(b, on="_child", how="inner")
    s = pl.col(start)
    inside = (s >= pl.col("__bs")) & ((s < pl.col("__be")) | (pl.col("__be").is_null() & (s <= pl.lit(t.end))))
    return pairs.filter(inside.fill_null(False)).unique("__i", maintain_order=True).select("_row", "child_id")


# --------------------------------------------------------------------------- 2.4 protection plans


@cin_rule("1105", "cin_cpp_before_referral", ("cpp.CPPstartDate", "details.CINreferralDate"),
          "The child protection plan starts before the referral date of its episode.")
def _1105(t: RuleInput) -> pl.DataFrame:
    return _before_referral(t, "cpp", "CPPstartDate")


def _icpc_dates(t: RuleInput) -> list[pl.DataFrame]:
    out = []
    for name in ("details", "section47"):
        frame = t.tables.get(name)
        if frame is not None and "DateOfInitialCPC" in frame.columns:
            out.append(frame.select(*_EPISODE, pl.col("DateOfInitialCPC")))
    return out


@cin_rule("2883", "cin_more_cpps_than_conferences", ("cpp.CPPstartDate",),
          "Across the return more protection plans start in the year than initial conferences are recorded.",
          level="la")
def _2883(t: RuleInput) -> pl.DataFrame:
    cpp = t.table("cpp")
    plans = cpp.filter(pl.col("CPPstartDate").is_between(pl.lit(t.start), pl.lit(t.end))).height
    conferences = sum(f.filter(pl.col("DateOfInitialCPC").is_between(pl.lit(t.start), pl.lit(t.end))).height
                      for f in _icpc_dates(t))
    return cpp.head(1).select("_row", "child_id") if plans > conferences else NO_ROWS


@cin_rule("2885", "cin_cpp_start_not_conference_date", ("cpp.CPPstartDate", "details.DateOfInitialCPC"),
          "A protection plan starting in the year does not start on the date of an initial conference in its "
          "episode.")
def _2885(t: RuleInput) -> pl.DataFrame:
    cpp = t.table("cpp").with_row_index("__i")
    s47 = t.tables.get("section47")
    if s47 is not None and "DateOfInitialCPC" in s47.columns:
        required = (pl.col("ICPCnotRequired").ne_missing(True) if "ICPCnotRequired" in s47.columns else pl.lit(True))
        s47_dates = s47.filter(required).select(*_EPISODE, pl.col("DateOfInitialCPC").alias("__c"))
        has_s47 = s47.select(_EPISODE).unique()
    else:
        s47_dates = pl.DataFrame(schema={"_child": pl.Int64, "cin_details_id": pl.Int64, "__c": pl.Date})
        has_s47 = s47_dates.select(_EPISODE)
    details = t.table("details").join(has_s47, on=_EPISODE, how="anti")
    detail_dates = details.select(*_EPISODE, pl.col("DateOfInitialCPC").alias("__c"))
    dates = pl.concat([s47_dates, detail_dates.cast({"__c": pl.Date})]).filter(pl.col("__c").is_not_null())
    matched = cpp.join(dates, left_on=[*_EPISODE, "CPPstartDate"], right_on=[*_EPISODE, "__c"], how="semi")
    in_year = pl.col("CPPstartDate").is_between(pl.lit(t.start), pl.lit(t.end)).fill_null(False)
    return cpp.filter(in_year).join(matched.select("__i"), on="__i", how="anti").select("_row", "child_id")


@cin_rule("8720", "cin_cpp_start_missing_or_late", ("cpp.CPPstartDate",),
          "The protection plan's start date is missing or after the reference date.")
def _8720(t: RuleInput) -> pl.DataFrame:
    return t.rows("cpp", _CPP_START.is_null() | (_CPP_START > pl.lit(t.end)))


@cin_rule("8730", "cin_previous_plans_invalid", ("cpp.NumberOfPreviousCPP",),
          "The number of previous protection plans is missing or not a whole number of 0 or more.")
def _8730(t: RuleInput) -> pl.DataFrame:
    n = pl.col("NumberOfPreviousCPP").cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False)
    return t.rows("cpp", n.is_null() | (n < 0))


@cin_rule("8840", "cin_cpp_one_day", ("cpp.CPPstartDate", "cpp.CPPendDate"),
          "The protection plan starts and ends on the same day.", field="CPPendDate")
def _8840(t: RuleInput) -> pl.DataFrame:
    return t.rows("cpp", _CPP_START == _CPP_END)


@cin_rule("8905", "cin_initial_category_invalid", ("cpp.InitialCategoryOfAbuse",),
          "The initial category of abuse is missing or not one of NEG, PHY, SAB, EMO and MUL.")
def _8905(t: RuleInput) -> pl.DataFrame:
    return t.rows("cpp", ~in_codes("InitialCategoryOfAbuse", get_codelist("category_of_abuse", t.year).codes))


@cin_rule("8910", "cin_latest_category_invalid", ("cpp.LatestCategoryOfAbuse",),
          "The latest category of abuse is missing or not one of NEG, PHY, SAB, EMO and MUL.")
def _8910(t: RuleInput) -> pl.DataFrame:
    return t.rows("cpp", ~in_codes("LatestCategoryOfAbuse", get_codelist("category_of_abuse", t.year).codes))


@cin_rule("8925", "cin_cpp_ends_before_start", ("cpp.CPPendDate", "cpp.CPPstartDate"),
          "The protection plan ends before it starts.")
def _8925(t: RuleInput) -> pl.DataFrame:
    return t.rows("cpp", _CPP_END < _CPP_START)


@cin_rule("8930", "cin_cpp_end_outside_period", ("cpp.CPPendDate",),
          "The protection plan's end date is outside the census year.")
def _8930(t: RuleInput) -> pl.DataFrame:
    return t.rows("cpp", outside("CPPendDate", t.start, t.end))


@cin_rule("8935", "cin_more_than_one_open_cpp", ("cpp.CPPendDate",),
          "The child has more than one protection plan with no end date.")
def _8935(t: RuleInput) -> pl.DataFrame:
    return repeated(t.table("cpp"), ["_child"], _CPP_END.is_null())


@cin_rule("8940", "cin_cpps_overlap", ("cpp.CPPstartDate", "cpp.CPPendDate"),
          "The protection plan starts while another of the child's plans is running (plans overlap).",
          field="CPPstartDate")
def _8940(t: RuleInput) -> pl.DataFrame:
    return _interval_overlap(t, "cpp", "CPPstartDate", "CPPendDate")


# --------------------------------------------------------------------------- 2.5 CIN plans


@cin_rule("4015", "cin_plan_before_referral", ("plans.CINPlanStartDate", "details.CINreferralDate"),
          "The CIN plan starts before the referral date of its episode.")
def _4015(t: RuleInput) -> pl.DataFrame:
    return _before_referral(t, "plans", "CINPlanStartDate")


@cin_rule("4010", "cin_plan_start_missing_or_late", ("plans.CINPlanStartDate",),
          "The CIN plan's start date is missing or after the reference date.")
def _4010(t: RuleInput) -> pl.DataFrame:
    return t.rows("plans", _PLAN_START.is_null() | (_PLAN_START > pl.lit(t.end)))


@cin_rule("4011", "cin_plan_ends_before_start", ("plans.CINPlanEndDate", "plans.CINPlanStartDate"),
          "The CIN plan ends before it starts.")
def _4011(t: RuleInput) -> pl.DataFrame:
    return t.rows("plans", _PLAN_END < _PLAN_START)


@cin_rule("4012Q", "cin_plan_one_day", ("plans.CINPlanStartDate", "plans.CINPlanEndDate"),
          "The CIN plan starts and ends on the same day.", field="CINPlanEndDate")
def _4012q(t: RuleInput) -> pl.DataFrame:
    return t.rows("plans", _PLAN_START == _PLAN_END)


@cin_rule("4013", "cin_plan_end_outside_period", ("plans.CINPlanEndDate",),
          "The CIN plan's end date is outside the census year.")
def _4013(t: RuleInput) -> pl.DataFrame:
    return t.rows("plans", outside("CINPlanEndDate", t.start, t.end))


@cin_rule("4004", "cin_more_than_one_open_plan", ("plans.CINPlanEndDate",),
          "The episode has more than one CIN plan with no end date.")
def _4004(t: RuleInput) -> pl.DataFrame:
    return repeated(t.table("plans"), _EPISODE, _PLAN_END.is_null())


@cin_rule("4014", "cin_plans_overlap", ("plans.CINPlanStartDate", "plans.CINPlanEndDate"),
          "The CIN plan starts while another of the child's CIN plans is running (plans overlap).",
          field="CINPlanStartDate")
def _4014(t: RuleInput) -> pl.DataFrame:
    return _interval_overlap(t, "plans", "CINPlanStartDate", "CINPlanEndDate")


@cin_rule("4001", "cin_open_plan_and_cpp", ("plans.CINPlanEndDate", "cpp.CPPendDate"),
          "The episode has an open CIN plan and an open child protection plan at the same time.")
def _4001(t: RuleInput) -> pl.DataFrame:
    open_cpp = t.table("cpp").filter(_CPP_END.is_null() & _CPP_START.is_not_null()).select(_EPISODE).unique()
    plans = t.table("plans").filter(_PLAN_END.is_null() & _PLAN_START.is_not_null())
    return plans.join(open_cpp, on=_EPISODE, how="semi").select("_row", "child_id")


@cin_rule("4016", "cin_plan_during_cpp",
          ("plans.CINPlanStartDate", "cpp.CPPstartDate", "cpp.CPPendDate"),
          "The CIN plan starts while a child protection plan is running.")
def _4016(t: RuleInput) -> pl.DataFrame:
    return _starts_during(t, "plans", "CINPlanStartDate", "cpp", "CPPstartDate", "CPPendDate")


@cin_rule("4017", "cin_cpp_during_plan",
          ("cpp.CPPstartDate", "plans.CINPlanStartDate", "plans.CINPlanEndDate"),
          "The child protection plan starts while a CIN plan is running.")
def _4017(t: RuleInput) -> pl.DataFrame:
    return _starts_during(t, "cpp", "CPPstartDate", "plans", "CINPlanStartDate", "CINPlanEndDate")


# --------------------------------------------------------------------------- 2.6 death


@cin_rule("4008", "cin_plan_after_death", ("plans.CINPlanStartDate", "child.PersonDeathDate"),
          "The CIN plan starts after the child's death.")
def _4008(t: RuleInput) -> pl.DataFrame:
    return _after_death(t, "plans", "CINPlanStartDate")


@cin_rule("4009Q", "cin_plan_ends_after_death", ("plans.CINPlanEndDate", "child.PersonDeathDate"),
          "The CIN plan ends after the child's death.")
def _4009q(t: RuleInput) -> pl.DataFrame:
    return _after_death(t, "plans", "CINPlanEndDate")


@cin_rule("8915", "cin_cpp_after_death", ("cpp.CPPstartDate", "child.PersonDeathDate"),
          "The child protection plan starts after the child's death.")
def _8915(t: RuleInput) -> pl.DataFrame:
    return _after_death(t, "cpp", "CPPstartDate")


@cin_rule("8920", "cin_cpp_ends_after_death", ("cpp.CPPendDate", "child.PersonDeathDate"),
          "The child protection plan ends after the child's death.")
def _8920(t: RuleInput) -> pl.DataFrame:
    return _after_death(t, "cpp", "CPPendDate")


# --------------------------------------------------------------------------- 2.9 reviews


@cin_rule("8841", "cin_cpp_review_not_after_start", ("reviews.CPPreviewDate", "cpp.CPPstartDate"),
          "The protection plan review is dated on or before the plan's start date.")
def _8841(t: RuleInput) -> pl.DataFrame:
    cpp = t.table("cpp").select("_child", "cin_details_id", "cpp_id", "CPPstartDate")
    reviews = t.table("reviews").join(cpp, on=["_child", "cin_details_id", "cpp_id"], how="left")
    return reviews.filter((pl.col("CPPreviewDate") <= _CPP_START).fill_null(False)).select("_row", "child_id")


@cin_rule("8842Q", "cin_cpp_review_without_date", ("reviews.CPPreviewDate",),
          "A protection plan review has no review date.")
def _8842q(t: RuleInput) -> pl.DataFrame:
    return t.rows("reviews", pl.col("CPPreviewDate").is_null())


@cin_rule("4003", "cin_cpp_review_during_plan",
          ("reviews.CPPreviewDate", "plans.CINPlanStartDate", "plans.CINPlanEndDate", "cpp.CPPendDate"),
          "A protection plan review falls while a CIN plan is running (the child would be on both plans).")
def _4003(t: RuleInput) -> pl.DataFrame:
    cpp = t.table("cpp").select("_child", "cin_details_id", "cpp_id", "CPPendDate")
    reviews = t.table("reviews").join(cpp, on=["_child", "cin_details_id", "cpp_id"], how="left")
    reviews = reviews.with_row_index("__i").filter(pl.col("CPPreviewDate").is_not_null())
    plans = t.table("plans").select("_child", pl.col("CINPlanStartDate").alias("__ps"),
                                    pl.col("CINPlanEndDate").alias("__pe"))
    r = pl.col("CPPreviewDate")
    during = (r >= pl.col("__ps")) & ((r < pl.col("__pe")) | pl.col("__pe").is_null()) & r.ne_missing(_CPP_END)
    pairs = reviews.join(plans, on="_child", how="inner").filter(during.fill_null(False))
    return pairs.unique("__i", maintain_order=True).select("_row", "child_id")
