"""Rules tickets_<run>: all isolated tickets of one run, trained as one vectorised batch."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job, run_of  # noqa: E402

from sparse_nqs.pruning.experiment import ticket_list, train_tickets  # noqa: E402

sm = snakemake  # noqa: F821
plan, run, reference = run_of(sm)
with job(sm, run.settings):
    rows = train_tickets(run, ticket_list(run.settings), reference, batched=True)
    for row in rows:
        print(f"{run.name} {row['variant']} iteration {row['iteration']}: n = {row['n']}, "
              f"eps_rel = {row['eps_rel']:.3e}")
