"""SSDA903 rules on the episodes table: dates, overlaps and continuity, end of care, legal status,
placement type, temporary placements and providers (reference §3.3 to 3.7)."""

from __future__ import annotations

from datetime import date

import polars as pl

from warehouse.codelists import get_codelist
from warehouse.validation.dfe.frames import RuleInput
from warehouse.validation.dfe.rule import ssda903_rule
from warehouse.validation.dfe.ssda903_view import (
    ADOPTED,
    FOSTER_OR_ADOPTION,
    TEMPORARY,
    episodes,
    nxt,
    prev,
    short_break,
)

_DECOM, _DEC, _REC, _RNE, _LS, _PLACE = (pl.col(c) for c in ("DECOM", "DEC", "REC", "RNE", "LS", "PLACE"))
_PROVIDER, _RPC = pl.col("PLACE_PROVIDER"), pl.col("REASON_PLACE_CHANGE")
_CONTINUATION = ("P", "L", "T", "U", "B")


def _where(t: RuleInput, condition: pl.Expr) -> pl.DataFrame:
    return episodes(t).filter(condition.fill_null(False)).select("_row", "child_id")


def _is(column: pl.Expr, codes: tuple[str, ...] | list[str]) -> pl.Expr:
    return column.is_in(list(codes)).fill_null(False)


def _days(until_end: date) -> pl.Expr:
    """Length of the episode in days, an open one counted to ``until_end``."""
    return (_DEC.fill_null(pl.lit(until_end)) - _DECOM).dt.total_days()


# --------------------------------------------------------------------------- 3.3 dates and continuity


