"""Claims about the scaling of the error with n and rho (Figs. 2 and 3): the three regions, their
collapse across widths and lattice sizes, the phase dependence, and the transition at rho_c."""

from __future__ import annotations

import numpy as np

from ..analysis import DIP_CONTRAST, DIP_MIN_INFIDELITY, DIP_SIGMAS, fidelity_dip, scaling_regions
from ..results import FigureTables, is_finite, phase_of
from .common import (
    COLLAPSE_FACTOR,
    HEP_POINTS,
    MIN_PATH_POINTS,
    MIN_REGION_POINTS,
    ROUND_WINDOW,
    Claim,
    fidelity_rows,
    fidelity_words,
    g,
    log_interpolate,
    network,
    path,
    pruned,
    subject,
)

#: the fitted APL slope d log(Delta E) / d log n must be below this to count as "clearly negative":
#: Monte Carlo noise on a plateau gives fitted slopes of |s| < 0.2; the paper's APLs have s ~ -1 or steeper
APL_SLOPE_MAX = -0.3
#: a "plateau" (HEP or LEP) has a fitted slope of at most this size: above the noise (0.2), below the
#: steepness of the APLs (s ~ -1)
PLATEAU_SLOPE_MAX = 0.5
#: the paper's rho_c ~ 3-5 (TFIM at kappa_c), widened by about one pruning step (p_r = 0.12: rho changes
#: by 1.14 per round) on either side, since rho_c is read off that grid
RHO_C_TFIM_RANGE = (2.5, 6.0)
#: pruning rate that converts ROUND_WINDOW into a factor of rho when a run does not state its own
DEFAULT_PRUNING_RATE = 0.12
#: "M_z changes sharply": the largest one-round |Delta M_z| at least this (the Monte Carlo error of M_z
#: from 2048 samples is ~0.01, the paper's drop is of order 0.5) ...
MZ_JUMP_MIN = 0.1
#: ... and "drops to zero deeper inside the HEP": |M_z| of the sparsest points below this
MZ_ZERO = 0.05
#: the paper sees the M_z symmetry breaking only from this lattice size on
MZ_MIN_L = 7
#: curves "coincide" on at least this many points of the compared region
MIN_COLLAPSE_POINTS = 3

PHASES = {"a": "at the critical point κ_c", "b": "in the ferromagnetic phase (κ < κ_c)",
          "c": "in the paramagnetic phase (κ > κ_c)"}


def _fit(tables, run, x="n"):
    """The 3-piece fit of Delta E/N against ``x`` (n or rho) of a run's IMP-WR path (None if too few
    points) and the points it was made from."""
    points = path(tables, run, column="delta_e_per_spin")
    points = points[(points["value"] > 0) & (points[x] > 0)]
    if len(points) < MIN_REGION_POINTS:
        return None, points
    try:
        return scaling_regions(points[x].to_numpy(), points["value"].to_numpy(), n_regions=3), points
    except ValueError:
        return None, points


def _round_factor(tables, run) -> float:
    """Factor of rho spanned by ROUND_WINDOW pruning rounds of this run."""
    p_r = tables.run_info(run).get("p_r")
    p_r = float(p_r) if is_finite(p_r) and 0 < float(p_r) < 1 else DEFAULT_PRUNING_RATE
    return (1 / (1 - p_r)) ** ROUND_WINDOW


REGIONS = Claim(
    statement="error-vs-n curves show a HEP, an APL and a LEP {phase}",
    paper="Fig. 2: Delta E against n falls in three regions, a high-error plateau (HEP), an "
          "approximate power law (APL) and a low-error plateau (LEP), in every phase",
    expected=(f"3-piece fit of log Delta E/N against log n (>= {MIN_REGION_POINTS} points): |HEP slope| and "
              f"|LEP slope| <= {PLATEAU_SLOPE_MAX:g}, APL slope < {APL_SLOPE_MAX:g}, for every run of the phase; "
              "a pure power law fails"),
    basis="ours: plateau tolerance above the Monte Carlo noise (|s| < 0.2) and below the paper's APLs (s ~ -1)",
)


