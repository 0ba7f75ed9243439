"""A picture of the exchange network: firms on their sites, built links as arrows.

**Layout.** The view is framed on the admitted firms (built links join them), with a margin.
Firms normally sit at their site's coordinates (x_km / y_km, or lon / lat for geographic
sites), to scale, and crowded firms are pushed apart just enough for their markers not to
touch (a dotted leader line ties a moved firm to its true site). When the distances are very
uneven — a dense cluster plus a few far partners, as a harbour with farms 20 km and a cement
works 80 km away — a to-scale map would cram the cluster into a dot, so the picture switches
to a *schematic* layout: a stress layout of the sites on compressed distances (logarithmic
beyond the typical neighbour distance), seeded by and rotated back onto the true coordinates,
so that neighbours stay neighbours and north stays up; the footnote says so and gives the true
range of distances. Firms that all share one site are drawn on a circle.

**Marks.** Colour = sector (status when no firm has a sector), marker = existing (circle) or
admitted candidate (diamond); candidates left out are not drawn. Free plots inside the view
are faint grey squares; free plots outside it are listed in the footnote with their distance
and bearing from the park's centre. Arrows are curved so that opposite or parallel links do
not overlap; their width grows with the quantity sent (relative to the largest flow in the
same unit), their colour is the resource.

**Labels.** Firms carry a short label (their name without a parenthesis when that fits in
18 characters, else their firm_id; a key beside the legend maps ids to full names), placed at
the free spot around the marker that crosses the fewest arrows. Links carry ``resource
quantity unit`` at a free spot along the arrow, the largest flows (relative to their unit's
largest) first; labels that find no free spot are left out and counted in the footnote (the
Links sheet lists them all).

**Large parks.** Beyond ``OVERVIEW_FIRMS`` drawn firms or ``OVERVIEW_LINKS`` links a
picture cannot show every label, so it becomes an *overview*: firms are small dots coloured by
sector (nudged apart only where they would overlap, by a k-d tree declutter; a dense cluster
with far partners is spread by rank instead, schematic), links are thin straight lines
(colour = resource, width and opacity grow with the relative quantity), and only the
``TOP_FIRMS`` firms with the largest flows in + out (each flow relative to the largest in its
unit) and the ``TOP_LINKS`` largest links carry a label — those links are drawn as arrows on
top. Labels avoid each other exactly and avoid ink (dots, lines) through a grid of counts read
in constant time. The footnote says what was left out.

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
from scipy.spatial import cKDTree
from scipy.stats import rankdata

from ..core.solution import Solution

FIGSIZE = (10.0, 7.0)
DPI = 120
AXES_BOX = (0.07, 0.115, 0.655, 0.815)  # left, bottom, width, height (figure fractions)
STATUS_COLORS = {"existing": "#1f77b4", "candidate": "#ff7f0e"}
LABEL_CHARS = 18  # longest firm label
KEY_CHARS = 46  # line length of the firm key beside the legend
LINK_FONT = 7.0
LABEL_SPOTS = (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78)  # where along an arrow its label may sit
UNEVEN = 0.15  # median nearest-neighbour distance / (span / √sites) below which: schematic
KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON = 111.32  # at the equator; times cos(latitude)
# Beyond these many drawn firms or links the picture is an *overview* (see the module
# docstring): on generated parks, 80 firms / 209 links still read, while at 120 firms / 312
# links the firm labels overlap and not one link label finds room.
OVERVIEW_FIRMS = 90
OVERVIEW_LINKS = 250
TOP_FIRMS = 25  # firm labels in an overview: the firms with the largest flows
TOP_LINKS = 10  # link labels (and arrowheads) in an overview: the largest links
OVERVIEW_NODE = 12.0  # marker area of a firm in an overview of up to 500 firms, points²
TOP_NODE = 45.0  # marker area of a labelled firm in an overview, points²
OVERVIEW_MARGIN = 28.0  # px of room round the firms in an overview, for the labels

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in display pixels


# --- small helpers ---------------------------------------------------------------------------


def quantity_label(q: float) -> str:
    """Short quantity text: 80 → ``80``, 1234 → ``1.2e3``, 120000 → ``1.2e5``."""
    if q == 0:
        return "0"
    if abs(q) < 1000:
        return f"{q:.3g}"
    mantissa, exponent = f"{q:.1e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def short_label(firm_id: str, name: object) -> str:
    """A firm's label of at most ``LABEL_CHARS`` characters.

    The name without parenthesised parts when it fits (``Greenhouse (waste heat and CO2)`` →
    ``Greenhouse``), else the firm_id (``Combined heat and power plant`` → ``CHP``), cut with
    an ellipsis if even the id is too long.
    """
    text = name.strip() if isinstance(name, str) else ""
    text = re.sub(r"\s*\([^)]*\)", "", text).strip()
    if text and len(text) <= LABEL_CHARS:
        return text
    fid = str(firm_id)
    return fid if len(fid) <= LABEL_CHARS else fid[: LABEL_CHARS - 1] + "…"


def firm_labels(firms: pd.DataFrame) -> dict[str, str]:
    """Short labels, unique: firms whose short names clash are labelled by their firm_id."""
    labels = {str(f): short_label(str(f), name) for f, name in zip(firms.index, firms["name"])}
    counts = pd.Series(list(labels.values())).value_counts()
    for f, text in labels.items():
        if counts[text] > 1:
            labels[f] = f if len(f) <= LABEL_CHARS else f[: LABEL_CHARS - 1] + "…"
    return labels


def compass(dx: float, dy: float) -> str:
    """Eight-point bearing of the vector (dx east, dy north): (1, 0) → ``E``, (-1, 1) → ``NW``."""
    names = ("E", "NE", "N", "NW", "W", "SW", "S", "SE")
    return names[round(math.degrees(math.atan2(dy, dx)) / 45.0) % 8]


def unit_text(unit: str) -> str:
    """Legend unit: quantities are yearly unless the unit already is a rate (``t/h``)."""
    if not unit:
        return ""
    return f"[{unit}]" if "/" in unit else f"[{unit}/yr]"


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def arc_points(p: Point, q: Point, rad: float, ts) -> np.ndarray:
    """Points at parameters ``ts`` on matplotlib's ``arc3`` Bézier from p to q (display px)."""
    (x1, y1), (x2, y2) = p, q
    cx = (x1 + x2) / 2 + rad * (y2 - y1)
    cy = (y1 + y2) / 2 - rad * (x2 - x1)
    t = np.asarray(ts, dtype=float)[:, None]
    a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t**2
    return a * np.array([x1, y1]) + b * np.array([cx, cy]) + c * np.array([x2, y2])


