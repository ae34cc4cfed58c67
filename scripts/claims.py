"""Rule claims: the paper's claims checked on this run's data (results/claims.csv + .rst)."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job  # noqa: E402

from sparse_nqs.claims import check_claims, claims_rst  # noqa: E402
from sparse_nqs.io import write_csv_atomic  # noqa: E402
from sparse_nqs.plan import FIGURES, Plan  # noqa: E402
from sparse_nqs.results import load_figure_tables  # noqa: E402

sm = snakemake  # noqa: F821
with job(sm, {"figures": sm.params.specs}):
    plan = Plan.from_config(sm.config)
    tables = {}
    for fig in FIGURES:
        prefix = f"{fig}_"
        inputs = {key[len(prefix):]: list(sm.input[key]) for key in sm.input.keys() if key.startswith(prefix)}
        tables[fig] = load_figure_tables(plan, fig, inputs)
    table = check_claims(tables, sm.params.specs)
    write_csv_atomic(sm.output.table, table)
    with open(sm.output.rst, "w") as handle:
        handle.write(claims_rst(table))
    print(table.to_string(index=False))
