"""The paper's own plotted data (``sparse_nqs/external/paper/``, read from the authors' figure PDFs by
:mod:`sparse_nqs.external.paper_extract`; its README says how), and which of our runs each curve
belongs to.

A curve of the paper is set beside a run of ours only where the run is the paper's run: the same
system (model, L, kappa, boundary), the same network (kind and width) and the same pruning rate;
a miniature of it (the default run's 4x4 networks) is not. :data:`PAPER_RUNS` says, for each
figure, which settings its curves were made with (the paper's Tables 3-6).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import HERE

DATA = HERE / "paper"
#: the label a figure gives the paper's curves (never one of ours)
PAPER_LABEL = "paper (authors' figure data)"
KAPPA_C = 3.04438
#: the settings behind the paper's curves, per figure and panel: (model, network, p_r) as functions of
#: a curve's keys (its legend entry and panel: L, alpha, kappa, network)
_TFIM_10 = {"name": "tfim", "L": 10, "kappa": KAPPA_C, "boundary": "open"}


def _fig1(keys: dict) -> dict:
    network = {"ffnn": {"kind": "ffnn", "alpha": 5.0}, "cnn": {"kind": "cnn", "n_filters": 4},
               "rescnn": {"kind": "rescnn", "n_filters": 16, "n_blocks": 4}}[keys["network"]]
    return {"model": _TFIM_10, "network": network, "p_r": 0.05 if keys["network"] == "cnn" else 0.12}


def _fig2(keys: dict) -> dict:
    alpha = keys.get("alpha") if _given(keys.get("alpha")) else 5.0
    kappa = keys.get("kappa") if _given(keys.get("kappa")) else KAPPA_C
    return {"model": {**_TFIM_10, "kappa": float(kappa)}, "network": {"kind": "ffnn", "alpha": float(alpha)},
            "p_r": 0.12}


def _fig3(keys: dict) -> dict:
    return {"model": {**_TFIM_10, "L": int(keys["L"])}, "network": {"kind": "ffnn", "alpha": 8.0}, "p_r": 0.12}


def _fig4(keys: dict) -> dict:
    return {"model": {"name": "toric", "L": 3}, "network": {"kind": "ffnn", "alpha": float(keys["alpha"])},
            "p_r": 0.12}


PAPER_RUNS = {"fig1": _fig1, "fig2": _fig2, "fig3": _fig3, "fig4": _fig4}


def _given(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _has(rows: pd.DataFrame, key: str) -> np.ndarray:
    """Which rows have a value in ``key`` (a boolean array: also for an empty table)."""
    return rows[key].map(_given).to_numpy(dtype=bool)


@lru_cache(maxsize=None)
def _table(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv")


def points(figure: str) -> pd.DataFrame:
    """Every plotted point of one figure of the paper (empty if the data are not shipped)."""
    path = DATA / f"{figure}.csv"
    return _table(figure).copy() if path.is_file() else pd.DataFrame()


def legend() -> pd.DataFrame:
    return _table("legend").copy() if (DATA / "legend.csv").is_file() else pd.DataFrame()


def axes() -> pd.DataFrame:
    return _table("axes").copy() if (DATA / "axes.csv").is_file() else pd.DataFrame()


def settings_of(info: dict) -> dict:
    """The settings :func:`is_papers_run` compares, from a row of the figures' runs table
    (:func:`sparse_nqs.results.run_table`)."""
    model = {k: info.get(k2) for k, k2 in (("name", "model"), ("L", "L"), ("kappa", "kappa"), ("boundary", "boundary"))}
    network = {k: info.get(k2) for k, k2 in (("kind", "network"), ("alpha", "alpha"), ("n_filters", "n_filters"),
                                            ("n_blocks", "n_blocks"))}
    return {"model": {k: v for k, v in model.items() if _given(v)},
            "network": {k: v for k, v in network.items() if _given(v)}, "pruning": {"p_r": info.get("p_r")}}


def is_papers_run(settings: dict, paper: dict) -> bool:
    """Whether a run's resolved settings are those of a paper's run (system, network, p_r)."""
    model, network = settings.get("model") or {}, settings.get("network") or {}
    for key, value in paper["model"].items():
        ours = model.get(key)
        if isinstance(value, float) and not (ours is not None and math.isclose(float(ours), value, abs_tol=1e-9)):
            return False
        if not isinstance(value, float) and ours != value:
            return False
    for key, value in paper["network"].items():
        ours = network.get(key)
        if not _given(ours) or (float(ours) != float(value) if isinstance(value, (int, float)) else ours != value):
            return False
    p_r = (settings.get("pruning") or {}).get("p_r")
    return _given(p_r) and math.isclose(float(p_r), paper["p_r"])


def curve_keys(row) -> dict:
    """The keys of a curve (its legend entry and panel) from one of its rows."""
    return {k: row[k] for k in ("L", "alpha", "kappa", "network") if k in row and _given(row[k])}


def curves_of_run(figure: str, settings: dict) -> pd.DataFrame:
    """The points of the paper's curves of ``figure`` that belong to the run with ``settings``
    (every panel; empty where the run is not one of the paper's). Marker lines (``line``) are left out."""
    table = points(figure)
    if table.empty or figure not in PAPER_RUNS:
        return pd.DataFrame()
    if "line" in table:
        table = table[~_has(table, "line")]
    table = table[table["x_name"].isin(["n", "rho"])]  # pruning paths (not the scatter of the inset)
    keep = np.zeros(len(table), dtype=bool)
    for (panel, curve), rows in table.groupby(["panel", "curve"]):
        try:
            paper = PAPER_RUNS[figure](curve_keys(rows.iloc[0]))
        except (KeyError, TypeError, ValueError):
            continue
        if is_papers_run(settings, paper):
            keep |= ((table["panel"] == panel) & (table["curve"] == curve)).to_numpy()
    return table[keep].sort_values(["panel", "curve", "point"])


def curve(figure: str, panel: str | None, settings: dict, *, method: str | None = "imp_wr",
          variant: str | None = None) -> pd.DataFrame:
    """One curve of the paper (x, y in plotting order) for the run with ``settings``: the IMP-WR path
    (``method``), or a ticket variant (``variant``); in ``panel`` (None: the run's one panel of the
    figure, as in Fig. 1 a-c and Fig. 2); empty where the run is not the paper's."""
    rows = curves_of_run(figure, settings)
    if rows.empty:
        return pd.DataFrame(columns=["x", "y"])
    if panel is not None:
        rows = rows[(rows["panel"] == panel).to_numpy(dtype=bool)]
    if variant is not None:
        rows = rows[(rows["variant"] == variant).to_numpy(dtype=bool)] if "variant" in rows else rows.iloc[:0]
    else:
        if "variant" in rows:
            rows = rows[~_has(rows, "variant")]
        if method is not None and "method" in rows and _has(rows, "method").any():
            rows = rows[(rows["method"] == method).to_numpy(dtype=bool)]
    if panel is None and rows["panel"].nunique() > 1:
        raise ValueError(f"the run has curves in panels {sorted(rows['panel'].unique())} of {figure}: name one")
    return rows[["x", "y"]].reset_index(drop=True)


#: which panel of a figure holds which column of the pipeline's tables
PANEL_COLUMNS = {"fig3": {"a": "delta_e_per_spin", "c": "mz", "d": "mx"}, "fig4": {"a": "eps_rel"},
                 "fig2": {None: "delta_e_per_spin"}, "fig1": {None: "eps_rel"}}
FIDELITY_PANEL = {"fig3": "b", "fig4": "b"}


def round_index(x, n_sequence, scale: float) -> np.ndarray:
    """The round k (0: dense) of each plotted x on the count rule's n_k / ``scale`` (-1 if none within 1e-6)."""
    targets = np.asarray(n_sequence, dtype=float) / scale
    x = np.asarray(x, dtype=float)
    k = np.abs(targets[None, :] - x[:, None]).argmin(axis=1)
    return np.where(np.abs(targets[k] - x) <= 1e-6 * np.abs(x), k, -1)


def figure_tables(figure: str, run: str, settings: dict, summary: dict, info: dict):
    """The paper's curves of one of our runs as :class:`~sparse_nqs.results.FigureTables` shaped
    like the pipeline's own (history, neighbour fidelities, tickets; the run's row ``info``), so that
    every quantity is computed from them by the same code as from ours. Rounds are placed on the
    run's count rule (``summary["n_sequence"]``); the values are exact as plotted. None where the
    run is not the paper's."""
    from ..results import FigureTables

    rows = curves_of_run(figure, settings)
    if rows.empty:
        return None
    N = float(summary["system"]["N"])
    n_seq = summary["n_sequence"]
    history = None
    for panel, column in PANEL_COLUMNS.get(figure, {}).items():
        mine = rows if panel is None else rows[(rows["panel"] == panel).to_numpy(dtype=bool)]
        if "variant" in mine:
            mine = mine[~_has(mine, "variant")]
        if "method" in mine and _has(mine, "method").any():
            mine = mine[(mine["method"] == "imp_wr").to_numpy(dtype=bool)]
        if mine.empty:
            continue
        scale = N if mine["x_name"].iloc[0] == "rho" else 1.0
        k = round_index(mine["x"], n_seq, scale)
        frame = pd.DataFrame({"iteration": k - 1, column: mine["y"].to_numpy(),
                              f"exact_{column}": mine["y"].to_numpy()})[k >= 0]
        history = frame if history is None else history.merge(frame, on="iteration", how="outer")
    tables = {"runs": pd.DataFrame([{**info, "run": run}])}
    if history is not None:
        history = history.sort_values("iteration")
        n = np.asarray(n_seq, dtype=float)[history["iteration"].to_numpy() + 1]
        tables["histories"] = history.assign(run=run, method="imp_wr", n=n, rho=n / N)
    panel = FIDELITY_PANEL.get(figure)
    fid = rows[(rows["panel"] == panel).to_numpy(dtype=bool)] if panel else rows.iloc[:0]
    if not fid.empty:
        k = round_index(fid["x"], n_seq, N)
        fid = fid[k >= 0]
        k = k[k >= 0]
        tables["fidelity"] = pd.DataFrame({"run": run, "method": "imp_wr", "iteration_from": k - 1,
                                           "iteration_to": k, "n": np.asarray(n_seq, dtype=float)[k],
                                           "rho": fid["x"].to_numpy(), "fidelity": fid["y"].to_numpy(),
                                           "fidelity_error": 0.0})
    if "variant" in rows and _has(rows, "variant").any():
        tickets = rows[_has(rows, "variant")]
        scale = N if tickets["x_name"].iloc[0] == "rho" else 1.0
        k = round_index(tickets["x"], n_seq, scale)
        keep = k >= 0
        tables["tickets"] = pd.DataFrame({"run": run, "variant": tickets["variant"].to_numpy()[keep],
                                          "iteration": k[keep] - 1, "n": np.asarray(n_seq, dtype=float)[k[keep]],
                                          "rho": np.asarray(n_seq, dtype=float)[k[keep]] / N,
                                          "eps_rel": tickets["y"].to_numpy()[keep],
                                          "exact_eps_rel": tickets["y"].to_numpy()[keep]})
    return FigureTables(**tables)


#: the curve key that names the paper's runs of a figure whose claims are tested on its own data
FIGURE_RUN_KEY = {"fig3": "L", "fig4": "alpha"}


def own_figure_tables(figure: str):
    """The paper's own plotted data of every run of ``figure`` (Fig. 3: L = 4 .. 10; Fig. 4: alpha =
    4 .. 32) as one :class:`~sparse_nqs.results.FigureTables` with runs ``paper_L4``, ... and their
    figure spec, so that a claim is checked on the authors' curves by the code that checks ours.
    The count rule runs from each curve's dense point (n_init = rho_0 N)."""
    from ..pruning.schedule import max_iterations, remaining_weight_sequence
    from ..results import FigureTables

    key = FIGURE_RUN_KEY[figure]
    table = points(figure)
    table = table[table[key].map(_given) & table["x_name"].isin(["n", "rho"])]
    parts, names = [], []
    for value, rows in table.groupby(key):
        paper = PAPER_RUNS[figure]({key: value})
        model = paper["model"]
        N = 2 * model["L"] ** 2 if model["name"] == "toric" else model["L"] ** 2
        dense = rows[(rows["point"] == 0) & (rows["panel"] == ("a" if figure == "fig3" else "b"))]["x"]
        n_init = int(round(float(dense.iloc[0]) * N))
        sequence = remaining_weight_sequence(n_init, paper["p_r"], max_iterations(n_init, paper["p_r"]))
        name = f"paper_{key}{value:g}"
        info = {"run": name, "system": name, "model": model["name"], "L": model["L"], "N": N,
                "kappa": model.get("kappa"), "boundary": model.get("boundary"), "network": paper["network"]["kind"],
                "alpha": paper["network"].get("alpha"), "n_filters": None, "n_blocks": None, "n_init": n_init,
                "p_r": paper["p_r"], "iterations": len(sequence) - 1}
        settings = {"model": model, "network": paper["network"], "pruning": {"p_r": paper["p_r"]}}
        tables = figure_tables(figure, name, settings, {"system": {"N": N}, "n_sequence": sequence}, info)
        if tables is not None:
            parts.append(tables)
            names.append(name)
    merged = FigureTables(**{f: pd.concat([getattr(t, f) for t in parts], ignore_index=True)
                             for f in ("runs", "histories", "fidelity", "tickets")})
    return merged, {"runs": names}


__all__ = ["DATA", "PAPER_LABEL", "PAPER_RUNS", "axes", "curve", "curves_of_run", "figure_tables", "is_papers_run",
           "legend", "own_figure_tables", "points", "round_index", "settings_of"]
