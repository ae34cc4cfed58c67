"""Rule claims: the paper's claims checked on this run's data (results/claims.csv + .rst)."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
import pandas as pd  # noqa: E402
from _common import job  # noqa: E402

from sparse_nqs.claims import check_claims, check_rbm_claims, claims_rst  # noqa: E402
from sparse_nqs.figures.rbm import RBMTables  # noqa: E402
from sparse_nqs.io import write_csv_atomic, write_text_atomic  # noqa: E402
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
    rbm_tables = {}
    for fig, spec in sm.params.rbm_specs.items():
        prefix = f"{fig}_"
        inputs = {key[len(prefix):]: list(sm.input[key]) for key in sm.input.keys() if key.startswith(prefix)}
        rbm_tables[fig] = RBMTables.load("results", {r: plan.rbm_runs[r] for r in spec["runs"]}, inputs)
    table = pd.concat([table, check_rbm_claims(rbm_tables, sm.params.rbm_specs)], ignore_index=True)
    write_csv_atomic(sm.output.table, table)
    write_text_atomic(sm.output.rst, claims_rst(table))
    print(table.to_string(index=False))
