"""Sampling and VMC training with stochastic reconfiguration (SPEC.md section 4), on NetKet.

* Samplers: Metropolis on |psi|^2 with single-spin flips (TFIM); for the toric code a mixture of
  single flips and star flips with probability 1/2 each (a star flip is A_v in the Z basis and keeps
  every plaquette), or single flips only.
* Training: NetKet's ``VMC_SR`` driver with a plain SGD step, constant learning rate eta and
  diagonal shift lambda; one row per step (energy, error, variance, R-hat, acceptance).
  A non-finite or exploding energy stops the run with :class:`TrainingDivergedError`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import netket as nk
import numpy as np
import optax
import pandas as pd

from .networks import MASKS

PROPOSALS = ("auto", "local", "local+star")

jax.config.update("jax_enable_x64", True)


class TrainingDivergedError(RuntimeError):
    pass


class StarFlipRule(nk.sampler.rules.MetropolisRule):
    """Flip all spins of one uniformly chosen group (toric-code stars) in every chain.

    The proposal is symmetric (a group flip is its own inverse), so Metropolis needs no
    correction factor.
    """

    groups: jax.Array

    def __init__(self, groups):
        self.groups = jnp.asarray(np.asarray(groups, dtype=np.int32))

    def transition(rule, sampler, machine, parameters, state, key, sigma):
        n_chains = sigma.shape[0]
        chosen = jax.random.randint(key, (n_chains,), 0, rule.groups.shape[0])
        sites = rule.groups[chosen]  # (n_chains, group size)
        rows = jnp.arange(n_chains)[:, None]
        flip = jnp.zeros(sigma.shape, dtype=bool).at[rows, sites].set(True)
        return jnp.where(flip, -sigma, sigma), None

    def __repr__(self):
        return f"StarFlipRule(n_groups={self.groups.shape[0]})"


@dataclass(frozen=True)
class SamplingSettings:
    """Monte Carlo settings of one training step (paper: 1024 samples, 16 chains, 5 sweeps)."""

    n_samples: int = 1024
    n_chains: int = 16
    n_discard_sweeps: int = 5
    proposal: str = "auto"

    def __post_init__(self):
        if self.proposal not in PROPOSALS:
            raise ValueError(f"sampling.proposal must be one of {', '.join(PROPOSALS)}, got {self.proposal!r}")
        if self.n_samples < self.n_chains or self.n_samples % self.n_chains:
            raise ValueError("sampling.n_samples must be a positive multiple of sampling.n_chains")


def make_sampler(model, sampling: SamplingSettings) -> nk.sampler.MetropolisSampler:
    """Metropolis sampler; one stored sample per sweep of N proposals."""
    proposal = sampling.proposal
    if proposal == "auto":
        proposal = "local+star" if model.name == "toric" else "local"
    if proposal == "local":
        rule = nk.sampler.rules.LocalRule()
    else:
        if model.name != "toric":
            raise ValueError("sampling.proposal 'local+star' needs the toric code")
        rule = nk.sampler.rules.MultipleRules(
            [nk.sampler.rules.LocalRule(), StarFlipRule(model.stars)], [0.5, 0.5]
        )
    return nk.sampler.MetropolisSampler(
        model.hilbert, rule, n_chains=sampling.n_chains, sweep_size=model.N
    )


def make_vstate(model, network, sampling: SamplingSettings, init_seed: int, sampler_seed: int,
                variables: dict | None = None) -> nk.vqs.MCState:
    """MCState of ``network``; parameters drawn from ``init_seed`` unless ``variables`` are given."""
    vstate = nk.vqs.MCState(
        make_sampler(model, sampling),
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


def energy_bound(model) -> float:
    """sum |coefficients| of H >= ||H||; an energy estimate far beyond it means divergence."""
    if model.name == "tfim":
        return float(len(model.bonds) + abs(model.kappa) * model.N)
    return float(len(model.stars) + len(model.plaquettes))


LOG_COLUMNS = ["step", "energy", "energy_error", "variance", "r_hat", "acceptance", "wall_seconds"]


def train(vstate: nk.vqs.MCState, model, n_steps: int, learning_rate: float, diag_shift: float,
          first_step: int = 0) -> pd.DataFrame:
    """Run ``n_steps`` of VMC with SR; returns the per-step log (columns ``LOG_COLUMNS``).

    The energy in row ``step`` is the estimate from the samples drawn before the update of
    that step (NetKet's convention).
    """
    driver = nk.driver.VMC_SR(
        model.hamiltonian, optax.sgd(learning_rate), diag_shift=diag_shift, variational_state=vstate
    )
    bound = 2.0 * energy_bound(model)
    rows = []
    start = time.perf_counter()

    def record(step, log_data, driver):
        stats = log_data["Energy"]
        energy, variance = float(np.real(stats.mean)), float(np.real(stats.variance))
        acceptance = driver.state.sampler_state.acceptance
        rows.append({
            "step": first_step + step,
            "energy": energy,
            "energy_error": float(stats.error_of_mean),
            "variance": variance,
            "r_hat": float(stats.R_hat),
            "acceptance": float(acceptance) if acceptance is not None else float("nan"),
            "wall_seconds": time.perf_counter() - start,
        })
        if not (np.isfinite(energy) and np.isfinite(variance)):
            raise TrainingDivergedError(
                f"training diverged at step {first_step + step}: energy {energy}, variance {variance}; "
                "lower the learning rate or raise the diagonal shift"
            )
        if abs(energy) > bound:
            raise TrainingDivergedError(
                f"training exploded at step {first_step + step}: |E| = {abs(energy):.4g} exceeds twice the "
                f"operator-norm bound {bound / 2:.4g}; lower the learning rate or raise the diagonal shift"
            )
        return True

    driver.run(n_steps, out=(), show_progress=False, callback=record)
    return pd.DataFrame(rows, columns=LOG_COLUMNS)
