"""Milliseconds per VMC step with SR: 4x4 TFIM at kappa_c, FFNN alpha = 1 and 5 (and 10x10 alpha = 5 on a GPU).

Paper statistics per step: N_s = 1024 samples, 16 chains, 5 discarded sweeps, SR with
eta = 8e-3, lambda = 1e-4. Compilation is excluded (warm-up steps), the timed steps include
sampling, local energies, the SR solve and the parameter update.

    python benchmarks/vmc_step.py [--steps 100] [--scaling]

Prints one line per case: ``vmc_step L=4 alpha=1 ms_per_step=12.3``. With ``--scaling`` also the
planning table: FFNN alpha 1 for L = 4 .. 10, and at L = 6 the same network pruned to a fraction of
its weights (``vmc_step_scaling L=6 alpha=1 n=324 ms_per_step=...``).
"""

import argparse
import time

import jax
import numpy as np

from sparse_nqs.models import TFIM
from sparse_nqs.networks import build_network
from sparse_nqs.vmc import SamplingSettings, make_vstate, set_masks, train


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--scaling", action="store_true", help="also seconds per step against N and n")
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


if __name__ == "__main__":
    main()
