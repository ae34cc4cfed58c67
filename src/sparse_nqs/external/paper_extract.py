"""Read the numbers behind the paper's figures out of its authors' vector PDFs (the optional extra
``paper-data``: pdfplumber). Writes the tables of ``sparse_nqs/external/paper/`` (its README says
what they hold):

    pip install -e ".[paper-data]"
    python -m sparse_nqs.external.paper_extract FIGURE_DIR [--out src/sparse_nqs/external/paper]

FIGURE_DIR holds the PDFs of the authors' repository (bartonbrandon/sparse-nqs, folder
``figure_notebooks/`` at commit :data:`SOURCE_COMMIT`); each file's SHA-256 is checked first, so
the tables are read from exactly the files the README cites.

matplotlib wrote these PDFs: every plotted line is one stroked path whose vertices are its data
points (in PDF points, to 6 decimals; clipped to the axes, so a point outside the axes limits is not
in the file), its stroke colour and dash pattern are those of its legend handle, and each major tick
of an axis is a short stroke at the axes' edge with its label beside it. So a panel is read by
(1) finding the axes (the white rectangles), (2) mapping PDF points to data on each axis by the
straight line (log10 on a log axis) through the major ticks and their labels, (3) naming each
curve by the legend handle of its colour and dash (legend order from the top), and (4) mapping
its vertices. Markers drawn without a line (scatter plots) are read as the centres of their
outlines. Nothing is digitised from pixels.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

SOURCE_REPOSITORY = "bartonbrandon/sparse-nqs"
SOURCE_COMMIT = "56163415111c724236c19d8ed19f4c7878017016"
SOURCE_FOLDER = "figure_notebooks"
#: the authors' files and their SHA-256
FILES = {
    "fig1a.pdf": "f2b9ac63632f93a64d7ae6e97fdbd06eb6c5c03a6db3fb782427f1bd5e6125eb",
    "fig1b.pdf": "b1ae5f63801ca36b00e6f83fd0cec9882afe04f9cac64a54e5cf54993b579348",
    "fig1c.pdf": "24be15ac957b47bb6d855a56214d84010b237b18fc339a6e233268a467d21d91",
    "fig1_inset.pdf": "998deb8b733511560989ca66570ba623bbdbf8a2251cc89b8aed233a45a6b1c1",
    "fig2_abc.pdf": "6864bfb616bbf2b975f63238da3132a98a7dbf74e7d5abbd661f9960c1ccdc5d",
    "fig3_abcd.pdf": "f5558854c2ac8934d6ce97b0ca2c0f3177324846309015211c87a1d2a96349c4",
    "fig4a.pdf": "708c20cd1835ec731efb1a675eb5d82b005f75b2aa40496d99dd87b8b32b5f14",
    "fig4b.pdf": "08c5c7bd2dc5da4f772bd3f3c3167266a48cc8375a1ed966a40686fdbc8b8bce",
    "fig4d.pdf": "95ddc86ac30a902fdf76fa7f8d07cc3ac1101a1f9bccbccf1f23d3a9e8598de7",
    "appendix_variance_per_spin.pdf": "f1b103ea65ba8913c30aca221ffe79728d7856f690cd4bfa750c9201d27ce6c5",
}
#: matplotlib's default grid colour (#b0b0b0) and the legend frame's (0.8)
GRID_GREY, FRAME_GREY = 0.6901960784, 0.8
#: how far (PDF points) a tick label may sit from its tick
LABEL_REACH = 45.0
#: the thinnest plotted line (points): matplotlib's ticks, spines and grid lines are 0.6-0.8
MIN_LINE_WIDTH = 1.2


class PaperDataError(RuntimeError):
    """The PDFs are not the cited ones, or a panel does not read as expected."""


# --------------------------------------------------------------------------------------------
# what each file shows: its panels (axes in reading order) and its legend entries (from the top)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One legend entry: a fragment its text must contain, and the keys of the curve it names."""

    text: str
    keys: dict


@dataclass(frozen=True)
class Figure:
    file: str
    figure: str
    panels: tuple  # (panel letter, x name, y name) per axes, in reading order
    legends: dict = field(default_factory=dict)  # panel letter of the legend -> entries, top first
    #: which panels a legend names curves in (default: its own; one legend for every panel of fig3)
    legend_scope: dict = field(default_factory=dict)
    #: markers without lines: legend entries name marker shapes (vertices, size) instead of strokes
    scatter: bool = False
    #: matplotlib's offset text of an axis, {axis: (factor, shift, its text)}: value = label x factor + shift
    offsets: dict = field(default_factory=dict)
    #: keys every curve of a panel has (the network of a Fig. 1 panel, the width of Fig. 4a)
    panel_keys: dict = field(default_factory=dict)


