# Reference energies and observables per physical system: ED (small N), DMRG (TeNPy by default,
# ITensors via juliacall with references.dmrg_backend: itensors), or the toric code's closed form.


rule reference:
    output:
        result(paths.reference("{system}")),
    params:
        model=lambda wc: PLAN.systems[wc.system],
        settings=lambda wc: PLAN.reference_options(wc.system),
    threads: res("reference", "threads")
    resources:
        mem_mb=res("reference", "mem_mb"),
        runtime=res("reference", "runtime"),
    log:
        "results/logs/reference/{system}.log",
    conda:
        CONDA_ENV
    script:
        "../../scripts/reference.py"


# Measurement data of the RBM family: exact samples (N <= 20) or perfect samples of the DMRG state.
rule rbm_data:
    output:
        samples=result(paths.data("{dataset}")),
        record=result(paths.data("{dataset}", ".json")),
    params:
        settings=lambda wc: PLAN.data_params(wc.dataset),
    threads: res("reference", "threads")
    resources:
        mem_mb=res("reference", "mem_mb"),
        runtime=res("reference", "runtime"),
    log:
        "results/logs/rbm_data/{dataset}.log",
    conda:
        CONDA_ENV
    script:
        "../../scripts/rbm_data.py"
