"""Privacy checks on an encoded file: can common names be re-identified without the key?

Run on a synthetic world (the harness knows the plaintext) to choose the hardening, and on
demand on a real encoded file (frequency profile only). Two attacks, both by rank alignment of
frequencies (``shared/reference/privacy-preserving-linkage.md`` section 6.9, P1 and P2):

* **exact**: group identical encodings, sort groups by size, and give the i-th largest group the
  i-th most common name of the attacker's frequency list. An unhardened field-level name filter
  is a one-to-one pseudonym of the name, so this recovers every common name.
* **cluster**: the same, on groups of *similar* encodings (Dice >= a threshold, connected
  components), which undoes hardening that only adds noise (BLIP): noisy copies of one name
  stay close to each other.

The attacker's list defaults to the true frequencies of the attacked values themselves (the
strongest attacker: a perfect public name list for this population). Re-identification rate is
the share of records whose name the attack guesses correctly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from warehouse.errors import ConfigError

__all__ = ["CEILING", "COARSE_TOKENS", "AttackResult", "FrequencyProfile", "bit_frequency_cv", "cluster_attack",
           "exact_attack", "frequency_profile", "plaintext_of", "token_graph_attack"]

_SEP = "\x1f"
_S = TypeVar("_S", pl.Series, pl.Expr)

#: The proposed ceiling: an attack re-identifying more than 1% of records fails the check.
CEILING = 0.01


@dataclass(frozen=True)
class FrequencyProfile:
    """P1: how encodings repeat (counts only, no values)."""

    records: int
    distinct: int
    largest: tuple[int, ...]
    repeated_share: float


@dataclass(frozen=True)
class AttackResult:
    """What an attack recovered.

    Attributes:
        attack: ``exact`` or ``cluster``.
        records: records attacked (with a value).
        reidentified: records whose value the attack guessed correctly.
        top_recovered: how many of the ``top_n`` most common values were guessed for their largest group.
        top_n: how many common values were targeted.
        singled_out: records guessed right whose encoding no other record of the file shares (the
            attack pins one record to a value, rather than a group of records to a common value).
    """

    attack: str
    records: int
    reidentified: int
    top_recovered: int
    top_n: int
    singled_out: int = 0

    @property
    def rate(self) -> float:
        """Share of records re-identified."""
        return self.reidentified / self.records if self.records else 0.0

    @property
    def resisted(self) -> bool:
        """True when the re-identification rate is at or under :data:`CEILING`."""
        return self.rate <= CEILING


def frequency_profile(encodings: pl.Series, top: int = 5) -> FrequencyProfile:
    """Distinct encodings, the largest group sizes and the share of records whose encoding repeats."""
    s = encodings.drop_nulls()
    counts = s.value_counts(sort=True)["count"]
    repeated = int(counts.filter(counts > 1).sum() or 0)
    return FrequencyProfile(s.len(), counts.len(), tuple(int(c) for c in counts.head(top)), repeated / max(s.len(), 1))


def _name(s: _S) -> _S:
    """The value part of a value or a (value, stratum) joint value (a series or an expression)."""
    return s.str.split(_SEP).list.first()


def _joint(values: pl.Series, strata: pl.Series | None) -> pl.Series:
    if strata is None:
        return values.cast(pl.Utf8)
    return pl.select(pl.concat_str([pl.lit(values.cast(pl.Utf8)), pl.lit(strata.cast(pl.Utf8).fill_null(""))],
                                   separator=_SEP)).to_series()


def _align(groups: np.ndarray, values: pl.Series, public: pl.Series | None, top_n: int, attack: str) -> AttackResult:
    """Rank-align group sizes with value frequencies; count the records guessed right.

    The i-th largest group gets the i-th most common value of the attacker's list. Groups of equal
    size look alike to the attacker, so within a run of equal sizes the guesses are a random
    permutation of that run's share of the list: the count is the *expected* number of records
    guessed right (an attacker who knows nothing else cannot do better on ties; an oracle ordering
    would re-identify every record of an unhardened token of a flat distribution, such as a date,
    by construction).
    """
    ranking = (public if public is not None else values).drop_nulls().value_counts(sort=True)
    names = ranking[ranking.columns[0]].cast(pl.Utf8)
    frame = pl.DataFrame({"g": groups, "v": values.cast(pl.Utf8)})
    sizes = (frame.group_by("g").len().sort("len", descending=True).with_row_index("pos")
             .with_columns(pl.col("pos").min().over("len").alias("start"), pl.len().over("len").alias("m")))
    blocks = sizes.select("len", "start", "m").unique("len")
    # the list's values each run of equal-size groups draws its guesses from
    span = (blocks.join(pl.DataFrame({"rank": np.arange(names.len()), "name": _name(names)}), how="cross")
            .filter((pl.col("rank") >= pl.col("start")) & (pl.col("rank") < pl.col("start") + pl.col("m")))
            .group_by("len", "name").agg(pl.len().alias("hits")))
    counts = frame.group_by("g", "v").len("c").with_columns(_name(pl.col("v")).alias("name"))
    judged = (counts.join(sizes.select("g", "len", "pos", "m"), on="g")
              .join(span, on=["len", "name"], how="left")
              .with_columns((pl.col("c") * pl.col("hits").fill_null(0) / pl.col("m")).alias("ok")))
    top = (judged.filter(pl.col("pos") < top_n).sort("c", descending=True).unique("g", keep="first")
           .select((pl.col("hits").fill_null(0) / pl.col("m")).alias("p")))   # the group's own (majority) value
    single = judged.filter(pl.col("len") == 1)["ok"].sum()
    return AttackResult(attack, frame.height, round(float(judged["ok"].sum() or 0.0)),
                        round(float(top["p"].sum() or 0.0)), top_n, round(float(single or 0.0)))


def exact_attack(encodings: pl.Series, values: pl.Series, public: pl.Series | None = None,
                 top_n: int = 20, strata: pl.Series | None = None) -> AttackResult:
    """P2: align the frequencies of identical encodings with a name-frequency list.

    Args:
        encodings: one encoding per record (e.g. a ``forename_bf`` column).
        values: the true value per record (the harness knows it; the attacker does not).
        public: the attacker's list of values with their frequencies (default: ``values``).
        top_n: how many common values count for ``top_recovered``.
        strata: a salt the attacker knows the joint distribution of (e.g. birth year): the
            attacker aligns with (value, stratum) frequencies and scores on the value.

    Example:
        >>> enc = pl.Series([b"a", b"a", b"b"]); names = pl.Series(["x", "x", "y"])
        >>> exact_attack(enc, names).rate
        1.0
    """
    keep = encodings.is_not_null() & values.is_not_null()
    enc, vals = encodings.filter(keep), _joint(values, strata).filter(keep)
    groups = enc.rank("dense").to_numpy()
    return _align(groups, vals, public, top_n, "exact")


def _dice_matrix(packed: np.ndarray) -> np.ndarray:
    bits = np.unpackbits(packed, axis=1).astype(np.float32)
    inter = bits @ bits.T
    ones = bits.sum(axis=1)
    total = ones[:, None] + ones[None, :]
    return np.asarray(np.divide(2 * inter, total, out=np.zeros_like(inter), where=total > 0))


CLUSTER_THRESHOLDS: tuple[float, ...] = (0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def cluster_attack(encodings: pl.Series, values: pl.Series, thresholds: tuple[float, ...] = CLUSTER_THRESHOLDS,
                   public: pl.Series | None = None, top_n: int = 20, strata: pl.Series | None = None) -> AttackResult:
    """The exact attack on clusters of similar filters (connected components of Dice >= a threshold),
    at every threshold in ``thresholds``; the best result for the attacker is returned.

    Quadratic in the records attacked: meant for samples of up to ~10,000 records.

    Raises:
        ConfigError: more than 20,000 records (sample first).
    """
    keep = encodings.is_not_null() & values.is_not_null()
    enc, vals = encodings.filter(keep), _joint(values, strata).filter(keep)
    if enc.len() > 20_000:
        raise ConfigError(f"cluster_attack compares every pair: {enc.len()} records is too many; sample 10,000")
    if enc.len() == 0:
        return AttackResult("cluster", 0, 0, 0, top_n)
    packed = np.frombuffer(b"".join(enc.to_list()), dtype=np.uint8).reshape(enc.len(), -1)
    dice = _dice_matrix(packed)
    best: AttackResult | None = None
    for t in thresholds:
        i, j = np.nonzero(np.triu(dice >= t, 1))
        graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(enc.len(), enc.len()))
        _, labels = connected_components(graph, directed=False)
        result = _align(labels, vals, public, top_n, "cluster")
        if best is None or result.reidentified > best.reidentified:
            best = result
    assert best is not None
    return best


def token_graph_attack(encoded: pl.DataFrame, columns: list[str], values: pl.Series,
                       public: pl.Series | None = None, top_n: int = 20) -> AttackResult:
    """The exact attack on groups of records chained by shared tokens: records sharing a value of any
    of ``columns`` (e.g. every name-bearing blocking key: same name and year, same name and district,
    same forename and year-month ...) are joined, connected components are the groups. Each key may
    be flat on its own while the chains rebuild groups of one name. Needs no key.

    Example:
        >>> enc = pl.DataFrame({"a": [1, 1, 2, 3], "b": [7, 8, 8, 9]})
        >>> token_graph_attack(enc, ["a", "b"], pl.Series(["x", "x", "x", "y"])).rate
        1.0
    """
    n = encoded.height
    heads, tails = [], []
    for c in columns:
        g = encoded.select(pl.col(c).rank("dense").alias("g")).with_row_index("i").drop_nulls("g")
        edges = g.join(g.group_by("g").agg(pl.col("i").first().alias("f")), on="g")
        heads.append(edges["i"].to_numpy())
        tails.append(edges["f"].to_numpy())
    i = np.concatenate(heads) if heads else np.zeros(0, dtype=np.int64)
    j = np.concatenate(tails) if tails else np.zeros(0, dtype=np.int64)
    _, labels = connected_components(coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)), directed=False)
    keep = values.is_not_null().to_numpy()
    return _align(labels[keep], values.filter(values.is_not_null()), public, top_n, "token_graph")


def bit_frequency_cv(encodings: pl.Series) -> float:
    """P3 (informational): coefficient of variation of how often each bit position is set (frequent
    q-grams show up as hot positions; balanced filters flatten it)."""
    enc = encodings.drop_nulls()
    if enc.len() == 0:
        return 0.0
    packed = np.frombuffer(b"".join(enc.to_list()), dtype=np.uint8).reshape(enc.len(), -1)
    freq = np.unpackbits(packed, axis=1).mean(axis=0)
    return float(freq.std() / freq.mean()) if freq.mean() > 0 else 0.0


#: What each encoded token column is a keyed token of (standardised columns, joined with ``|``).
_TOKEN_SOURCES: dict[str, tuple[str, ...]] = {
    "dob_tk": ("dob",), "dob_swap_tk": ("dob_swap",), "dob_year_tk": ("dob_year",),
    "dob_ym_tk": ("dob_year", "dob_month"), "dob_yd_tk": ("dob_year", "dob_day"), "dob_md_tk": ("dob_month", "dob_day"),
    "sex_tk": ("sex",), "postcode_tk": ("postcode",), "pc_sector_tk": ("pc_sector",),
    "pc_district_tk": ("pc_district",), "pc_area_tk": ("pc_area",), "nhs_number_tk": ("nhs_number",),
}

#: Tokens of one coarse attribute (a sex, a year of birth, two parts of a date, a postcode level above
#: the unit): the comparison levels need them, and a value recovered from one places a record in a
#: group of people, not on a person. Frequency alignment recovers the commonest of them (sex, every
#: time); the check for these is that it singles no record out (:attr:`AttackResult.singled_out`).
#: Every other encoded column names or nearly names a person and must stay under :data:`CEILING`.
COARSE_TOKENS = frozenset({"sex_tk", "dob_year_tk", "dob_ym_tk", "dob_yd_tk", "dob_md_tk", "dob_w1_tk", "dob_w2_tk",
                           "pc_sector_tk", "pc_district_tk", "pc_area_tk"})


def plaintext_of(column: str, std: pl.DataFrame) -> pl.Series | None:
    """The clear value an encoded column stands for, per record (the harness's answer key): a filter's
    name, a token's value or combination of values, a blocking key's combined parts (None for a column
    this module does not know)."""
    from linkage.bloom import BLOCKING_KEYS, WINDOW_DAYS, blocking_variants

    if column in ("dob_w1_tk", "dob_w2_tk") and "dob_date" in std.columns:
        days = pl.col("dob_date").cast(pl.Date).cast(pl.Int64) + (0 if column == "dob_w1_tk" else WINDOW_DAYS // 2)
        return std.select((days // WINDOW_DAYS).cast(pl.Utf8)).to_series()

    if column.endswith("_bf"):
        src = column.removesuffix("_bf")
        return std[src].cast(pl.Utf8) if src in std.columns else None
    parts: tuple[str, ...] | None = _TOKEN_SOURCES.get(column)
    if column.startswith("bk_x_"):
        parts = (column.removeprefix("bk_"),)
    for bk in BLOCKING_KEYS:
        for name, variant in blocking_variants(bk, set(std.columns)):
            if name == column:
                parts = variant
    if parts is None or not set(parts) <= set(std.columns):
        return None
    return std.select(pl.concat_str([pl.col(p).cast(pl.Utf8) for p in parts], separator="|")).to_series()
