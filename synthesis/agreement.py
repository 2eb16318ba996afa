"""Inter-coder agreement: percent agreement, Cohen's kappa and Krippendorff's alpha (nominal).

The unit of analysis is always declared: ``char`` (every code point of every document both coders
coded) or ``turn`` (every speaker turn of those documents; a turn counts as coded when a segment
overlaps it). The statistics are pure numpy functions; :func:`intercoder_agreement` builds the
units from the warehouse.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import polars as pl

Unit = Literal["char", "turn"]


def percent_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share of units on which two coders give the same value."""
    a, b = np.asarray(a), np.asarray(b)
    return float(np.mean(a == b)) if a.size else float("nan")


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa for two coders over the same units (NaN when chance agreement is 1)."""
    a, b = np.asarray(a), np.asarray(b)
    labels = np.unique(np.concatenate([a, b]))
    ia, ib = np.searchsorted(labels, a), np.searchsorted(labels, b)
    k = labels.size
    cm = np.bincount(ia * k + ib, minlength=k * k).reshape(k, k).astype(float)
    n = cm.sum()
    po = np.trace(cm) / n
    pe = float((cm.sum(axis=1) @ cm.sum(axis=0)) / (n * n))
    return float("nan") if pe == 1.0 else float((po - pe) / (1.0 - pe))


def krippendorff_alpha(data: np.ndarray) -> float:
    """Krippendorff's alpha, nominal level, for a coders x units array (NaN = missing).

    Units coded by fewer than two coders are not pairable and are ignored.
    """
    data = np.asarray(data, dtype=float)
    present = ~np.isnan(data)
    values = np.unique(data[present])
    if values.size < 2:
        return float("nan")
    counts = np.stack([np.sum(data == v, axis=0) for v in values], axis=1).astype(float)   # units x values
    m = counts.sum(axis=1)
    keep = m >= 2
    counts, m = counts[keep], m[keep]
    weight = 1.0 / (m - 1.0)
    coinc = (counts * weight[:, None]).T @ counts - np.diag((counts * weight[:, None]).sum(axis=0))
    n_c = coinc.sum(axis=1)
    n = n_c.sum()
    observed = coinc.sum() - np.trace(coinc)
    expected = (n_c.sum() ** 2 - (n_c ** 2).sum()) / (n - 1.0)
    return float("nan") if expected == 0 else float(1.0 - observed / expected)


def _binary_agreement(mat: np.ndarray) -> tuple[float, float | None, float]:
    """Percent agreement (mean over coder pairs), Cohen's kappa (two coders) and nominal alpha for a
    complete coders x units 0/1 matrix, from counts only (millions of character units in O(n))."""
    m, n = mat.shape
    ones = mat.sum(axis=0, dtype=np.int64)                       # coders saying 1, per unit
    k = np.bincount(ones, minlength=m + 1).astype(float)         # units by number of 1s
    j = np.arange(m + 1, dtype=float)
    agreeing_pairs = (k * (j * (j - 1) / 2 + (m - j) * (m - j - 1) / 2)).sum()
    pct = float(agreeing_pairs / (n * m * (m - 1) / 2))
    o01 = float((k * j * (m - j)).sum() / (m - 1))               # coincidences 0-1 (= 1-0)
    n1 = float(ones.sum())
    n0 = float(n * m - n1)
    total = n0 + n1
    alpha = float("nan") if n0 == 0 or n1 == 0 else 1.0 - (total - 1.0) * (2 * o01) / (2 * n0 * n1)
    kappa = None
    if m == 2:
        cm = np.bincount(mat[0].astype(np.int64) * 2 + mat[1].astype(np.int64), minlength=4).astype(float)
        po = (cm[0] + cm[3]) / n
        pe = ((cm[0] + cm[1]) * (cm[0] + cm[2]) + (cm[2] + cm[3]) * (cm[1] + cm[3])) / (n * n)
        kappa = float("nan") if pe == 1.0 else float((po - pe) / (1.0 - pe))
    return pct, kappa, alpha


def _units(
    docs: dict[str, int], turns: dict[str, list[tuple[int, int]]], spans: list[tuple[str, int, int]], unit: Unit
) -> np.ndarray:
    """0/1 vector over all units of ``docs`` marking those covered by ``spans``."""
    by_doc: dict[str, list[tuple[int, int]]] = {}
    for d, s, e in spans:
        by_doc.setdefault(d, []).append((s, e))
    parts = []
    for doc, length in docs.items():
        doc_spans = by_doc.get(doc, [])
        if unit == "char":
            v = np.zeros(length, dtype=np.int8)
            for s, e in doc_spans:
                v[s:e] = 1
        else:
            t = turns.get(doc, [])
            v = np.array([int(any(s < te and ts < e for s, e in doc_spans)) for ts, te in t], dtype=np.int8)
        parts.append(v)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int8)


def agreement_table(
    segments: pl.DataFrame, doc_lengths: dict[str, int], turns: dict[str, list[tuple[int, int]]], unit: Unit = "char"
) -> pl.DataFrame:
    """Per code: agreement between every coder on the documents all of them coded.

    Args:
        segments: columns document_id, code_id, coder_id, start_char, end_char.
        doc_lengths: document_id -> length in code points.
        turns: document_id -> [(start_char, end_char)] speaker turns (for ``unit='turn'``).
        unit: ``char`` or ``turn``.
    Returns:
        code_id, coders, unit, n_units, pct_agreement, cohen_kappa (two coders only), kripp_alpha.
    """
    coders = sorted(segments["coder_id"].unique().to_list()) if segments.height else []
    by_coder_docs = [set(segments.filter(pl.col("coder_id") == c)["document_id"].to_list()) for c in coders]
    shared = sorted(set.intersection(*by_coder_docs)) if by_coder_docs else []
    docs = {d: doc_lengths[d] for d in shared}
    rows = []
    for code in sorted(segments["code_id"].unique().to_list()) if len(coders) >= 2 else []:
        sub = segments.filter(pl.col("code_id") == code)
        vectors = []
        for c in coders:
            s = sub.filter(pl.col("coder_id") == c)
            vectors.append(_units(docs, turns, list(zip(s["document_id"], s["start_char"], s["end_char"], strict=True)),
                                  unit))
        mat = np.vstack(vectors)
        pct, kappa, alpha = _binary_agreement(mat) if mat.shape[1] else (None, None, None)
        rows.append({"code_id": code, "coders": coders, "unit": unit, "n_units": int(mat.shape[1]),
                     "pct_agreement": pct, "cohen_kappa": kappa, "kripp_alpha": alpha})
    schema: dict[str, pl.DataType | type[pl.DataType]] = {"code_id": pl.Utf8, "coders": pl.List(pl.Utf8), "unit": pl.Utf8, "n_units": pl.Int64,
              "pct_agreement": pl.Float64, "cohen_kappa": pl.Float64, "kripp_alpha": pl.Float64}
    return pl.DataFrame(rows, schema=schema)
