"""Claims of Figs. 2 and 3 on synthetic tables: the error regions, their collapse across widths and
sizes, the phase dependence and the transition at rho_c."""

import numpy as np
import pandas as pd
from claim_tables import fidelity_rows, history, run, spec, statuses

from sparse_nqs.claims import (
    error_kink_at_rho_c,
    ferromagnet_enters_hep_first,
    fidelity_dip_tfim,
    magnetisation_at_rho_c,
    scaling_regions_exist,
    size_collapse,
    width_collapse,
)
from sparse_nqs.results import FigureTables


def curve(n, hep, floor, height=0.1, slope=-1.5):
    """Delta E/N: a HEP of ``height`` below n = ``hep``, a power law, a LEP at ``floor``."""
    return np.maximum(height * (np.clip(n, hep, None) / hep) ** slope, floor)


# --------------------------------------------------------------------------------------------
# three regions
# --------------------------------------------------------------------------------------------
def test_scaling_regions_need_two_plateaus_and_a_falling_power_law():
    n = 1000 * 0.88 ** np.arange(40)
    h = pd.concat([history("crit", n, curve(n, 20, 3e-3), column="delta_e_per_spin"),  # LEP above n = 130
                   history("power", n, 1e-2 * (n / 1000) ** -1.5, column="delta_e_per_spin"),  # no plateau
                   history("flat", n, 1e-3 * (1 + 0.05 * np.sin(np.arange(40))), column="delta_e_per_spin")])
    runs = pd.DataFrame([run("crit"), run("flat", kappa=1.0), run("power", kappa=5.0)])
    rows = scaling_regions_exist(FigureTables(runs=runs, histories=h), spec("crit", "flat", "power"))
    assert statuses(rows) == ["pass", "fail", "fail"]
    assert "APL -1.47" in rows[0]["measured"] and "HEP -1.50" in rows[2]["measured"]  # a pure power law
    rows = scaling_regions_exist(FigureTables(runs=runs[:1], histories=h), spec("crit"))
    assert statuses(rows) == ["pass", "not applicable", "not applicable"]
    assert "no runs in this phase" in rows[2]["measured"]
    short = FigureTables(runs=pd.DataFrame([run("crit")]),
                         histories=history("crit", n[:4], curve(n[:4], 20, 1e-4), column="delta_e_per_spin"))
    rows = scaling_regions_exist(short, spec("crit"))
    assert rows[0]["status"] == "not applicable" and "too few points" in rows[0]["measured"]


# --------------------------------------------------------------------------------------------
# collapse across widths (Fig. 2a) and sizes (Fig. 3a); the ferromagnet's HEP (Fig. 2b)
# --------------------------------------------------------------------------------------------
def test_widths_coincide_in_the_hep_and_apl_and_differ_in_the_lep():
    n1, n5 = 1000 * 0.88 ** np.arange(45), 5000 * 0.88 ** np.arange(58)
    runs = pd.DataFrame([run("a1", alpha=1.0, n_init=1000), run("a5", alpha=5.0, n_init=5000),
                         run("ferro", alpha=5.0, kappa=1.0)])
    narrow = history("a1", n1, curve(n1, 20, 1e-3), column="delta_e_per_spin")
    for factor, expected in ((1.0, "pass"), (5.0, "fail")):
        wide = history("a5", n5, factor * curve(n5, 20, 1e-4), column="delta_e_per_spin")
        rows = width_collapse(FigureTables(runs=runs, histories=pd.concat([narrow, wide])), spec("a1", "a5", "ferro"))
        assert statuses(rows) == [expected], rows
        if factor == 1.0:
            assert "floor 0.0001" in rows[0]["measured"] and "floor 0.001" in rows[0]["measured"]
    rows = width_collapse(FigureTables(runs=runs, histories=narrow), spec("a1"))
    assert statuses(rows) == ["not applicable"]