# --- layout ----------------------------------------------------------------------------------


def site_coordinates(solution: Solution) -> tuple[dict[str, Point], bool, float]:
    """(x, y) in km per site, whether the sites are geographic, and km per degree of longitude.

    Geographic sites (lon / lat) are projected on the plane tangent at their mean latitude,
    so that every distance below is in km.
    """
    sites = solution.park.sites
    geographic = bool(sites["x_km"].isna().all() and sites["lon"].notna().any())
    if not geographic:
        cols, kx, ky = ("x_km", "y_km"), 1.0, 1.0
    else:
        cols = ("lon", "lat")
        mean_lat = float(pd.to_numeric(sites["lat"], errors="coerce").mean())
        kx, ky = KM_PER_DEG_LON * max(math.cos(math.radians(mean_lat)), 0.1), KM_PER_DEG_LAT
    pos = {
        str(s): (float(x) * kx, float(y) * ky)
        for s, x, y in zip(sites.index, sites[cols[0]], sites[cols[1]])
        if pd.notna(x) and pd.notna(y)
    }
    return pos, geographic, kx


def declutter(
    pos: dict[str, Point], min_gap: float, iterations: int = 400, fixed: frozenset = frozenset()
) -> dict[str, Point]:
    """Push apart points closer than ``min_gap`` (a share of the drawing's span).

    Geography is kept as far as possible: each point is pulled gently back to its true spot
    while overlapping pairs are pushed apart, so a dense cluster opens up and isolated points
    stay put; the last iterations only push. Points in ``fixed`` do not move.
    """
    names = list(pos)
    n = len(names)
    if n < 2:
        return dict(pos)
    xy = np.array([pos[k] for k in names], dtype=float)
    low = xy.min(axis=0)
    span = float(max(np.ptp(xy, axis=0).max(), 1e-9))
    z = (xy - low) / span
    home = z.copy()
    free = np.array([k not in fixed for k in names], dtype=float)[:, None]
    angle = 2 * math.pi * np.arange(n) / n
    tie = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    tie_d = tie[:, None, :] - tie[None, :, :]
    eye = np.eye(n, dtype=bool)
    for it in range(iterations):
        d = z[:, None, :] - z[None, :, :]
        dist = np.hypot(d[..., 0], d[..., 1])
        close = (dist < min_gap) & ~eye
        if not close.any():
            break
        d = np.where((dist < 1e-9)[..., None], tie_d, d)
        norm = np.hypot(d[..., 0], d[..., 1])
        norm[norm == 0] = 1.0
        push = np.where(close, (min_gap - dist) / 2, 0.0)
        z += free * 0.5 * (d / norm[..., None] * push[..., None]).sum(axis=1)
        if it < iterations - 50:
            z += free * 0.01 * (home - z)
    xy = z * span + low
    return {k: (float(x), float(y)) for k, (x, y) in zip(names, xy)}


def compressed(dist: np.ndarray) -> np.ndarray:
    """Schematic target distances: ``log(1 + d / d0)`` with d0 the lower quartile of the nearest-neighbour
    distance, so that neighbours keep their true proportions and far partners come closer."""
    masked = np.where(dist > 0, dist, np.inf)
    np.fill_diagonal(masked, np.inf)
    nearest = masked.min(axis=1)
    d0 = float(np.percentile(nearest[np.isfinite(nearest)], 25))
    return np.log1p(dist / d0)


def stress_layout(xy: np.ndarray, iterations: int = 300) -> np.ndarray:
    """Positions whose distances approach the ``compressed`` true distances (SMACOF, weights
    target⁻²).

    Started from the true coordinates and rotated back onto them (rotation and scale only,
    never a mirror image), so the layout keeps the map's orientation; deterministic.
    """
    n = len(xy)
    diff = xy[:, None, :] - xy[None, :, :]
    dist = np.hypot(diff[..., 0], diff[..., 1])
    if n < 3 or not (dist > 0).any():
        return xy.copy()
    target = compressed(dist)
    off = ~np.eye(n, dtype=bool)
    target[off] = np.maximum(target[off], target[off & (target > 0)].min())
    weight = np.zeros_like(target)
    weight[off] = target[off] ** -2.0
    v = -weight
    np.fill_diagonal(v, weight.sum(axis=1))
    v_inv = np.linalg.pinv(v)
    centre = xy.mean(axis=0)
    x = (xy - centre) * (target[off].mean() / dist[off].mean())
    for _ in range(iterations):
        d = np.hypot(*(x[:, None, :] - x[None, :, :]).transpose(2, 0, 1))
        d[d < 1e-12] = 1e-12
        b = -weight * target / d
        np.fill_diagonal(b, 0.0)
        np.fill_diagonal(b, -b.sum(axis=1))
        new = v_inv @ b @ x
        moved = float(np.abs(new - x).max())
        x = new
        if moved < 1e-7 * float(np.abs(x).max()):
            break
    # orthogonal Procrustes onto the true coordinates, without reflection
    y = xy - centre
    x = x - x.mean(axis=0)
    u, _, vt = np.linalg.svd(x.T @ y)
    fix = np.diag([1.0, float(np.sign(np.linalg.det(u @ vt))) or 1.0])
    return x @ (u @ fix @ vt) + centre


@dataclass
class Layout:
    """Where everything goes, in layout units (km when ``to_scale``)."""

    firms: dict[str, Point]  # drawn position of each firm
    true: dict[str, Point]  # each firm's site, same units (leader lines when they differ)
    plots: dict[str, Point]  # free and occupied plots drawn in the view
    to_scale: bool
    notes: list[str] = field(default_factory=list)
    frame: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)  # x0, y0, x1, y1 to show
    nudged: float = 0.0  # overview: how far crowded firms were moved off their site, km


def _spread(centre: Point, members: list[str], radius: float) -> dict[str, Point]:
    """Firms sharing a site on a circle round it, the first at the top, clockwise."""
    if len(members) == 1:
        return {members[0]: centre}
    return {
        f: (
            centre[0] + radius * math.sin(2 * math.pi * i / len(members)),
            centre[1] + radius * math.cos(2 * math.pi * i / len(members)),
        )
        for i, f in enumerate(members)
    }


def is_uneven(points: np.ndarray) -> bool:
    """Whether a to-scale map would cram most sites together (a dense cluster, far partners).

    Compares the median nearest-neighbour distance with the spacing the same number of sites
    would have if spread evenly over the span (span / √n): below ``UNEVEN`` of it, a to-scale
    map is unreadable.
    """
    n = len(points)
    if n < 4:
        return False
    diff = points[:, None, :] - points[None, :, :]
    dist = np.hypot(diff[..., 0], diff[..., 1])
    np.fill_diagonal(dist, np.inf)
    span = float(np.ptp(points, axis=0).max())
    return bool(span > 0 and np.median(dist.min(axis=1)) < UNEVEN * span / math.sqrt(n))


