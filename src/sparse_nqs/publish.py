"""Results published inside the repository as plain files (``published/<name>/``): readable on the
web without running anything, re-plotted and re-checked in any later clone without training.

A published directory has the layout of the results directory (``runs/<run>/<method>/history.csv``,
``references/``, ``data/``, ``provenance/``, ``figures/``, ``claims.csv``, ...; logs and bundles
left out), the config files it was made with under ``config/``, and ``MANIFEST.json``: the commit
that published it, the commits whose code made its results (from the provenance records), the
fingerprint of the resolved config and of each run (as a bundle's), and the SHA-256 and
modification time of every file.

* :func:`publish` copies a results directory there, also one with runs under way: the history of an
  unfinished pruning job stays out (:func:`unfinished_histories`; its round checkpoints go in, so
  :func:`restore` resumes it). The figures, Table I and the claims table are then drawn again from
  the published tables by the publishing code (``draw``: :func:`replot` into the publication), so
  that they show exactly what is published. What a figure still lacks is listed by
  :func:`missing_inputs`; a figure drawn from part of its inputs is published (it shows what is
  done) and listed as ``partial`` in the manifest (:func:`partial_outputs`), as is the claims table then.
* :func:`check` verifies a published directory against a config before anything reads it: an
  altered or missing file, or a config whose settings differ from the published runs', stops with
  the runs named (stale results are never reused); results made by older code are reported with the
  package files changed since (:func:`code_changes`).
* :func:`replot` draws every figure and the claims table from it into another directory, never
  training (``sparse-nqs replot``).
* :func:`restore` copies it into a clone's ``results/`` in its original order in time, so that
  Snakemake finds finished jobs up to date and resumes unfinished ones from their checkpoints. The
  partial figures stay out: Snakemake does not remake a missing input of a file that exists, so a
  restored partial figure would be "up to date" for its target while its runs were never finished.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd

from . import paths
from .archive import clean_commit, config_difference, restamp_after_code, sha256, tracked_files
from .bundle import BundleError
from .io import current_umask, package_versions, read_json, write_atomic, write_json_atomic, write_text_atomic

SCHEMA = "sparse_nqs.published/1"
MANIFEST = "MANIFEST.json"
CONFIG_DIR = "config"
README = "README.md"
#: what of a results directory is not published: machine-local logs and archives of the same files
LEFT_OUT = ("logs", "bundle")
#: where the package's code lives (for :func:`code_changes`)
PACKAGE_CODE = ("src/sparse_nqs", "scripts", "workflow/rules", "Snakefile")


class PublishedError(BundleError):
    """A published directory that cannot be written, read or restored here; the message says why."""


def results_files(results_dir: Path, tracked: set[str] = frozenset()) -> list[str]:
    """The files of ``results_dir`` that are published (relative paths, sorted): everything but logs,
    bundles, temporary files and the repository's own tracked files (``results/.gitkeep``)."""
    results_dir = Path(results_dir)
    out = []
    for path in sorted(results_dir.rglob("*")):
        relative = path.relative_to(results_dir)
        if not path.is_file() or relative.parts[0] in LEFT_OUT or path.name.endswith(".tmp"):
            continue
        if f"results/{relative.as_posix()}" in tracked:
            continue
        out.append(relative.as_posix())
    return out


def unread_logs(plan) -> list[str]:
    """The per-step training logs of VMC tickets (``tickets/<variant>_iter_NNN_log.csv``, 1e4 rows
    each at the paper's settings: 1.3 MB, 31 MB for Fig. 4's 24 tickets): no figure or claim reads
    them and no job needs them to resume, so a publication leaves them out (bundles keep them). The
    RBM tickets' logs are read (rbm_fig5, the sp/ss claim) and published."""
    return [paths.in_run(run, paths.ticket(variant, iteration, "_log.csv"))
            for run in plan.runs for variant, iteration in plan.tickets(run)]


def unfinished_histories(plan, results_dir: Path) -> list[str]:
    """The history tables of pruning jobs still under way (fewer rounds than ``pruning.iterations``):
    the engine rewrites them after every round, but they are a job's final output only at its end.
    Published, they would read as finished paths (and a restored one would make Snakemake skip the
    rest); their round checkpoints carry every row, so the job resumes without them."""
    out = []
    for run in plan.all_runs:
        for method in plan.methods(run):
            name = paths.in_run(run, paths.history(method))
            file = Path(results_dir) / name
            if file.is_file() and len(pd.read_csv(file)) < 1 + int(plan.settings(run)["pruning"]["iterations"]):
                out.append(name)
    return out


