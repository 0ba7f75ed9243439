"""The picture of the exchange network: firms on their sites, built links as arrows.

Where things go is decided in :mod:`ecopark_opt.outputs.network_layout`, the words and
numbers are written by :mod:`ecopark_opt.outputs.network_text`; this module draws them with
matplotlib: marks, labels, legend, firm key and footnote.

**Marks.** Colour = sector (status when no firm has a sector), marker = existing (circle),
admitted candidate (diamond) or a firm running a built process, shared hubs included
(hexagon); candidates left out are not drawn. Free plots inside the view
are faint grey squares; free plots outside it are listed in the footnote with their distance
and bearing from the park's centre. Arrows are curved so that opposite or parallel links do
not overlap; their width grows with the quantity sent (relative to the largest flow in the
same unit), their colour is the resource.

**Labels.** Firms carry a short label (their name without a parenthesis when that fits in
18 characters, else their firm_id; a key beside the legend maps ids to full names). Links
carry ``resource quantity unit``, the largest flows (relative to their unit's largest) first;
labels that find no free spot are left out and counted in the footnote (the Links sheet lists
them all).

**Large parks.** An *overview* (see the layout module): firms are small dots coloured by
sector, links are thin straight lines (colour = resource, width and opacity grow with the
relative quantity), and only the firms with the largest flows in + out and the largest links
carry a label — those links are drawn as arrows on top. The footnote says what was left out.

**Numbers** are written out, never in scientific notation (``350 k``, ``1.2 M``; plain km
and degree ticks, no offset).

Drawing uses matplotlib's Agg canvas directly (no pyplot, no global backend switch) and
networkx for the link multigraph. Everything is deterministic: the same solution gives the
same PNG bytes.
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import MaxNLocator

from ..core.solution import Solution
from .network_layout import (
    KM_PER_DEG_LAT,
    TOP_FIRMS,
    TOP_LINKS,
    Board,
    Box,
    Crowd,
    Layout,
    Point,
    arc_points,
    arrange,
    firm_label_box,
    is_overview,
    link_label_box,
    off_plot_mark,
    off_plots,
    overview_node,
    plot_label_box,
    segment_samples,
    site_coordinates,
    top_firms,
)
from .network_text import (
    cut,
    firm_labels,
    km_text,
    off_plots_note,
    overview_notes,
    quantity_label,
    tick_texts,
    unit_text,
)

FIGSIZE = (10.0, 7.0)
DPI = 120
AXES_BOX = (0.07, 0.115, 0.655, 0.815)  # left, bottom, width, height (figure fractions)
STATUS_COLORS = {"existing": "#1f77b4", "candidate": "#ff7f0e"}
KEY_CHARS = 46  # line length of the firm key beside the legend
LINK_FONT = 7.0
TOP_NODE = 45.0  # marker area of a labelled firm in an overview, points²


# --- the canvas ------------------------------------------------------------------------------


@dataclass
class _Canvas:
    """The axes, its renderer and the layout's board (the room taken, in display pixels)."""

    fig: Figure
    ax: object
    renderer: object
    board: Board

    def to_px(self, p: Point) -> Point:
        x, y = self.ax.transData.transform(p)
        return float(x), float(y)

    def to_data(self, p: Point) -> Point:
        x, y = self.ax.transData.inverted().transform(p)
        return float(x), float(y)

    def text_size(self, text: str, **kw) -> tuple[float, float]:
        probe = self.ax.text(0, 0, text, parse_math=False, **kw)
        ext = probe.get_window_extent(self.renderer)
        probe.remove()
        return ext.width, ext.height

    def put_text(self, at: Point, text: str, zorder: float, **style) -> None:
        """Text centred on a point in display pixels, never read as maths."""
        self.ax.text(
            *self.to_data(at),
            text,
            ha="center",
            va="center",
            parse_math=False,
            zorder=zorder,
            **style,
        )

    def put_boxed(self, box: Box, text: str, zorder: float, **style) -> None:
        """Text centred in a box (display pixels), and the box taken."""
        self.put_text(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), text, zorder, **style)
        self.board.hard.append(box)

    def line(self, a: Point, b: Point, color: str) -> None:
        """A thin leader line between two points in display pixels."""
        (sx, sy), (ex, ey) = self.to_data(a), self.to_data(b)
        self.ax.plot([sx, ex], [sy, ey], color=color, lw=0.6, zorder=5)


