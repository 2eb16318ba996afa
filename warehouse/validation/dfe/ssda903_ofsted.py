"""SSDA903 rules that need Ofsted's provider list or the national postcode list (reference §3.7 to 3.9).

Both are optional tables the caller supplies, read only when present:

- ``providers``: one row per Ofsted URN with ``URN``, ``PLACE_CODES`` and ``PROVIDER_CODES`` (the
  placement and provider codes Ofsted holds for it, separated by spaces, commas or semicolons),
  ``DEREG_DATE`` (deregistration date, blank when registered), ``POSTCODE`` and ``LA`` (the provider's
  local authority, in the same coding as the ``la_code`` given to :func:`run_rules`).
- ``postcodes``: the national postcode list, one ``POSTCODE`` per row.
"""

from __future__ import annotations

import polars as pl

from warehouse.validation.dfe.frames import RuleInput
from warehouse.validation.dfe.patterns import NO_ROWS
from warehouse.validation.dfe.rule import ssda903_rule
from warehouse.validation.dfe.ssda903_view import short_break

_PLACEHOLDER = "XXXXXXX"
_URN = pl.col("URN")
_REAL_URN = _URN.is_not_null() & (_URN != _PLACEHOLDER)


_PROVIDER_COLUMNS = ("PLACE_CODES", "PROVIDER_CODES", "DEREG_DATE", "POSTCODE", "LA")


def _with_provider(t: RuleInput, columns: tuple[str, ...]) -> pl.DataFrame:
    """Episodes with a real URN found in the provider list, with the provider's columns as ``__<column>``
    (the join is made once per run and shared by the rules; ``columns`` must be among them)."""
    if "providers:joined" not in t.cache:
        providers = t.table("providers").filter(_URN.is_not_null()).unique("URN", keep="first")
        present = [c for c in _PROVIDER_COLUMNS if c in providers.columns]
        providers = providers.select("URN", *[pl.col(c).alias(f"__{c}") for c in present])
        t.cache["providers:joined"] = t.table("episodes").filter(_REAL_URN).join(providers, on="URN", how="inner")
    return t.cache["providers:joined"]


def _listed(codes: str, value: str) -> pl.Expr:
    """True where ``value`` is one of the codes listed in the text column ``codes``."""
    listed = pl.col(codes).str.to_uppercase().str.extract_all(r"[A-Z0-9]+")
    return listed.list.contains(pl.col(value)).fill_null(False)


def _compact(column: str) -> pl.Expr:
    return pl.col(column).str.replace_all(r"\s", "").str.to_uppercase()


@ssda903_rule("1008", "ssda903_urn_not_in_ofsted_list", ("episodes.URN", "providers.URN"),
              "The Ofsted URN is not in Ofsted's list of providers.")
def _1008(t: RuleInput) -> pl.DataFrame:
    known = t.table("providers").select("URN").unique()
    return t.table("episodes").filter(_REAL_URN).join(known, on="URN", how="anti").select("_row", "child_id")


@ssda903_rule("219", "ssda903_placement_not_offered_by_provider", ("episodes.URN", "episodes.PLACE",
                                                                   "providers.PLACE_CODES"),
              "Ofsted does not list this placement type for the provider with this URN.", field="PLACE")
def _219(t: RuleInput) -> pl.DataFrame:
    frame = _with_provider(t, ("PLACE_CODES",))
    return frame.filter(pl.col("PLACE").is_not_null() & ~_listed("__PLACE_CODES", "PLACE")).select("_row", "child_id")


@ssda903_rule("224", "ssda903_provider_code_not_ofsted", ("episodes.URN", "episodes.PLACE_PROVIDER",
                                                          "providers.PROVIDER_CODES"),
              "Ofsted does not list this placement provider code for the provider with this URN.",
              field="PLACE_PROVIDER")
def _224(t: RuleInput) -> pl.DataFrame:
    frame = _with_provider(t, ("PROVIDER_CODES",))
    bad = pl.col("PLACE_PROVIDER").is_not_null() & ~_listed("__PROVIDER_CODES", "PLACE_PROVIDER")
    return frame.filter(bad).select("_row", "child_id")


