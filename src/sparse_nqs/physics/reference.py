"""Reference solutions: one record per physical system, from ED, DMRG or the closed form.

The record (a flat JSON object) is what every later error is measured against. Its keys:

model, L, N, kappa, boundary        the system (kappa is null for the toric code)
method                              "ed" | "dmrg" | "analytic"
backend                             "scipy" (ED) | "tenpy" | "itensors" | "closed-form"
energy, energy_per_spin             ground-state energy E0 and E0 / N
degeneracy                          ground-space dimension (ED, analytic); null for DMRG
gap                                 E1 - E0 above the ground space (ED), else null
energy_variance                     <H^2> - <H>^2 of the ground state(s) (ED, analytic), else null
mx, mz, abs_mz                      <sum X_i>/N, <sum Z_i>/N, <|sum Z_i|>/N (abs_mz: ED only)
mx_sites, mz_sites                  per-site <X_i>, <Z_i>
zz, xx                              N x N matrices <Z_i Z_j>, <X_i X_j>
zz_normalised_sum, xx_normalised_sum   sum of the matrix / N^2
observables_state                   "ground_state", "ground_space_average" (degenerate) or "mps"
dmrg                                schedule, per-sweep energies, largest bond dimensions and
                                    largest discarded weights, the last sweep's truncation error,
                                    converged, and the energy extrapolated to zero truncation error
                                    with its uncertainty (null unless method is dmrg)
wall_seconds, versions, schema
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import SparseNQSError
from ..io import package_versions
from ..names import REFERENCE_METHODS
from . import exact
from .dmrg import DMRGSchedule, check_dmrg_request, tfim_dmrg
from .models import ToricCode
from .observables import SpinObservables

SCHEMA = "sparse_nqs.reference/1"
METHODS = REFERENCE_METHODS


class ReferenceRequestError(SparseNQSError, ValueError):
    pass


class ReferenceMismatchError(ReferenceRequestError):
    """A reference record of another system than the run's (model, size, boundary or field)."""


#: the keys of a record that say which system it belongs to (those of ``model.describe()``)
SYSTEM_KEYS = ("model", "L", "N", "kappa", "boundary")


def check_record(record: dict, model, where: str = "the reference record") -> dict:
    """``record`` if it was computed for ``model``, else :class:`ReferenceMismatchError` naming
    every key that differs. The field is compared exactly: a record at kappa 0.5 does not serve a
    run at 0.50000049 (errors near the plateaus are 1e-6; a field shifted by d moves E/N by M_x d)."""
    if not isinstance(record, dict) or "energy" not in record:
        raise ReferenceMismatchError(f"{where} is not a reference record (no 'energy')")
    expected = model.describe()
    differ = [f"{key} = {record.get(key)!r} (the run has {expected[key]!r})" for key in SYSTEM_KEYS
              if record.get(key) != expected[key]]
    if differ:
        raise ReferenceMismatchError(f"{where} belongs to another system: " + ", ".join(differ))
    return record


def resolve_method(model, method: str = "auto", dmrg_backend: str = "tenpy") -> str:
    """The concrete method for ``model``; raises before any work if the request cannot run."""
    if method not in METHODS:
        raise ReferenceRequestError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if method == "auto":
        method = model.default_reference_method()
    if method == "ed" and model.N > exact.ED_MAX_SPINS:
        raise ReferenceRequestError(
            f"exact diagonalisation is limited to N <= {exact.ED_MAX_SPINS} spins "
            f"(N = {model.N}); use --method auto or dmrg"
        )
    if method == "analytic" and not model.has_closed_form:
        raise ReferenceRequestError(
            f"no closed-form ground state for the {model.name}; use --method ed or dmrg"
        )
    if method == "dmrg":
        check_dmrg_request(model, dmrg_backend)
    return method


def toric_code_closed_form(model: ToricCode) -> SpinObservables:
    """Ground-space average of the toric code, exact for any L.

    A single X_i (Z_i) anticommutes with the plaquettes (stars) touching edge i, so it maps the
    ground space to excited states: <X_i> = <Z_i> = 0. Two-point functions of distinct edges are
    either excitations of the same kind or, for L = 2, non-contractible logical loops whose
    trace over the ground space vanishes, so zz = xx = identity.
    """
    N = model.N
    return SpinObservables(
        mx_sites=np.zeros(N), mz_sites=np.zeros(N), zz=np.eye(N), xx=np.eye(N), abs_mz=None
    )


def compute_reference(
    model,
    method: str = "auto",
    dmrg_backend: str = "tenpy",
    schedule: DMRGSchedule | None = None,
    seed: int = 0,
):
    """Compute the reference record of ``model``.

    Returns ``(record, ground_space)`` where ground_space is the ED ground-space basis
    (None for other methods).
    """
    method = resolve_method(model, method, dmrg_backend)
    start = time.perf_counter()
    record = {"schema": SCHEMA, **model.describe(), "method": method}
    ground_space = None
    dmrg_details = None
    if method == "ed":
        gs = exact.exact_ground_state(model, seed=seed)
        record.update(
            backend="scipy",
            energy=gs.energy,
            degeneracy=gs.degeneracy,
            gap=gs.gap,
            energy_variance=gs.energy_variance,
            observables_state="ground_state" if gs.degeneracy == 1 else "ground_space_average",
        )
        observables = gs.observables
        ground_space = gs.ground_space
    elif method == "analytic":
        record.update(
            backend="closed-form",
            energy=model.exact_ground_energy,
            degeneracy=model.ground_degeneracy,
            # The lowest excitations flip two stars or two plaquettes to -1: gap 4.
            gap=4.0,
            energy_variance=0.0,
            observables_state="ground_space_average",
        )
        observables = toric_code_closed_form(model)
    else:
        schedule = schedule or DMRGSchedule(seed=seed)
        result = tfim_dmrg(model, dmrg_backend, schedule)
        record.update(
            backend=result.backend,
            energy=result.energy,
            degeneracy=None,
            gap=None,
            energy_variance=None,
            observables_state="mps",
        )
        observables = result.observables
        dmrg_details = result.details()
    record["energy_per_spin"] = record["energy"] / model.N
    record.update(observables.as_dict())
    record["dmrg"] = dmrg_details
    record["wall_seconds"] = time.perf_counter() - start
    record["versions"] = package_versions()
    return record, ground_space
