"""Supervised mode: train on clerically reviewed pairs (the recordlinkage edge).

This is the one module that uses pandas: the comparison levels of the scored pairs are handed
to recordlinkage once as one-hot comparison vectors, its logistic-regression classifier is
fitted on the labelled pairs, and its probabilities come back once as a polars column.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import polars as pl
import recordlinkage

from linkage.pipeline import LinkResult, one_to_one
from warehouse.errors import DataError

MIN_LABELS = 10


def _vectors(result: LinkResult, pairs: pl.DataFrame) -> pd.DataFrame:
    cols = {}
    for comp in result.comparisons:
        g = pairs[f"g_{comp.name}"].to_numpy()
        for level in range(comp.n_levels):
            cols[f"{comp.name}={level}"] = (g == level).astype(np.int8)
    index = pd.MultiIndex.from_arrays([pairs["l_rid"].to_list(), pairs["r_rid"].to_list()], names=["l", "r"])
    return pd.DataFrame(cols, index=index)


def retrain(result: LinkResult, labels: pl.DataFrame, threshold: float) -> LinkResult:
    """Re-score ``result``'s pairs with a classifier trained on ``labels`` (``l_rid``, ``r_rid``,
    ``label`` in [0, 1]) and redo the one-to-one links.

    Raises:
        DataError: fewer than 10 labelled pairs among the scored pairs, or labels of one class only.
    """
    lab = labels.with_columns((pl.col("label") >= 0.5).alias("_y")).select("l_rid", "r_rid", "_y")
    train = result.pairs.join(lab, on=["l_rid", "r_rid"])
    if train.height < MIN_LABELS or train["_y"].n_unique() < 2:
        raise DataError(
            f"supervised mode needs at least {MIN_LABELS} labelled pairs of both kinds among the scored pairs; "
            f"{train.height} found ({int(train['_y'].sum()) if train.height else 0} matches): review more pairs"
        )
    x_train = _vectors(result, train)
    matches = x_train.index[train["_y"].to_numpy()]
    clf = recordlinkage.LogisticRegressionClassifier()
    clf.fit(x_train, matches)
    prob = clf.prob(_vectors(result, result.pairs))
    p = np.clip(prob.to_numpy(dtype=float), 1e-9, 1 - 1e-9)
    pairs = result.pairs.with_columns(
        pl.Series("probability", p), pl.Series("match_weight", np.log2(p / (1 - p))),
    )
    above = pairs.filter(pl.col("probability") >= threshold).select(
        "l_id", "r_id", "match_weight", "probability", "l_rid", "r_rid")
    links = one_to_one(above)
    keys = links.select("l_id", "r_id").with_columns(pl.lit(True).alias("_link"))
    pairs = pairs.join(keys, on=["l_id", "r_id"], how="left").with_columns(
        pl.col("_link").fill_null(False).alias("is_link")).drop("_link")
    best = pairs.group_by("l_rid").agg(pl.col("probability").max())
    return replace(result, pairs=pairs, links=links, best=result.best.join(best, on="l_rid", how="left", suffix="_s")
                   .with_columns(pl.coalesce("probability_s", "probability").alias("probability")).drop("probability_s"))
