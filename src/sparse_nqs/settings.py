"""Typed settings of a run and of the workflow, with every default and its meaning in one place.

A config file (``config.yaml``, docs/configuration.md) gives overrides of these defaults; the JSON
schema ``config/schema.yaml`` checks its keys and types, and :mod:`sparse_nqs.config` merges it over
the defaults here. Each dataclass is one section of the config; the field order is the order in
which the pipeline writes the section (rule params, fingerprints), so append new fields at the end.

The defaults are the paper's settings for a 4x4 TFIM FFNN (docs/science.md, "Hyperparameters").
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass
from typing import Any

from .names import KAPPA_C, PROPOSALS


def _opt(default, help: str):
    """A field with its default and a one-line meaning (what ``sparse-nqs info`` and the docs show)."""
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help})
    return field(default=default, metadata={"help": help})


# ============================================================================================
# one run
# ============================================================================================
@dataclass(frozen=True)
class ModelSettings:
    name: str = _opt("tfim", "tfim (2D transverse-field Ising) or toric (Kitaev's toric code)")
    L: int = _opt(4, "linear lattice size (N = L^2 TFIM spins, 2 L^2 toric-code edge spins)")
    kappa: float | None = _opt(KAPPA_C, "transverse field of the TFIM (null for the toric code)")
    boundary: str = _opt("open", "TFIM boundaries: open or periodic (the toric code is periodic)")


@dataclass(frozen=True)
class FFNNSettings:
    alpha: float = _opt(1.0, "hidden-unit density: alpha N hidden units")
    init_std: float = _opt(0.1, "standard deviation of the normal initial weights (the paper's text: 0.1)")


@dataclass(frozen=True)
class CNNSettings:
    n_filters: int = _opt(4, "filters of the single 3x3 convolution")
    padding: str = _opt("valid", "valid, same or circular")
    init_scheme: str = _opt("lecun", "lecun or he initialisation")


@dataclass(frozen=True)
class ResCNNSettings:
    n_filters: int = _opt(16, "filters per convolution")
    n_blocks: int = _opt(4, "residual blocks")
    padding: str = _opt("same", "valid, same or circular")
    init_scheme: str = _opt("lecun", "lecun or he initialisation")


#: the options of each network kind (``network: {kind: ..., <options>}``)
NETWORK_SETTINGS = {"ffnn": FFNNSettings, "cnn": CNNSettings, "rescnn": ResCNNSettings}


@dataclass(frozen=True)
class SamplingSettings:
    n_samples: int = _opt(1024, "Monte Carlo samples per training step (all chains together)")
    n_chains: int = _opt(16, "parallel Markov chains")
    n_discard_sweeps: int = _opt(5, "sweeps discarded per chain after each parameter update")
    proposal: str = _opt("auto", "local (single flips), local+star (toric code), auto: by model")

    def __post_init__(self):
        if self.proposal not in PROPOSALS:
            raise ValueError(f"sampling.proposal must be one of {', '.join(PROPOSALS)}, got {self.proposal!r}")
        if self.n_samples < self.n_chains or self.n_samples % self.n_chains:
            raise ValueError("sampling.n_samples must be a positive multiple of sampling.n_chains")


@dataclass(frozen=True)
class OptimizerSettings:
    learning_rate: float = _opt(8.0e-3, "SR learning rate (step size of plain gradient descent on SR's direction)")
    diag_shift: float = _opt(1.0e-4, "SR diagonal shift lambda added to the quantum geometric tensor")


@dataclass(frozen=True)
class PruningSettings:
    methods: list = _opt(["imp_wr"], "pruning methods of this run: imp_wr, imp_ct, irp_wr")
    p_r: float = _opt(0.12, "fraction of the remaining prunable weights removed per iteration")
    iterations: int = _opt(10, "pruning iterations")
    pretrain_steps: int = _opt(10000, "dense pre-training steps j; theta_wr is the state after them")
    steps_per_iteration: int = _opt(1000, "training steps k after each pruning")
    checkpoint_every: int = _opt(1000, "steps between checkpoints of long phases (resume after a kill)")


@dataclass(frozen=True)
class TicketSettings:
    iterations: list | None = _opt(None, "IMP-WR iterations whose masks become tickets (null: every `every`-th)")
    every: int = _opt(3, "ticket every this many iterations from 0, when `iterations` is null")
    steps: int | None = _opt(None, "training steps of a ticket (null: pretrain_steps)")
    variants: list = _opt([], "init_imp, rand_imp, init_rand (empty: no tickets)")
    batch: Any = _opt("auto", "train a run's tickets as one vectorised job: true, false, auto (FFNN on GPU)")


@dataclass(frozen=True)
class EvaluationSettings:
    n_samples: int = _opt(4096, "samples of the final energy, variance and magnetisations of a state")
    fidelity_samples: int = _opt(2048, "samples per state of the Monte Carlo fidelity")
    exact_memory_mb: float = _opt(2048, "exact values by full summation where the 2^N amplitudes fit this "
                                  "many MB (3 vectors of 2^N float64: 2048 covers N <= 26); 0: Monte Carlo only")


@dataclass(frozen=True)
class SeedSettings:
    init: int = _opt(0, "initial parameters theta_init")
    sampler: int = _opt(1, "Markov chains")
    mask: int = _opt(2, "random masks (IRP-WR, T(theta_init, m_rand))")
    ticket_init: int = _opt(3, "fresh initial parameters theta_rand of T(theta_rand, m_imp)")


@dataclass(frozen=True)
class RunSettings:
    """Everything that determines one run (``defaults`` and ``runs.<name>`` of a config)."""

    model: ModelSettings = field(default_factory=ModelSettings)
    network: dict = field(default_factory=lambda: {"kind": "ffnn"})  # kind + that kind's options
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    optimizer: OptimizerSettings = field(default_factory=OptimizerSettings)
    pruning: PruningSettings = field(default_factory=PruningSettings)
    tickets: TicketSettings = field(default_factory=TicketSettings)
    evaluation: EvaluationSettings = field(default_factory=EvaluationSettings)
    seeds: SeedSettings = field(default_factory=SeedSettings)

    @classmethod
    def from_dict(cls, settings: dict) -> "RunSettings":
        """Typed view of resolved run settings (``sparse_nqs.config.resolve_run``)."""
        sections = {}
        for f in fields(cls):
            value = settings[f.name]
            # each section's class is the type of its default (the network section stays a dict)
            sections[f.name] = dict(value) if f.name == "network" else type(f.default_factory())(**value)
        return cls(**sections)

    def network_options(self):
        """The network section as its kind's typed settings."""
        options = {k: v for k, v in self.network.items() if k != "kind"}
        return NETWORK_SETTINGS[self.network["kind"]](**options)


