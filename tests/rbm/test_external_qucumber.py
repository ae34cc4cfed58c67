"""The QuCumber path shipped with the package (scripts/qucumber_imp_ct.py, run in QuCumber's own
environment): found for the run whose data and schedule made it and for no other, its rounds on
the pipeline's count rule, and its KL and fidelity what our exact metrics give for the RBMs it
stored (so the numbers QuCumber reported are the numbers of those RBMs, in our conventions)."""

import copy
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sparse_nqs.config.check import load_config
from sparse_nqs.external import qucumber_path, qucumber_paths, schedule_of
from sparse_nqs.plan import Plan
from sparse_nqs.pruning.schedule import remaining_weight_sequence
from sparse_nqs.rbm.metrics import fidelity, kl_divergence
from sparse_nqs.rbm.model import log_probabilities

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "published" / "paper-subset"
DATA = "tfim_chain_N18_k1_open_n100000_s0"


@pytest.fixture(scope="module")
def subset():
    plan = Plan.from_config(load_config(ROOT / "workflow" / "presets" / "paper-subset.yaml"))
    record = json.loads((PUBLISHED / "data" / f"{DATA}.json").read_text())
    return plan, record


def test_the_schedule_of_a_run_is_what_the_script_is_given(subset):
    plan, record = subset
    assert schedule_of(plan.rbm_runs["rbm_n18_h1"], record) == {
        "N": 18, "n_hidden": 9, "p_r": 0.1, "iterations": 18, "pretrain_epochs": 500, "epochs_per_iteration": 100,
        "k": 10, "lr": 0.01, "batch_size": 100, "samples_sha256": record["samples_sha256"]}
    persistent = copy.deepcopy(plan.rbm_runs["rbm_n18_h1"])
    persistent["cd"]["persistent"] = True
    rewound = copy.deepcopy(plan.rbm_runs["rbm_n18_h1"])
    rewound["pruning"]["methods"] = ["imp_wr"]
    assert schedule_of(persistent, record) is None and schedule_of(rewound, record) is None
    assert schedule_of(plan.rbm_runs["rbm_n18_h1"], None) is None


def test_a_path_is_found_only_for_the_data_and_schedule_that_made_it(subset, tmp_path):
    plan, record = subset
    settings = plan.rbm_runs["rbm_n18_h1"]
    made = tmp_path / "qucumber_example"
    made.mkdir()
    pd.DataFrame({"iteration": [-1], "n": [162], "pruned": [0.0], "kl_exact": [0.01]}).to_csv(made / "imp_ct.csv")
    (made / "record.json").write_text(json.dumps({"settings": {**schedule_of(settings, record), "seed": 0,
                                                               "data": "anywhere.npz", "hidden_ratio": 0.5}}))
    found = qucumber_path(settings, record, tmp_path)
    assert found is not None and found.directory == made and not found.finished
    other = copy.deepcopy(settings)
    other["pruning"]["p_r"] = 0.2
    assert qucumber_path(other, record, tmp_path) is None
    assert qucumber_path(settings, {**record, "samples_sha256": "0" * 64}, tmp_path) is None
    assert qucumber_path(plan.rbm_runs["rbm_n18_h2"], json.loads(
        (PUBLISHED / "data" / "tfim_chain_N18_k2_open_n100000_s0.json").read_text()), tmp_path) is None


def shipped():
    paths = [p for p in qucumber_paths() if p.directory.name == "qucumber_rbm_n18_h1_imp_ct"]
    return paths[0] if paths else None


