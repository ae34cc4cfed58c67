"""The paper's plotted data (sparse_nqs/external/paper/) against what is known without the PDFs: the
axes' own ticks and grid lines, the legends, the paper's count rule and run lengths (Tables 3-6), and
which of our runs each curve belongs to. With the authors' PDFs at hand (SPARSE_NQS_PAPER_FIGURES: a
directory of them) the extraction is run again and must give the committed tables."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sparse_nqs.config.check import load_config
from sparse_nqs.external import paper
from sparse_nqs.plan import Plan

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def paper_plan():
    return Plan.from_config(load_config(ROOT / "workflow" / "presets" / "paper.yaml"))


def test_every_axis_maps_its_own_ticks_and_grid_lines_exactly():
    """The map of each axis is fitted to its labelled major ticks; its minor ticks (log axes: at 2..9
    x 10^k) and grid lines (at decades, or at multiples of the label step) are not used in the fit and
    must land where matplotlib put them."""
    a = paper.axes()
    assert set(a["file"]) >= {"fig1a.pdf", "fig1b.pdf", "fig1c.pdf", "fig1_inset.pdf", "fig2_abc.pdf",
                              "fig3_abcd.pdf", "fig4a.pdf", "fig4b.pdf", "fig4d.pdf", "appendix_variance_per_spin.pdf"}
    for (file, panel, axis), rows in a.groupby(["file", "panel", "axis"]):
        major = rows[rows["kind"] == "major"].sort_values("value")
        assert len(major) >= 2, (file, panel, axis)
        log = rows["scale"].iloc[0] == "log"
        step = 1.0 if log else float(np.min(np.diff(major["value"])))
        assert rows["residual"].max() < 1e-7 * step, (file, panel, axis)
        minor = rows[rows["kind"] == "minor"]["value"].to_numpy()
        if log and len(minor):
            mantissa = minor / 10 ** np.floor(np.log10(minor) + 1e-9)
            assert np.allclose(mantissa, np.round(mantissa), atol=1e-5), (file, panel, axis)
            assert set(np.round(mantissa).astype(int)) <= set(range(2, 10))
        grid = rows[rows["kind"] == "grid"]["value"].to_numpy()
        on = np.log10(grid) if log else grid / step
        assert np.allclose(on, np.round(on), atol=1e-6), (file, panel, axis)


def test_the_legends_name_the_curves_in_the_papers_order():
    legend = paper.legend()
    fig3 = legend[legend["file"] == "fig3_abcd.pdf"].sort_values("order")
    assert fig3["L"].tolist() == list(range(4, 11))
    assert [t.replace("×", "") for t in fig3["text"]] == [f"N={L}{L}" for L in range(4, 11)]
    fig4b = legend[(legend["file"] == "fig4b.pdf") & legend["alpha"].notna()].sort_values("order")
    assert fig4b["alpha"].tolist() == [4, 8, 16, 32] and fig4b["text"].tolist() == ["α=4", "α=8", "α=16", "α=32"]
    for panel, rows in legend.groupby(["file", "panel"]):
        assert not rows.duplicated(["colour", "dash"]).any(), panel  # a curve's stroke names it
    # the tickets look the same in every lottery-ticket panel (Fig. 1 a-c, Fig. 4a)
    tickets = legend[legend["variant"].notna() | (legend["method"] == "imp_wr")]
    styles = tickets.assign(dash=tickets["dash"].fillna("")).groupby(tickets["variant"].fillna("imp_wr"))[
        ["colour", "dash"]].nunique()
    assert (styles == 1).all().all() and len(styles) == 4


def _paper_run(plan, figure, keys):
    wanted = paper.PAPER_RUNS[figure](keys)
    runs = [r for r, s in plan.runs.items() if paper.is_papers_run(s, wanted)]
    return runs


def test_every_pruning_path_sits_on_the_papers_count_rule_with_the_papers_number_of_rounds(paper_plan):
    """Each x of a pruning path is n_i (or rho = n_i / N) of the paper's run as paper.yaml resolves it
    (count rule, n_init and the ResCNN's unpruned embedding included) to 1e-7, rounds in order; the
    lengths are those of Tables 3-6 where the figure draws every round (see the data's README)."""
    lengths = {}
    for figure in ("fig1", "fig2", "fig3", "fig4"):
        table = paper.points(figure)
        table = table[table["x_name"].isin(["n", "rho"]) & ~table.get("line", pd.Series(index=table.index)).notna()]
        for (panel, curve), rows in table.groupby(["panel", "curve"]):
            keys = paper.curve_keys(rows.iloc[0])
            runs = _paper_run(paper_plan, figure, keys)
            assert len(runs) >= 1, (figure, panel, keys)
            summary = paper_plan.summaries[runs[0]]
            n = np.asarray(summary["n_sequence"], dtype=float)
            scale = summary["system"]["N"] if rows["x_name"].iloc[0] == "rho" else 1.0
            x = rows.sort_values("point")["x"].to_numpy()
            index = [int(np.argmin(np.abs(n / scale - v))) for v in x]
            variant = rows["variant"].iloc[0] if "variant" in rows else None
            # from the dense network (a fresh T(theta_rand, m_imp) has no dense point; Fig. 3b's pairs start at 1)
            first = 1 if variant == "rand_imp" or (figure, panel) == ("fig3", "b") else 0
            assert x[0] == pytest.approx(n[first] / scale, rel=1e-7), (figure, panel, keys)
            if variant == "init_rand":  # random masks: the authors' own counts (Fig. 1 b, c differ from n_i)
                continue
            assert np.allclose(x, n[index] / scale, rtol=1e-7, atol=0), (figure, panel, keys, variant)
            assert all(np.diff(index) > 0), (figure, panel, keys)  # dense first, one round after another
            lengths[(figure, panel, runs[0], variant if isinstance(variant, str) else "path")] = (len(x), len(n))
    rounds = {key: value for key, value in lengths.items() if key[3] == "path"}
    for L in range(4, 11):  # Fig. 3: every round drawn, I + 1 points in a, c, d; I - 1 fidelity pairs in b
        for panel in "acd":
            assert rounds[("fig3", panel, f"fig3_L{L}", "path")][0] == rounds[("fig3", panel, f"fig3_L{L}", "path")][1]
        got, states = rounds[("fig3", "b", f"fig3_L{L}", "path")]
        assert got == states - 2
    for alpha in (4, 8, 16, 32):  # Fig. 4b: every pair (I of them)
        got, states = rounds[("fig4", "b", f"fig4_alpha{alpha}", "path")]
        assert got == states - 1
    for kappa in ("0.1", "1", "2", "4", "5", "6"):
        got, states = rounds[("fig2", "b" if float(kappa) < 3 else "c", f"fig2_kappa{kappa}", "path")]
        assert got == states
    assert rounds[("fig1", "b", "fig1_cnn", "path")] == (32, 32)
    assert rounds[("fig1", "c", "fig1_rescnn", "path")] == (44, 44)
    assert rounds[("fig4", "a", "fig4_alpha8", "path")] == (41, 54)  # drawn to rho 0.89 only


def test_the_dense_point_of_every_fig3_curve_is_the_dense_networks_rho(paper_plan):
    fig3 = paper.points("fig3")
    for (panel, L), rows in fig3.groupby(["panel", "L"]):
        summary = paper_plan.summaries[f"fig3_L{int(L)}"]
        N = summary["system"]["N"]
        dense = summary["n_sequence"][0] / N
        first = rows.sort_values("point").iloc[0]
        if panel == "b":  # the first fidelity pair sits at round 1
            dense = summary["n_sequence"][1] / N
        assert first["x"] == pytest.approx(dense, rel=1e-7) and rows["x"].max() == pytest.approx(dense, rel=1e-7)


def test_curves_belong_to_the_papers_runs_only():
    subset = Plan.from_config(load_config(ROOT / "workflow" / "presets" / "paper-subset.yaml"))
    fig3 = paper.curves_of_run("fig3", subset.runs["fig3_L4"])
    assert set(fig3["panel"]) == set("abcd") and set(fig3["L"]) == {4}
    assert len(paper.curve("fig4", "a", subset.runs["fig4_alpha8"])) == 41
    assert len(paper.curve("fig4", "a", subset.runs["fig4_alpha8"], variant="init_imp")) == 15
    assert len(paper.curve("fig4", "b", subset.runs["fig4_alpha8"])) == 53
    assert paper.curve("fig4", "a", subset.runs["fig4_alpha16"]).empty  # Fig. 4a is alpha 8 only
    smoke = Plan.from_config(load_config(ROOT / "workflow" / "presets" / "smoke.yaml"))
    default = Plan.from_config(load_config(ROOT / "config.yaml"))
    for plan in (smoke, default):  # miniatures: other lattices and widths than the paper's
        for settings in plan.runs.values():
            for figure in ("fig1", "fig2", "fig3", "fig4"):
                assert paper.curves_of_run(figure, settings).empty


FIGURE_DIR = os.environ.get("SPARSE_NQS_PAPER_FIGURES")


@pytest.mark.skipif(not FIGURE_DIR, reason="the authors' figure PDFs are not here (set SPARSE_NQS_PAPER_FIGURES "
                                          "to a directory of them to extract again)")
def test_extracting_again_gives_the_committed_tables(tmp_path):
    pytest.importorskip("pdfplumber", reason="the paper-data extra (pdfplumber) is not installed")
    from sparse_nqs.external.paper_extract import extract

    extract(Path(FIGURE_DIR), tmp_path)
    for name in ("fig1", "fig2", "fig3", "fig4", "fig4d_edges", "appendix_variance", "axes", "legend"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / f"{name}.csv"), pd.read_csv(paper.DATA / f"{name}.csv"))
