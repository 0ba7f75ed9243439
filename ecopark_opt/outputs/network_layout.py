"""Where the network picture puts things: firms, plots and labels (no drawing here).

**Firms.** The view is framed on the admitted firms (built links join them), with a margin.
Firms normally sit at their site's coordinates (x_km / y_km, or lon / lat for geographic
sites), to scale, and crowded firms are pushed apart just enough for their markers not to
touch (a dotted leader line ties a moved firm to its true site). When the distances are very
uneven — a dense cluster plus a few far partners, as a harbour with farms 20 km and a cement
works 80 km away — a to-scale map would cram the cluster into a dot, so the picture switches
to a *schematic* layout: a stress layout of the sites on compressed distances (logarithmic
beyond the typical neighbour distance), seeded by and rotated back onto the true coordinates,
so that neighbours stay neighbours and north stays up; the footnote says so and gives the true
range of distances. Firms that all share one site are drawn on a circle.

**Large parks.** Beyond ``OVERVIEW_FIRMS`` drawn firms or ``OVERVIEW_LINKS`` links the picture
is an *overview* of small dots, nudged apart only where they would overlap (a k-d tree
declutter; a dense cluster with far partners is spread by rank instead, schematic), and only
the ``TOP_FIRMS`` firms with the largest flows and the ``TOP_LINKS`` largest links carry a
label.

**Labels.** Placement works in display pixels on a :class:`Board`: the boxes nothing may
overlap (markers, labels placed so far), points sampled along the arrows, and in an overview a
:class:`Crowd` grid counting the ink under a box in constant time. A firm's label takes the
free spot round its marker that crosses the fewest arrows; a link's label a free spot along
its arrow (a label too wide for its arrow may stand off it, tied by a leader line).

Everything is deterministic: the same solution gives the same positions.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from scipy.stats import rankdata

from .network_text import km_text

if TYPE_CHECKING:
    from ..core.solution import Solution

UNEVEN = 0.15  # median nearest-neighbour distance / (span / √sites) below which: schematic
KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON = 111.32  # at the equator; times cos(latitude)
LABEL_SPOTS = (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78)  # where along an arrow its label may sit
# Beyond these many drawn firms or links the picture is an *overview* (see the module
# docstring): on generated parks, 80 firms / 209 links still read, while at 120 firms / 312
# links the firm labels overlap and not one link label finds room.
OVERVIEW_FIRMS = 90
OVERVIEW_LINKS = 250
TOP_FIRMS = 25  # firm labels in an overview: the firms with the largest flows
TOP_LINKS = 10  # link labels (and arrowheads) in an overview: the largest links
OVERVIEW_NODE = 12.0  # marker area of a firm in an overview of up to 500 firms, points²
OVERVIEW_MARGIN = 28.0  # px of room round the firms in an overview, for the labels

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in display pixels
Frame = tuple[float, float, float, float]  # x0, y0, x1, y1 in layout units


# --- geometry --------------------------------------------------------------------------------


def arc_points(p: Point, q: Point, rad: float, ts: Sequence[float] | np.ndarray) -> np.ndarray:
    """Points at parameters ``ts`` on matplotlib's ``arc3`` Bézier from p to q (display px)."""
    (x1, y1), (x2, y2) = p, q
    cx = (x1 + x2) / 2 + rad * (y2 - y1)
    cy = (y1 + y2) / 2 - rad * (x2 - x1)
    t = np.asarray(ts, dtype=float)[:, None]
    a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t**2
    return a * np.array([x1, y1]) + b * np.array([cx, cy]) + c * np.array([x2, y2])


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


# --- pushing points apart --------------------------------------------------------------------


def _ties(n: int) -> np.ndarray:
    """Unit vectors round a circle: the directions that split points lying on each other."""
    angle = 2 * math.pi * np.arange(n) / n
    return np.stack([np.cos(angle), np.sin(angle)], axis=1)


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
    tie = _ties(n)
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
    tie = _ties(n)
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


# --- schematic layouts -----------------------------------------------------------------------


def _distances(xy: np.ndarray) -> np.ndarray:
    diff = xy[:, None, :] - xy[None, :, :]
    return np.hypot(diff[..., 0], diff[..., 1])


