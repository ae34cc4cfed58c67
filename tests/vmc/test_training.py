"""Samplers, VMC-SR training, checkpoints and frozen evaluation against exact numbers."""

from functools import partial

import jax
import jax.flatten_util
import jax.numpy as jnp
import netket as nk
import numpy as np
import pytest
from flax.traverse_util import flatten_dict, unflatten_dict
from scipy import stats

from sparse_nqs.networks import build_network
from sparse_nqs.physics.models import TFIM, ToricCode
from sparse_nqs.physics.reference import compute_reference
from sparse_nqs.pruning.checkpoint import load_checkpoint, save_checkpoint
from sparse_nqs.vmc import training as vmc
from sparse_nqs.vmc.evaluation import evaluate
from sparse_nqs.vmc.sampling import FlipMoveRule, SamplingSettings, make_vstate, set_masks
from sparse_nqs.vmc.training import TrainingDivergedError, train


def exact_distribution(vstate, model):
    logpsi = np.asarray(vstate.log_value(model.hilbert.all_states()))
    p = np.exp(2 * (logpsi - logpsi.max()))
    return p / p.sum()


@pytest.mark.parametrize(
    "model, network",
    [(TFIM(2), {"kind": "ffnn", "alpha": 1, "init_std": 0.6}),
     (ToricCode(2), {"kind": "ffnn", "alpha": 1, "init_std": 0.4})],
    ids=["tfim-local", "toric-local+star"],
)
def test_sampler_draws_from_psi_squared(model, network):
    """Chi-squared test of the sampled histogram against |psi|^2 (fixed seeds).

    One sample from each of 16384 chains after 100 sweeps: the samples are independent, as the
    test assumes (consecutive samples of one chain are autocorrelated and inflate chi^2).
    """
    sampling = SamplingSettings(n_samples=16384, n_chains=16384, n_discard_sweeps=100)
    vstate = make_vstate(model, build_network(network), sampling, init_seed=3, sampler_seed=4)
    samples = np.asarray(vstate.sample()).reshape(-1, model.N)
    counts = np.bincount(np.asarray(model.hilbert.states_to_numbers(samples)), minlength=model.hilbert.n_states)
    expected = exact_distribution(vstate, model) * len(samples)
    keep = expected > 5  # the usual validity condition of the chi-squared test
    # pool the rare states into one bin
    observed = np.append(counts[keep], counts[~keep].sum())
    expected = np.append(expected[keep], expected[~keep].sum())
    if expected[-1] == 0:
        observed, expected = observed[:-1], expected[:-1]
    _, p_value = stats.chisquare(observed, expected)
    assert p_value > 1e-3


def test_star_flips_keep_every_plaquette():
    model = ToricCode(3)
    rule = FlipMoveRule(model.N, model.stars, p_group=1.0)  # star flips only
    sigma = jnp.asarray(np.random.default_rng(0).choice([-1, 1], size=(64, model.N)).astype(np.int8))
    new, _ = rule.transition(None, None, None, None, jax.random.key(0), sigma)
    new = np.asarray(new)
    np.testing.assert_array_equal(model.plaquette_values(new), model.plaquette_values(np.asarray(sigma)))
    flipped = np.asarray(sigma) != new
    assert np.all(flipped.sum(axis=1) == 4)
    assert all(set(np.flatnonzero(row)) in [set(s) for s in model.stars] for row in flipped)


def test_mixed_moves_are_half_single_flips_half_star_flips():
    model = ToricCode(3)
    rule = FlipMoveRule(model.N, model.stars, p_group=0.5)
    moves = np.asarray(rule.draw_moves(jax.random.key(1), (20000,)))
    n_single = np.count_nonzero(moves < model.N)
    assert abs(n_single - 10000) < 4 * np.sqrt(20000 * 0.25)  # binomial, 4 sigma
    np.testing.assert_array_equal(np.unique(moves), np.arange(model.N + len(model.stars)))


