"""The positive-wavefunction RBM of QuCumber, with a prunable weight matrix (docs/rbm.md, "Model").

Visible units v in {0, 1}^N (1 = spin up = Z eigenvalue +1), hidden units h in {0, 1}^{N_h}:

    p(v) = exp(-E(v)) / Z,   E(v) = -b.v - sum_j softplus(c_j + sum_i v_i W_ij),   psi(v) = sqrt(p(v)).

:func:`free_energy` (= -E(v)) is the one formula; the Flax module :class:`PositiveRBM` evaluates
log psi = -E / 2 from NetKet's spins s = 2 v - 1, so the energy and the observables of an RBM reuse the
VMC evaluation. W has a binary mask in the ``"masks"`` collection exactly as the networks' kernels
(:mod:`sparse_nqs.networks`), so the pruning engine prunes it the same way; the biases b and c carry
no mask and are never pruned. NetKet's own ``nk.models.RBM`` is a different family (psi is the
marginal itself), hence this module.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import netket as nk
import numpy as np

from ..networks import MASKS, masked_param


def spins_to_visible(s: jax.Array) -> jax.Array:
    """NetKet's spins (+1 up, -1 down) as visible units (1 up, 0 down)."""
    return (1 + s) / 2


def rbm_weights(variables: dict) -> jax.Array:
    """W * mask: the weights that act."""
    return variables["params"]["kernel"] * variables[MASKS]["kernel"]


def free_energy(variables: dict, v: jax.Array) -> jax.Array:
    """-E(v) = b.v + sum_j softplus(c_j + (v W)_j) for visible configurations ``v`` (..., N)."""
    params = variables["params"]
    v = v.astype(params["visible_bias"].dtype)
    return v @ params["visible_bias"] + jnp.sum(jax.nn.softplus(v @ rbm_weights(variables) + params["hidden_bias"]),
                                                axis=-1)


def qucumber_init(n_visible: int):
    """QuCumber's BinaryRBM initialisation of W: Normal(0, 1) / sqrt(N)."""
    return nn.initializers.normal(1.0 / np.sqrt(n_visible))


class PositiveRBM(nn.Module):
    """log psi(s) = -E(v) / 2 with v = (1 + s) / 2 (unnormalised); ``n_hidden`` hidden units."""

    n_hidden: int
    param_dtype: Any = jnp.float64

    @nn.compact
    def __call__(self, s):
        N = s.shape[-1]
        kernel = masked_param(self, "kernel", qucumber_init(N), (N, self.n_hidden), self.param_dtype)
        b = self.param("visible_bias", nn.initializers.zeros, (N,), self.param_dtype)
        c = self.param("hidden_bias", nn.initializers.zeros, (self.n_hidden,), self.param_dtype)
        v = spins_to_visible(s.astype(self.param_dtype))
        return 0.5 * (v @ b + jnp.sum(jax.nn.softplus(v @ kernel + c), axis=-1))


def init_rbm(n_visible: int, n_hidden: int, seed: int) -> dict:
    """Fresh variables {"params", "masks"} of an RBM (float64, the seed recorded by the caller)."""
    return PositiveRBM(n_hidden).init(jax.random.key(seed), jnp.ones((1, n_visible)))


# --------------------------------------------------------------------------------------------
# exact quantities by enumeration (N <= 20)
# --------------------------------------------------------------------------------------------
def all_visible(N: int) -> np.ndarray:
    """Every configuration of N visible units, (2^N, N): NetKet's ``Spin(1/2, N).all_states()`` as
    v = (1 + s) / 2, so that exact vectors line up with the ED ground state by construction."""
    return spins_to_visible(np.asarray(nk.hilbert.Spin(s=0.5, N=N).all_states(), dtype=np.float64))


_free_energy = jax.jit(free_energy)  # compiled once per shape, not once per call


def log_probabilities(variables: dict, N: int, chunk: int = 1 << 16) -> np.ndarray:
    """log p(v) of every configuration of :func:`all_visible` (exact log Z by summation, chunked)."""
    configs = all_visible(N)
    values = np.concatenate([np.asarray(_free_energy(variables, configs[k:k + chunk]))
                             for k in range(0, len(configs), chunk)])
    return values - float(jax.scipy.special.logsumexp(values))


# --------------------------------------------------------------------------------------------
# the RBM as a graph
# --------------------------------------------------------------------------------------------
def min_connected_weights(n_visible: int, n_hidden: int) -> int:
    """Fewest weights of a connected RBM graph: a connected graph of V + H nodes needs V + H - 1 edges
    (26 for the 18 x 9 RBM: below 16.05% of its weights it must be disconnected)."""
    return n_visible + n_hidden - 1


def is_connected(mask) -> bool:
    """Whether the bipartite graph of visible and hidden units with an edge per unmasked weight
    (``mask``: (N, N_h)) is connected."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    mask = np.asarray(mask) != 0
    n_visible, n_hidden = mask.shape
    rows, cols = np.nonzero(mask)
    adjacency = csr_matrix((np.ones(len(rows)), (rows, n_visible + cols)), shape=(n_visible + n_hidden,) * 2)
    return connected_components(adjacency, directed=False)[0] == 1
