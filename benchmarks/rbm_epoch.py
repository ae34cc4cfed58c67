"""Seconds per epoch of CD-k on the RBM family's data, the compiled epoch (one ``jax.lax.scan`` over
the mini-batches, what the pipeline runs) beside the same updates dispatched batch by batch from
Python (one compiled call per batch, QuCumber's structure), QuCumber itself (the library the source
trained with) in the same run, and seconds per 1e5 block-Gibbs samples.

    python benchmarks/rbm_epoch.py [--N 18 50 100] [--epochs 3] [--qucumber-python /tmp/qcvenv/bin/python]

Prints one line per case, e.g. ``rbm_epoch N=18 path=scan s_per_epoch=0.60``. Data: 1e5 random
configurations (the cost does not depend on their distribution); CD-10, batches of 100, lr 0.01.
Compilation is excluded (a warm-up epoch first). QuCumber needs PyTorch, which the project does not
install: it runs in its own environment (benchmarks/qucumber_epoch.py says how to make it), found by
``--qucumber-python``, ``$QUCUMBER_PYTHON`` or /tmp/qcvenv/bin/python; without one that imports torch
and qucumber the benchmark prints ``rbm_epoch ... path=qucumber skipped (...)`` and goes on.
"""

import argparse
import os
import subprocess
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from sparse_nqs.rbm.evaluation import draw_samples
from sparse_nqs.rbm.model import init_rbm
from sparse_nqs.rbm.training import CDSettings, gibbs_steps, likelihood_gradient, train_epoch
from sparse_nqs.runtime import configure


def batch_by_batch(settings: CDSettings):
    @jax.jit
    def update(variables, batch, key):
        negative = gibbs_steps(variables, batch, key, settings.k)
        gradient = likelihood_gradient(variables, batch, negative)
        params = jax.tree_util.tree_map(lambda p, g: p + settings.learning_rate * g, variables["params"], gradient)
        return {**variables, "params": params}

    def epoch(variables, data, key):
        order = np.asarray(jax.random.permutation(key, data.shape[0]))
        for k, start in enumerate(range(0, data.shape[0] - settings.batch_size + 1, settings.batch_size)):
            variables = update(variables, data[order[start:start + settings.batch_size]], jax.random.fold_in(key, k))
        return variables

    return epoch


def qucumber(python: str, N: int, epochs: int) -> None:
    """QuCumber's epoch in its own environment, printed in the same format (or why it was skipped)."""
    if not Path(python).exists():
        print(f"rbm_epoch N={N} path=qucumber skipped (no {python}: see benchmarks/qucumber_epoch.py)", flush=True)
        return
    script = Path(__file__).with_name("qucumber_epoch.py")
    result = subprocess.run([python, str(script), "--N", str(N), "--epochs", str(epochs)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["exit status %d" % result.returncode])[-1]
        print(f"rbm_epoch N={N} path=qucumber skipped ({reason})", flush=True)
        return
    print(result.stdout.strip(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, nargs="+", default=[18, 50, 100])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--qucumber-python", default=os.environ.get("QUCUMBER_PYTHON", "/tmp/qcvenv/bin/python"),
                        help="a Python with torch and qucumber (not the project's)")
    parser.add_argument("--qucumber-epochs", type=int, default=1, help="timed QuCumber epochs (tens of s each)")
    args = parser.parse_args()
    configure()
    settings = CDSettings()
    for N in args.N:
        data = jnp.asarray(np.random.default_rng(0).random((100_000, N)) < 0.5, dtype=jnp.float64)
        variables = init_rbm(N, N // 2, 0)
        chains = data[: settings.batch_size]
        looped = batch_by_batch(settings)
        for path in ("scan", "python_loop"):
            def one(key, v=variables):
                if path == "scan":
                    return train_epoch(v, data, key, chains, settings)[0]
                return looped(v, data, key)
            jax.block_until_ready(one(jax.random.key(99)))  # compile
            start = time.perf_counter()
            for e in range(args.epochs):
                jax.block_until_ready(one(jax.random.key(e)))
            print(f"rbm_epoch N={N} path={path} s_per_epoch={(time.perf_counter() - start) / args.epochs:.2f}",
                  flush=True)
        qucumber(args.qucumber_python, N, args.qucumber_epochs)
        draw_samples(variables, N, 100_000, 1000, 200, 5, seed=0)  # compile
        start = time.perf_counter()
        draw_samples(variables, N, 100_000, 1000, 200, 5, seed=1)
        print(f"rbm_gibbs N={N} samples=100000 chains=1000 burn_in=200 thin=5 s={time.perf_counter() - start:.2f}",
              flush=True)


if __name__ == "__main__":
    main()
