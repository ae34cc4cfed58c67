"""Figures 1-7 from small synthetic tables with the documented columns (sparse_nqs.results), and the
degenerate cases (empty tables, 3 iterations, one kappa, no weights table) that must not crash."""

import copy
import io
import math

import numpy as np
import pandas as pd
import pytest

from sparse_nqs.figures import FIGURES, STYLE, PanelWarning, caption, draw_figure, save_figure
from sparse_nqs.results import FigureTables
from sparse_nqs.settings import FIGURE_DEFAULTS, PLOTTING_DEFAULTS

KAPPA_C = 3.04438
E_REF_PER_SPIN = -3.211395  # 10x10 TFIM at kappa_c: the paper's Fig. 1 reference
DPI = 60  # small PNGs keep the tests fast


# --------------------------------------------------------------------------------------------
# synthetic tables
# --------------------------------------------------------------------------------------------
def run_row(run, network, L, kappa=KAPPA_C, alpha=None, n_filters=None, n_blocks=None, n_init=100, p_r=0.12,
            iterations=10, model="tfim"):
    N = 2 * L * L if model == "toric" else L * L
    system = f"toric_L{L}" if model == "toric" else f"tfim_L{L}_k{kappa:g}_open"
    return {"run": run, "system": system, "model": model, "L": L, "N": N,
            "kappa": None if model == "toric" else kappa, "network": network, "alpha": alpha,
            "n_filters": n_filters, "n_blocks": n_blocks, "n_init": n_init, "p_r": p_r, "iterations": iterations}


def n_sequence(n_init, p_r, iterations):
    n = [n_init]
    for _ in range(iterations):
        n.append(n[-1] - max(1, int(np.rint(p_r * n[-1]))))
    return n


def error_curve(n, n_low, n_high, eps_low, slope, rng, noise=0.08):
    """LEP above n_high, power law n^slope between, HEP plateau below n_low."""
    n = np.asarray(n, dtype=float)
    clipped = np.clip(n, n_low, n_high)
    return eps_low * (clipped / n_high) ** slope * np.exp(noise * rng.standard_normal(n.shape))


def evaluation_columns(eps, N, e_ref, rng, rho=None, rho_c=None):
    energy = e_ref + eps * abs(e_ref)
    variance = 40.0 * eps * N
    row = {"energy": energy, "energy_error": 0.15 * eps * abs(e_ref) + 1e-4, "variance": variance,
           "variance_per_spin": variance / N, "v_score": N * variance / energy**2, "eps_rel": eps,
           "delta_e_per_spin": eps * abs(e_ref) / N, "reference_energy": np.full_like(eps, e_ref),
           "reference_source": "dmrg:tenpy"}
    if rho is not None:
        step = 1.0 / (1.0 + np.exp(-6 * (np.log(rho) - np.log(rho_c or 4.0))))
        row.update({"mz": 0.6 * (1 - step) + 0.02 * rng.standard_normal(eps.shape), "mz_error": 0.01 + 0 * eps,
                    "mx": 0.55 + 0.25 * step + 0.01 * rng.standard_normal(eps.shape), "mx_error": 0.005 + 0 * eps,
                    "abs_mz": 0.65 * (1 - step) + 0.1})
    return row


def history_rows(run, N, n_init, p_r, iterations, rng, method="imp_wr", eps_low=2e-4, slope=-1.3,
                 n_low_frac=0.01, n_high_frac=0.3, rho_c=4.0, worse=1.0, e_ref_per_spin=E_REF_PER_SPIN):
    n = np.array(n_sequence(n_init, p_r, iterations))
    eps = error_curve(n, n_low_frac * n_init, n_high_frac * n_init, eps_low, slope, rng) * \
        np.where(np.arange(len(n)) == 0, 1.0, worse)
    rows = pd.DataFrame({"run": run, "method": method, "variant": "", "iteration": np.arange(-1, iterations),
                         "rounds": np.arange(0, iterations + 1), "n": n, "rho": n / N,
                         **evaluation_columns(eps, N, e_ref_per_spin * N, rng, n / N, rho_c)})
    return rows


