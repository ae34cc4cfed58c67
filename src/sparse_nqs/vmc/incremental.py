"""Incremental amplitudes of one-layer networks: O(changed units) per flipped spin instead of a forward pass.

The FFNN and the CNN are both log psi(s) = sum_j f(theta_j) with theta = s W: for the FFNN
W = W_kernel * M and f = ReLU; for the CNN W is the masked convolution written as an N x (positions
x filters) matrix (each site reaches the 3x3 windows that contain it) and f = GELU (:class:`OneLayerForm`).
Flipping the spins of a group g changes the pre-activations by theta' = theta - 2 sum_{i in g} s_i W_i.
NetKet's generic paths recompute theta from scratch for every proposal of the Metropolis sampler
(O(N H) each) and for every connected configuration of the local energy (N + 1 forward passes per
sample); here

* :func:`sample_chain` keeps theta per chain and updates it for each proposal (single spins or the
  four spins of a toric-code star): the same Markov chain, acceptances and log-probabilities as the
  generic sampler to rounding (a test checks 1e-12). For a pruned network a move changes only the
  hidden units its sites still connect to: with a :func:`flip_columns` table the update and the
  acceptance ratio touch those K columns instead of all alpha N;
* :class:`FlipHamiltonian` gives E_loc(s) = H_diag(s) + c sum_g psi(s^g)/psi(s) for the Hamiltonians
  of this project (TFIM: g = single sites, c = -kappa; toric code: g = stars, c = -1), from theta and
  one update per group, without materialising the connected configurations.

No maintained library does this for masked networks (NetKet has no incremental amplitudes for its
Metropolis rules), hence written here. Other architectures (the ResCNN) keep the generic paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ..networks import CNN, FFNN, MASKS, conv2d, lattice_image

#: the variables collection that carries a :func:`flip_columns` table into the sampler
FLIP_COLUMNS = "flip_columns"
#: the sparse updates are used while the table is at most this fraction of the H hidden units wide
#: (gathers and scatters of K columns against contiguous rows of H). Measured on 2 cores, 10x10 FFNN
#: alpha 5 (H = 500), ms per step's sampling (16 chains, 6900 proposals) and local energies (N_s 1024):
#: K = 32: 38 and 13 against 131 and 26 dense; K = 64: 45-62 and 20-26 against 129 and 27;
#: K = 128: 88-119 and 59-76 against 131-143 and 26-31; K = 256: 217-250 and 138-150
SAMPLER_SPARSE_MAX_FRACTION = 0.3
ENERGY_SPARSE_MAX_FRACTION = 0.1


@dataclass(frozen=True)
class OneLayerForm:
    """log psi(s) = sum_j f(theta_j), theta = s W, of an FFNN (``kind`` "ffnn": W = kernel * mask,
    f = ReLU) or a CNN ("cnn": W the masked convolution as a matrix, f = GELU with the tanh form)."""

    kind: str
    padding: str = "valid"

    def activation(self, theta):
        return jax.nn.relu(theta) if self.kind == "ffnn" else jax.nn.gelu(theta, approximate=True)

    def weights(self, variables, n_sites: int) -> jax.Array:
        """W (N, H) from the network's ``variables`` (masks applied)."""
        if self.kind == "ffnn":
            return variables["params"]["kernel"] * variables[MASKS]["kernel"]
        kernel = variables["params"]["conv"]["kernel"] * variables[MASKS]["conv"]["kernel"]
        # the convolution of every unit vector: row i holds the kernel entries that site i meets
        basis = lattice_image(jnp.eye(n_sites, dtype=kernel.dtype))
        return conv2d(basis, kernel, self.padding).reshape(n_sites, -1)

    def pattern(self, masks, n_sites: int) -> np.ndarray:
        """Which entries of W (N, H) a mask leaves non-zero (host side, for :func:`flip_columns`)."""
        if self.kind == "ffnn":
            return np.asarray(masks["kernel"]) != 0
        mask = np.asarray(masks["conv"]["kernel"])
        ones = {"params": {"conv": {"kernel": jnp.ones(mask.shape)}}, MASKS: {"conv": {"kernel": jnp.asarray(mask)}}}
        return np.asarray(self.weights(ones, n_sites)) != 0


