"""Claims about the reference energies themselves: the variational principle."""

from __future__ import annotations

from ..results import VARIATIONAL_SIGMAS, FigureTables, below_reference, is_finite, numeric
from .common import Claim, g

#: at most this many violations are listed in the measured column
LISTED = 4

VARIATIONAL = Claim(
    statement="variational principle: no trained network below its reference energy",
    paper="Sec. 2 (variational Monte Carlo): a variational energy cannot lie below the ground-state energy; the "
          "paper's own kappa_c reference (Figs. 1, 2a) lies 4.15e-4 per spin below its DMRG value",
    expected=(f"E >= E_ref - {VARIATIONAL_SIGMAS:g} standard errors for every evaluated energy (dense networks, "
              "pruning paths, tickets); exact energies where N <= 16"),
    basis=f"{VARIATIONAL_SIGMAS:g} sigma: ours (a one-sided 0.1% false alarm per energy); exact energies: 1e-9 "
          "relative (round-off)",
)


def variational_principle(tables: FigureTables, spec: dict, figure: str = "fig1") -> list[dict]:
    """Variational principle: no evaluated energy lies below its reference energy."""
    checked, below = 0, []
    for kind, frame in (("dense", tables.dense), ("path", tables.histories), ("ticket", tables.tickets)):
        if frame is None or frame.empty or "reference_energy" not in frame:
            continue
        if kind == "path" and "iteration" in frame:
            frame = frame[numeric(frame, "iteration") >= 0]  # the dense row is checked once, as "dense"
        flags = below_reference(frame)
        checked += int(numeric(frame, "reference_energy").notna().sum())
        for row in frame[flags.to_numpy()].itertuples():
            row = row._asdict()
            exact = is_finite(row.get("exact_energy"))
            energy = row["exact_energy"] if exact else row["energy"]
            what = f"{row.get('run')} {kind}" + (f" n = {g(row.get('n'))}" if kind != "dense" else "")
            error = float(row["energy_error"]) if is_finite(row.get("energy_error")) else 0.0
            gap = float(row["reference_energy"]) - float(energy)
            if exact:
                sigma = "exact"
            else:
                sigma = f"{gap / error:.1f} sigma" if error > 0 else "sigma 0"
            below.append(f"{what}: E = {g(energy, 8)} < E_ref = {g(row['reference_energy'], 8)} ({sigma})")
    if not checked:
        return [VARIATIONAL.undecided(figure, figure, "no evaluated energy with a reference in the tables")]
    measured = f"{len(below)} of {checked} energies below their reference"
    if below:
        measured += ": " + "; ".join(below[:LISTED]) + (f"; and {len(below) - LISTED} more"
                                                         if len(below) > LISTED else "")
    return [VARIATIONAL.decided(figure, figure, measured, not below)]
