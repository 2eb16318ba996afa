"""Explain a decision: the per-comparison match weights that add up to a pair's score.

The score stage keeps each comparison's level weight (``w_<name>``) and term-frequency adjustment
(``tfa_<name>``) on every scored pair; explanations read those columns and never recompute them.
"""

from __future__ import annotations

import polars as pl

from linkage.pipeline import LinkResult
from warehouse.errors import DataError


def _adjustment(pairs: pl.DataFrame, name: str) -> pl.Expr:
    col = f"tfa_{name}"
    return pl.col(col).cast(pl.Float64) if col in pairs.columns else pl.lit(0.0)


def explanation_columns(result: LinkResult, pairs: pl.DataFrame) -> pl.DataFrame:
    """Add ``explanation`` (JSON text) to ``pairs`` (rows of ``result.pairs``): the prior weight and,
    per comparison, its level label, term-frequency adjustment and weight."""
    parts = []
    for k, comp in enumerate(result.comparisons):
        g = pl.col(f"g_{comp.name}")
        labels = list(result.model.labels[k])
        label = g.replace_strict(list(range(len(labels))), labels, default="missing", return_dtype=pl.Utf8)
        adj = _adjustment(pairs, comp.name)
        parts.append(
            pl.struct(
                label.alias("level"),
                (pl.col(f"w_{comp.name}") + adj).round(4).alias("weight"),
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
    rec = row.row(0, named=True)
    comps: dict[str, dict[str, object]] = {}
    for k, comp in enumerate(result.comparisons):
        g = rec[f"g_{comp.name}"]
        adj = float(rec.get(f"tfa_{comp.name}") or 0.0)
        level = "missing" if g is None or g < 0 else result.model.labels[k][g]
        comps[comp.name] = {"level": level, "weight": float(rec[f"w_{comp.name}"]) + adj, "tf_adjustment": adj}
    return {
        "prior_weight": result.model.prior_weight(),
        "match_weight": float(rec["match_weight"]),
        "probability": float(rec["probability"]),
        "comparisons": comps,
    }
