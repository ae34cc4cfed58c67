"""What a workflow config asks for: its runs, systems, figures and every file they imply.

The Snakefile builds its DAG from a :class:`Plan` (and knows nothing of the physics); the plan knows
nothing of Snakemake. Paths are relative to the results directory:

    references/<system>.json
    runs/<run>/pretrain/{theta_init.npz, theta_wr.npz, dense.json, log.csv}
    runs/<run>/<method>/{history.csv, log.csv, fidelity.csv}      (iter_NNN.npz beside them)
    runs/<run>/imp_wr/{filters,weights}.csv                        (toric-code runs in Fig. 4)
    runs/<run>/tickets/<variant>_iter_NNN.json
    tables/fig7_construction.csv
    figures/figN.{pdf,png}, claims.csv

Config sections used here (besides ``defaults`` and ``runs``, see :mod:`sparse_nqs.config`):

    references: {method: auto, dmrg_backend: tenpy, dmrg_sweeps: null, dmrg_maxdims: null, dmrg_cutoff: null}
    figures:    {fig1: {runs: [...], reference: {kind: record | nqs, runs: [...], n_best: 3}}, ...,
                 fig4: {runs: [...], weights_run: NAME}, fig7: {L: [2, 3], W: [...]}}
    plotting:   options of the figure functions (a change reruns only the figures)
    resources:  per rule kind {gpu, mem_mb, runtime, threads}
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .config.check import ConfigError, check_config, resolve_run, run_summary
from .pruning.experiment import batch_tickets, phase_settings, ticket_list
from .physics.models import KAPPA_C

FIGURES = ("fig1", "fig2", "fig3", "fig4", "fig5", "fig6", "fig7")

REFERENCE_DEFAULTS = {"method": "auto", "dmrg_backend": "tenpy", "dmrg_sweeps": None, "dmrg_maxdims": None,
                      "dmrg_cutoff": None}
PLOTTING_DEFAULTS = {"dpi": 200, "context": "paper", "palette": "colorblind"}
FIGURE_DEFAULTS = {
    "runs": [],
    "reference": {"kind": "record", "runs": [], "n_best": 3, "combine": "mean"},
    "weights_run": None, "weights_iteration": None, "n_neurons": 6,  # Fig. 4(d)
    "L": [2, 3], "W": [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0],  # Fig. 7
    "caption": "",
}
RESOURCE_DEFAULTS = {
    # gpu: GPUs per job (0 on a laptop); runtime in minutes
    "reference": {"gpu": 0, "mem_mb": 4000, "runtime": 60, "threads": 1},
    "train": {"gpu": 0, "mem_mb": 4000, "runtime": 120, "threads": 1},
    "analysis": {"gpu": 0, "mem_mb": 4000, "runtime": 60, "threads": 1},
    "plot": {"gpu": 0, "mem_mb": 2000, "runtime": 10, "threads": 1},
}


def system_id(model: dict) -> str:
    """A file-name label of a physical system, e.g. ``tfim_L4_k3.04438_open`` or ``toric_L3``.

    Distinct systems never share a label: the field is written with ``%g`` where that gives its
    value exactly, and with every digit (``repr``) otherwise (0.5 -> k0.5, 0.50000049 -> k0.50000049).
    """
    if model["name"] == "toric":
        return f"toric_L{model['L']}"
    kappa = float(KAPPA_C if model["kappa"] is None else model["kappa"])  # null: make_model's default
    label = f"{kappa:g}"
    if float(label) != kappa:
        label = repr(kappa)
    return f"tfim_L{model['L']}_k{label}_{model['boundary']}"


def _merged(defaults: dict, given: dict | None, where: str) -> dict:
    out = copy.deepcopy(defaults)
    for key, value in (given or {}).items():
        if key not in defaults:
            raise ConfigError(f"unknown config key '{where}.{key}'")
        if isinstance(defaults[key], dict) and isinstance(value, dict):
            out[key] = _merged(defaults[key], value, f"{where}.{key}")
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass
class Plan:
    config: dict
    runs: dict = field(default_factory=dict)  # name -> resolved settings
    summaries: dict = field(default_factory=dict)  # name -> run_summary
    figures: dict = field(default_factory=dict)  # figN -> resolved figure spec
    references: dict = field(default_factory=dict)  # how reference records are computed
    plotting: dict = field(default_factory=dict)  # options of the figure functions
    resources: dict = field(default_factory=dict)  # rule kind -> {gpu, mem_mb, runtime, threads}

    @classmethod
    def from_config(cls, config: dict) -> "Plan":
        """The plan of a config, after :func:`sparse_nqs.config.check_config` (the command line's check
        too): a ConfigError names the offending key before any job exists."""
        config = check_config(config)
        plan = cls(config)
        for name in config["runs"]:
            plan.runs[name] = resolve_run(config, name)
            plan.summaries[name] = run_summary(plan.runs[name])
        for fig in FIGURES:
            plan.figures[fig] = _merged(FIGURE_DEFAULTS, (config.get("figures") or {}).get(fig), f"figures.{fig}")
        plan.references = _merged(REFERENCE_DEFAULTS, config.get("references"), "references")
        plan.plotting = _merged(PLOTTING_DEFAULTS, config.get("plotting"), "plotting")
        plan.resources = _merged(RESOURCE_DEFAULTS, config.get("resources"), "resources")
        return plan

    # ----------------------------------------------------------------------------------------
    # systems and per-run files
    # ----------------------------------------------------------------------------------------
    def system(self, run: str) -> str:
        return system_id(self.runs[run]["model"])

    @property
    def systems(self) -> dict:
        """system id -> model settings, for every run."""
        return {system_id(s["model"]): s["model"] for s in self.runs.values()}

    def params(self, run: str, phase: str, method: str | None = None, variant: str | None = None) -> dict:
        """Rule params of one phase: exactly the settings its outputs depend on."""
        return phase_settings(self.runs[run], phase, method, variant)

    def methods(self, run: str) -> list[str]:
        return list(self.runs[run]["pruning"]["methods"])

    def tickets(self, run: str) -> list[tuple[str, int]]:
        return ticket_list(self.runs[run])

    def batched_tickets(self, run: str) -> bool:
        """Whether the tickets of a run are trained in one vectorised job (``tickets.batch``)."""
        on_gpu = float(self.resources["train"]["gpu"]) > 0  # the jobs that train ask for a GPU
        return batch_tickets(self.runs[run], on_gpu) and len(self.tickets(run)) > 1

    def is_toric(self, run: str) -> bool:
        return self.runs[run]["model"]["name"] == "toric"

    @staticmethod
    def history(run: str, method: str = "imp_wr") -> str:
        return f"runs/{run}/{method}/history.csv"

    @staticmethod
    def ticket_file(run: str, variant: str, iteration: int) -> str:
        return f"runs/{run}/tickets/{variant}_iter_{iteration:03d}.json"

    # ----------------------------------------------------------------------------------------
    # figure inputs
    # ----------------------------------------------------------------------------------------
    def figure_runs(self, fig: str) -> list[str]:
        """Every run a figure reads: its runs, its reference runs and the Fig. 4(d) weights run."""
        spec = self.figures[fig]
        weights = [spec["weights_run"]] if spec["weights_run"] else []
        return list(dict.fromkeys(spec["runs"] + spec["reference"]["runs"] + weights))

    def figure_inputs(self, fig: str) -> dict[str, list[str]]:
        """The tables one figure reads, by kind (histories, logs, tickets, fidelity, filters, construction)."""
        spec = self.figures[fig]
        runs = list(dict.fromkeys(spec["runs"] + spec["reference"]["runs"]))
        inputs = {"dense": [f"runs/{r}/pretrain/dense.json" for r in runs],
                  "histories": [], "logs": [], "tickets": [], "fidelity": [], "filters": [], "weights": [],
                  "construction": []}
        for run in spec["runs"]:
            methods = self.methods(run) if fig == "fig5" else [m for m in self.methods(run) if m == "imp_wr"]
            inputs["histories"] += [self.history(run, m) for m in methods]
            if fig == "fig5":
                inputs["logs"] += [f"runs/{run}/{m}/log.csv" for m in methods]
            if fig in ("fig1", "fig4", "fig6"):
                inputs["tickets"] += [self.ticket_file(run, v, i) for v, i in self.tickets(run)]
            if fig in ("fig3", "fig4") and "imp_wr" in self.methods(run):
                inputs["fidelity"].append(f"runs/{run}/imp_wr/fidelity.csv")
            if fig == "fig4" and self.is_toric(run) and "imp_wr" in self.methods(run):
                inputs["filters"].append(f"runs/{run}/imp_wr/filters.csv")
        if fig == "fig4" and spec["weights_run"]:
            inputs["weights"].append(f"runs/{spec['weights_run']}/imp_wr/weights.csv")
        if fig == "fig7":
            inputs["construction"].append("tables/fig7_construction.csv")
        return inputs

    def figure_files(self, fig: str) -> list[str]:
        return [path for paths in self.figure_inputs(fig).values() for path in paths]

    def all_run_outputs(self) -> list[str]:
        """Every per-run table of every run (the `runs` target), figures or not."""
        out = []
        for run in self.runs:
            out.append(f"runs/{run}/pretrain/dense.json")
            for method in self.methods(run):
                out.append(self.history(run, method))
            out += [self.ticket_file(run, v, i) for v, i in self.tickets(run)]
        return out
