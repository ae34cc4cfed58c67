"""Panels and titles that several figures draw: the pruning path with its tickets, the dense
networks' energy against variance, neighbour fidelities, the reference and system summaries."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..analysis import fidelity_dip
from ..names import KAPPA_C, KAPPA_C_RTOL, TICKET_VARIANTS
from ..results import (
    FigureTables,
    below_reference,
    error_values,
    has_exact,
    is_finite,
    is_toric,
    network_label,
    numeric,
    spins_per_row,
)
from .style import (
    EPS_LABEL,
    FID_LABEL,
    N_LABEL,
    RHO_LABEL,
    STYLE,
    VAR_LABEL,
    logscale,
    note,
    palette,
    reference_line,
    series,
    styled,
)


def systems_summary(infos: list[dict]) -> str:
    infos = [i for i in infos if i]
    if not infos:
        return ""
    parts = []
    toric = sorted({float(i["L"]) for i in infos if is_toric(i) and is_finite(i.get("L"))})
    if toric:
        parts.append("toric code " + ", ".join(f"L = {L:g} (N = {2 * L * L:g})" for L in toric))
    tfim = [i for i in infos if not is_toric(i)]
    if tfim:
        Ls = sorted({float(i["L"]) for i in tfim if is_finite(i.get("L"))})
        kappas = sorted({float(i["kappa"]) for i in tfim if is_finite(i.get("kappa"))})
        if len(Ls) > 3:
            size = f"L×L with L = {Ls[0]:g}–{Ls[-1]:g}"
        else:
            size = ", ".join(f"{L:g}×{L:g}" for L in Ls) or "?"
        text = f"{size} TFIM (open boundaries)"
        if len(kappas) == 1:
            critical = math.isclose(kappas[0], KAPPA_C, rel_tol=KAPPA_C_RTOL)
            text += f" at κ = {kappas[0]:g}" + (r" = $\kappa_c$" if critical else "")
        elif kappas:
            text += " at κ ∈ {" + ", ".join(f"{k:g}" for k in kappas) + "}"
        parts.append(text)
    return "; ".join(parts)


def source_words(source: str) -> str:
    """A reference source in words, saying at which field an ED / DMRG record was computed: always
    the run's own, unless ``reference.kappa_c_field`` moved it (source "<record> at κ = <field>")."""
    source, _, field_c = str(source).partition(" at κ = ")
    if field_c:
        return f"{_record_words(source)} at κ = {field_c}, not the runs' own field"
    words = _record_words(source)
    return words + " at the run's own field" if source.startswith(("ed", "dmrg")) else words


def _record_words(source: str) -> str:
    known = {"ed:scipy": "exact diagonalisation", "dmrg:tenpy": "DMRG (TeNPy)", "dmrg:itensors": "DMRG (ITensors)",
             "analytic:closed-form": "exact ground energy $-2L^2$"}
    if source in known:
        return known[source]
    if source.startswith("nqs:"):
        return "dense NQS, " + source[4:].split(" (")[0]
    if source.startswith("ed"):
        return "exact diagonalisation"
    if source.startswith("dmrg"):
        return "DMRG"
    return source


def reference_summary(tables: FigureTables, runs=None) -> str:
    """The reference sources of the rows of ``runs`` (all rows when None), in words."""
    wanted = None if runs is None else {str(r) for r in runs}
    sources = []
    for t in (tables.histories, tables.tickets, tables.dense):
        if t is None or t.empty or "reference_source" not in t:
            continue
        if wanted is not None and "run" in t:
            t = t[t["run"].astype(str).isin(wanted)]
        sources += [s for s in t["reference_source"].dropna().astype(str) if s and s != "nan"]
    return "; ".join(dict.fromkeys(source_words(s) for s in sources))


def suptitle(figure, headline: str, tables: FigureTables, runs, errors: bool = True) -> None:
    """Headline, then the systems, the reference source, and the runs without a pruning path yet
    (a figure drawn while they are under way says so, rather than naming their systems)."""
    lines = [headline]
    detail = []
    waiting = [r for r in runs if tables.history(r).empty]
    shown = [r for r in runs if r not in waiting] or list(runs)
    systems = systems_summary([tables.run_info(r) for r in shown])
    if systems:
        detail.append(systems)
    if waiting and len(shown) < len(runs):
        detail.append(f"not drawn, no pruning path yet: {', '.join(map(str, waiting))}")
    reference = reference_summary(tables, shown)
    if reference:
        detail.append(f"reference: {reference}")
    exact = [r for r in runs if r not in waiting and has_exact(tables.history(r), "eps_rel")]
    if exact and errors:
        shown_exact = [r for r in shown if r in exact]
        detail.append("errors from exact ⟨H⟩ of the trained networks" +
                      (f" ({', '.join(map(str, shown_exact))}; Monte Carlo for the others)"
                       if len(shown_exact) < len(shown) else ""))
    # the details on as many lines as the figure's width needs (about 13 characters per inch)
    width = max(40, int(figure.get_figwidth() * 13))
    line = ""
    for part in detail:
        if line and len(line) + 3 + len(part) > width:
            lines.append(line)
            line = part
        else:
            line = f"{line} — {part}" if line else part
    if line:
        lines.append(line)
    figure.suptitle("\n".join(lines))