def _made_at(results_dir: Path, files: list[str]) -> list[str]:
    """The commits recorded by the provenance records among ``files`` (the code that made them)."""
    commits = set()
    for name in files:
        if name.startswith("provenance/") and name.endswith(".json"):
            commit = read_json(results_dir / name).get("git_commit")
            if commit:
                commits.add(commit)
    return sorted(commits)


def publish(results_dir: Path, target: Path, *, commit: str | None, fingerprints: dict, configs: dict[str, str],
            tracked: set[str] = frozenset(), unfinished: list[str] = (), unread: list[str] = (),
            draw=None) -> dict:
    """Copy ``results_dir`` to ``target`` with its manifest; returns the manifest. ``target`` must be
    new or an earlier publication (its files are replaced: nothing stale stays behind). The files in
    ``unfinished`` (:func:`unfinished_histories`) and ``unread`` (:func:`unread_logs`) stay out and
    are listed in the manifest.
    ``draw(target)`` (the command line's: :func:`replot` into ``target``) then draws the figures and
    tables made from the published tables, returning ``{"files": [written, relative], "missing":
    missing_inputs}``; the files drawn from part of their inputs are listed as ``partial``, and
    :func:`restore` leaves them out."""
    results_dir, target = Path(results_dir), Path(target)
    commit = clean_commit(commit, "the clone that publishes", PublishedError)
    if target.exists() and any(target.iterdir()) and not (target / MANIFEST).is_file():
        raise PublishedError(f"{target} exists and is not a published directory (no {MANIFEST}): choose another")
    present = results_files(results_dir, tracked)
    # the figures are drawn again from the published tables (``draw``): none is copied, so that a
    # placeholder of a figure without runs in this config does not come along
    copied = [f for f in present if draw is None or not f.startswith("figures/")]
    files = [f for f in copied if f not in set(unfinished) | set(unread)]
    unread = sorted(set(unread) & set(present))
    if not files:
        raise PublishedError(f"{results_dir} holds no results to publish")
    mtimes = {f: os.stat(results_dir / f).st_mtime for f in files}  # their order in time, for restore
    if target.exists():
        shutil.rmtree(target)
    for f in files:
        write_atomic(target / f, lambda handle, f=f: handle.write((results_dir / f).read_bytes()))
    drawn = draw(target) if draw is not None else {"files": [], "missing": {}, "undrawn": []}
    files = sorted(set(files) | set(drawn["files"]))
    mtimes.update({f: os.stat(target / f).st_mtime for f in drawn["files"]})  # drawn last: the newest
    manifest = {"schema": SCHEMA, "commit": commit, "made_at": _made_at(target, files),
                "fingerprints": fingerprints, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "versions": package_versions(), "configs": sorted(configs), "unfinished": sorted(unfinished),
                "unread": unread, "partial": sorted(set(partial_outputs(drawn["missing"])) & set(files)),
                "undrawn": sorted(drawn.get("undrawn", [])),
                "files": {f: sha256(target / f) for f in files}, "mtimes": {f: mtimes[f] for f in files}}
    for name, text in sorted(configs.items()):
        write_text_atomic(target / CONFIG_DIR / Path(name).name, text)
    write_text_atomic(target / README, readme(manifest, target))
    write_json_atomic(target / MANIFEST, manifest)  # last: a directory without it is unfinished
    return manifest


