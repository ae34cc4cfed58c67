"""Toric-code interpretability of sparse FFNNs (docs/science.md, "Analysis", Fig. 4(d), Fig. 7, Table 1).

Two parts, both pure library code (numpy, pandas, NetKet):

* **Reading pruned networks.** :func:`classify_neurons` sorts the hidden neurons of a pruned
  toric-code FFNN (``kernel`` and ``mask`` of shape (N, width), log psi = sum_h ReLU(sum_i W_ih s_i))
  into plaquette filters of odd or even sign parity, partial plaquette filters and the rest;
  :func:`filter_coverage` / :func:`coverage_table` count how many plaquettes the odd-parity filters
  cover (per checkpoint); :func:`neuron_weight_table` is the tidy per-edge table Fig. 4(d) draws.
* **The analytic construction** (Fig. 7, Table 1): :func:`odd_parity_network` builds the untrained
  sparse FFNN whose 8 L^2 hidden neurons are the 8 odd-parity filters of every plaquette;
  :func:`odd_parity_energy` / :func:`odd_parity_scan` give its E/N and variance per spin (exact
  enumeration for N <= 18, Monte Carlo beyond), :func:`odd_parity_analytic` the closed form, and
  :func:`plaquette_amplitude_ratio` the suppression of a broken plaquette.

Why the construction works (derivation, checked by the tests). Take one plaquette with spins
s_1..s_4 and a filter W (e_1, .., e_4), e_i = +-1. "Odd parity" means prod e_i = -1 (three +W
and one -W, or three -W and one +W): 8 sign vectors. With t_i = e_i s_i, prod t = -B_p, and as e
runs over the 8 odd vectors, t runs over all 8 vectors with prod t = -B_p. For W > 0:

* B_p = +1: t has one or three entries -1, sum t = +2 (4 times) or -2 (4 times):
  sum_e ReLU(W e.s) = 4 * 2W = 8W.
* B_p = -1: t is (+,+,+,+) (sum 4), one of six with two -1 (sum 0), or (-,-,-,-) (sum -4):
  sum_e ReLU(W e.s) = 4W.

So log psi(s) = sum_p [8W if B_p = +1 else 4W] = 4W (L^2 + n_satisfied(s)): each broken plaquette
lowers the log-amplitude by exactly 4W, i.e. multiplies the amplitude by exp(-4W) and the
probability |psi|^2 by exp(-8W) (docs/science.md, "Analysis": "suppressed by exp(4W)", an amplitude statement).
The filter set is closed under e -> -e and ReLU(W x) + ReLU(-W x) = |W||x|, so the network
depends on |W| only. On the torus prod_p B_p = 1, so plaquettes break in pairs: one spin flip of
a satisfied configuration costs 8W in log-amplitude. Star flips keep every B_p, so <A_v> = 1 and
E_loc(s) = -L^2 - sum_p B_p(s) = -2 L^2 + 2 k(s), k the number of broken plaquettes.
"""

from __future__ import annotations

import itertools

import jax.numpy as jnp
import netket as nk
import numpy as np
import pandas as pd
from scipy.special import gammaln, logsumexp

from ..names import TORIC_CONSTRUCTION_MAX_SPINS
from ..networks import MASKS, build_network
from ..physics.models import ToricCode
from ..runtime import require_x64
from ..vmc.sampling import SamplingSettings, make_vstate

#: Neuron kinds of :func:`classify_neurons`.
NEURON_KINDS = ("odd", "even", "partial", "other")


#: The 8 odd-parity sign vectors of one plaquette (rows), in the order of the plaquette's edge
#: list: three +1 and one -1 at position 0..3, then the same four negated.
ODD_PARITY_SIGNS = np.concatenate([1 - 2 * np.eye(4), -(1 - 2 * np.eye(4))]).astype(float)

_CLASSIFY_COLUMNS = ["neuron", "n_weights", "plaquette", "n_candidates", "kind", "n_negative",
                     "edges", "weights", "signs"]
_WEIGHT_COLUMNS = ["neuron", "kind", "plaquette", "edge", "orientation", "lattice_x", "lattice_y",
                   "x", "y", "dx", "dy", "weight", "sign"]


def _check_toric(model) -> None:
    if not isinstance(model, ToricCode):
        raise ValueError(f"toric-code analysis needs a ToricCode model, got {model!r}")


