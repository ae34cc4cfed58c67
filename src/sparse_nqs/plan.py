"""What a workflow config asks for: its runs, systems, figures and every file they imply.

The Snakefile builds its DAG from a :class:`Plan` (and knows nothing of the physics); the plan knows
nothing of Snakemake. Paths are relative to the results directory:

    references/<system>.json
    runs/<run>/pretrain/{theta_init.npz, theta_wr.npz, log.csv}   training
    runs/<run>/pretrain/dense.json                                 evaluation of theta_wr
    runs/<run>/<method>/log.csv                                    training (iter_NNN.npz beside it)
    runs/<run>/<method>/{history.csv, fidelity.csv}                evaluation of the rounds
    runs/<run>/imp_wr/{filters,weights}.csv                        (toric-code runs in Fig. 4)
    runs/<run>/tickets/<variant>_iter_NNN.{npz,json}               a trained ticket, its evaluation
    runs/<run>/evaluation/<state>.json                             each state's evaluation row (cache)
    tables/fig7_construction.csv
    figures/figN.{pdf,png}, claims.csv

Config sections used here (besides ``defaults`` and ``runs``, see :mod:`sparse_nqs.config`):

    references: {method: auto, dmrg_backend: tenpy, dmrg_sweeps: null, dmrg_maxdims: null, dmrg_cutoff: null,
                 dmrg_systems: {}}
    figures:    {fig1: {runs: [...], reference: {kind: record | nqs, runs: [...], n_best: 3}}, ...,
                 fig4: {runs: [...], weights_run: NAME}, fig7: {L: [2, 3], W: [...]}};
                reference.kappa_c_field moves the reference of kappa_c runs to another field
    plotting:   options of the figure functions (a change reruns only the figures)
    resources:  per rule kind {gpu, mem_mb, runtime, threads}
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from . import paths
from .config.check import ConfigError, check_config, is_toric, rbm_run_names, resolve_rbm_run, resolve_run, run_summary
from .families import phase_settings
from .names import FIGURES, RBM_FIGURES  # noqa: F401 - the Snakefile takes them from here
from .physics.models import make_model
from .pruning.experiment import batch_tickets, ticket_list
from .results import phase_of
from .settings import FIGURE_DEFAULTS, PLOTTING_DEFAULTS, REFERENCE_DEFAULTS, RESOURCE_DEFAULTS


def system_id(model: dict) -> str:
    """A file-name label of a physical system (:attr:`sparse_nqs.physics.models.Model.label`), e.g.
    ``tfim_L4_k3.04438_open`` or ``toric_L3``; distinct systems never share a label."""
    return make_model(model["name"], model["L"], model["kappa"], model["boundary"]).label


def _merged(defaults: dict, given: dict | None, where: str) -> dict:
    out = copy.deepcopy(defaults)
    for key, value in (given or {}).items():
        if key not in defaults:
            raise ConfigError(f"unknown config key '{where}.{key}'")
        if isinstance(defaults[key], dict) and defaults[key] and isinstance(value, dict):  # {}: a free mapping
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
    rbm_runs: dict = field(default_factory=dict)  # name -> resolved settings of an RBM run
    rbm_figures: dict = field(default_factory=dict)  # rbm_figN -> {runs, caption}

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
        for name in rbm_run_names(config):
            plan.rbm_runs[name] = resolve_rbm_run(config, name)
        given = (config.get("rbm") or {}).get("figures") or {}
        plan.rbm_figures = {fig: {"runs": [], "caption": "", **(given.get(fig) or {})} for fig in RBM_FIGURES}
        plan.references = _merged(REFERENCE_DEFAULTS, config.get("references"), "references")
        for name in plan.references["dmrg_systems"]:
            if name not in plan.systems and name not in plan.data_sets:
                raise ConfigError(f"references.dmrg_systems.{name}: no system or data set of that name "
                                  f"(systems: {', '.join(sorted(plan.systems))}; data sets: "
                                  f"{', '.join(sorted(plan.data_sets)) or 'none'})")
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
        """system id -> model settings, for every run and every figure's shifted-field reference."""
        systems = {system_id(s["model"]): s["model"] for s in self.runs.values()}
        for fig in self.figures:
            systems.update(self.shifted_references(fig))
        return systems

    def shifted_references(self, fig: str) -> dict:
        """system id -> model settings of the records a figure measures its kappa_c runs against when
        ``figures.<fig>.reference.kappa_c_field`` moves their reference to another field (else empty)."""
        field_c = self.figures[fig]["reference"]["kappa_c_field"]
        if field_c is None:
            return {}
        out = {}
        for run in self.figures[fig]["runs"]:
            model = self.runs[run]["model"]
            if phase_of({"model": model["name"], "kappa": model["kappa"]}) == "a":  # at kappa_c
                shifted = {**model, "kappa": float(field_c)}
                out[system_id(shifted)] = shifted
        return out

    def settings(self, run: str) -> dict:
        """The resolved settings of a run of either family."""
        return self.runs[run] if run in self.runs else self.rbm_runs[run]

    @property
    def all_runs(self) -> list[str]:
        """Every run, VMC and RBM (their directories share runs/)."""
        return list(self.runs) + list(self.rbm_runs)

    def params(self, run: str, phase: str, method: str | None = None, variant: str | None = None) -> dict:
        """Rule params of one phase: exactly the settings its outputs depend on."""
        return phase_settings(self.settings(run), phase, method, variant)

    def methods(self, run: str) -> list[str]:
        return list(self.settings(run)["pruning"]["methods"])

    def tickets(self, run: str) -> list[tuple[str, int]]:
        return ticket_list(self.settings(run))

    def ticket_method(self, run: str) -> str:
        """The pruning path whose masks a run's tickets take (IMP-WR; an RBM run's tickets.mask_method)."""
        return self.rbm_runs[run]["tickets"]["mask_method"] if run in self.rbm_runs else "imp_wr"

    def batched_tickets(self, run: str) -> bool:
        """Whether the tickets of a run are trained in one vectorised job (``tickets.batch``)."""
        on_gpu = float(self.resources["train"]["gpu"]) > 0  # the jobs that train ask for a GPU
        return run in self.runs and batch_tickets(self.runs[run], on_gpu) and len(self.tickets(run)) > 1

    # ----------------------------------------------------------------------------------------
    # the RBM family: data sets and figure inputs
    # ----------------------------------------------------------------------------------------
    @property
    def data_sets(self) -> dict:
        """data set name -> the settings of one run that uses it (model and data sections)."""
        from .rbm.run import data_system

        return {data_system(s): s for s in self.rbm_runs.values()}

    def rbm_schedules(self, fig: str) -> dict:
        """What Table I depends on: each of its runs' size and pruning schedule."""
        return {run: {"model": self.rbm_runs[run]["model"], "rbm": self.rbm_runs[run]["rbm"],
                      "pruning": {k: self.rbm_runs[run]["pruning"][k] for k in ("p_r", "first_p_r", "iterations")}}
                for run in self.rbm_figures[fig]["runs"]}

    def reference_options(self, name: str) -> dict:
        """How the record of one system, or the data of one data set, is computed: the ``references``
        settings with ``references.dmrg_systems.<name>`` in place of the common DMRG schedule
        (the rule's params: a schedule given to one system reruns that system only)."""
        options = {k: v for k, v in self.references.items() if k != "dmrg_systems"}
        options.update(self.references["dmrg_systems"].get(name) or {})
        return options

    def data_params(self, data_set: str) -> dict:
        """What one data set depends on: the chain, the data settings and (N > 20) the DMRG settings."""
        s = self.data_sets[data_set]
        return {"model": s["model"], "data": s["data"], "references": self.reference_options(data_set)}

    def data_of(self, run: str) -> str:
        from .rbm.run import data_system

        return data_system(self.rbm_runs[run])

    def rbm_figure_inputs(self, fig: str) -> dict[str, list[str]]:
        """The tables an RBM figure reads: histories and logs of every method (the logs also for the
        damage claims of rbm_fig2 and rbm_fig4: their pre-training measures the noise), ticket rows,
        data records."""
        runs = self.rbm_figures[fig]["runs"]
        inputs = {"histories": [], "logs": [], "tickets": [], "data": [], "dense": []}
        if fig == "rbm_table1":  # computed from the schedules alone (rule params: rbm_schedules)
            return inputs
        for run in runs:
            inputs["dense"].append(paths.in_run(run, paths.DENSE_ROW))
            inputs["histories"] += [self.history(run, m) for m in self.methods(run)]
            if fig in ("rbm_fig2", "rbm_fig4", "rbm_fig5", "rbm_fig6", "rbm_lth"):  # fig2, fig4: the noise
                inputs["logs"] += [paths.in_run(run, paths.log(m)) for m in self.methods(run)]  # of damage claims
            if fig in ("rbm_fig5", "rbm_lth"):
                inputs["tickets"] += [self.ticket_file(run, v, i) for v, i in self.tickets(run)]
        inputs["data"] = list(dict.fromkeys(paths.data(self.data_of(r), ".json") for r in runs))
        return inputs

    def is_toric(self, run: str) -> bool:
        return is_toric(self.runs[run])

    @staticmethod
    def history(run: str, method: str = "imp_wr") -> str:
        return paths.in_run(run, paths.history(method))

    @staticmethod
    def training_log(run: str, method: str = "imp_wr") -> str:
        """The log of a pruning path: the workflow's sign that its rounds are trained (not evaluated)."""
        return paths.in_run(run, paths.log(method))

    @staticmethod
    def ticket_file(run: str, variant: str, iteration: int, suffix: str = ".json") -> str:
        """A ticket's evaluation row (.json) or trained checkpoint (.npz)."""
        return paths.in_run(run, paths.ticket(variant, iteration, suffix))

    # ----------------------------------------------------------------------------------------
    # figure inputs
    # ----------------------------------------------------------------------------------------
    def figure_runs(self, fig: str) -> list[str]:
        """Every run a figure reads: its runs, its reference runs and the Fig. 4(d) weights run."""
        spec = self.figures[fig]
        weights = [spec["weights_run"]] if spec["weights_run"] else []
        return list(dict.fromkeys(spec["runs"] + spec["reference"]["runs"] + weights))

    def figure_inputs(self, fig: str) -> dict[str, list[str]]:
        """The tables one figure reads, by kind (dense, histories, logs, tickets, fidelity, filters, weights,
        construction, and the shifted-field reference records)."""
        spec = self.figures[fig]
        runs = list(dict.fromkeys(spec["runs"] + spec["reference"]["runs"]))
        inputs = {"dense": [paths.in_run(r, paths.DENSE_ROW) for r in runs],
                  "histories": [], "logs": [], "tickets": [], "fidelity": [], "filters": [], "weights": [],
                  "construction": []}
        for run in spec["runs"]:
            methods = self.methods(run) if fig == "fig5" else [m for m in self.methods(run) if m == "imp_wr"]
            inputs["histories"] += [self.history(run, m) for m in methods]
            if fig == "fig5":
                inputs["logs"] += [paths.in_run(run, paths.log(m)) for m in methods]
            if fig in ("fig1", "fig4", "fig6"):
                inputs["tickets"] += [self.ticket_file(run, v, i) for v, i in self.tickets(run)]
            if fig in ("fig3", "fig4") and "imp_wr" in self.methods(run):
                inputs["fidelity"].append(paths.in_run(run, paths.fidelity("imp_wr")))
            if fig == "fig4" and self.is_toric(run) and "imp_wr" in self.methods(run):
                inputs["filters"].append(paths.in_run(run, paths.FILTERS))
        if fig == "fig4" and spec["weights_run"]:
            inputs["weights"].append(paths.in_run(spec["weights_run"], paths.WEIGHTS))
        if fig == "fig7":
            inputs["construction"].append(paths.CONSTRUCTION)
        inputs["references"] = [paths.reference(system) for system in self.shifted_references(fig)]
        return inputs

    def figure_files(self, fig: str) -> list[str]:
        return [path for paths in self.figure_inputs(fig).values() for path in paths]

    def all_run_outputs(self) -> list[str]:
        """Every per-run table of every run (the `runs` target), figures or not."""
        out = []
        for run in self.all_runs:
            out.append(paths.in_run(run, paths.DENSE_ROW))
            for method in self.methods(run):
                out.append(self.history(run, method))
            out += [self.ticket_file(run, v, i) for v, i in self.tickets(run)]
        return out
