"""The one disclosure engine: primary and secondary suppression, rates, running totals, the audit."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse.disclosure import (
    SUPPRESSED,
    Cumulative,
    Disclosure,
    Nested,
    Published,
    Rate,
    Series,
    Sum,
    count_phrase,
    find_leaks,
    is_revealing_count,
    mask_numbers,
    neutralise_formula,
    rate_phrase,
)

C = SUPPRESSED


def test_primary_suppression_hides_1_to_5_keeps_zero_and_6() -> None:
    df = pl.DataFrame({"n": [0, 1, 5, 6, None], "d": [10, 10, 10, 12, None], "rate": [0.0, 0.1, 0.5, 0.5, None]})
    out = Disclosure(counts=("n", "d"), rates={"rate": Rate("n", "d")}).apply(df)
    # 6 of 12 leaves 6 not counted: safe; 1 of 10 and 5 of 10 hide the count and its rate
    assert out["n"].to_list() == ["0", C, C, "6", None]
    assert out["rate"].to_list()[:4] == ["0.0", C, C, "0.5"]


def test_rate_with_a_small_complement_hides_a_count_and_the_rate() -> None:
    # 27 of 30 linked: 3 not linked is a count of 1-5 (30 - 27), so 27 (the smaller shown count) goes
    df = pl.DataFrame({"links": [27, 20], "n": [30, 30], "match_rate": [0.9, 2 / 3]})
    out = Disclosure(counts=("links", "n"), rates={"match_rate": Rate("links", "n")}).apply(df)
    assert out["links"].to_list() == [C, "20"]
    assert out["n"].to_list() == [30, 30]  # untouched columns keep their type
    assert out["match_rate"].to_list() == [C, "0.6667"]


def test_secondary_suppression_across_rows_of_a_group() -> None:
    # site A: 3 + 10 + 40 add up to a total shown elsewhere: the 10 goes too. Site B has nothing small.
    df = pl.DataFrame({"site_id": ["A", "A", "A", "B", "B"], "sub": list("xyzxy"), "n": [3, 10, 40, 20, 30]})
    out = Disclosure(counts=("n",), groups=("site_id",)).apply(df)
    assert out["n"].to_list() == [C, C, "40", "20", "30"]


def test_secondary_suppression_not_needed_when_two_cells_already_hidden() -> None:
    df = pl.DataFrame({"site_id": ["A"] * 3, "n": [2, 4, 50]})
    assert Disclosure(counts=("n",), groups=("site_id",)).apply(df)["n"].to_list() == [C, C, "50"]


def test_secondary_suppression_across_columns_of_a_row() -> None:
    # eligible = scored + missing: hiding missing = 4 alone would leave it as 40 - 36
    df = pl.DataFrame({"eligible": [40, 40], "scored": [36, 20], "missing": [4, 20]})
    out = Disclosure(counts=("eligible", "scored", "missing"), sums=(Sum("eligible", ("scored", "missing")),)).apply(df)
    assert out.row(0) == (40, C, C)
    assert out.row(1) == (40, "20", "20")


def test_secondary_suppression_reaches_a_fixpoint_across_rows_and_columns() -> None:
    # two rows of a group, each with eligible = scored + missing; the group total of each column is shown
    df = pl.DataFrame({"g": ["a", "a", "a"], "eligible": [30, 40, 50], "scored": [27, 30, 40],
                       "missing": [3, 10, 10]})
    decl = Disclosure(counts=("eligible", "scored", "missing"), groups=("g",),
                      sums=(Sum("eligible", ("scored", "missing")),))
    out = decl.apply(df)
    leaks = find_leaks([Published("t", out.with_columns(pl.Series("row", [1, 2, 3])), decl, ("g", "row"))])
    assert leaks == []
    assert out["missing"][0] == C


def test_row_linked_hides_every_count_in_a_row() -> None:
    df = pl.DataFrame({"eligible": [20, 30], "scored": [3, 25], "missing": [17, 5]})
    out = Disclosure(counts=("eligible", "scored", "missing"), row_linked=True).apply(df)
    assert out.row(0) == (C, C, C) and out.row(1) == (C, C, C)


def test_running_totals_are_published_only_where_increments_are_safe() -> None:
    # monthly increments 8, 2, 3, 10, 0: the 2 and the 3 would show by subtraction
    df = pl.DataFrame({"site": ["a"] * 5, "month": [1, 2, 3, 4, 5], "referred": [8, 10, 13, 23, 23]})
    decl = Disclosure(counts=("referred",), cumulative=Cumulative(("referred",), ("month",), ("site",)))
    out = decl.apply(df)
    # 10 - 8 = 2 hidden; 13 - 8 = 5 hidden; 23 - 8 = 15 shown; 23 - 23 = 0 shown
    assert out["referred"].to_list() == ["8", C, C, "23", "23"]
    assert find_leaks([Published("t", out, decl, ("site", "month"))]) == []


def test_running_totals_of_nested_columns_are_safe_in_both_and_in_their_difference() -> None:
    df = pl.DataFrame({"month": [1, 2, 3], "referred": [10, 20, 30], "with_baseline": [10, 17, 24]})
    decl = Disclosure(counts=("referred", "with_baseline"), nested=(Nested("with_baseline", "referred"),),
                      cumulative=Cumulative(("referred", "with_baseline"), ("month",)))
    out = decl.apply(df)
    # month 2: 3 referred without baseline (20 - 17) so far: hidden; month 3: 6 without baseline: shown
    assert out["referred"].to_list() == ["10", C, "30"]
    assert find_leaks([Published("t", out, decl, ("month",))]) == []


def test_a_funnel_series_hides_the_step_that_would_reveal_a_small_loss() -> None:
    # n[k] = n[k-1] - lost[k]; rate = n / n_before (support column, never published)
    df = pl.DataFrame({"step_no": [1, 2, 3], "n": [40, 37, 20], "lost": [0, 3, 17], "n_before": [40, 40, 37],
                       "rate": [None, 37 / 40, 20 / 37]})
    decl = Disclosure(counts=("n", "lost"), rates={"rate": Rate("n", "n_before")}, support=("n_before",),
                      sums=(Sum("n_before", ("n", "lost")),), series=(Series("n", "n_before", ("step_no",)),))
    out = decl.apply(df)
    assert "n_before" not in out.columns
    assert out["lost"][1] == C and out["rate"][1] == C
    assert find_leaks([Published("funnel", out, decl, ("step_no",))]) == []


def test_audit_finds_a_total_minus_parts_across_tables() -> None:
    parts = pl.DataFrame({"site_id": ["a"] * 3, "sub": ["x", "y", "z"], "n": [C, "10", "40"]})
    total = pl.DataFrame({"site_id": ["a"], "n": [53]})
    leaks = find_leaks([
        Published("subgroups", parts, Disclosure(counts=("n",), groups=("site_id",)), ("site_id", "sub")),
        Published("overall", total, Disclosure(counts=("n",)), ("site_id",)),
    ])
    assert [(leak.table, leak.value) for leak in leaks] == [("subgroups", 3.0)]
    assert "recovered from" in leaks[0].how


def test_audit_finds_rate_times_denominator_and_cumulative_differences() -> None:
    rates = pl.DataFrame({"site_id": ["a"], "n": ["8"], "links": [C], "match_rate": [0.375]})
    decl = Disclosure(counts=("n", "links"), rates={"match_rate": Rate("links", "n")})
    # 3 linked (0.375 x 8) and 5 not linked
    assert sorted(leak.value for leak in find_leaks([Published("t", rates, decl, ("site_id",))])) == [3.0, 5.0]
    # a rate shown in one table, its denominator in another (same key)
    only_rate = pl.DataFrame({"site_id": ["a"], "links": [C], "n": [C], "match_rate": [0.375]})
    denominators = pl.DataFrame({"site_id": ["a"], "n": [8]})
    assert find_leaks([Published("rates", only_rate, decl, ("site_id",)),
                       Published("sizes", denominators, Disclosure(counts=("n",)), ("site_id",))])
    cum = pl.DataFrame({"month": [1, 2], "referred": [8, 10]})
    cdecl = Disclosure(counts=("referred",), cumulative=Cumulative(("referred",), ("month",)))
    assert [leak.value for leak in find_leaks([Published("t", cum, cdecl, ("month",))])] == [2.0]


def test_a_primary_only_engine_fails_the_audit() -> None:
    df = pl.DataFrame({"site_id": ["a"] * 3, "sub": ["x", "y", "z"], "n": [3, 10, 40]})
    decl = Disclosure(counts=("n",), groups=("site_id",))
    leaky = Disclosure(counts=("n",)).apply(df)  # no secondary suppression
    total = pl.DataFrame({"site_id": ["a"], "n": [53]})
    published = [Published("total", total, Disclosure(counts=("n",)), ("site_id",))]
    assert find_leaks([Published("leaky", leaky, decl, ("site_id", "sub")), *published])
    assert not find_leaks([Published("safe", decl.apply(df), decl, ("site_id", "sub")), *published])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=6))
def test_property_no_engine_output_leaks_under_its_own_declaration(rows: list[tuple[int, int]]) -> None:
    """Random groups of (scored, missing): whatever the engine publishes, the audit recovers nothing small."""
    df = pl.DataFrame({"g": ["a"] * len(rows), "row": list(range(len(rows))),
                       "scored": [r[0] for r in rows], "missing": [r[1] for r in rows],
                       "eligible": [r[0] + r[1] for r in rows]})
    df = df.with_columns((pl.col("scored") / pl.when(pl.col("eligible") > 0).then(pl.col("eligible"))).alias("rate"))
    decl = Disclosure(counts=("eligible", "scored", "missing"), groups=("g",),
                      rates={"rate": Rate("scored", "eligible")}, sums=(Sum("eligible", ("scored", "missing")),))
    out = decl.apply(df)
    assert find_leaks([Published("t", out, decl, ("g", "row"))]) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=15))
def test_property_running_totals_never_leak(increments: list[int]) -> None:
    totals, run = [], 0
    for inc in increments:
        run += inc
        totals.append(run)
    df = pl.DataFrame({"month": list(range(len(totals))), "n": totals})
    decl = Disclosure(counts=("n",), cumulative=Cumulative(("n",), ("month",)))
    assert find_leaks([Published("t", decl.apply(df), decl, ("month",))]) == []


def test_sentences_from_suppressed_values_and_free_text_masking() -> None:
    assert count_phrase(C, "child", "children") == "[c] children"
    assert count_phrase(1, "child", "children") == "1 child"
    assert count_phrase(1204, "record") == "1,204 records"
    assert rate_phrase(0.251) == "25.1%" and rate_phrase(C) == C and rate_phrase(None) == "[x]"
    assert mask_numbers("DASH retention 25% (2 of 8); CORE-10 and GAD-7 fine") == \
        "DASH retention [c] ([c] of [c]); CORE-10 and GAD-7 fine"


@pytest.mark.parametrize("text", ["=1+1", '=HYPERLINK("http://evil.example","x")', "+cmd", "-2+3", "@SUM(A1)",
                                  "\tx", "\r=1"])
def test_formula_starts_are_neutralised(text: str) -> None:
    out = neutralise_formula(text)
    assert out.startswith("'") and out[1:] == text


def test_numbers_and_plain_text_are_left_alone() -> None:
    assert [neutralise_formula(x) for x in ("-0.05", "+3", "1e-3", "a=b", "")] == ["-0.05", "+3", "1e-3", "a=b", ""]


def test_is_revealing_count() -> None:
    assert [is_revealing_count(v) for v in ("0", "1", "5", "6", "[c]", "2.5", "1,234")] == [
        False, True, True, False, False, False, False]


def test_legend_states_the_policy_threshold() -> None:
    """The [c] legend is written from the policy's threshold, not a fixed '1 to 5'."""
    from warehouse.disclosure import DisclosurePolicy, legend_rows

    assert "from 1 to 5," in dict(legend_rows())["[c]"]
    wider = dict(legend_rows(policy=DisclosurePolicy(9)))
    assert "from 1 to 9," in wider["[c]"] and "1 to 5" not in wider["[c]"]
    assert [s for s, _ in legend_rows(["[c]"], DisclosurePolicy(9))] == ["[c]"]
