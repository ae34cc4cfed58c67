"""Rule prune: I rounds of one pruning method (evaluated by rule evaluate); resumes after the last
complete round on disk."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job, run_of  # noqa: E402

from sparse_nqs.pruning.experiment import prune_network  # noqa: E402

sm = snakemake  # noqa: F821
plan, run, reference = run_of(sm)
with job(sm, run.settings):
    log = prune_network(run, sm.wildcards.method, reference)
    print(f"{run.name} {sm.wildcards.method}: {int(log['iteration'].max()) + 1} rounds trained")
