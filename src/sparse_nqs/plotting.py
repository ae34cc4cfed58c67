"""Figures 1-7 of the paper drawn from the tables of a figure (SPEC.md section 7), nothing else.

Public API

* :func:`draw_figure` ``(fig, tables, spec, options) -> matplotlib.figure.Figure`` for ``fig1`` .. ``fig7``;
  ``tables`` is a :class:`sparse_nqs.tables.FigureTables`, ``spec`` the resolved figure spec
  (:data:`sparse_nqs.plan.FIGURE_DEFAULTS`), ``options`` the plotting options
  (:data:`sparse_nqs.plan.PLOTTING_DEFAULTS`: dpi, seaborn context, palette).
* :func:`save_figure` ``(figure, stem, dpi)`` writes ``stem.pdf`` and ``stem.png`` atomically.
* :func:`caption` ``(fig, tables, spec) -> str``: the caption of the Snakemake report.
* :data:`STYLE`: one colour, marker, line style and label per pruning method / ticket variant, used
  in every figure.

Every figure is drawn from whatever the tables hold: a missing run, an empty table or too few points
give a short note in the affected panel instead of an error. A panel that fails anyway is replaced
by a note and a :class:`PanelWarning` (so the plotting rule still writes the figure and the log says
why). Before drawing, the tables get the figure's reference (``spec["reference"]``, kind ``nqs``;
:meth:`FigureTables.with_reference`, idempotent) and the run description columns
(:meth:`FigureTables.with_run_info`).
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402,F401  (Agg backend selected before pyplot)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.ticker import (FuncFormatter, LogLocator, MaxNLocator, NullFormatter,  # noqa: E402
                               NullLocator)
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from .analysis import DIP_CONTRAST, DIP_SIGMAS, fidelity_dip, scaling_regions  # noqa: E402
from .plan import FIGURE_DEFAULTS, PLOTTING_DEFAULTS  # noqa: E402
from .results import FigureTables  # noqa: E402

FIGURES = ("fig1", "fig2", "fig3", "fig4", "fig5", "fig6", "fig7")

#: infinite-lattice critical field of the 2D TFIM (SPEC.md 1.1)
KAPPA_C = 3.04438
#: relative tolerance when deciding that a run's kappa is kappa_c
KAPPA_C_RTOL = 1e-3
#: toric-code critical density: 16 weights per spin = 32 per plaquette (SPEC.md 8)
TORIC_RHO_C = 16.0
#: Fig. 4(a): the toric-code lottery-ticket test uses alpha = 8 (SPEC.md 4)
TORIC_LTH_ALPHA = 8.0
#: scaling_regions needs 3 regions x 2 points
MIN_REGION_POINTS = 6
#: at most this many points per training-log curve (longer logs are block-averaged)
MAX_LOG_POINTS = 1500
#: inches per panel
PANEL_SIZE = (3.5, 2.9)

#: One style per pruning method / ticket variant, the same in every figure.
STYLE = {
    "imp_wr": {"color": "#0173b2", "marker": "o", "linestyle": "-",
               "label": r"IMP-WR: magnitude pruning, rewind to $\theta_{\rm wr}$"},
    "imp_ct": {"color": "#de8f05", "marker": "s", "linestyle": "-",
               "label": "IMP-CT: magnitude pruning, continued training"},
    "irp_wr": {"color": "#cc78bc", "marker": "D", "linestyle": "-",
               "label": r"IRP-WR: random pruning, rewind to $\theta_{\rm wr}$"},
    "init_imp": {"color": "#029e73", "marker": "^", "linestyle": "--",
                 "label": r"ticket $T(\theta_{\rm init}, m_{\rm IMP})$: original init., IMP mask"},
    "rand_imp": {"color": "#d55e00", "marker": "v", "linestyle": "--",
                 "label": r"ticket $T(\theta_{\rm rand}, m_{\rm IMP})$: new random init., IMP mask"},
    "init_rand": {"color": "#ca9161", "marker": "X", "linestyle": ":",
                  "label": r"ticket $T(\theta_{\rm init}, m_{\rm rand})$: original init., random mask"},
    "dense": {"color": "black", "marker": "*", "linestyle": "none", "label": "dense network (before pruning)"},
    "pretrain": {"color": "#949494", "marker": "", "linestyle": "-", "label": "dense pre-training"},
    "reference": {"color": "black", "marker": "", "linestyle": "--", "label": "reference energy"},
}
METHODS = ("imp_wr", "imp_ct", "irp_wr")
SHORT_LABELS = {"pretrain": "dense pre-training", "imp_wr": "IMP-WR", "imp_ct": "IMP-CT", "irp_wr": "IRP-WR"}
VARIANTS = ("init_imp", "rand_imp", "init_rand")

#: sign colours of Fig. 4(d) (diverging, colour-blind safe)
SIGN_COLORS = {1: "#b2182b", -1: "#2166ac"}
NEURON_KINDS = {"odd": "odd-parity filter", "even": "even-parity filter", "partial": "partial plaquette",
                "other": "not on one plaquette"}

# axis labels
N_LABEL = "remaining weights $n$"
RHO_LABEL = r"weights per spin $\rho = n/N$"
EPS_LABEL = r"relative error $\varepsilon_{\rm rel} = |E - E_{\rm ref}|\,/\,|E_{\rm ref}|$"
DELTA_LABEL = r"absolute error per spin $\Delta E = |E - E_{\rm ref}|/N$"
VAR_LABEL = r"energy variance per spin $\sigma^2/N$"
E_LABEL = "energy per spin $E/N$"
FID_LABEL = r"fidelity $F$ to the next pruned state"


class PanelWarning(UserWarning):
    """A panel could not be drawn from its tables (the figure is still written)."""


# ============================================================================================
# public API
# ============================================================================================
def draw_figure(fig: str, tables: FigureTables, spec: dict, options: dict) -> Figure:
    """Figure ``fig`` (``fig1`` .. ``fig7``) from ``tables``; see the module docstring."""
    if fig not in _BUILDERS:
        raise ValueError(f"unknown figure {fig!r}; figures are {', '.join(FIGURES)}")
    spec = {**FIGURE_DEFAULTS, **(spec or {})}
    options = {**PLOTTING_DEFAULTS, **(options or {})}
    tables = prepare_tables(tables, spec)
    rc = _rc(options)
    with matplotlib.rc_context(rc):
        figure = _BUILDERS[fig](tables, spec, options)
        _tidy_log_axes(figure)
    # ticks are made at draw time from rcParams: save_figure draws under the same settings
    figure._sparse_nqs_rc = rc
    return figure


def save_figure(figure: Figure, stem, dpi: int) -> list[Path]:
    """Write ``stem.pdf`` and ``stem.png`` (parent folders created), each through a temporary name."""
    stem = Path(stem)
    if stem.suffix in (".pdf", ".png"):
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    with matplotlib.rc_context(getattr(figure, "_sparse_nqs_rc", {})):
        for fmt in ("pdf", "png"):
            final = stem.parent / f"{stem.name}.{fmt}"
            tmp = stem.parent / f".{stem.name}.{fmt}.{os.getpid()}.tmp"
            try:
                figure.savefig(tmp, format=fmt, dpi=dpi)
                os.replace(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)
            written.append(final)
    return written


def caption(fig: str, tables: FigureTables, spec: dict) -> str:
    """A few sentences for the report: what is plotted, the systems and the reference.

    Plain text without RST markup characters (no ``|``, ``*``, backquotes), so it can go into the
    report's .rst caption as it is; ``spec["caption"]`` is appended verbatim.
    """
    if fig not in _CAPTIONS:
        raise ValueError(f"unknown figure {fig!r}; figures are {', '.join(FIGURES)}")
    spec = {**FIGURE_DEFAULTS, **(spec or {})}
    tables = prepare_tables(tables, spec)
    runs = _run_names(tables, spec)
    infos = [_run_info(tables, r) for r in runs]
    text = _CAPTIONS[fig]
    parts = [text]
    networks = list(dict.fromkeys(_network_label(i, r) for i, r in zip(infos, runs)))
    if fig != "fig7":
        systems = _systems_summary(infos)
        if systems:
            parts.append(f"System: {systems}.")
        if networks:
            parts.append(f"Networks: {'; '.join(networks)}.")
        reference = _reference_summary(tables, runs)
        if reference:
            values = _reference_values(tables, runs)
            parts.append(f"Reference energy: {reference}" + (f", E_ref/N = {values}." if values else "."))
    else:
        c = tables.construction
        if not c.empty and "L" in c:
            sizes = ", ".join(f"L = {int(L)} (N = {2 * int(L) ** 2})" for L in sorted(_num(c, "L").dropna().unique()))
            parts.append(f"Lattices: {sizes}.")
    text = " ".join(parts).replace("$", "").replace("\\kappa", "κ")  # plain text (valid RST too)
    if spec.get("caption"):
        text += " " + str(spec["caption"])
    return text


def prepare_tables(tables: FigureTables, spec: dict) -> FigureTables:
    """The figure's reference (kind ``nqs``) applied and run columns joined to every table."""
    reference = {**FIGURE_DEFAULTS["reference"], **((spec or {}).get("reference") or {})}
    if reference.get("kind") == "nqs" and reference.get("runs") and not tables.dense.empty:
        try:
            tables = tables.with_reference(reference)
        except (KeyError, ValueError, AttributeError) as err:
            warnings.warn(f"could not apply the NQS reference: {err}", PanelWarning, stacklevel=2)
    try:
        return tables.with_run_info()
    except (KeyError, ValueError) as err:
        warnings.warn(f"could not join the run table: {err}", PanelWarning, stacklevel=2)
        return tables


