"""The finished results of the pipeline, and the queries that figures and claims ask of them.

:class:`FigureTables` is the one public way to read finished results: the figures
(:mod:`sparse_nqs.figures`) and the claims check (:mod:`sparse_nqs.claims`) both go through it and the
functions below; neither reads the per-run files itself.

:class:`FigureTables` holds pandas DataFrames (any may be empty):

runs         one row per run: run, system, model, L, N, kappa, boundary, network, alpha, n_filters, n_blocks,
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
references   reference records at a shifted field (``reference.kappa_c_field``): model, L, N, kappa,
             boundary, energy, method, backend
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from .analysis import apply_reference, choose_reference
from .names import KAPPA_C, KAPPA_C_RTOL
from .physics.models import MODEL_CLASSES, ToricCode
from .settings import FIGURE_DEFAULTS


class TablesWarning(UserWarning):
    """Part of the tables could not be used (a figure or the claims go on with what is left)."""


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
    references: pd.DataFrame = field(default_factory=_empty)

    def with_run_info(self) -> "FigureTables":
        """Every table (except runs and construction) joined with the run description columns."""
        if self.runs.empty:
            return self
        out = {}
        for f in fields(self):
            table = getattr(self, f.name)
            if f.name in ("runs", "construction", "references") or table.empty or "run" not in table:
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

    def with_field_reference(self, kappa_c_field: float) -> "FigureTables":
        """Errors of the kappa_c runs against the ground state at ``kappa_c_field`` (a record of
        :attr:`references`), as the authors' code measured them; the other runs keep their own."""
        if self.runs.empty or self.references.empty:
            raise ValueError(f"no reference record at kappa = {kappa_c_field:g} in the tables")
        records = self.references[np.isclose(numeric(self.references, "kappa"), kappa_c_field, rtol=1e-12, atol=0)]
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        info = self.runs.set_index("run")
        for name in ("dense", "histories", "tickets"):
            table = out[name]
            if table.empty:
                continue
            parts = []
            for run, part in table.groupby("run", sort=False):
                row = info.loc[run]
                critical = is_finite(row.get("kappa")) and phase_of(row) == "a"
                same = (records["model"] == row["model"]) & (records["L"] == row["L"])
                if isinstance(row.get("boundary"), str):
                    same &= records["boundary"] == row["boundary"]
                match = records[same]
                if critical and len(match):
                    record = match.iloc[0]
                    source = f"{record['method']}:{record['backend']} at κ = {float(record['kappa']):g}"
                    part = apply_reference(part, {"energy": float(record["energy"]), "source": source},
                                           int(row["N"]))
                parts.append(part)
            out[name] = pd.concat(parts).sort_index()
        return FigureTables(**out)

    # ------------------------------------------------------------------ queries
    def for_figure(self, spec: dict) -> "FigureTables":
        """The figure's reference (kind ``nqs``, or a record at a shifted field) applied and run
        columns joined to every table."""
        tables = self
        reference = {**FIGURE_DEFAULTS["reference"], **((spec or {}).get("reference") or {})}
        if reference.get("kappa_c_field") is not None and reference.get("kind") == "record":
            try:
                tables = tables.with_field_reference(float(reference["kappa_c_field"]))
            except (KeyError, ValueError, AttributeError) as err:
                warnings.warn(f"could not apply the shifted-field reference: {err}", TablesWarning, stacklevel=2)
        if reference.get("kind") == "nqs" and reference.get("runs") and not tables.dense.empty:
            try:
                tables = tables.with_reference(reference)
            except (KeyError, ValueError, AttributeError) as err:
                warnings.warn(f"could not apply the NQS reference: {err}", TablesWarning, stacklevel=2)
        try:
            return tables.with_run_info()
        except (KeyError, ValueError) as err:
            warnings.warn(f"could not join the run table: {err}", TablesWarning, stacklevel=2)
            return tables

    def history(self, run, method="imp_wr") -> pd.DataFrame:
        """The pruning path of ``run`` by ``method`` (with its dense row), one row per iteration."""
        out = select_rows(self.histories, run, method)
        if out.empty:
            return out
        if "iteration" in out:
            out = out.drop_duplicates(subset=["iteration"], keep="last")
        return out

    def ticket_rows(self, run, variant) -> pd.DataFrame:
        """The isolated tickets of ``run`` of one variant (init_imp, rand_imp, init_rand)."""
        t = select_rows(self.tickets, run)
        if t.empty or "variant" not in t:
            return pd.DataFrame()
        return t[t["variant"].astype(str) == variant]

    def fidelity_rows(self, run, method="imp_wr") -> pd.DataFrame:
        """Neighbour fidelities along the path of ``run`` by ``method`` (finite rho and F only).

        Where every pair has its exact fidelity (full summation), ``fidelity`` is that value with a zero
        error and the Monte Carlo estimate moves to ``fidelity_mc`` / ``fidelity_mc_error``;
        ``attrs["exact"]`` says which (what every figure and claim reads)."""
        f = select_rows(self.fidelity, run, method)
        if f.empty or "rho" not in f or "fidelity" not in f:
            return pd.DataFrame()
        exact = numeric(f, "fidelity_exact")
        is_exact = bool(len(f)) and bool(np.isfinite(exact).all())
        if is_exact:
            f = f.assign(fidelity_mc=numeric(f, "fidelity"), fidelity_mc_error=numeric(f, "fidelity_error"),
                         fidelity=exact, fidelity_error=0.0)
        f = f.assign(rho=numeric(f, "rho"), fidelity=numeric(f, "fidelity"))
        f = f[np.isfinite(f["rho"]) & np.isfinite(f["fidelity"])]
        f.attrs["exact"] = is_exact
        return f

    def run_info(self, run) -> dict:
        """The run's row of the runs table as a dict ({} if unknown)."""
        r = self.runs
        if r is None or r.empty or "run" not in r or run is None:
            return {}
        match = r[r["run"].astype(str) == str(run)]
        return match.iloc[0].to_dict() if len(match) else {}

    def run_names(self, spec: dict) -> list:
        """The runs of a figure spec, else every run that appears in the tables."""
        names = [str(n) for n in (spec or {}).get("runs") or []]
        if names:
            return list(dict.fromkeys(names))
        found = []
        for table in (self.runs, self.histories, self.tickets, self.fidelity):
            if table is not None and not table.empty and "run" in table:
                found += [str(r) for r in table["run"].dropna()]
        return list(dict.fromkeys(found))

    def spins(self, run) -> float:
        """N of a run: from the runs table, else n / rho of its rows (NaN if neither is known)."""
        N = self.run_info(run).get("N")
        if is_finite(N):
            return float(N)
        for table in (self.histories, self.tickets, self.dense):
            rows = select_rows(table, run)
            ratio = (numeric(rows, "n") / numeric(rows, "rho")).dropna()
            if len(ratio):
                return float(ratio.iloc[0])
        return float("nan")


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
                     "N": summary["system"]["N"], "kappa": model["kappa"], "boundary": model["boundary"], "network": network["kind"],
                     "alpha": network.get("alpha"), "n_filters": network.get("n_filters"),
                     "n_blocks": network.get("n_blocks"), "n_init": summary["n_init"],
                     "p_r": settings["pruning"]["p_r"], "iterations": settings["pruning"]["iterations"]})
    return pd.DataFrame(rows)


