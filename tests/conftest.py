"""Shared test setup: the process-wide settings every entry point makes, and the markers.

Markers: ``workflow`` (runs Snakemake on the smoke preset, minutes), ``benchmark`` (runs a benchmark
script at CI size), ``julia`` (needs a Julia installation). The fast unit tests alone:

    pytest -m "not workflow and not benchmark"
"""

from sparse_nqs.runtime import configure


def pytest_configure(config):
    # what the command line and the rule scripts set; no persistent compilation cache in tests
    # (each test compiles what it runs, so a stale cache can never hide a compilation problem)
    configure(compilation_cache=False)