def ticket_rows(history, every=3, factors=None, rng=None):
    factors = factors or {"init_imp": 1.1, "rand_imp": 1.25, "init_rand": 4.0}
    imp = history[history.iteration >= 0].iloc[::every]
    out = []
    for variant, factor in factors.items():
        t = imp.copy()
        sparse = np.linspace(1.0, factor, len(t)) if variant == "init_rand" else factor
        t["eps_rel"] = t["eps_rel"] * sparse * np.exp(0.05 * rng.standard_normal(len(t)))
        t["variant"], t["method"] = variant, ""
        out.append(t)
    return pd.concat(out, ignore_index=True)


def fidelity_rows(history, rho_c, rng, depth=0.45, width=0.25):
    h = history.sort_values("iteration")
    rho = h.rho.to_numpy()[:-1]
    f = 1 - depth * np.exp(-((np.log(rho) - np.log(rho_c)) / width) ** 2) - 0.01 * rng.random(len(rho))
    return pd.DataFrame({"run": h.run.iloc[0], "method": "imp_wr", "iteration_from": h.iteration.to_numpy()[:-1],
                         "iteration_to": h.iteration.to_numpy()[1:], "n": h.n.to_numpy()[:-1], "rho": rho,
                         "fidelity": f, "fidelity_error": 0.02 + 0 * f, "fidelity_exact": np.nan})


def log_rows(run, N, methods, pretrain_steps, k, iterations, rng):
    e_ref = E_REF_PER_SPIN * N
    steps = np.arange(pretrain_steps)
    pre = pd.DataFrame({"step": steps, "energy": e_ref * (1 - 0.7 * np.exp(-steps / (pretrain_steps / 6))) +
                        0.01 * abs(e_ref) * rng.standard_normal(len(steps)), "phase": "pretrain", "iteration": -1})
    out = []
    for m, worse in zip(methods, (1.0, 1.5, 3.0)):
        parts = [pre]
        for i in range(iterations):
            s = pretrain_steps + i * k + np.arange(k)
            eps = 2e-4 * worse * min(1.15 ** i, 100.0) * (1 + 3 * np.exp(-(s - s[0]) / (k / 4)))
            parts.append(pd.DataFrame({"step": s, "energy": e_ref + eps * abs(e_ref), "phase": m, "iteration": i}))
        log = pd.concat(parts, ignore_index=True)
        log = log.assign(energy_error=0.01, variance=1.0, r_hat=1.0, acceptance=0.5, wall_seconds=0.01,
                         run=run, method=m)
        out.append(log)
    return pd.concat(out, ignore_index=True)


def dense_from(histories):
    d = histories[histories.iteration == -1].drop_duplicates("run").copy()
    d["method"] = "dense"
    return d


def weights_table():
    """A realistic Fig. 4(d) table from the project's own toric-code helpers."""
    from sparse_nqs.analysis.toric import neuron_weight_table, odd_parity_network
    from sparse_nqs.physics.models import ToricCode

    model = ToricCode(3)
    _, variables = odd_parity_network(model, 1.0)
    kernel = np.asarray(variables["params"]["kernel"]).copy()
    mask = np.asarray(variables["masks"]["kernel"]).copy()
    rng = np.random.default_rng(3)
    kernel *= rng.uniform(0.3, 1.0, kernel.shape)
    kernel[:, 9] = np.abs(kernel[:, 9])  # an even-parity neuron (all positive)
    mask[:, 17] = 0
    mask[[0, 5, 13], 17] = 1
    kernel[[0, 5, 13], 17] = [0.4, -0.9, 0.2]  # weights not on one plaquette
    table = neuron_weight_table(kernel, mask, model, neurons=[0, 9, 17, 26, 44, 70])
    return table.assign(run="toric_a16", iteration=20)


