# Isolated tickets: the IMP-WR mask of one iteration (or a random mask of the same size; an RBM run's
# mask of its tickets.mask_method, or the constructed cluster mask) trained alone from theta_init or
# from a fresh initialisation. Runs with `tickets.batch` (auto: FFNNs on GPUs) train
# all their tickets in one job as one vectorised program (same numbers, see sparse_nqs.vmc.train_batch);
# the others get one job per ticket.

BATCHED_RUNS = [run for run in PLAN.runs if PLAN.batched_tickets(run)]
SINGLE_TICKET_RUNS = "|".join(run for run in PLAN.all_runs if run not in BATCHED_RUNS) or "no-runs"


rule ticket:
    input:
        reference=training_record_of,
        data=data_of,
        trained=lambda wc: result(PLAN.training_log(wc.run, PLAN.ticket_method(wc.run))),
    output:
        checkpoint=run_file(paths.ticket("{variant}", "{iteration}", ".npz")),
    wildcard_constraints:
        run=SINGLE_TICKET_RUNS,
    params:
        settings=lambda wc: PLAN.params(wc.run, "ticket", variant=wc.variant),
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


# one rule per batched run: a rule's outputs are fixed patterns, and each run has its own ticket set
for batched_run in BATCHED_RUNS:

    rule:
        name:
            f"tickets_{batched_run}"
        input:
            trained=result(PLAN.training_log(batched_run)),
        output:
            checkpoints=[result(PLAN.ticket_file(batched_run, v, i, ".npz")) for v, i in PLAN.tickets(batched_run)],
        params:
            run=batched_run,
            settings=PLAN.params(batched_run, "ticket"),
        threads: res("train", "threads")
        resources:
            gpu=res("train", "gpu"),
            mem_mb=res("train", "mem_mb"),
            # all tickets of the run in one job
            runtime=res("train", "runtime") * len(PLAN.tickets(batched_run)),
        log:
            f"results/logs/tickets/{batched_run}.log",
        conda:
            CONDA_ENV
        script:
            "../../scripts/tickets.py"
