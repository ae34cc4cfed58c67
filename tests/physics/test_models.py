"""Lattices and Hamiltonians of docs/science.md, "Systems", checked against independent constructions."""

import itertools
from functools import reduce

import netket as nk
import numpy as np
import pytest

from sparse_nqs.physics.models import (
    KAPPA_C,
    TFIM,
    ModelError,
    ToricCode,
    make_model,
    square_lattice_bonds,
    toric_h,
    toric_v,
)

PAULI_X = np.array([[0.0, 1.0], [1.0, 0.0]])
# NetKet's local basis is (+1, -1): Z is diag(1, -1) and site 0 is the most significant factor.
PAULI_Z = np.diag([1.0, -1.0])


def dense_pauli_product(N, ops: dict):
    """Kronecker product over N sites with the given single-site matrices (identity elsewhere)."""
    return reduce(np.kron, [ops.get(i, np.eye(2)) for i in range(N)])


@pytest.mark.parametrize(
    "L, boundary, n_bonds",
    [(4, "open", 24), (4, "periodic", 32), (3, "open", 12), (3, "periodic", 18), (2, "open", 4), (2, "periodic", 8)],
)
def test_bond_counts(L, boundary, n_bonds):
    assert len(square_lattice_bonds(L, boundary)) == n_bonds
    assert len(TFIM(L, boundary=boundary).bonds) == n_bonds


@pytest.mark.parametrize("L", [3, 4, 5])
@pytest.mark.parametrize("pbc", [False, True])
def test_bonds_match_netket_square_lattice(L, pbc):
    ours = {tuple(sorted(b)) for b in square_lattice_bonds(L, "periodic" if pbc else "open")}
    netket = {tuple(sorted(e)) for e in nk.graph.Square(L, pbc=pbc).edges()}
    assert ours == netket


def test_row_major_numbering():
    bonds = set(square_lattice_bonds(4, "open"))
    assert (0, 1) in bonds and (0, 4) in bonds  # right and down neighbours of site 0
    assert (3, 4) not in bonds  # end of row 0 is not joined to the start of row 1
    periodic = set(square_lattice_bonds(4, "periodic"))
    assert (3, 0) in periodic and (12, 0) in periodic


def test_two_by_two_periodic_doubles_every_bond():
    bonds = [tuple(sorted(b)) for b in square_lattice_bonds(2, "periodic")]
    assert sorted(bonds) == sorted([(0, 1), (2, 3), (0, 2), (1, 3)] * 2)


@pytest.mark.parametrize("L, boundary, kappa", [(2, "open", 0.7), (2, "periodic", KAPPA_C), (3, "open", 2.0)])
def test_tfim_hamiltonian_matches_kronecker_construction(L, boundary, kappa):
    model = TFIM(L, kappa, boundary)
    N = model.N
    H = sum(-dense_pauli_product(N, {i: PAULI_Z, j: PAULI_Z}) for i, j in square_lattice_bonds(L, boundary))
    H = H - kappa * sum(dense_pauli_product(N, {i: PAULI_X}) for i in range(N))
    np.testing.assert_allclose(model.hamiltonian.to_dense(), H, atol=1e-12)


def test_toric_edge_numbering_follows_spec():
    L = 3
    assert toric_h(2, 1, L) == 7 and toric_v(0, 2, L) == 11
    assert toric_h(-1, 0, L) == toric_h(2, 0, L) and toric_v(0, 3, L) == toric_v(0, 0, L)
    model = ToricCode(L)
    # star (0,0): h(0,0), h(-1,0), v(0,0), v(0,-1); plaquette (0,0): h(0,0), h(0,1), v(0,0), v(1,0)
    assert model.stars[0] == [0, 6, 9, 11]
    assert model.plaquettes[0] == [0, 1, 9, 12]


@pytest.mark.parametrize("L", [2, 3, 4, 5])
def test_toric_lattice_incidence(L):
    model = ToricCode(L)
    assert model.N == 2 * L * L
    for groups in (model.stars, model.plaquettes):
        assert len(groups) == L * L
        counts = np.bincount(np.concatenate(groups), minlength=model.N)
        assert np.all(counts == 2)  # every edge touches two vertices and borders two plaquettes
        for group in groups:
            assert len(set(group)) == 4
    # stars and plaquettes share an even number of edges, so they commute
    for star, plaq in itertools.product(model.stars, model.plaquettes):
        assert len(set(star) & set(plaq)) % 2 == 0


@pytest.mark.parametrize("L", [2, 3])
def test_toric_stars_and_plaquettes_commute_as_operators(L):
    model = ToricCode(L)
    stars = [model.star_operator(v).to_sparse() for v in range(L * L)]
    plaqs = [model.plaquette_operator(p).to_sparse() for p in range(L * L)]
    for A, B in itertools.product(stars, plaqs):
        assert abs(A @ B - B @ A).max() == 0
    # and they are the operators of docs/science.md, "Systems"
    if L == 2:
        N = model.N
        for v, star in enumerate(model.stars):
            np.testing.assert_array_equal(stars[v].toarray(), dense_pauli_product(N, {e: PAULI_X for e in star}))
        for p, plaq in enumerate(model.plaquettes):
            np.testing.assert_array_equal(plaqs[p].toarray(), dense_pauli_product(N, {e: PAULI_Z for e in plaq}))
        H = -sum(stars) - sum(plaqs)
        np.testing.assert_array_equal(model.hamiltonian.to_sparse().toarray(), H.toarray())


def test_star_flips_keep_plaquettes():
    model = ToricCode(3)
    rng = np.random.default_rng(1)
    configs = rng.choice([-1, 1], size=(50, model.N))
    before = model.plaquette_values(configs)
    for star in model.stars:
        flipped = configs.copy()
        flipped[:, star] *= -1
        np.testing.assert_array_equal(model.plaquette_values(flipped), before)


@pytest.mark.parametrize(
    "kwargs, key",
    [
        (dict(model="tfim", L=1), "L"),
        (dict(model="tfim", L=2.5), "L"),
        (dict(model="ising", L=3), "model"),
        (dict(model="tfim", L=3, kappa=float("nan")), "kappa"),
        (dict(model="tfim", L=3, kappa=float("inf")), "kappa"),
        (dict(model="tfim", L=3, boundary="twisted"), "boundary"),
        (dict(model="toric", L=3, kappa=1.0), "kappa"),
        (dict(model="toric", L=3, boundary="open"), "boundary"),
        (dict(model="toric", L=0), "L"),
    ],
)
def test_bad_model_arguments_name_the_argument(kwargs, key):
    with pytest.raises(ModelError, match=key):
        make_model(**kwargs)
