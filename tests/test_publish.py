"""Results published inside the repository: the copy and its manifest, every refusal of a stale or
altered publication before anything is read, and the restore that Snakemake resumes from. (The
re-plot from real tables is tested on the smoke build in tests/workflow and on the published
paper-scale results in tests/test_published.py.)"""

import json
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from sparse_nqs.io import git_commit
from sparse_nqs.publish import (PublishedError, check, code_changes, extension_gap, missing_inputs, partial_outputs,
                                publish, read_manifest, restore, results_files)

FINGERPRINTS = {"config": "c0ffee", "runs": {"ffnn": "aa", "rbm": "bb"}}


def git(directory, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=directory,
                   check=True, capture_output=True)


@pytest.fixture
def clone(tmp_path):
    """A committed workflow directory (tracking results/.gitkeep, as the repository does) with results."""
    root = tmp_path / "wf"
    (root / "results").mkdir(parents=True)
    (root / "Snakefile").write_text("# workflow\n")
    (root / ".gitignore").write_text("results/*\n!results/.gitkeep\n.snakemake/\n")
    (root / "results" / ".gitkeep").write_text("")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "workflow")
    files = {"runs/ffnn/imp_wr/history.csv": "n,eps_rel\n10,0.1\n", "runs/ffnn/imp_wr/iter_000.npz": "weights",
             "references/tfim_L2.json": '{"energy": -1.0}', "figures/fig1.png": "figure", "claims.csv": "claim\n",
             "logs/prune/ffnn.log": "log", "bundle/sparse-nqs-x.tar.gz": "archive",
             "provenance/prune/ffnn.json": json.dumps({"git_commit": git_commit(root)})}
    for k, (name, text) in enumerate(files.items()):
        path = root / "results" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, (1e9 + k, 1e9 + 1000 - 10 * k))  # distinct times, not in writing order
    return root


def published(clone, tmp_path, name="published"):
    target = tmp_path / name
    publish(clone / "results", target, commit=git_commit(clone), fingerprints=FINGERPRINTS,
            configs={"config.yaml": "runs: {}\n"}, tracked={"results/.gitkeep"})
    return target


def test_published_results_are_the_results_but_logs_bundles_and_tracked_files(clone, tmp_path):
    target = published(clone, tmp_path)
    manifest = read_manifest(target)
    assert sorted(manifest["files"]) == results_files(clone / "results", {"results/.gitkeep"}) == [
        "claims.csv", "figures/fig1.png", "provenance/prune/ffnn.json", "references/tfim_L2.json",
        "runs/ffnn/imp_wr/history.csv", "runs/ffnn/imp_wr/iter_000.npz"]
    assert manifest["made_at"] == [git_commit(clone)] and manifest["commit"] == git_commit(clone)
    assert (target / "config" / "config.yaml").read_text() == "runs: {}\n"
    for name in manifest["files"]:
        assert (target / name).read_bytes() == (clone / "results" / name).read_bytes()
    assert check(target, FINGERPRINTS) == manifest


def test_published_files_follow_the_umask(clone, tmp_path):
    old = os.umask(0o022)
    try:
        target = published(clone, tmp_path)
    finally:
        os.umask(old)
    assert {stat.S_IMODE(p.stat().st_mode) for p in target.rglob("*") if p.is_file()} == {0o644}


def test_publishing_again_replaces_the_publication_and_never_another_directory(clone, tmp_path):
    target = published(clone, tmp_path)
    (clone / "results" / "claims.csv").unlink()
    published(clone, tmp_path)
    assert not (target / "claims.csv").exists()  # nothing stale stays behind
    other = tmp_path / "docs"
    other.mkdir()
    (other / "index.md").write_text("# not results\n")
    with pytest.raises(PublishedError, match="not a published directory"):
        published(clone, tmp_path, "docs")
    assert (other / "index.md").exists()


def test_stale_or_altered_publications_are_refused_naming_why(clone, tmp_path):
    target = published(clone, tmp_path)
    changed = {"config": "decaf", "runs": {"ffnn": "changed", "rbm": "bb"}}
    with pytest.raises(PublishedError, match=r"another config \(settings of run\(s\) ffnn\).*stale"):
        check(target, changed)
    (target / "runs" / "ffnn" / "imp_wr" / "history.csv").write_text("n,eps_rel\n10,0.2\n")
    with pytest.raises(PublishedError, match="history.csv does not match its checksum"):
        check(target, FINGERPRINTS)
    (target / "runs" / "ffnn" / "imp_wr" / "history.csv").unlink()
    with pytest.raises(PublishedError, match="history.csv of its manifest is missing"):
        check(target, FINGERPRINTS)
    with pytest.raises(PublishedError, match="not a published results directory"):
        check(tmp_path, FINGERPRINTS)


