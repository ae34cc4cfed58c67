"""The RBM family's figures (docs/rbm.md, "Figures"): Golubeva and Melko's Figs. 1-6 and Table I, and
``rbm_lth``, the main paper's lottery-ticket questions asked of the RBM.

Drawn from :class:`RBMTables` (the runs' histories, training logs, ticket rows and checkpoints, and
the data records). Every panel draws what the tables hold and says so in a note where they hold
nothing for it. The x axis of pruning is the fraction of weights removed, 1 - n / n_init, as the
source's; a dashed line marks the fraction beyond which the RBM's graph must be disconnected
(fewer than N + N_h - 1 weights, :func:`sparse_nqs.rbm.model.min_connected_weights`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import paths
from ..external import QUCUMBER_LABEL, qucumber_path
from ..pruning.checkpoint import load_checkpoint
from ..pruning.schedule import remaining_weight_sequence
from ..rbm.model import log_probabilities, min_connected_weights, rbm_weights
from .style import figure_legend, figure_with_panels, guarded, note, palette, panel_letter, rc_params

#: how each method and ticket variant is called in the source (and the main paper)
LABELS = {"imp_ct": "pruned + fine-tuned (IMP-CT)", "imp_wr": "IMP-WR", "irp_wr": "IRP-WR",
          "init_imp": "sp/ss: T(θ_init, m_imp)", "rand_imp": "sp/os: T(θ_rand, m_imp)",
          "cluster": "sc: cluster mask", "init_rand": "T(θ_init, m_rand)", "dense": "dense"}
#: one colour per method and variant in every panel
COLORS = {"imp_ct": "#0173b2", "imp_wr": "#de8f05", "irp_wr": "#029e73", "init_imp": "#d55e00",
          "rand_imp": "#cc78bc", "cluster": "#56b4e9", "init_rand": "#ca9161", "dense": "0.2"}
ERRORS = {"kl_exact": "KL(|Ψ|² ‖ p)", "kl_data": "KL(data ‖ p)", "infidelity": "1 − F", "eroe": "eROE",
          "mroe": "mROE", "c_mse": "C_MSE"}


@dataclass
class RBMTables:
    """The finished tables of the RBM runs of one figure (paths relative to ``results``)."""

    results: Path
    settings: dict  # run -> resolved settings
    histories: pd.DataFrame = field(default_factory=pd.DataFrame)
    logs: pd.DataFrame = field(default_factory=pd.DataFrame)
    tickets: pd.DataFrame = field(default_factory=pd.DataFrame)
    data: dict = field(default_factory=dict)  # run -> data record

    @classmethod
    def load(cls, results, settings: dict, files: dict) -> "RBMTables":
        """``files``: the figure's inputs by kind (:meth:`sparse_nqs.plan.Plan.rbm_figure_inputs`, as paths)."""
        results = Path(results)
        tables = cls(results, settings)
        histories = [pd.read_csv(p) for p in files.get("histories", []) if Path(p).exists()]
        tables.histories = pd.concat(histories, ignore_index=True) if histories else pd.DataFrame()
        logs = []
        for p in files.get("logs", []):
            if Path(p).exists():
                log = pd.read_csv(p)
                run, method = Path(p).parts[-3], Path(p).parts[-2]
                logs.append(log.assign(run=run, method=method))
        tables.logs = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame()
        rows = [json.loads(Path(p).read_text()) for p in files.get("tickets", []) if Path(p).exists()]
        tables.tickets = pd.DataFrame(rows)
        records = {Path(p).stem: json.loads(Path(p).read_text()) for p in files.get("data", []) if Path(p).exists()}
        from ..rbm.run import data_system

        tables.data = {run: records.get(data_system(s)) for run, s in settings.items()}
        for name in ("histories", "tickets"):
            frame = getattr(tables, name)
            if not frame.empty:  # consolidated first: the history tables are wide (histogram and C(d) columns)
                pruned = 1 - frame["n"] / frame.run.map(tables.n_init)
                setattr(tables, name, pd.concat([frame, pruned.rename("pruned")], axis=1))
        return tables

    def qucumber(self, run: str):
        """The shipped QuCumber path with this run's data set and schedule (None if there is none)."""
        return qucumber_path(self.settings[run], self.data.get(run))

    def n_init(self, run: str) -> int:
        from ..rbm.run import n_hidden

        return self.settings[run]["model"]["N"] * n_hidden(self.settings[run])

    def disconnected_beyond(self, run: str) -> float:
        """The pruned fraction beyond which the graph must be disconnected."""
        from ..rbm.run import n_hidden

        s = self.settings[run]
        return 1 - min_connected_weights(s["model"]["N"], n_hidden(s)) / self.n_init(run)

    def label(self, run: str) -> str:
        m = self.settings[run]["model"]
        return f"N = {m['N']}, h = {m['h']:g}"

    def path(self, run: str, method: str) -> pd.DataFrame:
        h = self.histories
        return h[(h.run == run) & (h.method == method)].sort_values("iteration") if not h.empty else h

    def checkpoint(self, run: str, name: str):
        file = self.results / paths.in_run(run, name)
        return load_checkpoint(file) if file.exists() else None


