"""The second experiment family: restricted Boltzmann machines trained on measurement data and
pruned (Golubeva and Melko 2022; docs/rbm.md).

* :mod:`.data` - Z-basis samples of the open TFIM chain's ground state (exact, or perfect samples of
  the DMRG state: :mod:`sparse_nqs.physics.dmrg.sampling`);
* :mod:`.statistics` - statistics of samples (m, its histogram, C(d), the Z2 ratio), of the data and of
  the RBM's own samples alike;
* :mod:`.model` - QuCumber's positive-wavefunction RBM with a prunable weight matrix, as a Flax module;
* :mod:`.training` - CD-k and persistent CD, compiled as one scan per epoch;
* :mod:`.metrics` - exact KL divergence and fidelity by enumeration.
"""

from .data import exact_samples, ground_state_distribution, measurement_data
from .metrics import fidelity, kl_divergence
from .model import (
    PositiveRBM,
    all_visible,
    free_energy,
    init_rbm,
    is_connected,
    log_probabilities,
    min_connected_weights,
)
from .statistics import magnetisation, sample_statistics, z2_ratio
from .training import CDSettings, gibbs_steps, likelihood_gradient, train, train_epoch

__all__ = ["CDSettings", "PositiveRBM", "all_visible", "exact_samples", "fidelity", "free_energy",
           "gibbs_steps", "ground_state_distribution", "init_rbm", "is_connected", "kl_divergence", "likelihood_gradient",
           "log_probabilities", "magnetisation", "measurement_data", "min_connected_weights", "sample_statistics", "train", "train_epoch", "z2_ratio"]
