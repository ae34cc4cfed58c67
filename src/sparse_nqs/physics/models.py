"""The two physical models of the paper (SPEC.md section 1), as NetKet operators.

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

import math
from dataclasses import dataclass
from functools import cached_property

import netket as nk
import numpy as np
from ..errors import SparseNQSError

#: Critical field of the infinite 2D TFIM (SPEC.md 1.1).
KAPPA_C = 3.04438

MODELS = ("tfim", "toric")
BOUNDARIES = ("open", "periodic")


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


@dataclass(frozen=True)
class TFIM:
    """2D transverse-field Ising model H = -sum_<ij> Z_i Z_j - kappa sum_i X_i."""

    L: int
    kappa: float = KAPPA_C
    boundary: str = "open"

    name = "tfim"

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
    def hilbert(self) -> nk.hilbert.Spin:
        return nk.hilbert.Spin(s=0.5, N=self.N)

    @cached_property
    def graph(self) -> nk.graph.Graph:
        # Built from our own bond list (not nk.graph.Square) so that row-major numbering and the
        # L = 2 periodic double bonds are explicit; nk.graph.Graph keeps repeated edges.
        return nk.graph.Graph(edges=self.bonds, n_nodes=self.N)

    @cached_property
    def hamiltonian(self) -> nk.operator.Ising:
        # NetKet's Ising is H = -h sum X_i + J sum Z_i Z_j, so the ferromagnet is J = -1.
        return nk.operator.Ising(self.hilbert, self.graph, h=self.kappa, J=-1.0)

    def describe(self) -> dict:
        return {"model": self.name, "L": self.L, "N": self.N, "kappa": self.kappa,
                "boundary": self.boundary}


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
class ToricCode:
    """Kitaev's toric code H = -sum_v A_v - sum_p B_p on the L x L torus (N = 2 L^2 edge spins)."""

    L: int

    name = "toric"
    boundary = "periodic"
    kappa = None

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

    @cached_property
    def hilbert(self) -> nk.hilbert.Spin:
        return nk.hilbert.Spin(s=0.5, N=self.N)

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
        """-2 L^2: every star and plaquette at +1 (SPEC.md 1.2)."""
        return -2.0 * self.L * self.L

    #: Ground-state degeneracy on the torus (two logical qubits).
    ground_degeneracy = 4

    def plaquette_values(self, configs: np.ndarray) -> np.ndarray:
        """B_p eigenvalues (+-1) of Z-basis configurations, shape (..., L^2)."""
        configs = np.asarray(configs)
        return np.prod(configs[..., np.asarray(self.plaquettes)], axis=-1)

    def describe(self) -> dict:
        return {"model": self.name, "L": self.L, "N": self.N, "kappa": None,
                "boundary": self.boundary}


def make_model(model: str, L: int, kappa: float | None = None, boundary: str | None = None):
    """Build a model from its name, checking every argument (ModelError names the bad one)."""
    if model == "tfim":
        return TFIM(L, KAPPA_C if kappa is None else kappa, boundary or "open")
    if model == "toric":
        if kappa is not None:
            raise ModelError("the toric code has no field kappa; leave it out")
        if boundary not in (None, "periodic"):
            raise ModelError(
                f"the toric code lives on a torus; boundary must be 'periodic', got {boundary!r}"
            )
        return ToricCode(L)
    raise ModelError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
