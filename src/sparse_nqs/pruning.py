"""Pruning (SPEC.md section 5). This module holds the count rule; the pruning loops build on it."""

from __future__ import annotations

import numpy as np


class PruningScheduleError(ValueError):
    pass


def prune_count(p_r: float, n_remaining: int) -> int:
    """Weights removed in one round: c = max(1, rint(p_r * n_remaining)), rint = half to even.

    This reproduces the authors' published parameter sequences; Eq. 7 of the paper,
    n = (1 - p_r)^i n_init, is only its continuous approximation.
    """
    return max(1, int(np.rint(p_r * n_remaining)))


def remaining_weight_sequence(pool: int, p_r: float, iterations: int, fixed: int = 0) -> list[int]:
    """n_0 .. n_I: counted weights after each round; ``pool`` prunable, ``fixed`` never pruned.

    Raises if the pool would be exhausted (fewer than one weight left) within ``iterations``.
    """
    if not 0 < p_r < 1:
        raise PruningScheduleError(f"p_r must lie in (0, 1), got {p_r}")
    if iterations < 0:
        raise PruningScheduleError(f"the number of pruning iterations must be >= 0, got {iterations}")
    remaining = [pool]
    for i in range(iterations):
        left = remaining[-1] - prune_count(p_r, remaining[-1])
        if left < 1:
            raise PruningScheduleError(
                f"{iterations} pruning iterations at p_r = {p_r} exhaust the {pool} prunable weights "
                f"after {i + 1} rounds; at most {i} are possible"
            )
        remaining.append(left)
    return [r + fixed for r in remaining]


def max_iterations(pool: int, p_r: float) -> int:
    """The largest I for which the pool keeps at least one weight."""
    n, i = pool, 0
    while n - prune_count(p_r, n) >= 1:
        n -= prune_count(p_r, n)
        i += 1
    return i
