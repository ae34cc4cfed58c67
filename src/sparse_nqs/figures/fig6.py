"""Fig. 6: energy variance per spin against n (path and tickets), and the dense networks'
variance against energy."""

from __future__ import annotations

from ..results import network_label
from .shared import dense_scatter, lth_panel, suptitle
from .style import (
    E_LABEL,
    VAR_LABEL,
    figure_legend,
    figure_with_panels,
    guarded,
    legend,
    panel_letter,
)


def draw(tables, spec, options):
    runs = tables.run_names(spec)
    n = len(runs) + 1
    figure, axes = figure_with_panels(n, legend_rows=3)
    for k, run in enumerate(runs):
        ax = axes[k]
        guarded(ax, lth_panel, tables, run, "n", "variance_per_spin")
        ax.set_title(f"{panel_letter(k)} {network_label(tables.run_info(run), run)}", loc="left")

    def dense(ax):
        dense_scatter(ax, tables, options, True, False)
        ax.set_xlabel(E_LABEL)
        ax.set_ylabel(VAR_LABEL)
        legend(ax, fontsize="x-small", loc="best")

    guarded(axes[-1], dense)
    axes[-1].set_title(f"{panel_letter(n - 1)} dense networks", loc="left")
    figure_legend(figure, axes[:-1], ncol=2)
    suptitle(figure, "Energy variance per spin of pruned networks and tickets", tables, runs, errors=False)
    return figure


CAPTION = ("Energy variance per spin sigma^2/N versus remaining weights n for the IMP-WR path and the isolated "
           "tickets of each network, and (last panel) variance per spin against energy per spin of the dense "
           "networks; a zero-variance eigenstate would sit on the horizontal axis."
           " Red crosses: energies below their reference by more than 3 standard errors, which the "
           "variational principle forbids (a reference that is not this system's ground-state energy).")