#: the lottery-ticket panels' legend (Fig. 1 a-c, Fig. 4a), from the top
TICKETS = [Entry("init,mrand", {"variant": "init_rand"}), Entry("rand,mimp", {"variant": "rand_imp"}),
           Entry("init,mimp", {"variant": "init_imp"}), Entry("IMP-WR", {"method": "imp_wr"})]

FIGURES = {
    "fig1a": Figure("fig1a.pdf", "fig1", (("a", "n", "eps_rel"),), {"a": TICKETS},
                    panel_keys={"a": {"network": "ffnn", "alpha": 5.0}}),
    "fig1b": Figure("fig1b.pdf", "fig1", (("b", "n", "eps_rel"),), {"b": TICKETS},
                    panel_keys={"b": {"network": "cnn", "n_filters": 4}}),
    "fig1c": Figure("fig1c.pdf", "fig1", (("c", "n", "eps_rel"),), {"c": TICKETS},
                    panel_keys={"c": {"network": "rescnn", "n_filters": 16, "n_blocks": 4}}),
    "fig1_inset": Figure("fig1_inset.pdf", "fig1", (("inset", "variance_per_spin", "energy_per_spin"),),
                         {"inset": [Entry("CNN", {"network": "cnn"}), Entry("FFNN", {"network": "ffnn"}),
                                    Entry("DMRG", {"line": "DMRG"}), Entry("ResCNN", {"network": "rescnn"})]},
                         scatter=True, offsets={"y": (1e-4, -3.21, "×10−4−3.21")}),
    "appendix_variance": Figure("appendix_variance_per_spin.pdf", "appendix_variance",
                                (("a", "energy_per_spin", "variance_per_spin"),),
                                {"a": [Entry("CNN", {"network": "cnn"}), Entry("FFNN", {"network": "ffnn"}),
                                       Entry("DMRG", {"line": "DMRG"}), Entry("Res-CNN", {"network": "rescnn"})]},
                                scatter=True),
    "fig2": Figure("fig2_abc.pdf", "fig2", (("a", "n", "delta_e_per_spin"), ("b", "n", "delta_e_per_spin"),
                                           ("c", "n", "delta_e_per_spin")),
                   {"a": [Entry("α=1", {"alpha": 1.0}), Entry("α=5", {"alpha": 2.5}), Entry("α=5", {"alpha": 5.0})],
                    "b": [Entry("κ=1", {"kappa": 0.1}), Entry("κ=1", {"kappa": 1.0}), Entry("κ=2", {"kappa": 2.0})],
                    "c": [Entry("κ=4", {"kappa": 4.0}), Entry("κ=5", {"kappa": 5.0}), Entry("κ=6", {"kappa": 6.0})]}),
    "fig3": Figure("fig3_abcd.pdf", "fig3", (("a", "rho", "delta_e_per_spin"), ("b", "rho", "fidelity"),
                                            ("c", "rho", "mz"), ("d", "rho", "mx")),
                   {"a": [Entry(f"N={L}×{L}", {"L": L}) for L in range(4, 11)]},
                   {"a": ("a", "b", "c", "d")}),
    "fig4a": Figure("fig4a.pdf", "fig4", (("a", "rho", "eps_rel"),),
                    {"a": TICKETS + [Entry("=16", {"line": "n/N = 16"})]}, panel_keys={"a": {"alpha": 8.0}}),
    "fig4b": Figure("fig4b.pdf", "fig4", (("b", "rho", "fidelity"),),
                    {"b": [Entry(f"α={a}", {"alpha": a}) for a in (4, 8, 16, 32)]
                     + [Entry("=16", {"line": "n/N = 16"})]}),
}


# --------------------------------------------------------------------------------------------
# reading one page
# --------------------------------------------------------------------------------------------
def _grey(colour) -> float | None:
    """A stroke colour as one grey level (None for a colour)."""
    if isinstance(colour, (int, float)):
        return float(colour)
    if isinstance(colour, (tuple, list)) and len(colour) == 1:
        return float(colour[0])
    if isinstance(colour, (tuple, list)) and len(colour) == 3 and max(colour) - min(colour) < 1e-9:
        return float(colour[0])
    return None


