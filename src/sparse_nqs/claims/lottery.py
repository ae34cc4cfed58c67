"""Claims about the lottery-ticket test (Figs. 1, 5 and 6): how sparse a pruned network can be
without losing accuracy, which tickets train, IMP-WR against its alternatives, and the variance."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..results import VARIATIONAL_SIGMAS, FigureTables, is_finite, numeric
from .common import (
    DENSE_MATCH_FACTOR,
    MATCH_SIGMAS,
    MIN_PATH_POINTS,
    SPARSE_TICKETS,
    TICKET_AGREE_FACTOR,
    Claim,
    below_plateau,
    g,
    n_init_of,
    network_kind,
    path,
    pruned,
    sign_test,
    subject,
    ticket_values,
    which,
)

#: the paper's "80-95% sparsity without significant loss in accuracy": the lower end of its range
SPARSITY_WITHOUT_LOSS = 0.80
#: the paper's "5-20% weights of the dense model" for a learned structure that matches the dense one
LEARNED_DENSITY = (0.05, 0.20)
#: networks the FFNN/CNN lottery claims are stated for (the ResCNN has its own claim)
SHALLOW = ("ffnn", "cnn")
#: significance level of the sign test that decides "IMP-WR beats IMP-CT / IRP-WR"
SIGN_TEST_LEVEL = 0.05
#: a pair of errors counts in the sign test only when they differ by more than this many combined
#: standard errors (exact errors: any difference counts)
DIFFERENCE_SIGMAS = 2.0
#: "the variance scales like the error": rank correlation of sigma^2/N with Delta E/N along the path
#: at least this ...
VARIANCE_RANK_MIN = 0.8
#: ... and the fitted exponent of sigma^2/N ~ (Delta E/N)^s within this range: s = 1 when one set of
#: excitations dominates (sigma^2 ~ gap * Delta E); the range allows that set to change along the path
VARIANCE_EXPONENT = (0.5, 2.0)


def runs_of(tables, spec, kinds) -> list[tuple[str, str]]:
    """(run, its subject for the claim column) of the figure's runs with a network of ``kinds``."""
    return [(run, subject(tables, run)) for run in tables.run_names(spec) if network_kind(tables, run) in kinds]


def _dense_tolerance(eps_dense, err_dense, err):
    return max(DENSE_MATCH_FACTOR * eps_dense, eps_dense + MATCH_SIGMAS * math.hypot(err, err_dense))


SPARSITY = Claim(
    statement="pruned to >= 80% sparsity without significant loss of accuracy",
    paper="Fig. 1: FFNNs and CNNs are pruned 'up to 80-95% sparsity without significant loss in accuracy' "
          "(the abstract: 'by more than an order of magnitude in parameter count')",
    expected=(f"IMP-WR eps_rel within {DENSE_MATCH_FACTOR:g}x of the dense eps_rel (sampled errors: or within "
              f"{MATCH_SIGMAS:g} standard errors) at every n >= n_min, with n_min <= "
              f"{1 - SPARSITY_WITHOUT_LOSS:.2g} n_init"),
    basis="80%: the paper's lower end; the 2x 'no significant loss' band: ours (scatter of independent trainings)",
)


def sparsity_without_loss(tables: FigureTables, spec: dict, figure: str = "fig1") -> list[dict]:
    """FFNNs and CNNs keep the dense accuracy down to 20% of their weights (IMP-WR path)."""
    rows = []
    for run, who in runs_of(tables, spec, SHALLOW):
        points = path(tables, run)
        dense, sparse = points[points["iteration"] == -1], pruned(points)
        if dense.empty or len(sparse) < MIN_PATH_POINTS:
            rows.append(SPARSITY.undecided(who, figure, f"needs the dense row and >= {MIN_PATH_POINTS} pruned "
                                                        f"points; have {len(dense)} dense, {len(sparse)} pruned"))
            continue
        eps_dense, err_dense = float(dense["value"].iloc[0]), float(dense["error"].iloc[0])
        n_init = n_init_of(tables, run, points)
        n_min = float(dense["n"].iloc[0])
        for n, eps, err in zip(sparse["n"], sparse["value"], sparse["error"]):  # from dense towards sparse
            if eps > _dense_tolerance(eps_dense, err_dense, err):
                break
            n_min = float(n)
        reached = float(sparse["n"].min()) / n_init
        measured = (f"n_min = {n_min:g} = {n_min / n_init:.3g} n_init (n_init = {n_init:g}, sparsity "
                    f"{1 - n_min / n_init:.0%}); dense {which(points.attrs['exact'])} = {g(eps_dense)}")
        if reached > 1 - SPARSITY_WITHOUT_LOSS and n_min == float(sparse["n"].min()):
            # the accuracy held to the end of a path that stops short of the paper's sparsity
            rows.append(SPARSITY.undecided(who, figure, measured + f"; the path stops at {reached:.2g} n_init, "
                                           f"above {1 - SPARSITY_WITHOUT_LOSS:.2g} n_init: needs more iterations"))
            continue
        rows.append(SPARSITY.decided(who, figure, measured, n_min <= (1 - SPARSITY_WITHOUT_LOSS) * n_init))
    return rows or [SPARSITY.undecided("", figure, "no FFNN or CNN runs")]