def test_compiled_step_equals_netket_vmc_sr_driver():
    """One step of train() and one step of NetKet's VMC_SR driver from the same state: same samples,
    same energy estimate, same parameter update (both the parameter-space and the NTK solve)."""
    import optax

    model = TFIM(3)
    for alpha in (1, 4):  # 81 and 324 parameters
        for n_samples in (64, 512):  # fewer samples than parameters: NTK solve; more: parameter-space solve
            sampling = SamplingSettings(n_samples=n_samples, n_chains=16, n_discard_sweeps=5)
            network = build_network({"kind": "ffnn", "alpha": alpha})
            ours = make_vstate(model, network, sampling, init_seed=0, sampler_seed=1)
            theirs = make_vstate(model, network, sampling, init_seed=0, sampler_seed=1)
            log = train(ours, model, 1, 8e-3, 1e-4)
            driver = nk.driver.VMC_SR(model.hamiltonian, optax.sgd(8e-3), diag_shift=1e-4,
                                      variational_state=theirs)
            energies = []
            driver.run(1, out=(), show_progress=False,
                       callback=lambda step, data, drv: energies.append(float(data["Energy"].mean.real)) or True)
            assert log.energy[0] == pytest.approx(energies[0], rel=1e-12)
            start = make_vstate(model, network, sampling, init_seed=0, sampler_seed=1).parameters
            ours_delta, theirs_delta = (
                np.asarray(jax.flatten_util.ravel_pytree(state.parameters)[0] - jax.flatten_util.ravel_pytree(start)[0])
                for state in (ours, theirs))
            assert np.linalg.norm(ours_delta) > 1e-4
            np.testing.assert_allclose(ours_delta, theirs_delta, rtol=1e-7, atol=1e-12 * np.abs(theirs_delta).max())


@pytest.mark.parametrize("n_samples, n_parameters", [(1024, 600), (512, 800), (256, 300), (96, 40), (600, 1030)],
                         ids=["parameter-space-blocks", "ntk-blocks", "ntk-plain", "parameter-space-plain",
                              "ntk-not-divisible"])
def test_sr_direction_is_the_exact_regularised_solve(n_samples, n_parameters):
    """sr_direction (lower-triangle Gram, blocked from 512 on, NTK form for N_p > N_s) against the
    textbook update (S + lambda I)^-1 grad E with the full P x P matrix S, solved by NumPy."""
    rng = np.random.default_rng(n_samples + n_parameters)
    jacobian = rng.normal(0.3, 1.0, (n_samples, n_parameters)) * rng.uniform(0.1, 2.0, n_parameters)
    energies = rng.normal(-5.0, 0.7, n_samples)
    diag_shift = 1e-3
    O = (jacobian - jacobian.mean(axis=0)) / np.sqrt(n_samples)
    grad = O.T @ (2.0 * (energies - energies.mean()) / np.sqrt(n_samples))
    expected = np.linalg.solve(O.T @ O + diag_shift * np.eye(n_parameters), grad)
    ours = np.asarray(jax.jit(vmc.sr_direction)(jnp.asarray(jacobian), jnp.asarray(energies), diag_shift))
    np.testing.assert_allclose(ours, expected, rtol=1e-8, atol=1e-10 * np.abs(expected).max())


def test_blas_threads_are_limited_while_training_on_cpu(monkeypatch):
    """OpenBLAS's threads would compete with XLA's for the cores (SR's Cholesky is a LAPACK call):
    one BLAS thread inside training by default, no limit when asked."""
    from threadpoolctl import threadpool_info

    def blas_threads():
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    assert jax.default_backend() == "cpu" and blas_threads()
    with vmc._blas_threads():
        assert blas_threads() == {1}
    monkeypatch.setenv("SPARSE_NQS_BLAS_THREADS", "none")
    before = blas_threads()
    with vmc._blas_threads():
        assert blas_threads() == before
    monkeypatch.setenv("SPARSE_NQS_BLAS_THREADS", "two")
    with pytest.raises(ValueError, match="SPARSE_NQS_BLAS_THREADS"):
        with vmc._blas_threads():
            pass


def test_masked_weight_does_not_move_during_training():
    model = TFIM(3)
    vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": 1}), SamplingSettings(), 0, 1)
    masks = flatten_dict(vstate.model_state["masks"])
    key = ("kernel",)
    m = np.array(masks[key])
    m[:, :3] = 0.0
    masks[key] = jnp.asarray(m)
    set_masks(vstate, unflatten_dict(masks))
    before = np.array(vstate.parameters["kernel"])
    train(vstate, model, 20, 8e-3, 1e-4)
    after = np.array(vstate.parameters["kernel"])
    np.testing.assert_array_equal(after[:, :3], before[:, :3])
    assert np.abs(after[:, 3:] - before[:, 3:]).max() > 1e-4  # the others did train


