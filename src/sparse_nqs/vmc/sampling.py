"""Metropolis sampling of |psi|^2 and the variational states it feeds (docs/science.md, "Sampling and
training").

* :class:`FlipMoveRule`: single-spin flips (TFIM); for the toric code a mixture of single flips and
  star flips with probability 1/2 each (a star flip is A_v in the Z basis and keeps every plaquette).
* :class:`FastMetropolisSampler`: NetKet's Metropolis sampler drawing all proposals of a chain segment
  at once, with incremental amplitudes for one-layer networks (same Markov chain).
* :func:`make_vstate`, :func:`set_masks`, :func:`chain_arrays` / :func:`restore_chains`.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import netket as nk
import numpy as np

from ..networks import MASKS
from ..runtime import require_x64
from ..settings import SamplingSettings
from . import incremental


class FlipMoveRule(nk.sampler.rules.MetropolisRule):
    """Propose flipping one "move": a single spin, or (toric code) all spins of one group.

    ``flips`` is a boolean table with one row per move: the N single-site moves first, then the
    groups (stars). A move is a single flip with probability ``1 - p_group`` and a uniformly
    chosen group otherwise. Every move is its own inverse, so the proposal is symmetric and
    Metropolis needs no correction factor.
    """

    flips: jax.Array
    sites: jax.Array
    p_group: jax.Array

    def __init__(self, n_sites: int, groups=(), p_group: float = 0.5):
        table = np.eye(n_sites, dtype=bool)
        if len(groups):
            group_rows = np.zeros((len(groups), n_sites), dtype=bool)
            for row, group in zip(group_rows, groups):
                row[list(group)] = True
            table = np.concatenate([table, group_rows])
        else:
            p_group = 0.0
        self.flips = jnp.asarray(table)
        # the same moves as site lists (padded with n_sites), for incremental amplitudes
        self.sites = jnp.asarray(incremental.padded_groups([[i] for i in range(n_sites)] + [list(g) for g in groups],
                                                           n_sites))
        self.p_group = jnp.asarray(p_group, dtype=jnp.float64)

    @property
    def n_groups(self) -> int:
        return self.flips.shape[0] - self.flips.shape[1]

    def draw_moves(self, key, shape):
        """Indices into ``flips`` for a batch of proposals."""
        n_sites = self.flips.shape[1]
        k_site, k_kind, k_group = jax.random.split(key, 3)
        moves = jax.random.randint(k_site, shape, 0, n_sites)
        if self.n_groups:
            group = n_sites + jax.random.randint(k_group, shape, 0, self.n_groups)
            moves = jnp.where(jax.random.uniform(k_kind, shape) < self.p_group, group, moves)
        return moves

    def transition(rule, sampler, machine, parameters, state, key, sigma):
        moves = rule.draw_moves(key, sigma.shape[:1])
        return jnp.where(rule.flips[moves], -sigma, sigma), None

    def __repr__(self):
        return f"FlipMoveRule(n_sites={self.flips.shape[1]}, n_groups={self.n_groups})"


class FastMetropolisSampler(nk.sampler.MetropolisSampler):
    """NetKet's Metropolis sampler with all random numbers of a chain segment drawn up front.

    Same Markov chain as ``MetropolisSampler`` with a :class:`FlipMoveRule` (same proposal
    distribution and acceptance rule), but the proposals and acceptance draws of the whole
    segment are generated in two vectorised calls instead of three key splits per proposal.
    Measured on 2 CPU cores (4x4 TFIM, 16 chains, 69 sweeps): 8.1 ms -> about 2.5 ms.
    For an FFNN or a CNN the pre-activations are kept per chain and updated per proposal
    (:func:`sparse_nqs.incremental.sample_chain`; same chain), unless ``incremental`` is False
    (:class:`GenericMetropolisSampler`).
    """

    incremental = True

    @partial(jax.jit, static_argnames=("machine", "chain_length", "return_log_probabilities"))
    def _sample_chain(self, machine, parameters, state, chain_length, return_log_probabilities=False):
        if self.incremental and incremental.one_layer_form(machine) is not None:
            (samples, log_probs), state = incremental.sample_chain(self, machine, parameters, state, chain_length)
            return ((samples, log_probs), state) if return_log_probabilities else (samples, state)
        shape = (chain_length, self.sweep_size, self.n_batches)
        rng, k_moves, k_accept = jax.random.split(state.rng, 3)
        moves = self.rule.draw_moves(k_moves, shape)
        log_uniform = jnp.log(jax.random.uniform(k_accept, shape))
        flips = self.rule.flips

        def propose(carry, draws):
            sigma, log_prob, n_accepted = carry
            move, log_u = draws
            proposal = jnp.where(flips[move], -sigma, sigma)
            proposal_log_prob = self.machine_pow * machine.apply(parameters, proposal).real
            accept = log_u < proposal_log_prob - log_prob
            return (jnp.where(accept[:, None], proposal, sigma),
                    jnp.where(accept, proposal_log_prob, log_prob),
                    n_accepted + accept), None

        def sweep(carry, draws):
            carry, _ = jax.lax.scan(propose, carry, draws)
            return carry, (carry[0], carry[1])

        (sigma, log_prob, n_accepted), (samples, log_probs) = jax.lax.scan(
            sweep, (state.σ, state.log_prob, state.n_accepted_proc), (moves, log_uniform))
        state = state.replace(σ=sigma, log_prob=log_prob, rng=rng, n_accepted_proc=n_accepted,
                              n_steps_proc=state.n_steps_proc + chain_length * self.sweep_size * self.n_batches)
        samples, log_probs = jnp.swapaxes(samples, 0, 1), jnp.swapaxes(log_probs, 0, 1)
        if return_log_probabilities:
            return (samples, log_probs), state
        return samples, state


class GenericMetropolisSampler(FastMetropolisSampler):
    """:class:`FastMetropolisSampler` that always evaluates the network afresh (for comparisons)."""

    incremental = False


def make_sampler(model, sampling: SamplingSettings, incremental_amplitudes: bool = True) -> nk.sampler.MetropolisSampler:
    """Metropolis sampler; one stored sample per sweep of N proposals (incremental FFNN/CNN amplitudes
    unless ``incremental_amplitudes`` is False)."""
    proposal = model.default_proposal() if sampling.proposal == "auto" else sampling.proposal
    if proposal == "local":
        rule = FlipMoveRule(model.N)
    else:
        if not model.move_groups:
            raise ValueError(f"sampling.proposal 'local+star' needs star moves (the toric code); the {model.name} has none")
        rule = FlipMoveRule(model.N, model.move_groups, p_group=0.5)
    kind = FastMetropolisSampler if incremental_amplitudes else GenericMetropolisSampler
    return kind(model.hilbert, rule, n_chains=sampling.n_chains, sweep_size=model.N)


def make_vstate(model, network, sampling: SamplingSettings, init_seed: int, sampler_seed: int,
                variables: dict | None = None, incremental_amplitudes: bool = True) -> nk.vqs.MCState:
    """MCState of ``network``; parameters drawn from ``init_seed`` unless ``variables`` are given."""
    require_x64()
    vstate = nk.vqs.MCState(
        make_sampler(model, sampling, incremental_amplitudes),
        network,
        n_samples=sampling.n_samples,
        n_discard_per_chain=sampling.n_discard_sweeps,
        seed=init_seed,
        sampler_seed=sampler_seed,
    )
    if variables is not None:
        vstate.variables = variables
    return vstate


def set_masks(vstate: nk.vqs.MCState, masks) -> None:
    """Replace the masks of a variational state (same shapes: no recompilation)."""
    vstate.model_state = {**vstate.model_state, MASKS: jax.tree_util.tree_map(jnp.asarray, masks)}


def chain_arrays(vstate: nk.vqs.MCState) -> dict:
    """The persistent Markov-chain state (configurations and RNG key) as plain arrays for a checkpoint."""
    state = vstate.sampler_state
    return {"chain_sigma": np.asarray(state.σ), "chain_rng": np.asarray(jax.random.key_data(state.rng))}


def restore_chains(vstate: nk.vqs.MCState, arrays: dict) -> None:
    """Continue the chains saved by :func:`chain_arrays` (exact: a resumed run repeats the same numbers)."""
    state = vstate.sampler_state
    vstate.sampler_state = state.replace(
        σ=jnp.asarray(arrays["chain_sigma"], dtype=state.σ.dtype),
        rng=jax.random.wrap_key_data(jnp.asarray(arrays["chain_rng"], dtype=jnp.uint32)),
    )
