"""The exact SR solve against conjugate gradient on the same S + lambda I (the published code's and
NetKet's iterative solver), 4x4 TFIM at kappa_c, FFNN alpha 1 and 5, the paper's lambda = 1e-4.

For one set of samples (a state 50 steps into training): milliseconds per solve, CG iterations, the
relative residual ||(S + lambda I) x - g|| / ||g|| and the distance ||x - x_exact|| / ||x_exact|| at CG
tolerances 1e-5 (NetKet's default) and 1e-8. An energy-trajectory comparison was not kept: at these
iteration counts CG costs 30-170x the exact solve per step (docs/speed.md), so it is no option here.

    python benchmarks/sr_solvers.py [--alpha 1 5] [--repeats 3]

Lines: ``sr_solver L=4 alpha=5 solver=cg tol=1e-05 ms=... iterations=... residual=... distance=... side=...``.
"""

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from sparse_nqs.networks import build_network
from sparse_nqs.physics.models import TFIM
from sparse_nqs.runtime import enable_x64
from sparse_nqs.vmc import training as vmc
from sparse_nqs.vmc.sampling import SamplingSettings, make_vstate
from sparse_nqs.vmc.training import train

enable_x64()  # the pipeline's precision; no compilation cache (compile times are measured)

DIAG_SHIFT = 1e-4


def cg_direction(tol: float):
    """sr_direction's update with CG on the side sr_direction solves on (matrix-free products)."""
    def direction(jacobian, energies, diag_shift):
        n_samples, n_parameters = jacobian.shape
        O = (jacobian - jnp.mean(jacobian, axis=0)) / np.sqrt(n_samples)
        dv = 2.0 * (energies - jnp.mean(energies)) / np.sqrt(n_samples)
        if n_parameters <= n_samples:
            x, _ = jax.scipy.sparse.linalg.cg(lambda v: O.T @ (O @ v) + diag_shift * v, dv @ O, tol=tol)
            return x
        y, _ = jax.scipy.sparse.linalg.cg(lambda v: O @ (O.T @ v) + diag_shift * v, dv, tol=tol)
        return y @ O
    return direction


def cg_iterations(O, rhs, diag_shift, tol):
    """The number of CG iterations to ``tol`` (a Python loop over the same recurrence, for counting)."""
    apply = (lambda v: O.T @ (O @ v) + diag_shift * v) if O.shape[1] <= O.shape[0] else \
        (lambda v: O @ (O.T @ v) + diag_shift * v)
    x = np.zeros_like(rhs)
    r = rhs - apply(x)
    p, rr = r.copy(), r @ r
    for k in range(1, 100_000):
        Ap = apply(p)
        step = rr / (p @ Ap)
        x, r = x + step * p, r - step * Ap
        rr_new = r @ r
        if np.sqrt(rr_new) <= tol * np.linalg.norm(rhs):
            return k
        p, rr = r + rr_new / rr * p, rr_new
    return -1


def one_solve(L: int, alpha: float, repeats: int = 3):
    model = TFIM(L)
    vstate = make_vstate(model, build_network({"kind": "ffnn", "alpha": alpha}), SamplingSettings(), 0, 1)
    train(vstate, model, 50, 8e-3, DIAG_SHIFT)  # a state a little into training
    x = vstate.samples.reshape(-1, model.N)
    flat, unravel = ravel_pytree(vstate.parameters)
    jacobian = jax.vmap(jax.grad(lambda f, xi: vstate._apply_fun({"params": unravel(f), **vstate.model_state}, xi)),
                        in_axes=(None, 0))(flat, x)
    energies = vmc.local_energies(model.hamiltonian.to_jax_operator(), vstate._apply_fun, vstate.variables, x).real
    exact = np.asarray(jax.jit(vmc.sr_direction)(jacobian, energies, DIAG_SHIFT))
    O = np.asarray(jacobian - jacobian.mean(axis=0)) / np.sqrt(len(x))
    dv = 2.0 * np.asarray(energies - energies.mean()) / np.sqrt(len(x))
    S = O.T @ O + DIAG_SHIFT * np.eye(O.shape[1])
    g = O.T @ dv
    cases = [("exact", None, jax.jit(vmc.sr_direction))]
    cases += [("cg", tol, jax.jit(cg_direction(tol))) for tol in (1e-5, 1e-8)]
    for name, tol, solve in cases:
        with vmc._blas_threads():
            solution = np.asarray(solve(jacobian, energies, DIAG_SHIFT))
            start = time.perf_counter()
            for _ in range(repeats):
                jax.block_until_ready(solve(jacobian, energies, DIAG_SHIFT))
            ms = 1e3 * (time.perf_counter() - start) / repeats
        residual = np.linalg.norm(S @ solution - g) / np.linalg.norm(g)
        distance = np.linalg.norm(solution - exact) / np.linalg.norm(exact)
        rhs = dv @ O if O.shape[1] <= O.shape[0] else dv
        iterations = 0 if tol is None else cg_iterations(O, rhs, DIAG_SHIFT, tol)
        print(f"sr_solver L={L} alpha={alpha:g} solver={name} tol={tol} ms={ms:.2f} iterations={iterations} "
              f"residual={residual:.2e} distance={distance:.2e} side={min(O.shape)}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alpha", type=float, nargs="+", default=[1, 5])
    parser.add_argument("--repeats", type=int, default=3, help="timed solves per case")
    args = parser.parse_args()
    for alpha in args.alpha:
        one_solve(4, alpha, args.repeats)


if __name__ == "__main__":
    main()
