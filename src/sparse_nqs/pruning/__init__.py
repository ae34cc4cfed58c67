"""Pruning: the schedule and the masks, the loops of one run, isolated tickets, checkpoints.

* :mod:`.schedule` - how many weights each round removes, and which (magnitude or random).
* :mod:`.experiment` - the engine: one run's phases (dense pre-training, the IMP-WR / IMP-CT / IRP-WR
  loops, isolated ticket training), every phase resumable, for a run of either experiment family
  (the abstract :class:`~.experiment.Run`: VMC networks or RBMs, see :mod:`sparse_nqs.families`).
* :mod:`.checkpoint` - checkpoints with the fingerprint of the settings that made them.
* :mod:`.progress` - progress bars and log lines of long phases.
"""

from .experiment import ExperimentError, Run, pretrain, prune, ticket_list, train_ticket, train_tickets
from .schedule import PruningScheduleError, max_iterations, prune_count, remaining_weight_sequence

__all__ = ["ExperimentError", "Run", "pretrain", "prune", "ticket_list", "train_ticket",
           "train_tickets", "PruningScheduleError", "max_iterations", "prune_count",
           "remaining_weight_sequence"]
