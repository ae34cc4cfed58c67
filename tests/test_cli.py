"""The ``sparse-nqs reference`` command: records, errors, and nothing written on failure."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sparse_nqs.cli import main
from sparse_nqs.physics.dmrg import itensors_backend

REQUIRED_KEYS = {
    "model", "L", "N", "kappa", "boundary", "method", "backend", "energy", "energy_per_spin",
    "mx", "mz", "mx_sites", "mz_sites", "zz", "xx", "wall_seconds", "versions", "degeneracy",
}


def run_cli(*args):
    return main(["reference", *map(str, args)])


def test_reference_record_tfim(tmp_path):
    out = tmp_path / "ref.json"
    assert run_cli("--model", "tfim", "--L", 3, "--out", out) == 0
    record = json.loads(out.read_text())
    assert REQUIRED_KEYS <= record.keys()
    assert record["method"] == "ed" and record["backend"] == "scipy"
    assert record["N"] == 9 and record["boundary"] == "open" and record["kappa"] == 3.04438
    assert record["energy"] == pytest.approx(-28.455560, abs=5e-7)
    assert record["energy_per_spin"] == pytest.approx(record["energy"] / 9)
    assert len(record["mx_sites"]) == 9 and np.shape(record["zz"]) == (9, 9)
    assert record["mx"] == pytest.approx(np.mean(record["mx_sites"]))
    assert record["versions"]["netket"] and record["versions"]["python"].startswith("3.11")
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_reference_record_dmrg_and_toric(tmp_path):
    out = tmp_path / "dmrg.json"
    assert run_cli("--model", "tfim", "--L", 3, "--kappa", 2.0, "--method", "dmrg",
                   "--dmrg-maxdims", "8,16", "--dmrg-sweeps", 3, "--out", out) == 0
    record = json.loads(out.read_text())
    assert record["method"] == "dmrg" and record["backend"] == "tenpy" and record["kappa"] == 2.0
    assert record["dmrg"]["schedule"]["maxdims"] == [8, 16]
    assert len(record["dmrg"]["sweep_energies"]) == 3
    assert isinstance(record["dmrg"]["converged"], bool)
    assert record["dmrg"]["truncation_error"] >= 0

    toric = tmp_path / "toric.json"
    assert run_cli("--model", "toric", "--L", 2, "--out", toric) == 0
    record = json.loads(toric.read_text())
    assert record["energy"] == pytest.approx(-8.0) and record["degeneracy"] == 4
    assert record["kappa"] is None and record["observables_state"] == "ground_space_average"


def test_auto_picks_dmrg_or_closed_form_for_large_systems(tmp_path):
    out = tmp_path / "toric5.json"
    assert run_cli("--model", "toric", "--L", 5, "--out", out) == 0
    record = json.loads(out.read_text())
    assert record["method"] == "analytic" and record["energy"] == -50.0 and record["N"] == 50

    from sparse_nqs.physics.models import TFIM
    from sparse_nqs.physics.reference import resolve_method

    assert resolve_method(TFIM(4)) == "ed"
    assert resolve_method(TFIM(5)) == "dmrg"


def test_state_out_saves_the_ed_ground_state(tmp_path):
    out, state = tmp_path / "ref.json", tmp_path / "state.npz"
    assert run_cli("--model", "tfim", "--L", 2, "--out", out, "--state-out", state) == 0
    saved = np.load(state)
    assert saved["ground_space"].shape == (16, 1)
    assert np.linalg.norm(saved["ground_space"]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--model", "tfim", "--L", 1], "L must be at least 2"),
        (["--model", "tfim", "--L", "x"], "--L"),
        (["--model", "heisenberg", "--L", 3], "--model"),
        (["--model", "tfim", "--L", 3, "--boundary", "twisted"], "--boundary"),
        (["--model", "tfim", "--L", 3, "--kappa", "nan"], "--kappa"),
        (["--model", "tfim", "--L", 3, "--kappa", "inf"], "--kappa"),
        (["--model", "tfim", "--L", 3, "--method", "qmc"], "--method"),
        (["--model", "tfim", "--L", 3, "--method", "dmrg", "--dmrg-backend", "quimb"], "--dmrg-backend"),
        (["--model", "tfim", "--L", 3, "--method", "dmrg", "--dmrg-cutoff", "2"], "cutoff"),
        (["--model", "tfim", "--L", 5, "--method", "ed"], "N <= 22"),
        (["--model", "tfim", "--L", 3, "--method", "analytic"], "closed-form"),
        (["--model", "toric", "--L", 3, "--method", "dmrg"], "TFIM only"),
        (["--model", "toric", "--L", 3, "--kappa", 1.0], "kappa"),
        (["--model", "toric", "--L", 3, "--boundary", "open"], "boundary"),
        (["--model", "tfim", "--L", 5, "--state-out", "s.npz"], "--state-out"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, args, fragment):
    out = tmp_path / "ref.json"
    assert run_cli(*args, "--out", out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sparse-nqs: error:")
    assert fragment in err
    assert not list(tmp_path.iterdir())


def test_missing_julia_is_a_clear_cli_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(itensors_backend, "locate_julia", lambda: None)
    out = tmp_path / "ref.json"
    assert run_cli("--model", "tfim", "--L", 3, "--method", "dmrg", "--dmrg-backend", "itensors", "--out", out) == 2
    err = capsys.readouterr().err
    assert "Julia" in err and "--dmrg-backend tenpy" in err and err.count("\n") == 1
    assert not out.exists()


def test_installed_console_script(tmp_path):
    script = Path(sys.executable).with_name("sparse-nqs")
    assert script.exists(), "the sparse-nqs entry point is not installed (pip install -e .)"
    out = tmp_path / "toric.json"
    done = subprocess.run([str(script), "reference", "--model", "toric", "--L", "2", "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["degeneracy"] == 4
    bad = subprocess.run([str(script), "reference", "--model", "tfim", "--L", "1", "--out", str(out) + "x"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "L must be at least 2" in bad.stderr


def test_ticket_without_imp_wr_checkpoints_is_refused(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text("runs:\n  tiny: {model: {L: 3}, network: {kind: ffnn, alpha: 1}}\n")
    code = main(["ticket", "--config", str(config), "--run", "tiny", "--variant", "init_imp",
                 "--iteration", "0", "--out", str(tmp_path / "run")])
    assert code == 2
    err = capsys.readouterr().err
    assert "sparse-nqs prune --config CONFIG --run tiny --method imp_wr" in err and "theta_init.npz is missing" in err
    assert not (tmp_path / "run" / "tickets").exists()


def test_large_system_without_reference_names_the_fix(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text("runs:\n  big: {model: {L: 6}, network: {kind: ffnn, alpha: 1}}\n")
    code = main(["pretrain", "--config", str(config), "--run", "big", "--out", str(tmp_path / "run")])
    assert code == 2
    assert "sparse-nqs reference" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_tickets_command_trains_every_ticket_of_a_run_batched(tmp_path, capsys):
    """`sparse-nqs tickets` trains all tickets of the config in one vectorised batch, and a second call
    reads them back."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "defaults:\n  model: {L: 3}\n  sampling: {n_samples: 64}\n"
        "  pruning: {p_r: 0.3, pretrain_steps: 10, steps_per_iteration: 5, iterations: 3}\n"
        "  evaluation: {n_samples: 128}\n"
        "  tickets: {iterations: [0, 2], steps: 5, variants: [init_imp, init_rand]}\n"
        "runs:\n  t: {network: {kind: ffnn, alpha: 1}}\n")
    common = ["--config", str(config), "--run", "t", "--out", str(tmp_path / "run")]
    assert main(["prune", "--method", "imp_wr", *common]) == 0
    assert main(["tickets", *common, "--batch", "yes"]) == 0
    assert "4 tickets (batched)" in capsys.readouterr().out
    rows = sorted(p.name for p in (tmp_path / "run" / "tickets").glob("*.json"))
    assert rows == ["init_imp_iter_000.json", "init_imp_iter_002.json", "init_rand_iter_000.json",
                    "init_rand_iter_002.json"]
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "run" / "tickets").glob("*.npz")}
    assert main(["tickets", *common]) == 0  # finished: read back, nothing rewritten
    assert before == {p.name: p.stat().st_mtime_ns for p in (tmp_path / "run" / "tickets").glob("*.npz")}


