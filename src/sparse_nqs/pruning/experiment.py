"""The pruning experiment of one run: pre-training, IMP-WR / IMP-CT / IRP-WR, tickets (docs/science.md,
"Pruning and tickets").

A *run* is one resolved entry of a config (:func:`sparse_nqs.config.resolve_run`). Its directory holds

    pretrain/theta_init.npz    untrained initialisation (seed ``seeds.init``), all-ones masks
    pretrain/theta_wr.npz      after j = ``pruning.pretrain_steps`` steps: the rewinding point and the
                               dense network; carries its Markov chains, its training log and its
                               evaluation row
    pretrain/log.csv, pretrain/dense.json
    <method>/iter_NNN.npz      after round i = NNN, i.e. i + 1 pruning rounds: weights, masks, chains,
                               the round's training log and evaluation row
    <method>/history.csv       dense row (iteration -1) + one row per round; <method>/log.csv all steps
    tickets/<variant>_iter_NNN.npz, .json, _log.csv

Every file is written atomically (temporary name, then rename), so no half-written file is ever read.
Each function resumes: pruning continues after the last complete round found on disk, long training
phases (pre-training, tickets) continue from their last ``pruning.checkpoint_every`` step. A resumed
run gives the same numbers as an uninterrupted one (CPU, same seeds): every random stream is derived
from the config seeds and the chains are saved with the weights.

Method labels: ``imp_wr`` (magnitude pruning, rewind to theta_wr), ``imp_ct`` (magnitude, continue
training), ``irp_wr`` (random pruning, rewind). Ticket variants: ``init_imp`` = T(theta_init, m_imp),
``rand_imp`` = T(theta_rand, m_imp), ``init_rand`` = T(theta_init, m_rand).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import jax
import numpy as np
import pandas as pd

from .. import paths
from ..errors import SparseNQSError
from ..io import derive_seed, remove_stale_temporaries, write_csv_atomic, write_json_atomic
from ..names import TICKET_VARIANTS as _VARIANT_NAMES
from ..networks import build_network, count_unmasked, weight_counts
from ..physics.models import ToricCode, make_model
from ..physics.reference import check_record
from ..settings import RunSettings
from ..vmc.evaluation import evaluate, with_reference
from ..vmc.sampling import chain_arrays, make_vstate, restore_chains
from ..vmc.training import LOG_COLUMNS, train, train_batch
from . import schedule
from .checkpoint import load_checkpoint, save_checkpoint
from .progress import RoundProgress, step_progress

#: what each ticket variant (names.TICKET_VARIANTS) is made of
TICKET_VARIANTS = {
    "init_imp": "T(theta_init, m_imp)",
    "rand_imp": "T(theta_rand, m_imp)",
    "init_rand": "T(theta_init, m_rand)",
}
assert tuple(TICKET_VARIANTS) == _VARIANT_NAMES

#: first columns of every history / ticket row (the evaluation columns follow)
ROW_COLUMNS = ["run", "method", "variant", "iteration", "rounds", "n", "rho", "energy", "energy_error",
               "variance", "eps_rel", "delta_e_per_spin", "mx", "mz", "abs_mz", "wall_seconds"]


class ExperimentError(SparseNQSError, RuntimeError):
    pass


def phase_settings(settings: dict, phase: str, method: str | None = None, variant: str | None = None) -> dict:
    """The settings that determine the outputs of one phase of a run, and nothing else.

    A ticket's settings hold only the seeds its variant uses (``variant`` None: those of all
    variants, for a job that trains every ticket of a run).

    The workflow passes these as rule ``params`` (so changing p_r reruns pruning but not
    pre-training), and their fingerprint (without ``iterations``, see :func:`fingerprint`) is
    stored in every checkpoint so that a restart never resumes from files made with other settings.
    """
    s = RunSettings.from_dict(settings)
    p, seeds = s.pruning, s.seeds
    base = {"model": asdict(s.model), "network": dict(s.network), "sampling": asdict(s.sampling),
            "optimizer": asdict(s.optimizer), "evaluation_samples": s.evaluation.n_samples,
            "seeds": {"init": seeds.init, "sampler": seeds.sampler}, "pretrain_steps": p.pretrain_steps}
    if phase == "pretrain":
        return base
    if phase in ("prune", "fidelity"):
        out = {**base, "method": method, "p_r": p.p_r, "iterations": p.iterations,
               "steps_per_iteration": p.steps_per_iteration}
        if method == "irp_wr":
            out["mask_seed"] = seeds.mask
        if phase == "fidelity":
            out["fidelity_samples"] = s.evaluation.fidelity_samples
        return out
    if phase == "ticket":
        out = {**phase_settings(settings, "prune", "imp_wr"), "ticket_steps": s.tickets.steps}
        if variant in ("rand_imp", None):  # theta_rand
            out["ticket_init_seed"] = seeds.ticket_init
        if variant in ("init_rand", None):  # m_rand
            out["mask_seed"] = seeds.mask
        return out
    raise ValueError(f"unknown phase {phase!r}")


def fingerprint(settings: dict, phase: str, method: str | None = None, variant: str | None = None) -> str:
    """Hash of :func:`phase_settings` without ``iterations``: extending a pruning run reuses its rounds."""
    relevant = {k: v for k, v in phase_settings(settings, phase, method, variant).items() if k != "iterations"}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class Run:
    """One resolved run: its model, network and settings, and where its files go."""

    settings: dict
    directory: Path

    def __post_init__(self):
        self.directory = Path(self.directory)
        m = self.settings["model"]
        self.model = make_model(m["name"], m["L"], m["kappa"], m["boundary"])
        self.network = build_network(self.settings["network"])
        self.counts = weight_counts(self.network, self.model.N)
        self.typed = RunSettings.from_dict(self.settings)
        self.sampling = self.typed.sampling
        self.seeds = self.settings["seeds"]
        self.pruning = self.settings["pruning"]

    @property
    def name(self) -> str:
        return self.settings["name"]

    @cached_property
    def n_sequence(self) -> list[int]:
        p = self.pruning
        return schedule.remaining_weight_sequence(self.counts["pool"], p["p_r"], p["iterations"],
                                                 self.counts["fixed"])

    def vstate(self, variables: dict, sampler_seed: int):
        return make_vstate(self.model, self.network, self.sampling, init_seed=self.seeds["init"],
                           sampler_seed=sampler_seed, variables=variables)

    def train(self, vstate, n_steps: int, first_step: int, progress=None) -> pd.DataFrame:
        o = self.settings["optimizer"]
        return train(vstate, self.model, n_steps, o["learning_rate"], o["diag_shift"], first_step=first_step,
                     progress=progress)

    def train_batch(self, vstates: list, n_steps: int, first_step: int, progress=None) -> list[pd.DataFrame]:
        o = self.settings["optimizer"]
        return train_batch(vstates, self.model, n_steps, o["learning_rate"], o["diag_shift"], first_step=first_step,
                           progress=progress)

    def evaluate(self, variables: dict, reference: dict | None, *labels) -> dict:
        return evaluate(self.model, self.network, variables, reference,
                        n_samples=self.settings["evaluation"]["n_samples"], sampling=self.sampling,
                        seed=derive_seed(self.seeds["sampler"], "evaluate", *labels))

    def metadata(self, **extra) -> dict:
        return {"run": self.name, "network": self.settings["network"], "settings": self.settings, **extra}

    def fingerprint(self, phase: str, method: str | None = None, variant: str | None = None) -> str:
        return fingerprint(self.settings, phase, method, variant)

    def check_reference(self, reference: dict | None) -> None:
        """Stop before any work when ``reference`` is a record of another system."""
        if reference is not None:
            check_record(reference, self.model, where=f"the reference record of run {self.name}")

    def with_reference(self, row: dict, reference: dict | None) -> dict:
        """A stored row with its error columns recomputed against the current ``reference``."""
        return with_reference(row, reference, self.model.N)

    def path(self, *parts) -> Path:
        return self.directory.joinpath(*parts)


# --------------------------------------------------------------------------------------------
# rows and logs
# --------------------------------------------------------------------------------------------
def _row(run: Run, evaluation: dict, n: int, iteration: int, method: str = "", variant: str = "",
         wall_seconds: float = float("nan")) -> dict:
    row = {"run": run.name, "method": method, "variant": variant, "iteration": iteration,
           "rounds": iteration + 1, "n": n, "rho": n / run.model.N, "wall_seconds": wall_seconds}
    row.update({k: v for k, v in evaluation.items() if k not in row})
    return row


def _table(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    first = [c for c in ROW_COLUMNS if c in table]
    return table[first + [c for c in table if c not in first]]


def _log_array(log: pd.DataFrame) -> np.ndarray:
    return log[LOG_COLUMNS].to_numpy(dtype=float)


def _log_frame(array: np.ndarray) -> pd.DataFrame:
    log = pd.DataFrame(np.asarray(array, dtype=float).reshape(-1, len(LOG_COLUMNS)), columns=LOG_COLUMNS)
    return log.astype({"step": int})


def _try_load(path: Path, fingerprint: str | None = None, made_from: dict | None = None):
    """A checkpoint, or None when it is absent, unreadable or made with other settings (then redo it)."""
    return _load_or_reason(path, fingerprint, made_from)[0]


def _load_or_reason(path: Path, fingerprint: str | None = None, made_from: dict | None = None):
    """(checkpoint, "") or (None, why it cannot be used).

    ``made_from``: content ids of the checkpoints this one must have been made from (e.g.
    ``{"theta_wr": ...}``); a file made from a re-made input that differs is not used.
    """
    if not path.exists():
        return None, f"{path} is missing"
    try:
        checkpoint = load_checkpoint(path)
    except Exception as err:  # noqa: BLE001 - any unreadable file means: redo this step
        return None, f"{path} is unreadable ({type(err).__name__}: {err})"
    if fingerprint is not None and checkpoint.metadata.get("fingerprint") != fingerprint:
        return None, f"{path} was made with other settings"
    if made_from is not None and checkpoint.metadata.get("made_from") != made_from:
        return None, f"{path} was made from a different {' or '.join(made_from)} (re-made since)"
    return checkpoint, ""


# --------------------------------------------------------------------------------------------
# training with periodic checkpoints (pre-training, tickets)
# --------------------------------------------------------------------------------------------
class _Resumable:
    """A variational state being trained for a fixed number of steps, checkpointed to ``partial``
    (weights, chains and log) every ``checkpoint_every`` steps so that an interrupted job resumes
    where it stopped, with the same numbers. Used by pre-training and by the isolated tickets."""

    def __init__(self, vstate, partial: Path, metadata: dict):
        self.vstate, self.partial, self.meta = vstate, partial, metadata
        self.done, self.logs = 0, []
        saved = _try_load(partial, metadata.get("fingerprint"), metadata.get("made_from"))
        if saved is not None:  # an interrupted job: continue from its last checkpoint
            self.done = int(saved.metadata["step"])
            vstate.parameters = saved.params
            restore_chains(vstate, saved.extra)
            self.logs.append(_log_frame(saved.extra["log"]))

    def trained(self, log: pd.DataFrame, steps: int, total: int) -> None:
        """Record ``steps`` more trained steps; a checkpoint unless all ``total`` are done."""
        self.logs.append(log)
        self.done += steps
        if self.done < total:
            save_checkpoint(self.partial, self.vstate.parameters, self.vstate.model_state["masks"],
                            {**self.meta, "step": self.done},
                            extra={**chain_arrays(self.vstate), "log": _log_array(self.log)})

    @property
    def log(self) -> pd.DataFrame:
        return pd.concat(self.logs, ignore_index=True) if self.logs else pd.DataFrame(columns=LOG_COLUMNS)


def _train_to(run: Run, group: list[_Resumable], total: int) -> None:
    """Train every state of ``group`` (all at the same step) to ``total`` steps, in chunks of
    ``checkpoint_every``; several states advance together as one vectorised program."""
    every = int(run.pruning["checkpoint_every"])
    # a log line every LOG_EVERY steps over the whole phase (None for a short one: nothing to report)
    tickets = [f"{t.variant} iteration {t.iteration}" for t in group if hasattr(t, "variant")]
    what = ("pre-training" if not tickets else f"ticket {tickets[0]}" if len(tickets) == 1
            else f"{len(tickets)} tickets")
    progress = step_progress(f"{run.name} {what}", total, done=group[0].done) if group else None
    while group and group[0].done < total:
        first = group[0].done
        chunk = min(every, total - first)
        if len(group) == 1:
            logs = [run.train(group[0].vstate, chunk, first_step=first, progress=progress)]
        else:
            logs = run.train_batch([t.vstate for t in group], chunk, first_step=first, progress=progress)
        for state, log in zip(group, logs):
            state.trained(log, chunk, total)


# --------------------------------------------------------------------------------------------
# pre-training
# --------------------------------------------------------------------------------------------
def pretrain(run: Run, reference: dict | None) -> dict:
    """theta_init -> j steps of dense training -> theta_wr; returns the dense evaluation row."""
    run.check_reference(reference)
    key = run.fingerprint("pretrain")
    done = _try_load(run.path(paths.THETA_WR), key)
    if done is not None:
        row = run.with_reference(done.metadata["row"], reference)
        write_json_atomic(run.path(paths.DENSE_ROW), row)
        return row
    start = time.perf_counter()
    seeds = run.seeds
    init_state = run.vstate(None, seeds["sampler"])
    theta_init = init_state.variables
    save_checkpoint(run.path(paths.THETA_INIT), theta_init["params"], theta_init["masks"],
                    run.metadata(step=0, seeds=seeds, phase="theta_init", fingerprint=key))
    j = int(run.pruning["pretrain_steps"])
    training = _Resumable(init_state, run.path(paths.PRETRAIN_PARTIAL),
                          run.metadata(seeds=seeds, phase="pretrain", fingerprint=key))
    _train_to(run, [training], j)
    log = training.log
    variables = init_state.variables
    evaluation = run.evaluate(variables, reference, "dense")
    row = _row(run, evaluation, count_unmasked(variables["masks"]), -1, method="dense",
               wall_seconds=time.perf_counter() - start)
    write_csv_atomic(run.path(paths.PRETRAIN_LOG), log)
    write_json_atomic(run.path(paths.DENSE_ROW), row)
    save_checkpoint(run.path(paths.THETA_WR), variables["params"], variables["masks"],
                    run.metadata(step=j, seeds=seeds, phase="theta_wr", row=row, fingerprint=key),
                    extra={**chain_arrays(init_state), "log": _log_array(log)})
    run.path(paths.PRETRAIN_PARTIAL).unlink(missing_ok=True)
    return row


# --------------------------------------------------------------------------------------------
# pruning loops
# --------------------------------------------------------------------------------------------
def _round_path(run: Run, method: str, i: int) -> Path:
    return run.path(paths.round_checkpoint(method, i))


def prune(run: Run, method: str, reference: dict | None) -> pd.DataFrame:
    """I rounds of ``method`` from the pre-trained network; returns (and writes) the history table.

    Round i: remove c = max(1, rint(p_r n_pool)) weights (smallest |w| of the current trained weights,
    or uniformly random ones with a per-round seeded stream), rewind the weights to theta_wr (WR
    methods) or keep them (IMP-CT), train k steps with the mask fixed, checkpoint and evaluate.
    """
    if method not in schedule.METHODS:
        raise ExperimentError(f"unknown pruning method {method!r}; known: {', '.join(schedule.METHODS)}")
    selection, rewind = schedule.METHODS[method]
    run.check_reference(reference)
    wr = _pretrained(run, f"pruning ({method})")
    key = run.fingerprint("prune", method)
    p, seeds = run.pruning, run.seeds
    n_rounds, k, j = int(p["iterations"]), int(p["steps_per_iteration"]), int(p["pretrain_steps"])
    expected_n = run.n_sequence

    remove_stale_temporaries(run.path(method))  # this job is the only writer of its method's directory
    # resume after the last complete round on disk made from this theta_wr; the stored rows get
    # their error columns from the current reference
    made_from = {"theta_wr": wr.content_id}
    params, masks, chains = wr.params, schedule.flatten(wr.masks), wr.extra
    rows, logs, start_round = [run.with_reference(dict(wr.metadata["row"], method=method), reference)], [], 0
    for i in range(n_rounds):
        saved = _try_load(_round_path(run, method, i), key, made_from)
        if saved is None:
            break
        params, masks, chains = saved.params, schedule.flatten(saved.masks), saved.extra
        rows.append(run.with_reference(saved.metadata["row"], reference))
        logs.append(_log_frame(saved.extra["log"]))
        start_round = i + 1

    rounds = RoundProgress(run.name, method, start_round, n_rounds)  # a log line per round, with the time left
    for i in range(start_round, n_rounds):
        start = time.perf_counter()
        count = schedule.prune_count(p["p_r"], schedule.pool_size(masks))
        if selection == "magnitude":
            masks = schedule.magnitude_prune(schedule.flatten(params), masks, count)
        else:
            masks = schedule.random_prune(masks, count, schedule.pruning_rng(seeds["mask"], i))
        if rewind:
            params = wr.params
        variables = {"params": params, "masks": schedule.unflatten(masks)}
        n = count_unmasked(variables["masks"])
        if n != expected_n[i + 1]:
            raise ExperimentError(f"round {i}: {n} weights left, the count rule plans {expected_n[i + 1]}")
        vstate = run.vstate(variables, seeds["sampler"])
        restore_chains(vstate, chains)
        log = run.train(vstate, k, first_step=j + i * k,
                        progress=step_progress(f"{run.name} {method} round {i + 1}", k, j + i * k, leave=False))
        params, chains = vstate.parameters, chain_arrays(vstate)
        variables = {"params": params, "masks": variables["masks"]}
        evaluation = run.evaluate(variables, reference, method, i)
        row = _row(run, evaluation, n, i, method=method, wall_seconds=time.perf_counter() - start)
        save_checkpoint(_round_path(run, method, i), params, variables["masks"],
                        run.metadata(step=j + (i + 1) * k, seeds=seeds, method=method, iteration=i, row=row,
                                     fingerprint=key, made_from=made_from),
                        extra={**chains, "log": _log_array(log)})
        rows.append(row)
        logs.append(log)
        write_csv_atomic(run.path(paths.history(method)), _table(rows))
        rounds.done(i, row)

    history = _table(rows)
    write_csv_atomic(run.path(paths.history(method)), history)
    all_logs = [_log_frame(wr.extra["log"]).assign(phase="pretrain", iteration=-1)]
    all_logs += [log.assign(phase=method, iteration=i) for i, log in enumerate(logs)]
    write_csv_atomic(run.path(paths.log(method)), pd.concat(all_logs, ignore_index=True))
    return history


def _pretrained(run: Run, purpose: str):
    """theta_wr of the run's settings, or ExperimentError naming the file and what to run."""
    wr, why = _load_or_reason(run.path(paths.THETA_WR), run.fingerprint("pretrain"))
    if wr is None:
        raise ExperimentError(f"run {run.name}: {purpose} needs the pre-trained network, but {why}; "
                              f"run its pre-training (`sparse-nqs pretrain --config CONFIG --run {run.name}`, or "
                              f"`snakemake --forcerun pretrain` for this run) first")
    return wr