def ordered(runs, tables, key):
    """Runs sorted by a run-table column (missing last)."""
    def sort_key(r):
        v = tables.run_info(r).get(key)
        return (0, float(v)) if is_finite(v) else (1, 0.0)
    return sorted(runs, key=sort_key)


#: how the paper's own curves are drawn behind ours: wide, pale, in the colour of our curve
PAPER_STYLE = {"linewidth": 6.0, "alpha": 0.28, "solid_capstyle": "round", "zorder": 0.5}


def paper_behind(ax, figure: str, info: dict, color, *, panel: str | None = None, method: str = "imp_wr",
                 variant: str | None = None) -> bool:
    """The paper's curve of the run described by ``info`` (its row of the runs table) behind ours,
    where the run is the paper's (:func:`sparse_nqs.external.paper.curves_of_run`); one legend
    entry per axes (grey: the colour says whose curve it shadows)."""
    from matplotlib.lines import Line2D

    from ..external import paper

    rows = paper.curve(figure, panel, paper.settings_of(info), method=method, variant=variant)
    if rows.empty:
        return False
    ax.plot(rows["x"], rows["y"], color=color, label="_paper", **PAPER_STYLE)
    if not any(getattr(h, "get_label", lambda: "")() == paper.PAPER_LABEL for h in ax.get_legend_handles_labels()[0]):
        ax.add_line(Line2D([], [], color="0.45", label=paper.PAPER_LABEL, **PAPER_STYLE))
    return True


def lth_panel(ax, tables, run, x="n", y="eps_rel", note_empty=True, paper_figure: str | None = None,
              paper_panel: str | None = None) -> bool:
    """IMP-WR path and the isolated tickets of one run (Fig. 1, 4(a), 6); with ``paper_figure``, the
    paper's own curves of the run behind them (where the run is the paper's)."""
    info = tables.run_info(run)
    if paper_figure is not None and y == "eps_rel":
        for key in ("imp_wr", *TICKET_VARIANTS):
            paper_behind(ax, paper_figure, info, STYLE[key]["color"], panel=paper_panel,
                         variant=None if key == "imp_wr" else key)

    def xs(rows):
        if x == "n":
            return numeric(rows, "n")
        return numeric(rows, "rho").fillna(numeric(rows, "n") / spins_per_row(rows, info))

    def ys(rows):
        if y == "eps_rel":
            return error_values(rows, "eps_rel")[0]
        return numeric(rows, "variance_per_spin").fillna(numeric(rows, "variance") / spins_per_row(rows, info))

    def errors(rows):
        return error_values(rows, "eps_rel")[1] if y == "eps_rel" else None  # no error of the variance

    drawn = False
    h = tables.history(run)
    if not h.empty:
        drawn |= styled(ax, "imp_wr", xs(h), ys(h), errors(h), logx=True, logy=True)
        dense = h[numeric(h, "iteration") == -1]
        if len(dense):
            drawn |= styled(ax, "dense", xs(dense), ys(dense), None, logx=True, logy=True, markersize=9, zorder=4)
    flagged = [h[below_reference(h).to_numpy()]] if not h.empty else []
    for variant in TICKET_VARIANTS:
        t = tables.ticket_rows(run, variant)
        if not t.empty:
            drawn |= styled(ax, variant, xs(t), ys(t), errors(t), logx=True, logy=True)
            flagged.append(t[below_reference(t).to_numpy()])
    flagged = pd.concat(flagged) if flagged else pd.DataFrame()
    if len(flagged):  # a point that cannot be right: say so on the figure
        styled(ax, "below_reference", xs(flagged), ys(flagged), None, logx=True, logy=True, markersize=8, zorder=5)
    logscale(ax)
    ax.set_xlabel(N_LABEL if x == "n" else RHO_LABEL)
    ax.set_ylabel(EPS_LABEL if y == "eps_rel" else VAR_LABEL)
    if not drawn and note_empty:
        note(ax, f"no data for run {run}")
    return drawn


