"""Where the sites are on the Earth: the ``settings.crs`` of x/y parks, and WGS84 positions.

Sites are given either as ``lat``/``lon`` (WGS84 degrees) or as ``x_km``/``y_km`` on a plane
(docs/workbook.md). A plane is georeferenced by ``settings.crs``, the EPSG code of a projected
coordinate reference system whose axes are in metres (for Denmark 25832, ETRS89 / UTM zone
32N); x/y are that system's easting and northing divided by 1 000. Without a ``crs`` the plane
is local: distances are right, but it has no place on a map (docs/maps.md).

pyproj (PROJ and its EPSG database, shipped inside the wheel) does the transformations; it is
imported only when a park has a ``crs``, to keep it out of the start-up time of every run.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

WGS84 = "wgs84"  # positions are (lon, lat) in degrees
LOCAL = "local"  # positions are (x, y) in km on a plane that is not georeferenced

_EPSG = re.compile(r"^\s*(?:epsg\s*:\s*)?(\d{1,6})\s*$", re.IGNORECASE)


def parse_crs(value: Any) -> tuple[str | None, str]:
    """``(normalised, problem)``: ``("EPSG:25832", "")`` for 25832, ``"EPSG:25832"`` or
    ``"epsg: 25832"``; ``(None, message)`` for anything that is not a known projected EPSG
    system in metres."""
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    match = _EPSG.match(text)
    if not match:
        return None, f"must be an EPSG code such as 25832 (ETRS89 / UTM zone 32N), got '{text}'"
    code = int(match.group(1))
    from pyproj import CRS  # only parks with a crs need pyproj
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_epsg(code)
    except CRSError:
        return None, f"EPSG:{code} is not a known coordinate reference system"
    if not crs.is_projected:
        return None, (
            f"EPSG:{code} ({crs.name}) is not a projected system; give lat/lon on the sites "
            "sheet for geographic coordinates, or the EPSG code of the plane of x_km/y_km"
        )
    units = {axis.unit_name for axis in crs.axis_info[:2]}
    if units != {"metre"}:
        return None, (
            f"EPSG:{code} ({crs.name}) has axes in {', '.join(sorted(units))}; x_km/y_km need "
            "a system in metres"
        )
    return f"EPSG:{code}", ""


def crs_name(crs: str) -> str:
    """``ETRS89 / UTM zone 32N`` for ``EPSG:25832``."""
    from pyproj import CRS

    return CRS.from_user_input(crs).name


def xy_to_lonlat(x_km: Any, y_km: Any, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 (lon, lat) in degrees of planar km coordinates in ``crs`` (NaN where PROJ
    cannot place a point)."""
    from pyproj import Transformer

    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    x = np.asarray(x_km, dtype=float) * 1000.0
    y = np.asarray(y_km, dtype=float) * 1000.0
    lon, lat = transformer.transform(x, y, errcheck=False)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat)) | (np.abs(lat) > 90) | (np.abs(lon) > 180)
    return np.where(bad, np.nan, lon), np.where(bad, np.nan, lat)


def area_of_use(crs: str) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) in degrees where ``crs`` is meant to be used."""
    from pyproj import CRS

    area = CRS.from_user_input(crs).area_of_use
    return None if area is None else (area.west, area.south, area.east, area.north)


def coordinate_system(sites: pd.DataFrame, crs: str | None) -> str:
    """:data:`WGS84` for lat/lon parks and x/y parks with a ``crs``, else :data:`LOCAL`."""
    if uses_latlon(sites) or crs:
        return WGS84
    return LOCAL


def uses_latlon(sites: pd.DataFrame) -> bool:
    return bool(len(sites)) and not pd.isna(sites["lat"]).all()


def site_positions(sites: pd.DataFrame, crs: str | None) -> pd.DataFrame:
    """Per site ``x``, ``y`` in the system of :func:`coordinate_system`: (lon, lat) degrees
    in WGS84, or (x_km, y_km) on a local plane."""
    out = pd.DataFrame(index=sites.index)
    if uses_latlon(sites):
        out["x"] = sites["lon"].astype(float)
        out["y"] = sites["lat"].astype(float)
    elif crs:
        lon, lat = xy_to_lonlat(sites["x_km"], sites["y_km"], crs)
        out["x"], out["y"] = lon, lat
    else:
        out["x"] = sites["x_km"].astype(float)
        out["y"] = sites["y_km"].astype(float)
    return out


def outside(lon: float, lat: float, bounds: tuple[float, float, float, float] | None) -> bool:
    """Whether a position is more than a degree outside a system's area of use."""
    if bounds is None or not (math.isfinite(lon) and math.isfinite(lat)):
        return False
    west, south, east, north = bounds
    return not (west - 1 <= lon <= east + 1 and south - 1 <= lat <= north + 1)
