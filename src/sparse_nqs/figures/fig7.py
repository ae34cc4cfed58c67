"""Fig. 7: the untrained odd-parity construction of the toric code: energy and variance per spin
against the filter weight W."""

from __future__ import annotations

import numpy as np

from ..results import numeric
from .style import (
    E_LABEL,
    VAR_LABEL,
    figure_with_panels,
    guarded,
    legend,
    note,
    palette,
    series,
)


def draw(tables, spec, options):
    c = tables.construction
    figure, axes = figure_with_panels(2, ncols=2, size=(3.8, 3.0), legend_rows=0)
    L_of = numeric(c, "L").fillna(np.sqrt(numeric(c, "N") / 2))  # N = 2 L^2 spins on the torus
    Ls = sorted(L_of.dropna().unique())
    colors = dict(zip(Ls, palette(options, len(Ls))))

    def panel(ax, column, analytic, ylabel, reference):
        ax.set_xlabel("filter weight $W$")
        ax.set_ylabel(ylabel)
        if not Ls or column not in c or "W" not in c:
            note(ax, "no construction table")
            return
        drawn = False
        for L in Ls:
            rows = c[L_of == L]
            method = ", ".join(sorted(set(rows["method"].astype(str)))) if "method" in rows else ""
            label = f"L = {L:g} (N = {2 * L * L:g})" + (f", {method}" if method else "")
            err = numeric(rows, "energy_error") / (2 * L * L) if column == "energy_per_spin" else None
            drawn |= series(ax, numeric(rows, "W"), numeric(rows, column), err, color=colors[L], marker="o",
                            label=label)
            if analytic in rows:
                series(ax, numeric(rows, "W"), numeric(rows, analytic), color=colors[L], marker="", linestyle="--",
                        linewidth=0.8, label=None)
                ax.plot([], [], color="0.3", linestyle="--", linewidth=0.8, label="closed form")
        if reference is not None:
            ax.axhline(reference, color="black", linestyle=":", linewidth=1.0, zorder=1,
                       label="toric-code ground state $E/N = -1$")
        else:
            v = numeric(c, column)
            positive = v[v > 0]
            if len(positive) >= 2 and positive.max() / positive.min() > 100:  # exp(-8W) decay: log axis
                ax.set_yscale("log", nonpositive="mask")
            else:
                ax.axhline(0.0, color="black", linestyle=":", linewidth=1.0, zorder=1)
        if not drawn:
            note(ax, "no finite values")
        legend(ax, fontsize="x-small", loc="upper right" if reference is None else "best")

    guarded(axes[0], panel, "energy_per_spin", "analytic_energy_per_spin", E_LABEL, -1.0)
    guarded(axes[1], panel, "variance_per_spin", "analytic_variance_per_spin", VAR_LABEL, None)
    axes[0].set_title("(a) energy per spin", loc="left")
    axes[1].set_title("(b) energy variance per spin", loc="left")
    figure.suptitle("Toric code: untrained sparse FFNN made of all odd-parity plaquette filters\n"
                    "(three edges +W, one −W, or the reverse) — reference: exact ground state, E/N = −1")
    return figure


CAPTION = ("Untrained sparse FFNN whose hidden neurons are all eight odd-parity filters (+W on three edges of "
           "a plaquette and -W on the fourth, or the reverse) of every plaquette of the toric code: energy per "
           "spin (a) and variance per spin (b) versus the filter weight W, one line per lattice size L; "
           "dashed lines the closed form, dotted line the exact ground-state energy per spin -1. Each broken "
           "plaquette is suppressed by exp(-4W) in amplitude, so E/N -> -1 and the variance -> 0 as W grows.")
