"""Name pools per name group, built once per seed, sampled with numpy.

Faker is used only here, to build pools (``Faker(locale).seed_instance(seed)``), never per record.
All names are folded to ASCII Latin script so they survive every site's encoding (one site
exports cp1252) and never carry non-Latin script.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import numpy as np
import polars as pl
from faker import Faker

from synthetic_data import reference as ref

_FOLD = str.maketrans({"Ł": "L", "ł": "l", "ß": "ss", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Æ": "AE",
                       "æ": "ae", "'": "'"})


@functools.lru_cache(maxsize=65536)
def fold_ascii(name: str) -> str:
    """Return ``name`` with diacritics removed (``Łukasz`` -> ``Lukasz``); non-letters except ``-'`` dropped."""
    s = unicodedata.normalize("NFKD", name.translate(_FOLD))
    s = "".join(c for c in s if not unicodedata.combining(c))
    return "".join(c for c in s if (c.isascii() and (c.isalpha() or c in "-' ")))


@dataclass(frozen=True)
class Pool:
    """Names and their sampling probabilities."""

    names: np.ndarray
    p: np.ndarray

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.names[rng.choice(len(self.names), size=n, p=self.p)]


def _pool(names: list[str] | tuple[str, ...], weights: list[float] | tuple[float, ...] | None = None) -> Pool:
    folded = [fold_ascii(n) for n in names]
    w = np.ones(len(folded)) if weights is None else np.asarray(weights, dtype=float)
    keep = [i for i, n in enumerate(folded) if n]
    arr = np.array([folded[i] for i in keep], dtype=object)
    w = w[keep]
    # merge duplicates so probabilities stay exact
    uniq, inv = np.unique(arr.astype(str), return_inverse=True)
    wsum = np.bincount(inv, weights=w)
    return Pool(uniq.astype(object), wsum / wsum.sum())


def _rank_weights(n: int, s: float = 0.9) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


@functools.lru_cache(maxsize=16)
def _faker(locale: str) -> Faker:
    return Faker(locale)


def _faker_sample(locale: str, seed: int, method: str, k: int) -> list[str]:
    fk = _faker(locale)
    fk.seed_instance(seed)
    fn = getattr(fk, method)
    return [fn() for _ in range(k)]


