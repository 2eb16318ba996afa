"""Render XML elements column-wise with polars (fast for a million children).

Most values in the CIN census are dates or codes from short lists, so an element is not built by
concatenating tag, value and tag per row: each element is one gather from a table of the finished
``<tag>value</tag>`` strings (a string *view* per row, no bytes copied), and a row's fragment is a
single ``concat_str`` over its elements. An absent element is null and is skipped.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from synthetic_data.dates import LUT_END, LUT_START, date_index, date_lut


def el(tag: str, col: pl.Expr | pl.Series) -> pl.Expr:
    """``<tag>value</tag>`` where ``col`` is not null, else null (so ``concat_str(ignore_nulls=True)`` skips it)."""
    return pl.concat_str([pl.lit(f"<{tag}>"), col, pl.lit(f"</{tag}>")])  # null in -> null out


def wrap(tag: str, inner: pl.Expr) -> pl.Expr:
    """``<tag>inner</tag>`` when ``inner`` is a non-empty string, else null."""
    return pl.when(inner.is_not_null() & (inner != "")).then(
        pl.concat_str([pl.lit(f"<{tag}>"), inner, pl.lit(f"</{tag}>")]))


def concat(parts: list[pl.Expr]) -> pl.Expr:
    """Concatenate element expressions, skipping absent (null) ones."""
    return pl.concat_str(parts, ignore_nulls=True)


def str_series(name: str, values: np.ndarray) -> pl.Series:
    """Object array of str/None as a string column ("" and None become null)."""
    s = pl.Series(name, np.asarray(values, dtype=object).tolist(), dtype=pl.Utf8)
    return pl.select(pl.when(s == "").then(None).otherwise(s).alias(name)).to_series()


@functools.lru_cache(maxsize=64)
def _tagged_date_lut(tag: str, before: str) -> pl.Series:
    return pl.select(pl.concat_str([pl.lit(f"{before}<{tag}>"), pl.lit(date_lut("%Y-%m-%d")),
                                    pl.lit(f"</{tag}>")])).to_series()


def pick(texts: Sequence[str | None], idx: np.ndarray) -> pl.Series:
    """``texts[idx]`` per row as a string column; ``idx`` -1 is null."""
    table = pl.Series("t", [*texts, None], dtype=pl.Utf8)
    return table.gather(np.where(idx < 0, len(texts), idx))


def joined(options: Sequence[tuple[np.ndarray, str]]) -> pl.Series:
    """Per row, the texts of the options whose mask is set, in order (null where none is).

    Rows are keyed by which options they have; each distinct key's text is built once.
    """
    n = len(options[0][0]) if options else 0
    key = np.zeros(n, dtype=np.int64)
    for bit, (mask, _text) in enumerate(options):
        key |= mask.astype(np.int64) << bit
    keys, row_key = np.unique(key, return_inverse=True)
    texts = ["".join(t for b, (_m, t) in enumerate(options) if k >> b & 1) or None for k in keys.tolist()]
    return pick(texts, row_key.ravel())


def sparse(rows: np.ndarray, n: int, values: pl.Series) -> pl.Series:
    """A column of ``n`` nulls with ``values`` at ``rows``."""
    idx = np.full(n, -1, dtype=np.int64)
    idx[rows] = np.arange(len(rows))
    return pl.concat([values.cast(pl.Utf8), pl.Series([None], dtype=pl.Utf8)]).gather(
        np.where(idx < 0, len(rows), idx))


MAX_TABLE = 100_000  # largest table of combined elements (rows of text built once, then gathered)


@dataclass(frozen=True)
class _Piece:
    """Part of every row's fragment: ``texts[idx]`` per row (the last text is ``""``, for absent)."""

    texts: pl.Series
    idx: np.ndarray


def _piece(texts: pl.Series | Sequence[str], idx: np.ndarray, present: np.ndarray | None = None) -> _Piece:
    table = pl.concat([pl.Series("t", texts, dtype=pl.Utf8).alias("t"), pl.Series("t", [""])])
    ok = idx >= 0 if present is None else (idx >= 0) & present
    return _Piece(table, np.where(ok, idx, len(table) - 1))