LEARNED = Claim(
    statement="a learned structure with 5-20% of the weights matches the dense network",
    paper="Fig. 1: a structure learned by IMP with '5-20% weights of the dense model' trained in "
          "isolation matches the dense one",
    expected=(f"some ticket T(theta_init, m_imp) or T(theta_rand, m_imp) with {LEARNED_DENSITY[0]:g} n_init <= n "
              f"<= {LEARNED_DENSITY[1]:g} n_init has eps_rel within {DENSE_MATCH_FACTOR:g}x of the dense eps_rel"),
    basis="5-20%: the paper; the 2x band: ours (scatter of independent trainings)",
)


def learned_structure_matches_dense(tables: FigureTables, spec: dict, figure: str = "fig1") -> list[dict]:
    """An IMP-mask ticket with 5-20% of the weights reaches the dense accuracy (FFNN, CNN)."""
    lo, hi = LEARNED_DENSITY
    rows = []
    for run, who in runs_of(tables, spec, SHALLOW):
        points = path(tables, run)
        dense = points[points["iteration"] == -1]
        wide = ticket_values(tables, run)
        mine = [v for v in ("init_imp", "rand_imp") if v in wide]
        if dense.empty or not mine:
            rows.append(LEARNED.undecided(who, figure, "needs the dense row and IMP-mask tickets"))
            continue
        n_init = n_init_of(tables, run, points)
        density = wide["n"] / n_init
        window = wide[(density >= lo) & (density <= hi)]
        if window.empty:
            rows.append(LEARNED.undecided(who, figure, "no ticket between 5% and 20% of n_init (sparsest ticket "
                                                       f"at {density.min():.2g} n_init): needs more iterations"))
            continue
        eps_dense = float(dense["value"].iloc[0])
        best = window[mine].min(axis=1)
        measured = (f"dense {which(points.attrs['exact'])} = {g(eps_dense)}; best IMP-mask ticket: " + "; ".join(
            f"n = {n:g} ({n / n_init:.2g} n_init): {g(e)}" for n, e in zip(window["n"], best)))
        rows.append(LEARNED.decided(who, figure, measured, bool((best <= DENSE_MATCH_FACTOR * eps_dense).any())))
    return rows or [LEARNED.undecided("", figure, "no FFNN or CNN runs")]


AGREE = Claim(
    statement="T(theta_init, m_imp) and T(theta_rand, m_imp) agree",
    paper="Abstract (Fig. 1): 'performance depends only on the structure of the sparse subnetwork, "
          "not on the specific initialization'",
    expected=(f"eps_rel ratio (larger/smaller) <= {TICKET_AGREE_FACTOR:g} at the {SPARSE_TICKETS} sparsest ticket "
              "iterations below the high-error plateau"),
    basis=f"factor {TICKET_AGREE_FACTOR:g}: ours (independent trainings scatter by up to 2x at high sparsity)",
)


