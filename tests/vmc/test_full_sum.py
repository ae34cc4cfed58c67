"""Exact evaluation by chunked full summation (sparse_nqs.vmc.full_sum) against independent sums:
NetKet's FullSumState and the Hamiltonian's sparse matrix, on small systems, dense and pruned networks;
and against the published toric-code tables (N = 18), which must carry these exact values."""

from __future__ import annotations

from pathlib import Path

import jax
import netket as nk
import numpy as np
import pandas as pd
import pytest

from sparse_nqs.analysis.fidelity import exact_fidelity, fidelity_path
from sparse_nqs.config.check import load_config, resolve_run
from sparse_nqs.networks import build_network
from sparse_nqs.physics.models import make_model
from sparse_nqs.pruning.checkpoint import load_checkpoint
from sparse_nqs.pruning.schedule import flatten, magnitude_prune, unflatten
from sparse_nqs.vmc import full_sum
from sparse_nqs.vmc.evaluation import evaluate, magnetisation_x

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "published" / "paper-subset" / "runs" / "fig4_alpha8"

SYSTEMS = [("tfim", 3, 3.04438, "open"), ("tfim", 3, 1.0, "periodic"), ("toric", 2, None, "periodic")]


def _state(model, kind="ffnn", seed=1, pruned=0):
    options = {"kind": "ffnn", "alpha": 2, "init_std": 0.3} if kind == "ffnn" else {"kind": "cnn", "n_filters": 2}
    network = build_network(options)
    variables = network.init(jax.random.key(seed), np.ones((1, model.N)))
    if pruned:  # a pruned network: masks with zeros
        variables = dict(variables)
        masks = magnitude_prune(flatten(variables["params"]), flatten(variables["masks"]), pruned)
        variables["masks"] = unflatten(masks)
    return network, variables


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: f"{s[0]}-L{s[1]}-{s[3]}")
@pytest.mark.parametrize("pruned", [0, 10])
def test_full_sum_equals_netket_full_sum_state_in_small_chunks(system, pruned):
    """Energy, variance, M_x, M_z and |M_z| in chunks of 64 configurations against FullSumState."""
    model = make_model(*system)
    network, variables = _state(model, pruned=pruned)
    got = full_sum.expectations(model, full_sum.StateVector.of(network, variables, model.N, chunk=64), chunk=64)
    state = nk.vqs.FullSumState(model.hilbert, network, variables=variables)
    stats = state.expect(model.hamiltonian)
    p = np.asarray(state.probability_distribution())
    m = np.asarray(model.hilbert.all_states()).sum(axis=1) / model.N
    expected = {"energy": float(stats.mean.real), "variance": float(stats.variance.real),
                "mx": float(state.expect(magnetisation_x(model.hilbert)).mean.real), "mz": float(p @ m),
                "abs_mz": float(p @ np.abs(m))}
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-10, abs=1e-12), key


def test_configurations_are_numbered_as_netket_numbers_them():
    hilbert = nk.hilbert.Spin(0.5, 7)
    np.testing.assert_array_equal(full_sum.configurations(0, 128, 7), np.asarray(hilbert.all_states()))
    np.testing.assert_array_equal(full_sum.configurations(40, 52, 7), np.asarray(hilbert.numbers_to_states(np.arange(40, 52))))


def test_exact_fidelity_is_the_normalised_overlap_and_one_for_a_state_with_itself():
    model = make_model("tfim", 3, 3.04438, "open")
    network, a = _state(model, seed=1)
    _, b = _state(model, seed=2)
    states = np.asarray(model.hilbert.all_states())
    psi, phi = np.exp(np.asarray(network.apply(a, states))), np.exp(np.asarray(network.apply(b, states)))
    assert exact_fidelity(model, network, a, b) == pytest.approx((psi @ phi) ** 2 / (psi @ psi) / (phi @ phi), rel=1e-12)
    assert exact_fidelity(model, network, a, a) == pytest.approx(1.0, abs=1e-14)