#: the columns of a reference record that FigureTables.references keeps (not the correlation matrices)
RECORD_COLUMNS = ("model", "L", "N", "kappa", "boundary", "energy", "method", "backend")


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
        references=_read_rows(inputs.get("references", []))[list(RECORD_COLUMNS)]
        if inputs.get("references") else pd.DataFrame(),
    )


def existing_inputs(inputs: dict, directory) -> dict:
    """``inputs`` ({kind: [relative paths]}) under ``directory``, only the files that exist there (the
    tables of a results or published directory whose runs are not all finished)."""
    directory = Path(directory)
    return {kind: [str(directory / p) for p in files if (directory / p).is_file()] for kind, files in inputs.items()}


def load_figure_tables(plan, fig: str, inputs: dict) -> FigureTables:
    """The tables of one figure with its runs table; the figure functions and the claims check
    apply the figure's reference and join the run columns themselves."""
    return load_tables(inputs, run_table(plan, plan.figure_runs(fig)))


# --------------------------------------------------------------------------------------------
# queries on rows (any table of FigureTables)
# --------------------------------------------------------------------------------------------
def numeric(df: pd.DataFrame, col: str) -> pd.Series:
    if df is None or col not in df:
        return pd.Series(np.nan, index=getattr(df, "index", None), dtype=float)
    return pd.to_numeric(df[col], errors="coerce").astype(float)


def is_finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def fmt(value, spec="g") -> str:
    return format(float(value), spec) if is_finite(value) else "?"


