"""What the two ways of handing on results share: a results bundle (:mod:`sparse_nqs.bundle`, one
archive) and a published directory (:mod:`sparse_nqs.publish`, plain files in the repository).

* :func:`config_fingerprints` - SHA-256 of what stored results depend on, whole and per run;
  :func:`config_difference` says in words how two of them differ;
* :func:`sha256` - a file's checksum; :func:`tracked_files` - what git tracks in a clone;
* :func:`clean_commit` - the commit results are tied to (no uncommitted changes);
* :func:`restamp_after_code` - restored files dated after the clone's code, in their order in time,
  so that Snakemake finds finished jobs up to date.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

from .io import json_safe


def config_fingerprints(plan) -> dict:
    """SHA-256 of what the stored results depend on: each run's resolved settings, the reference
    settings and the figure specs (``plotting`` and ``resources`` change no table)."""
    def digest(value) -> str:
        return hashlib.sha256(json.dumps(json_safe(value), sort_keys=True).encode()).hexdigest()

    runs = {name: digest(settings) for name, settings in sorted({**plan.runs, **plan.rbm_runs}.items())}
    whole = digest({"runs": runs, "references": plan.references, "figures": plan.figures,
                    "rbm_figures": plan.rbm_figures})
    return {"config": whole, "runs": runs}


def tracked_files(root: Path) -> set[str]:
    """The files git tracks in the clone ``root`` (relative POSIX paths; empty outside a clone)."""
    listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True)
    return set(listed.stdout.decode().split("\0")) - {""} if listed.returncode == 0 else set()


def sha256(path: Path) -> str:
    """The SHA-256 of a file (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def clean_commit(commit: str | None, what: str, error: type[Exception]) -> str:
    """``commit`` if it names committed code; else ``error`` saying why (results are tied to a commit)."""
    if not commit:
        raise error(f"{what} is not a git clone: results are tied to a commit")
    if commit.endswith("-dirty"):
        raise error(f"{what} has uncommitted changes to tracked files ({commit}): commit them first, "
                    "so that the results name the code that made them")
    return commit


def config_difference(theirs: dict, ours: dict, holder: str) -> str:
    """How the fingerprints ``ours`` differ from ``theirs`` (those of ``holder``), in words."""
    runs_theirs, runs_ours = theirs.get("runs", {}), ours["runs"]
    parts = []
    changed = sorted(r for r in set(runs_theirs) & set(runs_ours) if runs_theirs[r] != runs_ours[r])
    if changed:
        parts.append("settings of run(s) " + ", ".join(changed))
    if set(runs_theirs) - set(runs_ours):
        parts.append(f"run(s) only in {holder}: " + ", ".join(sorted(set(runs_theirs) - set(runs_ours))))
    if set(runs_ours) - set(runs_theirs):
        parts.append("run(s) only in this config: " + ", ".join(sorted(set(runs_ours) - set(runs_theirs))))
    return "; ".join(parts) or "the references or figures sections"


def restamp_after_code(staging: Path, names: list[str], root: Path, tracked: set[str]) -> None:
    """Restamp the restored files into the interval between the clone's newest tracked file and now,
    keeping their order in time: a fresh checkout stamps the code with the time of the checkout,
    Snakemake reruns a script rule whose script is newer than its outputs, and refuses outputs dated
    in the future. The commit check has shown the code to be that of the results; a later edit of a
    script is newer again and reruns what it touches."""
    code = max((os.lstat(root / name).st_mtime for name in tracked if os.path.lexists(root / name)), default=0.0)
    times = {name: os.stat(staging / name).st_mtime for name in names}
    if not times:
        return
    oldest, newest = min(times.values()), max(times.values())
    start = code + 1e-3
    end = max(time.time(), start + 1e-3)
    scale = (end - start) / (newest - oldest) if newest > oldest else 0.0
    for name, mtime in times.items():
        stamp = start + (mtime - oldest) * scale
        os.utime(staging / name, (stamp, stamp))


__all__ = ["clean_commit", "config_difference", "config_fingerprints", "restamp_after_code", "sha256", "tracked_files"]
