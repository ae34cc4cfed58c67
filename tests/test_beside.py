"""The paper-beside-ours table's run-to-run column, its judgement against the paper's plotted values
and its Markdown (the table itself is made from the published results by tests/workflow)."""

import pandas as pd

from sparse_nqs.claims.beside import AGREEMENT_COLUMN, COLUMNS, NOT_PLOTTED, REPLICA_COLUMN, judged, markdown, with_replicas
from sparse_nqs.config.check import load_config
from sparse_nqs.plan import Plan


def table(rows):
    return pd.DataFrame(rows, columns=COLUMNS)


def test_other_seeds_are_matched_by_quantity_and_run_and_missing_rows_stay_empty():
    first = table([["rho_c", "fig3_L4", "about 3-5", "2.69", "3.06", "f"],
                   ["rho_c", "fig3_L5", "about 3-5", "2.92", "3.5", "f"],
                   ["damage", "rbm_n18_h2", "about 75%", "", "81.5%", "h"]])
    replica_a = table([["rho_c", "fig3_L4", "about 3-5", "2.69", "2.69", "f"],
                       ["damage", "rbm_n18_h2", "x", "", "77.2%", "h"]])
    replica_b = table([["rho_c", "fig3_L4", "about 3-5", "2.69", "3.5", "f"]])
    out = with_replicas(first, [replica_a, replica_b])
    assert list(out.columns) == COLUMNS[:-1] + [REPLICA_COLUMN, "from"]
    assert out[REPLICA_COLUMN].tolist() == ["2.69; 3.5", "", "77.2%"]
    assert out[COLUMNS].equals(first)  # the first seed's columns are untouched
    lines = markdown(out).splitlines()
    assert lines[0] == "| " + " | ".join(COLUMNS[:-1] + [REPLICA_COLUMN, "from"]) + " |"
    assert lines[1] == "|---|---|---|---|---|---|---|"
    assert lines[2] == "| rho_c | fig3_L4 | about 3-5 | 2.69 | 3.06 | 2.69; 3.5 | f |"


def test_ours_is_judged_against_the_papers_plot_in_rounds_or_decades_and_against_the_seeds_spread():
    """A rho differs in pruning rounds (p_r = 0.12: rho x 0.88 per round), an error in decades; within
    the spread when the paper's value is no further from ours than another seed's is."""
    plan = Plan.from_config(load_config("workflow/presets/paper-subset.yaml"))
    rows = table([["rho_c (neighbour-fidelity minimum)", "fig3_L4", "about 3-5", "2.69", f"{2.69 / 0.88:.6g}", "f"],
                  ["rho_c (neighbour-fidelity minimum)", "fig3_L5", "about 3-5", "2.92", f"{2.92 / 0.88 ** 3:.6g}", "f"],
                  ["dense Delta E/N", "fig3_L4", "not stated", "1e-05", "1e-06", "f"],
                  ["dense M_x", "fig3_L5", "not stated", NOT_PLOTTED, "0.94", "f"]])
    replica = table([["rho_c (neighbour-fidelity minimum)", "fig3_L4", "about 3-5", "2.69", "2.69", "f"],
                     ["dense Delta E/N", "fig3_L4", "not stated", "1e-05", "2e-06", "f"]])
    out = judged(with_replicas(rows, [replica]), plan)
    assert out[AGREEMENT_COLUMN].tolist() == [
        "within the spread (1 round; seeds 1 round)", "differs by 3 rounds",
        "differs by 1 decades (seeds 0.3 decades)", ""]
    assert list(out.columns)[-2:] == [AGREEMENT_COLUMN, "from"]


def test_a_vertical_bar_in_a_value_is_escaped():
    assert "\\|M_z\\|" in markdown(table([["largest |M_z|", "r", "p", "", "0.06", "f"]]))
