"""--map: one self-contained HTML page that draws the design in a real browser with no
network (headless Chromium), escapes the workbook's text, and compares options."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from ecopark_opt.core.mapdata import design_features
from ecopark_opt.core.optimize import RunOptions, optimize
from ecopark_opt.inputs.load import load_park
from ecopark_opt.outputs.webmap import map_data, map_html, write_map
from tests.helpers import two_firm_park

INSTANCES = Path(__file__).resolve().parents[2] / "instances"
BACKGROUND = (0xEA, 0xE6, 0xDC)  # #map's plain background (webmap.css)
HOSTILE = "</script><script>document.title='owned'</script>"
LATLON_SITES = [
    {"site_id": "S1", "lat": 55.6615, "lon": 11.0809},
    {"site_id": "S2", "lat": 55.6630, "lon": 11.1330},
]


def embedded_data(page: str) -> dict:
    match = re.search(r'<script id="ecopark-data" type="application/json">(.*?)</script>', page)
    return json.loads(match.group(1))


# --- the page -----------------------------------------------------------------------------


def test_page_is_self_contained(solve):
    record = design_features(solve(two_firm_park(sites=LATLON_SITES)))
    page = map_html(map_data([("design", record)], "park")[0])
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", page, re.IGNORECASE)
    assert "<link" not in page.lower()
    assert "sourceMappingURL" not in page
    # every stylesheet url() is inlined (Leaflet's images as data URIs)
    for url in re.findall(r"url\(([^)]*)\)", page):
        assert url.startswith("data:image/png;base64,") or url == "#default#VML", url[:40]
    # the only resource our script asks the network for: OpenStreetMap's tiles
    ours = page.split("<script>")[-1]
    assert set(re.findall(r"https://[\w.]+", ours)) == {
        "https://tile.openstreetmap.org",
        "https://leafletjs.com",  # a link in the attribution, not a load
    }
    assert page.count("<script") == 3  # the data, Leaflet, our script
    assert "Leaflet 1.9" in page  # its licence header is kept


def test_workbook_text_cannot_end_the_script(solve):
    tables = two_firm_park(
        sites=LATLON_SITES,
        firms=[
            {"firm_id": "A", "name": HOSTILE, "sector": "<b>x</b>&", "site": "S1"},
            {"firm_id": "B", "site": "S2"},
        ],
    )
    record = design_features(solve(tables))
    page = map_html(map_data([("design", record)], "<title>")[0])
    assert HOSTILE not in page
    assert page.lower().count("</script>") == 3
    assert "<title>&lt;title&gt;</title>" in page
    names = [f["properties"].get("name") for f in embedded_data(page)["options"][0]["features"]]
    assert HOSTILE in names  # intact once parsed


def test_colours_and_layers(solve):
    tables = two_firm_park(
        sites=LATLON_SITES,
        firms=[
            {"firm_id": "A", "sector": "energy", "site": "S1"},
            {"firm_id": "B", "site": "S2"},
        ],
        resources=[
            {"resource_id": "water", "unit": "t", "virgin_price": 2, "disposal_cost": 1},
            {"resource_id": "steam", "unit": "MWh", "virgin_price": 30},
        ],
    )
    data, dropped = map_data([("design", design_features(solve(tables)))], "park")
    assert dropped == []
    assert data["system"] == "wgs84" and data["tiles"] is True
    assert set(data["sectors"]) == {"energy", ""}  # B has no sector: grey
    assert data["sectors"][""] == "#9e9e9e"
    assert data["resources"]["water"]["used"] and not data["resources"]["steam"]["used"]
    assert "color" in data["resources"]["water"] and "color" not in data["resources"]["steam"]
    assert (data["has_plots"], data["has_candidates"]) == (False, False)


def test_options_on_another_system_are_left_out(solve):
    geo = design_features(solve(two_firm_park(sites=LATLON_SITES)))
    local = design_features(solve(two_firm_park()))
    data, dropped = map_data([("a", geo), ("b", local), ("c", geo)], "cmp", selected="c")
    assert [o["name"] for o in data["options"]] == ["a", "c"]
    assert dropped == ["b"]
    assert data["selected"] == "c"


def test_local_plane_has_no_tiles(solve):
    data, _ = map_data([("design", design_features(solve(two_firm_park())))], "park")
    assert data["system"] == "local" and data["tiles"] is False


# --- in a browser, offline ----------------------------------------------------------------


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    pytest.fail("the browser tests need Chromium: apt-get install chromium (.ci/run does)")


def browse(
    page: Path, tmp_path: Path, *args: str, fragment: str = ""
) -> subprocess.CompletedProcess:
    """Open ``page`` in headless Chromium that can resolve no host name (no network)."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        "--window-size=1280,850",
        "--virtual-time-budget=5000",
        *args,
        page.resolve().as_uri() + fragment,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def dom(page: Path, tmp_path: Path, fragment: str = "") -> str:
    """The page's DOM once its script has run, without the scripts' own text."""
    html = browse(page, tmp_path, "--dump-dom", fragment=fragment).stdout
    return re.sub(r"<script\b.*?</script>", "", html, flags=re.DOTALL)


def screenshot(page: Path, tmp_path: Path) -> Image.Image:
    shot = tmp_path / "shot.png"
    browse(page, tmp_path, f"--screenshot={shot}")
    return Image.open(shot).convert("RGB")


