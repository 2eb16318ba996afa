"""EM on distinct patterns recovers known m probabilities and the match prior."""

from __future__ import annotations

import numpy as np

from linkage.model import TrainingInput, em_session, estimate_u, fit


def _simulate(seed: int = 1, n_match: int = 2000, n_non: int = 20000):
    rng = np.random.default_rng(seed)
    m = [np.array([0.05, 0.15, 0.8]), np.array([0.1, 0.9]), np.array([0.02, 0.08, 0.9])]
    u = [np.array([0.9, 0.08, 0.02]), np.array([0.5, 0.5]), np.array([0.95, 0.04, 0.01])]
    rows = []
    for probs, n in ((m, n_match), (u, n_non)):
        rows.append(np.column_stack([rng.choice(len(p), size=n, p=p) for p in probs]))
    levels = np.vstack(rows)
    patterns, counts = np.unique(levels, axis=0, return_counts=True)
    return m, u, patterns, counts.astype(float)


def test_em_session_recovers_m_and_match_share() -> None:
    m_true, u_true, patterns, counts = _simulate()
    start = [np.ones(3) / 3, np.ones(2) / 2, np.ones(3) / 3]
    m, lam = em_session(patterns, counts, start, u_true, [0, 1, 2], iterations=200)
    assert abs(lam - 2000 / 22000) < 0.01
    for got, want in zip(m, m_true, strict=True):
        assert np.allclose(got, want, atol=0.03)


def test_fit_uses_sessions_that_leave_out_the_blocked_field() -> None:
    m_true, u_true, patterns, counts = _simulate(seed=2)
    masks = np.full(len(counts), 3)        # every pattern produced by both rules
    model = fit(TrainingInput(
        names=("a", "b", "c"), labels=(("0", "1", "2"), ("0", "1"), ("0", "1", "2")), base_fields=("a", "b", "c"),
        levels=patterns, counts=counts, masks=masks, rule_fields=(frozenset({"a"}), frozenset({"c"})),
        rule_trusted=(True, True), u=tuple(u_true), total_pairs=22000.0, iterations=200,
    ))
    assert model.sessions == (1, 2, 1)                 # a trained only where c was blocked, and so on
    assert np.allclose(model.m[1], m_true[1], atol=0.03)
    assert abs(model.prior - 2000 / 22000) < 0.01      # expected matches / all pairs
    w = model.pattern_weights(np.array([[2, 1, 2], [0, 0, 0], [-1, -1, -1]]))
    assert w[0] > 0 > w[1] and w[2] == model.prior_weight()   # missing values carry no evidence


def test_estimate_u_ignores_missing_and_never_returns_zero() -> None:
    levels = np.array([[0, 1], [0, -1], [1, 0], [0, 0]])
    u = estimate_u(levels, [3, 2])
    assert u[0][2] > 0 and abs(u[0].sum() - 1) < 1e-9
    assert u[0][0] > u[0][1] > u[0][2]
