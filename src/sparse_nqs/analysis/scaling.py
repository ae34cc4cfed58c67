"""Energy errors and their scaling with the number of weights (docs/science.md, "Analysis").

* :func:`choose_reference` / :func:`apply_reference` - which energy eps_rel and Delta E are measured
  against (ED, a DMRG record, or the best dense NQS runs), recorded next to every error column.
* :func:`scaling_regions` - the kinks between the high-error plateau, the approximate power law and
  the low-error plateau of error versus n.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ..names import REFERENCE_KINDS

# --------------------------------------------------------------------------------------------
# reference energy
# --------------------------------------------------------------------------------------------


def choose_reference(kind: str, record: dict | None = None, dense_rows: pd.DataFrame | None = None,
                     n_best: int = 3, combine: str = "mean") -> dict:
    """The reference energy of one experiment and a label saying where it comes from.

    ``record``: a reference record (ED or DMRG, from ``sparse-nqs reference``).
    ``nqs``: the ``n_best`` dense NQS runs of lowest variance among ``dense_rows`` (columns run,
    energy, variance); their energies are combined by ``mean`` (default: averages out the Monte
    Carlo noise of each) or ``min`` (the lowest variational energy).
    """
    if kind == "record":
        if not record:
            raise ValueError("reference kind 'record' needs a reference record")
        source = f"{record.get('method')}:{record.get('backend')}"
        return {"energy": float(record["energy"]), "source": source}
    if kind == "nqs":
        if dense_rows is None or len(dense_rows) == 0:
            raise ValueError("reference kind 'nqs' needs dense NQS runs")
        best = dense_rows.nsmallest(n_best, "variance")
        if combine not in ("mean", "min"):
            raise ValueError(f"combine must be 'mean' or 'min', got {combine!r}")
        energy = float(best.energy.mean() if combine == "mean" else best.energy.min())
        runs = ",".join(str(r) for r in best.get("run", best.index))
        return {"energy": energy, "source": f"nqs:{combine} of {len(best)} lowest-variance dense runs ({runs})"}
    raise ValueError(f"unknown reference kind {kind!r}; known: {', '.join(REFERENCE_KINDS)}")


def apply_reference(table: pd.DataFrame, reference: dict, n_spins: int) -> pd.DataFrame:
    """Recompute eps_rel and Delta E per spin (sampled and exact_ columns) against ``reference``; the
    record the rows had before is kept as ``record_energy`` / ``record_source``."""
    out = table.copy()
    e_ref = reference["energy"]
    if "reference_energy" in out and "record_energy" not in out:
        # keep the record (ED / DMRG) the rows were made with: the claims compare the NQS reference with it
        out["record_energy"] = out["reference_energy"]
        out["record_source"] = out.get("reference_source")
    for prefix in ("", "exact_"):
        if f"{prefix}energy" in out:
            gap = (out[f"{prefix}energy"].astype(float) - e_ref).abs()
            out[f"{prefix}eps_rel"] = gap / abs(e_ref)
            out[f"{prefix}delta_e_per_spin"] = gap / n_spins
    if "energy_error" in out:
        out["eps_rel_error"] = out["energy_error"] / abs(e_ref)
    out["reference_energy"] = e_ref
    out["reference_source"] = reference["source"]
    return out


# --------------------------------------------------------------------------------------------
# scaling regions of error versus n
# --------------------------------------------------------------------------------------------
def _hinge_fit(x, y, knots):
    """Least-squares continuous piecewise-linear fit with the given knots; returns (coefficients, sse)."""
    columns = [np.ones_like(x), x] + [np.maximum(x - k, 0.0) for k in knots]
    design = np.stack(columns, axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return coef, float(np.sum((design @ coef - y) ** 2))


def scaling_regions(n, error, n_regions: int = 3, min_points: int = 2) -> dict:
    """Kinks of log(error) versus log(n): high-error plateau (HEP) | approximate power law (APL) | LEP.

    A continuous piecewise-linear function of log n with ``n_regions`` pieces is fitted to log error
    by least squares, trying every pair (or single) of data points as kinks with at least
    ``min_points`` points per piece. Returns the kinks as n values (``n_hep_apl``: below it the
    error no longer falls with n; ``n_apl_lep`` for three regions), the slope of each piece
    (d log error / d log n, from small to large n) and the fit's residual.
    """
    order = np.argsort(np.asarray(n, dtype=float))
    x = np.log(np.asarray(n, dtype=float)[order])
    y = np.log(np.asarray(error, dtype=float)[order])
    if n_regions not in (2, 3):
        raise ValueError("n_regions must be 2 or 3")
    if len(x) < n_regions * min_points:
        raise ValueError(f"need at least {n_regions * min_points} points for {n_regions} regions")
    best = None
    candidates = range(min_points - 1, len(x) - min_points)
    for knots in itertools.combinations(candidates, n_regions - 1):
        if n_regions == 3 and knots[1] - knots[0] < min_points - 1 + 1:
            continue
        coef, sse = _hinge_fit(x, y, [x[k] for k in knots])
        if best is None or sse < best[1]:
            best = (knots, sse, coef)
    knots, sse, coef = best
    slopes = np.cumsum(coef[1:]).tolist()
    result = {"n_hep_apl": float(np.exp(x[knots[0]])), "slopes": slopes, "residual": sse}
    if n_regions == 3:
        result["n_apl_lep"] = float(np.exp(x[knots[1]]))
    return result
