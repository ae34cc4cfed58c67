"""Rule toric_filters: odd-parity filter coverage along IMP-WR and the weights of Fig. 4(d)."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job, run_of  # noqa: E402

from sparse_nqs.vmc.run import toric_filter_tables  # noqa: E402

sm = snakemake  # noqa: F821
plan, run, _ = run_of(sm)
with job(sm, run.settings):
    coverage, _ = toric_filter_tables(run, sm.params.weights_iteration, sm.params.n_neurons)
    print(coverage.to_string(index=False))
