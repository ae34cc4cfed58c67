"""The paper's claims, checked on the reproduced tables (the ``claims`` rule of the workflow).

:func:`check_claims` ``(tables, specs)`` takes the :class:`~sparse_nqs.results.FigureTables` of each
figure (``{"fig1": ..., ...}``) and the resolved figure specs, and returns one row per checked claim
and network with the columns

    claim     the statement, in words, with the network or system it was checked on
    figure    the figure whose data decide it
    paper     the paper's sentence it tests (section or figure)
    measured  what the data give (or, when ``not applicable``, why they cannot decide it and which
              scale would)
    expected  the criterion, with its thresholds
    basis     where each threshold comes from: the paper's own number, or the reason for ours
    status    "pass", "fail" or "not applicable"

The checks test the paper's sentence at the strength it is stated: a laptop-scale run that cannot
reach it fails (or says which scale it needs); thresholds are not relaxed to make it pass. Each
check is one function in the module of its topic, its thresholds the module constants beside it:

* :mod:`.lottery` - sparsity without loss, tickets, ResCNN, IMP-WR against IMP-CT / IRP-WR, variance
  (Figs. 1, 5, 6);
* :mod:`.scaling` - error regions, collapse across widths and sizes, the transition at rho_c (Figs. 2, 3);
* :mod:`.toric` - the toric code and the odd-parity construction (Figs. 4, 7);
* :mod:`.reference` - the variational principle (every figure with energies) and the authors'
  shifted reference field (Figs. 1, 2);
* :mod:`.rbm` - the RBM family's claims (Golubeva and Melko 2022) and the lottery-ticket questions
  asked of the RBM, on the tables of the ``rbm_`` figures (:func:`check_rbm_claims`).

:func:`claims_rst` renders the table for the Snakemake report, :func:`claims_markdown` for a document
(``python -m sparse_nqs.claims results/claims.csv`` prints it: docs/results.md is made that way).
"""

from __future__ import annotations

import math

import pandas as pd

from .common import CLAIM_COLUMNS, FAIL, NOT_APPLICABLE, PASS, STATUSES, Claim
from .lottery import (
    dense_rescnn_below_dmrg,
    imp_wr_beats_alternatives,
    learned_structure_matches_dense,
    rescnn_tickets_independent,
    sparsity_without_loss,
    tickets_agree,
    tickets_beat_random_mask,
    variance_follows_error,
)
from .reference import reference_field_shift, variational_principle
from .scaling import (
    error_kink_at_rho_c,
    ferromagnet_enters_hep_first,
    fidelity_dip_tfim,
    magnetisation_at_rho_c,
    scaling_regions_exist,
    size_collapse,
    width_collapse,
)
from .toric import (
    complete_filters_at_rho_c,
    construction_converges,
    toric_fidelity_drop,
    toric_random_mask_fails_early,
    toric_tickets_beat_imp,
)

#: (claim function, figure whose tables decide it), in report order
CLAIMS = [
    (sparsity_without_loss, "fig1"),
    (learned_structure_matches_dense, "fig1"),
    (tickets_agree, "fig1"),
    (tickets_beat_random_mask, "fig1"),
    (rescnn_tickets_independent, "fig1"),
    (dense_rescnn_below_dmrg, "fig1"),
    (scaling_regions_exist, "fig2"),
    (width_collapse, "fig2"),
    (ferromagnet_enters_hep_first, "fig2"),
    (size_collapse, "fig3"),
    (fidelity_dip_tfim, "fig3"),
    (error_kink_at_rho_c, "fig3"),
    (magnetisation_at_rho_c, "fig3"),
    (toric_tickets_beat_imp, "fig4"),
    (toric_random_mask_fails_early, "fig4"),
    (toric_fidelity_drop, "fig4"),
    (complete_filters_at_rho_c, "fig4"),
    (imp_wr_beats_alternatives, "fig5"),
    (variance_follows_error, "fig6"),
    (construction_converges, "fig7"),
    (reference_field_shift, "fig1"),
    (reference_field_shift, "fig2"),
    *[(variational_principle, fig) for fig in ("fig1", "fig2", "fig3", "fig4", "fig5", "fig6")],
]