# --- entry points ----------------------------------------------------------------------------


def draw_network(solution: Solution, path_png: str | Path) -> Path:
    """Draw the design's exchange network to a PNG file and return its path."""
    path_png = Path(path_png)
    fig, _ = render(solution)
    path_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path_png, dpi=DPI, format="png")
    return path_png


@dataclass
class Drawn:
    """What a picture shows, for checks: layout kind, labels placed and left out, notes."""

    to_scale: bool
    positions: dict[str, Point]  # firm → display pixels
    link_labels: int
    omitted: int
    off_plots: list[str]
    notes: list[str]
    overview: bool = False  # a large park drawn as an overview (dots and lines)
    labelled: list[str] = field(default_factory=list)  # firms that carry a label


def render(solution: Solution) -> tuple[Figure, Drawn]:
    """The picture on its own Agg canvas, and what it shows."""
    park = solution.park
    site_km, geographic, km_per_deg_lon = site_coordinates(solution)
    admitted = solution.firms[solution.firms["admitted"].astype(bool)]
    firm_site = {
        str(f): str(s)
        for f, s in zip(admitted.index, admitted["site"])
        if isinstance(s, str) and s in site_km
    }
    firms = admitted.loc[[f for f in admitted.index if str(f) in firm_site]]
    firms = firms.assign(mark=_marks(solution, firms))

    kinds = park.sites["kind"].astype(str)
    plots = [str(s) for s in park.sites.index[kinds == "plot"] if str(s) in site_km]
    links = solution.built_links
    links = links[
        links["supplier"].astype(str).isin(firm_site)
        & links["receiver"].astype(str).isin(firm_site)
    ]
    units = park.resources["unit"].fillna("").astype(str)
    unit_of = links["from_resource"].astype(str).map(units).fillna("")
    unit_max = links.groupby(unit_of)["sent"].max()
    rel = (links["sent"] / unit_of.map(unit_max).replace(0, 1.0)).fillna(0.0).clip(lower=0.0)
    links = links.assign(rel=rel).sort_values(["rel", "sent"], ascending=False, kind="stable")
    n_links = int((~links["internal"].astype(bool)).sum()) if len(links) else 0
    overview = is_overview(len(firms), n_links)

    many = len(firms) > 12
    if overview:
        node_size = overview_node(len(firms))
        radius_px = math.sqrt(node_size) / 2 * DPI / 72
        gap_px = 1.5 * radius_px + 0.5  # dots may overlap a little
    else:
        node_size = 150.0 if many else 360.0  # marker area, points²
        radius_px = math.sqrt(node_size) / 2 * DPI / 72
        gap_px = 2 * radius_px + (26 if many else 34)  # centre-to-centre room between firms

    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes(AXES_BOX)
    view_px = (AXES_BOX[2] * FIGSIZE[0] * DPI, AXES_BOX[3] * FIGSIZE[1] * DPI)
    notes: list[str] = []
    if not firm_site:
        lay = Layout({}, {}, {}, True, ["no firm with a site to draw"])
    else:
        lay = arrange(firm_site, site_km, plots, gap_px, view_px, overview)
    ax.set_xlim(lay.frame[0], lay.frame[2])
    ax.set_ylim(lay.frame[1], lay.frame[3])
    renderer = fig.canvas.get_renderer()
    bbox = ax.get_window_extent(renderer)
    board = Board((bbox.x0 + 2, bbox.y0 + 2, bbox.x1 - 2, bbox.y1 - 2))
    canvas = _Canvas(fig, ax, renderer, board)
    pos_px = {f: canvas.to_px(p) for f, p in lay.firms.items()}
    # the legend lists the resources of arrows; a firm's own (internal) arcs are not drawn
    resources = sorted(set(links.loc[~links["internal"].astype(bool), "from_resource"].astype(str)))
    everything = [*resources, *sorted(set(links["from_resource"].astype(str)) - set(resources))]
    rcmap = matplotlib.colormaps["Dark2" if len(resources) <= 8 else "tab20"]
    rcolors = {r: rcmap(i % rcmap.N) for i, r in enumerate(everything)}
    labels = firm_labels(firms)
    palette = _firm_colors(firms)

    _draw_plots(canvas, lay, firm_site, radius_px)
    if overview:
        shown = _draw_overview(
            canvas, firms, palette, links, lay, pos_px, rcolors, units, labels, node_size
        )
        labelled, ranked, n_arcs, omitted = shown
        notes.extend(
            overview_notes(
                len(firms), len(labelled), ranked, n_arcs, omitted, lay.nudged, TOP_LINKS
            )
        )
        notes.extend(lay.notes)
    else:
        moved = _draw_leaders(canvas, lay, pos_px, radius_px)
        graph = nx.MultiDiGraph()
        graph.add_nodes_from(lay.firms)
        for i, rec in links.iterrows():
            graph.add_edge(str(rec["supplier"]), str(rec["receiver"]), key=i)
        arcs = _draw_links(canvas, graph, links, pos_px, rcolors, radius_px)
        _draw_firms(canvas, firms, palette, lay, pos_px, node_size, radius_px)
        _label_firms(canvas, graph, labels, pos_px, radius_px, many)
        omitted = _label_links(canvas, links, arcs, units, rcolors, stand_off=not many)
        _label_plots(canvas, lay, radius_px)
        labelled, n_arcs = list(pos_px), len(arcs)
        notes.extend(lay.notes)
        if links.empty:
            notes.append("no exchange link built")
        if omitted:
            notes.append(
                f"{omitted} of {len(arcs)} link labels left out for lack of room (the largest "
                "flows are labelled first): see the Links sheet"
            )
        if moved:
            notes.append("crowded firms drawn apart; dotted lines lead to their true site")

    if lay.to_scale:
        ax.set_xlabel("longitude [°]" if geographic else "x [km]", fontsize=9)
        ax.set_ylabel("latitude [°]" if geographic else "y [km]", fontsize=9)
        ax.grid(True, color="#eeeeee", linewidth=0.6, zorder=0)
        ax.tick_params(labelsize=8)
        if geographic:  # ticks at round degrees, placed on the km plane
            _degree_ticks(ax.xaxis, lay.frame[0], lay.frame[2], km_per_deg_lon)
            _degree_ticks(ax.yaxis, lay.frame[1], lay.frame[3], KM_PER_DEG_LAT)
        else:  # plain km, never an exponent or an offset ("1e6", "+5e3")
            ax.ticklabel_format(style="plain", useOffset=False)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("#bbbbbb")
    ax.set_title(
        f"Exchange network: {len(firms)} firms, {n_links} link{'s' if n_links != 1 else ''}"
        + (" (overview)" if overview else ""),
        fontsize=12,
        fontweight="bold",
    )

    off = off_plots(lay, plots, firm_site, site_km)
    if off:
        _mark_off_plots(canvas, off)
        notes.append(off_plots_note(off))
    _footnote(fig, notes, lay.to_scale, width=165 if overview else 150)
    width = "line width" if overview else "arrow width"
    legend_bottom = _legend(
        fig, ax, firms, palette, bool(lay.plots), resources, rcolors, units, width
    )
    with_label = set(labelled)
    key_firms = firms.loc[[f for f in firms.index if str(f) in with_label]]
    _firm_key(fig, key_firms, labels, legend_bottom)
    shown = (n_arcs - omitted, omitted, [o[0] for o in off], notes, overview, labelled)
    return fig, Drawn(lay.to_scale, pos_px, *shown)


