"""Fidelity estimator against exact overlaps, reference choice, rho_c and scaling-region helpers."""

import jax
import numpy as np
import pandas as pd
import pytest

from sparse_nqs.analysis import (
    apply_reference,
    choose_reference,
    exact_fidelity,
    fidelity,
    fidelity_minimum,
    fidelity_path,
    scaling_regions,
)
from sparse_nqs.networks import build_network
from sparse_nqs.physics.models import TFIM


@pytest.fixture(scope="module")
def two_states():
    model = TFIM(3)
    network = build_network({"kind": "ffnn", "alpha": 1, "init_std": 0.25})
    psi = network.init(jax.random.key(0), np.ones((1, 9)))
    noise = 0.15 * jax.random.normal(jax.random.key(1), psi["params"]["kernel"].shape)
    phi = {"params": {"kernel": psi["params"]["kernel"] + noise}, "masks": psi["masks"]}
    return model, network, psi, phi


def test_fidelity_of_a_state_with_itself_is_one(two_states):
    model, network, psi, _ = two_states
    estimate = fidelity(model, network, psi, psi, n_samples=256)
    assert estimate.value == 1.0 and estimate.error == 0.0
    assert exact_fidelity(model, network, psi, psi) == pytest.approx(1.0, abs=1e-14)


def test_fidelity_estimator_agrees_with_exact_overlap(two_states):
    model, network, psi, phi = two_states
    exact = exact_fidelity(model, network, psi, phi)
    assert 0.3 < exact < 0.98  # a real test: clearly different states
    estimate = fidelity(model, network, psi, phi, n_samples=4096, seed=7)
    assert estimate.error < 0.05
    assert abs(estimate.value - exact) < 4 * estimate.error


def test_fidelity_exact_matches_a_brute_force_overlap(two_states):
    model, network, psi, phi = two_states
    states = np.asarray(model.hilbert.all_states())
    a = np.exp(np.asarray(network.apply(psi, states)))
    b = np.exp(np.asarray(network.apply(phi, states)))
    brute = (a @ b) ** 2 / ((a @ a) * (b @ b))
    assert exact_fidelity(model, network, psi, phi) == pytest.approx(brute, rel=1e-12)


def test_fidelity_path_table(two_states):
    model, network, psi, phi = two_states
    table = fidelity_path(model, network, [(-1, 81, psi), (0, 57, phi), (1, 40, phi)], n_samples=256)
    assert table.iteration_from.tolist() == [-1, 0] and table.iteration_to.tolist() == [0, 1]
    assert table.rho.tolist() == [9.0, 57 / 9]
    assert table.fidelity.iloc[1] == 1.0 and table.fidelity_exact.iloc[1] == pytest.approx(1.0)
    assert np.isfinite(table.fidelity_exact).all()


def test_fidelity_minimum_gives_rho_c():
    table = pd.DataFrame({"iteration_from": [-1, 0, 1, 2], "iteration_to": [0, 1, 2, 3], "n": [80, 60, 45, 30],
                          "rho": [5.0, 3.75, 2.8, 1.9], "fidelity": [0.99, 0.7, 0.95, 0.97]})
    assert fidelity_minimum(table) == {"rho_c": 3.75, "n_c": 60, "fidelity_min": 0.7, "iteration_from": 0}


def test_reference_choice_records_its_source():
    dense = pd.DataFrame({"run": ["a", "b", "c", "d"], "energy": [-50.80, -50.85, -50.83, -50.70],
                          "variance": [0.3, 0.1, 0.2, 0.05]})
    ref = choose_reference("nqs", dense_rows=dense, n_best=3)
    assert ref["energy"] == pytest.approx(np.mean([-50.85, -50.83, -50.70]))
    assert "(d,b,c)" in ref["source"]
    assert choose_reference("nqs", dense_rows=dense, n_best=3, combine="min")["energy"] == -50.85
    record = {"energy": -50.8581781, "method": "ed", "backend": "scipy"}
    ref = choose_reference("record", record=record)
    assert ref == {"energy": -50.8581781, "source": "ed:scipy"}
    table = pd.DataFrame({"energy": [-50.8, -49.0], "energy_error": [0.01, 0.02], "exact_energy": [-50.81, -49.1]})
    out = apply_reference(table, ref, 16)
    np.testing.assert_allclose(out.eps_rel, np.abs(np.array([-50.8, -49.0]) + 50.8581781) / 50.8581781)
    np.testing.assert_allclose(out.exact_delta_e_per_spin, np.abs(np.array([-50.81, -49.1]) + 50.8581781) / 16)
    assert (out.reference_source == "ed:scipy").all()
    with pytest.raises(ValueError, match="unknown reference kind"):
        choose_reference("dmrg-ish", record=record)


def test_scaling_regions_recover_known_kinks():
    n = np.round(1000 * 0.88 ** np.arange(40)).astype(int)
    x = np.log(n)
    # error: plateau 0.3 below n = 20, power law n^-1.5 between 20 and 300, plateau above 300
    log_err = np.log(0.3) - 1.5 * (np.clip(x, np.log(20), np.log(300)) - np.log(20))
    rng = np.random.default_rng(0)
    error = np.exp(log_err + 0.01 * rng.standard_normal(len(n)))
    regions = scaling_regions(n, error)
    assert 15 <= regions["n_hep_apl"] <= 27
    assert 230 <= regions["n_apl_lep"] <= 390
    assert regions["slopes"][0] == pytest.approx(0, abs=0.1)
    assert regions["slopes"][1] == pytest.approx(-1.5, abs=0.1)
    assert regions["slopes"][2] == pytest.approx(0, abs=0.1)
    two = scaling_regions(n[n < 300], error[n < 300], n_regions=2)
    assert 15 <= two["n_hep_apl"] <= 27