@pytest.fixture(scope="module")
def trained_tfim():
    """Dense FFNN (alpha = 1) on the 3x3 TFIM at kappa_c, 300 SR steps at the paper's eta and lambda."""
    model = TFIM(3)
    network = build_network({"kind": "ffnn", "alpha": 1})
    vstate = make_vstate(model, network, SamplingSettings(), init_seed=0, sampler_seed=1)
    log = train(vstate, model, 300, 8e-3, 1e-4)
    reference, _ = compute_reference(model, "ed")
    return model, network, vstate, log, reference


def test_training_log_columns(trained_tfim):
    _, _, _, log, _ = trained_tfim
    assert list(log.columns) == vmc.LOG_COLUMNS
    assert list(log.step) == list(range(300))
    assert log.acceptance.between(0, 1).all() and (log.r_hat > 0.9).all()
    assert log.energy.iloc[-50:].mean() < log.energy.iloc[:10].mean()


def test_dense_ffnn_reaches_ed_accuracy_and_sampled_matches_exact(trained_tfim):
    model, network, vstate, _, reference = trained_tfim
    row = evaluate(model, network, vstate.variables, reference, n_samples=8192, seed=5)
    assert row["exact_eps_rel"] < 1e-3
    assert row["eps_rel"] < 1e-3
    # sampled and exact evaluation agree within 4 standard errors
    assert abs(row["energy"] - row["exact_energy"]) < 4 * row["energy_error"]
    assert abs(row["mx"] - row["exact_mx"]) < 4 * row["mx_error"]
    assert abs(row["abs_mz"] - row["exact_abs_mz"]) < 4 * row["abs_mz_error"]
    assert row["reference_source"] == "ed:scipy"
    assert row["variance_per_spin"] == pytest.approx(row["variance"] / 9)


def test_dense_ffnn_solves_the_small_toric_code():
    model = ToricCode(2)
    vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": 2}), SamplingSettings(), 0, 1)
    train(vstate, model, 300, 2e-2, 1e-3)
    row = evaluate(model, build_network({"kind": "ffnn", "alpha": 2}), vstate.variables, n_samples=4096)
    assert abs(row["exact_energy"] - (-8.0)) < 1e-2


def test_checkpoint_round_trip_is_exact(trained_tfim, tmp_path):
    model, network, vstate, _, _ = trained_tfim
    path = tmp_path / "ckpt.npz"
    meta = {"network": {"kind": "ffnn", "alpha": 1}, "step": 300, "seeds": {"init": 0, "sampler": 1}}
    save_checkpoint(path, vstate.parameters, vstate.model_state["masks"], meta)
    loaded = load_checkpoint(path)
    for a, b in zip(jax.tree_util.tree_leaves(vstate.variables), jax.tree_util.tree_leaves(loaded.variables)):
        assert np.asarray(a).dtype == np.asarray(b).dtype
        np.testing.assert_array_equal(a, b)
    x = model.hilbert.all_states()
    np.testing.assert_array_equal(network.apply(vstate.variables, x), network.apply(loaded.variables, x))
    assert loaded.metadata["step"] == 300 and loaded.metadata["seeds"]["sampler"] == 1
    assert loaded.metadata["versions"]["netket"] == nk.__version__


def test_nan_energy_stops_training():
    model = TFIM(2)
    vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": 1}), SamplingSettings(n_samples=64), 0, 1)
    vstate.parameters = jax.tree_util.tree_map(lambda w: w.at[0, 0].set(jnp.nan), vstate.parameters)
    with pytest.raises(TrainingDivergedError, match="diverged at step 0"):
        train(vstate, model, 5, 8e-3, 1e-4)