def _arrays(kernel, mask, model) -> tuple[np.ndarray, np.ndarray]:
    """Kernel and boolean mask as numpy arrays, shape-checked. ``mask=None`` means kernel != 0."""
    _check_toric(model)
    kernel = np.asarray(kernel, dtype=float)
    if kernel.ndim != 2 or kernel.shape[0] != model.N:
        raise ValueError(f"kernel must have shape (N={model.N}, width), got {kernel.shape}")
    mask = kernel != 0 if mask is None else np.asarray(mask) != 0
    if mask.shape != kernel.shape:
        raise ValueError(f"mask shape {mask.shape} differs from kernel shape {kernel.shape}")
    return kernel, mask


def plaquette_incidence(model) -> np.ndarray:
    """Boolean (n_plaquettes, N): entry [p, i] says edge i belongs to plaquette p."""
    _check_toric(model)
    incidence = np.zeros((len(model.plaquettes), model.N), dtype=bool)
    for p, edges in enumerate(model.plaquettes):
        incidence[p, edges] = True
    return incidence


# --------------------------------------------------------------------------------------------
# classification of pruned neurons
# --------------------------------------------------------------------------------------------
def classify_neurons(kernel, mask, model) -> pd.DataFrame:
    """One row per hidden neuron with at least one surviving (unmasked) weight.

    Columns: ``neuron`` (column index), ``n_weights`` (surviving weights), ``plaquette`` (-1 if
    none), ``n_candidates`` (how many plaquettes contain all its surviving edges), ``kind``,
    ``n_negative`` (surviving weights < 0), ``edges`` (tuple, ascending edge index), ``weights``
    (tuple aligned with ``edges``, divided by the neuron's largest |w|; all zero if that is 0),
    ``signs`` (string of '+'/'-' aligned with ``edges``).

    A neuron *lies on a plaquette* when every surviving edge belongs to that plaquette. Rule for
    ambiguous sets: a set of 3 or 4 edges lies in at most one plaquette, but a single edge lies
    in two, and on the L = 2 torus two edges can too (neighbouring plaquettes share two edges);
    the neuron is then assigned to the lowest-index candidate plaquette and ``n_candidates``
    records the ambiguity. Kinds: "odd" = 4 weights on one plaquette with an odd number of
    negative signs (three of one sign, one of the other); "even" = 4 weights on one plaquette
    with 0, 2 or 4 negative; "partial" = 1-3 weights all on one plaquette; "other" = the
    surviving edges are not all on one plaquette. A surviving weight that is exactly 0 counts
    as positive. Surviving means mask != 0 (``mask=None``: kernel != 0).
    """
    kernel, mask = _arrays(kernel, mask, model)
    incidence = plaquette_incidence(model)
    rows = []
    for h in np.flatnonzero(mask.any(axis=0)):
        edges = np.flatnonzero(mask[:, h])
        w = kernel[edges, h]
        scale = np.max(np.abs(w))
        normalised = w / scale if scale > 0 else np.zeros_like(w)
        candidates = np.flatnonzero(incidence[:, edges].all(axis=1))
        n_negative = int(np.sum(w < 0))
        if len(candidates) == 0:
            kind, plaquette = "other", -1
        else:
            plaquette = int(candidates[0])
            if len(edges) < 4:
                kind = "partial"
            else:
                kind = "odd" if n_negative % 2 else "even"
        rows.append({
            "neuron": int(h), "n_weights": len(edges), "plaquette": plaquette,
            "n_candidates": len(candidates), "kind": kind, "n_negative": n_negative,
            "edges": tuple(int(e) for e in edges), "weights": tuple(float(x) for x in normalised),
            "signs": "".join("-" if x < 0 else "+" for x in w),
        })
    return pd.DataFrame(rows, columns=_CLASSIFY_COLUMNS)


def filter_coverage(kernel, mask, model) -> dict:
    """Counts of filter kinds and of the plaquettes covered by odd-parity filters.

    Keys: ``n_neurons`` (with surviving weights), ``n_odd``, ``n_even``, ``n_partial``,
    ``n_other``, ``n_plaquettes`` (L^2), ``n_plaquettes_covered`` (plaquettes with at least one
    odd-parity neuron), ``coverage`` (their fraction), ``n_plaquettes_complete`` (plaquettes
    carrying all 8 odd sign patterns, the full construction of :func:`odd_parity_network`).
    """
    table = classify_neurons(kernel, mask, model)
    n_plaquettes = len(model.plaquettes)
    counts = table["kind"].value_counts()
    odd = table[table["kind"] == "odd"]
    patterns = odd.groupby("plaquette")["signs"].nunique() if len(odd) else pd.Series(dtype=int)
    covered = int(odd["plaquette"].nunique())
    return {
        "n_neurons": int(len(table)),
        **{f"n_{kind}": int(counts.get(kind, 0)) for kind in NEURON_KINDS},
        "n_plaquettes": n_plaquettes,
        "n_plaquettes_covered": covered,
        "coverage": covered / n_plaquettes,
        "n_plaquettes_complete": int(np.sum(patterns.to_numpy() == 8)),
    }


