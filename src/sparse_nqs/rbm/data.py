"""Measurement data: projective Z-basis samples of the open TFIM chain's ground state (docs/rbm.md,
"Data"). Up to 20 spins the samples are drawn i.i.d. from |psi|^2 of the exact ground state, which is
the same distribution as perfect sampling of an exact MPS."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import SparseNQSError
from ..names import ED_AUTO_MAX_SPINS
from ..physics.dmrg import DMRGSchedule, tfim_dmrg
from ..physics.dmrg.sampling import sample_mps
from ..physics.exact import exact_ground_state
from .model import all_visible
from .statistics import sample_statistics, z2_ratio


class DataError(SparseNQSError, ValueError):
    pass


def ground_state_distribution(model, state=None) -> np.ndarray:
    """|psi(v)|^2 of the exact ground state (``state``: an ExactGroundState of ``model`` already
    computed) over :func:`~sparse_nqs.rbm.model.all_visible` order."""
    if model.N > ED_AUTO_MAX_SPINS:
        raise DataError(f"exact sampling needs N <= {ED_AUTO_MAX_SPINS} (N = {model.N}); use DMRG samples")
    state = state or exact_ground_state(model)
    if state.vector is None:
        raise DataError(f"the ground state of {model.label} is degenerate: no single |psi|^2 to sample")
    probabilities = state.vector**2
    return probabilities / probabilities.sum()


def exact_samples(probabilities: np.ndarray, n_samples: int, seed: int) -> np.ndarray:
    """``n_samples`` i.i.d. configurations (n, N) of 0/1 (uint8) drawn from ``probabilities``."""
    N = int(np.log2(len(probabilities)))
    if 2**N != len(probabilities):
        raise DataError(f"a distribution over 2^N configurations was expected, got {len(probabilities)} entries")
    index = np.random.default_rng(seed).choice(len(probabilities), size=n_samples, p=probabilities)
    return all_visible(N)[index].astype(np.uint8)


def measurement_data(model, n_samples: int, seed: int, backend: str = "tenpy",
                     schedule: DMRGSchedule | None = None) -> tuple[np.ndarray, dict]:
    """Z-basis samples of the ground state of ``model`` (a TFIM chain) and their metadata: exact up to
    20 spins, else perfect samples of the DMRG state (``backend``, ``schedule``; the record keeps its
    energy, bond dimensions, truncation errors and sweeps)."""
    if model.N <= ED_AUTO_MAX_SPINS:
        state = exact_ground_state(model)
        samples = exact_samples(ground_state_distribution(model, state), n_samples, seed)
        return samples, {"method": "ed", "energy": state.energy, "seed": seed, "n_samples": n_samples}
    result = tfim_dmrg(model, backend, schedule, keep_mps=True)
    if result.mps is None:
        raise DataError(f"the {backend} backend returned no MPS to sample")
    samples, _ = sample_mps(result.mps, n_samples, seed)
    return samples, {"method": "dmrg", "backend": backend, "energy": result.energy, "seed": seed,
                     "n_samples": n_samples, "dmrg": result.details()}


# --------------------------------------------------------------------------------------------
# the data files of the workflow
# --------------------------------------------------------------------------------------------
def write_data(npz_path, json_path, model, n_samples: int, seed: int, backend: str = "tenpy",
               schedule: DMRGSchedule | None = None) -> dict:
    """Make the measurement data of ``model`` and write the samples (``npz_path``: ``samples``, and
    ``target`` = |psi|^2 up to 20 spins) and the record (``json_path``): the system, how the samples
    were made, the ground-state energy and the data's statistics (<m>, <|m|>, histogram, C(d), Z2 ratio)."""
    from ..io import write_json_atomic, write_npz_atomic

    samples, record = measurement_data(model, n_samples, seed, backend, schedule)
    arrays = {"samples": samples}
    if model.N <= ED_AUTO_MAX_SPINS:
        arrays["target"] = ground_state_distribution(model)
    ratio, spread = z2_ratio(samples)
    record = {**model.describe(), **record, "statistics": sample_statistics(samples), "z2_ratio": ratio,
              "z2_ratio_std": spread, "samples_sha256": hashlib.sha256(samples.tobytes()).hexdigest()}
    write_npz_atomic(npz_path, **arrays)
    write_json_atomic(json_path, record)
    return record


def load_samples(path, n_visible: int) -> np.ndarray:
    """The samples of a data file (``.npz`` with ``samples``, ``.npy`` or whitespace text), checked:
    (n, n_visible) of 0/1 with 1 = up. Spins written as -1/+1 are refused, not converted: a file in
    another convention may as well mean 1 = down."""
    path = Path(path)
    try:
        if path.suffix == ".npz":
            with np.load(path) as archive:
                samples = np.asarray(archive["samples"])
        elif path.suffix == ".npy":
            samples = np.load(path)
        else:
            samples = np.loadtxt(path)
    except (OSError, KeyError, ValueError) as err:
        raise DataError(f"cannot read the samples of {path}: {err}") from None
    if samples.ndim != 2 or samples.shape[1] != n_visible:
        raise DataError(f"{path}: samples of shape {samples.shape}, expected (n, {n_visible}) for {n_visible} spins")
    values = set(np.unique(samples).tolist())
    if not values <= {0, 1}:
        hint = " (spins -1/+1: write them as v = (1 + s) / 2, 1 = up)" if values <= {-1, 1} else ""
        raise DataError(f"{path}: sample values {sorted(values)[:5]}, expected 0/1 with 1 = up{hint}")
    return samples.astype(np.uint8)
