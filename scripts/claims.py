"""Rule claims: the paper's claims checked on this run's data (results/claims.csv + .rst)."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job  # noqa: E402

from sparse_nqs.claims import claims_rst, claims_table  # noqa: E402
from sparse_nqs.io import write_csv_atomic, write_text_atomic  # noqa: E402
from sparse_nqs.plan import FIGURES, Plan  # noqa: E402

sm = snakemake  # noqa: F821


def inputs_of(figures) -> dict:
    """{fig: {kind: [files]}} from the rule's inputs, named <fig>_<kind>."""
    out = {}
    for fig in figures:
        prefix = f"{fig}_"
        out[fig] = {key[len(prefix):]: list(sm.input[key]) for key in sm.input.keys() if key.startswith(prefix)}
    return out


with job(sm, {"figures": sm.params.specs}):
    plan = Plan.from_config(sm.config)
    table = claims_table(plan, "results", inputs_of(FIGURES), inputs_of(sm.params.rbm_specs))
    write_csv_atomic(sm.output.table, table)
    write_text_atomic(sm.output.rst, claims_rst(table))
    print(table.to_string(index=False))
