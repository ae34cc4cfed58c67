"""What every claim check shares: the row it returns, the thresholds several checks use, and the
readers that turn a figure's tables into the series a check compares (one pruning path, the tickets
of a run, the fidelity rows).

A row names the paper's sentence it tests (``paper``) and where each threshold comes from
(``basis``): "paper" when the number is the paper's own, otherwise the reason for our value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..names import TICKET_VARIANTS
from ..results import error_values, has_exact, is_finite, is_toric, network_label, numeric, spins_per_row

CLAIM_COLUMNS = ["claim", "figure", "paper", "measured", "expected", "basis", "status"]
PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "not applicable"
STATUSES = (PASS, FAIL, NOT_APPLICABLE)


@dataclass(frozen=True)
class Claim:
    """The fixed text of one claim: what it states, the paper's sentence it tests, the criterion and
    where the criterion's thresholds come from. :meth:`row` adds what one network's data gave."""

    statement: str
    paper: str
    expected: str
    basis: str

    def row(self, subject: str, figure: str, measured: str, status: str) -> dict:
        claim = f"{self.statement} [{subject}]" if subject else self.statement
        return {"claim": claim, "figure": figure, "paper": self.paper, "measured": measured,
                "expected": self.expected, "basis": self.basis, "status": status}

    def decided(self, subject, figure, measured, ok: bool) -> dict:
        return self.row(subject, figure, measured, PASS if ok else FAIL)

    def undecided(self, subject, figure, reason) -> dict:
        return self.row(subject, figure, reason, NOT_APPLICABLE)


# ------------------------------------------------------------------------------- shared thresholds
#: "without loss of accuracy": eps_rel within this factor of the dense network's. Two VMC trainings
#: of one architecture from different seeds scatter by tens of per cent in eps_rel, so a factor 2
#: separates a real loss of accuracy from that scatter.
DENSE_MATCH_FACTOR = 2.0
#: ... or, for sampled errors, within this many combined standard errors of the dense error
MATCH_SIGMAS = 2.0
#: fewest pruned points that decide a path-level claim: with p_r = 0.12 five rounds are needed just
#: to reach n_init / 2 (0.88^5 = 0.53), and a statement "along the path" over fewer points is noise.
MIN_PATH_POINTS = 5
#: the high-error plateau (HEP) level of a path: median error of this many sparsest points
HEP_POINTS = 3
#: a point "is on the HEP" when its error is at least this fraction of the HEP level
HEP_FRACTION = 0.8
#: T(.,.) "agree" / "are alike": eps_rel within this factor. Independent VMC trainings of one sparse
#: architecture scatter by up to about 2x at high sparsity; the paper's random-mask control is an
#: order of magnitude off there (Fig. 1).
TICKET_AGREE_FACTOR = 3.0
#: "at high sparsity": the sparsest ticket iterations compared (tickets are trained every 3rd
#: iteration, so 2 iterations span the last ~6 pruning rounds)
SPARSE_TICKETS = 2
#: two curves "coincide": within this factor of each other wherever both are defined (the ticket
#: factor above: the scatter of independent trainings)
COLLAPSE_FACTOR = TICKET_AGREE_FACTOR
#: scaling_regions fits 3 pieces with at least 2 points each
MIN_REGION_POINTS = 6
#: a rho read off a pruning path is known to about one pruning step: rho changes by 1/(1 - p_r)
#: = 1.14 per round (p_r = 0.12); "at rho_c" allows this many rounds either side
ROUND_WINDOW = 2


# ------------------------------------------------------------------------------- formatting
def g(value, digits=3) -> str:
    """A number for the measured column, "nan" when it is missing."""
    return f"{float(value):.{digits}g}" if is_finite(value) else "nan"


def fidelity_words(value: float, sigma: float) -> str:
    """A fidelity with its Monte Carlo error, or marked exact (full summation: no error bar)."""
    return f"{value:.3g} (exact)" if sigma == 0 else f"{value:.3g} ± {g(sigma, 2)}"


def network(tables, run) -> str:
    """The network in words, plain text (the figures' labels use mathtext)."""
    return network_label(tables.run_info(run), run).replace("$", "")


def subject(tables, run) -> str:
    """Network and system of a run, for the claim column."""
    info = tables.run_info(run)
    label = network(tables, run)
    if info and is_finite(info.get("L")):
        system = "toric code" if is_toric(info) else "TFIM"
        label += f", {system} L = {float(info['L']):g}"
        if not is_toric(info) and is_finite(info.get("kappa")):
            label += f", κ = {float(info['kappa']):g}"
    return label


def which(exact: bool, column: str = "eps_rel") -> str:
    return f"exact {column}" if exact else f"sampled {column}"


def network_kind(tables, run) -> str:
    return str(tables.run_info(run).get("network") or "").lower()


# ------------------------------------------------------------------------------- readers
def best_values(frame: pd.DataFrame, column: str) -> tuple[pd.Series, bool]:
    """``exact_<column>`` where every row has it (full summation: no Monte Carlo noise in the decision),
    otherwise the sampled ``column``; and whether the exact one was taken (the figures' rule)."""
    if has_exact(frame, column):
        return numeric(frame, f"exact_{column}"), True
    return numeric(frame, column), False


def path(tables, run, method="imp_wr", column="eps_rel") -> pd.DataFrame:
    """iteration, n, rho, value (exact where available) and error (standard error of sampled
    eps_rel / delta_e_per_spin; 0 for exact values) of one pruning path, dense row included,
    finite values only, from dense to sparse. ``attrs["exact"]`` says which values were taken."""
    h = tables.history(run, method)
    if h.empty:
        out = pd.DataFrame(columns=["iteration", "n", "rho", "value", "error"])
        out.attrs["exact"] = False
        return out
    info = tables.run_info(run)
    if column in ("eps_rel", "delta_e_per_spin"):  # the figures' values and error bars
        value, error = error_values(h, column, info)
        exact = error is None
    else:
        value, exact = best_values(h, column)
        error = None if exact or f"{column}_error" not in h else numeric(h, f"{column}_error")
    error = pd.Series(0.0, index=h.index) if error is None else error.fillna(0.0)
    n = numeric(h, "n")
    rho = numeric(h, "rho") if "rho" in h else n / spins_per_row(h, info)
    out = pd.DataFrame({"iteration": numeric(h, "iteration"), "n": n, "rho": rho, "value": value, "error": error})
    out = out[np.isfinite(out["value"]) & np.isfinite(out["n"])].sort_values("n", ascending=False)
    out.attrs["exact"] = exact
    return out


def pruned(points: pd.DataFrame) -> pd.DataFrame:
    """The pruned points of a path (the dense row has iteration -1)."""
    return points[points["iteration"] >= 0]


def hep_level(points: pd.DataFrame) -> float:
    """The high-error plateau of a path: median value of its HEP_POINTS sparsest pruned points."""
    p = pruned(points)
    return float(p["value"].tail(HEP_POINTS).median()) if len(p) >= HEP_POINTS else float("nan")


def fidelity_rows(tables, run) -> pd.DataFrame:
    """The IMP-WR neighbour fidelities of one run, empty unless the fidelity analysis can read them."""
    fid = tables.fidelity_rows(run)
    return fid if {"n", "iteration_from"} <= set(fid) else pd.DataFrame()


def ticket_values(tables, run) -> pd.DataFrame:
    """iteration x variant -> eps_rel of the tickets of one run, with their n and rho."""
    tickets = {v: tables.ticket_rows(run, v) for v in TICKET_VARIANTS}
    tickets = {v: t for v, t in tickets.items() if not t.empty}
    if not tickets:
        return pd.DataFrame()
    # one error column for all variants, so that they are compared like with like
    exact = all(best_values(t, "eps_rel")[1] for t in tickets.values())
    column = "exact_eps_rel" if exact else "eps_rel"
    long = pd.concat([pd.DataFrame({"iteration": numeric(t, "iteration"), "n": numeric(t, "n"), "variant": v,
                                    "eps": numeric(t, column)}) for v, t in tickets.items()], ignore_index=True)
    long = long.dropna(subset=["iteration", "eps"])
    wide = long.pivot_table(index="iteration", columns="variant", values="eps", aggfunc="mean")
    wide["n"] = long.groupby("iteration")["n"].min()
    wide["rho"] = wide["n"] / float(tables.spins(run))
    wide.attrs["exact"] = exact
    return wide.sort_index()


def below_plateau(tables, run, wide: pd.DataFrame, variants: list) -> tuple[pd.DataFrame, str]:
    """The ticket iterations with all ``variants``, leaving out those where every ticket sits on the
    high-error plateau of the IMP-WR path (there all states have lost the physics alike and the
    curves of Fig. 1 merge); and a note of what was left out."""
    rows = wide.dropna(subset=variants)
    hep = hep_level(path(tables, run))
    note = ""
    if is_finite(hep):
        on_plateau = rows[variants].min(axis=1) >= HEP_FRACTION * hep
        if on_plateau.any():
            note = (f" (left out on the high-error plateau {g(hep)}: n = "
                    + ", ".join(f"{n:g}" for n in rows.loc[on_plateau, "n"]) + ")")
        rows = rows[~on_plateau]
    return rows, note


def n_init_of(tables, run, points: pd.DataFrame) -> float:
    n_init = tables.run_info(run).get("n_init")
    if is_finite(n_init):
        return float(n_init)
    dense = points[points["iteration"] == -1]
    return float(dense["n"].iloc[0]) if len(dense) else float("nan")


def log_interpolate(x_from, y_from, x_to) -> np.ndarray:
    """y(x_to) by linear interpolation of log y in log x (NaN outside the range of x_from)."""
    order = np.argsort(x_from)
    lx, ly = np.log(np.asarray(x_from, float)[order]), np.log(np.asarray(y_from, float)[order])
    out = np.exp(np.interp(np.log(np.asarray(x_to, float)), lx, ly))
    outside = (np.asarray(x_to) < np.min(x_from)) | (np.asarray(x_to) > np.max(x_from))
    out[outside] = np.nan
    return out


def sign_test(wins: int, losses: int) -> float:
    """One-sided exact sign test: P(at least ``wins`` successes in wins + losses fair coin tosses)."""
    trials = wins + losses
    if trials == 0:
        return 1.0
    return sum(math.comb(trials, k) for k in range(wins, trials + 1)) / 2.0 ** trials