def group_index(values: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Row positions of each distinct value, in sorted value order (fast for a million rows)."""
    s = pl.Series("g", np.asarray(values, dtype=object).tolist(), dtype=pl.Utf8)
    parts = pl.DataFrame({"g": s, "i": np.arange(len(s), dtype=np.int64)}).partition_by("g", as_dict=True)
    return sorted(((k[0], v["i"].to_numpy()) for k, v in parts.items()), key=lambda kv: kv[0])


def _faker_lists(seed: int, k: int) -> dict[str, list[str]]:
    """Faker-drawn name lists per locale and kind (each with its own seed offset, as before)."""
    return {
        "gb_m": _faker_sample("en_GB", seed, "first_name_male", k),
        "gb_f": _faker_sample("en_GB", seed + 1, "first_name_female", k),
        "gb_s": _faker_sample("en_GB", seed + 2, "last_name", k * 2),
        "ie_m": _faker_sample("en_IE", seed + 3, "first_name_male", k),
        "ie_f": _faker_sample("en_IE", seed + 4, "first_name_female", k),
        "ie_s": _faker_sample("en_IE", seed + 5, "last_name", k),
        "ee_m": _faker_sample("pl_PL", seed + 6, "first_name_male", k // 2)
        + _faker_sample("ro_RO", seed + 7, "first_name_male", k // 2),
        "ee_f": _faker_sample("pl_PL", seed + 8, "first_name_female", k // 2)
        + _faker_sample("ro_RO", seed + 9, "first_name_female", k // 2),
        "ee_s": _faker_sample("pl_PL", seed + 10, "last_name", k // 2)
        + _faker_sample("ro_RO", seed + 11, "last_name", k // 2),
        "in_s": _faker_sample("en_IN", seed + 12, "last_name", k // 2),
        "ng_s": _faker_sample("en_NG", seed + 13, "last_name", k // 2),
    }


def _child_first(curated: tuple[str, ...], faker_names: list[str], share: float = 0.75) -> Pool:
    """Children's names: the curated ONS-style list (rank-weighted, ``share`` of draws) then Faker's."""
    w = _rank_weights(len(curated))
    tot = sum(w)
    cw = [x / tot * share * len(faker_names) / (1 - share) for x in w]
    return _pool(list(curated) + faker_names, cw + [1.0] * len(faker_names))


def _forename_pools(lists: dict[str, list[str]]) -> dict[tuple[str, str, bool], Pool]:
    muslim_boys = _pool(ref.PAKISTANI_BOYS, [0.68 * 6, 0.21 * 6, 0.11 * 6] + _rank_weights(
        len(ref.PAKISTANI_BOYS) - 3, 0.7))
    fixed = {
        ("pakistani", "M"): muslim_boys,
        ("pakistani", "F"): _pool(ref.PAKISTANI_GIRLS, _rank_weights(len(ref.PAKISTANI_GIRLS), 0.7)),
        ("bangladeshi", "M"): _pool(ref.BANGLADESHI_BOYS, _rank_weights(len(ref.BANGLADESHI_BOYS), 0.7)),
        ("bangladeshi", "F"): _pool(ref.BANGLADESHI_GIRLS),
        ("indian", "M"): _pool(ref.INDIAN_BOYS), ("indian", "F"): _pool(ref.INDIAN_GIRLS),
        ("african", "M"): _pool(ref.AFRICAN_BOYS, _rank_weights(len(ref.AFRICAN_BOYS), 0.5)),
        ("african", "F"): _pool(ref.AFRICAN_GIRLS, _rank_weights(len(ref.AFRICAN_GIRLS), 0.5)),
        ("chinese", "M"): _pool(ref.CHINESE_BOYS), ("chinese", "F"): _pool(ref.CHINESE_GIRLS),
        ("arab", "M"): _pool(ref.ARAB_BOYS), ("arab", "F"): _pool(ref.ARAB_GIRLS),
    }
    # (group, sex) -> (Faker list for adults, curated children's list, curated share)
    by_age = {
        ("british", "M"): ("gb_m", ref.BRITISH_BOYS, 0.75), ("british", "F"): ("gb_f", ref.BRITISH_GIRLS, 0.75),
        ("irish", "M"): ("ie_m", ref.BRITISH_BOYS, 0.4), ("irish", "F"): ("ie_f", ref.BRITISH_GIRLS, 0.4),
        ("east_european", "M"): ("ee_m", ref.EAST_EUROPEAN_CHILD_BOYS, 0.6),
        ("east_european", "F"): ("ee_f", ref.EAST_EUROPEAN_CHILD_GIRLS, 0.6),
    }
    out: dict[tuple[str, str, bool], Pool] = {}
    for adult in (False, True):
        for (group, sex), (key, curated, share) in by_age.items():
            out[(group, sex, adult)] = _pool(lists[key]) if adult else _child_first(curated, lists[key], share)
        for (group, sex), pool in fixed.items():
            out[(group, sex, adult)] = pool
    return out


def _surname_pools(lists: dict[str, list[str]]) -> dict[str, Pool]:
    gb_s, in_s, ng_s = lists["gb_s"], lists["in_s"], lists["ng_s"]
    head = list(ref.SURNAME_HEAD)
    head_w = [v / 546_960 * 0.009 * len(gb_s) / 0.12 for v in ref.SURNAME_HEAD.values()]
    return {
        "british": _pool(head + gb_s, head_w + [1.0] * len(gb_s)),
        "irish": _pool(lists["ie_s"]),
        "east_european": _pool(lists["ee_s"]),
        "pakistani": _pool(ref.PAKISTANI_SURNAMES, ref.PAKISTANI_SURNAME_WEIGHTS),
        "bangladeshi": _pool(ref.BANGLADESHI_SURNAMES, _rank_weights(len(ref.BANGLADESHI_SURNAMES), 0.6)),
        "indian": _pool(list(ref.INDIAN_SURNAMES) + in_s, list(ref.INDIAN_SURNAME_WEIGHTS) + [0.3] * len(in_s)),
        "african": _pool(list(ref.AFRICAN_SURNAMES) + ng_s, [2.0] * len(ref.AFRICAN_SURNAMES) + [1.0] * len(ng_s)),
        "caribbean": _pool(ref.CARIBBEAN_SURNAMES, _rank_weights(len(ref.CARIBBEAN_SURNAMES), 0.5)),
        "chinese": _pool(ref.CHINESE_SURNAMES, _rank_weights(len(ref.CHINESE_SURNAMES), 0.6)),
        "arab": _pool(ref.ARAB_SURNAMES),
    }


class NamePools:
    """All pools for one world: ``forename(group, sex, adult)`` and ``surname(group)``."""

    def __init__(self, seed: int, faker_draws: int = 1500) -> None:
        lists = _faker_lists(seed, faker_draws)
        self._forenames: dict[tuple[str, str, bool], Pool] = _forename_pools(lists)
        self._surnames: dict[str, Pool] = _surname_pools(lists)

    def forenames(self, rng: np.random.Generator, groups: np.ndarray, sexes: np.ndarray,
                  adult: bool) -> np.ndarray:
        """Draw one forename per row for the given name groups and sexes (``U`` draws either)."""
        out = np.empty(len(groups), dtype=object)
        male = np.where(sexes == "U", rng.random(len(sexes)) < 0.5, sexes == "M")
        for g, gi in group_index(groups):
            for s, m in (("M", male[gi]), ("F", ~male[gi])):
                idx = gi[m]
                if len(idx):
                    out[idx] = self._forenames[(g, s, adult)].sample(rng, len(idx))
        return out

    def surnames(self, rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
        """Draw one surname per row for the given surname groups."""
        out = np.empty(len(groups), dtype=object)
        for g, idx in group_index(groups):
            out[idx] = self._surnames[g].sample(rng, len(idx))
        return out
