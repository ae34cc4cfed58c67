"""Fig. 3: finite-size scaling at kappa_c against weights per spin: error, neighbour fidelity,
M_z and M_x."""

from __future__ import annotations

from ..analysis import DIP_CONTRAST, DIP_MIN_INFIDELITY, DIP_SIGMAS
from ..results import error_values, fmt, has_exact, network_label, numeric
from .shared import fidelity_panel, ordered, paper_behind, suptitle
from .style import (
    DELTA_LABEL,
    RHO_LABEL,
    figure_legend,
    figure_with_panels,
    guarded,
    legend_rows,
    logscale,
    note,
    palette,
    series,
)


def draw(tables, spec, options):
    runs = ordered(tables.run_names(spec), tables, "L")
    colors = dict(zip(runs, palette(options, len(runs))))
    labels = {}
    for r in runs:
        i = tables.run_info(r)
        labels[r] = f"L = {fmt(i.get('L'))} (N = {fmt(i.get('N'))})" if i else str(r)
    figure, axes = figure_with_panels(4, ncols=2, size=(4.6, 3.2), legend_rows=legend_rows(len(runs) + 1, 4))
    minima = []

    def delta(ax):
        drawn = False
        for r in runs:
            paper_behind(ax, "fig3", tables.run_info(r), colors[r], panel="a")
            h = tables.history(r)
            if not h.empty:
                info = tables.run_info(r)
                drawn |= series(ax, numeric(h, "rho"), *error_values(h, "delta_e_per_spin", info),
                                 logx=True, logy=True, color=colors[r], marker="o", label=labels[r])
        logscale(ax)
        ax.set_xlabel(RHO_LABEL)
        ax.set_ylabel(DELTA_LABEL)
        if not drawn:
            note(ax, "no IMP-WR histories")

    def fidelity(ax):
        minima.extend(fidelity_panel(ax, tables, runs, colors, labels, paper=("fig3", "b")))

    def magnetisation(ax, col):
        drawn, kinds = False, set()
        for r in runs:
            paper_behind(ax, "fig3", tables.run_info(r), colors[r], panel={"mz": "c", "mx": "d"}[col])
            h = tables.history(r)
            if not h.empty:
                exact = has_exact(h, col)  # the network's exact value where every row has one
                kinds.add(exact)
                values, errors = ((numeric(h, f"exact_{col}"), None) if exact else
                                  (numeric(h, col), numeric(h, f"{col}_error")))
                drawn |= series(ax, numeric(h, "rho"), values, errors, logx=True, color=colors[r], marker="o",
                                label=labels[r])
        logscale(ax, x=True, y=False)
        ax.set_xlabel(RHO_LABEL)
        sym = {"mz": "z", "mx": "x"}[col]
        which = {frozenset({True}): " (exact)", frozenset({False}): " (Monte Carlo)"}.get(frozenset(kinds), "")
        ax.set_ylabel(rf"magnetisation $M_{sym} = \langle \Sigma_i \sigma^{sym}_i \rangle / N$" + which)
        if not drawn:
            note(ax, f"no M_{sym} data")

    guarded(axes[0], delta)
    guarded(axes[1], fidelity)
    guarded(axes[2], magnetisation, "mz")
    guarded(axes[3], magnetisation, "mx")
    titles = ["(a) absolute error per spin", "(b) fidelity between neighbouring pruned states",
              "(c) longitudinal magnetisation $M_z$", "(d) transverse magnetisation $M_x$"]
    for ax, title in zip(axes, titles):
        ax.set_title(title, loc="left")
    rho_cs = [m["rho_c"] for m in minima if m["dip"]]
    if rho_cs:
        lo, hi = min(rho_cs), max(rho_cs)
        label = (r"$\rho_c$ (fidelity dips): " + (f"{lo:.3g}" if lo == hi else f"{lo:.3g}–{hi:.3g}"))
        for k, ax in enumerate(axes):
            if lo == hi:
                ax.axvline(lo, color="0.3", linestyle=":", linewidth=1.0, zorder=0, label=label if k == 0 else None)
            else:
                ax.axvspan(lo, hi, color="0.85", alpha=0.6, zorder=0, linewidth=0, label=label if k == 0 else None)
    figure_legend(figure, axes, ncol=4)
    nets = ", ".join(sorted({network_label(tables.run_info(r), r) for r in runs})) or "no runs"
    suptitle(figure, f"Finite-size scaling of IMP-WR-pruned networks ({nets}) vs. weights per spin", tables, runs)
    return figure


CAPTION = ("Finite-size scaling of IMP-WR-pruned FFNNs at kappa_c versus the number of weights per spin "
           "rho = n/N, one colour per lattice size: (a) absolute error per spin, (b) fidelity between "
           "neighbouring pruned states (plotted at rho of the denser state; stars mark each minimum, "
           "the grey band the range of the minima that are dips, rho_c: 1 - F at least "
           f"{DIP_CONTRAST:g}x the median 1 - F of the path, {DIP_SIGMAS:g} standard errors and "
           f"{DIP_MIN_INFIDELITY:g}), (c) longitudinal magnetisation M_z and (d) transverse magnetisation M_x "
           "(signed, per spin). Exact values of the trained networks (full summation) where the lattice "
           "fits evaluation.exact_memory_mb, else Monte Carlo estimates; the axis labels say which.")
