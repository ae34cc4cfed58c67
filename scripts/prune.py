"""Rule prune: I rounds of one pruning method; resumes after the last complete round on disk."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job, run_of  # noqa: E402

from sparse_nqs.pruning.experiment import prune  # noqa: E402

sm = snakemake  # noqa: F821
plan, run, reference = run_of(sm)
with job(sm, run.settings):
    history = prune(run, sm.wildcards.method, reference)
    print(history[["iteration", "n", "rho", "energy", "eps_rel"]].to_string(index=False))