def _finished_rounds(run: Run, method: str, purpose: str) -> list:
    """The checkpoints of every round of a finished pruning path (made with the run's settings from
    its current theta_wr); ExperimentError names the first file that is not usable and what to run."""
    wr = _pretrained(run, purpose)
    key, made_from = run.fingerprint("prune", method), {"theta_wr": wr.content_id}
    rounds = []
    for i in range(int(run.pruning["iterations"])):
        checkpoint, why = _load_or_reason(_round_path(run, method, i), key, made_from)
        if checkpoint is None:
            raise ExperimentError(
                f"run {run.name}: {purpose} needs the finished {method} path, but {why}; rerun the pruning, "
                f"which redoes that round and those after it (`sparse-nqs prune --config CONFIG --run {run.name} --method "
                f"{method}` with the same config, or `snakemake --forcerun "
                f"results/{paths.in_run(run.name, paths.history(method))}`)")
        rounds.append(checkpoint)
    return rounds


def fidelity_table(run: Run, method: str) -> pd.DataFrame:
    """Neighbour fidelities along a finished pruning path (dense -> 0 -> 1 ...); writes <method>/fidelity.csv."""
    from ..analysis import fidelity_path

    wr = _pretrained(run, "the fidelity table")
    rounds = _finished_rounds(run, method, "the fidelity table")
    states = [(-1, count_unmasked(wr.masks), wr.variables)]
    states += [(i, count_unmasked(r.masks), r.variables) for i, r in enumerate(rounds)]
    table = fidelity_path(run.model, run.network, states, run.settings["evaluation"]["fidelity_samples"],
                          run.sampling, seed=derive_seed(run.seeds["sampler"], "fidelity", method))
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
    rounds = _finished_rounds(run, "imp_wr", "the filter analysis")

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


