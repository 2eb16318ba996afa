"""Analysis outputs: pure functions of the warehouse returning polars frames.

Each reads one of the SQL views of migration 0004 (so the dashboard and these functions agree)
and optionally filters by site; :func:`intercoder_agreement` computes and stores agreement.
Frequencies are prevalence ("how widespread"), not importance.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import polars as pl

from synthesis.agreement import Unit, agreement_table
from warehouse.errors import ConfigError
from warehouse.sites import get_site
from warehouse.store import Store

VIEWS = ("v_availability_matrix", "v_availability_evidence", "v_code_frequency_by_site", "v_framework_matrix",
         "v_triangulation_matrix", "v_quotes", "v_code_by_case", "v_code_cooccurrence", "v_maturity_profile")


def _view(store: Store, view: str, sites: list[str] | None = None, order: str = "") -> pl.DataFrame:
    if view not in VIEWS:
        raise ConfigError(f"unknown output view {view!r}; allowed: {', '.join(VIEWS)}")
    for s in sites or []:
        get_site(s)
    where = " WHERE site_id IN (SELECT unnest(?))" if sites else ""
    sql = f"SELECT * FROM {view}{where}{(' ORDER BY ' + order) if order else ''}"  # noqa: S608 (names from VIEWS)
    with store.reader() as con:
        frame: pl.DataFrame = con.sql(sql, params=[sites] if sites else None).pl()
    return frame


def code_frequency_by_site(store: Store, sites: list[str] | None = None) -> pl.DataFrame:
    """Segments, documents, participants and coders per code and site (prevalence)."""
    return _view(store, "v_code_frequency_by_site", sites, "site_id, code_name")


def code_by_case(store: Store, case: Literal["site", "participant"] = "site", presence: bool = False,
                 sites: list[str] | None = None) -> pl.DataFrame:
    """Code x case matrix, wide: one row per code, one column per case; counts or 0/1 presence."""
    long = _view(store, "v_code_by_case", sites)
    if case not in ("site", "participant"):
        raise ConfigError(f"case must be 'site' or 'participant', got {case!r}")
    key = pl.col("site_id") if case == "site" else pl.concat_str([pl.col("site_id"), pl.col("participant")], separator=":")
    long = long.with_columns(key.alias("case")).group_by(["code_name", "case"]).agg(pl.col("n_segments").sum())
    if presence:
        long = long.with_columns((pl.col("n_segments") > 0).cast(pl.Int64).alias("n_segments"))
    if long.height == 0:
        return pl.DataFrame({"code_name": []}, schema={"code_name": pl.Utf8})
    wide = long.pivot(on="case", index="code_name", values="n_segments").fill_null(0)
    return wide.select(["code_name", *sorted(c for c in wide.columns if c != "code_name")]).sort("code_name")


def cooccurrence(store: Store, sites: list[str] | None = None) -> pl.DataFrame:
    """Code pairs on overlapping spans (same coder, same document), with Jaccard = overlaps / union of segments."""
    pairs = _view(store, "v_code_cooccurrence", sites)
    with store.reader() as con:
        counts = con.sql("SELECT code_id, name, count(s.segment_id) AS n FROM syn_code c "
                             "LEFT JOIN syn_coded_segment s USING (code_id) GROUP BY ALL").pl()
    pairs = pairs.group_by(["code_a", "code_b"]).agg(pl.col("n_overlaps").sum(), pl.col("n_documents").sum())
    a = counts.rename({"code_id": "code_a", "name": "code_a_name", "n": "n_a"})
    b = counts.rename({"code_id": "code_b", "name": "code_b_name", "n": "n_b"})
    out = pairs.join(a, on="code_a", how="left").join(b, on="code_b", how="left")
    out = out.with_columns(
        (pl.col("n_overlaps") / (pl.col("n_a") + pl.col("n_b") - pl.col("n_overlaps"))).alias("jaccard")
    )
    return out.select(["code_a", "code_a_name", "code_b", "code_b_name", "n_overlaps", "n_documents", "jaccard"]).sort(
        ["n_overlaps", "code_a_name", "code_b_name"], descending=[True, False, False]
    )


def framework_matrix(store: Store, wide: bool = False, sites: list[str] | None = None) -> pl.DataFrame:
    """Sites x themes: long form (the view), or wide (one row per site, one summary column per theme)."""
    long = _view(store, "v_framework_matrix", sites, "site_id, theme_name")
    if not wide or long.height == 0:
        return long
    return long.pivot(on="theme_name", index="site_id", values="summary", aggregate_function="first").sort("site_id")


def quotes(store: Store, code: str | None = None, theme: str | None = None,
           sites: list[str] | None = None) -> pl.DataFrame:
    """Coded passages by code (id or name) and/or theme (id or name) with pseudonymous speaker attributes."""
    q = _view(store, "v_quotes", sites, "site_id, document_title, start_char, coder_id")
    if code:
        q = q.filter((pl.col("code_id") == code.upper()) | (pl.col("code_name").str.to_lowercase() == code.lower()))
    if theme:
        with store.reader() as con:
            ids = [r[0] for r in con.execute("SELECT theme_id FROM syn_theme WHERE theme_id = ? OR lower(name) = lower(?)",
                                             [theme, theme]).fetchall()]
        q = q.filter(pl.col("theme_ids").list.eval(pl.element().is_in(ids)).list.any())
    return q


def triangulation_matrix(store: Store, sites: list[str] | None = None) -> pl.DataFrame:
    """Convergence per research question, site and source pair (assessed and derived cells)."""
    return _view(store, "v_triangulation_matrix", sites, "rq_id, site_id, data_item, dimension, source_a, source_b")


def availability_matrix(store: Store, wide: bool = False, sites: list[str] | None = None) -> pl.DataFrame:
    """Site x data item x dimension ratings (long), or wide: one row per site and item, one column per dimension."""
    long = _view(store, "v_availability_matrix", sites, "site_id, data_item, dimension_order")
    if not wide or long.height == 0:
        return long
    order = long.sort("dimension_order")["dimension"].unique(maintain_order=True).to_list()
    w = long.pivot(on="dimension", index=["site_id", "data_item"], values="rating", aggregate_function="first")
    return w.select(["site_id", "data_item", *[d for d in order if d in w.columns]]).sort(["site_id", "data_item"])


def availability_evidence(store: Store, sites: list[str] | None = None) -> pl.DataFrame:
    """The quotes cited for each availability rating."""
    return _view(store, "v_availability_evidence", sites, "site_id, data_item, dimension, start_char")


def maturity_profile(store: Store, sites: list[str] | None = None) -> pl.DataFrame:
    """Per-site mean rating and maturity stage per dimension."""
    return _view(store, "v_maturity_profile", sites, "site_id, dimension_order")


def intercoder_agreement(store: Store, unit: Unit = "char", save: bool = True) -> pl.DataFrame:
    """Per code: percent agreement, Cohen's kappa (two coders) and Krippendorff's alpha over ``unit``.

    Units are every code point (``char``) or speaker turn (``turn``) of the documents every coder
    coded. With ``save`` the result is appended to ``syn_irr_result`` under a new run id.
    """
    if unit not in ("char", "turn"):
        raise ConfigError(f"unit must be 'char' or 'turn', got {unit!r}")
    with store.reader() as con:
        segs = con.sql("SELECT document_id, code_id, coder_id, start_char, end_char FROM syn_coded_segment").pl()
        lengths = dict(con.execute("SELECT document_id, char_count FROM syn_document").fetchall())
        turns: dict[str, list[tuple[int, int]]] = {}
        for doc, s, e in con.execute(
            "SELECT document_id, start_char, end_char FROM syn_speaker_turn ORDER BY document_id, turn_no"
        ).fetchall():
            turns.setdefault(doc, []).append((s, e))
        names = dict(con.execute("SELECT code_id, name FROM syn_code").fetchall())
    table = agreement_table(segs, lengths, turns, unit)
    table = table.with_columns(pl.col("code_id").replace_strict(names, default=None).alias("code_name"))
    if save and table.height and not store.read_only:
        run_id, now = str(uuid.uuid4()), datetime.now()
        with store.transaction() as con:
            for r in table.iter_rows(named=True):
                con.execute("INSERT INTO syn_irr_result (run_id, code_id, coders, unit, n_units, pct_agreement, "
                            "cohen_kappa, kripp_alpha, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [run_id, r["code_id"], r["coders"], unit, r["n_units"], r["pct_agreement"],
                             r["cohen_kappa"], r["kripp_alpha"], now])
    return table.select(["code_id", "code_name", "coders", "unit", "n_units", "pct_agreement", "cohen_kappa",
                         "kripp_alpha"]).sort("code_name")
