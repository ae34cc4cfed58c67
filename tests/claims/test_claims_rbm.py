"""The RBM family's claims on synthetic tables: a path where each holds, one where it does not, and
one that cannot decide it."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sparse_nqs.claims.common import FAIL, NOT_APPLICABLE, PASS
from sparse_nqs.claims.rbm import (
    NOISE_SIGMAS,
    critical_damaged_first,
    damage_fraction,
    histogram_turns_unimodal,
    larger_systems_prune_further,
    measure_noise,
    rewinding_beats_fine_tuning,
    sp_ss_fastest,
)
from sparse_nqs.figures.rbm import RBMTables
from sparse_nqs.pruning.schedule import remaining_weight_sequence
from sparse_nqs.settings import RBM_DATA_DEFAULTS, RBM_DEFAULTS

SEQUENCE = remaining_weight_sequence(162, 0.1, 18)  # the 18 x 9 RBM's Table I


def settings(N=18, h=1.0, methods=("imp_ct",)):
    s = copy.deepcopy(RBM_DEFAULTS)
    s["model"] = {"N": N, "h": h}
    s["pruning"]["methods"] = list(methods)
    return {**s, "data": dict(RBM_DATA_DEFAULTS), "family": "rbm"}


def path(run, damaged_at=None, method="imp_ct", n_init=162, **columns):
    """A history whose every measure is 1 until the pruned fraction ``damaged_at``, then 3."""
    n = np.array(SEQUENCE) * n_init // 162
    pruned = 1 - n / n_init
    level = np.where(pruned >= damaged_at, 3.0, 1.0) if damaged_at is not None else np.ones(len(n))
    frame = pd.DataFrame({"run": run, "method": method, "iteration": np.arange(-1, len(n) - 1), "n": n,
                          "pruned": pruned})
    for measure in ("kl_exact", "infidelity", "eroe", "mroe", "c_mse"):
        frame[measure] = level
    for name, values in columns.items():
        frame[name] = values
    return frame


def tables(runs: dict, histories: list, logs: list = (), results=Path(".")) -> RBMTables:
    return RBMTables(results, runs, histories=pd.concat(histories, ignore_index=True),
                     logs=pd.concat(logs, ignore_index=True) if logs else pd.DataFrame())


def pretrain_log(run, scatter, method="imp_ct", epochs=500, every=25):
    """A pre-training log whose every measure alternates 1 +- scatter (noise sqrt(2) scatter)."""
    steps = np.arange(every, epochs + 1, every)
    values = 1 + scatter * np.where(np.arange(len(steps)) % 2, 1.0, -1.0)
    frame = pd.DataFrame({"run": run, "method": method, "phase": "pretrain", "step": steps})
    for measure in ("kl_exact", "infidelity", "eroe", "mroe", "c_mse"):
        frame[measure] = values
    return frame


def test_a_damage_fraction_is_the_first_round_beyond_twice_the_dense_value():
    p = path("a", damaged_at=0.25)
    assert damage_fraction(p, "kl_exact") == pytest.approx(1 - 118 / 162)
    assert damage_fraction(path("a"), "kl_exact") == np.inf
    spike = path("a", kl_exact=[1, 1, 3, 1] + [1] * 8 + [3] * 7)  # a single round above twice dense is no damage
    assert damage_fraction(spike, "kl_exact") == pytest.approx(1 - SEQUENCE[12] / 162)  # rows 12 .. 18


def test_damage_is_a_rise_beyond_the_measured_noise_of_pre_training():
    """The noise comes from the last 40% of the pre-training log (epochs 325 .. 500: 8 rows), by
    successive differences; a rise from 1 to 3 is damage over a noise of 0.14 (threshold 1.4), not
    over a noise of 1.4 (threshold 5.2). A steady drift is not noise."""
    quiet, noisy = pretrain_log("a", 0.1), pretrain_log("a", 1.0)
    t = tables({"a": settings()}, [path("a", 0.25)], [quiet])
    noise = measure_noise(t, "a", "kl_exact")
    assert noise == pytest.approx(np.sqrt(2) * 0.1)
    drifting = quiet.assign(kl_exact=np.linspace(2.0, 1.0, len(quiet)))
    step = 1.0 / (len(quiet) - 1)
    assert measure_noise(tables({"a": settings()}, [path("a")], [drifting]), "a", "kl_exact") == \
        pytest.approx(step / np.sqrt(2))  # the drift's own steps only, far below its spread
    assert damage_fraction(path("a", 0.25), "kl_exact", noise) == pytest.approx(1 - 118 / 162)
    t = tables({"a": settings()}, [path("a", 0.25)], [noisy])
    assert 1 + NOISE_SIGMAS * measure_noise(t, "a", "kl_exact") > 3
    assert damage_fraction(path("a", 0.25), "kl_exact", measure_noise(t, "a", "kl_exact")) == np.inf
    # a small rise the factor 2 would miss is damage when the noise is smaller still
    small = path("a", kl_exact=[1.0] * 6 + [1.5] * 13)
    assert damage_fraction(small, "kl_exact") == np.inf
    assert damage_fraction(small, "kl_exact", 0.05) == pytest.approx(1 - SEQUENCE[6] / 162)


@pytest.mark.parametrize("h1, h2, status", [(0.25, 0.76, PASS), (0.25, 0.5, FAIL), (0.8, 0.5, FAIL),
                                            (0.6, 0.8, FAIL)])  # in order, but h = 1 far beyond the source's
def test_the_critical_point_is_damaged_first(h1, h2, status):
    t = tables({"c": settings(h=1.0), "p": settings(h=2.0)}, [path("c", h1), path("p", h2)])
    assert critical_damaged_first(t, {"runs": ["c", "p"]}, "rbm_fig2")[0]["status"] == status


def test_paths_that_stop_early_and_undamaged_cannot_decide():
    short = [path("c").head(5), path("p").head(5)]
    t = tables({"c": settings(h=1.0), "p": settings(h=2.0)}, short)
    row = critical_damaged_first(t, {"runs": ["c", "p"]}, "rbm_fig2")[0]
    assert row["status"] == NOT_APPLICABLE and "none up to" in row["measured"]


def test_the_histogram_turns_from_two_peaks_to_one():
    N = 18
    m = -1 + 2 * np.arange(N + 1) / N
    two = np.exp(-((np.abs(m) - 0.75) ** 2) / 0.02)
    one = np.exp(-(m**2) / 0.02)
    hist = {f"hist_{k}": [(two if i < 10 else one)[k] for i in range(19)] for k in range(N + 1)}
    t = tables({"c": settings()}, [path("c", **hist)])
    assert histogram_turns_unimodal(t, {"runs": ["c"]}, "rbm_fig3")[0]["status"] == PASS
    hist_two = {f"hist_{k}": [two[k]] * 19 for k in range(N + 1)}
    t = tables({"c": settings()}, [path("c", **hist_two)])
    assert histogram_turns_unimodal(t, {"runs": ["c"]}, "rbm_fig3")[0]["status"] == FAIL


def test_larger_chains_take_more_pruning_before_their_correlations_are_damaged():
    runs = {"n18": settings(18), "n50": settings(50)}
    ok = tables(runs, [path("n18", 0.3), path("n50", 0.6, n_init=1250)])
    assert larger_systems_prune_further(ok, {"runs": ["n50", "n18"]}, "rbm_fig4")[0]["status"] == PASS
    reversed_ = tables(runs, [path("n18", 0.6), path("n50", 0.3, n_init=1250)])
    assert larger_systems_prune_further(reversed_, {"runs": ["n18", "n50"]}, "rbm_fig4")[0]["status"] == FAIL


def test_rewinding_wins_only_by_a_significant_count_of_rounds():
    run = {"c": settings(methods=("imp_ct", "imp_wr"))}
    ct = path("c")
    better = ct.assign(method="imp_wr", kl_exact=ct.kl_exact * 0.9)
    t = tables(run, [ct, better])
    assert rewinding_beats_fine_tuning(t, {"runs": ["c"]}, "rbm_lth")[0]["status"] == PASS
    mixed = ct.assign(method="imp_wr", kl_exact=ct.kl_exact * np.where(np.arange(19) % 2, 0.9, 1.1))
    assert rewinding_beats_fine_tuning(tables(run, [ct, mixed]), {"runs": ["c"]}, "rbm_lth")[0]["status"] == FAIL


def test_the_critical_claim_names_the_source_and_the_noise_basis():
    runs = {"c": settings(h=1.0), "p": settings(h=2.0)}
    t = tables(runs, [path("c", 0.25), path("p", 0.76)], [pretrain_log("c", 0.1), pretrain_log("p", 0.1)])
    row = critical_damaged_first(t, {"runs": ["c", "p"]}, "rbm_fig2")[0]
    assert row["status"] == PASS and "source about 75%" in row["measured"]
    assert "noise of 5 of 5 measures from pre-training" in row["measured"]


@pytest.mark.parametrize("epochs, status", [((100, 200, 300), PASS), ((200, 200, 300), NOT_APPLICABLE),
                                            ((300, 200, 300), FAIL)])
def test_sp_ss_is_fastest_only_when_it_reaches_the_common_level_first(tmp_path, epochs, status):
    """Each ticket's KL falls from 1 to 0.1 at the given epoch (logged every 25): the earliest to reach
    1.1 x the largest final KL wins; the same epoch is a tie, undecided at the log's resolution."""
    run = settings(h=1.0)
    run["tickets"] = {**run["tickets"], "variants": ["init_imp", "rand_imp", "cluster"], "iterations": [4]}
    rows = []
    for variant, at in zip(("init_imp", "rand_imp", "cluster"), epochs):
        steps = np.arange(25, 501, 25)
        log = pd.DataFrame({"step": steps, "kl_exact": np.where(steps >= at, 0.1, 1.0)})
        file = tmp_path / "runs" / "c" / "tickets" / f"{variant}_iter_004_log.csv"
        file.parent.mkdir(parents=True, exist_ok=True)
        log.to_csv(file, index=False)
        rows.append({"run": "c", "variant": variant, "iteration": 4, "kl_exact": 0.1})
    t = RBMTables(tmp_path, {"c": run}, histories=path("c"), tickets=pd.DataFrame(rows))
    assert sp_ss_fastest(t, {"runs": ["c"]}, "rbm_fig5")[0]["status"] == status
