"""The pruning experiment of one run: pre-training, IMP-WR / IMP-CT / IRP-WR, tickets (docs/science.md,
"Pruning and tickets"), for a run of either experiment family.

A *run* is one resolved entry of a config (:func:`sparse_nqs.config.resolve_run`, or
:func:`~sparse_nqs.config.check.resolve_rbm_run` for the RBM family), seen through the abstract
:class:`Run`: how its state is made, trained for a number of steps and evaluated is the family's
(:class:`sparse_nqs.vmc.run.VMCRun`: SR steps on the energy; :class:`sparse_nqs.rbm.run.RBMRun`: CD
epochs on measurement data), everything below is shared. Its directory holds

    pretrain/theta_init.npz    untrained initialisation (seed ``seeds.init``), all-ones masks
    pretrain/theta_wr.npz      after j = ``pruning.pretrain_steps`` steps: the rewinding point and the
                               dense network; carries its Markov chains and its training log
    pretrain/log.csv, pretrain/dense.json
    <method>/iter_NNN.npz      after round i = NNN, i.e. i + 1 pruning rounds: weights, masks, chains,
                               the round's training log and time (checkpoints made before the
                               evaluation was a step of its own also carry an evaluation row)
    <method>/history.csv       dense row (iteration -1) + one row per round; <method>/log.csv all steps
    tickets/<variant>_iter_NNN.npz, .json, _log.csv
    evaluation/<state>.json    the evaluation row of each stored state (and neighbour-fidelity pair),
                               with what it was made from (:class:`EvaluationCache`)

Training and evaluation are separate steps: :func:`pretrain_network`, :func:`prune_network` and
:func:`train_ticket_networks` write checkpoints and logs; :func:`evaluate_dense`, :func:`evaluate_path`
and :func:`evaluate_tickets` make the tables (``dense.json``, ``history.csv``, the tickets' ``.json``)
from them. :func:`pretrain`, :func:`prune` and :func:`train_tickets` do both.

Every file is written atomically (temporary name, then rename), so no half-written file is ever read.
Each function resumes: pruning continues after the last complete round found on disk, long training
phases (pre-training, tickets) continue from their last ``pruning.checkpoint_every`` step. A resumed
run gives the same numbers as an uninterrupted one (CPU, same seeds): every random stream is derived
from the config seeds and the chains are saved with the weights.

Method labels: ``imp_wr`` (magnitude pruning, rewind to theta_wr), ``imp_ct`` (magnitude, continue
training), ``irp_wr`` (random pruning, rewind). Ticket variants: ``init_imp`` = T(theta_init, m_imp),
``rand_imp`` = T(theta_rand, m_imp), ``init_rand`` = T(theta_init, m_rand), and for RBMs ``cluster`` =
T(theta_init, m_cluster), the source's constructed mask; an RBM run's tickets take the masks of its
``tickets.mask_method`` path (the source's IMP-CT) instead of IMP-WR's.
"""

from __future__ import annotations

import abc
import hashlib
import json
import time
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from ..errors import SparseNQSError
from ..io import (derive_seed, git_commit, json_safe, package_versions, read_json, remove_stale_temporaries,
                  write_csv_atomic, write_json_atomic)
from ..names import RBM_TICKET_VARIANTS as _VARIANT_NAMES
from ..networks import count_unmasked
from . import schedule
from .checkpoint import load_checkpoint, save_checkpoint
from .progress import RoundProgress, step_progress

#: what each ticket variant (names.RBM_TICKET_VARIANTS: the VMC family has the first three) is made of
TICKET_VARIANTS = {
    "init_imp": "T(theta_init, m_imp)",
    "rand_imp": "T(theta_rand, m_imp)",
    "init_rand": "T(theta_init, m_rand)",
    "cluster": "T(theta_init, m_cluster)",
}
assert tuple(TICKET_VARIANTS) == _VARIANT_NAMES

#: first columns of every history / ticket row (the evaluation columns follow)
ROW_COLUMNS = ["run", "method", "variant", "iteration", "rounds", "n", "rho", "energy", "energy_error",
               "variance", "eps_rel", "delta_e_per_spin", "mx", "mz", "abs_mz", "wall_seconds"]


