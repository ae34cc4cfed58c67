"""Claims about the toric code (Sec. 4.4, Figs. 4 and 7): the tickets' advantage, where the random
mask fails, the fidelity drop and the odd-parity plaquette filters at rho_c = 16."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis import DIP_CONTRAST, DIP_MIN_INFIDELITY, DIP_SIGMAS, fidelity_drop_onset
from ..names import TORIC_RHO_C
from ..results import FigureTables, is_finite, is_toric, numeric
from .common import (
    HEP_FRACTION,
    MIN_PATH_POINTS,
    Claim,
    fidelity_rows,
    fidelity_words,
    g,
    hep_level,
    network,
    path,
    subject,
    ticket_values,
)

#: "by around two orders of magnitude": the tickets' advantage must reach this many decades (the
#: smallest value that still rounds to two orders)
TORIC_ADVANTAGE_DECADES = 1.5
#: "at a much higher rho": T(theta_init, m_rand) reaches the HEP at this factor of the rho at which
#: T(theta_init, m_imp) does, or more (about 5 pruning rounds at p_r = 0.12)
TORIC_RANDOM_MASK_FACTOR = 2.0
#: toric code: rho_c within this factor of 16 (about three pruning rounds either side)
TORIC_RHO_C_FACTOR = 1.5
#: the onset of the toric-code fidelity drop is looked for after this many pairs (the baseline)
MIN_ONSET_BASE = 3
#: "the widest nets": the runs with the largest widths alpha (paper: alpha = 16 and 32)
WIDEST_COUNT = 2
#: sign patterns of a complete odd-parity plaquette filter set (4 positions x 2 signs), 4 weights each
ODD_PATTERNS, WEIGHTS_PER_FILTER = 8, 4
#: Fig. 7: number of largest-W points tested (the large-W end; for L = 2 the variance rises slightly at
#: very small W, so the small-W end is not required to be monotone)
LARGE_W_POINTS = 3
#: Fig. 7: at the largest W, |E/N + 1| and sigma^2/N below these (both vanish like exp(-8W))
ENERGY_TOL = 0.01
VARIANCE_TOL = 0.01
#: Fig. 7: slack of the monotonicity test (Monte Carlo rows: plus two standard errors)
MONOTONE_SLACK = 1e-9


def _toric_runs(tables, spec) -> list:
    runs = tables.run_names(spec)
    infos = {r: tables.run_info(r) for r in runs}
    known = [r for r in runs if infos[r]]
    return [r for r in runs if is_toric(infos[r])] if known else runs


ADVANTAGE = Claim(
    statement="toric code: the IMP-mask tickets beat IMP-WR by about two orders of magnitude",
    paper="Sec. 4.4 (Fig. 4a): tickets trained in isolation reach errors 'around two orders of magnitude' below "
          "the IMP-WR path",
    expected=(f"at some ticket iteration, IMP-WR eps_rel / the larger of T(theta_init, m_imp) and T(theta_rand, "
              f"m_imp) >= 10^{TORIC_ADVANTAGE_DECADES:g}"),
    basis=f"two orders: the paper; {TORIC_ADVANTAGE_DECADES:g} decades: the least that rounds to two",
)


def ticket_advantage(tables: FigureTables, run: str, which: str = "worse") -> pd.DataFrame | None:
    """The IMP-mask tickets' advantage over the IMP-WR path of ``run`` (Fig. 4a): at each ticket
    iteration on the path, IMP-WR eps_rel / the worse (larger; ``which="better"``: the smaller) of
    T(theta_init, m_imp) and T(theta_rand, m_imp), with the iteration's n and rho; None where the run
    has no IMP-mask ticket."""
    wide = ticket_values(tables, run)
    mine = [v for v in ("init_imp", "rand_imp") if v in wide]
    if wide.empty or not mine:
        return None
    imp = path(tables, run).set_index("iteration")["value"]
    common = wide[wide.index.isin(imp.index)].dropna(subset=mine)
    common = common[(common[mine] > 0).all(axis=1)]
    ticket = common[mine].max(axis=1) if which == "worse" else common[mine].min(axis=1)
    return common[["n", "rho"]].assign(ratio=imp.loc[common.index].to_numpy() / ticket.to_numpy())


def toric_tickets_beat_imp(tables: FigureTables, spec: dict, figure: str = "fig4") -> list[dict]:
    """Toric code: both IMP-mask tickets beat the IMP-WR path by about 100x somewhere (Fig. 4a)."""
    rows = []
    for run in _toric_runs(tables, spec):
        advantage = ticket_advantage(tables, run)
        if advantage is None:
            continue
        who = subject(tables, run)
        if len(advantage) < 2:
            rows.append(ADVANTAGE.undecided(who, figure, f"{len(advantage)} ticket iterations on the IMP-WR path; "
                                                         "need 2"))
            continue
        ratio = advantage["ratio"].to_numpy()
        best = int(np.argmax(ratio))
        measured = ("IMP-WR / ticket: " + ", ".join(f"n = {n:g}: {r:.3g}" for n, r in zip(advantage["n"], ratio))
                    + f"; largest {np.log10(ratio[best]):.2f} decades at n = {advantage['n'].iloc[best]:g}")
        rows.append(ADVANTAGE.decided(who, figure, measured, np.log10(ratio[best]) >= TORIC_ADVANTAGE_DECADES))
    return rows or [ADVANTAGE.undecided("", figure, "no toric-code tickets")]


RANDOM_MASK = Claim(
    statement="toric code: T(theta_init, m_rand) reaches the high-error plateau at a much higher rho",
    paper="Sec. 4.4 (Fig. 4a): with a random mask the ticket reaches the high-error plateau already at much "
          "higher density than the IMP-mask tickets",
    expected=(f"rho at which T(theta_init, m_rand) first reaches {HEP_FRACTION:g}x the IMP-WR plateau >= "
              f"{TORIC_RANDOM_MASK_FACTOR:g}x that of T(theta_init, m_imp) (or of the sparsest ticket, if "
              "T(theta_init, m_imp) never does)"),
    basis=f"factor {TORIC_RANDOM_MASK_FACTOR:g} ('much higher'): ours, about 5 pruning rounds",
)


def _rho_on_plateau(wide, variant, level):
    """The largest rho at which ``variant`` is on the plateau (NaN if it never is)."""
    on = wide[wide[variant] >= HEP_FRACTION * level]
    return float(on["rho"].max()) if len(on) else float("nan")


def toric_random_mask_fails_early(tables: FigureTables, spec: dict, figure: str = "fig4") -> list[dict]:
    """Toric code: the random-mask ticket reaches the HEP at a much higher rho (Fig. 4a)."""
    rows = []
    for run in _toric_runs(tables, spec):
        wide = ticket_values(tables, run)
        if wide.empty or not {"init_rand", "init_imp"} <= set(wide):
            continue
        who = subject(tables, run)
        level = hep_level(path(tables, run))
        wide = wide.dropna(subset=["init_rand", "init_imp"])
        if not is_finite(level) or len(wide) < 2:
            rows.append(RANDOM_MASK.undecided(who, figure, "needs the IMP-WR plateau and two ticket iterations"))
            continue
        rand, imp = _rho_on_plateau(wide, "init_rand", level), _rho_on_plateau(wide, "init_imp", level)
        bound = imp if is_finite(imp) else float(wide["rho"].min())
        measured = (f"plateau {g(level)}: T(theta_init, m_rand) on it from rho = {g(rand)}, T(theta_init, m_imp) "
                    + (f"from rho = {g(imp)}" if is_finite(imp) else f"not down to rho = {g(bound)}"))
        ok = is_finite(rand) and rand >= TORIC_RANDOM_MASK_FACTOR * bound
        rows.append(RANDOM_MASK.decided(who, figure, measured, ok))
    return rows or [RANDOM_MASK.undecided("", figure, "no toric-code tickets with both variants")]


DROP = Claim(
    statement=f"toric code: fidelity drop near rho_c = {TORIC_RHO_C:g} for the widest networks",
    paper="Sec. 4.4 (Fig. 4b): the fidelity of the widest FFNNs (alpha = 16, 32) drops near rho_c = 16",
    expected=(f"for the {WIDEST_COUNT} widest runs: the fidelity drop starts (first pair with 1 - F >= "
              f"{DIP_CONTRAST:g}x the median 1 - F of the denser pairs, >= {DIP_SIGMAS:g} standard errors and >= "
              f"{DIP_MIN_INFIDELITY:g}) at {TORIC_RHO_C / TORIC_RHO_C_FACTOR:.3g} <= rho <= {TORIC_RHO_C * TORIC_RHO_C_FACTOR:.3g}"),
    basis=f"16: the paper; factor {TORIC_RHO_C_FACTOR:g}: ours (three pruning rounds)",
)


def toric_fidelity_drop(tables: FigureTables, spec: dict, figure: str = "fig4") -> list[dict]:
    """Toric code: the widest networks show a fidelity drop near rho_c = 16 (Fig. 4b)."""
    lo, hi = TORIC_RHO_C / TORIC_RHO_C_FACTOR, TORIC_RHO_C * TORIC_RHO_C_FACTOR
    runs = [r for r in _toric_runs(tables, spec) if len(fidelity_rows(tables, r)) >= MIN_PATH_POINTS]
    if not runs:
        return [DROP.undecided("", figure, f"no toric-code run with >= {MIN_PATH_POINTS} fidelity rows")]
    alpha = {r: tables.run_info(r).get("alpha") for r in runs}
    widest = sorted(runs, key=lambda r: float(alpha[r]) if is_finite(alpha[r]) else -1.0)[-WIDEST_COUNT:]
    short = [r for r in widest if fidelity_rows(tables, r)["rho"].min() > lo
             or fidelity_rows(tables, r)["rho"].max() < hi]
    if short:  # the path must cross the whole window (it starts at rho_init = alpha N)
        return [DROP.undecided("", figure, "the pruning path of " + ", ".join(network(tables, r) for r in short)
                               + f" does not span {lo:.3g} .. {hi:.3g}")]
    parts, ok = [], True
    for run in widest:
        onset = fidelity_drop_onset(fidelity_rows(tables, run), MIN_ONSET_BASE)
        ok &= onset is not None and lo <= onset["rho_c"] <= hi
        parts.append(f"{network(tables, run)}: " + (
            "no drop out of the path" if onset is None else
            f"drop starts at rho = {onset['rho_c']:.3g} (F = {fidelity_words(onset['fidelity'], onset['sigma'])}, "
            f"median 1 - F before it {g(onset['typical'], 2)})"))
    return [DROP.decided("", figure, "; ".join(parts), ok)]


FILTERS = Claim(
    statement=f"toric code: complete odd-parity filters on every plaquette at rho_c = {TORIC_RHO_C:g}",
    paper="Sec. 4.4 (Fig. 4d, Table 1): at rho_c = 16 (32 weights per plaquette) the pruned FFNN holds the "
          "complete set of odd-parity filters, all 8 sign patterns, on every plaquette",
    expected=(f"at the IMP-WR iteration nearest rho = {TORIC_RHO_C:g} (within {TORIC_RHO_C_FACTOR:g}x): "
              f"plaquettes with all {ODD_PATTERNS} odd sign patterns = number of plaquettes"),
    basis="the paper's construction (docs/science.md, toric code): 8 patterns x 4 weights = 32 per plaquette",
)


def complete_filters_at_rho_c(tables: FigureTables, spec: dict, figure: str = "fig4") -> list[dict]:
    """Toric code: at rho_c = 16 every plaquette carries the complete odd-parity filter set (Fig. 4d)."""
    f = tables.filters
    need = {"rho", "n_plaquettes", "n_plaquettes_complete", "n_plaquettes_covered"}
    if f is None or f.empty or not need <= set(f):
        return [FILTERS.undecided("", figure, "no filters table")]
    rows = []
    for run, part in f.groupby("run") if "run" in f else [(None, f)]:
        who = subject(tables, run) if run is not None else ""
        rho = numeric(part, "rho")
        nearest = part.loc[(np.log(rho / TORIC_RHO_C)).abs().idxmin()]
        if not (TORIC_RHO_C / TORIC_RHO_C_FACTOR <= float(nearest["rho"]) <= TORIC_RHO_C * TORIC_RHO_C_FACTOR):
            rows.append(FILTERS.undecided(who, figure, f"the path (rho {rho.max():.3g} .. {rho.min():.3g}) has no "
                                                       f"iteration near rho = {TORIC_RHO_C:g}"))
            continue
        complete = numeric(part, "n_plaquettes_complete")
        most = part.loc[complete.idxmax()]
        plaquettes = float(nearest["n_plaquettes"])
        weights = float(nearest["n"]) / plaquettes if "n" in part and plaquettes > 0 else float("nan")
        measured = (f"at rho = {float(nearest['rho']):.3g} ({g(weights)} weights per plaquette): "
                    f"{g(nearest['n_plaquettes_complete'])}/{g(plaquettes)} plaquettes complete, "
                    f"{g(nearest['n_plaquettes_covered'])} with some odd filter; most complete: "
                    f"{g(most['n_plaquettes_complete'])} at rho = {float(most['rho']):.3g}")
        rows.append(FILTERS.decided(who, figure, measured,
                                    float(nearest["n_plaquettes_complete"]) >= plaquettes))
    return rows


CONSTRUCTION = Claim(
    statement="odd-parity construction: E/N -> -1 and variance -> 0 as W grows",
    paper="Appendix, Fig. 7: untrained sparse FFNNs built from odd-parity plaquette filters reach E/N -> -1 and "
          "sigma^2 -> 0 as the filter weight W grows",
    expected=(f"over the {LARGE_W_POINTS} largest W: |E/N + 1| and sigma^2/N non-increasing, and at the largest W "
              f"|E/N + 1| < {ENERGY_TOL:g}, sigma^2/N < {VARIANCE_TOL:g}"),
    basis="exact: both vanish like exp(-8W) (docs/science.md); the tolerances: ours",
)


def construction_converges(tables: FigureTables, spec: dict, figure: str = "fig7") -> list[dict]:
    """Fig. 7: E/N -> -1 and the variance -> 0 as W grows (tested at the large-W end)."""
    c = tables.construction
    if c is None or c.empty or not {"W", "energy_per_spin", "variance_per_spin"} <= set(c):
        return [CONSTRUCTION.undecided("", figure, "no construction table")]
    Ls = numeric(c, "L").fillna(-1)
    rows = []
    for L in sorted(Ls.unique()):
        part = c[Ls == L].assign(W=lambda d: numeric(d, "W")).dropna(subset=["W"]).sort_values("W")
        who = f"L = {L:g}" if L >= 0 else ""
        if len(part) < LARGE_W_POINTS:
            rows.append(CONSTRUCTION.undecided(who, figure, f"{len(part)} W values; need {LARGE_W_POINTS}"))
            continue
        tail = part.tail(LARGE_W_POINTS)
        gap = (numeric(tail, "energy_per_spin") + 1.0).abs().to_numpy()
        var = numeric(tail, "variance_per_spin").to_numpy()
        spins = numeric(tail, "N").fillna(2 * L * L if L > 0 else 1.0)
        err = (numeric(tail, "energy_error").fillna(0.0) / spins).to_numpy()
        slack = MONOTONE_SLACK + 2 * np.nan_to_num(err)  # exact rows: error 0
        monotone = bool(np.all(np.diff(gap) <= slack[1:]) and np.all(np.diff(var) <= MONOTONE_SLACK))
        final = gap[-1] < ENERGY_TOL and var[-1] < VARIANCE_TOL
        measured = (f"W = {', '.join(f'{w:g}' for w in tail['W'])}: |E/N + 1| = "
                    f"{', '.join(f'{x:.2g}' for x in gap)}; sigma^2/N = {', '.join(f'{v:.2g}' for v in var)}")
        rows.append(CONSTRUCTION.decided(who, figure, measured, monotone and final))
    return rows
