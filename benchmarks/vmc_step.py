"""Milliseconds per VMC step with SR: 4x4 TFIM at kappa_c, FFNN alpha = 1 and 5, and what the options add.

Paper statistics per step: N_s = 1024 samples, 16 chains, 5 discarded sweeps, SR with
eta = 8e-3, lambda = 1e-4. Compilation is excluded (warm-up steps), the timed steps include
sampling, local energies, the SR solve and the parameter update.

    python benchmarks/vmc_step.py [--steps 100] [--profile] [--scaling] [--batch] [--densities]

Prints one line per case: ``vmc_step L=4 alpha=1 ms_per_step=12.3`` (every fast path), beside the
same network through the generic step (``path=generic``) and plain NetKet's ``VMC_SR`` driver
(``path=netket_vmc_sr``). With ``--scaling`` also the
planning table: FFNN alpha 1 for L = 4 .. 10, and at L = 6 the same network pruned to a fraction of
its weights (``vmc_step_scaling L=6 alpha=1 n=324 ms_per_step=...``). With ``--batch`` the
isolated-ticket throughput: B tickets of one run (4x4 TFIM, the default config's networks and
N_s = 512) trained one after the other against one vectorised program (``train_batch``), as
milliseconds per ticket-step and tickets of 400 steps per hour. With ``--profile`` where the time of
a step goes: each part compiled and timed alone (``vmc_step_profile L=4 alpha=5 part=sr_solve ms=...``),
and the same Gram matrix and Cholesky factorisation by NumPy/SciPy (OpenBLAS/LAPACK), the float64 floor
of an exact SR solve on this machine. With ``--densities`` the 10x10 FFNN alpha 5 at densities 1, 0.3,
0.1, 0.03 and 0.01, the generic step against every fast path (SR on the surviving weights, sparse
incremental amplitudes), side by side (``vmc_step L=10 alpha=5 density=0.1 path=sparse
ms_per_step=...``; ``--density-L 4`` in CI size). With ``--network-step cnn rescnn`` the dense step of
the Fig. 1 networks at 10x10, generic against fast (``vmc_step network=rescnn L=10 n_samples=1024
path=fast ms_per_step=...``). With ``--dispatch`` the 4x4 and 6x6 FFNN alpha 1
with 1, 10 and 50 steps per compiled call (``vmc_step_dispatch ... steps_per_dispatch=10``).
"""

import argparse
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
from jax.flatten_util import ravel_pytree

from sparse_nqs.networks import build_network
from sparse_nqs.physics.models import TFIM
from sparse_nqs.runtime import enable_x64
from sparse_nqs.vmc import training as vmc
from sparse_nqs.vmc.sampling import SamplingSettings, make_vstate, set_masks
from sparse_nqs.vmc.training import train, train_batch

enable_x64()  # the pipeline's precision; no compilation cache (compile times are measured)


def ms_per_step(L: int, alpha: float, steps: int, warmup: int = 10, keep: float = 1.0,
                fast: bool = True) -> float:
    """Milliseconds per step; ``keep`` < 1 masks all but that fraction of the weights first;
    ``fast`` False times the generic step (SR over every weight, masked ones included; full forward
    passes for every proposal and connected configuration)."""
    model = TFIM(L)
    vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": alpha}), SamplingSettings(),
                         init_seed=0, sampler_seed=1, incremental_amplitudes=fast)
    if keep < 1.0:
        kernel = vstate.model_state["masks"]["kernel"]
        rng = np.random.default_rng(0)
        mask = (rng.random(kernel.shape) < keep).astype(kernel.dtype)
        set_masks(vstate, {"kernel": mask})
    return _timed_training(vstate, model, steps, warmup, 1e-4, fast)


def _timed_training(vstate, model, steps: int, warmup: int, diag_shift: float, fast: bool) -> float:
    """Milliseconds per step of ``steps`` training steps after ``warmup`` untimed ones (compilation)."""
    train(vstate, model, warmup, 8e-3, diag_shift, fast=fast)
    jax.block_until_ready(vstate.parameters)
    start = time.perf_counter()
    train(vstate, model, steps, 8e-3, diag_shift, fast=fast)
    jax.block_until_ready(vstate.parameters)
    return 1e3 * (time.perf_counter() - start) / steps


NETWORK_STEPS = {
    "ffnn": {"kind": "ffnn", "alpha": 5},
    "cnn": {"kind": "cnn", "n_filters": 4},
    "rescnn": {"kind": "rescnn", "n_filters": 16, "n_blocks": 4},
}