def _degree_ticks(axis, low_km: float, high_km: float, km_per_deg: float) -> None:
    values = [
        float(t) for t in MaxNLocator(7).tick_values(low_km / km_per_deg, high_km / km_per_deg)
    ]
    kept = [
        (t, text)
        for t, text in zip(values, tick_texts(values))
        if low_km <= t * km_per_deg <= high_km
    ]
    axis.set_ticks([t * km_per_deg for t, _ in kept], [text for _, text in kept])


# --- firms, plots and links ------------------------------------------------------------------


def _draw_plots(canvas: _Canvas, lay: Layout, firm_site, radius_px: float) -> None:
    if not lay.plots:
        return
    side = 2.3 * radius_px * 72 / DPI
    canvas.ax.scatter(
        [p[0] for p in lay.plots.values()],
        [p[1] for p in lay.plots.values()],
        marker="s",
        s=side**2,
        c="#e8e8e8",
        edgecolors="#bbbbbb",
        linewidths=0.8,
        zorder=1,
    )
    occupied = set(firm_site.values())
    for p, xy in lay.plots.items():
        if p not in occupied:  # a free plot is an obstacle for labels
            canvas.board.take_square(canvas.to_px(xy), side / 2 * DPI / 72)


def _draw_leaders(canvas: _Canvas, lay: Layout, pos_px, radius_px: float) -> bool:
    """Dotted lines from firms moved off their true site (to-scale layouts only)."""
    moved = False
    if not lay.to_scale:
        return moved
    for f, p in lay.firms.items():
        t = canvas.to_px(lay.true[f])
        if math.dist(t, pos_px[f]) > 0.6 * radius_px:
            moved = True
            (x0, y0), (x1, y1) = lay.true[f], p
            canvas.ax.plot([x0, x1], [y0, y1], color="#999999", lw=0.7, ls=":", zorder=2)
            canvas.ax.plot([x0], [y0], marker="o", ms=2.5, color="#777777", zorder=2)
    return moved