def arrange(
    firm_site: dict[str, str],
    site_km: dict[str, Point],
    plots: list[str],
    gap_px: float,
    view_px: tuple[float, float],
) -> Layout:
    """Place the firms (and the plots that fall in the view); see the module docstring.

    To scale unless the sites are very unevenly spread (``is_uneven``) or more than a third
    of the firms would have to be pushed off their site for the markers not to touch: then
    the map would not be a map anyway, and the schematic layout reads better.
    """
    sites = sorted(set(firm_site.values()), key=list(site_km).index)
    members = {s: [f for f, fs in firm_site.items() if fs == s] for s in sites}
    true_km = {f: site_km[s] for f, s in firm_site.items()}
    gap = _gap_share(gap_px, view_px)
    if len(sites) == 1:  # one site: a circle, not to scale
        site = sites[0]
        pos = _spread((0.0, 0.0), members[site], 1.0)
        notes = [f"all firms on site {site}: arranged on a circle, not to scale"]
        return Layout(pos, dict(pos), {}, False, notes, _frame(pos.values(), view_px, gap_px))

    xy = np.array([site_km[s] for s in sites])
    span = float(np.ptp(xy, axis=0).max())
    pos: dict[str, Point] = {}
    for s in sites:
        pos.update(_spread(site_km[s], members[s], 0.015 * span))
    pos = declutter(pos, gap)
    moved = sum(math.dist(pos[f], true_km[f]) > 0.35 * gap * span for f in pos)
    if len(sites) >= 4 and (is_uneven(xy) or moved > len(pos) / 3):
        return _schematic(sites, members, site_km, plots, gap, gap_px, view_px)

    frame = _frame(pos.values(), view_px, gap_px)
    x0, y0, x1, y1 = frame
    pad = 0.02 * max(x1 - x0, y1 - y0)
    inside = {
        p: site_km[p]
        for p in plots
        if p in members
        or (x0 + pad < site_km[p][0] < x1 - pad and y0 + pad < site_km[p][1] < y1 - pad)
    }
    return Layout(pos, true_km, inside, True, [], frame)


def _schematic(sites, members, site_km, plots, gap, gap_px, view_px) -> Layout:
    """Stress layout of the firms' sites and of the free plots among them."""
    xy = np.array([site_km[s] for s in sites])
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    pad = 0.05 * max(x1 - x0, y1 - y0)
    free = [
        p
        for p in plots
        if p not in members
        and x0 - pad <= site_km[p][0] <= x1 + pad
        and y0 - pad <= site_km[p][1] <= y1 + pad
    ]
    points = sites + free
    laid = stress_layout(np.array([site_km[s] for s in points]))
    span = float(np.ptp(laid, axis=0).max()) or 1.0
    site_pos = {s: (float(x), float(y)) for s, (x, y) in zip(points, laid)}
    pos: dict[str, Point] = {}
    for s in sites:
        pos.update(_spread(site_pos[s], members[s], 0.03 * span))
    pos = declutter({**pos, **{p: site_pos[p] for p in free}}, gap, fixed=frozenset(free))
    pos = {f: p for f, p in pos.items() if f not in free}
    diff = xy[:, None, :] - xy[None, :, :]
    dist = np.hypot(diff[..., 0], diff[..., 1])
    near, far = float(dist[dist > 0].min()), float(dist.max())
    notes = [
        "schematic layout, not to scale: distances are compressed so that close firms can "
        f"be told apart (firms {km_text(near)} to {km_text(far)} km apart); north is up"
    ]
    drawn_plots = {p: site_pos[p] for p in plots if p in site_pos}
    frame = _frame(list(pos.values()) + list(drawn_plots.values()), view_px, gap_px)
    return Layout(pos, dict(pos), drawn_plots, False, notes, frame)


def _gap_share(gap_px: float, view_px: tuple[float, float]) -> float:
    """A gap in pixels as a share of the drawing's span (the span takes the view's short side,
    less the label margins)."""
    return gap_px / max(min(view_px) - 1.4 * gap_px, 1.0)


def _frame(
    points, view_px: tuple[float, float], gap_px: float
) -> tuple[float, float, float, float]:
    """Data limits that show all points with a margin for labels, at equal x / y scale."""
    xy = np.array(list(points), dtype=float).reshape(-1, 2)
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    w_px, h_px = view_px
    mx, my = 0.9 * gap_px, 0.7 * gap_px  # room for the labels beside / above the markers
    dx, dy = x1 - x0, y1 - y0
    if dx <= 0 and dy <= 0:
        dx = dy = 1.0
    scale = min(
        (w_px - 2 * mx) / dx if dx > 0 else math.inf, (h_px - 2 * my) / dy if dy > 0 else math.inf
    )
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = w_px / scale / 2, h_px / scale / 2
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def declutter_sparse(
    xy: np.ndarray, min_gap: float, fixed: np.ndarray | None = None, iterations: int = 150
) -> np.ndarray:
    """``declutter`` for many points: pushes apart the pairs closer than ``min_gap`` (same
    units as ``xy``), found by a k-d tree so that each step costs n log n, and pulls every
    point gently back to its true spot, bar the last iterations; ``fixed`` points stay."""
    n = len(xy)
    z = np.array(xy, dtype=float)
    if n < 2 or min_gap <= 0:
        return z
    home = z.copy()
    free = np.ones((n, 1)) if fixed is None else (~np.asarray(fixed, dtype=bool))[:, None] * 1.0
    angle = 2 * math.pi * np.arange(n) / n
    tie = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    for it in range(iterations):
        pairs = cKDTree(z).query_pairs(min_gap, output_type="ndarray")
        if not len(pairs):
            break
        i, j = pairs[:, 0], pairs[:, 1]
        d = z[i] - z[j]
        dist = np.hypot(d[:, 0], d[:, 1])
        d = np.where((dist < 1e-9 * min_gap)[:, None], tie[i] - tie[j], d)
        norm = np.hypot(d[:, 0], d[:, 1])
        norm[norm == 0] = 1.0
        step = d / norm[:, None] * (0.25 * (min_gap - dist))[:, None]
        delta = np.stack(
            [
                np.bincount(i, step[:, k], minlength=n) - np.bincount(j, step[:, k], minlength=n)
                for k in (0, 1)
            ],
            axis=1,
        )
        z += free * delta
        if it < iterations - 30:
            z += free * 0.02 * (home - z)
    return z