def readme(manifest: dict, target: Path) -> str:
    """The publication's README.md, for a reader on the web: what it is, its figures (shown), what is
    still under way, and the commands that re-plot or continue it."""
    configs = " ".join(f"{Path(target).as_posix()}/{CONFIG_DIR}/{c}" for c in manifest["configs"])
    figures = sorted(f for f in manifest["files"] if f.startswith("figures/") and f.endswith(".png"))
    made = _made_by(manifest)
    lines = [f"# Published results: {Path(target).name}", "",
             f"Made by `sparse-nqs publish` at commit {manifest['commit'][:12]} from results computed by the code "
             f"of {made}; settings: {', '.join(f'`{CONFIG_DIR}/{c}`' for c in manifest['configs'])}. The files "
             "are the pipeline's results layout (`runs/<run>/<method>/history.csv`, `fidelity.csv`, the tickets' "
             "records, `references/`, `provenance/` with each job's commit and wall time, `claims.csv`); "
             f"`{MANIFEST}` holds the SHA-256 of each. The figures and the claims table were drawn from these "
             "tables by the publishing code.", ""]
    if manifest["unfinished"] or manifest["partial"]:
        lines += ["## Under way", ""]
        lines += [f"- `{f}`: pruning under way (its round checkpoints are here)" for f in manifest["unfinished"]]
        lines += [f"- `{f}`: drawn while some of its runs were not finished" for f in manifest["partial"]]
        lines.append("")
    lines += ["## Figures", ""]
    lines += [f"![{Path(f).stem}]({f})" + (" (partial)" if f in manifest["partial"] else "") + "\n"
              for f in figures]
    if manifest.get("undrawn"):
        lines += [f"Not drawn (no runs of them in this publication): {', '.join(manifest['undrawn'])}.", ""]
    lines += ["## Re-plot or continue (in a clone of the repository)", "", "```bash",
              f"sparse-nqs replot {Path(target).as_posix()} --config {configs}     # figures and claims, no training",
              f"sparse-nqs restore {Path(target).as_posix()} --config {configs}    # into results/, then snakemake "
              "continues", "```", ""]
    return "\n".join(lines)


def read_manifest(target: Path) -> dict:
    try:
        manifest = read_json(Path(target) / MANIFEST)
    except (OSError, ValueError) as err:
        raise PublishedError(f"{target} is not a published results directory ({MANIFEST}: {err})") from None
    if manifest.get("schema") != SCHEMA:
        raise PublishedError(f"{target}: schema {manifest.get('schema')!r}, this code reads {SCHEMA!r}")
    return manifest


def check(target: Path, fingerprints: dict, *, extending=None) -> dict:
    """The manifest of ``target`` after checking every file's checksum and that the config
    (``fingerprints``, :func:`sparse_nqs.bundle.config_fingerprints`) is the one it was made with.

    ``extending`` (the :class:`~sparse_nqs.plan.Plan` of that config) also accepts a config that adds
    runs to the published one: every published run and the reference settings unchanged, new runs and
    figures that draw them allowed (:func:`extension_gap`)."""
    target = Path(target)
    manifest = read_manifest(target)
    if manifest["fingerprints"]["config"] != fingerprints["config"]:
        gap = "not asked for" if extending is None else extension_gap(target, manifest, fingerprints, extending)
        if gap:
            extends = "" if extending is None else f"; it does not extend them either ({gap})"
            raise PublishedError(
                f"{target} was made with another config ({config_difference(manifest['fingerprints'], fingerprints, 'the publication')}"
                f"{extends}): its results are stale for this one. Use its config ({', '.join(manifest['configs'])} "
                f"under {target / CONFIG_DIR}) or run the changed runs again")
    for name, digest in manifest["files"].items():
        path = target / name
        if not path.is_file():
            raise PublishedError(f"{target}: {name} of its manifest is missing")
        if sha256(path) != digest:
            raise PublishedError(f"{target}: {name} does not match its checksum (altered since it was published)")
    return manifest


def published_plan(target: Path, manifest: dict):
    """The :class:`~sparse_nqs.plan.Plan` of the config files stored in the publication."""
    from .config.check import load_config
    from .plan import Plan

    return Plan.from_config(load_config(*(Path(target) / CONFIG_DIR / c for c in manifest["configs"])))


def extension_gap(target: Path, manifest: dict, fingerprints: dict, plan) -> str:
    """Why the config of ``plan`` (its ``fingerprints``) does not extend the publication's, or "" if
    it does: every published run is in it with the same settings, and every published system's
    reference (and data set) is made the same way. New runs, their systems' reference settings, and
    figures that draw them are what an extension adds."""
    published = manifest["fingerprints"]["runs"]
    ours = fingerprints["runs"]
    dropped = sorted(set(published) - set(ours))
    if dropped:
        return "run(s) only in the publication: " + ", ".join(dropped)
    changed = sorted(r for r in published if ours[r] != published[r])
    if changed:
        return "changed settings of run(s) " + ", ".join(changed)
    theirs = published_plan(target, manifest)
    changed = sorted(name for name in [*theirs.systems, *theirs.data_sets]
                     if theirs.reference_options(name) != plan.reference_options(name))
    if changed:
        return "changed reference settings of " + ", ".join(changed)
    return ""