def _arrow(
    canvas: _Canvas,
    p: Point,
    q: Point,
    rad: float,
    width: float,
    color,
    *,
    head: float,
    alpha: float,
    shrink: tuple[float, float],
    zorder: float,
) -> None:
    """A curved link arrow from p to q (display pixels); its head grows with its width."""
    canvas.ax.add_patch(
        FancyArrowPatch(
            canvas.to_data(p),
            canvas.to_data(q),
            connectionstyle=f"arc3,rad={rad}",
            arrowstyle="-|>",
            mutation_scale=head + 2 * width,
            linewidth=width,
            color=color,
            alpha=alpha,
            shrinkA=shrink[0],
            shrinkB=shrink[1],
            zorder=zorder,
        )
    )


def _draw_links(canvas: _Canvas, graph, links, pos_px, rcolors, radius_px: float) -> dict:
    """Curved arrows; returns {link: (p, q, rad)} in display pixels, for the labels."""
    arcs = {}
    samples = []
    owners = []
    shrink = radius_px * 72 / DPI + 1.5
    for a, b, key in graph.edges(keys=True):
        rec = links.loc[key]
        p, q = pos_px[a], pos_px[b]
        if math.dist(p, q) < 1.0:  # an internal arc (a firm reusing its own stream): no arrow
            continue
        k = list(graph[a][b]).index(key)  # parallel links a→b fan out
        rad = 0.12 + 0.13 * k
        width = 0.8 + 3.2 * math.sqrt(float(rec["rel"]))
        color = rcolors[str(rec["from_resource"])]
        _arrow(
            canvas, p, q, rad, width, color, head=8, alpha=0.85, shrink=(shrink, shrink), zorder=3
        )
        arcs[key] = (p, q, rad)
        n = max(int(math.dist(p, q) / 3), 8)
        samples.append(arc_points(p, q, rad, np.linspace(0.0, 1.0, n)))
        owners.append(np.full(n, len(arcs) - 1))
    if samples:
        canvas.board.edges = np.vstack(samples)
        canvas.board.edge_of = np.concatenate(owners)
    canvas.board.arc_index = {key: i for i, key in enumerate(arcs)}
    return arcs


