"""The physical systems and their exact or near-exact ground states.

* :mod:`.models` - the 2D transverse-field Ising model and the toric code as NetKet operators.
* :mod:`.exact` - exact diagonalisation and ground-state observables.
* :mod:`.observables` - the observables every reference records.
* :mod:`.reference` - the reference record of a system (ED, DMRG, or the toric code's closed form).
"""

from .exact import EDTooLargeError, ExactGroundState, exact_ground_state
from .models import KAPPA_C, TFIM, ModelError, ToricCode, make_model
from .observables import SpinObservables
from .reference import ReferenceMismatchError, ReferenceRequestError, check_record, compute_reference, resolve_method

__all__ = ["EDTooLargeError", "ExactGroundState", "exact_ground_state", "KAPPA_C", "ModelError", "TFIM",
           "ToricCode", "make_model", "SpinObservables", "ReferenceMismatchError", "ReferenceRequestError",
           "check_record", "compute_reference", "resolve_method"]