def tickets_agree(tables: FigureTables, spec: dict, figure: str = "fig1") -> list[dict]:
    """T(theta_init, m_imp) and T(theta_rand, m_imp) reach similar errors at high sparsity (FFNN, CNN)."""
    rows = []
    for run, who in runs_of(tables, spec, SHALLOW):
        wide = ticket_values(tables, run)
        if wide.empty or not {"init_imp", "rand_imp"} <= set(wide):
            rows.append(AGREE.undecided(who, figure, "no T(theta_init, m_imp) and T(theta_rand, m_imp) rows"))
            continue
        positive = wide[(wide["init_imp"] > 0) & (wide["rand_imp"] > 0)]
        both, note = below_plateau(tables, run, positive, ["init_imp", "rand_imp"])
        both = both.tail(SPARSE_TICKETS)
        if len(both) < SPARSE_TICKETS:
            rows.append(AGREE.undecided(who, figure, f"{len(both)} ticket iteration(s) with both tickets below "
                                                     f"the high-error plateau; need {SPARSE_TICKETS}{note}"))
            continue
        ratio = np.maximum(both["init_imp"] / both["rand_imp"], both["rand_imp"] / both["init_imp"])
        measured = f"{which(wide.attrs['exact'])}: " + "; ".join(
            f"n = {n:g}: {g(a)} vs {g(b)} (ratio {r:.2f})"
            for n, a, b, r in zip(both["n"], both["init_imp"], both["rand_imp"], ratio)) + note
        rows.append(AGREE.decided(who, figure, measured, bool((ratio <= TICKET_AGREE_FACTOR).all())))
    return rows or [AGREE.undecided("", figure, "no FFNN or CNN runs")]


RANDOM_MASK = Claim(
    statement="IMP-mask tickets beat the random-mask ticket T(theta_init, m_rand) at high sparsity",
    paper="Fig. 1: the random-mask control T(theta_init, m_rand) reaches much larger errors at high "
          "sparsity",
    expected=(f"eps_rel of T(theta_init, m_imp) and T(theta_rand, m_imp) below that of T(theta_init, m_rand) at "
              f"each of the {SPARSE_TICKETS} sparsest ticket iterations below the high-error plateau"),
    basis="no threshold beyond 'below'; the plateau rule: ours (on the plateau all states have lost the physics)",
)


def tickets_beat_random_mask(tables: FigureTables, spec: dict, figure: str = "fig1") -> list[dict]:
    """Both IMP-mask tickets beat the random-mask ticket at high sparsity (FFNN, CNN)."""
    rows = []
    for run, who in runs_of(tables, spec, SHALLOW):
        wide = ticket_values(tables, run)
        mine = [v for v in ("init_imp", "rand_imp") if v in wide]
        if wide.empty or "init_rand" not in wide or not mine:
            rows.append(RANDOM_MASK.undecided(who, figure, "needs T(theta_init, m_rand) and an IMP-mask ticket"))
            continue
        sparse, note = below_plateau(tables, run, wide, ["init_rand", *mine])
        sparse = sparse.tail(SPARSE_TICKETS)
        if len(sparse) < SPARSE_TICKETS:
            rows.append(RANDOM_MASK.undecided(who, figure, f"{len(sparse)} ticket iteration(s) with all variants "
                                                           f"below the high-error plateau; need {SPARSE_TICKETS}{note}"))
            continue
        wins = np.ones(len(sparse), dtype=bool)
        for v in mine:
            wins &= (sparse[v] < sparse["init_rand"]).to_numpy()
        measured = f"{which(wide.attrs['exact'])}: " + "; ".join(
            f"n = {n:g}: " + ", ".join(f"{v} {g(sparse.loc[i, v])}" for v in mine) + f" vs init_rand "
            f"{g(sparse.loc[i, 'init_rand'])}" for i, n in zip(sparse.index, sparse["n"])) + note
        rows.append(RANDOM_MASK.decided(who, figure, measured, bool(wins.all())))
    return rows or [RANDOM_MASK.undecided("", figure, "no FFNN or CNN runs")]


RESCNN = Claim(
    statement="ResCNN tickets are independent of the initial parameters and of the mask",
    paper="Fig. 1c: the ResCNN's performance is 'fairly independent of both the initial parameters "
          "and the learned masks'",
    expected=(f"T(theta_init, m_imp), T(theta_rand, m_imp) and T(theta_init, m_rand) within a factor "
              f"{TICKET_AGREE_FACTOR:g} of each other (largest / smallest eps_rel) at every ticket iteration below "
              f"the high-error plateau, at least {SPARSE_TICKETS} of them"),
    basis=f"factor {TICKET_AGREE_FACTOR:g}: ours, the same as for 'the tickets agree'",
)