def test_nan_energy_stops_training_inside_a_multi_step_dispatch(monkeypatch):
    """With several steps per compiled call, a divergence at step 2 of a call of 4 still names step 2,
    reports the steps before it, and leaves the state as it was before the call."""
    monkeypatch.setenv("SPARSE_NQS_STEPS_PER_DISPATCH", "4")
    check = vmc._check_finite

    def diverging_at_step_2(energy, variance, bound, step, which=""):
        check(np.nan if step == 2 else energy, variance, bound, step, which)

    monkeypatch.setattr(vmc, "_check_finite", diverging_at_step_2)
    model = TFIM(2)
    vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": 1}), SamplingSettings(n_samples=64), 0, 1)
    before = np.asarray(vstate.parameters["kernel"]).copy()
    rows = []
    with pytest.raises(TrainingDivergedError, match="diverged at step 2"):
        train(vstate, model, 8, 8e-3, 1e-4, progress=lambda step, energy: rows.append(step))
    assert rows == [0, 1]
    np.testing.assert_array_equal(np.asarray(vstate.parameters["kernel"]), before)


def test_several_steps_per_dispatch_give_the_same_training(monkeypatch):
    """lax.scan over 4 steps per call (10 steps: calls of 4, 4 and 2) against one step per call, alone
    and batched: the same chains, energies and weights to rounding, and the rows numbered alike."""
    model = TFIM(3)
    results = []
    for per_call in ("1", "4"):
        monkeypatch.setenv("SPARSE_NQS_STEPS_PER_DISPATCH", per_call)
        alone = _masked_ffnn_state(model, 128, True, alpha=2)
        batch = [_masked_ffnn_state(model, 128, True, alpha=2, seed=s) for s in (1, 2)]
        results.append((train(alone, model, 10, 8e-3, 1e-3, first_step=7), alone,
                        vmc.train_batch(batch, model, 10, 8e-3, 1e-3), batch))
    (log_1, alone_1, logs_1, batch_1), (log_4, alone_4, logs_4, batch_4) = results
    assert list(log_4.step) == list(range(7, 17)) and list(logs_4[1].step) == list(range(10))
    for a, b in [(log_1, log_4)] + list(zip(logs_1, logs_4)):
        np.testing.assert_allclose(b.energy, a.energy, rtol=1e-10)
        np.testing.assert_array_equal(b.acceptance, a.acceptance)
    for a, b in [(alone_1, alone_4)] + list(zip(batch_1, batch_4)):
        np.testing.assert_array_equal(np.asarray(b.sampler_state.σ), np.asarray(a.sampler_state.σ))
        wa, wb = (np.asarray(jax.flatten_util.ravel_pytree(v.parameters)[0]) for v in (a, b))
        np.testing.assert_allclose(wb, wa, rtol=1e-9, atol=1e-12)


def test_exploding_energy_stops_training(monkeypatch):
    model = TFIM(2)
    monkeypatch.setattr(TFIM, "energy_bound", lambda model: 1.0)  # any real energy now "explodes"
    vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": 1}), SamplingSettings(n_samples=64), 0, 1)
    with pytest.raises(TrainingDivergedError, match="exploded"):
        train(vstate, model, 5, 8e-3, 1e-4)


def test_seeds_make_training_reproducible():
    model = TFIM(2)
    logs = []
    for _ in range(2):
        vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": 1}), SamplingSettings(n_samples=128), 4, 5)
        logs.append(train(vstate, model, 5, 8e-3, 1e-4).energy.to_numpy())
    np.testing.assert_array_equal(*logs)


def test_a_new_mask_recompiles_only_when_its_column_bucket_changes(monkeypatch):
    """81 weights: 76 and 75 survivors share the bucket of 80 columns (one compilation), 60 do not."""
    monkeypatch.setattr(vmc, "COLUMN_DROP_MIN_PARAMETERS", 0)  # a network this small keeps the dense solve
    model = TFIM(3)
    vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": 1}), SamplingSettings(n_samples=64), 0, 1)

    def masked(n_removed):
        masks = flatten_dict(vstate.model_state["masks"])
        masks[("kernel",)] = jnp.ones_like(masks[("kernel",)]).reshape(-1).at[:n_removed].set(0.0).reshape(9, 9)
        set_masks(vstate, unflatten_dict(masks))
        return vmc.surviving_columns(vstate.parameters, vstate.model_state["masks"])

    assert masked(5).size == masked(6).size == 80 and masked(21).size == 60
    vmc._vmc_sr_step.clear_cache()  # earlier tests may have compiled these shapes already
    masked(5)
    train(vstate, model, 1, 8e-3, 1e-4)
    assert vmc._vmc_sr_step._cache_size() == 1
    masked(6)
    train(vstate, model, 2, 8e-3, 1e-4)
    assert vmc._vmc_sr_step._cache_size() == 1
    masked(21)
    train(vstate, model, 1, 8e-3, 1e-4)
    assert vmc._vmc_sr_step._cache_size() == 2


