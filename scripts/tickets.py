"""Rules tickets_<run>: all isolated tickets of one run, trained as one vectorised batch."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job, run_of  # noqa: E402

from sparse_nqs.pruning.experiment import ticket_list, train_ticket_networks  # noqa: E402

sm = snakemake  # noqa: F821
plan, run, reference = run_of(sm)
with job(sm, run.settings):
    train_ticket_networks(run, ticket_list(run.settings), reference, batched=True)
    print(f"{run.name}: {len(ticket_list(run.settings))} tickets trained")
