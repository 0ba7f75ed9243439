"""The network picture: framing, schematic layout, labels (ecopark_opt.outputs.network).

Most tests draw a stand-in for a solved design (the few tables the picture reads), so that
they need no solver and stay fast.
"""

from __future__ import annotations

import math
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ecopark_opt.outputs.network import (
    TOP_FIRMS,
    TOP_LINKS,
    arrange,
    compass,
    declutter_sparse,
    draw_network,
    firm_labels,
    is_overview,
    is_uneven,
    km_text,
    off_plots,
    rank_spread,
    render,
    segment_samples,
    short_label,
    stress_layout,
    top_firms,
)


def fake_solution(sites, firms, links, geographic=False):
    """A stand-in for a Solution: sites {id: (x, y, kind)}, firms {id: (site, name, sector,
    status)}, links [(supplier, receiver, resource, sent)] with every resource in t."""
    cols = ("lon", "lat") if geographic else ("x_km", "y_km")
    other = ("x_km", "y_km") if geographic else ("lon", "lat")
    site_table = pd.DataFrame(
        {
            cols[0]: [v[0] for v in sites.values()],
            cols[1]: [v[1] for v in sites.values()],
            other[0]: [float("nan")] * len(sites),
            other[1]: [float("nan")] * len(sites),
            "kind": [v[2] for v in sites.values()],
        },
        index=pd.Index(list(sites), name="site_id"),
    )
    firm_table = pd.DataFrame(
        {
            "name": [v[1] for v in firms.values()],
            "sector": [v[2] for v in firms.values()],
            "status": [v[3] for v in firms.values()],
            "admitted": [True] * len(firms),
            "site": [v[0] for v in firms.values()],
        },
        index=pd.Index(list(firms), name="firm_id"),
    )
    link_table = pd.DataFrame(
        {
            "supplier": [lk[0] for lk in links],
            "receiver": [lk[1] for lk in links],
            "from_resource": [lk[2] for lk in links],
            "to_resource": [lk[2] for lk in links],
            "sent": [float(lk[3]) for lk in links],
            "internal": [False] * len(links),
        }
    )
    resources = sorted({lk[2] for lk in links}) or ["water"]
    resource_table = pd.DataFrame(
        {"unit": ["t"] * len(resources)}, index=pd.Index(resources, name="resource_id")
    )
    park = SimpleNamespace(sites=site_table, resources=resource_table)
    return SimpleNamespace(park=park, firms=firm_table, built_links=link_table)


# Four firms in a 4 km park, plus a free plot NEAR inside it and a free plot FAR 20 km east.
SMALL_SITES = {
    "S1": (0.0, 0.0, "fixed"),
    "S2": (4.0, 0.0, "fixed"),
    "S3": (0.0, 3.0, "fixed"),
    "S4": (4.0, 3.0, "fixed"),
    "NEAR": (2.0, 1.5, "plot"),
    "FAR": (22.0, 5.5, "plot"),
}
SMALL_FIRMS = {
    "CHP": ("S1", "Combined heat and power plant", "energy", "existing"),
    "BREW": ("S2", "Brewery", "food", "existing"),
    "GH": ("S3", "Greenhouse (waste heat and CO2)", "horticulture", "existing"),
    "PAPER": ("S4", "Paper mill", "paper", "existing"),
}
SMALL_LINKS = [
    ("CHP", "BREW", "steam", 4e4),
    ("CHP", "GH", "heat", 5e4),
    ("BREW", "PAPER", "sludge", 2e3),
    ("GH", "PAPER", "co2", 1e4),
]


def test_short_labels():
    # the name without its parenthesis when that fits in 18 characters, else the id
    assert short_label("GH", "Greenhouse (waste heat and CO2)") == "Greenhouse"
    assert short_label("CHP", "Combined heat and power plant") == "CHP"  # 29 characters
    assert short_label("B", "Brewery") == "Brewery"
    assert short_label("X", None) == "X"
    long_id = "A_VERY_LONG_FIRM_IDENTIFIER"  # 27 characters, no usable name
    assert short_label(long_id, "") == "A_VERY_LONG_FIRM_…"
    assert len(short_label(long_id, "")) == 18
    # two names that shorten to the same "Farm" are told apart by their ids
    firms = pd.DataFrame(
        {"name": ["Farm (north)", "Farm (south)", "Mill"]}, index=["F1", "F2", "M"]
    )
    assert firm_labels(firms) == {"F1": "F1", "F2": "F2", "M": "Mill"}