@pytest.mark.parametrize("command, out, reason", [
    ("pretrain", "a-file/run", "Not a directory"),
    ("pretrain", "a-file", "it is a file, not a directory"),
    ("reference", "a-file/ref.json", "it is a file, not a directory"),
    ("reference", ".", "is a directory; give a file name"),
    ("reference-state", "a-file/sub/state.npz", "Not a directory"),
])
def test_unwritable_out_is_refused_before_any_work(tmp_path, capsys, monkeypatch, command, out, reason):
    """An --out that cannot be written stops the command up front (exit 2), not after the work."""
    import sparse_nqs.physics.reference
    import sparse_nqs.pruning.experiment

    def started(*args, **kwargs):
        raise AssertionError("work started although --out cannot be written")

    monkeypatch.setattr(sparse_nqs.physics.reference, "compute_reference", started)
    monkeypatch.setattr(sparse_nqs.pruning.experiment, "pretrain", started)
    (tmp_path / "a-file").write_text("not a directory\n")
    config = tmp_path / "config.yaml"
    config.write_text("runs:\n  tiny: {model: {L: 2}, network: {kind: ffnn, alpha: 1}}\n")
    before = sorted(tmp_path.rglob("*"))
    target = str(tmp_path / out)
    args = {"pretrain": ["pretrain", "--config", str(config), "--run", "tiny", "--out", target],
            "reference": ["reference", "--model", "tfim", "--L", "2", "--out", target],
            "reference-state": ["reference", "--model", "tfim", "--L", "2", "--out", str(tmp_path / "ref.json"),
                                "--state-out", target]}[command]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("sparse-nqs: error: --") and err.count("\n") == 1 and reason in err
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, no probe left behind