class ExperimentError(SparseNQSError, RuntimeError):
    pass


def settings_fingerprint(phase_settings: dict) -> str:
    """Hash of a phase's settings without ``iterations``: extending a pruning run reuses its rounds."""
    relevant = {k: v for k, v in phase_settings.items() if k != "iterations"}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()[:16]


class Run(abc.ABC):
    """One resolved run of an experiment family, as the pruning engine sees it.

    The engine (pre-training, the pruning loops, tickets, their checkpoints and resume) is the same
    for every family; a family says how its state is made, trained and evaluated. The VMC family
    (:class:`sparse_nqs.vmc.VMCRun`) trains by stochastic reconfiguration on the energy, the RBM family
    (:class:`sparse_nqs.rbm.RBMRun`) by contrastive divergence on measurement data. A *step* is one
    training step of the family (an SR update, an epoch of CD); a *state* is an object with
    ``variables`` ({"params", "masks"}) and a settable ``parameters``.
    """

    #: columns of the training log (one row per logged step)
    log_columns: tuple = ()

    def __init__(self, settings: dict, directory):
        self.settings = settings
        self.directory = Path(directory)
        self.seeds = settings["seeds"]
        self.pruning = settings["pruning"]

    @property
    def name(self) -> str:
        return self.settings["name"]

    # ------------------------------------------------------------------ what a family provides
    @property
    @abc.abstractmethod
    def counts(self) -> dict:
        """{"n_init", "pool" (prunable), "fixed" (counted, never pruned)} weights."""

    @property
    @abc.abstractmethod
    def n_units(self) -> int:
        """The size that rho = n / n_units refers to (the number of spins)."""

    @abc.abstractmethod
    def phase_settings(self, phase: str, method: str | None = None, variant: str | None = None) -> dict:
        """The settings that determine the outputs of one phase, and nothing else (rule params and
        the fingerprint stored in every checkpoint)."""

    @abc.abstractmethod
    def new_state(self, variables: dict | None, stream_seed: int):
        """A trainable state of ``variables`` (None: theta_init of ``seeds.init``), its random
        streams (Markov chains, Gibbs chains) seeded with ``stream_seed``."""

    @abc.abstractmethod
    def train(self, state, n_steps: int, first_step: int, progress=None) -> pd.DataFrame:
        """Train ``state`` in place for ``n_steps`` steps; its log (:attr:`log_columns`)."""

    def train_batch(self, states: list, n_steps: int, first_step: int, progress=None) -> list[pd.DataFrame]:
        """Several states at the same step (a family may vectorise this); same numbers as one by one."""
        return [self.train(s, n_steps, first_step, progress if k == 0 else None) for k, s in enumerate(states)]

    @abc.abstractmethod
    def evaluate(self, variables: dict, reference: dict | None, *labels) -> dict:
        """The evaluation row of frozen ``variables``; ``labels`` name its random stream."""

    @abc.abstractmethod
    def state_arrays(self, state) -> dict:
        """The state's random streams (chains, keys) as arrays, saved with its weights."""

    @abc.abstractmethod
    def restore_state(self, state, arrays: dict) -> None:
        """Continue the streams saved by :meth:`state_arrays` (a resumed run repeats the same numbers)."""

    @abc.abstractmethod
    def fresh_params(self, seed: int) -> dict:
        """New initial parameters theta_rand (ticket T(theta_rand, m_imp))."""

    def constructed_mask(self, masks: dict, iteration: int) -> dict:
        """The ``cluster`` ticket's mask with about as many weights as ``masks`` (families that have one)."""
        raise ExperimentError(f"run {self.name}: the cluster ticket is defined for RBMs only")

    @property
    def ticket_mask_method(self) -> str:
        """The pruning path whose masks become tickets (IMP-WR unless the family says otherwise)."""
        return "imp_wr"

    def stored_row(self, checkpoint) -> dict | None:
        """The evaluation row an earlier version stored inside ``checkpoint``, where the family's
        evaluation is unchanged since (default: None, evaluate again)."""
        return None

    def check_reference(self, reference: dict | None) -> None:
        """Stop before any work when ``reference`` belongs to another system (default: any record)."""

    def with_reference(self, row: dict, reference: dict | None) -> dict:
        """A stored row with its reference-dependent columns recomputed (default: unchanged)."""
        return row

    # ------------------------------------------------------------------ shared
    def fingerprint(self, phase: str, method: str | None = None, variant: str | None = None) -> str:
        return settings_fingerprint(self.phase_settings(phase, method, variant))

    def legacy_fingerprint(self, metadata: dict, phase: str, method: str | None = None,
                           variant: str | None = None) -> str | None:
        """The fingerprint the same training settings had under an earlier recipe, recomputed with what
        the checkpoint's ``metadata`` stores (None: no earlier recipe). Checkpoints made before the
        evaluation left the training settings stay usable, without retraining."""
        return None

    def accepts(self, phase: str, method: str | None = None, variant: str | None = None):
        """A test of a checkpoint's metadata: made with this run's settings of ``phase``."""
        current = self.fingerprint(phase, method, variant)

        def made_with_these_settings(metadata: dict) -> bool:
            stored = metadata.get("fingerprint")
            return stored == current or stored == self.legacy_fingerprint(metadata, phase, method, variant)

        return made_with_these_settings

    @cached_property
    def n_sequence(self) -> list[int]:
        p = self.pruning
        return schedule.remaining_weight_sequence(self.counts["pool"], p["p_r"], p["iterations"],
                                                 self.counts["fixed"], first_p_r=p.get("first_p_r"))

    def prune_count(self, i: int, n_pool: int) -> int:
        """Weights removed in round ``i`` from ``n_pool`` surviving ones (the count rule)."""
        p = self.pruning
        rate = p["first_p_r"] if i == 0 and p.get("first_p_r") is not None else p["p_r"]
        return schedule.prune_count(rate, n_pool)

    def metadata(self, **extra) -> dict:
        return {"run": self.name, "network": self.settings.get("network"), "settings": self.settings, **extra}

    def path(self, *parts) -> Path:
        return self.directory.joinpath(*parts)


