"""Experiment configuration: a YAML file of named runs on top of shared defaults.

    defaults:            # optional; merged over DEFAULTS below, then each run over it
      model: {name: tfim, L: 4}
    runs:
      fig1_ffnn:         # run name -> overrides of any default
        network: {kind: ffnn, alpha: 5}
        pruning: {p_r: 0.12, iterations: 65}

Every section and key is checked against DEFAULTS: an unknown key stops with a message naming it.
The defaults are the paper's settings (Tables 3-6, SPEC.md sections 4-5) for a 4x4 TFIM FFNN.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from .models import make_model
from .networks import NETWORK_DEFAULTS, build_network, weight_counts
from .pruning import remaining_weight_sequence

DEFAULTS = {
    "model": {"name": "tfim", "L": 4, "kappa": 3.04438, "boundary": "open"},
    # network options depend on the kind; the allowed keys are those of NETWORK_DEFAULTS[kind]
    "network": {"kind": "ffnn"},
    "sampling": {"n_samples": 1024, "n_chains": 16, "n_discard_sweeps": 5, "proposal": "auto"},
    "optimizer": {"learning_rate": 8.0e-3, "diag_shift": 1.0e-4},
    "pruning": {
        "methods": ["imp_wr"],
        "p_r": 0.12,
        "iterations": 10,
        "pretrain_steps": 10000,
        "steps_per_iteration": 1000,
        # pre-training and tickets save weights + chains this often, so an interrupted job resumes
        "checkpoint_every": 1000,
    },
    # isolated tickets at IMP-WR iterations: an explicit list, or every `every`-th from 0
    # (Fig. 1: every 3rd); `steps` null means the pre-training budget j; `variants` empty: no tickets
    # (Fig. 1 and 4(a) runs list init_imp, rand_imp, init_rand). `batch`: train all tickets of a run
    # in one job as one vectorised program (same numbers); "auto": FFNN tickets when the training
    # jobs have a GPU (resources.train.gpu > 0); on CPU separate jobs parallelise as well
    "tickets": {"iterations": None, "every": 3, "steps": None, "variants": [], "batch": "auto"},
    # fidelity_samples: per state, as the authors (SPEC.md section 6)
    "evaluation": {"n_samples": 4096, "fidelity_samples": 2048},
    "seeds": {"init": 0, "sampler": 1, "mask": 2, "ticket_init": 3},
}


#: top-level keys of a config: the runs, and the workflow's sections (see sparse_nqs.plan)
TOP_LEVEL_KEYS = {"defaults", "runs", "references", "figures", "plotting", "resources"}


class ConfigError(ValueError):
    pass


def _merge(base: dict, override: dict, where: str) -> dict:
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if key not in base and not where.endswith("network"):
            raise ConfigError(f"unknown config key '{where}.{key}'")
        if isinstance(base.get(key), dict):
            if not isinstance(value, dict):
                raise ConfigError(f"config key '{where}.{key}' must be a mapping")
            out[key] = _merge(base[key], value, f"{where}.{key}")
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(path) -> dict:
    path = Path(path)
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read config {path}: {err}") from None
    return check_config(config)


def check_config(config: dict) -> dict:
    """Top-level structure of a config (the sections are checked when runs are resolved)."""
    if not isinstance(config, dict):
        raise ConfigError("a config must be a mapping with at least the key 'runs'")
    unknown = set(config) - TOP_LEVEL_KEYS
    if unknown:
        raise ConfigError(f"unknown top-level config key(s): {', '.join(sorted(unknown))}")
    if not isinstance(config.get("runs"), dict) or not config["runs"]:
        raise ConfigError("config key 'runs' must map run names to their settings")
    return config


def resolve_run(config: dict, name: str) -> dict:
    """The full settings of run ``name``: DEFAULTS <- config defaults <- run overrides."""
    if name not in config["runs"]:
        raise ConfigError(f"no run named {name!r}; runs: {', '.join(config['runs'])}")
    settings = _merge(DEFAULTS, config.get("defaults") or {}, "defaults")
    settings = _merge(settings, config["runs"][name] or {}, f"runs.{name}")
    if settings["model"]["name"] == "toric":
        # the toric code has no field and always lives on the torus
        settings["model"].update(kappa=None, boundary="periodic")
    kind = settings["network"].get("kind")
    if kind in NETWORK_DEFAULTS:
        # options under `defaults.network` apply to the kinds that have them (e.g. init_std to the
        # FFNN only); options given in the run itself must belong to its kind
        given = (config["runs"][name] or {}).get("network") or {}
        other_kinds = {key for k, opts in NETWORK_DEFAULTS.items() if k != kind for key in opts}
        network = {key: value for key, value in settings["network"].items()
                   if key in given or key == "kind" or key in NETWORK_DEFAULTS[kind] or key not in other_kinds}
        settings["network"] = {"kind": kind, **NETWORK_DEFAULTS[kind], **network}
    return {"name": name, **settings}


def run_summary(settings: dict) -> dict:
    """name, model, network, n_init and the planned n_sequence (n_0 .. n_I) of a resolved run."""
    m = settings["model"]
    try:
        model = make_model(m["name"], m["L"], m["kappa"], m["boundary"])
    except ValueError as err:
        raise ConfigError(f"run {settings['name']}: model: {err}") from None
    try:
        network = build_network(settings["network"])
        counts = weight_counts(network, model.N)
    except ValueError as err:
        raise ConfigError(f"run {settings['name']}: network: {err}") from None
    p = settings["pruning"]
    try:
        sequence = remaining_weight_sequence(counts["pool"], p["p_r"], p["iterations"], counts["fixed"])
    except ValueError as err:
        raise ConfigError(f"run {settings['name']}: pruning: {err}") from None
    return {
        "name": settings["name"],
        "system": model.describe(),
        "network": settings["network"],
        "n_init": counts["n_init"],
        "n_prunable": counts["pool"],
        "n_sequence": sequence,
        "rho_sequence": [n / model.N for n in sequence],
    }
