"""Rules plot_rbm_figN / rbm_table1: one figure of the RBM family (PDF + PNG), or Table I (CSV)."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job  # noqa: E402

from sparse_nqs.figures import save_figure  # noqa: E402
from sparse_nqs.figures.rbm import RBMTables, draw_rbm_figure, table1  # noqa: E402
from sparse_nqs.io import write_csv_atomic  # noqa: E402
from sparse_nqs.plan import Plan  # noqa: E402

sm = snakemake  # noqa: F821
fig, spec = sm.params.fig, sm.params.spec
with job(sm, {"figure": fig, "spec": spec, "plotting": sm.params.plotting}):
    plan = Plan.from_config(sm.config)
    settings = {run: plan.rbm_runs[run] for run in spec["runs"]}
    if fig == "rbm_table1":
        table = table1(settings)
        write_csv_atomic(sm.output[0], table)
        print(table.pivot(index="iteration", columns="run", values="percent_remaining").to_string())
    else:
        files = {kind: list(sm.input[kind]) for kind in sm.input.keys()}
        tables = RBMTables.load("results", settings, files)
        figure = draw_rbm_figure(fig, tables, spec, sm.params.plotting)
        save_figure(figure, sm.output.pdf[: -len(".pdf")], dpi=sm.params.plotting["dpi"])