def test_code_changed_since_the_results_were_made_is_reported(clone):
    made = git_commit(clone)
    (clone / "Snakefile").write_text("# changed\n")
    git(clone, "commit", "-qam", "later")
    assert code_changes(clone, [made]) == {made: ["Snakefile"]}
    assert code_changes(clone, ["0" * 40]) == {"0" * 40: ["unknown commit"]}


def test_restoring_into_a_fresh_clone_keeps_the_order_in_time_after_the_code(clone, tmp_path):
    target = published(clone, tmp_path)
    fresh = tmp_path / "fresh"
    subprocess.run(["git", "clone", "-q", str(clone), str(fresh)], check=True)
    manifest = restore(target, fresh, FINGERPRINTS)
    code, now = (fresh / "Snakefile").stat().st_mtime, time.time()
    for name in manifest["files"]:
        restored = fresh / "results" / name
        assert restored.read_bytes() == (clone / "results" / name).read_bytes()
        assert code < restored.stat().st_mtime <= now  # Snakemake: not older than the scripts, not future
    order = sorted(manifest["files"], key=lambda n: (clone / "results" / n).stat().st_mtime_ns)
    assert order == sorted(manifest["files"], key=lambda n: (fresh / "results" / n).stat().st_mtime_ns)
    with pytest.raises(PublishedError, match="already exists"):
        restore(target, fresh, FINGERPRINTS)  # never overwrites a result


def test_a_config_that_adds_runs_extends_a_publication_and_its_figures_are_drawn_again(clone, tmp_path):
    """More runs of the same study go into the same publication: a config that keeps every published
    run and the reference settings and adds runs restores (and re-plots) the publication; the figures
    that gain runs and the claims stay out of the restore so that Snakemake draws them again. A changed
    or dropped run, or changed reference settings, is refused as stale."""
    import copy

    import yaml

    from sparse_nqs.archive import config_fingerprints
    from sparse_nqs.config.check import load_config
    from sparse_nqs.plan import Plan

    root = Path(__file__).resolve().parents[1]
    text = (root / "workflow" / "presets" / "smoke.yaml").read_text()
    base = yaml.safe_load(text)

    def variant(name, edit):
        config = copy.deepcopy(base)
        edit(config)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(config))
        plan = Plan.from_config(load_config(path))
        return plan, config_fingerprints(plan)

    first, fingerprints = variant("first.yaml", lambda c: None)
    (clone / "results" / "figures" / "fig3.png").write_text("figure")
    target = tmp_path / "published"
    publish(clone / "results", target, commit=git_commit(clone), fingerprints=fingerprints,
            configs={"smoke.yaml": text}, tracked={"results/.gitkeep"})

    def add_run(c):
        c["runs"]["ffnn_L4"] = {**c["runs"]["ffnn_L2"], "model": {"L": 4}}
        c["figures"]["fig3"]["runs"].append("ffnn_L4")

    extended, more = variant("more.yaml", add_run)
    assert extension_gap(target, read_manifest(target), more, extended) == ""
    with pytest.raises(PublishedError, match="another config"):
        check(target, more)  # only where the caller asks for an extension
    assert check(target, more, extending=extended)["fingerprints"] == fingerprints
    fresh = tmp_path / "fresh"
    subprocess.run(["git", "clone", "-q", str(clone), str(fresh)], check=True)
    manifest = restore(target, fresh, more, extended)
    assert manifest["added"] == ["ffnn_L4"]
    assert {"figures/fig3.png", "claims.csv"} <= set(manifest["partial"])
    assert not (fresh / "results" / "figures" / "fig3.png").exists()
    assert not (fresh / "results" / "claims.csv").exists()
    assert (fresh / "results" / "figures" / "fig1.png").exists()  # fig1 gains no run: restored

    edits = {"changed settings of run\\(s\\) ffnn_L2": lambda c: (add_run(c), c["runs"]["ffnn_L2"].update(
                 pruning={"p_r": 0.25})),
             "run\\(s\\) only in the publication: rescnn": lambda c: (add_run(c), c["runs"].pop("rescnn"),
                                                          c["figures"]["fig1"]["runs"].remove("rescnn"),
                                                          c["figures"]["fig6"]["runs"].remove("rescnn")),
             "changed reference settings": lambda c: (add_run(c), c.update(references={"method": "ed"}))}
    for k, (why, edit) in enumerate(edits.items()):
        plan, prints = variant(f"stale{k}.yaml", edit)
        with pytest.raises(PublishedError, match=f"does not extend them either \\({why}.*stale"):
            check(target, prints, extending=plan)


