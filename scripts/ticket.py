"""Rule ticket: train one isolated ticket with its mask fixed."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job, run_of  # noqa: E402

from sparse_nqs.pruning.experiment import train_ticket  # noqa: E402

sm = snakemake  # noqa: F821
plan, run, reference = run_of(sm)
with job(sm, run.settings):
    row = train_ticket(run, sm.wildcards.variant, int(sm.wildcards.iteration), reference)
    print(f"{run.name} {sm.wildcards.variant} iteration {sm.wildcards.iteration}: n = {row['n']}, "
          f"eps_rel = {row['eps_rel']:.3e}")
