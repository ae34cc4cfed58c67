"""Evaluation of a frozen network (docs/science.md, "Evaluation"): fresh samples, parameters never updated.

Columns of an evaluation row:
energy, energy_error, variance, variance_per_spin (sigma^2/N), v_score (N Var(E)/E^2), r_hat,
eps_rel = |E_ref - E|/|E_ref|, delta_e_per_spin = |E_ref - E|/N, reference_energy, reference_source,
mx (signed <sum X_i>/N) with mx_error, mz (signed <sum Z_i>/N) with mz_error, abs_mz with abs_mz_error,
n_samples: the Monte Carlo estimates. Where the 2^N amplitudes fit ``exact_memory_mb``, the same
quantities summed exactly over the Hilbert space (:mod:`sparse_nqs.vmc.full_sum`) as ``exact_*``
columns (NaN where not computed), and ``mc_energy_z``, the Monte Carlo energy's distance from the exact
one in its own standard errors.

``mc_warning`` says why a Monte Carlo estimate of the row cannot be taken at its error bar (empty when
nothing was found), from what the samples show (:func:`mc_diagnostics`): the error bar is the standard
error of the sampled local energies, which is only meaningful when the samples cover the
configurations that carry the error.
"""

from __future__ import annotations

import netket as nk
import numpy as np

from . import full_sum
from .sampling import SamplingSettings, make_vstate

_EXACT_COLUMNS = ("energy", "variance", "variance_per_spin", "v_score", "eps_rel", "delta_e_per_spin", "mx", "mz",
                  "abs_mz")

#: a near-exact state's error sits on rare configurations (the toric code's violated plaquettes): with
#: fewer of them among the samples, their weight, and with it the energy error, is not resolved
MC_MIN_DEFECT_SAMPLES = 10
#: the sample variance of the local energy counts as resting on a few samples when its participation
#: number (sum d^2)^2 / sum d^4 of the deviations d = E_loc - E is below this
MC_MIN_VARIANCE_SUPPORT = 10
#: Gelman-Rubin R_hat above this: the chains have not mixed
MC_MAX_R_HAT = 1.1
#: a Monte Carlo energy this many of its standard errors from the exact one is flagged as biased
MC_MAX_Z = 5.0


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


def mc_diagnostics(model, samples: np.ndarray, local_energies: np.ndarray, r_hat: float) -> tuple[dict, list[str]]:
    """What the samples ((chains, per chain, N)) and their local energies say about the trust in the
    Monte Carlo estimates: the columns mc_defect_samples (samples with a violated constraint, NaN for
    a model without), mc_sectors (sectors seen), mc_sector_changing_chains, mc_variance_support, and
    the reasons to distrust the error bars."""
    n = samples.shape[0] * samples.shape[1]
    warnings = []
    columns = {"mc_defect_samples": float("nan"), "mc_sectors": float("nan"),
               "mc_sector_changing_chains": float("nan")}
    defects = model.defects(samples)
    if defects is not None:
        k = int(np.count_nonzero(defects))
        columns["mc_defect_samples"] = k
        if k < MC_MIN_DEFECT_SAMPLES:
            unseen = 3 * model.defect_energy / (n * abs(np.mean(local_energies)))  # a weight of 3/n: rule of three
            warnings.append(f"rare configurations: {k} of {n} samples violate a constraint, so an energy error "
                            f"carried by them is not resolved (each costs {model.defect_energy:g}; an unseen weight "
                            f"of 3/n would be a relative error of {unseen:.1e})")
    sectors = model.sectors(samples)
    if sectors is not None:
        columns["mc_sectors"] = len(np.unique(sectors))
        changing = int(np.sum(np.ptp(sectors, axis=1) > 0))
        columns["mc_sector_changing_chains"] = changing
        if changing == 0:
            fractions = np.bincount(sectors.ravel(), minlength=4) / sectors.size
            warnings.append("the chains never changed topological sector (sample fractions "
                            + "/".join(f"{f:.2f}" for f in fractions) + "): sector weights are those of the starts")
    d2 = (np.real(local_energies) - np.mean(np.real(local_energies))) ** 2
    support = float(d2.sum() ** 2 / np.sum(d2**2)) if np.sum(d2**2) > 0 else float("nan")
    columns["mc_variance_support"] = support
    if np.isfinite(support) and support < MC_MIN_VARIANCE_SUPPORT:
        warnings.append(f"the variance of the local energy rests on about {support:.0f} samples")
    if np.isfinite(r_hat) and r_hat > MC_MAX_R_HAT:
        warnings.append(f"R_hat {r_hat:.2f}: the chains have not mixed")
    return columns, warnings