# ============================================================================================
# one run of the RBM family (``rbm.defaults`` and ``rbm.runs.<name>``; docs/rbm.md)
# ============================================================================================
@dataclass(frozen=True)
class ChainSettings:
    N: int = _opt(18, "spins of the open TFIM chain (visible units)")
    h: float = _opt(1.0, "transverse field (1: critical point, 2: paramagnet)")


@dataclass(frozen=True)
class RBMNetworkSettings:
    hidden_ratio: float = _opt(0.5, "hidden units per visible unit: N_h = round(hidden_ratio N) (source: N/2)")


@dataclass(frozen=True)
class CDTrainingSettings:
    # the source reports no hyperparameters: these are QuCumber's tutorial values (the thesis' too)
    learning_rate: float = _opt(0.01, "SGD learning rate (QuCumber tutorial)")
    batch_size: int = _opt(100, "positive and negative batch size (QuCumber tutorial)")
    k: int = _opt(10, "Gibbs steps of CD-k (QuCumber tutorial)")
    persistent: bool = _opt(False, "persistent CD: negative chains carry on from the previous batch")


@dataclass(frozen=True)
class RBMPruningSettings:
    methods: list = _opt(["imp_ct"], "pruning methods: imp_ct (the source: fine-tuning), imp_wr, irp_wr")
    p_r: float = _opt(0.1, "fraction of the remaining weights removed per iteration (source: 10%)")
    first_p_r: float | None = _opt(None, "a different fraction for the first iteration (the thesis: 0.4, then p_r 0.05)")
    iterations: int = _opt(18, "pruning iterations (source: 18)")
    pretrain_steps: int = _opt(500, "epochs of dense training (source: metrics equilibrate within 500)")
    steps_per_iteration: int = _opt(100, "epochs of training after each pruning (not reported by the source)")
    checkpoint_every: int = _opt(50, "epochs between checkpoints of long phases (resume after a kill)")


