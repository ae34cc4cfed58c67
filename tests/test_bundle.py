"""The results bundle: pack and unpack round trip, and every refusal before anything is written."""

import copy
import io
import json
import os
import stat
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from sparse_nqs.archive import config_fingerprints, tracked_files
from sparse_nqs.bundle import BundleError, bundle_files, pack, read_manifest, unpack
from sparse_nqs.config import load_config
from sparse_nqs.io import git_commit
from sparse_nqs.plan import Plan

FINGERPRINTS = {"config": "c0ffee", "runs": {"ffnn": "aa", "cnn": "bb"}}


def git(directory, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=directory,
                   check=True, capture_output=True)


@pytest.fixture
def clone(tmp_path):
    """A committed workflow directory with a small results tree; like the repository, it tracks the
    placeholder results/.gitkeep."""
    root = tmp_path / "wf"
    (root / "results" / "runs" / "ffnn" / "imp_wr").mkdir(parents=True)
    (root / "Snakefile").write_text("# workflow\n")
    (root / ".gitignore").write_text("results/*\n!results/.gitkeep\n.snakemake/\n")
    (root / "results" / ".gitkeep").write_text("")
    files = {"results/runs/ffnn/imp_wr/history.csv": "n,eps_rel\n10,0.1\n",
             "results/runs/ffnn/imp_wr/iter_000.npz": "weights",
             "results/references/tfim_L2.json": '{"energy": -1.0}',
             "results/figures/fig1.pdf": "figure", "results/claims.csv": "claim\n",
             "results/logs/prune/ffnn.log": "log", "results/runs/ffnn/pretrain/partial.npz": "resume"}
    for k, (name, text) in enumerate(files.items()):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
        os.utime(root / name, (1e9 + k, 1e9 + 1000 - 10 * k))  # distinct times, not in writing order
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "workflow")
    return root


def test_a_bundle_carries_the_tables_not_what_is_rebuilt_or_local_or_tracked(clone):
    assert tracked_files(clone) == {".gitignore", "Snakefile", "results/.gitkeep"}
    assert bundle_files(clone / "results", tracked=tracked_files(clone)) == [
        "results/references/tfim_L2.json", "results/runs/ffnn/imp_wr/history.csv",
        "results/runs/ffnn/imp_wr/iter_000.npz"]


