"""The RBM family on the shared pruning engine (docs/rbm.md): pruning counts, rewinding against
fine-tuning, resume, tickets and the cluster mask, the sampled metrics against exact values, the data
files and the command line."""

import copy
import json

import jax
import netket as nk
import numpy as np
import pytest

from sparse_nqs.cli import main
from sparse_nqs.config.check import resolve_rbm_run
from sparse_nqs.families import make_run
from sparse_nqs.physics.models import TFIMChain
from sparse_nqs.pruning.checkpoint import load_checkpoint
from sparse_nqs.pruning.experiment import pretrain, prune, ticket_variables, train_tickets
from sparse_nqs.rbm import PositiveRBM, init_rbm, log_probabilities
from sparse_nqs.rbm.data import DataError, ground_state_distribution, load_samples, write_data
from sparse_nqs.rbm.evaluation import ROE_C, draw_samples, empirical_distribution, roe, sampled_metrics
from sparse_nqs.rbm.masks import MaskConstructionError, cluster_mask
from sparse_nqs.rbm.model import is_connected, rbm_weights
from sparse_nqs.rbm.run import RBMRun, data_system
from sparse_nqs.rbm.statistics import correlations, histogram, sample_statistics
from sparse_nqs.vmc.training import TrainingDivergedError

SMALL = {"rbm": {
    "data": {"n_samples": 4000, "seed": 0},
    "runs": {"chain": {
        "model": {"N": 6, "h": 1.0},
        "pruning": {"methods": ["imp_ct", "imp_wr"], "iterations": 3, "pretrain_steps": 6, "steps_per_iteration": 2,
                    "checkpoint_every": 2},
        "evaluation": {"n_samples": 4000, "n_chains": 200, "burn_in": 20, "thin": 2, "log_every": 2,
                       "log_samples": 400},
        "tickets": {"iterations": [1], "steps": 4, "variants": ["init_imp", "rand_imp", "cluster", "init_rand"]}}}}}


@pytest.fixture(scope="module")
def settings():
    return resolve_rbm_run(copy.deepcopy(SMALL), "chain")


@pytest.fixture(scope="module")
def data(tmp_path_factory, settings):
    """The chain's data files, as the workflow's rbm_data rule writes them."""
    folder = tmp_path_factory.mktemp("data")
    npz = folder / f"{data_system(settings)}.npz"
    record = write_data(npz, npz.with_suffix(".json"), TFIMChain(L=6, kappa=1.0), 4000, 0)
    return npz, record


def new_run(settings, data, directory) -> RBMRun:
    run = make_run(settings, directory, data=data[0])
    assert isinstance(run, RBMRun)
    return run


@pytest.fixture(scope="module")
def pruned(tmp_path_factory, settings, data):
    """A run pre-trained and pruned by IMP-CT and IMP-WR."""
    run = new_run(settings, data, tmp_path_factory.mktemp("run"))
    pretrain(run, data[1])
    histories = {m: prune(run, m, data[1]) for m in ("imp_ct", "imp_wr")}
    return run, histories


# --------------------------------------------------------------------------------------------
# the engine's pruning path
# --------------------------------------------------------------------------------------------
def test_each_round_removes_ten_percent_of_the_remaining_weights_and_masked_weights_stay_zero(pruned):
    run, histories = pruned
    assert run.counts == {"n_init": 18, "pool": 18, "fixed": 0}  # 6 x 3 weights; biases are not counted
    for method, history in histories.items():
        assert history.n.tolist() == run.n_sequence == [18, 16, 14, 13]
        for i in range(3):
            ckpt = load_checkpoint(run.path(f"{method}/iter_{i:03d}.npz"))
            mask = np.asarray(ckpt.masks["kernel"])
            assert int(mask.sum()) == history.n.iloc[i + 1]
            assert np.all(np.asarray(rbm_weights(ckpt.variables))[mask == 0] == 0)


def test_rewinding_and_fine_tuning_share_the_first_round_and_then_differ(pruned):
    """Round 0 of IMP-WR and IMP-CT both prune theta_wr and train it with the same streams: the same
    numbers. From round 1 IMP-CT continues from the trained weights, IMP-WR from theta_wr again."""
    run, histories = pruned
    ct, wr = histories["imp_ct"], histories["imp_wr"]
    assert ct.kl_exact.iloc[1] == wr.kl_exact.iloc[1]
    assert ct.kl_exact.iloc[2] != wr.kl_exact.iloc[2]
    theta_wr = load_checkpoint(run.path("pretrain/theta_wr.npz"))
    round1 = load_checkpoint(run.path("imp_wr/iter_001.npz"))
    # IMP-WR's round-1 weights were trained from theta_wr's: the masked entries still hold theta_wr's
    # values untouched? no - masked entries keep the rewound values, so they equal theta_wr's exactly
    masked = np.asarray(round1.masks["kernel"]) == 0
    np.testing.assert_array_equal(np.asarray(round1.params["kernel"])[masked],
                                  np.asarray(theta_wr.params["kernel"])[masked])


