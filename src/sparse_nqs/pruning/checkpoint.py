"""Checkpoints of a (sparse) network: weights + masks + metadata in one ``.npz`` file.

Format ``sparse_nqs.checkpoint/1`` (a NumPy ``.npz`` archive, written atomically):

* ``params/<module>/<name>``   every trainable array, exact dtype (float64)
* ``masks/<module>/<name>``    the binary mask of every prunable weight tensor
* ``extra/<name>``             optional arrays (e.g. the sampler's chain state, for resuming)
* ``__metadata__``             UTF-8 JSON: {"format", "network" (config), "step", "seeds",
                               "versions", ...free keys given by the caller}

Arrays are stored bit for bit, so a loaded checkpoint reproduces the log-amplitudes exactly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import jax.numpy as jnp
import numpy as np
from flax.traverse_util import flatten_dict, unflatten_dict

from ..io import json_safe, package_versions, write_npz_atomic

FORMAT = "sparse_nqs.checkpoint/1"
_META = "__metadata__"


@dataclass
class Checkpoint:
    params: dict
    masks: dict
    metadata: dict
    extra: dict = field(default_factory=dict)

    @property
    def variables(self) -> dict:
        """Flax variables for ``network.apply`` / ``MCState.variables``."""
        return {"params": self.params, "masks": self.masks}

    @property
    def content_id(self) -> str:
        """Hash of the weights and masks: what later results made from this checkpoint record, so
        that they are never paired with a re-made one that differs (e.g. retrained on a GPU)."""
        return array_tree_id(self.params, self.masks)

    @property
    def masks_id(self) -> str:
        """Hash of the masks alone (what a ticket takes from an IMP-WR round)."""
        return array_tree_id(self.masks)


def array_tree_id(*trees) -> str:
    """A short hash of the names, dtypes, shapes and bytes of every array in ``trees``."""
    digest = hashlib.sha256()
    for tree in trees:
        for name, value in sorted(_flat(tree, "").items()):
            value = np.ascontiguousarray(value)
            digest.update(f"{name}|{value.dtype.str}|{value.shape}|".encode())
            digest.update(value.tobytes())
    return digest.hexdigest()[:16]


def _flat(tree, prefix: str) -> dict:
    return {f"{prefix}/" + "/".join(k): np.asarray(v) for k, v in flatten_dict(dict(tree)).items()}


def save_checkpoint(path, params, masks, metadata: dict, extra: dict | None = None) -> None:
    meta = {"format": FORMAT, "versions": package_versions(), **metadata}
    arrays = {**_flat(params, "params"), **_flat(masks, "masks")}
    for name, value in (extra or {}).items():
        arrays[f"extra/{name}"] = np.asarray(value)
    arrays[_META] = np.frombuffer(json.dumps(json_safe(meta)).encode(), dtype=np.uint8)
    write_npz_atomic(path, **arrays)


def load_checkpoint(path) -> Checkpoint:
    with np.load(Path(path), allow_pickle=False) as data:
        meta = json.loads(data[_META].tobytes().decode())
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: not a {FORMAT} checkpoint (format {meta.get('format')!r})")
        groups = {"params": {}, "masks": {}, "extra": {}}
        for key in data.files:
            if key == _META:
                continue
            group, _, rest = key.partition("/")
            groups[group][rest] = data[key]

    def tree(flat):
        return unflatten_dict({tuple(k.split("/")): jnp.asarray(v) for k, v in flat.items()})

    return Checkpoint(params=tree(groups["params"]), masks=tree(groups["masks"]), metadata=meta,
                      extra=groups["extra"])
