"""Rule fidelity: neighbour fidelities along one finished pruning path."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job, run_of  # noqa: E402

from sparse_nqs.vmc.run import fidelity_table  # noqa: E402

sm = snakemake  # noqa: F821
plan, run, _ = run_of(sm)
with job(sm, run.settings):
    table = fidelity_table(run, sm.wildcards.method)
    print(table.to_string(index=False))