@dataclass(frozen=True)
class RBMTicketSettings:
    iterations: list | None = _opt([4], "pruning iterations whose masks become sparse RBMs (source: 4, 59% left)")
    every: int = _opt(3, "every this many iterations from 0, when `iterations` is null")
    steps: int | None = _opt(None, "epochs of a sparse RBM's training (null: pretrain_steps)")
    variants: list = _opt([], "init_imp (sp/ss), rand_imp (sp/os), cluster (sc), init_rand (random mask)")
    mask_method: str = _opt("imp_ct", "the pruning path whose masks become tickets (source: imp_ct)")
    batch: bool = _opt(False, "unused by the RBM family (kept for the engine)")


@dataclass(frozen=True)
class RBMEvaluationSettings:
    n_samples: int = _opt(100000, "block-Gibbs samples of an evaluation (source: 1e5)")
    n_chains: int = _opt(1000, "parallel Gibbs chains of an evaluation")
    burn_in: int = _opt(200, "Gibbs steps discarded per chain")
    thin: int = _opt(5, "Gibbs steps between two samples of a chain")
    log_every: int = _opt(25, "epochs between two rows of the training log")
    log_samples: int = _opt(10000, "samples of the sampled metrics in the training log")
    exact: Any = _opt("auto", "exact KL and fidelity by enumeration: true, false, auto (N <= 20)")


@dataclass(frozen=True)
class RBMDataSettings:
    n_samples: int = _opt(100000, "Z-basis samples of the ground state (source: 1e5)")
    seed: int = _opt(0, "seed of the samples (exact or MPS sampling)")


@dataclass(frozen=True)
class RBMRunSettings:
    """Everything that determines one RBM run (``rbm.defaults`` and ``rbm.runs.<name>``)."""

    model: ChainSettings = field(default_factory=ChainSettings)
    rbm: RBMNetworkSettings = field(default_factory=RBMNetworkSettings)
    cd: CDTrainingSettings = field(default_factory=CDTrainingSettings)
    pruning: RBMPruningSettings = field(default_factory=RBMPruningSettings)
    tickets: RBMTicketSettings = field(default_factory=RBMTicketSettings)
    evaluation: RBMEvaluationSettings = field(default_factory=RBMEvaluationSettings)
    seeds: SeedSettings = field(default_factory=SeedSettings)

    @classmethod
    def from_dict(cls, settings: dict) -> "RBMRunSettings":
        return cls(**{f.name: type(f.default_factory())(**settings[f.name]) for f in fields(cls)})


# ============================================================================================
# the workflow (top-level sections of a config besides the runs)
# ============================================================================================
@dataclass(frozen=True)
class ReferenceSettings:
    method: str = _opt("auto", "auto (ED up to 20 spins, else DMRG or the closed form), ed, dmrg, analytic")
    dmrg_backend: str = _opt("tenpy", "tenpy (embedded) or itensors (Julia, through juliacall)")
    dmrg_sweeps: int | None = _opt(None, "DMRG sweeps (null: the paper's schedule)")
    dmrg_maxdims: list | None = _opt(None, "bond dimension per sweep (null: the paper's 10 ... 3000)")
    dmrg_cutoff: float | None = _opt(None, "singular-value cutoff (null: the backend's paper default)")
    dmrg_systems: dict = _opt({}, "per system (its name under results/references/ or results/data/): "
                                  "dmrg_sweeps, dmrg_maxdims, dmrg_cutoff in place of the common ones")


@dataclass(frozen=True)
class FigureReferenceSettings:
    kind: str = _opt("record", "record (the system's ED/DMRG record) or nqs (best dense NQS runs)")
    runs: list = _opt([], "kind nqs: the dense runs the reference is taken from")
    n_best: int = _opt(3, "kind nqs: how many lowest-variance dense runs")
    combine: str = _opt("mean", "kind nqs: mean or min of their energies")
    kappa_c_field: float | None = _opt(None, "kind record: the field whose ground state is the reference of "
                                             "the runs at kappa_c (null: their own field; the authors' code "
                                             "used 3.04483, kappa_c with two digits transposed)")


