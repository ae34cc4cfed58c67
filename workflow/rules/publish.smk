# Everything a reader needs to re-plot every figure and re-check every claim without retraining, in
# one archive named by commit: `sparse-nqs unpack` restores it in a fresh clone (docs/workflow.md).
rule bundle:
    input:
        [result(paths.figure(fig, ".pdf")) for fig in FIGURES],
        result(paths.CLAIMS),
    output:
        result(paths.bundle(COMMIT)),
    params:
        commit=COMMIT,
        configfiles=[os.path.relpath(c) for c in workflow.configfiles],
    localrule: True
    log:
        "results/logs/bundle.log",
    conda:
        CONDA_ENV
    script:
        "../../scripts/bundle.py"
