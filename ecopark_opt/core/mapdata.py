"""A design on the map, as plain data: GeoJSON features of its firms, plots and links.

This is what the GeoJSON file and the HTML map are made of (docs/maps.md), and what a
``compare`` worker sends back for the map of its option: plain dicts, lists, strings and
floats, with the property names of the JSON result (docs/maps.md).

Positions are (lon, lat) in WGS84 for lat/lon parks and for x/y parks with a
``settings.crs``; an x/y park without one is on a local plane and its positions are
(x_km, y_km) (``system`` says which).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..inputs.geo import LOCAL, coordinate_system, site_positions
from .records import LINK_KEYS, link_records, number, text
from .solution import Solution

FIRM_PROPERTIES = (
    "firm_id",
    "name",
    "sector",
    "status",
    "site",
    "baseline_cost",
    "design_cost",
    "gain",
)
PLOT_PROPERTIES = ("site_id", "kind", "firm", "capacity", "site_cost")
LINK_PROPERTIES = (*LINK_KEYS, "unit", "delivered_unit", "saving")
DIGITS = {"wgs84": 7, "local": 6}  # about 1 cm in degrees; 1 mm in km


def design_features(solution: Solution) -> dict[str, Any]:
    """The design as features, with what a map legend needs.

    Returns ``{"system", "crs", "currency", "summary", "resources", "features"}``:
    ``features`` has a Point per admitted firm, a Point per plot (free or used, with the
    firms on it) and a LineString per link the design uses (no internal arcs); ``resources``
    gives each resource's name and unit; ``summary`` the status and metrics.
    """
    park = solution.park
    crs = park.settings.crs
    system = coordinate_system(park.sites, crs)
    where = site_positions(park.sites, crs)
    digits = DIGITS[system]

    def position(site: Any) -> list[float] | None:
        if site is None or site not in where.index:
            return None
        x, y = float(where.at[site, "x"]), float(where.at[site, "y"])
        if pd.isna(x) or pd.isna(y):
            return None
        return [round(x, digits), round(y, digits)]

    features = firm_features(solution, position) + plot_features(solution, position)
    features += link_features(solution, position)
    resources = park.resources
    return {
        "system": system,
        "crs": None if system == LOCAL else (crs or "EPSG:4326"),
        "currency": park.currency,
        "summary": {
            "status": solution.status,
            "objective": solution.objective,
            "metrics": {
                k: {"design": number(v["design"]), "baseline": number(v["baseline"])}
                for k, v in solution.metrics.items()
            },
            "links": int(len(solution.used_links)),
        },
        "resources": {
            str(r): {"name": str(n), "unit": str(u)}
            for r, n, u in zip(resources.index, resources["name"], resources["unit"])
        },
        "features": features,
    }


def _point(coords: list[float], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": coords},
        "properties": properties,
    }


def firm_features(solution: Solution, position) -> list[dict[str, Any]]:
    """A Point per admitted firm, with its economics."""
    out = []
    firms = solution.firms[solution.firms["admitted"]]
    for firm, rec in firms.iterrows():
        coords = position(rec["site"])
        if coords is None:
            continue
        out.append(
            _point(
                coords,
                {
                    "firm_id": str(firm),
                    "name": text(rec["name"]),
                    "sector": text(rec["sector"]),
                    "status": text(rec["status"]),
                    "site": text(rec["site"]),
                    "baseline_cost": number(rec["baseline_cost"]),
                    "design_cost": number(rec["design_cost"]),
                    "gain": number(rec["gain"]),
                },
            )
        )
    return out


def plot_features(solution: Solution, position) -> list[dict[str, Any]]:
    """A Point per plot: ``firm`` lists the admitted firms on it (None when it is free)."""
    sites = solution.park.sites
    plots = sites[sites["kind"] == "plot"]
    firms = solution.firms[solution.firms["admitted"]]
    out = []
    for site, rec in plots.iterrows():
        coords = position(site)
        if coords is None:
            continue
        on_it = [str(f) for f, s in zip(firms.index, firms["site"]) if s == site]
        out.append(
            _point(
                coords,
                {
                    "site_id": str(site),
                    "kind": "plot",
                    "firm": ", ".join(on_it) if on_it else None,
                    "capacity": number(rec["capacity"]),
                    "site_cost": number(rec["site_cost"]),
                },
            )
        )
    return out


def link_features(solution: Solution, position) -> list[dict[str, Any]]:
    """A LineString per link the design uses, from the supplier's site to the receiver's."""
    units = solution.park.resources["unit"]
    links = solution.used_links
    out = []
    for rec, properties in zip(links.to_dict("records"), link_records(links)):
        start, end = position(rec["from_site"]), position(rec["to_site"])
        if start is None or end is None:
            continue
        properties["unit"] = text(units.get(rec["from_resource"]))
        properties["delivered_unit"] = text(units.get(rec["to_resource"]))
        properties["saving"] = number(rec["saving"])
        out.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [start, end]},
                "properties": properties,
            }
        )
    return out