def test_the_history_of_a_pruning_job_under_way_is_not_published(tmp_path):
    """A history with fewer rounds than planned is a job under way: published it would read as a
    finished path, and restored it would make Snakemake skip the remaining rounds."""
    import yaml

    from sparse_nqs.plan import Plan
    from sparse_nqs.publish import unfinished_histories

    plan = Plan.from_config(yaml.safe_load(
        "runs: {a: {model: {L: 3}, network: {kind: ffnn, alpha: 1}, pruning: {iterations: 3}}}"))
    history = tmp_path / "runs" / "a" / "imp_wr" / "history.csv"
    history.parent.mkdir(parents=True)
    history.write_text("iteration,n\n-1,81\n0,71\n")
    assert unfinished_histories(plan, tmp_path) == ["runs/a/imp_wr/history.csv"]
    history.write_text("iteration,n\n-1,81\n0,71\n1,63\n2,55\n")
    assert unfinished_histories(plan, tmp_path) == []


def test_figures_drawn_from_unfinished_runs_are_published_but_not_restored(clone, tmp_path):
    """The figures and claims are drawn from the published tables (after them in time); those drawn
    from part of their inputs are listed as partial and not restored: Snakemake never remakes a
    missing input of a file that exists, so a restored partial figure would be up to date for its
    target while the runs it lacks were never finished."""
    def draw(target):
        for name in ("figures/fig1.png", "figures/fig3.png", "claims.csv"):
            (target / name).parent.mkdir(parents=True, exist_ok=True)  # figures are drawn, not copied
            (target / name).write_text(f"drawn from {target.name}")
        return {"files": ["figures/fig1.png", "figures/fig3.png", "claims.csv"],
                "missing": {"fig1": ["runs/cnn/imp_wr/history.csv"]}}

    target = tmp_path / "published"
    publish(clone / "results", target, commit=git_commit(clone), fingerprints=FINGERPRINTS,
            configs={"config.yaml": "runs: {}\n"}, tracked={"results/.gitkeep"}, draw=draw)
    manifest = read_manifest(target)
    assert manifest["partial"] == ["claims.csv", "figures/fig1.png"]  # fig1.pdf and claims.rst were not drawn
    assert (target / "figures" / "fig1.png").read_text() == "drawn from published"  # not the results' copy
    assert "figures/fig3.png" in manifest["files"] and check(target, FINGERPRINTS) == manifest
    copied = [f for f in manifest["files"] if f not in ("figures/fig1.png", "figures/fig3.png", "claims.csv")]
    assert min(manifest["mtimes"][f] for f in ("figures/fig3.png", "claims.csv")) > max(
        manifest["mtimes"][f] for f in copied)
    fresh = tmp_path / "fresh"
    subprocess.run(["git", "clone", "-q", str(clone), str(fresh)], check=True)
    restored = restore(target, fresh, FINGERPRINTS)
    assert not (fresh / "results" / "figures" / "fig1.png").exists()
    assert not (fresh / "results" / "claims.csv").exists()
    assert (fresh / "results" / "figures" / "fig3.png").read_text() == "drawn from published"
    assert (fresh / "results" / "runs" / "ffnn" / "imp_wr" / "history.csv").is_file()
    assert sorted(restored["files"]) == sorted(set(manifest["files"]) - {"claims.csv", "figures/fig1.png"})


def test_a_figure_lacking_an_input_is_partial_and_so_is_the_claims_table(tmp_path):
    import yaml

    from sparse_nqs.plan import Plan

    plan = Plan.from_config(yaml.safe_load(
        "runs: {a: {model: {L: 3}, network: {kind: ffnn, alpha: 1}, pruning: {iterations: 3}}}\n"
        "figures: {fig3: {runs: [a]}}"))
    inputs = [p for kind in plan.figure_inputs("fig3").values() for p in kind]
    assert missing_inputs(plan, tmp_path)["fig3"] == inputs
    for name in {p for lacking in missing_inputs(plan, tmp_path).values() for p in lacking}:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert missing_inputs(plan, tmp_path) == {}
    assert partial_outputs({}) == []
    (tmp_path / inputs[-1]).unlink()
    missing = missing_inputs(plan, tmp_path)
    assert missing == {"fig3": [inputs[-1]]}
    assert partial_outputs(missing) == ["claims.csv", "claims.rst", "figures/fig3.pdf", "figures/fig3.png"]