def colour_key(colour) -> str:
    """A stroke colour as #rrggbb (greys too)."""
    grey = _grey(colour)
    rgb = (grey, grey, grey) if grey is not None else tuple(colour)
    return "#" + "".join(f"{int(round(255 * c)):02x}" for c in rgb)


def dash_key(dash) -> str:
    """A dash pattern as text ("" for a solid line)."""
    if not dash or not dash[0]:
        return ""
    return " ".join(f"{d:g}" for d in dash[0])


@dataclass
class Axes:
    x0: float
    top: float
    x1: float
    bottom: float

    def contains(self, x, y, slack=0.5) -> bool:
        return self.x0 - slack <= x <= self.x1 + slack and self.top - slack <= y <= self.bottom + slack


@dataclass
class Scale:
    """Data value of a PDF coordinate on one axis: value = 10^(a + b p) (log) or a + b p."""

    log: bool
    a: float
    b: float
    ticks: list  # (position, value) of the labelled major ticks
    residual: float  # largest misfit of a tick (in the fitted quantity: decades or data units)

    def __call__(self, position):
        t = self.a + self.b * np.asarray(position, dtype=float)
        return 10.0 ** t if self.log else t


def _words_near(chars, x, y, horizontal: bool):
    """The characters of the tick label next to a major tick at (x, y): just below it (x axis; not
    the axis label further down) or left of it (y axis)."""
    if horizontal:
        # below the axis line, raised exponents reaching above it
        row = sorted((c for c in chars if -20 <= c["top"] - y < 25 and c["bottom"] > y), key=lambda c: c["x0"])
        if not row:
            return []
        k = int(np.argmin([abs((c["x0"] + c["x1"]) / 2 - x) for c in row]))
        if abs((row[k]["x0"] + row[k]["x1"]) / 2 - x) > 25:
            return []
        lo = hi = k
        while lo > 0 and row[lo]["x0"] - row[lo - 1]["x1"] < 4:  # the word around the tick
            lo -= 1
        while hi + 1 < len(row) and row[hi + 1]["x0"] - row[hi]["x1"] < 4:
            hi += 1
        near = row[lo:hi + 1]
    else:
        # by overlap, not centre: the box of a mathtext minus sign sits lower than its digits'
        near = sorted((c for c in chars if 0 <= x - c["x1"] < LABEL_REACH + c["size"]
                       and c["top"] < y + 0.6 * c["size"] and c["bottom"] > y - 0.6 * c["size"]),
                      key=lambda c: -c["x1"])
        label = []
        for c in near:  # the run of characters nearest the axis (not the axis label further left)
            if label and label[-1]["x0"] - c["x1"] > 4:
                break
            label.append(c)
        near = label
    return sorted(near, key=lambda c: c["x0"])


def parse_tick_label(chars) -> tuple[float | None, bool]:
    """(value, written as a power of ten) of a matplotlib tick label from its characters: "10" with
    a raised exponent (smaller characters) is a power of ten, as a log axis labels its decades;
    "−" is a minus sign; else a decimal number. (None, False) if it reads as neither."""
    if not chars:
        return None, False
    size = max(c["size"] for c in chars)
    base = "".join(c["text"] for c in chars if c["size"] > 0.8 * size).replace("−", "-")
    exponent = "".join(c["text"] for c in chars if c["size"] <= 0.8 * size).replace("−", "-")
    try:
        if exponent:
            if base.lstrip("-") != "10":
                return None, False
            return (-1 if base.startswith("-") else 1) * 10.0 ** int(exponent), True
        return float(base), False
    except ValueError:
        return None, False


def _scale(ticks, log: bool) -> Scale:
    positions = np.array([p for p, _ in ticks])
    values = np.array([v for _, v in ticks])
    target = np.log10(values) if log else values
    b, a = np.polyfit(positions, target, 1)
    residual = float(np.max(np.abs(a + b * positions - target)))
    return Scale(log, float(a), float(b), [(float(p), float(v)) for p, v in ticks], residual)


