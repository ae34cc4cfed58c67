"""Fig. 5: IMP-WR against IMP-CT and IRP-WR, and the energy at every training step."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..names import PRUNING_METHODS
from ..results import error_values, is_finite, network_label, numeric, select_rows
from .shared import suptitle
from .style import (
    E_LABEL,
    EPS_LABEL,
    N_LABEL,
    SHORT_LABELS,
    STYLE,
    figure_legend,
    figure_with_panels,
    guarded,
    logscale,
    note,
    panel_letter,
    reference_line,
    styled,
)

#: at most this many points per training-log curve (longer logs are block-averaged)
MAX_LOG_POINTS = 1500


def _methods_panel(ax, tables, run) -> None:
    drawn = False
    for method in PRUNING_METHODS:
        h = tables.history(run, method)
        if h.empty:
            continue
        drawn |= styled(ax, method, numeric(h, "n"), *error_values(h, "eps_rel"), logx=True, logy=True)
    logscale(ax)
    ax.set_xlabel(N_LABEL)
    ax.set_ylabel(EPS_LABEL)
    if not drawn:
        note(ax, f"no histories for run {run}")


def _block_mean(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    b = max(1, math.ceil(len(x) / MAX_LOG_POINTS))
    if b == 1:
        return x, y, 1
    m = len(x) // b * b
    xs = x[:m].reshape(-1, b).mean(axis=1)
    ys = y[:m].reshape(-1, b).mean(axis=1)
    return xs, ys, b


def _logs_panel(ax, tables, runs) -> None:
    logs = tables.logs
    ax.set_xlabel("training step")
    ax.set_ylabel(E_LABEL)
    if logs is None or logs.empty or "step" not in logs or "energy" not in logs:
        note(ax, "no training logs")
        return
    styles = ["-", "--", ":", "-."]
    values, block = [], 1
    drawn = False
    for k, run in enumerate(runs):
        rl = select_rows(logs, run)
        if rl.empty:
            continue
        info = tables.run_info(run)
        N = tables.spins(run)
        energy = numeric(rl, "energy") / N
        ls = styles[k % len(styles)]
        phase = rl["phase"].astype(str) if "phase" in rl else pd.Series("", index=rl.index)
        methods = rl["method"].astype(str) if "method" in rl else pd.Series("imp_wr", index=rl.index)
        pre = (phase == "pretrain").to_numpy()
        # IMP-WR drawn last, on top of the others
        parts = [("pretrain", pre)] + [(m, (~pre) & (methods == m).to_numpy()) for m in reversed(PRUNING_METHODS)]
        for key, sel in parts:
            if not sel.any():
                continue
            steps = numeric(rl, "step").to_numpy()[sel]
            e = energy.to_numpy()[sel]
            frame = pd.DataFrame({"step": steps, "e": e}).dropna().drop_duplicates("step").sort_values("step")
            if frame.empty:
                continue
            xs, ys, b = _block_mean(frame["step"].to_numpy(), frame["e"].to_numpy())
            block = max(block, b)
            s = STYLE[key]
            ax.plot(xs, ys, color=s["color"], linestyle=ls, linewidth=0.8, alpha=0.9,
                    label=SHORT_LABELS[key] if k == 0 else None)
            values.append(ys)
            drawn = True
        ref = numeric(tables.history(run), "reference_energy").dropna()
        if len(ref) and is_finite(N):
            ax.axhline(float(ref.iloc[0]) / N, **reference_line(), label="reference $E/N$" if k == 0 else None)
            values.append(np.array([float(ref.iloc[0]) / N]))
        if len(runs) > 1:
            ax.plot([], [], color="0.3", linestyle=ls, label=network_label(info, run))
    if not drawn:
        note(ax, "no training logs for these runs")
        return
    allv = np.concatenate(values)
    allv = allv[np.isfinite(allv)]
    if allv.size:
        lo, hi = float(allv.min()), float(np.percentile(allv, 98))
        pad = 0.05 * (hi - lo or abs(lo) or 1.0)
        ax.set_ylim(lo - pad, hi + pad)
    if block > 1:
        ax.text(0.02, 0.02, f"averaged over blocks of {block} steps", transform=ax.transAxes, ha="left",
                va="bottom", fontsize=6, color="0.35")
    handles, labels = ax.get_legend_handles_labels()
    first = [SHORT_LABELS[k] for k in ("pretrain", *PRUNING_METHODS)]
    order = sorted(range(len(labels)), key=lambda i: first.index(labels[i]) if labels[i] in first else len(first) + i)
    ax.legend([handles[i] for i in order], [labels[i] for i in order], fontsize="x-small", loc="upper right",
              ncol=2 if len(runs) > 1 else 1)


def draw(tables, spec, options):
    runs = tables.run_names(spec)
    n = len(runs) + 1
    figure, axes = figure_with_panels(n, ncols=min(n, 3), legend_rows=2)
    for k, run in enumerate(runs):
        ax = axes[k]
        guarded(ax, _methods_panel, tables, run)
        ax.set_title(f"{panel_letter(k)} {network_label(tables.run_info(run), run)}", loc="left")
    guarded(axes[-1], _logs_panel, tables, runs)
    axes[-1].set_title(f"{panel_letter(n - 1)} energy per spin during training", loc="left")
    figure_legend(figure, axes[:-1], ncol=3)
    suptitle(figure, "Pruning methods compared: magnitude pruning with rewinding (IMP-WR), "
                      "with continued training (IMP-CT) and random pruning (IRP-WR)", tables, runs)
    return figure


CAPTION = ("Pruning methods: relative energy error versus remaining weights n for magnitude pruning with "
           "rewinding to the pre-trained weights (IMP-WR), magnitude pruning with continued training (IMP-CT) "
           "and random pruning with rewinding (IRP-WR), all from the same pre-trained dense network; last "
           "panel: energy per spin at every training step (dense pre-training, then k steps per pruning "
           "iteration), dashed line the reference.")
