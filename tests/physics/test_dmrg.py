"""DMRG backends against exact diagonalisation (docs/science.md, "References")."""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import sparse_nqs
from sparse_nqs.physics.dmrg import (
    DMRGSchedule,
    DMRGSettingsError,
    DMRGUnsupportedError,
    JuliaUnavailableError,
    extrapolate_energy,
    itensors_backend,
    tfim_dmrg,
)
from sparse_nqs.physics.exact import exact_ground_state
from sparse_nqs.physics.models import TFIM, ToricCode

#: A shortened version of the paper's schedule: enough for 4x4 (exact MPS needs chi = 256),
#: a quarter of the cost of the full 12 sweeps.
SHORT_SCHEDULE = DMRGSchedule(n_sweeps=6, maxdims=(10, 50, 100, 200))


def assert_matches_ed(result, ed):
    assert result.energy == pytest.approx(ed.energy, rel=1e-7)
    assert abs(result.observables.mx - ed.observables.mx) < 1e-5
    np.testing.assert_allclose(result.observables.mx_sites, ed.observables.mx_sites, atol=1e-5)
    np.testing.assert_allclose(result.observables.zz, ed.observables.zz, atol=1e-5)
    np.testing.assert_allclose(result.observables.xx, ed.observables.xx, atol=1e-5)
    assert result.converged
    assert result.truncation_error < 1e-10


@pytest.mark.parametrize(
    "model, schedule",
    [
        (TFIM(3), DMRGSchedule()),  # the paper's 12-sweep schedule
        (TFIM(4), SHORT_SCHEDULE),
        (TFIM(3, kappa=1.0, boundary="periodic"), SHORT_SCHEDULE),
    ],
    ids=["3x3-paper-schedule", "4x4", "3x3-periodic-ferro"],
)
def test_tenpy_agrees_with_ed(model, schedule):
    result = tfim_dmrg(model, "tenpy", schedule)
    assert len(result.sweep_energies) == schedule.n_sweeps
    assert_matches_ed(result, exact_ground_state(model))


def test_tenpy_follows_the_bond_dimension_schedule():
    schedule = DMRGSchedule(n_sweeps=4, maxdims=(4, 8, 16))
    result = tfim_dmrg(TFIM(4), "tenpy", schedule)
    # 4x4 needs chi > 16, so every sweep saturates its bound; the last bound repeats
    assert result.sweep_max_bond_dims == [4, 8, 16, 16]
    assert result.truncation_error > 0
    assert result.details()["schedule"]["maxdims"] == [4, 8, 16]


def test_extrapolation_in_the_truncation_error_is_a_straight_line_through_the_last_sweeps():
    eps = [1e-2, 1e-3, 5e-4, 2e-4, 1e-4]
    energies = [-9.0, -10 + 3 * 1e-3 + 1e-4, -10 + 3 * 5e-4, -10 + 3 * 2e-4, -10 + 3 * 1e-4]  # first sweeps off the line
    out = extrapolate_energy(energies, eps)
    assert out["energy"] == pytest.approx(-10.0, abs=1e-12) and out["slope"] == pytest.approx(3.0)
    assert out["sweeps"] == [3, 4, 5] and out["error"] == pytest.approx(3e-4)  # the extrapolation distance
    exact = extrapolate_energy([-9.0, -10.0, -10.0], [1e-3, 0.0, 0.0])  # nothing discarded at the end
    assert exact["energy"] == -10.0 and exact["error"] == 0.0 and exact["slope"] is None
    rising = extrapolate_energy([-10.0, -9.9, -9.8], [1e-3, 5e-4, 1e-4])  # energy rising as eps falls
    assert rising["energy"] == -9.8 and "does not fall" in rising["method"]


def test_tenpy_extrapolated_energy_brackets_the_exact_one():
    """4x4 truncated to chi <= 32 (exact needs 256): the extrapolation's bar covers the ED energy."""
    model = TFIM(4)
    result = tfim_dmrg(model, "tenpy", DMRGSchedule(n_sweeps=8, maxdims=(4, 8, 12, 16, 20, 24, 32)))
    e0 = exact_ground_state(model).energy
    record = result.details()
    extrapolated = record["extrapolation"]
    assert result.truncation_error > 0 and len(record["sweep_truncation_errors"]) == 8
    assert abs(extrapolated["energy"] - e0) <= extrapolated["error"]
    assert 0 < extrapolated["error"] < 1e-5 * abs(e0)


def test_perfect_sampling_of_the_dmrg_state_draws_the_exact_ground_state_distribution():
    """Open chain, N = 8, chi 16 (exact): each sample's probability under the MPS is |psi|^2 of ED, and
    the magnetisation histogram of 20000 samples agrees with the exact one (chi-squared, 8 dof)."""
    from sparse_nqs.physics.dmrg.sampling import sample_mps
    from sparse_nqs.physics.models import TFIMChain

    model = TFIMChain(8, 1.0)
    result = tfim_dmrg(model, "tenpy", DMRGSchedule(n_sweeps=10, maxdims=(4, 8, 16)), keep_mps=True)
    assert tfim_dmrg(model, "tenpy", DMRGSchedule(n_sweeps=2, maxdims=(4,))).mps is None  # records: no MPS
    samples, log_p = sample_mps(result.mps, 20_000, seed=0)
    assert samples.shape == (20_000, 8) and samples.dtype == np.uint8
    exact = exact_ground_state(model).vector ** 2
    index = (2**8 - 1) - samples.astype(np.int64) @ (1 << np.arange(7, -1, -1))  # NetKet order: up first
    np.testing.assert_allclose(np.exp(log_p), exact[index], rtol=1e-6)
    from sparse_nqs.rbm import all_visible

    n_up_exact = np.bincount(all_visible(8).sum(axis=1).astype(int), weights=exact, minlength=9)
    observed = np.bincount(samples.sum(axis=1), minlength=9)
    expected = len(samples) * n_up_exact
    keep = expected > 5
    assert np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep]) < 26.1  # 99.9% quantile, 8 dof
    np.testing.assert_array_equal(sample_mps(result.mps, 500, seed=4)[0], sample_mps(result.mps, 500, seed=4)[0])


