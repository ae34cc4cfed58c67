"""Every file the pipeline writes, named once.

Paths are relative: to the results directory (``results/`` in the workflow) for the top level, and to
one run's directory (``results/runs/<run>/``, or ``--out`` of the command line) for a run's files. The
workflow rules build their patterns from these functions with Snakemake wildcards as arguments
(``history("{method}")``), so a name changed here changes everywhere.
"""

from __future__ import annotations

# ----------------------------------------------------------------------------- results directory
CLAIMS = "claims.csv"
CLAIMS_RST = "claims.rst"
CONSTRUCTION = "tables/fig7_construction.csv"
RBM_TABLE1 = "tables/rbm_table1.csv"


def reference(system: str) -> str:
    """The reference record of a physical system (e.g. ``tfim_L4_k3.04438_open``)."""
    return f"references/{system}.json"


def data(system: str, suffix: str = ".npz") -> str:
    """Measurement data of a system (RBM family): ``.npz`` the samples (and the exact |psi|^2 up to 20
    spins), ``.json`` the record (how they were made, the energy, their statistics)."""
    return f"data/{system}{suffix}"


def run_directory(run: str) -> str:
    return f"runs/{run}"


def in_run(run: str, name: str) -> str:
    """A run's file (one of the names below) relative to the results directory."""
    return f"{run_directory(run)}/{name}"


def figure(fig: str, suffix: str = ".pdf") -> str:
    return f"figures/{fig}{suffix}"


def bundle(commit: str) -> str:
    """The publishable archive of the results made at ``commit`` (see :mod:`sparse_nqs.bundle`)."""
    return f"bundle/sparse-nqs-{commit[:12]}{'-dirty' if commit.endswith('-dirty') else ''}.tar.gz"


# ----------------------------------------------------------------------------- one run's directory
THETA_INIT = "pretrain/theta_init.npz"   # untrained weights, all-ones masks
THETA_WR = "pretrain/theta_wr.npz"       # the rewinding point, after j pre-training steps
PRETRAIN_PARTIAL = "pretrain/partial.npz"  # pre-training in progress (resume)
PRETRAIN_LOG = "pretrain/log.csv"
DENSE_ROW = "pretrain/dense.json"        # evaluation of the dense network
FILTERS = "imp_wr/filters.csv"           # toric code: odd-parity filter coverage per iteration
WEIGHTS = "imp_wr/weights.csv"           # toric code: weights of chosen neurons (Fig. 4(d))


def history(method: str) -> str:
    """Dense row and one row per pruning round of ``method``."""
    return f"{method}/history.csv"


def log(method: str) -> str:
    """Every training step of pre-training and all rounds of ``method``."""
    return f"{method}/log.csv"


def fidelity(method: str) -> str:
    return f"{method}/fidelity.csv"


def evaluation(name: str) -> str:
    """The stored evaluation row of one state of a run (``dense``, ``imp_wr_iter_003``,
    ``ticket_init_imp_iter_003``), with the checkpoint and evaluation it was made from; not a workflow
    output: it is what an interrupted or repeated evaluation reads back instead of recomputing."""
    return f"evaluation/{name}.json"


def round_checkpoint(method: str, iteration: int) -> str:
    """After round ``iteration`` (iteration + 1 pruning rounds); not a workflow output (see training.smk)."""
    return f"{method}/iter_{iteration:03d}.npz"


def ticket(variant: str, iteration, suffix: str) -> str:
    """A ticket's file: ``suffix`` .npz (checkpoint), .json (evaluation row), _log.csv, .partial.npz.
    ``iteration`` is an int, or a Snakemake wildcard such as ``"{iteration}"``."""
    number = f"{iteration:03d}" if isinstance(iteration, int) else iteration
    return f"tickets/{variant}_iter_{number}{suffix}"