def rescnn_tickets_independent(tables: FigureTables, spec: dict, figure: str = "fig1") -> list[dict]:
    """ResCNN: all three ticket types reach alike errors (initialisation and mask do not matter)."""
    variants = ["init_imp", "rand_imp", "init_rand"]
    rows = []
    for run, who in runs_of(tables, spec, ("rescnn",)):
        wide = ticket_values(tables, run)
        if wide.empty or not set(variants) <= set(wide):
            rows.append(RESCNN.undecided(who, figure, "needs all three ticket types"))
            continue
        alike, note = below_plateau(tables, run, wide[(wide[variants] > 0).all(axis=1)], variants)
        if len(alike) < SPARSE_TICKETS:
            rows.append(RESCNN.undecided(who, figure, f"{len(alike)} ticket iteration(s) below the high-error "
                                                      f"plateau; need {SPARSE_TICKETS}{note}"))
            continue
        spread = alike[variants].max(axis=1) / alike[variants].min(axis=1)
        measured = f"{which(wide.attrs['exact'])}: " + "; ".join(
            f"n = {n:g}: " + ", ".join(f"{v} {g(alike.loc[i, v])}" for v in variants) + f" (spread {s:.2f})"
            for i, n, s in zip(alike.index, alike["n"], spread)) + note
        rows.append(RESCNN.decided(who, figure, measured, bool((spread <= TICKET_AGREE_FACTOR).all())))
    return rows or [RESCNN.undecided("", figure, "no ResCNN runs")]


#: what the paper's Fig. 5 shows for each comparison ("better": IMP-WR reaches lower errors)
ALTERNATIVES = {"imp_ct": "IMP-CT", "irp_wr": "IRP-WR"}
ALTERNATIVE = Claim(
    statement="IMP-WR reaches lower errors than {other}",
    paper="Appendix, Fig. 5: IMP with weight rewinding reaches lower errors than IMP with continued training and "
          "than random pruning with rewinding",
    expected=(f"IMP-WR distinctly better: one-sided sign test over the common n at level {SIGN_TEST_LEVEL:g}, "
              f"counting only pairs that differ by more than {DIFFERENCE_SIGMAS:g} combined standard errors "
              "(exact errors: every pair); 'not distinct' and 'other better' fail"),
    basis=f"level {SIGN_TEST_LEVEL:g} and {DIFFERENCE_SIGMAS:g} sigma: ours (a standard test; the paper states none)",
)


def imp_wr_beats_alternatives(tables: FigureTables, spec: dict, figure: str = "fig5") -> list[dict]:
    """IMP-WR reaches lower errors than IMP-CT and IRP-WR, decided by a sign test (Fig. 5)."""
    rows = []
    for run in tables.run_names(spec):
        who = subject(tables, run)
        wr = pruned(path(tables, run, "imp_wr"))
        for other, words in ALTERNATIVES.items():
            claim = Claim(ALTERNATIVE.statement.format(other=words), ALTERNATIVE.paper, ALTERNATIVE.expected,
                          ALTERNATIVE.basis)
            common = wr.merge(pruned(path(tables, run, other)), on="n", suffixes=("_wr", "_other"))
            if len(common) < MIN_PATH_POINTS:
                rows.append(claim.undecided(who, figure, f"{len(common)} common n (IMP-WR and {words}); "
                                                         f"need {MIN_PATH_POINTS}"))
                continue
            margin = DIFFERENCE_SIGMAS * np.hypot(common["error_wr"], common["error_other"])
            better = int((common["value_wr"] < common["value_other"] - margin).sum())
            worse = int((common["value_other"] < common["value_wr"] - margin).sum())
            p_better, p_worse = sign_test(better, worse), sign_test(worse, better)
            verdict = ("IMP-WR better" if p_better < SIGN_TEST_LEVEL else
                       f"{words} better" if p_worse < SIGN_TEST_LEVEL else "not distinct")
            measured = (f"{verdict}: IMP-WR lower on {better}, {words} lower on {worse}, within the noise "
                        f"{len(common) - better - worse} of {len(common)} common n; sign test p = {p_better:.2g}")
            rows.append(claim.decided(who, figure, measured, verdict == "IMP-WR better"))
    return rows or [ALTERNATIVE.undecided("", figure, "no runs")]