# ============================================================================================
# small helpers
# ============================================================================================
def _rc(options: dict) -> dict:
    rc = dict(sns.axes_style("ticks"))
    try:
        rc.update(sns.plotting_context(options.get("context", "paper")))
    except ValueError:
        rc.update(sns.plotting_context("paper"))
    rc.update({"axes.grid": True, "grid.color": "0.9", "grid.linewidth": 0.6, "legend.frameon": False,
               "axes.titlesize": rc.get("axes.labelsize", 9), "figure.titlesize": rc.get("axes.labelsize", 9) + 1})
    return rc


def _palette(options: dict, n: int) -> list:
    try:
        return list(sns.color_palette(options.get("palette", "colorblind"), max(n, 1)))
    except (ValueError, TypeError):
        return list(sns.color_palette("colorblind", max(n, 1)))


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    if df is None or col not in df:
        return pd.Series(np.nan, index=getattr(df, "index", None), dtype=float)
    return pd.to_numeric(df[col], errors="coerce").astype(float)


def _finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _fmt(value, spec="g") -> str:
    return format(float(value), spec) if _finite(value) else "?"


def _letter(k: int) -> str:
    return f"({'abcdefghijklmnopqrstuvwxyz'[k % 26]})"


def _note(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.35",
            fontstyle="italic", wrap=True, zorder=10)


def _guarded(ax, draw, *args, **kwargs):
    """Draw one panel; an unexpected error becomes a note in the panel and a PanelWarning."""
    try:
        return draw(ax, *args, **kwargs)
    except Exception as err:  # noqa: BLE001 - a figure is written even if one panel cannot be
        warnings.warn(f"{draw.__name__}: {type(err).__name__}: {err}", PanelWarning, stacklevel=2)
        _note(ax, f"could not draw this panel ({type(err).__name__})")
        return False


