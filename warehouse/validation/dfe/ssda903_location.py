"""SSDA903 rules on Ofsted URNs, postcodes and the placement location derived from them (reference §3.7
to 3.9). The derived columns PL_LA, PL_LOCATION and PL_DISTANCE are read when the loader supplies them
(from a postcode lookup); rules on them are skipped otherwise. Rules needing Ofsted's provider list or
the postcode list are in :mod:`~warehouse.validation.dfe.ssda903_ofsted`."""

from __future__ import annotations

from datetime import date

import polars as pl

from warehouse.validation.dfe.frames import RuleInput
from warehouse.validation.dfe.patterns import NO_ROWS
from warehouse.validation.dfe.rule import ssda903_rule
from warehouse.validation.dfe.ssda903_view import FOSTER_OR_ADOPTION, TEMPORARY, episodes, short_break

_PLACE, _URN, _DEC, _LS = pl.col("PLACE"), pl.col("URN"), pl.col("DEC"), pl.col("LS")
_HOME, _PL_POST = pl.col("HOME_POST"), pl.col("PL_POST")
_PL_LA, _LOCATION = pl.col("PL_LA"), pl.col("PL_LOCATION")
_DISTANCE = pl.col("PL_DISTANCE").cast(pl.Float64, strict=False)
_PLACEHOLDER = "XXXXXXX"


def _is(column: pl.Expr, codes: tuple[str, ...]) -> pl.Expr:
    return column.is_in(list(codes)).fill_null(False)


def _no_urn_places(year: int) -> tuple[str, ...]:
    """Placement types that take no Ofsted URN in ``year`` (rules 218 and 222)."""
    base = ("P1", "P3", "R1", "R2", "R5") + TEMPORARY
    if year >= 2026:
        return base + ("Z11", "Z12", "Z13", "Z14")
    if year == 2025:
        return base + ("Z1",)
    return base + ("H5", "P2", "Z1") if year <= 2023 else base + ("P2", "Z1")


def _uasc(t: RuleInput) -> pl.Expr:
    """True for a child flagged UASC this year or last year (the header's UASC flag, where supplied)."""
    ep = episodes(t)
    flags = [(pl.col(c) == "1").fill_null(False) for c in ("UASC", "__UASC_last") if c in ep.columns]
    return pl.any_horizontal(flags) if flags else pl.lit(False)


def _in_england(t: RuleInput) -> pl.Expr:
    if t.year >= 2026:
        return ~_is(_PL_LA, ("CON", "NIR", "SCO", "WAL", "NUK"))
    return ~_PL_LA.str.slice(0, 1).is_in(["N", "W", "S", "C"]).fill_null(False)


@ssda903_rule("218", "ssda903_urn_missing", ("episodes.URN", "episodes.PLACE", "episodes.DEC", "episodes.PL_LA"),
              "The Ofsted URN is blank for a placement in England that needs one.")
def _218(t: RuleInput) -> pl.DataFrame:
    current = _DEC.is_null() | (_DEC >= pl.lit(t.start))
    needs = _PLACE.is_not_null() & ~_is(_PLACE, _no_urn_places(t.year))
    return t.rows("episodes", _URN.is_null() & current & needs & _in_england(t))


@ssda903_rule("222", "ssda903_urn_not_expected", ("episodes.URN", "episodes.PLACE"),
              "An Ofsted URN is given for a placement type that takes none.")
def _222(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _URN.is_not_null() & (_URN != _PLACEHOLDER) & _is(_PLACE, _no_urn_places(t.year)))


@ssda903_rule("230", "ssda903_semi_independent_without_urn", ("episodes.PLACE", "episodes.DEC", "episodes.URN",
                                                              "episodes.PL_LA"),
              "A semi-independent placement (H5) in England running after 28 October 2023 has no Ofsted URN.",
              field="URN", first_year=2024, last_year=2024)
def _230(t: RuleInput) -> pl.DataFrame:
    running = _DEC.is_null() | (_DEC >= pl.lit(date(2023, 10, 29)))
    return t.rows("episodes", (_PLACE == "H5") & running & (_URN.is_null() | (_URN == _PLACEHOLDER)) & _in_england(t))


@ssda903_rule("214", "ssda903_short_break_with_placement_details", ("episodes.LS", "episodes.PL_POST", "episodes.URN"),
              "A short break (V3 or V4) has a placement postcode or URN.", field="PL_POST")