def _combine(a: _Piece, b: _Piece) -> _Piece:
    """One piece for two neighbours: every pair of their texts, concatenated."""
    na, nb = len(a.texts), len(b.texts)
    pairs = np.arange(na * nb)
    texts = pl.select(pl.concat_str([a.texts.gather(pairs // nb), b.texts.gather(pairs % nb)])).to_series()
    return _Piece(texts, a.idx * nb + b.idx)


def _codes(values: np.ndarray | pl.Series) -> tuple[pl.Series, np.ndarray]:
    """Distinct non-empty strings and each row's position among them (-1 for None or "")."""
    if isinstance(values, pl.Series):
        s = values
    else:  # straight from the object array, unless it starts with None (polars then reads it as Object)
        s = pl.Series("v", values if len(values) and values[0] is not None else values.tolist(), dtype=pl.Utf8)
    s = pl.select(pl.when(s != "").then(s)).to_series()
    codes = s.drop_nulls().unique().sort()
    return codes, s.cast(pl.Enum(codes)).to_physical().fill_null(-1).cast(pl.Int64).to_numpy()


class XmlRows:
    """One XML fragment per row, assembled element by element in document order.

    Each method appends an element that is absent (empty) on some rows; ``present`` masks
    limit an element to the rows whose enclosing element exists. Neighbouring elements with few
    distinct texts are combined into one table before rendering, so the final concatenation has
    few parts (its cost is per part and row, not per byte).
    """

    def __init__(self, rows: int) -> None:
        self._rows = rows
        self._pieces: list[_Piece | pl.Series] = []  # a Series: free values, never combined
        self._parts: list[_Piece | pl.Series] | None = None

    def text(self, text: str, present: np.ndarray | None = None) -> None:
        """Fixed text (markup), on every row or where ``present``."""
        self._pieces.append(_piece([text], np.zeros(self._rows, dtype=np.int64), present))

    def choice(self, texts: Sequence[str], idx: np.ndarray) -> None:
        """One of ``texts`` per row by index (-1 = absent)."""
        self._pieces.append(_piece(texts, idx))

    def date(self, tag: str, days: np.ndarray, present: np.ndarray | None = None, before: str = "") -> None:
        """``before<tag>YYYY-MM-DD</tag>`` where the day number is >= 0 (and ``present``)."""
        idx = date_index(days, present)
        absent = LUT_END - LUT_START + 1
        shown = idx[idx != absent]
        lo = int(shown.min()) if len(shown) else 0
        hi = int(shown.max()) if len(shown) else -1
        table = _tagged_date_lut(tag, before).slice(lo, hi - lo + 1)
        self._pieces.append(_piece(table, np.where(idx == absent, -1, idx - lo)))

    def code(self, tag: str, values: np.ndarray, present: np.ndarray | None = None) -> None:
        """``<tag>value</tag>`` for a short list of values (object array; None and "" are absent).

        Only the ``present`` rows are read (turning Python strings into a column holds the GIL).
        """
        if present is None:
            codes, idx = _codes(values)
        else:
            rows = np.flatnonzero(present)
            codes, shown = _codes(values[rows])
            idx = np.full(len(values), -1, dtype=np.int64)
            idx[rows] = shown
        self._pieces.append(_piece([f"<{tag}>{c}</{tag}>" for c in codes], idx))

    def value(self, tag: str, values: np.ndarray) -> None:
        """``<tag>value</tag>`` for free values (object array; None and "" are absent)."""
        self._pieces.append(pl.select(el(tag, str_series("v", values)).fill_null("")).to_series())

    def wrapped(self, tag: str, inner: pl.Series, present: np.ndarray | None = None) -> None:
        """``<tag>inner</tag>`` where ``inner`` is a non-empty string (and ``present``)."""
        codes, idx = _codes(inner)
        if len(codes) <= MAX_TABLE:
            self._pieces.append(_piece(pl.select(wrap(tag, pl.lit(codes))).to_series(), idx, present))
        else:
            masked = inner if present is None else pl.select(pl.when(pl.Series(present)).then(inner)).to_series()
            self._pieces.append(pl.select(wrap(tag, pl.lit(masked)).fill_null("")).to_series())

    def prepare(self) -> XmlRows:
        """Combine neighbouring elements into few parts (once; rendering is then read-only and thread-safe)."""
        if self._parts is None:
            parts: list[_Piece | pl.Series] = []
            for p in self._pieces:
                last = parts[-1] if parts else None
                if (isinstance(p, _Piece) and isinstance(last, _Piece)
                        and len(last.texts) * len(p.texts) <= MAX_TABLE):
                    parts[-1] = _combine(last, p)
                else:
                    parts.append(p)
            self._parts = parts
        return self

    def render(self, rows: np.ndarray | None = None) -> pl.Series:
        """The fragments of ``rows`` (default: all), one string per row, in the order given.

        Rows are read in increasing order (the tables are read in memory order: much faster for
        a million rows) and put in the order asked for at the end, which only moves string views.
        """
        if rows is None:
            return self._concat(None)
        ascending = np.sort(rows)
        rank = np.empty(len(rows), dtype=np.int64)
        rank[np.argsort(rows, kind="stable")] = np.arange(len(rows))
        return self._concat(ascending).gather(rank)

    def _concat(self, rows: np.ndarray | None) -> pl.Series:
        def part(p: _Piece | pl.Series) -> pl.Series:
            if isinstance(p, _Piece):
                return p.texts.gather(p.idx if rows is None else p.idx[rows])
            return p if rows is None else p.gather(rows)

        columns = {f"p{i}": part(p) for i, p in enumerate(self.prepare()._parts or [])}
        return pl.DataFrame(columns).select(pl.concat_str(pl.all()).alias("x")).to_series()


@dataclass(frozen=True)
class RowSubset:
    """Some rows of an :class:`XmlRows`, in a given order, rendered when needed."""

    rows: XmlRows
    order: np.ndarray

    def __len__(self) -> int:
        return len(self.order)

    def render(self) -> pl.Series:
        return self.rows.render(self.order)
