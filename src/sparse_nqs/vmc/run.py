"""A VMC run: the pruning engine's run (:class:`sparse_nqs.pruning.experiment.Run`) of a network
trained by stochastic reconfiguration on the energy of a Hamiltonian (docs/science.md), and the
analyses of its finished pruning paths (neighbour fidelities, the toric code's odd-parity filters)."""

from __future__ import annotations

from dataclasses import asdict

import jax
import numpy as np
import pandas as pd

from .. import paths
from ..io import derive_seed, write_csv_atomic
from ..networks import build_network, count_unmasked, weight_counts
from ..physics.models import ToricCode, make_model
from ..physics.reference import check_record
from ..names import EVALUATION_VERSION
from ..pruning.experiment import (EvaluationCache, ExperimentError, Run, finished_rounds, pretrained,
                                  settings_fingerprint)
from ..settings import RunSettings
from .evaluation import evaluate, with_reference
from .sampling import chain_arrays, make_vstate, restore_chains
from .training import LOG_COLUMNS, train, train_batch


def vmc_phase_settings(settings: dict, phase: str, method: str | None = None, variant: str | None = None) -> dict:
    """The settings that determine the outputs of one phase of a run, and nothing else.

    A ticket's settings hold only the seeds its variant uses (``variant`` None: those of all
    variants, for a job that trains every ticket of a run).

    The workflow passes these as rule ``params`` (so changing p_r reruns pruning but not
    pre-training), and their fingerprint (without ``iterations``, see :func:`fingerprint`) is
    stored in every checkpoint so that a restart never resumes from files made with other settings.
    Training phases hold no ``evaluation`` setting: phase "evaluate" (the evaluation rows) and
    "fidelity" do, so that a changed evaluation re-evaluates stored states without training them again.
    """
    s = RunSettings.from_dict(settings)
    p, seeds = s.pruning, s.seeds
    base = {"model": asdict(s.model), "network": dict(s.network), "sampling": asdict(s.sampling),
            "optimizer": asdict(s.optimizer),
            "seeds": {"init": seeds.init, "sampler": seeds.sampler}, "pretrain_steps": p.pretrain_steps}
    if phase == "pretrain":
        return base
    if phase == "evaluate":  # of any stored state of the run: what its evaluation row depends on
        return {"model": base["model"], "network": base["network"], "sampling": base["sampling"],
                "evaluation": {"n_samples": s.evaluation.n_samples, "exact_memory_mb": s.evaluation.exact_memory_mb},
                "seeds": {"sampler": seeds.sampler}, "version": EVALUATION_VERSION["vmc"]}
    if phase in ("prune", "fidelity"):
        out = {**base, "method": method, "p_r": p.p_r, "iterations": p.iterations,
               "steps_per_iteration": p.steps_per_iteration}
        if method == "irp_wr":
            out["mask_seed"] = seeds.mask
        if phase == "fidelity":
            out["evaluation"] = {"fidelity_samples": s.evaluation.fidelity_samples,
                                 "exact_memory_mb": s.evaluation.exact_memory_mb, "version": EVALUATION_VERSION["vmc"]}
        return out
    if phase == "ticket":
        out = {**vmc_phase_settings(settings, "prune", "imp_wr"), "ticket_steps": s.tickets.steps}
        if variant in ("rand_imp", None):  # theta_rand
            out["ticket_init_seed"] = seeds.ticket_init
        if variant in ("init_rand", None):  # m_rand
            out["mask_seed"] = seeds.mask
        return out
    raise ValueError(f"unknown phase {phase!r}")


