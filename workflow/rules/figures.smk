# One target per figure (fig1 ... fig7) and the claims check. Plotting rules read tables only.


for _fig in FIGURES:

    rule:
        name:
            f"plot_{_fig}"
        input:
            **figure_input(_fig),
        output:
            pdf=report(result(paths.figure(_fig, ".pdf")), caption=f"../report/{_fig}.rst", category="Figures"),
            png=result(paths.figure(_fig, ".png")),
        params:
            fig=_fig,
            spec=PLAN.figures[_fig],
            plotting=PLAN.plotting,
        resources:
            mem_mb=res("plot", "mem_mb"),
            runtime=res("plot", "runtime"),
        log:
            f"results/logs/plot/{_fig}.log",
        conda:
            CONDA_ENV
        script:
            "../../scripts/figure.py"

    rule:
        name:
            _fig
        input:
            result(paths.figure(_fig, ".pdf")),


rule claims:
    input:
        **{f"{fig}_{kind}": paths for fig in FIGURES for kind, paths in figure_input(fig).items()},
        **{f"{fig}_{kind}": [result(p) for p in files] for fig in RBM_TARGETS
           for kind, files in PLAN.rbm_figure_inputs(fig).items()},
    output:
        table=report(result(paths.CLAIMS), caption="../report/claims.rst", category="Claims"),
        rst=result(paths.CLAIMS_RST),
    params:
        specs=PLAN.figures,
        rbm_specs={fig: PLAN.rbm_figures[fig] for fig in RBM_TARGETS},
    resources:
        mem_mb=res("plot", "mem_mb"),
        runtime=res("plot", "runtime"),
    log:
        "results/logs/claims.log",
    conda:
        CONDA_ENV
    script:
        "../../scripts/claims.py"


# The RBM family's targets (rbm_fig1 ... rbm_fig6, rbm_lth: figures; rbm_table1: a table), drawn from
# the runs named in rbm.figures.<target>.runs.
for _fig in RBM_FIGURES:

    rule:
        name:
            f"plot_{_fig}"
        input:
            **{kind: [result(p) for p in files] for kind, files in PLAN.rbm_figure_inputs(_fig).items()},
            weights=[run_file(paths.THETA_WR, r) for r in PLAN.rbm_figures[_fig]["runs"] if _fig == "rbm_fig1"],
        output:
            **RBM_OUTPUTS[_fig],
        params:
            fig=_fig,
            spec=PLAN.rbm_figures[_fig],
            plotting={} if _fig == "rbm_table1" else PLAN.plotting,  # Table I draws nothing
            schedules=PLAN.rbm_schedules(_fig) if _fig == "rbm_table1" else {},
        resources:
            mem_mb=res("plot", "mem_mb"),
            runtime=res("plot", "runtime"),
        log:
            f"results/logs/plot/{_fig}.log",
        conda:
            CONDA_ENV
        script:
            "../../scripts/rbm_figure.py"

    rule:
        name:
            _fig
        input:
            list(RBM_OUTPUTS[_fig].values())[0],