@dataclass(frozen=True)
class FigureSettings:
    runs: list = _opt([], "runs drawn in the figure")
    reference: FigureReferenceSettings = field(default_factory=FigureReferenceSettings)
    weights_run: str | None = _opt(None, "Fig. 4(d): the toric-code run whose neurons are drawn")
    weights_iteration: int | None = _opt(None, "Fig. 4(d): its IMP-WR iteration (null: most odd-parity neurons)")
    n_neurons: int = _opt(6, "Fig. 4(d): neurons drawn")
    L: list = _opt([2, 3], "Fig. 7: lattice sizes of the odd-parity construction")
    W: list = _opt([0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0], "Fig. 7: filter weights W")
    caption: str = _opt("", "text appended to the report caption")


@dataclass(frozen=True)
class PlottingSettings:
    dpi: int = _opt(200, "resolution of the PNG files")
    context: str = _opt("paper", "seaborn context: paper, notebook, talk, poster")
    palette: str = _opt("colorblind", "seaborn palette of the per-run colours")


@dataclass(frozen=True)
class ResourceSettings:
    gpu: float = _opt(0, "GPUs per job (0 on a laptop)")
    mem_mb: int = _opt(4000, "memory per job in MB")
    runtime: int = _opt(120, "wall time per job in minutes")
    threads: int = _opt(1, "threads per job")


#: the resources of each kind of job (``resources.<kind>``)
RESOURCE_KINDS = {
    "reference": ResourceSettings(runtime=60),
    "train": ResourceSettings(),
    "analysis": ResourceSettings(runtime=60),
    "plot": ResourceSettings(mem_mb=2000, runtime=10),
}


# ============================================================================================
# the defaults as plain dictionaries (what a config is merged over)
# ============================================================================================
#: run settings (``defaults`` and ``runs.<name>``)
DEFAULTS = asdict(RunSettings())
#: RBM run settings (``rbm.defaults`` and ``rbm.runs.<name>``) and the data (``rbm.data``)
RBM_DEFAULTS = asdict(RBMRunSettings())
RBM_DATA_DEFAULTS = asdict(RBMDataSettings())
#: options of each network kind
NETWORK_DEFAULTS = {kind: asdict(cls()) for kind, cls in NETWORK_SETTINGS.items()}
REFERENCE_DEFAULTS = asdict(ReferenceSettings())
PLOTTING_DEFAULTS = asdict(PlottingSettings())
FIGURE_DEFAULTS = asdict(FigureSettings())
RESOURCE_DEFAULTS = {kind: asdict(r) for kind, r in RESOURCE_KINDS.items()}


def default_of(f) -> Any:
    if f.default is not MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not MISSING else None


#: the sections of a config, in the order docs/configuration.md lists them
SECTIONS = [("defaults / runs.<name>: model", ModelSettings), ("network, kind ffnn", FFNNSettings),
            ("network, kind cnn", CNNSettings), ("network, kind rescnn", ResCNNSettings),
            ("sampling", SamplingSettings), ("optimizer", OptimizerSettings), ("pruning", PruningSettings),
            ("tickets", TicketSettings), ("evaluation", EvaluationSettings), ("seeds", SeedSettings),
            ("references", ReferenceSettings), ("figures.<fig>", FigureSettings),
            ("figures.<fig>.reference", FigureReferenceSettings), ("plotting", PlottingSettings),
            ("resources.<kind>", ResourceSettings), ("rbm.defaults / rbm.runs.<name>: model", ChainSettings),
            ("rbm: rbm", RBMNetworkSettings), ("rbm: cd", CDTrainingSettings), ("rbm: pruning", RBMPruningSettings),
            ("rbm: tickets", RBMTicketSettings), ("rbm: evaluation", RBMEvaluationSettings),
            ("rbm: seeds", SeedSettings), ("rbm.data", RBMDataSettings)]


def markdown_reference() -> str:
    """One table per config section: key, default, meaning (docs/configuration.md holds this text)."""
    parts = []
    for title, cls in SECTIONS:
        rows = ["| key | default | meaning |", "|---|---|---|"]
        for f in fields(cls):
            default = default_of(f)
            if is_dataclass(default):
                continue
            shown = "null" if default is None else str(default).replace("True", "true").replace("False", "false")
            rows.append(f"| `{f.name}` | `{shown}` | {f.metadata.get('help', '')} |")
        parts.append(f"### `{title}`\n\n" + "\n".join(rows))
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    print(markdown_reference(), end="")
