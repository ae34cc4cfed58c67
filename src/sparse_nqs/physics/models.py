"""The two physical models of the paper (docs/science.md, "Systems"), as NetKet operators.

Conventions
-----------
* Spins are NetKet ``Spin(1/2)`` values s_i in {+1, -1}, the eigenvalues of the Pauli Z_i.
* TFIM: L x L square lattice, site = row * L + col (row-major).
  H = - sum_<ij> Z_i Z_j - kappa sum_i X_i.
  Periodic boundaries use one right and one down bond per site (2N bonds). For L = 2 the
  wrap-around bond joins the same pair as the open bond, so every pair appears twice: this is the
  translation-invariant 2x2 torus, not an open 2x2 lattice.
* Toric code: L x L torus, N = 2 L^2 edge spins, numbered as the authors do:
  horizontal edge h(x, y) -> x * L + y, vertical edge v(x, y) -> L^2 + x * L + y.
  h(x, y) joins vertex (x, y) to (x+1, y); v(x, y) joins (x, y) to (x, y+1); indices mod L.
  Star A_v = X on h(x,y), h(x-1,y), v(x,y), v(x,y-1); plaquette B_p = Z on h(x,y), h(x,y+1),
  v(x,y), v(x+1,y).  H = - sum_v A_v - sum_p B_p.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import netket as nk
import numpy as np

from ..errors import SparseNQSError
from ..names import BOUNDARIES, ED_AUTO_MAX_SPINS, KAPPA_C, MODELS


class ModelError(SparseNQSError, ValueError):
    """An impossible model specification (bad L, field or boundary)."""


def _check_L(L) -> int:
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)):
        raise ModelError(f"L must be an integer, got {L!r}")
    if L < 2:
        raise ModelError(f"L must be at least 2, got {L}")
    return int(L)


# --------------------------------------------------------------------------------------------
# TFIM
# --------------------------------------------------------------------------------------------
def square_lattice_bonds(L: int, boundary: str = "open") -> list[tuple[int, int]]:
    """Nearest-neighbour bonds (i, j) of the L x L lattice, row-major sites, i < j not implied.

    Every site contributes its right and its down neighbour where they exist (open) or wrap
    around (periodic). Open: 2 L (L - 1) bonds; periodic: 2 L^2 bonds.
    """
    L = _check_L(L)
    if boundary not in BOUNDARIES:
        raise ModelError(f"unknown boundary {boundary!r}; choose one of {', '.join(BOUNDARIES)}")
    periodic = boundary == "periodic"
    bonds = []
    for row in range(L):
        for col in range(L):
            site = row * L + col
            if col + 1 < L or periodic:
                bonds.append((site, row * L + (col + 1) % L))
            if row + 1 < L or periodic:
                bonds.append((site, ((row + 1) % L) * L + col))
    return bonds


class Model(abc.ABC):
    """A spin-1/2 model of the pipeline: everything the rest of the code asks of a physical system.

    Subclasses say what they are through these members instead of being recognised by name:
    the Hilbert space and Hamiltonian, the terms of H that the fast local energies use, the spin
    groups a Metropolis move may flip together, a bound on |E| (divergence check), and how the
    reference energy is computed when nothing else is asked for.
    """

    name: ClassVar[str]
    #: spin groups the sampler's second move flips together (empty: single-spin flips only)
    move_groups: ClassVar[tuple] = ()
    #: reference method for systems too large for ED ("dmrg" or "analytic")
    large_system_reference: ClassVar[str]
    #: whether the ground state is known in closed form (reference method "analytic")
    has_closed_form: ClassVar[bool] = False
    L: int
    kappa: float | None
    boundary: str

    @property
    @abc.abstractmethod
    def N(self) -> int:
        """Number of spins."""

    @cached_property
    def hilbert(self) -> nk.hilbert.Spin:
        return nk.hilbert.Spin(s=0.5, N=self.N)

    @property
    @abc.abstractmethod
    def hamiltonian(self) -> nk.operator.DiscreteOperator:
        """H as a NetKet operator."""

    @abc.abstractmethod
    def flip_terms(self) -> tuple[tuple, float]:
        """(groups, c): the off-diagonal part of H is c * sum_g X_g, X_g flipping the spins of group g."""

    @abc.abstractmethod
    def diagonal_terms(self) -> tuple[str, tuple]:
        """("bonds", pairs) for -sum Z_i Z_j, or ("plaquettes", groups) for -sum prod_{i in p} Z_i."""

    def energy_bound(self) -> float:
        """sum |coefficients| of H >= ||H||; an energy estimate far beyond it means divergence."""
        groups, c = self.flip_terms()
        return float(len(self.diagonal_terms()[1]) + abs(c) * len(groups))

    def defects(self, configs: np.ndarray) -> np.ndarray | None:
        """Per configuration, the number of violated constraints of a constrained ground state (the
        toric code's plaquettes), or None for a model without such constraints. A near-exact state puts
        its error on these rare configurations, which decides how far its Monte Carlo estimates can be
        trusted (:mod:`sparse_nqs.vmc.evaluation`)."""
        return None

    def sectors(self, configs: np.ndarray) -> np.ndarray | None:
        """Per configuration, a label of the sector that local moves cannot leave (the toric code's
        topological sectors), or None for a model without them."""
        return None

    #: energy above the ground state of the lightest excitation that :meth:`defects` counts
    defect_energy: ClassVar[float | None] = None

    def default_proposal(self) -> str:
        """The Metropolis proposal of ``sampling.proposal: auto``."""
        return "local+star" if self.move_groups else "local"

    def default_reference_method(self) -> str:
        """ED where it is affordable, else the model's method for large systems."""
        return "ed" if self.N <= ED_AUTO_MAX_SPINS else self.large_system_reference

    @property
    @abc.abstractmethod
    def label(self) -> str:
        """A file-name label of the system, distinct for distinct systems (e.g. ``toric_L3``)."""

    @classmethod
    def fixed_settings(cls) -> dict:
        """Settings of ``model:`` that this model fixes whatever the config says (none by default)."""
        return {}

    def describe(self) -> dict:
        return {"model": self.name, "L": self.L, "N": self.N, "kappa": self.kappa, "boundary": self.boundary}


@dataclass(frozen=True)
class TFIM(Model):
    """2D transverse-field Ising model H = -sum_<ij> Z_i Z_j - kappa sum_i X_i."""

    L: int
    kappa: float = KAPPA_C
    boundary: str = "open"

    name: ClassVar[str] = "tfim"
    large_system_reference: ClassVar[str] = "dmrg"

    def __post_init__(self):
        object.__setattr__(self, "L", _check_L(self.L))
        if isinstance(self.kappa, bool) or not isinstance(self.kappa, (int, float, np.floating, np.integer)):
            raise ModelError(f"kappa must be a real number, got {self.kappa!r}")
        if not math.isfinite(float(self.kappa)):
            raise ModelError(f"kappa must be finite, got {self.kappa}")
        object.__setattr__(self, "kappa", float(self.kappa))
        if self.boundary not in BOUNDARIES:
            raise ModelError(
                f"unknown boundary {self.boundary!r}; choose one of {', '.join(BOUNDARIES)}"
            )

    @property
    def N(self) -> int:
        return self.L * self.L

    @cached_property
    def bonds(self) -> list[tuple[int, int]]:
        return square_lattice_bonds(self.L, self.boundary)

    @cached_property
    def graph(self) -> nk.graph.Graph:
        # Built from our own bond list (not nk.graph.Square) so that row-major numbering and the
        # L = 2 periodic double bonds are explicit; nk.graph.Graph keeps repeated edges.
        return nk.graph.Graph(edges=self.bonds, n_nodes=self.N)

    @cached_property
    def hamiltonian(self) -> nk.operator.Ising:
        # NetKet's Ising is H = -h sum X_i + J sum Z_i Z_j, so the ferromagnet is J = -1.
        return nk.operator.Ising(self.hilbert, self.graph, h=self.kappa, J=-1.0)

    @property
    def label(self) -> str:
        """``tfim_L4_k3.04438_open``: the field with ``%g`` where that gives its value exactly, with
        every digit (``repr``) otherwise (0.5 -> k0.5, 0.50000049 -> k0.50000049)."""
        text = f"{self.kappa:g}"
        if float(text) != self.kappa:
            text = repr(self.kappa)
        return f"tfim_L{self.L}_k{text}_{self.boundary}"

    def flip_terms(self) -> tuple[tuple, float]:
        return tuple((i,) for i in range(self.N)), -self.kappa

    def diagonal_terms(self) -> tuple[str, tuple]:
        return "bonds", tuple(tuple(b) for b in self.bonds)


@dataclass(frozen=True)
class TFIMChain(TFIM):
    """The open TFIM chain H = -sum_i Z_i Z_{i+1} - kappa sum_i X_i of L spins, the system whose
    measurement data the RBM family learns (docs/rbm.md). Everything but the lattice is the TFIM's;
    the ground-state energy has a closed form (:func:`sparse_nqs.physics.exact.free_fermion_energy`)."""

    kappa: float = 1.0

    name: ClassVar[str] = "tfim_chain"

    def __post_init__(self):
        super().__post_init__()
        if self.boundary != "open":
            raise ModelError("the TFIM chain of the RBM family has open ends; boundary must be 'open'")

    @property
    def N(self) -> int:
        return self.L

    @cached_property
    def bonds(self) -> list[tuple[int, int]]:
        return [(i, i + 1) for i in range(self.L - 1)]

    @property
    def label(self) -> str:
        return super().label.replace("tfim_L", "tfim_chain_N", 1)


# --------------------------------------------------------------------------------------------
# Toric code
# --------------------------------------------------------------------------------------------
def toric_h(x: int, y: int, L: int) -> int:
    """Index of the horizontal edge h(x, y), which joins vertex (x, y) to (x+1, y)."""
    return (x % L) * L + (y % L)


def toric_v(x: int, y: int, L: int) -> int:
    """Index of the vertical edge v(x, y), which joins vertex (x, y) to (x, y+1)."""
    return L * L + (x % L) * L + (y % L)


def toric_stars(L: int) -> list[list[int]]:
    """The four edges of each star A_(x,y), vertex (x, y) at position x * L + y."""
    L = _check_L(L)
    return [
        [toric_h(x, y, L), toric_h(x - 1, y, L), toric_v(x, y, L), toric_v(x, y - 1, L)]
        for x in range(L)
        for y in range(L)
    ]


def toric_plaquettes(L: int) -> list[list[int]]:
    """The four edges of each plaquette B_(x,y), plaquette (x, y) at position x * L + y."""
    L = _check_L(L)
    return [
        [toric_h(x, y, L), toric_h(x, y + 1, L), toric_v(x, y, L), toric_v(x + 1, y, L)]
        for x in range(L)
        for y in range(L)
    ]


def _pauli_string(N: int, sites, letter: str) -> str:
    chars = ["I"] * N
    for s in sites:
        chars[s] = letter
    return "".join(chars)


@dataclass(frozen=True)
class ToricCode(Model):
    """Kitaev's toric code H = -sum_v A_v - sum_p B_p on the L x L torus (N = 2 L^2 edge spins)."""

    L: int

    name: ClassVar[str] = "toric"
    large_system_reference: ClassVar[str] = "analytic"
    has_closed_form: ClassVar[bool] = True
    boundary: ClassVar[str] = "periodic"
    kappa: ClassVar[None] = None

    def __post_init__(self):
        object.__setattr__(self, "L", _check_L(self.L))

    @property
    def N(self) -> int:
        return 2 * self.L * self.L

    @cached_property
    def stars(self) -> list[list[int]]:
        return toric_stars(self.L)

    @cached_property
    def plaquettes(self) -> list[list[int]]:
        return toric_plaquettes(self.L)

    @property
    def move_groups(self) -> tuple:
        """Star flips: they keep every plaquette, so the sampler can move inside the ground sector."""
        return tuple(tuple(s) for s in self.stars)

    def star_operator(self, v: int) -> nk.operator.PauliStrings:
        return nk.operator.PauliStrings(self.hilbert, [_pauli_string(self.N, self.stars[v], "X")], [1.0])

    def plaquette_operator(self, p: int) -> nk.operator.PauliStrings:
        return nk.operator.PauliStrings(
            self.hilbert, [_pauli_string(self.N, self.plaquettes[p], "Z")], [1.0]
        )

    @cached_property
    def hamiltonian(self) -> nk.operator.PauliStrings:
        strings = [_pauli_string(self.N, s, "X") for s in self.stars]
        strings += [_pauli_string(self.N, p, "Z") for p in self.plaquettes]
        return nk.operator.PauliStrings(self.hilbert, strings, [-1.0] * len(strings))

    @property
    def exact_ground_energy(self) -> float:
        """-2 L^2: every star and plaquette at +1 (docs/science.md, "Systems")."""
        return -2.0 * self.L * self.L

    #: Ground-state degeneracy on the torus (two logical qubits).
    ground_degeneracy = 4

    def plaquette_values(self, configs: np.ndarray) -> np.ndarray:
        """B_p eigenvalues (+-1) of Z-basis configurations, shape (..., L^2)."""
        configs = np.asarray(configs)
        return np.prod(configs[..., np.asarray(self.plaquettes)], axis=-1)

    #: one flipped edge spin turns two plaquettes to -1: +2 each
    defect_energy: ClassVar[float] = 4.0

    def defects(self, configs: np.ndarray) -> np.ndarray:
        """The number of violated plaquettes (B_p = -1) of each configuration."""
        return np.sum(self.plaquette_values(configs) < 0, axis=-1)

    def sectors(self, configs: np.ndarray) -> np.ndarray:
        """The topological sector 0 .. 3 of each configuration: the Wilson loops prod_x Z_h(x, 0) and
        prod_y Z_v(0, y) around the two cycles of the torus (star flips keep both; only a spin flip that
        violates plaquettes, or a loop around the torus, changes them)."""
        configs = np.asarray(configs)
        L = self.L
        w1 = np.prod(configs[..., [toric_h(x, 0, L) for x in range(L)]], axis=-1) < 0
        w2 = np.prod(configs[..., [toric_v(0, y, L) for y in range(L)]], axis=-1) < 0
        return 2 * w1.astype(int) + w2.astype(int)

    @property
    def label(self) -> str:
        return f"toric_L{self.L}"

    @classmethod
    def fixed_settings(cls) -> dict:
        """No field, and always the torus."""
        return {"kappa": None, "boundary": "periodic"}

    def flip_terms(self) -> tuple[tuple, float]:
        return tuple(tuple(s) for s in self.stars), -1.0

    def diagonal_terms(self) -> tuple[str, tuple]:
        return "plaquettes", tuple(tuple(p) for p in self.plaquettes)


#: the model class of each name of ``model.name``
MODEL_CLASSES = {"tfim": TFIM, "toric": ToricCode}
assert tuple(MODEL_CLASSES) == MODELS


def model_class(name: str) -> type[Model]:
    if name not in MODEL_CLASSES:
        raise ModelError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODEL_CLASSES[name]


def make_model(model: str, L: int, kappa: float | None = None, boundary: str | None = None) -> Model:
    """Build a model from its name, checking every argument (ModelError names the bad one)."""
    cls = model_class(model)
    if cls is TFIM:
        return TFIM(L, KAPPA_C if kappa is None else kappa, boundary or "open")
    if kappa is not None:
        raise ModelError("the toric code has no field kappa; leave it out")
    if boundary not in (None, "periodic"):
        raise ModelError(f"the toric code lives on a torus; boundary must be 'periodic', got {boundary!r}")
    return ToricCode(L)
