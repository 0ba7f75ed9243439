"""The design on an interactive map: one self-contained HTML file (``--map``, docs/maps.md).

The file holds everything it needs to draw the design — Leaflet's JavaScript and styles, our
own script (``webmap.js``) and styles (``webmap.css``) and the design as JSON — so it opens
from a disk, a mail attachment or an intranet with no network; only the optional
OpenStreetMap background tiles come from the network, and without them the map is drawn on
a plain background. An x/y park without ``settings.crs`` is drawn on a plain plane in km
with a grid (Leaflet's ``CRS.Simple``), never on tiles.

Why Leaflet from XStatic-Leaflet: Leaflet is the small (150 kB), BSD-licensed, long-lived
standard for web maps, with SVG vectors, popups, a layer control and a plain-plane CRS
built in. XStatic-Leaflet is its packaging as a Python wheel (XStatic is the convention,
used by OpenStack's dashboard among others, for shipping JavaScript libraries inside Python
packages), so ``pip install`` brings the exact files we inline — no CDN at run time and no
copy of Leaflet in this repository. folium, the best-known Python wrapper, was not chosen:
its pages load Leaflet and their other assets from CDNs, so they draw nothing offline.
"""

from __future__ import annotations

import base64
import html
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .. import __version__
from .files import atomic_write

# Firms by sector and links by resource: qualitative palettes readable on light tiles
# (Tableau 10, then ColorBrewer Dark2/Set1 hues for links); more categories get evenly
# spaced hues.
SECTOR_COLORS = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#b07aa1",
    "#76b7b2",
    "#edc948",
    "#9c755f",
    "#ff9da7",
    "#bab0ac",
)
RESOURCE_COLORS = (
    "#d62728",
    "#1f77b4",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e7298a",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#66a61e",
    "#a6761d",
    "#e6ab02",
)
NO_SECTOR = "#9e9e9e"


def palette(colors: tuple[str, ...], n: int) -> list[str]:
    """``n`` distinct colours: the palette first, then golden-angle hues."""
    extra = [f"hsl({(137.508 * i) % 360:.1f}, 62%, 42%)" for i in range(max(0, n - len(colors)))]
    return (list(colors) + extra)[:n]


@cache
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's CSS (its images inlined as data URIs) and JavaScript, from XStatic-Leaflet."""
    from xstatic.pkg import leaflet  # the wheel's data folder; see the module docstring

    folder = Path(leaflet.BASE_DIR)
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        image = folder / match.group(1)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)
    js = (folder / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", js)
    return css, js


def own_asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def map_data(
    layers: list[tuple[str, dict[str, Any]]], title: str, selected: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """What the page's script draws, and the options left out because their positions are
    in another system than the first one's (a local plane and WGS84 cannot share a map)."""
    if not layers:
        raise ValueError("no design to draw")
    system = layers[0][1]["system"]
    kept = [(n, r) for n, r in layers if r["system"] == system]
    dropped = [n for n, r in layers if r["system"] != system]
    sectors: set[str] = set()
    used: set[str] = set()
    described: dict[str, dict[str, str]] = {}
    has_plots = has_candidates = False
    for _, record in kept:
        for rid, res in record["resources"].items():
            described.setdefault(rid, dict(res))
        for f in record["features"]:
            p = f["properties"]
            if "firm_id" in p:
                sectors.add(p["sector"] or "")
                has_candidates |= p["status"] == "candidate"
            elif "site_id" in p:
                has_plots = True
            else:
                used.add(p["from_resource"])
    order = [r for r in described if r in used]
    for rid, color in zip(order, palette(RESOURCE_COLORS, len(order))):
        described[rid]["color"] = color
    for rid in described:
        described[rid]["used"] = rid in used
    named = sorted(s for s in sectors if s)
    colors = dict(zip(named, palette(SECTOR_COLORS, len(named))))
    if "" in sectors:
        colors[""] = NO_SECTOR
    data = {
        "title": title,
        "system": system,
        "crs": kept[0][1]["crs"],
        "currency": kept[0][1]["currency"],
        "tiles": system == "wgs84",
        "has_plots": has_plots,
        "has_candidates": has_candidates,
        "sectors": colors,
        "resources": described,
        "options": [
            {"name": name, "summary": r["summary"], "features": r["features"]} for name, r in kept
        ],
        "selected": selected if selected in {n for n, _ in kept} else kept[0][0],
    }
    return data, dropped


def script_json(data: dict[str, Any]) -> str:
    """JSON that cannot end its ``<script>`` element early, whatever the workbook's text."""
    text = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def map_html(data: dict[str, Any]) -> str:
    """The whole page."""
    leaflet_css, leaflet_js = leaflet_assets()
    for name, code in (("leaflet.js", leaflet_js), ("webmap.js", own_asset("webmap.js"))):
        if "</script" in code.lower():
            raise ValueError(f"{name} would end its <script> element early")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="ecopark_opt {html.escape(__version__)}">',
            f"<title>{html.escape(data['title'])}</title>",
            f"<style>\n{leaflet_css}\n</style>",
            f"<style>\n{own_asset('webmap.css')}\n</style>",
            "</head>",
            "<body>",
            '<div id="map"></div>',
            f'<script id="ecopark-data" type="application/json">{script_json(data)}</script>',
            f"<script>\n{leaflet_js}\n</script>",
            f"<script>\n{own_asset('webmap.js')}\n</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


def write_map(
    layers: list[tuple[str, dict[str, Any]]],
    path: str | Path,
    title: str,
    selected: str | None = None,
) -> list[str]:
    """Write the page atomically; return the options left out (see :func:`map_data`)."""
    data, dropped = map_data(layers, title, selected)
    page = map_html(data)
    atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return dropped
