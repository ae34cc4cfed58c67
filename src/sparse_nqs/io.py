"""Small I/O helpers: atomic writes (no half-written output) and package versions for provenance."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

#: Distributions whose versions go into every record (absent ones are reported as None).
PROVENANCE_PACKAGES = (
    "sparse-nqs",
    "netket",
    "jax",
    "jaxlib",
    "flax",
    "numpy",
    "scipy",
    "physics-tenpy",
    "juliacall",
)


def package_versions(names=PROVENANCE_PACKAGES) -> dict:
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit(directory) -> str | None:
    """The commit checked out in ``directory``, with ``-dirty`` when tracked files have uncommitted
    changes; None outside a git clone (or without git)."""
    try:
        head = subprocess.run(["git", "-C", str(directory), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(directory), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty else "")


def json_safe(value):
    """Plain-JSON version of value: NumPy scalars and arrays to Python, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def current_umask() -> int:
    """The process umask, read without changing it where the system allows (Linux: /proc/self/status).

    Elsewhere it is set and restored at once (``os.umask`` has no read-only form), which another
    thread creating a file in between would see.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path, write) -> None:
    """Write ``path`` through a temporary file in the same directory and a rename: the one writer of
    every file the pipeline leaves for others (tables, records, checkpoints, figures, the bundle).
    ``write(handle)`` fills the open binary file.

    The file gets the mode a plain ``open(path, "w")`` would give it (0o666 less the umask), not
    the 0o600 of :func:`tempfile.mkstemp`, so collaborators sharing a results directory can read it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):  # POSIX; on Windows the mode bits mean nothing here
            os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale_temporaries(directory) -> list[Path]:
    """Delete the temporary files that a killed writer left in ``directory`` (``.<name>.*.tmp`` of
    :func:`write_atomic`; a SIGKILL skips its clean-up). Only for a directory that no other process
    is writing in, e.g. a pruning method's own directory when its job starts."""
    removed = [p for p in Path(directory).glob(".*.tmp") if p.is_file()]
    for p in removed:
        p.unlink(missing_ok=True)
    return removed


def write_json_atomic(path, record: dict) -> None:
    """Write ``record`` as JSON to ``path`` through a temporary file and a rename."""
    write_text_atomic(path, json.dumps(json_safe(record), indent=1, allow_nan=False) + "\n")


def write_npz_atomic(path, **arrays) -> None:
    write_atomic(Path(path), lambda handle: np.savez_compressed(handle, **arrays))


def write_csv_atomic(path, table) -> None:
    """Write a pandas DataFrame as CSV (full float precision) through a temporary file and a rename."""
    write_text_atomic(path, table.to_csv(index=False, float_format="%.17g"))


def write_text_atomic(path, text: str) -> None:
    write_atomic(Path(path), lambda handle: handle.write(text.encode()))


def read_json(path) -> dict:
    with open(path) as handle:
        return json.load(handle)


def derive_seed(base: int, *labels) -> int:
    """A seed for one random stream of a run, fixed by the config seed and the stream's labels.

    Different labels (e.g. ``("evaluate", "imp_wr", 3)``) give independent streams; the same labels
    always give the same seed, so a resumed or repeated job draws the same numbers.
    """
    import zlib

    words = [int(base)] + [zlib.crc32(str(label).encode()) for label in labels]
    return int(np.random.SeedSequence(words).generate_state(1)[0])