def _panels(n: int, ncols: int | None = None, size=PANEL_SIZE, legend_rows: int = 0):
    n = max(1, n)
    ncols = ncols or (2 if n == 4 else min(n, 3))
    nrows = math.ceil(n / ncols)
    figure = Figure(figsize=(size[0] * ncols, size[1] * nrows + 0.6 + 0.22 * legend_rows), layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.remove()
    return figure, list(axes[:n])


def _figure_legend(figure, axes, ncol: int = 2) -> None:
    handles, labels = {}, []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab and not lab.startswith("_") and lab not in handles:
                handles[lab] = h
                labels.append(lab)
    if labels:
        figure.legend([handles[lab] for lab in labels], labels, loc="outside lower center",
                      ncol=min(ncol, len(labels)), frameon=False)


def _legend(ax, **kwargs) -> None:
    """A legend of the axes with each label once (nothing when there is nothing to show)."""
    seen = {}
    for h, lab in zip(*ax.get_legend_handles_labels()):
        if lab and not lab.startswith("_") and lab not in seen:
            seen[lab] = h
    if seen:
        ax.legend(list(seen.values()), list(seen), **kwargs)


def _legend_rows(n_labels: int, ncol: int) -> int:
    return math.ceil(n_labels / ncol) if n_labels else 0


def _series(ax, x, y, yerr=None, *, logx=False, logy=False, color=None, marker="o", linestyle="-",
            label=None, markersize=3.5, linewidth=1.2, zorder=2) -> bool:
    """Sorted line + markers (+ error bars where finite); False when no point survives."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    if logx:
        keep &= x > 0
    if logy:
        keep &= y > 0
    if not keep.any():
        return False
    order = np.argsort(x[keep], kind="stable")
    x, y = x[keep][order], y[keep][order]
    err = None
    if yerr is not None:
        e = np.asarray(yerr, dtype=float)[keep][order]
        e = np.where(np.isfinite(e) & (e > 0), e, 0.0)
        if e.any():
            err = np.vstack([np.minimum(e, 0.9 * np.abs(y)) if logy else e, e])
    ax.errorbar(x, y, yerr=err, color=color, marker=marker, linestyle=linestyle, label=label,
                markersize=markersize, linewidth=linewidth, capsize=1.5, elinewidth=0.7, zorder=zorder)
    return True


def _styled(ax, key, x, y, yerr=None, **kwargs) -> bool:
    s = STYLE[key]
    kwargs.setdefault("label", s["label"])
    return _series(ax, x, y, yerr, color=s["color"], marker=s["marker"], linestyle=s["linestyle"], **kwargs)


def _compact(value, _pos=None) -> str:
    r"""Short tick label: 0.25, 30, and 2500 as $2.5\times10^{3}$."""
    if not _finite(value) or value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    if -2 <= exponent <= 3:
        return f"{value:.3g}"
    return rf"${value / 10**exponent:.2g}\times10^{{{exponent}}}$"


def _tidy_log_axes(figure) -> None:
    """Log axes spanning less than about a decade get a few plainly labelled ticks (matplotlib would
    label every minor tick there, and the labels overlap)."""
    axes = list(figure.axes)
    axes += [child for ax in figure.axes for child in ax.child_axes]
    for ax in axes:
        for axis, get in ((ax.xaxis, ax.get_xlim), (ax.yaxis, ax.get_ylim)):
            if axis.get_scale() != "log" or not ax.has_data():
                continue
            lo, hi = sorted(get())
            if lo > 0 and hi / lo < 3:  # a fraction of a decade: evenly spaced ticks
                axis.set_major_locator(MaxNLocator(nbins=4))
                axis.set_major_formatter(FuncFormatter(_compact))
                axis.set_minor_locator(NullLocator())
            elif lo > 0 and hi / lo < 15:  # about a decade: 1, 2, 3, 5, 7 x 10^k
                axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0, 7.0)))
                axis.set_major_formatter(FuncFormatter(_compact))
                axis.set_minor_locator(NullLocator())
            elif lo > 0 and hi / lo < 150:  # one to two decades: ticks at 1, 2, 5 x 10^k only
                axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
                axis.set_major_formatter(FuncFormatter(_compact))
                axis.set_minor_formatter(NullFormatter())


def _logscale(ax, x=True, y=True) -> None:
    if x:
        ax.set_xscale("log", nonpositive="mask")
    if y:
        ax.set_yscale("log", nonpositive="mask")


# ----------------------------------------------------------------------------- table access
def _rows(df: pd.DataFrame, run=None, method=None) -> pd.DataFrame:
    if df is None or df.empty:
        return pd.DataFrame()
    out = df
    if run is not None and "run" in out:
        out = out[out["run"].astype(str) == str(run)]
    if method is not None and "method" in out:
        m = out["method"].astype(str)
        dense = (m == "dense") & (_num(out, "iteration") == -1)
        out = out[(m == method) | dense]
    return out


def _history(tables: FigureTables, run, method="imp_wr") -> pd.DataFrame:
    out = _rows(tables.histories, run, method)
    if out.empty:
        return out
    if "iteration" in out:
        out = out.drop_duplicates(subset=["iteration"], keep="last")
    return out


def _tickets(tables: FigureTables, run, variant) -> pd.DataFrame:
    t = _rows(tables.tickets, run)
    if t.empty or "variant" not in t:
        return pd.DataFrame()
    return t[t["variant"].astype(str) == variant]


def _fidelity(tables: FigureTables, run, method="imp_wr") -> pd.DataFrame:
    f = _rows(tables.fidelity, run, method)
    if f.empty or "rho" not in f or "fidelity" not in f:
        return pd.DataFrame()
    f = f.assign(rho=_num(f, "rho"), fidelity=_num(f, "fidelity"))
    return f[np.isfinite(f["rho"]) & np.isfinite(f["fidelity"])]


def _run_info(tables: FigureTables, run) -> dict:
    r = tables.runs
    if r is None or r.empty or "run" not in r or run is None:
        return {}
    match = r[r["run"].astype(str) == str(run)]
    return match.iloc[0].to_dict() if len(match) else {}


def _run_names(tables: FigureTables, spec: dict) -> list:
    names = [str(n) for n in (spec or {}).get("runs") or []]
    if names:
        return list(dict.fromkeys(names))
    found = []
    for table in (tables.runs, tables.histories, tables.tickets, tables.fidelity):
        if table is not None and not table.empty and "run" in table:
            found += [str(r) for r in table["run"].dropna()]
    return list(dict.fromkeys(found))


def _N(rows: pd.DataFrame, info: dict | None = None) -> pd.Series:
    """Spins per row: the N column, the run's N, or n / rho."""
    N = _num(rows, "N")
    if info and _finite(info.get("N")):
        N = N.fillna(float(info["N"]))
    return N.fillna(_num(rows, "n") / _num(rows, "rho"))


def _spins(tables: FigureTables, run) -> float:
    """N of a run: from the runs table, else n / rho of its rows (NaN if neither is known)."""
    N = _run_info(tables, run).get("N")
    if _finite(N):
        return float(N)
    for table in (tables.histories, tables.tickets, tables.dense):
        rows = _rows(table, run)
        ratio = (_num(rows, "n") / _num(rows, "rho")).dropna()
        if len(ratio):
            return float(ratio.iloc[0])
    return float("nan")


def _has_exact(rows: pd.DataFrame, column: str) -> bool:
    """Whether every row carries the exact (enumerated, N <= 16) value of ``column``."""
    exact = _num(rows, f"exact_{column}")
    return bool(len(exact)) and bool(np.isfinite(exact).all())


def _error_values(rows: pd.DataFrame, column: str, info=None) -> tuple[pd.Series, pd.Series | None]:
    """Values and error bars of an energy error (eps_rel or delta_e_per_spin): the exact value of each
    trained network where every row has one (no Monte Carlo noise: at eps ~ 1e-5 the sampled estimate
    is noise), otherwise the sampled estimate with its Monte Carlo error."""
    if _has_exact(rows, column):
        return _num(rows, f"exact_{column}"), None
    return _num(rows, column), (_eps_err(rows) if column == "eps_rel" else _delta_err(rows, info))


def _eps_err(rows: pd.DataFrame) -> pd.Series:
    from_energy = _num(rows, "energy_error") / _num(rows, "reference_energy").abs()
    return _num(rows, "eps_rel_error").fillna(from_energy)


def _delta_err(rows: pd.DataFrame, info=None) -> pd.Series:
    return _num(rows, "energy_error") / _N(rows, info)


def _is_toric(info: dict) -> bool:
    return str(info.get("model", "")).lower() == "toric" or str(info.get("system", "")).startswith("toric")


def _network_label(info: dict, run=None) -> str:
    kind = str(info.get("network") or "").lower()
    if kind == "ffnn":
        return f"FFNN, α = {_fmt(info.get('alpha'))}" if _finite(info.get("alpha")) else "FFNN"
    if kind == "cnn":
        return f"CNN, $n_f$ = {_fmt(info.get('n_filters'))}"
    if kind == "rescnn":
        return f"ResCNN, $n_f$ = {_fmt(info.get('n_filters'))}, $n_b$ = {_fmt(info.get('n_blocks'))}"
    return str(run) if run is not None else "network"


def _systems_summary(infos: list[dict]) -> str:
    infos = [i for i in infos if i]
    if not infos:
        return ""
    parts = []
    toric = sorted({float(i["L"]) for i in infos if _is_toric(i) and _finite(i.get("L"))})
    if toric:
        parts.append("toric code " + ", ".join(f"L = {L:g} (N = {2 * L * L:g})" for L in toric))
    tfim = [i for i in infos if not _is_toric(i)]
    if tfim:
        Ls = sorted({float(i["L"]) for i in tfim if _finite(i.get("L"))})
        kappas = sorted({float(i["kappa"]) for i in tfim if _finite(i.get("kappa"))})
        if len(Ls) > 3:
            size = f"L×L with L = {Ls[0]:g}–{Ls[-1]:g}"
        else:
            size = ", ".join(f"{L:g}×{L:g}" for L in Ls) or "?"
        text = f"{size} TFIM (open boundaries)"
        if len(kappas) == 1:
            critical = math.isclose(kappas[0], KAPPA_C, rel_tol=KAPPA_C_RTOL)
            text += f" at κ = {kappas[0]:g}" + (r" = $\kappa_c$" if critical else "")
        elif kappas:
            text += " at κ ∈ {" + ", ".join(f"{k:g}" for k in kappas) + "}"
        parts.append(text)
    return "; ".join(parts)


def _source_words(source: str) -> str:
    source = str(source)
    known = {"ed:scipy": "exact diagonalisation", "dmrg:tenpy": "DMRG (TeNPy)", "dmrg:itensors": "DMRG (ITensors)",
             "analytic:closed-form": "exact ground energy $-2L^2$"}
    if source in known:
        return known[source]
    if source.startswith("nqs:"):
        return "dense NQS, " + source[4:].split(" (")[0]
    if source.startswith("ed"):
        return "exact diagonalisation"
    if source.startswith("dmrg"):
        return "DMRG"
    return source


def _reference_summary(tables: FigureTables, runs=None) -> str:
    """The reference sources of the rows of ``runs`` (all rows when None), in words."""
    wanted = None if runs is None else {str(r) for r in runs}
    sources = []
    for t in (tables.histories, tables.tickets, tables.dense):
        if t is None or t.empty or "reference_source" not in t:
            continue
        if wanted is not None and "run" in t:
            t = t[t["run"].astype(str).isin(wanted)]
        sources += [s for s in t["reference_source"].dropna().astype(str) if s and s != "nan"]
    return "; ".join(dict.fromkeys(_source_words(s) for s in sources))


def _reference_values(tables: FigureTables, runs, at_most: int = 3) -> str:
    """The distinct reference energies per spin of the runs' IMP-WR rows ('' if none or too many)."""
    values = []
    for run in runs:
        h = _history(tables, run)
        e, N = _num(h, "reference_energy"), _N(h, _run_info(tables, run))
        values += [round(float(v), 6) for v in (e / N).dropna()]
    values = list(dict.fromkeys(values))
    return ", ".join(f"{v:.6g}" for v in values) if 0 < len(values) <= at_most else ""


def _suptitle(figure, headline: str, tables: FigureTables, runs, errors: bool = True) -> None:
    """Headline, then the systems and the reference source."""
    lines = [headline]
    detail = []
    systems = _systems_summary([_run_info(tables, r) for r in runs])
    if systems:
        detail.append(systems)
    reference = _reference_summary(tables, runs)
    if reference:
        detail.append(f"reference: {reference}")
    exact = [r for r in runs if not _history(tables, r).empty and _has_exact(_history(tables, r), "eps_rel")]
    if exact and errors:
        detail.append("errors from exact ⟨H⟩ of the trained networks" +
                      (" (N ≤ 16)" if len(exact) < len(runs) else ""))
    # the details on as many lines as the figure's width needs (about 13 characters per inch)
    width = max(40, int(figure.get_figwidth() * 13))
    line = ""
    for part in detail:
        if line and len(line) + 3 + len(part) > width:
            lines.append(line)
            line = part
        else:
            line = f"{line} — {part}" if line else part
    if line:
        lines.append(line)
    figure.suptitle("\n".join(lines))


def _ordered(runs, tables, key):
    """Runs sorted by a run-table column (missing last)."""
    def sort_key(r):
        v = _run_info(tables, r).get(key)
        return (0, float(v)) if _finite(v) else (1, 0.0)
    return sorted(runs, key=sort_key)


# ============================================================================================
# shared panels
# ============================================================================================
def _lth_panel(ax, tables, run, x="n", y="eps_rel", note_empty=True) -> bool:
    """IMP-WR path and the isolated tickets of one run (Fig. 1, 4(a), 6)."""
    info = _run_info(tables, run)

    def xs(rows):
        return _num(rows, "n") if x == "n" else _num(rows, "rho").fillna(_num(rows, "n") / _N(rows, info))

    def ys(rows):
        if y == "eps_rel":
            return _error_values(rows, "eps_rel")[0]
        return _num(rows, "variance_per_spin").fillna(_num(rows, "variance") / _N(rows, info))

    def errors(rows):
        return _error_values(rows, "eps_rel")[1] if y == "eps_rel" else None  # no error of the variance

    drawn = False
    h = _history(tables, run)
    if not h.empty:
        drawn |= _styled(ax, "imp_wr", xs(h), ys(h), errors(h), logx=True, logy=True)
        dense = h[_num(h, "iteration") == -1]
        if len(dense):
            drawn |= _styled(ax, "dense", xs(dense), ys(dense), None, logx=True, logy=True, markersize=9, zorder=4)
    for variant in VARIANTS:
        t = _tickets(tables, run, variant)
        if not t.empty:
            drawn |= _styled(ax, variant, xs(t), ys(t), errors(t), logx=True, logy=True)
    _logscale(ax)
    ax.set_xlabel(N_LABEL if x == "n" else RHO_LABEL)
    ax.set_ylabel(EPS_LABEL if y == "eps_rel" else VAR_LABEL)
    if not drawn and note_empty:
        _note(ax, f"no data for run {run}")
    return drawn


def _dense_rows(tables: FigureTables) -> pd.DataFrame:
    d = tables.dense
    if d is None or d.empty:
        h = tables.histories
        if h is None or h.empty or "iteration" not in h:
            return pd.DataFrame()
        d = h[_num(h, "iteration") == -1]
        if "run" in d:
            d = d.drop_duplicates(subset=["run"])
    return d


def _dense_scatter(ax, tables, options, x_is_energy: bool, small: bool) -> bool:
    """Dense networks: E/N against sigma^2/N (Fig. 1 inset: x = variance; Fig. 6: x = energy)."""
    d = _dense_rows(tables)
    if d.empty or "energy" not in d:
        _note(ax, "no dense rows")
        return False
    runs = d["run"].astype(str) if "run" in d else pd.Series("dense", index=d.index)
    infos = {r: _run_info(tables, r) for r in runs.unique()}
    N = pd.Series([infos[r].get("N", np.nan) for r in runs], index=d.index, dtype=float)
    N = N.fillna(_num(d, "n") / _num(d, "rho")) if "n" in d else N
    if N.isna().all() and "variance_per_spin" in d:
        N = _num(d, "variance") / _num(d, "variance_per_spin")
    e = _num(d, "energy") / N
    v = _num(d, "variance_per_spin").fillna(_num(d, "variance") / N)
    labels = [_network_label(infos[r], r) for r in runs]
    groups = list(dict.fromkeys(labels))
    colors = dict(zip(groups, _palette(options, len(groups))))
    drawn = False
    for g in groups:
        sel = np.array([lab == g for lab in labels])
        xs, ys = (e[sel], v[sel]) if x_is_energy else (v[sel], e[sel])
        keep = np.isfinite(xs) & np.isfinite(ys)
        if keep.any():
            ax.scatter(xs[keep], ys[keep], s=14 if small else 22, color=colors[g], label=g, zorder=3,
                       edgecolor="white", linewidth=0.4)
            drawn = True
    for ref in _num(d, "reference_energy").dropna().unique():
        Nref = N[_num(d, "reference_energy") == ref].dropna()
        if len(Nref):
            value = ref / float(Nref.iloc[0])
            (ax.axvline if x_is_energy else ax.axhline)(value, **_ref_line(), label=f"reference $E/N$ = {value:.5g}")
    if not drawn:
        _note(ax, "no dense rows")
    return drawn


def _ref_line() -> dict:
    return {"color": "black", "linestyle": "--", "linewidth": 0.9, "zorder": 1}


def _fidelity_panel(ax, tables, runs, colors, labels, mark_min=True) -> list[dict]:
    """Neighbour fidelity of the IMP-WR path vs rho; returns the fidelity minimum of each run."""
    minima = []
    for run in runs:
        f = _fidelity(tables, run)
        if f.empty:
            continue
        _series(ax, f["rho"], f["fidelity"], _num(f, "fidelity_error"), logx=True, color=colors[run],
                marker="o", label=labels[run])
        if mark_min and "n" in f and "iteration_from" in f:
            try:
                m = fidelity_dip(f)  # the rule the Fig. 3 claim uses
            except (KeyError, ValueError, TypeError):
                continue
            minima.append({"run": run, **m})
            ax.plot([m["rho_c"]], [m["fidelity_min"]], marker="*", markersize=10, color=colors[run],
                    markeredgecolor="black", markeredgewidth=0.5, linestyle="none", zorder=5)
    _logscale(ax, x=True, y=False)
    ax.set_xlabel(RHO_LABEL + " (denser state)")
    ax.set_ylabel(FID_LABEL)
    if not any(not _fidelity(tables, r).empty for r in runs):
        _note(ax, "no fidelity table")
    return minima


# ============================================================================================
# Fig. 1: lottery-ticket test at kappa_c
# ============================================================================================
INSET_SIZE = (0.42, 0.40)  # width, height in axes coordinates
INSET_PAD = 0.03
INSET_TITLE = 0.06


def _inset_in_free_corner(ax, size=INSET_SIZE, pad=INSET_PAD):
    """An inset in the corner of ``ax`` that covers the fewest data points; if even that corner holds
    data, the y range is stretched (log axes in log space) until the data clear it."""
    w, h = size
    to_axes = ax.transData + ax.transAxes.inverted()
    ax.get_xlim(), ax.get_ylim()  # settle the autoscaled limits before converting
    points = [line.get_xydata() for line in ax.get_lines() if len(line.get_xydata())]
    xy = to_axes.transform(np.vstack(points)) if points else np.empty((0, 2))
    xy = xy[np.isfinite(xy).all(axis=1)]
    upper = 1 - h - pad - INSET_TITLE  # room for the inset's title inside the panel
    corners = {(1 - w - pad, upper): "upper right", (pad, upper): "upper left",
               (1 - w - pad, pad): "lower right", (pad, pad): "lower left"}

    def inside(x0, y0):
        return (xy[:, 0] >= x0 - pad) & (xy[:, 0] <= x0 + w + pad) & (xy[:, 1] >= y0 - pad) & (xy[:, 1] <= y0 + h + pad)

    x0, y0 = min(corners, key=lambda c: int(inside(*c).sum()))  # ties: the first (upper right)
    covered = inside(x0, y0)
    if covered.any():
        top = y0 > pad
        # the covered points must end below (top corner) or above (bottom corner) the inset
        reach = xy[covered, 1].max() if top else xy[covered, 1].min()
        target = (y0 - 2 * pad) if top else (y0 + h + 2 * pad)
        lo, hi = ax.get_ylim()
        logy = ax.get_yscale() == "log"
        f = (lambda v: np.log10(v)) if logy else (lambda v: v)
        g = (lambda v: 10 ** v) if logy else (lambda v: v)
        a, b = f(lo), f(hi)
        value = a + reach * (b - a)  # the extreme covered point, in data (log) units
        if top:   # keep the bottom, move the top so that `value` sits at `target`
            b = a + (value - a) / max(target, 1e-3)
        else:     # keep the top, move the bottom
            a = b - (b - value) / max(1 - target, 1e-3)
        ax.set_ylim(g(a), g(b))
    return ax.inset_axes([x0, y0, w, h])


def _fig1(tables, spec, options):
    runs = _run_names(tables, spec)
    figure, axes = _panels(len(runs), legend_rows=3)
    for k, ax in enumerate(axes):
        if k >= len(runs):
            _note(ax, "no runs in this figure")
            ax.set_title(f"{_letter(k)} no data", loc="left")
            continue
        run = runs[k]
        info = _run_info(tables, run)
        _guarded(ax, _lth_panel, tables, run)
        ax.set_title(f"{_letter(k)} {_network_label(info, run)}", loc="left")
    inset = _inset_in_free_corner(axes[-1])
    _guarded(inset, _dense_scatter, tables, options, False, True)
    inset.set_xlabel(r"$\sigma^2/N$", fontsize=6, labelpad=1)
    inset.set_ylabel("$E/N$", fontsize=6, labelpad=1)
    inset.set_title("dense networks", fontsize=6, pad=2)
    inset.tick_params(labelsize=5, length=2, pad=1)
    inset.xaxis.get_offset_text().set_fontsize(5)
    inset.yaxis.get_offset_text().set_fontsize(5)
    inset.grid(False)
    _legend(inset, fontsize=4.5, loc="best", handlelength=1.2, borderpad=0.2, labelspacing=0.2,
            markerscale=0.7)
    _figure_legend(figure, axes, ncol=2)
    _suptitle(figure, "Lottery-ticket test: error of pruned networks and of isolated tickets", tables, runs)
    return figure


# ============================================================================================
# Fig. 2: Delta E vs n in the three phases, with scaling regions at kappa_c
# ============================================================================================
def _phase_of(info: dict) -> str | None:
    if _is_toric(info):
        return None
    kappa = info.get("kappa")
    if not _finite(kappa):
        return "a"
    kappa = float(kappa)
    if math.isclose(kappa, KAPPA_C, rel_tol=KAPPA_C_RTOL):
        return "a"
    return "b" if kappa < KAPPA_C else "c"


def _delta_curve(ax, tables, run, color, label) -> tuple[np.ndarray, np.ndarray] | None:
    h = _history(tables, run)
    if h.empty:
        return None
    info = _run_info(tables, run)
    n, (d, d_err) = _num(h, "n"), _error_values(h, "delta_e_per_spin", info)
    if not _series(ax, n, d, d_err, logx=True, logy=True, color=color, marker="o", label=label):
        return None
    keep = np.isfinite(n) & np.isfinite(d) & (n > 0) & (d > 0)
    return n[keep].to_numpy(), d[keep].to_numpy()


def _shade_regions(ax, n, d, label, lo, hi) -> str:
    """HEP / APL / LEP spans of scaling_regions over [lo, hi]; returns a note ('' when shaded)."""
    if len(n) < MIN_REGION_POINTS:
        return f"too few points ({len(n)}) for the region fit"
    try:
        fit = scaling_regions(n, d, n_regions=3)
    except (ValueError, np.linalg.LinAlgError) as err:
        return f"region fit failed: {err}"
    k1, k2 = fit["n_hep_apl"], fit["n_apl_lep"]
    spans = [("HEP", "high-error plateau", lo, k1, "#fbb4ae"), ("APL", "approximate power law", k1, k2, "#b3cde3"),
             ("LEP", "low-error plateau", k2, hi, "#ccebc5")]
    top = blended_transform_factory(ax.transData, ax.transAxes)
    for (name, words, a, b, color), slope in zip(spans, fit["slopes"]):
        ax.axvspan(a, b, color=color, alpha=0.45, zorder=0, linewidth=0, label=f"{name}: {words} (slope {slope:.2f})")
        ax.text(math.sqrt(a * b), 0.98, f"{name}\nslope {slope:.2f}", transform=top, ha="center", va="top",
                fontsize=6, color="0.25", zorder=6,
                bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1.0})
    ax.text(0.98, 0.02, f"regions: piecewise-linear fit of {label}", transform=ax.transAxes, ha="right",
            va="bottom", fontsize=6, color="0.35")
    return ""


