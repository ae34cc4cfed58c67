"""Milliseconds per VMC step with SR: 4x4 TFIM at kappa_c, FFNN alpha = 1 and 5 (and 10x10 alpha = 5 on a GPU).

Paper statistics per step: N_s = 1024 samples, 16 chains, 5 discarded sweeps, SR with
eta = 8e-3, lambda = 1e-4. Compilation is excluded (warm-up steps), the timed steps include
sampling, local energies, the SR solve and the parameter update.

    python benchmarks/vmc_step.py [--steps 100] [--scaling] [--batch]

Prints one line per case: ``vmc_step L=4 alpha=1 ms_per_step=12.3``. With ``--scaling`` also the
planning table: FFNN alpha 1 for L = 4 .. 10, and at L = 6 the same network pruned to a fraction of
its weights (``vmc_step_scaling L=6 alpha=1 n=324 ms_per_step=...``). With ``--batch`` the
isolated-ticket throughput: B tickets of one run (4x4 TFIM, the default config's networks and
N_s = 512) trained one after the other against one vectorised program (``train_batch``), as
milliseconds per ticket-step and tickets of 400 steps per hour.
"""

import argparse
import time

import jax
import numpy as np

from sparse_nqs.models import TFIM
from sparse_nqs.networks import build_network
from sparse_nqs.vmc import SamplingSettings, make_vstate, set_masks, train, train_batch


def ms_per_step(L: int, alpha: float, steps: int, warmup: int = 10, keep: float = 1.0) -> float:
    """Milliseconds per step; ``keep`` < 1 masks all but that fraction of the weights first."""
    model = TFIM(L)
    vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": alpha}), SamplingSettings(),
                         init_seed=0, sampler_seed=1)
    if keep < 1.0:
        kernel = vstate.model_state["masks"]["kernel"]
        rng = np.random.default_rng(0)
        mask = (rng.random(kernel.shape) < keep).astype(kernel.dtype)
        set_masks(vstate, {"kernel": mask})
    train(vstate, model, warmup, 8e-3, 1e-4)
    jax.block_until_ready(vstate.parameters)
    start = time.perf_counter()
    train(vstate, model, steps, 8e-3, 1e-4)
    jax.block_until_ready(vstate.parameters)
    return 1e3 * (time.perf_counter() - start) / steps


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


def ticket_throughput(network: dict, count: int, steps: int, n_samples: int = 512) -> tuple[float, float]:
    """(sequential, batched) milliseconds per ticket-step for ``count`` tickets on the 4x4 TFIM."""
    model = TFIM(4)
    sampling = SamplingSettings(n_samples=n_samples)
    timings = []
    for batched in (False, True):
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
    "cnn_nf4": {"kind": "cnn", "n_filters": 4},
    "rescnn_nf4_nb1": {"kind": "rescnn", "n_filters": 4, "n_blocks": 1},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--scaling", action="store_true", help="also seconds per step against N and n")
    parser.add_argument("--batch", action="store_true", help="also batched against one-by-one ticket training")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[3, 6, 12])
    args = parser.parse_args()
    cases = [(4, 1), (4, 5)]
    if jax.default_backend() == "gpu":
        cases.append((10, 5))
    for L, alpha in cases:
        print(f"vmc_step L={L} alpha={alpha:g} ms_per_step={ms_per_step(L, alpha, args.steps):.1f}", flush=True)
    if args.scaling:
        steps = max(10, args.steps // 5)
        for L in range(4, 11):
            print(f"vmc_step_scaling L={L} alpha=1 n={L**4} ms_per_step={ms_per_step(L, 1, steps):.1f}", flush=True)
        for keep in (0.5, 0.1, 0.01):
            n = int(round(keep * 6**4))
            print(f"vmc_step_scaling L=6 alpha=1 n~{n} ms_per_step={ms_per_step(6, 1, steps, keep=keep):.1f}",
                  flush=True)

    if args.batch:
        steps = max(10, args.steps // 5)
        for name, network in BATCH_NETWORKS.items():
            for count in args.batch_sizes:
                seq, bat = ticket_throughput(network, count, steps)
                print(f"ticket_batch network={name} L=4 n_samples=512 B={count} ms_per_ticket_step "
                      f"sequential={seq:.1f} batched={bat:.1f} speedup={seq / bat:.2f} "
                      f"tickets_per_hour_400_steps={3.6e6 / (400 * bat):.0f}", flush=True)


if __name__ == "__main__":
    main()