@dataclass
class Palette:
    """Firm colours: by sector, or by status when no firm has a sector."""

    fill: list  # the colour of each firm, in the firms' order
    keys: list[str]  # legend entries
    colors: dict  # legend entry → colour


def _firm_colors(firms: pd.DataFrame) -> Palette:
    sectors = firms["sector"].fillna("").astype(str)
    if not (sectors != "").any():
        keys = [s for s in STATUS_COLORS if s in set(firms["status"])]
        return Palette([STATUS_COLORS[s] for s in firms["status"]], keys, STATUS_COLORS)
    keys = sorted(set(sectors))
    cmap = matplotlib.colormaps["tab20" if len(keys) > 10 else "tab10"]
    colors = {k: (cmap(i % cmap.N) if k else "#7f7f7f") for i, k in enumerate(keys)}
    return Palette([colors[k] for k in sectors], keys, colors)


MARKS = {"existing": "o", "candidate": "D", "process": "h"}  # matplotlib markers
MARK_AREA = {"o": 1.0, "D": 0.8, "h": 1.2}  # relative to a circle's area
MARK_LEGEND = {"D": "candidate admitted", "h": "runs a process (hub or conversion unit)"}


def _marks(solution: Solution, firms) -> list[str]:
    """A firm's marker: a hexagon if it runs a built process, else its status's."""
    procs = solution.processes
    running = set(procs["firm"][procs["built"].astype(bool)]) if not procs.empty else set()
    return [
        MARKS["process"] if f in running else MARKS.get(status, "o")
        for f, status in zip(firms.index, firms["status"])
    ]


def _scatter_firms(ax, firms, xy: np.ndarray, fill: list, size: float, chosen=True, **style):
    """Markers of the chosen firms: circles for existing ones, diamonds (80 % of the area) for
    admitted candidates, hexagons for firms running a process (hubs included)."""
    for marker in MARKS.values():
        sel = (firms["mark"] == marker).to_numpy() & chosen
        if sel.any():
            ax.scatter(
                xy[sel, 0],
                xy[sel, 1],
                s=size * MARK_AREA[marker],
                marker=marker,
                c=[fill[i] for i in np.flatnonzero(sel)],
                **style,
            )


def _draw_firms(
    canvas: _Canvas, firms, palette: Palette, lay: Layout, pos_px, node_size, radius_px
):
    xy = np.array([lay.firms[str(f)] for f in firms.index]).reshape(-1, 2)
    _scatter_firms(
        canvas.ax, firms, xy, palette.fill, node_size, edgecolors="black", linewidths=0.8, zorder=4
    )
    for at in pos_px.values():
        canvas.board.take_square(at, radius_px)


# --- labels ----------------------------------------------------------------------------------


def _label_firms(canvas: _Canvas, graph, labels, pos_px, radius_px: float, many: bool) -> None:
    """Each firm's label (``firm_label_box``), the best connected firms first."""
    style = {"fontsize": 7.0 if many else 8.0, "fontweight": "bold"}
    order = sorted(pos_px, key=lambda f: (-graph.degree(f), f))
    for f in order:
        size = canvas.text_size(labels[f], **style)
        box, far = firm_label_box(canvas.board, pos_px[f], size, radius_px + 2.0)
        _put_firm_label(
            canvas, pos_px[f], box, far, labels[f], radius_px, style, leader="#666666", alpha=0.8
        )


def _label_top_firms(canvas: _Canvas, order, labels, pos_px, radius_px: float, crowd) -> list[str]:
    """Labels of the given firms (most important first) at the spot round the marker that is
    free of other labels and lies over the fewest dots and lines; returns the firms labelled."""
    style = {"fontsize": 7.5, "fontweight": "bold"}
    placed = []
    for f in order:
        w, h = canvas.text_size(labels[f], **style)
        spot = firm_label_box(canvas.board, pos_px[f], (w + 3, h + 2), radius_px, crowd)
        if spot is None:
            continue
        _put_firm_label(
            canvas, pos_px[f], *spot, labels[f], radius_px, style, leader="#444444", alpha=0.85
        )
        placed.append(f)
    return placed