def axis_scales(page, axes: Axes) -> tuple[Scale | None, Scale | None]:
    """The x and y scales of one axes from its major ticks (the longest tick strokes at its bottom
    and left edges) and their labels (None for an axis without labels)."""
    chars = [c for c in page.chars if c.get("upright", True)]  # not the rotated y-axis label
    xt, yt = [], []
    for line in page.lines:
        (xa, ya), (xb, yb) = line["pts"][0], line["pts"][-1]
        length = math.hypot(xb - xa, yb - ya)
        if _grey(line.get("stroking_color")) != 0.0 or length > 6:
            continue
        if abs(xa - xb) < 1e-6 and min(abs(ya - axes.bottom), abs(yb - axes.bottom)) < 1e-3 and \
                axes.x0 - 0.5 <= xa <= axes.x1 + 0.5:
            xt.append((round(length, 3), xa))
        if abs(ya - yb) < 1e-6 and min(abs(xa - axes.x0), abs(xb - axes.x0)) < 1e-3 and \
                axes.top - 0.5 <= ya <= axes.bottom + 0.5:
            yt.append((round(length, 3), ya))
    out = []
    for ticks, horizontal in ((xt, True), (yt, False)):
        major = max((length for length, _ in ticks), default=0)
        edge = axes.bottom if horizontal else axes.x0
        read = {round(p, 6): parse_tick_label(_words_near(chars, p, edge, True) if horizontal else
                                              _words_near(chars, edge, p, False))
                for length, p in ticks if length == major}
        labelled = sorted((p, v) for p, (v, _) in read.items() if v is not None)
        if len(labelled) < 2:  # a shared axis without labels: read from its neighbour (shared_scales)
            out.append(None)
            continue
        # a log axis labels its decades as powers of ten (matplotlib's LogFormatterSciNotation)
        log = all(power for v, power in read.values() if v is not None)
        out.append(_scale(labelled, log))
    return out[0], out[1]


@dataclass
class Offset:
    """An axis whose tick labels carry matplotlib's offset text: value = label x factor + shift."""

    scale: Scale
    factor: float
    shift: float

    @property
    def log(self):
        return self.scale.log

    @property
    def ticks(self):
        return [(p, v * self.factor + self.shift) for p, v in self.scale.ticks]

    @property
    def residual(self):
        return self.scale.residual

    def __call__(self, position):
        return self.scale(position) * self.factor + self.shift


def _bbox(item):
    pts = np.asarray(item["pts"], dtype=float)
    return pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()