def test_tenpy_is_reproducible_with_a_seed():
    schedule = DMRGSchedule(n_sweeps=2, maxdims=(4,), seed=7)
    a = tfim_dmrg(TFIM(3), "tenpy", schedule)
    b = tfim_dmrg(TFIM(3), "tenpy", schedule)
    assert a.sweep_energies == b.sweep_energies


def test_paper_schedule_is_the_default():
    s = DMRGSchedule()
    assert s.n_sweeps == 12 and s.cutoff == 1e-15 and s.init_bond_dim == 2
    assert s.per_sweep_maxdims == [10, 50, 100, 200, 400, 800, 1200, 1600, 2000, 2400, 2800, 3000]


@pytest.mark.parametrize(
    "kwargs, key",
    [
        (dict(n_sweeps=0), "n_sweeps"),
        (dict(maxdims=()), "maxdims"),
        (dict(maxdims=(10, 0)), "maxdims"),
        (dict(cutoff=float("nan")), "cutoff"),
        (dict(cutoff=-1e-3), "cutoff"),
        (dict(init_bond_dim=0), "init_bond_dim"),
    ],
)
def test_bad_schedules_are_rejected(kwargs, key):
    with pytest.raises(DMRGSettingsError, match=key):
        DMRGSchedule(**kwargs)


def test_dmrg_rejects_the_toric_code_and_unknown_backends():
    with pytest.raises(DMRGUnsupportedError, match="TFIM only"):
        tfim_dmrg(ToricCode(3))
    with pytest.raises(DMRGUnsupportedError, match="unknown DMRG backend"):
        tfim_dmrg(TFIM(3), "quimb")


# ---------------------------------------------------------------------------------------------
# ITensors through juliacall
# ---------------------------------------------------------------------------------------------
def test_missing_julia_fails_at_once_with_instructions(monkeypatch):
    monkeypatch.setattr(itensors_backend, "locate_julia", lambda: None)
    with pytest.raises(JuliaUnavailableError) as info:
        tfim_dmrg(TFIM(3), "itensors")
    message = str(info.value)
    assert "install" in message and "julialang.org" in message
    assert "--dmrg-backend tenpy" in message


def test_julia_dependencies_are_declared_for_juliapkg():
    package_dir = Path(sparse_nqs.__file__).parent
    declared = json.loads((package_dir / "juliapkg.json").read_text())
    assert declared["packages"]["ITensors"]["uuid"] == "9136182c-28ba-11e9-034c-db9fb085ebd5"
    assert declared["packages"]["ITensorMPS"]["uuid"] == "0d1a4710-d33b-49a5-8f18-73bdf49b47e2"
    assert itensors_backend.JULIA_SOURCE.is_file()
    source = itensors_backend.JULIA_SOURCE.read_text()
    assert "function tfim_dmrg" in source and "using ITensorMPS" in source
    # juliapkg discovers the file from the installed package (what juliacall resolves on first use)
    import juliapkg.deps

    found = [Path(f).resolve() for f in juliapkg.deps.deps_files()]
    assert (package_dir / "juliapkg.json").resolve() in found


def test_julia_result_conversion():
    """The Python side of the bridge, fed the NamedTuple layout that TFIMDMRG.jl returns."""
    N = 4
    out = SimpleNamespace(
        energy=-5.5,
        mx_sites=[0.5] * N,
        mz_sites=[0.0] * N,
        zz=np.eye(N).tolist(),
        xx=np.full((N, N), 0.25).tolist(),
        sweep_energies=[-5.0, -5.5, -5.5],
        sweep_truncerrs=[1e-3, 1e-9, 1e-12],
        sweep_maxlinkdims=[2, 4, 4],
        itensors_version="0.9.0",
        itensormps_version="0.3.0",
    )
    schedule = DMRGSchedule(n_sweeps=3, maxdims=(2, 4))
    result = itensors_backend.result_from_julia(out, schedule, wall_seconds=1.0)
    assert result.backend == "itensors"
    assert result.energy == -5.5 and result.converged
    assert result.truncation_error == 1e-12 and result.max_bond_dim == 4
    assert result.observables.mx == 0.5 and result.observables.xx_normalised_sum == 0.25
    assert "ITensorMPS 0.3.0" in result.backend_version


@pytest.mark.julia
@pytest.mark.skipif(
    itensors_backend.locate_julia() is None,
    reason="Julia is not installed here (cannot be downloaded on this machine); install Julia >= 1.10 to run the ITensors backend",
)
def test_itensors_agrees_with_ed():
    model = TFIM(3)
    result = tfim_dmrg(model, "itensors", SHORT_SCHEDULE)
    assert_matches_ed(result, exact_ground_state(model))