# --------------------------------------------------------------------------------------------
# isolated tickets
# --------------------------------------------------------------------------------------------
def ticket_iterations(settings: dict) -> list[int]:
    """IMP-WR iterations at which tickets are trained: ``tickets.iterations`` or every ``tickets.every``-th."""
    t = settings["tickets"]
    if t["iterations"] is not None:
        return sorted(int(i) for i in t["iterations"])
    return list(range(0, int(settings["pruning"]["iterations"]), int(t["every"])))


def ticket_list(settings: dict) -> list[tuple[str, int]]:
    """All isolated tickets of a run: (variant, IMP-WR iteration) pairs."""
    return [(v, i) for v in settings["tickets"]["variants"] for i in ticket_iterations(settings)]


def batch_tickets(settings: dict, on_gpu: bool) -> bool:
    """``tickets.batch`` resolved. "auto" batches FFNN tickets on a GPU only: on CPU cores separate
    jobs run in parallel as fast as one vectorised job (measured 0.92-1.03x per ticket-step on 2 cores),
    and vmapped convolutions with a kernel per ticket run 2x slower (grouped convolutions)."""
    batch = settings["tickets"]["batch"]
    return (on_gpu and settings["network"]["kind"] == "ffnn") if batch == "auto" else bool(batch)


def _ticket_sources(run: Run, variant: str, iteration: int):
    """theta_init, the IMP-WR round ``iteration`` and their content ids (what a ticket is made from);
    ExperimentError names what is missing and what to run."""
    if variant not in TICKET_VARIANTS:
        raise ExperimentError(f"unknown ticket variant {variant!r}; known: {', '.join(TICKET_VARIANTS)}")
    n_rounds = int(run.pruning["iterations"])
    if not 0 <= iteration < n_rounds:
        raise ExperimentError(f"run {run.name}: ticket iteration {iteration} is not on the IMP-WR path; "
                              f"its iterations are 0 .. {n_rounds - 1} (pruning.iterations = {n_rounds})")
    init, why_init = _load_or_reason(run.path(paths.THETA_INIT), run.fingerprint("pretrain"))
    wr, why_wr = _load_or_reason(run.path(paths.THETA_WR), run.fingerprint("pretrain"))
    imp, why_imp = None, ""
    if wr is not None:
        imp, why_imp = _load_or_reason(_round_path(run, "imp_wr", iteration), run.fingerprint("prune", "imp_wr"),
                                       {"theta_wr": wr.content_id})
    if init is None or wr is None or imp is None:
        raise ExperimentError(f"run {run.name}: ticket {variant} at iteration {iteration} needs theta_init and "
                              f"the IMP-WR round {iteration}: " +
                              "; ".join(w for w in (why_init, why_wr, why_imp) if w) +
                              f" (run `sparse-nqs prune --config CONFIG --run {run.name} --method imp_wr` "
                              f"or its Snakemake target first)")
    return init, imp, {"theta_init": init.content_id, "mask": imp.masks_id}


