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
import copy
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import fidelity_drop_onset
from ..names import TICKET_VARIANTS
from ..results import existing_inputs, is_toric, load_figure_tables
from .common import HEP_FRACTION, HEP_POINTS, ROUND_WINDOW, fidelity_rows, g, hep_level, path, pruned, ticket_values
from .toric import MIN_ONSET_BASE, ticket_advantage

COLUMNS = ["quantity", "run", "paper", "paper (plotted)", "ours", "from"]
REPLICA_COLUMN = "other seeds"
FIGURE_ONLY = "not stated in the text"
#: the paper (plotted) column where the paper has no curve of the run, or no figure data at all
NOT_PLOTTED, NO_FIGURE_DATA = "not plotted", "no figure data (source paper)"
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
    if not _finished(points, settings):  # the fidelities may be there (the paper's Fig. 4b has every width)
        return (dense + [["IMP-WR low-error plateau eps_rel", run, FIGURE_ONLY, UNDER_WAY, where]]
                + _fidelity_rows(tables, run, "rho_c = 16 (alpha 4-32)", onset=True))
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
        [f"rho where IMP-WR reaches the high-error plateau (eps_rel >= {HEP_FRACTION:g} x its level)",
         run, FIGURE_ONLY, f"{g(float(on_hep['rho'].max()))} (level {g(hep)})" if not on_hep.empty
         else "not reached", where]]
    rows += _fidelity_rows(tables, run, "rho_c = 16 (alpha 4-32)", onset=True)
    if not settings["tickets"]["variants"]:
        return rows
    wide = ticket_values(tables, run)
    tickets = f"runs/{run}/tickets/*.json ({'exact' if wide.attrs.get('exact') else 'Monte Carlo'})"
    advantage_row = (f"tickets' advantage over IMP-WR at rho = {TORIC_TICKET_WINDOW[0]:g}-{TORIC_TICKET_WINDOW[1]:g} "
                     "(IMP-WR eps_rel / the worse m_imp ticket; the largest on the path)")
    if not tickets_trained or wide.empty or not set(TICKET_VARIANTS) <= set(wide):
        return rows + [[advantage_row, run, "about two orders of magnitude", UNDER_WAY, tickets]]
    def times(row) -> str:
        return f"x{g(row.ratio)} at rho {g(row.rho)} ({g(math.log10(row.ratio), 2)} decades)"

    def words(advantage) -> str:
        window = advantage[advantage["rho"].between(*TORIC_TICKET_WINDOW)]
        out = ("; ".join(times(r) for r in window.itertuples()) if not window.empty
               else f"no ticket iteration at rho {TORIC_TICKET_WINDOW[0]:g}-{TORIC_TICKET_WINDOW[1]:g}")
        if not advantage.empty:
            out += "; largest " + times(advantage.loc[advantage["ratio"].idxmax()])
        return out

    better_row = advantage_row.replace("the worse m_imp ticket", "the better m_imp ticket")
    leaves = wide[wide["init_rand"] >= LEAVES_LEP * lep]
    rows += [[advantage_row, run, "about two orders of magnitude", words(ticket_advantage(tables, run)), tickets],
             [better_row, run, "about two orders of magnitude", words(ticket_advantage(tables, run, "better")),
              tickets],
             [f"rho where T(theta_init, m_rand) leaves the low-error plateau (eps_rel >= {LEAVES_LEP:g}x the IMP-WR plateau)",
              run, "at a much higher rho than the m_imp tickets",
              g(float(leaves["rho"].max())) if not leaves.empty else "not reached", tickets]]
    return rows


def _papers_tables(plan, run: str, figure: str):
    """The paper's curves of one of our runs as FigureTables (None where the run is not the paper's)."""
    from ..external import paper
    from ..results import run_table

    info = run_table(plan, [run]).iloc[0].to_dict()
    return paper.figure_tables(figure, run, plan.runs[run], plan.summaries[run], info)


def _papers_rows(plan, run: str, figure: str, rows_of) -> list[list]:
    """The rows of one of our runs computed by ``rows_of(tables, settings)`` from the paper's own
    curves of the run (:func:`sparse_nqs.external.paper.figure_tables`): the same quantities by the
    same code, on the rounds the paper plots (its path taken as finished where it ends)."""
    tables = _papers_tables(plan, run, figure)
    if tables is None:
        return []
    settings = copy.deepcopy(plan.runs[run])
    if not tables.histories.empty:
        settings["pruning"]["iterations"] = int(tables.histories["iteration"].max()) + 1
    return rows_of(tables, settings)


