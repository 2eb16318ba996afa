"""SSDA903 rules on the outcome tables the study reads: OC2 (children looked after continuously for
12 months at 31 March: convictions, health checks, substance misuse, SDQ) and Missing (periods missing
or away without authorisation) (reference §3.13)."""

from __future__ import annotations

import polars as pl

from warehouse.validation.dfe.frames import RuleInput
from warehouse.validation.dfe.patterns import NO_ROWS, repeated
from warehouse.validation.dfe.rule import ssda903_rule
from warehouse.validation.dfe.ssda903_view import age_at, episodes, header, short_break

_HEALTH = ("IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE")
_ITEMS = ("CONVICTED", "HEALTH_CHECK", *_HEALTH, "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED")
_SCORE, _REASON = pl.col("SDQ_SCORE"), pl.col("SDQ_REASON")
_MIS_START, _MIS_END, _MISSING = pl.col("MIS_START"), pl.col("MIS_END"), pl.col("MISSING")


def _present(columns: tuple[str, ...], frame: pl.DataFrame) -> list[pl.Expr]:
    return [pl.col(c).is_not_null() for c in columns if c in frame.columns]


def _any_given(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.Expr:
    given = _present(columns, frame)
    return pl.any_horizontal(given) if given else pl.lit(False)


def _any_blank(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.Expr:
    blank = [pl.col(c).is_null() for c in columns if c in frame.columns]
    return pl.any_horizontal(blank) if blank else pl.lit(False)


def _cohort(t: RuleInput) -> pl.DataFrame:
    """Children looked after continuously for at least 12 months at 31 March: their period of care (from
    the latest 'started to be looked after' episode, or the earliest in the file) began on or before
    1 April and their last episode is open and not a short break."""
    key = "oc2:cohort"
    if key not in t.cache:
        ep = episodes(t)
        per_child = ep.group_by("_child").agg(
            pl.col("DECOM").filter(pl.col("RNE") == "S").max().alias("__s"), pl.col("DECOM").min().alias("__first"),
            pl.col("DEC").last().alias("__dec"), short_break().last().alias("__break"))
        began = pl.coalesce(pl.col("__s"), pl.col("__first"))
        open_at_end = pl.col("__dec").is_null() | (pl.col("__dec") > pl.lit(t.end))
        t.cache[key] = per_child.filter((began <= pl.lit(t.start)) & open_at_end & ~pl.col("__break")).select("_child")
    return t.cache[key]


def _oc2(t: RuleInput) -> pl.DataFrame:
    """OC2 with ``__cohort`` (looked after 12 months, when episodes are supplied) and ages at the year's ends."""
    oc2 = t.table("oc2")
    if "episodes" in t.tables and {"DECOM", "DEC", "RNE", "LS"} <= set(t.table("episodes").columns):
        cohort = _cohort(t).with_columns(pl.lit(True).alias("__cohort"))
        oc2 = oc2.join(cohort, on="_child", how="left").with_columns(pl.col("__cohort").fill_null(False))
    else:
        oc2 = oc2.with_columns(pl.lit(None, dtype=pl.Boolean).alias("__cohort"))
    if "DOB" in oc2.columns:
        oc2 = oc2.with_columns(age_at(t.start).alias("__age_start"), age_at(t.end).alias("__age_end"))
    return oc2


def _oc2_rows(t: RuleInput, condition: pl.Expr) -> pl.DataFrame:
    return _oc2(t).filter(condition.fill_null(False)).select("_row", "child_id")


_COHORT_READS = ("episodes.DECOM", "episodes.DEC", "episodes.RNE", "episodes.LS")


# --------------------------------------------------------------------------- OC2: values


@ssda903_rule("180", "ssda903_oc2_sdq_score_invalid", ("oc2.SDQ_SCORE",), "The SDQ score is not a whole number 0 to 40.")
def _180(t: RuleInput) -> pl.DataFrame:
    score = _SCORE.cast(pl.Int64, strict=False)
    return t.rows("oc2", _SCORE.is_not_null() & (score.is_null() | ~score.is_between(0, 40)))


@ssda903_rule("181", "ssda903_oc2_item_not_yes_no", ("oc2.CONVICTED",),
              "A 12-month outcome item is not 0 or 1.", field=None)
def _181(t: RuleInput) -> pl.DataFrame:
    oc2 = t.table("oc2")
    bad = [pl.col(c).is_not_null() & ~pl.col(c).is_in(["0", "1"]) for c in _ITEMS if c in oc2.columns]
    return t.rows("oc2", pl.any_horizontal(bad))


@ssda903_rule("182", "ssda903_oc2_health_items_partial", ("oc2.IMMUNISATIONS", "oc2.TEETH_CHECK",
                                                           "oc2.HEALTH_ASSESSMENT", "oc2.SUBSTANCE_MISUSE"),
              "Immunisations, teeth check, health assessment and substance misuse must all be completed, or all "
              "left blank.", field=None)
def _182(t: RuleInput) -> pl.DataFrame:
    oc2 = t.table("oc2")
    return t.rows("oc2", _any_given(oc2, _HEALTH) & _any_blank(oc2, _HEALTH))


@ssda903_rule("196", "ssda903_oc2_sdq_reason_invalid", ("oc2.SDQ_REASON",),
              "The reason for no SDQ score is not one of SDQ1 to SDQ5.")
def _196(t: RuleInput) -> pl.DataFrame:
    return t.rows("oc2", _REASON.is_not_null() & ~_REASON.is_in(["SDQ1", "SDQ2", "SDQ3", "SDQ4", "SDQ5"]))


@ssda903_rule("197a", "ssda903_oc2_sdq_reason_with_score", ("oc2.SDQ_REASON", "oc2.SDQ_SCORE"),
              "A reason for no SDQ score is given although a score is present.")
def _197a(t: RuleInput) -> pl.DataFrame:
    return t.rows("oc2", _REASON.is_not_null() & _SCORE.is_not_null())


@ssda903_rule("192", "ssda903_oc2_misuse_without_intervention", ("oc2.SUBSTANCE_MISUSE", "oc2.INTERVENTION_RECEIVED"),
              "Substance misuse was identified but whether an intervention was received is blank.",
              field="INTERVENTION_RECEIVED")
def _192(t: RuleInput) -> pl.DataFrame:
    return t.rows("oc2", (pl.col("SUBSTANCE_MISUSE") == "1") & pl.col("INTERVENTION_RECEIVED").is_null())


@ssda903_rule("193", "ssda903_oc2_intervention_without_misuse", ("oc2.SUBSTANCE_MISUSE", "oc2.INTERVENTION_RECEIVED",
                                                                  "oc2.INTERVENTION_OFFERED"),
              "No substance misuse was identified but an intervention item is completed.",
              field="INTERVENTION_RECEIVED")
def _193(t: RuleInput) -> pl.DataFrame:
    oc2 = t.table("oc2")
    return t.rows("oc2", pl.col("SUBSTANCE_MISUSE").ne_missing("1")
                  & _any_given(oc2, ("INTERVENTION_RECEIVED", "INTERVENTION_OFFERED")))


@ssda903_rule("158", "ssda903_oc2_offered_after_received", ("oc2.INTERVENTION_RECEIVED", "oc2.INTERVENTION_OFFERED"),
              "An intervention was received, so whether one was offered should be blank.", field="INTERVENTION_OFFERED")
def _158(t: RuleInput) -> pl.DataFrame:
    return t.rows("oc2", (pl.col("INTERVENTION_RECEIVED") == "1") & pl.col("INTERVENTION_OFFERED").is_not_null())


@ssda903_rule("159", "ssda903_oc2_offered_blank", ("oc2.INTERVENTION_RECEIVED", "oc2.INTERVENTION_OFFERED"),
              "No intervention was received, so whether one was offered must be completed.",
              field="INTERVENTION_OFFERED")
def _159(t: RuleInput) -> pl.DataFrame:
    return t.rows("oc2", (pl.col("INTERVENTION_RECEIVED") == "0") & pl.col("INTERVENTION_OFFERED").is_null())


@ssda903_rule("544", "ssda903_oc2_conviction_without_health", ("oc2.CONVICTED", *(f"oc2.{c}" for c in _HEALTH)),
              "Conviction information is given but the health items are not all completed.", field="CONVICTED")
def _544(t: RuleInput) -> pl.DataFrame:
    oc2 = t.table("oc2")
    return t.rows("oc2", pl.col("CONVICTED").is_not_null() & _any_blank(oc2, _HEALTH))


@ssda903_rule("547", "ssda903_oc2_development_check_without_health", ("oc2.HEALTH_CHECK",
                                                                       *(f"oc2.{c}" for c in _HEALTH)),
              "A health and development check is given but the other health items are not all completed.",
              field="HEALTH_CHECK")
def _547(t: RuleInput) -> pl.DataFrame:
    oc2 = t.table("oc2")
    return t.rows("oc2", pl.col("HEALTH_CHECK").is_not_null() & _any_blank(oc2, _HEALTH))


# --------------------------------------------------------------------------- OC2: ages


@ssda903_rule("188", "ssda903_oc2_sdq_under_4", ("oc2.DOB", "oc2.SDQ_SCORE", "oc2.SDQ_REASON"),
              "An SDQ score or reason is given for a child under 4 at the year end.", field="SDQ_SCORE")
def _188(t: RuleInput) -> pl.DataFrame:
    return _oc2_rows(t, (pl.col("__age_end") < 4) & (_SCORE.is_not_null() | _REASON.is_not_null()))


@ssda903_rule("189", "ssda903_oc2_sdq_17_or_over", ("oc2.DOB", "oc2.SDQ_SCORE", "oc2.SDQ_REASON"),
              "An SDQ score or reason is given for a young person aged 17 or over at the start of the year.",
              field="SDQ_SCORE")
def _189(t: RuleInput) -> pl.DataFrame:
    return _oc2_rows(t, (pl.col("__age_start") >= 17) & (_SCORE.is_not_null() | _REASON.is_not_null()))


@ssda903_rule("542", "ssda903_oc2_conviction_under_10", ("oc2.DOB", "oc2.CONVICTED"),
              "Conviction information is given for a child under 10 at 31 March.", field="CONVICTED")
def _542(t: RuleInput) -> pl.DataFrame:
    return _oc2_rows(t, (pl.col("__age_end") < 10) & pl.col("CONVICTED").is_not_null())


@ssda903_rule("546", "ssda903_oc2_development_check_5_or_over", ("oc2.DOB", "oc2.HEALTH_CHECK"),
              "A health and development check is given for a child aged 5 or over.", field="HEALTH_CHECK")
def _546(t: RuleInput) -> pl.DataFrame:
    return _oc2_rows(t, (pl.col("__age_end") >= 5) & pl.col("HEALTH_CHECK").is_not_null())


# --------------------------------------------------------------------------- OC2: the 12-month cohort


def _cohort_rule(code: str, name: str, reads: tuple[str, ...], message: str, condition: pl.Expr, field: str | None
                 ) -> None:
    @ssda903_rule(code, name, ("oc2.CHILD", *reads, *_COHORT_READS), message, table="oc2", field=field)
    def _check(t: RuleInput) -> pl.DataFrame:
        return _oc2_rows(t, condition)


_IN, _OUT = pl.col("__cohort"), ~pl.col("__cohort")
_SCHOOL_AGE = (pl.col("__age_start") >= 4) & (pl.col("__age_end") <= 16)

_cohort_rule("185", "ssda903_oc2_sdq_outside_cohort", ("oc2.SDQ_SCORE",),
             "An SDQ score is given for a child not looked after continuously for 12 months.", _OUT & _SCORE.is_not_null(),
             "SDQ_SCORE")
_cohort_rule("198", "ssda903_oc2_sdq_reason_outside_cohort", ("oc2.SDQ_REASON",),
             "A reason for no SDQ score is given for a child not looked after continuously for 12 months.",
             _OUT & _REASON.is_not_null(), "SDQ_REASON")
_cohort_rule("186", "ssda903_oc2_sdq_missing", ("oc2.DOB", "oc2.SDQ_SCORE"),
             "No SDQ score for a child aged 4 to 16 looked after continuously for 12 months.",
             _IN & _SCHOOL_AGE & _SCORE.is_null(), "SDQ_SCORE")
_cohort_rule("157", "ssda903_oc2_sdq1_for_school_age", ("oc2.DOB", "oc2.SDQ_SCORE", "oc2.SDQ_REASON"),
             "The reason for no SDQ score says the child is outside the age range (SDQ1), but they are aged 4 to 16.",
             _IN & _SCHOOL_AGE & _SCORE.is_null() & (_REASON == "SDQ1"), "SDQ_REASON")
_cohort_rule("197B", "ssda903_oc2_sdq_nothing", ("oc2.DOB", "oc2.SDQ_SCORE", "oc2.SDQ_REASON"),
             "Neither an SDQ score nor a reason is given for a child aged 4 to 17 looked after for 12 months.",
             _IN & (pl.col("__age_start") >= 4) & (pl.col("__age_end") <= 17) & _SCORE.is_null() & _REASON.is_null(),
             "SDQ_REASON")
_cohort_rule("543", "ssda903_oc2_conviction_missing", ("oc2.DOB", "oc2.CONVICTED"),
             "Conviction information is missing for a child aged 10 or over looked after for 12 months.",
             _IN & (pl.col("__age_end") >= 10) & pl.col("CONVICTED").is_null(), "CONVICTED")
_cohort_rule("545", "ssda903_oc2_development_check_missing", ("oc2.DOB", "oc2.HEALTH_CHECK"),
             "The health and development check is missing for a child under 5 looked after for 12 months.",
             _IN & (pl.col("__age_end") < 5) & pl.col("HEALTH_CHECK").is_null(), "HEALTH_CHECK")


@ssda903_rule("190", "ssda903_oc2_items_outside_cohort", ("oc2.CHILD", *_COHORT_READS),
              "12-month outcome items are completed for a child not looked after continuously for 12 months.",
              table="oc2", field=None)
def _190(t: RuleInput) -> pl.DataFrame:
    oc2 = t.table("oc2")
    return _oc2_rows(t, _OUT & _any_given(oc2, _ITEMS))


@ssda903_rule("191", "ssda903_oc2_items_missing", ("oc2.CHILD", *(f"oc2.{c}" for c in _HEALTH), *_COHORT_READS),
              "12-month health items are blank for a child looked after continuously for 12 months.", table="oc2",
              field=None)
def _191(t: RuleInput) -> pl.DataFrame:
    return _oc2_rows(t, _IN & _any_blank(t.table("oc2"), _HEALTH))


@ssda903_rule("215", "ssda903_oc2_and_care_leaver", ("oc2.CHILD", "oc3.IN_TOUCH"),
              "Care leaver items and 12-month outcome items are both completed for the child.", field=None)
def _215(t: RuleInput) -> pl.DataFrame:
    oc3 = t.table("oc3")
    leavers = oc3.filter(_any_given(oc3, ("IN_TOUCH", "ACTIV", "ACCOM"))).select("_child").unique()
    oc2 = t.table("oc2")
    return oc2.filter(_any_given(oc2, _ITEMS)).join(leavers, on="_child", how="semi").select("_row", "child_id")


def _not_in_header(t: RuleInput, table: str) -> pl.DataFrame:
    return t.table(table).join(header(t).select("_child"), on="_child", how="anti").select("_row", "child_id")


def _dob_differs(t: RuleInput, table: str) -> pl.DataFrame:
    h = header(t).select("_child", pl.col("DOB").alias("__header_dob"))
    frame = t.table(table).join(h, on="_child", how="inner")
    return frame.filter(pl.col("DOB").ne_missing(pl.col("__header_dob"))).select("_row", "child_id")


@ssda903_rule("INT05", "ssda903_oc2_child_not_in_header", ("oc2.CHILD", "header.CHILD"),
              "A 12-month outcomes row belongs to a child with no header row.")
def _int05(t: RuleInput) -> pl.DataFrame:
    return _not_in_header(t, "oc2")


@ssda903_rule("INT14", "ssda903_oc2_dob_differs", ("oc2.DOB", "header.DOB"),
              "The date of birth on the 12-month outcomes row differs from the header's.")
def _int14(t: RuleInput) -> pl.DataFrame:
    return _dob_differs(t, "oc2")


@ssda903_rule("INT33", "ssda903_oc2_child_repeated", ("oc2.CHILD",),
              "The child appears more than once in the 12-month outcomes table.")
def _int33(t: RuleInput) -> pl.DataFrame:
    return repeated(t.table("oc2"), ["_child"], pl.col("_child").is_not_null())


# --------------------------------------------------------------------------- Missing


@ssda903_rule("1004", "ssda903_missing_period_start_not_a_date", ("missing.MIS_START",),
              "The start of the missing period is not a valid date.")
def _1004(t: RuleInput) -> pl.DataFrame:
    return t.rows("missing", pl.col("__bad_MIS_START"))


@ssda903_rule("1005", "ssda903_missing_period_end_not_a_date", ("missing.MIS_END",),
              "The end of the missing period is not a valid date.")
def _1005(t: RuleInput) -> pl.DataFrame:
    return t.rows("missing", pl.col("__bad_MIS_END"))


@ssda903_rule("1006", "ssda903_missing_period_kind_invalid", ("missing.MISSING",),
              "Whether the child was missing or away without authorisation is not M or A.")
def _1006(t: RuleInput) -> pl.DataFrame:
    return t.rows("missing", _MISSING.is_not_null() & ~_MISSING.is_in(["M", "A"]))


@ssda903_rule("564", "ssda903_missing_period_start_blank", ("missing.MIS_START",),
              "The start of the missing period is blank.")
def _564(t: RuleInput) -> pl.DataFrame:
    return t.rows("missing", _MIS_START.is_null() & ~pl.col("__bad_MIS_START"))


@ssda903_rule("565", "ssda903_missing_period_start_without_kind", ("missing.MIS_START", "missing.MISSING"),
              "A missing period has a start date but does not say whether the child was missing or away.",
              field="MISSING")
def _565(t: RuleInput) -> pl.DataFrame:
    started = _MIS_START.is_not_null() | pl.col("__bad_MIS_START")
    return t.rows("missing", started & _MISSING.is_null())


@ssda903_rule("566", "ssda903_missing_period_end_without_kind", ("missing.MIS_END", "missing.MISSING"),
              "A missing period has an end date but does not say whether the child was missing or away.",
              field="MISSING")
def _566(t: RuleInput) -> pl.DataFrame:
    ended = _MIS_END.is_not_null() | pl.col("__bad_MIS_END")
    return t.rows("missing", ended & _MISSING.is_null())


@ssda903_rule("567", "ssda903_missing_period_ends_before_start", ("missing.MIS_END", "missing.MIS_START"),
              "The missing period ends before it starts.")
def _567(t: RuleInput) -> pl.DataFrame:
    return t.rows("missing", _MIS_END < _MIS_START)


@ssda903_rule("570", "ssda903_missing_period_starts_after_year", ("missing.MIS_START",),
              "The missing period starts after the end of the year.")
def _570(t: RuleInput) -> pl.DataFrame:
    return t.rows("missing", _MIS_START > pl.lit(t.end))


@ssda903_rule("571", "ssda903_missing_period_end_outside_year", ("missing.MIS_END",),
              "The missing period ends before the start or after the end of the year.")
def _571(t: RuleInput) -> pl.DataFrame:
    return t.rows("missing", (_MIS_END < pl.lit(t.start)) | (_MIS_END > pl.lit(t.end)))


@ssda903_rule("574", "ssda903_missing_periods_overlap", ("missing.MIS_START", "missing.MIS_END"),
              "The missing period starts before the child's previous one ended, or while it is still open.",
              field="MIS_START")
def _574(t: RuleInput) -> pl.DataFrame:
    frame = t.table("missing").filter(_MIS_START.is_not_null()).sort(["_child", "MIS_START", "_row"])
    prev_end = _MIS_END.shift(1)  # sorted by child: the row above is the previous period when the child matches
    has_prev = pl.col("_child").eq_missing(pl.col("_child").shift(1))
    bad = has_prev & (prev_end.is_null() | (_MIS_START < prev_end))
    return frame.filter(bad.fill_null(False)).select("_row", "child_id")


@ssda903_rule("586", "ssda903_missing_before_birth", ("missing.MIS_START", "missing.DOB"),
              "The missing period is dated before the child's date of birth.")
def _586(t: RuleInput) -> pl.DataFrame:
    return t.rows("missing", (_MIS_START < pl.col("DOB")) | (_MIS_END < pl.col("DOB")))


def _missing_with_care_end(t: RuleInput) -> pl.DataFrame:
    """Missing rows with ``__left``: the date the child's final episode ended care (REC other than X1)."""
    final = episodes(t).filter(pl.col("__last") & pl.col("REC").is_not_null() & (pl.col("REC") != "X1"))
    final = final.select("_child", pl.col("DEC").alias("__left"), pl.col("REC").alias("__left_rec"))
    return t.table("missing").join(final, on="_child", how="left")


_EPISODE_READS = ("episodes.DECOM", "episodes.DEC", "episodes.REC")


@ssda903_rule("575", "ssda903_missing_open_after_placement_ended", ("missing.MIS_END", "missing.MIS_START",
                                                                     *_EPISODE_READS),
              "The placement the child went missing from has ended but the missing period has no end date.",
              field="MIS_END")
def _575(t: RuleInput) -> pl.DataFrame:
    ended = episodes(t).filter(pl.col("DEC").is_not_null()).select("_child", "DECOM", "DEC")
    open_periods = t.table("missing").with_row_index("__i").filter(_MIS_END.is_null() & _MIS_START.is_not_null())
    pairs = open_periods.join(ended, on="_child", how="inner")
    within = (pl.col("DECOM") <= _MIS_START) & (_MIS_START < pl.col("DEC"))
    return pairs.filter(within.fill_null(False)).unique("__i", maintain_order=True).select("_row", "child_id")


@ssda903_rule("577", "ssda903_left_care_while_missing", ("missing.MIS_END", "missing.MIS_START", *_EPISODE_READS),
              "The child ceased to be looked after while a missing period was still open.", field="MIS_END")
def _577(t: RuleInput) -> pl.DataFrame:
    frame = _missing_with_care_end(t)
    return frame.filter((_MIS_END.is_null() & (_MIS_START <= pl.col("__left"))).fill_null(False)).select(
        "_row", "child_id")


@ssda903_rule("578", "ssda903_missing_after_leaving_care", ("missing.MIS_START", *_EPISODE_READS),
              "The missing period starts on or after the date the child ceased to be looked after.")
def _578(t: RuleInput) -> pl.DataFrame:
    frame = _missing_with_care_end(t)
    return frame.filter((_MIS_START >= pl.col("__left")).fill_null(False)).select("_row", "child_id")


@ssda903_rule("580", "ssda903_missing_at_leaving_care_reason", ("missing.MIS_START", "missing.MIS_END",
                                                                 *_EPISODE_READS),
              "The child was missing when they ceased to be looked after, but the reason care ended is not E8.",
              table="missing", field=None)
def _580(t: RuleInput) -> pl.DataFrame:
    frame = _missing_with_care_end(t)
    missing_then = (_MIS_START <= pl.col("__left")) & (_MIS_END.is_null() | (_MIS_END > pl.col("__left")))
    return frame.filter((missing_then & (pl.col("__left_rec") != "E8")).fill_null(False)).select("_row", "child_id")


@ssda903_rule("581", "ssda903_missing_before_care", ("missing.MIS_START", "episodes.DECOM"),
              "The missing period starts before the child started to be looked after.")
def _581(t: RuleInput) -> pl.DataFrame:
    first = t.table("episodes").group_by("_child").agg(pl.col("DECOM").min().alias("__first"))
    frame = t.table("missing").join(first, on="_child", how="inner")
    return frame.filter((_MIS_START < pl.col("__first")).fill_null(False)).select("_row", "child_id")


@ssda903_rule("576", "ssda903_missing_open_last_year_not_continued", ("missing_last.MIS_START", "missing_last.MIS_END",
                                                                       "missing.MIS_START"),
              "A missing period left open at the end of last year does not appear in this year's return.",
              table="missing_last", field="MIS_START")
def _576(t: RuleInput) -> pl.DataFrame:
    open_last = t.table("missing_last").filter(_MIS_START.is_not_null() & _MIS_END.is_null())
    now = t.table("missing").select("_child", "MIS_START")
    return open_last.join(now, on=["_child", "MIS_START"], how="anti").select("_row", "child_id")


@ssda903_rule("INT04", "ssda903_missing_child_not_in_header", ("missing.CHILD", "header.CHILD"),
              "A missing-period row belongs to a child with no header row.")
def _int04(t: RuleInput) -> pl.DataFrame:
    return _not_in_header(t, "missing")


@ssda903_rule("INT13", "ssda903_missing_dob_differs", ("missing.DOB", "header.DOB"),
              "The date of birth on the missing-period row differs from the header's.")
def _int13(t: RuleInput) -> pl.DataFrame:
    return _dob_differs(t, "missing") if "DOB" in t.table("missing").columns else NO_ROWS