def compressed(dist: np.ndarray) -> np.ndarray:
    """Schematic target distances: ``log(1 + d / d0)`` with d0 the lower quartile of the
    nearest-neighbour distance, so that neighbours keep their true proportions and far
    partners come closer."""
    masked = np.where(dist > 0, dist, np.inf)
    np.fill_diagonal(masked, np.inf)
    nearest = masked.min(axis=1)
    d0 = float(np.percentile(nearest[np.isfinite(nearest)], 25))
    return np.log1p(dist / d0)


def stress_layout(xy: np.ndarray) -> np.ndarray:
    """Positions whose distances approach the ``compressed`` true distances.

    networkx's Kamada–Kawai layout minimises Σ (dᵢⱼ / tᵢⱼ − 1)², the stress with weights
    target⁻²; it is started from the true coordinates (scaled to the targets) and rotated back
    onto them (never a mirror image), so the layout keeps the map's orientation;
    deterministic. It replaced a hand-written SMACOF loop of the same stress: on the 13
    schematic pictures of 29 generated parks both reach the same stress (±0.0001) and label
    as many links (505 against 504); on Kalundborg it finds a lower-stress layout whose
    crowded corner (power station, refinery, plasterboard plant) reads more clearly, with one
    small flow's label fewer. It takes 1.3–2.8× the CPU time (0.4 s at 90 sites).
    """
    n = len(xy)
    dist = _distances(xy)
    if n < 3 or not (dist > 0).any():
        return xy.copy()
    target = compressed(dist)
    off = ~np.eye(n, dtype=bool)
    target[off] = np.maximum(target[off], target[off & (target > 0)].min())
    centre = xy.mean(axis=0)
    seed = (xy - centre) * (target[off].mean() / dist[off].mean())
    on_another = (dist + np.eye(n) == 0).any(axis=1)  # sites at the same point: split them
    seed[on_another] += 1e-3 * target[off].min() * _ties(n)[on_another]
    laid = nx.kamada_kawai_layout(
        nx.empty_graph(n),
        dist={i: dict(enumerate(row)) for i, row in enumerate(target.tolist())},
        pos={i: tuple(p) for i, p in enumerate(seed)},
    )
    x = np.array([laid[i] for i in range(n)])
    # orthogonal Procrustes onto the true coordinates, without reflection
    y = xy - centre
    x = x - x.mean(axis=0)
    u, _, vt = np.linalg.svd(x.T @ y)
    fix = np.diag([1.0, float(np.sign(np.linalg.det(u @ vt))) or 1.0])
    return x @ (u @ fix @ vt) + centre


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


def is_uneven(points: np.ndarray) -> bool:
    """Whether a to-scale map would cram most sites together (a dense cluster, far partners).

    Compares the median nearest-neighbour distance with the spacing the same number of sites
    would have if spread evenly over the span (span / √n): below ``UNEVEN`` of it, a to-scale
    map is unreadable.
    """
    n = len(points)
    if n < 4:
        return False
    dist = _distances(points)
    np.fill_diagonal(dist, np.inf)
    span = float(np.ptp(points, axis=0).max())
    return bool(span > 0 and np.median(dist.min(axis=1)) < UNEVEN * span / math.sqrt(n))


# --- placing the firms -----------------------------------------------------------------------


@dataclass
class Layout:
    """Where everything goes, in layout units (km when ``to_scale``)."""

    firms: dict[str, Point]  # drawn position of each firm
    true: dict[str, Point]  # each firm's site, same units (leader lines when they differ)
    plots: dict[str, Point]  # free and occupied plots drawn in the view
    to_scale: bool
    notes: list[str] = field(default_factory=list)
    frame: Frame = (0.0, 0.0, 1.0, 1.0)  # x0, y0, x1, y1 to show
    nudged: float = 0.0  # overview: how far crowded firms were moved off their site, km


def is_overview(n_firms: int, n_links: int) -> bool:
    """Whether a park is drawn as an overview (see ``OVERVIEW_FIRMS`` / ``OVERVIEW_LINKS``)."""
    return n_firms > OVERVIEW_FIRMS or n_links > OVERVIEW_LINKS