def _put_firm_label(
    canvas: _Canvas,
    at: Point,
    box: Box,
    far: float,
    text: str,
    radius_px: float,
    style: dict,
    leader: str,
    alpha: float,
) -> None:
    """A firm label in ``box`` (display pixels), with a leader line from the marker's edge
    when the box stands more than 6 px off the marker; the box is taken."""
    x, y = at
    x0, y0, x1, y1 = box
    if far > 6:  # a leader from the marker's edge to the label's nearest point
        lx, ly = min(max(x, x0), x1), min(max(y, y0), y1)
        dist = math.hypot(lx - x, ly - y) or 1.0
        canvas.line(
            (x + (lx - x) * radius_px / dist, y + (ly - y) * radius_px / dist), (lx, ly), leader
        )
    bbox = {"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": alpha}
    canvas.put_boxed(box, text, 6, bbox=bbox, **style)


def _label_links(
    canvas: _Canvas, links, arcs, units, rcolors, crowd=None, stand_off: bool = False
) -> int:
    """Labels along the arrows (``link_label_box``), largest flows first; returns how many
    found no room."""
    omitted = 0
    for key, rec in links.iterrows():
        if key not in arcs:
            continue
        resource = str(rec["from_resource"])
        name = resource
        if rec["to_resource"] != rec["from_resource"]:
            name = f"{resource}→{rec['to_resource']}"
        label = f"{name} {quantity_label(float(rec['sent']))} {units.get(resource, '')}".strip()
        w, h = canvas.text_size(label, fontsize=LINK_FONT)
        index = canvas.board.arc_index[key]
        spot = link_label_box(canvas.board, arcs[key], (w + 5, h + 4), index, crowd, stand_off)
        if spot is None:
            omitted += 1
            continue
        (x0, y0, x1, y1), anchor = spot
        if anchor is not None:  # the label stands off its arrow: a leader joins them
            canvas.line(
                anchor, (min(max(anchor[0], x0), x1), min(max(anchor[1], y0), y1)), "#555555"
            )
        bbox = {
            "boxstyle": "round,pad=0.2",
            "fc": "white",
            "ec": rcolors[resource],
            "lw": 0.6,
            "alpha": 0.92,
        }
        canvas.put_boxed(spot[0], label, 5, fontsize=LINK_FONT, bbox=bbox)
    return omitted


