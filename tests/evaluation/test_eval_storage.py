"""Storage: every figure in its own column (migration 0030), and rows folded before it still read back."""

from __future__ import annotations

import json

import polars as pl

from evaluation import compute_and_store, load_report
from evaluation.storage import fold_extras
from tests.evaluation.readiness_world import build_world
from warehouse.store import Store

_TIMELINE_NEW = ("years_to_target", "reachable_in_study", "referrals_counted", "flow_months", "family_design_effect",
                 "people_per_family", "target_people", "linkage_recall_low", "linkage_recall_high", "linkage_basis")
_SUMMARY_NEW = ("primary_rule", "years_to_target", "reachable_in_study", "csc_years_to_target",
                "csc_reachable_in_study", "study_period_months", "best_linkage_label", "linkage_recall_low",
                "linkage_recall_high", "linkage_basis", "verdict_label", "verdict_rule", "verdict_figure",
                "review_sample_n")


def test_new_figures_are_real_columns_and_basis_is_one_word(tmp_path):
    store = build_world(tmp_path / "cols.duckdb", people_per_site=30)
    report = compute_and_store(store)
    with store.reader() as con:
        timeline = con.sql("SELECT * FROM readiness_timeline").pl()
        summary = con.sql("SELECT * FROM readiness_summary").pl()
    # read straight from the table, not through load_report: the figures are the computed ones
    fbs = timeline.filter((pl.col("site_id") == "fbs") & (pl.col("outcome") == "csc_involvement")).row(0, named=True)
    computed = report.timeline.filter((pl.col("site_id") == "fbs")
                                      & (pl.col("outcome") == "csc_involvement")).row(0, named=True)
    for col in _TIMELINE_NEW:
        assert fbs[col] == computed[col], col
    assert fbs["linkage_recall_low"] is not None and fbs["years_to_target"] is not None
    assert set(timeline["basis"]) <= {"measured", "estimated", "review", "setting", "default"}
    assert not any(b.startswith("{") for b in timeline["basis"])
    # consent is a default placeholder at every site: no row can claim to rest on measured figures only
    assert set(timeline["basis"]) == {"default"}
    sites = timeline.filter(pl.col("site_id") != "pooled")
    assert all("consent default (unverified placeholder)" in d for d in sites["basis_detail"])
    pooled = timeline.filter(pl.col("site_id") == "pooled").row(0, named=True)
    assert pooled["basis_detail"].startswith("pooled over sites coda, fbs, leap, sat")
    for col in _SUMMARY_NEW:
        assert summary[col].to_list() == report.summary[col].to_list(), col
    assert json.loads(summary["candidates"][0])[0]["measure"]   # candidates is its plain list again


def test_rows_folded_before_migration_0030_read_back_whole(tmp_path):
    store = build_world(tmp_path / "old.duckdb", people_per_site=30)
    report = compute_and_store(store)
    legacy = {"readiness_timeline": ("basis", set(report.timeline.columns) - {*_TIMELINE_NEW, "basis_detail"}),
              "readiness_summary": ("candidates", set(report.summary.columns) - set(_SUMMARY_NEW))}
    frames = {"readiness_timeline": report.timeline.with_columns(pl.lit('{"referrals": "observed"}').alias("basis")),
              "readiness_summary": report.summary}
    with store.transaction() as con:   # rewrite the rows as an earlier version stored them
        for table, (into, columns) in legacy.items():
            old = fold_extras(frames[table], columns, into)
            con.execute(f"DELETE FROM {table}")  # noqa: S608  (fixed names)
            con.register("_old", old.to_arrow())
            cols = ", ".join(old.columns)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _old")  # noqa: S608
            con.unregister("_old")
    back = load_report(Store(store.path, read_only=True))
    for col in _TIMELINE_NEW:
        assert back.timeline[col].to_list() == report.timeline[col].to_list(), col
    for col in _SUMMARY_NEW:
        assert back.summary[col].to_list() == report.summary[col].to_list(), col
    assert back.timeline["basis"][0] == '{"referrals": "observed"}'
    assert [json.loads(c) for c in back.summary["candidates"]] == [json.loads(c) for c in report.summary["candidates"]]