def coverage_table(checkpoints, model) -> pd.DataFrame:
    """One row per pruning iteration: ``iteration``, ``n``, ``rho`` = n/N and :func:`filter_coverage`.

    ``checkpoints`` is an iterable of (iteration, n, kernel, mask) tuples, e.g. read from the
    IMP-WR checkpoints of a run; rows are sorted by iteration.
    """
    rows = [{"iteration": int(i), "n": int(n), "rho": n / model.N, **filter_coverage(k, m, model)}
            for i, n, k, m in checkpoints]
    columns = ["iteration", "n", "rho", "n_neurons", *(f"n_{k}" for k in NEURON_KINDS), "n_plaquettes",
               "n_plaquettes_covered", "coverage", "n_plaquettes_complete"]
    return pd.DataFrame(rows, columns=columns).sort_values("iteration", ignore_index=True)


# --------------------------------------------------------------------------------------------
# lattice geometry and the per-edge weight table of Fig. 4(d)
# --------------------------------------------------------------------------------------------
def edge_geometry(model) -> pd.DataFrame:
    """Position of every edge, indexed by edge number (models.py numbering).

    h(x, y) = x L + y joins vertex (x, y) to (x+1, y): orientation "horizontal" (along the first
    coordinate), midpoint (x + 1/2, y). v(x, y) = L^2 + x L + y joins (x, y) to (x, y+1):
    "vertical", midpoint (x, y + 1/2). ``lattice_x``, ``lattice_y`` are the (x, y) labels.
    """
    _check_toric(model)
    L = model.L
    rows = []
    for edge in range(model.N):
        vertical, rest = divmod(edge, L * L)
        lx, ly = divmod(rest, L)
        rows.append({"edge": edge, "orientation": "vertical" if vertical else "horizontal",
                     "lattice_x": lx, "lattice_y": ly,
                     "x": lx + (0.0 if vertical else 0.5), "y": ly + (0.5 if vertical else 0.0)})
    return pd.DataFrame(rows).set_index("edge", drop=False)


def plaquette_centres(model) -> np.ndarray:
    """(L^2, 2) centres (x + 1/2, y + 1/2) of the plaquettes, plaquette (x, y) at x L + y."""
    _check_toric(model)
    L = model.L
    return np.array([(x + 0.5, y + 0.5) for x in range(L) for y in range(L)])


def _minimal_image(d, L):
    return (np.asarray(d) + L / 2) % L - L / 2


def neuron_weight_table(kernel, mask, model, neurons=None) -> pd.DataFrame:
    """Tidy table for Fig. 4(d): one row per (selected neuron, surviving edge).

    Columns: ``neuron``, ``kind`` and ``plaquette`` (from :func:`classify_neurons`), ``edge``,
    ``orientation``, ``lattice_x``, ``lattice_y``, ``x``, ``y`` (edge midpoint, see
    :func:`edge_geometry`), ``dx``, ``dy`` (midpoint minus the neuron's plaquette centre, nearest
    periodic image, so a plaquette filter draws as a square around (0, 0) even across the
    boundary; NaN when the neuron has no plaquette), ``weight`` (divided by the neuron's largest
    |w|) and ``sign`` (+1 / -1, an exact 0 counts as +1). ``neurons=None`` selects every neuron
    with surviving weights; selected neurons without any are left out.
    """
    kernel, mask = _arrays(kernel, mask, model)
    table = classify_neurons(kernel, mask, model).set_index("neuron", drop=False)
    if neurons is not None:
        table = table.loc[[int(h) for h in neurons if int(h) in table.index]]
    geometry = edge_geometry(model)
    centres = plaquette_centres(model)
    rows = []
    for h, info in table.iterrows():
        for edge, weight in zip(info["edges"], info["weights"]):
            g = geometry.loc[edge]
            if info["plaquette"] >= 0:
                cx, cy = centres[info["plaquette"]]
                dx = float(_minimal_image(g["x"] - cx, model.L))
                dy = float(_minimal_image(g["y"] - cy, model.L))
            else:
                dx = dy = float("nan")
            rows.append({"neuron": int(h), "kind": info["kind"], "plaquette": int(info["plaquette"]),
                         "edge": int(edge), "orientation": g["orientation"],
                         "lattice_x": int(g["lattice_x"]), "lattice_y": int(g["lattice_y"]),
                         "x": float(g["x"]), "y": float(g["y"]), "dx": dx, "dy": dy,
                         "weight": float(weight), "sign": -1 if kernel[edge, h] < 0 else 1})
    return pd.DataFrame(rows, columns=_WEIGHT_COLUMNS)


