"""What is measured of an RBM (docs/rbm.md, "Metrics"): statistics of samples (the data's, or the
RBM's own block-Gibbs samples), their errors against the references, and the exact comparisons.

Sample statistics (<m>, <|m|>, the m histogram, C(d)): :mod:`.statistics`, shared with the data.

Errors (:func:`roe`): the relative observable error of the source,
ROE = max over +- of |(O_ref - (<O> +- c w / sqrt(n))) / O_ref| with c = 2.576 (99%), w the sample
standard deviation and n the number of samples: eROE for the energy (reference: the exact / DMRG
energy), mROE for <|m|> (reference: the training data). C_MSE = mean_d (C_RBM(d) - C_data(d))^2: the
source's Eq. 8 prints no difference and no square, which cannot be what it computed.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ..vmc.training import local_energies
from .metrics import fidelity, kl_divergence
from .model import PositiveRBM, log_probabilities
from .statistics import magnetisation, sample_statistics
from .training import gibbs_steps

#: c of the ROE: the two-sided 99% point of the normal distribution
ROE_C = 2.576


def roe(reference: float, mean: float, std: float, n: int, c: float = ROE_C) -> float:
    """max over +- of |(reference - (mean +- c std / sqrt(n))) / reference|."""
    half = c * std / np.sqrt(n)
    return float(max(abs(reference - (mean + half)), abs(reference - (mean - half))) / abs(reference))


def draw_samples(variables: dict, N: int, n_samples: int, n_chains: int, burn_in: int, thin: int,
                 seed: int) -> np.ndarray:
    """``n_samples`` visible configurations (rounded up to a multiple of ``n_chains``) from block Gibbs
    chains started at uniformly random configurations: ``burn_in`` steps, then a sample every ``thin``."""
    draws = _gibbs_chains(variables, jax.random.key(seed), N, n_chains, -(-n_samples // n_chains), burn_in, thin)
    return np.asarray(draws, dtype=np.uint8).reshape(-1, N)


@partial(jax.jit, static_argnames=("N", "n_chains", "per_chain", "burn_in", "thin"))
def _gibbs_chains(variables, key, N, n_chains, per_chain, burn_in, thin):
    key_start, key_chain = jax.random.split(key)
    dtype = variables["params"]["visible_bias"].dtype
    v = jax.random.bernoulli(key_start, 0.5, (n_chains, N)).astype(dtype)
    v = gibbs_steps(variables, v, jax.random.fold_in(key_chain, 0), burn_in) if burn_in else v

    def one(v, key):
        v = gibbs_steps(variables, v, key, thin)
        return v, v

    _, draws = jax.lax.scan(one, v, jax.random.split(jax.random.fold_in(key_chain, 1), per_chain))
    return draws


@partial(jax.jit, static_argnames=("n_hidden",))
def _local_energies(operator, variables, x, n_hidden):
    return local_energies(operator, PositiveRBM(n_hidden).apply, variables, x)


def sampled_metrics(variables: dict, model, samples, energy_reference: float | None, data_stats: dict,
                    chunk: int = 10_000) -> dict:
    """The RBM's sample statistics, its energy by the local estimator (the X_i term is
    psi(v with spin i flipped) / psi(v)), eROE, mROE and C_MSE."""
    stats = sample_statistics(samples)
    spins = 2.0 * np.asarray(samples, dtype=np.float64) - 1.0
    n_hidden = variables["params"]["hidden_bias"].shape[0]
    operator = model.hamiltonian.to_jax_operator()
    e_loc = np.concatenate([np.asarray(_local_energies(operator, variables, jnp.asarray(spins[k:k + chunk]), n_hidden))
                            for k in range(0, len(spins), chunk)]).real
    n = len(e_loc)
    energy, energy_std = float(e_loc.mean()), float(e_loc.std())
    c_rbm, c_data = np.array(stats["correlations"]), np.array(data_stats["correlations"])
    row = {"energy": energy, "energy_error": energy_std / np.sqrt(n), "variance": energy_std**2,
           "eroe": roe(energy_reference, energy, energy_std, n) if energy_reference is not None else float("nan"),
           "mz": stats["m"], "abs_mz": stats["abs_m"], "abs_mz_error": stats["abs_m_std"] / np.sqrt(n),
           "mroe": roe(data_stats["abs_m"], stats["abs_m"], stats["abs_m_std"], n),
           "c_mse": float(np.mean((c_rbm - c_data) ** 2)), "n_samples": n}
    row.update({f"hist_{k}": value for k, value in enumerate(stats["histogram"])})
    row.update({f"c_{d}": value for d, value in enumerate(stats["correlations"])})
    return row


def exact_metrics(variables: dict, N: int, target: np.ndarray, data_distribution: np.ndarray) -> dict:
    """KL(|Psi|^2 || p), KL(data || p) and 1 - F by enumeration (N <= 20)."""
    log_p = log_probabilities(variables, N)
    return {"kl_exact": kl_divergence(target, log_p), "kl_data": kl_divergence(data_distribution, log_p),
            "infidelity": 1.0 - fidelity(target, log_p)}


def empirical_distribution(samples, hilbert) -> np.ndarray:
    """The data's distribution over the enumeration of ``hilbert`` (the order of ``all_visible``)."""
    samples = np.asarray(samples)
    index = np.asarray(hilbert.states_to_numbers(2.0 * samples - 1.0))
    return np.bincount(index, minlength=hilbert.n_states) / len(samples)
