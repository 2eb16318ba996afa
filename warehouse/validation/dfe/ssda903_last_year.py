"""SSDA903 rules comparing this year's return with last year's (``header_last``, ``episodes_last``):
the child's fixed facts, and the episode open at the end of last year against this year's first
(reference §3.1, 3.3, 3.11; skipped when last year's tables are not supplied)."""

from __future__ import annotations

import polars as pl

from warehouse.validation.dfe.frames import RuleInput
from warehouse.validation.dfe.rule import ssda903_rule
from warehouse.validation.dfe.ssda903_view import episodes, first_in_year, header
from warehouse.vocabulary import normalise_sex_expr


def _with_last(t: RuleInput, columns: tuple[str, ...]) -> pl.DataFrame:
    last = header(t, "header_last").select("_child", *[pl.col(c).alias(f"{c}__last") for c in columns])
    return t.table("header").join(last, on="_child", how="inner")


def _differs(t: RuleInput, column: str, condition: pl.Expr | None = None) -> pl.DataFrame:
    frame = _with_last(t, (column,))
    now, before = pl.col(column), pl.col(f"{column}__last")
    if column == "SEX":  # 2023-24's 1/2 and 2024-25's M/F name the same sex (reference §5.1.9)
        now, before = normalise_sex_expr(now), normalise_sex_expr(before)
    bad = now.ne_missing(before) if condition is None else condition
    return frame.filter(bad.fill_null(False)).select("_row", "child_id")


@ssda903_rule("202", "ssda903_sex_changed", ("header.SEX", "header_last.SEX"),
              "Sex differs from last year's return for the same child (last year's 1/2 codes are read as M/F).")
def _202(t: RuleInput) -> pl.DataFrame:
    return _differs(t, "SEX")


@ssda903_rule("203", "ssda903_dob_changed", ("header.DOB", "header_last.DOB"),
              "The date of birth differs from last year's return for the same child.")
def _203(t: RuleInput) -> pl.DataFrame:
    return _differs(t, "DOB")


@ssda903_rule("204", "ssda903_ethnicity_changed", ("header.ETHNIC", "header_last.ETHNIC"),
              "Ethnicity differs from last year's return for the same child.")
def _204(t: RuleInput) -> pl.DataFrame:
    return _differs(t, "ETHNIC")


@ssda903_rule("208", "ssda903_upn_changed", ("header.UPN", "header_last.UPN"),
              "The UPN differs from last year's in a way that is not allowed (only an unknown code becoming a "
              "UPN, or a blank or UN1 becoming another unknown code).")
def _208(t: RuleInput) -> pl.DataFrame:
    now, before = pl.col("UPN"), pl.col("UPN__last")
    un = ["UN1", "UN2", "UN3", "UN4", "UN5"]
    allowed = (
        now.eq_missing(before)
        | ((before.is_null() | (before == "UN1")) & now.is_in(un[1:]))
        | (before.is_null() & (now == "UN1"))
        | ((before.is_null() | before.is_in(un)) & now.is_not_null() & ~now.is_in(un))
    )
    return _differs(t, "UPN", ~allowed.fill_null(False))


@ssda903_rule("207", "ssda903_mother_changed", ("header.MOTHER", "header_last.MOTHER", "episodes.CHILD"),
              "The young woman was recorded as a mother last year but not this year.", field="MOTHER")
def _207(t: RuleInput) -> pl.DataFrame:
    frame = _with_last(t, ("MOTHER",)).join(t.table("episodes").select("_child").unique(), on="_child", how="semi")
    bad = (pl.col("MOTHER__last") == "1") & pl.col("MOTHER").ne_missing("1")
    return frame.filter(bad.fill_null(False)).select("_row", "child_id")


@ssda903_rule("624", "ssda903_child_dob_changed", ("header.MC_DOB", "header_last.MC_DOB"),
              "The first child's date of birth differs from the one recorded last year.")
def _624(t: RuleInput) -> pl.DataFrame:
    return _differs(t, "MC_DOB", pl.col("MC_DOB__last").is_not_null() & pl.col("MC_DOB").ne_missing(
        pl.col("MC_DOB__last")))


@ssda903_rule("626", "ssda903_new_mother_child_born_earlier", ("header.MOTHER", "header.MC_DOB", "header_last.MOTHER"),
              "The young woman is newly recorded as a mother but her first child was born before this year.",
              field="MC_DOB")
def _626(t: RuleInput) -> pl.DataFrame:
    cond = (pl.col("MOTHER") == "1") & (pl.col("MOTHER__last") == "0") & (pl.col("MC_DOB") < pl.lit(t.start))
    return _differs(t, "MOTHER", cond)


# --------------------------------------------------------------------------- episodes across the years


def _carried(t: RuleInput) -> pl.DataFrame:
    """This year's first episode of each child whose last year's final episode was open, with that episode's
    values suffixed ``__last``."""
    if "carried" in t.cache:
        return t.cache["carried"]
    last = episodes(t, "episodes_last").filter(pl.col("__last") & pl.col("DEC").is_null())
    columns = [c for c in last.columns if not c.startswith("_") and c != "child_id"]
    last = last.select("_child", *[pl.col(c).alias(f"{c}__last") for c in columns])
    t.cache["carried"] = first_in_year(t).join(last, on="_child", how="inner")
    return t.cache["carried"]