class VMCRun(Run):
    """One resolved VMC run: its model, network and settings, and where its files go. A state is a
    NetKet ``MCState``; a step is one SR update."""

    log_columns = tuple(LOG_COLUMNS)

    def __init__(self, settings: dict, directory):
        super().__init__(settings, directory)
        m = settings["model"]
        self.model = make_model(m["name"], m["L"], m["kappa"], m["boundary"])
        self.network = build_network(settings["network"])
        self.typed = RunSettings.from_dict(settings)
        self.sampling = self.typed.sampling

    @property
    def counts(self) -> dict:
        return weight_counts(self.network, self.model.N)

    @property
    def n_units(self) -> int:
        return self.model.N

    def phase_settings(self, phase: str, method: str | None = None, variant: str | None = None) -> dict:
        return vmc_phase_settings(self.settings, phase, method, variant)

    def new_state(self, variables: dict | None, stream_seed: int):
        return make_vstate(self.model, self.network, self.sampling, init_seed=self.seeds["init"],
                           sampler_seed=stream_seed, variables=variables)

    def train(self, vstate, n_steps: int, first_step: int, progress=None) -> pd.DataFrame:
        o = self.settings["optimizer"]
        return train(vstate, self.model, n_steps, o["learning_rate"], o["diag_shift"], first_step=first_step,
                     progress=progress)

    def train_batch(self, vstates: list, n_steps: int, first_step: int, progress=None) -> list[pd.DataFrame]:
        o = self.settings["optimizer"]
        return train_batch(vstates, self.model, n_steps, o["learning_rate"], o["diag_shift"], first_step=first_step,
                           progress=progress)

    def evaluate(self, variables: dict, reference: dict | None, *labels) -> dict:
        e = self.typed.evaluation
        return evaluate(self.model, self.network, variables, reference, n_samples=e.n_samples, sampling=self.sampling,
                        seed=derive_seed(self.seeds["sampler"], "evaluate", *labels), exact_memory_mb=e.exact_memory_mb)

    def state_arrays(self, vstate) -> dict:
        return chain_arrays(vstate)

    def restore_state(self, vstate, arrays: dict) -> None:
        restore_chains(vstate, arrays)

    def fresh_params(self, seed: int) -> dict:
        return self.network.init(jax.random.key(seed), np.ones((1, self.model.N)))["params"]

    def legacy_fingerprint(self, metadata: dict, phase: str, method: str | None = None,
                           variant: str | None = None) -> str | None:
        """Checkpoints made before EVALUATION_VERSION 2 hashed the evaluation's sample count with the
        training settings (``evaluation_samples``); the count they were made with is in their settings."""
        if phase not in ("pretrain", "prune", "ticket"):
            return None
        stored = (metadata.get("settings") or {}).get("evaluation") or {}
        if "n_samples" not in stored:
            return None
        return settings_fingerprint({**self.phase_settings(phase, method, variant),
                                     "evaluation_samples": stored["n_samples"]})

    def check_reference(self, reference: dict | None) -> None:
        """Stop before any work when ``reference`` is a record of another system."""
        if reference is not None:
            check_record(reference, self.model, where=f"the reference record of run {self.name}")

    def with_reference(self, row: dict, reference: dict | None) -> dict:
        """A stored row with its error columns recomputed against the current ``reference``."""
        return with_reference(row, reference, self.model.N)


# --------------------------------------------------------------------------------------------
# analyses of finished pruning paths
# --------------------------------------------------------------------------------------------
def fidelity_table(run: Run, method: str) -> pd.DataFrame:
    """Neighbour fidelities along a finished pruning path (dense -> 0 -> 1 ...); writes <method>/fidelity.csv."""
    from ..analysis import fidelity_path

    wr = pretrained(run, "the fidelity table")
    rounds = finished_rounds(run, method, "the fidelity table")
    states = [(-1, count_unmasked(wr.masks), wr.variables)]
    states += [(i, count_unmasked(r.masks), r.variables) for i, r in enumerate(rounds)]
    ids = [wr.content_id] + [r.content_id for r in rounds]
    cache = EvaluationCache(run, [f"fidelity_{method}_{k:03d}" for k in range(len(rounds))],
                            [{"made_from": ids[k:k + 2], "evaluation": run.fingerprint("fidelity", method)}
                             for k in range(len(rounds))])
    e = run.typed.evaluation
    table = fidelity_path(run.model, run.network, states, e.fidelity_samples, run.sampling,
                          seed=derive_seed(run.seeds["sampler"], "fidelity", method), exact_memory_mb=e.exact_memory_mb,
                          cache=cache)
    table.insert(0, "method", method)
    table.insert(0, "run", run.name)
    write_csv_atomic(run.path(paths.fidelity(method)), table)
    return table


def toric_filter_tables(run: Run, weights_iteration: int | None = None, n_neurons: int = 6):
    """Odd-parity filter coverage per IMP-WR iteration and the weights of a few neurons (Fig. 4).

    Writes imp_wr/filters.csv and imp_wr/weights.csv. The weights are those of ``weights_iteration``
    (default: the iteration with the most odd-parity neurons, the sparsest among ties), ``n_neurons``
    neurons, odd-parity filters first.
    """
    from ..analysis.toric import classify_neurons, coverage_table, neuron_weight_table

    if not isinstance(run.model, ToricCode):
        raise ExperimentError(f"run {run.name}: odd-parity filters are a toric-code analysis")
    rounds = finished_rounds(run, "imp_wr", "the filter analysis")

    def kernel_and_mask(ckpt):
        return np.asarray(ckpt.params["kernel"]), np.asarray(ckpt.masks["kernel"])

    coverage = coverage_table([(i, count_unmasked(r.masks), *kernel_and_mask(r)) for i, r in enumerate(rounds)],
                              run.model)
    if weights_iteration is None:
        best = coverage[coverage.n_odd == coverage.n_odd.max()]
        weights_iteration = int(best.iteration.max())
    kernel, mask = kernel_and_mask(rounds[weights_iteration])
    neurons = classify_neurons(kernel, mask, run.model)
    order = neurons.assign(is_odd=neurons.kind != "odd").sort_values(["is_odd", "neuron"])
    weights = neuron_weight_table(kernel, mask, run.model, neurons=order.neuron.head(n_neurons).tolist())
    weights.insert(0, "iteration", weights_iteration)
    write_csv_atomic(run.path(paths.FILTERS), coverage)
    write_csv_atomic(run.path(paths.WEIGHTS), weights)
    return coverage, weights
