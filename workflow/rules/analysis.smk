# Analysis of finished pruning paths: neighbour fidelities, toric-code filters, the Fig. 7 construction.


rule fidelity:
    input:
        trained=run_file(paths.log("{method}")),
    output:
        run_file(paths.fidelity("{method}")),
    params:
        settings=lambda wc: PLAN.params(wc.run, "fidelity", wc.method),
    threads: res("analysis", "threads")
    resources:
        gpu=res("analysis", "gpu"),
        mem_mb=res("analysis", "mem_mb"),
        runtime=res("analysis", "runtime"),
    log:
        "results/logs/fidelity/{run}_{method}.log",
    conda:
        CONDA_ENV
    script:
        "../../scripts/fidelity.py"


rule toric_filters:
    input:
        trained=run_file(paths.log("imp_wr")),
    output:
        filters=run_file(paths.FILTERS),
        weights=run_file(paths.WEIGHTS),
    params:
        settings=lambda wc: PLAN.params(wc.run, "prune", "imp_wr"),
        weights_iteration=PLAN.figures["fig4"]["weights_iteration"],
        n_neurons=PLAN.figures["fig4"]["n_neurons"],
    resources:
        mem_mb=res("analysis", "mem_mb"),
        runtime=res("analysis", "runtime"),
    log:
        "results/logs/toric_filters/{run}.log",
    conda:
        CONDA_ENV
    script:
        "../../scripts/toric_filters.py"


rule fig7_construction:
    output:
        result(paths.CONSTRUCTION),
    params:
        L=PLAN.figures["fig7"]["L"],
        W=PLAN.figures["fig7"]["W"],
    resources:
        mem_mb=res("analysis", "mem_mb"),
        runtime=res("analysis", "runtime"),
    log:
        "results/logs/fig7_construction.log",
    conda:
        CONDA_ENV
    script:
        "../../scripts/fig7_construction.py"