def network_ms_per_step(kind: str, L: int, n_samples: int, fast: bool, steps: int = 1, warmup: int = 1) -> float:
    """Milliseconds per training step of the paper's network ``kind`` (Fig. 1: FFNN alpha 5, CNN
    n_f 4, ResCNN 16/4) on the L x L TFIM at kappa_c, dense, with ``n_samples`` samples in 16 chains."""
    model = TFIM(L)
    vstate = make_vstate(model, build_network(NETWORK_STEPS[kind]), SamplingSettings(n_samples=n_samples),
                         init_seed=0, sampler_seed=1, incremental_amplitudes=fast)
    return _timed_training(vstate, model, steps, warmup, 1e-3, fast)


def netket_ms_per_step(L: int, alpha: float, steps: int, warmup: int = 10) -> float:
    """Milliseconds per step of plain NetKet: its ``VMC_SR`` driver (optax SGD, same eta and lambda) on
    the same state, sampler settings and network (the step this package's training reproduces)."""
    import netket as nk
    import optax

    model = TFIM(L)
    vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": alpha}), SamplingSettings(),
                         init_seed=0, sampler_seed=1, incremental_amplitudes=False)
    driver = nk.driver.VMC_SR(model.hamiltonian, optax.sgd(8e-3), diag_shift=1e-4, variational_state=vstate)
    driver.run(warmup, out=(), show_progress=False)
    jax.block_until_ready(vstate.parameters)
    start = time.perf_counter()
    driver.run(steps, out=(), show_progress=False)
    jax.block_until_ready(vstate.parameters)
    return 1e3 * (time.perf_counter() - start) / steps


def _best_ms(function, *args, calls: int = 10, blocks: int = 5) -> float:
    """Milliseconds per call of ``function(*args)`` (compiled first): the best of ``blocks`` blocks, which
    on a shared machine is the least disturbed estimate of the cost."""
    jax.block_until_ready(function(*args))
    best = float("inf")
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(calls):
            result = function(*args)
        jax.block_until_ready(result)
        best = min(best, 1e3 * (time.perf_counter() - start) / calls)
    return best


def step_profile(L: int, alpha: float) -> dict[str, float]:
    """Milliseconds of each part of one SR step (the parts of ``vmc._vmc_sr_update``), each compiled
    and timed alone, plus the whole step, the training loop per step, and the BLAS/LAPACK floor."""
    model = TFIM(L)
    vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": alpha}), SamplingSettings(),
                         init_seed=0, sampler_seed=1)
    train(vstate, model, 3, 8e-3, 1e-4)
    operator = model.hamiltonian.to_jax_operator()
    sampler, machine, logpsi = vstate.sampler, vstate._sampler_model, vstate._apply_fun
    variables, model_state, params = vstate.variables, vstate.model_state, vstate.parameters
    n_discard, chain_length = vstate.n_discard_per_chain, vstate.chain_length

    @jax.jit
    def sampling(variables, state):
        state = sampler.reset(machine, variables, state)
        _, state = sampler.sample(machine, variables, state=state, chain_length=n_discard)
        return sampler.sample(machine, variables, state=state, chain_length=chain_length)[0]

    x = sampling(variables, vstate.sampler_state).reshape(-1, model.N)
    flat, unravel = ravel_pytree(params)
    energies = jax.jit(lambda v, x: vmc.local_energies(operator, logpsi, v, x))
    jacobian = jax.jit(lambda f, x: jax.vmap(
        jax.grad(lambda f, xi: logpsi({"params": unravel(f), **model_state}, xi)), in_axes=(None, 0))(f, x))
    E, J = energies(variables, x).real, jacobian(flat, x)
    # the dense matrix of the solve: O^T O (parameters <= samples) or O O^T (the NTK form)
    O = np.asarray(J - J.mean(axis=0)) / np.sqrt(len(x))
    parameter_space = O.shape[1] <= O.shape[0]
    gram_np = (lambda: O.T @ O) if parameter_space else (lambda: O @ O.T)
    matrix = gram_np() + 1e-4 * np.eye(min(O.shape))
    O_jax, lower_jax = jnp.asarray(O), jnp.asarray(np.tril(matrix))
    gram_jax = jax.jit(lambda O: vmc._gram_lower(O, columns=parameter_space))
    cholesky_jax = jax.jit(lambda a: jax.lax.linalg.cholesky(a, symmetrize_input=False))

    step = jax.jit(lambda p, s: vmc._vmc_sr_step(sampler, operator, p, model_state, s, 8e-3, 1e-4, None,
                                                 **vmc.step_options(vstate, model)))
    loop_steps = 20
    with vmc._blas_threads():  # the BLAS thread limit of training
        parts = {
            "sampling": _best_ms(sampling, variables, vstate.sampler_state),
            "local_energies": _best_ms(energies, variables, x),
            "per_sample_gradients": _best_ms(jacobian, flat, x),
            "sr_solve": _best_ms(jax.jit(vmc.sr_direction), J, E, 1e-4),
            "sr_gram_matrix": _best_ms(gram_jax, O_jax),
            "sr_cholesky": _best_ms(cholesky_jax, lower_jax),
            "whole_step": _best_ms(step, params, vstate.sampler_state),
            "train_loop_per_step": _best_ms(lambda: train(vstate, model, loop_steps, 8e-3, 1e-4), calls=1,
                                            blocks=3) / loop_steps,
        }
    # NumPy/SciPy on their own (all BLAS threads): what the best library on this CPU needs
    parts["floor_gram_openblas"] = _best_ms(gram_np)
    parts["floor_cholesky_lapack"] = _best_ms(lambda: scipy.linalg.cholesky(matrix, lower=True))
    parts["solve_size"] = float(min(O.shape))
    return parts


