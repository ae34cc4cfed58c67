"""The numbers of the paper's own runs beside the paper's: one row per quantity the paper states (or
shows) for Fig. 3 (TFIM, FFNN alpha 8, per L), Fig. 4 (toric code, per width: IMP-WR and its fidelity
drop; at alpha 8 its tickets) and the RBM study (damage points), read from a results or published
directory.

    python -m sparse_nqs.claims.beside published/paper-subset --config workflow/presets/paper-subset.yaml

prints the table as Markdown (docs/results.md is made that way). The ``paper`` column holds what the
paper's text states; where only a figure shows a value it says so (the figures' values are not read
off here). ``ours`` is ``under way`` where the run has not produced the table yet. Each
``--replica DIR CONFIG`` (the same runs with other seeds, e.g. workflow/presets/paper-subset-replica.yaml)
adds the column ``other seeds``: its values of the same quantities, the run-to-run spread.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import fidelity_drop_onset
from ..names import TICKET_VARIANTS
from ..results import existing_inputs, is_toric, load_figure_tables
from .common import HEP_FRACTION, HEP_POINTS, ROUND_WINDOW, fidelity_rows, g, hep_level, path, pruned, ticket_values
from .toric import MIN_ONSET_BASE, ticket_advantage

COLUMNS = ["quantity", "run", "paper", "ours", "from"]
REPLICA_COLUMN = "other seeds"
FIGURE_ONLY = "shown in the figure, not stated in the text"
#: the toric-code window of the paper's tickets "two orders of magnitude" below IMP-WR (rho = n / N)
TORIC_TICKET_WINDOW = (10.0, 16.0)
UNDER_WAY = "under way"
#: a toric-code error has left the low-error plateau at this multiple of the plateau's level
LEAVES_LEP = 10.0


def _finished(points: pd.DataFrame, settings: dict) -> bool:
    """A whole pruning path (an unfinished one has no HEP yet: its sparsest rounds are still to come)."""
    return len(pruned(points)) == int(settings["pruning"]["iterations"])


def _source(where: str, points: pd.DataFrame) -> str:
    """The file a row's values come from, and whether they are exact or Monte Carlo estimates."""
    return f"{where} ({'exact' if points.attrs.get('exact') else 'Monte Carlo'})"


def _fidelity_rows(tables, run: str, stated: str, onset: bool = False) -> list[list]:
    """rho_c (the neighbour-fidelity minimum of the IMP-WR path) beside the paper's ``stated``
    value, and the depth of the drop there; with ``onset``, first the rho where the fidelity first
    drops out of the path (the toric code's rho_c: after the onset the fidelities scatter)."""
    fid = fidelity_rows(tables, run)
    where = f"runs/{run}/imp_wr/fidelity.csv"
    if fid.empty:
        return [["rho_c (neighbour-fidelity minimum)", run, stated, UNDER_WAY, where]]
    # fidelity_rows holds the exact fidelity where the states could be enumerated
    source = f"{where} ({'exact' if fid.attrs.get('exact') else 'Monte Carlo'})"
    F = fid["fidelity"].to_numpy(float)
    k = int(np.argmin(F))
    rows = []
    if onset:
        first = fidelity_drop_onset(fid, MIN_ONSET_BASE)
        rows.append(["rho where the neighbour fidelity first drops (out of the denser pairs)", run, stated,
                     "no drop" if first is None else f"{g(first['rho_c'])} (1 - F = {g(1 - first['fidelity'], 2)})",
                     source])
    return rows + [["rho_c (neighbour-fidelity minimum)", run, FIGURE_ONLY if onset else stated,
                    g(float(fid["rho"].iloc[k])), source],
                   ["depth of the fidelity drop (largest 1 - F)", run, FIGURE_ONLY, g(1 - float(F[k])), source]]