def _runs(tables: RBMTables, spec: dict) -> list[str]:
    return [r for r in spec.get("runs", []) if r in tables.settings]


def _methods(tables: RBMTables, run: str) -> list[str]:
    return list(tables.settings[run]["pruning"]["methods"])


def _disconnection(ax, tables, run) -> None:
    ax.axvline(tables.disconnected_beyond(run), color="0.4", linestyle="--", linewidth=0.8,
               label="graph must be disconnected")


# --------------------------------------------------------------------------------------------
# Fig. 1: the graph before and after pruning
# --------------------------------------------------------------------------------------------
def _graph(ax, weights: np.ndarray, title: str) -> bool:
    n_visible, n_hidden = weights.shape
    xv, xh = np.linspace(0, 1, n_visible), np.linspace(0, 1, n_hidden)
    scale = np.abs(weights).max() or 1.0
    for i, j in zip(*np.nonzero(weights)):
        w = weights[i, j]
        ax.plot([xv[i], xh[j]], [0, 1], color="#d62728" if w > 0 else "#1f77b4", linewidth=2.5 * abs(w) / scale,
                alpha=0.8)
    ax.scatter(xv, np.zeros(n_visible), s=30, color="0.2", zorder=3, label="visible")
    ax.scatter(xh, np.ones(n_hidden), s=30, color="white", edgecolor="0.2", zorder=3, label="hidden")
    ax.set_title(f"{title}: {np.count_nonzero(weights)} weights", fontsize="small")
    ax.set_axis_off()
    return True


def draw_fig1(tables: RBMTables, spec: dict) -> Figure:
    runs = _runs(tables, spec)[:1]
    figure, axes = figure_with_panels(2, ncols=2)
    if not runs:
        for ax in axes:
            note(ax, "no RBM run in rbm.figures.rbm_fig1.runs")
        return figure
    run = runs[0]
    method = _methods(tables, run)[0] if _methods(tables, run) else None
    dense = tables.checkpoint(run, paths.THETA_WR)
    last = None
    if method is not None:
        rounds = tables.path(run, method)
        if not rounds.empty:
            last = tables.checkpoint(run, paths.round_checkpoint(method, int(rounds.iteration.max())))
    for ax, ckpt, title in ((axes[0], dense, "dense"), (axes[1], last, f"after {LABELS.get(method, method)}")):
        if ckpt is None:
            note(ax, f"{title}: no checkpoint")
        else:
            guarded(ax, _graph, np.asarray(rbm_weights(ckpt.variables)), title)
    figure.suptitle(f"RBM graph ({tables.label(run)}): line width |W|, red W > 0, blue W < 0", fontsize="small")
    return figure


# --------------------------------------------------------------------------------------------
# Fig. 2, 3, 4, 6: along the pruning path
# --------------------------------------------------------------------------------------------
def _errors_panel(ax, tables, run, method, columns, logy=True) -> bool:
    path = tables.path(run, method)
    if path.empty:
        note(ax, "no pruning path yet")
        return False
    colours = {}
    for column in columns:
        if column in path and path[column].notna().any():
            line, = ax.plot(path.pruned, path[column], marker="o", markersize=3, label=ERRORS.get(column, column))
            colours[column] = line.get_color()
    external = tables.qucumber(run) if method == tables.settings[run]["pruning"]["methods"][0] else None
    if external is not None:  # the same path trained by QuCumber: dashed, hollow, in the same colour
        for column, colour in colours.items():
            if column in external.table:
                ax.plot(external.table["pruned"], external.table[column], ls="--", marker="o", markersize=3,
                        mfc="none", color=colour, label=f"{ERRORS.get(column, column)}, {QUCUMBER_LABEL}")
    if logy:
        ax.set_yscale("log")
    _disconnection(ax, tables, run)
    ax.set_xlabel("fraction of weights pruned")
    ax.legend(fontsize="x-small")
    return True