def construction_table():
    from sparse_nqs.analysis.toric import odd_parity_analytic

    rows = []
    for L in (2, 3):
        for W in FIGURE_DEFAULTS["W"]:
            a = odd_parity_analytic(L, W)
            N = 2 * L * L
            rows.append({"L": L, "N": N, "W": W, "method": "exact", "energy": a["energy"], "energy_error": 0.0,
                         "variance": a["variance"], "energy_per_spin": a["energy_per_spin"],
                         "variance_per_spin": a["variance_per_spin"], "n_samples": 0,
                         "analytic_energy_per_spin": a["energy_per_spin"],
                         "analytic_variance_per_spin": a["variance_per_spin"]})
    return pd.DataFrame(rows)


def spec_for(runs, **extra):
    spec = copy.deepcopy(FIGURE_DEFAULTS)
    spec["runs"] = list(runs)
    spec.update(extra)
    return spec


def synthetic(fig, iterations=None, seed=0):
    """(FigureTables, spec) of one figure, shaped like the paper's experiment at small scale."""
    rng = np.random.default_rng(seed)
    if fig in ("fig1", "fig5", "fig6"):
        nets = [("cnn", dict(n_filters=4), 36, 0.05, 31), ("ffnn", dict(alpha=5), 50000, 0.12, 65),
                ("rescnn", dict(n_filters=16, n_blocks=4), 18576, 0.12, 43)]
        if fig == "fig5":
            nets = nets[:2]
        runs, hist, tick, logs = [], [], [], []
        for name, opts, n_init, p_r, its in nets:
            its = iterations or its
            runs.append(run_row(name, name, 10, n_init=n_init, p_r=p_r, iterations=its, **opts))
            h = history_rows(name, 100, n_init, p_r, its, rng, n_low_frac=0.004 if name != "cnn" else 0.3,
                             n_high_frac=0.2 if name != "cnn" else 0.9)
            hist.append(h)
            tick.append(ticket_rows(h, rng=rng))
            if fig == "fig5":
                for m, worse in (("imp_ct", 1.6), ("irp_wr", 5.0)):
                    hist.append(history_rows(name, 100, n_init, p_r, its, rng, method=m, worse=worse))
                logs.append(log_rows(name, 100, ["imp_wr", "imp_ct", "irp_wr"], 200, 40, its, rng))
        runs = pd.DataFrame(runs)
        histories = pd.concat(hist, ignore_index=True)
        dense = dense_from(histories[histories.method == "imp_wr"])
        if fig in ("fig1", "fig6"):  # extra dense ResCNNs of other seeds (the reference runs)
            extra = dense[dense.run == "rescnn"].copy()
            extra = pd.concat([extra.assign(run=f"rescnn_seed{s}") for s in range(3)], ignore_index=True)
            extra["energy"] = extra["energy"] * (1 - 1e-5 * np.arange(3))
            extra["variance_per_spin"] = extra["variance_per_spin"] * (1 + 0.3 * np.arange(3))
            dense = pd.concat([dense, extra], ignore_index=True)
            runs = pd.concat([runs, pd.DataFrame([run_row(f"rescnn_seed{s}", "rescnn", 10, n_filters=16,
                                                          n_blocks=4, n_init=18576) for s in range(3)])])
        tables = FigureTables(runs=runs.reset_index(drop=True), dense=dense, histories=histories,
                              tickets=pd.concat(tick, ignore_index=True) if fig != "fig5" else pd.DataFrame(),
                              logs=pd.concat(logs, ignore_index=True) if logs else pd.DataFrame())
        return tables, spec_for([n for n, *_ in nets])
    if fig == "fig2":
        runs, hist = [], []
        for alpha, its in ((1, 54), (2.5, 60), (5, 65)):
            name = f"ffnn_a{alpha:g}_kc"
            its = iterations or its
            runs.append(run_row(name, "ffnn", 10, alpha=alpha, n_init=int(alpha * 10000), iterations=its))
            hist.append(history_rows(name, 100, int(alpha * 10000), 0.12, its, rng, eps_low=1e-4 / alpha,
                                     n_low_frac=0.002, n_high_frac=0.1))
        for kappa in (0.1, 1, 2, 4, 5, 6):
            name = f"ffnn_a5_k{kappa:g}"
            its = iterations or 65
            runs.append(run_row(name, "ffnn", 10, kappa=kappa, alpha=5, n_init=50000, iterations=its))
            hist.append(history_rows(name, 100, 50000, 0.12, its, rng, eps_low=1e-5 * (1 + abs(kappa - 3)),
                                     slope=-1.0 - 0.1 * kappa, n_low_frac=0.001, n_high_frac=0.05))
        runs = pd.DataFrame(runs)
        histories = pd.concat(hist, ignore_index=True)
        return FigureTables(runs=runs, dense=dense_from(histories), histories=histories), spec_for(runs.run)
    if fig == "fig3":
        runs, hist, fid = [], [], []
        for L, its in zip(range(4, 11), (51, 58, 64, 69, 65, 74, 74)):
            N = L * L
            name = f"ffnn_a8_L{L}"
            its = iterations or its
            runs.append(run_row(name, "ffnn", L, alpha=8, n_init=8 * N * N, iterations=its))
            rho_c = 3.2 + 0.2 * (L - 4)
            h = history_rows(name, N, 8 * N * N, 0.12, its, rng, eps_low=1e-5 * L, n_low_frac=0.002,
                             n_high_frac=0.05, rho_c=rho_c)
            hist.append(h)
            fid.append(fidelity_rows(h, rho_c, rng))
        runs = pd.DataFrame(runs)
        histories = pd.concat(hist, ignore_index=True)
        return (FigureTables(runs=runs, dense=dense_from(histories), histories=histories,
                             fidelity=pd.concat(fid, ignore_index=True)), spec_for(runs.run))
    if fig == "fig4":
        runs, hist, fid, filt, tick = [], [], [], [], []
        for alpha, its in ((4, 47), (8, 53), (16, 58), (32, 64)):
            name = f"toric_a{alpha}"
            its = iterations or its
            n_init = alpha * 18 * 18
            runs.append(run_row(name, "ffnn", 3, alpha=alpha, n_init=n_init, iterations=its, model="toric"))
            h = history_rows(name, 18, n_init, 0.12, its, rng, eps_low=3e-3, slope=-1.5, n_low_frac=0.005,
                             n_high_frac=0.03, e_ref_per_spin=-1.0)
            h["reference_source"] = "analytic:closed-form"
            hist.append(h)
            fid.append(fidelity_rows(h, 16.0 * (1 + 0.3 / alpha), rng, depth=0.2 + alpha / 60, width=0.12))
            rho = h.rho.to_numpy()[1:]
            n_odd = np.round(30 * np.exp(-((np.log(rho) - np.log(24)) / 0.6) ** 2)).astype(int)
            filt.append(pd.DataFrame({"run": name, "iteration": np.arange(its), "n": h.n.to_numpy()[1:], "rho": rho,
                                      "n_neurons": alpha * 18, "n_odd": n_odd, "n_even": 1, "n_partial": 2,
                                      "n_other": 5, "n_plaquettes": 9,
                                      "n_plaquettes_covered": np.minimum(n_odd, 9),
                                      "coverage": np.minimum(n_odd, 9) / 9, "n_plaquettes_complete": 0}))
            if alpha == 8:
                t = ticket_rows(h, rng=rng, factors={"init_imp": 0.3, "rand_imp": 0.35, "init_rand": 3.0})
                t["reference_source"] = "analytic:closed-form"
                tick.append(t)
        runs = pd.DataFrame(runs)
        histories = pd.concat(hist, ignore_index=True)
        tables = FigureTables(runs=runs, dense=dense_from(histories), histories=histories,
                              tickets=pd.concat(tick, ignore_index=True), fidelity=pd.concat(fid, ignore_index=True),
                              filters=pd.concat(filt, ignore_index=True), weights=weights_table())
        return tables, spec_for(runs.run, weights_run="toric_a16", weights_iteration=20)
    if fig == "fig7":
        return FigureTables(construction=construction_table()), spec_for([])
    raise ValueError(fig)


