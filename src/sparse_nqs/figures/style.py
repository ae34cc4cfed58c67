"""The look shared by every figure: one colour, marker and label per pruning method and ticket
variant, axis labels, panel grids, legends, log-axis ticks, and the drawing helpers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    NullLocator,
)

from ..results import TablesWarning, is_finite

#: inches per panel
PANEL_SIZE = (3.5, 2.9)

#: One style per pruning method / ticket variant, the same in every figure.
STYLE = {
    "imp_wr": {"color": "#0173b2", "marker": "o", "linestyle": "-",
               "label": r"IMP-WR: magnitude pruning, rewind to $\theta_{\rm wr}$"},
    "imp_ct": {"color": "#de8f05", "marker": "s", "linestyle": "-",
               "label": "IMP-CT: magnitude pruning, continued training"},
    "irp_wr": {"color": "#cc78bc", "marker": "D", "linestyle": "-",
               "label": r"IRP-WR: random pruning, rewind to $\theta_{\rm wr}$"},
    "init_imp": {"color": "#029e73", "marker": "^", "linestyle": "--",
                 "label": r"ticket $T(\theta_{\rm init}, m_{\rm IMP})$: original init., IMP mask"},
    "rand_imp": {"color": "#d55e00", "marker": "v", "linestyle": "--",
                 "label": r"ticket $T(\theta_{\rm rand}, m_{\rm IMP})$: new random init., IMP mask"},
    "init_rand": {"color": "#ca9161", "marker": "X", "linestyle": ":",
                  "label": r"ticket $T(\theta_{\rm init}, m_{\rm rand})$: original init., random mask"},
    "dense": {"color": "black", "marker": "*", "linestyle": "none", "label": "dense network (before pruning)"},
    "pretrain": {"color": "#949494", "marker": "", "linestyle": "-", "label": "dense pre-training"},
    "reference": {"color": "black", "marker": "", "linestyle": "--", "label": "reference energy"},
    "below_reference": {"color": "#d62728", "marker": "x", "linestyle": "none",
                        "label": r"energy below the reference by $> 3\sigma$ (variational principle violated)"},
}
SHORT_LABELS = {"pretrain": "dense pre-training", "imp_wr": "IMP-WR", "imp_ct": "IMP-CT", "irp_wr": "IRP-WR"}

#: sign colours of Fig. 4(d) (diverging, colour-blind safe)
SIGN_COLORS = {1: "#b2182b", -1: "#2166ac"}
NEURON_KINDS = {"odd": "odd-parity filter", "even": "even-parity filter", "partial": "partial plaquette",
                "other": "not on one plaquette"}

# axis labels
N_LABEL = "remaining weights $n$"
RHO_LABEL = r"weights per spin $\rho = n/N$"
EPS_LABEL = r"relative error $\varepsilon_{\rm rel} = |E - E_{\rm ref}|\,/\,|E_{\rm ref}|$"
DELTA_LABEL = r"absolute error per spin $\Delta E = |E - E_{\rm ref}|/N$"
VAR_LABEL = r"energy variance per spin $\sigma^2/N$"
E_LABEL = "energy per spin $E/N$"
FID_LABEL = r"fidelity $F$ to the next pruned state"


class PanelWarning(TablesWarning):
    """A panel could not be drawn from its tables (the figure is still written)."""


def rc_params(options: dict) -> dict:
    rc = dict(sns.axes_style("ticks"))
    try:
        rc.update(sns.plotting_context(options.get("context", "paper")))
    except ValueError:
        rc.update(sns.plotting_context("paper"))
    rc.update({"axes.grid": True, "grid.color": "0.9", "grid.linewidth": 0.6, "legend.frameon": False,
               "axes.titlesize": rc.get("axes.labelsize", 9), "figure.titlesize": rc.get("axes.labelsize", 9) + 1})
    return rc


def palette(options: dict, n: int) -> list:
    try:
        return list(sns.color_palette(options.get("palette", "colorblind"), max(n, 1)))
    except (ValueError, TypeError):
        return list(sns.color_palette("colorblind", max(n, 1)))



def panel_letter(k: int) -> str:
    return f"({'abcdefghijklmnopqrstuvwxyz'[k % 26]})"


def note(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.35",
            fontstyle="italic", wrap=True, zorder=10)


def guarded(ax, draw, *args, **kwargs):
    """Draw one panel; an unexpected error becomes a note in the panel and a PanelWarning."""
    try:
        return draw(ax, *args, **kwargs)
    except Exception as err:  # noqa: BLE001 - a figure is written even if one panel cannot be
        warnings.warn(f"{draw.__name__}: {type(err).__name__}: {err}", PanelWarning, stacklevel=2)
        note(ax, f"could not draw this panel ({type(err).__name__})")
        return False


def figure_with_panels(n: int, ncols: int | None = None, size=PANEL_SIZE, legend_rows: int = 0):
    n = max(1, n)
    ncols = ncols or (2 if n == 4 else min(n, 3))
    nrows = math.ceil(n / ncols)
    figure = Figure(figsize=(size[0] * ncols, size[1] * nrows + 0.6 + 0.22 * legend_rows), layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.remove()
    return figure, list(axes[:n])


def figure_legend(figure, axes, ncol: int = 2) -> None:
    handles, labels = {}, []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab and not lab.startswith("_") and lab not in handles:
                handles[lab] = h
                labels.append(lab)
    if labels:
        figure.legend([handles[lab] for lab in labels], labels, loc="outside lower center",
                      ncol=min(ncol, len(labels)), frameon=False)


def legend(ax, **kwargs) -> None:
    """A legend of the axes with each label once (nothing when there is nothing to show)."""
    seen = {}
    for h, lab in zip(*ax.get_legend_handles_labels()):
        if lab and not lab.startswith("_") and lab not in seen:
            seen[lab] = h
    if seen:
        ax.legend(list(seen.values()), list(seen), **kwargs)


def legend_rows(n_labels: int, ncol: int) -> int:
    return math.ceil(n_labels / ncol) if n_labels else 0


def series(ax, x, y, yerr=None, *, logx=False, logy=False, color=None, marker="o", linestyle="-",
            label=None, markersize=3.5, linewidth=1.2, zorder=2) -> bool:
    """Sorted line + markers (+ error bars where finite); False when no point survives."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    if logx:
        keep &= x > 0
    if logy:
        keep &= y > 0
    if not keep.any():
        return False
    order = np.argsort(x[keep], kind="stable")
    x, y = x[keep][order], y[keep][order]
    err = None
    if yerr is not None:
        e = np.asarray(yerr, dtype=float)[keep][order]
        e = np.where(np.isfinite(e) & (e > 0), e, 0.0)
        if e.any():
            err = np.vstack([np.minimum(e, 0.9 * np.abs(y)) if logy else e, e])
    ax.errorbar(x, y, yerr=err, color=color, marker=marker, linestyle=linestyle, label=label,
                markersize=markersize, linewidth=linewidth, capsize=1.5, elinewidth=0.7, zorder=zorder)
    return True


