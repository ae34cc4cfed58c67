"""Process-wide settings, set by the entry points (command line, rule scripts, tests, benchmarks).

Importing the package changes nothing global. An entry point calls :func:`configure` once, before any
work: JAX in double precision (the energies of the paper's tables differ in the sixth digit, below
float32's resolution), JAX's persistent compilation cache, and matplotlib's file backend. Code that
needs float64 calls :func:`require_x64`, so a library user who forgot :func:`configure` gets an
error instead of silently single-precision results.
"""

from __future__ import annotations

import os

from .errors import SparseNQSError


class RuntimeSettingsError(SparseNQSError, RuntimeError):
    pass


def enable_x64() -> None:
    """JAX computes in float64 / complex128 by default (NetKet's import also asks for this)."""
    import jax

    jax.config.update("jax_enable_x64", True)


def require_x64() -> None:
    """Stop with a message where JAX would compute in float32."""
    import jax

    if not jax.config.jax_enable_x64:
        raise RuntimeSettingsError(
            "JAX is in single precision (jax_enable_x64 is off): call sparse_nqs.runtime.configure() "
            "(or enable_x64()) before building states; the pipeline's energies need float64")


def enable_compilation_cache(directory: str | None = None) -> str:
    """Keep JAX's compiled programs on disk, so that every job of a workflow does not recompile them.

    Each Snakemake job is a fresh process: without the cache a three-round smoke pruning job
    spends 6 s compiling and 0.7 s computing. Default directory: $SPARSE_NQS_JAX_CACHE, else
    $XDG_CACHE_HOME/sparse-nqs/jax (~/.cache/sparse-nqs/jax). Entries are keyed by program and
    device, so one directory serves CPU and GPU jobs.
    """
    import jax

    directory = directory or os.environ.get("SPARSE_NQS_JAX_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "sparse-nqs", "jax")
    jax.config.update("jax_compilation_cache_dir", directory)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return directory


def use_file_backend() -> None:
    """matplotlib's Agg backend: figures go to files, no display is needed (clusters, CI)."""
    import matplotlib

    matplotlib.use("Agg")


def configure(*, compilation_cache: bool = True, file_backend: bool = True) -> None:
    """Everything an entry point sets before work: float64, and optionally the cache and Agg."""
    enable_x64()
    if compilation_cache:
        enable_compilation_cache()
    if file_backend:
        use_file_backend()