def _postcode_places(year: int) -> tuple[str, ...]:
    if year <= 2023:
        return ("K1", "K2", "R3", "S1")
    return ("K1", "K2", "R3", "S1", "H5") if year == 2024 else ("K1", "K2", "R3", "S1", "K3")


@ssda903_rule("221", "ssda903_placement_postcode_not_provider", ("episodes.URN", "episodes.PL_POST", "episodes.PLACE",
                                                                 "episodes.LS", "providers.POSTCODE"),
              "The placement postcode differs from the postcode Ofsted holds for the provider.", field="PL_POST")
def _221(t: RuleInput) -> pl.DataFrame:
    frame = _with_provider(t, ("POSTCODE",))
    places = pl.col("PLACE").is_in(list(_postcode_places(t.year))).fill_null(False)
    differs = _compact("PL_POST").ne_missing(_compact("__POSTCODE"))
    return frame.filter(places & ~short_break() & differs).select("_row", "child_id")


@ssda903_rule("227", "ssda903_episode_after_deregistration", ("episodes.URN", "episodes.DECOM", "providers.DEREG_DATE"),
              "The episode starts on or after the provider's Ofsted deregistration date.", field="DECOM")
def _227(t: RuleInput) -> pl.DataFrame:
    frame = _with_provider(t, ("DEREG_DATE",))
    return frame.filter((pl.col("DECOM") >= pl.col("__DEREG_DATE")).fill_null(False)).select("_row", "child_id")


@ssda903_rule("228", "ssda903_episode_ends_after_deregistration", ("episodes.URN", "episodes.DEC",
                                                                   "providers.DEREG_DATE"),
              "The episode ends after the provider's Ofsted deregistration date, or is open although the provider "
              "was deregistered before the year end.", field="DEC")
def _228(t: RuleInput) -> pl.DataFrame:
    frame = _with_provider(t, ("DEREG_DATE",))
    dereg, dec = pl.col("__DEREG_DATE"), pl.col("DEC")
    bad = (dec > dereg) | (dec.is_null() & (dereg < pl.lit(t.end)))
    return frame.filter(bad.fill_null(False)).select("_row", "child_id")


@ssda903_rule("229", "ssda903_provider_la_mismatch", ("episodes.URN", "episodes.PLACE_PROVIDER", "providers.LA"),
              "The provider code says own LA (PR1) but Ofsted places the provider in another LA, or another LA "
              "(PR2) but Ofsted places it in this one.", field="PLACE_PROVIDER")
def _229(t: RuleInput) -> pl.DataFrame:
    if t.la_code is None:
        return NO_ROWS
    frame = _with_provider(t, ("LA",))
    here = pl.col("__LA") == t.la_code.upper()
    bad = ((pl.col("PLACE_PROVIDER") == "PR1") & ~here) | ((pl.col("PLACE_PROVIDER") == "PR2") & here)
    return frame.filter(bad.fill_null(False) & pl.col("__LA").is_not_null()).select("_row", "child_id")


@ssda903_rule("392c", "ssda903_postcode_unknown", ("episodes.HOME_POST", "episodes.PL_POST", "postcodes.POSTCODE"),
              "A home or placement postcode is not in the national postcode list.", field="PL_POST")
def _392c(t: RuleInput) -> pl.DataFrame:
    known = t.table("postcodes").select(_compact("POSTCODE").alias("__p")).unique().with_columns(
        pl.lit(True).alias("__known"))
    frame = t.table("episodes").with_columns(_compact("HOME_POST").alias("__home"), _compact("PL_POST").alias("__pl"))
    for column, flag in (("__home", "__home_known"), ("__pl", "__pl_known")):
        frame = frame.join(known.rename({"__known": flag}), left_on=column, right_on="__p", how="left",
                           maintain_order="left")
    unknown = (pl.col("__home").is_not_null() & pl.col("__home_known").is_null()) | (
        pl.col("__pl").is_not_null() & pl.col("__pl_known").is_null())
    return frame.filter(unknown).select("_row", "child_id")
