"""The paper's claims, checked on the reproduced tables (the ``claims`` rule of the workflow).

:func:`check_claims` ``(tables, specs)`` takes the :class:`~sparse_nqs.results.FigureTables` of each
figure (``{"fig1": ..., ...}``) and the resolved figure specs, and returns one row per checked claim
with the columns

    claim     the statement, in words (with the network or system it was checked on)
    figure    the figure whose data decides it
    measured  what the data give (or, when ``not applicable``, why it cannot be decided)
    expected  the criterion, with its thresholds
    status    "pass", "fail" or "not applicable"

:func:`claims_rst` renders that table for the Snakemake report. Each claim is one small function
below; the thresholds are the module constants, each with the reason for its value. The tables get
the figure's reference and run columns first (:meth:`sparse_nqs.results.FigureTables.for_figure`), exactly
as the figures do.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .analysis import DIP_CONTRAST, DIP_SIGMAS, fidelity_dip, fidelity_drop_onset, scaling_regions
from .names import KAPPA_C, KAPPA_C_RTOL, TICKET_VARIANTS, TORIC_RHO_C
from .results import (
    VARIATIONAL_SIGMAS,
    FigureTables,
    below_reference,
    has_exact,
    is_finite,
    is_toric,
    network_label,
    numeric,
    phase_of,
)

CLAIM_COLUMNS = ["claim", "figure", "measured", "expected", "status"]
PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "not applicable"

# ------------------------------------------------------------------------------- thresholds
#: "matches the dense accuracy": eps_rel within this factor of the dense network's. The Monte Carlo
#: error of eps_rel for a converged network is tens of per cent, so a factor 2 separates a real loss
#: of accuracy from sampling noise.
DENSE_MATCH_FACTOR = 2.0
#: ... and the claim needs that accuracy to hold below this fraction of n_init (at least half of the
#: weights removed; with p_r = 0.12 that is 5 or more pruning rounds).
DENSE_MATCH_FRACTION = 0.5
#: fewest pruned points (common n, fidelity rows, ticket / IMP-WR pairs) that let a path-level claim be
#: decided: with p_r = 0.12 five rounds are needed just to reach n_init / 2 (0.88^5 = 0.53), and a
#: "most n" majority over fewer points is decided by Monte Carlo noise.
MIN_PATH_POINTS = 5
#: T(theta_init, m_imp) and T(theta_rand, m_imp) "agree": their eps_rel within this factor. Two
#: independent VMC trainings of the same sparse architecture scatter by up to about 2x at high
#: sparsity; the random-mask control is an order of magnitude off there (paper, Fig. 1).
TICKET_AGREE_FACTOR = 3.0
#: "at high sparsity": the sparsest ticket iterations compared (tickets are trained every 3rd
#: iteration, so 2 iterations span the last ~6 pruning rounds)
SPARSE_TICKETS = 2
#: "beats ... on most n": lower eps_rel on more than this fraction of the compared points
MAJORITY = 0.5
#: scaling_regions fits 3 pieces with at least 2 points each
MIN_REGION_POINTS = 6
#: the fitted APL slope d log(Delta E) / d log n must be below this to count as "clearly negative":
#: Monte Carlo noise on a plateau gives fitted slopes of |s| < 0.2; the paper's APLs have s ~ -1 or steeper.
APL_SLOPE_MAX = -0.3
#: the paper's rho_c ~ 3-5 (TFIM at kappa_c), widened by about one pruning step (p_r = 0.12: rho changes
#: by 1/(1 - 0.12) = 1.14 per round) on either side, since rho_c is read off that grid.
RHO_C_TFIM_RANGE = (2.5, 6.0)
#: the onset of the toric-code fidelity drop is looked for after this many pairs (the baseline)
MIN_ONSET_BASE = 3
#: tickets "at high sparsity" leave out ticket iterations where every ticket's error is within this
#: fraction of the high-error plateau (HEP) of the IMP-WR path: there all states have lost the
#: physics alike (the curves of Fig. 1 merge) and there is nothing to compare.
HEP_FRACTION = 0.8
#: the HEP level: median error of this many sparsest IMP-WR points
HEP_POINTS = 3
#: in "matches the dense accuracy" with sampled (not exact) errors, a point also counts as matching
#: when it lies within this many combined standard errors of the dense error
MATCH_SIGMAS = 2.0
#: the largest single-round change of M_z or M_x must lie within this many pruning rounds of the
#: fidelity minimum (the magnetisation jump "at" rho_c)
JUMP_WINDOW = 2
#: toric code: rho_c within this factor of 16 (about three pruning rounds either side)
TORIC_RHO_C_FACTOR = 1.5
#: "the widest nets": the runs with the largest widths alpha (paper: alpha = 16 and 32)
WIDEST_COUNT = 2
#: Fig. 7: number of largest-W points tested (the large-W end; for L = 2 the variance rises slightly at
#: very small W, so the small-W end is not required to be monotone)
LARGE_W_POINTS = 3
#: Fig. 7: at the largest W, |E/N + 1| and sigma^2/N below these (both vanish like exp(-8W))
ENERGY_TOL = 0.01
VARIANCE_TOL = 0.01
#: Fig. 7: slack of the monotonicity test (Monte Carlo rows: plus two standard errors)
MONOTONE_SLACK = 1e-9


# ------------------------------------------------------------------------------- helpers
def _row(claim, figure, measured, expected, status) -> dict:
    return {"claim": claim, "figure": figure, "measured": measured, "expected": expected, "status": status}


def _decided(claim, figure, measured, expected, ok: bool) -> dict:
    return _row(claim, figure, measured, expected, PASS if ok else FAIL)


def _na(claim, figure, reason, expected) -> dict:
    return _row(claim, figure, reason, expected, NOT_APPLICABLE)


def _g(value, digits=3) -> str:
    return f"{float(value):.{digits}g}" if is_finite(value) else "nan"


def _network(tables, run) -> str:
    """The network in words, plain text (the figures' labels use mathtext)."""
    return network_label(tables.run_info(run), run).replace("$", "")


def _label(tables, run) -> str:
    """Network and system of a run, for the claim column."""
    info = tables.run_info(run)
    label = _network(tables, run)
    if info and is_finite(info.get("L")):
        system = "toric code" if is_toric(info) else "TFIM"
        label += f", {system} L = {float(info['L']):g}"
        if not is_toric(info) and is_finite(info.get("kappa")):
            label += f", κ = {float(info['kappa']):g}"
    return label


def _best_values(frame: pd.DataFrame, column: str) -> tuple[pd.Series, bool]:
    """``exact_<column>`` where every row has it (N <= 16: no Monte Carlo noise in the decision),
    otherwise the sampled ``column``; and whether the exact one was taken."""
    if has_exact(frame, column):  # the figures' rule (plotting._has_exact), so both show the same numbers
        return numeric(frame, f"exact_{column}"), True
    return numeric(frame, column), False


def _path(tables, run, method="imp_wr", column="eps_rel") -> pd.DataFrame:
    """iteration, n, value (exact where available), error (sampled eps_rel only) of one pruning
    path, dense row included, finite values only, from dense to sparse."""
    h = tables.history(run, method)
    if h.empty:
        return pd.DataFrame(columns=["iteration", "n", "value", "error"])
    value, exact = _best_values(h, column)
    error = pd.Series(0.0, index=h.index)
    if column == "eps_rel" and not exact:
        error = (numeric(h, "energy_error") / numeric(h, "reference_energy").abs()).fillna(0.0)
    out = pd.DataFrame({"iteration": numeric(h, "iteration"), "n": numeric(h, "n"), "value": value, "error": error})
    out.attrs["exact"] = exact
    return out[np.isfinite(out["value"]) & np.isfinite(out["n"])].sort_values("n", ascending=False)


def _which(exact: bool, column: str = "eps_rel") -> str:
    return f"exact {column}" if exact else f"sampled {column}"


def _fidelity_rows(tables, run) -> pd.DataFrame:
    """The IMP-WR neighbour fidelities of one run, empty unless fidelity_minimum can read them."""
    fid = tables.fidelity_rows(run)
    return fid if {"n", "iteration_from"} <= set(fid) else pd.DataFrame()


def _ticket_values(tables, run) -> pd.DataFrame:
    """iteration x variant -> eps_rel of the tickets of one run (with n)."""
    tickets = {v: tables.ticket_rows(run, v) for v in TICKET_VARIANTS}
    tickets = {v: t for v, t in tickets.items() if not t.empty}
    if not tickets:
        return pd.DataFrame()
    # one error column for all variants, so that they are compared like with like
    exact = all(_best_values(t, "eps_rel")[1] for t in tickets.values())
    column = "exact_eps_rel" if exact else "eps_rel"
    long = pd.concat([pd.DataFrame({"iteration": numeric(t, "iteration"), "n": numeric(t, "n"), "variant": v,
                                    "eps": numeric(t, column)}) for v, t in tickets.items()], ignore_index=True)
    long = long.dropna(subset=["iteration", "eps"])
    wide = long.pivot_table(index="iteration", columns="variant", values="eps", aggfunc="mean")
    wide["n"] = long.groupby("iteration")["n"].min()
    wide.attrs["exact"] = exact
    return wide.sort_index()


def _sparse_tickets(tables, run, wide: pd.DataFrame, variants: list) -> tuple[pd.DataFrame, str]:
    """The SPARSE_TICKETS sparsest ticket iterations with all ``variants``, leaving out those where
    every ticket sits on the high-error plateau of the IMP-WR path; and a note of what was left out."""
    rows = wide.dropna(subset=variants)
    path = _path(tables, run)
    pruned = path[path["iteration"] >= 0]
    note = ""
    if len(pruned) >= HEP_POINTS:
        hep = float(pruned["value"].tail(HEP_POINTS).median())
        on_plateau = rows[variants].min(axis=1) >= HEP_FRACTION * hep
        if on_plateau.any():
            note = (f" (left out on the high-error plateau {_g(hep)}: n = "
                    + ", ".join(f"{n:g}" for n in rows.loc[on_plateau, "n"]) + ")")
        rows = rows[~on_plateau]
    return rows.tail(SPARSE_TICKETS), note


# ============================================================================================
# the claims (one function each; each returns a list of rows)
# ============================================================================================
def sparse_matches_dense(tables: FigureTables, spec: dict, figure: str = "fig1") -> list[dict]:
    """Pruned networks keep the dense accuracy down to some n well below n_init (per architecture)."""
    claim = "IMP-WR-pruned networks match the dense accuracy down to small n"
    expected = (f"eps_rel within {DENSE_MATCH_FACTOR:g}x of the dense eps_rel (or, for sampled errors, within "
                f"{MATCH_SIGMAS:g} standard errors of it) for all n >= n_min, with n_min < "
                f"{DENSE_MATCH_FRACTION:g} n_init")
    rows = []
    for run in tables.run_names(spec):
        name = f"{claim} [{_label(tables, run)}]"
        path = _path(tables, run)
        dense = path[path["iteration"] == -1]
        pruned = path[path["iteration"] >= 0]
        if dense.empty or len(pruned) < MIN_PATH_POINTS:
            rows.append(_na(name, figure, f"needs the dense row and >= {MIN_PATH_POINTS} pruned points; "
                                          f"have {len(dense)} dense, {len(pruned)} pruned", expected))
            continue
        eps_dense, err_dense = float(dense["value"].iloc[0]), float(dense["error"].iloc[0])
        n_init = tables.run_info(run).get("n_init")
        n_init = float(n_init) if is_finite(n_init) else float(dense["n"].iloc[0])
        n_min = float(dense["n"].iloc[0])
        for n, eps, err in zip(pruned["n"], pruned["value"], pruned["error"]):  # from dense towards sparse
            tolerance = max(DENSE_MATCH_FACTOR * eps_dense, eps_dense + MATCH_SIGMAS * math.hypot(err, err_dense))
            if eps > tolerance:
                break
            n_min = float(n)
        measured = (f"n_min = {n_min:g} = {n_min / n_init:.3g} n_init (n_init = {n_init:g}); "
                    f"dense {_which(path.attrs.get('exact', False))} = {_g(eps_dense)}")
        rows.append(_decided(name, figure, measured, expected, n_min < DENSE_MATCH_FRACTION * n_init))
    return rows or [_na(claim, figure, "no runs", expected)]


def tickets_agree(tables: FigureTables, spec: dict, figure: str = "fig1") -> list[dict]:
    """T(theta_init, m_imp) and T(theta_rand, m_imp) reach similar errors at high sparsity."""
    claim = "T(theta_init, m_imp) and T(theta_rand, m_imp) agree"
    expected = (f"eps_rel ratio (larger/smaller) <= {TICKET_AGREE_FACTOR:g} at the {SPARSE_TICKETS} "
                "sparsest ticket iterations below the high-error plateau")
    rows = []
    for run in tables.run_names(spec):
        name = f"{claim} [{_label(tables, run)}]"
        wide = _ticket_values(tables, run)
        if wide.empty or not {"init_imp", "rand_imp"} <= set(wide):
            rows.append(_na(name, figure, "no T(theta_init, m_imp) and T(theta_rand, m_imp) rows", expected))
            continue
        positive = wide[(wide["init_imp"] > 0) & (wide["rand_imp"] > 0)]
        both, note = _sparse_tickets(tables, run, positive, ["init_imp", "rand_imp"])
        if len(both) < SPARSE_TICKETS:
            rows.append(_na(name, figure, f"{len(both)} ticket iteration(s) with both tickets below the "
                                          f"high-error plateau; need {SPARSE_TICKETS}{note}", expected))
            continue
        ratio = np.maximum(both["init_imp"] / both["rand_imp"], both["rand_imp"] / both["init_imp"])
        measured = f"{_which(wide.attrs.get('exact', False))}: " + "; ".join(
            f"n = {n:g}: {_g(a)} vs {_g(b)} (ratio {r:.2f})"
            for n, a, b, r in zip(both["n"], both["init_imp"], both["rand_imp"], ratio)) + note
        rows.append(_decided(name, figure, measured, expected, bool((ratio <= TICKET_AGREE_FACTOR).all())))
    return rows or [_na(claim, figure, "no runs", expected)]


def tickets_beat_random_mask(tables: FigureTables, spec: dict, figure: str = "fig1") -> list[dict]:
    """Both IMP-mask tickets beat the random-mask ticket T(theta_init, m_rand) at high sparsity."""
    claim = "IMP-mask tickets beat the random-mask ticket T(theta_init, m_rand) at high sparsity"
    expected = (f"eps_rel of T(theta_init, m_imp) and T(theta_rand, m_imp) below that of T(theta_init, m_rand) "
                f"at each of the {SPARSE_TICKETS} sparsest ticket iterations below the high-error plateau")
    rows = []
    for run in tables.run_names(spec):
        name = f"{claim} [{_label(tables, run)}]"
        wide = _ticket_values(tables, run)
        mine = [v for v in ("init_imp", "rand_imp") if v in wide]
        if wide.empty or "init_rand" not in wide or not mine:
            rows.append(_na(name, figure, "needs T(theta_init, m_rand) and an IMP-mask ticket", expected))
            continue
        sparse, note = _sparse_tickets(tables, run, wide, ["init_rand", *mine])
        if len(sparse) < SPARSE_TICKETS:
            rows.append(_na(name, figure, f"{len(sparse)} ticket iteration(s) with all variants below the "
                                          f"high-error plateau; need {SPARSE_TICKETS}{note}", expected))
            continue
        wins = np.ones(len(sparse), dtype=bool)
        for v in mine:
            wins &= (sparse[v] < sparse["init_rand"]).to_numpy()
        measured = f"{_which(wide.attrs.get('exact', False))}: " + "; ".join(
            f"n = {n:g}: " + ", ".join(f"{v} {_g(sparse.loc[i, v])}" for v in mine) + f" vs init_rand "
            f"{_g(sparse.loc[i, 'init_rand'])}" for i, n in zip(sparse.index, sparse["n"])) + note
        rows.append(_decided(name, figure, measured, expected, bool(wins.all())))
    return rows or [_na(claim, figure, "no runs", expected)]


def imp_wr_beats_alternatives(tables: FigureTables, spec: dict, figure: str = "fig5") -> list[dict]:
    """IMP-WR reaches lower errors than IMP-CT and IRP-WR (Fig. 5)."""
    expected = (f"lower eps_rel than the other method on more than {MAJORITY:.0%} of the common n, "
                "or at the sparsest common n")
    rows = []
    for run in tables.run_names(spec):
        wr = _path(tables, run, "imp_wr")
        wr = wr[wr["iteration"] >= 0]
        for other, words in (("imp_ct", "IMP-CT"), ("irp_wr", "IRP-WR")):
            name = f"IMP-WR beats {words} [{_label(tables, run)}]"
            alt = _path(tables, run, other)
            alt = alt[alt["iteration"] >= 0]
            common = wr.merge(alt, on="n", suffixes=("_wr", "_other"))
            if len(common) < MIN_PATH_POINTS:
                rows.append(_na(name, figure, f"{len(common)} common n (IMP-WR and {words}); "
                                              f"need {MIN_PATH_POINTS}", expected))
                continue
            wins = common["value_wr"] < common["value_other"]
            sparsest = common.loc[common["n"].idxmin()]
            win_sparsest = bool(sparsest["value_wr"] < sparsest["value_other"])
            measured = (f"IMP-WR lower on {int(wins.sum())}/{len(common)} common n; at the sparsest n = "
                        f"{sparsest['n']:g}: {_g(sparsest['value_wr'])} vs {_g(sparsest['value_other'])}")
            rows.append(_decided(name, figure, measured, expected, bool(wins.mean() > MAJORITY) or win_sparsest))
    return rows or [_na("IMP-WR beats IMP-CT and IRP-WR", figure, "no runs", expected)]


def scaling_regions_exist(tables: FigureTables, spec: dict, figure: str = "fig2") -> list[dict]:
    """A HEP / APL / LEP structure with a clearly falling power law, in each phase (Fig. 2)."""
    phases = {"a": "at the critical point κ_c", "b": "in the ferromagnetic phase (κ < κ_c)",
              "c": "in the paramagnetic phase (κ > κ_c)"}
    expected = (f"fitted APL slope d log ΔE / d log n < {APL_SLOPE_MAX:g} for every run of the phase "
                f"(3-piece fit, >= {MIN_REGION_POINTS} points)")
    groups = {p: [] for p in phases}
    for run in tables.run_names(spec):
        phase = phase_of(tables.run_info(run))
        if phase:
            groups[phase].append(run)
    rows = []
    for phase, runs in groups.items():
        name = f"error-vs-n curves show HEP / APL / LEP regions {phases[phase]}"
        fits, skipped = [], []
        for run in runs:
            path = _path(tables, run, column="delta_e_per_spin")
            path = path[(path["value"] > 0) & (path["n"] > 0)]
            if len(path) < MIN_REGION_POINTS:
                skipped.append(f"{_label(tables, run)}: {len(path)} points")
                continue
            try:
                fit = scaling_regions(path["n"].to_numpy(), path["value"].to_numpy(), n_regions=3)
            except ValueError as err:
                skipped.append(f"{_label(tables, run)}: {err}")
                continue
            fits.append((run, fit))
        if not fits:
            reason = "no runs in this phase" if not runs else "too few points: " + "; ".join(skipped)
            rows.append(_na(name, figure, reason, expected))
            continue
        measured = "; ".join(f"{_label(tables, r)}: APL slope {f['slopes'][1]:.2f} between n = "
                             f"{f['n_hep_apl']:.3g} and {f['n_apl_lep']:.3g}" for r, f in fits)
        if skipped:
            measured += " (skipped: " + "; ".join(skipped) + ")"
        ok = all(f["slopes"][1] < APL_SLOPE_MAX for _, f in fits)
        rows.append(_decided(name, figure, measured, expected, ok))
    return rows


def _dip(fid: pd.DataFrame) -> tuple[dict, bool, str]:
    """The fidelity minimum of a path, whether it is a dip (analysis.fidelity_dip) and how it reads."""
    m = fidelity_dip(fid)
    words = (f"rho_c = {m['rho_c']:.3g}, F_min = {m['fidelity_min']:.3g} ± {_g(m['sigma'], 2)} (median 1 - F "
             f"of the path {_g(m['typical'], 2)})")
    return m, m["dip"], words


def _drop_onset(fid: pd.DataFrame) -> tuple[dict | None, str]:
    """The onset of a fidelity drop (analysis.fidelity_drop_onset) and how it reads."""
    onset = fidelity_drop_onset(fid, MIN_ONSET_BASE)
    if onset is None:
        return None, "no drop out of the path"
    return onset, (f"drop starts at rho = {onset['rho_c']:.3g} (F = {onset['fidelity']:.3g} ± "
                   f"{_g(onset['sigma'], 2)}, median 1 - F before it {_g(onset['typical'], 2)})")


def _largest_jump(path: pd.DataFrame) -> tuple[float, float]:
    """(iteration before the largest single-round change, its size) of a path sorted by iteration."""
    path = path.sort_values("iteration")
    steps = path["value"].diff().abs().to_numpy()[1:]
    if not len(steps) or not np.isfinite(steps).any():
        return float("nan"), float("nan")
    k = int(np.nanargmax(steps))
    return float(path["iteration"].to_numpy()[k]), float(steps[k])


SYMBOL = {"mz": "M_z", "mx": "M_x"}


def fidelity_dip_tfim(tables: FigureTables, spec: dict, figure: str = "fig3") -> list[dict]:
    """At kappa_c the neighbour fidelity dips at rho_c ~ 3-5, where M_z or M_x jumps (Fig. 3)."""
    lo, hi = RHO_C_TFIM_RANGE
    expected = (f"fidelity minimum at {lo:g} <= rho_c <= {hi:g} with 1 - F_min >= {DIP_CONTRAST:g}x the median "
                f"1 - F of the path and >= {DIP_SIGMAS:g} standard errors, and the largest one-round change "
                f"of M_z or M_x within {JUMP_WINDOW} rounds of it")
    rows = []
    for run in tables.run_names(spec):
        info = tables.run_info(run)
        if is_toric(info) or (is_finite(info.get("kappa")) and
                               not math.isclose(float(info["kappa"]), KAPPA_C, rel_tol=KAPPA_C_RTOL)):
            continue
        name = f"fidelity dip at rho_c ~ 3-5 with a magnetisation jump [{_label(tables, run)}]"
        fid = _fidelity_rows(tables, run)
        if len(fid) < MIN_PATH_POINTS:
            rows.append(_na(name, figure, f"{len(fid)} fidelity rows; need {MIN_PATH_POINTS}", expected))
            continue
        if fid["rho"].min() > lo or fid["rho"].max() < hi:  # the path must cross the whole window
            rows.append(_na(name, figure, f"the pruning path (rho {fid['rho'].max():.3g} down to "
                                          f"{fid['rho'].min():.3g}) does not span {lo:g} .. {hi:g}", expected))
            continue
        m, is_dip, words = _dip(fid)
        jumps = {}
        for col in ("mz", "mx"):
            path = _path(tables, run, column=col)
            if len(path) >= MIN_PATH_POINTS:
                jumps[col] = _largest_jump(path)
        near = [c for c, (it, _) in jumps.items() if is_finite(it) and abs(it - m["iteration_from"]) <= JUMP_WINDOW]
        measured = (f"{words} after iteration {m['iteration_from']}; " +
                    ("; ".join(f"largest |Δ{SYMBOL[c]}| = {size:.3g} after iteration {it:g}"
                               for c, (it, size) in jumps.items()) or "no magnetisation data"))
        ok = lo <= m["rho_c"] <= hi and is_dip and bool(near)
        rows.append(_decided(name, figure, measured, expected, ok))
    return rows or [_na("fidelity dip at rho_c ~ 3-5 (TFIM at κ_c)", figure, "no TFIM runs at κ_c", expected)]


def _toric_runs(tables, spec) -> list:
    runs = tables.run_names(spec)
    infos = {r: tables.run_info(r) for r in runs}
    known = [r for r in runs if infos[r]]
    return [r for r in runs if is_toric(infos[r])] if known else runs


def toric_tickets_beat_imp(tables: FigureTables, spec: dict, figure: str = "fig4") -> list[dict]:
    """Toric code: the IMP-mask tickets reach lower errors than the IMP-WR path at the same n."""
    expected = (f"T(theta_init, m_imp) / T(theta_rand, m_imp) below IMP-WR at the same iteration on more than "
                f"{MAJORITY:.0%} of the compared points")
    rows = []
    for run in _toric_runs(tables, spec):
        wide = _ticket_values(tables, run)
        mine = [v for v in ("init_imp", "rand_imp") if v in wide]
        if wide.empty or not mine:
            continue
        name = f"toric code: tickets beat IMP-WR [{_label(tables, run)}]"
        imp = _path(tables, run).set_index("iteration")["value"]
        pairs = [(it, v, wide.loc[it, v], imp[it]) for v in mine for it in wide.index
                 if it in imp.index and is_finite(wide.loc[it, v])]
        if len(pairs) < MIN_PATH_POINTS:
            rows.append(_na(name, figure, f"{len(pairs)} ticket / IMP-WR pairs; need {MIN_PATH_POINTS}", expected))
            continue
        wins = sum(t < i for _, _, t, i in pairs)
        measured = f"ticket lower on {wins}/{len(pairs)} (iteration, variant) pairs"
        rows.append(_decided(name, figure, measured, expected, wins / len(pairs) > MAJORITY))
    return rows or [_na("toric code: tickets beat IMP-WR", figure, "no toric-code tickets", expected)]


def toric_fidelity_drop(tables: FigureTables, spec: dict, figure: str = "fig4") -> list[dict]:
    """Toric code: the widest networks show a fidelity drop near rho_c = 16."""
    lo, hi = TORIC_RHO_C / TORIC_RHO_C_FACTOR, TORIC_RHO_C * TORIC_RHO_C_FACTOR
    claim = f"toric code: fidelity drop near rho_c = {TORIC_RHO_C:g} for the widest networks"
    expected = (f"for the {WIDEST_COUNT} widest runs: the fidelity drop starts (first pair with 1 - F >= "
                f"{DIP_CONTRAST:g}x the median 1 - F of the denser pairs and >= {DIP_SIGMAS:g} standard errors) "
                f"at {lo:.3g} <= rho <= {hi:.3g}")
    runs = [r for r in _toric_runs(tables, spec) if len(_fidelity_rows(tables, r)) >= MIN_PATH_POINTS]
    if not runs:
        return [_na(claim, figure, f"no toric-code run with >= {MIN_PATH_POINTS} fidelity rows", expected)]
    alpha = {r: tables.run_info(r).get("alpha") for r in runs}
    widest = sorted(runs, key=lambda r: float(alpha[r]) if is_finite(alpha[r]) else -1.0)[-WIDEST_COUNT:]
    short = [r for r in widest if _fidelity_rows(tables, r)["rho"].min() > lo
             or _fidelity_rows(tables, r)["rho"].max() < hi]
    if short:  # the path must cross the whole window (it starts at rho_init = alpha N)
        return [_na(claim, figure, "the pruning path of " + ", ".join(_network(tables, r) for r in short) +
                    f" does not span {lo:.3g} .. {hi:.3g}", expected)]
    parts, ok = [], True
    for run in widest:
        onset, words = _drop_onset(_fidelity_rows(tables, run))
        ok &= onset is not None and lo <= onset["rho_c"] <= hi
        parts.append(f"{_network(tables, run)}: {words}")
    return [_decided(claim, figure, "; ".join(parts), expected, ok)]


def odd_parity_filters_appear(tables: FigureTables, spec: dict, figure: str = "fig4") -> list[dict]:
    """Toric code: pruned FFNNs contain odd-parity plaquette filters."""
    claim = "toric code: odd-parity plaquette filters appear in the pruned FFNNs"
    expected = "n_odd > 0 at some IMP-WR iteration (filters table)"
    f = tables.filters
    if f is None or f.empty or "n_odd" not in f:
        return [_na(claim, figure, "no filters table", expected)]
    n_odd = numeric(f, "n_odd")
    if not np.isfinite(n_odd).any():
        return [_na(claim, figure, "filters table without finite n_odd", expected)]
    best = f.loc[n_odd.idxmax()]
    measured = f"max n_odd = {n_odd.max():g}"
    if "run" in f:
        measured += f" ({_network(tables, best['run'])}"
        measured += f", rho = {_g(best.get('rho'))})" if "rho" in f else ")"
    if "n_plaquettes_covered" in f and "n_plaquettes" in f:
        measured += f"; plaquettes covered there: {_g(best['n_plaquettes_covered'])}/{_g(best['n_plaquettes'])}"
    return [_decided(claim, figure, measured, expected, n_odd.max() > 0)]


def construction_converges(tables: FigureTables, spec: dict, figure: str = "fig7") -> list[dict]:
    """Fig. 7: E/N -> -1 and the variance -> 0 as W grows (tested at the large-W end)."""
    expected = (f"over the {LARGE_W_POINTS} largest W: |E/N + 1| and sigma^2/N non-increasing, and at the "
                f"largest W |E/N + 1| < {ENERGY_TOL:g}, sigma^2/N < {VARIANCE_TOL:g}")
    c = tables.construction
    need = {"W", "energy_per_spin", "variance_per_spin"}
    if c is None or c.empty or not need <= set(c):
        return [_na("odd-parity construction: E/N -> -1 and variance -> 0 as W grows", figure,
                    "no construction table", expected)]
    Ls = numeric(c, "L").fillna(-1)
    rows = []
    for L in sorted(Ls.unique()):
        part = c[Ls == L].assign(W=lambda d: numeric(d, "W")).dropna(subset=["W"]).sort_values("W")
        name = "odd-parity construction: E/N -> -1 and variance -> 0 as W grows" + \
            (f" [L = {L:g}]" if L >= 0 else "")
        if len(part) < LARGE_W_POINTS:
            rows.append(_na(name, figure, f"{len(part)} W values; need {LARGE_W_POINTS}", expected))
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
                    f"{', '.join(f'{g:.2g}' for g in gap)}; sigma^2/N = {', '.join(f'{v:.2g}' for v in var)}")
        rows.append(_decided(name, figure, measured, expected, monotone and final))
    return rows