def test_the_ferromagnet_enters_the_hep_at_larger_n():
    n = 1000 * 0.88 ** np.arange(45)
    runs = pd.DataFrame([run("crit"), run("ferro", kappa=1.0), run("para", kappa=5.0)])
    crit = history("crit", n, curve(n, 20, 1e-4), column="delta_e_per_spin")
    para = history("para", n, curve(n, 15, 1e-4), column="delta_e_per_spin")
    for hep, expected in ((60, "pass"), (10, "fail")):
        ferro = history("ferro", n, curve(n, hep, 1e-4), column="delta_e_per_spin")
        tables = FigureTables(runs=runs, histories=pd.concat([crit, ferro, para]))
        rows = ferromagnet_enters_hep_first(tables, spec("crit", "ferro", "para"))
        assert statuses(rows) == [expected], rows
    tables = FigureTables(runs=runs, histories=pd.concat([crit, para]))
    assert statuses(ferromagnet_enters_hep_first(tables, spec("crit", "para"))) == ["not applicable"]


def test_error_per_spin_against_rho_coincides_across_sizes():
    runs = pd.DataFrame([run("L4", L=4, n_init=16 * 60), run("L6", L=6, n_init=36 * 60)])
    paths = {}
    for name, N in (("L4", 16), ("L6", 36)):
        n = N * 60 * 0.88 ** np.arange(45)
        paths[name] = (n, N)
    base = history("L4", paths["L4"][0], curve(paths["L4"][0] / 16, 3, 1e-4), column="delta_e_per_spin", N=16)
    for factor, expected in ((1.0, "pass"), (5.0, "fail")):
        n, N = paths["L6"]
        other = history("L6", n, factor * curve(n / N, 3, 2e-4), column="delta_e_per_spin", N=N)
        rows = size_collapse(FigureTables(runs=runs, histories=pd.concat([base, other])), spec("L4", "L6"))
        assert statuses(rows) == [expected], rows
    assert "L = 6" in rows[0]["measured"]
    assert statuses(size_collapse(FigureTables(runs=runs[:1], histories=base), spec("L4"))) == ["not applicable"]


# --------------------------------------------------------------------------------------------
# fidelity dip at rho_c (TFIM), the error's kink and M_z there
# --------------------------------------------------------------------------------------------
def test_fidelity_dip_tfim():
    n = 16 * 10 * 0.88 ** np.arange(20)  # rho from 10 down
    rho = n / 16
    k = int(np.argmin(np.abs(rho - 4.0)))  # the dip at rho ~ 4, i.e. iteration_from = k - 1
    F = np.full(20, 0.99)
    F[k] = 0.5
    mx = np.where(np.arange(20) <= k, 0.8, 0.5)  # M_x drops right after that state
    F_bad = np.full(20, 0.99)
    F_bad[1] = 0.5  # rho ~ 8.8: outside 2.5 .. 6
    h = pd.concat([history("L4", n, 1e-3, mx=mx, mz=0.1), history("L5", n, 1e-3, mx=mx, mz=0.1),
                   history("L6", n, 1e-3, mx=mx, mz=0.1)])
    f = pd.concat([fidelity_rows("L4", n, F), fidelity_rows("L5", n, F_bad), fidelity_rows("L6", n[:2], F[:2])])
    tables = FigureTables(runs=pd.DataFrame([run("L4"), run("L5"), run("L6"), run("off", kappa=1.0)]),
                          histories=h, fidelity=f)
    rows = fidelity_dip_tfim(tables, spec("L4", "L5", "L6", "off"))
    assert statuses(rows) == ["pass", "fail", "not applicable"]  # the kappa = 1 run is not at kappa_c
    assert "rho_c = 4" in rows[0]["measured"] and "M_x" in rows[0]["measured"]
    # a path that stops at rho ~ 5 cannot show a dip at 3-5: not applicable, not fail
    tables.fidelity = fidelity_rows("L4", n[:6], F[:6])
    rows = fidelity_dip_tfim(tables, spec("L4"))
    assert statuses(rows) == ["not applicable"] and "does not span" in rows[0]["measured"]