def _ticket_like_states(model, network, sampling):
    """Three states of one architecture with different initial weights, masks and chains."""
    states = []
    for k in range(3):
        v = make_vstate(model, network, sampling, init_seed=10 + k, sampler_seed=20 + k)
        masks = flatten_dict(v.model_state["masks"])
        m = np.array(masks[("kernel",)])
        m.reshape(-1)[np.random.default_rng(k).choice(m.size, size=10 * (k + 1), replace=False)] = 0.0
        masks[("kernel",)] = jnp.asarray(m)
        set_masks(v, unflatten_dict(masks))
        states.append(v)
    return states


@pytest.mark.parametrize("n_samples", [64, 256])  # NTK solve (81 params > 64 samples) and parameter-space solve
def test_batched_training_equals_one_by_one(n_samples, monkeypatch):
    """train_batch (one vmapped program) gives the numbers of train() on each state alone: the same
    Markov chains and energies step by step, and the same final weights, to floating-point order.
    SR on the surviving weights is on (the batch pads every state to the largest column bucket)."""
    monkeypatch.setattr(vmc, "COLUMN_DROP_MIN_PARAMETERS", 0)
    model = TFIM(3)
    network = build_network({"kind": "ffnn", "alpha": 1})
    sampling = SamplingSettings(n_samples=n_samples, n_chains=16, n_discard_sweeps=5)
    alone = _ticket_like_states(model, network, sampling)
    logs_alone = [train(v, model, 15, 8e-3, 1e-4) for v in alone]
    batch = _ticket_like_states(model, network, sampling)
    logs_batch = vmc.train_batch(batch, model, 15, 8e-3, 1e-4, first_step=0)
    for a, b, la, lb in zip(alone, batch, logs_alone, logs_batch):
        np.testing.assert_allclose(lb.energy, la.energy, rtol=1e-10)
        np.testing.assert_allclose(lb.acceptance, la.acceptance, rtol=1e-12)
        np.testing.assert_array_equal(np.asarray(b.sampler_state.σ), np.asarray(a.sampler_state.σ))
        wa, wb = (np.asarray(jax.flatten_util.ravel_pytree(v.parameters)[0]) for v in (a, b))
        np.testing.assert_allclose(wb, wa, rtol=1e-9, atol=1e-12)
    # the masked weights stayed put in the batch too, and the states did differ
    assert not np.allclose(logs_batch[0].energy, logs_batch[1].energy)
    m = np.asarray(batch[2].model_state["masks"]["kernel"])
    w0 = np.asarray(_ticket_like_states(model, network, sampling)[2].parameters["kernel"])
    np.testing.assert_array_equal(np.asarray(batch[2].parameters["kernel"])[m == 0], w0[m == 0])


def _sparse_updates_wherever_possible(monkeypatch):
    """Sparse incremental updates at any width (by default only where they are faster)."""
    from sparse_nqs.vmc import incremental

    monkeypatch.setattr(incremental, "SAMPLER_SPARSE_MAX_FRACTION", 1.0)
    monkeypatch.setattr(incremental, "ENERGY_SPARSE_MAX_FRACTION", 1.0)
    monkeypatch.setattr(vmc, "COLUMN_DROP_MIN_PARAMETERS", 0)  # these networks are below the bound