def rank_spread(xy: np.ndarray) -> np.ndarray:
    """Each coordinate halfway between its true value and its rank (spread evenly over the
    same range): dense clusters open up, far points come closer, and the order west–east and
    south–north is kept."""
    out = np.array(xy, dtype=float)
    n = len(out)
    if n < 2:
        return out
    for k in (0, 1):
        low, width = out[:, k].min(), np.ptp(out[:, k])
        ranks = (rankdata(out[:, k]) - 1) / (n - 1)
        out[:, k] = 0.5 * out[:, k] + 0.5 * (low + ranks * width)
    return out


def arrange_overview(
    firm_site: dict[str, str],
    site_km: dict[str, Point],
    plots: list[str],
    gap_px: float,
    view_px: tuple[float, float],
) -> Layout:
    """Place many firms as dots: to scale, dots that would overlap nudged apart (no leader
    lines), firms sharing a site on a small circle round it.

    When the nudging would move most firms by more than two dot spacings (a dense cluster
    with far partners), the sites are first spread by ``rank_spread`` (schematic, north up).
    Every step is vectorised: k-d tree neighbour queries, no all-pairs loop.
    """
    order = {s: i for i, s in enumerate(site_km)}
    sites = sorted(set(firm_site.values()), key=order.__getitem__)
    members: dict[str, list[str]] = {s: [] for s in sites}
    for f, s in firm_site.items():
        members[s].append(f)
    if len(sites) == 1:  # one site: a circle, not to scale
        pos = _spread((0.0, 0.0), members[sites[0]], 1.0)
        notes = [f"all firms on site {sites[0]}: arranged on a circle, not to scale"]
        frame = _frame(pos.values(), view_px, OVERVIEW_MARGIN)
        return Layout(pos, dict(pos), {}, False, notes, frame)
    xy = np.array([site_km[s] for s in sites])
    span = float(np.ptp(xy, axis=0).max()) or 1.0
    gap = gap_px / max(min(view_px) - 2 * OVERVIEW_MARGIN, 1.0) * span  # km
    notes: list[str] = []

    def place(site_xy: np.ndarray) -> tuple[list[str], np.ndarray]:
        names, points = [], []
        for s, c in zip(sites, site_xy):
            spread = _spread((float(c[0]), float(c[1])), members[s], 0.6 * gap)
            names.extend(spread)
            points.extend(spread.values())
        return names, np.array(points)

    names, start = place(xy)
    laid = declutter_sparse(start, gap)
    shift = np.hypot(*(laid - start).T)
    to_scale = bool(np.median(shift) <= 2 * gap)
    inside: dict[str, Point] = {}
    if to_scale:
        frame = _frame(laid, view_px, OVERVIEW_MARGIN)
        x0, y0, x1, y1 = frame
        inside = {
            p: site_km[p]
            for p in plots
            if p in members or (x0 < site_km[p][0] < x1 and y0 < site_km[p][1] < y1)
        }
    else:
        (bx0, by0), (bx1, by1) = xy.min(axis=0), xy.max(axis=0)
        free = [
            p
            for p in plots
            if p not in members and bx0 <= site_km[p][0] <= bx1 and by0 <= site_km[p][1] <= by1
        ]
        spread = rank_spread(np.array([site_km[s] for s in sites + free]))
        names, start = place(spread[: len(sites)])
        laid = declutter_sparse(start, gap)
        plot_xy = {s: (float(x), float(y)) for s, (x, y) in zip(sites + free, spread)}
        inside = {p: plot_xy[p] for p in plots if p in plot_xy}
        frame = _frame(np.vstack([laid, spread[len(sites) :]]), view_px, OVERVIEW_MARGIN)
        notes.append(
            "schematic layout, not to scale: each site moved halfway to its rank west–east "
            f"and south–north so that dense clusters open up (sites spread over {km_text(span)}"
            " km); north is up"
        )
    pos = {f: (float(x), float(y)) for f, (x, y) in zip(names, laid)}
    true = {f: site_km[firm_site[f]] for f in names} if to_scale else dict(pos)
    nudged = float(shift.max()) if to_scale and shift.max() > 0.5 * gap else 0.0
    return Layout(pos, true, inside, to_scale, notes, frame, nudged)


# --- drawing ---------------------------------------------------------------------------------


@dataclass
class _Canvas:
    """The axes, its renderer and the display boxes already taken (nodes, labels)."""

    fig: Figure
    ax: object
    renderer: object
    view: Box
    hard: list[Box] = field(default_factory=list)  # nothing may overlap these
    edges: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # sampled arrow points
    edge_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    arc_index: dict = field(default_factory=dict)  # link → its index in edge_of
    _hard_arr: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)), repr=False)
    _hard_n: int = 0

    def to_px(self, p: Point) -> Point:
        x, y = self.ax.transData.transform(p)
        return float(x), float(y)

    def to_data(self, p: Point) -> Point:
        x, y = self.ax.transData.inverted().transform(p)
        return float(x), float(y)

    def _hard_boxes(self) -> np.ndarray:
        """``hard`` as an (n, 4) array, rebuilt only when boxes were added."""
        if self._hard_n != len(self.hard):
            self._hard_arr = np.array(self.hard, dtype=float).reshape(-1, 4)
            self._hard_n = len(self.hard)
        return self._hard_arr

    def free(self, box: Box) -> bool:
        v = self.view
        inside = v[0] <= box[0] and box[2] <= v[2] and v[1] <= box[1] and box[3] <= v[3]
        if not inside:
            return False
        h = self._hard_boxes()
        return not bool(
            (
                (box[0] < h[:, 2]) & (h[:, 0] < box[2]) & (box[1] < h[:, 3]) & (h[:, 1] < box[3])
            ).any()
        )

    def covered(self, box: Box) -> float:
        """Area of the box over other marks or outside the axes (pixels²)."""
        v = self.view
        area = (box[2] - box[0]) * (box[3] - box[1])
        inner = max(0.0, min(box[2], v[2]) - max(box[0], v[0])) * max(
            0.0, min(box[3], v[3]) - max(box[1], v[1])
        )
        h = self._hard_boxes()
        if not len(h):
            return area - inner
        over = np.maximum(0.0, np.minimum(box[2], h[:, 2]) - np.maximum(box[0], h[:, 0])) * (
            np.maximum(0.0, np.minimum(box[3], h[:, 3]) - np.maximum(box[1], h[:, 1]))
        )
        # summed one after the other (cumsum), as a running total would: the same float
        return float(np.cumsum(np.concatenate(([area - inner], over)))[-1])

    def crossings(self, box: Box, skip: int = -1) -> float:
        """Arrows through the box (and a little for how much of them), bar arrow ``skip``."""
        if not len(self.edges):
            return 0.0
        x, y = self.edges[:, 0], self.edges[:, 1]
        hit = (x > box[0]) & (x < box[2]) & (y > box[1]) & (y < box[3]) & (self.edge_of != skip)
        owners = self.edge_of[hit]
        return len(np.unique(owners)) + 0.02 * len(owners)

    def text_size(self, text: str, **kw) -> tuple[float, float]:
        probe = self.ax.text(0, 0, text, parse_math=False, **kw)
        ext = probe.get_window_extent(self.renderer)
        probe.remove()
        return ext.width, ext.height


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


