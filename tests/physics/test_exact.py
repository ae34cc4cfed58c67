"""Exact diagonalisation against published ground-state energies and closed forms."""

import netket as nk
import numpy as np
import pytest

from sparse_nqs.physics.exact import EDTooLargeError, exact_ground_state
from sparse_nqs.physics.models import TFIM, ToricCode
from sparse_nqs.physics.reference import toric_code_closed_form


@pytest.fixture(scope="module")
def tfim4():
    return exact_ground_state(TFIM(4))


def test_tfim_3x3_energy():
    # the literature quotes six decimals
    assert exact_ground_state(TFIM(3)).energy == pytest.approx(-28.455560, abs=5e-7)


def test_tfim_4x4_energy_and_magnetisation(tfim4):
    assert tfim4.energy == pytest.approx(-50.858178, abs=5e-7)
    assert tfim4.observables.mx == pytest.approx(0.94681, abs=5e-6)
    assert tfim4.degeneracy == 1 and tfim4.gap > 0.1
    assert tfim4.energy_variance < 1e-8


def test_tfim_ground_state_vector(tfim4):
    psi = tfim4.vector
    assert np.linalg.norm(psi) == pytest.approx(1.0, abs=1e-12)
    # Perron-Frobenius: the TFIM ground state is positive in the Z basis (docs/science.md, "Systems")
    assert np.all(psi > -1e-12)
    obs = tfim4.observables
    # Z2 symmetry: <Z_i> = 0; <Z_i Z_i> = 1; sum of C_zz / N^2 equals <M_z^2> >= <|M_z|>^2
    np.testing.assert_allclose(obs.mz_sites, 0.0, atol=1e-10)
    np.testing.assert_allclose(np.diag(obs.zz), 1.0)
    np.testing.assert_allclose(np.diag(obs.xx), 1.0)
    assert obs.zz_normalised_sum >= obs.abs_mz**2 - 1e-12


def test_observables_agree_with_netket_operators(tfim4):
    model = TFIM(4)
    hi = model.hilbert
    psi = tfim4.vector
    sx, sz = nk.operator.spin.sigmax, nk.operator.spin.sigmaz

    def expect(op):
        return psi @ (op.to_sparse() @ psi)

    for i in (0, 5, 15):
        assert tfim4.observables.mx_sites[i] == pytest.approx(expect(sx(hi, i)), abs=1e-12)
    for i, j in [(0, 1), (0, 15), (5, 10)]:
        assert tfim4.observables.zz[i, j] == pytest.approx(expect(sz(hi, i) @ sz(hi, j)), abs=1e-12)
        assert tfim4.observables.xx[i, j] == pytest.approx(expect(sx(hi, i) @ sx(hi, j)), abs=1e-12)
    # the energy is <H>
    assert expect(model.hamiltonian) == pytest.approx(tfim4.energy, abs=1e-9)


def test_tfim_periodic_2x2_closed_form():
    # The 2x2 torus has 8 bonds; at kappa = 0 the two ferromagnetic states have E0 = -8.
    gs = exact_ground_state(TFIM(2, kappa=0.0, boundary="periodic"))
    assert gs.energy == pytest.approx(-8.0, abs=1e-12)
    assert gs.degeneracy == 2
    assert gs.vector is None  # degenerate: no single ground-state vector
    assert gs.observables.abs_mz == pytest.approx(1.0, abs=1e-12)
    assert gs.observables.mz == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("L", [2, 3])
def test_toric_code_ground_space(L):
    model = ToricCode(L)
    gs = exact_ground_state(model)
    assert gs.energy == pytest.approx(-2 * L * L, abs=1e-9)
    assert gs.degeneracy == 4
    assert gs.gap == pytest.approx(4.0, abs=1e-8)
    assert gs.vector is None
    # every ground state lives on configurations that satisfy all plaquettes (B_p = +1)
    configs = np.asarray(model.hilbert.all_states())
    violated = np.any(model.plaquette_values(configs) < 0, axis=1)
    weight_on_violations = np.sum(gs.ground_space[violated] ** 2)
    assert weight_on_violations < 1e-16
    # the ground-space average equals the closed form
    closed = toric_code_closed_form(model)
    for name in ("mx_sites", "mz_sites", "zz", "xx"):
        np.testing.assert_allclose(getattr(gs.observables, name), getattr(closed, name), atol=1e-10)


def test_ed_refuses_systems_beyond_the_limit():
    with pytest.raises(EDTooLargeError, match="N <= 20"):
        exact_ground_state(TFIM(5), max_spins=20)
