"""Exact expectation values of a network state by full summation over all 2^N configurations.

A trained state's energy, variance, magnetisations and its fidelity to another state are computed
here without sampling, whenever its 2^N amplitudes fit :attr:`EvaluationSettings.exact_memory_mb`
(docs/science.md, "Evaluation"): N = 18 (the toric code at L = 3) takes seconds, N = 25 (the 5x5
TFIM) about ten seconds per state on two cores.

Why not NetKet's ``FullSumState``: it holds all 2^N configurations as a float array and the
operator's connected elements of all of them at once (about 7 GB and 170 GB at N = 25), where this
module holds three vectors of 2^N amplitudes (768 MB at N = 25) and works through the configurations
in chunks. The Hamiltonian is taken from the model's own term lists (:meth:`Model.flip_terms`,
:meth:`Model.diagonal_terms`, the same that define its NetKet operator); tests check both against
``FullSumState`` on small systems.

Configurations are numbered as NetKet's ``Spin(1/2)`` Hilbert space numbers them: configuration k
has spin s_i = 1 - 2 b_i, where b_i is bit N - 1 - i of k. Flipping the spins of a group g is then
k XOR (the bits of g).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import jax
import numpy as np

from ..errors import SparseNQSError
from ..runtime import require_x64
from ..settings import EvaluationSettings

#: bytes per amplitude and the vectors of 2^N amplitudes an evaluation holds at once: log psi (or
#: psi), H psi, and during a fidelity the second state's psi
BYTES_PER_AMPLITUDE = 8
VECTORS_HELD = 3
#: configurations per chunk (the network's pre-activations of a chunk: CHUNK x hidden units)
CHUNK = 1 << 15
#: configurations per chunk of the magnetisation sums
SUM_CHUNK = 1 << 20


class FullSumTooLargeError(SparseNQSError, MemoryError):
    pass


def full_sum_bytes(n_spins: int) -> int:
    """Memory of an exact evaluation of ``n_spins`` spins (the vectors of 2^N amplitudes it holds)."""
    return VECTORS_HELD * BYTES_PER_AMPLITUDE * (1 << n_spins)


def fits(n_spins: int, memory_mb: float | None = None) -> bool:
    """Whether the exact evaluation of ``n_spins`` spins fits ``memory_mb`` megabytes (2^20 bytes; None:
    the default of ``evaluation.exact_memory_mb``)."""
    if memory_mb is None:
        memory_mb = EvaluationSettings().exact_memory_mb
    return full_sum_bytes(n_spins) <= float(memory_mb) * (1 << 20)


def largest_exact_system(memory_mb: float) -> int:
    """The largest N whose exact evaluation fits ``memory_mb``."""
    n = 1
    while fits(n + 1, memory_mb):
        n += 1
    return n


def configurations(start: int, stop: int, n_spins: int) -> np.ndarray:
    """Spin configurations number ``start`` .. ``stop - 1`` in NetKet's order, shape (stop - start, N), +-1."""
    k = np.arange(start, stop, dtype=np.int64)
    shifts = np.arange(n_spins - 1, -1, -1, dtype=np.int64)
    bits = (k[:, None] >> shifts) & 1
    return (1 - 2 * bits).astype(np.float64)