@ssda903_rule("141", "ssda903_decom_not_a_date", ("episodes.DECOM",), "The episode start date is not a valid date.")
def _141(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", pl.col("__bad_DECOM"))


@ssda903_rule("147", "ssda903_dec_not_a_date", ("episodes.DEC",), "The episode end date is not a valid date.")
def _147(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", pl.col("__bad_DEC"))


@ssda903_rule("148", "ssda903_dec_and_rec_together", ("episodes.DEC", "episodes.REC"),
              "Only one of the episode end date and the reason the episode ceased is given: both or neither.")
def _148(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _DEC.is_null() != _REC.is_null())


@ssda903_rule("142", "ssda903_earlier_episode_not_ended", ("episodes.DEC", "episodes.REC", "episodes.DECOM"),
              "An episode other than the child's latest has no end date or no reason it ceased.")
def _142(t: RuleInput) -> pl.DataFrame:
    return _where(t, ~pl.col("__last") & (_DEC.is_null() | _REC.is_null()))


@ssda903_rule("353", "ssda903_episode_before_1991", ("episodes.DECOM",),
              "The episode starts before 14 October 1991, when the Children Act 1989 came into force.")
def _353(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _DECOM < pl.lit(date(1991, 10, 14)))


@ssda903_rule("354", "ssda903_episode_starts_after_year", ("episodes.DECOM",),
              "The episode starts after the end of the collection year.")
def _354(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _DECOM > pl.lit(t.end))


@ssda903_rule("385", "ssda903_episode_ends_after_year", ("episodes.DEC",),
              "The episode ends after the end of the collection year.")
def _385(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _DEC > pl.lit(t.end))


@ssda903_rule("355", "ssda903_episode_same_day", ("episodes.DECOM", "episodes.DEC"),
              "The episode ends on the day it starts (episodes last at least 24 hours).", field="DEC")
def _355(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _DEC == _DECOM)


@ssda903_rule("356", "ssda903_episode_ends_before_start", ("episodes.DECOM", "episodes.DEC"),
              "The episode ends before it starts.", field="DEC")
def _356(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _DEC < _DECOM)


@ssda903_rule("501", "ssda903_episodes_overlap", ("episodes.DECOM", "episodes.DEC"),
              "The episode starts before the child's previous episode ended (episodes overlap).")
def _501(t: RuleInput) -> pl.DataFrame:
    return _where(t, _DECOM < prev("DEC"))


@ssda903_rule("357", "ssda903_first_episode_not_new_period", ("episodes.RNE", "episodes.DECOM"),
              "The child's first episode starts in the year but is not the start of a period of care (reason S): "
              "an earlier episode may be missing.")
def _357(t: RuleInput) -> pl.DataFrame:
    return _where(t, pl.col("__first") & (_DECOM >= pl.lit(t.start)) & _RNE.ne_missing("S"))


@ssda903_rule("388", "ssda903_x1_continuity", ("episodes.REC", "episodes.DEC", "episodes.DECOM"),
              "The reason the episode ceased does not match what follows: X1 needs a next episode starting the "
              "same day, and a next episode starting that day needs X1.", field="REC")
def _388(t: RuleInput) -> pl.DataFrame:
    x1 = _REC == "X1"
    continues = nxt("DECOM") == _DEC
    bad = (x1 & (pl.col("__last") | continues.ne_missing(True))) | (_REC.is_not_null() & ~x1 & continues)
    return _where(t, bad)


@ssda903_rule("431", "ssda903_new_period_overlaps", ("episodes.RNE", "episodes.DECOM", "episodes.DEC"),
              "A new period of care (reason S) starts on or before the previous episode's end date.")
def _431(t: RuleInput) -> pl.DataFrame:
    return _where(t, (_RNE == "S") & (_DECOM <= prev("DEC")))


@ssda903_rule("432", "ssda903_after_leaving_care_not_new_period", ("episodes.RNE", "episodes.REC"),
              "The previous episode ended care (a reason other than X1) but this episode is not a new period (S).",
              field="RNE")
def _432(t: RuleInput) -> pl.DataFrame:
    left = prev("REC").is_not_null() & (prev("REC") != "X1")
    return _where(t, left & _RNE.ne_missing("S"))


@ssda903_rule("433", "ssda903_continuation_not_same_day", ("episodes.RNE", "episodes.DECOM", "episodes.DEC"),
              "A continuing episode (reason P, L, T, U or B) does not start on the day the previous episode ended.",
              field="DECOM")
def _433(t: RuleInput) -> pl.DataFrame:
    has_prev = ~pl.col("__first")
    return _where(t, _is(_RNE, _CONTINUATION) & has_prev & _DECOM.ne_missing(prev("DEC")))


def _changed(column: str) -> pl.Expr:
    return pl.col(column).ne_missing(prev(column))


def _placement_changed(t: RuleInput) -> pl.Expr:
    columns = [c for c in ("PLACE", "PL_POST", "URN", "PLACE_PROVIDER") if c in t.table("episodes").columns]
    return pl.any_horizontal([_changed(c) for c in columns])


def _placement_same(t: RuleInput) -> pl.Expr:
    return ~_placement_changed(t)


_RNE_READS = ("episodes.RNE", "episodes.LS", "episodes.PLACE", "episodes.PLACE_PROVIDER")


@ssda903_rule("434", "ssda903_legal_status_change_only", _RNE_READS,
              "The reason for the new episode says only the legal status changed (L), but the legal status is the "
              "same or the placement changed.")
def _434(t: RuleInput) -> pl.DataFrame:
    return _where(t, ~pl.col("__first") & (_RNE == "L") & (~_changed("LS") | _placement_changed(t)))


@ssda903_rule("435", "ssda903_placement_change_only", _RNE_READS,
              "The reason for the new episode says only the placement changed (P or T), but the legal status "
              "changed or the placement did not.")
def _435(t: RuleInput) -> pl.DataFrame:
    return _where(t, ~pl.col("__first") & _is(_RNE, ("P", "T")) & (_changed("LS") | _placement_same(t)))


@ssda903_rule("436", "ssda903_status_and_placement_change", _RNE_READS,
              "The reason for the new episode says legal status and placement both changed (U or B), but one of "
              "them did not.")
def _436(t: RuleInput) -> pl.DataFrame:
    return _where(t, ~pl.col("__first") & _is(_RNE, ("U", "B")) & (~_changed("LS") | _placement_same(t)))


@ssda903_rule("504", "ssda903_need_changed_within_period", ("episodes.CIN", "episodes.REC", "episodes.DEC",
                                                            "episodes.DECOM"),
              "The category of need changes within a period of care (it is set when the period starts).")
def _504(t: RuleInput) -> pl.DataFrame:
    continuing = (prev("REC") == "X1") & (prev("DEC") == _DECOM)
    return _where(t, continuing & pl.col("CIN").ne_missing(prev("CIN")))


# --------------------------------------------------------------------------- 3.4 end of care


@ssda903_rule("437", "ssda903_episode_after_death_or_adult", ("episodes.REC", "episodes.DECOM"),
              "Care ended because the child died (E2) or was assessed as 18 or over (E15), yet a later episode "
              "follows.")
def _437(t: RuleInput) -> pl.DataFrame:
    return _where(t, _is(_REC, ("E2", "E15")) & ~pl.col("__last"))


@ssda903_rule("199", "ssda903_episode_after_adoption", ("episodes.REC", "episodes.DECOM"),
              "The child has an episode after leaving care through adoption (E11 or E12).", field="DECOM")
def _199(t: RuleInput) -> pl.DataFrame:
    ep = episodes(t)
    adoptions = [ep.filter(_is(_REC, ADOPTED)).select("_child", pl.col("DEC").alias("__adopted"))]
    if "episodes_last" in t.tables and {"REC", "DEC"} <= set(t.table("episodes_last").columns):
        last = t.table("episodes_last")
        adoptions.append(last.filter(_is(_REC, ADOPTED)).select("_child", pl.col("DEC").alias("__adopted")))
    first = pl.concat(adoptions).group_by("_child").agg(pl.col("__adopted").min())
    joined = ep.join(first, on="_child", how="inner")
    return joined.filter((_DECOM >= pl.col("__adopted")).fill_null(False)).select("_row", "child_id")


@ssda903_rule("390", "ssda903_adoption_not_adoptive_placement", ("episodes.REC", "episodes.PLACE"),
              "The episode ended in adoption (E11 or E12) but the child was not placed for adoption (A3 to A6).",
              field="PLACE")
def _390(t: RuleInput) -> pl.DataFrame:
    return _where(t, _is(_REC, ADOPTED) & ~_is(_PLACE, ("A3", "A4", "A5", "A6")))


@ssda903_rule("516", "ssda903_sgo_to_foster_carer_not_fostered", ("episodes.REC", "episodes.PLACE"),
              "The episode ended with a special guardianship order to former foster carers (E45 or E46) but the "
              "placement was not foster care (U1 to U6).", field="PLACE")
def _516(t: RuleInput) -> pl.DataFrame:
    return _where(t, _is(_REC, ("E45", "E46")) & ~_is(_PLACE, ("U1", "U2", "U3", "U4", "U5", "U6")))


# --------------------------------------------------------------------------- 3.5 legal status


@ssda903_rule("144", "ssda903_legal_status_invalid", ("episodes.LS",),
              "The legal status is missing or not one of the 13 DfE codes.")
def _144(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", ~_is(_LS, sorted(get_codelist("legal_status", t.year).codes)))


@ssda903_rule("445", "ssda903_freeing_order_after_2005", ("episodes.LS", "episodes.DECOM"),
              "Legal status D1 (freeing order) on an episode starting after 31 December 2005.", last_year=2024)
def _445(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", (_LS == "D1") & (_DECOM > pl.lit(date(2005, 12, 31))))


@ssda903_rule("446", "ssda903_placement_order_before_2005", ("episodes.LS", "episodes.DECOM"),
              "Legal status E1 (placement order) on an episode starting before 1 December 2005.")
def _446(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", (_LS == "E1") & (_DECOM < pl.lit(date(2005, 12, 1))))


@ssda903_rule("451", "ssda903_freeing_order_open", ("episodes.LS", "episodes.DEC", "episodes.REC"),
              "A freeing order (D1) episode is still open.", last_year=2024)
def _451(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", (_LS == "D1") & _DEC.is_null() & _REC.is_null())


def _status_runs(t: RuleInput, status: str, limit: int) -> pl.DataFrame:
    """Episodes in a run of consecutive ``status`` episodes (each starting when the last ended) lasting over ``limit`` days."""
    ep = episodes(t)
    joined = (_LS == status) & (prev("LS") == status) & (prev("DEC") == _DECOM)
    # the view is sorted by child and start; prev() is null across children, so one running count numbers runs
    ep = ep.with_columns((~joined.fill_null(False)).cast(pl.Int64).cum_sum().alias("__run"))
    run = ["__run"]
    length = (_DEC.fill_null(pl.lit(t.end)).max().over(run) - _DECOM.min().over(run)).dt.total_days()
    return ep.filter(((_LS == status) & (length > limit)).fill_null(False)).select("_row", "child_id")


@ssda903_rule("361", "ssda903_police_protection_too_long", ("episodes.LS", "episodes.DECOM", "episodes.DEC"),
              "Police protection (L1) lasts more than 3 days.")
def _361(t: RuleInput) -> pl.DataFrame:
    return _status_runs(t, "L1", 3)


@ssda903_rule("362", "ssda903_emergency_protection_too_long", ("episodes.LS", "episodes.DECOM", "episodes.DEC"),
              "An emergency protection order (L2) lasts more than 21 days.")
def _362(t: RuleInput) -> pl.DataFrame:
    return _status_runs(t, "L2", 21)


@ssda903_rule("363", "ssda903_assessment_order_too_long", ("episodes.LS", "episodes.DECOM", "episodes.DEC"),
              "A child assessment order (L3) lasts more than 7 days.")
def _363(t: RuleInput) -> pl.DataFrame:
    return _status_runs(t, "L3", 7)


@ssda903_rule("364", "ssda903_pace_too_long", ("episodes.LS", "episodes.DECOM", "episodes.DEC"),
              "Accommodation under PACE (J2) lasts more than 21 days.")
def _364(t: RuleInput) -> pl.DataFrame:
    return _status_runs(t, "J2", 21)


@ssda903_rule("365", "ssda903_short_break_too_long", ("episodes.LS", "episodes.DECOM", "episodes.DEC"),
              "A short break (V3) lasts more than 17 days.")
def _365(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", (_LS == "V3") & (_days(t.end) > 17))


@ssda903_rule("366", "ssda903_short_break_not_new_period", ("episodes.LS", "episodes.RNE"),
              "A short break (V3) is not recorded as its own period of care (reason S).", field="RNE")
def _366(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", (_LS == "V3") & _RNE.ne_missing("S"))


@ssda903_rule("367", "ssda903_short_breaks_over_75_days", ("episodes.LS", "episodes.DECOM", "episodes.DEC"),
              "The child's short breaks (V3) add up to more than 75 days in the year.")
def _367(t: RuleInput) -> pl.DataFrame:
    breaks = t.table("episodes").filter((_LS == "V3").fill_null(False))
    start = pl.max_horizontal(_DECOM, pl.lit(t.start))
    end = pl.min_horizontal(_DEC.fill_null(pl.lit(t.end)), pl.lit(t.end))
    days = (end - start).dt.total_days().clip(lower_bound=0).fill_null(0)
    totals = breaks.group_by("_child").agg(days.sum().alias("__days")).filter(pl.col("__days") > 75)
    return breaks.join(totals, on="_child", how="semi").select("_row", "child_id")


@ssda903_rule("426", "ssda903_both_short_break_kinds", ("episodes.LS",),
              "The child has both kinds of short break (V3 and V4) in the same year.")
def _426(t: RuleInput) -> pl.DataFrame:
    breaks = t.table("episodes").filter(_is(_LS, ("V3", "V4")))
    both = breaks.group_by("_child").agg(_LS.n_unique().alias("__kinds")).filter(pl.col("__kinds") > 1)
    return breaks.join(both, on="_child", how="semi").select("_row", "child_id")


@ssda903_rule("378", "ssda903_with_parents_under_section_20", ("episodes.PLACE", "episodes.LS"),
              "A child accommodated under section 20 (V2) is placed with parents (P1).")
def _378(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", (_PLACE == "P1") & (_LS == "V2"))


@ssda903_rule("382", "ssda903_short_break_temporary_placement", ("episodes.LS", "episodes.PLACE"),
              "A short break (V3 or V4) is recorded in a temporary placement (T0 to T4).", field="PLACE")
def _382(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", short_break() & _is(_PLACE, TEMPORARY))


@ssda903_rule("384", "ssda903_short_break_long_term_foster", ("episodes.LS", "episodes.PLACE"),
              "A short break (V3 or V4) is recorded in a long-term foster placement (U1 or U4).", field="PLACE")
def _384(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", short_break() & _is(_PLACE, ("U1", "U4")))


@ssda903_rule("408", "ssda903_adoption_placement_without_order", ("episodes.PLACE", "episodes.LS"),
              "A child placed for adoption under a placement order (A5 or A6) has a legal status other than E1.",
              field="LS")
def _408(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _is(_PLACE, ("A5", "A6")) & _LS.ne_missing("E1"))


# --------------------------------------------------------------------------- 3.6 placement type


@ssda903_rule("146", "ssda903_placement_invalid", ("episodes.PLACE",),
              "The placement type is missing or not one of the year's DfE codes.")
def _146(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", ~_is(_PLACE, sorted(get_codelist("placement", t.year).codes)))


@ssda903_rule("217", "ssda903_adoption_with_carer_reason", ("episodes.PLACE", "episodes.DECOM", "episodes.RNE"),
              "A placement for adoption with the current foster carer (A3 or A5) from April 2015 has a reason for "
              "the new episode other than S, T or U.", field="RNE")
def _217(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _is(_PLACE, ("A3", "A5")) & (_DECOM >= pl.lit(date(2015, 4, 1)))
                  & ~_is(_RNE, ("S", "T", "U")))


@ssda903_rule("217t", "ssda903_independent_living_withdrawn", ("episodes.PLACE", "episodes.DEC"),
              "Independent living (P2) was withdrawn from 28 October 2023: the episode ends after it or is open.",
              first_year=2024, last_year=2024)
def _217t(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", (_PLACE == "P2") & (_DEC.is_null() | (_DEC > pl.lit(date(2023, 10, 28)))))


@ssda903_rule("336", "ssda903_adoption_with_carer_not_after_foster", ("episodes.PLACE",),
              "A placement for adoption with the current foster carer (A3 or A5) does not follow a foster or "
              "adoption placement.")
def _336(t: RuleInput) -> pl.DataFrame:
    return _where(t, _is(_PLACE, ("A3", "A5")) & ~pl.col("__first") & ~_is(prev("PLACE"), FOSTER_OR_ADOPTION))


def _too_long(t: RuleInput, place: str, limit: int) -> pl.DataFrame:
    return t.rows("episodes", (_PLACE == place) & (_days(t.end) > limit))


@ssda903_rule("375", "ssda903_hospital_stay_too_long", ("episodes.PLACE", "episodes.DECOM", "episodes.DEC"),
              "A temporary hospital stay (T1) lasts more than 42 days.")
def _375(t: RuleInput) -> pl.DataFrame:
    return _too_long(t, "T1", 42)


@ssda903_rule("376", "ssda903_carer_holiday_too_long", ("episodes.PLACE", "episodes.DECOM", "episodes.DEC"),
              "Temporary care while the foster carer is on holiday (T3) lasts more than 21 days.")
def _376(t: RuleInput) -> pl.DataFrame:
    return _too_long(t, "T3", 21)


@ssda903_rule("377", "ssda903_too_many_carer_holidays", ("episodes.PLACE",),
              "The child has more than two temporary placements while the foster carer is on holiday (T3).")
def _377(t: RuleInput) -> pl.DataFrame:
    holidays = t.table("episodes").filter((_PLACE == "T3").fill_null(False))
    many = holidays.group_by("_child").len().filter(pl.col("len") > 2)
    return holidays.join(many, on="_child", how="semi").select("_row", "child_id")


@ssda903_rule("379", "ssda903_other_temporary_too_long", ("episodes.PLACE", "episodes.DECOM", "episodes.DEC"),
              "Another temporary move (T4) lasts more than 7 days.")
def _379(t: RuleInput) -> pl.DataFrame:
    return _too_long(t, "T4", 7)


@ssda903_rule("380", "ssda903_temporary_opens_period", ("episodes.PLACE", "episodes.RNE"),
              "A temporary placement (T0 to T4) has a reason for the new episode other than P or B (it can only "
              "follow another placement).", field="RNE")
def _380(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _is(_PLACE, TEMPORARY) & ~_is(_RNE, ("P", "B")))


@ssda903_rule("381", "ssda903_care_ends_in_temporary", ("episodes.PLACE", "episodes.REC"),
              "Care ends while the child is in a temporary placement (T0 to T4).", field="REC")
def _381(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _is(_PLACE, TEMPORARY) & _REC.is_not_null() & (_REC != "X1"))


@ssda903_rule("383", "ssda903_no_return_after_temporary", ("episodes.PLACE", "episodes.RNE"),
              "The episode after a temporary placement does not return the child to the placement they left.")
def _383(t: RuleInput) -> pl.DataFrame:
    after = _is(prev("PLACE"), TEMPORARY) & ~_is(_PLACE, TEMPORARY) & prev("PLACE", 2).is_not_null()
    moved = _RNE.ne_missing("P") | _PLACE.ne_missing(prev("PLACE", 2))
    if t.year >= 2026 and "PL_POST" in t.table("episodes").columns:
        moved = moved | pl.col("PL_POST").ne_missing(prev("PL_POST", 2))
    return _where(t, after & moved)


@ssda903_rule("1009", "ssda903_placement_change_reason_invalid", ("episodes.REASON_PLACE_CHANGE",),
              "The reason for the placement change is not one of the 12 DfE codes.")
def _1009(t: RuleInput) -> pl.DataFrame:
    codes = ("CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ", "PLACE", "CUSTOD",
             "OTHER")
    return t.rows("episodes", _RPC.is_not_null() & ~_is(_RPC, codes))


@ssda903_rule("225", "ssda903_placement_change_without_reason", ("episodes.REC", "episodes.REASON_PLACE_CHANGE",
                                                                 "episodes.PLACE", "episodes.RNE"),
              "The placement changed (an X1 episode followed by a new placement) but no reason for the change "
              "is given.", field="REASON_PLACE_CHANGE")
def _225(t: RuleInput) -> pl.DataFrame:
    moved = (_REC == "X1") & ~_is(_PLACE, TEMPORARY) & _is(nxt("RNE"), ("P", "B", "T", "U")) \
        & ~_is(nxt("PLACE"), TEMPORARY) & nxt("PLACE").is_not_null()
    return _where(t, moved & _RPC.is_null())


@ssda903_rule("226", "ssda903_temporary_with_change_reason", ("episodes.PLACE", "episodes.REASON_PLACE_CHANGE"),
              "A temporary placement (T0 to T4), or the episode before it, carries a reason for placement change.",
              field="REASON_PLACE_CHANGE")
def _226(t: RuleInput) -> pl.DataFrame:
    return _where(t, _is(_PLACE, TEMPORARY) & (_RPC.is_not_null() | prev("REASON_PLACE_CHANGE").is_not_null()))


@ssda903_rule("233", "ssda903_change_reason_on_open_episode", ("episodes.DEC", "episodes.REASON_PLACE_CHANGE"),
              "A reason for placement change is given on an episode that has not ended.",
              field="REASON_PLACE_CHANGE", first_year=2026)
def _233(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _RPC.is_not_null() & _DEC.is_null())


# --------------------------------------------------------------------------- 3.7 placement provider


def _no_provider_places(t: RuleInput, *, t4: bool = True) -> tuple[str, ...]:
    temporary = TEMPORARY if t4 else TEMPORARY[:4]
    return temporary + (("Z11", "Z12", "Z13", "Z14") if t.year >= 2026 else ("Z1",))


@ssda903_rule("178", "ssda903_provider_invalid", ("episodes.PLACE_PROVIDER", "episodes.PLACE"),
              "The placement provider is not one of PR0 to PR5, or is given for a placement that takes none.")
def _178(t: RuleInput) -> pl.DataFrame:
    invalid = _PROVIDER.is_not_null() & ~_is(_PROVIDER, ("PR0", "PR1", "PR2", "PR3", "PR4", "PR5"))
    takes_none = _PROVIDER.is_not_null() & _is(_PLACE, _no_provider_places(t, t4=t.year < 2026))
    return t.rows("episodes", invalid | takes_none)


@ssda903_rule("213", "ssda903_provider_for_temporary", ("episodes.PLACE", "episodes.PLACE_PROVIDER"),
              "A placement provider is given for a temporary placement.", field="PLACE_PROVIDER")
def _213(t: RuleInput) -> pl.DataFrame:
    places = TEMPORARY + (("Z11", "Z12", "Z13", "Z14") if t.year >= 2026 else ())
    return t.rows("episodes", _is(_PLACE, places) & _PROVIDER.is_not_null())


@ssda903_rule("526", "ssda903_provider_missing", ("episodes.PLACE", "episodes.PLACE_PROVIDER"),
              "The placement provider is missing for a placement that needs one.", field="PLACE_PROVIDER")
def _526(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _PLACE.is_not_null() & ~_is(_PLACE, _no_provider_places(t)) & _PROVIDER.is_null())


_PROVIDER_PLACES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "527": ("PR1", ("P1", "R2", "R5"), "own LA provision (PR1)"),
    "528": ("PR2", ("P1", "R2", "R5"), "another LA's provision (PR2)"),
    "529": ("PR3", ("P1", "A3", "A4", "A5", "A6", "K1", "K2", "U1", "U2", "U3", "U4", "U5", "U6"),
            "other public provision (PR3)"),
    "530": ("PR4", ("P1",), "private provision (PR4)"),
    "531": ("PR5", ("P1",), "voluntary provision (PR5)"),
}


def _provider_rule(code: str) -> None:
    provider, places, words = _PROVIDER_PLACES[code]

    @ssda903_rule(code, f"ssda903_{provider.lower()}_placement_mismatch", ("episodes.PLACE", "episodes.PLACE_PROVIDER"),
                  f"The provider is {words}, which cannot provide this placement type.", field="PLACE_PROVIDER")
    def _check(t: RuleInput) -> pl.DataFrame:
        return t.rows("episodes", (_PROVIDER == provider) & _is(_PLACE, places))


for _code in _PROVIDER_PLACES:
    _provider_rule(_code)


@ssda903_rule("550", "ssda903_parents_provider_not_with_parents", ("episodes.PLACE", "episodes.PLACE_PROVIDER"),
              "The provider is the child's parents (PR0) but the placement is not with parents (P1).",
              field="PLACE_PROVIDER")
def _550(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", (_PROVIDER == "PR0") & _PLACE.ne_missing("P1"))