def _fig3_rows(tables, run: str, settings: dict) -> list[list]:
    where = f"runs/{run}/imp_wr/history.csv"
    L = settings["model"]["L"]
    points = path(tables, run, column="delta_e_per_spin")
    where = _source(where, points)
    if not _finished(points, settings):
        dense = g(points["value"].iloc[0]) if not points.empty else UNDER_WAY  # known after pre-training
        return [["dense Delta E/N", run, FIGURE_ONLY, dense, where],
                ["rho_c (neighbour-fidelity minimum)", run, "about 3-5", UNDER_WAY, where]]
    rows = [["dense Delta E/N", run, FIGURE_ONLY, g(points["value"].iloc[0]), where],
            [f"high-error plateau Delta E/N (median of the {HEP_POINTS} sparsest rounds)", run, FIGURE_ONLY,
             g(hep_level(points)), where]]
    rows += _fidelity_rows(tables, run, "about 3-5")
    mx, mz = path(tables, run, column="mx"), path(tables, run, column="mz")
    rows += [["dense M_x", run, FIGURE_ONLY, g(mx["value"].iloc[0]), where],
             [f"M_x in the high-error plateau (median of the {HEP_POINTS} sparsest)", run, FIGURE_ONLY,
              g(pruned(mx)["value"].tail(HEP_POINTS).median()), where],
             ["largest |M_z| along the path", run, "symmetry breaking seen only from L = 7" + (
                 " (none expected here)" if L < 7 else ""), g(float(mz["value"].abs().max())), where]]
    fid = fidelity_rows(tables, run)
    if not fid.empty:
        # the rounds around the fidelity minimum: where the paper sees M_x dip (from L = 7)
        it = int(fid["iteration_from"].to_numpy()[np.argmin(fid["fidelity"].to_numpy(float))])
        near = pruned(mx)[(pruned(mx)["iteration"] - it).abs() <= ROUND_WINDOW]
        before = pruned(mx)[pruned(mx)["iteration"] < it - ROUND_WINDOW].tail(HEP_POINTS)
        if not near.empty and not before.empty:
            dip = float(near["value"].min()) - float(before["value"].median())
            rows.append([f"M_x near rho_c: the lowest within {ROUND_WINDOW} rounds of the fidelity minimum, "
                         f"minus the median of the {HEP_POINTS} rounds before (negative: a dip)", run,
                         "M_x dips near rho_c from L = 7", g(dip), where])
    return rows


def _fig4_rows(tables, run: str, settings: dict, tickets_trained: bool) -> list[list]:
    """Per width (Fig. 4b): the dense error, the IMP-WR plateaus and the fidelity drop; at the
    width with tickets (Fig. 4a) also their advantage over IMP-WR."""
    points = path(tables, run)
    where = _source(f"runs/{run}/imp_wr/history.csv", points)
    dense = [["dense eps_rel", run, FIGURE_ONLY, g(points["value"].iloc[0]) if not points.empty else UNDER_WAY,
              where]]
    if not _finished(points, settings):
        return dense + [["IMP-WR low-error plateau eps_rel", run, FIGURE_ONLY, UNDER_WAY, where]]
    p = pruned(points)
    lep, hep = float(p["value"].head(HEP_POINTS).median()), hep_level(points)
    on_hep = p[p["value"] >= HEP_FRACTION * hep]
    # single rounds of the plateau scatter far above its median: the path has left it where it
    # and every sparser round stay above LEAVES_LEP x the level
    below = np.flatnonzero(p["value"].to_numpy(float) < LEAVES_LEP * lep)
    left = p.iloc[below[-1] + 1:] if below.size else p
    rows = dense + [
        [f"IMP-WR low-error plateau eps_rel (median of the {HEP_POINTS} densest rounds)", run, FIGURE_ONLY,
         g(lep), where],
        [f"rho where IMP-WR leaves the low-error plateau for good (this and every sparser round at eps_rel >= "
         f"{LEAVES_LEP:g}x its level)", run, FIGURE_ONLY, g(float(left["rho"].max())) if not left.empty
         else "not reached", where],
        [f"rho where IMP-WR reaches the high-error plateau (eps_rel >= {HEP_FRACTION:g} x its level {g(hep)})",
         run, FIGURE_ONLY, g(float(on_hep["rho"].max())) if not on_hep.empty else "not reached", where]]
    rows += _fidelity_rows(tables, run, "rho_c = 16 (alpha 4-32)", onset=True)
    if not settings["tickets"]["variants"]:
        return rows
    wide = ticket_values(tables, run)
    tickets = f"runs/{run}/tickets/*.json ({'exact' if wide.attrs.get('exact') else 'Monte Carlo'})"
    advantage_row = (f"tickets' advantage over IMP-WR at rho = {TORIC_TICKET_WINDOW[0]:g}-{TORIC_TICKET_WINDOW[1]:g} "
                     "(IMP-WR eps_rel / the worse m_imp ticket; the largest on the path)")
    if not tickets_trained or wide.empty or not set(TICKET_VARIANTS) <= set(wide):
        return rows + [[advantage_row, run, "about two orders of magnitude", UNDER_WAY, tickets]]
    advantage = ticket_advantage(tables, run)

    def times(row) -> str:
        return f"x{g(row.ratio)} at rho {g(row.rho)} ({g(math.log10(row.ratio), 2)} decades)"

    window = advantage[advantage["rho"].between(*TORIC_TICKET_WINDOW)]
    ours = ("; ".join(times(r) for r in window.itertuples()) if not window.empty
            else f"no ticket iteration at rho {TORIC_TICKET_WINDOW[0]:g}-{TORIC_TICKET_WINDOW[1]:g}")
    if not advantage.empty:
        ours += "; largest " + times(advantage.loc[advantage["ratio"].idxmax()])
    leaves = wide[wide["init_rand"] >= LEAVES_LEP * lep]
    rows += [[advantage_row, run, "about two orders of magnitude", ours, tickets],
             [f"rho where T(theta_init, m_rand) leaves the low-error plateau (eps_rel >= {LEAVES_LEP:g}x the IMP-WR plateau)",
              run, "at a much higher rho than the m_imp tickets",
              g(float(leaves["rho"].max())) if not leaves.empty else "not reached", tickets]]
    return rows