def test_compass_and_distance_text():
    assert compass(1, 0) == "E"
    assert compass(0, 1) == "N"
    assert compass(-1, -1) == "SW"
    assert compass(19.5, 4.5) == "E"  # 13° north of east: within ±22.5° of E
    assert compass(-1, 2) == "NW"  # 116.6°: nearest of 90 (N) and 135 (NW) is NW
    assert km_text(20.03) == "20"
    assert km_text(0.532) == "0.53"
    assert km_text(123.4) == "123"


def test_uneven_spread():
    # a 3 × 3 grid, spacing 1: span 2, even spacing 2 / √9 = 0.67, median nearest 1 → even
    grid = np.array([(x, y) for x in range(3) for y in range(3)], dtype=float)
    assert not is_uneven(grid)
    # a harbour of 7 sites 0.3 km apart, farms 19 km and a cement works 80 km away:
    # span 60, even spacing 60 / 3 = 20, median nearest 0.3 < 0.15 × 20 = 3 → uneven
    harbour = [(0.3 * i, 0.0) for i in range(7)] + [(15.0, -12.0), (55.0, -60.0)]
    assert is_uneven(np.array(harbour))


def test_stress_layout_compresses_and_keeps_orientation():
    # three sites 1 km apart and one 100 km east: nearest-neighbour distances 1, 1, 1, 99,
    # lower quartile d0 = 1; targets log(1 + d): 1 km → 0.69, 100 km → 4.6, ratio ≈ 6.7 (true 100)
    xy = np.array([(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (100.0, 0.0)])
    out = stress_layout(xy)
    near = math.dist(out[0], out[1])
    far = math.dist(out[0], out[3])
    assert 3 < far / near < 15
    assert out[3, 0] == max(out[:, 0])  # the far site stays east
    assert out[2, 1] > out[0, 1]  # the northern site stays north
    assert np.array_equal(out, stress_layout(xy))  # deterministic


def test_view_frames_the_firms_and_lists_far_plots():
    firm_site = {f: v[0] for f, v in SMALL_FIRMS.items()}
    site_km = {s: (v[0], v[1]) for s, v in SMALL_SITES.items()}
    lay = arrange(firm_site, site_km, ["NEAR", "FAR"], 60.0, (786.0, 685.0))
    assert lay.to_scale
    x0, y0, x1, y1 = lay.frame
    assert x0 < 0 and x1 > 4 and y0 < 0 and y1 > 3
    assert x1 < 10  # framed on the 4 km park, not stretched to FAR at 22 km
    assert "NEAR" in lay.plots and "FAR" not in lay.plots
    # FAR from the centre of the firms' box (2, 1.5): 20 km east, 4 km north → 20.4 km, E
    (name, dx, dy), *_ = off_plots(lay, ["NEAR", "FAR"], firm_site, site_km)
    assert (name, dx, dy) == ("FAR", 20.0, 4.0)


def test_small_park_picture_labels_every_link(tmp_path):
    fig, drawn = render(fake_solution(SMALL_SITES, SMALL_FIRMS, SMALL_LINKS))
    assert drawn.to_scale
    assert (drawn.link_labels, drawn.omitted) == (4, 0)
    assert drawn.off_plots == ["FAR"]
    assert any("FAR (20 km E)" in note for note in drawn.notes)
    # the four firms are spread over the picture, not crammed in a corner: the park is
    # 4 km × 3 km and the axes about 790 × 685 px, so the firms span hundreds of pixels
    xs = [p[0] for p in drawn.positions.values()]
    assert max(xs) - min(xs) > 400
    png = draw_network(fake_solution(SMALL_SITES, SMALL_FIRMS, SMALL_LINKS), tmp_path / "a.png")
    again = draw_network(fake_solution(SMALL_SITES, SMALL_FIRMS, SMALL_LINKS), tmp_path / "b.png")
    assert png.read_bytes() == again.read_bytes()


def test_uneven_park_is_drawn_schematic():
    # the harbour of test_uneven_spread, one firm per site, a chain of links
    sites = {f"H{i}": (0.3 * i, 0.1 * (i % 2), "fixed") for i in range(7)}
    sites.update({"FARMS": (15.0, -12.0, "fixed"), "CEMENT": (55.0, -60.0, "fixed")})
    firms = {f"F_{s}": (s, "", "", "existing") for s in sites}
    names = list(firms)
    links = [(a, b, "steam", 100.0 * (i + 1)) for i, (a, b) in enumerate(zip(names, names[1:]))]
    fig, drawn = render(fake_solution(sites, firms, links))
    assert not drawn.to_scale
    assert any(note.startswith("schematic layout, not to scale") for note in drawn.notes)
    # harbour neighbours (0.3 km apart) at least a marker and a label's height apart
    pos = drawn.positions
    gaps = [math.dist(pos[f"F_H{i}"], pos[f"F_H{i + 1}"]) for i in range(6)]
    assert min(gaps) > 40


def test_one_site_on_a_circle():
    sites = {"PLANT": (0.0, 0.0, "fixed")}
    firms = {f"OP{i}": ("PLANT", f"Operation {i}", "process", "existing") for i in range(1, 5)}
    fig, drawn = render(fake_solution(sites, firms, [("OP2", "OP3", "water", 20.0)]))
    assert not drawn.to_scale and drawn.link_labels == 1
    centre = np.mean(list(drawn.positions.values()), axis=0)
    radii = [math.dist(p, centre) for p in drawn.positions.values()]
    assert max(radii) - min(radii) < 1.0 and min(radii) > 100


def test_edge_cases_draw(tmp_path):
    # geographic sites, no link, a name with dollar signs (no maths mode), no sector
    sites = {"A": (11.10, 55.65, "fixed"), "B": (11.15, 55.66, "fixed")}
    firms = {"A": ("A", "Plant $1 and $2", None, "existing"), "B": ("B", "", None, "existing")}
    png = draw_network(fake_solution(sites, firms, [], geographic=True), tmp_path / "g.png")
    assert png.stat().st_size > 10_000
    fig, drawn = render(fake_solution(sites, {}, []))
    assert drawn.positions == {}


@pytest.mark.parametrize("n", [30])
def test_thirty_firms_draw_quickly(tmp_path, n):
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 30, size=(n, 2))
    sites = {f"S{i}": (x, y, "fixed") for i, (x, y) in enumerate(xy)}
    sectors = ["energy", "food", "metals", "chemicals", "recycling"]
    firms = {
        f"F{i:02d}": (f"S{i}", f"Firm number {i} of the park", sectors[i % 5], "existing")
        for i in range(n)
    }
    links = [
        (f"F{i:02d}", f"F{(i * 7 + 3) % n:02d}", f"r{i % 6}", 10.0 * (i + 1)) for i in range(n)
    ]
    start = time.perf_counter()
    draw_network(fake_solution(sites, firms, links), tmp_path / "n.png")
    assert time.perf_counter() - start < 3.0