def packed(clone, tmp_path, tracked=None):
    archive = tmp_path / "bundle.tar.gz"
    files = bundle_files(clone / "results", tracked=tracked_files(clone) if tracked is None else tracked)
    pack(clone, archive, files, commit=git_commit(clone), fingerprints=FINGERPRINTS,
         configs={"config.yaml": "runs: {}\n"})
    return archive


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600)])
def test_the_archive_is_readable_as_the_umask_says(clone, tmp_path, umask, mode):
    """The one file meant for others gets the mode of any file the user writes (not mkstemp's 0600)."""
    old = os.umask(umask)
    try:
        archive = packed(clone, tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(archive.stat().st_mode) == mode
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_a_bundle_that_carries_a_tracked_placeholder_still_unpacks(clone, tmp_path):
    """Bundles packed before placeholders were left out carry results/.gitkeep, which every clone has:
    the same file is no conflict; a tracked file whose content differs would be overwritten: refused."""
    archive = packed(clone, tmp_path, tracked=set())
    assert "results/.gitkeep" in read_manifest(archive)["files"]
    target = fresh_clone(clone, tmp_path)
    unpack(archive, target, commit=git_commit(target), fingerprints=FINGERPRINTS)
    assert (target / "results" / "runs" / "ffnn" / "imp_wr" / "history.csv").is_file()
    other = fresh_clone(clone, tmp_path, "other")
    (other / "results" / ".gitkeep").write_text("placeholder\n")
    git(other, "commit", "-qam", "placeholder text")
    assert "results/.gitkeep already exists" in refused(archive, other, commit=git_commit(clone))


def fresh_clone(clone, tmp_path, name="fresh"):
    target = tmp_path / name
    subprocess.run(["git", "clone", "-q", str(clone), str(target)], check=True)
    return target


def test_unpacking_into_a_fresh_clone_restores_every_file_in_order_after_the_code(clone, tmp_path):
    archive = packed(clone, tmp_path)
    manifest = read_manifest(archive)
    assert manifest["commit"] == git_commit(clone) and len(manifest["files"]) == 3
    assert "config/config.yaml" in tarfile.open(archive).getnames()
    target = fresh_clone(clone, tmp_path)
    unpack(archive, target, commit=git_commit(target), fingerprints=FINGERPRINTS)
    code, now = (target / "Snakefile").stat().st_mtime, time.time()
    for name in manifest["files"]:
        assert (target / name).read_bytes() == (clone / name).read_bytes()
        # Snakemake reruns outputs older than their script and refuses outputs from the future
        assert code < (target / name).stat().st_mtime <= now
    order = sorted(manifest["files"], key=lambda name: (clone / name).stat().st_mtime_ns)
    assert order == sorted(manifest["files"], key=lambda name: (target / name).stat().st_mtime_ns)
    assert not (target / "results" / "figures").exists()


def refused(archive, target, fingerprints=FINGERPRINTS, commit=None):
    before = sorted(p.relative_to(target) for p in target.rglob("*") if ".git" not in p.parts)
    with pytest.raises(BundleError) as info:
        unpack(archive, target, commit=commit or git_commit(target), fingerprints=fingerprints)
    after = sorted(p.relative_to(target) for p in target.rglob("*") if ".git" not in p.parts)
    assert before == after  # nothing written
    return str(info.value)


def test_a_bundle_of_another_commit_is_refused(clone, tmp_path):
    archive = packed(clone, tmp_path)
    target = fresh_clone(clone, tmp_path)
    (target / "Snakefile").write_text("# changed\n")
    git(target, "commit", "-qam", "later")
    assert "check out" in refused(archive, target)
    (target / "Snakefile").write_text("# uncommitted\n")
    assert "uncommitted changes" in refused(archive, target)


def test_a_bundle_of_another_config_is_refused_naming_the_runs(clone, tmp_path):
    archive = packed(clone, tmp_path)
    target = fresh_clone(clone, tmp_path)
    other = {"config": "decaf", "runs": {"ffnn": "changed", "cnn": "bb", "toric": "cc"}}
    message = refused(archive, target, other)
    assert "settings of run(s) ffnn" in message and "only in this config: toric" in message
    assert "config/" in message


def test_a_bundle_with_a_missing_or_altered_file_is_refused(clone, tmp_path):
    archive = packed(clone, tmp_path)
    target = fresh_clone(clone, tmp_path)
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()]
    for damage, expected in (("drop", "incomplete"), ("alter", "checksum")):
        broken = tmp_path / f"{damage}.tar.gz"
        with tarfile.open(broken, "w:gz") as tar:
            for member, data in members:
                if member.name.endswith("history.csv"):
                    if damage == "drop":
                        continue
                    data = data.replace(b"0.1", b"0.2")
                tar.addfile(member, io.BytesIO(data) if data is not None else None)
        assert expected in refused(broken, target)
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    assert "not a sparse-nqs bundle" in refused(tmp_path / "junk.tar.gz", target)


def test_unpacking_never_overwrites_results(clone, tmp_path):
    archive = packed(clone, tmp_path)
    assert "already exists" in refused(archive, clone)  # the original clone has every file


def test_packing_needs_a_committed_tree(clone, tmp_path):
    (clone / "Snakefile").write_text("# edited\n")
    with pytest.raises(BundleError, match="uncommitted changes"):
        packed(clone, tmp_path)
    with pytest.raises(BundleError, match="not a git clone"):
        pack(clone, tmp_path / "b.tar.gz", [], commit=None, fingerprints=FINGERPRINTS, configs={})
    assert not (tmp_path / "bundle.tar.gz").exists()


def test_the_manifest_is_json_with_a_checksum_per_file(clone, tmp_path):
    archive = packed(clone, tmp_path)
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("MANIFEST.json").read())
    assert manifest["schema"] == "sparse_nqs.bundle/1"
    assert all(len(digest) == 64 for digest in manifest["files"].values())


def test_the_config_fingerprint_follows_what_the_tables_depend_on():
    smoke = load_config(Path(__file__).resolve().parents[1] / "workflow" / "presets" / "smoke.yaml")
    base = config_fingerprints(Plan.from_config(smoke))

    def edited(edit):
        config = copy.deepcopy(smoke)
        edit(config)
        return config_fingerprints(Plan.from_config(config))

    p_r = edited(lambda c: c["runs"]["ffnn_L2"].setdefault("pruning", {}).update(p_r=0.25))
    assert p_r["config"] != base["config"]
    assert [r for r in base["runs"] if base["runs"][r] != p_r["runs"][r]] == ["ffnn_L2"]
    assert edited(lambda c: c.setdefault("plotting", {}).update(dpi=100)) == base  # no table changes
