# Evaluation of the trained states from their checkpoints: the dense network, every round of a pruning
# path, every ticket. Their params are the run's evaluation settings (and the evaluation code's
# version, sparse_nqs.names.EVALUATION_VERSION), never the training's: changing `evaluation:` reruns
# these rules and nothing that trains. Each state's row is kept under runs/<run>/evaluation/ with the
# checkpoint and evaluation it was made from, so an interrupted or extended evaluation redoes only
# what is new.


rule evaluate_dense:
    input:
        reference=reference_of,
        data=data_of,
        theta_wr=run_file(paths.THETA_WR),
    output:
        run_file(paths.DENSE_ROW),
    params:
        settings=lambda wc: PLAN.params(wc.run, "evaluate"),
    threads: res("analysis", "threads")
    resources:
        gpu=res("analysis", "gpu"),
        mem_mb=res("analysis", "mem_mb"),
        runtime=res("analysis", "runtime"),
    log:
        "results/logs/evaluate/{run}_dense.log",
    conda:
        CONDA_ENV
    script:
        "../../scripts/evaluate.py"


rule evaluate:
    input:
        reference=reference_of,
        data=data_of,
        trained=run_file(paths.log("{method}")),
    output:
        run_file(paths.history("{method}")),
    params:
        settings=lambda wc: PLAN.params(wc.run, "evaluate"),
    threads: res("analysis", "threads")
    resources:
        gpu=res("analysis", "gpu"),
        mem_mb=res("analysis", "mem_mb"),
        runtime=res("analysis", "runtime"),
    log:
        "results/logs/evaluate/{run}_{method}.log",
    conda:
        CONDA_ENV
    script:
        "../../scripts/evaluate.py"


# one rule per run with tickets: all of a run's tickets in one job (a job per ticket would cost more
# in start-up than the evaluation of a small ticket)
for ticket_run in [run for run in PLAN.all_runs if PLAN.tickets(run)]:

    rule:
        name:
            f"evaluate_tickets_{ticket_run}"
        input:
            reference=reference_file(ticket_run),
            data=data_files(ticket_run),
            checkpoints=[result(PLAN.ticket_file(ticket_run, v, i, ".npz")) for v, i in PLAN.tickets(ticket_run)],
        output:
            [result(PLAN.ticket_file(ticket_run, v, i)) for v, i in PLAN.tickets(ticket_run)],
        params:
            run=ticket_run,
            settings=PLAN.params(ticket_run, "evaluate"),
        threads: res("analysis", "threads")
        resources:
            gpu=res("analysis", "gpu"),
            mem_mb=res("analysis", "mem_mb"),
            runtime=res("analysis", "runtime"),
        log:
            f"results/logs/evaluate/{ticket_run}_tickets.log",
        conda:
            CONDA_ENV
        script:
            "../../scripts/evaluate.py"
