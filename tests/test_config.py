"""Config resolution, the count rule and ``sparse-nqs info``."""

import json

import pytest

from sparse_nqs.cli import main
from sparse_nqs.config import ConfigError, load_config, resolve_run, run_summary
from sparse_nqs.pruning import PruningScheduleError, max_iterations, prune_count, remaining_weight_sequence

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


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("runs: {a: {modle: {L: 3}}}", "runs.a.modle"),
        ("runs: {a: {pruning: {pr: 0.1}}}", "runs.a.pruning.pr"),
        ("runs: {a: {pruning: {p_r: 1.5}}}", "p_r must lie in (0, 1)"),
        ("runs: {a: {pruning: {iterations: 500}}}", "exhaust"),
        ("runs: {a: {network: {kind: transformer}}}", "network.kind"),
        ("runs: {a: {model: {name: heisenberg}}}", "unknown model"),
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