def scaling_regions_exist(tables: FigureTables, spec: dict, figure: str = "fig2") -> list[dict]:
    """HEP and LEP plateaus with a clearly falling power law between them, in each phase (Fig. 2)."""
    groups = {p: [] for p in PHASES}
    for run in tables.run_names(spec):
        phase = phase_of(tables.run_info(run))
        if phase:
            groups[phase].append(run)
    rows = []
    for phase, runs in groups.items():
        claim = Claim(REGIONS.statement.format(phase=PHASES[phase]), REGIONS.paper, REGIONS.expected, REGIONS.basis)
        fits, skipped = [], []
        for run in runs:
            fit, points = _fit(tables, run)
            if fit is None:
                skipped.append(f"{subject(tables, run)}: {len(points)} points")
            else:
                fits.append((run, fit))
        if not fits:
            reason = "no runs in this phase" if not runs else "too few points: " + "; ".join(skipped)
            rows.append(claim.undecided("", figure, reason))
            continue
        measured = "; ".join(f"{subject(tables, r)}: slopes HEP {f['slopes'][0]:.2f}, APL {f['slopes'][1]:.2f}, "
                             f"LEP {f['slopes'][2]:.2f}, kinks at n = {f['n_hep_apl']:.3g} and {f['n_apl_lep']:.3g}"
                             for r, f in fits)
        if skipped:
            measured += " (skipped: " + "; ".join(skipped) + ")"
        ok = all(abs(f["slopes"][0]) <= PLATEAU_SLOPE_MAX and abs(f["slopes"][2]) <= PLATEAU_SLOPE_MAX
                 and f["slopes"][1] < APL_SLOPE_MAX for _, f in fits)
        rows.append(claim.decided("", figure, measured, ok))
    return rows


def _coincide(a, b, upper) -> tuple[float, int]:
    """Largest |log10| ratio of curve ``b`` to curve ``a`` (DataFrames x, value) at the x of ``a``
    where both are defined and x <= ``upper``; and the number of points compared."""
    x = a["x"].to_numpy()
    keep = x <= upper
    other = log_interpolate(b["x"].to_numpy(), b["value"].to_numpy(), x[keep])
    ok = np.isfinite(other)
    if not ok.any():
        return float("nan"), 0
    return float(np.max(np.abs(np.log10(other[ok] / a["value"].to_numpy()[keep][ok])))), int(ok.sum())


def _collapse(tables, runs, x, figure, claim, label):
    """The curves of ``runs`` coincide against ``x`` in the HEP and APL (below every run's APL/LEP kink)."""
    fitted = {}
    for run in runs:
        fit, points = _fit(tables, run, x)
        if fit is not None:
            fitted[run] = (fit, points.assign(x=points[x]))
    if len(fitted) < 2:
        return [claim.undecided("", figure, f"{len(fitted)} run(s) with a 3-piece fit; need 2 of different "
                                            f"{label}")]
    upper = min(f["n_apl_lep"] for f, _ in fitted.values())  # the kinks are in units of x
    reference = max(fitted, key=lambda r: len(fitted[r][1]))
    parts, worst, enough = [], 0.0, True
    for run, (fit, points) in fitted.items():
        if run == reference:
            continue
        spread, count = _coincide(fitted[reference][1], points, upper)
        enough &= count >= MIN_COLLAPSE_POINTS
        worst = max(worst, spread) if is_finite(spread) else worst
        parts.append(f"{subject(tables, run)} vs {subject(tables, reference)}: {count} points, largest ratio "
                     f"{10 ** spread:.2f}" if count else f"{subject(tables, run)}: no common {x}")
    floors = "; ".join(f"LEP of {subject(tables, r)} from {x} = {f['n_apl_lep']:.3g}, floor "
                       f"{g(p['value'].iloc[:2].median())}" for r, (f, p) in fitted.items())
    measured = f"{x} <= {upper:.3g}: " + "; ".join(parts) + f" ({floors})"
    if not enough:
        return [claim.undecided("", figure, measured + f"; need >= {MIN_COLLAPSE_POINTS} common points each")]
    return [claim.decided("", figure, measured, 10 ** worst <= COLLAPSE_FACTOR)]