@dataclass
class StateVector:
    """The normalised amplitudes psi(x) of a network state over all 2^N configurations.

    ``psi`` is real (the networks of this pipeline have real log-amplitudes) and scaled so that its
    largest entry is 1; ``norm2`` is sum |psi|^2. Amplitudes below exp(-745) of the largest are 0.
    """

    psi: np.ndarray
    norm2: float

    @classmethod
    def of(cls, network, variables: dict, n_spins: int, memory_mb: float | None = None,
           chunk: int = CHUNK) -> "StateVector":
        """Evaluate ``network`` with ``variables`` on every configuration, chunk by chunk."""
        require_x64()
        if memory_mb is not None and not fits(n_spins, memory_mb):
            raise FullSumTooLargeError(
                f"the exact evaluation of N = {n_spins} spins needs {full_sum_bytes(n_spins) / 2**20:.0f} MB, "
                f"more than evaluation.exact_memory_mb = {memory_mb}")
        apply = jax.jit(network.apply)
        dim = 1 << n_spins
        chunk = min(chunk, dim)
        log_psi = np.empty(dim)
        for start in range(0, dim, chunk):
            values = np.asarray(apply(variables, configurations(start, start + chunk, n_spins)))
            if np.iscomplexobj(values):
                if np.abs(values.imag).max() > 1e-12:
                    raise NotImplementedError("full summation is written for real, positive amplitudes")
                values = values.real
            log_psi[start:start + chunk] = values
        if not np.isfinite(log_psi).all():
            raise FloatingPointError("the network gives non-finite log-amplitudes")
        log_psi -= log_psi.max()
        psi = np.exp(log_psi, out=log_psi)  # in place: one vector of 2^N
        return cls(psi, float(psi @ psi))

    @property
    def n_spins(self) -> int:
        return self.psi.size.bit_length() - 1

    @cached_property
    def probabilities(self) -> np.ndarray:
        return self.psi**2 / self.norm2

    def flipped(self, group) -> np.ndarray:
        """X_g psi: psi with the spins of ``group`` flipped (a new vector)."""
        out = self.psi
        for site in group:
            out = flip_bit(out, self.n_spins - 1 - int(site))
        return out if out is not self.psi else out.copy()

    def overlap(self, other: "StateVector") -> float:
        """|<self|other>|^2 / (<self|self> <other|other>)."""
        return float((self.psi @ other.psi) ** 2 / (self.norm2 * other.norm2))


def flip_bit(vector: np.ndarray, bit: int) -> np.ndarray:
    """v'[k] = v[k XOR 2^bit] for every k: a swap of blocks of 2^bit entries, no index arrays."""
    blocks = vector.reshape(-1, 2, 1 << bit)
    return blocks[:, ::-1, :].reshape(-1)


def _spin_axes(vector: np.ndarray, n_spins: int) -> np.ndarray:
    """``vector`` as an array with one axis of length 2 per spin (axis i: s_i = +1, -1)."""
    return vector.reshape((2,) * n_spins)


_SIGNS = np.array([1.0, -1.0])


def _sign_of(sites, n_spins: int) -> np.ndarray:
    """prod_{i in sites} s_i as an array broadcastable against :func:`_spin_axes` (a view)."""
    out = np.ones((1,) * n_spins)
    for site in sites:
        shape = [1] * n_spins
        shape[site] = 2
        out = out * _SIGNS.reshape(shape)
    return out


def expectations(model, state: StateVector, chunk: int = SUM_CHUNK) -> dict:
    """energy <H>, variance <H^2> - <H>^2 (as ||(H - E) psi||^2, no cancellation), mx = <sum X_i>/N,
    mz = <sum Z_i>/N and abs_mz = <|sum Z_i|>/N of ``state``."""
    N, dim, psi = model.N, state.psi.size, state.psi
    if dim != 1 << N:
        raise ValueError(f"a state of {state.n_spins} spins for a model of {N}")
    groups, c = model.flip_terms()
    h_psi = np.zeros(dim)
    for group in groups:  # the off-diagonal part: c sum_g X_g psi
        h_psi += state.flipped(group)
    h_psi *= c
    kind, terms = model.diagonal_terms()
    if kind not in ("bonds", "plaquettes"):
        raise ValueError(f"unknown diagonal terms {kind!r}")
    h_axes, psi_axes = _spin_axes(h_psi, N), _spin_axes(psi, N)
    for term in terms:  # the diagonal part: -sum_term prod_{i in term} Z_i
        h_axes -= _sign_of(term, N) * psi_axes
    energy = float(psi @ h_psi) / state.norm2
    h_psi -= energy * psi
    variance = float(h_psi @ h_psi) / state.norm2
    del h_psi, h_axes
    x_psi = np.zeros(dim)
    for site in range(N):
        x_psi += flip_bit(psi, N - 1 - site)
    mx = float(psi @ x_psi) / (N * state.norm2)
    del x_psi
    mz = abs_mz = 0.0
    for start in range(0, dim, chunk):  # m(x) = (N - 2 popcount(x)) / N
        stop = min(start + chunk, dim)
        p = psi[start:stop] ** 2
        m = (N - 2.0 * np.bitwise_count(np.arange(start, stop, dtype=np.uint64))) / N
        mz += float(p @ m)
        abs_mz += float(p @ np.abs(m))
    return {"energy": energy, "variance": variance, "mx": mx, "mz": mz / state.norm2, "abs_mz": abs_mz / state.norm2}
