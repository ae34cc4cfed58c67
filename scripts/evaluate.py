"""Rules evaluate_dense, evaluate and evaluate_tickets_<run>: evaluation rows of stored states."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job, run_of  # noqa: E402

from sparse_nqs.pruning.experiment import evaluate_dense, evaluate_path, evaluate_tickets, ticket_list  # noqa: E402

sm = snakemake  # noqa: F821
plan, run, reference = run_of(sm)
with job(sm, run.settings):
    if sm.rule == "evaluate_dense":
        rows = [evaluate_dense(run, reference)]
    elif sm.rule == "evaluate":
        rows = evaluate_path(run, sm.wildcards.method, reference).to_dict("records")
    else:
        rows = evaluate_tickets(run, ticket_list(run.settings), reference)
    for row in rows:
        print(f"{run.name} {row['method'] or row['variant']} iteration {row['iteration']}: n = {row['n']}, "
              f"eps_rel = {row['eps_rel']} (exact {row.get('exact_eps_rel')}) {row.get('mc_warning') or ''}")