def select_rows(df: pd.DataFrame, run=None, method=None) -> pd.DataFrame:
    if df is None or df.empty:
        return pd.DataFrame()
    out = df
    if run is not None and "run" in out:
        out = out[out["run"].astype(str) == str(run)]
    if method is not None and "method" in out:
        m = out["method"].astype(str)
        dense = (m == "dense") & (numeric(out, "iteration") == -1)
        out = out[(m == method) | dense]
    return out


def spins_per_row(rows: pd.DataFrame, info: dict | None = None) -> pd.Series:
    """Spins per row: the N column, the run's N, or n / rho."""
    N = numeric(rows, "N")
    if info and is_finite(info.get("N")):
        N = N.fillna(float(info["N"]))
    return N.fillna(numeric(rows, "n") / numeric(rows, "rho"))


def has_exact(rows: pd.DataFrame, column: str) -> bool:
    """Whether every row carries the exact value of ``column`` (full summation, evaluation.exact_memory_mb)."""
    exact = numeric(rows, f"exact_{column}")
    return bool(len(exact)) and bool(np.isfinite(exact).all())


def error_values(rows: pd.DataFrame, column: str, info=None) -> tuple[pd.Series, pd.Series | None]:
    """Values and error bars of an energy error (eps_rel or delta_e_per_spin): the exact value of each
    trained network where every row has one (no Monte Carlo noise: at eps ~ 1e-5 the sampled estimate
    is noise), otherwise the sampled estimate with its Monte Carlo error."""
    if has_exact(rows, column):
        return numeric(rows, f"exact_{column}"), None
    return numeric(rows, column), (eps_rel_error(rows) if column == "eps_rel" else delta_e_error(rows, info))


def eps_rel_error(rows: pd.DataFrame) -> pd.Series:
    from_energy = numeric(rows, "energy_error") / numeric(rows, "reference_energy").abs()
    return numeric(rows, "eps_rel_error").fillna(from_energy)


def delta_e_error(rows: pd.DataFrame, info=None) -> pd.Series:
    return numeric(rows, "energy_error") / spins_per_row(rows, info)


def is_toric(info: dict) -> bool:
    """Whether a run row describes the toric code (by its model name, else its system label)."""
    name = str(info.get("model") or "").lower() or str(info.get("system") or "").split("_")[0]
    return MODEL_CLASSES.get(name) is ToricCode


def network_label(info: dict, run=None) -> str:
    kind = str(info.get("network") or "").lower()
    if kind == "ffnn":
        return f"FFNN, α = {fmt(info.get('alpha'))}" if is_finite(info.get("alpha")) else "FFNN"
    if kind == "cnn":
        return f"CNN, $n_f$ = {fmt(info.get('n_filters'))}"
    if kind == "rescnn":
        return f"ResCNN, $n_f$ = {fmt(info.get('n_filters'))}, $n_b$ = {fmt(info.get('n_blocks'))}"
    return str(run) if run is not None else "network"


def phase_of(info: dict) -> str | None:
    if is_toric(info):
        return None
    kappa = info.get("kappa")
    if not is_finite(kappa):
        return "a"
    kappa = float(kappa)
    if math.isclose(kappa, KAPPA_C, rel_tol=KAPPA_C_RTOL):
        return "a"
    return "b" if kappa < KAPPA_C else "c"


# ------------------------------------------------------------------------------------------------
# the variational principle
# ------------------------------------------------------------------------------------------------
#: an evaluated energy violates the variational principle when it lies below its reference by more
#: than this many standard errors of its Monte Carlo estimate ...
VARIATIONAL_SIGMAS = 3.0
#: ... and by more than this fraction of |E_ref| (exact energies have no Monte Carlo error; a
#: zero-variance eigenstate has a zero standard error)
VARIATIONAL_RTOL = 1e-9


def below_reference(rows: pd.DataFrame) -> pd.Series:
    """Rows whose energy lies below their own reference energy beyond the Monte Carlo error.

    A network's energy cannot be lower than the ground-state energy, so such a row means that the
    reference is not the ground-state energy of this system (e.g. computed at another field) or that
    the estimate is wrong. The exact energy (full summation) is used where the row has one.
    """
    e_ref = numeric(rows, "reference_energy")
    exact = numeric(rows, "exact_energy")
    energy = exact.fillna(numeric(rows, "energy"))
    sigma = numeric(rows, "energy_error").where(exact.isna(), 0.0).fillna(0.0)
    margin = np.maximum(VARIATIONAL_SIGMAS * sigma, VARIATIONAL_RTOL * e_ref.abs())
    return ((e_ref - energy) > margin).fillna(False)
