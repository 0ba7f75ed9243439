"""solve/resilience --geojson --map --local and compare --map: what is written, and what is
refused before any work (exit 2, one line, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecopark_opt.cli import main
from ecopark_opt.inputs.workbook import write_workbook
from tests.helpers import two_firm_park

LATLON_SITES = [
    {"site_id": "S1", "lat": 55.6615, "lon": 11.0809},
    {"site_id": "S2", "lat": 55.6630, "lon": 11.1330},
]


def run(args: list[str]):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def xy_park(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "xy.xlsx", two_firm_park())


@pytest.fixture
def crs_park(tmp_path: Path) -> Path:
    sites = [
        {"site_id": "S1", "x_km": 630.0, "y_km": 6170.0},
        {"site_id": "S2", "x_km": 633.0, "y_km": 6174.0},
    ]
    return write_workbook(
        tmp_path / "utm.xlsx", two_firm_park(sites=sites, settings={"crs": 25832})
    )


def test_solve_writes_geojson_and_map(crs_park: Path, tmp_path: Path):
    geo, page = tmp_path / "d.geojson", tmp_path / "d.html"
    result = run(["solve", crs_park, "--out", tmp_path / "r.xlsx", "--geojson", geo, "--map", page])
    assert result.exit_code == 0, result.output
    assert f"map written: {geo}" in result.output and f"map written: {page}" in result.output
    doc = json.loads(geo.read_text(encoding="utf-8"))
    [a] = [f for f in doc["features"] if f["properties"].get("firm_id") == "A"]
    lon, lat = a["geometry"]["coordinates"]
    assert 10.9 < lon < 11.2 and 55.6 < lat < 55.8  # Kalundborg, [lon, lat]
    html = page.read_text(encoding="utf-8")
    assert '<div id="map"></div>' in html and "utm" in html.split("<title>")[1][:20]


def test_geojson_of_xy_park_without_crs_is_refused(xy_park: Path, tmp_path: Path):
    out, geo = tmp_path / "r.xlsx", tmp_path / "d.geojson"
    result = run(["solve", xy_park, "--out", out, "--geojson", geo])
    assert result.exit_code == 2
    assert "error: settings (crs): the sites have x_km/y_km but no crs" in result.output
    assert "--local" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and not geo.exists()  # refused before solving


def test_local_allows_a_geojson_in_km(xy_park: Path, tmp_path: Path):
    geo = tmp_path / "d.geojson"
    result = run(["solve", xy_park, "--out", tmp_path / "r.xlsx", "--geojson", geo, "--local"])
    assert result.exit_code == 0, result.output
    doc = json.loads(geo.read_text(encoding="utf-8"))
    assert doc["coordinate_system"].startswith("local plane")
    points = {
        f["properties"]["firm_id"]: f["geometry"]["coordinates"]
        for f in doc["features"]
        if "firm_id" in f["properties"]
    }
    assert points == {"A": [0.0, 0.0], "B": [5.0, 0.0]}


def test_map_of_xy_park_without_crs_is_a_plane(xy_park: Path, tmp_path: Path):
    page = tmp_path / "d.html"
    result = run(["solve", xy_park, "--out", tmp_path / "r.xlsx", "--map", page])
    assert result.exit_code == 0, result.output
    assert '"system":"local"' in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--map", "{tmp}/d.xlsx"], "the output must be a .html file"),
        (["--geojson", "{tmp}/d.txt"], "the GeoJSON output must be a .geojson (or .json) file"),
        (["--geojson", "{park}"], "the GeoJSON output must be a .geojson"),
        (["--map", "{tmp}"], "is a directory"),
        (
            ["--json", "{tmp}/same.json", "--geojson", "{tmp}/same.json"],
            "another output of this run",
        ),
        (["--map", "{tmp}/a.html", "--geojson", "{tmp}/a.html"], "GeoJSON output must be"),
    ],
)
def test_bad_map_paths_are_refused_before_work(crs_park, tmp_path, args, message):
    out = tmp_path / "r.xlsx"
    args = [a.format(tmp=tmp_path, park=crs_park) for a in args]
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(["solve", crs_park, "--out", out, *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_compare_map_on_the_json_path_is_refused(crs_park: Path, tmp_path: Path):
    page = tmp_path / "c.html"
    args = ["compare", crs_park, crs_park, "--out", tmp_path / "c.xlsx", "--json", page]
    result = run([*args, "--map", page])
    assert result.exit_code == 2
    assert "another output of this run" in result.output
    assert not (tmp_path / "c.xlsx").exists() and not page.exists()


def test_resilience_writes_the_map(crs_park: Path, tmp_path: Path):
    page = tmp_path / "d.html"
    result = run(["resilience", crs_park, "--out", tmp_path / "r.xlsx", "--map", page])
    assert result.exit_code == 0, result.output
    assert page.exists()


def test_sweep_writes_the_base_design_map(tmp_path: Path):
    uncertainty = [
        {
            "sheet": "transport",
            "key": "pipe",
            "column": "opex_fixed",
            "distribution": "uniform",
            "p1": 0.5,
            "p2": 2.0,
        }
    ]
    tables = two_firm_park(
        sites=LATLON_SITES,
        transport=[{"mode": "pipe", "opex_fixed": 50, "cost_per_unit_km": 0.1}],
        uncertainty=uncertainty,
    )
    park = write_workbook(tmp_path / "u.xlsx", tables)
    geo = tmp_path / "u.geojson"
    result = run(
        ["sweep", park, "--samples", 2, "--out", tmp_path / "s.xlsx", "--geojson", geo, "--quiet"]
    )
    assert result.exit_code == 0, result.output
    links = [f for f in json.loads(geo.read_text())["features"] if "supplier" in f["properties"]]
    assert [(lk["properties"]["supplier"], lk["properties"]["mode"]) for lk in links] == [
        ("A", "pipe")
    ]


def test_compare_map_has_a_layer_per_option(tmp_path: Path):
    near = write_workbook(tmp_path / "near.xlsx", two_firm_park(sites=LATLON_SITES))
    far_sites = [LATLON_SITES[0], {"site_id": "S2", "lat": 55.70, "lon": 11.30}]
    far = write_workbook(tmp_path / "far.xlsx", two_firm_park(sites=far_sites))
    page = tmp_path / "c.html"
    result = run(["compare", near, far, "--out", tmp_path / "c.xlsx", "--map", page, "--quiet"])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    data = json.loads(html.split('type="application/json">')[1].split("</script>")[0])
    assert [o["name"] for o in data["options"]] == ["near", "far"]
    assert data["selected"] == "near"  # the cheaper option, described by the report
    far_b = [
        f["geometry"]["coordinates"]
        for f in data["options"][1]["features"]
        if f["properties"].get("firm_id") == "B"
    ]
    assert far_b == [[11.3, 55.7]]


def test_compare_map_refuses_mixed_planes_before_solving(xy_park, crs_park, tmp_path: Path):
    out = tmp_path / "c.xlsx"
    result = run(["compare", xy_park, crs_park, "--out", out, "--map", tmp_path / "c.html"])
    assert result.exit_code == 2
    assert "xy.xlsx has x/y sites without settings crs" in result.output
    assert not out.exists()