#: the panels whose curves are compared point by point: (figure, panel) -> (column, in decades)
CURVE_PANELS = {("fig3", "a"): ("delta_e_per_spin", True), ("fig3", "b"): ("fidelity", False),
                ("fig3", "c"): ("mz", False), ("fig3", "d"): ("mx", False), ("fig4", "a"): ("eps_rel", True),
                ("fig4", "b"): ("fidelity", False)}
CURVE_DISTANCE = "curve distance to the paper's plot"


def _curve_rows(plan, run: str, figure: str, ours) -> list[list]:
    """Per panel of the paper that shows the run: the median and largest distance of our curve from
    the paper's over the pruning rounds both have (|log10(ours / paper)| for errors, |ours - paper|
    for fidelities and magnetisations)."""
    theirs = _papers_tables(plan, run, figure)
    rows = []
    if theirs is None:
        return rows
    for (fig, panel), (column, decades) in CURVE_PANELS.items():
        if fig != figure:
            continue
        if column == "fidelity":
            a, b = (fidelity_rows(t, run) for t in (ours, theirs))
            key, value = "iteration_from", "fidelity"
        else:
            a, b = (path(t, run, column=column) for t in (ours, theirs))
            key, value = "iteration", "value"
        if a.empty or b.empty:
            continue
        both = a[[key, value]].merge(b[[key, value]], on=key, suffixes=("_ours", "_paper")).dropna()
        x, y = both[f"{value}_ours"].to_numpy(float), both[f"{value}_paper"].to_numpy(float)
        if decades:
            keep = (x > 0) & (y > 0)
            d, unit = np.abs(np.log10(x[keep] / y[keep])), " decades"
        else:
            d, unit = np.abs(x - y), ""
        if not len(d):
            continue
        rows.append([f"{CURVE_DISTANCE}, Fig. {figure[3:]}{panel} ({column}): median (largest) over the rounds both "
                     "plot", run, "", f"{len(d)} rounds", f"{g(float(np.median(d)), 2)} ({g(float(d.max()), 2)}){unit}",
                     f"runs/{run}/imp_wr/{'fidelity' if column == 'fidelity' else 'history'}.csv"])
    return rows


def _with_plotted(ours: list[list], papers: list[list]) -> list[list]:
    """Our rows [quantity, run, paper, ours, from] with the paper's plotted value of each quantity
    after the text's (``not plotted`` where the paper has no curve for it)."""
    plotted = {row[0]: row[3] for row in papers if row[3] != UNDER_WAY}
    return [[q, run, text, plotted.get(q, NOT_PLOTTED), value, where] for q, run, text, value, where in ours]


