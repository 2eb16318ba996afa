"""Completeness, retention and descriptive change on a hand-built frame with known answers."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest

from evaluation.completeness import (
    CHANGE_LABEL,
    change_table,
    completeness_table,
    months_before,
    rci_threshold,
    score_measurements,
)
from evaluation.settings import ReadinessSettings
from evaluation.summary import COMPLETENESS_DISCLOSURE, safe_completeness
from warehouse.disclosure import Published, find_leaks
from warehouse.measures import MeasureSettings, get_measure

AS_OF = date(2025, 3, 31)


def phq9_items(total: int, missing: int = 0) -> list[int | None]:
    """Nine PHQ-9 items summing to ``total`` (3s first), with the last ``missing`` items blank."""
    items: list[int | None] = []
    left = total
    for _ in range(9):
        v = min(3, left)
        items.append(v)
        left -= v
    for i in range(missing):
        items[8 - i] = None
    return items


def person(key, role, sex, referral):
    return {"person_key": key, "site_id": "fbs", "role": role, "referral_date": referral, "sex": sex,
            "ethnicity": "WBRI", "age_band": "25-34"}


PEOPLE = pl.DataFrame([
    person("p1", "victim_parent", "F", date(2024, 1, 1)), person("p2", "victim_parent", "F", date(2024, 1, 1)),
    person("p3", "victim_parent", "F", date(2024, 1, 1)), person("p4", "victim_parent", "F", date(2024, 1, 1)),
    person("p5", "victim_parent", "M", date(2024, 1, 1)), person("p6", "victim_parent", "M", date(2024, 1, 1)),
    person("p7", "victim_parent", "M", date(2025, 3, 1)),   # referred a month ago: no follow-up due yet
    person("h1", "harm_parent", "M", date(2024, 6, 1)),     # PHQ-9 is asked of both parents
    person("c1", "child", "F", date(2024, 1, 1)),           # a child: never eligible for PHQ-9
])


def row(key, tp, items):
    return {"person_key": key, "site_id": "fbs", "measure": "phq9", "timepoint": tp, "items": items}


MEASUREMENTS = pl.DataFrame([
    row("p1", "baseline", phq9_items(10)), row("p1", "followup", phq9_items(3)),     # -7: reliable + clinical
    row("p2", "baseline", phq9_items(12)), row("p2", "followup", phq9_items(14)),    # +2: no reliable change
    row("p3", "baseline", phq9_items(8, missing=1)), row("p3", "followup", phq9_items(6)),  # baseline unscored
    row("p4", "baseline", phq9_items(5)),                                             # lost to follow-up
    row("p6", "baseline", phq9_items(20)), row("p6", "followup", phq9_items(13)),    # -7 but still clinical
    row("p7", "baseline", phq9_items(9)),
    row("h1", "baseline", phq9_items(4)),
], schema_overrides={"items": pl.List(pl.Int64)})

SETTINGS = ReadinessSettings()


@pytest.fixture(scope="module")
def scored() -> pl.DataFrame:
    return score_measurements(MEASUREMENTS, SETTINGS)


@pytest.fixture(scope="module")
def table(scored) -> pl.DataFrame:
    return completeness_table(PEOPLE, scored, {"fbs": ["phq9"]}, SETTINGS, AS_OF)


def pick(table, timepoint, subgroup_type="all", subgroup="all"):
    rows = table.filter((pl.col("timepoint") == timepoint) & (pl.col("subgroup_type") == subgroup_type)
                        & (pl.col("subgroup") == subgroup))
    assert rows.height == 1
    return rows.row(0, named=True)


def test_scoring_uses_the_missing_item_rule(scored):
    p3 = scored.filter((pl.col("person_key") == "p3") & (pl.col("timepoint") == "baseline"))
    assert p3["total"].to_list() == [None]
    assert scored.filter(pl.col("person_key") == "p1")["total"].to_list() == [10.0, 3.0]


def test_baseline_completeness(table):
    b = pick(table, "baseline")
    # eligible: p1-p7 + h1 (parents; not the child); recorded 7; scored 6 (p3 has a missing item)
    assert (b["eligible"], b["recorded"], b["scored"], b["missing"]) == (8, 7, 6, 2)
    assert b["completeness"] == pytest.approx(6 / 8)
    assert b["retained"] is None and b["retention"] is None


def test_followup_completeness_and_retention(table):
    f = pick(table, "followup")
    # due: everyone referred >= 6 months before as-of (p7 is not); p1, p2, p3, p6 scored at follow-up
    assert (f["eligible"], f["recorded"], f["scored"], f["missing"]) == (7, 4, 4, 3)
    # scored at baseline and due: p1, p2, p4, p6, h1; of them scored at follow-up: p1, p2, p6
    assert (f["baseline_scored"], f["retained"]) == (5, 3)
    assert f["retention"] == pytest.approx(0.6)


def test_subgroups_and_small_count_flag(table):
    female = pick(table, "baseline", "sex", "Female")   # labels from warehouse.vocabulary
    assert (female["eligible"], female["scored"]) == (4, 3)
    assert female["small_count"] is True
    groups = table.filter((pl.col("timepoint") == "baseline") & (pl.col("subgroup_type") == "sex"))
    assert groups["eligible"].sum() == pick(table, "baseline")["eligible"]   # subgroups partition the total
    assert set(table["subgroup_type"].unique()) == {"all", "sex", "ethnic_group", "age_band"}


def test_descriptive_change_reliable_and_clinically_significant(scored):
    ch = change_table(scored, {"fbs": ["phq9"]}, SETTINGS).row(0, named=True)
    assert ch["n_pairs"] == 3                            # p1, p2, p6
    assert ch["mean_change"] == pytest.approx(-4.0)      # (-7 + 2 - 7) / 3
    assert ch["sd_change"] == pytest.approx(math.sqrt(27))
    half = 4.302652729911275 * math.sqrt(27) / math.sqrt(3)   # t(0.975, 2)
    assert (ch["ci_low"], ch["ci_high"]) == (pytest.approx(-4 - half), pytest.approx(-4 + half))
    assert ch["rci_points"] == 6.0                       # PHQ-9's published reliable-change threshold
    assert (ch["reliable_improvement"], ch["reliable_deterioration"], ch["no_reliable_change"]) == (2, 0, 1)
    assert ch["clinically_significant"] == 1             # only p1 crosses the caseness cut-off of 10
    assert ch["label"] == CHANGE_LABEL == "pre-post description, not impact"


def test_jacobson_truax_rci_when_no_published_threshold():
    iesr = get_measure("iesr")   # reliability 0.96, no fixed threshold
    assert rci_threshold(iesr, 10.0) == pytest.approx(1.96 * 10 * math.sqrt(2) * math.sqrt(0.04))
    assert rci_threshold(get_measure("coda_child"), 10.0) is None   # no published reliability


def test_site_settings_apply_when_rescoring():
    rows = pl.DataFrame([
        {"person_key": "s1", "site_id": "sat", "measure": "score15", "timepoint": "baseline", "items": [1] * 15},
    ], schema_overrides={"items": pl.List(pl.Int64)})
    default = score_measurements(rows, SETTINGS)["total"].to_list()
    reversed_ = score_measurements(rows, ReadinessSettings(
        measures=MeasureSettings(score15_recoding={"sat": "reversed_anchors"})))["total"].to_list()
    assert default == [55.0] and reversed_ == [35.0]


def _comp(**cols):
    n = len(next(iter(cols.values())))
    base = {"site_id": ["fbs"] * n, "measure": ["phq9"] * n, "timepoint": ["baseline"] * n,
            "subgroup_type": ["sex"] * n, "subgroup": [f"g{i}" for i in range(n)], "recorded": cols["eligible"],
            "prorated": [0] * n, "baseline_scored": [None] * n, "retained": [None] * n, "retention": [None] * n}
    return pl.DataFrame({**base, **cols})


def test_site_view_hides_small_counts_with_their_rates_and_a_second_cell():
    df = _comp(eligible=[40, 8, 0], scored=[30, 3, 0], missing=[10, 5, 0], completeness=[0.75, 0.375, None])
    out = safe_completeness(df)
    assert out.row(1, named=True)["scored"] == "[c]" and out.row(1, named=True)["missing"] == "[c]"
    assert out["completeness"].to_list()[1] == "[c]"        # 0.375 = 3/8 never shown
    # secondary: the sex rows add up to a total shown elsewhere, so a second row's cells go too
    assert out.row(0, named=True)["scored"] == "[c]" and out.row(0, named=True)["missing"] == "[c]"
    keys = ("site_id", "measure", "timepoint", "subgroup_type", "subgroup")
    audit = [Published("completeness", out, COMPLETENESS_DISCLOSURE, keys)]
    assert find_leaks(audit) == []                          # the engine's own attacker recovers nothing
    raw = [Published("completeness", df, COMPLETENESS_DISCLOSURE, keys)]
    assert find_leaks(raw)                                  # ... and does catch the unsuppressed table


def test_helpers():
    assert months_before(date(2025, 3, 31), 1) == date(2025, 2, 28)
    assert months_before(date(2024, 8, 31), 6) == date(2024, 2, 29)


def test_ethnic_groups_and_not_known_come_from_the_shared_vocabulary(table):
    groups = set(table.filter(pl.col("subgroup_type") == "ethnic_group")["subgroup"])
    assert groups == {"White"}                               # WBRI for everyone in PEOPLE
    people = PEOPLE.with_columns(pl.lit(None, pl.Utf8).alias("ethnicity"), pl.lit(None, pl.Utf8).alias("sex"))
    t = completeness_table(people, score_measurements(MEASUREMENTS, SETTINGS), {"fbs": ["phq9"]}, SETTINGS, AS_OF)
    assert set(t.filter(pl.col("subgroup_type") == "ethnic_group")["subgroup"]) == {"Not known"}
    assert set(t.filter(pl.col("subgroup_type") == "sex")["subgroup"]) == {"Not known"}


@pytest.mark.parametrize("code", ["asq3", "asqse2"])
def test_asq_change_rows_name_no_single_cut_off(code):
    """Each ASQ questionnaire was judged against its own age interval's cut-off: the change row must not
    show one interval's cut-off as if it applied to every baby (it showed the 30-month one)."""
    from evaluation.completeness import PER_AGE_INTERVAL

    scored = pl.DataFrame({
        "person_key": ["a", "a", "b", "b"], "site_id": ["fbs"] * 4, "measure": [code] * 4,
        "timepoint": ["baseline", "followup"] * 2, "total": [40.0, 45.0, 50.0, 52.0],
        "clinical": [True, False, False, False],
    })
    row = change_table(scored, {"fbs": [code]}, SETTINGS).row(0, named=True)
    assert row["n_pairs"] == 2 and row["mean_change"] == pytest.approx(3.5)
    assert row["cutoff"] is None and row["cutoff_source"] == PER_AGE_INTERVAL