def one_layer_form(machine) -> OneLayerForm | None:
    """The incremental form of a network, or None where it has none (then the generic paths run)."""
    if isinstance(machine, FFNN):
        return OneLayerForm("ffnn")
    if isinstance(machine, CNN):
        return OneLayerForm("cnn", machine.padding)
    return None


def _touched(sites, pattern) -> np.ndarray:
    """(moves, H) flags: the hidden units each move's sites reach (padding sites reach none)."""
    alive = np.concatenate([np.asarray(pattern), np.zeros((1, np.shape(pattern)[1]), bool)])
    return alive[np.asarray(sites)].any(axis=1)


def _power_of_two_width(touched: np.ndarray) -> int:
    widest = int(touched.sum(axis=1).max())
    return 1 << max(0, widest - 1).bit_length()


def flip_width(sites, pattern) -> int:
    """The width :func:`flip_columns` needs: the most hidden units one move changes, rounded up to a
    power of two (a new mask recompiles the step only when that changes)."""
    return _power_of_two_width(_touched(sites, pattern))


def flip_columns(sites, pattern, width: int | None = None, max_fraction: float = 1.0) -> np.ndarray | None:
    """(moves, K) table of the hidden units whose pre-activation each move changes: the non-zero
    entries of W (``pattern``, :meth:`OneLayerForm.pattern`) in the rows of its sites (``sites``: a
    site table padded with N, e.g. the sampler rule's), padded with H (the index of an extra,
    always-zero column). None where K = :func:`flip_width` (or ``width``) exceeds ``max_fraction`` of
    the H hidden units: the dense update is faster there (:data:`SAMPLER_SPARSE_MAX_FRACTION`,
    :data:`ENERGY_SPARSE_MAX_FRACTION`)."""
    n_hidden = np.shape(pattern)[1]
    touched = _touched(sites, pattern)
    width = _power_of_two_width(touched) if width is None else width
    if width > max_fraction * n_hidden:
        return None
    table = np.full((touched.shape[0], width), n_hidden, dtype=np.int32)
    for row, hidden in zip(table, touched):
        columns = np.flatnonzero(hidden)
        row[:columns.size] = columns
    return table


def padded_groups(groups, n_sites: int) -> np.ndarray:
    """(n_groups, largest group) site table padded with ``n_sites`` (the index of an extra zero row)."""
    width = max(len(g) for g in groups)
    table = np.full((len(groups), width), n_sites, dtype=np.int32)
    for row, group in zip(table, groups):
        row[:len(group)] = group
    return table


def _weights(form: OneLayerForm, variables, n_sites: int) -> jax.Array:
    """W with a zero row appended, so that padded site indices change nothing."""
    W = form.weights(variables, n_sites)
    return jnp.concatenate([W, jnp.zeros((1, W.shape[1]), W.dtype)])


def _extended(s, dtype) -> jax.Array:
    """Spins as floats with a 0 appended along the site axis (the padding site)."""
    s = s.astype(dtype)
    return jnp.concatenate([s, jnp.zeros(s.shape[:-1] + (1,), dtype)], axis=-1)


def _move_change(spins, weights_of_site):
    """theta' - theta = -2 sum_k s_k W_k over the g sites of a move: ``spins`` (B, g), and
    ``weights_of_site(k)`` the (B, H or K) weights of site k. A move has a few sites: a sum, not a
    contraction."""
    change = spins[:, 0, None] * weights_of_site(0)
    for k in range(1, spins.shape[1]):
        change = change + spins[:, k, None] * weights_of_site(k)
    return -2.0 * change


def _flip_change(s_ext, W_ext, sites):
    """:func:`_move_change` for a batch: s_ext (B, N+1), sites (B, g)."""
    spins = jnp.take_along_axis(s_ext, sites, axis=-1)  # (B, g)
    return _move_change(spins, lambda k: W_ext[sites[:, k]])


