"""Numbers made outside this pipeline that its figures and tables set beside its own, shipped with
the package as plain tables with the record of how they were made.

* ``qucumber_<run>_<method>/``: an RBM pruning path trained by QuCumber, the library the source
  of the RBM study trained with (``scripts/qucumber_imp_ct.py``, run in QuCumber's own
  environment): ``imp_ct.csv`` (one row per round: n, pruned, kl_exact, fidelity, infidelity),
  ``states.npz`` (each round's RBM) and ``record.json`` (command, settings, versions, SHA-256s).
  :func:`qucumber_path` finds the one made with a run's data set and schedule; the RBM error
  figure draws it beside the run and ``claims.beside`` sets its damage point beside ours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
QUCUMBER_PREFIX = "qucumber_"
QUCUMBER_TABLE = "imp_ct.csv"
QUCUMBER_LABEL = "QuCumber, same data and schedule"


@dataclass(frozen=True)
class ExternalPath:
    """A pruning path made outside the pipeline: its rows (``pruned``, metrics) and its record."""

    directory: Path
    table: pd.DataFrame
    record: dict

    @property
    def settings(self) -> dict:
        return self.record["settings"]

    @property
    def finished(self) -> bool:
        """Every round of its schedule is in the table (the dense row and ``iterations`` rounds)."""
        return len(self.table) == int(self.settings["iterations"]) + 1


def qucumber_paths(root: Path | None = None) -> list[ExternalPath]:
    """Every QuCumber path shipped under ``root`` (default: the package's; those with a table and a
    record)."""
    out = []
    for directory in sorted(Path(root or HERE).glob(f"{QUCUMBER_PREFIX}*")):
        table, record = directory / QUCUMBER_TABLE, directory / "record.json"
        if table.is_file() and record.is_file():
            out.append(ExternalPath(directory, pd.read_csv(table), json.loads(record.read_text())))
    return out


def schedule_of(settings: dict, data_record: dict | None) -> dict | None:
    """The settings of ``scripts/qucumber_imp_ct.py`` that would train an RBM run's first pruning
    method (``settings``: the run's resolved settings; ``data_record``: its data set's record)
    the same way, or None where that script cannot (not IMP-CT, PCD, a first-round rate, no data
    record)."""
    from ..rbm.run import n_hidden

    p, cd = settings["pruning"], settings["cd"]
    if not p["methods"] or p["methods"][0] != "imp_ct" or cd["persistent"] or p.get("first_p_r") is not None \
            or not data_record or "samples_sha256" not in data_record:
        return None
    return {"N": int(settings["model"]["N"]), "n_hidden": int(n_hidden(settings)), "p_r": float(p["p_r"]),
            "iterations": int(p["iterations"]), "pretrain_epochs": int(p["pretrain_steps"]),
            "epochs_per_iteration": int(p["steps_per_iteration"]), "k": int(cd["k"]),
            "lr": float(cd["learning_rate"]), "batch_size": int(cd["batch_size"]),
            "samples_sha256": data_record["samples_sha256"]}


def qucumber_path(settings: dict, data_record: dict | None, root: Path | None = None) -> ExternalPath | None:
    """The shipped QuCumber path made with the data set and schedule of an RBM run, if any."""
    wanted = schedule_of(settings, data_record)
    if wanted is None:
        return None
    for path in qucumber_paths(root):
        theirs = path.settings
        if all(theirs.get(k) == v if not isinstance(v, float) else abs(float(theirs.get(k, "nan")) - v) < 1e-12
               for k, v in wanted.items()):
            return path
    return None


__all__ = ["ExternalPath", "QUCUMBER_LABEL", "qucumber_path", "qucumber_paths", "schedule_of"]