def test_the_shipped_path_is_rbm_n18_h1s_and_its_numbers_are_those_of_its_rbms(subset):
    plan, record = subset
    path = shipped()
    assert path is not None, "sparse_nqs/external/qucumber_rbm_n18_h1_imp_ct is not shipped with the package"
    script = ROOT / "scripts" / "qucumber_imp_ct.py"  # the script in the repository made these numbers
    assert path.record["script_sha256"] == hashlib.sha256(script.read_bytes()).hexdigest(), (
        "scripts/qucumber_imp_ct.py changed since it made the shipped path: run it again (its docstring)")
    assert qucumber_path(plan.rbm_runs["rbm_n18_h1"], record).directory == path.directory and path.finished
    table = path.table
    assert table["n"].tolist() == remaining_weight_sequence(162, 0.1, 18)
    assert np.allclose(table["pruned"], 1 - table["n"] / 162, rtol=0, atol=1e-15)
    target = np.load(PUBLISHED / "data" / f"{DATA}.npz")["target"]
    with np.load(path.directory / "states.npz") as states:
        for k, row in enumerate(table.itertuples()):
            mask = states[f"mask_{k}"]
            kernel = states[f"kernel_{k}"]
            assert mask.shape == (18, 9) and int(mask.sum()) == row.n
            assert np.all(kernel[mask == 0] == 0)  # the mask held through every update
            if k:
                assert np.all(states[f"mask_{k - 1}"] >= mask)  # masks only shrink
            variables = {"params": {"kernel": kernel, "visible_bias": states[f"visible_bias_{k}"],
                                    "hidden_bias": states[f"hidden_bias_{k}"]}, "masks": {"kernel": mask}}
            log_p = log_probabilities(variables, 18)
            # QuCumber's KL and fidelity (its own code, in float64) against ours on the same RBM
            assert kl_divergence(target, log_p) == pytest.approx(row.kl_exact, rel=1e-9, abs=1e-12)
            assert fidelity(target, log_p) == pytest.approx(row.fidelity, rel=1e-9, abs=1e-12)


def test_the_error_figure_draws_the_qucumber_path_beside_the_run_dashed_and_labelled(subset, monkeypatch):
    """rbm_fig2's KL / 1 - F panel: our path and, where the package ships the same path trained by
    QuCumber, that path in the same colours, dashed, hollow and labelled as QuCumber's."""
    from sparse_nqs.external import QUCUMBER_LABEL, ExternalPath
    from sparse_nqs.figures.rbm import RBMTables, draw_fig2

    plan, record = subset
    settings = {"rbm_n18_h1": plan.rbm_runs["rbm_n18_h1"]}
    n = np.array(remaining_weight_sequence(162, 0.1, 18))
    ours = pd.DataFrame({"run": "rbm_n18_h1", "method": "imp_ct", "iteration": np.arange(-1, 18), "n": n,
                         "pruned": 1 - n / 162, "kl_exact": np.linspace(0.01, 1, 19),
                         "infidelity": np.linspace(0.005, 0.5, 19)})
    theirs = ours[["iteration", "n", "pruned"]].assign(kl_exact=np.linspace(0.02, 2, 19),
                                                       infidelity=np.linspace(0.01, 0.9, 19))
    external = ExternalPath(Path("qucumber_x"), theirs, {"settings": {"iterations": 18}})
    tables = RBMTables(Path("."), settings, histories=ours, data={"rbm_n18_h1": record})
    monkeypatch.setattr(RBMTables, "qucumber", lambda self, run: external)
    figure = draw_fig2(tables, {"runs": ["rbm_n18_h1"]})
    lines = {line.get_label(): line for line in figure.axes[0].lines}
    for column in ("KL(|Ψ|² ‖ p)", "1 − F"):
        dashed = lines[f"{column}, {QUCUMBER_LABEL}"]
        assert dashed.get_linestyle() == "--" and dashed.get_color() == lines[column].get_color()
    assert np.allclose(lines[f"KL(|Ψ|² ‖ p), {QUCUMBER_LABEL}"].get_ydata(), theirs["kl_exact"])
    monkeypatch.setattr(RBMTables, "qucumber", lambda self, run: None)
    figure = draw_fig2(tables, {"runs": ["rbm_n18_h1"]})
    assert not [line for line in figure.axes[0].lines if QUCUMBER_LABEL in line.get_label()]