def test_the_evaluation_rows_hold_the_exact_and_sampled_metrics(pruned, data):
    run, histories = pruned
    row = histories["imp_ct"].iloc[-1]
    for column in ("kl_exact", "kl_data", "infidelity", "eroe", "mroe", "c_mse", "energy", "abs_mz"):
        assert np.isfinite(row[column]), column
    assert row.reference_energy == data[1]["energy"]
    assert 0 < row.infidelity < 1 and row.kl_exact > 0
    assert sum(row[f"hist_{k}"] for k in range(7)) == pytest.approx(1)


def test_an_interrupted_pretraining_resumes_to_the_same_weights(tmp_path, settings, data, monkeypatch):
    whole = new_run(settings, data, tmp_path / "whole")
    pretrain(whole, data[1])
    calls = []
    real = RBMRun.train

    def interrupted(self, state, n_steps, first_step, progress=None):
        calls.append(first_step)
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated kill after the first checkpoint")
        return real(self, state, n_steps, first_step, progress)

    monkeypatch.setattr(RBMRun, "train", interrupted)
    killed = new_run(settings, data, tmp_path / "killed")
    with pytest.raises(KeyboardInterrupt):
        pretrain(killed, data[1])
    monkeypatch.setattr(RBMRun, "train", real)
    assert (tmp_path / "killed/pretrain/partial.npz").exists()
    pretrain(new_run(settings, data, tmp_path / "killed"), data[1])
    a = load_checkpoint(tmp_path / "whole/pretrain/theta_wr.npz")
    b = load_checkpoint(tmp_path / "killed/pretrain/theta_wr.npz")
    assert a.content_id == b.content_id


def test_new_data_are_never_paired_with_an_rbm_trained_on_the_old(tmp_path, settings, data):
    """The checkpoints' fingerprint holds the samples' hash: data re-made differently retrain."""
    run = new_run(settings, data, tmp_path / "run")
    before = run.fingerprint("pretrain")
    other = tmp_path / "other.npz"
    write_data(other, other.with_suffix(".json"), TFIMChain(L=6, kappa=1.0), 4000, seed=1)
    assert new_run(settings, (other, None), tmp_path / "run").fingerprint("pretrain") != before


def test_a_diverging_rbm_stops_with_a_message(tmp_path, settings, data):
    run = new_run(settings, data, tmp_path / "wild")
    variables = init_rbm(6, 3, seed=0)
    variables["params"]["kernel"] = variables["params"]["kernel"].at[0, 0].set(np.nan)
    with pytest.raises(TrainingDivergedError, match="no longer finite after epoch 2"):
        run.train(run.new_state(variables, 0), 2, 0)


# --------------------------------------------------------------------------------------------
# sparse RBMs trained from the start
# --------------------------------------------------------------------------------------------
def test_the_tickets_start_from_their_weights_and_masks(pruned, data):
    run, _ = pruned
    init = load_checkpoint(run.path("pretrain/theta_init.npz"))
    mask = np.asarray(load_checkpoint(run.path("imp_ct/iter_001.npz")).masks["kernel"])
    ss = ticket_variables(run, "init_imp", 1)
    os_ = ticket_variables(run, "rand_imp", 1)
    random = ticket_variables(run, "init_rand", 1)
    cluster = ticket_variables(run, "cluster", 1)
    np.testing.assert_array_equal(ss["params"]["kernel"], init.params["kernel"])
    np.testing.assert_array_equal(ss["masks"]["kernel"], mask)  # the IMP-CT mask (the source's)
    assert not np.allclose(os_["params"]["kernel"], init.params["kernel"])
    np.testing.assert_array_equal(os_["masks"]["kernel"], mask)
    assert np.asarray(random["masks"]["kernel"]).sum() == mask.sum()
    assert not np.array_equal(random["masks"]["kernel"], mask)
    assert is_connected(cluster["masks"]["kernel"])
    rows = train_tickets(run, [(v, 1) for v in ("init_imp", "rand_imp", "cluster", "init_rand")], data[1])
    assert [r["n"] for r in rows][:2] == [14, 14] and all(np.isfinite(r["kl_exact"]) for r in rows)


def test_the_cluster_mask_connects_each_hidden_unit_to_adjacent_spins():
    mask = cluster_mask(18, 9, 97)  # the source's 60 % of 162
    size = 11  # round(97 / 9)
    for j in range(9):
        column = np.flatnonzero(mask[:, j])
        assert len(column) == size and np.all(np.diff(column) == 1)
    assert mask[0, 0] == 1 and mask[-1, -1] == 1 and is_connected(mask)
    assert cluster_mask(18, 9, 10).sum() == 27  # at least 3 per hidden unit
    with pytest.raises(MaskConstructionError, match="disconnected"):
        cluster_mask(18, 4, 12)


# --------------------------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------------------------
def test_the_roe_is_the_largest_relative_deviation_of_the_99_percent_interval():
    # reference 1, mean 0.9, w = 0.5, n = 100: interval 0.9 +- 0.1288
    assert roe(1.0, 0.9, 0.5, 100) == pytest.approx(0.1 + ROE_C * 0.05)
    assert roe(-2.0, -2.0, 1.0, 10000) == pytest.approx(ROE_C * 0.01 / 2)