EXPECTED_AXES = {"fig1": 3, "fig2": 3, "fig3": 4, "fig4": 4, "fig5": 3, "fig6": 4, "fig7": 2}


def _texts(ax):
    return " ".join(t.get_text() for t in ax.texts)


def _saved(figure, tmp_path, name):
    written = save_figure(figure, tmp_path / "figures" / name, DPI)
    pdf, png = tmp_path / "figures" / f"{name}.pdf", tmp_path / "figures" / f"{name}.png"
    assert written == [pdf, png]
    for path in (pdf, png):
        assert path.exists() and path.stat().st_size > 1000
    assert pdf.read_bytes()[:5] == b"%PDF-" and png.read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in (tmp_path / "figures").iterdir() if p.name.startswith(".")]  # no temporaries left


# --------------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("error::sparse_nqs.results.TablesWarning")
@pytest.mark.parametrize("fig", FIGURES)
def test_figure_from_synthetic_tables(fig, tmp_path):
    tables, spec = synthetic(fig, iterations=12)
    figure = draw_figure(fig, tables, spec, PLOTTING_DEFAULTS)
    assert len(figure.axes) == EXPECTED_AXES[fig]
    notes = " ".join(_texts(ax) for ax in figure.axes)
    assert "no data" not in notes and "could not draw" not in notes
    assert figure.get_suptitle()
    _saved(figure, tmp_path, fig)