VARIANCE = Claim(
    statement="the energy variance scales like the energy error",
    paper="Appendix B, Fig. 6: sigma^2/N against n follows the error curves",
    expected=(f"along the IMP-WR path: Spearman rank correlation of sigma^2/N with Delta E/N >= "
              f"{VARIANCE_RANK_MIN:g} and fitted exponent s of sigma^2/N ~ (Delta E/N)^s in "
              f"[{VARIANCE_EXPONENT[0]:g}, {VARIANCE_EXPONENT[1]:g}]"),
    basis="s = 1 when one set of excitations dominates (sigma^2 ~ gap Delta E); the range and the 0.8: ours",
)


def variance_follows_error(tables: FigureTables, spec: dict, figure: str = "fig6") -> list[dict]:
    """sigma^2/N follows Delta E/N along each pruning path (Fig. 6)."""
    rows = []
    for run in tables.run_names(spec):
        who = subject(tables, run)
        var = path(tables, run, column="variance_per_spin")
        err = path(tables, run, column="delta_e_per_spin")
        both = var.merge(err, on="iteration", suffixes=("_var", "_err"))
        both = both[(both["value_var"] > 0) & (both["value_err"] > 0)]
        if len(both) < MIN_PATH_POINTS:
            rows.append(VARIANCE.undecided(who, figure, f"{len(both)} points with variance and error; "
                                                        f"need {MIN_PATH_POINTS}"))
            continue
        rank = float(both["value_var"].corr(both["value_err"], method="spearman"))
        slope = float(np.polyfit(np.log(both["value_err"]), np.log(both["value_var"]), 1)[0])
        measured = (f"{len(both)} points ({which(var.attrs['exact'], 'variance')}): Spearman {rank:.2f}, "
                    f"exponent s = {slope:.2f}")
        lo, hi = VARIANCE_EXPONENT
        rows.append(VARIANCE.decided(who, figure, measured, rank >= VARIANCE_RANK_MIN and lo <= slope <= hi))
    return rows or [VARIANCE.undecided("", figure, "no runs")]


BEYOND_DMRG = Claim(
    statement="dense ResCNNs reach a lower energy than DMRG",
    paper="Fig. 1 inset: dense ResCNNs reach a lower energy than DMRG with chi = 3000 (10x10 at kappa_c)",
    expected=f"the lowest dense ResCNN energy below the DMRG energy by more than {VARIATIONAL_SIGMAS:g} standard errors",
    basis=f"{VARIATIONAL_SIGMAS:g} sigma: the variational check's rule. A DMRG energy converged at the run's own "
          "field should make this fail (docs/science.md, the kappa_c reference)",
)


def dense_rescnn_below_dmrg(tables: FigureTables, spec: dict, figure: str = "fig1") -> list[dict]:
    """Dense ResCNNs against the DMRG reference of their lattice (paper scale)."""
    d = tables.dense
    if d is None or d.empty or "network" not in d:
        return [BEYOND_DMRG.undecided("", figure, "no dense rows")]
    source = d.get("record_source", d.get("reference_source", pd.Series("", index=d.index))).astype(str)
    record = numeric(d, "record_energy") if "record_energy" in d else numeric(d, "reference_energy")
    rescnn = d[(d["network"].astype(str).str.lower() == "rescnn") & source.str.startswith("dmrg")]
    if rescnn.empty:
        return [BEYOND_DMRG.undecided("", figure, "no dense ResCNN with a DMRG reference (needs paper scale: "
                                                  "10x10 at kappa_c, the paper preset)")]
    rows = []
    for system, part in rescnn.groupby(rescnn["system"] if "system" in rescnn else rescnn["run"]):
        best = part.loc[numeric(part, "energy").idxmin()]
        e_dmrg = float(record[best.name])
        sigma = float(best["energy_error"]) if is_finite(best.get("energy_error")) else 0.0
        gap = e_dmrg - float(best["energy"])
        measured = (f"best ResCNN E = {g(best['energy'], 9)} ± {g(sigma, 2)} vs DMRG {g(e_dmrg, 9)} "
                    f"({gap / sigma:+.1f} sigma)" if sigma > 0 else f"best ResCNN E = {g(best['energy'], 9)} vs "
                    f"DMRG {g(e_dmrg, 9)}")
        rows.append(BEYOND_DMRG.decided(str(system), figure, measured, gap > VARIATIONAL_SIGMAS * sigma))
    return rows
