"""Blocking: the union of equality joins equals a brute-force check of the rules."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from linkage.blocking import BLOCKING_RULES, BlockingRule, candidates_sql, default_rules, get_blocking_rule
from linkage.sqlbuild import SqlBuilder
from warehouse.errors import ConfigError

LEFT = pl.DataFrame({"uid": [0, 1, 2, 3], "a": ["x", "x", "y", None], "b": [1, 2, 1, 1]})
RIGHT = pl.DataFrame({"uid": [0, 1, 2], "a": ["x", "y", None], "b": [2, 1, 1]})
RULES = [BlockingRule("on_a", ("a",)), BlockingRule("on_b", ("b",))]


def _candidates(left: pl.DataFrame, right: pl.DataFrame | None) -> pl.DataFrame:
    con = duckdb.connect()
    try:
        con.register("_lk_left", left)
        if right is not None:
            con.register("_lk_right", right)
        b = SqlBuilder()
        sql, params = b.render(candidates_sql(b, RULES, dedupe=right is None))
        con.execute(sql, params)
        return con.sql("SELECT * FROM _lk_candidates ORDER BY l_id, r_id").pl()
    finally:
        con.close()


def test_union_of_equality_joins_with_rule_bits() -> None:
    got = {(r["l_id"], r["r_id"]): r["rules"] for r in _candidates(LEFT, RIGHT).iter_rows(named=True)}
    want: dict[tuple[int, int], int] = {}
    for lrow in LEFT.iter_rows(named=True):
        for rrow in RIGHT.iter_rows(named=True):
            bits = 0
            for i, rule in enumerate(RULES):
                if all(lrow[c] is not None and lrow[c] == rrow[c] for c in rule.columns):
                    bits |= 1 << i
            if bits:
                want[(lrow["uid"], rrow["uid"])] = bits
    assert got == want
    assert got[(0, 0)] == 1          # agree on a only
    assert got[(2, 1)] == 3          # agree on a and b: one pair, both bits


def test_dedupe_pairs_once_and_never_with_itself() -> None:
    got = _candidates(LEFT, None)
    assert (got["l_id"] < got["r_id"]).all()
    assert set(zip(got["l_id"], got["r_id"], strict=True)) == {(0, 1), (0, 2), (0, 3), (2, 3)}


def test_generated_sql_is_an_equality_join_never_an_or_join() -> None:
    b = SqlBuilder()
    sql, params = b.render(RULES[0].pairs_sql(b, 0, dedupe=False))
    assert sql == ('SELECT "l"."uid" AS l_id, "r"."uid" AS r_id, CAST($p1 AS BIGINT) AS bit FROM "_lk_left" AS l '
                   'JOIN "_lk_right" AS r ON "l"."a" = "r"."a"')
    assert params == {"p1": 1}
    b = SqlBuilder()
    full, _ = b.render(candidates_sql(b, [get_blocking_rule("names_phonetic"), get_blocking_rule("dob_sex")], False))
    joins = full.upper().split(" ON ")[1:]
    assert len(joins) == 2 and not any(" OR " in j for j in joins) and "UNION ALL" in full.upper()


def test_default_rules_follow_the_shared_columns() -> None:
    names = {r.name for r in default_rules({"forename", "dob", "forename_init", "sex", "postcode", "dob_year"})}
    assert "dob_forename_initial" in names and "dob_sex" not in names        # names present: no loose rule
    no_names = {r.name for r in default_rules({"dob", "sex", "postcode", "dob_year", "pc_district"})}
    assert {"dob_sex", "postcode_year", "dob_district"} <= no_names
    assert get_blocking_rule("postcode_year").trains is False and get_blocking_rule("names_phonetic").trains


def test_unknown_rule_and_no_rule() -> None:
    with pytest.raises(ConfigError, match="did you mean"):
        get_blocking_rule("names_phonetik")
    with pytest.raises(ConfigError, match="no blocking rule"):
        candidates_sql(SqlBuilder(), [], False)
    assert len(BLOCKING_RULES) >= 10