def overview_node(n_firms: int) -> float:
    """Marker area of a firm's dot in an overview: ``OVERVIEW_NODE`` up to 500 firms, then
    shrinking as 1 / √firms (no smaller than 4 points²) so that clusters stay legible."""
    return max(OVERVIEW_NODE * min(1.0, math.sqrt(500 / max(n_firms, 1))), 4.0)


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


def _members(
    firm_site: dict[str, str], site_km: dict[str, Point]
) -> tuple[list[str], dict[str, list[str]]]:
    """The occupied sites (in the workbook's order) and the firms on each."""
    order = {s: i for i, s in enumerate(site_km)}
    sites = sorted(set(firm_site.values()), key=order.__getitem__)
    members: dict[str, list[str]] = {s: [] for s in sites}
    for f, s in firm_site.items():
        members[s].append(f)
    return sites, members


def _plots_within(
    plots: list[str], members: dict[str, list[str]], site_km: dict[str, Point], box: Frame
) -> list[str]:
    """The plots with a firm, and the free plots strictly inside the box (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    return [
        p for p in plots if p in members or (x0 < site_km[p][0] < x1 and y0 < site_km[p][1] < y1)
    ]


def _free_plots_near(
    plots: list[str],
    members: dict[str, list[str]],
    site_km: dict[str, Point],
    xy: np.ndarray,
    pad: float,
) -> list[str]:
    """The free plots within ``pad`` of the box round the points ``xy`` (borders included)."""
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    return [
        p
        for p in plots
        if p not in members
        and x0 - pad <= site_km[p][0] <= x1 + pad
        and y0 - pad <= site_km[p][1] <= y1 + pad
    ]


def arrange(
    firm_site: dict[str, str],
    site_km: dict[str, Point],
    plots: list[str],
    gap_px: float,
    view_px: tuple[float, float],
    overview: bool = False,
) -> Layout:
    """Place the firms (and the plots that fall in the view); see the module docstring.

    ``gap_px`` is the room wanted between two firms' centres and ``view_px`` the size of the
    axes, in display pixels. Firms all on one site are drawn on a circle, not to scale.
    """
    sites, members = _members(firm_site, site_km)
    if len(sites) == 1:
        pos = _spread((0.0, 0.0), members[sites[0]], 1.0)
        notes = [f"all firms on site {sites[0]}: arranged on a circle, not to scale"]
        frame = _frame(pos.values(), view_px, OVERVIEW_MARGIN if overview else gap_px)
        return Layout(pos, dict(pos), {}, False, notes, frame)
    place = _arrange_dots if overview else _arrange_markers
    return place(firm_site, sites, members, site_km, plots, gap_px, view_px)


def _arrange_markers(firm_site, sites, members, site_km, plots, gap_px, view_px) -> Layout:
    """A full picture: to scale unless the sites are very unevenly spread (``is_uneven``) or
    more than a third of the firms would have to be pushed off their site for the markers not
    to touch: then the map would not be a map anyway, and the schematic layout reads better.
    """
    true_km = {f: site_km[s] for f, s in firm_site.items()}
    gap = _gap_share(gap_px, view_px)
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
    inside = _plots_within(plots, members, site_km, (x0 + pad, y0 + pad, x1 - pad, y1 - pad))
    return Layout(pos, true_km, {p: site_km[p] for p in inside}, True, [], frame)


def _schematic(sites, members, site_km, plots, gap, gap_px, view_px) -> Layout:
    """Stress layout of the firms' sites and of the free plots among them."""
    xy = np.array([site_km[s] for s in sites])
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    free = _free_plots_near(plots, members, site_km, xy, 0.05 * max(x1 - x0, y1 - y0))
    points = sites + free
    laid = stress_layout(np.array([site_km[s] for s in points]))
    span = float(np.ptp(laid, axis=0).max()) or 1.0
    site_pos = {s: (float(x), float(y)) for s, (x, y) in zip(points, laid)}
    pos: dict[str, Point] = {}
    for s in sites:
        pos.update(_spread(site_pos[s], members[s], 0.03 * span))
    pos = declutter({**pos, **{p: site_pos[p] for p in free}}, gap, fixed=frozenset(free))
    pos = {f: p for f, p in pos.items() if f not in free}
    dist = _distances(xy)
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