def _label_plots(canvas: _Canvas, lay: Layout, radius_px: float) -> None:
    """Plot ids in small grey type beside their square, where no arrow or label is."""
    for p, xy in lay.plots.items():
        size = canvas.text_size(p, fontsize=6.5)
        box = plot_label_box(canvas.board, canvas.to_px(xy), size, radius_px)
        if box is None:
            continue
        bbox = {"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.7}
        canvas.put_boxed(box, p, 5, fontsize=6.5, color="#777777", bbox=bbox)


# --- the overview ----------------------------------------------------------------------------


def _draw_overview(
    canvas: _Canvas, firms, palette, links, lay: Layout, pos_px, rcolors, units, labels, node_size
):
    """A large park: every firm a small dot, every link a thin straight line (colour =
    resource, width and opacity grow with the relative quantity), the largest links drawn
    again as labelled arrows, and the firms with the largest flows labelled.

    Returns (labelled firms, firms meant to be labelled, links drawn, link labels left out).
    """
    crowd = Crowd(canvas.board.view)
    ext = links[~links["internal"].astype(bool)]
    sup, rec = ext["supplier"].astype(str).tolist(), ext["receiver"].astype(str).tolist()
    p_px = np.array([pos_px[f] for f in sup]).reshape(-1, 2)
    q_px = np.array([pos_px[f] for f in rec]).reshape(-1, 2)
    drawn = np.hypot(*(q_px - p_px).T) >= 1.0 if len(ext) else np.zeros(0, dtype=bool)
    ext, p_px, q_px = ext[drawn], p_px[drawn], q_px[drawn]
    sup = [f for f, d in zip(sup, drawn) if d]
    rec = [f for f, d in zip(rec, drawn) if d]
    n_top = min(TOP_LINKS, len(ext))
    crowd.add(segment_samples(p_px, q_px), 1.0)

    # the thin lines, smallest first so that large flows lie on top
    rest = np.arange(n_top, len(ext))[::-1]
    if len(rest):
        strength = np.sqrt(ext["rel"].to_numpy(dtype=float)[rest])
        rgba = np.array([to_rgba(rcolors[str(r)]) for r in ext["from_resource"]])
        rgba = rgba[rest]
        rgba[:, 3] = 0.18 + 0.6 * strength
        segments = np.stack(
            [
                np.array([lay.firms[sup[i]] for i in rest]),
                np.array([lay.firms[rec[i]] for i in rest]),
            ],
            axis=1,
        )
        canvas.ax.add_collection(
            LineCollection(segments, colors=rgba, linewidths=0.3 + 1.6 * strength, zorder=2)
        )

    # dots: all firms small, the labelled ones larger with a black edge
    labelled = [f for f in top_firms(ext, TOP_FIRMS) if f in pos_px]
    xy = np.array([lay.firms[str(f)] for f in firms.index]).reshape(-1, 2)
    with_label = set(labelled)
    is_top = np.array([str(f) in with_label for f in firms.index], dtype=bool)
    for top, size, edge in ((False, node_size, 0.2), (True, TOP_NODE, 0.9)):
        _scatter_firms(
            canvas.ax,
            firms,
            xy,
            palette.fill,
            size,
            is_top == top,
            edgecolors="black" if top else "#333333",
            linewidths=edge,
            zorder=5 if top else 4,
        )
    crowd.add(np.array(list(pos_px.values())), 3.0)
    top_r = math.sqrt(TOP_NODE) / 2 * DPI / 72  # a labelled dot's radius, px
    for f in labelled:
        canvas.board.take_square(pos_px[f], top_r)

    # the largest links again as arrows, on top
    arcs = {}
    pairs: dict[tuple[str, str], int] = {}
    for i in range(n_top):
        key = ext.index[i]
        a, b = sup[i], rec[i]
        k = pairs.get((a, b), 0)
        pairs[(a, b)] = k + 1
        rad = 0.12 + 0.13 * k
        strength = math.sqrt(float(ext["rel"].iloc[i]))
        width = 0.8 + 2.2 * strength
        p, q = tuple(p_px[i]), tuple(q_px[i])
        _arrow(
            canvas,
            p,
            q,
            rad,
            width,
            rcolors[str(ext["from_resource"].iloc[i])],
            head=6,
            alpha=0.95,
            shrink=(
                math.sqrt(TOP_NODE if a in with_label else node_size) / 2 + 0.5,
                math.sqrt(TOP_NODE if b in with_label else node_size) / 2 + 0.5,
            ),
            zorder=4.5,
        )  # over the small dots, under the labelled ones
        arcs[key] = (p, q, rad)
    canvas.board.arc_index = {key: i for i, key in enumerate(arcs)}

    placed = _label_top_firms(canvas, labelled, labels, pos_px, top_r + 1.0, crowd)
    omitted = _label_links(canvas, ext.iloc[:n_top], arcs, units, rcolors, crowd=crowd)
    return placed, len(labelled), len(ext), omitted + len(ext) - n_top


# --- around the axes: plots off the picture, footnote, legend, firm key -----------------------


def _mark_off_plots(canvas: _Canvas, off: list[tuple[str, float, float]]) -> None:
    """A grey arrow at the border pointing at each free plot off the picture, with its name
    and distance, where there is room (the footnote lists them all)."""
    for p, dx, dy in sorted(off, key=lambda o: math.hypot(o[1], o[2])):
        text = f"{p} {km_text(math.hypot(dx, dy))} km"
        mark = off_plot_mark(canvas.board.view, dx, dy, canvas.text_size(text, fontsize=6.5))
        if mark is None or not (
            canvas.board.free(mark.arrow_box) and canvas.board.free(mark.text_box)
        ):
            continue
        canvas.ax.add_patch(
            FancyArrowPatch(
                canvas.to_data(mark.tail),
                canvas.to_data(mark.tip),
                arrowstyle="-|>",
                mutation_scale=10,
                linewidth=1.2,
                color="#999999",
                zorder=2,
            )
        )
        canvas.put_text(mark.text_at, text, 2, fontsize=6.5, color="#777777")
        canvas.board.hard.extend([mark.arrow_box, mark.text_box])


def _footnote(fig: Figure, notes: list[str], to_scale: bool, width: int = 150) -> None:
    """Notes under the axes: three lines below the x label, six where there is none."""
    if not notes:
        return
    lines = [line for note in notes for line in textwrap.wrap(note, width)]
    top, room = (0.05, 3) if to_scale else (0.095, 6)
    fig.text(
        0.07,
        top,
        "\n".join(lines[:room]),
        fontsize=7.5,
        color="#555555",
        va="top",
        parse_math=False,
    )


def _legend_mark(marker: str, color, size: float, label: str, edge: str = "black") -> Line2D:
    return Line2D(
        [],
        [],
        marker=marker,
        ls="",
        color=color,
        markeredgecolor=edge,
        markersize=size,
        label=label,
    )


def _legend(
    fig, ax, firms, palette: Palette, plots: bool, resources, rcolors, units, width: str
) -> float:
    """The legend right of the axes; returns its bottom edge in figure fractions."""
    handles = [
        _legend_mark("o", palette.colors[k], 7, cut(k, 30) if k else "(no sector)")
        for k in palette.keys
    ]
    for marker, label in MARK_LEGEND.items():
        if (firms["mark"] == marker).any():
            handles.append(_legend_mark(marker, "white", 6 if marker == "D" else 7, label))
    if plots:
        handles.append(_legend_mark("s", "#e8e8e8", 8, "plot", edge="#bbbbbb"))
    for r in resources:
        unit = unit_text(units.get(r, ""))
        handles.append(
            Line2D([], [], color=rcolors[r], lw=2.5, label=f"{cut(r, 24)} {unit}".strip())
        )
    if not handles:
        return AXES_BOX[1] + AXES_BOX[3]
    many = len(handles) > 20
    legend = ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        fontsize=7 if many else 8,
        frameon=False,
        title=f"{width} ∝ quantity sent",
        title_fontsize=8,
        labelspacing=0.35 if many else 0.5,
    )
    for text in legend.get_texts():
        text.set_parse_math(False)
    box = legend.get_window_extent(fig.canvas.get_renderer())
    return box.y0 / (FIGSIZE[1] * DPI)


def _firm_key(fig: Figure, firms, labels, top: float) -> None:
    """Below the legend: the full name of each firm labelled by its id or a cut name."""
    rows = []
    for f, name in zip(firms.index, firms["name"]):
        label = labels[str(f)]
        if not isinstance(name, str) or not name.strip():
            continue
        bare = re.sub(r"\s*\([^)]*\)", "", name).strip()
        if label in (name.strip(), bare):
            continue
        rows.extend(textwrap.wrap(f"{label}: {name.strip()}", KEY_CHARS, subsequent_indent="   "))
    if not rows:
        return
    room = int((top - 0.04) * FIGSIZE[1] * DPI / 10.5)  # lines of 10.5 px that fit below
    if room < 2:
        return
    if len(rows) > room:
        rows = rows[: room - 1] + ["… more in the Firms sheet"]
    x = AXES_BOX[0] + AXES_BOX[2] + 0.02
    fig.text(x, top - 0.01, "firm labels", fontsize=7.5, fontweight="bold", va="top")
    fig.text(
        x, top - 0.035, "\n".join(rows), fontsize=6.8, va="top", linespacing=1.25, parse_math=False
    )