def _open_episode_rule(code: str, column: str, words: str) -> None:
    @ssda903_rule(code, f"ssda903_carried_episode_{column.lower()}_changed",
                  (f"episodes.{column}", f"episodes_last.{column}", "episodes_last.DEC"),
                  f"The child's first episode this year has a different {words} from the episode left open at the "
                  "end of last year.")
    def _check(t: RuleInput) -> pl.DataFrame:
        frame = _carried(t)
        bad = pl.col(column).ne_missing(pl.col(f"{column}__last"))
        if code == "503D":
            allowed = ((pl.col(f"{column}__last") == "H5") & (pl.col(column) == "K3") & pl.lit(t.year in (2024, 2025))) | (
                (pl.col(f"{column}__last") == "Z1") & pl.col(column).is_in(["Z11", "Z12", "Z13", "Z14"])
                & pl.lit(t.year == 2026))
            bad = bad & ~allowed.fill_null(False)
        return frame.filter(bad.fill_null(False)).select("_row", "child_id")


for _code, _column, _words in (
    ("502", "DECOM", "start date"), ("503A", "RNE", "reason for new episode"), ("503B", "LS", "legal status"),
    ("503C", "CIN", "category of need"), ("503D", "PLACE", "placement type"),
    ("503E", "PLACE_PROVIDER", "placement provider"), ("503F", "URN", "Ofsted URN"),
    ("503H", "PL_LA", "local authority of placement"), ("503J", "PL_LOCATION", "placement location (in or out of "
                                                                               "the LA)"),
):
    _open_episode_rule(_code, _column, _words)


def _distance_moved(now: pl.Expr, before: pl.Expr) -> pl.Expr:
    return (now.is_not_null() & before.is_null()) | ((now - before).abs() >= 0.2)


@ssda903_rule("503G", "ssda903_carried_episode_distance_changed", ("episodes.PL_DISTANCE", "episodes_last.PL_DISTANCE",
                                                                   "episodes_last.DEC"),
              "The child's first episode this year has a placement distance 0.2 miles or more from that of the "
              "episode left open at the end of last year.")
def _503g(t: RuleInput) -> pl.DataFrame:
    frame = _carried(t)
    now = pl.col("PL_DISTANCE").cast(pl.Float64, strict=False)
    before = pl.col("PL_DISTANCE__last").cast(pl.Float64, strict=False)
    return frame.filter(_distance_moved(now, before).fill_null(False)).select("_row", "child_id")


@ssda903_rule("452", "ssda903_carried_episode_la_moved", ("episodes.PL_LA", "episodes.RNE", "episodes_last.PL_LA",
                                                          "episodes_last.DEC"),
              "The first episode this year keeps last year's reason for new episode but the local authority of "
              "placement differs.", field="PL_LA")
def _452(t: RuleInput) -> pl.DataFrame:
    frame = _carried(t)
    bad = pl.col("RNE").eq_missing(pl.col("RNE__last")) & pl.col("PL_LA").ne_missing(pl.col("PL_LA__last"))
    return frame.filter(bad.fill_null(False)).select("_row", "child_id")


@ssda903_rule("453", "ssda903_carried_episode_distance_moved", ("episodes.PL_DISTANCE", "episodes.RNE",
                                                                "episodes_last.PL_DISTANCE", "episodes_last.DEC"),
              "The first episode this year keeps last year's reason for new episode but the placement distance "
              "differs by 0.2 miles or more.", field="PL_DISTANCE")
def _453(t: RuleInput) -> pl.DataFrame:
    frame = _carried(t)
    now = pl.col("PL_DISTANCE").cast(pl.Float64, strict=False)
    before = pl.col("PL_DISTANCE__last").cast(pl.Float64, strict=False)
    bad = pl.col("RNE").eq_missing(pl.col("RNE__last")) & _distance_moved(now, before)
    return frame.filter(bad.fill_null(False)).select("_row", "child_id")


@ssda903_rule("562", "ssda903_continuing_episode_missing_last_year", ("episodes.DECOM", "episodes_last.DECOM"),
              "The child's earliest episode starting before this year does not match the latest episode in last "
              "year's return.")
def _562(t: RuleInput) -> pl.DataFrame:
    earlier = episodes(t).filter(pl.col("DECOM") < pl.lit(t.start)).group_by("_child").agg(
        pl.col("DECOM").min().alias("__earliest"), pl.col("_row").first(), pl.col("child_id").first())
    last = episodes(t, "episodes_last").filter(pl.col("__last")).select("_child", pl.col("DECOM").alias("__latest"))
    joined = earlier.join(last, on="_child", how="inner")
    return joined.filter(pl.col("__earliest").ne_missing(pl.col("__latest"))).select("_row", "child_id")


@ssda903_rule("NoE", "ssda903_no_episodes_last_year", ("episodes.DECOM", "episodes_last.CHILD"),
              "An episode starts before this year but the child has no episodes in last year's return.")
def _noe(t: RuleInput) -> pl.DataFrame:
    before = t.table("episodes").filter((pl.col("DECOM") < pl.lit(t.start)).fill_null(False))
    return before.join(t.table("episodes_last").select("_child").unique(), on="_child", how="anti").select(
        "_row", "child_id")