def _frame(points, view_px: tuple[float, float], gap_px: float) -> Frame:
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


def _arrange_dots(firm_site, sites, members, site_km, plots, gap_px, view_px) -> Layout:
    """An overview: to scale, dots that would overlap nudged apart (no leader lines), firms
    sharing a site on a small circle round it.

    When the nudging would move most firms by more than two dot spacings (a dense cluster
    with far partners), the sites are first spread by ``rank_spread`` (schematic, north up).
    Every step is vectorised: k-d tree neighbour queries, no all-pairs loop.
    """
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
    if to_scale:
        frame = _frame(laid, view_px, OVERVIEW_MARGIN)
        inside = {p: site_km[p] for p in _plots_within(plots, members, site_km, frame)}
    else:
        free = _free_plots_near(plots, members, site_km, xy, 0.0)
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


# --- placing the labels ----------------------------------------------------------------------


@dataclass
class Board:
    """The picture's room in display pixels: what is taken (markers, labels) and where the
    arrows run, for the labels to find a free spot."""

    view: Box  # the axes, less a thin border
    hard: list[Box] = field(default_factory=list)  # nothing may overlap these
    edges: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # sampled arrow points
    edge_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    arc_index: dict = field(default_factory=dict)  # link → its index in edge_of
    _hard_arr: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)), repr=False)
    _hard_n: int = 0

    def _hard_boxes(self) -> np.ndarray:
        """``hard`` as an (n, 4) array, rebuilt only when boxes were added."""
        if self._hard_n != len(self.hard):
            self._hard_arr = np.array(self.hard, dtype=float).reshape(-1, 4)
            self._hard_n = len(self.hard)
        return self._hard_arr

    def free(self, box: Box) -> bool:
        """Whether the box lies inside the view and over no taken box."""
        v = self.view
        inside = v[0] <= box[0] and box[2] <= v[2] and v[1] <= box[1] and box[3] <= v[3]
        if not inside:
            return False
        h = self._hard_boxes()
        over = (box[0] < h[:, 2]) & (h[:, 0] < box[2]) & (box[1] < h[:, 3]) & (h[:, 1] < box[3])
        return not bool(over.any())

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

    def take_square(self, at: Point, r: float) -> None:
        """Mark the square of half-side r round a point as taken."""
        x, y = at
        self.hard.append((x - r, y - r, x + r, y + r))


class Crowd:
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


def label_spots(
    x: float, y: float, w: float, h: float, r: float
) -> Iterator[tuple[float, float, float]]:
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


def firm_label_box(
    board: Board, at: Point, size: Point, radius: float, crowd: Crowd | None = None
) -> tuple[Box, float] | None:
    """The box of a firm's label round its marker (radius r) and its distance beyond the
    marker, the eight touching spots first (``label_spots``).

    A full picture: the free spot that crosses the fewest arrows; when no spot is free, the
    one covering least of the other marks (a firm always carries its label). An overview
    (with a ``crowd``): the free spot over the least ink, or None.
    """
    (x, y), (w, h) = at, size
    best, best_cost, best_far = None, math.inf, 0.0
    for i, (x0, y0, far) in enumerate(label_spots(x, y, w, h, radius)):
        box = (x0, y0, x0 + w, y0 + h)
        free = board.free(box)
        if crowd is not None:
            if not free:
                continue
            cost = 0.4 * i + 0.3 * far + 0.1 * crowd(box)
        else:
            cost = 3.0 * board.crossings(box) + 0.8 * i + 0.3 * far
            if not free:
                cost += 1e4 + board.covered(box)
        if cost < best_cost:
            best, best_cost, best_far = box, cost, far
    return None if best is None else (best, best_far)


