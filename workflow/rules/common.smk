# Shared helpers: the plan of the config (runs, systems, figures, files) and resource lookups.
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))  # the package, also when not pip-installed

from snakemake.exceptions import WorkflowError

from sparse_nqs import paths
from sparse_nqs.config import ConfigError
from sparse_nqs.io import git_commit
from sparse_nqs.plan import FIGURES, RBM_FIGURES, Plan

try:
    PLAN = Plan.from_config(config)
except ConfigError as err:
    raise WorkflowError(f"bad config: {err}") from None

# Every rule runs in this environment with --software-deployment-method conda. `snakemake --archive`
# packs it and therefore needs conda; where conda is absent, SPARSE_NQS_NO_CONDA=1 leaves the
# directive out (the archive then carries the environment as pyproject.toml + requirements.lock).
CONDA_ENV = None if os.environ.get("SPARSE_NQS_NO_CONDA") else "../../envs/sparse-nqs.yaml"

RUN_NAMES = "|".join(PLAN.all_runs) or "no-runs"

# the commit that names a results bundle (the `bundle` rule refuses an uncommitted tree)
COMMIT = git_commit(workflow.basedir) or "uncommitted"


wildcard_constraints:
    run=RUN_NAMES,
    method="imp_wr|imp_ct|irp_wr",
    variant="init_imp|rand_imp|init_rand|cluster",
    iteration=r"\d{3}",
    system=r"[A-Za-z0-9_.+-]+",
    dataset="|".join(PLAN.data_sets) or "no-data",
    fig="fig[1-7]",


def res(kind, key):
    """Resource value of a rule kind (config section `resources`)."""
    return PLAN.resources[kind][key]


def result(path):
    """A file under results/ (its name from sparse_nqs.paths)."""
    return f"results/{path}"


def run_file(name, run="{run}"):
    """A run's file under results/runs/<run>/ (a wildcard by default)."""
    return result(paths.in_run(run, name))


def reference_file(run):
    """The reference record of a run's system (an RBM run's: the record of its data)."""
    if run in PLAN.rbm_runs:
        return result(paths.data(PLAN.data_of(run), ".json"))
    return result(paths.reference(PLAN.system(run)))


def data_files(run):
    """The samples an RBM run learns from (none for a VMC run)."""
    return [result(paths.data(PLAN.data_of(run)))] if run in PLAN.rbm_runs else []


def reference_of(wildcards):
    return reference_file(wildcards.run)


def training_record_of(wildcards):
    """What a training job reads of the run's records: an RBM run learns from its data (the record
    beside the samples); a VMC run's training never reads its reference energy, so a re-made
    reference reruns the evaluation and nothing that trains."""
    return [reference_file(wildcards.run)] if wildcards.run in PLAN.rbm_runs else []


def data_of(wildcards):
    return data_files(wildcards.run)


def rbm_outputs(fig):
    """The files of one RBM target: Table I is a CSV, the others a PDF (in the report) and a PNG."""
    if fig == "rbm_table1":
        return {"table": result(paths.RBM_TABLE1)}
    return {"pdf": report(result(paths.figure(fig, ".pdf")), caption=f"../report/{fig}.rst", category="RBM family"),
            "png": result(paths.figure(fig, ".png"))}


RBM_OUTPUTS = {fig: rbm_outputs(fig) for fig in RBM_FIGURES}
#: the RBM targets that have runs to draw (rule all builds these)
RBM_TARGETS = [fig for fig in RBM_FIGURES if PLAN.rbm_figures[fig]["runs"]]


def figure_input(fig):
    """The tables a figure reads, by kind (see sparse_nqs.plan.Plan.figure_inputs)."""
    return {kind: [result(p) for p in files] for kind, files in PLAN.figure_inputs(fig).items()}