def _ticket_states(model, network: dict, sampling, count: int):
    """``count`` states of one network with random masks keeping 30 % of the weights (like tickets)."""
    states = []
    for k in range(count):
        v = make_vstate(model, build_network(network), sampling, init_seed=k, sampler_seed=100 + k)
        rng = np.random.default_rng(k)
        masks = jax.tree_util.tree_map(lambda m: (rng.random(m.shape) < 0.3).astype(m.dtype), v.model_state["masks"])
        set_masks(v, masks)
        states.append(v)
    return states


def ticket_throughput(network: dict, count: int, steps: int, n_samples: int = 512, L: int = 4,
                      sequential: bool = True) -> tuple[float, float]:
    """(sequential, batched) milliseconds per ticket-step for ``count`` tickets on the L x L TFIM
    (sequential: NaN unless ``sequential``)."""
    model = TFIM(L)
    sampling = SamplingSettings(n_samples=n_samples)
    timings = [float("nan")] if not sequential else []
    for batched in ((False, True) if sequential else (True,)):
        states = _ticket_states(model, network, sampling, count)
        run = (lambda n: train_batch(states, model, n, 8e-3, 1e-4)) if batched else \
              (lambda n: [train(v, model, n, 8e-3, 1e-4) for v in states])
        run(3)  # compile
        jax.block_until_ready([v.parameters for v in states])
        start = time.perf_counter()
        run(steps)
        jax.block_until_ready([v.parameters for v in states])
        timings.append(1e3 * (time.perf_counter() - start) / (steps * count))
    return timings[0], timings[1]


