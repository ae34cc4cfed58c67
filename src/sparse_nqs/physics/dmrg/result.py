"""The backend-independent outcome of a DMRG run."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..observables import SpinObservables
from .schedule import DMRGSchedule


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
    #: Largest discarded weight of any truncation in the last sweep.
    truncation_error: float
    wall_seconds: float

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
            "truncation_error": float(self.truncation_error),
            "max_bond_dim": self.max_bond_dim,
            "converged": self.converged,
            "backend_version": self.backend_version,
        }

    def check_finite(self):
        if not np.isfinite(self.energy):
            raise RuntimeError(f"DMRG ({self.backend}) returned a non-finite energy {self.energy}")
