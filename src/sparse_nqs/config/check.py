"""Experiment configuration: a YAML file of named runs on top of shared defaults.

    defaults:            # optional; merged over DEFAULTS below, then each run over it
      model: {name: tfim, L: 4}
    runs:
      fig1_ffnn:         # run name -> overrides of any default
        network: {kind: ffnn, alpha: 5}
        pruning: {p_r: 0.12, iterations: 65}

A config is checked as a whole before any work, by :func:`check_config` (the command line through
:func:`load_config`, the workflow through :meth:`sparse_nqs.plan.Plan.from_config`): the JSON schema
``schema.yaml`` beside this file, then what a schema cannot express (the pruning schedule,
samples per chain, tickets, figure runs, reference methods). A ConfigError names the key.
The defaults (:mod:`sparse_nqs.settings`) are the paper's settings for a 4x4 TFIM FFNN.
"""

from __future__ import annotations

import copy
import functools
import math
from pathlib import Path

import jsonschema
import yaml

from ..errors import SparseNQSError
from ..names import ED_AUTO_MAX_SPINS
from ..networks import build_network, weight_counts
from ..physics.dmrg import DMRGUnsupportedError
from ..physics.models import MODEL_CLASSES, ToricCode, make_model
from ..physics.reference import ReferenceRequestError, resolve_method
from ..pruning.experiment import ticket_iterations
from ..pruning.schedule import remaining_weight_sequence
from ..settings import DEFAULTS, NETWORK_DEFAULTS, RBM_DATA_DEFAULTS, RBM_DEFAULTS
from ..vmc.sampling import SamplingSettings, make_sampler

SCHEMA_FILE = Path(__file__).with_name("schema.yaml")

#: top-level keys of a config: the runs, and the workflow's sections (see sparse_nqs.plan)
TOP_LEVEL_KEYS = {"defaults", "runs", "references", "figures", "plotting", "resources", "rbm"}


class ConfigError(SparseNQSError, ValueError):
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


def load_config(*paths) -> dict:
    """One config file, or several merged as Snakemake merges repeated ``--configfile`` (a later file
    updates nested mappings of the earlier ones key by key), checked (:func:`check_config`)."""
    config = {}
    for path in map(Path, paths):
        try:
            _update(config, yaml.safe_load(path.read_text()) or {})
        except (OSError, yaml.YAMLError) as err:
            raise ConfigError(f"cannot read config {path}: {err}") from None
    return check_config(config)


def _update(config: dict, other: dict) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            _update(config[key], value)
        else:
            config[key] = copy.deepcopy(value)


def check_config(config: dict) -> dict:
    """``config`` if everything in it can run, else a ConfigError naming the key (one line).

    The one check of a config: the command line and the workflow both call it before any work, so
    they accept the same configs. Order: the top-level structure, the schema (every key, type and
    range), every run's physics (:func:`check_run`), figures and reference methods.
    """
    if not isinstance(config, dict):
        raise ConfigError("a config must be a mapping with at least the key 'runs'")
    unknown = set(config) - TOP_LEVEL_KEYS
    if unknown:
        raise ConfigError(f"unknown top-level config key(s): {', '.join(sorted(unknown))}")
    if not isinstance(config.get("runs"), dict) or not config["runs"]:
        raise ConfigError("config key 'runs' must map run names to their settings")
    _check_schema(config)
    runs = {name: resolve_run(config, name) for name in config["runs"]}
    for settings in runs.values():
        check_run(settings)
    _check_figures(config, runs)
    _check_reference_method(config, runs)
    for name in rbm_run_names(config):
        if name in runs:
            raise ConfigError(f"rbm.runs.{name}: a run of that name exists in 'runs' (they share results/runs/)")
        check_rbm_run(resolve_rbm_run(config, name))
    for fig, spec in ((config.get("rbm") or {}).get("figures") or {}).items():
        for name in (spec or {}).get("runs", []):
            if name not in rbm_run_names(config):
                raise ConfigError(f"rbm.figures.{fig}: no RBM run named {name!r}")
    return config