# --------------------------------------------------------------------------------------------
# rows and logs
# --------------------------------------------------------------------------------------------
def _row(run: Run, evaluation: dict, n: int, iteration: int, method: str = "", variant: str = "",
         wall_seconds: float = float("nan")) -> dict:
    row = {"run": run.name, "method": method, "variant": variant, "iteration": iteration,
           "rounds": iteration + 1, "n": n, "rho": n / run.n_units, "wall_seconds": wall_seconds}
    row.update({k: v for k, v in evaluation.items() if k not in row})
    return row


def _table(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    first = [c for c in ROW_COLUMNS if c in table]
    return table[first + [c for c in table if c not in first]]


def _log_array(run: Run, log: pd.DataFrame) -> np.ndarray:
    return log[list(run.log_columns)].to_numpy(dtype=float)


def _log_frame(run: Run, array: np.ndarray) -> pd.DataFrame:
    columns = list(run.log_columns)
    log = pd.DataFrame(np.asarray(array, dtype=float).reshape(-1, len(columns)), columns=columns)
    return log.astype({"step": int})


def _try_load(path: Path, fingerprint=None, made_from: dict | None = None):
    """A checkpoint, or None when it is absent, unreadable or made with other settings (then redo it)."""
    return _load_or_reason(path, fingerprint, made_from)[0]


def _load_or_reason(path: Path, fingerprint=None, made_from: dict | None = None):
    """(checkpoint, "") or (None, why it cannot be used).

    ``fingerprint``: the settings fingerprint the checkpoint must carry, or a test of its metadata
    (:meth:`Run.accepts`).

    ``made_from``: content ids of the checkpoints this one must have been made from (e.g.
    ``{"theta_wr": ...}``); a file made from a re-made input that differs is not used.
    """
    if not path.exists():
        return None, f"{path} is missing"
    try:
        checkpoint = load_checkpoint(path)
    except Exception as err:  # noqa: BLE001 - any unreadable file means: redo this step
        return None, f"{path} is unreadable ({type(err).__name__}: {err})"
    matches = fingerprint if callable(fingerprint) else (lambda meta: meta.get("fingerprint") == fingerprint)
    if fingerprint is not None and not matches(checkpoint.metadata):
        return None, f"{path} was made with other settings"
    if made_from is not None and checkpoint.metadata.get("made_from") != made_from:
        return None, f"{path} was made from a different {' or '.join(made_from)} (re-made since)"
    return checkpoint, ""


# --------------------------------------------------------------------------------------------
# training with periodic checkpoints (pre-training, tickets)
# --------------------------------------------------------------------------------------------
class _Resumable:
    """A state being trained for a fixed number of steps, checkpointed to ``partial`` (weights,
    random streams and log) every ``checkpoint_every`` steps so that an interrupted job resumes
    where it stopped, with the same numbers. Used by pre-training and by the isolated tickets."""

    def __init__(self, run: Run, state, partial: Path, metadata: dict):
        self.run, self.state, self.partial, self.meta = run, state, partial, metadata
        self.done, self.logs = 0, []
        saved = _try_load(partial, metadata.get("fingerprint"), metadata.get("made_from"))
        if saved is not None:  # an interrupted job: continue from its last checkpoint
            self.done = int(saved.metadata["step"])
            state.parameters = saved.params
            run.restore_state(state, saved.extra)
            self.logs.append(_log_frame(run, saved.extra["log"]))

    def trained(self, log: pd.DataFrame, steps: int, total: int) -> None:
        """Record ``steps`` more trained steps; a checkpoint unless all ``total`` are done."""
        self.logs.append(log)
        self.done += steps
        if self.done < total:
            variables = self.state.variables
            save_checkpoint(self.partial, variables["params"], variables["masks"], {**self.meta, "step": self.done},
                            extra={**self.run.state_arrays(self.state), "log": _log_array(self.run, self.log)})

    @property
    def log(self) -> pd.DataFrame:
        if not self.logs:
            return pd.DataFrame(columns=list(self.run.log_columns))
        return pd.concat(self.logs, ignore_index=True)


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
            logs = [run.train(group[0].state, chunk, first_step=first, progress=progress)]
        else:
            logs = run.train_batch([t.state for t in group], chunk, first_step=first, progress=progress)
        for state, log in zip(group, logs):
            state.trained(log, chunk, total)


# --------------------------------------------------------------------------------------------
# pre-training
# --------------------------------------------------------------------------------------------
def pretrain(run: Run, reference: dict | None) -> dict:
    """Pre-train (:func:`pretrain_network`) and evaluate the dense network; returns its evaluation row."""
    pretrain_network(run, reference)
    return evaluate_dense(run, reference)


def pretrain_network(run: Run, reference: dict | None):
    """theta_init -> j steps of dense training -> theta_wr (read back when already made); returns the
    theta_wr checkpoint. ``reference``: checked against the run's system before any work (an RBM run
    also logs its training against it)."""
    run.check_reference(reference)
    key = run.fingerprint("pretrain")
    done = _try_load(run.path(paths.THETA_WR), run.accepts("pretrain"))
    if done is not None:
        return done
    start = time.perf_counter()
    seeds = run.seeds
    init_state = run.new_state(None, seeds["sampler"])
    theta_init = init_state.variables
    save_checkpoint(run.path(paths.THETA_INIT), theta_init["params"], theta_init["masks"],
                    run.metadata(step=0, seeds=seeds, phase="theta_init", fingerprint=key))
    j = int(run.pruning["pretrain_steps"])
    training = _Resumable(run, init_state, run.path(paths.PRETRAIN_PARTIAL),
                          run.metadata(seeds=seeds, phase="pretrain", fingerprint=key))
    _train_to(run, [training], j)
    log = training.log
    variables = init_state.variables
    write_csv_atomic(run.path(paths.PRETRAIN_LOG), log)
    save_checkpoint(run.path(paths.THETA_WR), variables["params"], variables["masks"],
                    run.metadata(step=j, seeds=seeds, phase="theta_wr", fingerprint=key,
                                 n=count_unmasked(variables["masks"]), wall_seconds=time.perf_counter() - start),
                    extra={**run.state_arrays(init_state), "log": _log_array(run, log)})
    run.path(paths.PRETRAIN_PARTIAL).unlink(missing_ok=True)
    return load_checkpoint(run.path(paths.THETA_WR))


# --------------------------------------------------------------------------------------------
# pruning loops
# --------------------------------------------------------------------------------------------
def _round_path(run: Run, method: str, i: int) -> Path:
    return run.path(paths.round_checkpoint(method, i))


def prune(run: Run, method: str, reference: dict | None) -> pd.DataFrame:
    """Prune (:func:`prune_network`) and evaluate every round (:func:`evaluate_path`); returns the history."""
    prune_network(run, method, reference)
    return evaluate_path(run, method, reference)


def prune_network(run: Run, method: str, reference: dict | None) -> pd.DataFrame:
    """I rounds of ``method`` from the pre-trained network; returns (and writes) the log of every
    training step (``<method>/log.csv``). Nothing is evaluated here (:func:`evaluate_path`).

    Round i: remove c = max(1, rint(p_r n_pool)) weights (smallest |w| of the current trained weights,
    or uniformly random ones with a per-round seeded stream), rewind the weights to theta_wr (WR
    methods) or keep them (IMP-CT), train k steps with the mask fixed and checkpoint.
    """
    if method not in schedule.METHODS:
        raise ExperimentError(f"unknown pruning method {method!r}; known: {', '.join(schedule.METHODS)}")
    selection, rewind = schedule.METHODS[method]
    run.check_reference(reference)
    wr = pretrained(run, f"pruning ({method})")
    key = run.fingerprint("prune", method)
    accepts = run.accepts("prune", method)
    p, seeds = run.pruning, run.seeds
    n_rounds, k, j = int(p["iterations"]), int(p["steps_per_iteration"]), int(p["pretrain_steps"])
    expected_n = run.n_sequence

    remove_stale_temporaries(run.path(method))  # this job is the only writer of its method's directory
    # resume after the last complete round on disk made from this theta_wr
    made_from = {"theta_wr": wr.content_id}
    params, masks, chains = wr.params, schedule.flatten(wr.masks), wr.extra
    logs, start_round = [], 0
    for i in range(n_rounds):
        saved = _try_load(_round_path(run, method, i), accepts, made_from)
        if saved is None:
            break
        params, masks, chains = saved.params, schedule.flatten(saved.masks), saved.extra
        logs.append(_log_frame(run, saved.extra["log"]))
        start_round = i + 1

    rounds = RoundProgress(run.name, method, start_round, n_rounds)  # a log line per round, with the time left
    for i in range(start_round, n_rounds):
        start = time.perf_counter()
        count = run.prune_count(i, schedule.pool_size(masks))
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
        state = run.new_state(variables, seeds["sampler"])
        run.restore_state(state, chains)
        log = run.train(state, k, first_step=j + i * k,
                        progress=step_progress(f"{run.name} {method} round {i + 1}", k, j + i * k, leave=False))
        params, chains = state.parameters, run.state_arrays(state)
        save_checkpoint(_round_path(run, method, i), params, variables["masks"],
                        run.metadata(step=j + (i + 1) * k, seeds=seeds, method=method, iteration=i, n=n,
                                     wall_seconds=time.perf_counter() - start, fingerprint=key, made_from=made_from),
                        extra={**chains, "log": _log_array(run, log)})
        logs.append(log)
        energies = log["energy"].dropna() if "energy" in log else []
        rounds.done(i, {"n": n, "energy": energies.iloc[-1] if len(energies) else None})

    all_logs = [_log_frame(run, wr.extra["log"]).assign(phase="pretrain", iteration=-1)]
    all_logs += [log.assign(phase=method, iteration=i) for i, log in enumerate(logs)]
    log = pd.concat(all_logs, ignore_index=True)
    write_csv_atomic(run.path(paths.log(method)), log)
    return log


def pretrained(run: Run, purpose: str):
    """theta_wr of the run's settings, or ExperimentError naming the file and what to run."""
    wr, why = _load_or_reason(run.path(paths.THETA_WR), run.accepts("pretrain"))
    if wr is None:
        raise ExperimentError(f"run {run.name}: {purpose} needs the pre-trained network, but {why}; "
                              f"run its pre-training (`sparse-nqs pretrain --config CONFIG --run {run.name}`, or "
                              f"`snakemake --forcerun pretrain` for this run) first")
    return wr


def finished_rounds(run: Run, method: str, purpose: str) -> list:
    """The checkpoints of every round of a finished pruning path (made with the run's settings from
    its current theta_wr); ExperimentError names the first file that is not usable and what to run."""
    wr = pretrained(run, purpose)
    key, made_from = run.accepts("prune", method), {"theta_wr": wr.content_id}
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
    if batch == "auto":
        return on_gpu and (settings.get("network") or {}).get("kind") == "ffnn"
    return bool(batch)


def _ticket_sources(run: Run, variant: str, iteration: int):
    """theta_init, the round ``iteration`` of the run's ticket path (IMP-WR, or the family's
    :attr:`Run.ticket_mask_method`) and their content ids (what a ticket is made from); ExperimentError
    names what is missing and what to run."""
    if variant not in TICKET_VARIANTS:
        raise ExperimentError(f"unknown ticket variant {variant!r}; known: {', '.join(TICKET_VARIANTS)}")
    n_rounds, source = int(run.pruning["iterations"]), run.ticket_mask_method
    if not 0 <= iteration < n_rounds:
        raise ExperimentError(f"run {run.name}: ticket iteration {iteration} is not on the {source} path; "
                              f"its iterations are 0 .. {n_rounds - 1} (pruning.iterations = {n_rounds})")
    init, why_init = _load_or_reason(run.path(paths.THETA_INIT), run.accepts("pretrain"))
    wr, why_wr = _load_or_reason(run.path(paths.THETA_WR), run.accepts("pretrain"))
    imp, why_imp = None, ""
    if wr is not None:
        imp, why_imp = _load_or_reason(_round_path(run, source, iteration), run.accepts("prune", source),
                                       {"theta_wr": wr.content_id})
    if init is None or wr is None or imp is None:
        raise ExperimentError(f"run {run.name}: ticket {variant} at iteration {iteration} needs theta_init and "
                              f"the {source} round {iteration}: " +
                              "; ".join(w for w in (why_init, why_wr, why_imp) if w) +
                              f" (run `sparse-nqs prune --config CONFIG --run {run.name} --method {source}` "
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
        params = run.fresh_params(run.seeds["ticket_init"])
    if variant == "init_rand":
        rng = np.random.default_rng(derive_seed(run.seeds["mask"], "random_mask", iteration))
        masks = schedule.unflatten(schedule.random_mask_like(schedule.flatten(masks), rng))
    if variant == "cluster":
        masks = run.constructed_mask(masks, iteration)
    return {"params": params, "masks": masks}, made_from


class _Ticket(_Resumable):
    """One isolated ticket being trained: its files, state and (resumed) log."""

    def __init__(self, run: Run, variant: str, iteration: int, sources):
        self.variant, self.iteration = variant, iteration
        variables, made_from = _ticket_variables(run, variant, iteration, sources)
        state = run.new_state(variables, derive_seed(run.seeds["sampler"], "ticket", variant, iteration))
        super().__init__(run, state, run.path(paths.ticket(variant, iteration, ".partial.npz")),
                         run.metadata(seeds=run.seeds, variant=variant, iteration=iteration,
                                      fingerprint=run.fingerprint("ticket", variant=variant),
                                      made_from=made_from))

    def finish(self, run: Run, steps: int, wall_seconds: float) -> None:
        """Write the ticket's log and final checkpoint; drop the partial one (evaluation: :func:`evaluate_tickets`)."""
        variables = self.state.variables
        write_csv_atomic(run.path(paths.ticket(self.variant, self.iteration, "_log.csv")), self.log)
        save_checkpoint(run.path(paths.ticket(self.variant, self.iteration, ".npz")), variables["params"],
                        variables["masks"], {**self.meta, "step": steps, "n": count_unmasked(variables["masks"]),
                                             "wall_seconds": wall_seconds},
                        extra={**run.state_arrays(self.state), "log": _log_array(run, self.log)})
        self.partial.unlink(missing_ok=True)


def _ticket_steps(run: Run) -> int:
    steps = run.settings["tickets"]["steps"]
    return int(run.pruning["pretrain_steps"] if steps is None else steps)


def _finished_ticket(run: Run, variant: str, iteration: int, made_from: dict):
    """The checkpoint of a finished ticket made from ``made_from`` (the current theta_init and mask),
    or None when it must be trained."""
    return _try_load(run.path(paths.ticket(variant, iteration, ".npz")), run.accepts("ticket", variant=variant),
                     made_from)


def train_ticket(run: Run, variant: str, iteration: int, reference: dict | None) -> dict:
    """Train one isolated ticket with its mask fixed; returns (and writes) its evaluation row."""
    return train_tickets(run, [(variant, iteration)], reference, batched=False)[0]


def train_tickets(run: Run, tickets: list[tuple[str, int]], reference: dict | None,
                  batched: bool = True) -> list[dict]:
    """Train (:func:`train_ticket_networks`) and evaluate (:func:`evaluate_tickets`) isolated tickets."""
    train_ticket_networks(run, tickets, reference, batched)
    return evaluate_tickets(run, tickets, reference)


def train_ticket_networks(run: Run, tickets: list[tuple[str, int]], reference: dict | None,
                          batched: bool = True) -> None:
    """Train isolated tickets ``[(variant, iteration), ...]`` of one run to their checkpoints.

    ``batched``: all unfinished tickets advance together as one vectorised program
    (:func:`sparse_nqs.vmc.train_batch`; same numbers as one by one), in lockstep, with the same
    checkpoints (every ``checkpoint_every`` steps per ticket) as when trained alone; tickets resumed
    from different steps form separate batches. Otherwise one after the other. Finished tickets are
    not retrained. The training time of a batched ticket is its share of the batch's time.
    """
    run.check_reference(reference)
    sources = {key: _ticket_sources(run, *key) for key in tickets}  # loaded once per ticket
    pending = [_Ticket(run, v, i, sources[(v, i)]) for (v, i) in tickets
               if _finished_ticket(run, v, i, sources[(v, i)][2]) is None]
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
            ticket.finish(run, total, share)


# --------------------------------------------------------------------------------------------
# evaluation of stored states
# --------------------------------------------------------------------------------------------
def _training_seconds(checkpoint) -> float:
    """The training time stored with a checkpoint (in its old evaluation row, for earlier checkpoints)."""
    meta = checkpoint.metadata
    return float(meta.get("wall_seconds", (meta.get("row") or {}).get("wall_seconds", float("nan"))))


class EvaluationCache:
    """Stored evaluation results of a run, one JSON file per item (``evaluation/<name>.json``) holding
    the item's ``key`` (what it was made from: checkpoint content ids and the evaluation's fingerprint,
    :meth:`Run.fingerprint` of phase "evaluate" or "fidelity", which holds
    :data:`~sparse_nqs.names.EVALUATION_VERSION`), the result and ``made_by`` (commit, versions, time).
    An item is read back only while its key is unchanged: an interrupted or extended evaluation redoes
    only what is new, a changed one redoes everything."""

    def __init__(self, run: Run, names: list[str], keys: list[dict]):
        self.run, self.names, self.keys = run, names, keys

    def get(self, k: int):
        path = self.run.path(paths.evaluation(self.names[k]))
        if path.exists():
            stored = read_json(path)
            if stored.get("key") == self.keys[k]:
                return stored["row"]
        return None

    def put(self, k: int, row: dict) -> dict:
        """Store ``row`` (returned as it reads back: NaN as None)."""
        row = json.loads(json.dumps(json_safe(row)))
        made_by = {"git_commit": git_commit(_REPOSITORY), "versions": package_versions(),
                   "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        write_json_atomic(self.run.path(paths.evaluation(self.names[k])), {"key": self.keys[k], "row": row,
                                                                            "made_by": made_by})
        return row


#: the clone this package runs from (for the commit in ``made_by``; None when installed elsewhere)
_REPOSITORY = Path(__file__).resolve().parents[3]


def _evaluated(run: Run, name: str, checkpoint, reference: dict | None, labels: tuple, iteration: int,
               method: str = "", variant: str = "") -> dict:
    """The evaluation row of one stored state, computed once per checkpoint and evaluation
    (:class:`EvaluationCache`); its error columns follow ``reference``."""
    cache = EvaluationCache(run, [name], [{"made_from": checkpoint.content_id,
                                            "evaluation": run.fingerprint("evaluate")}])
    stored = cache.get(0)
    if stored is not None:
        return run.with_reference(stored, reference)
    start = time.perf_counter()
    row = run.stored_row(checkpoint)
    if row is not None:  # made by this evaluation before it was a step of its own
        row = {**run.with_reference(row, reference), "method": method, "variant": variant,
               "evaluation_seconds": float("nan")}
    else:
        evaluation = run.evaluate(checkpoint.variables, reference, *labels)
        row = _row(run, evaluation, count_unmasked(checkpoint.masks), iteration, method=method, variant=variant,
                   wall_seconds=_training_seconds(checkpoint))
        row["evaluation_seconds"] = time.perf_counter() - start
    row["evaluation"] = cache.keys[0]["evaluation"]
    if row.get("mc_warning"):
        print(f"{run.name} {name}: Monte Carlo warning: {row['mc_warning']}", flush=True)
    return cache.put(0, row)


def evaluate_dense(run: Run, reference: dict | None) -> dict:
    """The evaluation row of the dense network theta_wr; writes ``pretrain/dense.json``."""
    run.check_reference(reference)
    row = _evaluated(run, "dense", pretrained(run, "the dense evaluation"), reference, ("dense",), -1,
                     method="dense")
    write_json_atomic(run.path(paths.DENSE_ROW), row)
    return row


def evaluate_path(run: Run, method: str, reference: dict | None) -> pd.DataFrame:
    """The history of a finished pruning path: the dense row and one evaluation row per round;
    writes ``<method>/history.csv``. Trains nothing."""
    run.check_reference(reference)
    wr = pretrained(run, f"the evaluation of {method}")
    rows = [dict(_evaluated(run, "dense", wr, reference, ("dense",), -1, method="dense"), method=method)]
    for i, checkpoint in enumerate(finished_rounds(run, method, f"the evaluation of {method}")):
        rows.append(_evaluated(run, f"{method}_iter_{i:03d}", checkpoint, reference, (method, i), i, method=method))
    history = _table(rows)
    write_csv_atomic(run.path(paths.history(method)), history)
    return history


def evaluate_tickets(run: Run, tickets: list[tuple[str, int]], reference: dict | None) -> list[dict]:
    """The evaluation rows of trained tickets; writes each ``tickets/<variant>_iter_NNN.json``."""
    run.check_reference(reference)
    rows = []
    for variant, iteration in tickets:
        made_from = _ticket_sources(run, variant, iteration)[2]
        checkpoint, why = _load_or_reason(run.path(paths.ticket(variant, iteration, ".npz")),
                                          run.accepts("ticket", variant=variant), made_from)
        if checkpoint is None:
            raise ExperimentError(f"run {run.name}: the evaluation of ticket {variant} at iteration {iteration} "
                                  f"needs the trained ticket, but {why} (run `sparse-nqs ticket --config CONFIG "
                                  f"--run {run.name} --variant {variant} --iteration {iteration}` first)")
        row = _evaluated(run, f"ticket_{variant}_iter_{iteration:03d}", checkpoint, reference,
                         ("ticket", variant, iteration), iteration, variant=variant)
        write_json_atomic(run.path(paths.ticket(variant, iteration, ".json")), row)
        rows.append(row)
    return rows
