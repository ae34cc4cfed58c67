"""Rule pretrain: theta_init -> j steps of dense training -> theta_wr (evaluated by rule evaluate_dense)."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job, run_of  # noqa: E402

from sparse_nqs.pruning.experiment import pretrain_network  # noqa: E402

sm = snakemake  # noqa: F821
plan, run, reference = run_of(sm)
with job(sm, run.settings):
    theta_wr = pretrain_network(run, reference)
    print(f"{run.name}: theta_wr after {theta_wr.metadata['step']} steps")
