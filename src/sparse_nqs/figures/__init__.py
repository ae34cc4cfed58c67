"""Figures 1-7 of the paper, drawn from the finished results (:class:`sparse_nqs.results.FigureTables`).

One module per figure (:mod:`.fig1` ... :mod:`.fig7`), each with ``draw(tables, spec, options)`` and its
report ``CAPTION``; :mod:`.style` holds the look they share, :mod:`.shared` the panels several draw.

* :func:`draw_figure` ``(fig, tables, spec, options) -> matplotlib.figure.Figure``; ``spec`` is the
  resolved figure spec (:class:`sparse_nqs.settings.FigureSettings`), ``options`` the plotting options
  (:class:`sparse_nqs.settings.PlottingSettings`: dpi, seaborn context, palette).
* :func:`save_figure` ``(figure, stem, dpi)`` writes ``stem.pdf`` and ``stem.png`` atomically.
* :func:`caption` ``(fig, tables, spec) -> str``: the caption of the Snakemake report.

Every figure is drawn from whatever the tables hold: a missing run, an empty table or too few points
give a short note in the affected panel instead of an error. A panel that fails anyway is replaced
by a note and a :class:`PanelWarning` (so the plotting rule still writes the figure and the log says
why). Before drawing, the tables get the figure's reference and the run description columns
(:meth:`FigureTables.for_figure`).

The matplotlib backend is the entry point's choice (:func:`sparse_nqs.runtime.use_file_backend`):
figures are drawn on :class:`matplotlib.figure.Figure` objects, never through pyplot.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from ..io import write_atomic
from ..names import FIGURES
from ..results import FigureTables, network_label, numeric, spins_per_row
from ..settings import FIGURE_DEFAULTS, PLOTTING_DEFAULTS
from . import fig1, fig2, fig3, fig4, fig5, fig6, fig7
from .shared import reference_summary, systems_summary
from .style import STYLE, PanelWarning, rc_params, tidy_log_axes

__all__ = ["FIGURES", "STYLE", "PanelWarning", "caption", "draw_figure", "save_figure"]

_MODULES = {"fig1": fig1, "fig2": fig2, "fig3": fig3, "fig4": fig4, "fig5": fig5, "fig6": fig6, "fig7": fig7}
assert tuple(_MODULES) == FIGURES


def _module(fig: str):
    if fig not in _MODULES:
        raise ValueError(f"unknown figure {fig!r}; figures are {', '.join(FIGURES)}")
    return _MODULES[fig]


def _defaults(spec: dict | None, options: dict | None) -> tuple[dict, dict]:
    return {**FIGURE_DEFAULTS, **(spec or {})}, {**PLOTTING_DEFAULTS, **(options or {})}


def draw_figure(fig: str, tables: FigureTables, spec: dict, options: dict) -> Figure:
    """Figure ``fig`` (``fig1`` .. ``fig7``) from ``tables``; see the module docstring."""
    module = _module(fig)
    spec, options = _defaults(spec, options)
    tables = tables.for_figure(spec)
    rc = rc_params(options)
    with matplotlib.rc_context(rc):
        if fig != "fig7" and not spec.get("runs"):  # one readable note, not empty panels with cut titles
            figure = _no_runs(fig)
        else:
            figure = module.draw(tables, spec, options)
        tidy_log_axes(figure)
    # ticks are made at draw time from rcParams: save_figure draws under the same settings
    figure._sparse_nqs_rc = rc
    return figure


def _no_runs(fig: str) -> Figure:
    """The figure of a config whose ``figures.<fig>.runs`` is empty: one sentence saying so."""
    figure = Figure(figsize=(6.4, 1.6))
    ax = figure.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"{fig}: no runs in this config (figures.{fig}.runs is empty)", ha="center", va="center",
            fontsize="large", transform=ax.transAxes)
    return figure


def save_figure(figure: Figure, stem, dpi: int) -> list[Path]:
    """Write ``stem.pdf`` and ``stem.png`` (parent folders created), each through the atomic writer."""
    stem = Path(stem)
    if stem.suffix in (".pdf", ".png"):
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    with matplotlib.rc_context(getattr(figure, "_sparse_nqs_rc", {})):
        for fmt in ("pdf", "png"):
            final = stem.parent / f"{stem.name}.{fmt}"
            write_atomic(final, lambda handle, fmt=fmt: figure.savefig(handle, format=fmt, dpi=dpi))
            written.append(final)
    return written


def _reference_values(tables: FigureTables, runs, at_most: int = 3) -> str:
    """The distinct reference energies per spin of the runs' IMP-WR rows ('' if none or too many)."""
    values = []
    for run in runs:
        h = tables.history(run)
        e, N = numeric(h, "reference_energy"), spins_per_row(h, tables.run_info(run))
        values += [round(float(v), 6) for v in (e / N).dropna()]
    values = list(dict.fromkeys(values))
    return ", ".join(f"{v:.6g}" for v in values) if 0 < len(values) <= at_most else ""


def caption(fig: str, tables: FigureTables, spec: dict) -> str:
    """A few sentences for the report: what is plotted, the systems and the reference.

    Plain text without RST markup characters (no ``|``, ``*``, backquotes), so it can go into the
    report's .rst caption as it is; ``spec["caption"]`` is appended verbatim.
    """
    module = _module(fig)
    spec, _ = _defaults(spec, None)
    tables = tables.for_figure(spec)
    runs = tables.run_names(spec)
    infos = [tables.run_info(r) for r in runs]
    parts = [module.CAPTION]
    networks = list(dict.fromkeys(network_label(i, r) for i, r in zip(infos, runs)))
    if fig != "fig7":
        systems = systems_summary(infos)
        if systems:
            parts.append(f"System: {systems}.")
        if networks:
            parts.append(f"Networks: {'; '.join(networks)}.")
        reference = reference_summary(tables, runs)
        if reference:
            values = _reference_values(tables, runs)
            parts.append(f"Reference energy: {reference}" + (f", E_ref/N = {values}." if values else "."))
    else:
        c = tables.construction
        if not c.empty and "L" in c:
            sizes = ", ".join(f"L = {int(L)} (N = {2 * int(L) ** 2})"
                              for L in sorted(numeric(c, "L").dropna().unique()))
            parts.append(f"Lattices: {sizes}.")
    text = " ".join(parts).replace("$", "").replace("\\kappa", "κ")  # plain text (valid RST too)
    if spec.get("caption"):
        text += " " + str(spec["caption"])
    return text