# --- large parks: the overview ---------------------------------------------------------------


def hub_park(rng_seed: int = 2):
    """30 hubs H00..H29, hub k sending 40 − k t of water to each of 5 receivers of its own
    (150 receivers R000..R149): 180 firms, 150 links, on random sites in a 40 km square."""
    rng = np.random.default_rng(rng_seed)
    hubs = [f"H{k:02d}" for k in range(30)]
    receivers = [f"R{j:03d}" for j in range(150)]
    names = hubs + receivers
    xy = rng.uniform(0, 40, size=(len(names), 2))
    sites = {f"S{i}": (x, y, "fixed") for i, (x, y) in enumerate(xy)}
    firms = {
        f: (f"S{i}", "", ("hub" if f[0] == "H" else "user"), "existing")
        for i, f in enumerate(names)
    }
    links = [
        (hubs[k], receivers[5 * k + m], "water", 40.0 - k) for k in range(30) for m in range(5)
    ]
    return sites, firms, links


def test_overview_threshold():
    assert not is_overview(90, 250)  # 80 firms / 209 links still read in the full picture
    assert is_overview(91, 0)
    assert is_overview(10, 251)


def test_large_park_is_an_overview_labelling_the_largest_flows(tmp_path):
    sites, firms, links = hub_park()
    fig, drawn = render(fake_solution(sites, firms, links))
    assert drawn.overview and drawn.to_scale  # 180 firms > 90; spread evenly: to scale
    # the largest water flow is 40 t (hub 0), so a link of hub k counts (40 − k) / 40 and
    # hub k scores 5 (40 − k) / 40: hub 24 scores 2.0, every receiver at most 1.0 → the 25
    # labelled firms are H00..H24
    assert len(drawn.labelled) <= TOP_FIRMS
    assert drawn.labelled == [f"H{k:02d}" for k in range(25)]
    # ten largest links labelled (those of hubs 0 and 1); 150 − 10 = 140 labels left out,
    # and 180 − 25 = 155 firm labels
    assert (drawn.link_labels, drawn.omitted) == (TOP_LINKS, 140)
    assert any("left out: 155 firm and 140 link labels" in note for note in drawn.notes)
    assert any(note.startswith("overview: dots are firms") for note in drawn.notes)
    a = draw_network(fake_solution(sites, firms, links), tmp_path / "a.png")
    b = draw_network(fake_solution(sites, firms, links), tmp_path / "b.png")
    assert a.read_bytes() == b.read_bytes()


