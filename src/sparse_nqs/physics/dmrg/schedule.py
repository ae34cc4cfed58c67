"""DMRG settings shared by both backends, with the authors' values as defaults (docs/science.md,
"References")."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from ...errors import SparseNQSError

#: The authors' ITensor schedule: one maximum bond dimension per sweep, 12 sweeps.
PAPER_MAXDIMS = (10, 50, 100, 200, 400, 800, 1200, 1600, 2000, 2400, 2800, 3000)


class DMRGSettingsError(SparseNQSError, ValueError):
    pass


@dataclass(frozen=True)
class DMRGSchedule:
    """Sweep schedule of a two-site DMRG run.

    ``maxdims[s]`` bounds the bond dimension in sweep s; when ``n_sweeps`` exceeds its length the
    last value repeats (ITensor's convention). Singular values below ``cutoff`` (relative
    discarded weight) are dropped. The start is a random MPS of bond dimension ``init_bond_dim``
    drawn with ``seed``; no noise / mixer term, as in the authors' runs. ``converged`` in the
    result means the energy changed by less than ``energy_rtol`` (relative) over the last sweep.
    """

    n_sweeps: int = len(PAPER_MAXDIMS)
    maxdims: tuple[int, ...] = PAPER_MAXDIMS
    cutoff: float = 1e-15
    init_bond_dim: int = 2
    seed: int = 0
    energy_rtol: float = 1e-10

    def __post_init__(self):
        object.__setattr__(self, "maxdims", tuple(int(m) for m in self.maxdims))
        if not isinstance(self.n_sweeps, int) or self.n_sweeps < 1:
            raise DMRGSettingsError(f"dmrg n_sweeps must be a positive integer, got {self.n_sweeps!r}")
        if not self.maxdims or min(self.maxdims) < 1:
            raise DMRGSettingsError(f"dmrg maxdims must be positive integers, got {self.maxdims!r}")
        if not (math.isfinite(self.cutoff) and 0 <= self.cutoff < 1):
            raise DMRGSettingsError(f"dmrg cutoff must lie in [0, 1), got {self.cutoff!r}")
        if self.init_bond_dim < 1:
            raise DMRGSettingsError(f"dmrg init_bond_dim must be >= 1, got {self.init_bond_dim!r}")
        if not (math.isfinite(self.energy_rtol) and self.energy_rtol > 0):
            raise DMRGSettingsError(f"dmrg energy_rtol must be > 0, got {self.energy_rtol!r}")

    @classmethod
    def from_options(cls, n_sweeps=None, maxdims=None, cutoff=None, seed: int = 0) -> "DMRGSchedule":
        """A schedule from optional user options (None: the paper's value).

        Given ``maxdims`` without ``n_sweeps`` means one sweep per listed bond dimension.
        """
        defaults = cls()
        if n_sweeps is None:
            n_sweeps = len(maxdims) if maxdims else defaults.n_sweeps
        maxdims = tuple(maxdims) if maxdims else defaults.maxdims
        return cls(n_sweeps=n_sweeps, maxdims=maxdims, cutoff=defaults.cutoff if cutoff is None else cutoff,
                   seed=seed)

    def maxdim(self, sweep: int) -> int:
        """Bond-dimension bound of sweep ``sweep`` (0-based)."""
        return self.maxdims[min(sweep, len(self.maxdims) - 1)]

    @property
    def per_sweep_maxdims(self) -> list[int]:
        return [self.maxdim(s) for s in range(self.n_sweeps)]

    def as_dict(self) -> dict:
        d = asdict(self)
        d["maxdims"] = list(self.maxdims)
        return d
