"""An RBM run: the pruning engine's run (:class:`sparse_nqs.pruning.experiment.Run`) of a positive
RBM trained by contrastive divergence on measurement data (docs/rbm.md).

A step is one epoch of CD-k / PCD; the state is the RBM's variables, its persistent chains and its
random key (saved with the weights, so a resumed run repeats the same numbers). The training log has
a row every ``evaluation.log_every`` epochs with the exact KL divergences and infidelity (N <= 20) and
the sampled metrics on ``evaluation.log_samples`` Gibbs samples; an evaluation row (after
pre-training, every pruning round, every ticket) has them on ``evaluation.n_samples`` samples, with
the m histogram and C(d). The reference record of a run is the record of its data
(:func:`sparse_nqs.rbm.data.write_data`): the ground-state energy and the data's statistics.
"""

from __future__ import annotations

import hashlib
import time
from functools import cached_property
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .. import paths
from ..io import derive_seed, read_json
from ..names import ED_AUTO_MAX_SPINS, EVALUATION_VERSION
from ..physics.models import TFIMChain
from ..physics.reference import check_record
from ..pruning.experiment import ExperimentError, Run, settings_fingerprint
from ..vmc.training import TrainingDivergedError
from .data import load_samples
from .evaluation import draw_samples, empirical_distribution, exact_metrics, sampled_metrics
from .masks import cluster_mask
from .model import init_rbm
from .training import CDSettings, train_epoch


def n_hidden(settings: dict) -> int:
    """N_h = round(hidden_ratio N), at least 1."""
    return max(1, int(round(settings["rbm"]["hidden_ratio"] * settings["model"]["N"])))


def chain_model(settings: dict) -> TFIMChain:
    return TFIMChain(L=settings["model"]["N"], kappa=float(settings["model"]["h"]))


def data_system(settings: dict) -> str:
    """The name of a run's data set: its chain's label and the data settings."""
    d = settings["data"]
    return f"{chain_model(settings).label}_n{d['n_samples']}_s{d['seed']}"


def rbm_phase_settings(settings: dict, phase: str, method: str | None = None, variant: str | None = None) -> dict:
    """The settings one phase of an RBM run depends on (see ``Run.phase_settings``)."""
    p, seeds = settings["pruning"], settings["seeds"]
    base = {"family": "rbm", "model": settings["model"], "rbm": settings["rbm"], "cd": settings["cd"],
            "data": settings["data"], "evaluation": settings["evaluation"],
            "seeds": {"init": seeds["init"], "sampler": seeds["sampler"]}, "pretrain_steps": p["pretrain_steps"]}
    if phase == "pretrain":
        return base
    if phase == "evaluate":  # of any stored state (the evaluation section also sets the training logs)
        return {**base, "version": EVALUATION_VERSION["rbm"]}
    if phase == "prune":
        out = {**base, "method": method, "p_r": p["p_r"], "first_p_r": p["first_p_r"], "iterations": p["iterations"],
               "steps_per_iteration": p["steps_per_iteration"]}
        if method == "irp_wr":
            out["mask_seed"] = seeds["mask"]
        return out
    if phase == "ticket":
        out = {**rbm_phase_settings(settings, "prune", settings["tickets"]["mask_method"]),
               "ticket_steps": settings["tickets"]["steps"]}
        if variant in ("rand_imp", None):
            out["ticket_init_seed"] = seeds["ticket_init"]
        if variant in ("init_rand", None):
            out["mask_seed"] = seeds["mask"]
        if variant in ("cluster", None):
            out["cluster"] = "even-starts/1"  # the construction rule of rbm.masks.cluster_mask
        return out
    raise ValueError(f"unknown phase {phase!r}")


class RBMState:
    """A trainable RBM: its variables, persistent chains and random key."""

    def __init__(self, variables: dict, chains: jax.Array, key: jax.Array):
        self.variables, self.chains, self.key = variables, chains, key

    @property
    def parameters(self) -> dict:
        return self.variables["params"]

    @parameters.setter
    def parameters(self, params: dict) -> None:
        self.variables = {**self.variables, "params": params}


