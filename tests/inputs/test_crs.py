"""settings.crs: which values place an x/y park on the Earth, and the transform to WGS84."""

from __future__ import annotations

import numpy as np
import pytest

from ecopark_opt.errors import InputError
from ecopark_opt.inputs.geo import LOCAL, WGS84, coordinate_system, site_positions, xy_to_lonlat
from tests.helpers import two_firm_park

# Kalundborg's harbour in ETRS89 / UTM zone 32N, km (about 55.68° N, 11.08° E)
NEAR_KALUNDBORG = [
    {"site_id": "S1", "x_km": 630.0, "y_km": 6172.0},
    {"site_id": "S2", "x_km": 635.0, "y_km": 6172.0},
]


def crs_park(crs, sites=NEAR_KALUNDBORG):
    return two_firm_park(settings={"crs": crs}, sites=sites)


@pytest.mark.parametrize("value", [25832, 25832.0, "25832", "EPSG:25832", " epsg: 25832 "])
def test_crs_spellings_are_normalised(load, value):
    park = load(crs_park(value))
    assert park.settings.crs == "EPSG:25832"
    assert park.warnings == []


def test_no_crs_is_a_local_plane(load):
    park = load(two_firm_park())
    assert park.settings.crs is None
    assert coordinate_system(park.sites, park.settings.crs) == LOCAL


@pytest.mark.parametrize(
    "value, message",
    [
        (4326, "EPSG:4326 (WGS 84) is not a projected system"),
        (99999, "EPSG:99999 is not a known coordinate reference system"),
        ("UTM32", "must be an EPSG code such as 25832"),
        (2000.5, "must be an EPSG code such as 25832"),
        # a projected system whose axes are in US survey feet, not metres
        (2227, "has axes in US survey foot; x_km/y_km need a system in metres"),
    ],
)
def test_bad_crs_is_refused_naming_the_setting(load, value, message):
    with pytest.raises(InputError) as err:
        load(crs_park(value))
    assert len(err.value.problems) == 1
    problem = err.value.problems[0]
    assert problem.startswith("settings!B2 (crs): ")
    assert message in problem


def test_crs_with_xy_in_metres_is_refused_per_site(load):
    metres = [
        {"site_id": "S1", "x_km": 630_000.0, "y_km": 6_172_000.0},
        {"site_id": "S2", "x_km": 635_000.0, "y_km": 6_172_000.0},
    ]
    with pytest.raises(InputError) as err:
        load(crs_park(25832, metres))
    assert [p.split(":")[0] for p in err.value.problems] == ["sites!B2 (x_km)", "sites!B3 (x_km)"]
    assert "in km, not metres" in err.value.problems[0]


def test_crs_far_from_its_area_of_use_warns(load):
    # (0, 0) km in UTM 32N is on the equator at 4.5° E, far outside Europe
    park = load(crs_park(25832, two_firm_park()["sites"]))
    assert len(park.warnings) == 2
    assert park.warnings[0].startswith("sites!B2 (x_km): site 'S1' at (0, 0) km lies at")
    assert "outside the area where EPSG:25832 is used (settings!B2 (crs))" in park.warnings[0]


def test_crs_with_latlon_sites_warns_it_is_ignored(load):
    latlon = [
        {"site_id": "S1", "lat": 55.66, "lon": 11.08},
        {"site_id": "S2", "lat": 55.68, "lon": 11.10},
    ]
    park = load(crs_park(25832, latlon))
    assert park.warnings == [
        "settings!B2 (crs): the sites are given as lat/lon (WGS84); crs applies to x_km/y_km "
        "only and is ignored"
    ]
    assert coordinate_system(park.sites, park.settings.crs) == WGS84
    where = site_positions(park.sites, park.settings.crs)
    assert where.loc["S1"].tolist() == [11.08, 55.66]  # (lon, lat), untouched


def test_utm32n_to_wgs84_published_point():
    # The usage example of the miniproj crate (docs.rs/crate/miniproj/0.1.0): UTM zone 32N
    # (576 935.86 m E, 6 020 593.46 m N) is at 10.183034° E, 54.327389° N. ETRS89 and WGS84
    # agree to better than a metre, so EPSG:25832 gives the same position.
    lon, lat = xy_to_lonlat([576.93586], [6020.59346], "EPSG:25832")
    assert lon[0] == pytest.approx(10.183034, abs=1e-6)
    assert lat[0] == pytest.approx(54.327389, abs=1e-6)


def test_utm32n_false_easting_is_the_central_meridian():
    # By definition of UTM zone 32: easting 500 km is the central meridian 9° E, and
    # (500 km, 0 km) is where it crosses the equator.
    lon, lat = xy_to_lonlat([500.0, 500.0], [0.0, 6100.0], "EPSG:25832")
    assert lon == pytest.approx([9.0, 9.0], abs=1e-12)
    assert lat[0] == pytest.approx(0.0, abs=1e-12)
    assert 54 < lat[1] < 56


def test_positions_of_an_xy_park_with_crs_are_lon_lat(load):
    park = load(crs_park(25832))
    where = site_positions(park.sites, park.settings.crs)
    lon, lat = where["x"].to_numpy(), where["y"].to_numpy()
    assert np.all((10.9 < lon) & (lon < 11.2))  # east of 9° E: longitude first
    assert np.all((55.6 < lat) & (lat < 55.8))
    assert lon[1] > lon[0]  # S2 lies 5 km east of S1
