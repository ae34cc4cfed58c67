"""Config resolution and checking (one check for the command line and the workflow), the count
rule and ``sparse-nqs info``."""

import copy
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

import sparse_nqs
from sparse_nqs import names
from sparse_nqs.cli import main
from sparse_nqs.config.check import (
    SCHEMA_FILE,
    TOP_LEVEL_KEYS,
    ConfigError,
    check_config,
    load_config,
    resolve_rbm_run,
    resolve_run,
    run_summary,
)
from sparse_nqs.names import FIGURES
from sparse_nqs.plan import Plan
from sparse_nqs.pruning.schedule import PruningScheduleError, max_iterations, prune_count, remaining_weight_sequence
from sparse_nqs.settings import (
    DEFAULTS,
    FIGURE_DEFAULTS,
    NETWORK_DEFAULTS,
    PLOTTING_DEFAULTS,
    RBM_DATA_DEFAULTS,
    RBM_DEFAULTS,
    REFERENCE_DEFAULTS,
    RESOURCE_DEFAULTS,
)

ROOT = Path(__file__).resolve().parents[1]

PAPER_LIKE = """
defaults:
  model: {name: tfim, L: 10}
runs:
  fig1_cnn:
    network: {kind: cnn, n_filters: 4}
    pruning: {p_r: 0.05, iterations: 31}
  fig1_ffnn:
    network: {kind: ffnn, alpha: 5}
    pruning: {iterations: 65}
  fig4_toric_a4:
    model: {name: toric, L: 3}
    network: {kind: ffnn, alpha: 4}
    pruning: {iterations: 47}
"""


def test_count_rule_sequences_of_the_spec():
    assert remaining_weight_sequence(1296, 0.12, 3) == [1296, 1140, 1003, 883]
    assert remaining_weight_sequence(36, 0.05, 6) == [36, 34, 32, 30, 28, 27, 26]
    assert prune_count(0.05, 30) == 2  # rint(1.5) = 2: half to even
    assert prune_count(0.05, 10) == 1  # never stalls


def test_count_rule_never_stalls_and_never_empties():
    seq = remaining_weight_sequence(36, 0.05, max_iterations(36, 0.05))
    assert all(a > b for a, b in zip(seq, seq[1:])) and seq[-1] >= 1
    assert max_iterations(36, 0.05) == 31  # the paper's I for the CNN
    with pytest.raises(PruningScheduleError, match="at most 31"):
        remaining_weight_sequence(36, 0.05, 32)


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(PAPER_LIKE)
    return path


def test_resolve_run_merges_defaults(config_file):
    settings = resolve_run(load_config(config_file), "fig4_toric_a4")
    assert settings["model"] == {"name": "toric", "L": 3, "kappa": None, "boundary": "periodic"}
    assert settings["optimizer"]["learning_rate"] == 8e-3
    summary = run_summary(settings)
    assert summary["n_init"] == 1296 and len(summary["n_sequence"]) == 48


def test_info_lists_every_run(config_file, capsys):
    assert main(["info", "--config", str(config_file)]) == 0
    runs = json.loads(capsys.readouterr().out)
    by_name = {r["name"]: r for r in runs}
    assert set(by_name) == {"fig1_cnn", "fig1_ffnn", "fig4_toric_a4"}
    assert by_name["fig1_cnn"]["n_init"] == 36 and by_name["fig1_cnn"]["n_sequence"][:5] == [36, 34, 32, 30, 28]
    assert by_name["fig1_ffnn"]["n_init"] == 50000 and len(by_name["fig1_ffnn"]["n_sequence"]) == 66
    assert by_name["fig1_ffnn"]["n_sequence"][1] == 44000


