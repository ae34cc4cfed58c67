"""Pruning primitives, the IMP-WR / IMP-CT / IRP-WR loops, isolated tickets and resuming
(docs/science.md, "Pruning and tickets").

The loop tests use a 3x3 TFIM FFNN (alpha 1, 81 weights) with short training: they check the
bookkeeping exactly (masks, rewinding, counts, seeds) and the physics with exact enumeration
(the ``exact_eps_rel`` column has no Monte Carlo noise).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import jax
import numpy as np
import pandas as pd
import pytest

from sparse_nqs import paths
from sparse_nqs.config.check import _merge
from sparse_nqs.io import read_json
from sparse_nqs.networks import build_network
from sparse_nqs.physics.models import TFIM
from sparse_nqs.physics.reference import ReferenceMismatchError, compute_reference
from sparse_nqs.pruning import schedule as pruning
from sparse_nqs.pruning.checkpoint import load_checkpoint, save_checkpoint
from sparse_nqs.pruning.experiment import (
    TICKET_VARIANTS,
    ExperimentError,
    evaluate_path,
    pretrain,
    pretrained as pretrained_checkpoint,
    prune,
    settings_fingerprint,
    ticket_iterations,
    ticket_variables,
    train_ticket,
    train_tickets,
)
from sparse_nqs.settings import DEFAULTS
from sparse_nqs.vmc.run import VMCRun as Run
from sparse_nqs.vmc.run import fidelity_table, vmc_phase_settings

TINY = {
    "model": {"L": 3},
    "network": {"kind": "ffnn", "alpha": 1},
    "sampling": {"n_samples": 512},
    "pruning": {"p_r": 0.3, "iterations": 4, "pretrain_steps": 150, "steps_per_iteration": 0,
                "checkpoint_every": 50},
    "evaluation": {"n_samples": 512},
    "tickets": {"steps": 20},
}


def tiny_run(directory, name="tiny", **overrides) -> Run:
    settings = _merge(DEFAULTS, TINY, "tiny")
    for section, values in overrides.items():
        settings[section] = {**settings[section], **values}
    settings["network"] = {"kind": "ffnn", "alpha": 1, "init_std": 0.1}
    return Run({"name": name, **settings}, directory)


@pytest.fixture(scope="module")
def reference():
    return compute_reference(TFIM(3))[0]


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory, reference):
    """A pre-trained tiny run; tests copy its directory and prune from there."""
    directory = tmp_path_factory.mktemp("pretrained")
    pretrain(tiny_run(directory), reference)
    return directory


def copy_of(pretrained, tmp_path, **overrides) -> Run:
    shutil.copytree(pretrained, tmp_path / "run")
    return tiny_run(tmp_path / "run", **overrides)


# --------------------------------------------------------------------------------------------
# primitives
@contextmanager
def interrupted_after_first_checkpoint(monkeypatch, method: str):
    """``Run.<method>`` (train or train_batch) raises KeyboardInterrupt on its second call, i.e. after
    the first checkpoint was written; the body must be interrupted. Yields the first_step of each call."""
    calls = []
    real = getattr(Run, method)

    def interrupted(self, states, n_steps, first_step, **options):
        calls.append(first_step)
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated interruption after the first checkpoint")
        return real(self, states, n_steps, first_step, **options)

    monkeypatch.setattr(Run, method, interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            yield calls
    finally:
        monkeypatch.setattr(Run, method, real)


# --------------------------------------------------------------------------------------------
def test_magnitude_pruning_removes_the_smallest_surviving_weights_with_deterministic_ties():
    w = np.array([[0.5, -0.1, 0.3], [0.1, 0.9, -0.2]])
    masks = {"kernel": np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])}
    # |w| = 0.1 twice (positions 1 and 3): the earlier position goes first; -0.2 is already masked
    new = pruning.magnitude_prune({"kernel": w}, masks, 1)["kernel"]
    np.testing.assert_array_equal(new, [[1, 0, 1], [1, 1, 0]])
    new = pruning.magnitude_prune({"kernel": w}, masks, 3)["kernel"]
    np.testing.assert_array_equal(new, [[1, 0, 0], [0, 1, 0]])
    assert masks["kernel"][0, 1] == 1  # the input is not modified


def test_magnitude_pruning_matches_a_sort_on_a_random_resnet_pool():
    network = build_network({"kind": "rescnn", "n_filters": 4, "n_blocks": 2})
    variables = network.init(jax.random.key(0), np.ones((1, 16)))
    weights, masks = pruning.flatten(variables["params"]), pruning.flatten(variables["masks"])
    weights = {p: w for p, w in weights.items() if p in masks}
    count = pruning.prune_count(0.12, pruning.pool_size(masks))
    new = pruning.magnitude_prune(weights, masks, count)
    # one global threshold over the block convolutions, the embedding untouched
    pool = np.concatenate([np.abs(weights[p]).ravel() for p in pruning.prunable_paths(masks)])
    threshold = np.sort(pool)[count - 1]
    for path in masks:
        removed = (masks[path] == 1) & (new[path] == 0)
        if "embedding" in path:
            assert not removed.any()
        else:
            assert np.all(np.abs(weights[path][removed]) <= threshold)
            assert np.all(np.abs(weights[path][new[path] == 1]) >= threshold)
    assert pruning.pool_size(masks) - pruning.pool_size(new) == count


def test_random_pruning_is_seeded_and_differs_every_round():
    masks = {"kernel": np.ones((9, 9))}
    a = pruning.random_prune(masks, 20, pruning.pruning_rng(2, 0))["kernel"]
    b = pruning.random_prune(masks, 20, pruning.pruning_rng(2, 0))["kernel"]
    c = pruning.random_prune(masks, 20, pruning.pruning_rng(2, 1))["kernel"]
    d = pruning.random_prune(masks, 20, pruning.pruning_rng(3, 0))["kernel"]
    np.testing.assert_array_equal(a, b)
    assert (a != c).any() and (a != d).any()
    assert a.sum() == 81 - 20


def test_random_mask_has_the_same_count_in_every_prunable_tensor():
    rng = np.random.default_rng(0)
    masks = {"embedding/kernel": np.ones((3, 3, 1, 4)),
             "block0_conv1/kernel": (rng.random((3, 3, 4, 4)) < 0.3).astype(float),
             "block0_conv2/kernel": (rng.random((3, 3, 4, 4)) < 0.6).astype(float)}
    new = pruning.random_mask_like(masks, np.random.default_rng(1))
    for path in masks:
        assert new[path].sum() == masks[path].sum()
    np.testing.assert_array_equal(new["embedding/kernel"], masks["embedding/kernel"])
    assert (new["block0_conv1/kernel"] != masks["block0_conv1/kernel"]).any()


# --------------------------------------------------------------------------------------------
# the loops, with k = 0 training steps: the state right after each prune (+ rewind) step
# --------------------------------------------------------------------------------------------
def _rounds(run, method):
    return [load_checkpoint(run.path(method, f"iter_{i:03d}.npz")) for i in range(run.pruning["iterations"])]


def test_imp_wr_masks_shrink_and_rewinding_restores_theta_wr(pretrained, tmp_path, reference):
    run = copy_of(pretrained, tmp_path)
    history = prune(run, "imp_wr", reference)
    wr = load_checkpoint(run.path("pretrain", "theta_wr.npz"))
    previous = np.ones((9, 9))
    for i, ckpt in enumerate(_rounds(run, "imp_wr")):
        mask = np.asarray(ckpt.masks["kernel"])
        assert np.all(mask <= previous) and mask.sum() < previous.sum()  # masks only shrink
        assert mask.sum() == run.n_sequence[i + 1]
        np.testing.assert_array_equal(np.asarray(ckpt.params["kernel"]), np.asarray(wr.params["kernel"]))
        previous = mask
    assert history.n.tolist() == run.n_sequence == [81, 57, 40, 28, 20]
    assert history.iteration.tolist() == [-1, 0, 1, 2, 3]
    for column in ["iteration", "n", "rho", "energy", "energy_error", "variance", "eps_rel",
                   "delta_e_per_spin", "mx", "mz", "abs_mz", "wall_seconds"]:
        assert column in history


def test_masked_weights_of_a_pruned_network_are_inert(pretrained, tmp_path, reference):
    run = copy_of(pretrained, tmp_path)
    prune(run, "imp_wr", reference)
    ckpt = _rounds(run, "imp_wr")[-1]
    x = np.asarray(run.model.hilbert.all_states())
    before = run.network.apply(ckpt.variables, x)
    mask = np.asarray(ckpt.masks["kernel"])
    scrambled = np.where(mask == 0, 123.0, np.asarray(ckpt.params["kernel"]))
    after = run.network.apply({"params": {"kernel": scrambled}, "masks": ckpt.masks}, x)
    np.testing.assert_array_equal(np.asarray(before), np.asarray(after))


def test_imp_ct_changes_no_unmasked_weight_at_the_pruning_step(pretrained, tmp_path, reference):
    run = copy_of(pretrained, tmp_path)
    prune(run, "imp_ct", reference)
    wr = load_checkpoint(run.path("pretrain", "theta_wr.npz"))
    for ckpt in _rounds(run, "imp_ct"):
        np.testing.assert_array_equal(np.asarray(ckpt.params["kernel"]), np.asarray(wr.params["kernel"]))
    # with k = 0 no weight moves, so the magnitude masks are those of IMP-WR
    run_wr = tiny_run(run.directory)
    prune(run_wr, "imp_wr", reference)
    for a, b in zip(_rounds(run, "imp_ct"), _rounds(run_wr, "imp_wr")):
        np.testing.assert_array_equal(np.asarray(a.masks["kernel"]), np.asarray(b.masks["kernel"]))


def test_irp_wr_masks_follow_the_mask_seed(pretrained, tmp_path, reference):
    masks = {}
    for label, seed in [("a", 2), ("b", 2), ("c", 5)]:
        shutil.copytree(pretrained, tmp_path / label)
        run = tiny_run(tmp_path / label, seeds={"mask": seed})
        prune(run, "irp_wr", reference)
        masks[label] = [np.asarray(c.masks["kernel"]) for c in _rounds(run, "irp_wr")]
        assert [m.sum() for m in masks[label]] == run.n_sequence[1:]
    for a, b, c in zip(masks["a"], masks["b"], masks["c"]):
        np.testing.assert_array_equal(a, b)
        assert (a != c).any()


def test_ticket_construction(pretrained, tmp_path, reference):
    run = copy_of(pretrained, tmp_path)
    prune(run, "imp_wr", reference)
    init = load_checkpoint(run.path("pretrain", "theta_init.npz"))
    m_imp = np.asarray(load_checkpoint(run.path("imp_wr", "iter_002.npz")).masks["kernel"])
    theta_init = np.asarray(init.params["kernel"])

    t = ticket_variables(run, "init_imp", 2)
    np.testing.assert_array_equal(np.asarray(t["params"]["kernel"]), theta_init)
    np.testing.assert_array_equal(np.asarray(t["masks"]["kernel"]), m_imp)

    t = ticket_variables(run, "rand_imp", 2)
    np.testing.assert_array_equal(np.asarray(t["masks"]["kernel"]), m_imp)
    assert not np.allclose(np.asarray(t["params"]["kernel"]) * m_imp, theta_init * m_imp)

    t = ticket_variables(run, "init_rand", 2)
    m_rand = np.asarray(t["masks"]["kernel"])
    np.testing.assert_array_equal(np.asarray(t["params"]["kernel"]), theta_init)
    assert m_rand.sum() == m_imp.sum() == run.n_sequence[3]
    assert (m_rand != m_imp).any()

    row = train_ticket(run, "init_rand", 2, reference)
    trained = load_checkpoint(run.path("tickets", "init_rand_iter_002.npz"))
    np.testing.assert_array_equal(np.asarray(trained.masks["kernel"]), m_rand)  # the mask stays fixed
    assert row["variant"] == "init_rand" and row["iteration"] == 2 and row["n"] == m_imp.sum()
    assert ticket_iterations(run.settings) == [0, 3]


def test_batched_tickets_equal_one_by_one_and_resume(pretrained, tmp_path, reference, monkeypatch):
    """Tickets trained as one vectorised batch give the rows of tickets trained one by one; a batch
    interrupted after its first checkpoint resumes from it to the same numbers."""
    tickets = [("init_imp", 0), ("rand_imp", 0), ("init_rand", 3)]
    alone = copy_of(pretrained, tmp_path / "alone", pruning={"checkpoint_every": 10})
    prune(alone, "imp_wr", reference)
    rows_alone = [train_ticket(alone, v, i, reference) for v, i in tickets]

    batch = copy_of(pretrained, tmp_path / "batch", pruning={"checkpoint_every": 10})
    prune(batch, "imp_wr", reference)
    with interrupted_after_first_checkpoint(monkeypatch, "train_batch") as calls:
        train_tickets(batch, tickets, reference)
    partial = sorted(p.name for p in batch.path("tickets").glob("*.partial.npz"))
    assert len(partial) == 3 and calls == [0, 10]
    rows_batch = train_tickets(batch, tickets, reference)
    assert not list(batch.path("tickets").glob("*.partial.npz"))
    for a, b in zip(rows_alone, rows_batch):
        assert (a["variant"], a["iteration"], a["n"]) == (b["variant"], b["iteration"], b["n"])
        for column in ("energy", "variance", "exact_energy", "mx"):
            assert b[column] == pytest.approx(a[column], rel=1e-8), column
    logs = [pd.read_csv(r.path("tickets", "init_rand_iter_003_log.csv")) for r in (alone, batch)]
    np.testing.assert_allclose(logs[1].energy, logs[0].energy, rtol=1e-9)
    assert list(logs[1].step) == list(range(20))
    # finished tickets are read back, not retrained
    assert train_tickets(batch, tickets, reference) == rows_batch


# --------------------------------------------------------------------------------------------
# physics and resuming
# --------------------------------------------------------------------------------------------
def test_imp_wr_error_rises_as_weights_are_removed(pretrained, tmp_path, reference):
    """3x3 TFIM at kappa_c, 81 -> 3 weights: the exact relative error grows as n falls."""
    run = copy_of(pretrained, tmp_path, pruning={"iterations": 9, "steps_per_iteration": 40,
                                                 "pretrain_steps": 150})
    history = prune(run, "imp_wr", reference)
    error = history.exact_eps_rel.to_numpy()
    assert history.n.iloc[-1] == 3
    assert error[:2].max() < 2e-3  # dense and 57 weights are close to the ground state
    assert error[-2:].min() > 5 * error[:2].max()  # a few weights cannot be
    # monotone within 5 %: the error saturates near 0.037 (a nearly product state) for n <= 14,
    # where training noise moves it by about 1e-4
    assert np.all(error[1:] >= 0.95 * error[:-1])


def _cli_prune(config, directory):
    return [sys.executable, "-m", "sparse_nqs.cli", "prune", "--config", str(config), "--run", "tiny",
            "--method", "imp_wr", "--out", str(directory)]


def test_killed_pruning_run_resumes_to_the_same_numbers(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "defaults:\n  model: {L: 3}\n  sampling: {n_samples: 256}\n"
        # rounds long enough (a second or two each) for the kill to land mid-run
        "  pruning: {p_r: 0.3, iterations: 6, pretrain_steps: 60, steps_per_iteration: 300}\n"
        "  evaluation: {n_samples: 256}\nruns:\n  tiny: {network: {kind: ffnn, alpha: 1}}\n"
    )
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    subprocess.run(_cli_prune(config, tmp_path / "whole"), check=True, env=env, capture_output=True)

    killed = tmp_path / "killed"
    process = subprocess.Popen(_cli_prune(config, killed), env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (killed / "imp_wr" / "iter_001.npz").exists():
        assert process.poll() is None and time.time() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = sorted(p.name for p in (killed / "imp_wr").glob("iter_*.npz"))
    assert done_before and len(done_before) < 6, "the kill must land mid-run"
    stamps = {name: (killed / "imp_wr" / name).stat().st_mtime_ns for name in done_before}

    subprocess.run(_cli_prune(config, killed), check=True, env=env, capture_output=True)
    for name, stamp in stamps.items():  # finished rounds are not repeated
        assert (killed / "imp_wr" / name).stat().st_mtime_ns == stamp
    whole = pd.read_csv(tmp_path / "whole" / "imp_wr" / "history.csv").drop(columns=["wall_seconds", "evaluation_seconds"])
    resumed = pd.read_csv(killed / "imp_wr" / "history.csv").drop(columns=["wall_seconds", "evaluation_seconds"])
    pd.testing.assert_frame_equal(whole, resumed)
    assert len(resumed) == 7
    assert not list(killed.rglob("*.tmp"))


def test_interrupted_pretraining_resumes_from_its_checkpoint_to_the_same_numbers(pretrained, tmp_path,
                                                                                 reference, monkeypatch):
    """Pre-training killed after its first checkpoint (step 50 of 150) continues from it: same log,
    same theta_wr as the uninterrupted fixture run, and the partial checkpoint is gone."""
    run = tiny_run(tmp_path / "run")
    with interrupted_after_first_checkpoint(monkeypatch, "train") as calls:
        pretrain(run, reference)
    assert calls == [0, 50] and run.path("pretrain", "partial.npz").exists()
    assert not run.path("pretrain", "theta_wr.npz").exists()
    row = pretrain(run, reference)
    assert not run.path("pretrain", "partial.npz").exists()
    whole = tiny_run(pretrained)
    log, log_whole = (pd.read_csv(r.path("pretrain", "log.csv")) for r in (run, whole))
    assert list(log.step) == list(range(150))
    np.testing.assert_allclose(log.energy, log_whole.energy, rtol=1e-10)
    resumed, uninterrupted = (np.asarray(load_checkpoint(r.path("pretrain", "theta_wr.npz")).params["kernel"])
                              for r in (run, whole))
    np.testing.assert_allclose(resumed, uninterrupted, rtol=1e-10, atol=1e-12)
    assert row["energy"] == pytest.approx(read_json(whole.path("pretrain", "dense.json"))["energy"], rel=1e-10)


def test_unreadable_round_is_redone(pretrained, tmp_path, reference):
    run = copy_of(pretrained, tmp_path)
    first = prune(run, "imp_wr", reference)
    run.path("imp_wr", "iter_002.npz").write_bytes(b"truncated")
    left = run.path("imp_wr") / ".iter_003.npz.abc.tmp"
    left.write_bytes(b"left by a kill")
    again = prune(run, "imp_wr", reference)
    assert not left.exists()  # a killed writer's temporary file is removed when the job starts again
    pd.testing.assert_frame_equal(first.drop(columns=["wall_seconds", "evaluation_seconds"]), again.drop(columns=["wall_seconds", "evaluation_seconds"]))


def test_changed_settings_are_not_resumed_and_more_iterations_extend(pretrained, tmp_path, reference):
    run = copy_of(pretrained, tmp_path)
    prune(run, "imp_wr", reference)
    stamps = [run.path("imp_wr", f"iter_{i:03d}.npz").stat().st_mtime_ns for i in range(4)]
    longer = tiny_run(run.directory, pruning={"iterations": 6})
    history = prune(longer, "imp_wr", reference)
    assert history.n.tolist() == [81, 57, 40, 28, 20, 14, 10]
    assert [run.path("imp_wr", f"iter_{i:03d}.npz").stat().st_mtime_ns for i in range(4)] == stamps
    other = tiny_run(run.directory, pruning={"p_r": 0.2})
    history = prune(other, "imp_wr", reference)
    assert history.n.tolist() == [81, 65, 52, 42, 34]  # recomputed, not read from the p_r = 0.3 rounds
    assert load_checkpoint(run.path("imp_wr", "iter_000.npz")).masks["kernel"].sum() == 65


# --------------------------------------------------------------------------------------------
# stored results are reused only with what they depend on
# --------------------------------------------------------------------------------------------
def _mtimes(paths):
    return [p.stat().st_mtime_ns for p in paths]


def test_a_changed_reference_reaches_every_stored_row(pretrained, tmp_path, reference):
    """Resumed rounds, the dense row and finished tickets take their errors from the reference of
    this call (e.g. ED -> DMRG), not the one stored with them; nothing is retrained."""
    run = copy_of(pretrained, tmp_path)
    first = prune(run, "imp_wr", reference)
    train_ticket(run, "init_imp", 1, reference)
    rounds = [run.path("imp_wr", f"iter_{i:03d}.npz") for i in range(4)] + [run.path("tickets", "init_imp_iter_001.npz")]
    stamps = _mtimes(rounds)

    other = {**reference, "energy": reference["energy"] - 0.01, "method": "dmrg", "backend": "tenpy"}
    history = prune(run, "imp_wr", other)
    assert _mtimes(rounds) == stamps  # read back, not retrained
    np.testing.assert_array_equal(history.energy, first.energy)
    assert (history.reference_energy == other["energy"]).all() and set(history.reference_source) == {"dmrg:tenpy"}
    for prefix in ("", "exact_"):
        gap = (history[f"{prefix}energy"] - other["energy"]).abs()
        np.testing.assert_allclose(history[f"{prefix}eps_rel"], gap / abs(other["energy"]), rtol=1e-12)
        np.testing.assert_allclose(history[f"{prefix}delta_e_per_spin"], gap / 9, rtol=1e-12)
    assert (pd.read_csv(run.path("imp_wr", "history.csv")).reference_energy == other["energy"]).all()

    ticket = train_tickets(run, [("init_imp", 1)], other)[0]
    stored = json.loads(run.path("tickets", "init_imp_iter_001.json").read_text())
    assert ticket["reference_energy"] == stored["reference_energy"] == other["energy"]
    assert stored["eps_rel"] == pytest.approx(abs(stored["energy"] - other["energy"]) / abs(other["energy"]), rel=1e-12)
    dense = pretrain(run, other)
    assert json.loads(run.path("pretrain", "dense.json").read_text())["reference_energy"] == dense["reference_energy"] \
        == other["energy"]
    assert _mtimes(rounds) == stamps


def test_a_reference_of_another_system_is_refused_before_any_work(pretrained, tmp_path, reference):
    run = copy_of(pretrained, tmp_path)
    small = compute_reference(TFIM(2))[0]
    with pytest.raises(ReferenceMismatchError, match="L = 2"):
        prune(run, "imp_wr", small)
    shifted = {**reference, "kappa": reference["kappa"] + 4.9e-7}  # same 6 significant digits
    with pytest.raises(ReferenceMismatchError, match="kappa"):
        prune(run, "imp_wr", shifted)
    with pytest.raises(ReferenceMismatchError, match="kappa"):
        train_tickets(run, [("init_imp", 0)], shifted)
    assert not run.path("imp_wr").exists() and not run.path("tickets").exists()


def test_rounds_made_from_a_re_made_theta_wr_are_retrained(pretrained, tmp_path, reference):
    """A theta_wr made again with the same settings but other numbers (a non-deterministic device)
    is never paired with the rounds trained from the old one."""
    run = copy_of(pretrained, tmp_path)
    prune(run, "imp_wr", reference)
    rounds = [run.path("imp_wr", f"iter_{i:03d}.npz") for i in range(4)]
    stamps = _mtimes(rounds)
    prune(run, "imp_wr", reference)
    assert _mtimes(rounds) == stamps  # the same theta_wr: every round is reused

    path = run.path("pretrain", "theta_wr.npz")
    wr = load_checkpoint(path)
    save_checkpoint(path, jax.tree_util.tree_map(lambda w: w * 1.01, wr.params), wr.masks, wr.metadata, extra=wr.extra)
    prune(run, "imp_wr", reference)
    assert all(new != old for new, old in zip(_mtimes(rounds), stamps))
    new_id = load_checkpoint(path).content_id
    assert all(load_checkpoint(p).metadata["made_from"] == {"theta_wr": new_id} for p in rounds)


def test_tickets_made_from_a_re_made_theta_init_are_retrained(pretrained, tmp_path, reference):
    run = copy_of(pretrained, tmp_path)
    prune(run, "imp_wr", reference)
    first = train_ticket(run, "init_imp", 1, reference)
    assert train_ticket(run, "init_imp", 1, reference) == first  # finished: read back
    path = run.path("pretrain", "theta_init.npz")
    init = load_checkpoint(path)
    save_checkpoint(path, jax.tree_util.tree_map(lambda w: w * 1.01, init.params), init.masks, init.metadata)
    again = train_ticket(run, "init_imp", 1, reference)
    assert again["energy"] != first["energy"]


def _fingerprint(settings: dict, variant: str) -> str:
    return settings_fingerprint(vmc_phase_settings(settings, "ticket", variant=variant))


def test_ticket_seeds_belong_to_the_variants_that_use_them():
    """seeds.ticket_init draws theta_rand (rand_imp only), seeds.mask the random mask (init_rand only):
    changing one must not retrain the other variants."""
    settings = {"name": "tiny", **_merge(DEFAULTS, TINY, "tiny")}
    other_init = {**settings, "seeds": {**settings["seeds"], "ticket_init": 99}}
    other_mask = {**settings, "seeds": {**settings["seeds"], "mask": 99}}
    def changed(other):
        return {v for v in TICKET_VARIANTS if _fingerprint(settings, v) != _fingerprint(other, v)}
    assert changed(other_init) == {"rand_imp"}
    assert changed(other_mask) == {"init_rand"}


def test_ticket_iteration_outside_the_path_gives_the_range(pretrained, tmp_path, reference):
    run = copy_of(pretrained, tmp_path)
    with pytest.raises(ExperimentError, match=r"0 \.\. 3 \(pruning.iterations = 4\)"):
        train_ticket(run, "init_imp", 7, reference)


def test_a_corrupted_round_of_a_finished_path_is_named(pretrained, tmp_path, reference):
    run = copy_of(pretrained, tmp_path)
    prune(run, "imp_wr", reference)
    bad = run.path("imp_wr", "iter_002.npz")
    bad.write_bytes(b"corrupted")
    with pytest.raises(ExperimentError) as err:
        fidelity_table(run, "imp_wr")
    message = str(err.value)
    assert str(bad) in message and "unreadable" in message and "sparse-nqs prune --config CONFIG --run tiny --method imp_wr" in message


# --------------------------------------------------------------------------------------------
# evaluation as its own step
# --------------------------------------------------------------------------------------------
def _resave(path: Path, **metadata) -> None:
    checkpoint = load_checkpoint(path)
    save_checkpoint(path, checkpoint.params, checkpoint.masks, {**checkpoint.metadata, **metadata},
                    extra=checkpoint.extra)


def test_a_changed_evaluation_re_evaluates_stored_states_without_training(pretrained, tmp_path, reference,
                                                                          monkeypatch):
    """More evaluation samples: every row is evaluated again from the stored checkpoints (n_samples
    changes in the history), and nothing is trained (Run.train is never called)."""
    run = copy_of(pretrained, tmp_path)
    before = prune(run, "imp_wr", reference)
    changed = tiny_run(run.directory, evaluation={"n_samples": 2 * int(before["n_samples"].iloc[0])})
    monkeypatch.setattr(Run, "train", lambda *args, **kwargs: pytest.fail("a changed evaluation trained"))
    after = prune(changed, "imp_wr", reference)
    assert (after["n_samples"] == 2 * before["n_samples"]).all()
    assert list(after["evaluation"].unique()) == [changed.fingerprint("evaluate")] != [run.fingerprint("evaluate")]
    np.testing.assert_array_equal(after["exact_energy"], before["exact_energy"])  # same states
    # the cached rows are read back: the same table again, and no evaluation either
    monkeypatch.setattr(Run, "evaluate", lambda *args, **kwargs: pytest.fail("evaluated again"))
    again = evaluate_path(changed, "imp_wr", reference)
    pd.testing.assert_frame_equal(again, after)


def test_checkpoints_made_when_training_fingerprints_held_the_evaluation_samples_are_reused(pretrained, tmp_path):
    """Before the evaluation was a step of its own, a training fingerprint hashed evaluation.n_samples
    in; such a checkpoint is recognised from the settings stored in it, also under another evaluation
    setting now, while one made with other training settings is not."""
    run = copy_of(pretrained, tmp_path)
    path = run.path(paths.THETA_WR)
    stored = load_checkpoint(path).metadata["settings"]["evaluation"]["n_samples"]
    legacy = settings_fingerprint({**run.phase_settings("pretrain"), "evaluation_samples": stored})
    _resave(path, fingerprint=legacy)
    assert legacy != run.fingerprint("pretrain")
    assert pretrained_checkpoint(run, "test").content_id == load_checkpoint(path).content_id
    other_evaluation = tiny_run(run.directory, evaluation={"n_samples": 7 * stored})
    assert other_evaluation.accepts("pretrain")(load_checkpoint(path).metadata)
    other_training = tiny_run(run.directory, optimizer={"learning_rate": 0.5})
    assert not other_training.accepts("pretrain")(load_checkpoint(path).metadata)