def is_overview(n_firms: int, n_links: int) -> bool:
    """Whether a park is drawn as an overview (see ``OVERVIEW_FIRMS`` / ``OVERVIEW_LINKS``)."""
    return n_firms > OVERVIEW_FIRMS or n_links > OVERVIEW_LINKS


def overview_node(n_firms: int) -> float:
    """Marker area of a firm's dot in an overview: ``OVERVIEW_NODE`` up to 500 firms, then
    shrinking as 1 / √firms (no smaller than 4 points²) so that clusters stay legible."""
    return max(OVERVIEW_NODE * min(1.0, math.sqrt(500 / max(n_firms, 1))), 4.0)


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
    elif overview:
        lay = arrange_overview(firm_site, site_km, plots, gap_px, view_px)
    else:
        lay = arrange(firm_site, site_km, plots, gap_px, view_px)
    ax.set_xlim(lay.frame[0], lay.frame[2])
    ax.set_ylim(lay.frame[1], lay.frame[3])
    renderer = fig.canvas.get_renderer()
    bbox = ax.get_window_extent(renderer)
    canvas = _Canvas(fig, ax, renderer, (bbox.x0 + 2, bbox.y0 + 2, bbox.x1 - 2, bbox.y1 - 2))
    pos_px = {f: canvas.to_px(p) for f, p in lay.firms.items()}
    resources = sorted(set(links["from_resource"].astype(str)))
    rcmap = matplotlib.colormaps["Dark2" if len(resources) <= 8 else "tab20"]
    rcolors = {r: rcmap(i % rcmap.N) for i, r in enumerate(resources)}
    labels = firm_labels(firms)

    if overview:
        _draw_plots(canvas, lay, firm_site, radius_px)
        shown = _draw_overview(canvas, firms, links, lay, pos_px, rcolors, units, labels, node_size)
        by_sector, keys, colors, labelled, ranked, n_arcs, omitted = shown
        notes.extend(
            _overview_notes(len(firms), len(labelled), ranked, n_arcs, omitted, lay.nudged)
        )
        notes.extend(lay.notes)
    else:
        _draw_plots(canvas, lay, firm_site, radius_px)
        moved = _draw_leaders(canvas, lay, pos_px, radius_px)
        graph = nx.MultiDiGraph()
        graph.add_nodes_from(lay.firms)
        for i, rec in links.iterrows():
            graph.add_edge(str(rec["supplier"]), str(rec["receiver"]), key=i)
        arcs = _draw_links(canvas, graph, links, pos_px, rcolors, radius_px)
        by_sector, keys, colors = _draw_firms(canvas, firms, lay, pos_px, node_size, radius_px)
        _label_firms(canvas, graph, labels, pos_px, radius_px, many)
        omitted = _label_links(canvas, links, arcs, units, rcolors)
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
        notes.append(_off_note(off))
    _footnote(fig, notes, lay.to_scale, width=165 if overview else 150)
    legend_bottom = _legend(
        fig,
        ax,
        firms,
        by_sector,
        keys,
        colors,
        bool(lay.plots),
        resources,
        rcolors,
        units,
        title="line width ∝ quantity sent" if overview else "arrow width ∝ quantity sent",
    )
    with_label = set(labelled)
    key_firms = firms.loc[[f for f in firms.index if str(f) in with_label]]
    _firm_key(fig, key_firms, labels, legend_bottom)
    drawn = Drawn(
        lay.to_scale,
        pos_px,
        n_arcs - omitted,
        omitted,
        [o[0] for o in off],
        notes,
        overview,
        labelled,
    )
    return fig, drawn


def _degree_ticks(axis, low_km: float, high_km: float, km_per_deg: float) -> None:
    ticks = MaxNLocator(7).tick_values(low_km / km_per_deg, high_km / km_per_deg)
    ticks = [t for t in ticks if low_km <= t * km_per_deg <= high_km]
    axis.set_ticks([t * km_per_deg for t in ticks], [f"{t:g}" for t in ticks])


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
            x, y = canvas.to_px(xy)
            r = side / 2 * DPI / 72
            canvas.hard.append((x - r, y - r, x + r, y + r))


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
        canvas.edges = np.vstack(samples)
        canvas.edge_of = np.concatenate(owners)
    canvas.arc_index = {key: i for i, key in enumerate(arcs)}
    return arcs


def _firm_colors(firms) -> tuple[pd.Series, bool, list[str], dict]:
    """Sector of each firm, whether colour is by sector (else by status), legend keys, colours."""
    sectors = firms["sector"].fillna("").astype(str)
    by_sector = bool((sectors != "").any())
    keys = (
        sorted(set(sectors))
        if by_sector
        else [s for s in STATUS_COLORS if s in set(firms["status"])]
    )
    cmap = matplotlib.colormaps["tab20" if len(keys) > 10 else "tab10"]
    colors = (
        {k: (cmap(i % cmap.N) if k else "#7f7f7f") for i, k in enumerate(keys)}
        if by_sector
        else STATUS_COLORS
    )
    return sectors, by_sector, keys, colors


def _draw_firms(canvas: _Canvas, firms, lay: Layout, pos_px, node_size: float, radius_px: float):
    sectors, by_sector, keys, colors = _firm_colors(firms)
    for status, marker in (("existing", "o"), ("candidate", "D")):
        part = firms[firms["status"] == status]
        if part.empty:
            continue
        key = sectors[part.index] if by_sector else part["status"]
        canvas.ax.scatter(
            [lay.firms[str(f)][0] for f in part.index],
            [lay.firms[str(f)][1] for f in part.index],
            s=node_size if marker == "o" else node_size * 0.8,
            marker=marker,
            c=[colors[k] for k in key],
            edgecolors="black",
            linewidths=0.8,
            zorder=4,
        )
    for x, y in pos_px.values():
        canvas.hard.append((x - radius_px, y - radius_px, x + radius_px, y + radius_px))
    return by_sector, keys, colors


