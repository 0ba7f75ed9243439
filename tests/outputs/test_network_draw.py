"""The network picture: framing, schematic layout, labels (ecopark_opt.outputs.network_draw).

The tests draw a stand-in for a solved design (tests/outputs/network_parks.py), so that they
need no solver and stay fast.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ecopark_opt.outputs.network_draw import draw_network, firm_labels, render, short_label
from ecopark_opt.outputs.network_layout import TOP_FIRMS, TOP_LINKS
from tests.outputs.network_parks import (
    SMALL_FIRMS,
    SMALL_LINKS,
    SMALL_SITES,
    fake_solution,
    hub_park,
)


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


def test_thirty_firms_are_drawn_in_the_axes(tmp_path):
    # a full picture (not an overview) of 30 firms with long names and 6 resources; how long
    # it takes is measured by benchmarks/network.py, not here
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 30, size=(30, 2))
    sites = {f"S{i}": (x, y, "fixed") for i, (x, y) in enumerate(xy)}
    sectors = ["energy", "food", "metals", "chemicals", "recycling"]
    firms = {
        f"F{i:02d}": (f"S{i}", f"Firm number {i} of the park", sectors[i % 5], "existing")
        for i in range(30)
    }
    links = [
        (f"F{i:02d}", f"F{(i * 7 + 3) % 30:02d}", f"r{i % 6}", 10.0 * (i + 1)) for i in range(30)
    ]
    fig, drawn = render(fake_solution(sites, firms, links))
    assert not drawn.overview and sorted(drawn.positions) == sorted(firms)
    assert drawn.link_labels + drawn.omitted == 30 and drawn.link_labels > 0
    box = fig.axes[0].get_window_extent()
    for x, y in drawn.positions.values():
        assert box.x0 < x < box.x1 and box.y0 < y < box.y1
    png = draw_network(fake_solution(sites, firms, links), tmp_path / "n.png")
    assert png.stat().st_size > 20_000


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
