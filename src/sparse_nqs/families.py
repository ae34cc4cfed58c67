"""The two experiment families and their runs, chosen by a run's resolved settings.

* ``vmc`` - networks trained by VMC on a Hamiltonian's energy (the paper; :class:`sparse_nqs.vmc.run.VMCRun`),
  the runs of a config's ``runs`` section;
* ``rbm`` - RBMs trained by contrastive divergence on measurement data (Golubeva and Melko 2022;
  :class:`sparse_nqs.rbm.run.RBMRun`), the runs of its ``rbm.runs`` section.

Both are runs of the one pruning engine (:mod:`sparse_nqs.pruning.experiment`); only this module
knows which class a run's settings belong to.
"""

from __future__ import annotations

from pathlib import Path

FAMILIES = ("vmc", "rbm")


def family_of(settings: dict) -> str:
    """``rbm`` for the resolved settings of an RBM run (they carry ``family``), else ``vmc``."""
    return settings.get("family", "vmc")


def make_run(settings: dict, directory, **options):
    """The engine's run of resolved ``settings`` with its files under ``directory``; ``options`` of
    an RBM run: ``data`` (its samples file)."""
    if family_of(settings) == "rbm":
        from .rbm.run import RBMRun

        return RBMRun(settings, Path(directory), **options)
    from .vmc.run import VMCRun

    return VMCRun(settings, Path(directory))


def phase_settings(settings: dict, phase: str, method: str | None = None, variant: str | None = None) -> dict:
    """The settings one phase of a run depends on (rule params; see ``Run.phase_settings``),
    without building its model."""
    if family_of(settings) == "rbm":
        from .rbm.run import rbm_phase_settings

        return rbm_phase_settings(settings, phase, method, variant)
    from .vmc.run import vmc_phase_settings

    return vmc_phase_settings(settings, phase, method, variant)
