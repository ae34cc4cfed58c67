"""Rule plot_figN: one figure (PDF + PNG) from the pipeline's tables."""
import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 - `snakemake` is injected by Snakemake
from _common import job  # noqa: E402

from sparse_nqs.figures import draw_figure, save_figure  # noqa: E402
from sparse_nqs.plan import Plan  # noqa: E402
from sparse_nqs.results import load_figure_tables  # noqa: E402

sm = snakemake  # noqa: F821
fig, spec = sm.params.fig, sm.params.spec
with job(sm, {"figure": fig, "spec": spec, "plotting": sm.params.plotting}):
    plan = Plan.from_config(sm.config)
    tables = load_figure_tables(plan, fig, {kind: list(sm.input[kind]) for kind in sm.input.keys()})
    figure = draw_figure(fig, tables, spec, sm.params.plotting)
    save_figure(figure, sm.output.pdf[: -len(".pdf")], dpi=sm.params.plotting["dpi"])
