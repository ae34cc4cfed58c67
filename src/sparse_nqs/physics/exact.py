"""Exact diagonalisation of the models (docs/science.md, "References").

The Hamiltonian is NetKet's sparse matrix; the lowest eigenpairs come from ARPACK's Lanczos
(``scipy.sparse.linalg.eigsh``), or dense ``eigh`` for tiny spaces. Observables are computed on
the whole Hilbert space with NumPy.

Degenerate ground states (the toric code: four-fold) have no meaningful single ground-state
vector. Their observables are those of the ground-space average rho = P_0 / d, which does not
depend on the basis the eigensolver happened to return; the vector is then ``None`` and the
orthonormal ground-space basis is kept instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

from ..errors import SparseNQSError
from ..names import ED_MAX_SPINS
from .observables import SpinObservables

#: Two eigenvalues closer than this (relative to |E0|) count as degenerate.
DEGENERACY_RTOL = 1e-8
_DENSE_MAX_DIM = 2048


class EDTooLargeError(SparseNQSError, ValueError):
    pass


@dataclass
class ExactGroundState:
    energy: float
    degeneracy: int
    lowest_energies: np.ndarray
    observables: SpinObservables
    energy_variance: float
    #: Normalised ground state in NetKet's basis order, real and with non-negative sum;
    #: None when the ground state is degenerate.
    vector: np.ndarray | None
    #: Orthonormal ground-space basis, shape (2^N, degeneracy).
    ground_space: np.ndarray
    wall_seconds: float

    @property
    def gap(self) -> float | None:
        """E_1 - E_0 to the first level above the ground space (None if not resolved)."""
        above = self.lowest_energies[self.degeneracy:]
        return float(above[0] - self.energy) if len(above) else None


def free_fermion_energy(N: int, h: float, J: float = 1.0) -> float:
    """Ground-state energy of the open TFIM chain H = -J sum Z_i Z_{i+1} - h sum X_i (any N).

    A Jordan-Wigner transformation makes the chain free fermions whose single-particle energies
    2 s_k are twice the singular values of the N x N bidiagonal matrix with h on the diagonal and J
    on the superdiagonal; E_0 = -sum_k s_k (Pfeuty 1970; Lieb, Schultz and Mattis 1961)."""
    if N < 1:
        raise ValueError(f"the chain needs at least one spin, got N = {N}")
    matrix = np.diag(np.full(N, float(h))) + np.diag(np.full(N - 1, float(J)), 1)
    return -float(np.sum(np.linalg.svd(matrix, compute_uv=False)))


def lowest_eigenpairs(H, k: int, seed: int = 0):
    """The k lowest eigenpairs of a real symmetric sparse matrix, sorted ascending."""
    dim = H.shape[0]
    if dim <= _DENSE_MAX_DIM:
        vals, vecs = scipy.linalg.eigh(H.toarray())
        return vals[:k], vecs[:, :k]
    v0 = np.random.default_rng(seed).normal(size=dim)
    vals, vecs = scipy.sparse.linalg.eigsh(H, k=k, which="SA", v0=v0, tol=1e-12)
    order = np.argsort(vals)
    return vals[order], vecs[:, order]


def spin_flip_maps(hilbert) -> tuple[np.ndarray, list[np.ndarray]]:
    """All basis configurations and, for each site i, the index map of flipping spin i."""
    configs = np.asarray(hilbert.all_states())
    flips = []
    for i in range(hilbert.size):
        flipped = configs.copy()
        flipped[:, i] *= -1
        flips.append(np.asarray(hilbert.states_to_numbers(flipped)))
    return configs, flips


def state_observables(psi: np.ndarray, configs: np.ndarray, flips: list[np.ndarray]) -> SpinObservables:
    """Pauli observables of one normalised real state vector over the full basis."""
    N = configs.shape[1]
    prob = psi**2
    z = configs.astype(np.float64)
    mz_sites = prob @ z
    zz = z.T @ (prob[:, None] * z)
    mx_sites = np.array([psi @ psi[f] for f in flips])
    xx = np.eye(N)
    for i in range(N):
        psi_i = psi[flips[i]]  # (X_i psi)
        for j in range(i + 1, N):
            xx[i, j] = xx[j, i] = psi_i @ psi[flips[j]]
    abs_mz = float(prob @ np.abs(z.sum(axis=1))) / N
    return SpinObservables(mx_sites=mx_sites, mz_sites=mz_sites, zz=zz, xx=xx, abs_mz=abs_mz)


def exact_ground_state(model, n_levels: int = 8, max_spins: int = ED_MAX_SPINS, seed: int = 0) -> ExactGroundState:
    """Ground state(s) of ``model`` by exact diagonalisation, with all observables."""
    if model.N > max_spins:
        raise EDTooLargeError(
            f"exact diagonalisation is limited to N <= {max_spins} spins here "
            f"(N = {model.N} asked); use method 'dmrg' (TFIM) or 'auto'"
        )
    start = time.perf_counter()
    H = model.hamiltonian.to_sparse().astype(np.float64)
    dim = H.shape[0]
    k = min(n_levels, dim - 1)
    vals, vecs = lowest_eigenpairs(H, k, seed=seed)
    e0 = float(vals[0])
    degeneracy = int(np.sum(np.abs(vals - e0) <= DEGENERACY_RTOL * max(1.0, abs(e0))))
    if degeneracy == k:
        raise RuntimeError(
            f"all {k} computed levels are degenerate with the ground state; raise n_levels"
        )
    ground_space = vecs[:, :degeneracy]

    configs, flips = spin_flip_maps(model.hilbert)
    observables = SpinObservables.average(
        [state_observables(ground_space[:, d], configs, flips) for d in range(degeneracy)]
    )
    H_psi = H @ ground_space
    variance = float(np.mean(np.sum(H_psi**2, axis=0)) - np.mean(vals[:degeneracy]) ** 2)

    vector = None
    if degeneracy == 1:
        vector = ground_space[:, 0].copy()
        if vector.sum() < 0:
            vector = -vector
    return ExactGroundState(
        energy=e0,
        degeneracy=degeneracy,
        lowest_energies=np.asarray(vals),
        observables=observables,
        energy_variance=max(variance, 0.0),
        vector=vector,
        ground_space=ground_space,
        wall_seconds=time.perf_counter() - start,
    )