@pytest.mark.filterwarnings("error::sparse_nqs.results.TablesWarning")
def test_fig1_details():
    tables, spec = synthetic("fig1")
    figure = draw_figure("fig1", tables, spec, PLOTTING_DEFAULTS)
    axes = figure.axes
    assert [ax.get_xscale() for ax in axes] == ["log"] * 3 and [ax.get_yscale() for ax in axes] == ["log"] * 3
    titles = [ax.get_title(loc="left") for ax in axes]
    assert "CNN" in titles[0] and "FFNN" in titles[1] and "ResCNN" in titles[2]
    assert len(axes[2].child_axes) == 1  # the dense-network inset
    inset = axes[2].child_axes[0]
    assert inset.collections  # dense points
    assert any(line.get_linestyle() == "--" for line in inset.get_lines())  # the reference line
    title = figure.get_suptitle()
    assert "10×10" in title and "DMRG (TeNPy)" in title
    # one colour per method / variant, as in STYLE; legend labels in words
    colors = {tuple(np.round(matplotlib_rgb(line.get_color()), 3)) for line in axes[1].get_lines()}
    for key in ("imp_wr", "init_imp", "rand_imp", "init_rand"):
        assert tuple(np.round(matplotlib_rgb(STYLE[key]["color"]), 3)) in colors
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert any("IMP-WR" in lab for lab in labels) and any("theta_{\\rm rand}" in lab for lab in labels)


def matplotlib_rgb(color):
    from matplotlib.colors import to_rgb

    return to_rgb(color)


def test_style_is_shared_and_complete():
    for key in ("imp_wr", "imp_ct", "irp_wr", "init_imp", "rand_imp", "init_rand"):
        assert {"color", "marker", "label"} <= set(STYLE[key])
    colors = [STYLE[k]["color"] for k in ("imp_wr", "imp_ct", "irp_wr", "init_imp", "rand_imp", "init_rand")]
    assert len(set(colors)) == 6


@pytest.mark.filterwarnings("error::sparse_nqs.results.TablesWarning")
def test_fig5_uses_the_same_colours_as_fig1():
    tables, spec = synthetic("fig5", iterations=6)
    figure = draw_figure("fig5", tables, spec, PLOTTING_DEFAULTS)
    colors = {tuple(np.round(matplotlib_rgb(line.get_color()), 3)) for line in figure.axes[0].get_lines()}
    for key in ("imp_wr", "imp_ct", "irp_wr"):
        assert tuple(np.round(matplotlib_rgb(STYLE[key]["color"]), 3)) in colors
    assert figure.axes[-1].get_lines()  # training curves


