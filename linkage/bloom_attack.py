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

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from warehouse.errors import ConfigError

__all__ = ["AttackResult", "FrequencyProfile", "bit_frequency_cv", "cluster_attack", "exact_attack", "frequency_profile"]

_SEP = "\x1f"

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
    """

    attack: str
    records: int
    reidentified: int
    top_recovered: int
    top_n: int

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


def _name(s: pl.Series) -> pl.Series:
    """The value part of a value or a (value, stratum) joint value."""
    return s.str.split(_SEP).list.first()


def _joint(values: pl.Series, strata: pl.Series | None) -> pl.Series:
    if strata is None:
        return values.cast(pl.Utf8)
    return pl.select(pl.concat_str([pl.lit(values.cast(pl.Utf8)), pl.lit(strata.cast(pl.Utf8).fill_null(""))],
                                   separator=_SEP)).to_series()


def _align(groups: np.ndarray, values: pl.Series, public: pl.Series | None, top_n: int, attack: str) -> AttackResult:
    """Rank-align group sizes with value frequencies; count correct guesses.

    Groups of equal size are ordered in the attacker's favour (by their true value's rank), so the
    result is an upper bound on what the attack recovers, not a matter of lucky tie-breaking.
    """
    ranking = (public if public is not None else values).drop_nulls().value_counts(sort=True)
    names = ranking[ranking.columns[0]].cast(pl.Utf8).to_list()
    rank = pl.DataFrame({"v": names, "rank": np.arange(len(names))})
    frame = pl.DataFrame({"g": groups, "v": values.cast(pl.Utf8)})
    majority = frame.group_by("g", "v").len().sort(["g", "len"], descending=[False, True]).unique("g", keep="first")
    sizes = (frame.group_by("g").len().join(majority.select("g", "v"), on="g")
             .join(rank, on="v", how="left").with_columns(pl.col("rank").fill_null(len(names)))
             .sort(["len", "rank"], descending=[True, False]))
    guess = pl.DataFrame({"g": sizes["g"].head(len(names)), "guess": names[: sizes.height],
                          "true": sizes["v"].head(len(names))})
    judged = frame.join(guess.select("g", "guess"), on="g", how="left")
    ok = (_name(judged["v"]) == _name(judged["guess"])).fill_null(False)
    top = guess.head(top_n)
    top_hit = int((_name(top["guess"]) == _name(top["true"])).sum())
    return AttackResult(attack, frame.height, int(ok.sum()), top_hit, top_n)


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


def bit_frequency_cv(encodings: pl.Series) -> float:
    """P3 (informational): coefficient of variation of how often each bit position is set (frequent
    q-grams show up as hot positions; balanced filters flatten it)."""
    enc = encodings.drop_nulls()
    if enc.len() == 0:
        return 0.0
    packed = np.frombuffer(b"".join(enc.to_list()), dtype=np.uint8).reshape(enc.len(), -1)
    freq = np.unpackbits(packed, axis=1).mean(axis=0)
    return float(freq.std() / freq.mean()) if freq.mean() > 0 else 0.0
