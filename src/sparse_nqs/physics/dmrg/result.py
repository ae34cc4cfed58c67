"""The backend-independent outcome of a DMRG run."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..observables import SpinObservables
from .schedule import DMRGSchedule

#: the extrapolation in the truncation error uses this many of the last truncated sweeps: with one
#: sweep per bond dimension (the paper's schedule) the earlier sweeps are not converged at their
#: bond dimension and bend the line (on 4x4 the bar of 3 sweeps covered the exact energy in every
#: schedule tried, that of 2 sweeps did not)
EXTRAPOLATION_SWEEPS = 3


def extrapolate_energy(sweep_energies, sweep_truncation_errors, sweeps: int = EXTRAPOLATION_SWEEPS) -> dict:
    """The energy extrapolated to zero truncation error, with its uncertainty.

    DMRG's variational energy rises linearly with the discarded weight eps of the truncation,
    E(eps) = E_0 + a eps, so a straight line through (eps, E) of the last ``sweeps`` sweeps that
    truncated (eps > 0) gives E_0. Its uncertainty is the extrapolation distance |E_0 - E_last|
    (the customary conservative bar: the line's form is only asymptotically right) or the fit's
    standard error of E_0, whichever is larger. When the last sweep discarded nothing the MPS is
    exact at its bond dimension: E_0 is the last energy and its uncertainty the change over the last
    sweep. Keys: energy, error, slope, sweeps (the 1-based sweeps used), method.
    """
    energies = np.asarray(sweep_energies, dtype=float)
    eps = np.asarray(sweep_truncation_errors, dtype=float)
    last = float(energies[-1])
    if not len(eps) or eps[-1] <= 0:
        change = abs(last - float(energies[-2])) if len(energies) > 1 else float("nan")
        return {"energy": last, "error": change, "slope": None, "sweeps": [len(energies)],
                "method": "no truncation in the last sweep: the energy of the exact MPS"}
    used = np.flatnonzero((eps > 0) & np.isfinite(energies))[-sweeps:]
    if len(used) < 2 or np.ptp(eps[used]) == 0:
        return {"energy": last, "error": float("nan"), "slope": None, "sweeps": (used + 1).tolist(),
                "method": "too few distinct truncation errors to extrapolate"}
    design = np.stack([np.ones(len(used)), eps[used]], axis=1)
    coef, residual, *_ = np.linalg.lstsq(design, energies[used], rcond=None)
    stderr = 0.0
    if len(used) > 2 and len(residual):
        covariance = residual[0] / (len(used) - 2) * np.linalg.inv(design.T @ design)
        stderr = float(np.sqrt(covariance[0, 0]))
    if coef[1] <= 0:  # the energy does not fall with the discarded weight: no line to extrapolate
        return {"energy": last, "error": float(np.ptp(energies[used])), "slope": float(coef[1]),
                "sweeps": (used + 1).tolist(), "method": "energy does not fall with the truncation error"}
    return {"energy": float(coef[0]), "error": max(abs(float(coef[0]) - last), stderr), "slope": float(coef[1]),
            "sweeps": (used + 1).tolist(), "method": f"linear in the truncation error over {len(used)} sweeps"}


def energy_converged(sweep_energies, rtol: float) -> bool:
    """True when the energy changed by less than ``rtol`` (relative) over the last sweep."""
    if len(sweep_energies) < 2:
        return False
    e_prev, e_last = sweep_energies[-2], sweep_energies[-1]
    return bool(abs(e_last - e_prev) <= rtol * max(1.0, abs(e_last)))


@dataclass
class DMRGResult:
    energy: float
    observables: SpinObservables
    backend: str
    backend_version: str
    schedule: DMRGSchedule
    #: Energy after each sweep.
    sweep_energies: list[float]
    #: Largest bond dimension reached in each sweep.
    sweep_max_bond_dims: list[int]
    #: Largest discarded weight of any truncation in each sweep.
    sweep_truncation_errors: list[float]
    wall_seconds: float
    #: The final MPS for sampling (``keep_mps=True`` only): tensors (chi_left, 2, chi_right), real or
    #: complex, index 0 = up (Z = +1),
    #: every site right of the first right-orthonormal (see :func:`.sampling.sample_mps`).
    mps: list | None = field(default=None, repr=False)

    @property
    def truncation_error(self) -> float:
        """Largest discarded weight in the last sweep."""
        return float(self.sweep_truncation_errors[-1])

    @property
    def max_bond_dim(self) -> int:
        return int(max(self.sweep_max_bond_dims))

    @property
    def converged(self) -> bool:
        return energy_converged(self.sweep_energies, self.schedule.energy_rtol)

    def details(self) -> dict:
        return {
            "schedule": self.schedule.as_dict(),
            "sweep_energies": [float(e) for e in self.sweep_energies],
            "sweep_max_bond_dims": [int(c) for c in self.sweep_max_bond_dims],
            "sweep_truncation_errors": [float(e) for e in self.sweep_truncation_errors],
            "truncation_error": self.truncation_error,
            "extrapolation": extrapolate_energy(self.sweep_energies, self.sweep_truncation_errors),
            "max_bond_dim": self.max_bond_dim,
            "converged": self.converged,
            "backend_version": self.backend_version,
        }

    def check_finite(self):
        if not np.isfinite(self.energy):
            raise RuntimeError(f"DMRG ({self.backend}) returned a non-finite energy {self.energy}")
