"""DMRG reference solutions of the TFIM behind one interface, two backends.

* ``tenpy`` (default): TeNPy, pure Python, installed with the package.
* ``itensors``: ITensors.jl through juliacall, the library the authors used; needs Julia.

Both run two-site DMRG along the row-major MPS path with the schedule of
:class:`DMRGSchedule` (paper values by default) and return a :class:`DMRGResult`.
"""

from __future__ import annotations

from ...errors import SparseNQSError
from ...names import DMRG_BACKENDS
from ..models import TFIM
from .itensors_backend import JuliaUnavailableError, require_julia
from .result import DMRGResult, extrapolate_energy
from .schedule import PAPER_MAXDIMS, DMRGSchedule, DMRGSettingsError


class DMRGUnsupportedError(SparseNQSError, ValueError):
    pass


def check_dmrg_request(model, backend: str) -> None:
    """Raise before any work if this model / backend pair cannot run."""
    if backend not in DMRG_BACKENDS:
        raise DMRGUnsupportedError(
            f"unknown DMRG backend {backend!r}; choose one of {', '.join(DMRG_BACKENDS)}"
        )
    if not isinstance(model, TFIM):
        raise DMRGUnsupportedError(
            f"DMRG is implemented for the TFIM only; the {model.name} reference is exact "
            "(use method 'ed' or 'analytic')"
        )
    if backend == "itensors":
        require_julia()


def tfim_dmrg(model, backend: str = "tenpy", schedule: DMRGSchedule | None = None,
              keep_mps: bool = False) -> DMRGResult:
    """DMRG of ``model``; ``keep_mps``: also return the MPS tensors (for sampling, :mod:`.sampling`)."""
    check_dmrg_request(model, backend)
    schedule = schedule or DMRGSchedule()
    if backend == "tenpy":
        from .tenpy_backend import tfim_dmrg_tenpy

        return tfim_dmrg_tenpy(model, schedule, keep_mps)
    from .itensors_backend import tfim_dmrg_itensors

    return tfim_dmrg_itensors(model, schedule, keep_mps)


__all__ = [
    "DMRG_BACKENDS",
    "PAPER_MAXDIMS",
    "DMRGResult",
    "extrapolate_energy",
    "DMRGSchedule",
    "DMRGSettingsError",
    "DMRGUnsupportedError",
    "JuliaUnavailableError",
    "check_dmrg_request",
    "tfim_dmrg",
]
