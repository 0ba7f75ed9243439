"""--geojson: RFC 7946 in WGS84 ([lon, lat]), the property names of SPEC §5, and refusal of an
x/y park without a crs."""

from __future__ import annotations

import json

import pytest

from ecopark_opt.core.mapdata import design_features
from ecopark_opt.errors import InputError
from ecopark_opt.outputs.geojson import check_geojson_allowed, geojson_document, write_geojson
from tests.helpers import two_firm_park

FIRM_PROPERTIES = {
    "firm_id",
    "name",
    "sector",
    "status",
    "site",
    "baseline_cost",
    "design_cost",
    "gain",
}
PLOT_PROPERTIES = {"site_id", "kind", "firm"}
LINK_PROPERTIES = {
    "supplier",
    "receiver",
    "from_resource",
    "to_resource",
    "mode",
    "sent",
    "delivered",
    "unit",
    "distance_km",
    "annual_cost",
}

# Asnæs power station and a site 3.3 km east of it (WGS84)
LATLON_SITES = [
    {"site_id": "S1", "lat": 55.6615, "lon": 11.0809},
    {"site_id": "S2", "lat": 55.6630, "lon": 11.1330},
]


def features(doc, kind):
    """Firm points, plot points or link lines of a FeatureCollection."""
    if kind == "link":
        return [f for f in doc["features"] if f["geometry"]["type"] == "LineString"]
    key = {"firm": "firm_id", "plot": "site_id"}[kind]
    return [f for f in doc["features"] if key in f["properties"]]


def test_latlon_park_is_lon_lat(solve):
    doc = geojson_document(design_features(solve(two_firm_park(sites=LATLON_SITES))))
    assert doc["type"] == "FeatureCollection"
    assert "coordinate_system" not in doc  # plain RFC 7946: WGS84 is implied
    firms = {f["properties"]["firm_id"]: f["geometry"] for f in features(doc, "firm")}
    assert firms["A"] == {"type": "Point", "coordinates": [11.0809, 55.6615]}  # lon first
    assert firms["B"]["coordinates"] == [11.133, 55.663]
    [link] = features(doc, "link")
    assert link["geometry"]["coordinates"] == [[11.0809, 55.6615], [11.133, 55.663]]
    assert link["properties"]["supplier"] == "A" and link["properties"]["receiver"] == "B"
    assert link["properties"]["sent"] == pytest.approx(80.0)
    assert link["properties"]["distance_km"] == pytest.approx(3.27, abs=0.01)


def test_property_names_are_those_of_the_spec(solve):
    tables = two_firm_park(
        sites=LATLON_SITES + [{"site_id": "P1", "lat": 55.67, "lon": 11.10, "kind": "plot"}]
    )
    doc = geojson_document(design_features(solve(tables)))
    for f in features(doc, "firm"):
        assert set(f["properties"]) == FIRM_PROPERTIES
    [plot] = features(doc, "plot")
    assert PLOT_PROPERTIES <= set(plot["properties"])
    assert plot["properties"]["kind"] == "plot" and plot["properties"]["firm"] is None
    [link] = features(doc, "link")
    assert LINK_PROPERTIES <= set(link["properties"])
    assert link["properties"]["unit"] == "t"


def test_xy_park_is_transformed_from_its_crs(solve):
    # UTM zone 32N (576 935.86 m E, 6 020 593.46 m N) is at 10.183034° E, 54.327389° N (the
    # miniproj crate's documented example; ETRS89 = WGS84 to better than a metre)
    sites = [
        {"site_id": "S1", "x_km": 576.93586, "y_km": 6020.59346},
        {"site_id": "S2", "x_km": 579.93586, "y_km": 6024.59346},
    ]
    solution = solve(two_firm_park(sites=sites, settings={"crs": 25832}))
    doc = geojson_document(design_features(solution))
    firms = {
        f["properties"]["firm_id"]: f["geometry"]["coordinates"] for f in features(doc, "firm")
    }
    assert firms["A"] == pytest.approx([10.183034, 54.327389], abs=1e-6)
    lon, lat = firms["B"]
    assert lon > firms["A"][0] and lat > firms["A"][1]  # 3 km east, 4 km north
    [link] = features(doc, "link")
    assert link["geometry"]["coordinates"] == [firms["A"], firms["B"]]
    assert link["properties"]["distance_km"] == pytest.approx(5.0)  # on the plane