def _fig2_panel(ax, tables, runs, phase, options) -> None:
    titles = {"a": r"(a) critical point $\kappa = \kappa_c$ = 3.04438",
              "b": r"(b) ferromagnetic phase, $\kappa < \kappa_c$",
              "c": r"(c) paramagnetic phase, $\kappa > \kappa_c$"}
    ax.set_title(titles[phase], loc="left")
    _logscale(ax)
    ax.set_xlabel(N_LABEL)
    ax.set_ylabel(DELTA_LABEL)
    if not runs:
        _note(ax, {"a": r"no runs at $\kappa_c$", "b": r"no runs with $\kappa < \kappa_c$",
                   "c": r"no runs with $\kappa > \kappa_c$"}[phase])
        return
    key = "alpha" if phase == "a" else "kappa"
    runs = _ordered(runs, tables, key)
    colors = _palette(options, len(runs))
    infos = {r: _run_info(tables, r) for r in runs}
    alphas = {_fmt(i.get("alpha")) for i in infos.values()}
    curves = {}
    for run, color in zip(runs, colors):
        info = infos[run]
        if phase == "a":
            label = f"α = {_fmt(info.get('alpha'))}" if _finite(info.get("alpha")) else _network_label(info, run)
        else:
            label = f"κ = {_fmt(info.get('kappa'))}" + (f", α = {_fmt(info.get('alpha'))}" if len(alphas) > 1 else "")
        curve = _delta_curve(ax, tables, run, color, label)
        if curve is not None:
            curves[run] = (curve, label)
    if not curves:
        _note(ax, "no IMP-WR histories")
        return
    if phase == "a":
        def width(r):
            alpha = infos[r].get("alpha")
            return (float(alpha) if _finite(alpha) else -math.inf, len(curves[r][0][0]))

        widest = max(curves, key=width)
        (n, d), label = curves[widest]
        every_n = np.concatenate([c[0][0] for c in curves.values()])
        lo, hi = float(every_n.min()) / 1.3, float(every_n.max()) * 1.3
        message = _shade_regions(ax, n, d, label, lo, hi)
        ax.set_xlim(lo, hi)
        if message:
            ax.text(0.98, 0.02, message, transform=ax.transAxes, fontsize=6, color="0.35", va="bottom",
                    ha="right")
    handles, labels = ax.get_legend_handles_labels()
    keep = [(h, lab) for h, lab in zip(handles, labels) if not lab.startswith(("HEP", "APL", "LEP"))]
    if keep:
        ax.legend(*zip(*keep), fontsize="x-small", loc="lower left" if phase == "a" else "best")


