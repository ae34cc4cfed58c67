"""The paper-beside-ours table's run-to-run column and its Markdown (the table itself is made from
the published results by tests/workflow)."""

import pandas as pd

from sparse_nqs.claims.beside import COLUMNS, REPLICA_COLUMN, markdown, with_replicas


def table(rows):
    return pd.DataFrame(rows, columns=COLUMNS)


def test_other_seeds_are_matched_by_quantity_and_run_and_missing_rows_stay_empty():
    first = table([["rho_c", "fig3_L4", "about 3-5", "3.06", "f"], ["rho_c", "fig3_L5", "about 3-5", "3.5", "f"],
                   ["damage", "rbm_n18_h2", "about 75%", "81.5%", "h"]])
    replica_a = table([["rho_c", "fig3_L4", "about 3-5", "2.69", "f"], ["damage", "rbm_n18_h2", "x", "77.2%", "h"]])
    replica_b = table([["rho_c", "fig3_L4", "about 3-5", "3.5", "f"]])
    out = with_replicas(first, [replica_a, replica_b])
    assert list(out.columns) == COLUMNS + [REPLICA_COLUMN]
    assert out[REPLICA_COLUMN].tolist() == ["2.69; 3.5", "", "77.2%"]
    assert out[COLUMNS].equals(first)  # the first seed's columns are untouched
    lines = markdown(out).splitlines()
    assert lines[0] == "| " + " | ".join(COLUMNS + [REPLICA_COLUMN]) + " |"
    assert lines[1] == "|---|---|---|---|---|---|"
    assert lines[2] == "| rho_c | fig3_L4 | about 3-5 | 3.06 | f | 2.69; 3.5 |"


def test_a_vertical_bar_in_a_value_is_escaped():
    assert "\\|M_z\\|" in markdown(table([["largest |M_z|", "r", "p", "0.06", "f"]]))