def test_fidelity_dip_is_relative_to_the_path_and_its_error():
    """A shallow dip (F = 0.96, as on a 3x3 lattice) counts when it stands out of a path at F ~ 0.999
    by more than its Monte Carlo error; the same minimum does not when the error is as large as the dip."""
    n = 16 * 10 * 0.88 ** np.arange(20)
    k = int(np.argmin(np.abs(n / 16 - 4.0)))
    F = np.full(20, 0.999)
    F[k] = 0.96
    mx = np.where(np.arange(20) <= k, 0.8, 0.5)
    h = history("L3", n, 1e-3, mx=mx, mz=0.1)
    tables = FigureTables(runs=pd.DataFrame([run("L3")]), histories=h, fidelity=fidelity_rows("L3", n, F))
    tables.fidelity["fidelity_error"] = 0.005
    assert statuses(fidelity_dip_tfim(tables, spec("L3"))) == ["pass"]
    tables.fidelity["fidelity_error"] = 0.02  # the "dip" is 2 standard errors: noise
    assert statuses(fidelity_dip_tfim(tables, spec("L3"))) == ["fail"]
    noisy = np.where(np.arange(20) % 2 == 0, 0.95, 0.999)  # every other round as low: no contrast
    noisy[k] = 0.94
    tables.fidelity = fidelity_rows("L3", n, noisy).assign(fidelity_error=0.001)
    assert statuses(fidelity_dip_tfim(tables, spec("L3"))) == ["fail"]

    # the figure's stars and grey band use the same rule as the claim (analysis.fidelity_dip)
    import matplotlib.pyplot as plt

    from sparse_nqs.figures.shared import fidelity_panel
    fig, ax = plt.subplots()
    for error, expected in ((0.005, True), (0.015, False)):  # 0.015: F < 1 - 2 sigma, yet < 3 sigma
        tables.fidelity = fidelity_rows("L3", n, F).assign(fidelity_error=error)
        minima = fidelity_panel(ax, tables, ["L3"], {"L3": "C0"}, {"L3": "L3"})
        assert [m["dip"] for m in minima] == [expected]
        assert statuses(fidelity_dip_tfim(tables, spec("L3"))) == ["pass" if expected else "fail"]
    plt.close(fig)


def _transition(N=16, rho_dip=4.0, points=30):
    n = N * 20 * 0.88 ** np.arange(points)
    rho = n / N
    k = int(np.argmin(np.abs(rho - rho_dip)))
    F = np.full(points, 0.99)
    F[k] = 0.5
    return n, rho, k, F


def test_the_error_kink_sits_at_the_fidelity_minimum():
    n, rho, k, F = _transition()
    de = curve(rho, 4.0, 1e-5)  # the HEP below rho = 4
    tables = FigureTables(runs=pd.DataFrame([run("a")]), histories=history("a", n, de, column="delta_e_per_spin"),
                          fidelity=fidelity_rows("a", n, F))
    rows = error_kink_at_rho_c(tables, spec("a"))
    assert statuses(rows) == ["pass"] and "kink at rho = 3.8" in rows[0]["measured"]
    *_, F_far = _transition(rho_dip=10.0)
    tables.fidelity = fidelity_rows("a", n, F_far)  # the dip 2.5x above the kink: 7 rounds away
    assert statuses(error_kink_at_rho_c(tables, spec("a"))) == ["fail"]
    tables.fidelity = fidelity_rows("a", n[:3], F[:3])
    assert statuses(error_kink_at_rho_c(tables, spec("a"))) == ["not applicable"]