def _label_firms(canvas: _Canvas, graph, labels, pos_px, radius_px: float, many: bool) -> None:
    """Each firm's label at the spot round its marker that is free and crosses fewest arrows.

    The eight spots touching the marker come first, then rings further out (a thin leader
    line then ties the label to its marker); when no spot at all is free, the one that
    covers least of the other marks is taken: a firm always carries its label.
    """
    size = 7.0 if many else 8.0
    style = {"fontsize": size, "fontweight": "bold"}
    order = sorted(pos_px, key=lambda f: (-graph.degree(f), f))
    for f in order:
        x, y = pos_px[f]
        w, h = canvas.text_size(labels[f], **style)
        best, best_cost, best_far = None, math.inf, 0.0
        for i, (x0, y0, far) in enumerate(_label_spots(x, y, w, h, radius_px + 2.0)):
            box = (x0, y0, x0 + w, y0 + h)
            cost = 3.0 * canvas.crossings(box) + 0.8 * i + 0.3 * far
            if not canvas.free(box):
                cost += 1e4 + canvas.covered(box)
            if cost < best_cost:
                best, best_cost, best_far = box, cost, far
        _put_firm_label(
            canvas, (x, y), best, best_far, labels[f], radius_px, style, leader="#666666", alpha=0.8
        )


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
        start = (x + (lx - x) * radius_px / dist, y + (ly - y) * radius_px / dist)
        (sx, sy), (ex, ey) = canvas.to_data(start), canvas.to_data((lx, ly))
        canvas.ax.plot([sx, ex], [sy, ey], color=leader, lw=0.6, zorder=5)
    canvas.ax.text(
        *canvas.to_data(((x0 + x1) / 2, (y0 + y1) / 2)),
        text,
        ha="center",
        va="center",
        parse_math=False,
        zorder=6,
        bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": alpha},
        **style,
    )
    canvas.hard.append(box)


def _label_spots(x: float, y: float, w: float, h: float, r: float):
    """Candidate (x0, y0, distance beyond the marker) of a w × h label round a marker of
    radius r at (x, y): above, below, right, left, the diagonals, then rings further out."""
    for extra in (0.0, 9.0, 20.0, 34.0):
        d = 0.72 * (r + extra)
        yield x - w / 2, y + r + extra, extra
        yield x - w / 2, y - r - extra - h, extra
        yield x + r + extra + 1, y - h / 2, extra
        yield x - r - extra - 1 - w, y - h / 2, extra
        yield x + d, y + d, extra
        yield x - d - w, y + d, extra
        yield x + d, y - d - h, extra
        yield x - d - w, y - d - h, extra


def _label_links(canvas: _Canvas, links, arcs, units, rcolors, crowd=None) -> int:
    """Labels along the arrows, largest flows first; returns how many found no room.

    With a ``crowd`` (overview), spots over many dots and lines cost more as well."""
    omitted = 0
    for key, rec in links.iterrows():
        if key not in arcs:
            continue
        p, q, rad = arcs[key]
        resource = str(rec["from_resource"])
        unit = units.get(resource, "")
        name = resource
        if rec["to_resource"] != rec["from_resource"]:
            name = f"{resource}→{rec['to_resource']}"
        label = f"{name} {quantity_label(float(rec['sent']))} {unit}".strip()
        w, h = canvas.text_size(label, fontsize=LINK_FONT)
        w, h = w + 5, h + 4  # the box's padding
        mid = arc_points(p, q, rad, LABEL_SPOTS)
        tangent = arc_points(p, q, rad, [min(t + 0.01, 1.0) for t in LABEL_SPOTS]) - mid
        spots = []  # (box, the arrow's point it belongs to, i, j, extra cost)
        for i, (cx, cy) in enumerate(mid):
            tx, ty = tangent[i]
            norm = math.hypot(tx, ty) or 1.0
            nx_, ny_ = -ty / norm, tx / norm
            shifts = (0.0, h * 0.6, -h * 0.6, h * 1.3, -h * 1.3)
            if crowd is not None:  # an overview: labels may stand further off their line
                shifts += (h * 2.2, -h * 2.2, h * 3.2, -h * 3.2)
            for j, shift in enumerate(shifts):
                x, y = cx + nx_ * shift, cy + ny_ * shift
                box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
                spots.append((box, (float(cx), float(cy)), i, j, 0.0))
        if crowd is not None:  # then round the middle of a (short) arrow, as a firm's label
            cx, cy = float(mid[0][0]), float(mid[0][1])
            for k, (x0, y0, far) in enumerate(_label_spots(cx, cy, w, h, 4.0)):
                spots.append(((x0, y0, x0 + w, y0 + h), (cx, cy), len(mid), k, 0.3 * far))
        best, best_cost, anchor = None, math.inf, (0.0, 0.0)
        for box, point, i, j, extra in spots:
            if not canvas.free(box):
                continue
            cost = 2.0 * canvas.crossings(box, canvas.arc_index[key]) + 0.5 * i + 0.8 * j
            if crowd is not None:
                cost += extra + 0.1 * crowd(box)
            if cost < best_cost:
                best, best_cost, anchor = box, cost, point
        if best is None:
            omitted += 1
            continue
        x0, y0, x1, y1 = best
        if crowd is not None and not (x0 <= anchor[0] <= x1 and y0 <= anchor[1] <= y1):
            # an overview's label may stand off its (short) arrow: a leader joins them
            near = (min(max(anchor[0], x0), x1), min(max(anchor[1], y0), y1))
            (sx, sy), (ex, ey) = canvas.to_data(anchor), canvas.to_data(near)
            canvas.ax.plot([sx, ex], [sy, ey], color="#555555", lw=0.6, zorder=5)
        canvas.ax.text(
            *canvas.to_data(((x0 + x1) / 2, (y0 + y1) / 2)),
            label,
            fontsize=LINK_FONT,
            ha="center",
            va="center",
            parse_math=False,
            zorder=5,
            bbox={
                "boxstyle": "round,pad=0.2",
                "fc": "white",
                "ec": rcolors[resource],
                "lw": 0.6,
                "alpha": 0.92,
            },
        )
        canvas.hard.append(best)
    return omitted