def redrawn_by_extension(target: Path, manifest: dict, plan) -> list[str]:
    """The published files an extension by ``plan`` draws again: the figures whose spec changed
    (they gain runs) and the claims table (it reads every figure)."""
    theirs = published_plan(target, manifest)
    changed = [f for f in plan.figures if plan.figures[f] != theirs.figures.get(f)]
    changed += [f for f in plan.rbm_figures if plan.rbm_figures[f] != theirs.rbm_figures.get(f)]
    out = [paths.figure(f, suffix) for f in changed for suffix in (".pdf", ".png")]
    return sorted(set(out + [paths.CLAIMS, paths.CLAIMS_RST]) & set(manifest["files"]))


def code_changes(repository: Path, commits: list[str]) -> dict[str, list[str]]:
    """For each commit that made published results: the package's code files changed between it and
    the clone's HEAD (an unknown commit maps to ``["unknown commit"]``)."""
    out = {}
    for commit in commits:
        commit = commit.removesuffix("-dirty")
        diff = subprocess.run(["git", "-C", str(repository), "diff", "--name-only", commit, "HEAD", "--",
                               *PACKAGE_CODE], capture_output=True, text=True)
        out[commit] = diff.stdout.split() if diff.returncode == 0 else ["unknown commit"]
    return out


def missing_inputs(plan, target: Path) -> dict[str, list[str]]:
    """{figure: the input files it lacks in ``target``} (an unfinished run)."""
    out = {}
    for fig, files in _figure_inputs(plan).items():
        lacking = [p for kind in files.values() for p in kind if not (Path(target) / p).is_file()]
        if lacking:
            out[fig] = lacking
    return out


def partial_outputs(missing: dict[str, list[str]]) -> list[str]:
    """The files drawn from part of their inputs, given :func:`missing_inputs`: each such figure's
    PDF and PNG, and the claims table (it reads every figure's inputs) when any input is lacking."""
    out = [paths.figure(fig, suffix) for fig in missing for suffix in (".pdf", ".png")]
    return sorted(out + [paths.CLAIMS, paths.CLAIMS_RST] if missing else out)


def _figure_inputs(plan) -> dict[str, dict[str, list[str]]]:
    """The inputs of every figure the workflow's ``all`` draws (relative paths): fig1 ... fig7, and
    the RBM targets with runs."""
    out = {fig: plan.figure_inputs(fig) for fig in plan.figures}
    for fig, spec in plan.rbm_figures.items():
        if spec["runs"] and fig != "rbm_table1":
            out[fig] = plan.rbm_figure_inputs(fig)
    return out


def replot(plan, target: Path, out: Path, plotting: dict | None = None) -> dict:
    """Draw every figure of ``plan`` that has runs (:func:`undrawn_figures`) and the claims table from the published ``target``
    into ``out`` (``figures/``, ``tables/rbm_table1.csv``, ``claims.csv``, ``claims.rst``), reading
    tables only. A figure's missing inputs (an unfinished run) are left out of it. Returns the figures
    drawn, the missing inputs (:func:`missing_inputs`), the claims table and ``files``, every file
    written (relative to ``out``)."""
    from .claims import claims_rst, claims_table
    from .figures import draw_figure, save_figure
    from .figures.rbm import RBMTables, draw_rbm_figure, table1
    from .io import write_csv_atomic
    from .names import FIGURES
    from .results import existing_inputs, load_figure_tables

    target, out = Path(target), Path(out)
    plotting = plan.plotting if plotting is None else plotting
    missing = missing_inputs(plan, target)
    inputs = {fig: existing_inputs(kinds, target) for fig, kinds in _figure_inputs(plan).items()}
    undrawn = undrawn_figures(plan)
    drawn, written = [], []
    for fig, files in inputs.items():
        if fig in undrawn:
            continue
        if fig in FIGURES:
            figure = draw_figure(fig, load_figure_tables(plan, fig, files), plan.figures[fig], plotting)
        else:
            settings = {r: plan.rbm_runs[r] for r in plan.rbm_figures[fig]["runs"]}
            figure = draw_rbm_figure(fig, RBMTables.load(target, settings, files), plan.rbm_figures[fig], plotting)
        save_figure(figure, out / paths.figure(fig, ""), dpi=plotting["dpi"])
        drawn.append(fig)
        written += [paths.figure(fig, ".pdf"), paths.figure(fig, ".png")]
    if plan.rbm_figures["rbm_table1"]["runs"]:
        runs = plan.rbm_figures["rbm_table1"]["runs"]
        write_csv_atomic(out / paths.RBM_TABLE1, table1({r: plan.rbm_runs[r] for r in runs}))
        written.append(paths.RBM_TABLE1)
    vmc = {fig: files for fig, files in inputs.items() if fig in FIGURES}
    vmc.update({fig: {} for fig in FIGURES if fig not in vmc})
    table = claims_table(plan, target, vmc, {fig: files for fig, files in inputs.items() if fig not in FIGURES})
    write_csv_atomic(out / paths.CLAIMS, table)
    write_text_atomic(out / paths.CLAIMS_RST, claims_rst(table))
    written += [paths.CLAIMS, paths.CLAIMS_RST]
    return {"figures": drawn, "missing": missing, "claims": table, "files": written, "undrawn": undrawn}