def test_mz_jumps_at_rho_c_and_vanishes_from_l_7_on():
    n, rho, k, F = _transition(N=64)
    sharp = np.where(np.arange(len(n)) <= k, 0.6, 0.0)
    smooth = np.linspace(0.6, 0.0, len(n))  # steps of 0.02: no sharp change
    runs = pd.DataFrame([run("L8", L=8), run("smooth", L=8), run("L4", L=4)])
    h = pd.concat([history("L8", n, 1e-3, mz=sharp, N=64), history("smooth", n, 1e-3, mz=smooth, N=64),
                   history("L4", n, 1e-3, mz=sharp, N=64)])
    f = pd.concat([fidelity_rows(r, n, F, N=64) for r in ("L8", "smooth", "L4")])
    rows = magnetisation_at_rho_c(FigureTables(runs=runs, histories=h, fidelity=f), spec("L8", "smooth", "L4"))
    assert statuses(rows) == ["pass", "fail", "not applicable"]
    assert "largest |ΔM_z| = 0.6" in rows[0]["measured"] and "L = 4 below 7" in rows[2]["measured"]


def test_an_exact_fidelity_drop_needs_a_visible_change_of_state():
    """Exact fidelities have no error bar: between near-exact states 1 - F wanders over decades (the
    toric code's plateau: 1e-6 .. 3e-4) and a 5x contrast alone would call the first wander a drop.
    The onset is the first pair with 1 - F >= DIP_MIN_INFIDELITY; the figures and claims read the
    exact column when every pair has one (FigureTables.fidelity_rows)."""
    from sparse_nqs.analysis import DIP_MIN_INFIDELITY, fidelity_drop_onset

    n = 18 * 144 * 0.88 ** np.arange(30)
    infidelity = np.concatenate([np.full(8, 1e-6), [6e-6, 1e-5, 6e-5, 2e-4, 1e-4, 3e-4], [0.05, 0.55],
                                 np.full(14, 0.2)])
    table = fidelity_rows("toric", n, 0.999, N=18).assign(fidelity=0.999, fidelity_error=1e-5,
                                                    fidelity_exact=1 - infidelity)
    tables = FigureTables(runs=pd.DataFrame([run("toric")]), fidelity=table)
    exact = tables.fidelity_rows("toric")
    assert exact.attrs["exact"] and (exact["fidelity_error"] == 0).all()
    onset = fidelity_drop_onset(exact)
    assert onset["fidelity"] == 0.95 and onset["rho_c"] == n[14] / 18
    assert 1 - onset["fidelity"] >= DIP_MIN_INFIDELITY > 3e-4
    partly = table.copy()
    partly.loc[partly.index[3], "fidelity_exact"] = np.nan  # one pair without: all Monte Carlo
    tables.fidelity = partly
    assert not tables.fidelity_rows("toric").attrs["exact"]


def test_fig3_rows_give_the_m_x_dip_around_the_fidelity_minimum_and_the_largest_m_z():
    """Per L (Fig. 3c, d): M_x at the rounds around the neighbour-fidelity minimum against the rounds
    before it (negative: the dip the paper sees from L = 7), and the largest |M_z| along the path."""
    from sparse_nqs.claims.beside import _fig3_rows

    n = 800 * 0.88 ** np.arange(21)  # iterations -1 .. 19
    mx = np.full(21, 0.94)
    mx[12] = 0.90  # iteration 11: 0.04 below the rounds before
    mz = np.zeros(21)
    mz[13] = -0.3
    F = np.full(20, 0.999)
    F[10] = 0.6  # the pair (iteration 9 -> 10)
    hist = history("L7", n, np.linspace(1e-5, 0.1, 21), column="delta_e_per_spin", mx=mx, mz=mz)
    tables = FigureTables(runs=pd.DataFrame([run("L7", L=7)]), histories=hist, fidelity=fidelity_rows("L7", n[1:], F))
    rows = {r[0].split(":")[0].split(" (")[0]: r[3] for r in _fig3_rows(tables, "L7", {"model": {"L": 7},
                                                                                       "pruning": {"iterations": 20}})}
    assert rows["M_x near rho_c"] == "-0.04"
    assert rows["largest |M_z| along the path"] == "0.3"
    assert rows["rho_c"] == f"{n[11] / 16:.3g}"