def test_the_unread_per_step_logs_of_vmc_tickets_stay_out_and_are_listed(clone, tmp_path):
    import yaml

    from sparse_nqs.plan import Plan
    from sparse_nqs.publish import unread_logs

    plan = Plan.from_config(yaml.safe_load(
        "runs: {toric: {model: {name: toric, L: 2}, network: {kind: ffnn, alpha: 1}, pruning: {iterations: 3},\n"
        "              tickets: {iterations: [1], variants: [init_imp, init_rand]}}}\n"
        "rbm: {runs: {rbm: {model: {N: 6}, pruning: {iterations: 3}, tickets: {iterations: [1]}}}}"))
    unread = unread_logs(plan)
    assert unread == ["runs/toric/tickets/init_imp_iter_001_log.csv", "runs/toric/tickets/init_rand_iter_001_log.csv"]
    log = clone / "results" / unread[0]
    log.parent.mkdir(parents=True)
    log.write_text("step,energy\n0,-1\n")
    (log.parent / "init_imp_iter_001.json").write_text("{}")
    target = tmp_path / "published"
    publish(clone / "results", target, commit=git_commit(clone), fingerprints=FINGERPRINTS,
            configs={"config.yaml": "runs: {}\n"}, tracked={"results/.gitkeep"}, unread=unread)
    manifest = read_manifest(target)
    assert manifest["unread"] == [unread[0]] and unread[0] not in manifest["files"]
    assert "runs/toric/tickets/init_imp_iter_001.json" in manifest["files"] and not (target / unread[0]).exists()


def test_the_publication_explains_itself_to_a_reader_on_the_web(clone, tmp_path):
    """README.md: the commits, the figures shown inline (partial ones marked), what is under way, and
    the commands to re-plot and continue, with the published config's path."""
    def draw(target):
        for name in ("figures/fig1.png", "figures/fig3.png"):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_text("png")
        return {"files": ["figures/fig1.png", "figures/fig3.png"], "missing": {"fig1": ["runs/x/imp_wr/history.csv"]}}

    target = tmp_path / "published"
    manifest = publish(clone / "results", target, commit=git_commit(clone), fingerprints=FINGERPRINTS,
                       configs={"subset.yaml": "runs: {}\n"}, tracked={"results/.gitkeep"},
                       unfinished=["runs/x/imp_wr/history.csv"], draw=draw)
    text = (target / "README.md").read_text()
    assert manifest["commit"][:12] in text and "`config/subset.yaml`" in text
    assert "![fig1](figures/fig1.png) (partial)" in text and "![fig3](figures/fig3.png)\n" in text
    assert "`runs/x/imp_wr/history.csv`: pruning under way" in text
    assert f"sparse-nqs replot {target.as_posix()} --config {target.as_posix()}/config/subset.yaml" in text
    assert "README.md" not in manifest["files"] and check(target, FINGERPRINTS)  # not a result


def test_figures_without_runs_are_not_published_and_are_listed(clone, tmp_path):
    """A publication shows the figures that have runs: figures of the results directory are not copied
    (the draw makes them again from the tables), figures whose spec lists no run are not drawn, and the
    README lists them."""
    from sparse_nqs.config.check import load_config
    from sparse_nqs.plan import Plan
    from sparse_nqs.publish import undrawn_figures

    root = Path(__file__).resolve().parents[1]
    subset = Plan.from_config(load_config(root / "workflow" / "presets" / "paper-subset.yaml"))
    assert undrawn_figures(subset) == ["fig1", "fig2", "fig5", "fig6"]
    assert undrawn_figures(Plan.from_config(load_config(root / "workflow" / "presets" / "smoke.yaml"))) == []

    def draw(target):
        (target / "figures").mkdir(exist_ok=True)
        (target / "figures" / "fig3.png").write_text("drawn")
        return {"files": ["figures/fig3.png"], "missing": {}, "undrawn": ["fig1"]}

    target = tmp_path / "published"
    manifest = publish(clone / "results", target, commit=git_commit(clone), fingerprints=FINGERPRINTS,
                       configs={"config.yaml": "runs: {}\n"}, tracked={"results/.gitkeep"}, draw=draw)
    assert "figures/fig1.png" not in manifest["files"] and not (target / "figures" / "fig1.png").exists()
    assert manifest["undrawn"] == ["fig1"] and "Not drawn (no runs of them in this publication): fig1" in (
        target / "README.md").read_text()
