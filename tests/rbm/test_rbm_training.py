"""The RBM and its contrastive-divergence training against exact enumeration (docs/rbm.md)."""

import jax
import jax.numpy as jnp
import netket as nk
import numpy as np
import pytest

from sparse_nqs.rbm import (
    CDSettings,
    PositiveRBM,
    all_visible,
    fidelity,
    free_energy,
    gibbs_steps,
    init_rbm,
    kl_divergence,
    likelihood_gradient,
    log_probabilities,
    train,
)
from sparse_nqs.rbm.training import RBMTrainingError


def random_rbm(N, n_hidden, seed, scale=1.0):
    """An RBM with random weights and biases of order ``scale`` (not a trivial distribution)."""
    variables = init_rbm(N, n_hidden, seed)
    keys = jax.random.split(jax.random.key(seed + 100), 3)
    params = variables["params"]
    return {**variables, "params": {
        "kernel": scale * jax.random.normal(keys[0], params["kernel"].shape, jnp.float64),
        "visible_bias": 0.5 * scale * jax.random.normal(keys[1], params["visible_bias"].shape, jnp.float64),
        "hidden_bias": 0.5 * scale * jax.random.normal(keys[2], params["hidden_bias"].shape, jnp.float64)}}


def test_the_module_is_half_the_free_energy_and_the_initialisation_is_qucumbers():
    variables = random_rbm(5, 3, seed=0)
    s = jnp.asarray(nk.hilbert.Spin(0.5, 5).all_states(), dtype=jnp.float64)
    log_psi = PositiveRBM(3).apply(variables, s)
    np.testing.assert_allclose(2 * log_psi, free_energy(variables, all_visible(5)), rtol=1e-13)
    fresh = init_rbm(18, 9, seed=1)
    kernel = np.asarray(fresh["params"]["kernel"])
    assert kernel.shape == (18, 9) and kernel.dtype == np.float64 and fresh["masks"]["kernel"].shape == (18, 9)
    assert abs(np.std(kernel) * np.sqrt(18) - 1) < 0.15  # Normal(0, 1) / sqrt(N), 162 draws
    assert not np.any(fresh["params"]["visible_bias"]) and not np.any(fresh["params"]["hidden_bias"])
    assert set(fresh) == {"params", "masks"} and set(fresh["masks"]) == {"kernel"}  # biases never masked


def exact_gradient(variables, target, N):
    """<grad(-E)>_q - <grad(-E)>_p by enumeration (the exact log-likelihood gradient of data ~ q)."""
    configs = jnp.asarray(all_visible(N))
    p = np.exp(log_probabilities(variables, N))

    def weighted(params, weights):
        return jnp.sum(jnp.asarray(weights) * free_energy({**variables, "params": params}, configs))

    grad = jax.grad(weighted)
    return jax.tree_util.tree_map(lambda a, b: a - b, grad(variables["params"], target),
                                  grad(variables["params"], p))


def test_the_cd_gradient_is_the_exact_log_likelihood_gradient_in_expectation():
    """N = 4: positive phase over data drawn from q, negative phase from Gibbs chains started in
    exact samples of p (p is stationary under Gibbs steps, so every k gives the exact expectation).
    Agreement within 4 Monte Carlo standard errors of each component."""
    N, M = 4, 200_000
    variables = random_rbm(N, 3, seed=2)
    rng = np.random.default_rng(0)
    target = rng.dirichlet(np.ones(2**N))
    configs = all_visible(N)
    data = configs[rng.choice(2**N, size=M, p=target)]
    p = np.exp(log_probabilities(variables, N))
    start = configs[rng.choice(2**N, size=M, p=p)]
    negative = gibbs_steps(variables, jnp.asarray(start), jax.random.key(1), k=3)
    estimate = likelihood_gradient(variables, jnp.asarray(data), negative)
    exact = exact_gradient(variables, target, N)

    def per_sample(v):  # grad(-E) of each sample, for the standard errors
        return jax.vmap(lambda x: jax.grad(lambda prm: free_energy({**variables, "params": prm}, x))(
            variables["params"]))(jnp.asarray(v))

    for name in ("kernel", "visible_bias", "hidden_bias"):
        sigma = np.sqrt(np.var(per_sample(data)[name], axis=0) / M + np.var(per_sample(negative)[name], axis=0) / M)
        assert np.all(np.abs(np.asarray(estimate[name]) - np.asarray(exact[name])) < 4 * sigma + 1e-12), name


def test_block_gibbs_samples_follow_the_exact_distribution():
    """N = 6: 4096 chains after 200 steps against p by enumeration, chi-squared over 64 states."""
    N = 6
    variables = random_rbm(N, 4, seed=3, scale=0.7)
    p = np.exp(log_probabilities(variables, N))
    chains = gibbs_steps(variables, jnp.zeros((4096, N)), jax.random.key(5), k=200)
    codes = np.asarray(chains, dtype=np.int64) @ (1 << np.arange(N - 1, -1, -1))
    index = (2**N - 1) - codes  # all_visible order: up (1) first
    observed = np.bincount(index, minlength=2**N)
    expected = len(index) * p
    chi2 = np.sum((observed - expected) ** 2 / expected)
    assert chi2 < 110.0  # the 99.97% quantile of chi-squared with 63 degrees of freedom


def test_training_lowers_the_kl_divergence_and_never_moves_a_masked_weight():
    N = 6
    target = np.exp(log_probabilities(random_rbm(N, 3, seed=4), N))  # a distribution an RBM can represent
    rng = np.random.default_rng(1)
    data = all_visible(N)[rng.choice(2**N, size=2000, p=target)]
    variables = init_rbm(N, 3, seed=6)
    mask = np.ones((N, 3))
    mask[::2, 1] = 0.0
    variables = {**variables, "masks": {"kernel": jnp.asarray(mask)}}
    before_kernel = np.asarray(variables["params"]["kernel"])
    kl_before = kl_divergence(target, log_probabilities(variables, N))
    for persistent in (False, True):
        settings = CDSettings(learning_rate=0.05, batch_size=50, k=5, persistent=persistent)
        trained = train(variables, data, epochs=30, settings=settings, seed=0)
        after = np.asarray(trained["params"]["kernel"])
        np.testing.assert_array_equal(after[mask == 0], before_kernel[mask == 0])
        assert np.any(after[mask == 1] != before_kernel[mask == 1])
        log_p = log_probabilities(trained, N)
        assert kl_divergence(target, log_p) < 0.5 * kl_before, persistent
        assert fidelity(target, log_p) > fidelity(target, log_probabilities(variables, N))


def test_exact_metrics_of_identical_distributions():
    variables = random_rbm(5, 2, seed=7)
    log_p = log_probabilities(variables, 5)
    assert kl_divergence(np.exp(log_p), log_p) == pytest.approx(0.0, abs=1e-12)
    assert fidelity(np.exp(log_p), log_p) == pytest.approx(1.0, abs=1e-12)
    assert np.exp(log_p).sum() == pytest.approx(1.0, abs=1e-12)


def test_bad_training_input_is_refused():
    variables = init_rbm(4, 2, seed=0)
    with pytest.raises(RBMTrainingError, match="visible units"):
        train(variables, np.zeros((100, 5)), 1, CDSettings(batch_size=10), seed=0)
    with pytest.raises(RBMTrainingError, match="cannot fill one batch"):
        train(variables, np.zeros((5, 4)), 1, CDSettings(batch_size=10), seed=0)
    with pytest.raises(RBMTrainingError, match="k must be >= 1"):
        CDSettings(k=0)