def link_label_box(
    board: Board,
    arc: tuple[Point, Point, float],
    size: Point,
    skip: int,
    crowd: Crowd | None = None,
    stand_off: bool = False,
) -> tuple[Box, Point | None] | None:
    """A free box for a link's label, or None; with the box, the arrow's point a leader line
    starts from when the label stands off its arrow (else None).

    Spots lie along the arrow ``arc`` = (p, q, rad) at ``LABEL_SPOTS``, on the line and a
    little to either side; the cheapest crosses the fewest other arrows, near the middle.
    *Stand-off* spots lie further off the line and round the middle of the arrow, as a firm's
    label: an overview (with a ``crowd``, where spots over much ink cost more) weighs them
    with the others; a full picture tries them, with ``stand_off``, only for a label that
    finds no room next to its arrow (an arrow shorter than its label, between close firms).
    """
    p, q, rad = arc
    w, h = size
    mid = arc_points(p, q, rad, LABEL_SPOTS)
    tangent = arc_points(p, q, rad, [min(t + 0.01, 1.0) for t in LABEL_SPOTS]) - mid
    spots = []  # (box, the arrow's point it belongs to, i, j, extra cost, stands off)
    for i, (cx, cy) in enumerate(mid):
        tx, ty = tangent[i]
        norm = math.hypot(tx, ty) or 1.0
        nx_, ny_ = -ty / norm, tx / norm
        for j, heights in enumerate((0.0, 0.6, -0.6, 1.3, -1.3, 2.2, -2.2, 3.2, -3.2)):
            x, y = cx + nx_ * (h * heights), cy + ny_ * (h * heights)
            box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            spots.append((box, (float(cx), float(cy)), i, j, 0.0, j >= 5))
    cx, cy = float(mid[0][0]), float(mid[0][1])
    for k, (x0, y0, far) in enumerate(label_spots(cx, cy, w, h, 4.0)):
        spots.append(((x0, y0, x0 + w, y0 + h), (cx, cy), len(mid), k, 0.3 * far, True))
    if crowd is not None:
        rounds = [spots]
    else:
        rounds = [[s for s in spots if not s[5]]] + ([[s for s in spots if s[5]]] * stand_off)
    for candidates in rounds:
        best, best_cost, anchor, off = None, math.inf, (0.0, 0.0), False
        for box, point, i, j, extra, stands_off in candidates:
            if not board.free(box):
                continue
            cost = 2.0 * board.crossings(box, skip) + 0.5 * i + 0.8 * j
            if crowd is not None:
                cost += extra + 0.1 * crowd(box)
            elif stands_off:
                cost += extra
            if cost < best_cost:
                best, best_cost, anchor, off = box, cost, point, stands_off
        if best is not None:
            x0, y0, x1, y1 = best
            inside = x0 <= anchor[0] <= x1 and y0 <= anchor[1] <= y1
            leader = (crowd is not None or off) and not inside
            return best, anchor if leader else None
    return None


def plot_label_box(board: Board, at: Point, size: Point, radius: float) -> Box | None:
    """A plot id's box beside its square (radius: half its side), free and over the fewest
    arrows, or None."""
    (x, y), (w, h) = at, size
    r = 1.2 * radius
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
        cost = 3.0 * board.crossings(box) + i
        if board.free(box) and cost < best_cost:
            best, best_cost = box, cost
    return best


@dataclass
class OffMark:
    """An arrow at the view's border pointing at a plot off the picture, and its text."""

    tail: Point
    tip: Point
    text_at: Point  # the text's centre
    arrow_box: Box
    text_box: Box


def off_plot_mark(view: Box, dx: float, dy: float, size: Point) -> OffMark | None:
    """Where the border arrow towards (dx, dy) from the view's centre and its w × h text go:
    the tip on the border, the text just inside the tail, away from the border."""
    norm = math.hypot(dx, dy)
    if norm == 0:
        return None
    v = view
    cx, cy = (v[0] + v[2]) / 2, (v[1] + v[3]) / 2
    half_w, half_h = (v[2] - v[0]) / 2 - 4, (v[3] - v[1]) / 2 - 4
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
    w, h = size
    tx, ty = tail[0] - ux * (w / 2 + 3), tail[1] - uy * (h / 2 + 3)
    text_box = (tx - w / 2, ty - h / 2, tx + w / 2, ty + h / 2)
    return OffMark(tail, tip, (tx, ty), arrow_box, text_box)
