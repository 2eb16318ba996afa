"""Explain a decision: the per-comparison match weights that add up to a pair's score."""

from __future__ import annotations

import math

import polars as pl

from linkage.pipeline import LinkResult
from warehouse.errors import DataError


def _tf_adjust(result: LinkResult, k: int, tf: pl.Expr) -> pl.Expr:
    u_exact = float(result.model.u[k][-1])
    return pl.when(tf.is_not_null()).then((u_exact / pl.max_horizontal(tf, pl.lit(result.tf_floor))).log(2)).otherwise(0.0)


def explanation_columns(result: LinkResult, pairs: pl.DataFrame) -> pl.DataFrame:
    """Add ``explanation`` (JSON text) to ``pairs`` (rows of ``result.pairs``): the prior weight and,
    per comparison, its level label, term-frequency adjustment and weight."""
    weights = result.model.level_weights()
    parts = []
    for k, comp in enumerate(result.comparisons):
        g = pl.col(f"g_{comp.name}")
        labels = list(result.model.labels[k])
        lvl = list(range(len(labels)))
        base = g.replace_strict(lvl, [float(w) for w in weights[k]], default=0.0, return_dtype=pl.Float64)
        label = g.replace_strict(lvl, labels, default="missing", return_dtype=pl.Utf8)
        tfc = f"tf_{comp.name}"
        adj = _tf_adjust(result, k, pl.col(tfc)) if comp.tf and tfc in pairs.columns else pl.lit(0.0)
        parts.append(
            pl.struct(
                label.alias("level"),
                (base + adj).round(4).alias("weight"),
                adj.round(4).alias("tf_adjustment"),
            ).alias(comp.name)
        )
    prior = round(result.model.prior_weight(), 4)
    return pairs.with_columns(
        pl.struct(
            pl.lit(prior).alias("prior_weight"),
            pl.struct(parts).alias("comparisons"),
            pl.col("match_weight").round(4).alias("match_weight"),
        ).struct.json_encode().alias("explanation")
    )


def explain_pair(result: LinkResult, l_rid: str, r_rid: str) -> dict[str, object]:
    """Per-comparison match weights for one scored pair.

    Returns ``{"prior_weight", "match_weight", "probability", "comparisons": {name: {"level",
    "weight", "tf_adjustment"}}}``; the weights sum to ``match_weight``.

    Raises:
        DataError: the pair was not among the stored scored pairs.
    """
    row = result.pairs.filter((pl.col("l_rid") == l_rid) & (pl.col("r_rid") == r_rid))
    if row.height == 0:
        raise DataError(
            f"pair ({l_rid!r}, {r_rid!r}) was not scored above the storage floor; "
            "re-run with keep_all=True to explain any candidate pair"
        )
    weights = result.model.level_weights()
    rec = row.row(0, named=True)
    comps: dict[str, dict[str, object]] = {}
    for k, comp in enumerate(result.comparisons):
        g = rec[f"g_{comp.name}"]
        if g is None or g < 0:
            comps[comp.name] = {"level": "missing", "weight": 0.0, "tf_adjustment": 0.0}
            continue
        adj = 0.0
        tf = rec.get(f"tf_{comp.name}")
        if comp.tf and tf is not None:
            adj = math.log2(float(result.model.u[k][-1]) / max(float(tf), result.tf_floor))
        comps[comp.name] = {
            "level": result.model.labels[k][g], "weight": float(weights[k][g]) + adj, "tf_adjustment": adj,
        }
    return {
        "prior_weight": result.model.prior_weight(),
        "match_weight": float(rec["match_weight"]),
        "probability": float(rec["probability"]),
        "comparisons": comps,
    }
