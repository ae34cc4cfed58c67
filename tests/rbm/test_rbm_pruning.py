"""The shared count rule on the RBM: the source's Table I, the thesis' 40%-then-5% schedule, and where
the RBM graph must come apart (docs/rbm.md)."""

import numpy as np
import pytest

from sparse_nqs.pruning.schedule import PruningScheduleError, magnitude_prune, remaining_weight_sequence
from sparse_nqs.rbm import init_rbm, is_connected, min_connected_weights

#: the source's Table I: percent of the 18 x 9 weights remaining after iteration i (= 100 * 0.9^i)
TABLE_I = [100, 90.0, 81.0, 72.9, 65.6, 59.0, 53.1, 47.8, 43.0, 38.7, 34.9, 31.4, 28.2, 25.4, 22.9, 20.6,
           18.5, 16.7, 15.0]


def test_ten_percent_of_the_remaining_weights_per_round_is_the_source_s_table_i():
    """The count rule removes rint(0.1 n) whole weights per round; Table I is the continuous 0.9^i. The
    two differ by the accumulated rounding only: at most 1.02 weights (iteration 6: 85 against 86.0)."""
    n = remaining_weight_sequence(162, 0.1, 18)
    assert n[:4] == [162, 146, 131, 118] and n[-1] == 24
    gaps = np.abs(np.array(n) - 1.62 * np.array(TABLE_I))
    assert gaps.max() < 1.1 and np.argmax(gaps) == 6
    # every percentage within 0.7 points of the table
    assert np.all(np.abs(100 * np.array(n) / 162 - np.array(TABLE_I)) < 0.7)


def test_the_thesis_schedule_removes_40_percent_first_then_5():
    n = remaining_weight_sequence(162, 0.05, 6, first_p_r=0.4)
    assert n == [162, 97, 92, 87, 83, 79, 75]  # rint(64.8) = 65, then rint(0.05 n)
    with pytest.raises(PruningScheduleError, match="first_p_r"):
        remaining_weight_sequence(162, 0.05, 3, first_p_r=1.2)
    with pytest.raises(PruningScheduleError, match="exhaust"):
        remaining_weight_sequence(162, 0.5, 40)  # pruning past the last weight is refused


def test_the_rbm_graph_comes_apart_below_its_spanning_tree():
    assert min_connected_weights(18, 9) == 26 and round(100 * 26 / 162, 2) == 16.05
    assert [min_connected_weights(N, N // 2) for N in (50, 100)] == [74, 149]
    variables = init_rbm(18, 9, seed=0)
    weights = {"kernel": np.asarray(variables["params"]["kernel"])}
    masks = {"kernel": np.ones((18, 9))}
    assert is_connected(masks["kernel"])
    pruned = magnitude_prune(weights, masks, 162 - 25)  # 25 weights: fewer than a spanning tree
    assert int(pruned["kernel"].sum()) == 25 and not is_connected(pruned["kernel"])
    chain = np.zeros((18, 9))  # hidden unit j joins visible 2j, 2j+1, 2j+2: one path through all 27 units
    for j in range(9):
        chain[2 * j:2 * j + 3, j] = 1
    assert is_connected(chain) and chain.sum() == 26
