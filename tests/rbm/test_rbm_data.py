"""Measurement data of the open TFIM chain: the free-fermion energy, exact sampling, the source's
data statistics (docs/rbm.md, "Data")."""

import numpy as np
import pytest

from sparse_nqs.physics.exact import exact_ground_state, free_fermion_energy
from sparse_nqs.physics.models import ModelError, TFIMChain
from sparse_nqs.rbm import exact_samples, ground_state_distribution, magnetisation, z2_ratio


def test_the_free_fermion_energy_is_the_source_s_and_ed_s():
    # the source's N = 18 values
    assert free_fermion_energy(18, 1.0) == pytest.approx(-22.5620087248, abs=1e-9)
    assert free_fermion_energy(18, 2.0) == pytest.approx(-38.1560296744, abs=1e-9)
    for h in (0.5, 1.0, 2.0):  # against exact diagonalisation of the chain
        assert exact_ground_state(TFIMChain(10, h)).energy == pytest.approx(free_fermion_energy(10, h), abs=1e-9)


def test_the_chain_is_open_and_labelled_as_a_chain():
    chain = TFIMChain(6, 2.0)
    assert chain.N == 6 and chain.bonds == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    assert chain.label == "tfim_chain_N6_k2_open"
    with pytest.raises(ModelError, match="open ends"):
        TFIMChain(6, 1.0, "periodic")


@pytest.fixture(scope="module")
def critical_18():
    return ground_state_distribution(TFIMChain(18, 1.0))


def test_exact_data_at_the_critical_point_have_the_source_s_statistics(critical_18):
    """N = 18, h = 1: <|m|> = 0.5156 exactly; 1e5 samples reproduce it within their error, <m> ~ 0,
    a Z2 ratio ~ 1 and the m histogram's peaks near +-0.75 with mass at m = 0 (the source's Fig. 3)."""
    from sparse_nqs.rbm import all_visible

    m_exact = magnetisation(all_visible(18))
    assert critical_18 @ np.abs(m_exact) == pytest.approx(0.5156, abs=5e-5)
    samples = exact_samples(critical_18, 100_000, seed=1)
    assert samples.shape == (100_000, 18) and samples.dtype == np.uint8 and set(np.unique(samples)) == {0, 1}
    m = magnetisation(samples)
    error = np.std(np.abs(m)) / np.sqrt(len(m))
    assert abs(np.mean(np.abs(m)) - 0.5156) < 4 * error
    assert abs(np.mean(m)) < 4 * np.std(m) / np.sqrt(len(m))
    ratio, spread = z2_ratio(samples)  # the source: 0.98 +- 0.19
    assert abs(ratio - 1.0) < 0.1 and 0.1 < spread < 0.3
    # the histogram of m: peaks at |m| = 2/3 (next 7/9), a dip with mass at m = 0, as the source's
    # "+-0.75" peaks; the sampled one agrees with the exact one bin by bin (chi-squared, 18 dof)
    bins = np.arange(-9, 10)
    exact = np.bincount(np.rint(9 * m_exact).astype(int) + 9, weights=critical_18, minlength=19)
    assert set(bins[np.argsort(exact)[-2:]]) == {-6, 6} and abs(6 / 9 - 0.75) < 0.1
    assert 0 < exact[9] < exact[15]
    observed = np.bincount(np.rint(9 * m).astype(int) + 9, minlength=19)
    chi2 = np.sum((observed - len(m) * exact) ** 2 / (len(m) * exact))
    assert chi2 < 42.3  # the 99.9% quantile of chi-squared with 18 degrees of freedom


def test_exact_sampling_is_seeded_and_refuses_a_bad_distribution():
    p = np.full(8, 1 / 8)
    np.testing.assert_array_equal(exact_samples(p, 50, seed=3), exact_samples(p, 50, seed=3))
    from sparse_nqs.rbm.data import DataError

    with pytest.raises(DataError, match="2\\^N"):
        exact_samples(np.full(6, 1 / 6), 10, seed=0)


def test_data_and_evaluation_share_their_statistics_without_importing_each_other():
    """One home for the sample statistics, below both: rbm.statistics imports nothing of the package,
    and rbm.data and rbm.evaluation do not import each other."""
    import ast
    from pathlib import Path

    import sparse_nqs.rbm as rbm

    def imports(module: str) -> set[str]:
        tree = ast.parse((Path(rbm.__file__).parent / f"{module}.py").read_text())
        return {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}

    assert imports("statistics") == set()
    assert "evaluation" not in imports("data") and "data" not in imports("evaluation")
    assert "statistics" in imports("data") and "statistics" in imports("evaluation")
