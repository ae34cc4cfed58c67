"""Toric-code interpretability (docs/science.md, "Analysis"): neuron classification, coverage, the Fig. 4(d) table and
the odd-parity construction of Fig. 7 checked against exact enumeration and its closed form."""

import itertools

import numpy as np
import pytest

from sparse_nqs.analysis.toric import (
    ODD_PARITY_SIGNS,
    classify_neurons,
    coverage_table,
    edge_geometry,
    filter_coverage,
    neuron_weight_table,
    odd_parity_analytic,
    odd_parity_energy,
    odd_parity_network,
    odd_parity_scan,
    plaquette_amplitude_ratio,
)
from sparse_nqs.networks import count_unmasked
from sparse_nqs.physics.models import ToricCode

W_GRID = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0]


def _set(kernel, mask, neuron, edges, weights):
    kernel[edges, neuron] = weights
    mask[edges, neuron] = 1.0


@pytest.fixture
def handmade():
    """L = 3 (N = 18). Plaquette 0 = edges [0, 1, 9, 12], 1 = [1, 2, 10, 13], 4 = [4, 5, 13, 16]."""
    model = ToricCode(3)
    kernel, mask = np.zeros((18, 7)), np.zeros((18, 7))
    _set(kernel, mask, 0, [0, 1, 9, 12], [0.5, 0.4, -0.3, 0.2])   # odd (one negative) on plaquette 0
    kernel[5, 0] = 9.0                                            # masked: must be ignored
    _set(kernel, mask, 1, [4, 5, 13, 16], [-1.0, 2.0, -0.5, 1.0])  # even (two negative) on plaquette 4
    _set(kernel, mask, 2, [0, 1, 5], [0.1, 0.2, 0.3])              # edges of plaquettes 0 and 4: other
    _set(kernel, mask, 3, [2, 10], [0.3, -0.6])                   # partial, only plaquette 1
    _set(kernel, mask, 4, [13], [-0.2])                           # one edge: plaquettes 1 and 4
    kernel[3, 5] = 1.0                                            # neuron 5: nothing survives
    _set(kernel, mask, 6, [4, 5, 13, 16], [-1.0, -1.0, -1.0, 0.5])  # odd (three negative) on plaquette 4
    return model, kernel, mask


def test_classification_of_handmade_neurons(handmade):
    model, kernel, mask = handmade
    assert model.plaquettes[0] == [0, 1, 9, 12] and model.plaquettes[4] == [4, 5, 13, 16]
    table = classify_neurons(kernel, mask, model).set_index("neuron")
    assert list(table.index) == [0, 1, 2, 3, 4, 6]
    assert table["kind"].to_dict() == {0: "odd", 1: "even", 2: "other", 3: "partial", 4: "partial", 6: "odd"}
    assert table["plaquette"].to_dict() == {0: 0, 1: 4, 2: -1, 3: 1, 4: 1, 6: 4}
    assert table["n_candidates"].to_dict() == {0: 1, 1: 1, 2: 0, 3: 1, 4: 2, 6: 1}
    assert table["n_weights"].to_dict() == {0: 4, 1: 4, 2: 3, 3: 2, 4: 1, 6: 4}
    assert table.loc[0, "edges"] == (0, 1, 9, 12) and table.loc[0, "signs"] == "++-+"
    np.testing.assert_allclose(table.loc[0, "weights"], [1.0, 0.8, -0.6, 0.4])
    np.testing.assert_allclose(table.loc[1, "weights"], [-0.5, 1.0, -0.25, 0.5])
    assert table.loc[1, "n_negative"] == 2 and table.loc[6, "n_negative"] == 3


def test_two_edges_shared_by_two_plaquettes_on_the_2x2_torus():
    model = ToricCode(2)
    # neighbouring plaquettes 0 = [0, 1, 4, 6] and 1 = [1, 0, 5, 7] share edges 0 and 1
    kernel, mask = np.zeros((8, 1)), np.zeros((8, 1))
    _set(kernel, mask, 0, [0, 1], [1.0, -1.0])
    row = classify_neurons(kernel, mask, model).iloc[0]
    assert (row["kind"], row["plaquette"], row["n_candidates"]) == ("partial", 0, 2)


def test_coverage_of_the_handmade_kernel(handmade):
    model, kernel, mask = handmade
    assert filter_coverage(kernel, mask, model) == {
        "n_neurons": 6, "n_odd": 2, "n_even": 1, "n_partial": 2, "n_other": 1,
        "n_plaquettes": 9, "n_plaquettes_covered": 2, "coverage": 2 / 9, "n_plaquettes_complete": 0,
    }