def _sampled(vstate, model, reference) -> tuple[dict, list[str]]:
    N = model.N
    local_values = vstate.local_estimators(model.hamiltonian)  # what expect() averages
    stats = local_values.to_stats()
    local_energies = np.asarray(local_values.data)  # (chains, per chain)
    energy, variance = float(np.real(stats.mean)), float(np.real(stats.variance))
    mx = vstate.expect(magnetisation_x(model.hilbert))
    samples = np.asarray(vstate.samples, dtype=float)  # (chains, per chain, N)
    m = samples.sum(axis=-1) / N
    mz = nk.stats.statistics(m)
    abs_mz = nk.stats.statistics(np.abs(m))
    eps_rel, delta = _errors(energy, N, reference)
    diagnostics, warnings = mc_diagnostics(model, samples, local_energies, float(stats.R_hat))
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
        **diagnostics,
    }, warnings


def exact_expectations(model, network, variables, reference=None) -> dict:
    """The evaluation quantities by full summation over all 2^N configurations (:mod:`full_sum`)."""
    N = model.N
    values = full_sum.expectations(model, full_sum.StateVector.of(network, variables, N))
    energy, variance = values["energy"], values["variance"]
    eps_rel, delta = _errors(energy, N, reference)
    v_score = N * variance / energy**2 if energy else float("nan")
    return {**values, "variance_per_spin": variance / N, "v_score": v_score, "eps_rel": eps_rel,
            "delta_e_per_spin": delta}


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
             exact: bool | str = "auto", exact_memory_mb: float | None = None) -> dict:
    """Evaluate frozen ``variables`` of ``network`` on ``model``; returns one row (a dict).

    The chains start from random configurations and are thermalised for ``n_burn_in_sweeps``
    sweeps before ``n_samples`` samples are taken; nothing updates the parameters. ``exact``
    "auto": the exact columns where the system fits ``exact_memory_mb`` (:func:`full_sum.fits`; None:
    the default of ``evaluation.exact_memory_mb``).
    """
    vstate = frozen_state(model, network, variables, n_samples, sampling, seed, n_burn_in_sweeps)
    sampled, warnings = _sampled(vstate, model, reference)
    row = {"n_samples": vstate.n_samples, **sampled}
    row["reference_energy"] = reference["energy"] if reference else float("nan")
    row["reference_source"] = _reference_source(reference)
    if exact == "auto":
        exact = full_sum.fits(model.N, exact_memory_mb)
    exact_row = exact_expectations(model, network, variables, reference) if exact else {}
    for name in _EXACT_COLUMNS:
        row[f"exact_{name}"] = exact_row.get(name, float("nan"))
    row["mc_energy_z"] = float("nan")
    if exact_row:
        row["mc_energy_z"] = _z_score(row["energy"], row["energy_error"], exact_row["energy"])
    if exact_row and abs(row["mc_energy_z"]) > MC_MAX_Z:
        warnings.append(f"the Monte Carlo energy is {row['mc_energy_z']:.3g} standard errors from the exact one")
    row["mc_warning"] = "; ".join(warnings)
    return row


def _z_score(estimate: float, error: float, exact: float) -> float:
    """(estimate - exact) / error; a zero error bar gives 0 when the estimate is exact to rounding
    (an eigenstate samples one local energy), else infinity."""
    difference = estimate - exact
    if error > 0:
        return difference / error
    return 0.0 if abs(difference) <= 1e-10 * max(1.0, abs(exact)) else float("inf")


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
