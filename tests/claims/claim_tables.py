"""Builders of synthetic figure tables for the claim checks (the tests in this folder)."""

import numpy as np
import pandas as pd

KAPPA_C = 3.04438
#: a pruning path with p_r = 0.12 from n_init = 1000
N_PATH = [1000, 880, 774, 681, 599, 527, 464, 408]


def run(name, L=4, kappa=KAPPA_C, alpha=2.0, n_init=1000, model="tfim", network="ffnn", p_r=0.12):
    N = 2 * L * L if model == "toric" else L * L
    return {"run": name, "system": f"{model}_L{L}", "model": model, "L": L, "N": N,
            "kappa": None if model == "toric" else kappa, "network": network, "alpha": alpha, "n_filters": 4,
            "n_blocks": 1, "n_init": n_init, "p_r": p_r, "iterations": 10}


def toric_run(name, alpha):
    return run(name, L=3, alpha=alpha, n_init=int(alpha * 324), model="toric")


def history(name, n, values, column="eps_rel", method="imp_wr", N=16, **extra):
    """A pruning path: iteration -1 (dense) first, one row per n."""
    n = np.asarray(n, dtype=float)
    frame = pd.DataFrame({"run": name, "method": method, "iteration": np.arange(-1, len(n) - 1), "n": n, "rho": n / N,
                          column: values, "reference_source": "ed:scipy", **extra})
    if column != "eps_rel":
        frame["eps_rel"] = values
    return frame


def tickets(name, eps_by_variant, iterations=(0, 3, 6), n=(880, 681, 527), N=16):
    rows = []
    for variant, eps in eps_by_variant.items():
        for it, nn, e in zip(iterations, n, eps):
            rows.append({"run": name, "variant": variant, "iteration": it, "n": nn, "rho": nn / N, "eps_rel": e})
    return pd.DataFrame(rows)


def fidelity_rows(name, n, F, N=16):
    n = np.asarray(n, dtype=float)
    return pd.DataFrame({"run": name, "method": "imp_wr", "iteration_from": np.arange(-1, len(n) - 1),
                         "iteration_to": np.arange(0, len(n)), "n": n, "rho": n / N, "fidelity": F,
                         "fidelity_error": 0.01})


def construction(L, W, energy, variance):
    return pd.DataFrame({"L": L, "N": 2 * L * L, "W": W, "method": "exact", "energy_error": 0.0,
                         "energy_per_spin": energy, "variance_per_spin": variance})


def energies(name, E, sigma, e_ref, exact=None, n=(880, 681, 527)):
    """A path of evaluated energies against one reference (iteration -1 is the dense network)."""
    frame = pd.DataFrame({"run": name, "method": "imp_wr", "iteration": np.arange(-1, len(E) - 1),
                          "n": list(n)[:len(E)], "energy": E, "energy_error": sigma, "reference_energy": e_ref})
    if exact is not None:
        frame["exact_energy"] = exact
    return frame


def regions(n, hep=20.0, lep=200.0, slope=-1.5, floor=1e-4):
    """Delta E/N with a HEP below ``hep``, a power law of ``slope`` and a LEP above ``lep``."""
    return floor * (np.clip(n, hep, lep) / lep) ** slope


def statuses(rows):
    return [r["status"] for r in rows]


def spec(*names):
    return {"runs": list(names)}