class _Crowd:
    """How much ink lies under a box (dots, line samples), counted on a grid of ``cell``-pixel
    cells and read from a summed-area table in constant time: the overview's overlap test."""

    def __init__(self, view: Box, cell: float = 4.0):
        self.x0, self.y0, self.cell = view[0], view[1], cell
        self.nx = max(int(math.ceil((view[2] - view[0]) / cell)), 1)
        self.ny = max(int(math.ceil((view[3] - view[1]) / cell)), 1)
        self.grid = np.zeros(self.nx * self.ny)
        self.table = np.zeros((self.nx + 1, self.ny + 1))

    def add(self, points: np.ndarray, weight: float) -> None:
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        ix = np.floor((points[:, 0] - self.x0) / self.cell).astype(int)
        iy = np.floor((points[:, 1] - self.y0) / self.cell).astype(int)
        ok = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        flat = ix[ok] * self.ny + iy[ok]
        self.grid += weight * np.bincount(flat, minlength=self.nx * self.ny)
        self.table[1:, 1:] = self.grid.reshape(self.nx, self.ny).cumsum(0).cumsum(1)

    def __call__(self, box: Box) -> float:
        def cells(low: float, high: float, origin: float, n: int) -> tuple[int, int]:
            a = min(max(int(math.floor((low - origin) / self.cell)), 0), n)
            b = min(max(int(math.ceil((high - origin) / self.cell)), 0), n)
            return a, b

        i0, i1 = cells(box[0], box[2], self.x0, self.nx)
        j0, j1 = cells(box[1], box[3], self.y0, self.ny)
        t = self.table
        return float(t[i1, j1] - t[i0, j1] - t[i1, j0] + t[i0, j0])


def segment_samples(p: np.ndarray, q: np.ndarray, step: float = 3.0) -> np.ndarray:
    """Points every ``step`` pixels (at least both ends) along the segments p[k] → q[k]."""
    p, q = np.asarray(p, dtype=float).reshape(-1, 2), np.asarray(q, dtype=float).reshape(-1, 2)
    if not len(p):
        return np.zeros((0, 2))
    count = np.maximum(np.ceil(np.hypot(*(q - p).T) / step).astype(int) + 1, 2)
    seg = np.repeat(np.arange(len(p)), count)
    first = np.cumsum(count) - count
    t = (np.arange(len(seg)) - first[seg]) / (count[seg] - 1)
    return p[seg] + t[:, None] * (q - p)[seg]


def top_firms(links: pd.DataFrame, k: int) -> list[str]:
    """The k firms with the largest flows in + out, each flow counted relative to the largest
    flow in its unit (``rel``) so that tonnes and MWh weigh alike; ties by firm id."""
    ext = links[~links["internal"].astype(bool)]
    if ext.empty:
        return []
    score = (
        pd.concat(
            [
                ext.groupby(ext["supplier"].astype(str))["rel"].sum(),
                ext.groupby(ext["receiver"].astype(str))["rel"].sum(),
            ]
        )
        .groupby(level=0)
        .sum()
    )
    score = score[score > 0]
    return sorted(score.index, key=lambda f: (-float(score[f]), f))[:k]


def _draw_overview(
    canvas: _Canvas, firms, links, lay: Layout, pos_px, rcolors, units, labels, node_size: float
):
    """A large park: every firm a small dot, every link a thin straight line (colour =
    resource, width and opacity grow with the relative quantity), the largest links drawn
    again as labelled arrows, and the firms with the largest flows labelled.

    Returns (by_sector, keys, colors, labelled firms, firms meant to be labelled, links drawn,
    link labels left out).
    """
    sectors, by_sector, keys, colors = _firm_colors(firms)
    crowd = _Crowd(canvas.view)
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
    color_key = sectors if by_sector else firms["status"]
    fill = [colors[k] for k in color_key]
    with_label = set(labelled)
    is_top = np.array([str(f) in with_label for f in firms.index], dtype=bool)
    for status, marker in (("existing", "o"), ("candidate", "D")):
        part = (firms["status"] == status).to_numpy()
        for top, size, edge in ((False, node_size, 0.2), (True, TOP_NODE, 0.9)):
            sel = part & (is_top == top)
            if not sel.any():
                continue
            canvas.ax.scatter(
                xy[sel, 0],
                xy[sel, 1],
                s=size if marker == "o" else 0.8 * size,
                marker=marker,
                c=[fill[i] for i in np.flatnonzero(sel)],
                edgecolors="black" if top else "#333333",
                linewidths=edge,
                zorder=5 if top else 4,
            )
    crowd.add(np.array(list(pos_px.values())), 3.0)
    top_r = math.sqrt(TOP_NODE) / 2 * DPI / 72  # a labelled dot's radius, px
    for f in labelled:
        x, y = pos_px[f]
        canvas.hard.append((x - top_r, y - top_r, x + top_r, y + top_r))

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
    canvas.arc_index = {key: i for i, key in enumerate(arcs)}

    placed = _label_top_firms(canvas, labelled, labels, pos_px, top_r + 1.0, crowd)
    omitted = _label_links(canvas, ext.iloc[:n_top], arcs, units, rcolors, crowd=crowd)
    return by_sector, keys, colors, placed, len(labelled), len(ext), omitted + len(ext) - n_top


def _label_top_firms(canvas: _Canvas, order, labels, pos_px, radius_px: float, crowd) -> list[str]:
    """Labels of the given firms (most important first) at the spot round the marker that is
    free of other labels and lies over the fewest dots and lines; returns the firms labelled."""
    style = {"fontsize": 7.5, "fontweight": "bold"}
    placed = []
    for f in order:
        x, y = pos_px[f]
        w, h = canvas.text_size(labels[f], **style)
        w, h = w + 3, h + 2  # the box's padding
        best, best_cost, best_far = None, math.inf, 0.0
        for i, (x0, y0, far) in enumerate(_label_spots(x, y, w, h, radius_px)):
            box = (x0, y0, x0 + w, y0 + h)
            if not canvas.free(box):
                continue
            cost = 0.4 * i + 0.3 * far + 0.1 * crowd(box)
            if cost < best_cost:
                best, best_cost, best_far = box, cost, far
        if best is None:
            continue
        _put_firm_label(
            canvas,
            (x, y),
            best,
            best_far,
            labels[f],
            radius_px,
            style,
            leader="#444444",
            alpha=0.85,
        )
        placed.append(f)
    return placed


