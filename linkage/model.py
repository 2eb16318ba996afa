"""Fellegi-Sunter model fitted by EM on the table of DISTINCT comparison patterns.

The candidate pairs are reduced to distinct (rules, level vector) patterns with counts in
DuckDB, so EM runs over a few thousand rows however many pairs there are.

Training follows Splink's design: u probabilities come from random record pairs (almost all
non-matches); m probabilities come from one EM session per blocking rule over the pairs that
rule produced, leaving out the comparisons on the identifiers the rule blocked on (those agree
by construction there); each comparison's m is the mean over the sessions that estimated it.
The prior (share of all record pairs that match) is then the fixed point of the expected number
of matches among the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

M_FLOOR = 1e-4
U_FLOOR = 1e-7


@dataclass(frozen=True)
class FellegiSunter:
    """A fitted model.

    Attributes:
        names: comparison names, in column order.
        labels: level labels per comparison (index = level).
        m: per comparison, P(level | match) indexed by level.
        u: per comparison, P(level | non-match) indexed by level.
        prior: P(match) for a random record pair.
        sessions: how many EM sessions estimated each comparison's m.
    """

    names: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    m: tuple[np.ndarray, ...]
    u: tuple[np.ndarray, ...]
    prior: float
    sessions: tuple[int, ...]

    def level_weights(self) -> list[np.ndarray]:
        """log2(m/u) per comparison and level."""
        return [np.log2(m / u) for m, u in zip(self.m, self.u, strict=True)]

    def prior_weight(self) -> float:
        """log2 of the prior odds."""
        return float(np.log2(self.prior / (1.0 - self.prior)))

    def pattern_weights(self, levels: np.ndarray) -> np.ndarray:
        """Match weight (prior included, no term-frequency adjustment) for each row of ``levels``."""
        w = np.full(levels.shape[0], self.prior_weight())
        for k, lw in enumerate(self.level_weights()):
            g = levels[:, k]
            w += np.where(g >= 0, lw[np.clip(g, 0, None)], 0.0)
        return w

    def as_dict(self) -> dict[str, object]:
        """JSON-ready parameters (stored with the run)."""
        return {
            "prior": self.prior,
            "comparisons": {
                n: {
                    "levels": list(lab),
                    "m": [round(float(x), 6) for x in m],
                    "u": [round(float(x), 8) for x in u],
                    "em_sessions": s,
                }
                for n, lab, m, u, s in zip(self.names, self.labels, self.m, self.u, self.sessions, strict=True)
            },
        }


def estimate_u(levels: np.ndarray, n_levels: list[int], exact: list[float | None] | None = None) -> list[np.ndarray]:
    """u probabilities: the level shares among random pairs (nulls ignored), floored above zero.

    ``exact[k]``, when given, is the exact-agreement probability computed from value frequencies
    (no sampling error, which matters for rare agreement on strong identifiers); the sampled
    shares of the other levels are then scaled to fill the rest.
    """
    out = []
    for k, n in enumerate(n_levels):
        g = levels[:, k]
        g = g[g >= 0]
        counts = np.bincount(g, minlength=n).astype(float)[:n]
        u = (counts + 0.5 / n) / (counts.sum() + 0.5)
        top = exact[k] if exact is not None else None
        if top is not None and n > 1:
            rest = u[:-1] / u[:-1].sum()
            u = np.append(rest * (1.0 - top), top)
        out.append(np.maximum(u, U_FLOOR) / np.maximum(u, U_FLOOR).sum())
    return out


def _initial_m(n: int) -> np.ndarray:
    m: np.ndarray = 4.0 ** np.arange(n, dtype=float)
    out: np.ndarray = m / m.sum()
    return out


def _log_table(p: np.ndarray, g: np.ndarray) -> np.ndarray:
    return np.where(g >= 0, np.log(p[np.clip(g, 0, None)]), 0.0)


def em_session(
    levels: np.ndarray,
    counts: np.ndarray,
    m: list[np.ndarray],
    u: list[np.ndarray],
    train: list[int],
    iterations: int,
    prior: float = 0.1,
) -> tuple[list[np.ndarray], float]:
    """One EM session with u fixed; only comparisons in ``train`` contribute and are updated.

    Args:
        levels: (patterns x comparisons) level matrix, -1 for null.
        counts: pairs per pattern.
        m, u: starting m and fixed u per comparison.
        train: indices of comparisons used in this session.
        iterations: maximum iterations (stops early when parameters settle).
        prior: starting share of matches among these pairs.

    Returns:
        the updated m list and the share of matches among the session's pairs.
    """
    m = [x.copy() for x in m]
    total = counts.sum()
    if total == 0 or not train:
        return m, prior
    lam = prior
    for _ in range(iterations):
        log_ratio = np.full(levels.shape[0], np.log(lam) - np.log1p(-lam))
        for k in train:
            log_ratio += _log_table(m[k], levels[:, k]) - _log_table(u[k], levels[:, k])
        post = 1.0 / (1.0 + np.exp(-np.clip(log_ratio, -60, 60)))
        wpost = counts * post
        delta = 0.0
        for k in train:
            g = levels[:, k]
            ok = g >= 0
            new = np.bincount(g[ok], weights=wpost[ok], minlength=len(m[k]))[: len(m[k])]
            if new.sum() <= 0:
                continue
            new = np.maximum(new / new.sum(), M_FLOOR)
            new = new / new.sum()
            delta = max(delta, float(np.abs(new - m[k]).max()))
            m[k] = new
        new_lam = float(np.clip(wpost.sum() / total, 1e-9, 1 - 1e-9))
        delta = max(delta, abs(new_lam - lam))
        lam = new_lam
        if delta < 1e-5:
            break
    return m, lam


@dataclass(frozen=True)
class TrainingInput:
    """Everything EM needs, as one value (the pattern table and what blocking produced it).

    Attributes:
        names: comparison names, in column order.
        labels: level labels per comparison.
        base_fields: the identifier each comparison draws on.
        levels: (patterns x comparisons) level matrix, -1 for null.
        counts: pairs per pattern.
        masks: per pattern, the bit mask of the blocking rules that produced it.
        rule_fields: per blocking rule, the identifiers it blocked on.
        rule_trusted: per blocking rule, whether its sessions are trusted first (see ``BlockingRule.trains``).
        u: fixed u per comparison.
        total_pairs: all record pairs (for the prior).
        iterations: maximum EM iterations per session.
    """

    names: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    base_fields: tuple[str, ...]
    levels: np.ndarray
    counts: np.ndarray
    masks: np.ndarray
    rule_fields: tuple[frozenset[str], ...]
    rule_trusted: tuple[bool, ...]
    u: tuple[np.ndarray, ...]
    total_pairs: float
    iterations: int


def _session_sums(t: TrainingInput, start: list[np.ndarray]) -> tuple[list[np.ndarray], list[int]]:
    """Sum of m over the blocking-rule sessions that estimated each comparison, and their count."""
    k = len(t.names)
    u = list(t.u)
    sums = [np.zeros(len(x)) for x in u]
    n_sessions = [0] * k
    order = sorted(range(len(t.rule_fields)), key=lambda i: not t.rule_trusted[i])
    for i in order:
        fields = t.rule_fields[i]
        sel = (t.masks & (1 << i)) != 0
        if t.counts[sel].sum() < 20:
            continue
        # a less trusted rule only trains comparisons no trusted session has estimated
        train = [j for j in range(k) if t.base_fields[j] not in fields and (t.rule_trusted[i] or n_sessions[j] == 0)]
        if not train:
            continue
        m_i, _ = em_session(t.levels[sel], t.counts[sel], start, u, train, t.iterations)
        for j in train:
            sums[j] += m_i[j]
            n_sessions[j] += 1
    return sums, n_sessions


def fit(training: TrainingInput) -> FellegiSunter:
    """Fit m per blocking-rule session and the prior; see the module docstring.

    Example:
        >>> model = fit(TrainingInput(...))      # doctest: +SKIP
    """
    t = training
    u = list(t.u)
    start = [_initial_m(len(x)) for x in u]
    sums, n_sessions = _session_sums(t, start)
    m_final: list[np.ndarray] = []
    fallback = None
    for j in range(len(t.names)):
        if n_sessions[j]:
            m_final.append(sums[j] / n_sessions[j])
            continue
        if fallback is None:  # comparisons no session could train: one session over every pair
            fallback, _ = em_session(t.levels, t.counts, start, u, list(range(len(t.names))), t.iterations)
        m_final.append(fallback[j])
    model = FellegiSunter(t.names, t.labels, tuple(m_final), t.u, 0.5, tuple(n_sessions))
    return _with_prior(model, t.levels, t.counts, t.total_pairs)


def _with_prior(model: FellegiSunter, levels: np.ndarray, counts: np.ndarray, total_pairs: float) -> FellegiSunter:
    base = model.pattern_weights(levels) - model.prior_weight()  # log2 Bayes factor per pattern
    lam = min(0.5, max(1.0 / total_pairs, float(counts.sum()) * 0.01 / total_pairs))
    for _ in range(200):
        odds = np.log2(lam / (1 - lam)) + base
        post = 1.0 / (1.0 + np.exp2(-np.clip(odds, -200, 200)))
        expected = float((counts * post).sum())
        new = min(0.5, max(1.0 / total_pairs, expected / total_pairs))
        if abs(new - lam) <= 1e-9 * max(lam, 1e-12) + 1e-15:
            lam = new
            break
        lam = new
    return FellegiSunter(model.names, model.labels, model.m, model.u, lam, model.sessions)