def ticket_variables(run: Run, variant: str, iteration: int) -> dict:
    """Initial weights and fixed mask of a ticket (docs/science.md, "Pruning and tickets")."""
    return _ticket_variables(run, variant, iteration)[0]


def _ticket_variables(run: Run, variant: str, iteration: int, sources=None):
    """(variables, made_from) of a ticket; ``sources``: its :func:`_ticket_sources` if already loaded."""
    init, imp, made_from = sources or _ticket_sources(run, variant, iteration)
    masks = imp.masks
    params = init.params
    if variant == "rand_imp":
        fresh = run.network.init(jax.random.key(run.seeds["ticket_init"]), np.ones((1, run.model.N)))
        params = fresh["params"]
    if variant == "init_rand":
        rng = np.random.default_rng(derive_seed(run.seeds["mask"], "random_mask", iteration))
        masks = schedule.unflatten(schedule.random_mask_like(schedule.flatten(masks), rng))
    return {"params": params, "masks": masks}, made_from


class _Ticket(_Resumable):
    """One isolated ticket being trained: its files, state and (resumed) log."""

    def __init__(self, run: Run, variant: str, iteration: int, sources):
        self.variant, self.iteration = variant, iteration
        variables, made_from = _ticket_variables(run, variant, iteration, sources)
        vstate = run.vstate(variables, derive_seed(run.seeds["sampler"], "ticket", variant, iteration))
        super().__init__(vstate, run.path(paths.ticket(variant, iteration, ".partial.npz")),
                         run.metadata(seeds=run.seeds, variant=variant, iteration=iteration,
                                      fingerprint=run.fingerprint("ticket", variant=variant),
                                      made_from=made_from))

    def finish(self, run: Run, reference: dict | None, steps: int, wall_seconds: float) -> dict:
        """Evaluate and write the ticket's row, log and final checkpoint; drop the partial one."""
        variables = self.vstate.variables
        evaluation = run.evaluate(variables, reference, "ticket", self.variant, self.iteration)
        row = _row(run, evaluation, count_unmasked(variables["masks"]), self.iteration, variant=self.variant,
                   wall_seconds=wall_seconds)
        write_csv_atomic(run.path(paths.ticket(self.variant, self.iteration, "_log.csv")), self.log)
        write_json_atomic(run.path(paths.ticket(self.variant, self.iteration, ".json")), row)
        save_checkpoint(run.path(paths.ticket(self.variant, self.iteration, ".npz")), variables["params"], variables["masks"],
                        {**self.meta, "step": steps, "row": row},
                        extra={**chain_arrays(self.vstate), "log": _log_array(self.log)})
        self.partial.unlink(missing_ok=True)
        return row