WIDTHS = Claim(
    statement="FFNNs of different width coincide in the HEP and APL",
    paper="Fig. 2a: Delta E against n of FFNNs with alpha = 1, 2.5, 5 coincide in the HEP and the APL; "
          "over-parametrisation only lowers the LEP",
    expected=(f"at kappa_c, every FFNN's Delta E/N within {COLLAPSE_FACTOR:g}x of the widest-path FFNN's "
              f"(log-log interpolation) at all n below the smallest APL/LEP kink, >= {MIN_COLLAPSE_POINTS} points"),
    basis=f"factor {COLLAPSE_FACTOR:g}: ours, the scatter of independent trainings (as for the tickets)",
)


def width_collapse(tables: FigureTables, spec: dict, figure: str = "fig2") -> list[dict]:
    """FFNNs of different alpha at kappa_c coincide in the HEP and APL (Fig. 2a)."""
    runs = [r for r in tables.run_names(spec) if phase_of(tables.run_info(r)) == "a"
            and str(tables.run_info(r).get("network") or "").lower() == "ffnn"]
    widths = {tables.run_info(r).get("alpha") for r in runs}
    if len(widths) < 2:
        return [WIDTHS.undecided("", figure, f"{len(widths)} FFNN width(s) at kappa_c; need 2")]
    return _collapse(tables, runs, "n", figure, WIDTHS, "alpha")


FERROMAGNET = Claim(
    statement="the ferromagnet enters the HEP at larger n than the critical point and the paramagnet",
    paper="Fig. 2b, c: the boundaries of the regions are set by the Hamiltonian; in the ferromagnetic "
          "phase the HEP starts at lower sparsity",
    expected="HEP/APL kink n of every ferromagnetic run above that of every critical and paramagnetic run of the "
             "same network (3-piece fits)",
    basis="no threshold: the kinks' order; each kink is known to one pruning step",
)


def ferromagnet_enters_hep_first(tables: FigureTables, spec: dict, figure: str = "fig2") -> list[dict]:
    """The ferromagnetic runs reach the HEP at larger n than the others of the same network (Fig. 2)."""
    kinks = {}
    for run in tables.run_names(spec):
        info = tables.run_info(run)
        phase = phase_of(info)
        fit, _ = _fit(tables, run)
        if phase and fit is not None:
            kinks.setdefault(network(tables, run), []).append((phase, run, fit["n_hep_apl"]))
    rows = []
    for label, entries in kinks.items():
        ferro = [e for e in entries if e[0] == "b"]
        others = [e for e in entries if e[0] != "b"]
        if not ferro or not others:
            continue
        measured = "; ".join(f"{subject(tables, r)}: HEP below n = {k:.3g}" for _, r, k in entries)
        ok = min(k for *_, k in ferro) > max(k for *_, k in others)
        rows.append(FERROMAGNET.decided(label, figure, measured, ok))
    return rows or [FERROMAGNET.undecided("", figure, "needs a ferromagnetic and another run of one network, each "
                                                      f"with >= {MIN_REGION_POINTS} points")]


SIZES = Claim(
    statement="Delta E/N against rho coincides across lattice sizes in the HEP and APL",
    paper="Fig. 3a: the absolute error per spin against rho = n/N collapses for L = 4..10",
    expected=(f"at kappa_c, every run's Delta E/N within {COLLAPSE_FACTOR:g}x of the longest path's at all rho "
              f"below the smallest APL/LEP kink, >= {MIN_COLLAPSE_POINTS} points"),
    basis=f"factor {COLLAPSE_FACTOR:g}: ours, the scatter of independent trainings",
)


def size_collapse(tables: FigureTables, spec: dict, figure: str = "fig3") -> list[dict]:
    """Delta E/N against rho coincides across L in the HEP and APL (Fig. 3a)."""
    runs = [r for r in tables.run_names(spec) if phase_of(tables.run_info(r)) == "a"]
    sizes = {tables.run_info(r).get("L") for r in runs}
    if len(sizes) < 2:
        return [SIZES.undecided("", figure, f"{len(sizes)} lattice size(s) at kappa_c; need 2")]
    return _collapse(tables, runs, "rho", figure, SIZES, "L")