def _is_int(checker, value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(checker, value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@functools.cache
def _validator():
    # Stricter types than JSON's: an integer given as 4.0 would reach range() and file names, and
    # NaN passes every bound ("nan <= 0" is false).
    types = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"integer": _is_int, "number": _is_finite_number})
    strict = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=types)
    return strict(yaml.safe_load(SCHEMA_FILE.read_text()))


def _check_schema(config: dict) -> None:
    """The first schema violation, as ``config key 'runs.a.optimizer.learning_rate': -0.1 is ...``."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(config))
    if error is None:
        return
    while error.context:  # anyOf / oneOf: the sub-error of the alternative that came closest
        error = jsonschema.exceptions.best_match(error.context)
    key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)[1:]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        extra = sorted(set(error.instance) - set(known))
        if extra:
            raise ConfigError(f"unknown config key '{key}.{extra[0]}'; known: {', '.join(known)}")
    raise ConfigError(f"config key '{key}': {error.message}" if key else f"config: {error.message}")


def check_run(settings: dict) -> None:
    """The physics of one resolved run (:func:`resolve_run`) that its schema cannot check: model,
    network and pruning schedule (:func:`run_summary`), Monte Carlo sampling, tickets."""
    name, p, t = settings["name"], settings["pruning"], settings["tickets"]
    run_summary(settings)
    s, m = settings["sampling"], settings["model"]
    try:  # NetKet splits the samples evenly over the chains
        sampling = SamplingSettings(s["n_samples"], s["n_chains"], s["n_discard_sweeps"], s["proposal"])
    except ValueError as err:
        raise ConfigError(f"runs.{name}: {err} (n_samples = {s['n_samples']}, "
                          f"n_chains = {s['n_chains']})") from None
    try:  # the proposal suits the model
        make_sampler(make_model(m["name"], m["L"], m["kappa"], m["boundary"]), sampling)
    except ValueError as err:
        raise ConfigError(f"runs.{name}: {err}") from None
    if p["methods"] and p["iterations"] == 0:
        raise ConfigError(f"runs.{name}.pruning.iterations: 0 rounds of {', '.join(p['methods'])}; a pruning path "
                          "needs at least one (a dense-only run has pruning.methods: [])")
    if t["variants"] and "imp_wr" not in p["methods"]:
        raise ConfigError(f"runs.{name}.tickets: tickets need the IMP-WR masks; add imp_wr to pruning.methods")
    for i in ticket_iterations(settings):
        if not 0 <= i < p["iterations"]:
            raise ConfigError(f"runs.{name}.tickets.iterations: {i} is not an IMP-WR iteration "
                              f"(0 .. {p['iterations'] - 1})")


def _check_figures(config: dict, runs: dict) -> None:
    """Every run a figure names exists; Fig. 4's filter analysis has the IMP-WR rounds it reads."""
    for fig, spec in (config.get("figures") or {}).items():
        spec = spec or {}
        reference = spec.get("reference") or {}
        weights = [spec["weights_run"]] if spec.get("weights_run") else []
        for name in spec.get("runs", []) + reference.get("runs", []) + weights:
            if name not in runs:
                raise ConfigError(f"figures.{fig}: no run named {name!r}")
        if reference.get("kappa_c_field") is not None and reference.get("kind", "record") != "record":
            raise ConfigError(f"figures.{fig}.reference.kappa_c_field: a shifted field needs kind 'record' (the "
                              f"ED/DMRG record at that field), not {reference.get('kind')!r}")
        if reference.get("kind") == "nqs" and not reference.get("runs"):
            raise ConfigError(f"figures.{fig}.reference: kind 'nqs' needs the dense runs it is taken from "
                              f"(figures.{fig}.reference.runs)")
    fig4 = (config.get("figures") or {}).get("fig4") or {}
    weights_run, iteration = fig4.get("weights_run"), fig4.get("weights_iteration")
    if weights_run and not (is_toric(runs[weights_run])
                            and "imp_wr" in runs[weights_run]["pruning"]["methods"]):
        raise ConfigError(f"figures.fig4.weights_run: run {weights_run!r} must be a toric-code run with imp_wr in "
                          "pruning.methods (its IMP-WR weights are drawn)")
    # the filter analysis of every toric-code IMP-WR run of Fig. 4 picks this iteration's weights
    analysed = [n for n in fig4.get("runs", []) + ([weights_run] if weights_run else [])
                if is_toric(runs[n]) and "imp_wr" in runs[n]["pruning"]["methods"]]
    for name in analysed:
        if iteration is not None and iteration >= runs[name]["pruning"]["iterations"]:
            raise ConfigError(f"figures.fig4.weights_iteration: {iteration} is not an IMP-WR iteration of run "
                              f"{name} (0 .. {runs[name]['pruning']['iterations'] - 1})")