def _overview_notes(
    n_firms: int, labelled: int, ranked: int, n_links: int, omitted: int, nudged: float
) -> list[str]:
    """What an overview shows and what it leaves out, for the footnote (two lines)."""
    nudge = f" (crowded ones nudged up to {km_text(nudged)} km apart)" if nudged else ""
    if not n_links:
        return [
            f"overview: dots are firms{nudge}; no exchange link built, so no firm is labelled "
            "(see the Firms sheet)"
        ]
    top = min(TOP_LINKS, n_links)
    shown = n_links - omitted
    links = f"the {top} largest links" if shown == top else f"{shown} of the {top} largest links"
    firms = f"the {ranked} firms" if labelled == ranked else f"{labelled} of the {ranked} firms"
    firms += " with the largest flows in + out"
    counts = ((n_firms - labelled, "firm", "Firms"), (omitted, "link", "Links"))
    left = [(f"{n} {what}", sheet) for n, what, sheet in counts if n]
    left_out = ""
    if left:
        sheets = " and ".join(sheet for _, sheet in left) + (
            " sheets" if len(left) > 1 else " sheet"
        )
        left_out = f"; left out: {' and '.join(t for t, _ in left)} labels (see the {sheets})"
    return [
        f"overview: dots are firms{nudge}, lines are links (width ∝ quantity sent, relative to "
        "the largest flow in its unit)",
        f"labelled: {firms}, {links} (arrows){left_out}",
    ]


def _label_plots(canvas: _Canvas, lay: Layout, radius_px: float) -> None:
    """Plot ids in small grey type beside their square, where no arrow or label is."""
    for p, xy in lay.plots.items():
        x, y = canvas.to_px(xy)
        w, h = canvas.text_size(p, fontsize=6.5)
        r = 1.2 * radius_px
        best, best_cost = None, math.inf
        for i, (x0, y0) in enumerate(
            (
                (x - w / 2, y - r - h - 1),
                (x + r + 2, y - h / 2),
                (x - r - 2 - w, y - h / 2),
                (x - w / 2, y + r + 1),
                (x + r, y - r - h),
                (x - r - w, y - r - h),
            )
        ):
            box = (x0, y0, x0 + w, y0 + h)
            cost = 3.0 * canvas.crossings(box) + i
            if canvas.free(box) and cost < best_cost:
                best, best_cost = box, cost
        if best is None:
            continue
        canvas.ax.text(
            *canvas.to_data(((best[0] + best[2]) / 2, (best[1] + best[3]) / 2)),
            p,
            fontsize=6.5,
            color="#777777",
            ha="center",
            va="center",
            parse_math=False,
            zorder=5,
            bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.7},
        )
        canvas.hard.append(best)


def off_plots(lay: Layout, plots, firm_site, site_km) -> list[tuple[str, float, float]]:
    """The free plots not drawn, as (plot, dx, dy): km east and north of the park's centre
    (the middle of the box round the firms' sites)."""
    occupied = set(firm_site.values())
    off = [p for p in plots if p not in lay.plots and p not in occupied]
    if not off or not firm_site:
        return []
    xy = np.array([site_km[s] for s in sorted(occupied)])
    cx, cy = (xy.min(axis=0) + xy.max(axis=0)) / 2
    return [(p, site_km[p][0] - cx, site_km[p][1] - cy) for p in off]


def km_text(d: float) -> str:
    """Distance text: 0.53 → ``0.53``, 7.04 → ``7``, 123.4 → ``123``."""
    return f"{d:.0f}" if d >= 6.5 else f"{d:.2g}"


def _off_note(off: list[tuple[str, float, float]]) -> str:
    items = [f"{p} ({km_text(math.hypot(dx, dy))} km {compass(dx, dy)})" for p, dx, dy in off]
    more = f" and {len(items) - 8} more" if len(items) > 8 else ""
    return (
        "free plots off the picture (distance and bearing from the park's centre): "
        + ", ".join(items[:8])
        + more
    )


def _mark_off_plots(canvas: _Canvas, off: list[tuple[str, float, float]]) -> None:
    """A grey arrow at the border pointing at each free plot off the picture, with its name
    and distance, where there is room (the footnote lists them all)."""
    v = canvas.view
    cx, cy = (v[0] + v[2]) / 2, (v[1] + v[3]) / 2
    half_w, half_h = (v[2] - v[0]) / 2 - 4, (v[3] - v[1]) / 2 - 4
    for p, dx, dy in sorted(off, key=lambda o: math.hypot(o[1], o[2])):
        norm = math.hypot(dx, dy)
        if norm == 0:
            continue
        ux, uy = dx / norm, dy / norm
        t = min(half_w / abs(ux) if ux else math.inf, half_h / abs(uy) if uy else math.inf)
        tip = (cx + ux * t, cy + uy * t)
        tail = (tip[0] - 16 * ux, tip[1] - 16 * uy)
        arrow_box = (
            min(tip[0], tail[0]) - 4,
            min(tip[1], tail[1]) - 4,
            max(tip[0], tail[0]) + 4,
            max(tip[1], tail[1]) + 4,
        )
        text = f"{p} {km_text(norm)} km"
        w, h = canvas.text_size(text, fontsize=6.5)
        # the text just inside the tail, on the side away from the border
        tx, ty = tail[0] - ux * (w / 2 + 3), tail[1] - uy * (h / 2 + 3)
        text_box = (tx - w / 2, ty - h / 2, tx + w / 2, ty + h / 2)
        if not (canvas.free(arrow_box) and canvas.free(text_box)):
            continue
        canvas.ax.add_patch(
            FancyArrowPatch(
                canvas.to_data(tail),
                canvas.to_data(tip),
                arrowstyle="-|>",
                mutation_scale=10,
                linewidth=1.2,
                color="#999999",
                zorder=2,
            )
        )
        canvas.ax.text(
            *canvas.to_data((tx, ty)),
            text,
            fontsize=6.5,
            color="#777777",
            ha="center",
            va="center",
            parse_math=False,
            zorder=2,
        )
        canvas.hard.extend([arrow_box, text_box])


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


def _legend(
    fig,
    ax,
    firms,
    by_sector,
    keys,
    colors,
    plots,
    resources,
    rcolors,
    units,
    title: str = "arrow width ∝ quantity sent",
) -> float:
    """The legend right of the axes; returns its bottom edge in figure fractions."""
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=colors[k],
            markeredgecolor="black",
            markersize=7,
            label=_cut(k, 30) if k else "(no sector)",
        )
        for k in keys
    ]
    if (firms["status"] == "candidate").any():
        handles.append(
            Line2D(
                [],
                [],
                marker="D",
                ls="",
                color="white",
                markeredgecolor="black",
                markersize=6,
                label="candidate admitted",
            )
        )
    if plots:
        handles.append(
            Line2D(
                [],
                [],
                marker="s",
                ls="",
                color="#e8e8e8",
                markeredgecolor="#bbbbbb",
                markersize=8,
                label="plot",
            )
        )
    for r in resources:
        unit = unit_text(units.get(r, ""))
        handles.append(
            Line2D([], [], color=rcolors[r], lw=2.5, label=f"{_cut(r, 24)} {unit}".strip())
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
        title=title,
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