DIP = Claim(
    statement="fidelity dip at rho_c ~ 3-5 with a magnetisation jump",
    paper="Fig. 3b-d: at the onset of the HEP the fidelity between neighbouring pruned states drops at "
          "rho_c ~ 3-5, where the magnetisations change",
    expected=(f"fidelity minimum at {RHO_C_TFIM_RANGE[0]:g} <= rho_c <= {RHO_C_TFIM_RANGE[1]:g} with 1 - F_min >= "
              f"{DIP_CONTRAST:g}x the median 1 - F of the path, >= {DIP_SIGMAS:g} standard errors and >= "
              f"{DIP_MIN_INFIDELITY:g}, and the largest one-round change of M_z or M_x within {ROUND_WINDOW} rounds of it"),
    basis="3-5: the paper, widened by one pruning step; the contrast, sigma and 1e-3 rules: ours (analysis.fidelity)",
)


def _dip_words(m) -> str:
    return (f"rho_c = {m['rho_c']:.3g}, F_min = {fidelity_words(m['fidelity_min'], m['sigma'])} (median 1 - F "
            f"of the path {g(m['typical'], 2)})")


def _largest_jump(points) -> tuple[float, float]:
    """(iteration before the largest single-round change, its size) of a path."""
    points = points.sort_values("iteration")
    steps = points["value"].diff().abs().to_numpy()[1:]
    if not len(steps) or not np.isfinite(steps).any():
        return float("nan"), float("nan")
    k = int(np.nanargmax(steps))
    return float(points["iteration"].to_numpy()[k]), float(steps[k])


SYMBOL = {"mz": "M_z", "mx": "M_x"}


def _critical_runs(tables, spec):
    return [r for r in tables.run_names(spec) if phase_of(tables.run_info(r)) == "a"]


def fidelity_dip_tfim(tables: FigureTables, spec: dict, figure: str = "fig3") -> list[dict]:
    """At kappa_c the neighbour fidelity dips at rho_c ~ 3-5, where M_z or M_x jumps (Fig. 3)."""
    lo, hi = RHO_C_TFIM_RANGE
    rows = []
    for run in _critical_runs(tables, spec):
        who = subject(tables, run)
        fid = fidelity_rows(tables, run)
        if len(fid) < MIN_PATH_POINTS:
            rows.append(DIP.undecided(who, figure, f"{len(fid)} fidelity rows; need {MIN_PATH_POINTS}"))
            continue
        if fid["rho"].min() > lo or fid["rho"].max() < hi:  # the path must cross the whole window
            rows.append(DIP.undecided(who, figure, f"the pruning path (rho {fid['rho'].max():.3g} down to "
                                                   f"{fid['rho'].min():.3g}) does not span {lo:g} .. {hi:g}"))
            continue
        m = fidelity_dip(fid)
        jumps = {c: _largest_jump(p) for c in ("mz", "mx")
                 if len(p := path(tables, run, column=c)) >= MIN_PATH_POINTS}
        near = [c for c, (it, _) in jumps.items()
                if is_finite(it) and abs(it - m["iteration_from"]) <= ROUND_WINDOW]
        measured = (f"{_dip_words(m)} after iteration {m['iteration_from']}; " +
                    ("; ".join(f"largest |Δ{SYMBOL[c]}| = {size:.3g} after iteration {it:g}"
                               for c, (it, size) in jumps.items()) or "no magnetisation data"))
        rows.append(DIP.decided(who, figure, measured, lo <= m["rho_c"] <= hi and m["dip"] and bool(near)))
    return rows or [DIP.undecided("", figure, "no TFIM runs at κ_c")]


