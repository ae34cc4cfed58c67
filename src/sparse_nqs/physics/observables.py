"""Ground-state observables shared by every reference method (ED, DMRG, closed form)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SpinObservables:
    """Per-site Pauli expectations and two-point correlation matrices of one (mixed) state.

    ``zz[i, j] = <Z_i Z_j>`` and ``xx[i, j] = <X_i X_j>`` (diagonals are 1). ``abs_mz`` is
    <|sum_i Z_i|> / N where the method can compute it (ED), else None.
    """

    mx_sites: np.ndarray
    mz_sites: np.ndarray
    zz: np.ndarray
    xx: np.ndarray
    abs_mz: float | None = None

    @property
    def N(self) -> int:
        return len(self.mx_sites)

    @property
    def mx(self) -> float:
        """M_x = <sum_i X_i> / N (signed)."""
        return float(np.mean(self.mx_sites))

    @property
    def mz(self) -> float:
        """M_z = <sum_i Z_i> / N (signed)."""
        return float(np.mean(self.mz_sites))

    @property
    def zz_normalised_sum(self) -> float:
        """sum_ij <Z_i Z_j> / N^2 = <M_z^2>, the authors' DMRG summary of C_zz."""
        return float(np.sum(self.zz) / self.N**2)

    @property
    def xx_normalised_sum(self) -> float:
        return float(np.sum(self.xx) / self.N**2)

    def as_dict(self) -> dict:
        return {
            "mx": self.mx,
            "mz": self.mz,
            "abs_mz": None if self.abs_mz is None else float(self.abs_mz),
            "mx_sites": np.asarray(self.mx_sites, dtype=float).tolist(),
            "mz_sites": np.asarray(self.mz_sites, dtype=float).tolist(),
            "zz": np.asarray(self.zz, dtype=float).tolist(),
            "xx": np.asarray(self.xx, dtype=float).tolist(),
            "zz_normalised_sum": self.zz_normalised_sum,
            "xx_normalised_sum": self.xx_normalised_sum,
        }

    @classmethod
    def average(cls, items: list["SpinObservables"]) -> "SpinObservables":
        """Observables of the equal mixture of the given states (a ground-space average)."""
        abs_values = [o.abs_mz for o in items]
        return cls(
            mx_sites=np.mean([o.mx_sites for o in items], axis=0),
            mz_sites=np.mean([o.mz_sites for o in items], axis=0),
            zz=np.mean([o.zz for o in items], axis=0),
            xx=np.mean([o.xx for o in items], axis=0),
            abs_mz=None if any(a is None for a in abs_values) else float(np.mean(abs_values)),
        )