#: (claim function, figure whose tables decide it), in report order
def variational_principle(tables: FigureTables, spec: dict, figure: str = "fig1") -> list[dict]:
    """Variational principle: no evaluated energy lies below its reference energy."""
    claim = f"variational principle: no trained network below its reference energy [{figure}]"
    expected = (f"E >= E_ref - {VARIATIONAL_SIGMAS:g} standard errors for every evaluated energy (dense networks, "
                "pruning paths, tickets); exact energies where N <= 16")
    checked, below = 0, []
    for kind, frame in (("dense", tables.dense), ("path", tables.histories), ("ticket", tables.tickets)):
        if frame is None or frame.empty or "reference_energy" not in frame:
            continue
        if kind == "path" and "iteration" in frame:
            frame = frame[numeric(frame, "iteration") >= 0]  # the dense row is checked once, as "dense"
        flags = below_reference(frame)
        checked += int(numeric(frame, "reference_energy").notna().sum())
        for row in frame[flags.to_numpy()].itertuples():
            row = row._asdict()
            exact = is_finite(row.get("exact_energy"))
            energy = row["exact_energy"] if exact else row["energy"]
            what = f"{row.get('run')} {kind}" + (f" n = {_g(row.get('n'))}" if kind != "dense" else "")
            error = float(row["energy_error"]) if is_finite(row.get("energy_error")) else 0.0
            gap = float(row["reference_energy"]) - float(energy)
            if exact:
                sigma = "exact"
            else:
                sigma = f"{gap / error:.1f} sigma" if error > 0 else "sigma 0"
            below.append(f"{what}: E = {_g(energy, 8)} < E_ref = {_g(row['reference_energy'], 8)} ({sigma})")
    if not checked:
        return [_na(claim, figure, "no evaluated energy with a reference in the tables", expected)]
    measured = f"{len(below)} of {checked} energies below their reference"
    if below:
        measured += ": " + "; ".join(below[:4]) + (f"; and {len(below) - 4} more" if len(below) > 4 else "")
    return [_decided(claim, figure, measured, expected, not below)]


