"""A picture of the exchange network: firms on their sites, built links as arrows.

Nodes sit at their site's coordinates (x_km / y_km, or lon / lat for geographic sites). Where
firms crowd (several on one site, or a dense cluster) they are pushed apart just enough to be
read, and a dotted leader line ties each moved firm to its true site. Colour = sector (status
when no firm has a sector), marker = existing (circle) or admitted candidate (diamond);
candidates left out are not drawn; plots are faint grey squares. Arrows are curved so that
opposite or parallel links do not overlap; their width grows with the quantity sent (relative
to the largest flow in the same unit), their colour is the resource, and each carries a label
such as ``steam 1.2e5 t`` unless it would cover another label (the Links sheet lists them all).

Drawing uses matplotlib's Agg canvas directly (no pyplot, no global backend switch) and
networkx for the link multigraph.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import Bbox

from .solution import Solution

FIGSIZE = (10.0, 7.0)
DPI = 120
STATUS_COLORS = {"existing": "#1f77b4", "candidate": "#ff7f0e"}
LABEL_SPOTS = (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78)  # where along an arrow its label may sit

Point = tuple[float, float]


def quantity_label(q: float) -> str:
    """Short quantity text: 80 → ``80``, 1234 → ``1.2e3``, 120000 → ``1.2e5``."""
    if q == 0:
        return "0"
    if abs(q) < 1000:
        return f"{q:.3g}"
    mantissa, exponent = f"{q:.1e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def site_positions(solution: Solution) -> tuple[dict[str, Point], bool]:
    """(x, y) per site, and whether the coordinates are geographic (lon, lat)."""
    sites = solution.park.sites
    geographic = bool(sites["x_km"].isna().all() and sites["lon"].notna().any())
    cols = ("lon", "lat") if geographic else ("x_km", "y_km")
    pos = {
        str(s): (float(x), float(y))
        for s, x, y in zip(sites.index, sites[cols[0]], sites[cols[1]])
        if pd.notna(x) and pd.notna(y)
    }
    return pos, geographic


def firm_positions(
    solution: Solution, site_pos: dict[str, Point], spread: float
) -> dict[str, Point]:
    """Admitted firms at their site; firms that share a site on a circle of radius ``spread``."""
    firms = solution.firms[solution.firms["admitted"]]
    by_site: dict[str, list[str]] = {}
    for f, s in zip(firms.index, firms["site"]):
        if s is not None and str(s) in site_pos:
            by_site.setdefault(str(s), []).append(str(f))
    pos = {}
    for site, members in by_site.items():
        x, y = site_pos[site]
        if len(members) == 1:
            pos[members[0]] = (x, y)
            continue
        for i, f in enumerate(members):
            angle = math.pi / 2 + 2 * math.pi * i / len(members)
            pos[f] = (x + spread * math.cos(angle), y + spread * math.sin(angle))
    return pos


def declutter(
    pos: dict[str, Point], aspect: float = 1.0, min_gap: float | None = None, iterations: int = 500
) -> dict[str, Point]:
    """Push apart firms closer than ``min_gap`` (a share of the drawing's span).

    Geography is kept as far as possible: each firm is pulled gently back to its true spot
    while overlapping pairs are pushed apart, so a dense cluster opens up and isolated firms
    stay put; the last iterations only push. ``aspect`` is the plotted height of one y unit per
    x unit (lon/lat pictures).
    """
    names = list(pos)
    n = len(names)
    if n < 2:
        return dict(pos)
    xy = np.array([pos[k] for k in names], dtype=float)
    xy[:, 1] *= aspect
    low = xy.min(axis=0)
    span = float(max(np.ptp(xy, axis=0).max(), 1e-9))
    z = (xy - low) / span
    home = z.copy()
    gap = min_gap if min_gap is not None else float(np.clip(1.1 / math.sqrt(n), 0.08, 0.25))
    angle = 2 * math.pi * np.arange(n) / n
    tie = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    tie_d = tie[:, None, :] - tie[None, :, :]
    eye = np.eye(n, dtype=bool)
    for it in range(iterations):
        d = z[:, None, :] - z[None, :, :]
        dist = np.hypot(d[..., 0], d[..., 1])
        close = (dist < gap) & ~eye
        if not close.any():
            break
        d = np.where((dist < 1e-9)[..., None], tie_d, d)
        norm = np.hypot(d[..., 0], d[..., 1])
        norm[norm == 0] = 1.0
        push = np.where(close, (gap - dist) / 2, 0.0)
        z += 0.5 * (d / norm[..., None] * push[..., None]).sum(axis=1)
        if it < iterations - 50:
            z += 0.01 * (home - z)
    xy = z * span + low
    xy[:, 1] /= aspect
    return {k: (float(x), float(y)) for k, (x, y) in zip(names, xy)}


def _extent(points: list[Point]) -> float:
    if not points:
        return 1.0
    xy = np.array(points)
    span = float(max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1])))
    return span if span > 0 else 1.0


def arc_point(p: Point, q: Point, rad: float, aspect: float, t: float = 0.5) -> Point:
    """Point at ``t`` on matplotlib's ``arc3`` Bézier from p to q (y plotted × aspect)."""
    dx, dy = q[0] - p[0], (q[1] - p[1]) * aspect
    mx, my = (p[0] + q[0]) / 2, (p[1] + q[1]) / 2
    cx, cy = mx + rad * dy, my - rad * dx / aspect
    a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t**2
    return a * p[0] + b * cx + c * q[0], a * p[1] + b * cy + c * q[1]


def _colormap(name: str):
    return matplotlib.colormaps[name]


def draw_network(solution: Solution, path_png: str | Path) -> Path:
    """Draw the design's exchange network to a PNG file and return its path."""
    path_png = Path(path_png)
    park = solution.park
    site_pos, geographic = site_positions(solution)
    span = _extent(list(site_pos.values()))
    true_pos = firm_positions(solution, site_pos, spread=0.01 * span)
    firms = solution.firms.loc[[f for f in solution.firms.index if str(f) in true_pos]]
    links = solution.built_links
    links = links[
        links["supplier"].astype(str).isin(true_pos) & links["receiver"].astype(str).isin(true_pos)
    ]
    links = links.sort_values("sent", ascending=False)  # big flows get their label first
    units = park.resources["unit"].fillna("").astype(str)

    graph = nx.MultiDiGraph()
    graph.add_nodes_from(true_pos)
    for i, rec in links.iterrows():
        graph.add_edge(str(rec["supplier"]), str(rec["receiver"]), key=i)

    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    box = (0.07, 0.1, 0.66, 0.83)
    ax = fig.add_axes(box)
    mean_lat = np.mean([p[1] for p in site_pos.values()]) if site_pos else 0.0
    aspect = 1.0 / max(math.cos(math.radians(mean_lat)), 0.1) if geographic else 1.0
    pos = declutter(true_pos, aspect)
    many = len(firms) > 12
    node_size = 200 if many else 480

    # frame first: labels are placed in display coordinates
    plots = [str(s) for s in park.sites.index[park.sites["kind"] == "plot"] if str(s) in site_pos]
    allpts = list(pos.values()) + [site_pos[s] for s in plots] + list(true_pos.values())
    if allpts:
        xy = np.array(allpts)
        margin = 0.1 * _extent(allpts)
        x0, x1 = xy[:, 0].min() - margin, xy[:, 0].max() + margin
        y0, y1 = xy[:, 1].min() - margin, xy[:, 1].max() + margin * 1.4
        # widen the shorter side so that the data fill the axes at the true aspect
        want = (box[2] * FIGSIZE[0]) / (box[3] * FIGSIZE[1])  # width / height of the axes
        have = (x1 - x0) / ((y1 - y0) * aspect)
        if have < want:
            grow = ((y1 - y0) * aspect * want - (x1 - x0)) / 2
            x0, x1 = x0 - grow, x1 + grow
        else:
            grow = ((x1 - x0) / want / aspect - (y1 - y0)) / 2
            y0, y1 = y0 - grow, y1 + grow
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
    ax.set_aspect(aspect, adjustable="box")
    ax.apply_aspect()

    # plots, faint; leader lines from moved firms to their true site
    if plots:
        ax.scatter(
            [site_pos[s][0] for s in plots],
            [site_pos[s][1] for s in plots],
            marker="s",
            s=200 if many else 260,
            c="#e4e4e4",
            edgecolors="#bbbbbb",
            linewidths=0.8,
            zorder=1,
        )
        for s in plots:
            ax.annotate(
                s,
                site_pos[s],
                xytext=(0, -(math.sqrt(node_size) / 2 + 4)),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=6.5,
                color="#999999",
                zorder=1,
            )
    for f in pos:
        if math.dist(pos[f], true_pos[f]) > 0.01 * span:
            (x0, y0), (x1, y1) = true_pos[f], pos[f]
            ax.plot([x0, x1], [y0, y1], color="#999999", lw=0.7, ls=":", zorder=2)
            ax.plot([x0], [y0], marker="o", ms=2.5, color="#777777", zorder=2)

    # nodes and their names
    sectors = firms["sector"].fillna("").astype(str)
    by_sector = bool((sectors != "").any())
    keys = (
        sorted(set(sectors))
        if by_sector
        else [s for s in STATUS_COLORS if s in set(firms["status"])]
    )
    cmap = _colormap("tab20" if len(keys) > 10 else "tab10")
    colors = (
        {k: (cmap(i % cmap.N) if k else "#7f7f7f") for i, k in enumerate(keys)}
        if by_sector
        else STATUS_COLORS
    )
    for status, marker in (("existing", "o"), ("candidate", "D")):
        part = firms[firms["status"] == status]
        if part.empty:
            continue
        key = sectors[part.index] if by_sector else part["status"]
        ax.scatter(
            [pos[str(f)][0] for f in part.index],
            [pos[str(f)][1] for f in part.index],
            s=node_size if marker == "o" else node_size * 0.8,
            marker=marker,
            c=[colors[k] for k in key],
            edgecolors="black",
            linewidths=0.8,
            zorder=4,
        )
    renderer = fig.canvas.get_renderer()
    radius = math.sqrt(node_size) / 2 * DPI / 72  # marker radius in pixels
    taken = [  # display boxes of the nodes and of the texts drawn so far
        Bbox.from_extents(x - radius, y - radius, x + radius, y + radius)
        for x, y in ax.transData.transform(np.array(list(pos.values())).reshape(-1, 2))
    ]
    for f, name in zip(firms.index, firms["name"]):
        text = ax.annotate(
            str(name) if isinstance(name, str) and name else str(f),
            pos[str(f)],
            xytext=(0, math.sqrt(node_size) / 2 + 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=6.5 if many else 8.5,
            fontweight="bold",
            zorder=6,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
        )
        taken.append(text.get_window_extent(renderer).expanded(1.02, 1.05))

    # links: curved arrows, labels where they do not cover another label
    resources = sorted(set(links["from_resource"].astype(str)))
    rcmap = _colormap("Dark2" if len(resources) <= 8 else "tab20")
    rcolors = {r: rcmap(i % rcmap.N) for i, r in enumerate(resources)}
    unit_max = links.groupby(links["from_resource"].map(units))["sent"].max()
    omitted = 0
    for a, b, key in graph.edges(keys=True):
        rec = links.loc[key]
        p, q = pos[a], pos[b]
        if p == q:  # an internal arc (a firm reusing its own stream) has no arrow
            continue
        k = list(graph[a][b]).index(key)  # parallel links a→b fan out
        rad = 0.18 + 0.14 * k
        resource = str(rec["from_resource"])
        unit = units.get(resource, "")
        rel = float(rec["sent"]) / float(unit_max.get(unit, rec["sent"]) or 1.0)
        width = 1.0 + 4.0 * math.sqrt(max(rel, 0.0))
        color = rcolors[resource]
        shrink = math.sqrt(node_size) / 2 + 1
        ax.add_patch(
            FancyArrowPatch(
                p,
                q,
                connectionstyle=f"arc3,rad={rad}",
                arrowstyle="-|>",
                mutation_scale=9 + 2 * width,
                linewidth=width,
                color=color,
                alpha=0.85,
                shrinkA=shrink,
                shrinkB=shrink,
                zorder=3,
            )
        )
        if rec["to_resource"] != rec["from_resource"]:
            resource = f"{resource}→{rec['to_resource']}"
        label = f"{resource} {quantity_label(float(rec['sent']))} {unit}".strip()
        if not _place_label(
            ax, renderer, taken, label, p, q, rad, aspect, color, 5.8 if many else 7.5
        ):
            omitted += 1

    ax.set_xlabel("longitude [°]" if geographic else "x [km]")
    ax.set_ylabel("latitude [°]" if geographic else "y [km]")
    ax.grid(True, color="#eeeeee", linewidth=0.6, zorder=0)
    ax.tick_params(labelsize=8)
    n_links = int((~links["internal"].astype(bool)).sum()) if len(links) else 0
    ax.set_title(
        f"Exchange network: {len(firms)} firms, {n_links} link{'s' if n_links != 1 else ''}",
        fontsize=12,
        fontweight="bold",
    )
    notes = []
    if links.empty:
        notes.append("no exchange link built")
    if omitted:
        notes.append(
            f"{omitted} link label{'s' if omitted > 1 else ''} left out to keep "
            "the picture legible: see the Links sheet"
        )
    if any(math.dist(pos[f], true_pos[f]) > 0.01 * span for f in pos):
        notes.append("crowded firms drawn apart; dotted lines lead to their true site")
    if notes:
        fig.text(0.07, 0.012, "; ".join(notes), fontsize=7.5, color="#555555")
    _legend(ax, firms, by_sector, keys, colors, bool(plots), resources, rcolors, units)

    path_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path_png, dpi=DPI, format="png")
    return path_png


def _place_label(
    ax,
    renderer,
    taken: list,
    label: str,
    p: Point,
    q: Point,
    rad: float,
    aspect: float,
    color,
    size: float,
) -> bool:
    """Put a link's label at the first free spot along its arrow; False if none is free."""
    for t in LABEL_SPOTS:
        x, y = arc_point(p, q, rad, aspect, t)
        text = ax.text(
            x,
            y,
            label,
            fontsize=size,
            ha="center",
            va="center",
            zorder=5,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": color, "lw": 0.6, "alpha": 0.9},
        )
        box = text.get_window_extent(renderer)
        if not any(box.overlaps(other) for other in taken):
            taken.append(box)
            return True
        text.remove()
    return False


def _legend(ax, firms, by_sector, keys, colors, plots, resources, rcolors, units) -> None:
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=colors[k],
            markeredgecolor="black",
            markersize=8,
            label=(k or "(no sector)"),
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
                markersize=7,
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
                color="#e4e4e4",
                markeredgecolor="#bbbbbb",
                markersize=9,
                label="plot",
            )
        )
    for r in resources:
        unit = units.get(r, "")
        handles.append(
            Line2D([], [], color=rcolors[r], lw=2.5, label=f"{r} [{unit}/yr]" if unit else r)
        )
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            fontsize=8,
            frameon=False,
            title="arrow width ∝ quantity sent",
            title_fontsize=8,
        )