def undrawn_figures(plan) -> list[str]:
    """The figures of fig1 ... fig6 whose spec lists no run (the workflow draws them as empty axes
    with a note; a publication leaves them out and lists them). Fig. 7 needs no runs."""
    from .names import FIGURES

    return [fig for fig in FIGURES if "runs" in plan.figures[fig] and not plan.figures[fig]["runs"]
            and fig != "fig7"]


def restore(target: Path, root: Path, fingerprints: dict, plan=None) -> dict:
    """Copy the published ``target`` into the clone ``root``'s ``results/`` after :func:`check`,
    refusing to overwrite a result; the files keep their order in time and come after the clone's
    code, so Snakemake finds the finished jobs up to date and resumes the others from their
    checkpoints. The manifest's ``partial`` figures and claims stay out, so that their targets
    finish the runs they lack and draw them again. Given the config's ``plan``, a config that adds
    runs to the published one is accepted (:func:`extension_gap`): the figures it draws again stay
    out as well, and ``added`` names its new runs. Returns the manifest, ``files`` being those
    restored."""
    target, root = Path(target), Path(root)
    manifest = check(target, fingerprints, extending=plan)
    left_out = set(manifest.get("partial", []))
    added = []
    if manifest["fingerprints"]["config"] != fingerprints["config"]:
        left_out |= set(redrawn_by_extension(target, manifest, plan))
        added = sorted(set(fingerprints["runs"]) - set(manifest["fingerprints"]["runs"]))
    manifest = {**manifest, "partial": sorted(left_out), "added": added,
                "files": {f: h for f, h in manifest["files"].items() if f not in left_out}}
    results = root / "results"
    existing = [f for f in manifest["files"] if (results / f).exists()]
    if existing:
        raise PublishedError(f"results/{existing[0]} already exists ({len(existing)} file(s) would be overwritten): "
                             "restore into a clone without these results")
    names = [f"results/{f}" for f in manifest["files"]]
    with tempfile.TemporaryDirectory(dir=root, prefix=".restore-") as staging:
        staging = Path(staging)
        for f in manifest["files"]:
            destination = staging / "results" / f
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target / f, destination)
            os.chmod(destination, 0o666 & ~current_umask())
            os.utime(destination, (manifest["mtimes"][f], manifest["mtimes"][f]))
        restamp_after_code(staging, names, root, tracked_files(root))
        for name in names:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, root / name)
    return manifest


def _made_by(manifest: dict) -> str:
    """The commits whose code made the published results, abbreviated."""
    return ", ".join(c[:12] for c in manifest.get("made_at", [])) or "unknown"


def summary(manifest: dict) -> str:
    """One line: how many files, published at which commit, made by which code."""
    made = _made_by(manifest)
    return f"{len(manifest['files'])} files published at {manifest['commit'][:12]} (made by the code of {made})"


__all__ = ["PublishedError", "check", "code_changes", "extension_gap", "missing_inputs", "partial_outputs", "publish",
           "published_plan", "read_manifest", "redrawn_by_extension",
           "replot", "restore", "results_files", "summary", "unfinished_histories", "unread_logs"]