class RBMRun(Run):
    """One resolved RBM run. ``data``: its samples file (default: ``data/<data set>.npz`` of the
    results directory two levels above the run's directory)."""

    log_columns = ("step", "kl_exact", "kl_data", "infidelity", "energy", "eroe", "abs_mz", "mroe", "c_mse",
                   "wall_seconds")

    def __init__(self, settings: dict, directory, data: str | Path | None = None, record: dict | None = None):
        super().__init__(settings, directory)
        self.model = chain_model(settings)
        self.n_hidden = n_hidden(settings)
        self.cd = CDSettings(**settings["cd"])
        self.data_path = Path(data) if data else self.directory.parent.parent / paths.data(data_system(settings))
        self._record = record

    # ------------------------------------------------------------------ the data
    @cached_property
    def _data(self) -> dict:
        samples = load_samples(self.data_path, self.model.N)
        # "array": the samples as the float64 device array CD trains on, converted once per job, not
        # once per training call (each pruning round and each checkpoint chunk is one)
        out = {"samples": samples, "id": _sha(samples)[:16], "array": jnp.asarray(samples, dtype=jnp.float64)}
        if self.exact:
            with np.load(self.data_path) as archive:
                if "target" not in archive:
                    raise ExperimentError(f"{self.data_path} holds no exact |psi|^2 (made for N > "
                                          f"{ED_AUTO_MAX_SPINS}?), but exact metrics are asked for")
                out["target"] = np.asarray(archive["target"])
            out["empirical"] = empirical_distribution(samples, self.model.hilbert)
        return out

    @property
    def record(self) -> dict:
        """The data's record (energy and statistics): given, or read beside the samples."""
        if self._record is None:
            self._record = read_json(self.data_path.with_suffix(".json"))
        return self._record

    @property
    def exact(self) -> bool:
        e = self.settings["evaluation"]["exact"]
        return self.model.N <= ED_AUTO_MAX_SPINS if e == "auto" else bool(e)

    # ------------------------------------------------------------------ the engine's hooks
    @property
    def counts(self) -> dict:
        pool = self.model.N * self.n_hidden
        return {"n_init": pool, "pool": pool, "fixed": 0}  # the biases are never pruned nor counted (Table I)

    @property
    def n_units(self) -> int:
        return self.model.N

    def phase_settings(self, phase: str, method: str | None = None, variant: str | None = None) -> dict:
        return rbm_phase_settings(self.settings, phase, method, variant)

    def fingerprint(self, phase: str, method: str | None = None, variant: str | None = None) -> str:
        """The phase's settings and the identity of the samples it learns from (data re-made with
        another DMRG backend differ, and nothing trained on the old ones is reused)."""
        return settings_fingerprint({**self.phase_settings(phase, method, variant), "data_id": self._data["id"]})

    def new_state(self, variables: dict | None, stream_seed: int) -> RBMState:
        if variables is None:
            variables = init_rbm(self.model.N, self.n_hidden, self.seeds["init"])
        key, key_chains = jax.random.split(jax.random.key(stream_seed))
        data = self._data["samples"]
        start = jax.random.choice(key_chains, len(data), (self.cd.batch_size,), replace=False)
        chains = jnp.asarray(data[np.asarray(start)], dtype=jnp.float64)
        return RBMState(variables, chains, key)

    def train(self, state: RBMState, n_steps: int, first_step: int, progress=None) -> pd.DataFrame:
        data = self._data["array"]
        every = int(self.settings["evaluation"]["log_every"])
        rows, start = [], time.perf_counter()
        for epoch in range(first_step, first_step + n_steps):
            state.key, key = jax.random.split(state.key)
            state.variables, state.chains = train_epoch(state.variables, data, key, state.chains, self.cd)
            if (epoch + 1) % every == 0 or epoch + 1 == first_step + n_steps:
                if not all(np.isfinite(np.asarray(p)).all() for p in jax.tree_util.tree_leaves(state.parameters)):
                    raise TrainingDivergedError(f"run {self.name}: the RBM's weights are no longer finite after "
                                                f"epoch {epoch + 1} (cd.learning_rate {self.cd.learning_rate} too "
                                                f"large?)")
                row = self._log_row(state.variables, epoch)
                row["wall_seconds"] = time.perf_counter() - start
                rows.append(row)
                if progress is not None:
                    progress(epoch, row["kl_exact"] if self.exact else row["energy"])
        return pd.DataFrame(rows, columns=list(self.log_columns))

    def _log_row(self, variables: dict, epoch: int) -> dict:
        e = self.settings["evaluation"]
        row = {"step": epoch + 1, **self._metrics(variables, e["log_samples"], "log", epoch)}
        return {c: row.get(c, float("nan")) for c in self.log_columns}

    def _metrics(self, variables: dict, n_samples: int, *labels) -> dict:
        e = self.settings["evaluation"]
        samples = draw_samples(variables, self.model.N, n_samples, min(e["n_chains"], n_samples), e["burn_in"],
                               e["thin"], derive_seed(self.seeds["sampler"], "evaluate", *labels))
        row = sampled_metrics(variables, self.model, samples, self.record.get("energy"), self.record["statistics"])
        if self.exact:
            row.update(exact_metrics(variables, self.model.N, self._data["target"], self._data["empirical"]))
        else:
            row.update(kl_exact=float("nan"), kl_data=float("nan"), infidelity=float("nan"))
        return row

    def evaluate(self, variables: dict, reference: dict | None, *labels) -> dict:
        row = self._metrics(variables, self.settings["evaluation"]["n_samples"], *labels)
        row["reference_energy"] = self.record.get("energy", float("nan"))
        row["eps_rel"] = abs(row["energy"] - row["reference_energy"]) / abs(row["reference_energy"])
        return row

    def stored_row(self, checkpoint) -> dict | None:
        """Checkpoints made before the evaluation was a step of its own carry their evaluation row; an
        RBM's evaluation has not changed since (EVALUATION_VERSION["rbm"] 1), and its settings are part of
        the training fingerprint that the checkpoint matched, so that row is still this evaluation's."""
        return checkpoint.metadata.get("row") if EVALUATION_VERSION["rbm"] == 1 else None

    def state_arrays(self, state: RBMState) -> dict:
        return {"rbm_chains": np.asarray(state.chains), "rbm_key": np.asarray(jax.random.key_data(state.key))}

    def restore_state(self, state: RBMState, arrays: dict) -> None:
        state.chains = jnp.asarray(arrays["rbm_chains"], dtype=jnp.float64)
        state.key = jax.random.wrap_key_data(jnp.asarray(arrays["rbm_key"], dtype=jnp.uint32))

    def fresh_params(self, seed: int) -> dict:
        return init_rbm(self.model.N, self.n_hidden, seed)["params"]

    def constructed_mask(self, masks: dict, iteration: int) -> dict:
        n = int(np.count_nonzero(np.asarray(masks["kernel"])))
        return {"kernel": jnp.asarray(cluster_mask(self.model.N, self.n_hidden, n))}

    @property
    def ticket_mask_method(self) -> str:
        return self.settings["tickets"]["mask_method"]

    def check_reference(self, reference: dict | None) -> None:
        if reference is not None:
            check_record(reference, self.model, where=f"the data record of run {self.name}")
            self._record = reference


def _sha(samples: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(samples).tobytes()).hexdigest()