def test_dense_cluster_overview_is_schematic():
    # 120 firms within about a kilometre and two partners 40 and 60 km away: dots 2.5 px
    # wide at ~10 px/km would pile up, so the sites are spread by rank (schematic)
    rng = np.random.default_rng(4)
    xy = np.vstack([rng.normal(0, 0.3, size=(120, 2)), [(40.0, 0.0), (0.0, -60.0)]])
    sites = {f"S{i}": (x, y, "fixed") for i, (x, y) in enumerate(xy)}
    firms = {f"F{i}": (f"S{i}", "", "x", "existing") for i in range(len(xy))}
    links = [("F120", "F0", "heat", 10.0), ("F1", "F121", "heat", 5.0)]
    fig, drawn = render(fake_solution(sites, firms, links))
    assert drawn.overview and not drawn.to_scale
    assert any(note.startswith("schematic layout, not to scale") for note in drawn.notes)
    # only the four firms with a link can carry a label
    assert sorted(drawn.labelled) == ["F0", "F1", "F120", "F121"]


def test_top_firms_weigh_units_alike():
    # A→B 100 t (the largest in t: 1.0), C→D 50 MWh of 200 MWh max (0.25), D→E 200 MWh (1.0),
    # A→C 25 t (0.25): A 1.25, D 1.25, B 1.0, E 1.0, C 0.5 → ties by id
    links = pd.DataFrame(
        {
            "supplier": ["A", "C", "D", "A"],
            "receiver": ["B", "D", "E", "C"],
            "rel": [1.0, 0.25, 1.0, 0.25],
            "internal": [False] * 4,
        }
    )
    assert top_firms(links, 3) == ["A", "D", "B"]
    assert top_firms(links, 10) == ["A", "D", "B", "E", "C"]


def test_sparse_declutter_and_rank_spread():
    # two points on top of each other are pushed about a gap apart; a far one stays put
    xy = np.array([(0.0, 0.0), (0.0, 0.0), (10.0, 10.0)])
    out = declutter_sparse(xy, 1.0)
    assert 0.9 < math.dist(out[0], out[1]) < 1.2
    assert tuple(out[2]) == (10.0, 10.0)
    # x = 0, 1, 2, 100: ranks 0, ⅓, ⅔, 1 of the range 100 → 0, 33.3, 66.7, 100; halfway:
    # 0, 17.17, 34.33, 100 (y all 0 stays 0)
    spread = rank_spread(np.array([(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (100.0, 0.0)]))
    assert np.allclose(spread[:, 0], [0.0, 17.1667, 34.3333, 100.0], atol=1e-3)
    assert np.allclose(spread[:, 1], 0.0)


def test_segment_samples():
    # 9 px at 3 px steps: ceil(9 / 3) + 1 = 4 points, 0, 3, 6, 9; a 1 px segment: its 2 ends
    pts = segment_samples(np.array([(0.0, 0.0), (5.0, 5.0)]), np.array([(9.0, 0.0), (5.0, 6.0)]))
    assert pts.tolist() == [[0, 0], [3, 0], [6, 0], [9, 0], [5, 5], [5, 6]]