def _check_reference_method(config: dict, runs: dict) -> None:
    """A reference method given for all systems suits each of them (auto always does)."""
    method = (config.get("references") or {}).get("method", "auto")
    if method == "auto":
        return
    for name, settings in runs.items():
        m = settings["model"]
        model = make_model(m["name"], m["L"], m["kappa"], m["boundary"])
        try:
            resolve_method(model, method)  # the backend's Julia is looked for by the DMRG job itself
        except (ReferenceRequestError, DMRGUnsupportedError) as err:
            # the hint names the command-line option; in a config it is this key
            hint = str(err).replace("--method", "references.method")
            raise ConfigError(f"config key 'references.method': {method!r} cannot serve run {name} "
                              f"(N = {model.N}): {hint}") from None


def is_toric(settings: dict) -> bool:
    """Whether resolved run settings describe the toric code."""
    return MODEL_CLASSES.get(settings["model"]["name"]) is ToricCode


def resolve_run(config: dict, name: str) -> dict:
    """The full settings of run ``name``: DEFAULTS <- config defaults <- run overrides."""
    if name not in config["runs"]:
        raise ConfigError(f"no run named {name!r}; runs: {', '.join(config['runs'])}")
    settings = _merge(DEFAULTS, config.get("defaults") or {}, "defaults")
    settings = _merge(settings, config["runs"][name] or {}, f"runs.{name}")
    if settings["model"]["name"] in MODEL_CLASSES:  # else the schema check names the bad name
        settings["model"].update(MODEL_CLASSES[settings["model"]["name"]].fixed_settings())
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
        raise ConfigError(f"runs.{settings['name']}.model: {err}") from None
    try:
        network = build_network(settings["network"])
        counts = weight_counts(network, model.N)
    except ValueError as err:
        raise ConfigError(f"runs.{settings['name']}.network: {err}") from None
    p = settings["pruning"]
    try:
        sequence = remaining_weight_sequence(counts["pool"], p["p_r"], p["iterations"], counts["fixed"])
    except ValueError as err:
        raise ConfigError(f"runs.{settings['name']}.pruning: {err}") from None
    return {
        "name": settings["name"],
        "family": "vmc",
        "system": model.describe(),
        "network": settings["network"],
        "n_init": counts["n_init"],
        "n_prunable": counts["pool"],
        "n_sequence": sequence,
        "rho_sequence": [n / model.N for n in sequence],
    }


# --------------------------------------------------------------------------------------------
# the RBM family (config section ``rbm``; docs/rbm.md)
# --------------------------------------------------------------------------------------------
def rbm_run_names(config: dict) -> list[str]:
    return list(((config.get("rbm") or {}).get("runs") or {}))


