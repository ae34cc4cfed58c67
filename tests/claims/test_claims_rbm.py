"""The RBM family's claims on synthetic tables: a path where each holds, one where it does not, and
one that cannot decide it."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sparse_nqs.claims.common import FAIL, NOT_APPLICABLE, PASS
from sparse_nqs.claims.rbm import (
    critical_damaged_first,
    damage_fraction,
    histogram_turns_unimodal,
    larger_systems_prune_further,
    rewinding_beats_fine_tuning,
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


def tables(runs: dict, histories: list) -> RBMTables:
    return RBMTables(Path("."), runs, histories=pd.concat(histories, ignore_index=True))


def test_a_damage_fraction_is_the_first_round_beyond_twice_the_dense_value():
    p = path("a", damaged_at=0.25)
    assert damage_fraction(p, "kl_exact") == pytest.approx(1 - 118 / 162)
    assert damage_fraction(path("a"), "kl_exact") == np.inf
    spike = path("a", kl_exact=[1, 1, 3, 1] + [1] * 8 + [3] * 7)  # a single round above twice dense is no damage
    assert damage_fraction(spike, "kl_exact") == pytest.approx(1 - SEQUENCE[12] / 162)  # rows 12 .. 18


@pytest.mark.parametrize("h1, h2, status", [(0.25, 0.76, PASS), (0.25, 0.5, FAIL), (0.8, 0.5, FAIL)])
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