@pytest.mark.filterwarnings("error::sparse_nqs.results.TablesWarning")
def test_fig2_shades_regions_and_notes_empty_phases():
    tables, spec = synthetic("fig2")
    figure = draw_figure("fig2", tables, spec, PLOTTING_DEFAULTS)
    labels = figure.axes[0].get_legend_handles_labels()[1]
    assert any(lab.startswith("APL") for lab in labels) and any(lab.startswith("HEP") for lab in labels)
    # only kappa_c runs: (b) and (c) say so
    critical = tables.runs.run[:3]
    only_kc = FigureTables(runs=tables.runs[:3], histories=tables.histories[tables.histories.run.isin(critical)])
    figure = draw_figure("fig2", only_kc, spec_for(only_kc.runs.run), PLOTTING_DEFAULTS)
    assert len(figure.axes) == 3
    assert "kappa < \\kappa_c" in _texts(figure.axes[1]) and "kappa > \\kappa_c" in _texts(figure.axes[2])


@pytest.mark.filterwarnings("error::sparse_nqs.results.TablesWarning")
def test_fig2_with_three_iterations_skips_the_region_fit(tmp_path):
    tables, spec = synthetic("fig2", iterations=3)
    figure = draw_figure("fig2", tables, spec, PLOTTING_DEFAULTS)
    assert "too few points" in _texts(figure.axes[0])
    assert not any(lab.startswith("APL") for lab in figure.axes[0].get_legend_handles_labels()[1])
    _saved(figure, tmp_path, "fig2_short")


@pytest.mark.filterwarnings("error::sparse_nqs.results.TablesWarning")
def test_fig3_marks_rho_c():
    tables, spec = synthetic("fig3", iterations=40)
    figure = draw_figure("fig3", tables, spec, PLOTTING_DEFAULTS)
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert any("rho_c" in lab for lab in labels) and any("L = 10" in lab for lab in labels)
    assert "absolute error per spin" in figure.axes[0].get_title(loc="left")


def test_a_run_without_a_pruning_path_is_named_as_not_drawn_not_as_a_system():
    tables, spec = synthetic("fig3", iterations=40)
    tables.histories = tables.histories[tables.histories.run != "ffnn_a8_L10"]
    title = draw_figure("fig3", tables, spec, PLOTTING_DEFAULTS).get_suptitle()
    assert "not drawn, no pruning path yet: ffnn_a8_L10" in title
    assert "L = 4–9" in title and "10" not in title.split("not drawn")[0]
    tables.histories = tables.histories.iloc[:0]  # nothing drawn: the systems of every run, nothing "not drawn"
    title = draw_figure("fig3", tables, spec, PLOTTING_DEFAULTS).get_suptitle()
    assert "L = 4–10" in title and "not drawn" not in title


@pytest.mark.filterwarnings("error::sparse_nqs.results.TablesWarning")
def test_fig4_without_weights_table_says_so(tmp_path):
    tables, spec = synthetic("fig4", iterations=12)
    tables.weights = pd.DataFrame()
    figure = draw_figure("fig4", tables, spec, PLOTTING_DEFAULTS)
    assert len(figure.axes) == 4
    assert "no weights table" in _texts(figure.axes[3])
    assert any(math.isclose(line.get_xdata()[0], 16.0) for line in figure.axes[1].get_lines()
               if len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1])
    _saved(figure, tmp_path, "fig4_noweights")


@pytest.mark.parametrize("fig", FIGURES)
def test_empty_tables_do_not_crash(fig, tmp_path):
    figure = draw_figure(fig, FigureTables(), spec_for([]), {})
    assert 1 <= len(figure.axes) <= EXPECTED_AXES[fig]
    assert any(ax.texts for ax in figure.axes)  # a "no data" style note somewhere
    _saved(figure, tmp_path, f"{fig}_empty")
    assert caption(fig, FigureTables(), spec_for([]))


@pytest.mark.parametrize("fig", ["fig1", "fig3", "fig4", "fig5", "fig6"])
def test_degenerate_tables_do_not_crash(fig):
    tables, spec = synthetic(fig, iterations=3)
    tables.tickets = pd.DataFrame()  # no tickets
    spec = spec_for(list(spec["runs"]) + ["missing_run"], **{k: spec[k] for k in ("weights_run", "weights_iteration")})
    h = tables.histories.copy()
    h.loc[h.index[:2], "eps_rel"] = None  # JSON nulls
    h.loc[h.index[2], "energy_error"] = -1.0
    tables.histories = h
    if not tables.fidelity.empty:
        tables.fidelity = tables.fidelity.iloc[:1]
    with _no_panel_warning():
        figure = draw_figure(fig, tables, spec, {"palette": "deep", "context": "notebook"})
        _rendered(figure)