def test_coverage_of_a_damaged_construction_and_the_per_iteration_table():
    model = ToricCode(3)
    _, variables = odd_parity_network(model, 1.0)
    kernel = np.array(variables["params"]["kernel"])
    mask = np.array(variables["masks"]["kernel"])
    full = filter_coverage(kernel, mask, model)
    assert (full["n_odd"], full["n_plaquettes_covered"], full["n_plaquettes_complete"]) == (72, 9, 9)

    damaged_kernel, damaged_mask = kernel.copy(), mask.copy()
    damaged_mask[:, 16:24] = 0                           # all 8 filters of plaquette 2 pruned
    damaged_mask[model.plaquettes[5][0], 40] = 0         # one filter of plaquette 5 loses an edge
    damaged_kernel[model.plaquettes[7][2], 57] *= -1     # one filter of plaquette 7 becomes even
    damaged = filter_coverage(damaged_kernel, damaged_mask, model)
    assert {k: damaged[k] for k in ("n_neurons", "n_odd", "n_even", "n_partial", "n_other",
                                    "n_plaquettes_covered", "n_plaquettes_complete")} == {
        "n_neurons": 64, "n_odd": 62, "n_even": 1, "n_partial": 1, "n_other": 0,
        "n_plaquettes_covered": 8, "n_plaquettes_complete": 6}

    table = coverage_table([(3, 500, damaged_kernel, damaged_mask), (0, 576, kernel, mask)], model)
    assert list(table["iteration"]) == [0, 3]
    assert list(table["rho"]) == [576 / 18, 500 / 18]
    assert list(table["n_plaquettes_covered"]) == [9, 8] and list(table["n_odd"]) == [72, 62]


def test_edge_geometry_follows_the_model_numbering():
    geometry = edge_geometry(ToricCode(3))
    assert geometry.loc[7, ["orientation", "lattice_x", "lattice_y", "x", "y"]].tolist() == \
        ["horizontal", 2, 1, 2.5, 1.0]                   # h(2, 1) = 2*3 + 1
    assert geometry.loc[11, ["orientation", "lattice_x", "lattice_y", "x", "y"]].tolist() == \
        ["vertical", 0, 2, 0.0, 2.5]                     # v(0, 2) = 9 + 0*3 + 2


def test_neuron_weight_table_of_a_boundary_plaquette():
    model = ToricCode(3)
    _, variables = odd_parity_network(model, 0.5)
    kernel, mask = variables["params"]["kernel"], variables["masks"]["kernel"]
    # plaquette 8 = (2, 2): edges h(2,2)=8, h(2,0)=6, v(2,2)=17, v(0,2)=11, centre (2.5, 2.5);
    # neuron 64 is its first filter, sign -1 on the first edge h(2,2)
    assert model.plaquettes[8] == [8, 6, 17, 11]
    table = neuron_weight_table(kernel, mask, model, neurons=[64])
    assert len(table) == 4 and list(table["edge"]) == [6, 8, 11, 17]
    rows = table.set_index("edge")
    assert rows.loc[8, ["orientation", "x", "y", "dx", "dy", "weight", "sign"]].tolist() == \
        ["horizontal", 2.5, 2.0, 0.0, -0.5, -1.0, -1]
    # h(2, 0) sits at y = 0, across the boundary: nearest image is above the centre
    assert rows.loc[6, ["x", "y", "dx", "dy", "sign"]].tolist() == [2.5, 0.0, 0.0, 0.5, 1]
    assert rows.loc[11, ["orientation", "x", "y", "dx", "dy"]].tolist() == ["vertical", 0.0, 2.5, 0.5, 0.0]
    assert rows.loc[17, ["x", "y", "dx", "dy"]].tolist() == [2.0, 2.5, -0.5, 0.0]
    assert set(table["kind"]) == {"odd"} and set(table["plaquette"]) == {8}


def test_neuron_weight_table_has_one_row_per_surviving_edge(handmade):
    model, kernel, mask = handmade
    table = neuron_weight_table(kernel, mask, model)
    assert len(table) == int(mask.sum()) == 18
    assert table.groupby("neuron").size().to_dict() == {0: 4, 1: 4, 2: 3, 3: 2, 4: 1, 6: 4}
    assert table[table["neuron"] == 2][["dx", "dy"]].isna().all().all()   # "other": no plaquette
    assert 5 not in set(table["neuron"])


# --------------------------------------------------------------------------------------------
# the odd-parity construction
# --------------------------------------------------------------------------------------------
def test_odd_parity_network_structure():
    assert ODD_PARITY_SIGNS.shape == (8, 4) and len({tuple(r) for r in ODD_PARITY_SIGNS}) == 8
    assert np.all(np.prod(ODD_PARITY_SIGNS, axis=1) == -1)
    model = ToricCode(3)
    network, variables = odd_parity_network(model, 0.7)
    assert network.alpha == 4 and variables["params"]["kernel"].shape == (18, 72)
    assert count_unmasked(variables["masks"]) == 32 * 9 == 16 * model.N      # rho = 16
    table = classify_neurons(variables["params"]["kernel"], variables["masks"]["kernel"], model)
    assert set(table["kind"]) == {"odd"} and list(table["plaquette"]) == [p for p in range(9) for _ in range(8)]