def _with_zero_column(theta, W_ext):
    """theta and W with the always-zero hidden unit H appended, which a padded column table points at."""
    return (jnp.concatenate([theta, jnp.zeros((theta.shape[0], 1), theta.dtype)], axis=-1),
            jnp.concatenate([W_ext, jnp.zeros((W_ext.shape[0], 1), W_ext.dtype)], axis=-1))


def sample_chain(sampler, machine, parameters, state, chain_length: int):
    """:meth:`sparse_nqs.vmc.FastMetropolisSampler._sample_chain` for a network with a
    :class:`OneLayerForm`, with theta kept per chain.

    Draws the same random numbers in the same order as the generic path, so the chain is the same.
    With a :func:`flip_columns` table in ``parameters[FLIP_COLUMNS]["table"]`` a proposal updates only
    the hidden units its move reaches. Returns ``(samples, log_probs), state``.
    """
    rule = sampler.rule
    shape = (chain_length, sampler.sweep_size, sampler.n_batches)
    rng, k_moves, k_accept = jax.random.split(state.rng, 3)
    moves = rule.draw_moves(k_moves, shape)
    log_uniform = jnp.log(jax.random.uniform(k_accept, shape))
    form = one_layer_form(machine)
    sigma = state.σ
    W_ext = _weights(form, parameters, sigma.shape[-1])
    sites_of_move, flips = rule.sites, rule.flips
    theta = sigma.astype(W_ext.dtype) @ W_ext[:-1]
    power = sampler.machine_pow
    chains = jnp.arange(sigma.shape[0])

    def flip(sigma, move, accept):
        return jnp.where(accept[:, None] & flips[move], -sigma, sigma)

    def propose_dense(carry, draws):
        sigma, theta, log_prob, n_accepted = carry
        move, log_u = draws
        sites = sites_of_move[move]  # (chains, g)
        new_theta = theta + _flip_change(_extended(sigma, W_ext.dtype), W_ext, sites)
        proposal_log_prob = power * jnp.sum(form.activation(new_theta), axis=-1)
        accept = log_u < proposal_log_prob - log_prob
        return (flip(sigma, move, accept), jnp.where(accept[:, None], new_theta, theta),
                jnp.where(accept, proposal_log_prob, log_prob), n_accepted + accept), None

    table = parameters.get(FLIP_COLUMNS, {}).get("table")
    if table is not None:
        # theta gets the always-zero column H that the table's padding points at; W_cols[m, k, c] is
        # the weight of site k of move m to hidden unit table[m, c] (zero for padding sites/columns)
        theta, W_pad = _with_zero_column(theta, W_ext)
        W_cols = W_pad[sites_of_move[:, :, None], table[:, None, :]]  # (moves, g, K)

    def propose_sparse(carry, draws):
        sigma, theta, log_prob, n_accepted = carry
        move, log_u = draws
        columns = table[move]  # (chains, K)
        # padding sites index N: clipped to a real spin, multiplied by a zero weight
        spins = jnp.take_along_axis(sigma, sites_of_move[move], axis=-1, mode="clip").astype(theta.dtype)
        weights = W_cols[move]  # (chains, g, K)
        change = _move_change(spins, lambda k: weights[:, k])
        old = jnp.take_along_axis(theta, columns, axis=-1)
        log_ratio = power * jnp.sum(form.activation(old + change) - form.activation(old), axis=-1)
        accept = log_u < log_ratio
        theta = theta.at[chains[:, None], columns].add(jnp.where(accept[:, None], change, 0.0))
        return (flip(sigma, move, accept), theta, log_prob, n_accepted + accept), None

    propose = propose_dense if table is None else propose_sparse

    def sweep(carry, draws):
        carry, _ = jax.lax.scan(propose, carry, draws)
        if table is not None:  # the log-probability afresh once per sweep, from the updated theta
            sigma, theta, _, n_accepted = carry
            carry = (sigma, theta, power * jnp.sum(form.activation(theta[:, :-1]), axis=-1), n_accepted)
        return carry, (carry[0], carry[2])

    (sigma, _, log_prob, n_accepted), (samples, log_probs) = jax.lax.scan(
        sweep, (sigma, theta, state.log_prob, state.n_accepted_proc), (moves, log_uniform))
    state = state.replace(σ=sigma, log_prob=log_prob, rng=rng, n_accepted_proc=n_accepted,
                          n_steps_proc=state.n_steps_proc + chain_length * sampler.sweep_size * sampler.n_batches)
    return (jnp.swapaxes(samples, 0, 1), jnp.swapaxes(log_probs, 0, 1)), state


