"""Rule fig7_construction: E/N and variance of the untrained odd-parity toric-code network vs W."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
import pandas as pd  # noqa: E402
from _common import job  # noqa: E402

from sparse_nqs.analysis.toric import odd_parity_scan  # noqa: E402
from sparse_nqs.io import write_csv_atomic  # noqa: E402

sm = snakemake  # noqa: F821
with job(sm, {"L": sm.params.L, "W": sm.params.W}):
    table = pd.concat([odd_parity_scan(L, sm.params.W).assign(L=L) for L in sm.params.L], ignore_index=True)
    write_csv_atomic(sm.output[0], table)
    print(table.to_string(index=False))
