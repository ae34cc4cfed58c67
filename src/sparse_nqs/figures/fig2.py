"""Fig. 2: error per spin of IMP-WR-pruned FFNNs against n at kappa_c (several widths, scaling
regions shaded) and in the two phases."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.transforms import blended_transform_factory

from ..analysis import scaling_regions
from ..names import KAPPA_C
from ..results import error_values, fmt, is_finite, network_label, numeric, phase_of
from .shared import ordered, paper_behind, suptitle
from .style import (
    DELTA_LABEL,
    N_LABEL,
    figure_with_panels,
    guarded,
    logscale,
    note,
    palette,
    series,
)

#: scaling_regions needs 3 regions x 2 points
MIN_REGION_POINTS = 6


def _delta_curve(ax, tables, run, color, label) -> tuple[np.ndarray, np.ndarray] | None:
    h = tables.history(run)
    if h.empty:
        return None
    info = tables.run_info(run)
    paper_behind(ax, "fig2", info, color)
    n, (d, d_err) = numeric(h, "n"), error_values(h, "delta_e_per_spin", info)
    if not series(ax, n, d, d_err, logx=True, logy=True, color=color, marker="o", label=label):
        return None
    keep = np.isfinite(n) & np.isfinite(d) & (n > 0) & (d > 0)
    return n[keep].to_numpy(), d[keep].to_numpy()


def _shade_regions(ax, n, d, label, lo, hi) -> str:
    """HEP / APL / LEP spans of scaling_regions over [lo, hi]; returns a note ('' when shaded)."""
    if len(n) < MIN_REGION_POINTS:
        return f"too few points ({len(n)}) for the region fit"
    try:
        fit = scaling_regions(n, d, n_regions=3)
    except (ValueError, np.linalg.LinAlgError) as err:
        return f"region fit failed: {err}"
    k1, k2 = fit["n_hep_apl"], fit["n_apl_lep"]
    spans = [("HEP", "high-error plateau", lo, k1, "#fbb4ae"), ("APL", "approximate power law", k1, k2, "#b3cde3"),
             ("LEP", "low-error plateau", k2, hi, "#ccebc5")]
    top = blended_transform_factory(ax.transData, ax.transAxes)
    for (name, words, a, b, color), slope in zip(spans, fit["slopes"]):
        ax.axvspan(a, b, color=color, alpha=0.45, zorder=0, linewidth=0, label=f"{name}: {words} (slope {slope:.2f})")
        ax.text(math.sqrt(a * b), 0.98, f"{name}\nslope {slope:.2f}", transform=top, ha="center", va="top",
                fontsize=6, color="0.25", zorder=6,
                bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1.0})
    ax.text(0.98, 0.02, f"regions: piecewise-linear fit of {label}", transform=ax.transAxes, ha="right",
            va="bottom", fontsize=6, color="0.35")
    return ""


def _fig2_panel(ax, tables, runs, phase, options) -> None:
    titles = {"a": rf"(a) critical point $\kappa = \kappa_c$ = {KAPPA_C}",
              "b": r"(b) ferromagnetic phase, $\kappa < \kappa_c$",
              "c": r"(c) paramagnetic phase, $\kappa > \kappa_c$"}
    ax.set_title(titles[phase], loc="left")
    logscale(ax)
    ax.set_xlabel(N_LABEL)
    ax.set_ylabel(DELTA_LABEL)
    if not runs:
        note(ax, {"a": r"no runs at $\kappa_c$", "b": r"no runs with $\kappa < \kappa_c$",
                   "c": r"no runs with $\kappa > \kappa_c$"}[phase])
        return
    key = "alpha" if phase == "a" else "kappa"
    runs = ordered(runs, tables, key)
    colors = palette(options, len(runs))
    infos = {r: tables.run_info(r) for r in runs}
    alphas = {fmt(i.get("alpha")) for i in infos.values()}
    curves = {}
    for run, color in zip(runs, colors):
        info = infos[run]
        if phase == "a":
            label = f"α = {fmt(info.get('alpha'))}" if is_finite(info.get("alpha")) else network_label(info, run)
        else:
            label = f"κ = {fmt(info.get('kappa'))}" + (f", α = {fmt(info.get('alpha'))}" if len(alphas) > 1 else "")
        curve = _delta_curve(ax, tables, run, color, label)
        if curve is not None:
            curves[run] = (curve, label)
    if not curves:
        note(ax, "no IMP-WR histories")
        return
    if phase == "a":
        def width(r):
            alpha = infos[r].get("alpha")
            return (float(alpha) if is_finite(alpha) else -math.inf, len(curves[r][0][0]))

        widest = max(curves, key=width)
        (n, d), label = curves[widest]
        every_n = np.concatenate([c[0][0] for c in curves.values()])
        lo, hi = float(every_n.min()) / 1.3, float(every_n.max()) * 1.3
        message = _shade_regions(ax, n, d, label, lo, hi)
        ax.set_xlim(lo, hi)
        if message:
            ax.text(0.98, 0.02, message, transform=ax.transAxes, fontsize=6, color="0.35", va="bottom",
                    ha="right")
    handles, labels = ax.get_legend_handles_labels()
    keep = [(h, lab) for h, lab in zip(handles, labels) if not lab.startswith(("HEP", "APL", "LEP"))]
    if keep:
        ax.legend(*zip(*keep), fontsize="x-small", loc="lower left" if phase == "a" else "best")


def draw(tables, spec, options):
    runs = tables.run_names(spec)
    groups = {"a": [], "b": [], "c": []}
    for run in runs:
        phase = phase_of(tables.run_info(run))
        if phase:
            groups[phase].append(run)
    figure, axes = figure_with_panels(3, ncols=3, size=(3.8, 3.2))
    for ax, phase in zip(axes, "abc"):
        guarded(ax, _fig2_panel, tables, groups[phase], phase, options)
    kinds = {"ffnn": "FFNN", "cnn": "CNN", "rescnn": "ResCNN"}
    nets = sorted({kinds.get(str(tables.run_info(r).get("network")).lower(), "") for r in runs} - {""})
    suptitle(figure, f"Absolute error per spin of IMP-WR-pruned {', '.join(nets) or 'networks'} "
                      "vs. number of weights, across the phase diagram", tables, runs)
    return figure


CAPTION = ("Absolute error per spin Delta E = abs(E - E_ref)/N of IMP-WR-pruned FFNNs versus the number n of "
           f"remaining weights: (a) at the critical field kappa_c = {KAPPA_C} for several widths alpha, with the "
           "high-error plateau (HEP), approximate power law (APL) and low-error plateau (LEP) of a "
           "piecewise-linear fit of log Delta E versus log n shaded for the widest network; (b) in the "
           "ferromagnetic phase (kappa < kappa_c); (c) in the paramagnetic phase (kappa > kappa_c).")
