"""A finished reproduction as one archive: re-plot every figure and re-check every claim without
retraining (the ``bundle`` target packs, ``sparse-nqs unpack`` restores).

A bundle holds, relative to the workflow directory, every result file a figure or claim is made from
(:func:`bundle_files`: tables, reference records, the checkpoints the analyses read, provenance), any
workflow state the caller adds (the workflow passes Snakemake's per-file records, so that a changed
setting still reruns what it touches after unpacking), the config files, and ``MANIFEST.json``: the
commit, a fingerprint of the resolved config, the fingerprint of each run and the SHA-256 of every
file. Figures and the claims table are left out: rebuilding them from the tables is the check that
the bundle is complete.

:func:`unpack` refuses, before writing anything, a bundle of another commit, of another config
(naming the runs that differ), with a missing or altered file, or one that would overwrite results.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
import time
from pathlib import Path, PurePosixPath

from .archive import clean_commit, config_difference, restamp_after_code, sha256, tracked_files
from .errors import SparseNQSError
from .io import package_versions, write_atomic

SCHEMA = "sparse_nqs.bundle/1"
MANIFEST = "MANIFEST.json"
#: where the config files are stored inside the archive (for the reader; not unpacked)
CONFIG_DIR = "config"
#: the prefixes (relative to the workflow directory) a bundle may write to when unpacked
UNPACKED_PREFIXES = ("results/", ".snakemake/metadata/")
#: what of the results directory stays out: rebuilt from the tables (figures, claims), local to
#: one machine (logs, interrupted jobs' partial checkpoints) or bundles themselves
EXCLUDED_DIRECTORIES = ("figures", "logs", "bundle")
EXCLUDED_FILES = ("claims.csv", "claims.rst")
EXCLUDED_SUFFIXES = ("partial.npz",)


class BundleError(SparseNQSError, ValueError):
    """A bundle that cannot be packed or unpacked here; the message says why."""


def bundle_files(results_dir: Path, prefix: str = "results", tracked: set[str] = frozenset()) -> list[str]:
    """The files of ``results_dir`` a bundle carries, as paths ``<prefix>/...``, sorted. Files in
    ``tracked`` (the repository's own, e.g. ``results/.gitkeep``: every clone has them) are code,
    not results, and stay out."""
    results_dir = Path(results_dir)
    out = []
    for path in sorted(results_dir.rglob("*")):
        relative = path.relative_to(results_dir)
        if not path.is_file() or relative.parts[0] in EXCLUDED_DIRECTORIES:
            continue
        if str(relative) in EXCLUDED_FILES or path.name.endswith(EXCLUDED_SUFFIXES):
            continue
        if f"{prefix}/{relative.as_posix()}" not in tracked:
            out.append(f"{prefix}/{relative.as_posix()}")
    return out


def pack(root: Path, archive: Path, files: list[str], *, commit: str | None, fingerprints: dict,
         configs: dict[str, str]) -> dict:
    """Write ``archive`` (.tar.gz) with ``files`` (relative to ``root``), ``configs`` (name -> text)
    and the manifest; returns the manifest. Written by the atomic writer (readable as any file the
    user writes: the umask decides, not the 0600 of a private temporary file)."""
    root, archive = Path(root), Path(archive)
    commit = clean_commit(commit, f"the workflow directory {root}", BundleError)
    bad = [f for f in files if not f.startswith(UNPACKED_PREFIXES)]
    if bad:
        raise BundleError(f"cannot bundle {bad[0]}: only {', '.join(UNPACKED_PREFIXES)} are unpacked")
    missing = [f for f in files if not (root / f).is_file()]
    if missing:
        raise BundleError(f"cannot bundle {missing[0]}: no such file (build the results first)")
    manifest = {"schema": SCHEMA, "commit": commit, "fingerprints": fingerprints,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "versions": package_versions(),
                "configs": sorted(configs), "files": {f: sha256(root / f) for f in files}}
    def write(handle) -> None:
        with tarfile.open(fileobj=handle, mode="w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
            for name, text in sorted(configs.items()):
                _add_bytes(tar, f"{CONFIG_DIR}/{Path(name).name}", text.encode())
            for f in files:
                tar.add(root / f, arcname=f, recursive=False)

    write_atomic(archive, write)
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(time.time())
    tar.addfile(info, io.BytesIO(data))


def read_manifest(archive: Path) -> dict:
    """The manifest of a bundle (BundleError if ``archive`` is not one)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = json.loads(tar.extractfile(MANIFEST).read())
    except (OSError, tarfile.TarError, KeyError, AttributeError, json.JSONDecodeError) as err:
        raise BundleError(f"{archive} is not a sparse-nqs bundle ({type(err).__name__}: {err})") from None
    if manifest.get("schema") != SCHEMA:
        raise BundleError(f"{archive}: bundle schema {manifest.get('schema')!r}, this code reads {SCHEMA!r}")
    return manifest


def unpack(archive: Path, root: Path, *, commit: str | None, fingerprints: dict) -> dict:
    """Check ``archive`` against this clone (``commit``) and config (``fingerprints``, from
    :func:`config_fingerprints`), then write its files under ``root``; returns the manifest.

    Everything is checked before the first file is written: a refused bundle leaves ``root`` as it
    was. The files keep their order in time and are made newer than the clone's code (the commit
    check has shown that code to be theirs), so Snakemake finds them up to date."""
    archive, root = Path(archive), Path(root)
    manifest = read_manifest(archive)
    commit = clean_commit(commit, f"the workflow directory {root}", BundleError)
    if manifest["commit"] != commit:
        raise BundleError(f"{archive.name} was made at commit {manifest['commit'][:12]}, this clone is at "
                          f"{commit[:12]}: check out {manifest['commit'][:12]} (the results belong to that code)")
    if manifest["fingerprints"]["config"] != fingerprints["config"]:
        raise BundleError(f"{archive.name} was made with another config ({config_difference(manifest['fingerprints'], fingerprints, 'the bundle')}): "
                          f"use the bundle's config files ({', '.join(manifest['configs'])}, stored under "
                          f"{CONFIG_DIR}/ in the archive)")
    tracked = tracked_files(root)
    # a file of the repository itself that an older bundle carried (results/.gitkeep): already here
    expected = {f: digest for f, digest in manifest["files"].items()
                if not (f in tracked and (root / f).is_file() and sha256(root / f) == digest)}
    existing = [f for f in expected if (root / f).exists()]
    if existing:
        raise BundleError(f"{existing[0]} already exists ({len(existing)} file(s) would be overwritten): unpack "
                          "into a fresh clone")
    with tempfile.TemporaryDirectory(dir=root, prefix=".unpack-") as staging, tarfile.open(archive, "r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
        missing = sorted(set(expected) - set(members))
        if missing:
            raise BundleError(f"{archive.name} is incomplete: {len(missing)} file(s) of its manifest missing, "
                              f"e.g. {missing[0]}")
        for name in expected:
            path = PurePosixPath(name)
            if path.is_absolute() or ".." in path.parts or not name.startswith(UNPACKED_PREFIXES):
                raise BundleError(f"{archive.name}: refusing the unsafe path {name}")
            if not members[name].isfile():
                raise BundleError(f"{archive.name}: {name} is not a regular file")
            tar.extract(members[name], staging, set_attrs=True, filter="data")
            if sha256(Path(staging) / name) != expected[name]:
                raise BundleError(f"{archive.name}: {name} does not match its checksum (altered or damaged)")
        restamp_after_code(Path(staging), list(expected), root, tracked)
        for name in expected:  # all checked: move into place (os.replace keeps the file times)
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(Path(staging) / name, root / name)
    return manifest
