"""The Snakemake workflow: lint, the paper's DAG, the smoke DAG end to end, partial reruns, bad
configs, resuming a killed pruning job, and publishing. Each test works in a real ``git clone`` of the
repository under test, as a user does (a directory built by hand can pass where every clone fails:
the tracked results/.gitkeep once made every bundle unpackable). The clone holds the committed code:
commit before running these tests on changed workflow files."""

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from sparse_nqs import paths
from sparse_nqs.io import current_umask
from sparse_nqs.names import RBM_FIGURES

pytestmark = pytest.mark.workflow  # minutes each: pytest -m 'not workflow' skips them

REPO = Path(__file__).resolve().parents[2]
SMOKE = REPO / "workflow" / "presets" / "smoke.yaml"


def clone_repository(target: Path) -> Path:
    """``git clone`` of the repository under test into ``target`` (skipped outside a git clone)."""
    inside = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    if inside.returncode != 0 or Path(inside.stdout.strip()).resolve() != REPO.resolve():
        pytest.skip("the workflow tests clone the repository: this tree is not a git clone")
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", str(REPO), str(target)], check=True, capture_output=True)
    return target


def nothing_written(clone: Path) -> bool:
    """No result in the clone: its results/ holds only the tracked placeholder."""
    return sorted(p.name for p in (clone / "results").iterdir()) == [".gitkeep"]


def snakemake(workdir: Path, *args, check=True, timeout=1200):
    result = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=workdir, capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def planned_jobs(workdir: Path, configfile: str, *targets) -> dict:
    """{rule: count} of a dry run (Snakemake's job-stats table)."""
    out = snakemake(workdir, "-n", "--quiet", "rules", "--configfile", configfile, "--", *targets)
    text = out.stdout + out.stderr
    if "Nothing to be done" in text:
        return {}
    counts = {}
    table = text.split("Job stats:")[1] if "Job stats:" in text else text
    for line in table.splitlines():
        match = re.fullmatch(r"\s*([A-Za-z_0-9]+)\s+(\d+)\s*", line)
        if match and match.group(1) != "total":
            counts[match.group(1)] = int(match.group(2))
    return counts


def dry_run_jobs(text: str) -> list[tuple[str, dict]]:
    """(rule, wildcards) of every job a dry run (``snakemake -n``) lists."""
    jobs = []
    for block in re.split(r"\n\s*\n", text):
        head = re.search(r"^(?:local)?rule (\S+):$", block, flags=re.M)
        if head:
            wildcards = re.search(r"^\s+wildcards: (.*)$", block, flags=re.M)
            fields = dict(w.split("=", 1) for w in wildcards.group(1).split(", ")) if wildcards else {}
            jobs.append((head.group(1), fields))
    return jobs


def write_config(workdir: Path, name: str, edit) -> str:
    config = yaml.safe_load(SMOKE.read_text())
    edit(config)
    (workdir / name).write_text(yaml.safe_dump(config))
    return name


def test_lint_reports_nothing(tmp_path):
    workdir = clone_repository(tmp_path / "wf")
    out = snakemake(workdir, "--lint", "--configfile", "workflow/presets/smoke.yaml")
    assert "Congratulations, your workflow is in a good condition!" in out.stdout + out.stderr


def test_paper_preset_dry_run_lists_the_papers_runs(tmp_path):
    workdir = clone_repository(tmp_path / "wf")
    jobs = planned_jobs(workdir, "workflow/presets/paper.yaml", "fig3")
    assert jobs["prune"] == 7 and jobs["pretrain"] == 7 and jobs["fidelity"] == 7
    assert jobs["reference"] == 7  # DMRG for L = 5 .. 10, ED for L = 4
    info = subprocess.run([sys.executable, "-m", "sparse_nqs.cli", "info", "--config", "workflow/presets/paper.yaml"],
                          cwd=workdir, capture_output=True, text=True, check=True)
    runs = {r["name"]: r for r in yaml.safe_load(info.stdout)}
    assert [len(runs[f"fig3_L{L}"]["n_sequence"]) - 1 for L in range(4, 11)] == [51, 58, 64, 69, 65, 74, 74]
    assert runs["fig1_ffnn"]["n_init"] == 50000 and runs["fig1_cnn"]["n_init"] == 36
    assert runs["fig1_rescnn"]["n_init"] == 18576
    assert [runs[f"fig4_alpha{a}"]["n_init"] for a in (4, 8, 16, 32)] == [1296, 2592, 5184, 10368]
    everything = planned_jobs(workdir, "workflow/presets/paper.yaml", "all")
    # Fig. 1/5 x 3 methods, ResCNN, Fig. 2, Fig. 3, Fig. 4; the RBMs: N = 18 at h = 1 x 3 methods, h = 2,
    # N = 50, N = 100, the thesis' schedule
    assert everything["prune"] == 2 * 3 + 1 + 2 + 6 + 7 + 4 + (3 + 1 + 1 + 1 + 1)
    assert everything["pretrain"] == 3 + 8 + 2 + 6 + 7 + 4 + 5
    assert everything["rbm_data"] == 4  # N = 18 at h = 1 and 2, N = 50, 100: the thesis run shares its data