def draw_fig2(tables: RBMTables, spec: dict) -> Figure:
    runs = _runs(tables, spec)
    figure, axes = figure_with_panels(3 * max(1, len(runs)), ncols=max(1, len(runs)))
    rows = (("kl_exact", "kl_data", "infidelity"), ("eroe", "mroe"), ("c_mse",))
    ylabels = ("KL divergence, infidelity", "relative error of E and <|m|>", "mean squared error of C(d)")
    for k, run in enumerate(runs):
        method = _methods(tables, run)[0]
        for row, columns in enumerate(rows):
            ax = axes[row * len(runs) + k]
            guarded(ax, _errors_panel, tables, run, method, columns)
            ax.set_title(f"{panel_letter(row * len(runs) + k)} {tables.label(run)}", fontsize="small")
            if k == 0:
                ax.set_ylabel(ylabels[row])
    if not runs:
        note(axes[0], "no RBM run in rbm.figures.rbm_fig2.runs")
    methods = sorted({LABELS.get(_methods(tables, r)[0], _methods(tables, r)[0]) for r in runs})
    figure.suptitle("errors of the pruned RBM against the fraction of weights pruned"
                    + (f" ({', '.join(methods)})" if methods else ""), fontsize="small")
    return figure


def _magnetisation_panel(ax, tables, run, method) -> bool:
    path = tables.path(run, method)
    if path.empty:
        note(ax, "no pruning path yet")
        return False
    ax.plot(path.pruned, path.mz, marker="o", markersize=3, label="⟨m⟩")
    ax.plot(path.pruned, path.abs_mz, marker="s", markersize=3, label="⟨|m|⟩")
    data = tables.data.get(run)
    if data:
        ax.axhline(data["statistics"]["abs_m"], color="0.3", linewidth=2, alpha=0.5, label="data ⟨|m|⟩")
        ax.axhline(data["statistics"]["m"], color="0.6", linewidth=2, alpha=0.5, label="data ⟨m⟩")
    _disconnection(ax, tables, run)
    ax.set_xlabel("fraction of weights pruned")
    ax.legend(fontsize="x-small")
    return True


def _histogram_panel(ax, tables, run, method) -> bool:
    path = tables.path(run, method)
    N = tables.settings[run]["model"]["N"]
    columns = [f"hist_{k}" for k in range(N + 1)]
    if path.empty or not set(columns) <= set(path):
        note(ax, "no pruning path yet")
        return False
    m = -1 + 2 * np.arange(N + 1) / N
    picks = path.iloc[np.unique(np.linspace(0, len(path) - 1, min(4, len(path))).astype(int))]
    colors = palette({"palette": "viridis"}, len(picks))
    for color, (_, row) in zip(colors, picks.iterrows()):
        ax.plot(m, row[columns].to_numpy(float), marker=".", color=color, label=f"{row.pruned:.0%} pruned")
    data = tables.data.get(run)
    if data:
        ax.plot(m, data["statistics"]["histogram"], color="0.2", linewidth=2.5, alpha=0.5, label="data")
    ax.set_xlabel("m")
    ax.set_ylabel("fraction of samples")
    ax.legend(fontsize="x-small")
    return True


def draw_fig3(tables: RBMTables, spec: dict) -> Figure:
    runs = _runs(tables, spec)[:1]
    figure, axes = figure_with_panels(2, ncols=2)
    if not runs:
        for ax in axes:
            note(ax, "no RBM run in rbm.figures.rbm_fig3.runs")
        return figure
    run, method = runs[0], _methods(tables, runs[0])[0]
    guarded(axes[0], _magnetisation_panel, tables, run, method)
    guarded(axes[1], _histogram_panel, tables, run, method)
    figure.suptitle(f"magnetisation of the pruned RBM, {tables.label(run)}", fontsize="small")
    return figure