def _214(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", short_break() & (_PL_POST.is_not_null() | _URN.is_not_null()))


@ssda903_rule("392b", "ssda903_postcode_missing", ("episodes.HOME_POST", "episodes.PL_POST", "episodes.LS"),
              "The home or placement postcode is missing for a child who is not on a short break.", field="PL_POST")
def _392b(t: RuleInput) -> pl.DataFrame:
    bad = ~short_break() & ~_uasc(t) & (_HOME.is_null() | _PL_POST.is_null())
    return episodes(t).filter(bad.fill_null(False)).select("_row", "child_id")


@ssda903_rule("392d", "ssda903_placed_at_home_postcode", ("episodes.HOME_POST", "episodes.PL_POST", "episodes.PLACE"),
              "The home and placement postcodes are the same although the child is not placed with parents (P1).",
              field="PL_POST")
def _392d(t: RuleInput) -> pl.DataFrame:
    same = _HOME.str.replace_all(" ", "") == _PL_POST.str.replace_all(" ", "")
    return t.rows("episodes", same & _PLACE.ne_missing("P1"))


@ssda903_rule("398", "ssda903_short_break_with_postcodes", ("episodes.LS", "episodes.HOME_POST", "episodes.PL_POST"),
              "A short break (V3 or V4) has a home or placement postcode.", field="HOME_POST")
def _398(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", short_break() & (_HOME.is_not_null() | _PL_POST.is_not_null()))


@ssda903_rule("169", "ssda903_placement_la_unknown", ("episodes.PL_LA", "episodes.LS"),
              "The local authority of the placement could not be found from the placement postcode.")
def _169(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _PL_LA.is_null() & ~short_break())


@ssda903_rule("179", "ssda903_placement_location_unknown", ("episodes.PL_LOCATION", "episodes.LS"),
              "Whether the placement is inside or outside the LA could not be found from the placement postcode.")
def _179(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _LOCATION.is_null() & ~short_break())


@ssda903_rule("411", "ssda903_inside_la_but_other_la", ("episodes.PL_LOCATION", "episodes.PL_LA"),
              "The placement is recorded as inside the LA but its local authority is another one.")
def _411(t: RuleInput) -> pl.DataFrame:
    if t.la_code is None:
        return NO_ROWS
    return t.rows("episodes", (_LOCATION == "IN") & _PL_LA.ne_missing(t.la_code.upper()))


@ssda903_rule("420", "ssda903_short_break_with_placement_la", ("episodes.PL_LA", "episodes.LS"),
              "A local authority of placement is derived for a short break (no placement postcode is expected).")
def _420(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", _PL_LA.is_not_null() & short_break())


@ssda903_rule("392a", "ssda903_distance_missing", ("episodes.PL_DISTANCE", "episodes.LS"),
              "The placement distance is missing for a child who is not on a short break.")
def _392a(t: RuleInput) -> pl.DataFrame:
    return episodes(t).filter((~short_break() & ~_uasc(t) & _DISTANCE.is_null()).fill_null(False)).select(
        "_row", "child_id")


@ssda903_rule("164", "ssda903_distance_out_of_range", ("episodes.PL_DISTANCE",),
              "The placement distance is below 0 or above 999.9 miles.")
def _164(t: RuleInput) -> pl.DataFrame:
    bad = ~short_break() & ~_uasc(t) & ((_DISTANCE < 0) | (_DISTANCE > 999.9))
    return episodes(t).filter(bad.fill_null(False)).select("_row", "child_id")


@ssda903_rule("406", "ssda903_distance_for_uasc", ("episodes.PL_DISTANCE", "header.UASC"),
              "A placement distance is given for an unaccompanied asylum-seeking child (it is not reported for "
              "them).")
def _406(t: RuleInput) -> pl.DataFrame:
    return episodes(t).filter((_uasc(t) & _DISTANCE.is_not_null()).fill_null(False)).select("_row", "child_id")


@ssda903_rule("454", "ssda903_distance_over_350", ("episodes.PL_DISTANCE",),
              "The placement distance is over 350 miles (other than the 999.9 placeholder): check it.",
              first_year=2026, severity="query")
def _454(t: RuleInput) -> pl.DataFrame:
    return t.rows("episodes", (_DISTANCE > 350) & (_DISTANCE != 999.9))


@ssda903_rule("1015", "ssda903_own_provision_outside_la", ("episodes.PLACE_PROVIDER", "episodes.PLACE", "episodes.LS",
                                                           "episodes.PL_LA"),
              "Own-LA provision (PR1) outside the LA for a placement that is not fostering, adoption or a short "
              "break.")
def _1015(t: RuleInput) -> pl.DataFrame:
    if t.la_code is None:
        return NO_ROWS
    bad = (pl.col("PLACE_PROVIDER") == "PR1") & ~_is(_PLACE, FOSTER_OR_ADOPTION) & ~short_break() \
        & _PL_LA.is_not_null() & (_PL_LA != t.la_code.upper())
    return t.rows("episodes", bad)