def _fig2(tables, spec, options):
    runs = _run_names(tables, spec)
    groups = {"a": [], "b": [], "c": []}
    for run in runs:
        phase = _phase_of(_run_info(tables, run))
        if phase:
            groups[phase].append(run)
    figure, axes = _panels(3, ncols=3, size=(3.8, 3.2))
    for ax, phase in zip(axes, "abc"):
        _guarded(ax, _fig2_panel, tables, groups[phase], phase, options)
    kinds = {"ffnn": "FFNN", "cnn": "CNN", "rescnn": "ResCNN"}
    nets = sorted({kinds.get(str(_run_info(tables, r).get("network")).lower(), "") for r in runs} - {""})
    _suptitle(figure, f"Absolute error per spin of IMP-WR-pruned {', '.join(nets) or 'networks'} "
                      "vs. number of weights, across the phase diagram", tables, runs)
    return figure


# ============================================================================================
# Fig. 3: finite-size scaling vs rho at kappa_c
# ============================================================================================
def _fig3(tables, spec, options):
    runs = _ordered(_run_names(tables, spec), tables, "L")
    colors = dict(zip(runs, _palette(options, len(runs))))
    labels = {}
    for r in runs:
        i = _run_info(tables, r)
        labels[r] = f"L = {_fmt(i.get('L'))} (N = {_fmt(i.get('N'))})" if i else str(r)
    figure, axes = _panels(4, ncols=2, size=(4.6, 3.2), legend_rows=_legend_rows(len(runs) + 1, 4))
    minima = []

    def delta(ax):
        drawn = False
        for r in runs:
            h = _history(tables, r)
            if not h.empty:
                info = _run_info(tables, r)
                drawn |= _series(ax, _num(h, "rho"), *_error_values(h, "delta_e_per_spin", info),
                                 logx=True, logy=True, color=colors[r], marker="o", label=labels[r])
        _logscale(ax)
        ax.set_xlabel(RHO_LABEL)
        ax.set_ylabel(DELTA_LABEL)
        if not drawn:
            _note(ax, "no IMP-WR histories")

    def fidelity(ax):
        minima.extend(_fidelity_panel(ax, tables, runs, colors, labels))

    def magnetisation(ax, col):
        drawn = False
        for r in runs:
            h = _history(tables, r)
            if not h.empty:
                drawn |= _series(ax, _num(h, "rho"), _num(h, col), _num(h, f"{col}_error"), logx=True,
                                 color=colors[r], marker="o", label=labels[r])
        _logscale(ax, x=True, y=False)
        ax.set_xlabel(RHO_LABEL)
        sym = {"mz": "z", "mx": "x"}[col]
        ax.set_ylabel(rf"magnetisation $M_{sym} = \langle \Sigma_i \sigma^{sym}_i \rangle / N$")
        if not drawn:
            _note(ax, f"no M_{sym} data")

    _guarded(axes[0], delta)
    _guarded(axes[1], fidelity)
    _guarded(axes[2], magnetisation, "mz")
    _guarded(axes[3], magnetisation, "mx")
    titles = ["(a) absolute error per spin", "(b) fidelity between neighbouring pruned states",
              "(c) longitudinal magnetisation $M_z$", "(d) transverse magnetisation $M_x$"]
    for ax, title in zip(axes, titles):
        ax.set_title(title, loc="left")
    rho_cs = [m["rho_c"] for m in minima if m["dip"]]
    if rho_cs:
        lo, hi = min(rho_cs), max(rho_cs)
        label = (r"$\rho_c$ (fidelity dips): " + (f"{lo:.3g}" if lo == hi else f"{lo:.3g}–{hi:.3g}"))
        for k, ax in enumerate(axes):
            if lo == hi:
                ax.axvline(lo, color="0.3", linestyle=":", linewidth=1.0, zorder=0, label=label if k == 0 else None)
            else:
                ax.axvspan(lo, hi, color="0.85", alpha=0.6, zorder=0, linewidth=0, label=label if k == 0 else None)
    _figure_legend(figure, axes, ncol=4)
    nets = ", ".join(sorted({_network_label(_run_info(tables, r), r) for r in runs})) or "no runs"
    _suptitle(figure, f"Finite-size scaling of IMP-WR-pruned networks ({nets}) vs. weights per spin", tables, runs)
    return figure


