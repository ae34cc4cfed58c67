"""Fig. 1: the lottery-ticket test at kappa_c (IMP-WR path and the three isolated tickets per
network), with the dense networks' energy against variance as an inset."""

from __future__ import annotations

from ..results import network_label
from .shared import dense_scatter, lth_panel, suptitle
from .style import (
    figure_legend,
    figure_with_panels,
    guarded,
    inset_in_free_corner,
    legend,
    note,
    panel_letter,
)


def draw(tables, spec, options):
    runs = tables.run_names(spec)
    figure, axes = figure_with_panels(len(runs), legend_rows=3)
    for k, ax in enumerate(axes):
        if k >= len(runs):
            note(ax, "no runs in this figure")
            ax.set_title(f"{panel_letter(k)} no data", loc="left")
            continue
        run = runs[k]
        info = tables.run_info(run)
        guarded(ax, lth_panel, tables, run, paper_figure="fig1")
        ax.set_title(f"{panel_letter(k)} {network_label(info, run)}", loc="left")
    inset = inset_in_free_corner(axes[-1])
    guarded(inset, dense_scatter, tables, options, False, True)
    inset.set_xlabel(r"$\sigma^2/N$", fontsize=6, labelpad=1)
    inset.set_ylabel("$E/N$", fontsize=6, labelpad=1)
    inset.set_title("dense networks", fontsize=6, pad=2)
    inset.tick_params(labelsize=5, length=2, pad=1)
    inset.xaxis.get_offset_text().set_fontsize(5)
    inset.yaxis.get_offset_text().set_fontsize(5)
    inset.grid(False)
    legend(inset, fontsize=4.5, loc="best", handlelength=1.2, borderpad=0.2, labelspacing=0.2,
            markerscale=0.7)
    figure_legend(figure, axes, ncol=2)
    suptitle(figure, "Lottery-ticket test: error of pruned networks and of isolated tickets", tables, runs)
    return figure


CAPTION = ("Lottery-ticket test. Relative energy error eps_rel = abs(E - E_ref)/abs(E_ref) versus the number n of "
           "remaining weights (log-log), one panel per network: the IMP-WR pruning path (dense network as a "
           "star) and the isolated tickets T(theta_init, m_IMP) (original initialisation, IMP mask), "
           "T(theta_rand, m_IMP) (fresh initialisation, IMP mask) and T(theta_init, m_rand) (original "
           "initialisation, random mask with the same number of weights), each trained with its mask fixed. "
           "Inset: energy per spin against variance per spin of the dense networks, dashed line the reference."
           " Red crosses: energies below their reference by more than 3 standard errors, which the "
           "variational principle forbids (a reference that is not this system's ground-state energy).")
