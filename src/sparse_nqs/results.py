"""The tables a figure or the claims check reads, gathered from the per-run files of the pipeline.

:class:`FigureTables` holds pandas DataFrames (any may be empty):

runs         one row per run: run, system, model, L, N, kappa, network, alpha, n_filters, n_blocks,
             n_init, p_r, iterations (from the config, so figures can label and split by them)
dense        the dense evaluation row of each run (pretrain/dense.json)
histories    <method>/history.csv of the runs: run, method, iteration (-1 = dense), rounds, n, rho,
             energy, energy_error, variance, variance_per_spin, v_score, eps_rel, delta_e_per_spin,
             mx, mz, abs_mz, (exact_* for small N), reference_energy, reference_source, ...
logs         <method>/log.csv: step, energy, energy_error, variance, r_hat, acceptance, phase,
             iteration, run, method (every training step, pre-training included)
tickets      ticket rows: run, variant (init_imp / rand_imp / init_rand), iteration, n, rho and the
             evaluation columns
fidelity     <method>/fidelity.csv: run, method, iteration_from, iteration_to, n, rho, fidelity,
             fidelity_error, fidelity_exact
filters      toric-code odd-parity coverage per IMP-WR iteration (run, iteration, n, rho, n_odd, ...)
weights      Fig. 4(d): normalised weights of selected neurons of one pruned toric-code network
construction Fig. 7: W, energy_per_spin, variance_per_spin, method, L
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd

from .analysis import apply_reference, choose_reference


def _empty() -> pd.DataFrame:
    return pd.DataFrame()


@dataclass
class FigureTables:
    runs: pd.DataFrame = field(default_factory=_empty)
    dense: pd.DataFrame = field(default_factory=_empty)
    histories: pd.DataFrame = field(default_factory=_empty)
    logs: pd.DataFrame = field(default_factory=_empty)
    tickets: pd.DataFrame = field(default_factory=_empty)
    fidelity: pd.DataFrame = field(default_factory=_empty)
    filters: pd.DataFrame = field(default_factory=_empty)
    weights: pd.DataFrame = field(default_factory=_empty)
    construction: pd.DataFrame = field(default_factory=_empty)

    def with_run_info(self) -> "FigureTables":
        """Every table (except runs and construction) joined with the run description columns."""
        if self.runs.empty:
            return self
        out = {}
        for f in fields(self):
            table = getattr(self, f.name)
            if f.name in ("runs", "construction") or table.empty or "run" not in table:
                out[f.name] = table
            else:
                extra = [c for c in self.runs if c == "run" or c not in table]
                out[f.name] = table.merge(self.runs[extra], on="run", how="left")
        return FigureTables(**out)

    def with_reference(self, reference_spec: dict) -> "FigureTables":
        """Errors of every row against the figure's reference (``figures.<fig>.reference``).

        ``record``: the reference records of the runs (already applied when the rows were made).
        ``nqs``: per system, the ``n_best`` lowest-variance dense rows among ``reference_spec['runs']``.
        """
        if reference_spec["kind"] == "record" or self.runs.empty:
            return self
        system_of = dict(zip(self.runs.run, self.runs.system))
        N_of = dict(zip(self.runs.run, self.runs.N))
        candidates = self.dense[self.dense.run.isin(reference_spec["runs"])]
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("dense", "histories", "tickets"):
            table = out[name]
            if table.empty:
                continue
            parts = []
            for system, part in table.groupby(table.run.map(system_of)):
                pool = candidates[candidates.run.map(system_of) == system]
                if pool.empty:
                    parts.append(part)
                    continue
                reference = choose_reference("nqs", dense_rows=pool, n_best=reference_spec["n_best"],
                                             combine=reference_spec["combine"])
                parts.append(apply_reference(part, reference, int(N_of[part.run.iloc[0]])))
            out[name] = pd.concat(parts).sort_index()
        return FigureTables(**out)


def _read_csvs(paths) -> pd.DataFrame:
    frames = [pd.read_csv(p) for p in paths if Path(p).stat().st_size > 0]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _read_rows(paths) -> pd.DataFrame:
    rows = [json.loads(Path(p).read_text()) for p in paths]
    return pd.DataFrame(rows) if rows else pd.DataFrame()


def _run_of(path: Path) -> str:
    """runs/<run>/<...> -> <run>."""
    parts = Path(path).parts
    return parts[parts.index("runs") + 1]


def run_table(plan, names) -> pd.DataFrame:
    """The ``runs`` table of :class:`FigureTables` from a :class:`sparse_nqs.plan.Plan`."""
    rows = []
    for name in names:
        settings, summary = plan.runs[name], plan.summaries[name]
        model, network = settings["model"], settings["network"]
        rows.append({"run": name, "system": plan.system(name), "model": model["name"], "L": model["L"],
                     "N": summary["system"]["N"], "kappa": model["kappa"], "network": network["kind"],
                     "alpha": network.get("alpha"), "n_filters": network.get("n_filters"),
                     "n_blocks": network.get("n_blocks"), "n_init": summary["n_init"],
                     "p_r": settings["pruning"]["p_r"], "iterations": settings["pruning"]["iterations"]})
    return pd.DataFrame(rows)


def load_tables(inputs: dict, runs: pd.DataFrame | None = None) -> FigureTables:
    """Read the files listed by kind (as :meth:`sparse_nqs.plan.Plan.figure_inputs` lists them)."""
    logs = []
    for path in inputs.get("logs", []):
        log = pd.read_csv(path)
        logs.append(log.assign(run=_run_of(path), method=Path(path).parent.name))
    filters = [pd.read_csv(p).assign(run=_run_of(p)) for p in inputs.get("filters", [])]
    weights = [pd.read_csv(p).assign(run=_run_of(p)) for p in inputs.get("weights", [])]
    return FigureTables(
        runs=runs if runs is not None else pd.DataFrame(),
        dense=_read_rows(inputs.get("dense", [])),
        histories=_read_csvs(inputs.get("histories", [])),
        logs=pd.concat(logs, ignore_index=True) if logs else pd.DataFrame(),
        tickets=_read_rows(inputs.get("tickets", [])),
        fidelity=_read_csvs(inputs.get("fidelity", [])),
        filters=pd.concat(filters, ignore_index=True) if filters else pd.DataFrame(),
        weights=pd.concat(weights, ignore_index=True) if weights else pd.DataFrame(),
        construction=_read_csvs(inputs.get("construction", [])),
    )


def load_figure_tables(plan, fig: str, inputs: dict) -> FigureTables:
    """The tables of one figure with its runs table; the figure functions and the claims check
    apply the figure's reference and join the run columns themselves."""
    return load_tables(inputs, run_table(plan, plan.figure_runs(fig)))