BATCH_NETWORKS = {
    "ffnn_alpha2": {"kind": "ffnn", "alpha": 2},
    "ffnn_alpha5": {"kind": "ffnn", "alpha": 5},
    "cnn_nf4": {"kind": "cnn", "n_filters": 4},
    "rescnn_nf4_nb1": {"kind": "rescnn", "n_filters": 4, "n_blocks": 1},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--profile", action="store_true", help="also where the time of a step goes")
    parser.add_argument("--scaling", action="store_true", help="also seconds per step against N and n")
    parser.add_argument("--batch", action="store_true", help="also batched against one-by-one ticket training")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[3, 6, 12])
    parser.add_argument("--batch-networks", nargs="+", default=["ffnn_alpha2", "cnn_nf4", "rescnn_nf4_nb1"],
                        choices=sorted(BATCH_NETWORKS))
    parser.add_argument("--batch-L", type=int, default=4)
    parser.add_argument("--batch-samples", type=int, default=512)
    parser.add_argument("--batch-only", action="store_true",
                        help="batched tickets only (no one-by-one comparison, which takes B times longer)")
    parser.add_argument("--network-step", nargs="+", default=[], choices=sorted(NETWORK_STEPS),
                        help="also the dense step of these Fig. 1 networks, generic against fast (1 warm-up, 1 timed step)")
    parser.add_argument("--network-L", type=int, default=10)
    parser.add_argument("--network-samples", type=int, default=1024)
    parser.add_argument("--no-4x4", action="store_true", help="skip the 4x4 lines (e.g. in a short GPU check)")
    parser.add_argument("--densities", action="store_true",
                        help="also the 10x10 FFNN alpha 5 pruned to densities 1 .. 0.01: the generic step "
                             "(path=dense) against SR on the surviving weights (path=sparse)")
    parser.add_argument("--density-values", type=float, nargs="+", default=[1.0, 0.3, 0.1, 0.03, 0.01])
    parser.add_argument("--density-L", type=int, default=10, help="lattice of --densities (CI-size: 4)")
    parser.add_argument("--dispatch", action="store_true",
                        help="also 1 against several steps per compiled call (SPARSE_NQS_STEPS_PER_DISPATCH)")
    parser.add_argument("--dispatch-values", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--dispatch-L", type=int, nargs="+", default=[4, 6])
    args = parser.parse_args()
    cases = [] if args.no_4x4 else [(4, 1), (4, 5)]
    for L, alpha in cases:
        print(f"vmc_step L={L} alpha={alpha:g} ms_per_step={ms_per_step(L, alpha, args.steps):.1f}", flush=True)
        # the same dense network, side by side: this package's generic step and plain NetKet
        print(f"vmc_step L={L} alpha={alpha:g} path=generic "
              f"ms_per_step={ms_per_step(L, alpha, args.steps, fast=False):.1f}", flush=True)
        print(f"vmc_step L={L} alpha={alpha:g} path=netket_vmc_sr "
              f"ms_per_step={netket_ms_per_step(L, alpha, max(10, args.steps // 2)):.1f}", flush=True)
    for kind in args.network_step:
        for path in ("generic", "fast"):
            ms = network_ms_per_step(kind, args.network_L, args.network_samples, fast=path == "fast")
            print(f"vmc_step network={kind} L={args.network_L} n_samples={args.network_samples} path={path} "
                  f"ms_per_step={ms:.0f}", flush=True)
    if args.profile:
        for L, alpha in cases or [(4, 1)]:
            parts = step_profile(L, alpha)
            size = int(parts.pop("solve_size"))
            for part, ms in parts.items():
                print(f"vmc_step_profile L={L} alpha={alpha:g} solve_size={size} part={part} ms={ms:.2f}", flush=True)
    if args.scaling:
        steps = max(10, args.steps // 5)
        for L in range(4, 11):
            print(f"vmc_step_scaling L={L} alpha=1 n={L**4} ms_per_step={ms_per_step(L, 1, steps):.1f}", flush=True)
        for keep in (0.5, 0.1, 0.01):
            n = int(round(keep * 6**4))
            print(f"vmc_step_scaling L=6 alpha=1 n~{n} ms_per_step={ms_per_step(6, 1, steps, keep=keep):.1f}",
                  flush=True)

    if args.densities:
        steps = max(3, args.steps // 20)
        for density in args.density_values:
            for path in ("dense", "sparse"):
                ms = ms_per_step(args.density_L, 5, steps, warmup=2, keep=density, fast=path == "sparse")
                print(f"vmc_step L={args.density_L} alpha=5 density={density:g} path={path} ms_per_step={ms:.1f}",
                      flush=True)

    if args.dispatch:
        for L, alpha in [(L, 1) for L in args.dispatch_L]:
            for per_call in args.dispatch_values:
                os.environ["SPARSE_NQS_STEPS_PER_DISPATCH"] = str(per_call)
                ms = ms_per_step(L, alpha, max(args.steps, 2 * per_call), warmup=per_call)
                print(f"vmc_step_dispatch L={L} alpha={alpha} steps_per_dispatch={per_call} ms_per_step={ms:.2f}",
                      flush=True)
        os.environ.pop("SPARSE_NQS_STEPS_PER_DISPATCH")

    if args.batch:
        steps = max(10, args.steps // 5)
        for name in args.batch_networks:
            for count in args.batch_sizes:
                seq, bat = ticket_throughput(BATCH_NETWORKS[name], count, steps, args.batch_samples, args.batch_L,
                                             sequential=not args.batch_only)
                print(f"ticket_batch network={name} L={args.batch_L} n_samples={args.batch_samples} B={count} "
                      f"ms_per_ticket_step sequential={seq:.1f} batched={bat:.1f} speedup={seq / bat:.2f} "
                      f"tickets_per_hour_400_steps={3.6e6 / (400 * bat):.0f}", flush=True)


if __name__ == "__main__":
    main()