# ============================================================================================
# Fig. 4: toric code
# ============================================================================================
def _lth_run(tables, runs):
    with_tickets = [r for r in runs if not _rows(tables.tickets, r).empty]
    pool = with_tickets or runs
    for r in pool:
        alpha = _run_info(tables, r).get("alpha")
        if _finite(alpha) and math.isclose(float(alpha), TORIC_LTH_ALPHA):
            return r
    return pool[0] if pool else None


def _coverage_panel(ax, tables, runs, colors, labels) -> None:
    f = tables.filters
    drawn = False
    column = "coverage" if f is not None and "coverage" in f else "n_odd"
    for r in runs:
        rows = _rows(f, r)
        if rows.empty or column not in rows:
            continue
        drawn |= _series(ax, _num(rows, "rho"), _num(rows, column), logx=True, color=colors[r], marker="o",
                         label=labels[r])
    _logscale(ax, x=True, y=False)
    ax.axvline(TORIC_RHO_C, color="black", linestyle="--", linewidth=0.9, zorder=1)
    ax.set_xlabel(RHO_LABEL)
    ax.set_ylabel("fraction of plaquettes with an\nodd-parity filter" if column == "coverage"
                  else "number of odd-parity filters")
    if not drawn:
        _note(ax, "no filters table")