def count(html: str, css_class: str, tag: str = "path") -> int:
    return len(re.findall(rf'<{tag}\b[^>]*class="[^"]*\b{css_class}\b', html))


def hex_rgb(color: str) -> tuple[int, ...]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def pixels_near(image: Image.Image, rgb: tuple[int, ...], tolerance: int = 10) -> int:
    return sum(
        n
        for n, c in image.getcolors(image.width * image.height)
        if max(abs(a - b) for a, b in zip(c, rgb)) <= tolerance
    )


@pytest.fixture(scope="module")
def kalundborg_map(tmp_path_factory) -> tuple[Path, dict]:
    solution = optimize(load_park(INSTANCES / "kalundborg.xlsx"), RunOptions())
    page = tmp_path_factory.mktemp("map") / "kalundborg.html"
    write_map([("design", design_features(solution))], page, "kalundborg")
    return page, embedded_data(page.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_browser_draws_kalundborg_offline(kalundborg_map, tmp_path):
    page, data = kalundborg_map
    features = data["options"][0]["features"]
    firms = [f for f in features if "firm_id" in f["properties"]]
    links = [f for f in features if f["geometry"]["type"] == "LineString"]
    assert (len(firms), len(links)) == (9, 13)
    html = dom(page, tmp_path)
    assert count(html, "ecopark-firm") == 9
    assert count(html, "ecopark-link") == 13
    assert count(html, "ecopark-arrow") == 13
    for firm in ("ASNAES", "REFINERY", "GYPROC", "NOVO", "MUNI_DH"):  # labels of the core
        assert f">{firm}</div>" in html
    assert "13 links · cost 12,070,374 EUR/yr" in html
    # the tiles could not load: the vectors are drawn on the plain background
    image = screenshot(page, tmp_path)
    assert pixels_near(image, BACKGROUND, 2) > 0.3 * image.width * image.height
    for rid, res in data["resources"].items():
        if not res["used"] or rid in ("fly_ash", "biomass_sludge", "sewage_sludge"):
            continue  # (these run off the core view)
        line = tuple(round(0.85 * c + 0.15 * b) for c, b in zip(hex_rgb(res["color"]), BACKGROUND))
        assert pixels_near(image, line) > 100, rid
    for sector, color in data["sectors"].items():
        if sector not in ("agriculture", "construction materials"):
            assert pixels_near(image, hex_rgb(color)) > 30, sector


@pytest.mark.slow
def test_browser_draws_plots_and_candidates(tmp_path):
    solution = optimize(load_park(INSTANCES / "siting_options.xlsx"), RunOptions())
    page = tmp_path / "siting.html"
    write_map([("design", design_features(solution))], page, "siting")
    html = dom(page, tmp_path)
    assert count(html, "ecopark-firm") == 7  # 4 existing + 3 candidates admitted
    assert count(html, "ecopark-candidate") == 3
    assert count(html, "ecopark-link") == 10
    assert count(html, "ecopark-plot", "div") == 5
    assert count(html, "ecopark-plot-used", "div") == 3
    assert 'class="ecopark-note">local plane' not in html  # a crs: on the Earth


@pytest.mark.slow
def test_browser_draws_a_local_plane_and_escapes_text(solve, tmp_path):
    tables = two_firm_park(
        firms=[
            {"firm_id": "<i>A</i>", "name": HOSTILE, "site": "S1"},
            {"firm_id": "B", "site": "S2"},
        ],
        flows=[
            {"firm_id": "<i>A</i>", "resource_id": "water", "direction": "supply", "quantity": 100},
            {"firm_id": "B", "resource_id": "water", "direction": "demand", "quantity": 80},
        ],
    )
    page = tmp_path / "local.html"
    write_map([("design", design_features(solve(tables)))], page, "local")
    html = dom(page, tmp_path)
    assert count(html, "ecopark-firm") == 2 and count(html, "ecopark-link") == 1
    assert count(html, "ecopark-grid") > 4  # a km grid instead of tiles
    assert 'class="ecopark-note">local plane in km (no crs): grid every 1 km' in html
    assert "&lt;i&gt;A&lt;/i&gt;</div>" in html  # the label shows the id as text
    assert "<i>A</i>" not in html
    assert "owned" not in html.split("<title>")[1].split("</title>")[0]
    assert "tile.openstreetmap.org/" not in html  # no tile requested


@pytest.mark.slow
def test_browser_switches_between_options(solve, tmp_path):
    near = design_features(solve(two_firm_park(sites=LATLON_SITES)))
    far_sites = [LATLON_SITES[0], {"site_id": "S2", "lat": 55.70, "lon": 11.30}]
    far = design_features(solve(two_firm_park(sites=far_sites)))
    page = tmp_path / "compare.html"
    write_map([("near", near), ("far", far)], page, "compare", selected="near")
    html = dom(page, tmp_path)
    assert html.count('<input type="radio" class="leaflet-control-layers-selector"') == 2
    assert "option <b>near</b>" in html
    assert count(html, "ecopark-link") == 1  # one option drawn at a time
    html = dom(page, tmp_path, fragment="#option=far")
    assert "option <b>far</b>" in html and "option <b>near</b>" not in html
    assert count(html, "ecopark-link") == 1