def resolve_rbm_run(config: dict, name: str) -> dict:
    """The full settings of RBM run ``name``: RBM_DEFAULTS <- rbm.defaults <- rbm.runs.<name>, with the
    data settings (``rbm.data``) and ``family: rbm``."""
    section = config.get("rbm") or {}
    runs = section.get("runs") or {}
    if name not in runs:
        raise ConfigError(f"no RBM run named {name!r}; RBM runs: {', '.join(runs) or 'none'}")
    settings = _merge(RBM_DEFAULTS, section.get("defaults") or {}, "rbm.defaults")
    settings = _merge(settings, runs[name] or {}, f"rbm.runs.{name}")
    data = _merge(RBM_DATA_DEFAULTS, section.get("data") or {}, "rbm.data")
    return {"name": name, "family": "rbm", **settings, "data": data}


def rbm_run_summary(settings: dict) -> dict:
    """An RBM run in the shape of :func:`run_summary` (one reader for both families): the system is
    the chain (N, h), the network the RBM's N_h, and n counts the prunable weights W (Table I; the
    biases are neither pruned nor counted); rho = n / N."""
    from ..rbm.run import n_hidden

    m, p = settings["model"], settings["pruning"]
    pool = m["N"] * n_hidden(settings)
    sequence = remaining_weight_sequence(pool, p["p_r"], p["iterations"], first_p_r=p["first_p_r"])
    return {
        "name": settings["name"],
        "family": "rbm",
        "system": {"model": "tfim_chain", "N": m["N"], "h": m["h"], "boundary": "open"},
        "network": {"kind": "rbm", "N_h": n_hidden(settings), **settings["rbm"]},
        "n_init": pool,
        "n_prunable": pool,
        "n_sequence": sequence,
        "rho_sequence": [n / m["N"] for n in sequence],
    }


def check_rbm_run(settings: dict) -> None:
    """What the schema cannot check of one RBM run: the schedule, N_h, exact metrics, data and tickets."""
    from ..rbm.masks import MaskConstructionError, cluster_mask
    from ..rbm.run import n_hidden

    name, m, p, t = settings["name"], settings["model"], settings["pruning"], settings["tickets"]
    where = f"rbm.runs.{name}"
    hidden = round(settings["rbm"]["hidden_ratio"] * m["N"])
    if hidden < 1:
        raise ConfigError(f"{where}.rbm.hidden_ratio: {settings['rbm']['hidden_ratio']} x N = {m['N']} gives "
                          f"N_h = {hidden} hidden units; an RBM needs at least 1")
    try:
        sequence = rbm_run_summary(settings)["n_sequence"]
    except ValueError as err:
        raise ConfigError(f"{where}.pruning: {err}") from None
    if settings["evaluation"]["exact"] is True and m["N"] > ED_AUTO_MAX_SPINS:
        raise ConfigError(f"{where}.evaluation.exact: exact KL and fidelity enumerate 2^N states, possible up to "
                          f"N = {ED_AUTO_MAX_SPINS} (N = {m['N']}); use auto or false")
    if settings["data"]["n_samples"] < settings["cd"]["batch_size"]:
        raise ConfigError(f"rbm.data.n_samples: {settings['data']['n_samples']} samples cannot fill one batch of "
                          f"{where}.cd.batch_size = {settings['cd']['batch_size']}")
    if p["methods"] and p["iterations"] == 0:
        raise ConfigError(f"{where}.pruning.iterations: 0 rounds of {', '.join(p['methods'])}")
    if t["variants"] and t["mask_method"] not in p["methods"]:
        raise ConfigError(f"{where}.tickets.mask_method: the tickets take the masks of {t['mask_method']}, "
                          f"which is not in pruning.methods ({', '.join(p['methods']) or 'none'})")
    for i in ticket_iterations(settings):
        if not 0 <= i < p["iterations"]:
            raise ConfigError(f"{where}.tickets.iterations: {i} is not a pruning iteration (0 .. {p['iterations'] - 1})")
        if "cluster" in t["variants"]:
            try:
                cluster_mask(m["N"], n_hidden(settings), sequence[i + 1])
            except MaskConstructionError as err:
                raise ConfigError(f"{where}.tickets: the cluster ticket at iteration {i}: {err}") from None