def beside_the_paper(plan, results: Path) -> pd.DataFrame:
    """The table of this module's docstring for the runs of ``plan`` found under ``results``."""
    from ..external import QUCUMBER_LABEL
    from ..figures.rbm import RBMTables
    from .rbm import DAMAGE_FACTOR, SOURCE_FRACTIONS, damage_fraction, fraction_words, first_damage

    results = Path(results)
    rows = []
    tables = load_figure_tables(plan, "fig3", existing_inputs(plan.figure_inputs("fig3"), results)).for_figure(plan.figures["fig3"])
    for run in plan.figures["fig3"]["runs"]:
        rows += _with_plotted(_fig3_rows(tables, run, plan.runs[run]),
                              _papers_rows(plan, run, "fig3", lambda t, s: _fig3_rows(t, run, s)))
        rows += _curve_rows(plan, run, "fig3", tables)
    tables = load_figure_tables(plan, "fig4", existing_inputs(plan.figure_inputs("fig4"), results)).for_figure(plan.figures["fig4"])
    for run in plan.figures["fig4"]["runs"]:
        if is_toric(tables.run_info(run)):
            trained = all((results / plan.ticket_file(run, v, i)).is_file() for v, i in plan.tickets(run))
            rows += _with_plotted(_fig4_rows(tables, run, plan.runs[run], trained),
                                  _papers_rows(plan, run, "fig4", lambda t, s: _fig4_rows(t, run, s, True)))
            rows += _curve_rows(plan, run, "fig4", tables)
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
            rows.append([f"first damage, fraction pruned (h = {h:g})", run, SOURCE_FRACTIONS.get(h, ""), NO_FIGURE_DATA,
                         ours, where])
            external = rbm.qucumber(run)
            if external is not None and external.finished and ours != UNDER_WAY:
                # one criterion both paths have: the exact KL alone, against its own dense value
                quantity = (f"first damage by the exact KL alone (KL >= {DAMAGE_FACTOR:g}x its dense value to the "
                            f"end), fraction pruned (h = {h:g})")
                end = float(history.pruned.max())
                rows += [[quantity, run, SOURCE_FRACTIONS.get(h, ""), NO_FIGURE_DATA,
                          fraction_words(damage_fraction(history, "kl_exact"), end), where],
                         [quantity + f"; {QUCUMBER_LABEL}", run, SOURCE_FRACTIONS.get(h, ""), NO_FIGURE_DATA,
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
    out.insert(list(out.columns).index("from"), REPLICA_COLUMN,
               ["; ".join(values.get((q, r), [])) for q, r in zip(table["quantity"], table["run"])])
    return out


AGREEMENT_COLUMN = "ours against the paper's plot"
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?", re.I)


def _first_number(text) -> float:
    match = _NUMBER.search(str(text).replace("x", " ", 1) if str(text).startswith("x") else str(text))
    return float(match.group()) if match else math.nan


def _difference(quantity: str, a: float, b: float, p_r: float | None) -> tuple[float, str]:
    """(size, words) of the difference of two values of one quantity: pruning rounds for a rho,
    decades for a positive error or ratio, plain difference otherwise (magnetisations, changes)."""
    if quantity.startswith("rho") and p_r:
        d = abs(math.log(a / b) / math.log(1 - p_r)) if a > 0 and b > 0 else math.nan
        return d, f"{d:.0f} round{'s' if round(d) != 1 else ''}"
    if a > 0 and b > 0 and not quantity.startswith(("M_x", "dense M_x", "M_x in")):
        d = abs(math.log10(a / b))
        return d, f"{d:.2g} decades"
    d = abs(a - b)
    return d, f"{d:.2g}"


def judged(table: pd.DataFrame, plan) -> pd.DataFrame:
    """``table`` with the column :data:`AGREEMENT_COLUMN`: for each row with a plotted value of the
    paper, how far ours is from it (pruning rounds for a rho, decades for errors and ratios), and,
    where other seeds are in the table, whether that is within the run-to-run spread (ours against
    the other seeds' value of the same quantity)."""
    out = table.copy()
    verdicts = []
    for values in out.to_dict("records"):
        plotted, ours = values.get("paper (plotted)", ""), values.get("ours", "")
        quantity = str(values["quantity"])
        p_r = plan.runs[values["run"]]["pruning"]["p_r"] if values["run"] in plan.runs else None
        a, b = _first_number(ours), _first_number(plotted)
        if quantity.startswith(CURVE_DISTANCE):  # the row is itself the comparison
            verdicts.append("")
            continue
        if str(plotted) in ("", NOT_PLOTTED, NO_FIGURE_DATA) or not (math.isfinite(a) and math.isfinite(b)):
            verdicts.append("")
            continue
        d, words = _difference(quantity, a, b, p_r)
        others = [_first_number(v) for v in str(values.get(REPLICA_COLUMN, "")).split("; ") if v]
        others = [o for o in others if math.isfinite(o)]
        if not others:
            verdicts.append("equal" if d == 0 else f"differs by {words}")
            continue
        spread, spread_words = max(_difference(quantity, a, o, p_r) for o in others)
        verdicts.append(f"within the spread ({words}; seeds {spread_words})" if d <= spread * (1 + 1e-9)
                        else f"differs by {words} (seeds {spread_words})")
    out.insert(list(out.columns).index("from"), AGREEMENT_COLUMN, verdicts)
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

    parser = argparse.ArgumentParser(prog="python -m sparse_nqs.claims.beside", description=__doc__.splitlines()[0])
    parser.add_argument("results", help="a results or published directory")
    parser.add_argument("--config", nargs="+", required=True)
    parser.add_argument("--replica", nargs=2, action="append", default=[], metavar=("DIR", "CONFIG"),
                        help="the same runs with other seeds: their results and config (repeatable)")
    args = parser.parse_args(argv)
    configure(file_backend=True)
    plan = Plan.from_config(load_config(*args.config))
    table = beside_the_paper(plan, Path(args.results))
    if args.replica:
        table = with_replicas(table, [beside_the_paper(Plan.from_config(load_config(config)), Path(directory))
                                      for directory, config in args.replica])
    print(markdown(judged(table, plan)), end="")


if __name__ == "__main__":
    main()
