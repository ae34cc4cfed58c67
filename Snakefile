# Reproduction of "Interpretable Scaling Behavior in Sparse Subnetwork Representations of Quantum
# States" (Barton, Carrasquilla, Roth, Valenti, 2025). See README.md; the science is in src/sparse_nqs.
#
#   snakemake --cores all                 every figure at laptop scale (config.yaml)
#   snakemake --cores all fig3            one figure
#   snakemake --profile workflow/profiles/slurm --configfile workflow/presets/paper.yaml
#
# The config is checked before any job runs, when workflow/rules/common.smk builds the plan:
# sparse_nqs.config.check_config (its JSON schema, then the physics), the same check as the
# sparse-nqs command line's. A bad key stops there with its name.

from snakemake.utils import min_version

min_version("9.0")


# config.yaml is the default experiment set; a preset given with --configfile replaces it (it is
# not merged into it, so a preset's runs are exactly the runs that are built).
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/tickets.smk"
include: "workflow/rules/evaluation.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/publish.smk"


report: "workflow/report/workflow.rst"


rule all:
    input:
        [result(paths.figure(fig, ".pdf")) for fig in FIGURES],
        [list(RBM_OUTPUTS[fig].values())[0] for fig in RBM_TARGETS],
        result(paths.CLAIMS),
    default_target: True


rule references:
    input:
        [result(paths.reference(system)) for system in PLAN.systems],
        [result(paths.data(name)) for name in PLAN.data_sets],


rule runs:
    input:
        [result(path) for path in PLAN.all_run_outputs()],