def test_statistics_of_exact_samples_match_the_exact_distribution():
    """m histogram and C(d) from 2e5 exact samples of N = 8 against the same sums over |psi|^2
    (tolerance: 5 standard errors of a mean of +-1 variables, 5 / sqrt(2e5) = 0.011)."""
    model = TFIMChain(L=8, kappa=1.0)
    p = ground_state_distribution(model)
    states = (np.asarray(model.hilbert.all_states()) + 1) / 2
    samples = states[np.random.default_rng(0).choice(len(p), 200_000, p=p)].astype(np.uint8)
    z = 2 * states - 1
    i = 3  # the midpoint i = N/2 (1-based)
    exact_c = [p @ (z[:, i] * z[:, i + d]) - (p @ z[:, i]) * (p @ z[:, i + d]) for d in range(5)]
    np.testing.assert_allclose(correlations(samples), exact_c, atol=0.011)
    assert correlations(samples)[0] == pytest.approx(1 - np.mean(2.0 * samples[:, i] - 1) ** 2)
    ups = states.sum(axis=1).astype(int)
    exact_hist = np.bincount(ups, weights=p, minlength=9)
    np.testing.assert_allclose(histogram(samples), exact_hist, atol=0.011)
    emp = empirical_distribution(samples, model.hilbert)
    np.testing.assert_allclose(emp, p, atol=0.006)


def test_the_sampled_energy_of_an_rbm_is_its_exact_energy_within_the_monte_carlo_error():
    """Local estimator on 40000 block-Gibbs samples against <H> summed over all 2^6 states of the same
    RBM (NetKet's FullSumState of the Flax module): within 4 standard errors."""
    model = TFIMChain(L=6, kappa=1.0)
    variables = init_rbm(6, 3, seed=5)
    variables["params"] = jax.tree_util.tree_map(lambda w: 3 * w, variables["params"])
    exact = nk.vqs.FullSumState(model.hilbert, PositiveRBM(3), variables=variables).expect(model.hamiltonian)
    samples = draw_samples(variables, 6, 40_000, 400, 50, 3, seed=7)
    stats = sample_statistics(samples)
    row = sampled_metrics(variables, model, samples, float(exact.mean.real), stats)
    assert abs(row["energy"] - exact.mean.real) < 4 * row["energy_error"]
    assert row["c_mse"] == 0 and row["mroe"] == pytest.approx(ROE_C * stats["abs_m_std"] / np.sqrt(40_000)
                                                              / stats["abs_m"])
    p = np.exp(log_probabilities(variables, 6))
    m = np.asarray(model.hilbert.all_states()).mean(axis=1)
    assert row["abs_mz"] == pytest.approx(p @ np.abs(m), abs=4 * row["abs_mz_error"])


# --------------------------------------------------------------------------------------------
# data files and the command line
# --------------------------------------------------------------------------------------------
def test_a_sample_file_of_the_wrong_shape_or_convention_is_refused(tmp_path):
    good = np.zeros((10, 6), dtype=np.uint8)
    np.save(tmp_path / "good.npy", good)
    assert load_samples(tmp_path / "good.npy", 6).shape == (10, 6)
    np.save(tmp_path / "shape.npy", good[:, :5])
    with pytest.raises(DataError, match=r"shape \(10, 5\), expected \(n, 6\)"):
        load_samples(tmp_path / "shape.npy", 6)
    np.save(tmp_path / "spins.npy", 2.0 * good - 1)
    with pytest.raises(DataError, match="spins -1/\\+1: write them as v = \\(1 \\+ s\\) / 2"):
        load_samples(tmp_path / "spins.npy", 6)


def test_the_data_record_holds_the_system_energy_and_statistics(data):
    npz, record = data
    assert record["model"] == "tfim_chain" and record["N"] == 6 and record["method"] == "ed"
    assert json.loads(npz.with_suffix(".json").read_text())["samples_sha256"] == record["samples_sha256"]
    with np.load(npz) as archive:
        assert archive["samples"].shape == (4000, 6) and archive["target"].shape == (64,)


def test_the_command_line_trains_an_rbm_run_from_its_data(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    small = copy.deepcopy(SMALL)
    small["runs"] = {"vmc": None}
    small["rbm"]["runs"]["chain"]["pruning"]["methods"] = ["imp_ct"]
    small["rbm"]["runs"]["chain"]["tickets"]["variants"] = []
    config.write_text(json.dumps(small))
    data = tmp_path / "chain.npz"
    assert main(["data", "--config", str(config), "--run", "chain", "--out", str(data)]) == 0
    out = tmp_path / "run"
    assert main(["pretrain", "--config", str(config), "--run", "chain", "--out", str(out)]) == 2
    assert "learns from data" in capsys.readouterr().err and not out.exists()
    assert main(["prune", "--config", str(config), "--run", "chain", "--method", "imp_ct", "--out", str(out),
                 "--reference", str(data.with_suffix(".json"))]) == 0
    assert (out / "imp_ct/history.csv").exists()
