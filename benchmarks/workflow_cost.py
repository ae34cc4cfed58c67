"""Cost of a finished workflow run, per figure target, from its provenance records.

    python benchmarks/workflow_cost.py [--configfile config.yaml] [--results results]

For every figure: the number of jobs it needs and their summed wall time (a job shared by several
figures counts in each), then the whole run: jobs, job-seconds and jobs per hour of job time.
Prints ``workflow_cost target=fig3 jobs=12 job_minutes=8.4`` lines.
"""

import argparse
import json
from pathlib import Path

import yaml

from sparse_nqs.plan import FIGURES, Plan


def job_records(results: Path) -> tuple[dict, dict]:
    """({output path: record id}, {record id: wall seconds}) of every job with a provenance record."""
    owner, seconds = {}, {}
    for record_file in (results / "provenance").glob("*/*.json"):
        record = json.loads(record_file.read_text())
        seconds[str(record_file)] = record["wall_seconds"]
        for output in record["outputs"]:
            owner[output] = str(record_file)
    return owner, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default="config.yaml")
    parser.add_argument("--results", default="results")
    args = parser.parse_args()
    plan = Plan.from_config(yaml.safe_load(Path(args.configfile).read_text()))
    owner, seconds = job_records(Path(args.results))

    def needed(fig) -> set:
        """Outputs of the jobs a figure needs: its tables, and upstream of them references,
        pre-training and pruning."""
        files = {f"results/{p}" for p in plan.figure_files(fig)}
        for run in set(plan.figures[fig]["runs"] + plan.figures[fig]["reference"]["runs"]):
            files.add(f"results/references/{plan.system(run)}.json")
            files.add(f"results/runs/{run}/pretrain/theta_init.npz")
            files.update(f"results/{plan.history(run, m)}" for m in plan.methods(run))
        files.add(f"results/figures/{fig}.pdf")
        return files

    for fig in FIGURES:
        jobs = {owner[f] for f in needed(fig) if f in owner}
        minutes = sum(seconds[j] for j in jobs) / 60
        print(f"workflow_cost target={fig} jobs={len(jobs)} job_minutes={minutes:.1f}")
    total = sum(seconds.values())
    print(f"workflow_cost target=all jobs={len(seconds)} job_minutes={total / 60:.1f} "
          f"jobs_per_hour={3600 * len(seconds) / max(total, 1e-9):.0f}")


if __name__ == "__main__":
    main()