@pytest.mark.parametrize("edit, fragment", [
    (lambda c: c["runs"]["ffnn"].update(colour="red"), "colour"),
    (lambda c: c["runs"]["ffnn"]["pruning"].update(p_r=1.5), "p_r"),
    (lambda c: c["runs"]["ffnn"]["pruning"].update(iterations="many"), "iterations"),
    (lambda c: c["runs"]["ffnn"]["network"].update(kind="transformer"), "kind"),
    (lambda c: c["runs"]["ffnn"]["model"].update(name="heisenberg") if "model" in c["runs"]["ffnn"]
     else c["runs"]["ffnn"].update(model={"name": "heisenberg"}), "name"),
    (lambda c: c["runs"]["cnn"].update(pruning={"iterations": 40}), "pruning"),  # 18 weights cannot take 40 rounds
    (lambda c: c["figures"]["fig2"].update(runs=["ffnn", "nonexistent"]), "nonexistent"),
], ids=["unknown-key", "p_r-range", "wrong-type", "unknown-network", "unknown-model", "too-many-iterations",
        "missing-run"])
def test_bad_config_is_refused_before_any_job(tmp_path, edit, fragment):
    workdir = clone_repository(tmp_path / "wf")
    name = write_config(workdir, "bad.yaml", edit)
    out = snakemake(workdir, "--cores", "1", "--configfile", name, check=False)
    assert out.returncode != 0
    assert fragment in out.stdout + out.stderr
    assert nothing_written(workdir)


@pytest.fixture(scope="module")
def smoke_build(tmp_path_factory):
    """The smoke preset built from an empty results directory (all figures and the claims)."""
    workdir = clone_repository(tmp_path_factory.mktemp("smoke") / "wf")
    start = time.perf_counter()
    snakemake(workdir, "--cores", "2", "--configfile", "workflow/presets/smoke.yaml")
    return workdir, time.perf_counter() - start


def test_smoke_builds_every_target_and_then_has_nothing_to_do(smoke_build):
    workdir, seconds = smoke_build
    for fig in range(1, 8):
        for ext in ("pdf", "png"):
            path = workdir / "results" / "figures" / f"fig{fig}.{ext}"
            assert path.stat().st_size > 1000, path
    for fig in RBM_FIGURES:
        suffixes = ("",) if fig == "rbm_table1" else (".pdf", ".png")
        for suffix in suffixes:
            path = workdir / "results" / (paths.RBM_TABLE1 if fig == "rbm_table1" else paths.figure(fig, suffix))
            assert path.stat().st_size > 100, path
    claims = (workdir / "results" / "claims.csv").read_text()
    assert claims.startswith("claim,figure,paper,measured,expected,basis,status")
    assert ",rbm_fig2," in claims and ",rbm_lth," in claims
    provenance = list((workdir / "results" / "provenance").rglob("*.json"))
    assert len(provenance) >= 35
    record = yaml.safe_load(provenance[0].read_text())
    for key in ("settings", "versions", "git_commit", "device", "wall_seconds"):
        assert key in record
    # the jobs ran this workflow's own package, not another pip-installed copy
    assert record["package"] == str(workdir / "src" / "sparse_nqs")
    assert planned_jobs(workdir, "workflow/presets/smoke.yaml") == {}
    print(f"smoke build: {seconds:.0f} s")


