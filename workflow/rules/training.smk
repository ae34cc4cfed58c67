# Dense pre-training and the pruning loops (IMP-WR, IMP-CT, IRP-WR) of each run: training only. What
# the trained states are worth (energies, errors, observables) is computed from their checkpoints by
# the rules of evaluation.smk, so a changed `evaluation:` setting reruns those and trains nothing.
#
# The per-round checkpoints iter_NNN.npz are deliberately not declared as outputs: Snakemake deletes
# the declared outputs of an interrupted job before rerunning it, and the checkpoints are what a
# rerun resumes from (their fingerprint guarantees they were made with the same settings).


rule pretrain:
    input:
        reference=training_record_of,
        data=data_of,
    output:
        theta_init=run_file(paths.THETA_INIT),
        theta_wr=run_file(paths.THETA_WR),
        log=run_file(paths.PRETRAIN_LOG),
    params:
        settings=lambda wc: PLAN.params(wc.run, "pretrain"),
    threads: res("train", "threads")
    resources:
        gpu=res("train", "gpu"),
        mem_mb=res("train", "mem_mb"),
        runtime=res("train", "runtime"),
    log:
        "results/logs/pretrain/{run}.log",
    conda:
        CONDA_ENV
    script:
        "../../scripts/pretrain.py"


rule prune:
    input:
        reference=training_record_of,
        data=data_of,
        theta_wr=run_file(paths.THETA_WR),
    output:
        log=run_file(paths.log("{method}")),
    params:
        settings=lambda wc: PLAN.params(wc.run, "prune", wc.method),
    threads: res("train", "threads")
    resources:
        gpu=res("train", "gpu"),
        mem_mb=res("train", "mem_mb"),
        runtime=res("train", "runtime"),
    log:
        "results/logs/prune/{run}_{method}.log",
    conda:
        CONDA_ENV
    script:
        "../../scripts/prune.py"