def test_batched_sparse_tickets_equal_one_by_one(monkeypatch):
    """Tickets at 10 % density train with the sparse incremental sampler (one flip_columns table per
    state, padded to a common width) batched as alone: same chains, energies and weights."""
    model = TFIM(3)
    _sparse_updates_wherever_possible(monkeypatch)
    alone = [_masked_ffnn_state(model, 128, True, alpha=8, seed=s, density=0.1) for s in (1, 2)]
    flips = vmc._flip_columns(alone, model)
    assert flips["moves"].shape[0] == flips["groups"].shape[0] == 2
    logs_alone = [train(v, model, 5, 8e-3, 1e-3) for v in alone]
    batch = [_masked_ffnn_state(model, 128, True, alpha=8, seed=s, density=0.1) for s in (1, 2)]
    logs_batch = vmc.train_batch(batch, model, 5, 8e-3, 1e-3)
    for a, b, la, lb in zip(alone, batch, logs_alone, logs_batch):
        np.testing.assert_allclose(lb.energy, la.energy, rtol=1e-10)
        np.testing.assert_array_equal(lb.acceptance, la.acceptance)
        np.testing.assert_array_equal(np.asarray(b.sampler_state.σ), np.asarray(a.sampler_state.σ))
        wa, wb = (np.asarray(jax.flatten_util.ravel_pytree(v.parameters)[0]) for v in (a, b))
        np.testing.assert_allclose(wb, wa, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("n_samples", [32, 256], ids=["ntk-form", "parameter-form"])
@pytest.mark.parametrize("network", [{"kind": "ffnn", "alpha": 2}, {"kind": "cnn", "n_filters": 4},
                                     {"kind": "rescnn", "n_filters": 2, "n_blocks": 1}], ids=lambda n: n["kind"])
def test_sr_on_the_surviving_weights_is_the_same_update(network, n_samples, monkeypatch):
    """One compiled step with SR restricted to the surviving weights (padded to a bucket) against the
    generic step over every weight, same samples: the updates agree to 1e-10 at densities 1, 0.3 and
    0.03, whichever side (parameters or samples) each form solves on."""
    monkeypatch.setattr(vmc, "COLUMN_DROP_MIN_PARAMETERS", 0)  # these networks are below the threshold
    model = TFIM(4)
    vstate = make_vstate(model, build_network(network), SamplingSettings(n_samples=n_samples), 0, 1)
    step = partial(vmc._vmc_sr_step, **vmc.step_options(vstate, model))  # the FFNN's closed forms
    operator = model.hamiltonian.to_jax_operator()
    rng = np.random.default_rng(7)
    flat_params = jax.flatten_util.ravel_pytree(vstate.parameters)[0]
    for density in (1.0, 0.3, 0.03):
        masks = flatten_dict(vstate.model_state["masks"])
        for path, mask in masks.items():
            if "embedding" not in path:
                keep = rng.random(mask.shape) < density
                keep.flat[rng.integers(keep.size)] = True
                masks[path] = jnp.asarray(keep, dtype=mask.dtype)
        set_masks(vstate, unflatten_dict(masks))
        columns = vmc.surviving_columns(vstate.parameters, vstate.model_state["masks"])
        assert (columns is None) == (density == 1.0)
        updates = []
        for cols in (None, columns):
            params, _, _ = step(vstate.sampler, operator, vstate.parameters, vstate.model_state, vstate.sampler_state,
                                1.0, 1e-3, None if cols is None else jnp.asarray(cols))
            updates.append(np.asarray(flat_params - jax.flatten_util.ravel_pytree(params)[0]))
        generic, surviving = updates
        # norm-wise relative difference: both are float64 solves of the same system, one with zero
        # rows and columns dropped, so they differ by summation order amplified by the condition
        # number: lambda = 1e-3 keeps eps * cond below 1e-11 here (at 1e-4 the ResCNN's 32 x 32 NTK
        # matrix has cond 3.5e5, and the two agree to 1.4e-10, twice eps * cond)
        assert np.linalg.norm(generic) > 0
        assert np.linalg.norm(surviving - generic) <= 1e-10 * np.linalg.norm(generic), (
            density, np.linalg.norm(surviving - generic) / np.linalg.norm(generic))
        dead = ~vmc.alive_flags(vstate.parameters, vstate.model_state["masks"])
        assert not surviving[dead].any()  # masked weights do not move


def test_ffnn_log_derivatives_in_closed_form_equal_the_backward_pass():
    """x_i step(theta_h) M_ih equals the per-sample gradient, bit for bit, masked weights included."""
    from sparse_nqs.networks import ffnn_log_derivatives

    model = TFIM(3)
    vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": 2}), SamplingSettings(n_samples=64), 0, 1)
    kernel = vstate.model_state["masks"]["kernel"]
    set_masks(vstate, {"kernel": jnp.asarray(np.random.default_rng(3).random(kernel.shape) < 0.3, kernel.dtype)})
    x = vstate.samples.reshape(-1, model.N)
    flat, unravel = jax.flatten_util.ravel_pytree(vstate.parameters)
    generic = jax.vmap(jax.grad(lambda f, xi: vstate._apply_fun({"params": unravel(f), **vstate.model_state}, xi)),
                       in_axes=(None, 0))(flat, x)
    every = jnp.arange(flat.size)  # masked weights included: their derivative is zero in both
    closed = ffnn_log_derivatives(vstate.variables, x, every)
    np.testing.assert_array_equal(np.asarray(closed), np.asarray(generic))
    dead = ~vmc.alive_flags(vstate.parameters, vstate.model_state["masks"])
    assert dead.sum() > 100 and not np.asarray(closed)[:, dead].any()


def _masked_ffnn_state(model, n_samples, incremental_amplitudes, alpha=2, seed=5, density=0.5):
    vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": alpha}), SamplingSettings(n_samples=n_samples),
                         3, 4, incremental_amplitudes=incremental_amplitudes)
    kernel = vstate.model_state["masks"]["kernel"]
    set_masks(vstate, {"kernel": jnp.asarray(np.random.default_rng(seed).random(kernel.shape) < density, kernel.dtype)})
    return vstate