@pytest.mark.parametrize("L", [2, 3])
@pytest.mark.parametrize("W", [0.25, 0.5, 1.0, 2.0, -0.5])
def test_a_broken_plaquette_costs_exactly_4W(L, W):
    log_ratio = plaquette_amplitude_ratio(ToricCode(L), W, log=True)
    assert np.array_equal(log_ratio, np.full(L * L, -4.0 * abs(W)))         # dyadic W: exact
    np.testing.assert_allclose(plaquette_amplitude_ratio(ToricCode(L), W), np.exp(-4.0 * abs(W)), rtol=1e-14)


def test_log_amplitude_counts_satisfied_plaquettes():
    """log psi(s) = 4W (L^2 + n_satisfied(s)) on all 256 configurations of the 2x2 torus."""
    model, W = ToricCode(2), 0.3
    network, variables = odd_parity_network(model, W)
    configs = np.array(list(itertools.product([1.0, -1.0], repeat=8)))
    logpsi = np.asarray(network.apply(variables, configs))
    n_satisfied = np.sum(model.plaquette_values(configs) > 0, axis=1)
    np.testing.assert_allclose(logpsi, 4 * W * (4 + n_satisfied), rtol=0, atol=1e-13)
    # one spin flip breaks the two plaquettes sharing that edge: log-amplitude drops by 8W
    flipped = np.ones((8, 8)) - 2 * np.eye(8)
    drop = np.asarray(network.apply(variables, np.ones((1, 8)))) - np.asarray(network.apply(variables, flipped))
    np.testing.assert_allclose(drop, 8 * W, rtol=1e-14)


@pytest.mark.parametrize("L", [2, 3])
def test_energy_and_variance_approach_the_ground_state(L):
    scan = odd_parity_scan(L, W_GRID)
    e, v = scan["energy_per_spin"].to_numpy(), scan["variance_per_spin"].to_numpy()
    assert set(scan["method"]) == {"exact"}
    # W = 0 is the product state |+>^N: <A_v> = 1, <B_p> = 0, independent B_p = +-1
    assert e[0] == pytest.approx(-0.5, abs=1e-12) and v[0] == pytest.approx(0.5, abs=1e-12)
    assert np.all(np.diff(e) <= 1e-12) and np.all(np.diff(e)[:3] < -1e-3)
    assert np.all(np.diff(v) <= 1e-12) and np.all(np.diff(v)[:3] < -1e-3)
    assert abs(e[-1] + 1.0) < 1e-3 and abs(e[-2] + 1.0) < 1e-10 and v[-2] < 1e-11
    # exact enumeration agrees with the closed form P(k) ~ C(L^2, k) exp(-8Wk), k even
    np.testing.assert_allclose(e, scan["analytic_energy_per_spin"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(v, scan["analytic_variance_per_spin"], rtol=0, atol=1e-12)


def test_closed_form_matches_enumeration_off_the_grid_and_the_2x2_variance_bump():
    for W in (0.1, 0.15, 0.3):
        exact = odd_parity_energy(ToricCode(2), W)
        analytic = odd_parity_analytic(2, W)
        assert exact["method"] == "exact" and exact["n_samples"] == 0
        assert exact["energy_per_spin"] == pytest.approx(analytic["energy_per_spin"], abs=1e-12)
        assert exact["variance_per_spin"] == pytest.approx(analytic["variance_per_spin"], abs=1e-12)
    # on the 2x2 torus the variance first rises (k in {0, 2, 4}: weight moves off k = 4 first)
    assert odd_parity_analytic(2, 0.1)["variance_per_spin"] > odd_parity_analytic(2, 0.0)["variance_per_spin"]
    assert odd_parity_analytic(3, 0.1)["variance_per_spin"] < odd_parity_analytic(3, 0.0)["variance_per_spin"]


def test_sampled_energy_on_the_4x4_torus_agrees_with_the_closed_form():
    row = odd_parity_energy(ToricCode(4), 0.25, n_samples=2048, seed=1)
    assert row["method"] == "sampled" and row["n_samples"] == 2048 and row["energy_error"] > 0
    analytic = odd_parity_analytic(4, 0.25)
    assert abs(row["energy"] - analytic["energy"]) < 4 * row["energy_error"]
    assert row["variance_per_spin"] == pytest.approx(analytic["variance_per_spin"], rel=0.2)
    large = odd_parity_energy(ToricCode(4), 4.0, n_samples=2048, seed=1)   # same shapes: no recompilation
    assert large["energy_per_spin"] == -1.0 and large["variance"] == 0.0 and large["energy_error"] == 0.0
