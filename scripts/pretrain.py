"""Rule pretrain: theta_init -> j steps of dense training -> theta_wr, and the dense evaluation."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job, run_of  # noqa: E402

from sparse_nqs.pruning.experiment import pretrain  # noqa: E402

sm = snakemake  # noqa: F821
plan, run, reference = run_of(sm)
with job(sm, run.settings):
    row = pretrain(run, reference)
    print(f"{run.name}: dense n = {row['n']}, E = {row['energy']:.8f}, eps_rel = {row['eps_rel']:.3e}")
