"""Reading the sparse states (SPEC.md sections 6-7): fidelity, reference choice, scaling regions.

* :func:`fidelity` - the paper's Monte Carlo estimator between two states with its statistical error,
  and :func:`exact_fidelity` by full enumeration.
* :func:`choose_reference` / :func:`apply_reference` - which energy eps_rel and Delta E are measured
  against (ED, a DMRG record, or the best dense NQS runs), recorded next to every error column.
* :func:`fidelity_minimum` (rho_c) and :func:`scaling_regions` (the kinks between the high-error
  plateau, the approximate power law and the low-error plateau of error versus n).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import netket as nk
import numpy as np
import pandas as pd

from .evaluation import frozen_state
from .vmc import SamplingSettings

#: states with at most this many spins also get the exact fidelity (2^16 amplitudes per state)
EXACT_FIDELITY_MAX_SPINS = 16


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
    """F = E_{y~|phi|^2}[psi(y)/phi(y)] E_{x~|psi|^2}[phi(x)/psi(x)] (SPEC.md section 6).

    ``psi`` and ``phi`` are Flax variables of the same ``network`` (real, positive amplitudes), each
    sampled with ``n_samples`` fresh samples. The two means are independent, so the error is
    propagated as sqrt((B dA)^2 + (A dB)^2). F(psi, psi) = 1 exactly (every ratio is 1).
    """
    sampling = sampling or SamplingSettings()
    a, da = _ratio_mean(model, network, phi, psi, n_samples, sampling, seed, n_burn_in_sweeps)
    b, db = _ratio_mean(model, network, psi, phi, n_samples, sampling, seed + 1, n_burn_in_sweeps)
    return Fidelity(a * b, float(np.hypot(b * da, a * db)))


def exact_fidelity(model, network, psi: dict, phi: dict) -> float:
    """|<psi|phi>|^2 / (<psi|psi><phi|phi>) by summing over all 2^N configurations."""
    states = np.asarray(model.hilbert.all_states())
    log_psi = np.asarray(network.apply(psi, states))
    log_phi = np.asarray(network.apply(phi, states))
    # normalise in log space: amplitudes of a pruned net can span many orders of magnitude
    log_psi = log_psi - log_psi.max()
    log_phi = log_phi - log_phi.max()
    overlap = np.sum(np.exp(log_psi + log_phi))
    return float(overlap**2 / (np.sum(np.exp(2 * log_psi)) * np.sum(np.exp(2 * log_phi))))


FIDELITY_COLUMNS = ["iteration_from", "iteration_to", "n", "rho", "fidelity", "fidelity_error", "fidelity_exact"]


def fidelity_path(model, network, states: list[tuple[int, int, dict]], n_samples: int = 2048,
                  sampling: SamplingSettings | None = None, seed: int = 0, exact: bool | str = "auto") -> pd.DataFrame:
    """Fidelity between neighbours along a pruning path.

    ``states`` is [(iteration, n, variables), ...] from the dense network (iteration -1) onwards;
    one row per pair (i, i+1), plotted at rho = n / N of the denser state. ``fidelity_exact`` is
    empty (NaN) when N exceeds ``EXACT_FIDELITY_MAX_SPINS`` or ``exact`` is False.
    """
    if exact == "auto":
        exact = model.N <= EXACT_FIDELITY_MAX_SPINS
    rows = []
    for k, ((i, n, psi), (j, _, phi)) in enumerate(itertools.pairwise(states)):
        estimate = fidelity(model, network, psi, phi, n_samples, sampling, seed=seed + 2 * k)
        rows.append({"iteration_from": i, "iteration_to": j, "n": n, "rho": n / model.N,
                     "fidelity": estimate.value, "fidelity_error": estimate.error,
                     "fidelity_exact": exact_fidelity(model, network, psi, phi) if exact else float("nan")})
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


def _error_column(table: pd.DataFrame) -> np.ndarray:
    if "fidelity_error" not in table:
        return np.zeros(len(table))
    return pd.to_numeric(table["fidelity_error"], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def is_fidelity_dip(infidelity: float, typical: float, sigma: float) -> bool:
    """1 - F = ``infidelity`` stands out of a path whose median 1 - F is ``typical`` (DIP_CONTRAST)
    and of the Monte Carlo error ``sigma`` of F (DIP_SIGMAS)."""
    return bool(infidelity > 0 and infidelity >= DIP_CONTRAST * typical and infidelity >= DIP_SIGMAS * sigma)


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


# --------------------------------------------------------------------------------------------
# reference energy
# --------------------------------------------------------------------------------------------
REFERENCE_KINDS = ("record", "nqs")


def choose_reference(kind: str, record: dict | None = None, dense_rows: pd.DataFrame | None = None,
                     n_best: int = 3, combine: str = "mean") -> dict:
    """The reference energy of one experiment and a label saying where it comes from.

    ``record``: a reference record (ED or DMRG, from ``sparse-nqs reference``).
    ``nqs``: the ``n_best`` dense NQS runs of lowest variance among ``dense_rows`` (columns run,
    energy, variance); their energies are combined by ``mean`` (default: averages out the Monte
    Carlo noise of each) or ``min`` (the lowest variational energy).
    """
    if kind == "record":
        if not record:
            raise ValueError("reference kind 'record' needs a reference record")
        source = f"{record.get('method')}:{record.get('backend')}"
        return {"energy": float(record["energy"]), "source": source}
    if kind == "nqs":
        if dense_rows is None or len(dense_rows) == 0:
            raise ValueError("reference kind 'nqs' needs dense NQS runs")
        best = dense_rows.nsmallest(n_best, "variance")
        if combine not in ("mean", "min"):
            raise ValueError(f"combine must be 'mean' or 'min', got {combine!r}")
        energy = float(best.energy.mean() if combine == "mean" else best.energy.min())
        runs = ",".join(str(r) for r in best.get("run", best.index))
        return {"energy": energy, "source": f"nqs:{combine} of {len(best)} lowest-variance dense runs ({runs})"}
    raise ValueError(f"unknown reference kind {kind!r}; known: {', '.join(REFERENCE_KINDS)}")


def apply_reference(table: pd.DataFrame, reference: dict, n_spins: int) -> pd.DataFrame:
    """Recompute eps_rel and Delta E per spin (sampled and exact_ columns) against ``reference``."""
    out = table.copy()
    e_ref = reference["energy"]
    for prefix in ("", "exact_"):
        if f"{prefix}energy" in out:
            gap = (out[f"{prefix}energy"].astype(float) - e_ref).abs()
            out[f"{prefix}eps_rel"] = gap / abs(e_ref)
            out[f"{prefix}delta_e_per_spin"] = gap / n_spins
    if "energy_error" in out:
        out["eps_rel_error"] = out["energy_error"] / abs(e_ref)
    out["reference_energy"] = e_ref
    out["reference_source"] = reference["source"]
    return out


# --------------------------------------------------------------------------------------------
# scaling regions of error versus n
# --------------------------------------------------------------------------------------------
def _hinge_fit(x, y, knots):
    """Least-squares continuous piecewise-linear fit with the given knots; returns (coefficients, sse)."""
    columns = [np.ones_like(x), x] + [np.maximum(x - k, 0.0) for k in knots]
    design = np.stack(columns, axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return coef, float(np.sum((design @ coef - y) ** 2))


def scaling_regions(n, error, n_regions: int = 3, min_points: int = 2) -> dict:
    """Kinks of log(error) versus log(n): high-error plateau (HEP) | approximate power law (APL) | LEP.

    A continuous piecewise-linear function of log n with ``n_regions`` pieces is fitted to log error
    by least squares, trying every pair (or single) of data points as kinks with at least
    ``min_points`` points per piece. Returns the kinks as n values (``n_hep_apl``: below it the
    error no longer falls with n; ``n_apl_lep`` for three regions), the slope of each piece
    (d log error / d log n, from small to large n) and the fit's residual.
    """
    order = np.argsort(np.asarray(n, dtype=float))
    x = np.log(np.asarray(n, dtype=float)[order])
    y = np.log(np.asarray(error, dtype=float)[order])
    if n_regions not in (2, 3):
        raise ValueError("n_regions must be 2 or 3")
    if len(x) < n_regions * min_points:
        raise ValueError(f"need at least {n_regions * min_points} points for {n_regions} regions")
    best = None
    candidates = range(min_points - 1, len(x) - min_points)
    for knots in itertools.combinations(candidates, n_regions - 1):
        if n_regions == 3 and knots[1] - knots[0] < min_points - 1 + 1:
            continue
        coef, sse = _hinge_fit(x, y, [x[k] for k in knots])
        if best is None or sse < best[1]:
            best = (knots, sse, coef)
    knots, sse, coef = best
    slopes = np.cumsum(coef[1:]).tolist()
    result = {"n_hep_apl": float(np.exp(x[knots[0]])), "slopes": slopes, "residual": sse}
    if n_regions == 3:
        result["n_apl_lep"] = float(np.exp(x[knots[1]]))
    return result
