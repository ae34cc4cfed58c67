"""Rule ticket: train one isolated ticket with its mask fixed (evaluated by evaluate_tickets_<run>)."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job, run_of  # noqa: E402

from sparse_nqs.pruning.experiment import train_ticket_networks  # noqa: E402

sm = snakemake  # noqa: F821
plan, run, reference = run_of(sm)
with job(sm, run.settings):
    train_ticket_networks(run, [(sm.wildcards.variant, int(sm.wildcards.iteration))], reference, batched=False)
    print(f"{run.name} {sm.wildcards.variant} iteration {sm.wildcards.iteration}: trained")