def _neuron_panel(ax, tables, spec) -> None:
    w = tables.weights
    ax.set_axis_off()
    if w is None or w.empty or not {"neuron", "dx", "dy", "weight"} <= set(w):
        _note(ax, "no weights table")
        return
    if spec.get("weights_run") and "run" in w:
        chosen = w[w["run"].astype(str) == str(spec["weights_run"])]
        w = chosen if len(chosen) else w
    if spec.get("weights_iteration") is not None and "iteration" in w:
        chosen = w[_num(w, "iteration") == float(spec["weights_iteration"])]
        w = chosen if len(chosen) else w
    n_max = int(spec.get("n_neurons") or 6)
    neurons = list(dict.fromkeys(w["neuron"].tolist()))[:n_max]
    ncol = min(3, len(neurons))
    spacing = 2.3
    for k, h in enumerate(neurons):
        rows = w[w["neuron"] == h]
        cx, cy = (k % ncol) * spacing, -(k // ncol) * spacing * 1.15
        dx, dy = _num(rows, "dx"), _num(rows, "dy")
        shrunk = False
        if dx.isna().any() or dy.isna().any():  # not on one plaquette: centre on the edges' mean position
            x, y = _num(rows, "x"), _num(rows, "y")
            dx, dy = (x - x.mean()).fillna(0.0), (y - y.mean()).fillna(0.0)
            extent = float(max(dx.abs().max(), dy.abs().max(), 0.5))
            if extent > 0.5:  # spread over the lattice: shrink into the cell (marked "not to scale")
                dx, dy, shrunk = dx * 0.5 / extent, dy * 0.5 / extent, True
        ax.add_patch(Rectangle((cx - 0.5, cy - 0.5), 1, 1, fill=False, edgecolor="0.75", linestyle=":",
                               linewidth=0.8))
        for sx in (-0.5, 0.5):
            for sy in (-0.5, 0.5):
                ax.plot(cx + sx, cy + sy, marker="o", markersize=2, color="0.6", zorder=1)
        weights = _num(rows, "weight").fillna(0.0)
        signs = _num(rows, "sign").fillna(np.sign(weights)).replace(0, 1)
        orient = rows["orientation"].astype(str) if "orientation" in rows else pd.Series("horizontal", index=rows.index)
        for ex, ey, wt, sg, o in zip(dx, dy, weights, signs, orient):
            mag = min(abs(float(wt)), 1.0)
            color = SIGN_COLORS[1 if sg >= 0 else -1]
            half = 0.2 if shrunk else 0.5
            if o == "vertical":
                xs, ys = [cx + ex, cx + ex], [cy + ey - half, cy + ey + half]
            else:
                xs, ys = [cx + ex - half, cx + ex + half], [cy + ey, cy + ey]
            ax.plot(xs, ys, color=color, linewidth=0.8 + 3.5 * mag, solid_capstyle="butt", alpha=0.35 + 0.65 * mag,
                    zorder=2)
            ax.scatter([cx + ex], [cy + ey], s=10 + 70 * mag, color=color, edgecolor="white", linewidth=0.4,
                       zorder=3)
        kind = str(rows["kind"].iloc[0]) if "kind" in rows else ""
        words = NEURON_KINDS.get(kind, kind).replace("not on one", "not on one\n") + (" (shrunk)" if shrunk else "")
        ax.text(cx, cy - 0.72, f"neuron {h}\n{words}", ha="center", va="top", fontsize=6)
    nrow = math.ceil(len(neurons) / ncol)
    ax.set_xlim(-1.0, (ncol - 1) * spacing + 1.0)
    ax.set_ylim(-(nrow - 1) * spacing * 1.15 - 1.35, 0.95)
    ax.set_aspect("equal", adjustable="box")
    handles = [Line2D([], [], color=SIGN_COLORS[1], linewidth=2.5, label="weight > 0"),
               Line2D([], [], color=SIGN_COLORS[-1], linewidth=2.5, label="weight < 0")]
    ax.legend(handles=handles, loc="upper center", fontsize="x-small", bbox_to_anchor=(0.5, 0.0), ncol=2,
              title="edges around the neuron's plaquette (dotted);\nline width and dot size ∝ |w| / max |w|",
              title_fontsize="x-small")


def _fig4(tables, spec, options):
    runs = _ordered(_run_names(tables, spec), tables, "alpha")
    colors = dict(zip(runs, _palette(options, len(runs))))
    labels = {r: (f"α = {_fmt(_run_info(tables, r).get('alpha'))}" if _finite(_run_info(tables, r).get("alpha"))
                  else str(r)) for r in runs}
    figure, axes = _panels(4, ncols=2, size=(4.6, 3.3), legend_rows=2)
    lth = _lth_run(tables, runs)

    def panel_a(ax):
        if lth is None:
            _note(ax, "no runs")
            return
        _lth_panel(ax, tables, lth, x="rho")
        ax.set_title(f"(a) lottery-ticket test, {_network_label(_run_info(tables, lth), lth)}", loc="left")

    def panel_b(ax):
        _fidelity_panel(ax, tables, runs, colors, labels)
        ax.axvline(TORIC_RHO_C, color="black", linestyle="--", linewidth=0.9, zorder=1,
                   label=r"$\rho_c$ = 16 (32 weights per plaquette)")
        _legend(ax, fontsize="x-small", loc="lower left")

    axes[0].set_title("(a) lottery-ticket test", loc="left")
    _guarded(axes[0], panel_a)
    _guarded(axes[1], panel_b)
    _guarded(axes[2], _coverage_panel, tables, runs, colors, labels)
    _guarded(axes[3], _neuron_panel, tables, spec)
    axes[1].set_title("(b) fidelity of neighbouring IMP-WR states", loc="left")
    axes[2].set_title("(c) odd-parity plaquette filters in the IMP-WR masks", loc="left")
    title_d = "(d) normalised weights of single hidden neurons"
    w = tables.weights
    if w is not None and not w.empty and "run" in w:
        wrun = spec.get("weights_run") or w["run"].iloc[0]
        title_d += f"\n{_network_label(_run_info(tables, wrun), wrun)}"
        iterations = _num(w, "iteration").dropna().unique()
        iteration = iterations[0] if len(iterations) == 1 else spec.get("weights_iteration")
        if _finite(iteration):
            title_d += f", IMP-WR iteration {float(iteration):g}"
            h = _history(tables, wrun)
            rho = _num(h, "rho")[_num(h, "iteration") == float(iteration)]
            if len(rho) and _finite(rho.iloc[0]):
                title_d += rf" ($\rho$ = {rho.iloc[0]:.3g})"
    axes[3].set_title(title_d, loc="left")
    _figure_legend(figure, axes[:1], ncol=2)
    _suptitle(figure, "Toric code: sparse FFNNs, lottery tickets and the odd-parity filters they learn",
              tables, runs)
    return figure


# ============================================================================================
# Fig. 5: IMP-WR vs IMP-CT vs IRP-WR, and the training curves
# ============================================================================================
def _methods_panel(ax, tables, run) -> None:
    drawn = False
    for method in METHODS:
        h = _history(tables, run, method)
        if h.empty:
            continue
        drawn |= _styled(ax, method, _num(h, "n"), *_error_values(h, "eps_rel"), logx=True, logy=True)
    _logscale(ax)
    ax.set_xlabel(N_LABEL)
    ax.set_ylabel(EPS_LABEL)
    if not drawn:
        _note(ax, f"no histories for run {run}")


def _block_mean(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    b = max(1, math.ceil(len(x) / MAX_LOG_POINTS))
    if b == 1:
        return x, y, 1
    m = len(x) // b * b
    xs = x[:m].reshape(-1, b).mean(axis=1)
    ys = y[:m].reshape(-1, b).mean(axis=1)
    return xs, ys, b


def _logs_panel(ax, tables, runs) -> None:
    logs = tables.logs
    ax.set_xlabel("training step")
    ax.set_ylabel(E_LABEL)
    if logs is None or logs.empty or "step" not in logs or "energy" not in logs:
        _note(ax, "no training logs")
        return
    styles = ["-", "--", ":", "-."]
    values, block = [], 1
    drawn = False
    for k, run in enumerate(runs):
        rl = _rows(logs, run)
        if rl.empty:
            continue
        info = _run_info(tables, run)
        N = _spins(tables, run)
        energy = _num(rl, "energy") / N
        ls = styles[k % len(styles)]
        phase = rl["phase"].astype(str) if "phase" in rl else pd.Series("", index=rl.index)
        methods = rl["method"].astype(str) if "method" in rl else pd.Series("imp_wr", index=rl.index)
        pre = (phase == "pretrain").to_numpy()
        # IMP-WR drawn last, on top of the others
        parts = [("pretrain", pre)] + [(m, (~pre) & (methods == m).to_numpy()) for m in reversed(METHODS)]
        for key, sel in parts:
            if not sel.any():
                continue
            steps = _num(rl, "step").to_numpy()[sel]
            e = energy.to_numpy()[sel]
            frame = pd.DataFrame({"step": steps, "e": e}).dropna().drop_duplicates("step").sort_values("step")
            if frame.empty:
                continue
            xs, ys, b = _block_mean(frame["step"].to_numpy(), frame["e"].to_numpy())
            block = max(block, b)
            s = STYLE[key]
            ax.plot(xs, ys, color=s["color"], linestyle=ls, linewidth=0.8, alpha=0.9,
                    label=SHORT_LABELS[key] if k == 0 else None)
            values.append(ys)
            drawn = True
        ref = _num(_history(tables, run), "reference_energy").dropna()
        if len(ref) and _finite(N):
            ax.axhline(float(ref.iloc[0]) / N, **_ref_line(), label="reference $E/N$" if k == 0 else None)
            values.append(np.array([float(ref.iloc[0]) / N]))
        if len(runs) > 1:
            ax.plot([], [], color="0.3", linestyle=ls, label=_network_label(info, run))
    if not drawn:
        _note(ax, "no training logs for these runs")
        return
    allv = np.concatenate(values)
    allv = allv[np.isfinite(allv)]
    if allv.size:
        lo, hi = float(allv.min()), float(np.percentile(allv, 98))
        pad = 0.05 * (hi - lo or abs(lo) or 1.0)
        ax.set_ylim(lo - pad, hi + pad)
    if block > 1:
        ax.text(0.02, 0.02, f"averaged over blocks of {block} steps", transform=ax.transAxes, ha="left",
                va="bottom", fontsize=6, color="0.35")
    handles, labels = ax.get_legend_handles_labels()
    first = [SHORT_LABELS[k] for k in ("pretrain", *METHODS)]
    order = sorted(range(len(labels)), key=lambda i: first.index(labels[i]) if labels[i] in first else len(first) + i)
    ax.legend([handles[i] for i in order], [labels[i] for i in order], fontsize="x-small", loc="upper right",
              ncol=2 if len(runs) > 1 else 1)


def _fig5(tables, spec, options):
    runs = _run_names(tables, spec)
    n = len(runs) + 1
    figure, axes = _panels(n, ncols=min(n, 3), legend_rows=2)
    for k, run in enumerate(runs):
        ax = axes[k]
        _guarded(ax, _methods_panel, tables, run)
        ax.set_title(f"{_letter(k)} {_network_label(_run_info(tables, run), run)}", loc="left")
    _guarded(axes[-1], _logs_panel, tables, runs)
    axes[-1].set_title(f"{_letter(n - 1)} energy per spin during training", loc="left")
    _figure_legend(figure, axes[:-1], ncol=3)
    _suptitle(figure, "Pruning methods compared: magnitude pruning with rewinding (IMP-WR), "
                      "with continued training (IMP-CT) and random pruning (IRP-WR)", tables, runs)
    return figure


# ============================================================================================
# Fig. 6: variance
# ============================================================================================
def _fig6(tables, spec, options):
    runs = _run_names(tables, spec)
    n = len(runs) + 1
    figure, axes = _panels(n, legend_rows=3)
    for k, run in enumerate(runs):
        ax = axes[k]
        _guarded(ax, _lth_panel, tables, run, "n", "variance_per_spin")
        ax.set_title(f"{_letter(k)} {_network_label(_run_info(tables, run), run)}", loc="left")

    def dense(ax):
        _dense_scatter(ax, tables, options, True, False)
        ax.set_xlabel(E_LABEL)
        ax.set_ylabel(VAR_LABEL)
        _legend(ax, fontsize="x-small", loc="best")

    _guarded(axes[-1], dense)
    axes[-1].set_title(f"{_letter(n - 1)} dense networks", loc="left")
    _figure_legend(figure, axes[:-1], ncol=2)
    _suptitle(figure, "Energy variance per spin of pruned networks and tickets", tables, runs, errors=False)
    return figure


# ============================================================================================
# Fig. 7: the odd-parity construction
# ============================================================================================
def _fig7(tables, spec, options):
    c = tables.construction
    figure, axes = _panels(2, ncols=2, size=(3.8, 3.0), legend_rows=0)
    L_of = _num(c, "L").fillna(np.sqrt(_num(c, "N") / 2))  # N = 2 L^2 spins on the torus
    Ls = sorted(L_of.dropna().unique())
    colors = dict(zip(Ls, _palette(options, len(Ls))))

    def panel(ax, column, analytic, ylabel, reference):
        ax.set_xlabel("filter weight $W$")
        ax.set_ylabel(ylabel)
        if not Ls or column not in c or "W" not in c:
            _note(ax, "no construction table")
            return
        drawn = False
        for L in Ls:
            rows = c[L_of == L]
            method = ", ".join(sorted(set(rows["method"].astype(str)))) if "method" in rows else ""
            label = f"L = {L:g} (N = {2 * L * L:g})" + (f", {method}" if method else "")
            err = _num(rows, "energy_error") / (2 * L * L) if column == "energy_per_spin" else None
            drawn |= _series(ax, _num(rows, "W"), _num(rows, column), err, color=colors[L], marker="o", label=label)
            if analytic in rows:
                _series(ax, _num(rows, "W"), _num(rows, analytic), color=colors[L], marker="", linestyle="--",
                        linewidth=0.8, label=None)
                ax.plot([], [], color="0.3", linestyle="--", linewidth=0.8, label="closed form")
        if reference is not None:
            ax.axhline(reference, color="black", linestyle=":", linewidth=1.0, zorder=1,
                       label="toric-code ground state $E/N = -1$")
        else:
            v = _num(c, column)
            positive = v[v > 0]
            if len(positive) >= 2 and positive.max() / positive.min() > 100:  # exp(-8W) decay: log axis
                ax.set_yscale("log", nonpositive="mask")
            else:
                ax.axhline(0.0, color="black", linestyle=":", linewidth=1.0, zorder=1)
        if not drawn:
            _note(ax, "no finite values")
        _legend(ax, fontsize="x-small", loc="upper right" if reference is None else "best")

    _guarded(axes[0], panel, "energy_per_spin", "analytic_energy_per_spin", E_LABEL, -1.0)
    _guarded(axes[1], panel, "variance_per_spin", "analytic_variance_per_spin", VAR_LABEL, None)
    axes[0].set_title("(a) energy per spin", loc="left")
    axes[1].set_title("(b) energy variance per spin", loc="left")
    figure.suptitle("Toric code: untrained sparse FFNN made of all odd-parity plaquette filters\n"
                    "(three edges +W, one −W, or the reverse) — reference: exact ground state, E/N = −1")
    return figure


_BUILDERS = {"fig1": _fig1, "fig2": _fig2, "fig3": _fig3, "fig4": _fig4, "fig5": _fig5, "fig6": _fig6,
             "fig7": _fig7}

_CAPTIONS = {
    "fig1": "Lottery-ticket test. Relative energy error eps_rel = abs(E - E_ref)/abs(E_ref) versus the number n of "
            "remaining weights (log-log), one panel per network: the IMP-WR pruning path (dense network as a "
            "star) and the isolated tickets T(theta_init, m_IMP) (original initialisation, IMP mask), "
            "T(theta_rand, m_IMP) (fresh initialisation, IMP mask) and T(theta_init, m_rand) (original "
            "initialisation, random mask with the same number of weights), each trained with its mask fixed. "
            "Inset: energy per spin against variance per spin of the dense networks, dashed line the reference.",
    "fig2": "Absolute error per spin Delta E = abs(E - E_ref)/N of IMP-WR-pruned FFNNs versus the number n of "
            "remaining weights: (a) at the critical field kappa_c = 3.04438 for several widths alpha, with the "
            "high-error plateau (HEP), approximate power law (APL) and low-error plateau (LEP) of a "
            "piecewise-linear fit of log Delta E versus log n shaded for the widest network; (b) in the "
            "ferromagnetic phase (kappa < kappa_c); (c) in the paramagnetic phase (kappa > kappa_c).",
    "fig3": "Finite-size scaling of IMP-WR-pruned FFNNs at kappa_c versus the number of weights per spin "
            "rho = n/N, one colour per lattice size: (a) absolute error per spin, (b) Monte Carlo fidelity "
            "between neighbouring pruned states (plotted at rho of the denser state; stars mark each minimum, "
            "the grey band the range of the minima that are dips, rho_c: 1 - F at least "
            f"{DIP_CONTRAST:g}x the median 1 - F of the path and {DIP_SIGMAS:g} standard errors), (c) longitudinal "
            "magnetisation M_z and "
            "(d) transverse magnetisation M_x (signed, per spin).",
    "fig4": "Toric code. (a) Lottery-ticket test: relative energy error versus weights per spin rho for the "
            "IMP-WR path and the three isolated tickets. (b) Fidelity between neighbouring IMP-WR states for "
            "FFNN widths alpha; dashed line rho_c = 16 weights per spin (32 per plaquette). (c) Fraction of the "
            "plaquettes covered by odd-parity filters (hidden neurons whose surviving weights are the four edges "
            "of one plaquette with three signs of one kind and one of the other). (d) Normalised weights "
            "(width and dot size) and signs (colour) of single hidden neurons of one pruned network, drawn on the "
            "edges around their plaquette.",
    "fig5": "Pruning methods: relative energy error versus remaining weights n for magnitude pruning with "
            "rewinding to the pre-trained weights (IMP-WR), magnitude pruning with continued training (IMP-CT) "
            "and random pruning with rewinding (IRP-WR), all from the same pre-trained dense network; last "
            "panel: energy per spin at every training step (dense pre-training, then k steps per pruning "
            "iteration), dashed line the reference.",
    "fig6": "Energy variance per spin sigma^2/N versus remaining weights n for the IMP-WR path and the isolated "
            "tickets of each network, and (last panel) variance per spin against energy per spin of the dense "
            "networks; a zero-variance eigenstate would sit on the horizontal axis.",
    "fig7": "Untrained sparse FFNN whose hidden neurons are all eight odd-parity filters (+W on three edges of "
            "a plaquette and -W on the fourth, or the reverse) of every plaquette of the toric code: energy per "
            "spin (a) and variance per spin (b) versus the filter weight W, one line per lattice size L; "
            "dashed lines the closed form, dotted line the exact ground-state energy per spin -1. Each broken "
            "plaquette is suppressed by exp(-4W) in amplitude, so E/N -> -1 and the variance -> 0 as W grows.",
}
