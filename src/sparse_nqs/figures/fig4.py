"""Fig. 4: the toric code: lottery-ticket test, neighbour fidelity, odd-parity filter coverage and
the weights of single neurons on their plaquette."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from ..names import TORIC_RHO_C
from ..results import fmt, is_finite, network_label, numeric, select_rows
from .shared import fidelity_panel, lth_panel, ordered, suptitle
from .style import (
    RHO_LABEL,
    figure_legend,
    figure_with_panels,
    guarded,
    legend,
    logscale,
    note,
    palette,
    series,
)

#: Fig. 4(a): the toric-code lottery-ticket test uses alpha = 8 (docs/science.md, "Hyperparameters")
TORIC_LTH_ALPHA = 8.0
#: sign colours of Fig. 4(d) (diverging, colour-blind safe)
SIGN_COLORS = {1: "#b2182b", -1: "#2166ac"}
NEURON_KINDS = {"odd": "odd-parity filter", "even": "even-parity filter", "partial": "partial plaquette",
                "other": "not on one plaquette"}


def _lth_run(tables, runs):
    with_tickets = [r for r in runs if not select_rows(tables.tickets, r).empty]
    pool = with_tickets or runs
    for r in pool:
        alpha = tables.run_info(r).get("alpha")
        if is_finite(alpha) and math.isclose(float(alpha), TORIC_LTH_ALPHA):
            return r
    return pool[0] if pool else None


def _coverage_panel(ax, tables, runs, colors, labels) -> None:
    f = tables.filters
    drawn = False
    column = "coverage" if f is not None and "coverage" in f else "n_odd"
    for r in runs:
        rows = select_rows(f, r)
        if rows.empty or column not in rows:
            continue
        drawn |= series(ax, numeric(rows, "rho"), numeric(rows, column), logx=True, color=colors[r], marker="o",
                         label=labels[r])
    logscale(ax, x=True, y=False)
    ax.axvline(TORIC_RHO_C, color="black", linestyle="--", linewidth=0.9, zorder=1)
    ax.set_xlabel(RHO_LABEL)
    ax.set_ylabel("fraction of plaquettes with an\nodd-parity filter" if column == "coverage"
                  else "number of odd-parity filters")
    if not drawn:
        note(ax, "no filters table")


def _neuron_panel(ax, tables, spec) -> None:
    w = tables.weights
    ax.set_axis_off()
    if w is None or w.empty or not {"neuron", "dx", "dy", "weight"} <= set(w):
        note(ax, "no weights table")
        return
    if spec.get("weights_run") and "run" in w:
        chosen = w[w["run"].astype(str) == str(spec["weights_run"])]
        w = chosen if len(chosen) else w
    if spec.get("weights_iteration") is not None and "iteration" in w:
        chosen = w[numeric(w, "iteration") == float(spec["weights_iteration"])]
        w = chosen if len(chosen) else w
    n_max = int(spec.get("n_neurons") or 6)
    neurons = list(dict.fromkeys(w["neuron"].tolist()))[:n_max]
    ncol = min(3, len(neurons))
    spacing = 2.3
    for k, h in enumerate(neurons):
        rows = w[w["neuron"] == h]
        cx, cy = (k % ncol) * spacing, -(k // ncol) * spacing * 1.15
        dx, dy = numeric(rows, "dx"), numeric(rows, "dy")
        shrunk = False
        if dx.isna().any() or dy.isna().any():  # not on one plaquette: centre on the edges' mean position
            x, y = numeric(rows, "x"), numeric(rows, "y")
            dx, dy = (x - x.mean()).fillna(0.0), (y - y.mean()).fillna(0.0)
            extent = float(max(dx.abs().max(), dy.abs().max(), 0.5))
            if extent > 0.5:  # spread over the lattice: shrink into the cell (marked "not to scale")
                dx, dy, shrunk = dx * 0.5 / extent, dy * 0.5 / extent, True
        ax.add_patch(Rectangle((cx - 0.5, cy - 0.5), 1, 1, fill=False, edgecolor="0.75", linestyle=":",
                               linewidth=0.8))
        for sx in (-0.5, 0.5):
            for sy in (-0.5, 0.5):
                ax.plot(cx + sx, cy + sy, marker="o", markersize=2, color="0.6", zorder=1)
        weights = numeric(rows, "weight").fillna(0.0)
        signs = numeric(rows, "sign").fillna(np.sign(weights)).replace(0, 1)
        orient = rows["orientation"].astype(str) if "orientation" in rows else pd.Series("horizontal", index=rows.index)
        for ex, ey, wt, sg, o in zip(dx, dy, weights, signs, orient):
            mag = min(abs(float(wt)), 1.0)
            color = SIGN_COLORS[1 if sg >= 0 else -1]
            half = 0.2 if shrunk else 0.5
            if o == "vertical":
                xs, ys = [cx + ex, cx + ex], [cy + ey - half, cy + ey + half]
            else:
                xs, ys = [cx + ex - half, cx + ex + half], [cy + ey, cy + ey]
            ax.plot(xs, ys, color=color, linewidth=0.8 + 3.5 * mag, solid_capstyle="butt", alpha=0.35 + 0.65 * mag,
                    zorder=2)
            ax.scatter([cx + ex], [cy + ey], s=10 + 70 * mag, color=color, edgecolor="white", linewidth=0.4,
                       zorder=3)
        kind = str(rows["kind"].iloc[0]) if "kind" in rows else ""
        words = NEURON_KINDS.get(kind, kind).replace("not on one", "not on one\n") + (" (shrunk)" if shrunk else "")
        ax.text(cx, cy - 0.72, f"neuron {h}\n{words}", ha="center", va="top", fontsize=6)
    nrow = math.ceil(len(neurons) / ncol)
    ax.set_xlim(-1.0, (ncol - 1) * spacing + 1.0)
    ax.set_ylim(-(nrow - 1) * spacing * 1.15 - 1.35, 0.95)
    ax.set_aspect("equal", adjustable="box")
    handles = [Line2D([], [], color=SIGN_COLORS[1], linewidth=2.5, label="weight > 0"),
               Line2D([], [], color=SIGN_COLORS[-1], linewidth=2.5, label="weight < 0")]
    ax.legend(handles=handles, loc="upper center", fontsize="x-small", bbox_to_anchor=(0.5, 0.0), ncol=2,
              title="edges around the neuron's plaquette (dotted);\nline width and dot size ∝ |w| / max |w|",
              title_fontsize="x-small")


def draw(tables, spec, options):
    runs = ordered(tables.run_names(spec), tables, "alpha")
    colors = dict(zip(runs, palette(options, len(runs))))
    labels = {r: (f"α = {fmt(tables.run_info(r).get('alpha'))}" if is_finite(tables.run_info(r).get("alpha"))
                  else str(r)) for r in runs}
    figure, axes = figure_with_panels(4, ncols=2, size=(4.6, 3.3), legend_rows=2)
    lth = _lth_run(tables, runs)

    def panel_a(ax):
        if lth is None:
            note(ax, "no runs")
            return
        lth_panel(ax, tables, lth, x="rho", paper_figure="fig4", paper_panel="a")
        ax.set_title(f"(a) lottery-ticket test, {network_label(tables.run_info(lth), lth)}", loc="left")

    def panel_b(ax):
        fidelity_panel(ax, tables, runs, colors, labels, paper=("fig4", "b"))
        ax.axvline(TORIC_RHO_C, color="black", linestyle="--", linewidth=0.9, zorder=1,
                   label=rf"$\rho_c$ = {TORIC_RHO_C:g} ({2 * TORIC_RHO_C:g} weights per plaquette)")
        legend(ax, fontsize="x-small", loc="lower left")

    axes[0].set_title("(a) lottery-ticket test", loc="left")
    guarded(axes[0], panel_a)
    guarded(axes[1], panel_b)
    guarded(axes[2], _coverage_panel, tables, runs, colors, labels)
    guarded(axes[3], _neuron_panel, tables, spec)
    axes[1].set_title("(b) fidelity of neighbouring IMP-WR states", loc="left")
    axes[2].set_title("(c) odd-parity plaquette filters in the IMP-WR masks", loc="left")
    title_d = "(d) normalised weights of single hidden neurons"
    w = tables.weights
    if w is not None and not w.empty and "run" in w:
        wrun = spec.get("weights_run") or w["run"].iloc[0]
        title_d += f"\n{network_label(tables.run_info(wrun), wrun)}"
        iterations = numeric(w, "iteration").dropna().unique()
        iteration = iterations[0] if len(iterations) == 1 else spec.get("weights_iteration")
        if is_finite(iteration):
            title_d += f", IMP-WR iteration {float(iteration):g}"
            h = tables.history(wrun)
            rho = numeric(h, "rho")[numeric(h, "iteration") == float(iteration)]
            if len(rho) and is_finite(rho.iloc[0]):
                title_d += rf" ($\rho$ = {rho.iloc[0]:.3g})"
    axes[3].set_title(title_d, loc="left")
    figure_legend(figure, axes[:1], ncol=2)
    suptitle(figure, "Toric code: sparse FFNNs, lottery tickets and the odd-parity filters they learn",
              tables, runs)
    return figure


CAPTION = ("Toric code. (a) Lottery-ticket test: relative energy error versus weights per spin rho for the "
           "IMP-WR path and the three isolated tickets. (b) Fidelity between neighbouring IMP-WR states for "
           f"FFNN widths alpha; dashed line rho_c = {TORIC_RHO_C:g} weights per spin ({2 * TORIC_RHO_C:g} per plaquette). "
           "(c) Fraction of the "
           "plaquettes covered by odd-parity filters (hidden neurons whose surviving weights are the four edges "
           "of one plaquette with three signs of one kind and one of the other). (d) Normalised weights "
           "(width and dot size) and signs (colour) of single hidden neurons of one pruned network, drawn on the "
           "edges around their plaquette."
           " Red crosses: energies below their reference by more than 3 standard errors, which the "
           "variational principle forbids (a reference that is not this system's ground-state energy).")