__all__ = ["CLAIMS", "CLAIM_COLUMNS", "PASS", "FAIL", "NOT_APPLICABLE", "Claim", "check_claims", "check_rbm_claims",
           "is_papers_own", "papers_own_claims",
           "claims_rst",
           "claims_markdown",
           *(check.__name__ for check, _ in CLAIMS)]


def _undecided(check, fig, reason) -> dict:
    title = (check.__doc__ or check.__name__).strip().splitlines()[0]
    return {"claim": title, "figure": fig, "paper": "", "measured": reason, "expected": "", "basis": "",
            "status": NOT_APPLICABLE}


def check_claims(tables: dict, specs: dict[str, dict]) -> pd.DataFrame:
    """Every claim of :data:`CLAIMS` on the tables of its figure; see the module docstring."""
    prepared = {}
    rows = []
    for check, fig in CLAIMS:
        if fig not in tables or tables[fig] is None:
            rows.append(_undecided(check, fig, f"no tables for {fig}"))
            continue
        spec = (specs or {}).get(fig) or {}
        if fig not in prepared:
            prepared[fig] = tables[fig].for_figure(spec)
        try:
            rows += check(prepared[fig], spec, fig)
        except Exception as err:  # noqa: BLE001 - one undecidable claim must not hide the others
            rows.append(_undecided(check, fig, f"could not evaluate: {type(err).__name__}: {err}"))
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def check_rbm_claims(tables: dict, specs: dict[str, dict]) -> pd.DataFrame:
    """Every claim of :data:`.rbm.RBM_CLAIMS` on the :class:`~sparse_nqs.figures.rbm.RBMTables` of its
    figure (figures without runs are left out)."""
    from .rbm import RBM_CLAIMS

    rows = []
    for check, fig in RBM_CLAIMS:
        spec = (specs or {}).get(fig) or {}
        if not spec.get("runs") or tables.get(fig) is None:
            continue
        try:
            rows += check(tables[fig], spec, fig)
        except Exception as err:  # noqa: BLE001 - one undecidable claim must not hide the others
            rows.append(_undecided(check, fig, f"could not evaluate: {type(err).__name__}: {err}"))
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def claims_table(plan, results_dir, inputs: dict[str, dict], rbm_inputs: dict[str, dict]) -> pd.DataFrame:
    """The whole claims table of a plan: every figure's tables read from ``inputs`` ({fig: {kind:
    [paths]}}, as :meth:`~sparse_nqs.plan.Plan.figure_inputs` lists them) and the RBM targets' from
    ``rbm_inputs`` (under ``results_dir``); the ``claims`` rule and ``sparse-nqs replot`` both call it."""
    from ..figures.rbm import RBMTables
    from ..results import load_figure_tables

    tables = {fig: load_figure_tables(plan, fig, files) for fig, files in inputs.items()}
    rbm_tables = {fig: RBMTables.load(results_dir, {r: plan.rbm_runs[r] for r in plan.rbm_figures[fig]["runs"]},
                                      files) for fig, files in rbm_inputs.items()}
    rbm_specs = {fig: plan.rbm_figures[fig] for fig in rbm_inputs}
    return pd.concat([check_claims(tables, plan.figures), check_rbm_claims(rbm_tables, rbm_specs),
                      papers_own_claims()], ignore_index=True)


#: the figure column of a claim checked on the paper's own plotted data (not on ours)
PAPERS_OWN = "{fig}, the paper's plotted data"