# --------------------------------------------------------------------------------------------
# the analytic odd-parity construction (Fig. 7, Table 1)
# --------------------------------------------------------------------------------------------
def odd_parity_network(model, W: float):
    """(network, variables) of the untrained sparse FFNN made of all odd-parity plaquette filters.

    Width 8 L^2 (alpha = 8 L^2 / 2 L^2 = 4). Hidden neuron 8 p + k is the k-th row of
    :data:`ODD_PARITY_SIGNS` times W on the edges of plaquette p (in ``model.plaquettes[p]``
    order); every other weight is zero and masked, so n = 32 L^2 = 16 N.
    """
    require_x64()
    _check_toric(model)
    n_plaquettes = len(model.plaquettes)
    width = 8 * n_plaquettes
    network = build_network({"kind": "ffnn", "alpha": width / model.N})
    kernel = np.zeros((model.N, width))
    mask = np.zeros((model.N, width))
    for p, edges in enumerate(model.plaquettes):
        for k, signs in enumerate(ODD_PARITY_SIGNS):
            kernel[edges, 8 * p + k] = float(W) * signs
            mask[edges, 8 * p + k] = 1.0
    variables = {"params": {"kernel": jnp.asarray(kernel)}, MASKS: {"kernel": jnp.asarray(mask)}}
    return network, variables


def plaquette_amplitude_ratio(model, W: float, log: bool = False) -> np.ndarray:
    """psi_p(broken) / psi_p(satisfied) for every plaquette p of :func:`odd_parity_network`.

    psi = prod_p psi_p with psi_p = exp(sum of the 8 ReLUs of plaquette p) (those neurons read
    only the edges of p). The ratio is computed numerically: the network restricted (by its mask)
    to plaquette p's neurons is evaluated on all 16 settings of p's edges; it must take one value
    on the B_p = +1 settings and one on the B_p = -1 settings (ValueError otherwise). Expected:
    exp(-4 |W|), i.e. log-amplitude difference -4|W| (``log=True`` returns the logarithm).
    """
    network, variables = odd_parity_network(model, W)
    kernel_mask = np.asarray(variables[MASKS]["kernel"])
    local = np.array(list(itertools.product([1.0, -1.0], repeat=4)))
    satisfied = np.prod(local, axis=1) > 0
    out = np.empty(len(model.plaquettes))
    for p, edges in enumerate(model.plaquettes):
        only_p = np.zeros_like(kernel_mask)
        only_p[:, 8 * p:8 * p + 8] = kernel_mask[:, 8 * p:8 * p + 8]
        configs = np.ones((16, model.N))
        configs[:, edges] = local
        logpsi = np.asarray(network.apply({**variables, MASKS: {"kernel": jnp.asarray(only_p)}},
                                          jnp.asarray(configs)))
        good, bad = logpsi[satisfied], logpsi[~satisfied]
        tol = 1e-12 * (1.0 + abs(float(W)))
        if np.ptp(good) > tol or np.ptp(bad) > tol:
            raise ValueError(f"plaquette {p}: log psi_p is not a function of B_p alone")
        out[p] = bad[0] - good[0]
    return out if log else np.exp(out)


def odd_parity_analytic(L: int, W: float) -> dict:
    """Closed-form energy and variance of :func:`odd_parity_network` on the L x L torus.

    Every pattern of broken plaquettes with an even count k occurs for 2^N / 2^(L^2-1) spin
    configurations, so P(k) ~ C(L^2, k) exp(-8|W| k) over even k, and (module docstring)
    E = -2 L^2 + 2 <k>, Var(E_loc) = 4 Var(k).
    """
    n_p = L * L
    N = 2 * n_p
    k = np.arange(0, n_p + 1, 2, dtype=float)
    logw = gammaln(n_p + 1) - gammaln(k + 1) - gammaln(n_p - k + 1) - 8.0 * abs(float(W)) * k
    prob = np.exp(logw - logsumexp(logw))
    mean = float(prob @ k)
    var = float(prob @ (k - mean) ** 2)
    energy, variance = -2.0 * n_p + 2.0 * mean, 4.0 * var
    return {"energy": energy, "variance": variance, "energy_per_spin": energy / N,
            "variance_per_spin": variance / N}


