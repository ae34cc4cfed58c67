"""VMC training with stochastic reconfiguration (docs/science.md, "Sampling and training"), on NetKet.

* Training: the update of NetKet's ``VMC_SR`` driver (plain SGD step, constant learning rate eta
  and diagonal shift lambda) compiled as one program per step; one row per step (energy, error,
  variance, R-hat, acceptance).
  A non-finite or exploding energy stops the run with :class:`TrainingDivergedError`.
"""

from __future__ import annotations

import math
import os
import time
from contextlib import contextmanager
from functools import partial

import jax
import jax.numpy as jnp
import netket as nk
import numpy as np
import pandas as pd
from jax.flatten_util import ravel_pytree
from threadpoolctl import threadpool_limits

from ..errors import SparseNQSError
from ..networks import LOG_DERIVATIVES, MASKS
from . import incremental


class TrainingDivergedError(SparseNQSError, RuntimeError):
    pass


LOG_COLUMNS = ["step", "energy", "energy_error", "variance", "r_hat", "acceptance", "wall_seconds"]


def local_energies(operator, logpsi, variables, x, chunk: int | None = None):
    """E_loc(x) = sum_x' <x|H|x'> psi(x')/psi(x) for a batch x (N_s, N); ``operator`` a NetKet jax operator.

    ``chunk``: evaluate the connected configurations of a few samples at a time, about ``chunk``
    configurations per network call (:data:`ENERGY_CHUNK_CONFIGURATIONS`), instead of all
    N_s x (N + 1) at once: the activations then stay in cache (same numbers per sample).
    """
    connected, elements = operator.get_conn_padded(x)
    if chunk is None:
        log_ratio = logpsi(variables, connected) - logpsi(variables, x)[:, None]
        return jnp.sum(elements * jnp.exp(log_ratio), axis=-1)
    per_call = math.gcd(x.shape[0], max(1, chunk // connected.shape[1]))

    def energies(batch):
        x, connected, elements = batch
        log_ratio = logpsi(variables, connected) - logpsi(variables, x)[:, None]
        return jnp.sum(elements * jnp.exp(log_ratio), axis=-1)

    def split(a):
        return a.reshape(x.shape[0] // per_call, per_call, *a.shape[1:])

    return jax.lax.map(energies, (split(x), split(connected), split(elements))).reshape(-1)


#: configurations per network call of the chunked local energies (networks without an incremental
#: form, e.g. the ResCNN). Measured on 2 cores, 10x10 ResCNN 16/4, 128 samples: 5.1 s at once, 2.5 s
#: with 101 configurations per call (one sample), 3.1-3.2 s with 202 or 404; its 16-channel convolution runs at
#: 13-18 GFLOP/s for 64-160 images per call and at 4 for 400 or more (the activations leave the cache)
ENERGY_CHUNK_CONFIGURATIONS = 128


#: the SR Gram matrix is built from GRAM_BLOCKS x GRAM_BLOCKS blocks when its side is at least
#: GRAM_BLOCK_MIN: only the lower block triangle is computed (10 of 16 products), which is all the
#: Cholesky factorisation reads. Measured (2 cores, float64, 1024 x 1280): 26.5 ms -> 17.6-19 ms.
GRAM_BLOCKS = 4
GRAM_BLOCK_MIN = 512


def _gram_lower(A, columns: bool):
    """The lower triangle of A A^T (rows of A) or, with ``columns``, of A^T A; the upper one is zero."""
    if columns:
        A = A.T  # a layout change only: XLA contracts over the sample axis without copying
    m = A.shape[0]
    if m < GRAM_BLOCK_MIN or m % GRAM_BLOCKS:
        return jnp.tril(A @ A.T)
    b = m // GRAM_BLOCKS
    rows = [A[i * b:(i + 1) * b] for i in range(GRAM_BLOCKS)]
    zero = jnp.zeros((b, b), dtype=A.dtype)
    return jnp.block([[rows[i] @ rows[j].T if j <= i else zero for j in range(GRAM_BLOCKS)]
                      for i in range(GRAM_BLOCKS)])


def sr_direction(jacobian, energies, diag_shift):
    """(S + lambda I)^-1 grad E for real parameters and a real log-amplitude (NetKet's VMC_SR conventions).

    With O the centred Jacobian / sqrt(N_s) and dv = 2 (E_loc - <E_loc>) / sqrt(N_s), S = O^T O and
    grad E = O^T dv. When there are more parameters than samples the identical update
    O^T (O O^T + lambda I)^-1 dv (the NTK / minSR form) is solved instead: the dense matrix is
    min(N_s, N_p) on a side. Exact Cholesky solve; only the lower triangle is formed and read.
    """
    n_samples, n_parameters = jacobian.shape
    O = (jacobian - jnp.mean(jacobian, axis=0)) / np.sqrt(n_samples)
    dv = 2.0 * (energies - jnp.mean(energies)) / np.sqrt(n_samples)
    parameter_space = n_parameters <= n_samples
    matrix = _gram_lower(O, columns=parameter_space)
    rhs = dv @ O if parameter_space else dv
    matrix = matrix + diag_shift * jnp.eye(matrix.shape[0], dtype=matrix.dtype)
    factor = jax.lax.linalg.cholesky(matrix, symmetrize_input=False)
    solution = jax.scipy.linalg.cho_solve((factor, True), rhs)
    return solution if parameter_space else solution @ O


#: SR in the space of the surviving weights keeps this many columns per factor 2 of sizes: the number of
#: columns is rounded up to 2^e (1 + k / COLUMN_BUCKETS_PER_OCTAVE), at most 12.5 % of padding, so that
#: a new mask recompiles the step only when its size crosses a bucket
COLUMN_BUCKETS_PER_OCTAVE = 8
COLUMN_BUCKET_MIN = 16
#: networks with fewer parameters keep the dense solve: it takes a few milliseconds there, less than
#: the recompilation that every new bucket of a pruning run would cost (and small runs keep their numbers).
#: The same bound holds for the sparse incremental updates (W of fewer entries keeps the dense update:
#: the 18 x 72 toric network gained nothing from them, 63 against 67 ms per step)
COLUMN_DROP_MIN_PARAMETERS = 2048


def column_bucket(n: int) -> int:
    """The number of Jacobian columns a step with ``n`` surviving parameters is compiled for."""
    if n <= COLUMN_BUCKET_MIN:
        return COLUMN_BUCKET_MIN
    step = max(1, 2 ** (int(n).bit_length() - 1) // COLUMN_BUCKETS_PER_OCTAVE)
    return -(-int(n) // step) * step


def alive_flags(params, masks) -> np.ndarray:
    """One flag per entry of ``ravel_pytree(params)``: False for a masked weight, True for an unmasked
    one and for every parameter without a mask."""
    def alive(path, value):
        node = masks
        for key in path:
            name = getattr(key, "key", key)
            if not (hasattr(node, "keys") and name in node):
                return np.ones(np.shape(value), dtype=bool)
            node = node[name]
        return np.asarray(node) != 0

    return np.asarray(ravel_pytree(jax.tree_util.tree_map_with_path(alive, params))[0]).astype(bool)


def surviving_columns(params, masks, size: int | None = None) -> np.ndarray | None:
    """Indices into ``ravel_pytree(params)`` of the parameters a step trains: every unmasked weight and
    every parameter without a mask, padded to ``size`` (default :func:`column_bucket`) with masked
    ones; None when that would keep every column (the dense step) or the network has fewer than
    :data:`COLUMN_DROP_MIN_PARAMETERS` parameters.

    A masked weight's column of the log-derivative Jacobian is exactly zero (the forward pass uses
    weight * mask), so it adds nothing to S = O^T O nor to the NTK matrix O O^T, and its SR update is
    exactly zero. Dropping those columns before the Gram matrix gives the same update on a side of
    min(N_s, columns kept); padding columns are zero columns, whose update is zero in both forms.
    """
    return _columns_of(alive_flags(params, masks), size)


def _columns_of(flags: np.ndarray, size: int | None = None) -> np.ndarray | None:
    """:func:`surviving_columns` from the :func:`alive_flags` of a state."""
    live, dead = np.flatnonzero(flags), np.flatnonzero(~flags)
    size = column_bucket(live.size) if size is None else size
    if size >= flags.size or flags.size < COLUMN_DROP_MIN_PARAMETERS:
        return None
    return np.concatenate([live, dead[:size - live.size]]).astype(np.int32)


@contextmanager
def _blas_threads():
    """Limit the BLAS/LAPACK thread pools (OpenBLAS) while JAX trains on the CPU.

    XLA's CPU backend runs its own thread pool and calls LAPACK (the Cholesky factorisation of SR)
    through SciPy's OpenBLAS; OpenBLAS's threads then compete with XLA's for the same cores.
    Measured on 2 cores (4x4, N_s 1024): alpha 1 11.6-12.3 -> 6.8-8.0 ms per step, alpha 5 71 -> 53 ms.
    ``SPARSE_NQS_BLAS_THREADS`` overrides the limit (default 1; "none": no limit).
    """
    setting = os.environ.get("SPARSE_NQS_BLAS_THREADS", "1").strip().lower()
    if setting not in ("none", "") and not (setting.isdigit() and int(setting) > 0):
        raise ValueError(f"SPARSE_NQS_BLAS_THREADS must be a positive number of threads or 'none', got {setting!r}")
    limit = None if setting in ("none", "") or jax.default_backend() != "cpu" else int(setting)
    with threadpool_limits(limits=limit, user_api="blas"):
        yield


STEP_STATIC = ("logpsi", "machine", "chain_length", "n_discard", "log_derivatives", "flip_hamiltonian",
               "energy_chunk")


def step_options(vstate: nk.vqs.MCState, model, fast: bool = True) -> dict:
    """The static (compile-time) arguments of the compiled step for ``vstate`` on ``model``: with
    ``fast``, the closed-form log-derivatives and incremental local energies of the network where it
    has them (FFNN; incremental amplitudes also for the CNN), else the generic paths."""
    one_layer = fast and incremental.one_layer_form(vstate.model) is not None
    return {"logpsi": vstate._apply_fun, "machine": vstate._sampler_model, "chain_length": vstate.chain_length,
            "n_discard": vstate.n_discard_per_chain,
            "log_derivatives": LOG_DERIVATIVES.get(type(vstate.model)) if fast else None,
            "flip_hamiltonian": incremental.FlipHamiltonian.of(model) if one_layer else None,
            "energy_chunk": ENERGY_CHUNK_CONFIGURATIONS if fast else None}


def _vmc_sr_update(sampler, operator, params, model_state, sampler_state, learning_rate, diag_shift, columns,
                   flip_columns=None, *, logpsi, machine, chain_length, n_discard, log_derivatives=None, flip_hamiltonian=None,
                   energy_chunk=None):
    """One VMC step: sample, local energies, SR solve, SGD update (compiled by the two wrappers below).

    The masks are an argument (``model_state``), so a new mask reuses the compiled step.
    ``columns``: the parameters SR solves for (:func:`surviving_columns`; the others are masked and
    their update is exactly zero), or None for all of them; a new mask recompiles only when the
    number of columns changes bucket. ``flip_columns``: None, or for an FFNN or CNN the hidden units each
    sampler move (``"moves"``) and each flip group of the Hamiltonian (``"groups"``) reaches
    (:func:`sparse_nqs.incremental.flip_columns`; either may be None): the incremental updates then
    touch those columns only.
    ``log_derivatives(variables, x, columns)``: the per-sample
    log-derivatives of those columns in closed form (e.g. :func:`sparse_nqs.networks.ffnn_log_derivatives`),
    used instead of a backward pass per sample when columns are given. ``flip_hamiltonian``: the
    local energies of an FFNN or CNN from incremental amplitudes (:class:`sparse_nqs.incremental.FlipHamiltonian`).
    ``energy_chunk``: the other networks' local energies a few samples at a time (:func:`local_energies`).
    """
    variables = {"params": params, **model_state}
    flip_columns = flip_columns or {"moves": None, "groups": None}
    chain_variables = variables if flip_columns["moves"] is None else \
        {**variables, incremental.FLIP_COLUMNS: {"table": flip_columns["moves"]}}
    sampler_state = sampler.reset(machine, chain_variables, sampler_state)
    if n_discard:
        _, sampler_state = sampler.sample(machine, chain_variables, state=sampler_state, chain_length=n_discard)
    samples, sampler_state = sampler.sample(machine, chain_variables, state=sampler_state, chain_length=chain_length)
    x = samples.reshape(-1, samples.shape[-1])
    if flip_hamiltonian is not None:
        energies = flip_hamiltonian.local_energies(incremental.one_layer_form(machine), variables, x,
                                                   flip_columns["groups"])
    else:
        energies = local_energies(operator, logpsi, variables, x, energy_chunk)
    stats = nk.stats.statistics(energies.reshape(samples.shape[:2]))

    flat, unravel = ravel_pytree(params)
    if columns is not None and log_derivatives is not None:
        jacobian = log_derivatives(variables, x, columns)  # the surviving columns only, in closed form
    else:
        # per-sample gradients (jacrev of the batched function would cost N_s backward passes of N_s samples)
        jacobian = jax.vmap(jax.grad(lambda f, xi: logpsi({"params": unravel(f), **model_state}, xi)),
                            in_axes=(None, 0))(flat, x)
        jacobian = jacobian if columns is None else jacobian[:, columns]
    if columns is None:
        delta = sr_direction(jacobian, energies.real, diag_shift)
    else:
        delta = jnp.zeros_like(flat).at[columns].set(sr_direction(jacobian, energies.real, diag_shift),
                                                     unique_indices=True)
    log = jnp.stack([stats.mean.real, stats.error_of_mean, stats.variance, stats.R_hat,
                     sampler_state.n_accepted / sampler_state.n_steps])
    return unravel(flat - learning_rate * delta), sampler_state, log


def _vmc_sr_update_batched(sampler, operator, params, model_state, sampler_state, learning_rate, diag_shift,
                           columns, flip_columns=None, **static):
    """Independent states of one architecture (stacked along a leading axis) in one step."""
    one = partial(_vmc_sr_update, **static)
    return jax.vmap(one, in_axes=(None, None, 0, 0, 0, None, None, 0, 0))(
        sampler, operator, params, model_state, sampler_state, learning_rate, diag_shift, columns, flip_columns)


def _scanned(update):
    """``n_steps`` consecutive calls of ``update`` as one program (``lax.scan``), the logs stacked."""
    def steps(sampler, operator, params, model_state, sampler_state, learning_rate, diag_shift, columns,
              flip_columns=None, *, n_steps, **static):
        def one(carry, _):
            params, sampler_state = carry
            params, sampler_state, log = update(sampler, operator, params, model_state, sampler_state,
                                                learning_rate, diag_shift, columns, flip_columns, **static)
            return (params, sampler_state), log

        (params, sampler_state), logs = jax.lax.scan(one, (params, sampler_state), length=n_steps)
        return params, sampler_state, logs
    return steps


#: one state: a single compiled program per step, or per ``n_steps`` steps
_vmc_sr_step = partial(jax.jit, static_argnames=STEP_STATIC)(_vmc_sr_update)
_vmc_sr_steps = partial(jax.jit, static_argnames=STEP_STATIC + ("n_steps",))(_scanned(_vmc_sr_update))
#: a batch of states: the same
_vmc_sr_step_batched = partial(jax.jit, static_argnames=STEP_STATIC)(_vmc_sr_update_batched)
_vmc_sr_steps_batched = partial(jax.jit, static_argnames=STEP_STATIC + ("n_steps",))(
    _scanned(_vmc_sr_update_batched))


def steps_per_dispatch() -> int:
    """Training steps per compiled call, from ``SPARSE_NQS_STEPS_PER_DISPATCH`` (default 1).

    More than one runs that many steps as one program (``lax.scan``) and returns their logs
    together: fewer host round trips (they matter on a GPU, where a small step is short), the same
    numbers up to XLA's fusion choices, and divergence still stops at the first bad step (the state
    is then left as it was before the call, as with 1). A run length that is not a multiple
    compiles one more program for the remainder. Measured on 2 CPU cores: see benchmarks/vmc_step.py
    ``--dispatch``.
    """
    setting = os.environ.get("SPARSE_NQS_STEPS_PER_DISPATCH", "1").strip()
    if not (setting.isdigit() and int(setting) > 0):
        raise ValueError(f"SPARSE_NQS_STEPS_PER_DISPATCH must be a positive number of steps, got {setting!r}")
    return int(setting)


def _dispatches(single, scanned, n_steps: int, params, sampler_state, args: tuple, static: dict):
    """Advance ``n_steps`` steps, ``steps_per_dispatch()`` per compiled call; yields after each call
    ``(logs, params, sampler_state)`` with the logs of its steps stacked along the first axis."""
    per_call = steps_per_dispatch()
    done = 0
    while done < n_steps:
        k = min(per_call, n_steps - done)
        sampler, operator, model_state, learning_rate, diag_shift, columns, flips = args
        if k == 1:
            params, sampler_state, log = single(sampler, operator, params, model_state, sampler_state,
                                                learning_rate, diag_shift, columns, flips, **static)
            logs = np.asarray(log)[None]
        else:
            params, sampler_state, logs = scanned(sampler, operator, params, model_state, sampler_state,
                                                  learning_rate, diag_shift, columns, flips, n_steps=k, **static)
            logs = np.asarray(logs)  # one transfer for all k steps
        done += k
        yield logs, params, sampler_state


def _check_finite(energy: float, variance: float, bound: float, step: int, which: str = "") -> None:
    if not (np.isfinite(energy) and np.isfinite(variance)):
        raise TrainingDivergedError(
            f"training{which} diverged at step {step}: energy {energy}, variance {variance}; "
            "lower the learning rate or raise the diagonal shift"
        )
    if abs(energy) > bound:
        raise TrainingDivergedError(
            f"training{which} exploded at step {step}: |E| = {abs(energy):.4g} exceeds twice the "
            f"operator-norm bound {bound / 2:.4g}; lower the learning rate or raise the diagonal shift"
        )


def train(vstate: nk.vqs.MCState, model, n_steps: int, learning_rate: float, diag_shift: float,
          first_step: int = 0, progress=None, fast: bool = True) -> pd.DataFrame:
    """Run ``n_steps`` of VMC with SR on ``vstate``; returns the per-step log (columns ``LOG_COLUMNS``).

    Same update as NetKet's ``VMC_SR`` driver with ``optax.sgd(learning_rate)`` (a test checks
    it), as one compiled step. The energy in row ``step`` is the estimate from the samples drawn
    before the update of that step (NetKet's convention). On divergence the state is left as it
    was before this call and :class:`TrainingDivergedError` is raised.

    ``progress``, if given, is called as ``progress(step, energy)`` after each step (the step's
    global index and its energy estimate, already a Python float: no extra device transfer), e.g. a
    :class:`sparse_nqs.progress.StepProgress`. It does not change the numbers.

    ``fast``: SR on the surviving weights only (:func:`surviving_columns`; the same update, at the cost
    of the weights a pruned network still has), for the FFNN closed-form log-derivatives, and for the
    FFNN and CNN incremental local energies (same numbers to rounding); False: the generic step. (The sampler's
    incremental amplitudes are chosen when the state is made, see :func:`make_vstate`.)
    """
    columns = surviving_columns(vstate.parameters, vstate.model_state[MASKS]) if fast else None
    columns = None if columns is None else jnp.asarray(columns)
    flips = _flip_columns([vstate], model) if fast else None
    flips = None if flips is None else jax.tree_util.tree_map(lambda table: table[0], flips)
    args = (vstate.sampler, model.hamiltonian.to_jax_operator(), vstate.model_state, jnp.asarray(learning_rate),
            jnp.asarray(diag_shift), columns, flips)
    params, sampler_state = vstate.parameters, vstate.sampler_state
    bound = 2.0 * model.energy_bound()
    rows = []
    start = time.perf_counter()
    with _blas_threads():
        dispatches = _dispatches(_vmc_sr_step, _vmc_sr_steps, n_steps, params, sampler_state, args,
                                 step_options(vstate, model, fast))
        for logs, params, sampler_state in dispatches:
            wall = time.perf_counter() - start
            for energy, error, variance, r_hat, acceptance in logs.tolist():
                i = first_step + len(rows)
                rows.append({"step": i, "energy": energy, "energy_error": error, "variance": variance,
                             "r_hat": r_hat, "acceptance": acceptance, "wall_seconds": wall})
                _check_finite(energy, variance, bound, i)
                if progress is not None:
                    progress(i, energy)
    vstate.parameters = params
    vstate.sampler_state = sampler_state
    return pd.DataFrame(rows, columns=LOG_COLUMNS)


def train_batch(vstates: list, model, n_steps: int, learning_rate: float, diag_shift: float,
                first_step: int = 0, progress=None, fast: bool = True) -> list[pd.DataFrame]:
    """:func:`train` for several variational states of one architecture at once, as one vectorised
    program (``jax.vmap`` of the same step): the same numbers as training them one by one (up to
    floating-point summation order; a test checks it), with one compilation and one dispatch per
    step for all of them. Used for the isolated tickets of a run (different masks and initial
    weights, same network). Returns one log per state; on divergence of any state all are left as
    they were and :class:`TrainingDivergedError` names it. ``progress`` as in :func:`train`, called
    with the list of the states' energies; ``fast`` as in :func:`train` (the states share
    the largest number of columns, padded with masked ones).
    """
    if not vstates:
        return []
    first = vstates[0]

    def stacked(trees):
        return jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *trees)

    columns = _batch_columns(vstates) if fast else None
    flips = _flip_columns(vstates, model) if fast else None
    args = (first.sampler, model.hamiltonian.to_jax_operator(), stacked([v.model_state for v in vstates]),
            jnp.asarray(learning_rate), jnp.asarray(diag_shift), columns, flips)
    params = stacked([v.parameters for v in vstates])
    sampler_state = stacked([v.sampler_state for v in vstates])
    bound = 2.0 * model.energy_bound()
    rows = [[] for _ in vstates]
    start = time.perf_counter()
    with _blas_threads():
        dispatches = _dispatches(_vmc_sr_step_batched, _vmc_sr_steps_batched, n_steps, params, sampler_state, args,
                                 step_options(first, model, fast))
        for logs, params, sampler_state in dispatches:
            wall = time.perf_counter() - start
            for log in logs.tolist():  # one step: a row per state
                i = first_step + len(rows[0])
                for b, (energy, error, variance, r_hat, acceptance) in enumerate(log):
                    rows[b].append({"step": i, "energy": energy, "energy_error": error, "variance": variance,
                                    "r_hat": r_hat, "acceptance": acceptance, "wall_seconds": wall})
                    _check_finite(energy, variance, bound, i, which=f" of state {b} of the batch")
                if progress is not None:
                    progress(i, [r[-1]["energy"] for r in rows])
    for b, v in enumerate(vstates):
        v.parameters = jax.tree_util.tree_map(lambda leaf, b=b: leaf[b], params)
        v.sampler_state = jax.tree_util.tree_map(lambda leaf, b=b: leaf[b], sampler_state)
    return [pd.DataFrame(r, columns=LOG_COLUMNS) for r in rows]


def _batch_columns(vstates: list):
    """:func:`surviving_columns` of several states, all padded to the largest bucket among them (one
    row per state), or None when that bucket keeps every column."""
    flags = [alive_flags(v.parameters, v.model_state[MASKS]) for v in vstates]
    size = max(column_bucket(np.count_nonzero(f)) for f in flags)
    each = [_columns_of(f, size) for f in flags]
    return None if each[0] is None else jnp.asarray(np.stack(each))


def _flip_columns(vstates: list, model):
    """The ``flip_columns`` argument of the step for several FFNN or CNN states with incremental samplers:
    :func:`sparse_nqs.incremental.flip_columns` of the sampler's moves and of the Hamiltonian's flip
    groups, each padded to one width over the states and stacked (one row per state); None where the
    network or sampler has no incremental form."""
    first = vstates[0]
    form = incremental.one_layer_form(first.model)
    if not (getattr(first.sampler, "incremental", False) and form is not None):
        return None
    patterns = [form.pattern(v.model_state[MASKS], model.N) for v in vstates]
    if patterns[0].size < COLUMN_DROP_MIN_PARAMETERS:  # small: the dense update, no recompilation per width
        return None

    def stacked(sites, max_fraction):
        width = max(incremental.flip_width(sites, pattern) for pattern in patterns)
        tables = [incremental.flip_columns(sites, pattern, width, max_fraction) for pattern in patterns]
        return None if tables[0] is None else jnp.asarray(np.stack(tables))

    return {"moves": stacked(np.asarray(first.sampler.rule.sites), incremental.SAMPLER_SPARSE_MAX_FRACTION),
            "groups": stacked(incremental.FlipHamiltonian.of(model).site_table(model.N),
                              incremental.ENERGY_SPARSE_MAX_FRACTION)}
