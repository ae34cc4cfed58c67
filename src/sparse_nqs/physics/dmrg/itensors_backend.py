"""DMRG of the TFIM with ITensors.jl / ITensorMPS.jl through juliacall (the authors' library).

The Julia code is ``sparse_nqs/physics/dmrg/julia/TFIMDMRG.jl``; its packages are declared in
``sparse_nqs/juliapkg.json``, which juliapkg installs into the environment's Julia project on the
first call (this needs network access to the Julia package registry once).

Julia itself is never downloaded from here: if no Julia executable is found, the backend fails
at once with :class:`JuliaUnavailableError` and says what to install, instead of letting
juliacall start a download.
"""

from __future__ import annotations

import functools
import importlib.util
import time
from pathlib import Path

import numpy as np

from ...errors import SparseNQSError
from ..observables import SpinObservables
from .result import DMRGResult
from .schedule import DMRGSchedule

JULIA_SOURCE = Path(__file__).resolve().parent / "julia" / "TFIMDMRG.jl"

INSTALL_HINT = (
    "the 'itensors' DMRG backend needs Julia >= 1.10, which was not found: install it with "
    "juliaup (curl -fsSL https://install.julialang.org | sh) or from https://julialang.org/downloads "
    "and put `julia` on PATH (or point PYTHON_JULIAPKG_EXE at it); the first run then installs "
    "ITensors and ITensorMPS through juliapkg. Without Julia, use the embedded TeNPy backend "
    "instead: --dmrg-backend tenpy (config: dmrg.backend: tenpy)"
)


class JuliaUnavailableError(SparseNQSError, RuntimeError):
    """No usable Julia installation for the ITensors backend."""


def locate_julia() -> str | None:
    """Path of a Julia executable that juliacall would use, or None. Never downloads."""
    try:
        from juliapkg.find_julia import find_julia
        from juliapkg.state import STATE
    except ImportError:
        return None
    try:
        exe, _version = find_julia(compat=None, prefix=STATE["install"], install=False)
    except Exception:  # juliapkg raises a bare Exception when nothing is found
        return None
    return exe


def require_julia() -> str:
    """The Julia executable, or a JuliaUnavailableError that says what to do.

    Checked before juliacall is imported: importing juliacall without a Julia starts a download.
    """
    if importlib.util.find_spec("juliacall") is None:
        raise JuliaUnavailableError(
            "the Python package juliacall is missing (pip install juliacall); " + INSTALL_HINT
        )
    exe = locate_julia()
    if exe is None:
        raise JuliaUnavailableError(INSTALL_HINT)
    return exe


@functools.cache
def _julia_tfim_dmrg():
    require_julia()
    from juliacall import Main as jl

    jl.include(str(JULIA_SOURCE))
    return jl.seval("TFIMDMRG.tfim_dmrg")


def result_from_julia(out, schedule: DMRGSchedule, wall_seconds: float) -> DMRGResult:
    """Convert the NamedTuple returned by ``TFIMDMRG.tfim_dmrg`` into a DMRGResult."""

    def array(name):
        return np.asarray(getattr(out, name), dtype=float)

    sweep_energies = array("sweep_energies")
    result = DMRGResult(
        energy=float(out.energy),
        observables=SpinObservables(
            mx_sites=array("mx_sites"), mz_sites=array("mz_sites"), zz=array("zz"), xx=array("xx")
        ),
        backend="itensors",
        backend_version=f"ITensors {out.itensors_version}, ITensorMPS {out.itensormps_version}",
        schedule=schedule,
        sweep_energies=sweep_energies.tolist(),
        sweep_max_bond_dims=np.asarray(out.sweep_maxlinkdims, dtype=int).tolist(),
        sweep_truncation_errors=array("sweep_truncerrs").tolist(),
        wall_seconds=wall_seconds,
        mps=[np.asarray(t) for t in getattr(out, "mps", [])] or None,
    )
    result.check_finite()
    return result


def tfim_dmrg_itensors(model, schedule: DMRGSchedule, keep_mps: bool = False) -> DMRGResult:
    run = _julia_tfim_dmrg()
    start = time.perf_counter()
    out = run(
        model.N,
        np.asarray(model.bonds, dtype=np.int64).reshape(-1, 2),
        float(model.kappa),
        np.asarray(schedule.per_sweep_maxdims, dtype=np.int64),
        schedule.n_sweeps,
        float(schedule.cutoff),
        schedule.init_bond_dim,
        schedule.seed,
        keep_mps,
    )
    return result_from_julia(out, schedule, time.perf_counter() - start)