CLAIMS = [
    (sparse_matches_dense, "fig1"),
    (tickets_agree, "fig1"),
    (tickets_beat_random_mask, "fig1"),
    (imp_wr_beats_alternatives, "fig5"),
    (scaling_regions_exist, "fig2"),
    (fidelity_dip_tfim, "fig3"),
    (toric_tickets_beat_imp, "fig4"),
    (toric_fidelity_drop, "fig4"),
    (odd_parity_filters_appear, "fig4"),
    (construction_converges, "fig7"),
    *[(variational_principle, fig) for fig in ("fig1", "fig2", "fig3", "fig4", "fig5", "fig6")],
]


# ============================================================================================
# public API
# ============================================================================================
def check_claims(tables: dict[str, FigureTables], specs: dict[str, dict]) -> pd.DataFrame:
    """Every claim of :data:`CLAIMS` on the tables of its figure; see the module docstring."""
    prepared = {}
    rows = []
    for check, fig in CLAIMS:
        title = (check.__doc__ or check.__name__).strip().splitlines()[0]
        if fig not in tables or tables[fig] is None:
            rows.append(_na(title, fig, f"no tables for {fig}", ""))
            continue
        spec = (specs or {}).get(fig) or {}
        if fig not in prepared:
            prepared[fig] = tables[fig].for_figure(spec)
        try:
            rows += check(prepared[fig], spec, fig)
        except Exception as err:  # noqa: BLE001 - one undecidable claim must not hide the others
            rows.append(_na(title, fig, f"could not evaluate: {type(err).__name__}: {err}", ""))
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def _rst_escape(text) -> str:
    text = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    for char in ("\\", "*", "`", "|", "_"):
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())  # one line per cell


def claims_rst(table: pd.DataFrame) -> str:
    """The claims table as an RST list-table (with a one-line summary) for the Snakemake report."""
    if table is None or table.empty:
        return "No claims were checked.\n"
    counts = table["status"].value_counts()
    summary = ", ".join(f"{int(counts.get(s, 0))} {s}" for s in (PASS, FAIL, NOT_APPLICABLE))
    lines = [f"Claims of the paper checked on the reproduced data: {summary}.", "",
             ".. list-table::", "   :header-rows: 1", "   :widths: 30 6 40 30 8", "",
             "   * - claim", "     - figure", "     - measured", "     - expected", "     - status"]
    for _, row in table.iterrows():
        cells = [_rst_escape(row.get(c)) for c in CLAIM_COLUMNS]
        lines.append(f"   * - {cells[0] or '-'}")
        lines += [f"     - {cell or '-'}" for cell in cells[1:]]
    return "\n".join(lines) + "\n"