def test_info_of_one_run(config_file, capsys):
    assert main(["info", "--config", str(config_file), "--run", "fig1_cnn"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["name"] == "fig1_cnn" and run["n_init"] == 36
    assert run["network"]["padding"] == "valid" and run["sampling"]["n_chains"] == 16


def test_info_gives_rbm_runs_the_shape_of_vmc_runs(tmp_path, capsys):
    """One reader serves both families: the same keys; the RBM's system is its chain, its network N_h,
    and n counts the prunable weights of the source's Table I (18 x 9 = 162, then 10 % per round)."""
    from sparse_nqs.families import make_run

    path = tmp_path / "config.yaml"
    path.write_text("runs: {tiny: {model: {L: 3}, network: {kind: ffnn, alpha: 1}, pruning: {iterations: 2}}}\n"
                    "rbm: {runs: {chain: {model: {N: 18, h: 2.0}, pruning: {iterations: 18}}}}\n")
    assert main(["info", "--config", str(path)]) == 0
    vmc, rbm = json.loads(capsys.readouterr().out)
    assert set(rbm) == set(vmc) and rbm["family"] == "rbm" and vmc["family"] == "vmc"
    assert rbm["system"] == {"model": "tfim_chain", "N": 18, "h": 2.0, "boundary": "open"}
    assert rbm["network"]["N_h"] == 9 and rbm["n_init"] == rbm["n_prunable"] == 162
    table_one = [100, 90.0, 81.0, 72.9, 65.6, 59.0, 53.1, 47.8, 43.0, 38.7, 34.9, 31.4, 28.2, 25.4, 22.9, 20.6,
                 18.5, 16.7, 15.0]
    # the count rule against the printed percentages: accumulated rounding plus the table's one decimal
    assert all(abs(n - p * 162 / 100) <= 1.1 for n, p in zip(rbm["n_sequence"], table_one, strict=True))
    settings = resolve_rbm_run(load_config(path), "chain")
    assert rbm["n_sequence"] == make_run(settings, tmp_path).n_sequence
    assert rbm["rho_sequence"][0] == 9.0
    assert main(["info", "--config", str(path), "--run", "chain"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert one["n_sequence"] == rbm["n_sequence"] and one["cd"]["k"] == 10


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("runs: {a: {modle: {L: 3}}}", "runs.a.modle"),
        ("runs: {a: {pruning: {pr: 0.1}}}", "runs.a.pruning.pr"),
        ("runs: {a: {pruning: {p_r: 1.5}}}", "runs.a.pruning.p_r': 1.5 is greater than or equal to the maximum of 1"),
        ("runs: {a: {pruning: {iterations: 500}}}", "exhaust"),
        ("runs: {a: {network: {kind: transformer}}}", "network.kind"),
        ("runs: {a: {model: {name: heisenberg}}}", "runs.a.model.name': 'heisenberg' is not one of"),
        ("extra: 1\nruns: {a: {}}", "top-level"),
    ],
)
def test_bad_configs_name_the_key(tmp_path, capsys, text, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert main(["info", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1

    with pytest.raises(ConfigError):
        config = load_config(path)
        run_summary(resolve_run(config, "a"))


# ---------------------------------------------------------------------------------------------
# one check for every entry point: sparse_nqs.config.check_config
# ---------------------------------------------------------------------------------------------
TINY = {
    "defaults": {"model": {"L": 2}, "sampling": {"n_samples": 32},
                 "pruning": {"p_r": 0.3, "iterations": 2, "pretrain_steps": 4, "steps_per_iteration": 2,
                             "checkpoint_every": 2},
                 "evaluation": {"n_samples": 32, "fidelity_samples": 32}},
    "runs": {"tiny": {"network": {"kind": "ffnn", "alpha": 1}},
             "toric": {"model": {"name": "toric", "L": 2}, "network": {"kind": "ffnn", "alpha": 1}}},
}


def tiny(edit=None) -> dict:
    config = copy.deepcopy(TINY)
    if edit:
        edit(config)
    return config


@pytest.fixture
def no_work(monkeypatch):
    """Training or a reference computation fails the test: a refused request must not start them."""
    import sparse_nqs.physics.reference
    import sparse_nqs.pruning.experiment

    def started(*args, **kwargs):
        raise AssertionError("work started although the request should have been refused")

    for module, name in [(sparse_nqs.pruning.experiment, "pretrain"), (sparse_nqs.pruning.experiment, "prune"),
                         (sparse_nqs.physics.reference, "compute_reference")]:
        monkeypatch.setattr(module, name, started)


def cli_error(tmp_path, capsys, config: dict, command="pretrain") -> str:
    """The one-line error of ``sparse-nqs <command>`` on ``config`` (exit status 2, nothing written)."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "run"
    args = ["info"] if command == "info" else [command, "--run", "tiny", "--out", str(out)]
    assert main([args[0], "--config", str(path), *args[1:]]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sparse-nqs: error:") and err.count("\n") == 1
    assert not out.exists()
    return err


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["defaults"].update(optimizer={"learning_rate": -0.1}),
     "config key 'defaults.optimizer.learning_rate': -0.1 is less than or equal to the minimum of 0"),
    (lambda c: c["runs"]["tiny"].update(pruning={"pretrain_steps": -5}),
     "config key 'runs.tiny.pruning.pretrain_steps': -5 is less than the minimum of 0"),
    (lambda c: c["defaults"]["pruning"].update(checkpoint_every=0),  # looped forever
     "config key 'defaults.pruning.checkpoint_every': 0 is less than the minimum of 1"),
    (lambda c: c["runs"]["tiny"].update(optimizer={"learning_rate": float("nan")}),
     "config key 'runs.tiny.optimizer.learning_rate': nan is not of type 'number'"),
    (lambda c: c["runs"]["tiny"].update(model={"L": 2.0}), "config key 'runs.tiny.model.L': 2.0 is not of type 'integer'"),
], ids=["negative-learning-rate", "negative-steps", "checkpoint-every-0", "nan", "float-L"])
def test_command_line_refuses_bad_values_before_any_work(tmp_path, capsys, no_work, edit, message):
    assert message in cli_error(tmp_path, capsys, tiny(edit))


def test_a_bad_value_inside_a_run_is_named_by_its_key(tmp_path, capsys):
    config = tiny(lambda c: c["runs"]["tiny"].update(optimizer={"learning_rate": -1}))
    with pytest.raises(ConfigError) as refused:
        Plan.from_config(config)
    message = str(refused.value)
    assert message == "config key 'runs.tiny.optimizer.learning_rate': -1 is less than or equal to the minimum of 0"
    assert message in cli_error(tmp_path, capsys, config, "info")


@pytest.mark.parametrize("edit, fragment", [
    (lambda c: c["defaults"].update(sampling={"n_samples": 100, "n_chains": 16}),
     "runs.tiny: sampling.n_samples must be a positive multiple of sampling.n_chains (n_samples = 100, n_chains = 16)"),
    (lambda c: c["runs"]["tiny"].update(sampling={"proposal": "local+star"}),
     "runs.tiny: sampling.proposal 'local+star' needs star moves (the toric code); the tfim has none"),
    (lambda c: c["runs"]["tiny"].update(tickets={"variants": ["init_imp"], "iterations": [2]}),
     "runs.tiny.tickets.iterations: 2 is not an IMP-WR iteration (0 .. 1)"),
    (lambda c: c["runs"]["tiny"].update(pruning={"iterations": 0}), "runs.tiny.pruning.iterations: 0 rounds"),
    (lambda c: c["runs"]["tiny"].update(pruning={"p_r": 0.5, "iterations": 40}), "runs.tiny.pruning: 40 pruning iterations"),
    (lambda c: c.update(references={"method": "dmrg"}), "config key 'references.method': 'dmrg' cannot serve run toric"),
    (lambda c: c.update(references={"method": "analytic"}),
     "'analytic' cannot serve run tiny (N = 4): no closed-form ground state for the tfim; use references.method ed"),
    (lambda c: c.update(figures={"fig2": {"runs": ["tiny", "nonexistent"]}}), "figures.fig2: no run named 'nonexistent'"),
    (lambda c: c.update(figures={"fig1": {"reference": {"kind": "nqs"}}}), "figures.fig1.reference: kind 'nqs' needs"),
    (lambda c: c.update(figures={"fig1": {"reference": {"kind": "nqs", "runs": ["tiny"], "kappa_c_field": 3.04483}}}),
     "figures.fig1.reference.kappa_c_field: a shifted field needs kind 'record'"),
    (lambda c: c.update(figures={"fig4": {"weights_run": "tiny"}}), "figures.fig4.weights_run: run 'tiny' must be a toric"),
    (lambda c: c.update(figures={"fig4": {"runs": ["toric"], "weights_iteration": 2}}),
     "figures.fig4.weights_iteration: 2 is not an IMP-WR iteration of run toric (0 .. 1)"),
], ids=["samples-per-chain", "proposal", "ticket-iteration", "no-rounds", "schedule", "dmrg-toric", "analytic-tfim",
        "figure-run", "nqs-reference", "shifted-nqs-reference", "weights-run", "weights-iteration"])
def test_what_would_fail_in_a_job_is_refused_by_plan_and_command_line_alike(tmp_path, capsys, edit, fragment):
    config = tiny(edit)
    with pytest.raises(ConfigError) as refused:
        Plan.from_config(config)
    assert fragment in str(refused.value)
    assert str(refused.value) in cli_error(tmp_path, capsys, config, "info")


def test_samples_per_chain_stop_pretrain_before_any_work(tmp_path, capsys, no_work):
    err = cli_error(tmp_path, capsys, tiny(lambda c: c["defaults"].update(sampling={"n_samples": 100, "n_chains": 16})))
    assert "sampling.n_samples" in err and "sampling.n_chains" in err


def preset_configs():
    """The configs the README runs: config.yaml, each preset, and paper.yaml + reference-code.yaml
    merged as Snakemake merges several --configfile (nested mappings updated key by key)."""
    from snakemake.utils import update_config

    def merged(*names):
        config = {}
        for name in names:
            update_config(config, yaml.safe_load((ROOT / name).read_text()))
        return config

    presets = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "workflow" / "presets").glob("*.yaml"))
    combos = [("config.yaml",)] + [(p,) for p in presets if "reference-code" not in p]
    combos += [("workflow/presets/paper.yaml", "workflow/presets/reference-code.yaml")]
    return {"+".join(names): merged(*names) for names in combos}


@pytest.mark.parametrize("name", sorted(preset_configs()))
def test_every_preset_passes_the_check(name):
    config = preset_configs()[name]
    assert check_config(config) is config
    assert Plan.from_config(config).runs


def test_the_paper_subset_runs_the_papers_runs_unchanged():
    """workflow/presets/paper-subset.yaml is paper.yaml restricted to the runs one workstation holds:
    every run's resolved settings equal paper.yaml's, but the documented subset of ticket iterations of
    fig4_alpha8 (on the paper's every-3rd grid), and its figures draw only those runs."""
    paper = Plan.from_config(load_config(ROOT / "workflow" / "presets" / "paper.yaml"))
    subset = Plan.from_config(load_config(ROOT / "workflow" / "presets" / "paper-subset.yaml"))
    assert set(subset.runs) == {"fig3_L4", "fig3_L5", "fig3_L6", "fig3_L7",
                                "fig4_alpha4", "fig4_alpha8", "fig4_alpha16", "fig4_alpha32"}
    assert set(subset.rbm_runs) == {"rbm_n18_h1", "rbm_n18_h2", "rbm_n50_h1", "rbm_n100_h1"}
    for name, settings in subset.runs.items():
        ours, theirs = copy.deepcopy(settings), copy.deepcopy(paper.runs[name])
        if name == "fig4_alpha8":
            iterations = ours["tickets"].pop("iterations")
            assert theirs["tickets"].pop("iterations") is None and theirs["tickets"]["every"] == 3
            assert all(i % 3 == 0 for i in iterations) and len(iterations) == 8
        assert ours == theirs, name
    for name, settings in subset.rbm_runs.items():
        assert settings == paper.rbm_runs[name], name
    assert subset.figures["fig3"]["runs"] == ["fig3_L4", "fig3_L5", "fig3_L6", "fig3_L7"]
    assert subset.figures["fig4"] == paper.figures["fig4"]
    assert {fig: spec["runs"] for fig, spec in subset.rbm_figures.items()} == {
        fig: [r for r in spec["runs"] if r in subset.rbm_runs] for fig, spec in paper.rbm_figures.items()}


def test_the_replica_preset_differs_from_the_paper_subset_only_in_its_seeds():
    """workflow/presets/paper-subset-replica.yaml measures the run-to-run spread: its runs are the
    paper subset's fig3_L4, fig4_alpha8, rbm_n18_h2 and rbm_n18_h1 with every seed moved, the tickets
    left out and rbm_n18_h1's IMP-CT path alone, on the same RBM data sets."""
    subset = Plan.from_config(load_config(ROOT / "workflow" / "presets" / "paper-subset.yaml"))
    replica = Plan.from_config(load_config(ROOT / "workflow" / "presets" / "paper-subset-replica.yaml"))
    assert set(replica.runs) == {"fig3_L4", "fig4_alpha8"}
    assert set(replica.rbm_runs) == {"rbm_n18_h1", "rbm_n18_h2"}
    pairs = [(replica.runs[r], subset.runs[r]) for r in replica.runs]
    pairs += [(replica.rbm_runs[r], subset.rbm_runs[r]) for r in replica.rbm_runs]
    for ours, theirs in pairs:
        ours, theirs = copy.deepcopy(ours), copy.deepcopy(theirs)
        seeds, first = ours.pop("seeds"), theirs.pop("seeds")
        assert set(seeds) == set(first) and all(seeds[k] != first[k] for k in seeds)
        assert ours["tickets"]["iterations"] == [] or not ours["tickets"]["variants"]  # no tickets
        ours.pop("tickets"), theirs.pop("tickets")
        # the first (IMP) method of the subset's run: imp_wr for the VMC runs, imp_ct for the RBMs
        assert ours["pruning"].pop("methods") == theirs["pruning"].pop("methods")[:1]
        assert ours == theirs
    for run in replica.rbm_runs:
        assert replica.data_of(run) == subset.data_of(run)


def test_the_schema_ships_with_the_package_and_names_the_keys_of_the_defaults():
    package_dir = Path(sparse_nqs.__file__).parent
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert SCHEMA_FILE.relative_to(package_dir).as_posix() in package_data["sparse_nqs"]
    assert not (ROOT / "workflow" / "schemas").exists(), "one schema: the package's"

    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    run = schema["$defs"]["run_settings"]["properties"]

    def keys(node):
        return set(node["properties"])

    assert set(run) == set(DEFAULTS)
    for section, defaults in DEFAULTS.items():
        if section != "network":
            assert keys(run[section]) == set(defaults), section
    assert keys(run["network"]) == {"kind"}.union(*map(set, NETWORK_DEFAULTS.values()))
    assert run["network"]["properties"]["kind"]["enum"] == list(NETWORK_DEFAULTS)
    top = schema["properties"]
    assert set(top) == TOP_LEVEL_KEYS
    assert keys(top["figures"]) == set(FIGURES) and keys(schema["$defs"]["figure"]) == set(FIGURE_DEFAULTS)
    assert keys(schema["$defs"]["figure"]["properties"]["reference"]) == set(FIGURE_DEFAULTS["reference"])
    assert keys(top["references"]) == set(REFERENCE_DEFAULTS) and keys(top["plotting"]) == set(PLOTTING_DEFAULTS)
    assert keys(top["resources"]) == set(RESOURCE_DEFAULTS)
    assert keys(schema["$defs"]["resource"]) == set(RESOURCE_DEFAULTS["train"])


def test_the_schema_allows_exactly_the_names_the_code_knows():
    """Every enum of the schema is one of sparse_nqs.names' tuples (one home for each name)."""
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    run = schema["$defs"]["run_settings"]["properties"]
    figure = schema["$defs"]["figure"]["properties"]
    top = schema["properties"]

    def enum(node):
        return tuple(node["enum"])

    assert enum(run["model"]["properties"]["name"]) == names.MODELS
    assert enum(run["model"]["properties"]["boundary"]) == (*names.BOUNDARIES, None)
    assert enum(run["network"]["properties"]["kind"]) == names.NETWORK_KINDS
    assert enum(run["network"]["properties"]["padding"]) == names.PADDINGS
    assert enum(run["network"]["properties"]["init_scheme"]) == names.CONV_INITS
    assert enum(run["sampling"]["properties"]["proposal"]) == names.PROPOSALS
    assert enum(run["pruning"]["properties"]["methods"]["items"]) == names.PRUNING_METHODS
    assert enum(run["tickets"]["properties"]["variants"]["items"]) == names.TICKET_VARIANTS
    assert enum(top["references"]["properties"]["method"]) == names.REFERENCE_METHODS
    assert enum(top["references"]["properties"]["dmrg_backend"]) == names.DMRG_BACKENDS
    assert enum(figure["reference"]["properties"]["kind"]) == names.REFERENCE_KINDS
    assert tuple(top["figures"]["properties"]) == names.FIGURES
    assert DEFAULTS["model"]["kappa"] == names.KAPPA_C


def test_every_setting_has_a_default_and_a_meaning():
    """The typed settings are where defaults live: each field has a one-line help."""
    from dataclasses import fields, is_dataclass

    from sparse_nqs import settings

    classes = [c for c in vars(settings).values() if is_dataclass(c) and isinstance(c, type)]
    assert len(classes) >= 14
    for cls in classes:
        for f in fields(cls):
            if is_dataclass(settings.default_of(f)) or f.name == "network":
                continue
            assert f.metadata.get("help"), f"{cls.__name__}.{f.name} has no help"


def test_the_paper_preset_initialises_ffnns_as_the_code_that_made_the_papers_data():
    """The paper's text says std 0.1, its data were made with 0.01 (docs/science.md, last section)."""
    plan = Plan.from_config(preset_configs()["workflow/presets/paper.yaml"])
    ffnns = {name: s["network"] for name, s in plan.runs.items() if s["network"]["kind"] == "ffnn"}
    assert len(ffnns) >= 20 and {net["init_std"] for net in ffnns.values()} == {0.01}
    assert DEFAULTS["network"] == {"kind": "ffnn"} and NETWORK_DEFAULTS["ffnn"]["init_std"] == 0.1  # still an option


def test_the_reference_code_preset_measures_the_kappa_c_runs_of_fig2_against_the_authors_field():
    """The shifted-field record becomes a reference job and an input of Fig. 2 only; other runs keep
    their own field (docs/science.md, the kappa_c reference)."""
    plan = Plan.from_config(preset_configs()["workflow/presets/paper.yaml+workflow/presets/reference-code.yaml"])
    assert plan.figures["fig2"]["reference"]["kappa_c_field"] == 3.04483
    assert plan.shifted_references("fig2") == {
        "tfim_L10_k3.04483_open": {"name": "tfim", "L": 10, "kappa": 3.04483, "boundary": "open"}}
    assert plan.figure_inputs("fig2")["references"] == ["references/tfim_L10_k3.04483_open.json"]
    assert "tfim_L10_k3.04483_open" in plan.systems and plan.figure_inputs("fig1")["references"] == []
    assert not Plan.from_config(preset_configs()["workflow/presets/paper.yaml"]).shifted_references("fig2")


# --------------------------------------------------------------------------------------------
# the RBM family's section
# --------------------------------------------------------------------------------------------
def with_rbm(**run) -> dict:
    config = tiny()
    config["rbm"] = {"data": {"n_samples": 500}, "runs": {"chain": run}}  # N = 18, 18 iterations of 10%
    return config


@pytest.mark.parametrize("run, fragment", [
    ({"pruning": {"p_r": 0.5, "iterations": 40}}, "rbm.runs.chain.pruning: 40 pruning iterations at p_r = 0.5 exhaust"),
    ({"pruning": {"first_p_r": 0.99, "iterations": 3}}, "rbm.runs.chain.pruning: 3 pruning iterations"),
    ({"rbm": {"hidden_ratio": 0.02}}, "rbm.runs.chain.rbm.hidden_ratio: 0.02 x N = 18 gives N_h = 0 hidden units"),
    ({"model": {"N": 24}, "evaluation": {"exact": True}}, "rbm.runs.chain.evaluation.exact: exact KL and fidelity"),
    ({"tickets": {"variants": ["init_imp"]}, "pruning": {"methods": ["imp_wr"]}},
     "rbm.runs.chain.tickets.mask_method: the tickets take the masks of imp_ct"),
    ({"rbm": {"hidden_ratio": 0.25}, "tickets": {"variants": ["cluster"], "iterations": [17]}},
     "rbm.runs.chain.tickets: the cluster ticket at iteration 17"),
    ({"tickets": {"variants": ["init_imp"], "iterations": [18]}},
     "rbm.runs.chain.tickets.iterations: 18 is not a pruning iteration (0 .. 17)"),
    ({"cd": {"batch_size": 1000}}, "rbm.data.n_samples: 500 samples cannot fill one batch"),
    ({"cd": {"learning_rate": 0}}, "config key 'rbm.runs.chain.cd.learning_rate'"),
    ({"tickets": {"variants": ["sp/ss"]}}, "config key 'rbm.runs.chain.tickets.variants[0]'"),
    ({"model": {"L": 6}}, "unknown config key 'rbm.runs.chain.model.L'"),
], ids=["schedule", "first-rate", "no-hidden", "exact-too-large", "mask-method", "cluster-disconnected",
        "ticket-iteration", "batch", "learning-rate", "variant", "unknown-key"])
def test_a_bad_rbm_config_stops_before_any_job_and_names_the_key(tmp_path, capsys, run, fragment):
    config = with_rbm(**run)
    with pytest.raises(ConfigError) as refused:
        Plan.from_config(config)
    assert fragment in str(refused.value)
    assert str(refused.value) in cli_error(tmp_path, capsys, config, "info")


def test_rbm_runs_share_no_name_with_the_vmc_runs_and_figures_name_existing_runs():
    config = with_rbm()
    config["rbm"]["runs"]["tiny"] = {}
    with pytest.raises(ConfigError, match="rbm.runs.tiny: a run of that name exists in 'runs'"):
        Plan.from_config(config)
    config = with_rbm()
    config["rbm"]["figures"] = {"rbm_fig2": {"runs": ["chain", "nonexistent"]}}
    with pytest.raises(ConfigError, match="rbm.figures.rbm_fig2: no RBM run named 'nonexistent'"):
        Plan.from_config(config)


def test_the_rbm_schema_names_the_keys_of_the_rbm_defaults():
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    run = schema["$defs"]["rbm_run_settings"]["properties"]
    assert set(run) == set(RBM_DEFAULTS)
    for section, defaults in RBM_DEFAULTS.items():
        assert set(run[section]["properties"]) == set(defaults), section
    assert set(schema["properties"]["rbm"]["properties"]["data"]["properties"]) == set(RBM_DATA_DEFAULTS)
    assert tuple(run["tickets"]["properties"]["variants"]["items"]["enum"]) == names.RBM_TICKET_VARIANTS
    pattern = next(iter(schema["properties"]["rbm"]["properties"]["figures"]["patternProperties"]))
    assert all(re.fullmatch(pattern, fig) for fig in names.RBM_FIGURES)


def test_the_default_config_reproduces_the_source_s_rbm_settings():
    plan = Plan.from_config(load_config(ROOT / "config.yaml"))
    source = plan.rbm_runs["rbm_n18_h1"]
    assert source["model"] == {"N": 18, "h": 1.0} and source["rbm"]["hidden_ratio"] == 0.5
    assert source["cd"] == {"learning_rate": 0.01, "batch_size": 100, "k": 10, "persistent": False}
    assert source["pruning"]["p_r"] == 0.1 and source["pruning"]["iterations"] == 18
    assert source["data"]["n_samples"] == 100_000
    assert plan.rbm_runs["rbm_n18_h2"]["model"]["h"] == 2.0


def test_a_system_can_have_a_dmrg_schedule_of_its_own_and_an_unknown_one_is_named():
    """references.dmrg_systems.<system> replaces the common DMRG schedule for that system (or data set)
    alone: every other system's options, the reference rule's params, stay as they were."""
    config = load_config(ROOT / "workflow" / "presets" / "paper-subset.yaml")
    plan = Plan.from_config(config)
    common = {"method": "auto", "dmrg_backend": "tenpy", "dmrg_sweeps": None, "dmrg_maxdims": None, "dmrg_cutoff": None}
    assert plan.reference_options("tfim_L5_k3.04438_open") == common  # as published
    config = copy.deepcopy(config)
    config["references"]["dmrg_systems"] = {"tfim_L7_k3.04438_open": {"dmrg_maxdims": [10, 100], "dmrg_cutoff": 1e-12}}
    plan = Plan.from_config(config)
    assert plan.reference_options("tfim_L7_k3.04438_open") == {**common, "dmrg_maxdims": [10, 100], "dmrg_cutoff": 1e-12}
    assert plan.reference_options("tfim_L5_k3.04438_open") == common
    assert plan.data_params("tfim_chain_N18_k1_open_n100000_s0")["references"] == common
    config["references"]["dmrg_systems"] = {"tfim_L9_k3.04438_open": {"dmrg_maxdims": [10]}}
    with pytest.raises(ConfigError, match=r"references\.dmrg_systems\.tfim_L9_k3\.04438_open: no system"):
        Plan.from_config(config)
    config["references"]["dmrg_systems"] = {"tfim_L7_k3.04438_open": {"maxdims": [10]}}
    with pytest.raises(ConfigError, match="maxdims"):
        Plan.from_config(config)
