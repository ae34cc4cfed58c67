"""Experiment configuration: the YAML file of named runs, its schema, its check and typed settings.

* :mod:`.check` - loading, merging and checking a config (the schema ``schema.yaml``, then the physics);
  every entry point (workflow and command line) runs :func:`check_config` before any work.
"""

from .check import ConfigError, check_config, check_run, load_config, resolve_run, run_summary

__all__ = ["ConfigError", "check_config", "check_run", "load_config", "resolve_run", "run_summary"]