def test_the_memory_budget_decides_where_values_are_exact():
    assert full_sum.largest_exact_system(2048) == 26  # the default: N = 25 (5x5) included
    assert full_sum.fits(25, 2048) and not full_sum.fits(27, 2048) and not full_sum.fits(4, 0)
    model = make_model("tfim", 2, 3.04438, "open")
    network, variables = _state(model)
    with pytest.raises(full_sum.FullSumTooLargeError, match="exact_memory_mb"):
        full_sum.StateVector.of(network, variables, model.N, memory_mb=1e-6)
    kept = evaluate(model, network, variables, None, n_samples=64, exact_memory_mb=1)
    dropped = evaluate(model, network, variables, None, n_samples=64, exact_memory_mb=0)
    assert np.isfinite(kept["exact_energy"]) and np.isnan(dropped["exact_energy"])
    table = fidelity_path(model, network, [(-1, 10, variables), (0, 9, variables)], n_samples=64, exact_memory_mb=0)
    assert np.isnan(table["fidelity_exact"]).all()


# --------------------------------------------------------------------------------------------
# the published toric-code run: its exact columns against an independent enumeration
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def toric():
    settings = resolve_run(load_config(REPO / "workflow" / "presets" / "paper-subset.yaml"), "fig4_alpha8")
    model = make_model("toric", 3, None, "periodic")
    hamiltonian = model.hamiltonian.to_sparse().tocsr()  # NetKet's sparse matrix: not full_sum's block swaps
    return model, build_network(settings["network"]), hamiltonian, np.asarray(model.hilbert.all_states())


def _independent(toric, path):
    model, network, hamiltonian, states = toric
    psi = np.exp(np.asarray(network.apply(load_checkpoint(path).variables, states)))
    psi /= np.linalg.norm(psi)
    h_psi = hamiltonian @ psi
    energy = float(psi @ h_psi)
    return psi, energy, float(np.sum((h_psi - energy * psi) ** 2))


@pytest.mark.parametrize("state,row", [("pretrain/theta_wr.npz", ("imp_wr/history.csv", -1)),
                                       ("imp_wr/iter_003.npz", ("imp_wr/history.csv", 3)),
                                       ("imp_wr/iter_015.npz", ("imp_wr/history.csv", 15)),
                                       ("imp_wr/iter_020.npz", ("imp_wr/history.csv", 20)),
                                       ("tickets/init_imp_iter_015.npz", ("tickets/init_imp_iter_015.json", None))])
def test_published_toric_exact_energies_agree_with_an_independent_enumeration(toric, state, row):
    """The toric code's true errors are 1.5-5 decades above the Monte Carlo estimates once published
    (6.6e-5 for the dense network, not 6.7e-7): the tables must carry the exact ones."""
    _, energy, variance = _independent(toric, PUBLISHED / state)
    name, iteration = row
    if name.endswith(".json"):
        published = pd.read_json(PUBLISHED / name, typ="series")
    else:
        table = pd.read_csv(PUBLISHED / name)
        published = table[table.iteration == iteration].iloc[0]
    assert published["exact_energy"] == pytest.approx(energy, rel=1e-8)
    assert published["exact_eps_rel"] == pytest.approx(abs(energy + 18) / 18, rel=1e-6)
    assert published["exact_variance"] == pytest.approx(variance, rel=1e-6, abs=1e-12)


def test_published_toric_exact_fidelities_agree_with_an_independent_enumeration(toric):
    table = pd.read_csv(PUBLISHED / "imp_wr" / "fidelity.csv")
    for first in (3, 21):  # on the plateau (1 - F ~ 1e-6) and at the drop (F = 0.95)
        psi, _, _ = _independent(toric, PUBLISHED / "imp_wr" / f"iter_{first:03d}.npz")
        phi, _, _ = _independent(toric, PUBLISHED / "imp_wr" / f"iter_{first + 1:03d}.npz")
        published = table[table.iteration_from == first].iloc[0]
        assert 1 - published["fidelity_exact"] == pytest.approx(1 - (psi @ phi) ** 2, rel=1e-6)