def styled(ax, key, x, y, yerr=None, **kwargs) -> bool:
    s = STYLE[key]
    kwargs.setdefault("label", s["label"])
    return series(ax, x, y, yerr, color=s["color"], marker=s["marker"], linestyle=s["linestyle"], **kwargs)


def compact(value, _pos=None) -> str:
    r"""Short tick label: 0.25, 30, and 2500 as $2.5\times10^{3}$."""
    if not is_finite(value) or value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    if -2 <= exponent <= 3:
        return f"{value:.3g}"
    return rf"${value / 10**exponent:.2g}\times10^{{{exponent}}}$"


def tidy_log_axes(figure) -> None:
    """Log axes spanning less than about a decade get a few plainly labelled ticks (matplotlib would
    label every minor tick there, and the labels overlap)."""
    axes = list(figure.axes)
    axes += [child for ax in figure.axes for child in ax.child_axes]
    for ax in axes:
        for axis, get in ((ax.xaxis, ax.get_xlim), (ax.yaxis, ax.get_ylim)):
            if axis.get_scale() != "log" or not ax.has_data():
                continue
            lo, hi = sorted(get())
            if lo > 0 and hi / lo < 3:  # a fraction of a decade: evenly spaced ticks
                axis.set_major_locator(MaxNLocator(nbins=4))
                axis.set_major_formatter(FuncFormatter(compact))
                axis.set_minor_locator(NullLocator())
            elif lo > 0 and hi / lo < 15:  # about a decade: 1, 2, 3, 5, 7 x 10^k
                axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0, 7.0)))
                axis.set_major_formatter(FuncFormatter(compact))
                axis.set_minor_locator(NullLocator())
            elif lo > 0 and hi / lo < 150:  # one to two decades: ticks at 1, 2, 5 x 10^k only
                axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
                axis.set_major_formatter(FuncFormatter(compact))
                axis.set_minor_formatter(NullFormatter())


