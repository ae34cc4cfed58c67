"""Perfect sampling of an MPS in the Z basis (Ferris and Vidal, PRB 85, 165146 (2012)).

With every tensor right of the first right-orthonormal, the probability of sigma_i given the spins
already drawn on its left is the squared norm of the left environment contracted with B_i[:, sigma_i, :].
Each sample is exact and independent of the others (no Markov chain). Written here because TeNPy's
``MPS.sample_measurements`` draws one sample per call, a Python loop over sites and samples; this
draws a whole batch per site as one matrix product (1e5 samples of a 100-site chain in seconds), and
serves both DMRG backends alike.
"""

from __future__ import annotations

import numpy as np


def sample_mps(tensors: list, n_samples: int, seed: int, batch: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """``n_samples`` configurations (n, N) of 0/1 (1 = up, uint8) and their log-probabilities under the
    MPS. ``tensors``: (chi_left, 2, chi_right) arrays (real or complex), physical index 0 = up, sites
    1.. right-orthonormal."""
    rng = np.random.default_rng(seed)
    N = len(tensors)
    samples = np.empty((n_samples, N), dtype=np.uint8)
    log_p = np.empty(n_samples)
    for start in range(0, n_samples, batch):
        n = min(batch, n_samples - start)
        left = np.ones((n, 1), dtype=np.result_type(*tensors))
        total = np.zeros(n)
        for i, B in enumerate(tensors):
            amplitudes = np.einsum("nl,lsr->nsr", left, np.asarray(B))  # complex tensors allowed
            weights = np.einsum("nsr,nsr->ns", amplitudes, amplitudes.conj()).real
            p_up = weights[:, 0] / weights.sum(axis=1)
            down = rng.random(n) >= p_up
            chosen = amplitudes[np.arange(n), down.astype(int)]
            norm = np.sqrt(weights[np.arange(n), down.astype(int)])
            left = chosen / norm[:, None]
            total += np.log(np.where(down, 1.0 - p_up, p_up))
            samples[start:start + n, i] = ~down
        log_p[start:start + n] = total
    return samples, log_p