def dense_rows(tables: FigureTables) -> pd.DataFrame:
    d = tables.dense
    if d is None or d.empty:
        h = tables.histories
        if h is None or h.empty or "iteration" not in h:
            return pd.DataFrame()
        d = h[numeric(h, "iteration") == -1]
        if "run" in d:
            d = d.drop_duplicates(subset=["run"])
    return d


#: a variance axis becomes logarithmic when its positive values span more than this factor
VARIANCE_LOG_SPAN = 10.0


def dense_scatter(ax, tables, options, x_is_energy: bool, small: bool) -> bool:
    """Dense networks: E/N against sigma^2/N (Fig. 1 inset: x = variance; Fig. 6: x = energy)."""
    d = dense_rows(tables)
    if d.empty or "energy" not in d:
        note(ax, "no dense rows")
        return False
    runs = d["run"].astype(str) if "run" in d else pd.Series("dense", index=d.index)
    infos = {r: tables.run_info(r) for r in runs.unique()}
    N = pd.Series([infos[r].get("N", np.nan) for r in runs], index=d.index, dtype=float)
    N = N.fillna(numeric(d, "n") / numeric(d, "rho")) if "n" in d else N
    if N.isna().all() and "variance_per_spin" in d:
        N = numeric(d, "variance") / numeric(d, "variance_per_spin")
    e = numeric(d, "energy") / N
    v = numeric(d, "variance_per_spin").fillna(numeric(d, "variance") / N)
    labels = [network_label(infos[r], r) for r in runs]
    groups = list(dict.fromkeys(labels))
    colors = dict(zip(groups, palette(options, len(groups))))
    drawn = False
    for g in groups:
        sel = np.array([lab == g for lab in labels])
        xs, ys = (e[sel], v[sel]) if x_is_energy else (v[sel], e[sel])
        keep = np.isfinite(xs) & np.isfinite(ys)
        if keep.any():
            ax.scatter(xs[keep], ys[keep], s=14 if small else 22, color=colors[g], label=g, zorder=3,
                       edgecolor="white", linewidth=0.4)
            drawn = True
    for ref in numeric(d, "reference_energy").dropna().unique():
        Nref = N[numeric(d, "reference_energy") == ref].dropna()
        if len(Nref):
            value = ref / float(Nref.iloc[0])
            line = ax.axvline if x_is_energy else ax.axhline
            line(value, **reference_line(), label=f"reference $E/N$ = {value:.5g}")
    variances = v[np.isfinite(v)].to_numpy()
    if len(variances) > 1 and (variances > 0).all() and variances.max() > VARIANCE_LOG_SPAN * variances.min():
        # variances spanning decades: on a linear axis every point but the largest would sit at zero
        (ax.set_yscale if x_is_energy else ax.set_xscale)("log")
    if not drawn:
        note(ax, "no dense rows")
    return drawn


def fidelity_panel(ax, tables, runs, colors, labels, mark_min=True, paper: tuple | None = None) -> list[dict]:
    """Neighbour fidelity of the IMP-WR path vs rho; returns the fidelity minimum of each run. With
    ``paper`` = (figure, panel): the paper's curve of each run behind ours."""
    minima = []
    for run in runs:
        if paper is not None:
            paper_behind(ax, *paper[:1], tables.run_info(run), colors[run], panel=paper[1])
        f = tables.fidelity_rows(run)
        if f.empty:
            continue
        series(ax, f["rho"], f["fidelity"], numeric(f, "fidelity_error"), logx=True, color=colors[run],
                marker="o", label=labels[run])
        if mark_min and "n" in f and "iteration_from" in f:
            try:
                m = fidelity_dip(f)  # the rule the Fig. 3 claim uses
            except (KeyError, ValueError, TypeError):
                continue
            minima.append({"run": run, **m})
            ax.plot([m["rho_c"]], [m["fidelity_min"]], marker="*", markersize=10, color=colors[run],
                    markeredgecolor="black", markeredgewidth=0.5, linestyle="none", zorder=5)
    logscale(ax, x=True, y=False)
    ax.set_xlabel(RHO_LABEL + " (denser state)")
    kinds = {tables.fidelity_rows(r).attrs.get("exact") for r in runs if not tables.fidelity_rows(r).empty}
    ax.set_ylabel(FID_LABEL + {frozenset({True}): " (exact)", frozenset({False}): " (Monte Carlo)"}.get(
        frozenset(kinds), " (exact for some runs)" if kinds else ""))
    if not any(not tables.fidelity_rows(r).empty for r in runs):
        note(ax, "no fidelity table")
    return minima