@pytest.mark.parametrize("model", [TFIM(3), TFIM(2, boundary="periodic"), ToricCode(2), ToricCode(3)],
                         ids=["tfim-open", "tfim-periodic-L2", "toric-L2", "toric-L3"])
def test_incremental_ffnn_amplitudes_give_the_same_chain_and_local_energies(model):
    """Pre-activations updated per proposal (single or star flips) and per connected configuration:
    the same samples and acceptances as full forward passes, log-probabilities and local energies to 1e-12."""
    fast, generic = (_masked_ffnn_state(model, 256, flag) for flag in (True, False))
    _check_dense_incremental_chain_and_energies(model, fast, generic)


def _check_dense_incremental_chain_and_energies(model, fast, generic):
    from sparse_nqs.vmc import incremental

    assert type(fast.sampler).__name__ == "FastMetropolisSampler" and not type(generic.sampler).incremental
    for _ in range(3):  # the chains continue from one call to the next
        np.testing.assert_array_equal(np.asarray(fast.sample()), np.asarray(generic.sample()))
    a, b = fast.sampler_state, generic.sampler_state
    assert int(a.n_accepted_proc.sum()) == int(b.n_accepted_proc.sum()) > 0
    np.testing.assert_allclose(np.asarray(a.log_prob), np.asarray(b.log_prob), rtol=0, atol=1e-12)
    x = fast.samples.reshape(-1, model.N)
    energies = incremental.FlipHamiltonian.of(model).local_energies(incremental.one_layer_form(fast.model),
                                                                     fast.variables, x)
    reference = vmc.local_energies(model.hamiltonian.to_jax_operator(), fast._apply_fun, fast.variables, x)
    np.testing.assert_allclose(np.asarray(energies), np.asarray(reference), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("model, density", [(TFIM(3), 0.1), (ToricCode(3), 0.03)], ids=["tfim", "toric-stars"])
def test_sparse_incremental_sampler_gives_the_same_chain(model, density):
    """At 10 % (toric code with star moves: 3 %) density a move reaches a few hidden units: the sampler updates only those (a
    flip_columns table) and gives the same samples and acceptances as full forward passes, and
    log-probabilities to 1e-12, over several calls; the local energies from the same kind of table
    agree with NetKet's to 1e-12."""
    fast, generic = (_masked_ffnn_state(model, 256, flag, alpha=8, density=density) for flag in (True, False))
    _check_sparse_incremental_chain_and_energies(model, fast, generic)


def _check_sparse_incremental_chain_and_energies(model, fast, generic):
    from sparse_nqs.vmc import incremental

    pattern = incremental.one_layer_form(fast.model).pattern(fast.model_state["masks"], model.N)
    table = incremental.flip_columns(np.asarray(fast.sampler.rule.sites), pattern)
    n_hidden = pattern.shape[1]
    assert table is not None and table.shape[1] < n_hidden and (table == n_hidden).any()  # padded
    chain_variables = {**fast.variables, incremental.FLIP_COLUMNS: {"table": jnp.asarray(table)}}
    states = [fast.sampler.reset(fast._sampler_model, chain_variables, fast.sampler_state),
              generic.sampler.reset(generic._sampler_model, generic.variables, generic.sampler_state)]
    for _ in range(3):
        (x_fast, lp_fast), states[0] = fast.sampler.sample(fast._sampler_model, chain_variables, state=states[0],
                                                            chain_length=8, return_log_probabilities=True)
        (x_gen, lp_gen), states[1] = generic.sampler.sample(generic._sampler_model, generic.variables,
                                                             state=states[1], chain_length=8,
                                                             return_log_probabilities=True)
        np.testing.assert_array_equal(np.asarray(x_fast), np.asarray(x_gen))
        np.testing.assert_allclose(np.asarray(lp_fast), np.asarray(lp_gen), rtol=0, atol=1e-12)
    assert int(states[0].n_accepted_proc.sum()) == int(states[1].n_accepted_proc.sum()) > 0
    np.testing.assert_allclose(np.asarray(states[0].log_prob), np.asarray(states[1].log_prob), rtol=0, atol=1e-12)
    # local energies from the hidden units each Hamiltonian flip group reaches
    hamiltonian = incremental.FlipHamiltonian.of(model)
    groups = incremental.flip_columns(hamiltonian.site_table(model.N), pattern)
    assert groups is not None
    x = x_fast.reshape(-1, model.N)
    sparse = hamiltonian.local_energies(incremental.one_layer_form(fast.model), fast.variables, x, jnp.asarray(groups))
    reference = vmc.local_energies(model.hamiltonian.to_jax_operator(), fast._apply_fun, fast.variables, x)
    np.testing.assert_allclose(np.asarray(sparse), np.asarray(reference), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding", ["valid", "circular"])  # "same" pads like "valid" after a zero pad
def test_incremental_cnn_amplitudes_give_the_same_chain_and_local_energies(padding):
    """The CNN as theta = s W (W: the masked convolution as a matrix) with GELU: the same chains and
    acceptances as its convolution, log-probabilities and local energies to 1e-12, with the dense
    update and with the sparse one (a site reaches the 3x3 windows around it)."""
    model = TFIM(6)

    def state(incremental_amplitudes):
        network = build_network({"kind": "cnn", "n_filters": 3, "padding": padding})
        v = make_vstate(model, network, SamplingSettings(n_samples=128), 3, 4,
                        incremental_amplitudes=incremental_amplitudes)
        kernel = v.model_state["masks"]["conv"]["kernel"]
        keep = np.random.default_rng(5).random(kernel.shape) < 0.5
        set_masks(v, {"conv": {"kernel": jnp.asarray(keep, kernel.dtype)}})
        return v

    _check_dense_incremental_chain_and_energies(model, state(True), state(False))
    _check_sparse_incremental_chain_and_energies(model, state(True), state(False))


@pytest.mark.parametrize("density", [0.5, 0.1], ids=["dense-update", "sparse-update"])
def test_fast_training_step_equals_the_generic_one(monkeypatch, density):
    """A few training steps with every fast path (surviving columns, closed-form log-derivatives,
    incremental sampler, sparse at 10 %, and local energies) against the generic step: same
    energies and weights."""
    monkeypatch.setattr(vmc, "COLUMN_DROP_MIN_PARAMETERS", 0)
    model = TFIM(3)
    if density < 0.5:
        _sparse_updates_wherever_possible(monkeypatch)
    fast, generic = (_masked_ffnn_state(model, 128, flag, alpha=8, density=density) for flag in (True, False))
    flips = vmc._flip_columns([fast], model)
    assert (flips["moves"] is None) == (flips["groups"] is None) == (density == 0.5)
    log_fast = train(fast, model, 5, 8e-3, 1e-3)
    log_generic = train(generic, model, 5, 8e-3, 1e-3, fast=False)
    np.testing.assert_allclose(log_fast.energy, log_generic.energy, rtol=1e-10)
    np.testing.assert_array_equal(log_fast.acceptance, log_generic.acceptance)
    wf, wg = (np.asarray(jax.flatten_util.ravel_pytree(v.parameters)[0]) for v in (fast, generic))
    np.testing.assert_allclose(wf, wg, rtol=1e-9, atol=1e-12)
