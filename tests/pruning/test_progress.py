"""Progress reporting: the log lines of pruning rounds and long training phases, the progress bar
only for a person at a terminal, and training callbacks that leave the numbers unchanged."""

import io
import re

import numpy as np
import pandas as pd
import pytest

from sparse_nqs.networks import build_network
from sparse_nqs.physics.models import TFIM
from sparse_nqs.pruning import progress
from sparse_nqs.vmc import training as vmc
from sparse_nqs.vmc.sampling import SamplingSettings, make_vstate


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(progress, "clock", fake)
    return fake


@pytest.fixture
def bar_switch():
    """enable_bar() is process-wide; put it back as it was."""
    before = progress._bar_enabled
    yield
    progress.enable_bar(before)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_duration_format():
    assert [progress.duration(s) for s in (0, 42.4, 185, 3600 * 2 + 7 * 60 + 20, 86400 * 3 + 3600 * 4)] == \
        ["0s", "42s", "3m05s", "2h07m", "3d04h"]
    assert progress.duration(float("nan")) == "?"


def test_round_line_has_every_field_and_the_time_left_from_the_mean_round_time(clock, capsys):
    # resumed after 2 of 10 rounds: only this process's rounds count into the mean
    rounds = progress.RoundProgress("ffnn", "imp_wr", first=2, total=10)
    clock.now += 60.0
    rounds.done(2, {"n": 412, "energy": -50.1234567})
    clock.now += 40.0
    rounds.done(3, {"n": 330, "energy": float("nan")})  # no energy logged: n/a
    first, second = capsys.readouterr().out.splitlines()
    assert first == "ffnn imp_wr: round 3/10 n=412 E=-50.123457 (training) elapsed 1m00s left ~7m00s"
    # mean of (60 + 40) / 2 = 50 s per round, 6 rounds to go
    assert second == "ffnn imp_wr: round 4/10 n=330 E=n/a (training) elapsed 1m40s left ~5m00s"
    assert rounds.bar is None  # under pytest: lines only


def test_step_lines_every_few_hundred_steps_with_the_time_left(clock, capsys):
    phase = progress.StepProgress("ffnn pre-training", total=1200, done=200, every=500)  # resumed at 200
    for step in range(200, 1200):
        clock.now += 0.5
        phase(step, -49.0 - step / 1000)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "ffnn pre-training: step 500/1200 E=-49.499000 elapsed 2m30s left ~5m50s",  # 300 steps in 150 s
        "ffnn pre-training: step 1000/1200 E=-49.999000 elapsed 6m40s left ~1m40s",
        "ffnn pre-training: step 1200/1200 E=-50.199000 elapsed 8m20s left ~0s",
    ]
    assert progress.step_progress("short", 499) is None  # nothing to report: no per-step cost
    batch = progress.StepProgress("tickets", total=2, every=2, first_step=10)
    batch(10, [-1.0, -3.0])
    batch(11, [-2.0, -4.0])
    assert re.fullmatch(r"tickets: step 2/2 E=-3\.000000 \(mean of 2\) elapsed 0s left ~0s\n",
                        capsys.readouterr().out)


def test_no_bar_under_pytest_or_without_a_terminal(monkeypatch, bar_switch, capsys):
    progress.enable_bar()
    monkeypatch.setattr("sys.stderr", FakeTerminal())
    assert not progress.bar_wanted()  # under pytest
    assert progress.RoundProgress("r", "imp_wr", 0, 3).bar is None
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.setattr("sys.stderr", io.StringIO())  # a log file, a pipe
    assert not progress.bar_wanted()
    monkeypatch.setattr("sys.stderr", FakeTerminal())
    progress.enable_bar(False)
    assert not progress.bar_wanted()  # not switched on (library use, Snakemake jobs)
    progress.enable_bar()
    assert progress.bar_wanted()  # a person at a terminal: the command line's case
    rounds = progress.RoundProgress("r", "imp_wr", 0, 2)
    assert rounds.bar is not None
    rounds.done(0, {"n": 5, "energy": -1.0, "eps_rel": 0.1})
    rounds.done(1, {"n": 4, "energy": -1.0, "eps_rel": 0.1})
    assert rounds.bar is None  # closed after the last round
    out = capsys.readouterr().out
    assert "r imp_wr: round 1/2" in out and "r imp_wr: round 2/2" in out  # the lines still go to stdout


