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
    output:
        table=report(result(paths.CLAIMS), caption="../report/claims.rst", category="Claims"),
        rst=result(paths.CLAIMS_RST),
    params:
        specs=PLAN.figures,
    resources:
        mem_mb=res("plot", "mem_mb"),
        runtime=res("plot", "runtime"),
    log:
        "results/logs/claims.log",
    conda:
        CONDA_ENV
    script:
        "../../scripts/claims.py"