def _rendered(figure):
    """A full render into memory (cheaper than save_figure's PDF + PNG): artists that fail only at draw
    time fail here."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=40)
    assert buffer.getvalue()[:4] == b"\x89PNG"


class _no_panel_warning:
    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings(record=True)
        self.records = self._catch.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._catch.__exit__(*exc)
        bad = [r for r in self.records if issubclass(r.category, PanelWarning)]
        assert not bad, [str(r.message) for r in bad]
        return False


def test_runs_table_missing_and_unknown_figure(tmp_path):
    tables, spec = synthetic("fig1", iterations=4)
    tables.runs = pd.DataFrame()  # no run descriptions: labels fall back to run names, N to n/rho
    figure = draw_figure("fig1", tables, spec, PLOTTING_DEFAULTS)
    assert len(figure.axes) == 3 and "cnn" in figure.axes[0].get_title(loc="left")
    _saved(figure, tmp_path, "fig1.norun")  # a dot in the stem is kept
    with pytest.raises(ValueError, match="unknown figure"):
        draw_figure("fig9", tables, spec, PLOTTING_DEFAULTS)


def test_captions_name_system_and_reference():
    for fig in FIGURES:
        tables, spec = synthetic(fig, iterations=4)
        text = caption(fig, tables, {**spec, "caption": "Extra sentence."})
        assert text.endswith("Extra sentence.") and len(text) > 100
    tables, spec = synthetic("fig1", iterations=4)
    text = caption("fig1", tables, spec)
    assert "10×10 TFIM" in text and "DMRG (TeNPy)" in text
    text = caption("fig4", *synthetic("fig4", iterations=4))
    assert "toric code L = 3 (N = 18)" in text
    assert "L = 2 (N = 8)" in caption("fig7", *synthetic("fig7"))


def test_captions_are_valid_restructuredtext():
    docutils_core = pytest.importorskip("docutils.core")
    for fig in FIGURES:
        text = caption(fig, *synthetic(fig, iterations=4))
        assert "$" not in text
        docutils_core.publish_string(text, writer="html", settings_overrides={"report_level": 2, "halt_level": 2})


def test_an_energy_below_its_reference_is_marked_in_the_lottery_ticket_panels():
    tables, spec = synthetic("fig1", iterations=6)
    clean = draw_figure("fig1", tables, spec, PLOTTING_DEFAULTS)
    label = STYLE["below_reference"]["label"]
    assert not [c for ax in clean.axes for c in ax.containers if c.get_label() == label]

    h = tables.histories.copy()
    row = h.index[(h.run == "ffnn") & (h.iteration == 3)][0]
    h.loc[row, "energy"] = h.loc[row, "reference_energy"] - 10 * h.loc[row, "energy_error"]  # 10 sigma below
    tables.histories = h
    figure = draw_figure("fig1", tables, spec, PLOTTING_DEFAULTS)
    marked = [c for ax in figure.axes for c in ax.containers if c.get_label() == label]
    assert len(marked) == 1  # in the FFNN's panel only, at the one shifted point
    x = marked[0].lines[0].get_xdata()
    assert len(x) == 1 and x[0] == h.loc[row, "n"]


@pytest.mark.parametrize("fig", ["fig1", "fig6"])
def test_dense_variances_spanning_decades_get_a_logarithmic_axis(fig):
    tables, spec = synthetic(fig, iterations=6)

    def variance_scale(spread):
        h = tables.histories.copy()
        dense = h.iteration == -1
        factor = h.loc[dense, "run"].map({r: spread ** k for k, r in enumerate(sorted(set(h.run)))})
        h.loc[dense, "variance_per_spin"] = 0.01 * factor
        h.loc[dense, "variance"] = 0.01 * factor * 100
        shifted = type(tables)(**{**tables.__dict__, "histories": h, "dense": pd.DataFrame()})
        figure = draw_figure(fig, shifted, spec, PLOTTING_DEFAULTS)
        if fig == "fig1":  # the inset: variance on x
            return next(ax.child_axes[0] for ax in figure.axes if ax.child_axes).get_xscale()
        return figure.axes[-1].get_yscale()  # the last panel: variance on y

    assert variance_scale(30.0) == "log"  # three networks over three decades
    assert variance_scale(1.5) == "linear"


@pytest.mark.parametrize("logy", [False, True])
def test_the_inset_covers_no_data_point_even_when_every_corner_has_some(logy):
    """The Fig. 1 inset takes the emptiest corner and, if that still holds data, stretches the y axis
    until the points clear it."""
    import matplotlib.pyplot as plt
    import numpy as np

    from sparse_nqs.figures.style import inset_in_free_corner

    figure, ax = plt.subplots(figsize=(4, 3))
    x = np.geomspace(1, 1000, 40)
    y = np.geomspace(1e-5, 1e-1, 40)
    ax.plot(x, y, "o")
    ax.plot(x, y[::-1], "o")  # the two diagonals: data in all four corners
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    inset = inset_in_free_corner(ax)
    figure.canvas.draw()
    box = inset.get_window_extent()
    for line in ax.get_lines():
        for px, py in ax.transData.transform(line.get_xydata()):
            assert not (box.x0 <= px <= box.x1 and box.y0 <= py <= box.y1), (px, py, box)
    plt.close(figure)


def test_the_papers_own_curves_are_drawn_behind_the_papers_runs_only():
    """Fig. 3 and Fig. 4 draw the authors' plotted data (sparse_nqs.external.paper) behind each run
    that is the paper's run (system, network, p_r), pale and wide in the run's colour, with one legend
    entry that names them; a run with other settings (another boundary, width or lattice) gets none."""
    from sparse_nqs.external.paper import PAPER_LABEL
    from sparse_nqs.figures.shared import PAPER_STYLE

    def pale(ax):
        return [line for line in ax.lines if line.get_linewidth() == PAPER_STYLE["linewidth"] and len(line.get_xdata())]

    for fig, per_panel in (("fig3", [7, 7, 7, 7]), ("fig4", [4, 4])):
        tables, spec = synthetic(fig)
        tables.runs = tables.runs.assign(boundary="open")
        figure = draw_figure(fig, tables, spec, dict(PLOTTING_DEFAULTS))
        counts = [len(pale(ax)) for ax in figure.axes[:len(per_panel)]]
        assert counts == per_panel, (fig, counts)
        labels = [t.get_text() for legend in figure.legends for t in legend.get_texts()]
        labels += [t.get_text() for ax in figure.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        assert PAPER_LABEL in labels, fig
        for ax in figure.axes[:len(per_panel)]:
            for line in pale(ax):  # in the colour of one of our curves
                assert line.get_color() in {other.get_color() for other in ax.lines if other not in pale(ax)}
    tables, spec = synthetic("fig3")
    tables.runs = tables.runs.assign(boundary="periodic")
    figure = draw_figure("fig3", tables, spec, dict(PLOTTING_DEFAULTS))
    assert not any(pale(ax) for ax in figure.axes)


def test_a_figure_without_runs_is_one_readable_sentence(tmp_path):
    """figures.<fig>.runs empty (the paper subset's Figs. 1, 2, 5, 6): one line saying so, not empty
    panels whose titles the narrow placeholder cut off (fig7 needs no runs and is drawn)."""
    for fig in ("fig1", "fig2", "fig5", "fig6"):
        figure = draw_figure(fig, FigureTables(), spec_for([]), dict(PLOTTING_DEFAULTS))
        texts = [t.get_text() for ax in figure.axes for t in ax.texts]
        assert texts == [f"{fig}: no runs in this config (figures.{fig}.runs is empty)"], fig
        assert len(figure.axes) == 1 and not figure.axes[0].axison
        _saved(figure, tmp_path, f"{fig}_no_runs")