def test_ffnn_tickets_run_as_one_batched_job(smoke_build):
    """tickets.batch auto: the FFNN run's three tickets in one job, the run with batch: false one job each.
    Switching batching off afterwards plans the three single-ticket jobs (another rule made the files),
    which read the finished checkpoints back instead of training again, and their dependents."""
    workdir, _ = smoke_build
    provenance = workdir / "results" / "provenance"
    assert len(list((provenance / "tickets_ffnn").glob("*.json"))) == 1
    assert len(list((provenance / "ticket").glob("*toric_alpha1*.json"))) == 3
    assert not list((provenance / "ticket").glob("*run-ffnn_*.json"))
    rows = sorted((workdir / "results" / "runs" / "ffnn" / "tickets").glob("*_iter_001.json"))
    assert len(rows) == 3
    name = write_config(workdir, "unbatched.yaml", lambda c: c["runs"]["ffnn"]["tickets"].update(batch=False))
    assert planned_jobs(workdir, name) == {"ticket": 3, "evaluate_tickets_ffnn": 1, "plot_fig1": 1, "plot_fig6": 1,
                                           "claims": 1, "all": 1}


def test_changing_a_plotting_option_reruns_only_the_plots(smoke_build):
    workdir, _ = smoke_build
    name = write_config(workdir, "plot.yaml", lambda c: c.setdefault("plotting", {}).update(dpi=100))
    jobs = planned_jobs(workdir, name)
    rbm_plots = {f"plot_{fig}" for fig in RBM_FIGURES if fig != "rbm_table1"}
    assert set(jobs) == {f"plot_fig{i}" for i in range(1, 8)} | rbm_plots | {"all"}


def test_changing_p_r_of_one_run_reruns_that_run_and_its_dependents(smoke_build):
    workdir, _ = smoke_build
    name = write_config(workdir, "pr.yaml", lambda c: c["runs"]["ffnn_L2"].setdefault("pruning", {}).update(p_r=0.25))
    jobs = planned_jobs(workdir, name)
    # ffnn_L2 is drawn in Figs. 2 and 3; Fig. 3 also reads its fidelity table
    assert jobs == {"prune": 1, "evaluate": 1, "fidelity": 1, "plot_fig2": 1, "plot_fig3": 1, "claims": 1, "all": 1}


def test_changing_the_evaluation_reruns_evaluations_and_trains_nothing(smoke_build):
    """A larger evaluation sample of every VMC run: every evaluation job of those runs and what reads
    their tables, and no pre-training, pruning or ticket training (their params hold no evaluation
    setting); the RBM runs (their own `rbm.evaluation`) are untouched."""
    workdir, _ = smoke_build
    name = write_config(workdir, "evaluation.yaml",
                        lambda c: c["defaults"].setdefault("evaluation", {}).update(n_samples=1024, fidelity_samples=512))
    jobs = planned_jobs(workdir, name)
    assert {"evaluate_dense", "evaluate", "fidelity", "claims"} <= set(jobs)
    assert not {"pretrain", "prune", "ticket", "rbm_data"} & set(jobs), jobs
    assert not [job for job in jobs if job.startswith("tickets_") or job.startswith("plot_rbm")], jobs
    assert jobs["evaluate_dense"] == len(yaml.safe_load((workdir / name).read_text())["runs"])


def test_changing_one_rbm_run_reruns_that_run_and_its_figures_only(smoke_build):
    """rbm_h2's CD steps k: its pre-training and pruning again (not its data), and the figures that
    draw it: rbm_fig2, rbm_fig4 and rbm_fig6 (not Table I, which depends on the schedule only)."""
    workdir, _ = smoke_build
    name = write_config(workdir, "k.yaml", lambda c: c["rbm"]["runs"]["rbm_h2"].setdefault("cd", {}).update(k=3))
    jobs = planned_jobs(workdir, name)
    assert jobs == {"pretrain": 1, "evaluate_dense": 1, "prune": 1, "evaluate": 1, "plot_rbm_fig2": 1,
                    "plot_rbm_fig4": 1, "plot_rbm_fig6": 1, "claims": 1, "all": 1}
    name = write_config(workdir, "pr.yaml", lambda c: c["rbm"]["runs"]["rbm_h2"].setdefault("pruning", {}).update(p_r=0.2))
    assert planned_jobs(workdir, name)["plot_rbm_table1"] == 1


