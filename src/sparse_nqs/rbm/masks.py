"""Masks of RBMs built by hand: the source's constructed cluster mask (sc; docs/rbm.md, "Sparse RBMs").

Each hidden unit connects to one cluster of X >= 3 *adjacent* visible units of the open chain. The
source sets X by the target density and requires a connected graph, but does not say where the
clusters start; here the N_h starts are evenly spaced from the first site to the last possible one,
start_j = round(j (N - X) / (N_h - 1)), so that the clusters cover the chain in order and neighbouring
clusters overlap whenever (N - X) / (N_h - 1) <= X - 1, which keeps the graph connected.
"""

from __future__ import annotations

import numpy as np

from ..errors import SparseNQSError
from .model import is_connected

#: the smallest cluster of the source
MIN_CLUSTER = 3


class MaskConstructionError(SparseNQSError, ValueError):
    pass


def cluster_size(n_visible: int, n_hidden: int, n_weights: int) -> int:
    """X: the cluster size whose N_h X weights come closest to ``n_weights`` (at least 3, at most N)."""
    return int(min(n_visible, max(MIN_CLUSTER, round(n_weights / n_hidden))))


def cluster_starts(n_visible: int, n_hidden: int, size: int) -> np.ndarray:
    if n_hidden == 1:
        return np.zeros(1, dtype=int)
    return np.rint(np.arange(n_hidden) * (n_visible - size) / (n_hidden - 1)).astype(int)


def cluster_mask(n_visible: int, n_hidden: int, n_weights: int) -> np.ndarray:
    """The (N, N_h) 0/1 mask of clusters with about ``n_weights`` weights; raises if the graph of the
    construction would be disconnected (too few weights for overlapping clusters)."""
    size = cluster_size(n_visible, n_hidden, n_weights)
    mask = np.zeros((n_visible, n_hidden))
    for j, start in enumerate(cluster_starts(n_visible, n_hidden, size)):
        mask[start:start + size, j] = 1
    if not is_connected(mask):
        raise MaskConstructionError(f"clusters of {size} adjacent spins for {n_hidden} hidden units leave the "
                                    f"{n_visible}-spin RBM disconnected; ask for more weights than {n_weights}")
    return mask
