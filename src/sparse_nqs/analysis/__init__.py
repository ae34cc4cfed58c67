"""Reading the sparse states: fidelity, reference energies and errors, scaling regions, toric filters.

* :mod:`.fidelity` - fidelity between neighbouring pruned states and where it drops.
* :mod:`.scaling` - the reference an error is measured against, and the scaling regions of the error.
* :mod:`.toric` - which toric-code neurons hold complete odd-parity plaquette filters; Fig. 7's
  construction.
"""

from .fidelity import (
                       DIP_CONTRAST,
                       DIP_MIN_INFIDELITY,
                       DIP_SIGMAS,
                       Fidelity,
                       exact_fidelity,
                       fidelity,
                       fidelity_dip,
                       fidelity_drop_onset,
                       fidelity_minimum,
                       fidelity_path,
                       is_fidelity_dip,
)
from .scaling import REFERENCE_KINDS, apply_reference, choose_reference, scaling_regions

__all__ = ["DIP_CONTRAST", "DIP_MIN_INFIDELITY", "DIP_SIGMAS", "Fidelity", "exact_fidelity", "fidelity",
           "fidelity_dip", "fidelity_drop_onset", "fidelity_minimum", "fidelity_path", "is_fidelity_dip",
           "REFERENCE_KINDS", "apply_reference", "choose_reference", "scaling_regions"]
