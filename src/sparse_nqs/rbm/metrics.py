"""Exact comparisons of an RBM with a target distribution, by enumeration (N <= 20; docs/rbm.md,
"Metrics")."""

from __future__ import annotations

import numpy as np


def kl_divergence(target: np.ndarray, log_p: np.ndarray) -> float:
    """KL(q || p) = sum_v q(v) log(q(v) / p(v)) of a target ``q`` and the RBM's exact ``log p``
    (both over the same enumeration; terms with q = 0 contribute nothing)."""
    target = np.asarray(target, dtype=np.float64)
    seen = target > 0
    return float(np.sum(target[seen] * (np.log(target[seen]) - np.asarray(log_p)[seen])))


def fidelity(target: np.ndarray, log_p: np.ndarray) -> float:
    """F = |<psi|Psi>|^2 = (sum_v sqrt(p(v) q(v)))^2 of positive wavefunctions psi = sqrt(p), Psi = sqrt(q)."""
    return float(np.sum(np.sqrt(np.asarray(target, dtype=np.float64) * np.exp(np.asarray(log_p)))) ** 2)
