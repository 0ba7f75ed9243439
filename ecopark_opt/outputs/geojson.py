"""The design as GeoJSON (``--geojson``), for QGIS, ArcGIS and web maps (docs/maps.md).

An RFC 7946 FeatureCollection in WGS84, positions as [lon, lat]: a Point per admitted firm,
a Point per plot, a LineString per link the design uses, with the property names of the
JSON result (:mod:`ecopark_opt.core.mapdata`). x/y sites are transformed from
``settings.crs``; an x/y park without one has no place on the Earth, so its GeoJSON is
refused unless ``--local`` asks for positions in km on its own plane (then the file says so
in a ``coordinate_system`` member, and a GIS must not read them as degrees).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..inputs.geo import LOCAL, coordinate_system
from ..park import Park
from .files import atomic_write

SUFFIXES = (".geojson", ".json")
LOCAL_NOTE = "local plane: positions are (x_km, y_km), not WGS84 degrees"


def check_geojson_allowed(park: Park, local: bool) -> None:
    """Refuse, before any work, a GeoJSON of an x/y park without ``crs`` (unless --local)."""
    if local or coordinate_system(park.sites, park.settings.crs) != LOCAL:
        return
    title = park.sheet_titles.get("settings", "settings")
    raise InputError(
        f"{title} (crs): the sites have x_km/y_km but no crs, so they cannot be placed in "
        "WGS84 for --geojson; set crs on the settings sheet to the EPSG code of their plane "
        "(e.g. 25832, ETRS89 / UTM zone 32N, with x/y in km), or give --local for a GeoJSON "
        "in km on the park's own plane"
    )


def check_geojson_suffix(path: str | Path) -> None:
    if Path(path).suffix.lower() not in SUFFIXES:
        raise InputError(f"{path}: the GeoJSON output must be a .geojson (or .json) file")


def geojson_document(record: dict[str, Any]) -> dict[str, Any]:
    """The FeatureCollection of a :func:`~ecopark_opt.core.mapdata.design_features` record."""
    doc: dict[str, Any] = {"type": "FeatureCollection"}
    if record["system"] == LOCAL:
        doc["coordinate_system"] = LOCAL_NOTE
    doc["features"] = record["features"]
    return doc


def write_geojson(record: dict[str, Any], path: str | Path) -> Path:
    """Write the FeatureCollection atomically (UTF-8, as RFC 7946 requires)."""
    text = json.dumps(geojson_document(record), ensure_ascii=False, allow_nan=False, indent=1)
    return atomic_write(path, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))
