"""Evaluation of a frozen network (docs/science.md, "Evaluation"): fresh samples, parameters never updated.

Columns of an evaluation row:
energy, energy_error, variance, variance_per_spin (sigma^2/N), v_score (N Var(E)/E^2),
eps_rel = |E_ref - E|/|E_ref|, delta_e_per_spin = |E_ref - E|/N, reference_energy, reference_source,
mx (signed <sum X_i>/N) with mx_error, mz (signed <sum Z_i>/N) with mz_error, abs_mz with abs_mz_error,
n_samples; and for systems small enough to enumerate the same quantities summed exactly over the
Hilbert space, as ``exact_*`` columns (NaN where not computed).
"""

from __future__ import annotations

import netket as nk
import numpy as np

from ..names import EXACT_EVALUATION_MAX_SPINS
from .sampling import SamplingSettings, make_vstate

_EXACT_COLUMNS = ("energy", "variance", "variance_per_spin", "eps_rel", "delta_e_per_spin", "mx", "mz", "abs_mz")


def magnetisation_x(hilbert) -> nk.operator.PauliStrings:
    """(1/N) sum_i X_i."""
    N = hilbert.size
    strings = ["I" * i + "X" + "I" * (N - i - 1) for i in range(N)]
    return nk.operator.PauliStrings(hilbert, strings, [1.0 / N] * N)


def _errors(energy, N, reference):
    if reference is None:
        return float("nan"), float("nan")
    e_ref = reference["energy"]
    return abs(e_ref - energy) / abs(e_ref), abs(e_ref - energy) / N


def _sampled(vstate, model, reference) -> dict:
    N = model.N
    stats = vstate.expect(model.hamiltonian)
    energy, variance = float(np.real(stats.mean)), float(np.real(stats.variance))
    mx = vstate.expect(magnetisation_x(model.hilbert))
    samples = np.asarray(vstate.samples, dtype=float)  # (chains, per chain, N)
    m = samples.sum(axis=-1) / N
    mz = nk.stats.statistics(m)
    abs_mz = nk.stats.statistics(np.abs(m))
    eps_rel, delta = _errors(energy, N, reference)
    return {
        "energy": energy,
        "energy_error": float(stats.error_of_mean),
        "variance": variance,
        "variance_per_spin": variance / N,
        "v_score": N * variance / energy**2 if energy else float("nan"),
        "r_hat": float(stats.R_hat),
        "eps_rel": eps_rel,
        "delta_e_per_spin": delta,
        "mx": float(np.real(mx.mean)),
        "mx_error": float(mx.error_of_mean),
        "mz": float(mz.mean),
        "mz_error": float(mz.error_of_mean),
        "abs_mz": float(abs_mz.mean),
        "abs_mz_error": float(abs_mz.error_of_mean),
    }


def exact_expectations(model, network, variables, reference=None) -> dict:
    """The evaluation quantities by full summation over all 2^N configurations."""
    N = model.N
    state = nk.vqs.FullSumState(model.hilbert, network, variables=variables)
    stats = state.expect(model.hamiltonian)
    energy, variance = float(np.real(stats.mean)), float(np.real(stats.variance))
    prob = np.asarray(state.probability_distribution())
    m = np.asarray(model.hilbert.all_states(), dtype=float).sum(axis=-1) / N
    eps_rel, delta = _errors(energy, N, reference)
    return {
        "energy": energy,
        "variance": variance,
        "variance_per_spin": variance / N,
        "eps_rel": eps_rel,
        "delta_e_per_spin": delta,
        "mx": float(np.real(state.expect(magnetisation_x(model.hilbert)).mean)),
        "mz": float(prob @ m),
        "abs_mz": float(prob @ np.abs(m)),
    }


def frozen_state(model, network, variables, n_samples: int, sampling: SamplingSettings | None, seed: int,
                 n_burn_in_sweeps: int):
    """An MCState of frozen ``variables`` on fresh chains: random start, ``n_burn_in_sweeps`` sweeps
    of burn-in, then ``n_samples`` samples (rounded up to a multiple of the number of chains)."""
    sampling = sampling or SamplingSettings()
    n_chains = sampling.n_chains
    n_samples = max(n_chains, int(np.ceil(n_samples / n_chains)) * n_chains)
    settings = SamplingSettings(n_samples=n_samples, n_chains=n_chains, n_discard_sweeps=n_burn_in_sweeps,
                                proposal=sampling.proposal)
    return make_vstate(model, network, settings, init_seed=seed, sampler_seed=seed, variables=variables)


def evaluate(model, network, variables, reference: dict | None = None, n_samples: int = 4096,
             sampling: SamplingSettings | None = None, seed: int = 0, n_burn_in_sweeps: int = 100,
             exact: bool | str = "auto") -> dict:
    """Evaluate frozen ``variables`` of ``network`` on ``model``; returns one row (a dict).

    The chains start from random configurations and are thermalised for ``n_burn_in_sweeps``
    sweeps before ``n_samples`` samples are taken; nothing updates the parameters.
    """
    vstate = frozen_state(model, network, variables, n_samples, sampling, seed, n_burn_in_sweeps)
    row = {"n_samples": vstate.n_samples, **_sampled(vstate, model, reference)}
    row["reference_energy"] = reference["energy"] if reference else float("nan")
    row["reference_source"] = _reference_source(reference)
    if exact == "auto":
        exact = model.N <= EXACT_EVALUATION_MAX_SPINS
    exact_row = exact_expectations(model, network, variables, reference) if exact else {}
    for name in _EXACT_COLUMNS:
        row[f"exact_{name}"] = exact_row.get(name, float("nan"))
    return row


def with_reference(row: dict, reference: dict | None, n_spins: int) -> dict:
    """``row`` with its reference-dependent columns (eps_rel, delta_e_per_spin, their exact_
    versions, reference_energy, reference_source) recomputed from its energies against ``reference``.

    Stored rows are passed through this whenever they are written out again, so a changed reference
    (ED -> DMRG, a corrected record) reaches every row: the energies never depend on the reference.
    """
    out = dict(row)
    for prefix in ("", "exact_"):
        if f"{prefix}energy" in out:
            energy = out[f"{prefix}energy"]
            energy = float("nan") if energy is None else float(energy)  # JSON stores NaN as null
            out[f"{prefix}eps_rel"], out[f"{prefix}delta_e_per_spin"] = _errors(energy, n_spins, reference)
    out["reference_energy"] = reference["energy"] if reference else float("nan")
    out["reference_source"] = _reference_source(reference)
    return out


def _reference_source(reference) -> str:
    if not reference:
        return ""
    return reference.get("source") or f"{reference.get('method')}:{reference.get('backend')}"