KINK = Claim(
    statement="the error has its HEP kink at rho_c",
    paper="Fig. 3a, b: the HEP sets in at the rho_c of the fidelity drop",
    expected=(f"the HEP/APL kink of the 3-piece fit of Delta E/N against rho within {ROUND_WINDOW} pruning rounds "
              "of the fidelity minimum rho_c"),
    basis=f"{ROUND_WINDOW} rounds: ours, both are read off the same pruning grid",
)


def error_kink_at_rho_c(tables: FigureTables, spec: dict, figure: str = "fig3") -> list[dict]:
    """The error's HEP/APL kink sits at the fidelity minimum (Fig. 3a, b)."""
    rows = []
    for run in _critical_runs(tables, spec):
        who = subject(tables, run)
        fid = fidelity_rows(tables, run)
        fit, points = _fit(tables, run, "rho")
        if len(fid) < MIN_PATH_POINTS or fit is None:
            rows.append(KINK.undecided(who, figure, f"{len(fid)} fidelity rows and {len(points)} error points; "
                                                    f"need {MIN_PATH_POINTS} and {MIN_REGION_POINTS}"))
            continue
        rho_c, kink = fidelity_dip(fid)["rho_c"], fit["n_hep_apl"]
        factor = _round_factor(tables, run)
        measured = f"kink at rho = {kink:.3g}, fidelity minimum at rho_c = {rho_c:.3g} (ratio {kink / rho_c:.2f})"
        rows.append(KINK.decided(who, figure, measured, 1 / factor <= kink / rho_c <= factor))
    return rows or [KINK.undecided("", figure, "no TFIM runs at κ_c")]


MZ = Claim(
    statement="M_z changes sharply at rho_c and vanishes deeper in the HEP",
    paper="Fig. 3c: M_z changes sharply at rho_c (first order in shallow networks) and drops to zero "
          "deeper inside the HEP; seen from L = 7 on",
    expected=(f"largest one-round |Delta M_z| >= {MZ_JUMP_MIN:g}, within {ROUND_WINDOW} rounds of the fidelity "
              f"minimum, and |M_z| < {MZ_ZERO:g} at the {HEP_POINTS} sparsest points; runs with L >= {MZ_MIN_L}"),
    basis=f"L >= {MZ_MIN_L}: the paper; {MZ_JUMP_MIN:g} and {MZ_ZERO:g}: ours (10x and 5x the Monte Carlo error of "
          "M_z from 2048 samples)",
)


def magnetisation_at_rho_c(tables: FigureTables, spec: dict, figure: str = "fig3") -> list[dict]:
    """M_z jumps at rho_c and vanishes in the HEP (Fig. 3c; L >= 7)."""
    rows, small = [], []
    for run in _critical_runs(tables, spec):
        L = tables.run_info(run).get("L")
        if is_finite(L) and float(L) < MZ_MIN_L:
            small.append(f"{float(L):g}")
            continue
        who = subject(tables, run)
        fid = fidelity_rows(tables, run)
        mz = path(tables, run, column="mz")
        if len(fid) < MIN_PATH_POINTS or len(pruned(mz)) < MIN_PATH_POINTS:
            rows.append(MZ.undecided(who, figure, f"{len(fid)} fidelity rows, {len(mz)} M_z points; need "
                                                  f"{MIN_PATH_POINTS} each"))
            continue
        m = fidelity_dip(fid)
        it, size = _largest_jump(mz)
        deep = float(pruned(mz)["value"].tail(HEP_POINTS).abs().max())
        measured = (f"largest |ΔM_z| = {size:.3g} after iteration {it:g} (fidelity minimum after iteration "
                    f"{m['iteration_from']}); |M_z| <= {deep:.3g} at the {HEP_POINTS} sparsest points")
        ok = size >= MZ_JUMP_MIN and abs(it - m["iteration_from"]) <= ROUND_WINDOW and deep < MZ_ZERO
        rows.append(MZ.decided(who, figure, measured, ok))
    if small:
        rows.append(MZ.undecided("", figure, f"L = {', '.join(small)} below {MZ_MIN_L}: needs the paper's larger "
                                             "lattices (workflow/presets/paper.yaml, Fig. 3: L = 4..10)"))
    return rows or [MZ.undecided("", figure, "no TFIM runs at κ_c")]
