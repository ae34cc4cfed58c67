"""The RBM family's claims (Golubeva and Melko 2022, section III; docs/rbm.md, "Claims"), and the main
paper's lottery-ticket questions asked of the RBM, checked on :class:`sparse_nqs.figures.rbm.RBMTables`.

"Damage" is the source's "rises": an error measure beyond its noise, sustained. The noise of a
measure is measured on the dense RBM itself, from its logged values over the last
:data:`NOISE_FRACTION` of pre-training (where the source finds every metric equilibrated), by the
successive-difference estimator sigma^2 = mean((x_{k+1} - x_k)^2) / 2, which a slow drift of a still
improving RBM does not inflate (a plain standard deviation would count the drift as noise). It holds
the fluctuation of CD training and, for the sampled measures (eROE, mROE, C_MSE), their sampling noise
at the log's sample count (``evaluation.log_samples``, 10x fewer than an evaluation: an upper bound on
the evaluation rows' noise). A measure is damaged from the first pruned fraction
from which it stays above its dense value + :data:`NOISE_SIGMAS` noise in every later round (single
rounds of a sampled measure cross and fall back). Without a pre-training log the threshold is
:data:`DAMAGE_FACTOR` times the dense value, and the claim says so. KL divergences and 1 - F are exact.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import binomtest, spearmanr

from ..figures.rbm import RBMTables, neighbour_fidelities, ticket_log
from .common import TICKET_AGREE_FACTOR, Claim, g

#: the last part of pre-training whose logged values measure a measure's noise (500 epochs, a row
#: every 25: the last 8 rows)
NOISE_FRACTION = 0.4
#: a rise beyond the noise: dense value + this many standard deviations (one-sided 0.13% for a
#: normal scatter, so 18 rounds of 5 measures give no false damage by chance)
NOISE_SIGMAS = 3.0
#: the threshold without a pre-training log: this many times the dense value
DAMAGE_FACTOR = 2.0
#: the measures of the source's Fig. 2
MEASURES = ("kl_exact", "infidelity", "eroe", "mroe", "c_mse")
#: the pruned fractions of the source's 10% schedule lie 2.5-3 points apart near 75%: "about 75%" is
#: read as at least one step below, 71.8% (iteration 12)
PARAMAGNET_DAMAGE_FRACTION = 0.718
#: "only about 25% can be removed" at h = 1 (the thesis: "about 50% remaining"): damage at most at the
#: schedule's fraction nearest the thesis' 50%, 52.2% pruned (iteration 6, 47.8% remaining)
CRITICAL_DAMAGE_FRACTION = 0.522
#: the source's numbers, for the measured column
SOURCE_FRACTIONS = {1.0: "about 25% (thesis: about 50%)", 2.0: "about 75%"}
#: "far more sensitive": the relative rise (sparsest / dense) at least this many times eROE's
SENSITIVITY_RATIO = 3.0
#: "correlate positively with KL": Spearman rank correlation over the path at least this
MIN_CORRELATION = 0.5
#: a neighbour-fidelity "drop": the largest 1 - F at least this many times the median 1 - F
FIDELITY_DROP_RATIO = 5.0
#: "converges fastest": KL within this factor of the slowest variant's final value (a target all reach)
CONVERGED_FACTOR = 1.1


def _path(tables: RBMTables, run: str) -> pd.DataFrame:
    methods = tables.settings[run]["pruning"]["methods"]
    return tables.path(run, methods[0]) if methods else pd.DataFrame()


def measure_noise(tables: RBMTables, run: str, measure: str) -> float:
    """The noise of ``measure`` over the last NOISE_FRACTION of the run's pre-training log, by the
    successive-difference estimator sqrt(mean(diff^2) / 2) (nan without a log, or with fewer than 3 rows)."""
    methods = tables.settings[run]["pruning"]["methods"]
    logs = tables.logs
    if not methods or logs.empty or measure not in logs:
        return math.nan
    log = logs[(logs.run == run) & (logs.method == methods[0]) & (logs.phase == "pretrain")]
    last = log[log.step > (1 - NOISE_FRACTION) * tables.settings[run]["pruning"]["pretrain_steps"]][measure]
    last = pd.to_numeric(last, errors="coerce").dropna()
    return float(np.sqrt(np.mean(np.diff(last.to_numpy()) ** 2) / 2)) if len(last) >= 3 else math.nan


def damage_threshold(dense: float, noise: float) -> float:
    """Above this a measure is damaged: dense + NOISE_SIGMAS noise (DAMAGE_FACTOR x dense without a noise)."""
    return dense + NOISE_SIGMAS * noise if math.isfinite(noise) else DAMAGE_FACTOR * dense


def damage_fraction(path: pd.DataFrame, measure: str, noise: float = math.nan) -> float:
    """The first pruned fraction from which ``measure`` stays above :func:`damage_threshold` to the
    end of the path (inf: never; nan: not measured)."""
    if path.empty or measure not in path or not np.isfinite(path[measure].iloc[0]):
        return math.nan
    above = (path[measure] > damage_threshold(float(path[measure].iloc[0]), noise)).to_numpy()
    stays = np.logical_and.accumulate(above[::-1])[::-1]  # above here and in every later round
    damaged = path[stays & (path.iteration >= 0).to_numpy()]
    return float(damaged.pruned.min()) if not damaged.empty else math.inf


def first_damage(tables: RBMTables, run: str, measures=MEASURES) -> tuple[float, str, str]:
    """(the smallest damage fraction over ``measures``, the measure, the threshold's basis) of a run."""
    path = _path(tables, run)
    found = []
    for m in measures:
        noise = measure_noise(tables, run, m)
        fraction = damage_fraction(path, m, noise)
        if not math.isnan(fraction):
            found.append((fraction, m, noise))
    if not found:
        return math.nan, "", ""
    fraction, measure, noise = min(found, key=lambda f: f[0])
    noisy = sum(math.isfinite(n) for _, _, n in found)
    basis = (f"noise of {noisy} of {len(found)} measures from pre-training" if noisy
             else f"no pre-training log: {DAMAGE_FACTOR:g}x dense")
    return fraction, measure, basis


def fraction_words(value: float, end: float) -> str:
    return f"{value:.1%}" if math.isfinite(value) else f"none up to {end:.1%}"


def _by_field(tables: RBMTables, runs: list[str]) -> dict:
    """field -> the first of ``runs`` at that field (a figure may show more, e.g. another schedule)."""
    out = {}
    for run in runs:
        out.setdefault(tables.settings[run]["model"]["h"], run)
    return out


CRITICAL_FIRST = Claim(
    "The critical point (h = 1) is damaged at a smaller pruned fraction than the paramagnet (h = 2), "
    "which loses nothing until about 75% of the weights are removed, while only about 25-50% can be removed "
    "at h = 1",
    "Golubeva & Melko, Fig. 2 and Sec. III.A: 'no error measure rises until about 75% ... only about 25% can be "
    "removed' at h = 1 (the thesis: about 50% remaining)",
    f"first pruned fraction with a measure rising beyond {NOISE_SIGMAS:g} noise (sustained): h = 1 <= "
    f"{CRITICAL_DAMAGE_FRACTION:.1%} and < h = 2; h = 2 >= {PARAMAGNET_DAMAGE_FRACTION:.1%}",
    f"the source's 75% less one 10% step; its 25% and the thesis' 50%, read at the schedule's step nearest 50%; "
    f"the noise: successive differences of the last {NOISE_FRACTION:.0%} of pre-training's logged values")


def critical_damaged_first(tables: RBMTables, spec: dict, fig: str) -> list[dict]:
    runs = _by_field(tables, spec.get("runs", []))
    if not {1.0, 2.0} <= set(runs):
        return [CRITICAL_FIRST.undecided("", fig, "needs runs at h = 1 and h = 2 in the figure")]
    paths = {h: _path(tables, runs[h]) for h in (1.0, 2.0)}
    if any(p.empty for p in paths.values()):
        return [CRITICAL_FIRST.undecided("", fig, "a pruning path is missing")]
    first = {h: first_damage(tables, runs[h]) for h in (1.0, 2.0)}
    end = {h: float(paths[h].pruned.max()) for h in (1.0, 2.0)}
    measured = "; ".join(
        f"h = {h:g}: {fraction_words(first[h][0], end[h])} pruned{f' ({first[h][1]})' if first[h][1] else ''}, "
        f"source {SOURCE_FRACTIONS[h]}" for h in (1.0, 2.0)) + f"; threshold: {first[1.0][2]}"
    subject = f"N = {tables.settings[runs[1.0]]['model']['N']}"
    f1, f2 = first[1.0][0], first[2.0][0]
    if not math.isfinite(f1) and min(end.values()) < PARAMAGNET_DAMAGE_FRACTION:
        return [CRITICAL_FIRST.undecided(subject, fig, measured + ": the paths stop before either is damaged "
                                         f"and before {PARAMAGNET_DAMAGE_FRACTION:.1%} (the source's 18 rounds)")]
    return [CRITICAL_FIRST.decided(subject, fig, measured,
                                   f1 <= CRITICAL_DAMAGE_FRACTION and f1 < f2 and f2 >= PARAMAGNET_DAMAGE_FRACTION)]


ORDER_PARAMETER = Claim(
    "The order parameter is the most sensitive measure: mROE and C_MSE rise far more than eROE, and every "
    "measure correlates positively with KL",
    "Golubeva & Melko, Fig. 2 and Appendix (Fig. 6)",
    f"(sparsest / dense) of mROE and C_MSE >= {SENSITIVITY_RATIO:g}x eROE's; Spearman(measure, KL) >= "
    f"{MIN_CORRELATION:g} for each",
    "ours: 'far more' as a factor 3; a rank correlation, as the source shows monotone trends")


def order_parameter_most_sensitive(tables: RBMTables, spec: dict, fig: str) -> list[dict]:
    runs = _by_field(tables, spec.get("runs", []))
    if 1.0 not in runs:
        return [ORDER_PARAMETER.undecided("", fig, "needs a run at h = 1")]
    path = _path(tables, runs[1.0])
    if len(path) < 4:
        return [ORDER_PARAMETER.undecided("", fig, "fewer than 3 pruning rounds")]
    rise = {m: path[m].iloc[-1] / path[m].iloc[0] for m in ("eroe", "mroe", "c_mse")}
    rho = {m: spearmanr(path.kl_exact, path[m]).statistic for m in ("infidelity", "eroe", "mroe", "c_mse")}
    ok = min(rise["mroe"], rise["c_mse"]) >= SENSITIVITY_RATIO * rise["eroe"] and min(rho.values()) >= MIN_CORRELATION
    measured = (", ".join(f"{m} x{g(v)}" for m, v in rise.items()) + "; Spearman with KL: "
                + ", ".join(f"{m} {g(v, 2)}" for m, v in rho.items()))
    return [ORDER_PARAMETER.decided("h = 1", fig, measured, ok)]


HISTOGRAM = Claim(
    "With pruning at h = 1 the m histogram turns from two peaks near +-0.75 into one peak at 0",
    "Golubeva & Melko, Fig. 3",
    "dense RBM's mode at |m| >= 0.5; the sparsest RBM's mode at |m| <= 2/N",
    "the source's peaks at about +-0.75; 2/N: one magnetisation step either side of 0")


def histogram_turns_unimodal(tables: RBMTables, spec: dict, fig: str) -> list[dict]:
    runs = _by_field(tables, spec.get("runs", []))
    if 1.0 not in runs:
        return [HISTOGRAM.undecided("", fig, "needs a run at h = 1")]
    path = _path(tables, runs[1.0])
    N = tables.settings[runs[1.0]]["model"]["N"]
    columns = [f"hist_{k}" for k in range(N + 1)]
    if path.empty or not set(columns) <= set(path):
        return [HISTOGRAM.undecided("", fig, "no pruning path")]
    m = -1 + 2 * np.arange(N + 1) / N
    first, last = (m[int(np.argmax(path[columns].iloc[k].to_numpy(float)))] for k in (0, -1))
    measured = f"mode |m| {abs(first):.2f} dense, {abs(last):.2f} at {path.pruned.iloc[-1]:.0%} pruned"
    return [HISTOGRAM.decided(f"N = {N}", fig, measured, abs(first) >= 0.5 and abs(last) <= 2 / N + 1e-12)]


LARGER_N = Claim(
    "Larger N needs a larger pruned fraction for the same damage to C(d)",
    "Golubeva & Melko, Fig. 4",
    f"first pruned fraction with C_MSE beyond {NOISE_SIGMAS:g} noise (sustained) non-decreasing in N (h = 1)",
    "damage as for the phase claim (noise from each run's pre-training)")


def larger_systems_prune_further(tables: RBMTables, spec: dict, fig: str) -> list[dict]:
    runs = sorted((r for r in spec.get("runs", []) if tables.settings[r]["model"]["h"] == 1.0),
                  key=lambda r: tables.settings[r]["model"]["N"])
    if len(runs) < 2:
        return [LARGER_N.undecided("", fig, "needs runs at two or more N (h = 1)")]
    paths = [_path(tables, r) for r in runs]
    if any(p.empty for p in paths):
        return [LARGER_N.undecided("", fig, "a pruning path is missing")]
    fractions = [first_damage(tables, r, ("c_mse",))[0] for r in runs]
    measured = ", ".join(f"N = {tables.settings[r]['model']['N']}: {fraction_words(f, p.pruned.max())}"
                         for r, f, p in zip(runs, fractions, paths))
    if not any(math.isfinite(f) for f in fractions):
        return [LARGER_N.undecided("h = 1", fig, measured + ": no run's C(d) is damaged along its path")]
    return [LARGER_N.decided("h = 1", fig, measured, all(a <= b for a, b in zip(fractions, fractions[1:])))]


TRAINABLE = Claim(
    "Sparse RBMs are trainable: sp/ss, sp/os and sc reach errors comparable to the pruned RBM",
    "Golubeva & Melko, Sec. III.B and Fig. 5",
    f"final KL of each within {TICKET_AGREE_FACTOR:g}x of the pruned-and-fine-tuned RBM's at the same iteration",
    "the main study's ticket factor (scatter of independent trainings)")


def sparse_rbms_train(tables: RBMTables, spec: dict, fig: str) -> list[dict]:
    rows = []
    for run in spec.get("runs", []):
        tickets = tables.tickets[tables.tickets.run == run] if not tables.tickets.empty else pd.DataFrame()
        tickets = tickets[tickets.variant.isin(["init_imp", "rand_imp", "cluster"])] if not tickets.empty else tickets
        path = tables.path(run, tables.settings[run]["tickets"]["mask_method"])
        if tickets.empty or path.empty:
            rows.append(TRAINABLE.undecided(tables.label(run), fig, "no sp/ss, sp/os or sc tickets"))
            continue
        i = int(tickets.iteration.min())
        pruned = float(path[path.iteration == i].kl_exact.iloc[0])
        at = tickets[tickets.iteration == i].set_index("variant").kl_exact
        ratio = {v: max(k / pruned, pruned / k) for v, k in at.items()}
        measured = f"pruned KL {g(pruned)} at {path[path.iteration == i].pruned.iloc[0]:.0%} pruned; " + \
            ", ".join(f"{v} {g(at[v])}" for v in at.index)
        rows.append(TRAINABLE.decided(tables.label(run), fig, measured, max(ratio.values()) <= TICKET_AGREE_FACTOR))
    return rows


SS_FASTEST = Claim(
    "sp/ss converges fastest of the sparse RBMs",
    "Golubeva & Melko, Fig. 5",
    f"first logged epoch with KL <= {CONVERGED_FACTOR:g}x the largest final KL of the three (a level all reach): "
    "sp/ss earlier than sp/os and sc; the same epoch is a tie (undecided at the log's resolution)",
    "ours: a convergence time read off the logged curves against one common level; the log's spacing is the "
    "resolution")


def epochs_to_level(log: pd.DataFrame, level: float) -> float:
    """The first logged epoch with KL <= ``level`` (inf: never)."""
    near = log[log.kl_exact <= level]
    return float(near.step.min()) if not near.empty else math.inf


def sp_ss_fastest(tables: RBMTables, spec: dict, fig: str) -> list[dict]:
    rows = []
    variants = ("init_imp", "rand_imp", "cluster")
    for run in spec.get("runs", []):
        tickets = tables.tickets[tables.tickets.run == run] if not tables.tickets.empty else pd.DataFrame()
        if tickets.empty or not set(variants) <= set(tickets.variant):
            rows.append(SS_FASTEST.undecided(tables.label(run), fig, "needs sp/ss, sp/os and sc tickets"))
            continue
        i = int(tickets.iteration.min())
        logs = {v: ticket_log(tables, run, v, i) for v in variants}
        if any(log.empty for log in logs.values()):
            rows.append(SS_FASTEST.undecided(tables.label(run), fig, "a ticket's training log is missing"))
            continue
        level = CONVERGED_FACTOR * max(float(log.kl_exact.iloc[-1]) for log in logs.values())
        epochs = {v: epochs_to_level(log, level) for v, log in logs.items()}
        spacing = int(tables.settings[run]["evaluation"]["log_every"])
        measured = (f"epochs to KL <= {g(level)}: " + ", ".join(f"{v} {e:g}" for v, e in epochs.items())
                    + f" (logged every {spacing})")
        others = min(epochs["rand_imp"], epochs["cluster"])
        if epochs["init_imp"] == others:
            rows.append(SS_FASTEST.undecided(tables.label(run), fig, measured + ": a tie at the log's resolution"))
            continue
        rows.append(SS_FASTEST.decided(tables.label(run), fig, measured, epochs["init_imp"] < others))
    return rows


SS_BELOW_DENSE = Claim(
    "In the paramagnet sp/ss reaches a lower KL than the dense RBM",
    "Golubeva & Melko, Fig. 5 (h = 2)",
    "final KL of T(theta_init, m_imp) < the dense RBM's",
    "the source's statement as it stands")


def sp_ss_below_dense_in_paramagnet(tables: RBMTables, spec: dict, fig: str) -> list[dict]:
    runs = _by_field(tables, spec.get("runs", []))
    if 2.0 not in runs:
        return [SS_BELOW_DENSE.undecided("", fig, "needs a run at h = 2")]
    run = runs[2.0]
    tickets = tables.tickets[(tables.tickets.run == run) & (tables.tickets.variant == "init_imp")] \
        if not tables.tickets.empty else pd.DataFrame()
    path = _path(tables, run)
    if tickets.empty or path.empty:
        return [SS_BELOW_DENSE.undecided(tables.label(run), fig, "needs the dense RBM and an sp/ss ticket")]
    dense, ss = float(path.kl_exact.iloc[0]), float(tickets.sort_values("iteration").kl_exact.iloc[0])
    return [SS_BELOW_DENSE.decided(tables.label(run), fig, f"sp/ss {g(ss)}, dense {g(dense)}", ss < dense)]


REWINDING = Claim(
    "IMP-WR (rewinding) reaches a lower KL than IMP-CT (fine-tuning) along the path (the main paper's claim, "
    "asked of the RBM)",
    "main paper, Fig. 5 (for VMC); not studied by the source",
    "one-sided sign test over the pruning rounds at 5%",
    "the main paper's comparison; rounds are paired by iteration")


def rewinding_beats_fine_tuning(tables: RBMTables, spec: dict, fig: str) -> list[dict]:
    rows = []
    for run in spec.get("runs", []):
        wr, ct = tables.path(run, "imp_wr"), tables.path(run, "imp_ct")
        if wr.empty or ct.empty:
            rows.append(REWINDING.undecided(tables.label(run), fig, "needs imp_wr and imp_ct paths"))
            continue
        both = wr.merge(ct, on="iteration", suffixes=("_wr", "_ct"))
        both = both[(both.iteration > 0) & (both.kl_exact_wr != both.kl_exact_ct)]
        wins = int((both.kl_exact_wr < both.kl_exact_ct).sum())
        p = binomtest(wins, len(both), alternative="greater").pvalue if len(both) else 1.0
        measured = f"IMP-WR lower in {wins} of {len(both)} rounds (p = {g(p, 2)})"
        rows.append(REWINDING.decided(tables.label(run), fig, measured, p < 0.05))
    return rows


TICKETS_AGREE = Claim(
    "T(theta_init, m_imp) and T(theta_rand, m_imp) agree, and both beat T(theta_init, m_rand)",
    "main paper, Fig. 1 (for VMC); the source's sp/ss and sp/os at 60%",
    f"KL of init_imp and rand_imp within {TICKET_AGREE_FACTOR:g}x; both below init_rand, at every ticket iteration",
    "the main study's ticket factor")


def rbm_tickets_agree(tables: RBMTables, spec: dict, fig: str) -> list[dict]:
    rows = []
    for run in spec.get("runs", []):
        tickets = tables.tickets[tables.tickets.run == run] if not tables.tickets.empty else pd.DataFrame()
        if tickets.empty or not {"init_imp", "rand_imp", "init_rand"} <= set(tickets.variant):
            rows.append(TICKETS_AGREE.undecided(tables.label(run), fig, "needs init_imp, rand_imp and init_rand"))
            continue
        wide = tickets.pivot_table(index="iteration", columns="variant", values="kl_exact")
        agree = (np.maximum(wide.init_imp / wide.rand_imp, wide.rand_imp / wide.init_imp) <= TICKET_AGREE_FACTOR)
        beat = (wide.init_imp < wide.init_rand) & (wide.rand_imp < wide.init_rand)
        measured = "; ".join(f"iteration {i}: {g(r.init_imp)}, {g(r.rand_imp)} vs random {g(r.init_rand)}"
                             for i, r in wide.iterrows())
        rows.append(TICKETS_AGREE.decided(tables.label(run), fig, measured, bool(agree.all() and beat.all())))
    return rows


FIDELITY_DROP = Claim(
    "The fidelity between neighbouring pruned RBMs drops sharply at one point of the path, as for the VMC networks",
    "main paper, Figs. 3 and 4 (for VMC)",
    f"largest 1 - F between neighbouring rounds >= {FIDELITY_DROP_RATIO:g}x the median 1 - F",
    "ours: a drop, not a uniform decline")


def rbm_fidelity_drop(tables: RBMTables, spec: dict, fig: str) -> list[dict]:
    rows = []
    for run in spec.get("runs", []):
        for method in tables.settings[run]["pruning"]["methods"]:
            fid = neighbour_fidelities(tables, run, method)
            if len(fid) < 4:
                rows.append(FIDELITY_DROP.undecided(f"{tables.label(run)}, {method}", fig,
                                                    "exact fidelities need N <= 20 and 4 or more rounds"))
                continue
            loss = 1 - fid.fidelity
            k = int(np.argmax(loss.to_numpy()))
            measured = f"largest 1 - F {g(loss.iloc[k])} at {fid.pruned.iloc[k]:.0%} pruned, median {g(loss.median())}"
            rows.append(FIDELITY_DROP.decided(f"{tables.label(run)}, {method}", fig, measured,
                                              loss.iloc[k] >= FIDELITY_DROP_RATIO * loss.median()))
    return rows


#: (check, RBM figure whose tables decide it), in report order
RBM_CLAIMS = [
    (critical_damaged_first, "rbm_fig2"),
    (order_parameter_most_sensitive, "rbm_fig2"),
    (histogram_turns_unimodal, "rbm_fig3"),
    (larger_systems_prune_further, "rbm_fig4"),
    (sparse_rbms_train, "rbm_fig5"),
    (sp_ss_fastest, "rbm_fig5"),
    (sp_ss_below_dense_in_paramagnet, "rbm_fig5"),
    (rewinding_beats_fine_tuning, "rbm_lth"),
    (rbm_tickets_agree, "rbm_lth"),
    (rbm_fidelity_drop, "rbm_lth"),
]