def _exact_stats(state: nk.vqs.FullSumState, model) -> tuple[float, float, float]:
    stats = state.expect(model.hamiltonian)
    return float(np.real(stats.mean)), 0.0, float(np.real(stats.variance))


def _sampled_stats(model, network, variables, n_samples, seed, n_burn_in_sweeps):
    settings = SamplingSettings(n_samples=n_samples, n_chains=16, n_discard_sweeps=n_burn_in_sweeps)
    vstate = make_vstate(model, network, settings, init_seed=seed, sampler_seed=seed, variables=variables)
    stats = vstate.expect(model.hamiltonian)
    variance = float(np.real(stats.variance))
    # NetKet reports a NaN error when every local energy is equal (large W): the error is then 0.
    error = float(stats.error_of_mean) if variance > 0 else 0.0
    return float(np.real(stats.mean)), error, variance


def _use_exact(model, exact) -> bool:
    if exact == "auto":
        return model.N <= TORIC_CONSTRUCTION_MAX_SPINS
    if exact and model.N > 24:
        raise ValueError(f"full enumeration of 2^{model.N} states is out of reach; use exact=False")
    return bool(exact)


def _energy_row(model, W, method, energy, error, variance, n_samples) -> dict:
    return {"L": model.L, "N": model.N, "W": float(W), "method": method, "energy": energy,
            "energy_error": error, "variance": variance, "energy_per_spin": energy / model.N,
            "variance_per_spin": variance / model.N, "n_samples": n_samples}


def odd_parity_energy(model, W: float, n_samples: int | None = None, seed: int = 0,
                      exact: bool | str = "auto", n_burn_in_sweeps: int = 100) -> dict:
    """Energy and variance of the untrained odd-parity network (Fig. 7).

    ``exact="auto"``: full enumeration (NetKet ``FullSumState``) for N <= 18 (L = 2, 3), else
    Metropolis sampling with the project's toric-code sampler (single and star flips, 16
    chains, ``n_samples`` samples, default 4096, after ``n_burn_in_sweeps`` sweeps).
    Returns L, N, W, method ("exact" / "sampled"), energy, energy_error (0 when exact),
    variance (of the local energy), energy_per_spin, variance_per_spin, n_samples (0 when exact).
    """
    network, variables = odd_parity_network(model, W)
    if _use_exact(model, exact):
        state = nk.vqs.FullSumState(model.hilbert, network, variables=variables)
        return _energy_row(model, W, "exact", *_exact_stats(state, model), 0)
    n_samples = 4096 if n_samples is None else int(n_samples)
    stats = _sampled_stats(model, network, variables, n_samples, seed, n_burn_in_sweeps)
    return _energy_row(model, W, "sampled", *stats, n_samples)


def odd_parity_scan(L: int, W_values, n_samples: int | None = None, seed: int = 0,
                    exact: bool | str = "auto", n_burn_in_sweeps: int = 100) -> pd.DataFrame:
    """Fig. 7 data: one row per W (columns of :func:`odd_parity_energy`, plus the closed form
    ``analytic_energy_per_spin`` and ``analytic_variance_per_spin``); same options.

    The exact path reuses one ``FullSumState`` for all W (same shapes, no recompilation).
    """
    from ..physics.models import ToricCode

    model = ToricCode(L)
    rows = []
    state = None
    for W in W_values:
        network, variables = odd_parity_network(model, W)
        if _use_exact(model, exact):
            if state is None:
                state = nk.vqs.FullSumState(model.hilbert, network, variables=variables)
            else:
                state.variables = variables
            row = _energy_row(model, W, "exact", *_exact_stats(state, model), 0)
        else:
            n = 4096 if n_samples is None else int(n_samples)
            stats = _sampled_stats(model, network, variables, n, seed, n_burn_in_sweeps)
            row = _energy_row(model, W, "sampled", *stats, n)
        analytic = odd_parity_analytic(L, W)
        row["analytic_energy_per_spin"] = analytic["energy_per_spin"]
        row["analytic_variance_per_spin"] = analytic["variance_per_spin"]
        rows.append(row)
    return pd.DataFrame(rows)
