# Isolated tickets: the IMP-WR mask of one iteration (or a random mask of the same size) trained
# alone from theta_init or from a fresh initialisation.


rule ticket:
    input:
        reference=reference_of,
        history="results/runs/{run}/imp_wr/history.csv",
    output:
        row="results/runs/{run}/tickets/{variant}_iter_{iteration}.json",
    params:
        settings=lambda wc: PLAN.params(wc.run, "ticket"),
    threads: res("train", "threads")
    resources:
        gpu=res("train", "gpu"),
        mem_mb=res("train", "mem_mb"),
        runtime=res("train", "runtime"),
    log:
        "results/logs/ticket/{run}_{variant}_{iteration}.log",
    conda:
        CONDA_ENV
    script:
        "../../scripts/ticket.py"
