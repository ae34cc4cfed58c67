"""Reference records belong to one system: their file names never collide, and a record of another
system (size, boundary, field) is refused before any work, by the library and the command line."""

import json

import pytest
import yaml

from sparse_nqs.cli import main
from sparse_nqs.physics.models import TFIM, ToricCode
from sparse_nqs.physics.reference import ReferenceMismatchError, check_record, compute_reference
from sparse_nqs.plan import system_id


def test_system_labels_keep_todays_names_and_never_collide():
    tfim = {"name": "tfim", "L": 4, "boundary": "open"}
    assert system_id({**tfim, "kappa": 3.04438}) == "tfim_L4_k3.04438_open"
    assert system_id({**tfim, "kappa": 1}) == system_id({**tfim, "kappa": 1.0}) == "tfim_L4_k1_open"
    fields = [0.5, 0.50000049, 0.5000004900000001, 3.04438, 3.044380000001, 1e-7, 1.00000001e-7]
    labels = [system_id({**tfim, "kappa": k}) for k in fields]
    assert len(set(labels)) == len(fields), labels
    assert system_id({"name": "toric", "L": 3, "kappa": None, "boundary": "periodic"}) == "toric_L3"


def test_check_record_names_what_differs():
    record = compute_reference(TFIM(2))[0]
    assert check_record(record, TFIM(2)) is record
    with pytest.raises(ReferenceMismatchError, match=r"L = 2 \(the run has 3\)"):
        check_record(record, TFIM(3))
    with pytest.raises(ReferenceMismatchError, match="boundary"):
        check_record(record, TFIM(2, boundary="periodic"))
    with pytest.raises(ReferenceMismatchError, match="kappa"):
        check_record(record, TFIM(2, kappa=record["kappa"] + 4.9e-7))
    with pytest.raises(ReferenceMismatchError, match="model"):
        check_record(record, ToricCode(2))
    with pytest.raises(ReferenceMismatchError, match="not a reference record"):
        check_record({"L": 2}, TFIM(2))


def test_cli_refuses_a_record_of_another_system(tmp_path, capsys):
    """An L = 2 record given to a 3x3 run: exit status 2, a message naming L, nothing trained."""
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"runs": {"small": {"model": {"L": 3}, "network": {"kind": "ffnn", "alpha": 1},
                                                         "pruning": {"pretrain_steps": 10, "iterations": 2}}}}))
    record = tmp_path / "L2.json"
    assert main(["reference", "--model", "tfim", "--L", "2", "--out", str(record)]) == 0
    out = tmp_path / "run"
    status = main(["prune", "--config", str(config), "--run", "small", "--method", "imp_wr",
                   "--reference", str(record), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and "another system" in err and "L = 2 (the run has 3)" in err
    assert not list(out.rglob("*.npz"))
    assert json.loads(record.read_text())["L"] == 2