def test_every_subcommand_is_dispatched_through_the_table():
    import argparse

    from sparse_nqs.cli import COMMANDS, build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subparsers.choices) == set(COMMANDS)


def test_every_expected_error_derives_from_the_one_base_and_keeps_its_builtin_base():
    """The command line catches SparseNQSError alone; user code catching ValueError/RuntimeError still works."""
    from sparse_nqs.config.check import ConfigError
    from sparse_nqs.errors import SparseNQSError
    from sparse_nqs.networks import NetworkConfigError
    from sparse_nqs.physics.dmrg import DMRGSettingsError, DMRGUnsupportedError, JuliaUnavailableError
    from sparse_nqs.physics.exact import EDTooLargeError
    from sparse_nqs.physics.models import ModelError
    from sparse_nqs.physics.reference import ReferenceMismatchError, ReferenceRequestError
    from sparse_nqs.pruning.experiment import ExperimentError
    from sparse_nqs.pruning.schedule import PruningScheduleError
    from sparse_nqs.vmc.training import TrainingDivergedError

    bad_input = (ConfigError, DMRGSettingsError, DMRGUnsupportedError, EDTooLargeError, ModelError,
                 NetworkConfigError, PruningScheduleError, ReferenceMismatchError, ReferenceRequestError)
    failed_run = (ExperimentError, JuliaUnavailableError, TrainingDivergedError)
    assert all(issubclass(e, SparseNQSError) and issubclass(e, ValueError) for e in bad_input)
    assert all(issubclass(e, SparseNQSError) and issubclass(e, RuntimeError) for e in failed_run)


def test_the_published_directory_may_follow_the_configs(tmp_path):
    """`sparse-nqs replot --config X published/paper-subset` (the order --help's usage line suggests):
    the directory after --config's files is the published directory; none at all is a usage error."""
    from sparse_nqs.cli import UsageError, build_parser, published_after_configs

    parser = build_parser()
    args = published_after_configs(parser, parser.parse_args(["replot", "--config", "a.yaml", str(tmp_path)]))
    assert args.published == str(tmp_path) and args.config == ["a.yaml"]
    args = published_after_configs(parser, parser.parse_args(["restore", str(tmp_path), "--config", "a.yaml", "b.yaml"]))
    assert args.published == str(tmp_path) and args.config == ["a.yaml", "b.yaml"]
    with pytest.raises(UsageError, match="needs the published directory"):
        published_after_configs(parser, parser.parse_args(["replot", "--config", "a.yaml", "b.yaml"]))


def test_replot_refuses_to_draw_into_a_publication(tmp_path, capsys):
    """Drawing into a publication would break its checksums: replot --out a published directory stops
    before anything is read or written."""
    target = tmp_path / "pub"
    target.mkdir()
    (target / "MANIFEST.json").write_text("{}")
    code = main(["replot", "published/paper-subset", "--config", "published/paper-subset/config/paper-subset.yaml",
                 "--out", str(target)])
    assert code == 2 and sorted(p.name for p in target.iterdir()) == ["MANIFEST.json"]
    assert "is a publication" in capsys.readouterr().err


def test_version_and_help_name_the_program(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.strip() == f"sparse-nqs {version('sparse-nqs')}"
    beside = subprocess.run([sys.executable, "-m", "sparse_nqs.claims.beside", "--help"], capture_output=True, text=True)
    assert beside.stdout.startswith("usage: python -m sparse_nqs.claims.beside")