def test_adding_a_kappa_value_adds_only_the_new_jobs(smoke_build):
    workdir, _ = smoke_build

    def add(c):
        c["runs"]["ffnn_kappa2"] = {"model": {"kappa": 2.0}, "network": {"kind": "ffnn", "alpha": 1}}
        c["figures"]["fig2"]["runs"].append("ffnn_kappa2")

    jobs = planned_jobs(workdir, write_config(workdir, "kappa.yaml", add))
    assert jobs == {"reference": 1, "pretrain": 1, "evaluate_dense": 1, "prune": 1, "evaluate": 1, "plot_fig2": 1,
                    "claims": 1, "all": 1}
    # a DMRG schedule of its own for one system remakes that system's record only (no training)
    from sparse_nqs.config.check import load_config
    from sparse_nqs.plan import Plan

    system = Plan.from_config(load_config(SMOKE)).system("ffnn_L2")
    jobs = planned_jobs(workdir, write_config(workdir, "dmrg.yaml", lambda c: c.setdefault("references", {}).update(
        dmrg_systems={system: {"dmrg_maxdims": [10, 20]}})))
    assert jobs["reference"] == 1 and not {"pretrain", "prune", "ticket", "rbm_data"} & set(jobs), jobs


def test_killed_pruning_job_resumes_without_repeating_rounds(smoke_build):
    workdir, _ = smoke_build

    def longer(c):
        c["runs"]["long"] = {"network": {"kind": "ffnn", "alpha": 1},
                             "pruning": {"iterations": 6, "steps_per_iteration": 150}}

    name = write_config(workdir, "long.yaml", longer)
    target = "results/runs/long/imp_wr/history.csv"
    rounds = workdir / "results" / "runs" / "long" / "imp_wr"
    process = subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "1", "--configfile", name, "--", target],
                               cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.time() + 600
    while not (rounds / "iter_001.npz").exists():
        assert process.poll() is None and time.time() < deadline, "the pruning job ended before it could be killed"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)  # snakemake and its job, as a killed laptop or a preempted node
    process.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in rounds.glob("iter_*.npz")}
    assert 1 <= len(finished) < 6
    snakemake(workdir, "--unlock", "--configfile", name)  # a hard kill leaves Snakemake's lock behind
    snakemake(workdir, "--cores", "1", "--rerun-incomplete", "--configfile", name, "--", target)
    for round_file, stamp in finished.items():
        assert (rounds / round_file).stat().st_mtime_ns == stamp  # not recomputed
    history = (workdir / target).read_text().splitlines()
    assert len(history) == 1 + 7  # header, dense row, 6 rounds


def test_report_has_every_figure_and_the_claims(smoke_build):
    workdir, _ = smoke_build
    snakemake(workdir, "--report", "report.html", "--configfile", "workflow/presets/smoke.yaml")
    html = (workdir / "report.html").read_text(errors="replace")
    assert len(html) > 100_000
    for name in [f"fig{i}.pdf" for i in range(1, 8)] + ["claims.csv"]:
        assert name in html