def _read_scatter(page, spec: Figure, axes: list[Axes], scales) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A panel of markers (and straight reference lines): markers are named by their shape (vertex
    count of the outline and its size; the fill colour of a stamped marker is not in the page's
    drawing state), each read as the centre of its outline."""
    (a,), ((sx, sy),), ((letter, xname, yname),) = axes, scales, spec.panels
    entries = spec.legends[letter]
    frames = [c for c in page.curves if colour_key(c.get("stroking_color")) == "#cccccc" and c.get("fill")]
    if len(frames) != 1:
        raise PaperDataError(f"{spec.file}: {len(frames)} legend frames")
    fx0, ftop, fx1, fbottom = _bbox(frames[0])

    def shape(item):
        x0, top, x1, bottom = _bbox(item)
        return len(item["pts"]), round(x1 - x0, 1)

    in_frame = lambda item: fx0 < _bbox(item)[0] and _bbox(item)[2] < fx1 and ftop < _bbox(item)[1] < fbottom
    handles = []
    for item in list(page.curves) + list(page.lines):
        if item is frames[0] or not in_frame(item):
            continue
        x0, top, x1, bottom = _bbox(item)
        text = _text_right_of(page, x1, (top + bottom) / 2)
        line = len(item["pts"]) <= 3 and bottom - top < 1e-6
        handles.append(((top + bottom) / 2, text, line, item))
    handles.sort(key=lambda h: h[0])
    if len(handles) != len(entries):
        raise PaperDataError(f"{spec.file}: {len(handles)} legend entries ({[h[1] for h in handles]}), "
                             f"expected {len(entries)}")
    legend, points = [], []
    calibration = calibration_rows(page, spec, letter, a, sx, sy)
    for order, ((_, text, line, handle), entry) in enumerate(zip(handles, entries)):
        if _normalise(entry.text) not in _normalise(text):
            raise PaperDataError(f"{spec.file}: legend entry {order} reads {text!r}, expected {entry.text!r}")
        fill = handle.get("non_stroking_color")
        legend.append({"figure": spec.figure, "file": spec.file, "panel": letter, "order": order, "text": text,
                       "colour": colour_key(handle.get("stroking_color") if line else fill),
                       "dash": dash_key(handle.get("dash")), "linewidth": round(float(handle["linewidth"]), 3),
                       "marker_vertices": np.nan if line else len(handle["pts"]), **entry.keys})
        found = 0
        for item in list(page.curves) + list(page.lines):
            if item is handle or in_frame(item) or not a.contains(*item["pts"][0], slack=15):
                continue
            if line:
                same = (len(item["pts"]) <= 3 and colour_key(item.get("stroking_color")) ==
                        colour_key(handle.get("stroking_color")) and dash_key(item.get("dash")) ==
                        dash_key(handle.get("dash")) and abs(item["linewidth"] - handle["linewidth"]) < 1e-6)
                if not same:
                    continue
                x0, top, x1, bottom = _bbox(item)
                vertical = x1 - x0 < 1e-6
                points.append({"figure": spec.figure, "panel": letter, "x_name": xname, "y_name": yname,
                               "curve": order, "point": found, **entry.keys,
                               "x": float(sx(x0)) if vertical else np.nan,
                               "y": np.nan if vertical else float(sy(top))})
                found += 1
            elif shape(item) == shape(handle) and item.get("fill"):
                x0, top, x1, bottom = _bbox(item)
                if not a.contains((x0 + x1) / 2, (top + bottom) / 2):
                    continue
                points.append({"figure": spec.figure, "panel": letter, "x_name": xname, "y_name": yname,
                               "curve": order, "point": found, **entry.keys,
                               "x": float(sx((x0 + x1) / 2)), "y": float(sy((top + bottom) / 2))})
                found += 1
        if not found:
            raise PaperDataError(f"{spec.file}: no marks of legend entry {text!r}")
    return _with_panel_keys(pd.DataFrame(points), spec), pd.DataFrame(calibration), pd.DataFrame(legend)


def calibration_rows(page, spec: Figure, letter: str, a: Axes, sx, sy) -> list[dict]:
    """The rows of ``axes.csv`` for one axes: its labelled major ticks (position, label value: what
    the scale is fitted to), and as checks its minor ticks and grid lines (position, the value the
    fitted scale gives them: a log axis' minor ticks fall on 2..9 x 10^k, grid lines on major ticks)."""
    rows = []
    common = {"figure": spec.figure, "file": spec.file, "panel": letter, "axes_x0": a.x0, "axes_top": a.top,
              "axes_x1": a.x1, "axes_bottom": a.bottom}
    marks = {"x": {"minor": set(), "grid": set()}, "y": {"minor": set(), "grid": set()}}
    for line in page.lines:
        (xa, ya), (xb, yb) = line["pts"][0], line["pts"][-1]
        grey, length = _grey(line.get("stroking_color")), math.hypot(xb - xa, yb - ya)
        vertical, horizontal = abs(xa - xb) < 1e-6, abs(ya - yb) < 1e-6
        inside = a.contains(xa, ya, slack=1e-3) and a.contains(xb, yb, slack=1e-3)
        if grey == GRID_GREY and inside and vertical and length > 0.9 * (a.bottom - a.top):
            marks["x"]["grid"].add(round(xa, 6))
        elif grey == GRID_GREY and inside and horizontal and length > 0.9 * (a.x1 - a.x0):
            marks["y"]["grid"].add(round(ya, 6))
        elif grey == 0.0 and length < 3 and vertical and min(abs(ya - a.bottom), abs(yb - a.bottom)) < 1e-3 \
                and a.x0 - 1e-3 <= xa <= a.x1 + 1e-3:
            marks["x"]["minor"].add(round(xa, 6))
        elif grey == 0.0 and length < 3 and horizontal and min(abs(xa - a.x0), abs(xb - a.x0)) < 1e-3 \
                and a.top - 1e-3 <= ya <= a.bottom + 1e-3:
            marks["y"]["minor"].add(round(ya, 6))
    for axis, scale in (("x", sx), ("y", sy)):
        kind = {"scale": "log" if scale.log else "linear", "residual": scale.residual}
        rows += [{**common, "axis": axis, **kind, "kind": "major", "position": p, "value": v} for p, v in scale.ticks]
        for name in ("minor", "grid"):
            rows += [{**common, "axis": axis, **kind, "kind": name, "position": p, "value": float(scale(p))}
                     for p in sorted(marks[axis][name])]
    return rows


def shared_scales(page, axes: list[Axes]) -> list[tuple[Scale, Scale]]:
    """Every axes' scales; an axis without tick labels (matplotlib's sharex/sharey hides them)
    takes the scale of an axes with the same extent along that axis that has them."""
    scales = [list(axis_scales(page, a)) for a in axes]
    for k, a in enumerate(axes):
        for i, extent in ((0, lambda b: (b.x0, b.x1)), (1, lambda b: (b.top, b.bottom))):
            if scales[k][i] is None:
                donors = [scales[j][i] for j, b in enumerate(axes) if scales[j][i] is not None
                          and np.allclose(extent(a), extent(b), atol=1e-3)]
                if not donors:
                    raise PaperDataError(f"no labelled major ticks on the {'xy'[i]} axis of the axes at {a}")
                scales[k][i] = donors[0]
    return [tuple(s) for s in scales]


def find_axes(page) -> list[Axes]:
    """The axes of a page in reading order (rows from the top, then left to right): the white
    filled rectangles other than the page's background."""
    boxes = [Axes(r["x0"], r["top"], r["x1"], r["bottom"]) for r in page.rects
             if r.get("fill") and _grey(r.get("non_stroking_color")) == 1.0
             and not (r["x0"] < 1 and r["top"] < 1 and r["width"] > 0.99 * page.width)]
    rows = sorted(boxes, key=lambda a: (round(a.top / 20), a.x0))
    return rows


@dataclass
class Handle:
    colour: str
    dash: str
    width: float
    label: str
    y: float
    axes: int


def _text_right_of(page, x, y):
    """The legend text right of a handle ending at x on the height y (one line)."""
    chars = [c for c in page.chars if c["x0"] > x and c["top"] < y + 6 and c["bottom"] > y - 6 and c["x0"] - x < 200]
    chars.sort(key=lambda c: c["x0"])
    line, last = [], x
    for c in chars:  # stop at a gap wider than a few characters (another column or panel)
        if c["x0"] - last > (80 if not line else 30):
            break
        line.append(c)
        last = c["x1"]
    return "".join(c["text"] for c in line).replace(" ", "")


def legend_handles(page, axes: list[Axes]) -> list[Handle]:
    """The legend handles of a page: 3-vertex horizontal strokes 40 points long inside an axes (and
    2-vertex ones), each with its colour, dash and text; in order from the top."""
    out = []
    for item in list(page.curves) + list(page.lines):
        pts = item["pts"]
        if len(pts) not in (2, 3) or abs(pts[0][1] - pts[-1][1]) > 1e-6 or not 15 < pts[-1][0] - pts[0][0] < 45:
            continue
        inside = [k for k, a in enumerate(axes) if a.contains(pts[0][0], pts[0][1])]
        if not inside:
            continue
        text = _text_right_of(page, pts[-1][0], pts[0][1])
        if not text:
            continue
        out.append(Handle(colour_key(item.get("stroking_color")), dash_key(item.get("dash")),
                          round(float(item["linewidth"]), 3), text, pts[0][1], inside[0]))
    return sorted(out, key=lambda h: (h.axes, h.y))


def _normalise(text: str) -> str:
    # "×" is dropped: its glyph sits below the line of the legend text (fig3), so it may not be read
    return re.sub(r"\s+", "", text).replace("−", "-").replace("$", "").replace("×", "")


def read_figure(path: Path, spec: Figure) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(points, axes, legend) tables of one PDF: every curve's vertices in data units, every axis's
    calibration, every legend entry."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        axes = find_axes(page)
        if len(axes) != len(spec.panels):
            raise PaperDataError(f"{path.name}: {len(axes)} axes, expected {len(spec.panels)}")
        scales = shared_scales(page, axes)
        text = _normalise("".join(c["text"] for c in page.chars))
        for axis, (factor, shift, written) in spec.offsets.items():
            if _normalise(written) not in text:
                raise PaperDataError(f"{path.name}: no offset text {written!r} on the {axis} axis")
            i = "xy".index(axis)
            scales = [tuple(Offset(sc, factor, shift) if j == i else sc for j, sc in enumerate(pair)) for pair in scales]
        if spec.scatter:
            return _read_scatter(page, spec, axes, scales)
        handles = legend_handles(page, axes)
        letters = [p[0] for p in spec.panels]
        legend_rows, names = [], {}  # (panel, colour, dash) -> keys
        for letter, entries in spec.legends.items():
            mine = [h for h in handles if letters[h.axes] == letter]
            if len(mine) != len(entries):
                raise PaperDataError(f"{path.name} panel {letter}: {len(mine)} legend handles "
                                     f"({[h.label for h in mine]}), expected {len(entries)}")
            for order, (handle, entry) in enumerate(zip(mine, entries)):
                if _normalise(entry.text) not in _normalise(handle.label):
                    raise PaperDataError(f"{path.name} panel {letter}: legend entry {order} reads "
                                         f"{handle.label!r}, expected {entry.text!r}")
                for scope in spec.legend_scope.get(letter, (letter,)):
                    names[(scope, handle.colour, handle.dash)] = entry.keys
                legend_rows.append({"figure": spec.figure, "file": spec.file, "panel": letter, "order": order,
                                    "text": handle.label, "colour": handle.colour, "dash": handle.dash,
                                    "linewidth": handle.width, **entry.keys})
        points, calibration = [], []
        for k, (a, (letter, xname, yname)) in enumerate(zip(axes, spec.panels)):
            sx, sy = scales[k]
            calibration += calibration_rows(page, spec, letter, a, sx, sy)
            curve = 0
            for item in list(page.curves) + list(page.lines):
                pts = np.asarray(item["pts"], dtype=float)
                key = (letter, colour_key(item.get("stroking_color")), dash_key(item.get("dash")))
                if key not in names or len(pts) < 2 or not a.contains(*pts[0]) or item["linewidth"] < MIN_LINE_WIDTH:
                    continue  # not a named curve of this axes (ticks, spines and grid lines are thinner)
                if len(pts) <= 3 and np.ptp(pts[:, 1]) < 1e-6 and 15 < np.ptp(pts[:, 0]) < 45:
                    continue  # a legend handle
                keys = names[key]
                if "line" in keys:  # a marker line: its position only
                    vertical = np.ptp(pts[:, 0]) < 1e-6
                    frame = {"x": float(sx(pts[0, 0])) if vertical else np.nan,
                             "y": np.nan if vertical else float(sy(pts[0, 1]))}
                    points.append({"figure": spec.figure, "panel": letter, "x_name": xname, "y_name": yname,
                                   "curve": curve, "point": 0, **keys, **frame})
                else:
                    xs, ys = sx(pts[:, 0]), sy(pts[:, 1])
                    for i, (x, y) in enumerate(zip(xs, ys)):
                        points.append({"figure": spec.figure, "panel": letter, "x_name": xname, "y_name": yname,
                                       "curve": curve, "point": i, **keys, "x": float(x), "y": float(y)})
                curve += 1
    return _with_panel_keys(pd.DataFrame(points), spec), pd.DataFrame(calibration), pd.DataFrame(legend_rows)


def _with_panel_keys(points: pd.DataFrame, spec: Figure) -> pd.DataFrame:
    for letter, keys in spec.panel_keys.items():
        for key, value in keys.items():
            if key not in points:
                points[key] = None
            points.loc[points["panel"] == letter, key] = value
    return points


#: Fig. 4d's colour bar: its labelled ticks (value, PDF height) are read; the map is matplotlib's coolwarm
FIG4D_COLORMAP = "coolwarm"


def read_fig4d(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig. 4d: the edges of the 64 neuron diagrams (a 3 x 3 toric lattice each, in reading order),
    each with its lattice position, the colour bar's value of its stroke colour (the exact inverse of
    the colour map between the colour bar's limits) and its stroke width. Returns (edges, axes)."""
    import matplotlib
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        boxes = find_axes(page)
        heights = np.array([b.bottom - b.top for b in boxes])
        panels = [b for b, h in zip(boxes, heights) if h < 2 * np.median(heights)]
        bars = [b for b, h in zip(boxes, heights) if h >= 2 * np.median(heights)]
        if len(panels) != 64 or len(bars) != 1 or len(page.images) != 1:
            raise PaperDataError(f"{path.name}: {len(panels)} neuron panels and {len(bars)} colour bars")
        bar, image = bars[0], page.images[0]
        ticks = []
        for line in page.lines:  # the colour bar's ticks: on its right edge, labels right of them
            (xa, ya), (xb, yb) = line["pts"][0], line["pts"][-1]
            if abs(ya - yb) < 1e-6 and min(abs(xa - bar.x1), abs(xb - bar.x1)) < 1e-3 and abs(xb - xa) < 6:
                chars = sorted((c for c in page.chars if c["x0"] > bar.x1 and c["x0"] - bar.x1 < 60
                                and c["top"] < ya + 0.6 * c["size"] and c["bottom"] > ya - 0.6 * c["size"]),
                               key=lambda c: c["x0"])
                value, _ = parse_tick_label(chars)
                if value is not None:
                    ticks.append((ya, value))
        scale = _scale(sorted(ticks), log=False)
        vmin, vmax = float(scale(image["bottom"])), float(scale(image["top"]))
        grid = np.linspace(0.0, 1.0, 1 << 14)
        table = matplotlib.colormaps[FIG4D_COLORMAP](grid)[:, :3]
        rows = []
        for k, panel in enumerate(panels):
            mine = [l for l in page.lines if panel.contains(*l["pts"][0], slack=-1e-3) and panel.contains(
                *l["pts"][-1], slack=-1e-3) and colour_key(l.get("stroking_color")) != "#000000"]
            xs = sorted({round(x, 3) for l in mine for x, _ in l["pts"]})
            ys = sorted({round(y, 3) for l in mine for _, y in l["pts"]})
            dx, dy = np.median(np.diff(xs)), np.median(np.diff(ys))
            for line in mine:
                (xa, ya), (xb, yb) = line["pts"][0], line["pts"][-1]
                colour = np.asarray(line["stroking_color"], dtype=float)
                j = int(np.argmin(((table - colour) ** 2).sum(axis=1)))
                rows.append({"figure": "fig4", "panel": "d", "neuron": k,
                             "orientation": "horizontal" if abs(ya - yb) < 1e-6 else "vertical",
                             "column": int(round((min(xa, xb) - xs[0]) / dx)),
                             "row": int(round((min(ya, yb) - ys[0]) / dy)),
                             "colour": colour_key(colour), "colour_error": float(np.sqrt(((table[j] - colour) ** 2).sum())),
                             "weight_from_colour": float(vmin + grid[j] * (vmax - vmin)),
                             "linewidth": float(line["linewidth"])})
        axes = pd.DataFrame([{"figure": "fig4", "file": path.name, "panel": "d", "axis": "colour", "scale": "linear",
                              "kind": "major", "position": p, "value": v, "residual": scale.residual, "axes_x0": bar.x0,
                              "axes_top": bar.top, "axes_x1": bar.x1, "axes_bottom": bar.bottom} for p, v in scale.ticks])
    return pd.DataFrame(rows), axes


def check_files(directory: Path) -> dict[str, Path]:
    """The cited PDFs under ``directory`` after checking each one's SHA-256."""
    out = {}
    for name, digest in FILES.items():
        path = Path(directory) / name
        if not path.is_file():
            raise PaperDataError(f"{path}: missing (a clone of {SOURCE_REPOSITORY}, folder {SOURCE_FOLDER}/, "
                                 f"at commit {SOURCE_COMMIT[:12]})")
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != digest:
            raise PaperDataError(f"{path}: SHA-256 {actual}, the cited file has {digest}")
        out[name] = path
    return out


def extract(directory: Path, out: Path) -> dict[str, int]:
    """Read every figure of :data:`FIGURES` from ``directory`` into ``out``: ``<figure>.csv`` (the
    points), ``fig4d_edges.csv`` (:func:`read_fig4d`), ``axes.csv``, ``legend.csv``. Returns the
    number of rows per table."""
    files = check_files(directory)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    counts, calibrations, legends, tables = {}, [], [], {}
    for name, spec in FIGURES.items():
        points, calibration, legend = read_figure(files[spec.file], spec)
        tables.setdefault(spec.figure, []).append(points)
        calibrations.append(calibration)
        legends.append(legend)
    for figure, frames in tables.items():
        frame = pd.concat(frames, ignore_index=True)
        frame.to_csv(out / f"{figure}.csv", index=False, float_format="%.10g")
        counts[figure] = len(frame)
    edges, colour_bar = read_fig4d(files["fig4d.pdf"])
    edges.to_csv(out / "fig4d_edges.csv", index=False, float_format="%.10g")
    counts["fig4d_edges"] = len(edges)
    calibrations.append(colour_bar)
    pd.concat(calibrations, ignore_index=True).to_csv(out / "axes.csv", index=False, float_format="%.10g")
    pd.concat(legends, ignore_index=True).to_csv(out / "legend.csv", index=False)
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", help=f"the PDFs ({SOURCE_REPOSITORY}, {SOURCE_FOLDER}/)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "paper"), help="where the tables go")
    args = parser.parse_args(argv)
    try:
        counts = extract(Path(args.directory), Path(args.out))
    except PaperDataError as err:
        print(f"paper_extract: {err}", file=sys.stderr)
        return 2
    for figure, n in counts.items():
        print(f"{figure}: {n} points -> {Path(args.out) / (figure + '.csv')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
