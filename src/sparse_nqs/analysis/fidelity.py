"""Fidelity between neighbouring pruned states and where it drops (docs/science.md, "Analysis").

* :func:`fidelity` - the paper's Monte Carlo estimator between two states with its statistical error,
  and :func:`exact_fidelity` by full enumeration.
* :func:`fidelity_path` - the fidelity of each pruned state to the next along one pruning run.
* :func:`fidelity_minimum`, :func:`fidelity_dip`, :func:`fidelity_drop_onset` - where it drops (rho_c).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import netket as nk
import numpy as np
import pandas as pd

from ..vmc import full_sum
from ..vmc.evaluation import frozen_state
from ..vmc.sampling import SamplingSettings


# --------------------------------------------------------------------------------------------
# fidelity
# --------------------------------------------------------------------------------------------
@dataclass
class Fidelity:
    value: float
    error: float


def _ratio_mean(model, network, sampled_variables, other_variables, n_samples, sampling, seed, n_burn_in):
    """<psi_other / psi_sampled> over samples of |psi_sampled|^2, with its chain-aware error."""
    vstate = frozen_state(model, network, sampled_variables, n_samples, sampling, seed, n_burn_in)
    samples = vstate.samples  # (chains, per chain, N)
    flat = samples.reshape(-1, model.N)
    log_ratio = network.apply(other_variables, flat) - network.apply(sampled_variables, flat)
    ratios = np.exp(np.asarray(log_ratio)).reshape(samples.shape[:2])
    if np.ptp(ratios) == 0:  # identical states: every ratio equal, no fluctuation (NetKet returns NaN)
        return float(ratios.flat[0]), 0.0
    stats = nk.stats.statistics(ratios)
    return float(stats.mean.real), float(stats.error_of_mean)


def fidelity(model, network, psi: dict, phi: dict, n_samples: int = 2048,
             sampling: SamplingSettings | None = None, seed: int = 0, n_burn_in_sweeps: int = 100) -> Fidelity:
    """F = E_{y~|phi|^2}[psi(y)/phi(y)] E_{x~|psi|^2}[phi(x)/psi(x)] (docs/science.md, "Evaluation").

    ``psi`` and ``phi`` are Flax variables of the same ``network`` (real, positive amplitudes), each
    sampled with ``n_samples`` fresh samples. The two means are independent, so the error is
    propagated as sqrt((B dA)^2 + (A dB)^2). F(psi, psi) = 1 exactly (every ratio is 1).
    """
    sampling = sampling or SamplingSettings()
    a, da = _ratio_mean(model, network, phi, psi, n_samples, sampling, seed, n_burn_in_sweeps)
    b, db = _ratio_mean(model, network, psi, phi, n_samples, sampling, seed + 1, n_burn_in_sweeps)
    return Fidelity(a * b, float(np.hypot(b * da, a * db)))


def exact_fidelity(model, network, psi: dict, phi: dict) -> float:
    """|<psi|phi>|^2 / (<psi|psi><phi|phi>) by summing over all 2^N configurations (:mod:`full_sum`)."""
    return full_sum.StateVector.of(network, psi, model.N).overlap(full_sum.StateVector.of(network, phi, model.N))


FIDELITY_COLUMNS = ["iteration_from", "iteration_to", "n", "rho", "fidelity", "fidelity_error", "fidelity_exact"]


def fidelity_path(model, network, states: list[tuple[int, int, dict]], n_samples: int = 2048,
                  sampling: SamplingSettings | None = None, seed: int = 0, exact: bool | str = "auto",
                  exact_memory_mb: float | None = None, cache=None) -> pd.DataFrame:
    """Fidelity between neighbours along a pruning path.

    ``states`` is [(iteration, n, variables), ...] from the dense network (iteration -1) onwards;
    one row per pair (i, i+1), plotted at rho = n / N of the denser state. ``fidelity_exact`` is
    computed by full summation where the system fits ``exact_memory_mb`` (``exact`` "auto"; None: the
    default of ``evaluation.exact_memory_mb``) and is
    empty (NaN) otherwise; each state's amplitudes are computed once. ``cache``: an object with
    ``get(k)`` (the stored row of pair k, or None) and ``put(k, row)``, so that an interrupted or
    repeated analysis recomputes only the pairs it lacks.
    """
    if exact == "auto":
        exact = full_sum.fits(model.N, exact_memory_mb)
    rows, previous = [], None
    for k, ((i, n, psi), (j, _, phi)) in enumerate(itertools.pairwise(states)):
        stored = cache.get(k) if cache is not None else None
        if stored is not None:
            rows.append(stored)
            previous = None
            continue
        estimate = fidelity(model, network, psi, phi, n_samples, sampling, seed=seed + 2 * k)
        exact_value = float("nan")
        if exact:
            previous = previous or full_sum.StateVector.of(network, psi, model.N)
            current = full_sum.StateVector.of(network, phi, model.N)
            exact_value, previous = previous.overlap(current), current
        rows.append({"iteration_from": i, "iteration_to": j, "n": n, "rho": n / model.N,
                     "fidelity": estimate.value, "fidelity_error": estimate.error, "fidelity_exact": exact_value})
        if cache is not None:
            cache.put(k, rows[-1])
    return pd.DataFrame(rows, columns=FIDELITY_COLUMNS)


def fidelity_minimum(table: pd.DataFrame, column: str = "fidelity") -> dict:
    """rho_c: the rho (of the denser state) where the neighbour fidelity is lowest."""
    row = table.loc[table[column].idxmin()]
    return {"rho_c": float(row["rho"]), "n_c": int(row["n"]), "fidelity_min": float(row[column]),
            "iteration_from": int(row["iteration_from"])}


#: a fidelity minimum counts as a dip (a change of state) when its infidelity 1 - F is at least this
#: many times the median infidelity of the path (the typical cost of one pruning round) ...
DIP_CONTRAST = 5.0
#: ... and at least this many standard errors of F away from 1 (not Monte Carlo noise). No absolute
#: threshold on F: the overlap of two product-like states falls like f^N, so the same change of state
#: gives a shallower dip on a smaller lattice (default scale: F_min = 0.96, 0.93, 0.89 for N = 9, 16,
#: 25, i.e. the same F^(1/N) = 0.995).
DIP_SIGMAS = 3.0
#: ... and at least this large in itself. An exact fidelity has no error bar, and between near-exact
#: states 1 - F wanders over decades (toric code, alpha 8, exact: 8e-7 .. 3e-4 on the plateau, where
#: the paper's 2048-sample estimator reads 1 +- 1e-5 .. 5e-4); a change of state shows as F < 0.999.
DIP_MIN_INFIDELITY = 1e-3


def _error_column(table: pd.DataFrame) -> np.ndarray:
    if "fidelity_error" not in table:
        return np.zeros(len(table))
    return pd.to_numeric(table["fidelity_error"], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def is_fidelity_dip(infidelity: float, typical: float, sigma: float) -> bool:
    """1 - F = ``infidelity`` stands out of a path whose median 1 - F is ``typical`` (DIP_CONTRAST),
    of the Monte Carlo error ``sigma`` of F (DIP_SIGMAS) and is at least DIP_MIN_INFIDELITY."""
    return bool(infidelity >= DIP_MIN_INFIDELITY and infidelity >= DIP_CONTRAST * typical
                and infidelity >= DIP_SIGMAS * sigma)


def fidelity_dip(table: pd.DataFrame) -> dict:
    """The fidelity minimum of a path (:func:`fidelity_minimum`) with ``dip`` (whether it is one, by
    :func:`is_fidelity_dip`), ``typical`` (the median 1 - F of the path) and ``sigma`` (the error of F_min)."""
    fidelity = pd.to_numeric(table["fidelity"], errors="coerce")
    minimum = fidelity_minimum(table)
    typical = float(np.nanmedian(np.clip(1.0 - fidelity.to_numpy(dtype=float), 0.0, None)))
    sigma = float(_error_column(table)[int(np.nanargmin(fidelity.to_numpy(dtype=float)))])  # row of F_min
    depth = 1.0 - minimum["fidelity_min"]
    return {**minimum, "dip": is_fidelity_dip(depth, typical, sigma), "typical": typical, "sigma": sigma}


def fidelity_drop_onset(table: pd.DataFrame, min_base: int = 3) -> dict | None:
    """The first (densest) neighbour fidelity that falls out of the path so far: :func:`is_fidelity_dip`
    against the median 1 - F of the denser pairs (``min_base`` of them at least). After a drop the
    fidelities scatter far below 1, so the onset, not the global minimum, is where the state starts
    to change (toric code, Fig. 4(b)). None when nothing falls out."""
    table = table.sort_values("rho", ascending=False).reset_index(drop=True)
    F = pd.to_numeric(table["fidelity"], errors="coerce").to_numpy(dtype=float)
    sigma = _error_column(table)
    for i in range(min_base, len(F)):
        typical = float(np.nanmedian(np.clip(1.0 - F[:i], 0.0, None)))
        if is_fidelity_dip(1.0 - F[i], typical, sigma[i]):
            return {"rho_c": float(table["rho"].iloc[i]), "fidelity": float(F[i]), "typical": typical,
                    "sigma": float(sigma[i])}
    return None
