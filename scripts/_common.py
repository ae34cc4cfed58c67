"""Shared preamble of the rule scripts: paths, logging, JAX on shared GPUs, provenance records.

Every script is a thin call into the ``sparse_nqs`` package; this module only wires Snakemake's
``snakemake`` object to it.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import sys
import time
from pathlib import Path

# Several jobs may share one GPU: let JAX allocate what it needs instead of 75 % up front.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

REPO = Path(__file__).resolve().parent.parent
# This workflow's own package first, also where another copy is pip-installed (Snakemake's script
# preamble appends the main process's sys.path, so "already on the path" is not enough).
sys.path[:] = [str(REPO / "src")] + [p for p in sys.path if p != str(REPO / "src")]

from sparse_nqs.runtime import configure  # noqa: E402

configure()  # float64, the compilation cache shared by all jobs, figures to files


def device() -> str:
    import jax

    return ", ".join(f"{d.platform}:{d.device_kind}" for d in jax.devices())


@contextlib.contextmanager
def job(snakemake, settings: dict | None = None):
    """Run the body with output to the rule's log, then write the job's provenance record.

    The record (results/provenance/<rule>/<output stem>.json) holds the resolved settings, seeds,
    package versions and the package directory used, git commit, device, host and wall time.
    """
    import sparse_nqs
    from sparse_nqs.io import git_commit, json_safe, package_versions, write_json_atomic

    log = Path(snakemake.log[0]) if snakemake.log else None
    start = time.perf_counter()
    stream = open(log, "w") if log else None  # noqa: SIM115 - closed below
    try:
        with contextlib.redirect_stdout(stream or sys.stdout), contextlib.redirect_stderr(stream or sys.stderr):
            yield
            wall = time.perf_counter() - start
            first = Path(str(snakemake.output[0]))
            label = "_".join(f"{k}-{v}" for k, v in snakemake.wildcards.items()) or first.stem
            record = {
                "rule": snakemake.rule, "wildcards": dict(snakemake.wildcards.items()),
                "outputs": [str(o) for o in snakemake.output], "inputs": [str(i) for i in snakemake.input],
                "params": {k: v for k, v in snakemake.params.items()}, "settings": settings,
                "versions": package_versions(), "package": str(Path(sparse_nqs.__file__).parent),
                "git_commit": git_commit(REPO), "device": device(),
                "host": socket.gethostname(), "platform": platform.platform(), "wall_seconds": wall,
                "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
            }
            write_json_atomic(REPO / "results" / "provenance" / snakemake.rule / f"{label}.json", json_safe(record))
            print(f"done in {wall:.1f} s")
    finally:
        if stream:
            stream.close()


def run_of(snakemake):
    """The experiment Run of the job's ``run`` wildcard and its reference record."""
    from sparse_nqs.families import make_run
    from sparse_nqs.io import read_json
    from sparse_nqs.plan import Plan

    plan = Plan.from_config(snakemake.config)
    # the run is a wildcard, or a param of the rules made per run (batched tickets)
    name = snakemake.wildcards.run if "run" in snakemake.wildcards.keys() else snakemake.params.run
    data = list(snakemake.input.data) if "data" in snakemake.input.keys() else []
    run = make_run(plan.settings(name), Path("results") / "runs" / name, **({"data": data[0]} if data else {}))
    # a VMC run's training jobs have no reference input (their training never reads it)
    records = snakemake.input.reference if "reference" in snakemake.input.keys() else []
    records = [records] if isinstance(records, str) else list(records)
    reference = read_json(records[0]) if records else None
    return plan, run, reference