def test_archive_packs_the_workflow(smoke_build, tmp_path):
    workdir, _ = smoke_build
    archive = tmp_path / "workflow.tar.gz"
    env = {**os.environ, "SPARSE_NQS_NO_CONDA": "1"}  # no conda on CI machines: see common.smk
    result = subprocess.run([sys.executable, "-m", "snakemake", "--archive", str(archive), "--configfile",
                             "workflow/presets/smoke.yaml"], cwd=workdir, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    import tarfile

    names = tarfile.open(archive).getnames()
    for expected in ("Snakefile", "workflow/presets/paper.yaml", "scripts/prune.py", "requirements.lock",
                     "src/sparse_nqs/pruning/experiment.py", "src/sparse_nqs/config/schema.yaml"):
        assert expected in names
    # git-ignored outputs stay out; the tracked placeholder is part of the repository
    assert [name for name in names if name.startswith("results/")] == ["results/.gitkeep"]


def _local_slurm_or_skip():
    """Start a one-node Slurm on localhost (Debian slurm-wlm + munge, installed by the script)."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("the local Slurm test needs root and apt-get to install slurm-wlm and munge")
    script = Path(__file__).resolve().parent / "slurm" / "start_local_slurm.sh"
    result = subprocess.run([str(script), "2"], capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        pytest.skip(f"could not start a local Slurm: {result.stderr[-500:]}")


def test_slurm_profile_runs_a_figure_of_the_smoke_preset(tmp_path):
    """The repository's Slurm profile runs the jobs of one figure target through a real (local)
    Slurm: references, pre-training, pruning and the plot, each as its own Slurm job. (The whole
    smoke DAG is built locally by the smoke-build test; under Slurm every job pays a process start.)"""
    _local_slurm_or_skip()
    workdir = clone_repository(tmp_path / "wf")
    # the repository's profile, pointed at the local partition; status via squeue (no accounting here)
    profile = yaml.safe_load((workdir / "workflow" / "profiles" / "slurm" / "config.yaml").read_text())
    profile["default-resources"]["slurm_partition"] = "debug"
    profile.update({"slurm-no-account": True, "slurm-status-command": "squeue", "jobs": 4,
                    "seconds-between-status-checks": 2, "slurm-init-seconds-before-status-checks": 1,
                    "latency-wait": 10})
    (workdir / "local-slurm").mkdir()
    (workdir / "local-slurm" / "config.yaml").write_text(yaml.safe_dump(profile))
    snakemake(workdir, "--profile", "local-slurm", "--configfile", "workflow/presets/smoke.yaml", "--", "fig3",
              timeout=2400)
    assert (workdir / "results" / "figures" / "fig3.pdf").stat().st_size > 1000
    records = [yaml.safe_load(p.read_text()) for p in (workdir / "results" / "provenance" / "prune").glob("*.json")]
    assert records and all(r["slurm_job_id"] for r in records)  # the jobs really ran under Slurm


def test_rerun_after_a_kill_needs_no_profile_flag(tmp_path):
    """README "Interruptions": rerunning the same command (no --profile) redoes a job that a kill
    left incomplete, because Snakemake loads the workflow profile profiles/default (rerun-incomplete)
    by itself; with the Slurm profile it adds only settings that are safe there too."""
    workdir = clone_repository(tmp_path / "wf")
    import json
    from base64 import urlsafe_b64encode

    from sparse_nqs.plan import Plan

    system = next(iter(Plan.from_config(yaml.safe_load(SMOKE.read_text())).systems))
    output = f"results/references/{system}.json"
    # what a kill leaves behind: the job's output (here half written) and Snakemake's marker
    # .snakemake/incomplete/<urlsafe base64 of the output path>
    (workdir / output).parent.mkdir(parents=True)
    (workdir / output).write_text('{"energy": ')
    marker = workdir / ".snakemake" / "incomplete" / urlsafe_b64encode(output.encode()).decode()
    marker.parent.mkdir(parents=True)
    marker.write_text('{"external_jobid": null}')

    command = ["-n", "--quiet", "rules", "--configfile", "workflow/presets/smoke.yaml", "--", output]
    refused = snakemake(workdir, "--workflow-profile", "none", *command, check=False)
    assert refused.returncode != 0 and "--rerun-incomplete" in refused.stdout + refused.stderr  # without it
    rerun = snakemake(workdir, *command)
    assert "workflow specific profile profiles/default" in rerun.stdout + rerun.stderr
    assert re.search(r"^\s*reference\s+1\s*$", rerun.stdout + rerun.stderr, flags=re.M)

    # combined with --profile workflow/profiles/slurm the workflow profile overrides its keys: it
    # must not set cores (a cap on the whole cluster run), jobs or latency-wait
    probe = ("import json, sys; from snakemake.cli import parse_args; _, a = parse_args(sys.argv[1:]); "
             "print(json.dumps({k: getattr(a, k) for k in ('cores', 'jobs', 'latency_wait', 'executor', "
             "'rerun_incomplete')}))")
    for profile, expected in ([[], {"cores": None, "jobs": None, "latency_wait": 5, "executor": None}],
                              [["--profile", "workflow/profiles/slurm"],
                               {"cores": None, "jobs": 100, "latency_wait": 60, "executor": "slurm"}]):
        result = subprocess.run([sys.executable, "-c", probe, *profile], cwd=workdir, capture_output=True,
                                text=True, check=True)
        assert json.loads(result.stdout.splitlines()[-1]) == {**expected, "rerun_incomplete": True}


def test_a_re_made_reference_reaches_every_row_and_trains_nothing(smoke_build):
    """The reference record of a system is made again with another energy (as after switching ED to
    DMRG): the evaluation jobs run again and every row takes its errors from the new record, the
    pruning rounds' and the tickets' alike; no training job runs (training never reads the reference)."""
    import json

    import pandas as pd

    workdir, _ = smoke_build
    record_path = workdir / "results" / "references" / "toric_L2.json"
    record = json.loads(record_path.read_text())
    record["energy"] -= 0.25
    record_path.write_text(json.dumps(record))
    run = workdir / "results" / "runs" / "toric_alpha1"
    trained = {p: p.stat().st_mtime for p in [run / "pretrain" / "theta_wr.npz", run / "imp_wr" / "log.csv",
                                                run / "tickets" / "init_imp_iter_001.npz"]}
    history, ticket = "results/runs/toric_alpha1/imp_wr/history.csv", "results/runs/toric_alpha1/tickets/init_imp_iter_001.json"
    jobs = planned_jobs(workdir, "workflow/presets/smoke.yaml", history, ticket)
    assert set(jobs) == {"evaluate", "evaluate_tickets_toric_alpha1"}, jobs
    snakemake(workdir, "--cores", "2", "--configfile", "workflow/presets/smoke.yaml", "--", history, ticket)
    table = pd.read_csv(workdir / history)
    assert len(table) == 4 and set(table.reference_energy) == {record["energy"]}
    row = json.loads((workdir / ticket).read_text())
    assert row["reference_energy"] == record["energy"]
    assert row["eps_rel"] == pytest.approx(abs(row["energy"] - record["energy"]) / abs(record["energy"]), rel=1e-12)
    assert {p: p.stat().st_mtime for p in trained} == trained


def test_samples_not_a_multiple_of_the_chains_stop_the_dry_run(tmp_path):
    """A config that pre-training would reject (NetKet splits the samples evenly over the chains) is
    refused by the dry run, before any job, with the keys named: the package's check_config, the same
    as the sparse-nqs command line's."""
    workdir = clone_repository(tmp_path / "wf")
    name = write_config(workdir, "bad.yaml", lambda c: c["defaults"]["sampling"].update(n_samples=100, n_chains=16))
    out = snakemake(workdir, "-n", "--configfile", name, check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert "sampling.n_samples must be a positive multiple of sampling.n_chains (n_samples = 100, n_chains = 16)" in text
    assert "Job stats" not in text and "Traceback" not in text
    assert nothing_written(workdir)


def test_report_description_lists_the_configuration():
    """Snakemake's HTML report leaves the config files out (9.x hands them to the reporter, which
    does not show them), so workflow/report/workflow.rst lists the config itself. Rendered as
    Snakemake renders it (Jinja with trim_blocks and lstrip_blocks, `snakemake.config`, then
    docutils): no docutils error, and its literal block reads back, as YAML, to the config."""
    from docutils.core import publish_parts
    from jinja2 import Environment

    config = yaml.safe_load(SMOKE.read_text())

    class Snakemake:
        pass

    Snakemake.config = config
    text = (REPO / "workflow" / "report" / "workflow.rst").read_text()
    rst = Environment(trim_blocks=True, lstrip_blocks=True).from_string(text).render(
        snakemake=Snakemake, categories={}, files=[])
    html = publish_parts(rst, writer="html")["html_body"]
    assert "system-message" not in html and "Configuration" in html
    block = rst.split("::\n", 1)[1]
    lines = [line for line in block.splitlines() if line.strip()]
    assert all(line.startswith("    ") for line in lines)
    assert yaml.safe_load("\n".join(line[4:] for line in lines)) == config


def test_a_published_bundle_rebuilds_figures_and_claims_in_a_fresh_clone_without_training(smoke_build, tmp_path):
    """The user's path: `snakemake bundle` in one clone, `sparse-nqs unpack` in a second, fresh
    `git clone` of the same commit; then nothing is trained and `all` re-plots and re-checks."""
    workdir, _ = smoke_build
    snakemake(workdir, "--cores", "1", "--configfile", "workflow/presets/smoke.yaml", "--", "bundle")
    archive, = (workdir / "results" / "bundle").glob("sparse-nqs-*.tar.gz")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout
    assert archive.name == f"sparse-nqs-{commit[:12]}.tar.gz"
    # meant for others: readable as any file the user writes (the umask decides), like a results table
    mode = 0o666 & ~current_umask()
    history = workdir / "results" / "runs" / "ffnn" / "imp_wr" / "history.csv"
    assert stat.S_IMODE(archive.stat().st_mode) == stat.S_IMODE(history.stat().st_mode) == mode
    import tarfile

    assert "results/.gitkeep" not in tarfile.open(archive).getnames()  # every clone has it: not a result

    def unpack(clone, *configs):
        return subprocess.run([sys.executable, "-m", "sparse_nqs.cli", "unpack", str(archive), "--config", *configs],
                              cwd=clone, capture_output=True, text=True)

    fresh = clone_repository(tmp_path / "fresh")
    # another config is refused before anything is written
    other = write_config(fresh, "other.yaml", lambda c: c["runs"]["ffnn_L2"].setdefault("pruning", {}).update(p_r=0.25))
    refused = unpack(fresh, other)
    assert refused.returncode == 2 and "settings of run(s) ffnn_L2" in refused.stderr
    assert not (fresh / "results" / "runs").exists()

    restored = unpack(fresh, "workflow/presets/smoke.yaml")
    assert restored.returncode == 0, restored.stderr
    # unpacking again would overwrite results: refused
    again = unpack(fresh, "workflow/presets/smoke.yaml")
    assert again.returncode == 2 and "already exists" in again.stderr
    jobs = planned_jobs(fresh, "workflow/presets/smoke.yaml")
    rbm_plots = {f"plot_{fig}": 1 for fig in RBM_FIGURES if fig != "rbm_table1"}  # Table I is a table: restored
    assert jobs == {**{f"plot_fig{i}": 1 for i in range(1, 8)}, **rbm_plots, "claims": 1, "all": 1}  # no training
    snakemake(fresh, "--cores", "2", "--configfile", "workflow/presets/smoke.yaml")
    for name in ("claims.csv", "tables/fig7_construction.csv"):
        assert (fresh / "results" / name).read_text() == (workdir / "results" / name).read_text()
    # Snakemake's records travelled: a changed setting reruns what it touches, as in the original clone
    changed = write_config(fresh, "pr.yaml", lambda c: c["runs"]["ffnn_L2"].setdefault("pruning", {}).update(p_r=0.25))
    assert planned_jobs(fresh, changed) == planned_jobs(workdir, write_config(workdir, "pr.yaml", lambda c: c[
        "runs"]["ffnn_L2"].setdefault("pruning", {}).update(p_r=0.25)))


def test_published_results_replot_and_restore_in_fresh_clones(smoke_build, tmp_path):
    """Results published as plain files (sparse-nqs publish) re-plot in a fresh clone to the same
    claims, training nothing; restored into another clone, the DAG plans only the plots and claims."""
    workdir, _ = smoke_build

    def cli(clone, *args):
        return subprocess.run([sys.executable, "-m", "sparse_nqs.cli", *args], cwd=clone, capture_output=True,
                              text=True)

    target = tmp_path / "published"
    made = cli(workdir, "publish", str(target), "--config", "workflow/presets/smoke.yaml")
    assert made.returncode == 0, made.stderr
    fresh = clone_repository(tmp_path / "fresh")
    replotted = cli(fresh, "replot", str(target), "--config", "workflow/presets/smoke.yaml", "--out", "again")
    assert replotted.returncode == 0, replotted.stderr
    assert (fresh / "again" / "claims.csv").read_text() == (workdir / "results" / "claims.csv").read_text()
    for fig in [f"fig{i}" for i in range(1, 8)] + [f for f in RBM_FIGURES if f != "rbm_table1"]:
        assert (fresh / "again" / "figures" / f"{fig}.png").stat().st_size > 1000, fig
    assert not (fresh / "results" / "runs").exists()  # nothing trained, nothing restored
    stale = write_config(fresh, "pr.yaml", lambda c: c["runs"]["ffnn_L2"].setdefault("pruning", {}).update(p_r=0.25))
    refused = cli(fresh, "replot", str(target), "--config", stale)
    assert refused.returncode == 2 and "settings of run(s) ffnn_L2" in refused.stderr and "stale" in refused.stderr

    # the paper's numbers beside ours, from the published tables: every finished quantity has a number
    beside = subprocess.run([sys.executable, "-m", "sparse_nqs.claims.beside", str(target), "--config",
                             "workflow/presets/smoke.yaml"], cwd=fresh, capture_output=True, text=True)
    assert beside.returncode == 0, beside.stderr
    rows = [line.split(" | ") for line in beside.stdout.splitlines()[2:]]
    assert rows and not [r for r in rows if r[4] == "under way"], beside.stdout
    assert any(r[0].startswith("| rho_c") and r[1] == "ffnn_L2" for r in rows)

    other = clone_repository(tmp_path / "other")
    restored = cli(other, "restore", str(target), "--config", "workflow/presets/smoke.yaml")
    assert restored.returncode == 0, restored.stderr
    jobs = planned_jobs(other, "workflow/presets/smoke.yaml")
    assert not {"reference", "rbm_data", "pretrain", "prune", "ticket", "tickets", "fidelity", "evaluate",
                "evaluate_dense"} & set(jobs), jobs


PUBLISHED = "published/paper-subset"


def test_the_published_paper_runs_restore_and_snakemake_trains_only_what_is_unfinished(tmp_path):
    """The publication's "continue" path as a user runs it: restored into a fresh clone, Snakemake
    finds every finished job up to date (the published file times follow the DAG) and plans training
    only for the runs and paths the publication has not finished."""
    import json

    fresh = clone_repository(tmp_path / "fresh")
    for published, config in ((PUBLISHED, "workflow/presets/paper-subset.yaml"),
                              ("published/paper-subset-replica", "workflow/presets/paper-subset-replica.yaml")):
        restored = subprocess.run([sys.executable, "-m", "sparse_nqs.cli", "restore", published, "--config", config],
                                  cwd=fresh, capture_output=True, text=True)
        assert restored.returncode == 0, restored.stderr
        files = json.loads((fresh / published / "MANIFEST.json").read_text())["files"]
        finished = {tuple(f.split("/")[1:3]) for f in files if f.startswith("runs/") and f.endswith("/history.csv")}
        out = snakemake(fresh, "-n", "--configfile", config)
        for rule, fields in dry_run_jobs(out.stdout + out.stderr):
            run = fields.get("run")
            assert (run, fields.get("method")) not in finished, (rule, fields)
            assert rule != "pretrain" or f"runs/{run}/pretrain/theta_wr.npz" not in files, (rule, fields)
            assert f"references/{fields.get('system')}.json" not in files, (rule, fields)
            assert f"data/{fields.get('dataset')}.npz" not in files, (rule, fields)
        shutil.rmtree(fresh / "results")
        (fresh / "results").mkdir()
        subprocess.run(["git", "checkout", "--", "results"], cwd=fresh, check=True)


def test_the_published_paper_runs_replot_in_a_fresh_clone(tmp_path):
    """README's command for the results published with the repository, as a reader runs it in a fresh
    clone: the manifest matches workflow/presets/paper-subset.yaml (a setting changed since is
    refused as stale), every figure with published runs is drawn from the tables, and every claim is
    evaluated (none 'could not evaluate'); nothing is trained."""
    import pandas as pd

    fresh = clone_repository(tmp_path / "fresh")
    result = subprocess.run([sys.executable, "-m", "sparse_nqs.cli", "replot", PUBLISHED, "--config",
                             "workflow/presets/paper-subset.yaml"], cwd=fresh, capture_output=True, text=True,
                            timeout=1200)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    out = fresh / "results" / "replot" / "paper-subset"
    published = pd.read_csv(fresh / PUBLISHED / "claims.csv")
    replotted = pd.read_csv(out / "claims.csv")
    assert not replotted.measured.astype(str).str.startswith("could not evaluate").any()
    assert len(replotted) == len(published)
    figures = {p.stem for p in (fresh / PUBLISHED / "figures").glob("*.png")}
    assert figures and figures <= {p.stem for p in (out / "figures").glob("*.png")}
    assert not (fresh / "results" / "runs").exists()