def _ticket_steps(run: Run) -> int:
    steps = run.settings["tickets"]["steps"]
    return int(run.pruning["pretrain_steps"] if steps is None else steps)


def _finished_ticket(run: Run, variant: str, iteration: int, reference: dict | None, made_from: dict) -> dict | None:
    """The row of a finished ticket made from ``made_from`` (the current theta_init and IMP-WR mask),
    with its error columns against ``reference`` (its JSON rewritten), or None when it must be trained."""
    done = _try_load(run.path(paths.ticket(variant, iteration, ".npz")), run.fingerprint("ticket", variant=variant), made_from)
    if done is None:
        return None
    row = run.with_reference(done.metadata["row"], reference)
    write_json_atomic(run.path(paths.ticket(variant, iteration, ".json")), row)
    return row


def train_ticket(run: Run, variant: str, iteration: int, reference: dict | None) -> dict:
    """Train one isolated ticket with its mask fixed; returns (and writes) its evaluation row."""
    return train_tickets(run, [(variant, iteration)], reference, batched=False)[0]


def train_tickets(run: Run, tickets: list[tuple[str, int]], reference: dict | None,
                  batched: bool = True) -> list[dict]:
    """Train isolated tickets ``[(variant, iteration), ...]`` of one run; returns their rows in order.

    ``batched``: all unfinished tickets advance together as one vectorised program
    (:func:`sparse_nqs.vmc.train_batch`; same numbers as one by one), in lockstep, with the same
    checkpoints (every ``checkpoint_every`` steps per ticket) as when trained alone; tickets resumed
    from different steps form separate batches. Otherwise one after the other. Finished tickets are
    read back, not retrained. ``wall_seconds`` of a batched ticket is its share of the batch's time.
    """
    run.check_reference(reference)
    sources = {key: _ticket_sources(run, *key) for key in tickets}  # loaded once per ticket
    rows = {key: _finished_ticket(run, *key, reference, sources[key][2]) for key in tickets}
    pending = [_Ticket(run, v, i, sources[(v, i)]) for (v, i) in tickets if rows[(v, i)] is None]
    total = _ticket_steps(run)
    groups = {}
    for ticket in pending:  # one batch per resume point (normally one)
        groups.setdefault(ticket.done, []).append(ticket)
    if not batched:
        groups = {i: [t] for i, t in enumerate(pending)}
    for group in groups.values():
        start = time.perf_counter()
        _train_to(run, group, total)
        share = (time.perf_counter() - start) / len(group)
        for ticket in group:
            t0 = time.perf_counter()
            rows[(ticket.variant, ticket.iteration)] = ticket.finish(run, reference, total,
                                                                     share + time.perf_counter() - t0)
    return [rows[key] for key in tickets]