def beside_the_paper(plan, results: Path) -> pd.DataFrame:
    """The table of this module's docstring for the runs of ``plan`` found under ``results``."""
    from ..external import QUCUMBER_LABEL
    from ..figures.rbm import RBMTables
    from .rbm import DAMAGE_FACTOR, SOURCE_FRACTIONS, damage_fraction, fraction_words, first_damage

    results = Path(results)
    rows = []
    tables = load_figure_tables(plan, "fig3", existing_inputs(plan.figure_inputs("fig3"), results)).for_figure(plan.figures["fig3"])
    for run in plan.figures["fig3"]["runs"]:
        rows += _fig3_rows(tables, run, plan.runs[run])
    tables = load_figure_tables(plan, "fig4", existing_inputs(plan.figure_inputs("fig4"), results)).for_figure(plan.figures["fig4"])
    for run in plan.figures["fig4"]["runs"]:
        if is_toric(tables.run_info(run)):
            trained = all((results / plan.ticket_file(run, v, i)).is_file() for v, i in plan.tickets(run))
            rows += _fig4_rows(tables, run, plan.runs[run], trained)
    spec = plan.rbm_figures["rbm_fig2"]
    if spec["runs"]:
        files = existing_inputs(plan.rbm_figure_inputs("rbm_fig2"), results)
        rbm = RBMTables.load(results, {r: plan.rbm_runs[r] for r in spec["runs"]}, files)
        for run in spec["runs"]:
            h = plan.rbm_runs[run]["model"]["h"]
            where = f"runs/{run}/{plan.rbm_runs[run]['pruning']['methods'][0]}/history.csv"
            history = rbm.path(run, plan.rbm_runs[run]["pruning"]["methods"][0])
            if history.empty or len(history) < 1 + plan.rbm_runs[run]["pruning"]["iterations"]:
                ours = UNDER_WAY
            else:
                fraction, measure, basis = first_damage(rbm, run)
                ours = (f"{fraction:.1%} ({measure}; {basis})" if math.isfinite(fraction)
                        else f"none up to {history.pruned.max():.1%}")
            rows.append([f"first damage, fraction pruned (h = {h:g})", run, SOURCE_FRACTIONS.get(h, ""), ours, where])
            external = rbm.qucumber(run)
            if external is not None and external.finished and ours != UNDER_WAY:
                # one criterion both paths have: the exact KL alone, against its own dense value
                quantity = (f"first damage by the exact KL alone (KL >= {DAMAGE_FACTOR:g}x its dense value to the "
                            f"end), fraction pruned (h = {h:g})")
                end = float(history.pruned.max())
                rows += [[quantity, run, SOURCE_FRACTIONS.get(h, ""),
                          fraction_words(damage_fraction(history, "kl_exact"), end), where],
                         [quantity + f"; {QUCUMBER_LABEL}", run, SOURCE_FRACTIONS.get(h, ""),
                          fraction_words(damage_fraction(external.table, "kl_exact"), end),
                          f"sparse_nqs/external/{external.directory.name}/imp_ct.csv (QuCumber {external.record['versions']['qucumber']})"]]
    return pd.DataFrame(rows, columns=COLUMNS)


def with_replicas(table: pd.DataFrame, replicas: list[pd.DataFrame]) -> pd.DataFrame:
    """``table`` with the column ``other seeds``: for each (quantity, run) row, the values of the
    same rows of ``replicas`` (the same runs with other seeds), joined by "; " ("" where no
    replica has the row)."""
    values = {}
    for replica in replicas:
        for row in replica.itertuples(index=False):
            values.setdefault((row.quantity, row.run), []).append(str(row.ours))
    out = table.copy()
    out[REPLICA_COLUMN] = ["; ".join(values.get((q, r), [])) for q, r in zip(table["quantity"], table["run"])]
    return out


def markdown(table: pd.DataFrame) -> str:
    columns = list(table.columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    from ..config.check import load_config
    from ..plan import Plan
    from ..runtime import configure

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="a results or published directory")
    parser.add_argument("--config", nargs="+", required=True)
    parser.add_argument("--replica", nargs=2, action="append", default=[], metavar=("DIR", "CONFIG"),
                        help="the same runs with other seeds: their results and config (repeatable)")
    args = parser.parse_args(argv)
    configure(file_backend=True)
    table = beside_the_paper(Plan.from_config(load_config(*args.config)), Path(args.results))
    if args.replica:
        table = with_replicas(table, [beside_the_paper(Plan.from_config(load_config(config)), Path(directory))
                                      for directory, config in args.replica])
    print(markdown(table), end="")


if __name__ == "__main__":
    main()