def _state(model, seed):
    network = build_network({"kind": "ffnn", "alpha": 1})
    sampling = SamplingSettings(n_samples=64, n_chains=16, n_discard_sweeps=2)
    return make_vstate(model, network, sampling, init_seed=seed, sampler_seed=seed + 1)


def _same_log(a: pd.DataFrame, b: pd.DataFrame):
    columns = [c for c in vmc.LOG_COLUMNS if c != "wall_seconds"]
    pd.testing.assert_frame_equal(a[columns], b[columns], check_exact=True)


def test_a_progress_callback_does_not_change_training():
    model = TFIM(2)
    plain, watched = _state(model, 0), _state(model, 0)
    calls = []
    log = vmc.train(plain, model, 6, 8e-3, 1e-3, first_step=4)
    log_watched = vmc.train(watched, model, 6, 8e-3, 1e-3, first_step=4,
                            progress=lambda step, energy: calls.append((step, energy)))
    _same_log(log, log_watched)
    assert calls == list(zip(log.step, log.energy))
    np.testing.assert_array_equal(vmc.ravel_pytree(plain.parameters)[0], vmc.ravel_pytree(watched.parameters)[0])

    batch_calls = []
    plain = [_state(model, 0), _state(model, 5)]
    watched = [_state(model, 0), _state(model, 5)]
    logs = vmc.train_batch(plain, model, 3, 8e-3, 1e-3)
    logs_watched = vmc.train_batch(watched, model, 3, 8e-3, 1e-3,
                                   progress=lambda step, energies: batch_calls.append((step, energies)))
    for a, b in zip(logs, logs_watched):
        _same_log(a, b)
    assert batch_calls == [(i, [logs[0].energy[i], logs[1].energy[i]]) for i in range(3)]


def test_pretraining_rounds_and_tickets_report_in_the_log(tmp_path, monkeypatch, capsys):
    """The experiment's phases call the hooks: a line per round, step lines in long phases (here
    LOG_EVERY = 10 steps stands for the real 500)."""
    from sparse_nqs.config.check import _merge
    from sparse_nqs.physics.reference import compute_reference
    from sparse_nqs.pruning.experiment import pretrain, prune, train_tickets
    from sparse_nqs.settings import DEFAULTS
    from sparse_nqs.vmc.run import VMCRun as Run

    monkeypatch.setattr(progress, "LOG_EVERY", 10)
    settings = _merge(DEFAULTS, {
        "model": {"L": 2},
        "network": {"kind": "ffnn", "alpha": 1},
        "sampling": {"n_samples": 64, "n_chains": 16},
        "pruning": {"p_r": 0.3, "iterations": 2, "pretrain_steps": 20, "steps_per_iteration": 10,
                    "checkpoint_every": 10},
        "evaluation": {"n_samples": 64},
        "tickets": {"steps": 10},
    }, "tiny")
    run = Run({"name": "tiny", **settings}, tmp_path / "run")
    reference = compute_reference(TFIM(2))[0]
    pretrain(run, reference)
    prune(run, "imp_wr", reference)
    train_tickets(run, [("init_imp", 1), ("init_rand", 1)], reference, batched=True)
    lines = [line for line in capsys.readouterr().out.splitlines() if re.match(r"tiny .*(step|round) \d+/", line)]
    expected = [r"tiny pre-training: step 10/20 E=\S+ elapsed \S+ left ~\S+",
                r"tiny pre-training: step 20/20 E=\S+ elapsed \S+ left ~0s",
                r"tiny imp_wr round 1: step 10/10 E=\S+ elapsed \S+ left ~0s",
                r"tiny imp_wr: round 1/2 n=\d+ E=\S+ \(training\) elapsed \S+ left ~\S+",
                r"tiny imp_wr round 2: step 10/10 E=\S+ elapsed \S+ left ~0s",
                r"tiny imp_wr: round 2/2 n=\d+ E=\S+ \(training\) elapsed \S+ left ~0s",
                r"tiny 2 tickets: step 10/10 E=\S+ \(mean of 2\) elapsed \S+ left ~0s"]
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(pattern, line), line