def _correlation_panel(ax, tables, run, method) -> bool:
    path = tables.path(run, method)
    N = tables.settings[run]["model"]["N"]
    columns = [f"c_{d}" for d in range(N // 2 + 1)]
    if path.empty or not set(columns) <= set(path):
        note(ax, "no pruning path yet")
        return False
    cmap = matplotlib.colormaps["viridis"]
    for _, row in path.iterrows():
        ax.plot(np.arange(len(columns)), row[columns].to_numpy(float), color=cmap(row.pruned), linewidth=1)
    data = tables.data.get(run)
    if data:
        ax.plot(np.arange(len(columns)), data["statistics"]["correlations"], color="k", linewidth=3, alpha=0.6,
                label="data")
    ax.set_xlabel("d")
    ax.set_ylabel("C(d)")
    ax.set_title(tables.label(run), fontsize="small")
    ax.legend(fontsize="x-small")
    return True


def draw_fig4(tables: RBMTables, spec: dict) -> Figure:
    runs = _runs(tables, spec)
    figure, axes = figure_with_panels(max(1, len(runs)))
    for ax, run in zip(axes, runs):
        guarded(ax, _correlation_panel, tables, run, _methods(tables, run)[0])
    if not runs:
        note(axes[0], "no RBM run in rbm.figures.rbm_fig4.runs")
    mappable = matplotlib.cm.ScalarMappable(cmap="viridis", norm=matplotlib.colors.Normalize(0, 1))
    figure.colorbar(mappable, ax=axes, label="fraction of weights pruned", shrink=0.8)
    return figure


def draw_fig6(tables: RBMTables, spec: dict) -> Figure:
    runs = _runs(tables, spec)
    figure, axes = figure_with_panels(3, ncols=3)
    colors = palette({"palette": "colorblind"}, max(1, len(runs)))
    for ax, column in zip(axes, ("eroe", "mroe", "c_mse")):
        for color, run in zip(colors, runs):
            log = tables.logs[tables.logs.run == run] if not tables.logs.empty else pd.DataFrame()
            path = tables.path(run, _methods(tables, run)[0])
            if not log.empty and column in log:
                ax.scatter(log.kl_exact, log[column], s=6, color=color, alpha=0.4)
            if not path.empty:
                ax.scatter(path.kl_exact, path[column], s=14, marker="s", color=color, label=tables.label(run))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(ERRORS["kl_exact"])
        ax.set_ylabel(ERRORS[column])
    figure_legend(figure, axes)
    figure.suptitle("errors against KL through training (dots) and pruning (squares)", fontsize="small")
    return figure


# --------------------------------------------------------------------------------------------
# Fig. 5: training curves of the sparse RBMs
# --------------------------------------------------------------------------------------------
def ticket_log(tables: RBMTables, run: str, variant: str, iteration: int) -> pd.DataFrame:
    file = tables.results / paths.in_run(run, paths.ticket(variant, iteration, "_log.csv"))
    return pd.read_csv(file) if file.exists() else pd.DataFrame()


def _curves_panel(ax, tables, run, column) -> bool:
    method = _methods(tables, run)[0] if _methods(tables, run) else None
    log = tables.logs[(tables.logs.run == run) & (tables.logs.method == method)] if not tables.logs.empty \
        else pd.DataFrame()  # every method's log starts with the same pre-training: draw it once
    drawn = False
    if not log.empty:
        dense = log[log.phase == "pretrain"]
        ax.plot(dense.step, dense[column], color=COLORS["dense"], label=LABELS["dense"])
        drawn = True
    tickets = tables.tickets[tables.tickets.run == run] if not tables.tickets.empty else pd.DataFrame()
    for _, row in tickets.iterrows():
        curve = ticket_log(tables, run, row.variant, int(row.iteration))
        if not curve.empty:
            ax.plot(curve.step, curve[column], color=COLORS.get(row.variant),
                    linestyle="-" if row.iteration == tickets.iteration.min() else "--",
                    label=f"{LABELS.get(row.variant, row.variant)}, {1 - row.pruned:.0%} left")
            drawn = True
    if not drawn:
        note(ax, "no training log yet")
        return False
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ERRORS[column])
    return True


def draw_fig5(tables: RBMTables, spec: dict) -> Figure:
    runs = _runs(tables, spec)
    columns = ("kl_exact", "infidelity", "eroe", "mroe")
    figure, axes = figure_with_panels(len(columns) * max(1, len(runs)), ncols=len(columns), legend_rows=2)
    for k, run in enumerate(runs):
        for c, column in enumerate(columns):
            ax = axes[k * len(columns) + c]
            guarded(ax, _curves_panel, tables, run, column)
            ax.set_title(tables.label(run), fontsize="small")
    if not runs:
        note(axes[0], "no RBM run in rbm.figures.rbm_fig5.runs")
    figure_legend(figure, axes)
    return figure


# --------------------------------------------------------------------------------------------
# Table I and the lottery-ticket questions
# --------------------------------------------------------------------------------------------
def table1(settings: dict) -> pd.DataFrame:
    """Percent of weights remaining per iteration of each run, as the count rule computes it."""
    from ..rbm.run import n_hidden

    rows = []
    for run, s in settings.items():
        p = s["pruning"]
        n_init = s["model"]["N"] * n_hidden(s)
        sequence = remaining_weight_sequence(n_init, p["p_r"], p["iterations"], first_p_r=p["first_p_r"])
        rows += [{"run": run, "iteration": i, "n": n, "percent_remaining": 100 * n / n_init}
                 for i, n in enumerate(sequence)]
    return pd.DataFrame(rows)


def neighbour_fidelities(tables: RBMTables, run: str, method: str) -> pd.DataFrame:
    """Exact fidelity between the RBMs of consecutive pruning rounds (dense -> 0 -> 1 ...), N <= 20."""
    N = tables.settings[run]["model"]["N"]
    path = tables.path(run, method)
    if N > 20 or path.empty:
        return pd.DataFrame()
    names = [paths.THETA_WR] + [paths.round_checkpoint(method, int(i)) for i in path.iteration if i >= 0]
    checkpoints = [tables.checkpoint(run, name) for name in names]
    if any(c is None for c in checkpoints):
        return pd.DataFrame()
    log_p = [log_probabilities(c.variables, N) for c in checkpoints]
    fidelity = [float(np.sum(np.exp(0.5 * (a + b))) ** 2) for a, b in zip(log_p, log_p[1:])]
    return pd.DataFrame({"pruned": path.pruned.to_numpy()[1:], "fidelity": fidelity})


def draw_lth(tables: RBMTables, spec: dict) -> Figure:
    runs = _runs(tables, spec)
    figure, axes = figure_with_panels(3 * max(1, len(runs)), ncols=3, legend_rows=2)
    for k, run in enumerate(runs):
        a, b, c = axes[3 * k: 3 * k + 3]
        for method in _methods(tables, run):
            path = tables.path(run, method)
            if not path.empty:
                a.plot(path.pruned, path.kl_exact, marker="o", markersize=3, label=LABELS.get(method, method),
                       color=COLORS.get(method))
        a.set_yscale("log")
        a.set_xlabel("fraction of weights pruned")
        a.set_ylabel(ERRORS["kl_exact"])
        a.set_title(f"(a) rewinding or fine-tuning, {tables.label(run)}", fontsize="small")
        tickets = tables.tickets[tables.tickets.run == run] if not tables.tickets.empty else pd.DataFrame()
        for variant, rows in (tickets.groupby("variant") if not tickets.empty else []):
            rows = rows.sort_values("pruned")
            b.plot(rows.pruned, rows.kl_exact, marker="o", label=LABELS.get(variant, variant), color=COLORS.get(variant))
        if tickets.empty:
            note(b, "no tickets in this run")
        b.set_yscale("log")
        b.set_xlabel("fraction of weights pruned")
        b.set_title("(b) sparse RBMs trained from the start", fontsize="small")
        for method in _methods(tables, run):
            fid = neighbour_fidelities(tables, run, method)
            if not fid.empty:
                c.plot(fid.pruned, fid.fidelity, marker="o", markersize=3, label=LABELS.get(method, method),
                       color=COLORS.get(method))
        c.set_xlabel("fraction of weights pruned")
        c.set_ylabel("F(round i − 1, round i)")
        c.set_title("(c) fidelity of neighbouring pruned RBMs", fontsize="small")
    if not runs:
        note(axes[0], "no RBM run in rbm.figures.rbm_lth.runs")
    figure_legend(figure, axes)
    return figure


DRAW = {"rbm_fig1": draw_fig1, "rbm_fig2": draw_fig2, "rbm_fig3": draw_fig3, "rbm_fig4": draw_fig4,
        "rbm_fig5": draw_fig5, "rbm_fig6": draw_fig6, "rbm_lth": draw_lth}


def draw_rbm_figure(fig: str, tables: RBMTables, spec: dict, options: dict) -> Figure:
    with matplotlib.rc_context(rc_params(options)):
        figure = DRAW[fig](tables, spec)
    figure._sparse_nqs_rc = rc_params(options)
    return figure
