"""Pruning primitives: the count rule, magnitude and random pruning, random masks (docs/science.md,
"Pruning and tickets").

Masks and weights are handled as flat dictionaries {path: array} (paths like ``"block0_conv1/kernel"``,
see :func:`flatten`). The prunable pool is every mask entry outside ``PRUNING_EXCLUDED`` (the ResCNN
embedding); the FFNN and CNN have one prunable layer and the ResCNN's residual-block convolutions
share one global threshold, so in every case one round removes the c smallest (or c random) entries of
the whole pool. Ties in |w| are broken by position (paths in sorted order, entries in C order).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from flax.traverse_util import flatten_dict, unflatten_dict

from ..errors import SparseNQSError
from ..names import PRUNING_METHODS
from ..networks import is_prunable

#: what each pruning method (names.PRUNING_METHODS) does: (selection, rewind to theta_wr after pruning)
METHODS = {"imp_wr": ("magnitude", True), "imp_ct": ("magnitude", False), "irp_wr": ("random", True)}
assert tuple(METHODS) == PRUNING_METHODS


class PruningScheduleError(SparseNQSError, ValueError):
    pass


def prune_count(p_r: float, n_remaining: int) -> int:
    """Weights removed in one round: c = max(1, rint(p_r * n_remaining)), rint = half to even.

    This reproduces the authors' published parameter sequences; Eq. 7 of the paper,
    n = (1 - p_r)^i n_init, is only its continuous approximation.
    """
    return max(1, int(np.rint(p_r * n_remaining)))


def remaining_weight_sequence(pool: int, p_r: float, iterations: int, fixed: int = 0,
                              first_p_r: float | None = None) -> list[int]:
    """n_0 .. n_I: counted weights after each round; ``pool`` prunable, ``fixed`` never pruned.
    ``first_p_r``: a different rate for the first round only (the RBM thesis' 40%, then 5% per round).

    Raises if the pool would be exhausted (fewer than one weight left) within ``iterations``.
    """
    for name, rate in (("p_r", p_r), ("first_p_r", first_p_r)):
        if rate is not None and not 0 < rate < 1:
            raise PruningScheduleError(f"{name} must lie in (0, 1), got {rate}")
    if iterations < 0:
        raise PruningScheduleError(f"the number of pruning iterations must be >= 0, got {iterations}")
    remaining = [pool]
    for i in range(iterations):
        rate = first_p_r if i == 0 and first_p_r is not None else p_r
        left = remaining[-1] - prune_count(rate, remaining[-1])
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


# --------------------------------------------------------------------------------------------
# masks as flat dictionaries
# --------------------------------------------------------------------------------------------
def flatten(tree) -> dict[str, np.ndarray]:
    """{"a/b": numpy array} of a nested dict of arrays (copies, so callers may modify them)."""
    return {"/".join(k): np.array(v) for k, v in flatten_dict(dict(tree)).items()}


def unflatten(flat: dict) -> dict:
    """The nested dict of jax arrays that Flax and NetKet expect."""
    return unflatten_dict({tuple(k.split("/")): jnp.asarray(v) for k, v in flat.items()})


def prunable_paths(masks: dict) -> list[str]:
    return sorted(p for p in masks if is_prunable(p))


def pool_size(masks: dict) -> int:
    """Unmasked entries of the prunable pool (n minus the never-pruned part)."""
    return int(sum(np.count_nonzero(masks[p]) for p in prunable_paths(masks)))


def _pool(masks: dict):
    """Positions of the surviving pool entries as (path index, flat index) arrays, in tie-break order."""
    paths = prunable_paths(masks)
    which = [np.full(np.count_nonzero(masks[p]), i) for i, p in enumerate(paths)]
    where = [np.flatnonzero(masks[p].ravel()) for p in paths]
    return paths, np.concatenate(which), np.concatenate(where)


def _remove(masks: dict, paths, which, where, chosen) -> dict:
    new = {p: np.array(m) for p, m in masks.items()}
    for k in chosen:
        path = paths[which[k]]
        flat = new[path].reshape(-1)
        flat[where[k]] = 0
    return new


def magnitude_prune(weights: dict, masks: dict, count: int) -> dict:
    """New masks without the ``count`` surviving pool weights of smallest |w|."""
    paths, which, where = _pool(masks)
    if not 0 < count < len(where):
        raise PruningScheduleError(f"cannot remove {count} of {len(where)} surviving weights")
    magnitude = np.concatenate([np.abs(np.asarray(weights[p]).ravel()[masks[p].ravel() != 0]) for p in paths])
    chosen = np.argsort(magnitude, kind="stable")[:count]  # stable: equal |w| -> earlier position first
    return _remove(masks, paths, which, where, chosen)


def random_prune(masks: dict, count: int, rng: np.random.Generator) -> dict:
    """New masks without ``count`` pool weights chosen uniformly among the surviving ones."""
    paths, which, where = _pool(masks)
    if not 0 < count < len(where):
        raise PruningScheduleError(f"cannot remove {count} of {len(where)} surviving weights")
    chosen = rng.choice(len(where), size=count, replace=False)
    return _remove(masks, paths, which, where, chosen)


def random_mask_like(masks: dict, rng: np.random.Generator) -> dict:
    """A one-shot uniformly random mask with as many unmasked entries in every prunable tensor as ``masks``.

    Never-pruned tensors (the ResCNN embedding) are copied.
    """
    new = {}
    for path, mask in masks.items():
        mask = np.asarray(mask)
        if not is_prunable(path):
            new[path] = np.array(mask)
            continue
        keep = np.zeros(mask.size, dtype=mask.dtype)
        keep[rng.choice(mask.size, size=np.count_nonzero(mask), replace=False)] = 1
        new[path] = keep.reshape(mask.shape)
    return new


def pruning_rng(seed: int, round_index: int) -> np.random.Generator:
    """The random stream of one random-pruning round: a different stream every round, fixed by the seed."""
    return np.random.default_rng([seed, round_index])
