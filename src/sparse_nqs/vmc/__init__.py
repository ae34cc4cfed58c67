"""Sampling and training: Metropolis samplers, VMC with stochastic reconfiguration, evaluation.

* :mod:`.sampling` - Metropolis samplers (single and star flips) and variational states.
* :mod:`.training` - the compiled VMC-SR step on the surviving weights, :func:`train` and
  :func:`train_batch` (several networks of one shape as one vectorised program).
* :mod:`.incremental` - amplitude updates of one-layer networks after a spin flip (the sampler's and
  the local energies' fast path).
* :mod:`.evaluation` - energy, variance, magnetisations and errors of a trained state.
"""

from .evaluation import evaluate, exact_expectations, frozen_state, with_reference
from .sampling import FlipMoveRule, SamplingSettings, chain_arrays, make_sampler, make_vstate, restore_chains, set_masks
from .training import LOG_COLUMNS, TrainingDivergedError, train, train_batch

__all__ = ["evaluate", "exact_expectations", "frozen_state", "with_reference", "LOG_COLUMNS",
           "FlipMoveRule", "SamplingSettings", "TrainingDivergedError", "chain_arrays", "make_sampler", "make_vstate",
           "restore_chains", "set_masks", "train", "train_batch"]