def test_plots_list_the_firms_placed_and_only_admitted_firms_appear(solve):
    tables = two_firm_park(
        firms=[
            {"firm_id": "A", "site": "S1"},
            {"firm_id": "B", "site": "S2"},
            {"firm_id": "C", "status": "candidate", "must_join": True, "allowed_sites": "P1"},
            {"firm_id": "D", "status": "candidate", "admission_cost": 1000},
        ],
        sites=LATLON_SITES
        + [
            {"site_id": "P1", "lat": 55.665, "lon": 11.10, "kind": "plot"},
            {"site_id": "P2", "lat": 55.70, "lon": 11.20, "kind": "plot"},
        ],
    )
    doc = geojson_document(design_features(solve(tables)))
    assert {f["properties"]["firm_id"] for f in features(doc, "firm")} == {"A", "B", "C"}
    placed = {f["properties"]["site_id"]: f["properties"]["firm"] for f in features(doc, "plot")}
    assert placed == {"P1": "C", "P2": None}
    [c] = [f for f in features(doc, "firm") if f["properties"]["firm_id"] == "C"]
    assert c["properties"]["status"] == "candidate" and c["properties"]["site"] == "P1"
    assert c["geometry"]["coordinates"] == [11.1, 55.665]


def test_internal_arcs_are_not_links_on_the_map(solve):
    tables = two_firm_park(
        sites=LATLON_SITES,
        flows=[
            {"firm_id": "A", "resource_id": "water", "direction": "supply", "quantity": 100},
            {"firm_id": "A", "resource_id": "water", "direction": "demand", "quantity": 30},
            {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 50},
        ],
        settings={"internal_reuse": True},
    )
    solution = solve(tables)
    assert solution.built_links["internal"].any()
    links = features(geojson_document(design_features(solution)), "link")
    assert [lk["properties"]["receiver"] for lk in links] == ["B"]


def test_local_park_says_its_positions_are_km(solve):
    doc = geojson_document(design_features(solve(two_firm_park())))
    assert doc["coordinate_system"].startswith("local plane")
    firms = {
        f["properties"]["firm_id"]: f["geometry"]["coordinates"] for f in features(doc, "firm")
    }
    assert firms == {"A": [0.0, 0.0], "B": [5.0, 0.0]}


def test_xy_park_without_crs_is_refused_unless_local(load):
    park = load(two_firm_park())
    with pytest.raises(InputError) as err:
        check_geojson_allowed(park, local=False)
    assert str(err.value).startswith("settings (crs): the sites have x_km/y_km but no crs")
    check_geojson_allowed(park, local=True)
    check_geojson_allowed(load(two_firm_park(settings={"crs": 25832})), local=False)
    check_geojson_allowed(load(two_firm_park(sites=LATLON_SITES)), local=False)


def test_file_is_utf8_json(solve, tmp_path):
    tables = two_firm_park(
        sites=LATLON_SITES,
        firms=[
            {"firm_id": "A", "name": "Asnæs værk", "site": "S1"},
            {"firm_id": "B", "site": "S2"},
        ],
    )
    record = design_features(solve(tables))
    path = write_geojson(record, tmp_path / "design.geojson")
    raw = path.read_bytes()
    assert "Asnæs værk".encode() in raw  # UTF-8, not \u escapes (RFC 7946 §11)
    assert json.loads(raw) == geojson_document(record)