def logscale(ax, x=True, y=True) -> None:
    if x:
        ax.set_xscale("log", nonpositive="mask")
    if y:
        ax.set_yscale("log", nonpositive="mask")


def reference_line() -> dict:
    return {"color": "black", "linestyle": "--", "linewidth": 0.9, "zorder": 1}


INSET_SIZE = (0.42, 0.40)  # width, height in axes coordinates
INSET_PAD = 0.03
INSET_TITLE = 0.06


def inset_in_free_corner(ax, size=INSET_SIZE, pad=INSET_PAD):
    """An inset in the corner of ``ax`` that covers the fewest data points; if even that corner holds
    data, the y range is stretched (log axes in log space) until the data clear it."""
    w, h = size
    to_axes = ax.transData + ax.transAxes.inverted()
    ax.get_xlim(), ax.get_ylim()  # settle the autoscaled limits before converting
    points = [line.get_xydata() for line in ax.get_lines() if len(line.get_xydata())]
    xy = to_axes.transform(np.vstack(points)) if points else np.empty((0, 2))
    xy = xy[np.isfinite(xy).all(axis=1)]
    upper = 1 - h - pad - INSET_TITLE  # room for the inset's title inside the panel
    corners = {(1 - w - pad, upper): "upper right", (pad, upper): "upper left",
               (1 - w - pad, pad): "lower right", (pad, pad): "lower left"}

    def column(x0):
        return (xy[:, 0] >= x0 - pad) & (xy[:, 0] <= x0 + w + pad)

    def inside(x0, y0):
        return column(x0) & (xy[:, 1] >= y0 - pad) & (xy[:, 1] <= y0 + h + pad)

    x0, y0 = min(corners, key=lambda c: int(inside(*c).sum()))  # ties: the first (upper right)
    if inside(x0, y0).any():
        top = y0 > pad
        # stretching moves every point of the inset's column towards the far edge, those beyond the
        # inset (under its title) too: all of them must end below (top corner) or above it
        beyond = column(x0) & ((xy[:, 1] >= y0 - pad) if top else (xy[:, 1] <= y0 + h + pad))
        reach = xy[beyond, 1].max() if top else xy[beyond, 1].min()
        target = (y0 - 2 * pad) if top else (y0 + h + 2 * pad)
        lo, hi = ax.get_ylim()
        logy = ax.get_yscale() == "log"
        f = (lambda v: np.log10(v)) if logy else (lambda v: v)
        g = (lambda v: 10 ** v) if logy else (lambda v: v)
        a, b = f(lo), f(hi)
        value = a + reach * (b - a)  # the extreme covered point, in data (log) units
        if top:   # keep the bottom, move the top so that `value` sits at `target`
            b = a + (value - a) / max(target, 1e-3)
        else:     # keep the top, move the bottom
            a = b - (b - value) / max(1 - target, 1e-3)
        ax.set_ylim(g(a), g(b))
    return ax.inset_axes([x0, y0, w, h])