def papers_own_claims() -> pd.DataFrame:
    """The paper's sentences of Figs. 3 and 4 checked by the same code on the authors' own plotted
    curves of every run of the figure (:func:`sparse_nqs.external.paper.own_figure_tables`): where a
    sentence and the paper's figure disagree, the table says so beside our verdicts. Decided rows only
    (``figure``: "fig3, the paper's plotted data"); not counted in the summary of ours."""
    import copy

    from ..external import paper
    from ..settings import FIGURE_DEFAULTS

    rows = []
    for fig in paper.FIGURE_RUN_KEY:
        tables, spec = paper.own_figure_tables(fig)
        checked = check_claims({fig: tables}, {fig: {**copy.deepcopy(FIGURE_DEFAULTS), **spec}})
        checked = checked[(checked["figure"] == fig) & checked["status"].isin([PASS, FAIL])]
        # the paper's values carry no error bar here: "exact" in the words means "as plotted"
        measured = checked["measured"].astype(str).str.replace("(exact)", "(as plotted)", regex=False)
        rows.append(checked.assign(figure=PAPERS_OWN.format(fig=fig), measured=measured))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=CLAIM_COLUMNS)


def is_papers_own(table: pd.DataFrame) -> pd.Series:
    """Which rows of a claims table check the paper's own plotted data (:func:`papers_own_claims`)."""
    return table["figure"].astype(str).str.endswith(PAPERS_OWN.format(fig=""))


def _rst_escape(text) -> str:
    text = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    for char in ("\\", "*", "`", "|", "_"):
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())  # one line per cell


def claims_rst(table: pd.DataFrame) -> str:
    """The claims table as an RST list-table (with a one-line summary) for the Snakemake report."""
    if table is None or table.empty:
        return "No claims were checked.\n"
    lines = [f"Claims of the paper checked on the reproduced data: {_summary(table)}.", "",
             ".. list-table::", "   :header-rows: 1", "   :widths: 20 5 18 25 17 10 5", "",
             "   * - " + CLAIM_COLUMNS[0], *(f"     - {c}" for c in CLAIM_COLUMNS[1:])]
    for _, row in table.iterrows():
        cells = [_rst_escape(row.get(c)) for c in CLAIM_COLUMNS]
        lines.append(f"   * - {cells[0] or '-'}")
        lines += [f"     - {cell or '-'}" for cell in cells[1:]]
    return "\n".join(lines) + "\n"


def _summary(table: pd.DataFrame) -> str:
    """Counts of our verdicts, then of the checks of the paper's own plotted data (if any)."""
    own = is_papers_own(table) if "figure" in table else pd.Series(False, index=table.index)
    counts = table[~own]["status"].value_counts()
    text = ", ".join(f"{int(counts.get(s, 0))} {s}" for s in STATUSES)
    if own.any():
        theirs = table[own]["status"].value_counts()
        text += (f"; on the paper's own plotted data: {int(theirs.get(PASS, 0))} {PASS}, "
                 f"{int(theirs.get(FAIL, 0))} {FAIL}")
    return text


def claims_markdown(table: pd.DataFrame, statuses=None) -> str:
    """The claims table as Markdown, with a one-line summary (for docs/results.md); ``statuses``
    (e.g. ``["pass", "fail"]``) keeps only those rows, the summary still counting every row."""
    if table is None or table.empty:
        return "No claims were checked.\n"
    summary = f"{int((~is_papers_own(table)).sum())} checks: {_summary(table)}."
    if statuses:
        unknown = set(statuses) - set(STATUSES)
        if unknown:
            raise ValueError(f"unknown claim status(es) {sorted(unknown)}; known: {', '.join(STATUSES)}")
        table = table[table["status"].isin(statuses)]
        summary += f" Shown: the {len(table)} {' and '.join(statuses)}."

    def cell(value) -> str:
        text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
        return " ".join(text.split()).replace("|", "\\|")

    lines = [summary, "", "| " + " | ".join(CLAIM_COLUMNS) + " |",
             "|" + "---|" * len(CLAIM_COLUMNS)]
    for _, row in table.iterrows():
        cells = [cell(row.get(c)) for c in CLAIM_COLUMNS]
        cells[-1] = f"**{cells[-1]}**"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