@dataclass(frozen=True)
class FlipHamiltonian:
    """H = H_diag(s) + coefficient * sum_g X_g, X_g flipping the spins of group g (hashable: a static
    argument of the compiled step). ``diagonal``: ("bonds", pairs) for -sum Z_i Z_j, or
    ("plaquettes", groups) for -sum prod_{i in p} Z_i."""

    groups: tuple
    coefficient: float
    diagonal: tuple
    chunk: int = 32

    @classmethod
    def of(cls, model) -> "FlipHamiltonian":
        groups, coefficient = model.flip_terms()
        return cls(groups, float(coefficient), model.diagonal_terms())

    def diagonal_energy(self, s) -> jax.Array:
        kind, terms = self.diagonal
        terms = np.asarray(terms)
        if kind == "bonds":
            return -jnp.sum(s[:, terms[:, 0]] * s[:, terms[:, 1]], axis=-1)
        return -jnp.sum(jnp.prod(s[:, terms], axis=-1), axis=-1)

    def site_table(self, n_sites: int) -> np.ndarray:
        """The groups as a (G, g) site table padded with ``n_sites``."""
        return padded_groups(self.groups, n_sites)

    def local_energies(self, form: OneLayerForm, variables, x, columns=None) -> jax.Array:
        """E_loc of a batch x (N_s, N) for the ``variables`` of a network of :class:`OneLayerForm`
        ``form``; ``columns``: the :func:`flip_columns` table of the groups (only the hidden units each
        group reaches), or None."""
        W_ext = _weights(form, variables, x.shape[-1])
        s = x.astype(W_ext.dtype)
        theta = s @ W_ext[:-1]
        table = self.site_table(x.shape[-1])  # (G, g)
        spins = _extended(s, W_ext.dtype)[:, table]  # (N_s, G, g)
        if columns is None:
            rows = [W_ext[table[:, k]][None] for k in range(table.shape[1])]  # g x (1, G, alpha N)

            def log_ratio(chunk):
                theta_c, spins_c = chunk
                flipped = theta_c[:, None, :]
                for k, row in enumerate(rows):
                    flipped = flipped - 2.0 * spins_c[:, :, k, None] * row
                return (jnp.sum(form.activation(flipped), axis=-1)
                        - jnp.sum(form.activation(theta_c), axis=-1)[:, None])
        else:
            # only the K hidden units a group reaches change: gather those, append the zero column H
            theta, W_pad = _with_zero_column(theta, W_ext)
            rows = [W_pad[table[:, k, None], columns][None] for k in range(table.shape[1])]  # g x (1, G, K)

            def log_ratio(chunk):
                theta_c, spins_c = chunk
                old = theta_c[:, columns]  # (chunk, G, K)
                new = old
                for k, row in enumerate(rows):
                    new = new - 2.0 * spins_c[:, :, k, None] * row
                return jnp.sum(form.activation(new) - form.activation(old), axis=-1)

        # a few samples at a time: the (chunk, G, alpha N) pre-activations stay in cache (measured at
        # 10x10 alpha 5, N_s 1024: 26 ms in chunks of 32 against 257 ms for all samples at once)
        chunk = math.gcd(x.shape[0], self.chunk)
        n_chunks = x.shape[0] // chunk
        ratios = jax.lax.map(log_ratio, (theta.reshape(n_chunks, chunk, -1),
                                         spins.reshape(n_chunks, chunk, *spins.shape[1:])))
        ratios = ratios.reshape(x.shape[0], -1)
        return self.diagonal_energy(s) + self.coefficient * jnp.sum(jnp.exp(ratios), axis=-1)
